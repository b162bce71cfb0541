"""mx.nd shape operators against NumPy and MXNet 1.x's documented behaviour: eager (with
non-contiguous inputs, empty and size-1 dims, several dtypes), under mx.jit, gradients, errors.

Kernels compile per (op, shape, layout), so the drawn shapes come from small pools and the
compiling operators get fewer examples than the view operators (reshape, slice, ...).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, ParamError, ShapeError
from mxjit.core.operators import lookup
from mxjit.ops.shape import infer_reshape
from tests.helpers import check_grads, nd_arrays

nd = mx.nd
VIEWS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
KERNELS = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
DTYPES = ["float32", "float64", "int32", "uint8", "int64"]
SHAPES = [(0,), (1,), (5,), (2, 3), (1, 4), (3, 0), (2, 1, 3), (2, 3, 4), (1, 2, 1, 2)]


def arrays(shapes: list = SHAPES, dtypes: list = DTYPES, min_ndim: int = 0) -> st.SearchStrategy:
    """(NDArray, NumPy copy) pairs, from `SHAPES` and `DTYPES` unless told otherwise."""
    return nd_arrays(shapes, dtypes, min_ndim)


def same(got: mx.nd.NDArray, want: np.ndarray) -> None:
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got.asnumpy(), want)


# ---- reshape -----------------------------------------------------------------------------

MXNET_RESHAPE_EXAMPLES = [  # from MXNet 1.x's reshape documentation
    ((2, 3, 4), (4, 0, 2), False, (4, 3, 2)),
    ((2, 3, 4), (2, 0, 0), False, (2, 3, 4)),
    ((2, 3, 4), (6, 1, -1), False, (6, 1, 4)),
    ((2, 3, 4), (3, -1, 8), False, (3, 1, 8)),
    ((2, 3, 4), (-1,), False, (24,)),
    ((2, 3, 4), (-2,), False, (2, 3, 4)),
    ((2, 3, 4), (2, -2), False, (2, 3, 4)),
    ((2, 3, 4), (-2, 1, 1), False, (2, 3, 4, 1, 1)),
    ((2, 3, 4), (-3, 4), False, (6, 4)),
    ((2, 3, 4, 5), (-3, -3), False, (6, 20)),
    ((2, 3, 4), (0, -3), False, (2, 12)),
    ((2, 3, 4), (-3, -2), False, (6, 4)),
    ((2, 3, 4), (-4, 1, 2, -2), False, (1, 2, 3, 4)),
    ((2, 3, 4), (2, -4, -1, 3, -2), False, (2, 1, 3, 4)),
    ((10, 5, 4), (-1, 0), False, (40, 5)),
    ((10, 5, 4), (-1, 0), True, (50, 4)),
    # under reverse, codes are read from the right: -4 comes after its two dims (MXNet's
    # test_reshape)
    ((64,), (16, 4, -4), True, (16, 4)),
    ((64,), (16, -1, -4), True, (16, 4)),
    ((1, 2, 3, 64), (-2, -1, 16, -4), True, (1, 2, 3, 4, 16)),
    ((8, 3), (-1, 2, -4, 0), True, (4, 2, 3)),
    # beyond MXNet 1.9.1, which gets these wrong: -4 with -1
    ((6, 4), (-4, -1, 2, -1), False, (3, 2, 4)),
    ((6, 4), (-4, 3, -1, 0), False, (3, 2, 4)),
    ((0, 3), (-1, 0), False, (0, 3)),
    ((0, 5), (5, 0), False, (5, 0)),  # empty input: a literal shape
]


@pytest.mark.parametrize("src, codes, rev, want", MXNET_RESHAPE_EXAMPLES)
def test_reshape_codes_match_mxnet(src, codes, rev, want):
    assert infer_reshape(src, codes, rev) == want
    x = np.arange(int(np.prod(src)), dtype=np.float32).reshape(src)
    got = nd.reshape(nd.array(x), shape=codes, reverse=rev)
    same(got, x.reshape(want))
    assert nd.array(x).reshape(codes, reverse=rev).shape == want


@st.composite
def reshape_codes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...],
                                            bool]:
    """A source shape, codes for it, the shape they mean, and the direction."""
    src = tuple(draw(st.lists(st.sampled_from([1, 2, 3, 4, 6]), min_size=1, max_size=4)))
    rev = draw(st.booleans())
    dims = list(src[::-1] if rev else src)
    groups: list[tuple[int, ...]] = []  # codes per group, in processing order
    want: list[int] = []
    pos = 0
    while pos < len(dims):
        kinds = ["copy", "literal", "split"] + (["merge"] if pos + 1 < len(dims) else []) + \
            ["rest"]
        kind = draw(st.sampled_from(kinds))
        d = dims[pos]
        if kind == "copy":
            groups.append((0,))
            want.append(d)
            pos += 1
        elif kind == "literal":
            groups.append((d,))
            want.append(d)
            pos += 1
        elif kind == "merge":
            groups.append((-3,))
            want.append(d * dims[pos + 1])
            pos += 2
        elif kind == "split":
            a = draw(st.sampled_from([f for f in range(1, d + 1) if d % f == 0]))
            pair = [a, d // a]
            hole = draw(st.sampled_from([None, 0, 1]))
            codes = list(pair)
            if hole is not None:
                codes[hole] = -1
            # (in processing order: under `rev` the written codes are read from the right)
            groups.append((-4, *codes))
            want.extend(pair)
            pos += 1
        else:
            groups.append((-2,))
            want.extend(dims[pos:])
            pos = len(dims)
    literal = [k for k, g in enumerate(groups) if len(g) == 1 and g[0] > 0]
    if literal and draw(st.booleans()):  # one literal may become the inferred -1
        k = draw(st.sampled_from(literal))
        groups[k] = (-1,)
    codes = tuple(c for g in groups for c in g)
    if rev:  # (MXNet reads every code from the right, a -4's two dims included)
        codes = codes[::-1]
        want.reverse()
    return src, codes, tuple(want), rev


@VIEWS
@given(reshape_codes())
def test_reshape_codes_property(case):
    src, codes, want, rev = case
    assert infer_reshape(src, codes, rev) == want
    x = np.arange(int(np.prod(src)), dtype=np.float64).reshape(src)
    same(nd.reshape(nd.array(x, dtype="float64"), shape=codes, reverse=rev), x.reshape(want))


@VIEWS
@given(arrays(), st.data())
def test_reshape_plain_shapes_match_numpy(xs, data):
    x, ref = xs
    assume(ref.size > 0)
    dims = data.draw(st.permutations([d for d in ref.shape if d != 1] + [1]))
    target = list(dims)
    if data.draw(st.booleans()):
        target[data.draw(st.integers(0, len(target) - 1))] = -1
    same(nd.reshape(x, shape=tuple(target)), ref.reshape(tuple(target)))
    same(x.reshape(*target), ref.reshape(tuple(target)))


def test_reshape_argument_forms_and_views():
    x = nd.array(np.arange(6))
    assert x.reshape(2, 3).shape == (2, 3)
    assert x.reshape((3, 2)).shape == (3, 2)
    assert x.reshape([1, 6]).shape == (1, 6)
    assert x.reshape(shape=(6, 1)).shape == (6, 1)
    assert x.reshape(-1).shape == (6,)
    assert nd.reshape(x, shape=(1, 6)).shape == (1, 6)
    y = x.reshape(2, 3)
    y[0, 0] = 100  # NDArray.reshape shares memory, as in MXNet
    assert x.asnumpy()[0] == 100


@pytest.mark.parametrize("codes, match", [
    ((5, -1), "not a multiple"),
    ((-1, -1), "only one dim can be inferred"),
    ((-4, -1, -1), "cannot both be -1"),
    ((-4, 3, -1, -2), "does not divide"),
    ((-4, 2, 3, -2), "do not make"),
    ((-4, 0, 2, -2), "positive sizes"),
    ((-4, 2), "followed by the two dims"),
    ((2, 3, -4), "come after the two dims"),
    ((0, 0, 0, 0), "no dim left"),
    ((-3, -3), "fewer than two"),
    ((-5,), "not a valid dim"),
    ((7,), "differs from the source size"),
    ((0, 0, -1), "other dims have size 0"),
])
def test_reshape_bad_codes_raise_shape_error(codes, match):
    src = (2, 3, 4) if codes != (0, 0, -1) else (0, 3, 4)
    rev = match == "come after the two dims"  # (-4 at the end: an error read from the left)
    codes = codes[::-1] if rev else codes
    with pytest.raises(ShapeError, match=match):
        nd.reshape(nd.zeros(src), shape=codes, reverse=rev)
    with pytest.raises(ShapeError):
        mx.jit(lambda a: nd.reshape(a, shape=codes, reverse=rev))(nd.zeros(src))


def test_reshape_like():
    x = nd.array(np.arange(24).reshape(2, 3, 4))
    assert nd.reshape_like(x, nd.zeros((6, 4))).shape == (6, 4)
    got = nd.reshape_like(x, nd.zeros((3, 6, 9)), lhs_begin=0, lhs_end=2, rhs_begin=1,
                          rhs_end=-1)
    assert got.shape == (6, 4)
    same(got, np.arange(24, dtype=np.float32).reshape(6, 4))
    assert nd.reshape_like(nd.zeros((30, 7)), nd.zeros((15, 2, 4)), lhs_begin=0, lhs_end=1,
                           rhs_begin=0, rhs_end=2).shape == (15, 2, 7)  # MXNet's example
    with pytest.raises(ShapeError, match="cannot reshape"):
        nd.reshape_like(x, nd.zeros((5,)))
    with pytest.raises(ShapeError, match="invalid lhs_begin"):
        nd.reshape_like(x, nd.zeros((6,)), lhs_begin=3, lhs_end=1)


# ---- views: flatten, expand_dims, squeeze, swapaxes, moveaxis, flip, slices, split -------


@VIEWS
@given(arrays(min_ndim=1), st.data())
def test_view_ops_match_numpy(xs, data):
    x, ref = xs
    n = ref.ndim
    flat = ref.reshape(ref.shape[0], int(np.prod(ref.shape[1:])))
    same(nd.flatten(x), flat)
    same(nd.Flatten(x), flat)
    ax = data.draw(st.integers(-n - 1, n))
    same(nd.expand_dims(x, ax), np.expand_dims(ref, ax))
    want = np.squeeze(ref)
    same(nd.squeeze(x), want.reshape(1) if want.ndim == 0 else want)
    ones = tuple(k for k, d in enumerate(ref.shape) if d == 1)
    if ones:
        same(nd.squeeze(x, axis=ones[0]), np.squeeze(ref, axis=ones[0]).reshape(
            tuple(d for k, d in enumerate(ref.shape) if k != ones[0]) or (1,)))
    a, b = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    same(nd.swapaxes(x, a, b), np.swapaxes(ref, a, b))
    same(nd.SwapAxis(x, dim1=a, dim2=b), np.swapaxes(ref, a, b))
    same(nd.moveaxis(x, a, b), np.moveaxis(ref, a, b))
    axes = data.draw(st.lists(st.integers(0, n - 1), unique=True, min_size=1))
    same(nd.flip(x, axis=tuple(axes)), np.flip(ref, tuple(axes)))
    same(nd.reverse(x, axis=axes[0]), np.flip(ref, axes[0]))


@VIEWS
@given(arrays(min_ndim=1), st.data())
def test_slice_matches_python_slicing(xs, data):
    x, ref = xs
    k = data.draw(st.integers(1, ref.ndim))
    bound = st.one_of(st.none(), st.integers(-7, 7))
    begin = tuple(data.draw(bound) for _ in range(k))
    end = tuple(data.draw(bound) for _ in range(k))
    step = tuple(data.draw(st.one_of(st.none(), st.sampled_from([-3, -2, -1, 1, 2, 3])))
                 for _ in range(k))
    key = tuple(slice(b, e, s) for b, e, s in zip(begin, end, step))
    same(nd.slice(x, begin, end, step), ref[key])
    if all(s in (None, 1) for s in step):
        same(nd.slice(x, begin, end), ref[tuple(slice(b, e) for b, e in zip(begin, end))])
    ax = data.draw(st.integers(-ref.ndim, ref.ndim - 1))
    dim = ref.shape[ax]
    if dim:
        b = data.draw(st.integers(-dim, dim - 1))
        e = data.draw(st.one_of(st.none(), st.integers(-dim, dim)))
        lo, hi = b % dim, (dim if e is None else e % dim if e < 0 else e)
        if lo < hi:
            same(nd.slice_axis(x, axis=ax, begin=b, end=e), np.take(ref, range(lo, hi), ax))


@VIEWS
@given(arrays(min_ndim=1), st.data())
def test_slice_like_and_split(xs, data):
    x, ref = xs
    like = tuple(data.draw(st.integers(0, d)) for d in ref.shape)
    want = ref[tuple(slice(0, d) for d in like)]
    same(nd.slice_like(x, nd.zeros(like)), want)
    ax = data.draw(st.integers(0, ref.ndim - 1))
    same(nd.slice_like(x, nd.zeros(like), axes=(ax,)),
         ref[tuple(slice(0, like[ax]) if k == ax else slice(None) for k in range(ref.ndim))])
    dim = ref.shape[ax]
    divisors = [k for k in range(1, max(dim, 1) + 1) if dim % k == 0] if dim else [1, 2]
    parts = data.draw(st.sampled_from(divisors))
    got = nd.split(x, num_outputs=parts, axis=ax)
    got = got if isinstance(got, list) else [got]
    for g, w in zip(got, np.split(ref, parts, axis=ax), strict=True):
        same(g, w)
    if dim == parts:
        got = nd.SliceChannel(x, parts, axis=ax, squeeze_axis=True)
        for g, w in zip(got if parts > 1 else [got], np.split(ref, parts, axis=ax), strict=True):
            want = np.squeeze(w, axis=ax)
            same(g, want.reshape(1) if want.ndim == 0 else want)  # MXNet 1.x has no 0-d
    points = sorted(data.draw(st.lists(st.integers(0, dim), max_size=3)))
    got = nd.split_v2(x, points, axis=ax)
    got = got if isinstance(got, list) else [got]
    for g, w in zip(got, np.split(ref, points, axis=ax), strict=True):
        same(g, w)


SPLIT_V2 = lookup("_split_v2").impl


@VIEWS
@given(arrays(min_ndim=1), st.data())
def test_split_v2_operator_takes_mxnets_indices_and_sections(xs, data):
    x, ref = xs
    ax = data.draw(st.integers(-ref.ndim, ref.ndim - 1))
    dim = ref.shape[ax]
    sections = data.draw(st.integers(1, dim + 2))
    got = SPLIT_V2(x, indices=(), axis=ax, sections=sections)  # (NumPy's array_split)
    for g, w in zip(got if sections > 1 else [got], np.array_split(ref, sections, axis=ax),
                    strict=True):
        same(g, w)
    points = sorted(data.draw(st.lists(st.integers(0, dim + 1), max_size=3)))
    got = SPLIT_V2(x, indices=(0, *points), axis=ax)
    for g, w in zip(got if points else [got], np.split(ref, points, axis=ax), strict=True):
        same(g, w)


def test_split_v2_python_level_forms():
    x = np.arange(12.0).reshape(2, 6)
    parts = nd.split_v2(nd.array(x), 3, axis=1)
    assert [p.asnumpy().tolist() for p in parts] == [q.tolist() for q in np.split(x, 3, 1)]
    parts = nd.split_v2(nd.array(x), (1,), axis=0, squeeze_axis=True)
    assert [p.shape for p in parts] == [(6,), (6,)]
    jitted = mx.jit(lambda v: nd.split_v2(v, (2, 5), axis=-1))(nd.array(x))
    assert [p.asnumpy().tolist() for p in jitted] == [q.tolist() for q in np.split(x, [2, 5], 1)]
    with pytest.raises(ShapeError, match="4 sections do not evenly divide an axis of size 6"):
        nd.split_v2(nd.array(x), 4, axis=1)  # (mx.nd's check, as MXNet; the operator splits)
    with pytest.raises(ShapeError, match="number of sections must be positive"):
        nd.split_v2(nd.array(x), 0)
    with pytest.raises(ArgumentError, match="ary must be an NDArray"):
        nd.split_v2(x, 2)


def test_split_v2_operator_errors():
    x = nd.zeros((2, 6))
    with pytest.raises(ParamError, match="indices must start at 0"):
        SPLIT_V2(x, indices=(1, 3), axis=1)
    with pytest.raises(ParamError, match="indices must start at 0"):
        SPLIT_V2(x, indices=(), axis=1)
    with pytest.raises(ParamError, match="sections must be an int >= 0"):
        SPLIT_V2(x, indices=(), sections=-1)
    with pytest.raises(ShapeError, match="squeeze_axis=True needs sections of size 1"):
        SPLIT_V2(x, indices=(0, 2), axis=1, squeeze_axis=True)
    with pytest.raises(ShapeError, match="out of range"):
        SPLIT_V2(x, indices=(0, 1), axis=2)


# ---- operators that compute: tile, repeat, broadcast, pad, concat, stack, diag -------------


@KERNELS
@given(arrays(shapes=[(2,), (1, 3), (2, 0), (2, 1, 2)], dtypes=["float32", "int32"]),
       st.lists(st.integers(0, 3), min_size=0, max_size=4))
def test_tile_matches_numpy(xs, reps):
    x, ref = xs
    same(nd.tile(x, reps=tuple(reps)), np.tile(ref, tuple(reps)))


def test_tile_repeats_many_axes():  # MXNet 1.9.1 fails beyond two repeated axes
    ref = np.arange(8.0).reshape(2, 2, 2)
    same(nd.tile(nd.array(ref, dtype="float64"), (2, 3, 2, 2)), np.tile(ref, (2, 3, 2, 2)))


@KERNELS
@given(arrays(shapes=[(3,), (2, 3), (1, 0), (2, 1, 2)], dtypes=["float64", "uint8"]),
       st.integers(0, 3), st.data())
def test_repeat_matches_numpy(xs, repeats, data):
    x, ref = xs
    ax = data.draw(st.one_of(st.none(), st.integers(-ref.ndim, ref.ndim - 1)))
    same(nd.repeat(x, repeats=repeats, axis=ax), np.repeat(ref, repeats, axis=ax))


@KERNELS
@given(arrays(shapes=[(1,), (2, 1), (1, 3), (2, 1, 1)], dtypes=["float32", "int64"]),
       st.data())
def test_broadcast_family(xs, data):
    x, ref = xs
    target = tuple(data.draw(st.sampled_from([1, 2, 3])) if d == 1 else d for d in ref.shape)
    same(nd.broadcast_to(x, target), np.broadcast_to(ref, target))
    zeros = tuple(0 if d != 1 else t for d, t in zip(ref.shape, target))
    same(nd.broadcast_to(x, zeros), np.broadcast_to(ref, target))
    same(nd.broadcast_like(x, nd.zeros(target)), np.broadcast_to(ref, target))
    axes = tuple(k for k, d in enumerate(ref.shape) if d == 1)
    sizes = tuple(target[a] for a in axes)
    same(nd.broadcast_axis(x, axis=axes, size=sizes), np.broadcast_to(ref, target))
    same(nd.broadcast_axes(x, axis=axes, size=sizes), np.broadcast_to(ref, target))
    if axes:  # (empty axes are MXNet's error: test_broadcast_like_refuses_empty_axes)
        same(nd.broadcast_like(x, nd.zeros(target[::-1]), lhs_axes=axes,
                               rhs_axes=tuple(len(target) - 1 - a for a in axes)),
             np.broadcast_to(ref, target))


def test_broadcast_like_refuses_empty_axes():
    with pytest.raises(ParamError, match="empty axes tuple is not allowed"):
        nd.broadcast_like(nd.ones((1, 3)), nd.ones((2, 3)), lhs_axes=(), rhs_axes=())


@KERNELS
@given(arrays(shapes=[(3,), (2, 3), (1, 4), (2, 1, 3)], dtypes=["float32", "int32"]),
       st.sampled_from(["constant", "edge", "reflect"]), st.data())
def test_pad_matches_numpy_on_any_axis(xs, mode, data):
    x, ref = xs
    widths = [(data.draw(st.integers(0, 4)), data.draw(st.integers(0, 4))) for _ in ref.shape]
    flat = tuple(w for pair in widths for w in pair)
    if mode == "constant":
        got = nd.pad(x, mode=mode, pad_width=flat, constant_value=7)
        same(got, np.pad(ref, widths, mode="constant", constant_values=7))
    else:
        same(nd.pad(x, mode=mode, pad_width=flat), np.pad(ref, widths, mode=mode))


def test_pad_mxnet_example_4d():
    ref = np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4)
    widths = (0, 0, 0, 0, 1, 1, 1, 1)
    same(nd.pad(nd.array(ref), mode="constant", pad_width=widths, constant_value=0),
         np.pad(ref, ((0, 0), (0, 0), (1, 1), (1, 1))))
    same(nd.Pad(nd.array(ref), mode="edge", pad_width=widths),
         np.pad(ref, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge"))


@KERNELS
@given(arrays(shapes=[(2,), (2, 3), (0, 3), (2, 1, 2)], dtypes=["float32", "int64"]),
       st.integers(1, 3), st.data())
def test_concat_and_stack(xs, count, data):
    x, ref = xs
    ax = data.draw(st.integers(-ref.ndim, ref.ndim - 1))
    same(nd.concat(*([x] * count), dim=ax), np.concatenate([ref] * count, axis=ax))
    same(nd.Concat(*([x] * count), dim=ax), np.concatenate([ref] * count, axis=ax))
    sax = data.draw(st.integers(-ref.ndim - 1, ref.ndim))
    same(nd.stack(*([x] * count), axis=sax), np.stack([ref] * count, axis=sax))


@KERNELS
@given(arrays(shapes=[(3,), (2, 3), (4, 2), (2, 3, 4)], dtypes=["float64", "int32"]),
       st.integers(-3, 3), st.data())
def test_diag_matches_numpy(xs, k, data):
    x, ref = xs
    if ref.ndim == 1:
        same(nd.diag(x, k=k), np.diag(ref, k))
    else:
        a1 = data.draw(st.integers(0, ref.ndim - 1))
        a2 = data.draw(st.integers(0, ref.ndim - 1).filter(lambda a: a != a1))
        same(nd.diag(x, k=k, axis1=a1, axis2=a2), np.diagonal(ref, k, a1, a2))


def test_shape_and_size_arrays():
    x = nd.zeros((2, 0, 3))
    same(nd.shape_array(x), np.array([2, 0, 3], dtype=np.int64))
    same(nd.size_array(x), np.array([0], dtype=np.int64))
    got = mx.jit(lambda a: (nd.shape_array(a), nd.size_array(a)))(nd.ones((4, 5)))
    same(got[0], np.array([4, 5], dtype=np.int64))
    same(got[1], np.array([20], dtype=np.int64))


# ---- the same operators under mx.jit -----------------------------------------------------

# Chains of operators, so that each case compiles to few kernels.
JIT_CASES = {
    "views": lambda a: nd.flatten(nd.slice_axis(nd.slice(nd.flip(nd.moveaxis(nd.swapaxes(
        nd.reshape(nd.squeeze(nd.expand_dims(nd.reshape(a, shape=(-3, -1)), 1), axis=1),
                   shape=(-4, 2, -1, 0)), 0, 2), 0, -1), axis=(0, 2)),
        (None, None, None), (None, None, 0), (None, -1, -2)), axis=0, begin=-2, end=None)),
    "repetition": lambda a: nd.broadcast_like(nd.broadcast_axis(nd.expand_dims(nd.repeat(
        nd.tile(a, (2, 1, 3)), 2, axis=-1), 0), axis=0, size=2)[:1], nd.zeros((3, 4, 3, 24))),
    "pads": lambda a: nd.pad(nd.pad(nd.pad(a, mode="constant", pad_width=(0, 1, 2, 0, 1, 1),
                                           constant_value=-1),
                                    mode="edge", pad_width=(1, 0, 0, 2, 1, 1)),
                             mode="reflect", pad_width=(1, 1, 2, 2, 3, 0)),
    "joins": lambda a: nd.concat(*nd.split(nd.stack(a, a * 2, axis=1), 2, axis=3), dim=0),
    "diag": lambda a: nd.diag(nd.slice_like(nd.diag(a, k=1, axis1=1, axis2=2),
                                            nd.zeros((2, 2))), k=-1),
    "diag_1d": lambda a: nd.diag(nd.reshape(a, shape=(-1,), reverse=True)[:5], k=2),
}


@pytest.mark.parametrize("name", sorted(JIT_CASES))
def test_ops_under_jit_match_eager(name):
    f = JIT_CASES[name]
    x = nd.array(np.random.default_rng(0).normal(size=(2, 3, 4)))
    np.testing.assert_array_equal(f(x).asnumpy(), mx.jit(f)(x).asnumpy())


# ---- gradients ---------------------------------------------------------------------------

GRAD_CASES = {
    "tile": lambda a: nd.tile(a, (2, 1, 2)) ** 2,
    "repeat": lambda a: nd.repeat(a, 3, axis=0) ** 2 + nd.repeat(a, 2).sum() ** 2,
    "slice_and_pads": lambda a: nd.pad(nd.slice(a, (1, None), (None, None), (1, -2)),
                                       mode="reflect", pad_width=(1, 2, 2, 1)) ** 2,
    "pad_edge_diag_stack": lambda a: nd.pad(nd.stack(nd.diag(a, k=-1), a[0, 1:], axis=1),
                                            mode="edge", pad_width=(0, 2, 1, 1)) ** 2,
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_match_finite_differences(name):
    x = np.random.default_rng(1).normal(size=(3, 3))
    check_grads(GRAD_CASES[name], [x], order=1)


# ---- errors ------------------------------------------------------------------------------


def test_errors_name_the_operator_and_shapes():
    x = nd.zeros((2, 3))
    cases = [
        (lambda: nd.squeeze(x, axis=1), ShapeError, "squeeze.*size is not 1"),
        (lambda: nd.split(x, 2, axis=1), ShapeError, "does not evenly divide"),
        (lambda: nd.split(nd.zeros((2, 6)), 3, squeeze_axis=True), ShapeError, "squeeze_axis"),
        (lambda: nd.split(x, 0), ShapeError, "positive int"),
        (lambda: nd.slice_axis(x, axis=1, begin=2, end=1), ShapeError, "begin < end"),
        (lambda: nd.slice_axis(x, axis=2, begin=0, end=1), ShapeError, "out of range"),
        (lambda: nd.slice(x, (0, 0), (1, 1), (1, 0)), ShapeError, "cannot be 0"),
        (lambda: nd.slice(x, (0, 0, 0), (1, 1, 1)), ShapeError, "3 axes"),
        (lambda: nd.slice(x, (0,), (1, 1)), ShapeError, "same length"),
        (lambda: nd.slice_like(x, nd.zeros((3, 3))), ShapeError, "exceeds"),
        (lambda: nd.slice_like(x, nd.zeros((2,))), ShapeError, "same number of dims"),
        (lambda: nd.pad(x, pad_width=(1, 1)), ShapeError, "2 \\* ndim"),
        (lambda: nd.pad(x, pad_width=(0, 0, -1, 1)), ShapeError, "non-negative"),
        (lambda: nd.pad(x, mode="wrap", pad_width=(0, 0, 1, 1)), ValueError, "mode"),
        (lambda: nd.pad(nd.zeros((0, 2)), mode="edge", pad_width=(1, 0, 0, 0)), ShapeError,
         "empty axis"),
        (lambda: nd.concat(x, nd.zeros((3, 3)), dim=1), ShapeError, "must agree"),
        (lambda: nd.concat(x, nd.zeros((2, 3), dtype="int32")), DTypeError, "dtypes differ"),
        (lambda: nd.concat(), ShapeError, "at least one"),
        (lambda: nd.stack(x, nd.zeros((3, 2))), ShapeError, "same shape"),
        (lambda: nd.broadcast_to(x, (4, 3)), ShapeError, "cannot broadcast"),
        (lambda: nd.broadcast_axis(x, axis=0, size=4), ShapeError, "not 1"),
        (lambda: nd.broadcast_like(x, nd.zeros((3,))), ShapeError, "cannot broadcast"),
        (lambda: nd.tile(x, (-1, 2)), ShapeError, "non-negative"),
        (lambda: nd.repeat(x, -2), ShapeError, "non-negative"),
        (lambda: nd.repeat(x, 1.5), TypeError, "must be an int"),
        (lambda: nd.expand_dims(x, 3), ShapeError, "out of range"),
        (lambda: nd.swapaxes(x, 0, 2), ShapeError, "out of range"),
        (lambda: nd.moveaxis(x, (0, 1), 0), ShapeError, "differ in length"),
        (lambda: nd.flip(x, axis=(0, 0)), ShapeError, "repeated axis"),
        (lambda: nd.diag(nd.zeros(())), ShapeError, "at least one dim"),
        (lambda: nd.diag(x, axis1=1, axis2=-1), ShapeError, "same axis"),
        (lambda: nd.flatten(nd.zeros(())), ShapeError, "0-d"),
        (lambda: nd.reshape(x, shape=(2, "3")), TypeError, "ints"),
    ]
    for fn, kind, match in cases:
        with pytest.raises(kind, match=match):
            fn()
    assert issubclass(ShapeError, mx.MXNetError) and issubclass(ShapeError, ValueError)


def test_out_argument_and_empty_arrays():
    x = nd.array(np.arange(6.0).reshape(2, 3))
    out = nd.zeros((3, 2))
    assert nd.swapaxes(x, 0, 1, out=out) is out
    same(out, np.arange(6.0, dtype=np.float32).reshape(2, 3).T)
    with pytest.raises(ShapeError, match="out="):
        nd.flatten(x, out=nd.zeros((5,)))
    e = nd.zeros((0, 3))
    assert nd.tile(e, (2, 2)).shape == (0, 6)
    assert nd.repeat(e, 2, axis=1).shape == (0, 6)
    assert nd.pad(e, mode="constant", pad_width=(1, 1, 0, 0)).shape == (2, 3)
    assert nd.concat(e, nd.ones((2, 3)), dim=0).shape == (2, 3)
    assert nd.split(e, 3, axis=1)[0].shape == (0, 1)


def test_concat_of_more_arrays_than_a_kernel_takes_arguments():
    # (a kernel's buffers are native call arguments, at most 1,024: a wide concat nests)
    xs = [mx.nd.full((2,), i) for i in range(1100)]
    want = np.concatenate([x.asnumpy() for x in xs])
    np.testing.assert_array_equal(mx.nd.concat(*xs, dim=0).asnumpy(), want)
    np.testing.assert_array_equal(mx.jit(lambda *a: mx.nd.concat(*a, dim=0))(*xs).asnumpy(),
                                  want)
    w = mx.nd.ones(2)
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.concat(*[w * i for i in range(300)], dim=0).sum()
    y.backward()
    np.testing.assert_array_equal(w.grad.asnumpy(), [44850.0, 44850.0])


def test_reshape_with_mxnets_deprecated_target_shape():
    # (MXNet 1.9.1: a single 0 is inferred; keep_highest copies the first dim)
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    same(nd.Reshape(nd.array(x), target_shape=(4, 0)), x.reshape(4, 6))
    same(nd.Reshape(nd.array(x), target_shape=(5, 0), keep_highest=True), x.reshape(2, 12))
    same(nd.Reshape(nd.array(x), target_shape=(6, 4)), x.reshape(6, 4))
    with pytest.raises(ShapeError, match=r"target_shape \(5, 5\) does not fit"):
        nd.Reshape(nd.array(x), target_shape=(5, 5))
    sym = mx.sym.load_json(mx.sym.Reshape(mx.sym.var("data"), target_shape=(2, 0)).tojson())
    assert sym.infer_shape(data=(2, 3, 5, 5))[1] == [(2, 75)]
