"""`gluon.contrib.nn`: the concurrent containers, Identity, the pixel shuffles,
SparseEmbedding and SyncBatchNorm, against NumPy, eager against hybridized, and printed
as MXNet 1.9.1 prints them."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, gluon, nd
from mxjit.base import MXNetError
from mxjit.gluon import contrib, nn

from .layer_check import eager_and_hybrid, run_block

C = contrib.nn


def test_contrib_namespace_as_mxnet():
    assert sorted(C.__all__) == sorted(["Concurrent", "HybridConcurrent", "Identity",
                                        "SparseEmbedding", "SyncBatchNorm", "PixelShuffle1D",
                                        "PixelShuffle2D", "PixelShuffle3D"])
    assert mx.gluon.contrib.nn is C


# ---- containers --------------------------------------------------------------------------


def branches(container):
    with container.name_scope():
        container.add(nn.Dense(3, flatten=False), C.Identity(), nn.Activation("relu"))
    return container


def test_hybrid_concurrent_concatenates_its_childrens_outputs():
    x = np.random.RandomState(0).randn(2, 5, 4).astype(np.float32)
    (out,), grads = eager_and_hybrid(lambda: branches(C.HybridConcurrent(axis=2)), [x])
    assert sorted(grads) == ["0.bias", "0.weight"]
    assert out.shape == (2, 5, 3 + 4 + 4)
    np.testing.assert_array_equal(out[..., 3:7], x)
    np.testing.assert_array_equal(out[..., 7:], np.maximum(x, 0))


def test_hybrid_concurrent_joins_along_the_last_axis_by_default():
    net = branches(C.HybridConcurrent())
    assert net.axis == -1
    net.initialize(mx.init.One())
    net.hybridize()
    x = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
    expected = np.concatenate([x.sum(1, keepdims=True).repeat(3, 1), x, np.maximum(x, 0)], 1)
    np.testing.assert_allclose(net(nd.array(x)).asnumpy(), expected)


def test_concurrent_is_a_block_that_concatenates():
    net = branches(C.Concurrent(axis=1))
    net.initialize(mx.init.One())
    x = np.random.RandomState(1).randn(2, 4).astype(np.float32)
    (out,), grads, (x_grad,) = run_block(net, [x], train=True, head=None)
    expected = np.concatenate([x.sum(1, keepdims=True).repeat(3, 1), x, np.maximum(x, 0)], 1)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(grads["0.weight"], np.tile(x.sum(0), (3, 1)), rtol=1e-5)
    np.testing.assert_allclose(x_grad, 3 + 1 + (x > 0), rtol=1e-6)


def test_containers_print_and_name_as_mxnet():
    with mx.name.NameManager():
        hybrid = C.HybridConcurrent(axis=1)
        with hybrid.name_scope():
            hybrid.add(nn.Dense(3), C.Identity(), nn.Activation("relu"))
        plain = C.Concurrent()
        with plain.name_scope():
            plain.add(nn.Dense(3, flatten=False), C.Identity())
    assert repr(hybrid) == ("HybridConcurrent(\n  (0): Dense(None -> 3, linear)\n"
                            "  (1): Identity(\n  \n  )\n  (2): Activation(relu)\n)")
    assert list(hybrid.collect_params()) == ["hybridconcurrent0_dense0_weight",
                                             "hybridconcurrent0_dense0_bias"]
    assert list(plain.collect_params()) == ["concurrent0_dense0_weight",
                                            "concurrent0_dense0_bias"]
    plain.initialize()
    assert plain(nd.ones((2, 4))).shape == (2, 7)
    assert repr(plain) == ("Concurrent(\n  (0): Dense(4 -> 3, linear)\n"
                           "  (1): Identity(\n  \n  )\n)")
    assert C.HybridConcurrent(axis=1, prefix="cc_").name == "cc"


def test_concurrent_outputs_that_do_not_join_raise():
    net = C.HybridConcurrent(axis=1)
    net.add(nn.Dense(3), nn.Dense(2, flatten=False))
    net.initialize()
    with pytest.raises(MXNetError, match="must agree except on axis 1"):
        net(nd.ones((2, 3, 4)))


def test_identity_returns_its_input_and_passes_the_gradient():
    x = np.random.RandomState(2).randn(3, 4).astype(np.float32)
    head = np.random.RandomState(3).randn(3, 4)
    (out,), grads = eager_and_hybrid(C.Identity, [x], head=head)
    np.testing.assert_array_equal(out, x)
    assert grads == {}
    with mx.name.NameManager():
        layer = C.Identity()
    assert (repr(layer), layer.name) == ("Identity(\n\n)", "identity0")


# ---- pixel shuffles ----------------------------------------------------------------------


def np_pixel_shuffle(x, factors):
    """out[n, c, s1 * f1 + i1, ...] = x[n, c * prod(f) + flat(i1, ..., in), s1, ...]
    (checked once against MXNet 1.9.1)."""
    block = int(np.prod(factors))
    n, cb = x.shape[:2]
    out = np.zeros((n, cb // block) + tuple(s * f for s, f in zip(x.shape[2:], factors)))
    for c in range(cb // block):
        for offs in np.ndindex(*factors):
            src = c * block + int(np.ravel_multi_index(offs, factors))
            out[(slice(None), c, *(slice(o, None, f) for o, f in zip(offs, factors)))] = x[:, src]
    return out


SHUFFLES = [
    (lambda: C.PixelShuffle1D(3), (2, 6, 4), (3,)),
    (lambda: C.PixelShuffle2D(2), (1, 8, 2, 3), (2, 2)),
    (lambda: C.PixelShuffle2D((2, 3)), (1, 12, 2, 3), (2, 3)),
    (lambda: C.PixelShuffle3D((2, 1, 3)), (1, 12, 2, 3, 2), (2, 1, 3)),
    (lambda: C.PixelShuffle3D(2), (2, 8, 1, 2, 2), (2, 2, 2)),
]


@pytest.mark.parametrize("make, shape, factors", SHUFFLES)
def test_pixel_shuffles_match_numpy_and_hybridize(make, shape, factors):
    x = np.random.RandomState(4).randn(*shape).astype(np.float32)
    head = np.random.RandomState(5).randn(*np_pixel_shuffle(x, factors).shape)
    (out,), _ = eager_and_hybrid(make, [x], head=head)
    np.testing.assert_array_equal(out, np_pixel_shuffle(x, factors))
    layer = make()
    x_nd = nd.array(x)
    x_nd.attach_grad()
    with autograd.record():
        y = layer(x_nd)
    y.backward(nd.array(head))
    # (a permutation: the gradient is the head permuted back)
    inverse = np.zeros(x.size)
    inverse[np_pixel_shuffle(np.arange(x.size).reshape(x.shape), factors).astype(int)
            .ravel()] = head.ravel()
    np.testing.assert_allclose(x_nd.grad.asnumpy(), inverse.reshape(x.shape), rtol=1e-6)


def test_pixel_shuffles_print_and_name_as_mxnet():
    with mx.name.NameManager():
        layers = [C.PixelShuffle1D(2), C.PixelShuffle2D(2), C.PixelShuffle2D((2, 3)),
                  C.PixelShuffle3D(2), C.PixelShuffle3D((1, 2, 3))]
    assert [repr(b) for b in layers] == ["PixelShuffle1D(2)", "PixelShuffle2D((2, 2))",
                                         "PixelShuffle2D((2, 3))", "PixelShuffle3D((2, 2, 2))",
                                         "PixelShuffle3D((1, 2, 3))"]
    assert [b.name for b in layers] == ["pixelshuffle1d0", "pixelshuffle2d0", "pixelshuffle2d1",
                                        "pixelshuffle3d0", "pixelshuffle3d1"]


@pytest.mark.parametrize("fn, error, message", [
    (lambda: C.PixelShuffle2D((2, 2, 2)), AssertionError, "factor needs 2 entries, got 3"),
    (lambda: C.PixelShuffle3D((2, 2)), AssertionError, "factor needs 3 entries, got 2"),
    (lambda: C.PixelShuffle1D(3)(nd.ones((1, 4, 3))), MXNetError, "divisible by 3"),
    (lambda: C.PixelShuffle2D(2)(nd.ones((1, 4, 3))), MXNetError, "expects 4-D input"),
])
def test_pixel_shuffle_errors(fn, error, message):
    with pytest.raises(error, match=message):
        fn()


# ---- SparseEmbedding and SyncBatchNorm ---------------------------------------------------


def test_sparse_embedding_looks_up_rows_pulled_from_its_trainer():
    with mx.name.NameManager():
        emb = C.SparseEmbedding(10, 4)
    assert repr(emb) == "SparseEmbedding(10 -> 4, float32)"
    weight = emb.collect_params()["sparseembedding0_weight"]
    assert (weight.shape, weight._stype, weight._grad_stype) == ((10, 4), "row_sparse",
                                                                 "row_sparse")
    emb.initialize(mx.init.Uniform(1.0))
    idx = np.array([[1, 7], [1, 0]], dtype=np.float32)
    with pytest.raises(MXNetError, match="when no Trainer is created with it"):
        emb(mx.nd.array(idx))
    gluon.Trainer(emb.collect_params(), "sgd")
    head = np.random.RandomState(6).randn(2, 2, 4)
    (out,), grads, _ = run_block(emb, [idx], train=True, head=head)
    w = emb.weight.row_sparse_data(mx.nd.arange(10)).asnumpy()
    np.testing.assert_array_equal(out, w[idx.astype(int)])
    assert emb.weight.grad().stype == "row_sparse"
    expected = np.zeros((10, 4))
    np.add.at(expected, idx.astype(int).ravel(), head.reshape(-1, 4))
    np.testing.assert_allclose(grads["weight"], expected, rtol=1e-6)


def np_batch_norm(x, gamma, beta, eps):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * \
        gamma.reshape(shape) + beta.reshape(shape), mean, var


@pytest.mark.parametrize("num_devices", [None, 2])
def test_sync_batch_norm_is_batch_norm_on_one_process(num_devices):
    x = np.random.RandomState(7).randn(4, 3, 5).astype(np.float32)
    built = []

    def make():
        built.append(C.SyncBatchNorm(num_devices=num_devices, momentum=0.8, epsilon=1e-3))
        return built[-1]

    (out,), grads = eager_and_hybrid(make, [x], init=mx.init.Uniform(1.0))
    assert sorted(grads) == ["beta", "gamma"]
    layer = built[0]
    gamma, beta = layer.gamma.data().asnumpy(), layer.beta.data().asnumpy()
    expected, _, _ = np_batch_norm(x.astype(np.float64), gamma, beta, 1e-3)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    predicted = layer(nd.array(x)).asnumpy()
    rm, rv = layer.running_mean.data().asnumpy(), layer.running_var.data().asnumpy()
    shape = (1, 3, 1)
    np.testing.assert_allclose(predicted, (x - rm.reshape(shape)) / np.sqrt(
        rv.reshape(shape) + 1e-3) * gamma.reshape(shape) + beta.reshape(shape), rtol=1e-4,
        atol=1e-5)


def test_sync_batch_norm_moves_running_statistics_as_batch_norm():
    x = np.random.RandomState(8).randn(6, 2, 3).astype(np.float32)
    layer = C.SyncBatchNorm(momentum=0.7)
    layer.initialize()
    _, mean, var = np_batch_norm(x.astype(np.float64), np.ones(2), np.zeros(2), 1e-5)
    run_block(layer, [x], train=True, head=None)
    np.testing.assert_allclose(layer.running_mean.data().asnumpy(), 0.3 * mean, rtol=1e-5,
                               atol=1e-6)
    # (towards the biased batch variance: MXNet 1.9.1 gives [1.069679, 1.0865777] here)
    np.testing.assert_allclose(layer.running_var.data().asnumpy(), 0.7 + 0.3 * var,
                               rtol=1e-5)
    np.testing.assert_allclose(layer.running_var.data().asnumpy(), [1.069679, 1.0865777],
                               rtol=1e-5)


def test_sync_batch_norm_prints_as_mxnet():
    with mx.name.NameManager():
        deferred = C.SyncBatchNorm()
        given = C.SyncBatchNorm(in_channels=3, num_devices=2, momentum=0.8, epsilon=1e-3,
                                scale=False)
    assert repr(deferred) == ("SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, "
                              "use_global_stats=False, ndev=1, key='syncbatchnorm0_', "
                              "in_channels=None)")
    assert repr(given) == ("SyncBatchNorm(eps=0.001, momentum=0.8, fix_gamma=True, "
                           "use_global_stats=False, ndev=2, key='syncbatchnorm1_', "
                           "in_channels=3)")
    assert [(p.name, p.shape, p.grad_req) for p in given.collect_params().values()] == [
        ("syncbatchnorm1_gamma", (3,), "null"), ("syncbatchnorm1_beta", (3,), "write"),
        ("syncbatchnorm1_running_mean", (3,), "null"),
        ("syncbatchnorm1_running_var", (3,), "null")]
    deferred.initialize()
    deferred(nd.ones((2, 3, 4)))
    assert repr(deferred).endswith("key='syncbatchnorm0_', in_channels=3)")
