"""Gluon's basic layers and activations: eager equals hybridized (forward and gradients)
and the forward pass equals a float64 NumPy reference computed from the layer's own
parameters, in float32 and float64."""
from __future__ import annotations

import math

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, nd
from mxjit.gluon import nn

from .layer_check import eager_and_hybrid

RNG = np.random.RandomState(3)


def params_np(net):
    return {k: p.data().asnumpy().astype(np.float64)
            for k, p in net._collect_params_with_prefix().items()}


def run_np_check(make, x, reference, dtype, train=False, rtol=None):
    """Build, initialise and call the layer on `x` (cast to `dtype`) in predict mode
    unless `train`, and compare with `reference(x64, params)`."""
    net = make()
    net.initialize(mx.init.Normal(0.5))
    net(nd.array(x))  # (finishes deferred shapes, in float32)
    net.cast(dtype)
    p = params_np(net)
    with autograd.record(train_mode=train):
        got = net(nd.array(x, dtype=dtype)).asnumpy()
    assert got.dtype == np.dtype(dtype)
    tol = rtol or (1e-5 if dtype == "float32" else 1e-10)
    np.testing.assert_allclose(got, reference(x.astype(np.float64), p), rtol=tol, atol=tol)


def batchnorm_ref(x, p, axis=1, eps=1e-5, train=False):
    shape = [1] * x.ndim
    shape[axis] = -1
    axes = tuple(k for k in range(x.ndim) if k != axis)
    mean = x.mean(axis=axes) if train else p["running_mean"]
    var = x.var(axis=axes) if train else p["running_var"]
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
            * p["gamma"].reshape(shape) + p["beta"].reshape(shape))


def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2)))


SELU_ALPHA, SELU_LAMBDA = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

