"""Sparse storage on symbols: `cast_storage`, `sparse.retain`, `sparse.adagrad_update`,
`contrib.getnnz` and `contrib.edge_id` as nodes with MXNet 1.9.1's JSON, computed densely
by a bound executor whose outputs, arguments and gradients have the storage types MXNet's
executor gives them (each case below was run in MXNet 1.9.1). Oracles: NumPy, and central
differences for the gradients."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit import nd
from mxjit.base import ParamError, ShapeError
from tests.helpers import numerical_grad

X = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 5.0], [6.0, 7.0, 8.0], [0.0, 0.0, 0.0]])
S = nd.sparse


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def ops_of(sym):
    return [(n["op"], n["name"], n.get("attrs")) for n in json.loads(sym.tojson())["nodes"]]


def arr(x, dtype="float64"):
    return nd.array(x, dtype=dtype)


# ---- JSON (MXNet 1.9.1's tojson() of the same calls) ------------------------------------------


def test_json_is_mxnets():
    x, i, u, v = (mx.sym.var(n) for n in "xiuv")
    assert ops_of(mx.sym.cast_storage(x, stype="csr"))[1] == (
        "cast_storage", "cast_storage0", {"stype": "csr"})
    assert ops_of(mx.sym.sparse.cast_storage(x, "row_sparse"))[1] == (
        "cast_storage", "cast_storage1", {"stype": "row_sparse"})
    assert ops_of(mx.sym.sparse.retain(x, i))[2] == ("_sparse_retain", "retain0", None)
    assert ops_of(mx.sym.sparse.retain(x)) == [
        ("null", "x", None), ("null", "retain1_indices", None),
        ("_sparse_retain", "retain1", None)]
    assert ops_of(mx.sym.contrib.getnnz(x))[1] == ("_contrib_getnnz", "getnnz0", None)
    assert ops_of(mx.sym.contrib.getnnz(x, axis=1))[1][2] == {"axis": "1"}
    assert ops_of(mx.sym.contrib.getnnz(x, axis=None))[1][2] == {"axis": "None"}
    assert ops_of(mx.sym.contrib.edge_id(x, u, v))[3] == ("_contrib_edge_id", "edge_id0", None)
    assert ops_of(mx.sym.var("w", stype="row_sparse"))[0][2] == {"__storage_type__": "1"}


def test_adagrad_update_node_keeps_history_as_an_auxiliary_state():
    # (MXNet 1.9.1's mx.sym.sparse.adagrad_update cannot compose its inputs; its JSON, read
    # by MXNet's load_json, writes back the same text, with history an auxiliary state)
    w, g, h = mx.sym.var("w"), mx.sym.var("g"), mx.sym.var("h")
    sym = mx.sym.sparse.adagrad_update(w, g, h, lr=0.1, epsilon=1e-5, rescale_grad=2,
                                       clip_gradient=3)
    assert ops_of(sym)[3] == ("_sparse_adagrad_update", "adagrad_update0", {
        "lr": "0.1", "epsilon": "1e-05", "rescale_grad": "2", "clip_gradient": "3"})
    assert sym.list_arguments() == ["w", "g"] and sym.list_auxiliary_states() == ["h"]
    assert sym.infer_shape(w=(3, 2)) == ([(3, 2), (3, 2)], [(3, 2)], [(3, 2)])
    assert mx.sym.load_json(sym.tojson()).tojson() == sym.tojson()


def test_shapes_and_dtypes_are_inferred_as_in_mxnet():
    x = mx.sym.var("x", stype="csr")
    for axis, shape in ((None, (1,)), (0, (3,)), (1, (4,))):
        _, out, _ = mx.sym.contrib.getnnz(x, axis=axis).infer_shape(x=(4, 3))
        assert out == [shape]
    assert mx.sym.contrib.getnnz(x).infer_type(x="float32")[1] == [np.int64]
    edge = mx.sym.contrib.edge_id(x, mx.sym.var("u"), mx.sym.var("v"))
    assert edge.infer_shape(x=(4, 4), u=(5,), v=(5,))[1] == [(5,)]
    assert edge.infer_type(x="float32", u="float32", v="float32")[1] == [np.float32]
    retain = mx.sym.sparse.retain(mx.sym.var("w"), mx.sym.var("i"))
    assert retain.infer_shape(w=(4, 3), i=(2,)) == ([(4, 3), (2,)], [(4, 3)], [])
    assert retain.infer_type(w="float64", i="int32")[1] == [np.float64]


# ---- forward: dense values, MXNet's output storage types ---------------------------------------


@pytest.mark.parametrize("stype, cls", [("csr", S.CSRNDArray), ("row_sparse", S.RowSparseNDArray),
                                        ("default", nd.NDArray)])
def test_cast_storage_output_has_the_storage_type(stype, cls):
    sym = mx.sym.cast_storage(mx.sym.var("x"), stype=stype)
    exe = sym.bind(mx.cpu(), {"x": arr(X)})
    assert exe.outputs[0].stype == stype  # (held from binding on, as MXNet's)
    out = exe.forward()[0]
    assert type(out) is cls and out.stype == stype
    np.testing.assert_array_equal(out.asnumpy(), X)
    exe.forward(x=arr(2 * X))
    assert exe.outputs[0] is out  # (MXNet's outputs are fixed arrays)
    np.testing.assert_array_equal(out.asnumpy(), 2 * X)


def retained(x, rows):
    keep = np.zeros(x.shape[0], bool)
    rows = np.trunc(np.asarray(rows, float)).astype(int).reshape(-1)
    keep[rows[(rows >= 0) & (rows < x.shape[0])]] = True
    return np.where(keep.reshape((-1,) + (1,) * (x.ndim - 1)), x, 0)


@pytest.mark.parametrize("rows", [[0, 2], [2, 0, 2], [[1, 3]], [1.7, -0.5], [9, -3], []])
@pytest.mark.parametrize("sparse_input", [True, False])
def test_retain_zeroes_the_other_rows(rows, sparse_input):
    data = arr(X).tostype("row_sparse") if sparse_input else arr(X)
    sym = mx.sym.sparse.retain(mx.sym.var("x", stype="row_sparse"), mx.sym.var("i"))
    exe = sym.bind(mx.cpu(), {"x": data, "i": arr(rows)})
    out = exe.forward()[0]
    assert out.stype == "row_sparse"
    np.testing.assert_array_equal(out.asnumpy(), retained(X, rows))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-3, 8, allow_nan=False), min_size=1, max_size=4))
def test_retain_matches_numpy_for_any_indices(rows):
    exe = mx.sym.sparse.retain(mx.sym.var("x"), mx.sym.var("i")).bind(
        mx.cpu(), {"x": arr(X), "i": arr(rows)})
    np.testing.assert_array_equal(exe.forward()[0].asnumpy(), retained(X, rows))


def test_retain_of_a_3d_array_keeps_whole_rows():
    x = np.arange(24.0).reshape(4, 3, 2) + 1
    exe = mx.sym.sparse.retain(mx.sym.var("x"), mx.sym.var("i")).bind(
        mx.cpu(), {"x": arr(x).tostype("row_sparse"), "i": arr([3, 1])})
    np.testing.assert_array_equal(exe.forward()[0].asnumpy(), retained(x, [3, 1]))


def test_getnnz_and_edge_id_read_a_bound_csr_graph():
    graph = np.array([[1.0, 0, 0], [0, 2, 0], [0, 0, 3]])
    x = mx.sym.var("x", stype="csr")
    u, v = mx.sym.var("u"), mx.sym.var("v")
    group = mx.sym.Group([mx.sym.contrib.getnnz(x), mx.sym.contrib.getnnz(x, axis=0),
                          mx.sym.contrib.edge_id(x, u, v)])
    exe = group.bind(mx.cpu(), {"x": arr(graph).tostype("csr"),
                                "u": arr([0, 0, 1, 1, 2, 2, 5, 1.5]),
                                "v": arr([0, 1, 1, 2, 0, 2, 0, 1])})
    total, per_column, edges = exe.forward()
    assert [o.stype for o in exe.outputs] == ["default"] * 3
    assert total.dtype == np.int64 and total.asnumpy().tolist() == [3]
    assert per_column.asnumpy().tolist() == [1, 1, 1]
    # (MXNet's documented example, then a vertex outside the graph and a fraction)
    assert edges.asnumpy().tolist() == [1, -1, 2, -1, -1, 3, -1, -1]


def test_adagrad_update_in_an_executor_updates_history_as_mxnet():
    w, g, h = np.ones((3, 2)), np.array([[0, 0], [1.0, -2.0], [0, 0]]), np.full((3, 2), 0.5)
    sym = mx.sym.sparse.adagrad_update(mx.sym.var("w"), mx.sym.var("g"), mx.sym.var("h"),
                                       lr=0.1, rescale_grad=2.0, clip_gradient=3.0)
    exe = sym.bind(mx.cpu(), {"w": arr(w), "g": arr(g).tostype("row_sparse")},
                   aux_states={"h": arr(h)})
    out = exe.forward()[0]
    gs = np.clip(2 * g, -3, 3)
    new_h = h + gs * gs
    np.testing.assert_allclose(out.asnumpy(), w - 0.1 * gs / np.sqrt(new_h + 1e-7))
    np.testing.assert_allclose(exe.aux_dict["h"].asnumpy(), new_h)
    # (the eager sparse form updates the stored rows; a zero row of the dense form stays)
    history = arr(h)
    eager = S.adagrad_update(arr(w), arr(g).tostype("row_sparse"), history, lr=0.1,
                             rescale_grad=2.0, clip_gradient=3.0)
    np.testing.assert_allclose(eager.asnumpy(), out.asnumpy())
    np.testing.assert_allclose(history.asnumpy(), new_h)


def test_storage_rules_of_other_operators_follow_mxnet():
    xr, xc = mx.sym.var("r", stype="row_sparse"), mx.sym.var("c", stype="csr")
    d = mx.sym.var("d")
    group = mx.sym.Group([xr + xr, xr * d, mx.sym.relu(xc), mx.sym.exp(xc), xc + xc,
                          mx.sym.elemwise_div(xc, xc), mx.sym.broadcast_mul(xc, d),
                          mx.sym.dot(xc, d.reshape((4, 3)), transpose_a=True),
                          mx.sym.sparse.retain(xr, d.sum(axis=1))])
    exe = group.bind(mx.cpu(), {"r": arr(X).tostype("row_sparse"), "c": arr(X).tostype("csr"),
                                "d": arr(X + 1)})
    outs = exe.forward()
    assert [o.stype for o in outs] == ["row_sparse", "row_sparse", "csr", "default", "csr",
                                       "default", "csr", "row_sparse", "row_sparse"]
    np.testing.assert_allclose(outs[1].asnumpy(), X * (X + 1))
    np.testing.assert_allclose(outs[7].asnumpy(), X.T @ (X + 1))


# ---- arguments and gradients --------------------------------------------------------------------


def test_simple_bind_gives_mxnets_storage_types():
    x, i, p = mx.sym.var("x"), mx.sym.var("i"), mx.sym.var("p")
    cases = [  # (symbol, shapes, stype_dict, argument stypes, gradient stypes)
        (mx.sym.cast_storage(x, "csr"), {"x": (4, 3)}, None, {"x": "default"}, {"x": "csr"}),
        (mx.sym.make_loss(mx.sym.sparse.retain(mx.sym.var("x", stype="row_sparse"), i) * p),
         {"x": (4, 3), "i": (2,), "p": (4, 3)}, None,
         {"x": "row_sparse", "i": "default", "p": "default"},
         {"x": "row_sparse", "i": "default", "p": "default"}),
        (mx.sym.make_loss(x * p), {"x": (4, 3), "p": (4, 3)}, {"x": "row_sparse"},
         {"x": "row_sparse", "p": "default"}, {"x": "default", "p": "default"}),
        (mx.sym.make_loss(mx.sym.dot(mx.sym.var("x", stype="csr"), mx.sym.var("w"))),
         {"x": (4, 3), "w": (3, 2)}, None, {"x": "csr", "w": "default"},
         {"x": "default", "w": "row_sparse"}),
        (mx.sym.Embedding(i, mx.sym.var("w"), input_dim=5, output_dim=2, sparse_grad=True),
         {"i": (3,)}, None, {"i": "default", "w": "default"},
         {"i": "default", "w": "row_sparse"}),
        (mx.sym.Embedding(i, mx.sym.var("w"), input_dim=5, output_dim=2), {"i": (3,)}, None,
         {"i": "default", "w": "default"}, {"i": "default", "w": "default"}),
    ]
    for sym, shapes, stype_dict, arg_stypes, grad_stypes in cases:
        exe = sym.simple_bind(mx.cpu(), stype_dict=stype_dict, **shapes)
        assert {k: a.stype for k, a in exe.arg_dict.items()} == arg_stypes
        assert {k: g.stype for k, g in exe.grad_dict.items()} == grad_stypes


def test_retain_gradient_is_the_head_gradient_on_the_retained_rows():
    rows = [2, 0]
    head = np.random.RandomState(0).normal(size=X.shape)
    sym = mx.sym.sparse.retain(mx.sym.var("x", stype="row_sparse"), mx.sym.var("i"))
    exe = sym.simple_bind(mx.cpu(), x=X.shape, i=(2,), type_dict={"x": "float64"},
                          grad_req={"x": "write", "i": "null"})
    exe.forward(is_train=True, x=arr(X).tostype("row_sparse"), i=arr(rows))
    exe.backward(arr(head))
    grad = exe.grad_dict["x"]
    assert grad.stype == "row_sparse"

    def projected(x):
        return float(np.sum(head * retained(x, rows)))

    np.testing.assert_allclose(grad.asnumpy(), numerical_grad(projected, [X], 0), atol=1e-8)
    np.testing.assert_allclose(grad.asnumpy(), retained(head, rows))


@pytest.mark.parametrize("stype", ["csr", "row_sparse", "default"])
def test_cast_storage_passes_the_gradient_through(stype):
    head = np.random.RandomState(1).normal(size=X.shape)
    x = mx.sym.var("x")
    sym = mx.sym.cast_storage(x, stype) * x
    exe = sym.simple_bind(mx.cpu(), x=X.shape, type_dict={"x": "float64"})
    exe.forward(is_train=True, x=arr(X))
    exe.backward(arr(head))
    numeric = numerical_grad(lambda x: float(np.sum(head * x * x)), [X], 0)
    np.testing.assert_allclose(exe.grad_dict["x"].asnumpy(), numeric, rtol=1e-6)


def test_sparse_head_gradients_and_add_requests():
    sym = mx.sym.cast_storage(mx.sym.var("x"), "row_sparse")
    exe = sym.simple_bind(mx.cpu(), x=X.shape, grad_req="add")
    assert exe.grad_dict["x"].stype == "row_sparse"
    for _ in range(2):
        exe.forward(is_train=True, x=arr(X, "float32"))
        exe.backward(arr(X, "float32").tostype("row_sparse"))
    np.testing.assert_allclose(exe.grad_dict["x"].asnumpy(), 2 * X)


def test_bound_sparse_arguments_are_read_afresh_each_pass():
    sym = mx.sym.cast_storage(mx.sym.var("x", stype="csr") * 2, "default")
    exe = sym.simple_bind(mx.cpu(), x=X.shape)
    assert exe.arg_dict["x"].stype == "csr"
    exe.arg_dict["x"][:] = arr(X, "float32")  # (MXNet's x[:] = value on a sparse array)
    np.testing.assert_allclose(exe.forward()[0].asnumpy(), 2 * X)
    np.testing.assert_allclose(exe.forward(x=arr(X + 1, "float32"))[0].asnumpy(), 2 * X + 2)
    assert exe.arg_dict["x"].stype == "csr"


def test_sparse_auxiliary_states_are_read_and_updated_in_their_storage_type():
    sym = mx.sym.BatchNorm(mx.sym.var("x"), name="bn")
    x = np.random.RandomState(2).normal(size=(4, 3))
    stats = {"bn_moving_mean": np.array([0.0, 1.0, 0.0]), "bn_moving_var": np.ones(3)}
    args = {"x": arr(x), "bn_gamma": nd.ones(3, dtype="float64"),
            "bn_beta": nd.zeros(3, dtype="float64")}
    sparse_aux = {k: arr(v).tostype("row_sparse") for k, v in stats.items()}
    dense_aux = {k: arr(v) for k, v in stats.items()}
    for aux in (sparse_aux, dense_aux):
        sym.bind(mx.cpu(), args, aux_states=aux).forward(is_train=True)
    for k in stats:
        assert sparse_aux[k].stype == "row_sparse"
        np.testing.assert_allclose(sparse_aux[k].asnumpy(), dense_aux[k].asnumpy())
        assert not np.allclose(dense_aux[k].asnumpy(), stats[k])


# ---- one operator for mx.nd and mx.sym ----------------------------------------------------------


def test_nd_keeps_sparse_results_and_traced_arrays_are_dense():
    rsp = arr(X).tostype("row_sparse")
    eager = S.retain(rsp, arr([0, 2]))
    assert eager.stype == "row_sparse" and eager.indices.asnumpy().tolist() == [0, 2]
    assert nd.cast_storage(arr(X), "csr").stype == "csr"
    assert S.cast_storage(arr(X), stype="row_sparse").stype == "row_sparse"
    assert nd.contrib.getnnz(arr(X).tostype("csr"), axis=1).asnumpy().tolist() == [2, 2, 3, 0]

    @mx.jit
    def dense(x, i):
        return S.retain(nd.cast_storage(x, "row_sparse"), i), nd.contrib.getnnz(x)

    kept, count = dense(arr(X), arr([0, 2]))
    assert kept.stype == "default" and count.asnumpy().tolist() == [7]
    np.testing.assert_array_equal(kept.asnumpy(), retained(X, [0, 2]))


# ---- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, match", [
    (lambda: mx.sym.cast_storage(mx.sym.var("x"), "dense").bind(
        mx.cpu(), {"x": nd.ones((2, 2))}).forward(), ParamError, "valid values"),
    (lambda: mx.sym.cast_storage(mx.sym.var("x"), "csr").bind(
        mx.cpu(), {"x": nd.ones((2, 2, 2))}).forward(), ShapeError, "2-D"),
    (lambda: mx.jit(lambda x: nd.cast_storage(x, "row_sparse"))(nd.ones(())), ShapeError,
     "at least one axis"),
    (lambda: mx.jit(lambda x, i: S.retain(x, i))(nd.ones(()), nd.ones(1)), ShapeError,
     "first axis"),
    (lambda: mx.sym.contrib.getnnz(mx.sym.var("x"), axis=2).bind(
        mx.cpu(), {"x": nd.ones((2, 2))}).forward(), ParamError, "axis"),
    (lambda: mx.sym.contrib.getnnz(mx.sym.var("x")).infer_shape(x=(2, 2, 2)), ShapeError,
     "2-D"),
    (lambda: mx.sym.contrib.edge_id(mx.sym.var("x"), mx.sym.var("u"), mx.sym.var("v"))
     .infer_shape(x=(2,), u=(1,), v=(1,)), ShapeError, "2-D"),
    (lambda: mx.sym.contrib.edge_id(mx.sym.var("x"), mx.sym.var("u"), mx.sym.var("v"))
     .infer_shape(x=(2, 2), u=(1, 1), v=(1,)), ShapeError, "1-D"),
    (lambda: mx.sym.contrib.edge_id(mx.sym.var("x"), mx.sym.var("u"), mx.sym.var("v"))
     .infer_shape(x=(2, 2), u=(1,), v=(2,)), ShapeError, "same length"),
    (lambda: mx.sym.sparse.adagrad_update(lr=0.1, wd=0.1).infer_shape(
        adagrad_update0_weight=(2,)), ParamError, "weight decay"),
    (lambda: mx.sym.cast_storage(mx.sym.var("x"), "csr").simple_bind(
        mx.cpu(), x=(2, 2), stype_dict={"x": "dense"}), ParamError, "unknown storage type"),
    (lambda: S.zeros("csr", (2, 2)).__setitem__(0, 1.0), ParamError, r"only x\[:\]"),
    (lambda: S.zeros("csr", (2, 2)).__setitem__(slice(None), nd.ones(3)), ShapeError,
     "shape"),
])
def test_user_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
