"""Out-of-range, negative and fractional indices of every gather, eagerly and under mx.jit:
both follow MXNet 1.9.1 (values read from it, see docs/indexing.md), and where a traced index
cannot be checked while tracing, the compiled program checks it when it runs."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, MXNetIndexError, ParamError, ShapeError
from mxjit.trace import apply, evaluate, var
from mxjit.trace.indexing import check_index_numpy, index_error

nd = mx.nd
X3 = nd.array([10.0, 20.0, 30.0])
X7 = nd.arange(7) * 10
M34 = nd.arange(12).reshape((3, 4))


def both(fn, *args):
    """`fn(*args)` eagerly and under mx.jit: the two results, which must agree."""
    eager, traced = fn(*args), mx.jit(fn)(*args)
    np.testing.assert_array_equal(eager.asnumpy(), traced.asnumpy())
    assert eager.shape == traced.shape and eager.dtype == traced.dtype
    return eager.asnumpy()


def both_raise(fn, *args, error=MXNetIndexError, match="out of bounds"):
    """`fn(*args)` raises `error` eagerly and, traced, when the compiled program runs."""
    with pytest.raises(error, match=match):
        fn(*args)
    with pytest.raises(error, match=match):
        mx.jit(fn)(*args)


def i64(values):
    return nd.array(values, dtype="int64")


# ---- advanced indexing: MXNet's IndexError, checked when the traced program runs -----------


def test_advanced_indexing_out_of_range_raises_eagerly_and_under_jit():
    both_raise(lambda x, i: x[i], X3, i64([3, -4]))  # the example
    both_raise(lambda x, i: x[i], X3, i64([-4]), match="index -4 is out of bounds")
    both_raise(lambda x, i: x[i], X7, nd.array([3, 255], dtype="uint8"), match="index 255")
    both_raise(lambda m, i, j: m[i, j], M34, i64([0, 2]), i64([0, 4]), match="size 4")
    both_raise(lambda m, i: m[:, i], M34, i64([-5]))
    both_raise(lambda m, i: m[i, 1:], M34, i64([[3]]))


def test_advanced_indexing_in_range_agrees_with_mxnet():
    assert both(lambda x, i: x[i], X7, i64([-7, -1, 0, 6])).tolist() == [0, 60, 0, 60]
    # float indices are truncated toward zero, then checked: -3.4 is -3, -7.5 is -7
    got = both(lambda x, i: x[i], X7, nd.array([-3.4, -0.5, 6.5, -7.5]))
    assert got.tolist() == [40, 0, 60, 0]
    assert both(lambda m, i, j: m[i, j], M34, i64([0, -1]), i64([-4, 3])).tolist() == [0, 11]


def test_the_check_is_a_step_of_the_program_and_runs_under_gradients():
    f = mx.jit(lambda x, i: x[i] * 2)
    assert "library check_index" in f.lower(M34, i64([1])).as_text()
    g = mx.grad(lambda x, i: (x[i] ** 2).sum())
    np.testing.assert_array_equal(g(M34, i64([-1])).asnumpy()[2], 2 * M34.asnumpy()[2])
    with pytest.raises(MXNetIndexError, match="index 3 is out of bounds"):
        g(M34, i64([3]))
    x = M34.copy()
    x.attach_grad()
    with mx.autograd.record():  # a jitted call recorded on the tape
        y = f(x, i64([0, -3])).sum()
    y.backward()
    assert x.grad.asnumpy()[0].tolist() == [4, 4, 4, 4]
    with mx.autograd.record(), pytest.raises(MXNetIndexError, match="out of bounds"):
        f(x, i64([-4]))


# ---- take ---------------------------------------------------------------------------------


def test_take_clip_and_wrap_agree_with_mxnet():
    idx = nd.array([-4, -1, 0, 2, 3, 7])
    assert both(lambda x, i: nd.take(x, i, mode="clip"), X3, idx).tolist() == [10, 10, 10, 30,
                                                                                 30, 30]
    assert both(lambda x, i: nd.take(x, i, mode="wrap"), X3, idx).tolist() == [30, 30, 10, 30,
                                                                                 10, 20]
    frac = nd.array([-3.4, -0.5, 1.7, 2.9])  # truncated toward zero, then clipped or wrapped
    for mode in ("clip", "wrap"):
        taker = lambda x, i, mode=mode: nd.take(x, i, mode=mode)  # noqa: E731
        assert both(taker, X3, frac).tolist() == [10, 10, 20, 30]
    special = nd.array([np.nan, np.inf, -np.inf])  # read as int64's minimum, as MXNet's cast
    assert both(lambda x, i: nd.take(x, i, mode="clip"), X7, special).tolist() == [0, 0, 0]
    assert both(lambda x, i: nd.take(x, i, mode="wrap"), X7, special).tolist() == [60, 60, 60]
    big = nd.array([2**40 + 3, -(2**40)], dtype="int64")
    assert both(lambda x, i: nd.take(x, i, mode="wrap"), X7, big).tolist() == [50, 50]
    got = both(lambda m, i: nd.take(m, i, axis=1, mode="wrap"), nd.arange(6).reshape((2, 3)),
               nd.array([[-4, 5]]))
    assert got.tolist() == [[[2, 2]], [[5, 5]]]


def test_take_raise_checks_the_values_eagerly_and_under_jit():
    raising = lambda x, i: nd.take(x, i, mode="raise")  # noqa: E731
    assert both(raising, X3, nd.array([0, 2, 1])).tolist() == [10, 30, 20]
    assert both(raising, X3, nd.array([1.5, 2.0])).tolist() == [20, 30]
    both_raise(raising, X3, nd.array([3]), match="take: index 3 is out of bounds")
    both_raise(raising, X3, nd.array([-1]), match=r"valid: 0 <= index <= 2")
    both_raise(raising, X3, nd.array([-0.5]), match="index -0.5")  # MXNet compares the floats
    both_raise(raising, X3, nd.array([2.5]), match="index 2.5")
    both_raise(raising, X3, nd.array([np.nan]), match="index nan")


def test_take_from_an_empty_axis():
    with pytest.raises(MXNetIndexError, match="empty axis"):
        nd.take(nd.zeros((0, 3)), nd.array([0]))
    assert nd.take(nd.zeros((0, 3)), nd.zeros((0,))).shape == (0, 3)


# ---- gather_nd ----------------------------------------------------------------------------


def test_gather_nd_negative_and_out_of_range():
    gather = lambda x, i: nd.gather_nd(x, i)  # noqa: E731
    assert both(gather, X3, nd.array([[-1, -3]])).tolist() == [30, 10]
    assert both(gather, M34, nd.array([[0, -1], [-4, 3]])).tolist() == [0, 11]
    both_raise(gather, X3, nd.array([[3]]), match="gather_nd: index 3 is out of bounds")
    both_raise(gather, X3, nd.array([[-4]]), match=r"valid: -3 <= index <= 2")
    both_raise(gather, M34, nd.array([[0], [4]], dtype="int32"), match="size 4")
    both_raise(gather, X3, nd.array([[np.inf]]), match="index inf")
    both_raise(gather, X3, nd.array([[np.nan]]), match="index nan")  # (MXNet reads garbage)


def test_gather_nd_reads_fractional_indices_as_mxnet_does():
    """int(index + dim) % dim: -3.4 is element 3 of 7, not 4; 6.5 is out of range."""
    gather = lambda x, i: nd.gather_nd(x, i)  # noqa: E731
    got = both(gather, X7, nd.array([[-3.4, -0.5, -0.1, 0.5, 2.9, 6.0, -7.0]]))
    assert got.tolist() == [30, 60, 60, 0, 20, 60, 0]
    both_raise(gather, X7, nd.array([[6.5]]), match="index 6.5")
    both_raise(gather, X7, nd.array([[-7.5]]), match="index -7.5")
    # the sum is in the index's type: float16 rounds 2048.5 (-0.5 + 2049) to 2048
    data = nd.arange(2049)
    half = nd.array([[-0.5, -1.5, -2.5, -0.25, -3.4]], dtype="float16")
    assert both(gather, data, half).tolist() == [2048, 2048, 2046, 2048, 2046]
    single = nd.array([[-0.5, -1.5, -2.5, -0.25, -3.4]])
    assert both(gather, data, single).tolist() == [2048, 2047, 2046, 2048, 2045]


def test_scatter_nd_follows_the_rule_of_gather_nd():
    """MXNet 1.9.1 writes outside the array for these; mxjit wraps negative indices and
    raises for out-of-range ones, eagerly and under jit."""
    scatter = lambda d, i: nd.scatter_nd(d, i, shape=(7,))  # noqa: E731
    got = both(scatter, nd.array([1, 2, 4]), nd.array([[-1, -3.4, 1.7]]))
    assert got.tolist() == [0, 4, 0, 2, 0, 0, 1]
    both_raise(scatter, nd.array([1]), nd.array([[7]]), match="scatter_nd: index 7")
    both_raise(scatter, nd.array([1]), nd.array([[-8]]))
    with pytest.raises(MXNetIndexError, match="empty dims"):
        mx.jit(lambda d, i: nd.gather_nd(d, i))(nd.zeros((0, 2)), nd.array([[0]]))


# ---- pick, batch_take, Embedding, one_hot: clip or wrap, never an error ----------------------


def test_pick_clips_or_wraps_as_mxnet():
    def picker(axis, mode):
        return lambda d, i: nd.pick(d, i, axis=axis, mode=mode)

    assert both(picker(1, "clip"), M34, nd.array([-5, 4, 9])).tolist() == [0, 7, 11]
    assert both(picker(1, "wrap"), M34, nd.array([-5, 4, 9])).tolist() == [3, 4, 9]
    assert both(picker(1, "clip"), M34, nd.array([-0.5, 1.7, -3.4])).tolist() == [0, 5, 8]
    assert both(picker(1, "wrap"), M34, nd.array([-0.5, 1.7, -3.4])).tolist() == [0, 5, 9]
    assert both(picker(0, "clip"), M34, nd.array([-1, 3, 5, -4])).tolist() == [0, 9, 10, 3]
    assert both(picker(0, "wrap"), M34, nd.array([-1, 3, 5, -4])).tolist() == [8, 1, 10, 11]
    # (MXNet 1.9.1 casts to 32 bits first, so 1e10 is its minimum there and picks column 0)
    assert both(picker(1, "clip"), M34, nd.array([np.nan, 1e10, -1e10])).tolist() == [0, 7, 8]
    with pytest.raises(ParamError, match="'clip' or 'wrap'"):
        nd.pick(M34, nd.array([0, 0, 0]), axis=1, mode="raise")


def test_batch_take_clips():
    got = both(lambda a, i: nd.batch_take(a, i), M34, nd.array([-1, 4, 2], dtype="int32"))
    assert got.tolist() == [0, 7, 10]


def test_embedding_clips_ids():
    weight = nd.arange(12).reshape((4, 3))
    ids = nd.array([-1, 0, 3, 4, 100, -100, 1.7, -0.5, -1.5])
    got = both(lambda i, w: nd.Embedding(i, w, input_dim=4, output_dim=3), ids, weight)
    np.testing.assert_array_equal(got, weight.asnumpy()[[0, 0, 3, 3, 3, 0, 1, 0, 0]])


def test_one_hot_gives_a_row_of_off_values_out_of_range():
    got = both(lambda i: nd.one_hot(i, 3), nd.array([-1, 0, 2, 3, 5, 1.7, -0.5]))
    assert got.tolist() == [[0, 0, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0], [0, 1, 0],
                            [1, 0, 0]]
    got = both(lambda i: nd.one_hot(i, 3, on_value=5, off_value=-1, dtype="int32"),
               nd.array([np.nan, 1e10, -1e10, 2]))
    assert got.tolist() == [[-1, -1, -1]] * 3 + [[-1, -1, 5]]


# ---- the check_index primitive ----------------------------------------------------------


def test_check_index_primitive():
    idx = np.array([2, -3], np.int64)
    assert check_index_numpy(idx, low=-3, high=2, what="x") is idx
    assert evaluate("check_index", [np.array([0.5])], {"low": 0, "high": 1, "what": "x"}) == 0.5
    with pytest.raises(MXNetIndexError, match=r"^x: index 3 is out of bounds for an axis of "
                       r"size 3 \(valid: -3 <= index <= 2\)$"):
        check_index_numpy(np.array([0, 3, 9]), low=-3, high=2, what="x")
    assert index_error("x", np.array([np.float32(-3.4)]), 0, 2).args[0].startswith(
        "x: index -3.4 ")
    assert index_error("x", np.array([2**64 - 1], np.uint64), -3, 2) is not None
    assert index_error("x", np.zeros(0), 0, -1) is None
    node = apply("check_index", var((2,), np.dtype(np.int32)), low=0, high=4, what="x")
    assert node.shape == (2,) and node.dtype == np.int32
    with pytest.raises(DTypeError, match="indices must be numbers"):
        apply("check_index", var((2,), np.dtype(bool)), low=0, high=4, what="x")
    with pytest.raises(MXNetIndexError, match="boolean"):
        mx.jit(lambda x, i: nd.take(x, i, mode="raise"))(X3, nd.array([1, 0], dtype="bool"))
    with pytest.raises(MXNetIndexError, match="boolean"):
        mx.jit(lambda x, i: nd.gather_nd(x, i))(X3, nd.array([[1, 0]], dtype="bool"))
    with pytest.raises(ShapeError, match="must have shape"):
        nd.gather_nd(X3, nd.zeros((0,)))
