"""mx.nd.contrib: control flow eagerly and traced, index_copy, rand_zipfian, isinf/isnan/
isfinite, getnnz, arange_like, against NumPy."""
from __future__ import annotations

import math

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ControlFlowError, DTypeError, ShapeError

C = mx.nd.contrib


# ---- while_loop -----------------------------------------------------------------------------


def _mxnet_example(i, s):  # type: ignore[no-untyped-def]
    return C.while_loop(lambda i, s: i <= 5, lambda i, s: ([i + s], [i + 1, s + i]), [i, s],
                        max_iterations=10)


def test_while_loop_matches_mxnet_example_with_zero_rows() -> None:
    i, s = mx.nd.array([0], dtype="int64"), mx.nd.array([1], dtype="int64")
    outputs, states = _mxnet_example(i, s)
    assert isinstance(outputs, list) and len(outputs) == 1
    out = outputs[0].asnumpy()
    assert out.dtype == np.int64 and out.shape == (10, 1)
    assert out[:, 0].tolist() == [1, 2, 4, 7, 11, 16, 0, 0, 0, 0]
    assert [v.asnumpy().tolist() for v in states] == [[6], [16]]


def test_while_loop_traced_unrolls_with_a_mask() -> None:
    f = mx.jit(_mxnet_example)
    i, s = mx.nd.array([0], dtype="int64"), mx.nd.array([1], dtype="int64")
    outputs, states = f(i, s)
    assert outputs[0].asnumpy()[:, 0].tolist() == [1, 2, 4, 7, 11, 16, 0, 0, 0, 0]
    assert [v.asnumpy().tolist() for v in states] == [[6], [16]]
    outputs, states = f(mx.nd.array([3], dtype="int64"), s)  # same program, fewer steps
    assert outputs[0].asnumpy()[:, 0].tolist() == [4, 8, 13, 0, 0, 0, 0, 0, 0, 0]
    assert [v.asnumpy().tolist() for v in states] == [[6], [13]]


def test_while_loop_single_array_forms_and_no_iteration() -> None:
    x = mx.nd.array([1.0, 2.0])
    outs, final = C.while_loop(lambda v: v.sum() < 20, lambda v: (v * 10, v * 2), x, 5)
    assert isinstance(final, mx.nd.NDArray) and final.asnumpy().tolist() == [8, 16]
    assert isinstance(outs, mx.nd.NDArray) and outs.shape == (5, 2)
    np.testing.assert_array_equal(outs.asnumpy()[:, 0], [10, 20, 40, 0, 0])
    outs, final = C.while_loop(lambda v: v.sum() > 100, lambda v: (v, v), [x], 3)
    assert outs == [] and final[0].asnumpy().tolist() == [1, 2]
    outs, final = C.while_loop(lambda v: v.sum() < 100, lambda v: (None, [v + 1]), [x], 4)
    assert outs == [] and final[0].asnumpy().tolist() == [5, 6]


def test_while_loop_gradients_eager_and_traced() -> None:
    def loop(x):  # type: ignore[no-untyped-def]
        _, (y,) = C.while_loop(lambda v: v.sum() < 10, lambda v: ([], [v * 2]), [x], 6)
        return y.sum()

    x = mx.nd.array([1.0, 2.0])  # doubles twice: sum 3 -> 6 -> 12
    np.testing.assert_allclose(mx.grad(loop)(x).asnumpy(), [4, 4])
    x.attach_grad()
    with mx.autograd.record():
        y = loop(x)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [4, 4])


