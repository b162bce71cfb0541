"""The legacy BatchNorm_v1, Convolution_v1 and Pooling_v1 against float64 NumPy references
written here (checked against MXNet 1.9.1: its symbol executor for BatchNorm_v1, whose
mx.nd form cannot be given the moving statistics), eagerly and under mx.jit, with
gradients and every user error.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError
from tests.helpers import assert_eager_and_jit, check_grads, numerical_grad

nd = mx.nd


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


# ---- BatchNorm_v1 ------------------------------------------------------------------------


def batch_norm_np(x, gamma, beta, mean, var, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape)
            + beta.reshape(shape))


def batch_stats(x):
    axes = (0,) + tuple(range(2, x.ndim))
    return x.mean(axis=axes), x.var(axis=axes)


BN = dict(x=rand(3, 2, 2, 3), gamma=np.array([0.7, 1.4]), beta=np.array([0.2, -0.5]),
          mean=np.array([0.1, -0.3]), var=np.array([0.8, 1.9]))


def bn_arrays(x=None):
    return [nd.array(v, dtype="float64") for v in (BN["x"] if x is None else x, BN["gamma"],
                                                   BN["beta"], BN["mean"], BN["var"])]


@pytest.mark.parametrize("fix_gamma", [True, False])
@pytest.mark.parametrize("shape", [(3, 2, 2, 3), (4, 2)])
def test_batch_norm_v1_training_normalises_and_updates(fix_gamma, shape):
    x = rand(*shape, seed=1)
    args = bn_arrays(x)
    args[0].attach_grad()
    with mx.autograd.record():
        out, mean, var = nd.BatchNorm_v1(*args, eps=1e-3, momentum=0.8, fix_gamma=fix_gamma,
                                         output_mean_var=True)
    np.testing.assert_array_equal(args[3].asnumpy(), BN["mean"])  # (updated by backward)
    out.backward()
    bm, bv = batch_stats(x)
    gamma = np.ones(2) if fix_gamma else BN["gamma"]
    np.testing.assert_allclose(out.asnumpy(), batch_norm_np(x, gamma, BN["beta"], bm, bv, 1e-3),
                               rtol=1e-10)
    np.testing.assert_allclose(mean.asnumpy(), bm, rtol=1e-12)
    np.testing.assert_allclose(var.asnumpy(), bv, rtol=1e-12)  # (the variance, not 1/std)
    np.testing.assert_allclose(args[3].asnumpy(), 0.8 * BN["mean"] + 0.2 * bm, rtol=1e-12)
    np.testing.assert_allclose(args[4].asnumpy(), 0.8 * BN["var"] + 0.2 * bv, rtol=1e-12)


@pytest.mark.parametrize("train, global_stats", [(False, False), (True, True)])
def test_batch_norm_v1_with_moving_statistics(train, global_stats):
    args = bn_arrays()
    with mx.autograd.record(train_mode=train):
        out, mean, var = nd.BatchNorm_v1(*args, fix_gamma=False, use_global_stats=global_stats,
                                         output_mean_var=True)
    want = batch_norm_np(BN["x"], BN["gamma"], BN["beta"], BN["mean"], BN["var"], 1e-3)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-12)
    np.testing.assert_array_equal(mean.asnumpy(), BN["mean"])
    np.testing.assert_array_equal(var.asnumpy(), BN["var"])
    np.testing.assert_array_equal(args[3].asnumpy(), BN["mean"])  # not updated
    single = nd.BatchNorm_v1(*bn_arrays(), fix_gamma=False)
    assert isinstance(single, nd.NDArray)
    assert_eager_and_jit(lambda *a: nd.BatchNorm_v1(*a, fix_gamma=False), want,
                         BN["x"], BN["gamma"], BN["beta"], BN["mean"], BN["var"])


def test_batch_norm_v1_training_gradients():
    x, gamma, beta = rand(3, 2, 2, 2, seed=2), BN["gamma"], BN["beta"]

    def loss_np(xv, gv, bv):
        return float((batch_norm_np(xv, gv, bv, *batch_stats(xv), 1e-3) ** 3).sum())

    args = [nd.array(v, dtype="float64") for v in (x, gamma, beta)]
    for a in args:
        a.attach_grad()
    with mx.autograd.record():
        y = nd.BatchNorm_v1(*args, nd.array(BN["mean"], dtype="float64"),
                            nd.array(BN["var"], dtype="float64"), fix_gamma=False)
        loss = (y ** 3).sum()
    loss.backward()
    for k, a in enumerate(args):
        np.testing.assert_allclose(a.grad.asnumpy(), numerical_grad(loss_np, [x, gamma, beta], k),
                                   rtol=1e-6, atol=1e-8)


def test_batch_norm_v1_fixed_gamma_has_zero_gradient():
    args = bn_arrays()
    args[1].attach_grad()
    with mx.autograd.record():
        y = nd.BatchNorm_v1(*args)
    y.backward()
    np.testing.assert_array_equal(args[1].grad.asnumpy(), [0, 0])
    np.testing.assert_array_equal(args[1].asnumpy(), BN["gamma"])  # (MXNet writes 1 into it)


@pytest.mark.parametrize("shape, error", [((2, 2, 3), ShapeError), ((2,), ShapeError)])
def test_batch_norm_v1_errors(shape, error):
    with pytest.raises(error, match=r"must be \(N, C\) or \(N, C, H, W\)"):
        nd.BatchNorm_v1(nd.ones(shape), nd.ones(2), nd.zeros(2), nd.zeros(2), nd.ones(2))


# ---- Convolution_v1 ----------------------------------------------------------------------


def conv_np(x, w, b, stride, dilate, pad, groups):
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])])
    ho = (h + 2 * pad[0] - dilate[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + 2 * pad[1] - dilate[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, f, ho, wo))
    fg = f // groups
    for i, j in itertools.product(range(kh), range(kw)):
        y0, x0 = i * dilate[0], j * dilate[1]
        patch = xp[:, :, y0:y0 + (ho - 1) * stride[0] + 1:stride[0],
                   x0:x0 + (wo - 1) * stride[1] + 1:stride[1]]
        for g in range(groups):
            out[:, g * fg:(g + 1) * fg] += np.einsum(
                "fc,ncyx->nfyx", w[g * fg:(g + 1) * fg, :, i, j], patch[:, g * cg:(g + 1) * cg])
    return out + b[None, :, None, None]


def test_convolution_v1_matches_numpy():
    x, w, b = rand(2, 4, 6, 5), rand(6, 2, 3, 2, seed=1), rand(6, seed=2)
    kw = dict(kernel=(3, 2), stride=(2, 1), dilate=(1, 2), pad=(1, 1), num_filter=6,
              num_group=2)
    assert_eager_and_jit(lambda *a: nd.Convolution_v1(*a, **kw),
                         conv_np(x, w, b, (2, 1), (1, 2), (1, 1), 2), x, w, b,
                         rtol=1e-10, atol=1e-10)
    got = nd.Convolution_v1(nd.array(x), nd.array(w), kernel=(3, 2), num_filter=6, num_group=2,
                            no_bias=True, cudnn_tune="fastest", layout="NCHW")
    np.testing.assert_allclose(got.asnumpy(), conv_np(x, w, np.zeros(6), (1, 1), (1, 1), (0, 0),
                                                      2), rtol=1e-5, atol=1e-5)


def test_convolution_v1_gradients():
    check_grads(lambda *a: nd.Convolution_v1(*a, kernel=(2, 2), num_filter=2, pad=(1, 0)),
                [rand(1, 1, 3, 3), rand(2, 1, 2, 2, seed=1), rand(2, seed=2)], order=2)


@pytest.mark.parametrize("kwargs, match", [
    ({"kernel": (3,)}, "2-D only"), ({"kernel": (1, 1, 1)}, "2-D only"),
    ({"layout": "NHWC"}, "layout must be 'NCHW'"),
])
def test_convolution_v1_errors(kwargs, match):
    with pytest.raises(ParamError, match=match):
        nd.Convolution_v1(nd.ones((1, 1, 3, 3)), nd.ones((1, 1, 1, 1)), nd.zeros(1),
                          **{"kernel": (1, 1), "num_filter": 1, **kwargs})


# ---- Pooling_v1 --------------------------------------------------------------------------


def pooling_v1_np(x, kernel, stride, pad, pool_type, full):
    """MXNet's legacy rule: zero padding for every type, windows clipped at the padded
    data's end, average over the whole kernel area."""
    n, c, h, w = x.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])])
    rnd = math.ceil if full else math.floor
    ho, wo = (rnd((d + 2 * p - k) / s) + 1 for d, p, k, s in zip((h, w), pad, kernel, stride))
    out = np.zeros((n, c, ho, wo))
    for i, j in itertools.product(range(ho), range(wo)):
        win = xp[:, :, i * stride[0]:i * stride[0] + kernel[0],
                 j * stride[1]:j * stride[1] + kernel[1]]
        out[:, :, i, j] = {"max": lambda v: v.max(axis=(2, 3)),
                           "sum": lambda v: v.sum(axis=(2, 3)),
                           "avg": lambda v: v.sum(axis=(2, 3)) / (kernel[0] * kernel[1])
                           }[pool_type](win)
    return out