LAYERS = {
    "Dense": (lambda: nn.Dense(4), (3, 5),
              lambda x, p: x @ p["weight"].T + p["bias"]),
    "Dense relu flatten": (lambda: nn.Dense(4, activation="relu"), (2, 3, 4),
                           lambda x, p: np.maximum(x.reshape(2, -1) @ p["weight"].T
                                                   + p["bias"], 0)),
    "Dense flatten=False no bias": (lambda: nn.Dense(4, flatten=False, use_bias=False),
                                    (2, 3, 5), lambda x, p: x @ p["weight"].T),
    "BatchNorm": (lambda: nn.BatchNorm(), (4, 3, 2), batchnorm_ref),
    "BatchNorm axis -1": (lambda: nn.BatchNorm(axis=-1), (4, 3),
                          lambda x, p: batchnorm_ref(x, p, axis=1)),
    "BatchNormReLU": (lambda: nn.BatchNormReLU(), (4, 3),
                      lambda x, p: np.maximum(batchnorm_ref(x, p), 0)),
    "LayerNorm": (lambda: nn.LayerNorm(), (3, 6),
                  lambda x, p: (x - x.mean(-1, keepdims=True))
                  / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * p["gamma"] + p["beta"]),
    "InstanceNorm": (lambda: nn.InstanceNorm(scale=True), (2, 3, 5),
                     lambda x, p: (x - x.mean(2, keepdims=True))
                     / np.sqrt(x.var(2, keepdims=True) + 1e-5) * p["gamma"][:, None]
                     + p["beta"][:, None]),
    "GroupNorm": (lambda: nn.GroupNorm(num_groups=2), (2, 4, 3),
                  lambda x, p: ((lambda g: (g - g.mean(axis=(2, 3), keepdims=True))
                                 / np.sqrt(g.var(axis=(2, 3), keepdims=True) + 1e-5))(
                      x.reshape(2, 2, 2, 3)) * p["gamma"][None, :, None, None]
                                + p["beta"][None, :, None, None]).reshape(2, 4, 3)),
    "Flatten": (lambda: nn.Flatten(), (2, 3, 4), lambda x, p: x.reshape(2, -1)),
    "Activation tanh": (lambda: nn.Activation("tanh"), (3, 4), lambda x, p: np.tanh(x)),
    "Activation softrelu": (lambda: nn.Activation("softrelu"), (3, 4),
                            lambda x, p: np.log1p(np.exp(x))),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), (3, 4), lambda x, p: np.where(x > 0, x, 0.1 * x)),
    "PReLU": (lambda: nn.PReLU(), (3, 4), lambda x, p: np.where(x > 0, x, p["alpha"] * x)),
    "ELU": (lambda: nn.ELU(0.7), (3, 4), lambda x, p: np.where(x > 0, x, 0.7 * np.expm1(x))),
    "SELU": (lambda: nn.SELU(), (3, 4),
             lambda x, p: SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    "GELU": (lambda: nn.GELU(), (3, 4), lambda x, p: gelu(x)),
    "Swish": (lambda: nn.Swish(1.5), (3, 4), lambda x, p: x / (1 + np.exp(-1.5 * x))),
    "Dropout predict": (lambda: nn.Dropout(0.5), (3, 4), lambda x, p: x),
    "HybridLambda": (lambda: nn.HybridLambda(lambda F, x: F.relu(x) * 2), (3, 4),
                     lambda x, p: np.maximum(x, 0) * 2),
    "HybridLambda by name": (lambda: nn.HybridLambda("tanh"), (3, 4), lambda x, p: np.tanh(x)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_numpy(name, dtype):
    make, shape, reference = LAYERS[name]
    run_np_check(make, RNG.randn(*shape), reference, dtype)


@pytest.mark.parametrize("name", [n for n in LAYERS if n != "Dropout predict"])
def test_layer_eager_equals_hybridized(name):
    make, shape, _ = LAYERS[name]
    eager_and_hybrid(make, [RNG.randn(*shape).astype(np.float32)],
                     head=RNG.randn(*shape[:1], 4).astype(np.float32) if "Dense" in name
                     and "flatten=False" not in name else None)


def test_batchnorm_training_uses_batch_statistics_and_moves_running_ones():
    x = RNG.randn(6, 3, 2)
    run_np_check(lambda: nn.BatchNorm(), x, lambda x, p: batchnorm_ref(x, p, train=True),
                 "float64", train=True)
    net = nn.BatchNorm(momentum=0.8, in_channels=3)
    net.initialize()
    with autograd.record():
        y = net(nd.array(x))
    y.backward()
    np.testing.assert_allclose(net.running_mean.data().asnumpy(),
                               0.2 * x.mean(axis=(0, 2)), rtol=1e-5)
    np.testing.assert_allclose(net.running_var.data().asnumpy(),
                               0.8 + 0.2 * x.var(axis=(0, 2)), rtol=1e-5)


def test_batchnorm_use_global_stats_in_training():
    x = RNG.randn(4, 3)
    run_np_check(lambda: nn.BatchNorm(use_global_stats=True), x, batchnorm_ref, "float64",
                 train=True)


def test_dropout_in_training_zeroes_and_scales_and_shares_along_axes():
    mx.random.seed(1)
    with autograd.record():
        y = nn.Dropout(0.5)(nd.ones((200, 50))).asnumpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    with autograd.record():
        y = nn.Dropout(0.5, axes=(1,))(nd.ones((20, 30))).asnumpy()
    assert all(len(set(row)) == 1 for row in y)
    eager_and_hybrid(lambda: nn.Dropout(0.4), [RNG.randn(5, 6).astype(np.float32)])


def test_embedding_rows_and_gradient():
    net = nn.Embedding(10, 3)
    net.initialize()
    idx = np.array([[1, 3], [3, 9]], dtype=np.float32)
    with autograd.record():
        y = net(nd.array(idx))
    y.backward()
    w = net.weight.data().asnumpy()
    np.testing.assert_array_equal(y.asnumpy(), w[idx.astype(int)])
    g = net.weight.grad().asnumpy()
    np.testing.assert_array_equal(g[:, 0], [0, 1, 0, 2, 0, 0, 0, 0, 0, 1])
    eager_and_hybrid(lambda: nn.Embedding(10, 3), [idx])


def test_lambda_runs_eagerly_and_names_its_function():
    block = nn.Lambda(lambda x: x * 3)
    np.testing.assert_array_equal(block(nd.ones((2,))).asnumpy(), [3, 3])
    assert repr(nn.Lambda("exp")) == "Lambda(exp)"
    with pytest.raises(AssertionError, match="not found"):
        nn.Lambda("no_such_op")
    with pytest.raises(ValueError, match="Unrecognized function"):
        nn.HybridLambda(3)


def test_leaky_relu_refuses_a_negative_slope():
    with pytest.raises(AssertionError, match="no less than 0"):
        nn.LeakyReLU(-0.1)


def test_dense_infers_in_units_and_refuses_a_changed_input_width():
    net = nn.Dense(2)
    net.initialize()
    net(nd.ones((3, 4, 5)))
    assert net.weight.shape == (2, 20)
    with pytest.raises(mx.MXNetError):
        net(nd.ones((3, 7)))