@pytest.mark.parametrize("call, error, match", [
    (lambda x: C.while_loop(lambda v: v < 1, lambda v: ([], [v]), [x]), ValueError,
     "max_iterations should be specified"),
    (lambda x: C.while_loop(lambda: 1, lambda: ([], []), [], 3), ValueError,
     "at least one element"),
    (lambda x: C.while_loop(lambda v: v < 9, lambda v: ([], [v, v]), [x], 3), ValueError,
     "length of loop_vars"),
    (lambda x: C.while_loop(lambda v: v.sum() < 99, lambda v: ([v], [mx.nd.concat(v, v, dim=0)]),
                            [x], 3), ValueError, "Shapes of 1-th elements"),
    (lambda x: C.while_loop(lambda v: v, lambda v: ([], [v]), [mx.nd.ones(2)], 3),
     ControlFlowError, "must be a scalar"),
    (lambda x: C.while_loop(lambda v: v < 9, lambda v: v, [x], 3), ControlFlowError,
     "must return a pair"),
    (lambda x: C.while_loop(lambda v: v < 9, lambda v: ([], [v]), [x], "many"), ValueError,
     "Cannot convert max_iteration"),
])
def test_while_loop_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call(mx.nd.array([1.0]))


def test_while_loop_traced_shape_change_is_an_error() -> None:
    f = mx.jit(lambda x: C.while_loop(lambda v: v.sum() < 9, lambda v: ([], [v[0:1]]), [x], 3))
    with pytest.raises(ControlFlowError, match="must match"):
        f(mx.nd.array([1.0, 2.0]))


# ---- foreach ----------------------------------------------------------------------------------


def test_foreach_cumulative_sum_and_states() -> None:
    data = np.arange(12, dtype=np.float32).reshape(4, 3)

    def step(x, states):  # type: ignore[no-untyped-def]
        total = states[0] + x
        return total, [total]

    outs, states = C.foreach(step, mx.nd.array(data), [mx.nd.zeros(3)])
    np.testing.assert_allclose(outs.asnumpy(), np.cumsum(data, axis=0))
    np.testing.assert_allclose(states[0].asnumpy(), data.sum(0))
    jitted = mx.jit(lambda d, s: C.foreach(step, d, [s]))
    outs2, states2 = jitted(mx.nd.array(data), mx.nd.zeros(3))
    np.testing.assert_allclose(outs2.asnumpy(), np.cumsum(data, axis=0))
    np.testing.assert_allclose(states2[0].asnumpy(), data.sum(0))


def test_foreach_list_data_nested_outputs_and_gradient() -> None:
    a, b = mx.nd.array([[1.0], [2.0]]), mx.nd.array([[10.0], [20.0]])
    outs, state = C.foreach(lambda xs, s: ([xs[0] + xs[1], [xs[0] * s]], s + 1), [a, b],
                            mx.nd.array([1.0]))
    assert outs[0].asnumpy().tolist() == [[11], [22]]
    assert outs[1][0].asnumpy().tolist() == [[1], [4]]
    assert state.asnumpy().tolist() == [3]
    g = mx.grad(lambda x: C.foreach(lambda r, s: (r * s, s * 2), x, mx.nd.array([1.0]))[0]
                .sum())(a)
    np.testing.assert_allclose(g.asnumpy(), [[1], [2]])


@pytest.mark.parametrize("call, error, match", [
    (lambda: C.foreach(lambda x, s: (x, s), np.ones(3), []), TypeError, "array"),
    (lambda: C.foreach(lambda x, s: (x, s), [mx.nd.ones(2), mx.nd.ones(3)], []), ShapeError,
     "differ in length"),
    (lambda: C.foreach(lambda x, s: (x, s), mx.nd.ones((0, 2)), []), ShapeError, "no rows"),
    (lambda: C.foreach(lambda x, s: x, mx.nd.ones((2, 2)), []), ControlFlowError,
     "must return a pair"),
    (lambda: C.foreach(lambda x, s: (x[0:1] if s else x, [x]), mx.nd.ones((2, 2)), []),
     ControlFlowError, "keep their shape"),
    (lambda: C.foreach(None, mx.nd.ones((2, 2)), []), TypeError, "must be a function"),
])
def test_foreach_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


# ---- cond -----------------------------------------------------------------------------------


