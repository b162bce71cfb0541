"""Gluon parameters with sparse storage, as MXNet 1.9.1 has them: row_sparse weights read
through `row_sparse_data` from their Trainer's store, row_sparse gradients (Embedding's
`sparse_grad`) updated lazily, and the errors MXNet gives for the wrong accessors."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, gluon, nd
from mxjit.base import ArgumentError, MXNetError, ParamError
from mxjit.gluon import nn

CTXS = [mx.cpu(0), mx.cpu(1)]


def sparse_param(shape=(4, 2), ctx=CTXS, init=None):
    p = gluon.Parameter("w", shape=shape, stype="row_sparse", grad_stype="row_sparse")
    p.initialize(init=init or mx.init.One(), ctx=ctx)
    return p


def dense_rows(array):
    """(row ids stored, dense values) of a row_sparse array."""
    assert array.stype == "row_sparse"
    return array.indices.asnumpy().tolist(), array.asnumpy()


# ---- construction and initialisation -----------------------------------------------------


@pytest.mark.parametrize("what", ["stype", "grad_stype"])
def test_an_unknown_storage_type_is_refused_with_mxnets_assertion(what):
    with pytest.raises(AssertionError, match=f"^{what} for Parameter 'w' must be one of "
                       "'default', 'row_sparse', or 'csr', but got 'dense'$"):
        gluon.Parameter("w", shape=(2, 2), **{what: "dense"})


def test_a_sparse_parameter_holds_sparse_arrays_on_every_context():
    p = sparse_param(init=mx.init.Constant(3.0))
    assert [type(a).__name__ for a in p._data] == ["RowSparseNDArray"] * 2
    assert [a.context for a in p._data] == CTXS
    for a in p._data:
        assert dense_rows(a) == ([0, 1, 2, 3], pytest.approx(np.full((4, 2), 3.0)))
    grads = p.list_grad()
    assert [g.stype for g in grads] == ["row_sparse"] * 2
    assert [g.indices.asnumpy().size for g in grads] == [0, 0]
    assert p.grad(mx.cpu(1)) is grads[1]
    assert p.var().attr("__storage_type__") == "1"


def test_a_sparse_parameter_stores_only_the_non_zero_rows_it_is_given():
    p = gluon.Parameter("w", shape=(3, 2), stype="row_sparse")
    p._load_init(nd.array([[0, 0], [1, 2], [0, 0]]), mx.cpu())
    assert dense_rows(p._data[0]) == ([1], pytest.approx(np.array([[0, 0], [1, 2], [0, 0]])))


def test_a_dense_parameter_with_a_sparse_gradient():
    p = gluon.Parameter("w", shape=(3, 2), grad_stype="csr")
    p.initialize(mx.init.One())
    assert (p.data().stype, p.grad().stype) == ("default", "csr")


@pytest.mark.parametrize("what", ["stype", "grad_stype"])
def test_numpy_semantics_refuse_sparse_storage(what):
    p = gluon.Parameter("w", shape=(2, 2), **{what: "row_sparse"})
    with mx.util.np_array(True), pytest.raises(
            ParamError, match="mxnet.numpy.zeros does not support stype = row_sparse"):
        p.initialize()


# ---- the accessors and their errors ------------------------------------------------------


def test_data_and_list_data_refuse_a_sparse_parameter():
    p = sparse_param()
    with pytest.raises(RuntimeError, match=r"^Cannot return a copy of Parameter 'w' on ctx "
                       r"cpu\(0\) via data\(\) because its storage type is row_sparse. Please "
                       r"use row_sparse_data\(\) instead.$"):
        p.data(mx.cpu(0))
    with pytest.raises(MXNetError, match=r"^Cannot return copies of Parameter 'w' on all "
                       r"contexts via list_data\(\) because its storage type is row_sparse"):
        p.list_data()


def test_row_sparse_data_refuses_a_dense_parameter():
    p = gluon.Parameter("d", shape=(4, 2))
    p.initialize(ctx=CTXS)
    rows = nd.array([0])
    with pytest.raises(MXNetError, match=r"^Cannot return a copy of Parameter d via "
                       r"row_sparse_data\(\) because its storage type is default. Please use "
                       r"data\(\) instead.$"):
        p.row_sparse_data(rows)
    with pytest.raises(MXNetError, match=r"^Cannot return copies of Parameter 'd' on all "
                       r"contexts via list_row_sparse_data\(\) because its storage type is "
                       r"default"):
        p.list_row_sparse_data(rows)


def test_row_sparse_data_needs_a_trainer_and_an_ndarray_of_row_ids():
    p = sparse_param()
    with pytest.raises(MXNetError, match="^Cannot get row_sparse data for Parameter 'w' when "
                       "no Trainer is created with it.$"):
        p.list_row_sparse_data(nd.array([0]))
    gluon.Trainer([p], "sgd")
    with pytest.raises(ArgumentError, match="^row_id must have NDArray type, but <class "
                       "'list'> is given$"):
        p.row_sparse_data([0, 1])


def test_row_sparse_data_pulls_the_rows_asked_for_onto_the_row_ids_context():
    values = np.arange(1, 9, dtype=np.float32).reshape(4, 2)
    p = sparse_param(init=mx.init.Constant(values))
    gluon.Trainer([p], "sgd")
    got = p.row_sparse_data(nd.array([3, 1, 3], ctx=mx.cpu(1)))
    assert got is p._data[1] and got.context == mx.cpu(1)
    expected = np.zeros_like(values)
    expected[[1, 3]] = values[[1, 3]]
    assert dense_rows(got) == ([1, 3], pytest.approx(expected))
    both = p.list_row_sparse_data(nd.array([0]))
    assert [a.context for a in both] == CTXS
    for a in both:
        assert a.indices.asnumpy().tolist() == [0]
        np.testing.assert_array_equal(a.asnumpy()[0], values[0])


# ---- gradients and updates ---------------------------------------------------------------


@pytest.mark.parametrize("hybridize", [False, True])
def test_embedding_with_sparse_grad_gives_a_row_sparse_gradient(hybridize):
    layer = nn.Embedding(6, 3, sparse_grad=True)
    layer.initialize(mx.init.Uniform(1.0))
    if hybridize:
        layer.hybridize()
    idx = np.array([[4, 1], [4, 0]])
    head = np.random.RandomState(3).randn(2, 2, 3).astype(np.float32)
    with autograd.record():
        out = layer(nd.array(idx))
    out.backward(nd.array(head))
    np.testing.assert_array_equal(out.asnumpy(), layer.weight.data().asnumpy()[idx])
    expected = np.zeros((6, 3), np.float32)
    np.add.at(expected, idx.ravel(), head.reshape(-1, 3))
    rows, dense = dense_rows(layer.weight.grad())
    assert rows == [0, 1, 4]
    np.testing.assert_allclose(dense, expected, rtol=1e-6)
    layer.collect_params().zero_grad()
    assert layer.weight.grad().indices.asnumpy().size == 0


def sgd_rows(weight, mom, grad, rows, lr=0.5, wd=0.1, momentum=0.9):
    """MXNet's lazy SGD with momentum over the rows a row_sparse gradient stores."""
    for r in rows:
        mom[r] = momentum * mom[r] - lr * (grad[r] + wd * weight[r])
        weight[r] += mom[r]