POOLS = [((2, 2), (1, 1), (1, 1), "max", False), ((3, 2), (2, 2), (1, 0), "avg", True),
         ((2, 3), (2, 2), (0, 0), "sum", True), ((2, 2), (2, 2), (0, 0), "max", True)]


@pytest.mark.parametrize("kernel, stride, pad, pool_type, full", POOLS)
def test_pooling_v1_matches_numpy(kernel, stride, pad, pool_type, full):
    x = rand(2, 3, 5, 6) - 1.0  # (mostly negative: max pooling sees the zero padding)
    kw = dict(kernel=kernel, stride=stride, pad=pad, pool_type=pool_type,
              pooling_convention="full" if full else "valid")
    assert_eager_and_jit(lambda v: nd.Pooling_v1(v, **kw),
                         pooling_v1_np(x, kernel, stride, pad, pool_type, full), x)


def test_pooling_v1_mxnet_values():
    # (outputs of MXNet 1.9.1's Pooling_v1 on -1 .. -9)
    x = -nd.array(np.arange(1, 10).reshape(1, 1, 3, 3))
    got = nd.Pooling_v1(x, kernel=(2, 2), pad=(1, 1), pool_type="max").asnumpy()[0, 0]
    np.testing.assert_array_equal(got, [[0, 0, 0, 0], [0, -1, -2, 0], [0, -4, -5, 0],
                                        [0, 0, 0, 0]])
    got = nd.Pooling_v1(x, kernel=(2, 2), stride=(2, 2), pool_type="avg",
                        pooling_convention="full").asnumpy()[0, 0]
    np.testing.assert_array_equal(got, [[-3, -2.25], [-3.75, -2.25]])


