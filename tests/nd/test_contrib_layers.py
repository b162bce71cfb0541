"""mx.nd.contrib.SyncBatchNorm, BatchNormWithReLU and SparseEmbedding against NumPy
references and the nn layers they reuse, eagerly, under `mx.jit` and through autograd."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, ParamError, ShapeError, UnsupportedError
from tests.helpers import check_grads

C = mx.nd.contrib
RNG = np.random.default_rng(0)


def bn_ref(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray,
           var: np.ndarray, eps: float) -> np.ndarray:
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape)
            + beta.reshape(shape))


def params(c: int = 3) -> list[np.ndarray]:
    return [RNG.uniform(0.5, 2, c), RNG.uniform(-1, 1, c), RNG.uniform(-0.5, 0.5, c),
            RNG.uniform(0.5, 2, c)]


@pytest.mark.parametrize("shape", [(2, 3, 2, 2), (4, 3), (2, 3, 5), (1, 3, 1, 1, 2)])
def test_sync_batch_norm_predicts_with_the_moving_statistics(shape) -> None:
    x = RNG.standard_normal(shape)
    gamma, beta, mean, var = params()
    args = [mx.nd.array(a) for a in (x, gamma, beta, mean, var)]
    got = C.SyncBatchNorm(*args, key="bn", fix_gamma=False)
    np.testing.assert_allclose(got.asnumpy(), bn_ref(x, gamma, beta, mean, var, 1e-3),
                               rtol=1e-5, atol=1e-6)
    fixed = C.SyncBatchNorm(*args, key="bn", eps=0.1)  # fix_gamma=True by default
    np.testing.assert_allclose(fixed.asnumpy(), bn_ref(x, np.ones(3), beta, mean, var, 0.1),
                               rtol=1e-5, atol=1e-6)
    out, m, v = C.SyncBatchNorm(*args, key="bn", output_mean_var=True)
    np.testing.assert_allclose(m.asnumpy(), mean, rtol=1e-6)
    np.testing.assert_allclose(v.asnumpy(), var, rtol=1e-6)
    m[:] = 0  # (new arrays, not the moving statistics themselves)
    assert args[3].asnumpy().any()
    jitted = mx.jit(lambda *a: C.SyncBatchNorm(*a, key="bn", fix_gamma=False))(*args)
    np.testing.assert_allclose(jitted.asnumpy(), got.asnumpy(), rtol=1e-6, atol=1e-7)


def test_sync_batch_norm_training_values_copied_from_mxnet() -> None:
    # MXNet 1.9.1 (ndev=1): the batch mean and variance it returns, and the gradients of
    # sum(y * y) for gamma and beta
    x = mx.nd.array(np.random.RandomState(0).randn(2, 3, 2, 2))
    gamma, beta = mx.nd.array([1.5, 0.5, 2.0]), mx.nd.array([0.1, 0.2, 0.3])
    mean, var = mx.nd.array([0.1, -0.1, 0.2]), mx.nd.array([1.0, 2.0, 0.5])
    for a in (x, gamma, beta):
        a.attach_grad()
    with mx.autograd.record():
        y, m, v = C.SyncBatchNorm(x, gamma, beta, mean, var, key="b", fix_gamma=False,
                                  output_mean_var=True)
        loss = (y * y).sum()
    loss.backward()
    np.testing.assert_allclose(m.asnumpy(), [0.88051134, 0.30461302, 0.01607457], rtol=1e-5)
    np.testing.assert_allclose(v.asnumpy(), [0.49393398, 0.9659954, 1.3194838], rtol=1e-5)
    np.testing.assert_allclose(gamma.grad.asnumpy(), [23.951504, 7.991727, 31.975767],
                               rtol=1e-4)
    np.testing.assert_allclose(beta.grad.asnumpy(), [1.6, 3.2, 4.8], rtol=1e-4)
    # mxjit updates the moving statistics in the forward pass (MXNet: in the backward pass)
    np.testing.assert_allclose(mean.asnumpy(), np.array([0.1, -0.1, 0.2]) * 0.9
                               + m.asnumpy() * 0.1, rtol=1e-6)
    np.testing.assert_allclose(var.asnumpy(), np.array([1.0, 2.0, 0.5]) * 0.9
                               + v.asnumpy() * 0.1, rtol=1e-6)


def test_sync_batch_norm_gradients_are_batch_norms() -> None:
    x = RNG.standard_normal((2, 3, 4))
    gamma, beta, mean, var = params()
    check_grads(lambda d, g, b: C.SyncBatchNorm(d, g, b, mx.nd.array(mean, dtype="float64"),
                                                mx.nd.array(var, dtype="float64"), key="k",
                                                fix_gamma=False), [x, gamma, beta])
    grads = []
    for op in (lambda *a: C.SyncBatchNorm(*a, key="k", fix_gamma=False),
               lambda *a: mx.nd.BatchNorm(*a, fix_gamma=False)):
        args = [mx.nd.array(a) for a in (x, gamma, beta, mean, var)]
        for a in args[:3]:
            a.attach_grad()
        with mx.autograd.record():
            loss = (op(*args) ** 3).sum()
        loss.backward()
        grads.append([a.grad.asnumpy() for a in args[:3]])
    for ours, batch_norm in zip(*grads):
        np.testing.assert_allclose(ours, batch_norm, rtol=1e-6, atol=1e-7)


def test_batch_norm_with_relu() -> None:
    x = RNG.standard_normal((2, 3, 2, 2))
    gamma, beta, mean, var = params()
    args = [mx.nd.array(a) for a in (x, gamma, beta, mean, var)]
    ref = np.maximum(bn_ref(x, gamma, beta, mean, var, 1e-3), 0)
    got = C.BatchNormWithReLU(*args, fix_gamma=False)
    np.testing.assert_allclose(got.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    y, m, inv = C.BatchNormWithReLU(*args, fix_gamma=False, output_mean_var=True)
    _, bm, binv = mx.nd.BatchNorm(*args, fix_gamma=False, output_mean_var=True)
    np.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(m.asnumpy(), bm.asnumpy())
    np.testing.assert_array_equal(inv.asnumpy(), binv.asnumpy())
    last = np.moveaxis(x, 1, -1)
    got = C.BatchNormWithReLU(mx.nd.array(last), *args[1:], axis=-1, fix_gamma=False)
    np.testing.assert_allclose(got.asnumpy(), np.moveaxis(ref, 1, -1), rtol=1e-5, atol=1e-6)
    jitted = mx.jit(lambda *a: C.BatchNormWithReLU(*a, fix_gamma=False))(*args)
    np.testing.assert_allclose(jitted.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    check_grads(lambda d, g, b: C.BatchNormWithReLU(d, g, b, mx.nd.array(mean, dtype="float64"),
                                                    mx.nd.array(var, dtype="float64"),
                                                    fix_gamma=False),
                [x, gamma, beta], order=1)


def test_sparse_embedding_is_embedding_with_a_dense_gradient() -> None:
    weight = RNG.standard_normal((4, 3))
    idx = np.array([[0, 3], [5, -1], [2, 2]])
    got = C.SparseEmbedding(mx.nd.array(idx), mx.nd.array(weight), input_dim=4, output_dim=3)
    assert got.shape == (3, 2, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got.asnumpy(), weight[np.clip(idx, 0, 3)], rtol=1e-6)
    w = mx.nd.array(weight)
    w.attach_grad()
    with mx.autograd.record():
        y = C.SparseEmbedding(mx.nd.array([0, 2, 2]), w, input_dim=4, output_dim=3)
    y.backward()
    np.testing.assert_array_equal(w.grad.asnumpy(), [[1, 1, 1], [0, 0, 0], [2, 2, 2], [0, 0, 0]])
    jitted = mx.jit(lambda d, v: C.SparseEmbedding(d, v, input_dim=4, output_dim=3))
    np.testing.assert_array_equal(jitted(mx.nd.array(idx), w).asnumpy(), got.asnumpy())
    empty = C.SparseEmbedding(mx.nd.zeros((0,)), w, input_dim=4, output_dim=3)
    assert empty.shape == (0, 3)


@pytest.mark.parametrize("call, error, match", [
    (lambda a: C.SyncBatchNorm(*a), ParamError, "'key' is required"),
    (lambda a: C.SyncBatchNorm(*a, key=3), ArgumentError, "key must be a string"),
    (lambda a: C.SyncBatchNorm(*a, key="k", ndev=0), ParamError, "at least 1"),
    (lambda a: C.SyncBatchNorm(*a, key="k", ndev=2), UnsupportedError, "ndev=2"),
    (lambda a: C.SyncBatchNorm(*a, key="k", ndev=1.5), ArgumentError, "ndev must be an int"),
    (lambda a: C.SparseEmbedding(mx.nd.array([0]), a[0][0], input_dim=5, output_dim=2),
     ShapeError, "SparseEmbedding: weight"),
])
def test_errors(call, error, match) -> None:
    args = [mx.nd.ones((2, 3, 2)), *(mx.nd.ones((3,)) for _ in range(4))]
    with pytest.raises(error, match=match):
        call(args)