def embedding_step(layer, batches):
    with autograd.record():
        for ctx, ids in batches:
            (layer(nd.array(ids, ctx=ctx)) * 2).sum().backward()


@pytest.mark.parametrize("ctxs", [[mx.cpu(0)], CTXS])
def test_a_trainer_updates_only_the_rows_of_a_sparse_gradient(ctxs):
    layer = nn.Embedding(6, 2, sparse_grad=True)
    layer.initialize(mx.init.One(), ctx=ctxs)
    trainer = gluon.Trainer(layer.collect_params(), "sgd",
                            {"learning_rate": 0.5, "wd": 0.1, "momentum": 0.9})
    weight, mom = np.ones((6, 2)), np.zeros((6, 2))
    for ids in ([3, 4, 3, 0], [5]):
        embedding_step(layer, [(c, ids) for c in ctxs])
        grad = np.zeros((6, 2))
        np.add.at(grad, ids, 2.0 * len(ctxs))
        trainer.step(1)
        sgd_rows(weight, mom, grad, sorted(set(ids)))
        for w in layer.weight.list_data():
            np.testing.assert_allclose(w.asnumpy(), weight, rtol=1e-6)
    assert trainer._update_on_kvstore is (False if len(ctxs) > 1 else None)


def test_a_row_sparse_weight_is_updated_on_its_trainers_store():
    p = sparse_param(shape=(5, 2))
    trainer = gluon.Trainer([p], "sgd", {"learning_rate": 0.25})
    rows = nd.array([1, 3])
    with autograd.record():
        for w in p.list_row_sparse_data(rows):
            (w * w).sum().backward()
    trainer.step(1)
    assert trainer._kvstore.type == "device" and trainer._update_on_kvstore
    # (the local arrays keep the rows last pulled until the next forward pass asks again)
    assert dense_rows(p._data[0])[0] == [1, 3]
    np.testing.assert_array_equal(p._data[0].asnumpy()[1], [1, 1])
    # each context's gradient 2w on rows 1 and 3, summed by the store: 1 - 0.25 * 4
    every_row = nd.arange(0, 5)
    expected = np.ones((5, 2))
    expected[[1, 3]] = 0.0
    for w in p.list_row_sparse_data(every_row):
        np.testing.assert_allclose(w.asnumpy(), expected, atol=1e-7)
    saved = p._reduce()
    assert saved.stype == "row_sparse" and saved.context == mx.cpu()
    np.testing.assert_allclose(saved.asnumpy(), expected, atol=1e-7)
    p.reset_ctx([mx.cpu(2)])
    assert p.list_ctx() == [mx.cpu(2)]
    np.testing.assert_allclose(p._data[0].asnumpy(), expected, atol=1e-7)