@pytest.mark.parametrize("pool_type, reduce", [("max", np.max), ("avg", np.mean),
                                               ("sum", np.sum)])
def test_pooling_v1_global(pool_type, reduce):
    x = rand(2, 3, 4, 5)
    want = reduce(x, axis=(2, 3), keepdims=True)
    assert_eager_and_jit(lambda v: nd.Pooling_v1(v, pool_type=pool_type, global_pool=True,
                                                 pad=(1, 1)), want, x, rtol=1e-12)


@pytest.mark.parametrize("pool_type", ["avg", "max"])
def test_pooling_v1_gradients(pool_type):
    check_grads(lambda v: nd.Pooling_v1(v, kernel=(2, 2), stride=(2, 1), pad=(1, 0),
                                        pool_type=pool_type) ** 2, [rand(1, 2, 4, 4, seed=3)],
                order=2)


@pytest.mark.parametrize("data, kwargs, error, match", [
    ((1, 1, 3, 3), {"pool_type": "lp"}, ParamError, "'max', 'avg' or 'sum'"),
    ((1, 1, 3, 3), {"pooling_convention": "same"}, ParamError, "'valid' or 'full'"),
    ((1, 3, 3), {"kernel": (2,)}, ShapeError, "must be 4-D"),
    ((1, 1, 3, 3), {"kernel": (2, 2, 2)}, ParamError, "2-D only"),
    ((1, 1, 3, 3), {}, ParamError, "2-D only"),
    ((1, 1, 3, 3), {"kernel": (4, 4)}, ShapeError, "larger than the data"),
])
def test_pooling_v1_errors(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        nd.Pooling_v1(nd.ones(data), **kwargs)


def test_pooling_v1_needs_floats():
    with pytest.raises(DTypeError, match="floating-point"):
        nd.Pooling_v1(nd.ones((1, 1, 2, 2), dtype="int32"), kernel=(2, 2))