def test_cond_eager_and_traced() -> None:
    a, b = mx.nd.array([1.0]), mx.nd.array([2.0])
    out = C.cond(a * b < 5, lambda: (a + 5) * (b + 5), lambda: (a - 5) * (b - 5))
    assert out.asnumpy().tolist() == [42]
    f = mx.jit(lambda p, x: C.cond(p, lambda: [x * 2, x + 1], lambda: [x * 3, x - 1]))
    x = mx.nd.array([1.0, 2.0])
    assert [v.asnumpy().tolist() for v in f(mx.nd.array([1.0]), x)] == [[2, 4], [2, 3]]
    assert [v.asnumpy().tolist() for v in f(mx.nd.array([0.0]), x)] == [[3, 6], [0, 1]]
    g = mx.grad(lambda v: C.cond(v.sum() > 0, lambda: v * 2, lambda: v * 3).sum())
    assert g(x).asnumpy().tolist() == [2, 2]
    assert g(-x).asnumpy().tolist() == [3, 3]


def test_cond_errors() -> None:
    with pytest.raises(ControlFlowError, match="must be a scalar"):
        C.cond(mx.nd.ones(2), lambda: 1, lambda: 2)
    f = mx.jit(lambda p, x: C.cond(p, lambda: [x, x], lambda: x))
    with pytest.raises(ControlFlowError, match="same structure"):
        f(mx.nd.array([1.0]), mx.nd.ones(2))
    g = mx.jit(lambda p, x: C.cond(p, lambda: x, lambda: x[0:1]))
    with pytest.raises(ControlFlowError, match="must match"):
        g(mx.nd.array([1.0]), mx.nd.ones(2))


# ---- index_copy ---------------------------------------------------------------------------------


def test_index_copy_matches_numpy_last_write_wins() -> None:
    old = np.arange(15, dtype=np.float32).reshape(5, 3)
    new = -np.arange(9, dtype=np.float32).reshape(3, 3) - 1
    out = C.index_copy(mx.nd.array(old), mx.nd.array([0, 4, 2]), mx.nd.array(new)).asnumpy()
    expect = old.copy()
    expect[[0, 4, 2]] = new
    np.testing.assert_array_equal(out, expect)
    dup = C.index_copy(mx.nd.array(old), mx.nd.array([1, 1, 3], dtype="int64"),
                       mx.nd.array(new)).asnumpy()
    expect = old.copy()
    for row, i in enumerate([1, 1, 3]):
        expect[i] = new[row]
    np.testing.assert_array_equal(dup, expect)
    empty = C.index_copy(mx.nd.array(old), mx.nd.zeros((0,)), mx.nd.zeros((0, 3)))
    np.testing.assert_array_equal(empty.asnumpy(), old)
    jitted = mx.jit(C.index_copy)(mx.nd.array(old), mx.nd.array([0, 4, 2]), mx.nd.array(new))
    np.testing.assert_array_equal(jitted.asnumpy(),
                                  C.index_copy(mx.nd.array(old), mx.nd.array([0, 4, 2]),
                                               mx.nd.array(new)).asnumpy())


def test_index_copy_gradients() -> None:
    idx = mx.nd.array([2, 0, 2])
    g_old, g_new = mx.grad(lambda o, n: C.index_copy(o, idx, n).sum(), argnums=(0, 1))(
        mx.nd.ones((4, 2)), mx.nd.ones((3, 2)))
    np.testing.assert_array_equal(g_old.asnumpy(), [[0, 0], [1, 1], [0, 0], [1, 1]])
    np.testing.assert_array_equal(g_new.asnumpy(), [[0, 0], [1, 1], [1, 1]])