def test_a_sparse_parameter_without_a_trainer_saves_and_moves_its_own_arrays(tmp_path):
    p = sparse_param(init=mx.init.Constant(2.0))
    p.reset_ctx(mx.cpu(3))
    assert p.list_ctx() == [mx.cpu(3)] and p._data[0].stype == "row_sparse"
    params = gluon.ParameterDict()
    params._params["w"] = p
    params.save(str(tmp_path / "w.params"))
    loaded = nd.load(str(tmp_path / "w.params"))["w"]
    assert loaded.stype == "row_sparse"
    np.testing.assert_array_equal(loaded.asnumpy(), np.full((4, 2), 2.0))


# ---- blocks ------------------------------------------------------------------------------


def test_a_hybrid_block_refuses_a_row_sparse_parameter():
    params = gluon.ParameterDict("net_")
    params.get("weight", shape=(3, 2), stype="row_sparse")
    net = nn.Dense(3, in_units=2, params=params)
    net.initialize()
    for hybridize in (False, True):
        net.hybridize(hybridize)
        with pytest.raises(MXNetError, match=r"via data\(\) because its storage type is "
                           "row_sparse"):
            net(nd.ones((1, 2)))


def test_symbol_block_refuses_row_sparse_variables():
    data, weight = mx.sym.var("data"), mx.sym.var("weight", stype="row_sparse")
    with pytest.raises(AssertionError, match="^SymbolBlock doesn't support Parameter "
                       "'weight' because its storage type is 'row_sparse'.$"):
        gluon.SymbolBlock(mx.sym.dot(data, weight), data)
    sparse_in = mx.sym.var("data", stype="row_sparse")
    with pytest.raises(AssertionError, match="Parameter 'data'"):
        gluon.SymbolBlock(mx.sym.dot(sparse_in, mx.sym.var("w")), sparse_in)


@pytest.mark.parametrize("hybridize", [False, True])
def test_symbol_block_reads_a_csr_input(hybridize):
    data = mx.sym.var("data", stype="csr")
    net = gluon.SymbolBlock(mx.sym.dot(data, mx.sym.var("w")), data)
    w = net.collect_params()["w"]
    w.shape = (3, 2)
    w.initialize(mx.init.Constant(np.arange(6, dtype=np.float32).reshape(3, 2)))
    if hybridize:
        net.hybridize()
    x = np.array([[1, 0, 2], [0, 0, 3]], dtype=np.float32)
    with autograd.record():
        out = net(nd.array(x).tostype("csr"))
    out.backward()
    np.testing.assert_allclose(out.asnumpy(), x @ np.arange(6).reshape(3, 2))
    np.testing.assert_allclose(w.grad().asnumpy(), x.T @ np.ones((2, 2)))


def test_a_sparse_embedding_on_its_store_updates_only_the_rows_looked_up():
    # (numbers from MXNet 1.9.1: lazy SGD, momentum 0.9, wd 0.1, rows 1 and 3, two steps;
    # the other rows keep their value, weight decay included)
    emb = gluon.contrib.nn.SparseEmbedding(6, 2)
    emb.initialize(mx.init.Constant(1.0))
    trainer = gluon.Trainer(emb.collect_params(), "sgd",
                            {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.1})
    for _ in range(2):
        with mx.autograd.record():
            y = emb(mx.nd.array([1, 3])).sum()
        y.backward()
        trainer.step(1)
    w = emb.weight.row_sparse_data(mx.nd.arange(6)).asnumpy()
    expected = np.ones((6, 2), np.float32)
    expected[[1, 3]] = 0.6821
    np.testing.assert_allclose(w, expected, rtol=1e-4)
