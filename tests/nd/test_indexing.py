"""NDArray indexing (x[key], x[key] = v) and the indexing operators (take, pick, gather_nd,
scatter_nd, one_hot) against NumPy and MXNet 1.x's documented behaviour: eager, under
mx.jit, gradients, errors, and the view-or-copy rule of basic slicing."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit.base import MXNetIndexError, ShapeError, TracerError
from tests.helpers import check_grads, nd_arrays

nd = mx.nd
VIEWS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
KERNELS = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
SHAPES = [(0,), (1,), (5,), (2, 3), (1, 4), (3, 0), (2, 1, 3), (2, 3, 4)]
DTYPES = ["float32", "float64", "int32", "uint8", "int64"]


def arrays(shapes: list = SHAPES, dtypes: list = DTYPES, min_ndim: int = 0) -> st.SearchStrategy:
    """(NDArray, NumPy copy) pairs, from `SHAPES` and `DTYPES` unless told otherwise."""
    return nd_arrays(shapes, dtypes, min_ndim)


def same(got: mx.nd.NDArray, want: np.ndarray) -> None:
    want = np.asarray(want)
    if want.ndim == 0:  # MXNet 1.x has no 0-d arrays: all-int keys give shape (1,)
        want = want.reshape(1)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got.asnumpy(), want)


@st.composite
def basic_keys(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple:
    """A valid basic key: ints in range, slices (any steps), None and at most one Ellipsis."""
    ndim = len(shape)
    used = draw(st.integers(0, ndim))
    ellipsis_at = draw(st.one_of(st.none(), st.integers(0, used)))
    if ellipsis_at is None:
        axes = list(range(used))
    else:
        axes = list(range(ellipsis_at)) + list(range(ndim - (used - ellipsis_at), ndim))
    key: list = []
    for axis in axes:
        d = shape[axis]
        if d and draw(st.booleans()):
            key.append(draw(st.integers(-d, d - 1)))
        else:
            bound = st.one_of(st.none(), st.integers(-6, 6))
            step = draw(st.one_of(st.none(), st.sampled_from([-3, -2, -1, 1, 2, 3])))
            key.append(slice(draw(bound), draw(bound), step))
    if ellipsis_at is not None:
        key.insert(ellipsis_at, Ellipsis)
    for _ in range(draw(st.integers(0, 2))):
        key.insert(draw(st.integers(0, len(key))), None)
    return tuple(key)


# ---- reading: basic keys -----------------------------------------------------------------


@VIEWS
@given(arrays(), st.data())
def test_basic_indexing_matches_numpy(xs, data):
    x, ref = xs
    key = data.draw(basic_keys(ref.shape))
    same(x[key], ref[key])
    if len(key) == 1:
        same(x[key[0]], ref[key[0]])


def test_mxnet_examples_of_basic_indexing():
    x = nd.arange(0, 6).reshape((2, 3))
    same(x[0, :], np.array([0, 1, 2], np.float32))
    same(x[0, :2], np.array([0, 1], np.float32))
    same(x[:, :-1], np.array([[0, 1], [3, 4]], np.float32))
    same(x[1:], np.array([[3, 4, 5]], np.float32))
    assert x[None, :, :].shape == (1, 2, 3)
    y = nd.arange(0, 16).reshape((2, 2, 2, 2))
    same(y[0, ..., 1], np.array([[1, 3], [5, 7]], np.float32))
    same(y[0, :, :, 1], np.array([[1, 3], [5, 7]], np.float32))
    assert nd.array([1, 2, 3])[1].shape == (1,)  # no 0-d arrays in MXNet 1.x
    assert x[1, 2].shape == (1,) and x[1, 2].asscalar() == 5
    assert [r.asnumpy().tolist() for r in nd.array([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


def test_contiguous_basic_keys_are_views_others_are_copies():
    # MXNet 1.x's rule (and its documented examples): a view when the selection is
    # contiguous in memory, else a copy.
    x = nd.arange(0, 8).reshape((2, 2, 2))
    y = x[0]
    y[:] = -1
    same(x, np.array([[[-1, -1], [-1, -1]], [[4, 5], [6, 7]]], np.float32))
    x = nd.arange(0, 8).reshape((2, 2, 2))
    y = x[1, :1, :]
    y[:] = -1
    same(x, np.array([[[0, 1], [2, 3]], [[-1, -1], [6, 7]]], np.float32))
    x = nd.arange(0, 8).reshape((2, 2, 2))
    y = x[:, :, 1]
    y[:] = -1
    same(x, np.arange(8, dtype=np.float32).reshape(2, 2, 2))
    x = nd.arange(0, 6)
    x[1:4][:] = 9
    x[::2][:] = -5  # a strided key copies: x keeps its values there
    same(x, np.array([0, 9, 9, 9, 4, 5], np.float32))


# ---- reading: index arrays ---------------------------------------------------------------


@st.composite
def advanced_keys(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple:
    """A key with at least one index array (list, NumPy array, int or float NDArray) among
    ints, slices and None; the index arrays broadcast together."""
    bshape = draw(st.sampled_from([(2,), (3,), (2, 1), (1, 2)]))
    forced = draw(st.integers(0, len(shape) - 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    key: list = []
    for axis, d in enumerate(shape):
        kind = "array" if axis == forced else draw(st.sampled_from(["array", "slice", "int"]))
        if kind == "array":
            idx = rng.integers(-d, d, bshape)
            form = draw(st.sampled_from(["list", "numpy", "ndarray", "float_ndarray"]))
            key.append(idx.tolist() if form == "list" else idx if form == "numpy" else
                       nd.array(idx, dtype="int32") if form == "ndarray" else nd.array(idx))
        elif kind == "int":
            key.append(draw(st.integers(-d, d - 1)))
        else:
            key.append(slice(None, None, draw(st.sampled_from([None, 2, -1]))))
    for _ in range(draw(st.integers(0, 1))):
        key.insert(draw(st.integers(0, len(key))), None)
    if draw(st.booleans()) and isinstance(key[-1], slice):
        key.pop()  # trailing axes may be left out
    return tuple(key)


def _as_numpy_key(key: tuple) -> tuple:
    return tuple(k.asnumpy().astype(np.int64) if isinstance(k, mx.nd.NDArray) else
                 np.asarray(k, dtype=np.int64) if isinstance(k, list) else k for k in key)


@KERNELS
@given(arrays(shapes=[(5,), (2, 3), (3, 1, 4)], dtypes=["float32", "int64"]), st.data())
def test_advanced_indexing_matches_numpy(xs, data):
    x, ref = xs
    key = data.draw(advanced_keys(ref.shape))
    same(x[key], ref[_as_numpy_key(key)])


def test_mxnet_examples_of_advanced_indexing():
    x = nd.arange(0, 8, dtype="int32").reshape((2, 2, 2))
    want = np.arange(8, dtype=np.int32).reshape(2, 2, 2)
    same(x[[0, 1]], want[[0, 1]])
    same(x[1:, [0, 1]], want[1:, [0, 1]])
    same(x[1:, np.array([0, 1], dtype="int32")], want[1:, [0, 1]])
    same(x[1:, nd.array([0, 1], dtype="int32")], want[1:, [0, 1]])
    same(x[[0, 1], :, [1, 0]], want[[0, 1], :, [1, 0]])  # separated: array dims go first
    same(x[:, [[0], [1]], [0, 1]], want[:, [[0], [1]], [0, 1]])
    same(x[None, [1], ..., 0], want[None, [1], ..., 0])
    same(x[nd.array([1.7, 0.2])], want[[1, 0]])  # float indices (MXNet's default dtype)


def test_index_arrays_under_jit_and_gradients():
    data = np.random.default_rng(2).normal(size=(3, 4, 3))
    f = mx.jit(lambda a, i: a[i, 1:, i])
    idx = nd.array([0, -1, 2])
    same(f(nd.array(data, dtype="float64"), idx), data[[0, -1, 2], 1:, [0, -1, 2]])
    g = mx.jit(lambda a: a[[2, 0], ::-1][:, None, 1])  # concrete keys inside a trace
    same(g(nd.array(data, dtype="float64")), data[[2, 0], ::-1][:, None, 1])
    check_grads(lambda a: a[[0, 2, 2], :, 1] ** 2 + (a[..., 0][[1, 1], [3, -1]] ** 3).sum(),
                [data[:, :, :2]], order=1)
    check_grads(lambda a: a[1:, ::-2, None] ** 2, [data[:, :, :2]], order=1)


def test_indexing_errors():
    x = nd.zeros((2, 3))
    cases = [
        (lambda: x[2], IndexError, "out of bounds"),
        (lambda: x[0, -4], IndexError, "out of bounds"),
        (lambda: x[0, 0, 0], IndexError, "too many indices"),
        (lambda: x[..., 0, ...], IndexError, "single ellipsis"),
        (lambda: x[[0, 2]], IndexError, "out of bounds"),
        (lambda: x[nd.array([0, 5])], IndexError, "out of bounds"),
        (lambda: x[[0, 1], [[0, 1, 2]], [0]], IndexError, "too many"),
        (lambda: x[[0, 1], [0, 1, 2]], IndexError, "could not be broadcast"),
        (lambda: x[np.array([True, False])], IndexError, "boolean"),
        (lambda: x[True], IndexError, "boolean"),
        (lambda: x[nd.array([1, 0], dtype="bool")], IndexError, "boolean"),
        (lambda: x[0.5], TypeError, "does not support indexing"),
        (lambda: x["a"], TypeError, "does not support indexing"),
        (lambda: x[::0], ValueError, "step cannot be zero"),
    ]
    for fn, kind, match in cases:
        with pytest.raises(kind, match=match):
            fn()
    assert issubclass(MXNetIndexError, mx.MXNetError) and issubclass(MXNetIndexError, IndexError)


# ---- writing -----------------------------------------------------------------------------


@VIEWS
@given(arrays(shapes=[(5,), (2, 3), (2, 1, 3), (3, 0)], dtypes=["float32", "int32"]),
       st.data())
def test_setitem_basic_matches_numpy(xs, data):
    x, ref = xs
    ref = ref.copy()
    key = data.draw(basic_keys(ref.shape))
    target = ref[key].shape
    kind = data.draw(st.sampled_from(["scalar", "array", "ndarray", "row"]))
    if kind == "scalar":
        value = data.draw(st.sampled_from([3, -2.7, True]))
        ref[key] = np.trunc(value) if ref.dtype.kind == "i" else value
    else:
        shape = target if kind != "row" else target[-1:]
        value = np.random.default_rng(3).normal(0, 50, shape)
        ref[key] = np.trunc(value).astype(ref.dtype) if ref.dtype.kind == "i" else value
        value = nd.array(value, dtype="float64") if kind == "ndarray" else value
    x[key] = value
    same(x, ref)


def test_mxnet_examples_of_setitem():
    x = nd.zeros((2, 3))
    x[:] = 1
    same(x, np.ones((2, 3), np.float32))
    x[:, 1:2] = 2
    x[1:2, 1:] = 3
    x[1:, 0:2] = nd.zeros((1, 2))
    x[1, 2] = 4
    x[[0], [1, 2]] = 5
    x[::-1, 0:2:2] = [6]
    same(x, np.array([[6, 5, 5], [6, 0, 4]], np.float32))
    y = nd.zeros((2, 3), dtype="int32")
    y[0] = nd.array([1.9, -2.9, 3.5])  # cast like MXNet: truncate toward zero
    y[1, :] = [[7, 8, 9]]  # a leading size-1 axis is dropped, as in MXNet
    same(y, np.array([[1, -2, 3], [7, 8, 9]], np.int32))
    z = nd.zeros((4,))
    z[nd.array([3, 1])] = nd.array([10, 20])
    z[np.array([0, 0])] = 5
    same(z, np.array([5, 20, 0, 10], np.float32))
    base = nd.zeros((2, 2))
    view = base[1]
    view[:] = 7  # writes through the view into the base
    same(base, np.array([[0, 0], [7, 7]], np.float32))


def test_setitem_validates_before_writing():
    x = nd.array(np.arange(6).reshape(2, 3))
    before = x.asnumpy()
    cases = [
        (lambda: x.__setitem__((slice(None), 0), nd.ones((3,))), ShapeError, "broadcast"),
        (lambda: x.__setitem__(0, [1, 2]), ShapeError, "broadcast"),
        (lambda: x.__setitem__([0, 2], 1), IndexError, "out of bounds"),
        (lambda: x.__setitem__(5, 1), IndexError, "out of bounds"),
        (lambda: x.__setitem__(0, "abc"), TypeError, "assignment"),
        (lambda: x.__setitem__(np.array([True, False]), 1), IndexError, "boolean"),
    ]
    for fn, kind, match in cases:
        with pytest.raises(kind, match=match):
            fn()
        np.testing.assert_array_equal(x.asnumpy(), before)

    def inside(a: mx.nd.NDArray) -> mx.nd.NDArray:
        a[0] = 1
        return a

    with pytest.raises(TracerError, match="functionally"):
        mx.jit(inside)(x)
    with pytest.raises(TracerError, match="functionally"):
        mx.grad(lambda a: inside(a).sum())(x)


def test_setitem_is_recorded_by_autograd():
    w = nd.array([1.0, 2.0, 3.0])
    w.attach_grad()
    with mx.autograd.record():
        v = w * 2
        v[1] = w[0] * 10
        v[[2, 2]] = nd.array([0.0, 1.0]) * w[2]  # the last write wins, as in NumPy
        loss = (v * v).sum()
    loss.backward()
    same(v, np.array([2, 10, 3], np.float32))
    same(w.grad, np.array([8 + 200, 0, 6], np.float32))


# ---- take, pick, gather_nd, scatter_nd, one_hot --------------------------------------------


@KERNELS
@given(arrays(shapes=[(5,), (2, 3), (3, 1, 2)], dtypes=["float64", "int32"]),
       st.sampled_from(["clip", "wrap", "raise"]), st.data())
def test_take_matches_numpy(xs, mode, data):
    x, ref = xs
    ax = data.draw(st.integers(-ref.ndim, ref.ndim - 1))
    d = ref.shape[ax]
    lo, hi = (0, d - 1) if mode == "raise" else (-2 * d, 2 * d)
    idx = np.random.default_rng(data.draw(st.integers(0, 99))).integers(lo, hi + 1, (2, 2))
    same(nd.take(x, nd.array(idx), axis=ax, mode=mode),
         np.take(ref, idx, axis=ax, mode="clip" if mode == "raise" else mode))


def test_take_raise_checks_before_running():
    x = nd.array([[1, 2], [3, 4]])
    same(nd.take(x, nd.array([1, 0]), mode="raise"), np.array([[3, 4], [1, 2]], np.float32))
    for bad in ([2], [-1], [0, float("nan")]):
        with pytest.raises(MXNetIndexError, match="out of bounds"):
            nd.take(x, nd.array(bad), mode="raise")
    traced = mx.jit(lambda a, i: nd.take(a, i, mode="raise"))
    same(traced(x, nd.array([1])), np.array([[3, 4]], np.float32))
    with pytest.raises(MXNetIndexError, match="out of bounds"):  # checked when it runs
        traced(x, nd.array([2]))
    one, two = nd.array([1]), nd.array([2])  # captured: constants of the trace
    same(mx.jit(lambda a: nd.take(a, one, mode="raise"))(x), np.array([[3, 4]], np.float32))
    with pytest.raises(MXNetIndexError, match="out of bounds"):  # checked while tracing
        mx.jit(lambda a: nd.take(a, two, mode="raise"))(x)
    with pytest.raises(ValueError, match="mode"):
        nd.take(x, nd.array([0]), mode="nearest")
    with pytest.raises(ShapeError, match="axis"):
        nd.take(x, nd.array([0]), axis=2)
    same(mx.jit(lambda a, i: nd.take(a, i, axis=-1, mode="wrap"))(x, nd.array([3, -1])),
         np.array([[2, 2], [4, 4]], np.float32))


@KERNELS
@given(arrays(shapes=[(4,), (2, 3), (2, 3, 2)], dtypes=["float32", "int64"]),
       st.sampled_from(["clip", "wrap"]), st.booleans(), st.data())
def test_pick_matches_numpy(xs, mode, keepdims, data):
    x, ref = xs
    ax = data.draw(st.integers(-ref.ndim, ref.ndim - 1))
    d = ref.shape[ax]
    shape = ref.shape[:ax % ref.ndim] + (1,) + ref.shape[ax % ref.ndim + 1:]
    idx = np.random.default_rng(data.draw(st.integers(0, 99))).integers(-d, 2 * d, shape)
    fixed = np.clip(idx, 0, d - 1) if mode == "clip" else np.mod(idx, d)
    want = np.take_along_axis(ref, fixed, axis=ax)
    index = nd.array(idx if keepdims or ref.ndim == 1 else np.squeeze(idx, axis=ax))
    same(nd.pick(x, index, axis=ax, keepdims=keepdims, mode=mode),
         want if keepdims else np.squeeze(want, axis=ax))
    traced = mx.jit(lambda a, i: nd.pick(a, i, axis=ax, keepdims=keepdims, mode=mode))
    same(traced(x, index), want if keepdims else np.squeeze(want, axis=ax))


def test_gather_nd_and_scatter_nd():
    data = np.arange(24.0).reshape(2, 3, 4)
    idx = np.array([[1, 0, -1], [2, 0, 1]])
    same(nd.gather_nd(nd.array(data, dtype="float64"), nd.array(idx)),
         data[idx[0], idx[1]])
    same(nd.gather_nd(nd.array([[1, 2], [3, 4]]), nd.array([[1, 0], [0, 1]])),
         np.array([3, 2], np.float32))  # MXNet's example
    traced = mx.jit(lambda a, i: nd.gather_nd(a, i))(nd.array(data, dtype="float64"),
                                                     nd.array(idx))
    same(traced, data[idx[0], idx[1]])
    got = nd.scatter_nd(nd.array([2, 3]), nd.array([[1, 0], [0, 1]]), shape=(2, 2))
    same(got, np.array([[0, 3], [2, 0]], np.float32))  # MXNet's example
    rows = nd.array(np.arange(8.0).reshape(2, 4), dtype="float64")
    got = mx.jit(lambda r, i: nd.scatter_nd(r, i, shape=(3, 4)))(rows, nd.array([[2, -3]]))
    same(got, np.array([[4, 5, 6, 7], [0, 0, 0, 0], [0, 1, 2, 3]], np.float64))
    with pytest.raises(MXNetIndexError, match="out of bounds"):
        nd.gather_nd(nd.array(data), nd.array([[2], [0]]))
    with pytest.raises(ShapeError, match="only 3"):
        nd.gather_nd(nd.array(data), nd.zeros((4, 1)))
    with pytest.raises(ShapeError, match="data shape"):
        nd.scatter_nd(nd.ones((3,)), nd.array([[0, 1]]), shape=(4,))
    with pytest.raises(MXNetIndexError, match="out of bounds"):
        nd.scatter_nd(nd.ones((2,)), nd.array([[0, 4]]), shape=(4,))


GRAD_CASES = {
    "pick": lambda a: nd.pick(a, nd.array([0, 3, 1]), axis=1) ** 2
    + nd.pick(a, nd.array([[2, 1, 0, 1]]), axis=0, keepdims=True).sum() ** 3,
    "gather_nd_take": lambda a: nd.gather_nd(a, nd.array([[0, 2, 2], [1, -1, 1]])) ** 2
    + nd.take(a, nd.array([2, 0, 2]), axis=1).sum() ** 2,
    "scatter_nd": lambda a: nd.scatter_nd(a[0], nd.array([[3, 0, 1, 2]]), shape=(5,)) ** 2,
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_indexing_gradients_match_finite_differences(name):
    x = np.random.default_rng(4).normal(size=(3, 4))
    check_grads(GRAD_CASES[name], [x], order=1)


def test_one_hot_follows_mxnet():
    got = nd.one_hot(nd.array([1, 0, 2, 5, -1]), 3)  # out of range: all off_value
    same(got, np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]], np.float32))
    got = nd.one_hot(nd.array([1]), depth=2, on_value=5, off_value=-1, dtype="int32")
    same(got, np.array([[-1, 5]], np.int32))


def test_ravel_and_unravel_multi_index():
    idx = nd.array([[3, 6, 6], [4, 5, 1]])
    same(nd.ravel_multi_index(idx, shape=(7, 6)), np.array([22, 41, 37], np.float32))
    same(nd.unravel_index(nd.array([22, 41, 37]), shape=(7, 6)), idx.asnumpy())
    same(mx.jit(lambda a: nd.unravel_index(nd.ravel_multi_index(a, shape=(7, 6)),
                                           shape=(7, 6)))(idx), idx.asnumpy())
    with pytest.raises(ShapeError, match="must have shape"):
        nd.ravel_multi_index(idx, shape=(7, 6, 2))


def test_unravel_index_leaves_the_first_index_unwrapped_and_takes_minus_one():
    # (MXNet 1.9.1: 100 in shape (7, 6) is [16, 4]; a first dim of -1 is unknown)
    flat = nd.array([22, 41, 37, 100])
    want = np.array([[3, 6, 6, 16], [4, 5, 1, 4]], dtype=np.float32)
    for shape in ((7, 6), (-1, 6)):
        same(nd.unravel_index(flat, shape=shape), want)
    same(nd.ravel_multi_index(nd.array(want), shape=(-1, 6)),
         np.array([22, 41, 37, 100], np.float32))
    with pytest.raises(ShapeError, match=r"positive dims \(the first may be -1\)"):
        nd.unravel_index(flat, shape=(7, -1))


def test_py_str_takes_bytes_from_c_and_str_from_mxjits_callbacks():
    assert mx.base.py_str(b"conv0_output") == "conv0_output"
    assert mx.base.py_str("conv0_output") == "conv0_output"
