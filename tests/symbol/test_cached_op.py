"""`mx.nd.CachedOp`: a symbol called on arrays as one compiled, recorded operation (MXNet's
test_ndarray.py::test_cached does the same)."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, ShapeError


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def test_a_cached_op_runs_its_symbol_and_writes_into_out():
    op = mx.nd.CachedOp(mx.sym.Convolution(kernel=(3, 3), num_filter=10) + 2)
    data, weight, bias = mx.nd.ones((3, 4, 10, 10)), mx.nd.ones((10, 4, 3, 3)), mx.nd.ones(10)
    first = op(data, weight, bias)
    assert first.shape == (3, 10, 8, 8) and np.all(first.asnumpy() == 36 + 1 + 2)
    bias[:] = 2
    out = mx.nd.zeros((3, 10, 8, 8))
    assert op(data, weight, bias, out=out) is out
    np.testing.assert_array_equal(out.asnumpy(), first.asnumpy() + 1)
    # (another input shape is another compiled signature)
    assert op(mx.nd.ones((5, 2, 10, 10)), mx.nd.ones((10, 2, 3, 3)), bias).shape == (
        5, 10, 8, 8)


def test_a_cached_op_is_differentiable_under_record():
    x = mx.sym.var("x")
    op = mx.nd.CachedOp(mx.sym.sum(mx.sym.square(x) * mx.sym.var("w")))
    xv, wv = mx.nd.array([1.0, 2.0, 3.0]), mx.nd.array([0.5, -1.0, 2.0])
    xv.attach_grad()
    wv.attach_grad()
    with mx.autograd.record():
        loss = op(xv, wv) * 2
    loss.backward()
    np.testing.assert_allclose(xv.grad.asnumpy(), 4 * xv.asnumpy() * wv.asnumpy())
    np.testing.assert_allclose(wv.grad.asnumpy(), 2 * xv.asnumpy() ** 2)


def test_a_cached_op_updates_auxiliary_states_in_training():
    net = mx.sym.BatchNorm(mx.sym.var("data"), name="bn", momentum=0.5)
    op = mx.nd.CachedOp(net)
    assert net.list_inputs() == ["data", "bn_gamma", "bn_beta", "bn_moving_mean",
                                 "bn_moving_var"]
    data = mx.nd.array(np.arange(12, dtype=np.float32).reshape(4, 3))
    mean, var = mx.nd.zeros(3), mx.nd.ones(3)
    data.attach_grad()
    with mx.autograd.record():
        op(data, mx.nd.ones(3), mx.nd.zeros(3), mean, var).backward()
    np.testing.assert_allclose(mean.asnumpy(), 0.5 * data.asnumpy().mean(axis=0), rtol=1e-6)


def test_cached_op_user_errors():
    op = mx.nd.CachedOp(mx.sym.var("a") + mx.sym.var("b"))
    with pytest.raises(ArgumentError, match=r"takes 2 inputs \(\['a', 'b'\]\), got 1"):
        op(mx.nd.ones(2))
    with pytest.raises(ShapeError, match=r"out has shape \(3,\), the output \(2,\)"):
        op(mx.nd.ones(2), mx.nd.ones(2), out=mx.nd.zeros(3))
    with pytest.raises(ArgumentError, match="out has 2 arrays for 1 outputs"):
        op(mx.nd.ones(2), mx.nd.ones(2), out=[mx.nd.zeros(2), mx.nd.zeros(2)])
