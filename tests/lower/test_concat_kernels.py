"""A concatenation of equal pieces (an LSTM's four gates) is one loop nest over a piece
with a store per piece (lower/emit.py), not a per-element choice of the piece; pick's
gradient is an elementwise spread that fuses, not a scatter into a dense array."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit import nd


def _kernels(f, *args):
    return [t for t in mx.jit(f).lower(*args).program.plan_text if "kernel" in t]


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_equal_pieces_are_stores_of_one_loop_nest(axis):
    rng = np.random.default_rng(0)
    parts = [rng.standard_normal((3, 4, 5)).astype(np.float32) for _ in range(4)]

    def f(a, b, c, d):
        return nd.concat(nd.exp(a), b * 2, nd.tanh(c), d + 1, dim=axis)

    (kernel,) = _kernels(f, *(nd.array(p) for p in parts))
    # (a piece's loops, merged where the stores stay affine; the whole would be 240 long)
    assert f"dims={ {0: (60,), 1: (3, 20), 2: (12, 5)}[axis] }" in kernel
    want = np.concatenate([np.exp(parts[0]), parts[1] * 2, np.tanh(parts[2]), parts[3] + 1],
                          axis=axis)
    got = mx.jit(f)(*(nd.array(p) for p in parts)).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_unequal_pieces_keep_the_general_concatenation():
    a, b = nd.ones((2, 3)), nd.zeros((2, 5))
    (kernel,) = _kernels(lambda x, y: nd.concat(x + 1, y - 1, dim=1), a, b)
    assert "dims=(2, 8)" in kernel or "(16,)" in kernel
    got = mx.jit(lambda x, y: nd.concat(x + 1, y - 1, dim=1))(a, b).asnumpy()
    np.testing.assert_array_equal(got, np.concatenate([np.full((2, 3), 2.0),
                                                       np.full((2, 5), -1.0)], axis=1))


def test_the_gradient_of_an_equal_concatenation_flows_to_each_piece():
    x = nd.array(np.arange(6.0).reshape(2, 3))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.jit(lambda v: nd.concat(v * 2, v * 3, dim=0))(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full((2, 3), 5.0))


def test_picks_gradient_is_elementwise_not_a_scatter():
    logits = nd.array(np.random.default_rng(1).standard_normal((6, 7)).astype(np.float32))
    labels = nd.array([0, 3, 6, 2, 9, -1])  # (clipped into range, as MXNet)

    def loss(x, y):
        return -nd.pick(nd.log_softmax(x), y, axis=1).sum()

    text = mx.jit(mx.grad(loss)).lower(logits, labels).as_text()
    assert "scatter_add" not in text.split("plan:")[-1]
    got = mx.grad(loss)(logits, labels).asnumpy()
    soft = np.exp(logits.asnumpy())
    soft /= soft.sum(axis=1, keepdims=True)
    soft[np.arange(6), np.clip([0, 3, 6, 2, 9, -1], 0, 6)] -= 1
    np.testing.assert_allclose(got, soft, rtol=1e-5, atol=1e-6)