@pytest.mark.parametrize("args, error, match", [
    ((mx.nd.zeros((4, 2)), mx.nd.array([0, 1]), mx.nd.zeros((2, 3))), ShapeError,
     "new_tensor must have shape"),
    ((mx.nd.zeros((4, 2)), mx.nd.array([[0, 1]]), mx.nd.zeros((2, 2))), ShapeError, "1-D"),
    ((mx.nd.zeros((4, 2)), mx.nd.array([0, 4]), mx.nd.zeros((2, 2))), IndexError,
     r"in \[0, 4\)"),
    ((mx.nd.zeros((4, 2)), mx.nd.array([0, 1]), mx.nd.zeros((2, 2), dtype="float64")),
     DTypeError, "dtypes differ"),
    ((np.zeros((4, 2)), mx.nd.array([0]), mx.nd.zeros((1, 2))), TypeError, "array"),
])
def test_index_copy_errors(args, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        C.index_copy(*args)


# ---- rand_zipfian -----------------------------------------------------------------------------


def test_rand_zipfian_types_counts_and_distribution() -> None:
    mx.random.seed(11)
    true = mx.nd.array([3, 0])
    samples, count_true, count_sampled = C.rand_zipfian(true, 4000, 5)
    assert samples.dtype == np.int64 and samples.shape == (4000,)
    assert count_true.dtype == np.float64 and count_sampled.dtype == np.float64
    s = samples.asnumpy()
    assert s.min() >= 0 and s.max() < 5
    prob = np.log((np.arange(5) + 2) / (np.arange(5) + 1)) / math.log(6)
    np.testing.assert_allclose(np.bincount(s, minlength=5) / 4000, prob, atol=0.025)
    np.testing.assert_allclose(count_true.asnumpy(), prob[[3, 0]] * 4000)
    np.testing.assert_allclose(count_sampled.asnumpy(), prob[s] * 4000)
    mx.random.seed(11)
    assert C.rand_zipfian(true, 4000, 5)[0].asnumpy().tolist() == s.tolist()
    with pytest.raises(ValueError, match="must be positive"):
        C.rand_zipfian(true, 0, 5)
    with pytest.raises(TypeError, match="an array"):
        C.rand_zipfian([3], 2, 5)


# ---- elementwise tests, getnnz, arange_like ---------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_isinf_isnan_isfinite(dtype: str) -> None:
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -1.5, 3e30], dtype)
    a = mx.nd.array(x, dtype=dtype)
    for fn, ref in ((C.isinf, np.isinf), (C.isnan, np.isnan), (C.isfinite, np.isfinite)):
        got = fn(a)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got.asnumpy(), ref(x).astype(dtype))
        np.testing.assert_array_equal(mx.jit(fn)(a).asnumpy(), ref(x).astype(dtype))
    ints = mx.nd.array([1, 2], dtype="int32")
    assert C.isinf(ints).asnumpy().tolist() == [0, 0]
    assert C.isnan(ints).asnumpy().tolist() == [0, 0]
    assert C.isfinite(ints).asnumpy().tolist() == [1, 1]
    with pytest.raises(TypeError, match="an array"):
        C.isnan([1.0])


def test_getnnz() -> None:
    dense = np.array([[1, 0, 2], [0, 0, 0], [0, 3, 0]], np.float32)
    csr = mx.nd.array(dense).tostype("csr")
    assert C.getnnz(csr).asnumpy().tolist() == [3]
    assert C.getnnz(csr).dtype == np.int64
    assert C.getnnz(csr, axis=0).asnumpy().tolist() == [1, 1, 1]
    assert C.getnnz(csr, axis=1).asnumpy().tolist() == [2, 0, 1]
    with pytest.raises(TypeError, match="CSRNDArray"):
        C.getnnz(mx.nd.array(dense))
    with pytest.raises(ValueError, match="axis"):
        C.getnnz(csr, axis=2)


def test_arange_like() -> None:
    x = mx.nd.zeros((2, 3), dtype="float64")
    got = C.arange_like(x, start=1.0, step=0.5)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got.asnumpy(), 1 + 0.5 * np.arange(6).reshape(2, 3))
    np.testing.assert_allclose(C.arange_like(mx.nd.zeros(6), repeat=2).asnumpy(),
                               [0, 0, 1, 1, 2, 2])
    np.testing.assert_allclose(C.arange_like(x, axis=-1).asnumpy(), [0, 1, 2])
    np.testing.assert_allclose(mx.jit(lambda v: C.arange_like(v))(x).asnumpy(),
                               np.arange(6).reshape(2, 3))
    with pytest.raises(ShapeError, match="out of range"):
        C.arange_like(x, axis=2)
    with pytest.raises(ValueError, match="repeat"):
        C.arange_like(x, repeat=0)
