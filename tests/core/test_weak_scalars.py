"""Python numbers passed to a jitted function are traced as weakly typed 0-d values: a new
value never recompiles, and each behaves as the Python number it stands for (it takes the
dtype of the arrays it meets; ints meeting floats, or divided, become floats)."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError

nd = mx.nd


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "uint8"])
def test_a_scalar_argument_takes_the_arrays_dtype_as_the_number_would(dtype):
    x = nd.array([1, 2, 3], dtype=dtype)
    f = mx.jit(lambda x, a, b: x * a + b)
    for a, b in [(2, 1), (3, 0), (2.0, 1.5)]:
        got = f(x, a, b)
        want = x * a + b  # (eagerly: Python numbers take the array's dtype)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())
    assert "2 signature(s)" in repr(f)  # (ints, then floats: two signatures, not six)


def test_a_learning_rate_schedule_compiles_once():
    w, g = nd.ones(4), nd.full((4,), 0.5)
    step = mx.jit(lambda w, g, lr: w - lr * g)
    for k in range(20):
        w = step(w, g, 0.1 * 0.9 ** k)
    want = 1 - 0.5 * sum(0.1 * 0.9 ** k for k in range(20))
    np.testing.assert_allclose(w.asnumpy(), want, rtol=1e-6)
    assert "1 signature(s)" in repr(step)


def test_scalars_follow_python_arithmetic_among_themselves():
    x = nd.ones(2)
    f = mx.jit(lambda x, lr, k: x * (lr * 0.5 ** k))
    np.testing.assert_allclose(f(x, 1.0, 2).asnumpy(), [0.25, 0.25])
    np.testing.assert_allclose(mx.jit(lambda x, k, j: x * (k / j))(x, 3, 2).asnumpy(), [1.5, 1.5])
    np.testing.assert_allclose(mx.jit(lambda x, k: x * (k / 2))(x, 3).asnumpy(), [1.5, 1.5])
    # an integer array divided by a scalar stays an integer division, as eagerly
    xi = nd.array([3, 4], dtype="int32")
    assert mx.jit(lambda x, k: x / k)(xi, 2).asnumpy().tolist() == (xi / 2).asnumpy().tolist()


def test_grad_with_respect_to_a_python_float():
    g = mx.grad(lambda x: x * x * 3)(2.0)
    assert float(g.asnumpy()) == 12.0
    dw = mx.grad(lambda w, lr: (w * lr).sum())(nd.ones(3), 0.5)
    np.testing.assert_allclose(dw.asnumpy(), [0.5, 0.5, 0.5])


def test_static_argnums_keep_a_scalar_static_and_a_traced_one_says_so():
    f = mx.jit(lambda x, n: x.reshape((n, -1)), static_argnums=1)
    assert f(nd.ones(6), 2).shape == (2, 3) and f(nd.ones(6), 3).shape == (3, 2)
    with pytest.raises(ArgumentError, match="mark the argument static"):
        mx.jit(lambda x, n: x.reshape((n, -1)))(nd.ones(6), 2)
    with pytest.raises(ArgumentError, match="mark the argument static"):
        mx.jit(lambda x, n: nd.one_hot(x, n))(nd.ones(2), 3)
    with pytest.raises(ArgumentError, match="does not fit in int64"):
        mx.jit(lambda x, n: x * n)(nd.ones(2), 2 ** 70)


def test_bools_stay_static_and_scalars_work_on_the_tape():
    f = mx.jit(lambda x, flag: x * 2 if flag else x)
    assert f(nd.ones(2), True).asnumpy().tolist() == [2, 2]
    assert f(nd.ones(2), False).asnumpy().tolist() == [1, 1]
    w = nd.array([1.0, 2.0])
    w.attach_grad()
    step = mx.jit(lambda w, lr: (w * w * lr).sum())
    with mx.autograd.record():
        loss = step(w, 0.5)
    loss.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), [1.0, 2.0])
