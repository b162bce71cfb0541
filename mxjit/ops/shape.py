"""MXNet's shape operators over movement primitives: reshape (with its special codes), flatten,
squeeze, transpose, tile, repeat, split, slice*, pad, stack, concat, broadcast_*, diag, ...

Every operator is built from primitives with `bind`, so it runs eagerly, inside `mx.jit` and
under `mx.grad` / `mx.autograd`. Eagerly, reshape, transpose, slice and flip are NumPy views
of their operand; a front end that promises new arrays copies them (`mx.nd` does, as MXNet's
operators do). Generalisations of MXNet 1.x (documented per function): `tile` and `pad` take
any number of axes, `reshape` computes `-4` with `-1` and `reverse=True` with `-4` correctly.
"""
from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ParamError, ShapeError
from ..core import Array, bind, scalar_operand
from ..core.operators import backward_shape_rule, register_operator
from .operands import (
    axis_index,
    axis_indices,
    constant,
    ints,
    reshape_exact,
    variadic_arrays,
)

_pyslice = builtins.slice
_INT_TYPES = (int, np.integer)

# ---- helpers -----------------------------------------------------------------------------


def _size(shape: Sequence[int]) -> int:
    return math.prod(int(d) for d in shape)


def broadcast_exact(data: Array, shape: tuple[int, ...]) -> Array:
    return data if data.shape == shape else bind("broadcast_to", data, shape=shape)


def broadcast_new(data: Array, shape: tuple[int, ...]) -> Array:
    """Like `broadcast_exact`, but a new array even when nothing broadcasts (a public
    operator's result never aliases its input)."""
    return bind("broadcast_to", data, shape=shape)


def permute(data: Array, perm: Sequence[int]) -> Array:
    """`data` with its axes in the order `perm` (itself when that is the identity)."""
    perm = tuple(perm)
    return data if perm == tuple(range(data.ndim)) else bind("transpose", data, perm=perm)


def slice_ranges(data: Array, start: Sequence[int], stop: Sequence[int], step: Sequence[int]
           ) -> Array:
    """The slice primitive over normalised ranges (as `slice.indices` gives them); an empty
    range is passed as (0, 0, 1), so equal slices get equal attributes (and kernels)."""
    ranges = [range(b, e, s) for b, e, s in zip(start, stop, step)]
    ranges = [r if len(r) else range(0, 0, 1) for r in ranges]
    return bind("slice", data, start=tuple(r.start for r in ranges),
                stop=tuple(r.stop for r in ranges), step=tuple(r.step for r in ranges))


# ---- reshape -----------------------------------------------------------------------------


def infer_reshape(src: Sequence[int], shape: Sequence[int], reverse: bool = False
                  ) -> tuple[int, ...]:
    """The shape MXNet's `reshape` gives an input of shape `src` for the codes in `shape`.

    Codes: 0 copies an input dim, -1 infers one dim from the size, -2 copies all remaining
    dims, -3 merges two input dims, -4 splits one input dim into the next two values (one of
    which may be -1). `reverse=True` matches codes and dims from the right, as MXNet does
    (so a -4 there comes after its two dims: (16, 4, -4) splits 64 into (16, 4)). Where
    MXNet 1.9.1 computes garbage (`-4` with `-1`) this computes the documented meaning;
    impossible codes raise `ShapeError`. For an empty input (size 0) a shape of
    non-negative sizes whose product is 0 is taken literally (MXNet 1.x has no zero-size
    arrays; this keeps `reshape(x, (0, 5))` meaning what it says).

    >>> infer_reshape((2, 3, 4), (-4, 1, 2, -2))
    (1, 2, 3, 4)
    >>> infer_reshape((10, 5, 4), (-1, 0), reverse=True)
    (50, 4)
    """
    src, codes = tuple(int(d) for d in src), tuple(int(c) for c in shape)
    if _size(src) == 0 and codes and min(codes) >= 0 and _size(codes) == 0:
        return codes

    def fail(why: str) -> ShapeError:
        return ShapeError(f"reshape: cannot reshape {src} with shape={codes}"
                          f"{' (reverse=True)' if reverse else ''}: {why}")

    tokens: list[tuple[int, ...]] = []  # (code,) or (-4, first, second)
    # (reversed, MXNet reads the codes from the right: a -4 splits into the two codes
    # before it, read right to left)
    order = codes[::-1] if reverse else codes
    k = 0
    while k < len(order):
        c = order[k]
        if c == -4:
            if k + 2 >= len(order):
                raise fail("-4 must be followed by the two dims to split into" if not reverse
                           else "-4 must come after the two dims to split into")
            tokens.append((-4, order[k + 1], order[k + 2]))
            k += 3
            continue
        if c < -4:
            raise fail(f"{c} is not a valid dim (use a positive size or 0, -1, -2, -3, -4)")
        tokens.append((c,))
        k += 1
    dims = list(src)
    if reverse:
        dims.reverse()
    out: list[int] = []
    infer_at: int | None = None
    pos = 0
    for tok in tokens:
        c = tok[0]
        if c == 0:
            if pos >= len(dims):
                raise fail("0 copies an input dim, but the input has no dim left")
            out.append(dims[pos])
            pos += 1
        elif c == -1:
            if infer_at is not None:
                raise fail("only one dim can be inferred (-1)")
            infer_at = len(out)
            out.append(1)
            pos += 1
        elif c == -2:
            out.extend(dims[pos:])
            pos = len(dims)
        elif c == -3:
            if pos + 1 >= len(dims):
                raise fail("-3 merges two input dims, but fewer than two are left")
            out.append(dims[pos] * dims[pos + 1])
            pos += 2
        elif c == -4:
            if pos >= len(dims):
                raise fail("-4 splits an input dim, but the input has no dim left")
            whole, a, b = dims[pos], tok[1], tok[2]
            pos += 1
            if a < -1 or b < -1 or a == 0 or b == 0:
                raise fail(f"-4 splits into positive sizes or one -1, got ({a}, {b})")
            if a == -1 and b == -1:
                raise fail("-4: the two split dims cannot both be -1")
            if a == -1:
                if whole % b:
                    raise fail(f"-4: {b} does not divide the dim {whole}")
                a = whole // b
            elif b == -1:
                if whole % a:
                    raise fail(f"-4: {a} does not divide the dim {whole}")
                b = whole // a
            if a * b != whole:
                raise fail(f"-4: split dims {a} x {b} do not make the dim {whole}")
            out.extend((a, b))
        else:  # a literal size
            out.append(c)
            pos += 1
    total = _size(src)
    if infer_at is not None:
        known = _size(out[:infer_at] + out[infer_at + 1:])
        if known == 0:
            raise fail("cannot infer -1 when the other dims have size 0")
        if total % known:
            raise fail(f"the size {total} is not a multiple of {known}")
        out[infer_at] = total // known
    if reverse:
        out.reverse()
    if _size(out) != total:
        raise fail(f"the target size {_size(out)} differs from the source size {total}")
    return tuple(out)


@register_operator("Reshape", aliases=("reshape",), kinds={"shape": "shape"})
def reshape(data: Array, shape: Any = (), reverse: bool = False, target_shape: Any = (),
            keep_highest: bool = False) -> Array:
    """A new shape for the same data, with MXNet's special codes (see `infer_reshape`).
    MXNet's deprecated `target_shape` (used when `shape` is not given) infers its one 0
    from the size, keeping the first dim with `keep_highest`.

    Eagerly the result shares memory with `data` when NumPy can view it.

    >>> mx.nd.reshape(mx.nd.ones((2, 3, 4)), shape=(-3, -1)).shape  # doctest: +SKIP
    (6, 4)
    """
    codes = ints(shape, "reshape: shape")
    if not codes and target_shape:
        target = _legacy_target(tuple(data.shape), ints(target_shape, "reshape: target_shape"),
                                keep_highest)
    else:
        target = infer_reshape(data.shape, codes, reverse)
    return reshape_exact(data, target)


def _legacy_target(src: tuple[int, ...], target: tuple[int, ...], keep_highest: bool
                   ) -> tuple[int, ...]:
    """MXNet's `target_shape` rule: a single 0 (after the first dim with `keep_highest`,
    which copies the input's) is inferred from the size; anything else is taken as given."""
    out = list(target)
    if keep_highest and out:
        out[0] = src[0]
    zeros = [k for k in range(1 if keep_highest else 0, len(out)) if out[k] == 0]
    if len(zeros) == 1:
        rest = _size(tuple(d for k, d in enumerate(out) if k != zeros[0]))
        out[zeros[0]] = _size(src) // rest if rest else 0
    if _size(tuple(out)) != _size(src):
        raise ShapeError(f"reshape: target_shape {target} does not fit an input of shape "
                         f"{src}")
    return tuple(out)


@register_operator("reshape_like", inputs=("lhs", "rhs"))
def reshape_like(lhs: Array, rhs: Array, lhs_begin: int | None = None,
                 lhs_end: int | None = None, rhs_begin: int | None = None,
                 rhs_end: int | None = None) -> Array:
    """Reshape `lhs` to the shape of `rhs` (or replace lhs dims [lhs_begin, lhs_end) by
    rhs dims [rhs_begin, rhs_end)).

    >>> mx.nd.reshape_like(mx.nd.ones((6,)), mx.nd.ones((2, 3))).shape  # doctest: +SKIP
    (2, 3)
    """
    def bounds(begin: int | None, end: int | None, ndim: int, which: str) -> tuple[int, int]:
        b = 0 if begin is None else int(begin) + (ndim if begin < 0 else 0)
        e = ndim if end is None else int(end) + (ndim if end < 0 else 0)
        if not 0 <= b <= e <= ndim:
            raise ShapeError(f"reshape_like: invalid {which}_begin={begin}, {which}_end={end} "
                             f"for an array of {ndim} dims")
        return b, e

    lb, le = bounds(lhs_begin, lhs_end, lhs.ndim, "lhs")
    rb, re = bounds(rhs_begin, rhs_end, rhs.ndim, "rhs")
    target = lhs.shape[:lb] + rhs.shape[rb:re] + lhs.shape[le:]
    if _size(target) != lhs.size:
        raise ShapeError(f"reshape_like: cannot reshape {lhs.shape} (size {lhs.size}) into "
                         f"{target} taken from {rhs.shape}")
    return reshape_exact(lhs, target)


@register_operator("Flatten", aliases=("flatten",))
def flatten(data: Array) -> Array:
    """Collapse all axes but the first: shape (d0, d1*d2*...); a 1-D input gives (d0, 1).

    >>> mx.nd.flatten(mx.nd.ones((2, 3, 4))).shape  # doctest: +SKIP
    (2, 12)
    """
    if data.ndim == 0:
        raise ShapeError("flatten: needs an array of at least one dim, got a 0-d array")
    return reshape_exact(data, (data.shape[0], _size(data.shape[1:])))


@register_operator("expand_dims")
def expand_dims(data: Array, axis: int
                ) -> Array:
    """Insert a size-1 axis at `axis` (in [-ndim-1, ndim]).

    >>> mx.nd.expand_dims(mx.nd.ones((2, 3)), axis=1).shape  # doctest: +SKIP
    (2, 1, 3)
    """
    ax = axis_index(axis, data.ndim + 1, "expand_dims")
    return reshape_exact(data, data.shape[:ax] + (1,) + data.shape[ax:])


@register_operator("squeeze")
def squeeze(data: Array, axis: Any = None) -> Array:
    """Remove size-1 axes (all of them, or those in `axis`). As in MXNet 1.x at least one
    dim is kept: squeezing shape (1, 1) gives (1,).

    >>> mx.nd.squeeze(mx.nd.ones((1, 3, 1)), axis=2).shape  # doctest: +SKIP
    (1, 3)
    """
    if axis is None:
        axes = tuple(k for k, d in enumerate(data.shape) if d == 1)
    else:
        axes = axis_indices(axis, data.ndim, "squeeze")
        bad = [a for a in axes if data.shape[a] != 1]
        if bad:
            raise ShapeError(f"squeeze: cannot squeeze axis {bad[0]} of shape {data.shape}: "
                             "its size is not 1")
    shape = tuple(d for k, d in enumerate(data.shape) if k not in axes) or (1,)
    return reshape_exact(data, shape)


@register_operator("transpose", kinds={"axes": "shape"})
def transpose(data: Array, axes: Sequence[int] | None = None) -> Array:
    """Permute the axes (reverse them by default). Inside `jit` an index map that costs no
    copy.

    >>> mx.nd.transpose(mx.nd.ones((2, 3))).shape  # doctest: +SKIP
    (3, 2)
    """
    perm = tuple(reversed(range(data.ndim))) if not axes else tuple(
        axis_index(a, data.ndim, "transpose") for a in axes)
    return bind("transpose", data, perm=perm)  # type: ignore[no-any-return]


@register_operator("SwapAxis", aliases=("swapaxes",))
def swapaxes(data: Array, dim1: int = 0, dim2: int = 0) -> Array:
    """Exchange two axes (a view eagerly).

    >>> mx.nd.swapaxes(mx.nd.ones((2, 3, 4)), 0, 2).shape  # doctest: +SKIP
    (4, 3, 2)
    """
    a, b = axis_index(dim1, data.ndim, "swapaxes"), axis_index(dim2, data.ndim, "swapaxes")
    perm = list(range(data.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return bind("transpose", data, perm=tuple(perm))


def moveaxis(tensor: Array, source: Any, destination: Any) -> Array:
    """Move axes to new positions, the others keeping their order (NumPy's `moveaxis`).

    >>> mx.nd.moveaxis(mx.nd.ones((2, 3, 4)), 0, -1).shape  # doctest: +SKIP
    (3, 4, 2)
    """
    src = axis_indices(source, tensor.ndim, "moveaxis")
    dst = axis_indices(destination, tensor.ndim, "moveaxis")
    if len(src) != len(dst):
        raise ShapeError(f"moveaxis: source {source} and destination {destination} differ in "
                         "length")
    perm = [a for a in range(tensor.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return permute(tensor, perm) if perm != list(range(tensor.ndim)) else bind(
        "reshape", tensor, shape=tensor.shape)


@register_operator("reverse", aliases=("flip",))
def flip(data: Array, axis: Any
         ) -> Array:
    """Reverse the order of elements along `axis` (an int or a tuple).

    >>> mx.nd.flip(mx.nd.array([1, 2, 3]), axis=0)  # doctest: +SKIP
    """
    return bind("flip", data, axes=tuple(sorted(axis_indices(axis, data.ndim, "flip"))))


# ---- repetition --------------------------------------------------------------------------


@register_operator("tile", kinds={"reps": "shape"})
def tile(data: Array, reps: Any
         ) -> Array:
    """Repeat the whole array `reps[i]` times along axis i (NumPy's `tile`: a shorter `reps`
    is padded with 1s on the left, a shorter input gets leading size-1 axes). Any number of
    axes may repeat (MXNet 1.9.1 fails beyond two).

    >>> mx.nd.tile(mx.nd.array([[1, 2]]), reps=(2, 2)).shape  # doctest: +SKIP
    (2, 4)
    """
    r = ints(reps, "tile: reps")
    if any(v < 0 for v in r):
        raise ShapeError(f"tile: reps must be non-negative, got {r}")
    n = builtins.max(data.ndim, len(r))
    r = (1,) * (n - len(r)) + r
    shape = (1,) * (n - data.ndim) + data.shape
    x = reshape_exact(data, shape) if shape != data.shape else data
    if all(v == 1 for v in r):
        return bind("reshape", x, shape=shape)
    interleaved = tuple(v for d, k in zip(shape, r) for v in (k, d))
    expanded = reshape_exact(x, tuple(v for d in shape for v in (1, d)))
    big = broadcast_exact(expanded, interleaved)
    return reshape_exact(big, tuple(d * k for d, k in zip(shape, r)))


@register_operator("repeat")
def repeat(data: Array, repeats: int, axis: int | None = None) -> Array:
    """Repeat each element `repeats` times along `axis` (of the flattened array by default).

    >>> mx.nd.repeat(mx.nd.array([1, 2]), repeats=2)  # doctest: +SKIP
    [1. 1. 2. 2.]
    """
    if isinstance(repeats, bool) or not isinstance(repeats, _INT_TYPES):
        raise ArgumentError(f"repeat: repeats must be an int, got {repeats!r}")
    if repeats < 0:
        raise ShapeError(f"repeat: repeats must be non-negative, got {repeats}")
    if axis is None:
        data, ax = reshape_exact(data, (data.size,)), 0
    else:
        ax = axis_index(axis, data.ndim, "repeat")
    s = data.shape
    expanded = reshape_exact(data, s[:ax + 1] + (1,) + s[ax + 1:])
    big = broadcast_exact(expanded, s[:ax + 1] + (int(repeats),) + s[ax + 1:])
    return reshape_exact(big, s[:ax] + (s[ax] * int(repeats),) + s[ax + 1:])


# ---- slicing -----------------------------------------------------------------------------


def _python_slice(b: int | None, e: int | None, s: int | None, dim: int, op: str, axis: int
                  ) -> tuple[int, int, int]:
    if s == 0:
        raise ShapeError(f"{op}: step of axis {axis} cannot be 0")
    return _pyslice(b, e, s).indices(dim)


@register_operator("slice", aliases=("crop",),
                   kinds={"begin": "shape", "end": "shape", "step": "shape"})
def slice(data: Array, begin: Any, end: Any, step: Any = None) -> Array:
    """Basic slicing: `data[begin[0]:end[0]:step[0], ...]` over the first len(begin) axes;
    None entries take the defaults (as Python slices do).

    >>> mx.nd.slice(mx.nd.ones((3, 4)), begin=(0, 1), end=(2, None)).shape  # doctest: +SKIP
    (2, 3)
    """
    return slice_ranges(data, *slice_bounds(data.shape, begin, end, step, "slice"))


def slice_bounds(shape: tuple[int, ...], begin: Any, end: Any, step: Any, op: str
                 ) -> tuple[list[int], list[int], list[int]]:
    """(starts, stops, steps) per axis of `slice`'s parameters over an array of `shape`."""
    begin, end = tuple(begin), tuple(end)
    step = () if step is None else tuple(step)
    if len(begin) != len(end):
        raise ShapeError(f"{op}: begin {begin} and end {end} must have the same length")
    if step and len(step) != len(begin):
        raise ShapeError(f"{op}: step {step} and begin {begin} must have the same length")
    if len(begin) > len(shape):
        raise ShapeError(f"{op}: {len(begin)} axes given for an array of {len(shape)} dims")
    starts, stops, steps = [], [], []
    for k, dim in enumerate(shape):
        if k < len(begin):
            s = step[k] if step else None
            b, e, st = _python_slice(begin[k], end[k], s, dim, op, k)
        else:
            b, e, st = 0, dim, 1
        starts.append(b)
        stops.append(e)
        steps.append(st)
    return starts, stops, steps


@register_operator("slice_axis")
def slice_axis(data: Array, axis: int, begin: int, end: int | None) -> Array:
    """`data[..., begin:end, ...]` along `axis` (negative begin/end count from the end;
    `end=None` is the end). As in MXNet, begin must be below end and both in range.

    >>> mx.nd.slice_axis(mx.nd.ones((3, 4)), axis=1, begin=1, end=3).shape  # doctest: +SKIP
    (3, 2)
    """
    ax = axis_index(axis, data.ndim, "slice_axis")
    dim = data.shape[ax]
    b = int(begin) + (dim if begin < 0 else 0)
    e = dim if end is None else int(end) + (dim if end < 0 else 0)
    if dim and not 0 <= b < e <= dim:
        raise ShapeError(f"slice_axis: invalid begin={begin}, end={end} for axis {axis} of "
                         f"size {dim} (need 0 <= begin < end <= size after wrapping)")
    if not dim:
        b = e = 0
    starts = tuple(b if k == ax else 0 for k in range(data.ndim))
    stops = tuple(e if k == ax else d for k, d in enumerate(data.shape))
    return slice_ranges(data, starts, stops, (1,) * data.ndim)


@register_operator("slice_like", inputs=("data", "shape_like"), kinds={"axes": "shape"})
def slice_like(data: Array, shape_like: Array, axes: Any = ()) -> Array:
    """Slice `data` from the start to the shape of `shape_like` (on `axes`, or all axes).

    >>> mx.nd.slice_like(mx.nd.ones((3, 4)), mx.nd.ones((2, 2)), axes=(1,)).shape  # doctest: +SKIP
    (3, 2)
    """
    ax = ints(axes, "slice_like: axes")
    if not ax:
        if data.ndim != shape_like.ndim:
            raise ShapeError(f"slice_like: without axes the inputs need the same number of "
                             f"dims, got {data.shape} and {shape_like.shape}")
        chosen = tuple(range(data.ndim))
    else:
        chosen = tuple(axis_index(a, data.ndim, "slice_like") for a in ax)
    stops = list(data.shape)
    for a in chosen:
        if a >= shape_like.ndim:
            raise ShapeError(f"slice_like: axis {a} is out of range for shape_like "
                             f"{shape_like.shape}")
        if shape_like.shape[a] > data.shape[a]:
            raise ShapeError(f"slice_like: axis {a} of size {shape_like.shape[a]} exceeds the "
                             f"input's size {data.shape[a]} ({data.shape} vs "
                             f"{shape_like.shape})")
        stops[a] = shape_like.shape[a]
    return slice_ranges(data, (0,) * data.ndim, stops, (1,) * data.ndim)


@register_operator("SliceChannel", aliases=("split",))
def split(data: Array, num_outputs: int, axis: int = 1, squeeze_axis: bool = False) -> Any:
    """Split into `num_outputs` equal parts along `axis` (MXNet's `SliceChannel`): a list,
    or one array when num_outputs is 1. `squeeze_axis` drops the (size-1) split axis.

    >>> [p.shape for p in mx.nd.split(mx.nd.ones((2, 6)), num_outputs=3)]  # doctest: +SKIP
    [(2, 2), (2, 2), (2, 2)]
    """
    if isinstance(num_outputs, bool) or not isinstance(num_outputs, _INT_TYPES) or \
            num_outputs < 1:
        raise ShapeError(f"split: num_outputs must be a positive int, got {num_outputs!r}")
    ax = axis_index(axis, data.ndim, "split")
    dim = data.shape[ax]
    if dim % num_outputs:
        raise ShapeError(f"split: num_outputs={num_outputs} does not evenly divide axis {axis} "
                         f"of size {dim} (shape {data.shape})")
    step = dim // num_outputs
    if squeeze_axis and step != 1:
        raise ShapeError(f"split: squeeze_axis=True needs axis {axis} of size num_outputs "
                         f"({num_outputs}), got {dim}")
    parts = []
    for k in range(num_outputs):
        starts = tuple(k * step if a == ax else 0 for a in range(data.ndim))
        stops = tuple((k + 1) * step if a == ax else d for a, d in enumerate(data.shape))
        part = slice_ranges(data, starts, stops, (1,) * data.ndim)
        if squeeze_axis:  # never 0-d, as in MXNet 1.x
            part = reshape_exact(part, data.shape[:ax] + data.shape[ax + 1:] or (1,))
        parts.append(part)
    return parts[0] if num_outputs == 1 else parts


@register_operator("_split_v2", kinds={"indices": "shape"})
def split_v2_op(data: Array, indices: Any, axis: int = 1, squeeze_axis: bool = False,
                sections: int = 0) -> Any:
    """MXNet's `_split_v2`: the parts of `data` along `axis` that start at `indices` (the
    first 0; an index past the axis gives an empty part, as NumPy), or `sections` > 0
    near-equal parts (the first `size % sections` one longer, as NumPy's `array_split`). A
    list, or one array for one part. `mx.nd.split_v2` and `mx.sym.split_v2` take NumPy's
    `indices_or_sections` and write these.

    >>> [p.shape for p in mx.nd.split_v2(mx.nd.ones((5,)), (2, 3))]  # doctest: +SKIP
    [(2,), (1,), (2,)]
    """
    ax = axis_index(axis, data.ndim, "split_v2")
    dim = data.shape[ax]
    if isinstance(sections, bool) or not isinstance(sections, _INT_TYPES) or sections < 0:
        raise ParamError(f"split_v2: sections must be an int >= 0, got {sections!r}")
    if sections:
        small, longer = divmod(dim, int(sections))
        sizes = [small + 1] * longer + [small] * (int(sections) - longer)
        starts = [builtins.sum(sizes[:k]) for k in range(len(sizes))]
    else:
        starts = list(ints(indices, "split_v2: indices"))
        if not starts or starts[0] != 0:
            raise ParamError(f"split_v2: indices must start at 0 (MXNet's form: 0, then the "
                             f"split points), or give sections > 0; got {indices!r}")
    bounds = [builtins.min(builtins.max(p, 0), dim) for p in starts] + [dim]
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        hi = builtins.max(lo, hi)
        part = slice_ranges(data, tuple(lo if a == ax else 0 for a in range(data.ndim)),
                            tuple(hi if a == ax else d for a, d in enumerate(data.shape)),
                            (1,) * data.ndim)
        if squeeze_axis:
            if hi - lo != 1:
                raise ShapeError("split_v2: squeeze_axis=True needs sections of size 1")
            part = reshape_exact(part, data.shape[:ax] + data.shape[ax + 1:] or (1,))
        parts.append(part)
    return parts[0] if len(parts) == 1 else parts


# ---- padding -----------------------------------------------------------------------------


def _edge_indices(dim: int, low: int, high: int, mode: str) -> np.ndarray:
    positions = np.arange(-low, dim + high, dtype=np.int64)
    if mode == "edge":
        return np.clip(positions, 0, dim - 1)
    if dim == 1:
        return np.zeros_like(positions)
    period = 2 * (dim - 1)
    m = np.mod(positions, period)
    return np.where(m < dim, m, period - m)


@register_operator("Pad", aliases=("pad",), kinds={"pad_width": "shape"})
def pad(data: Array, mode: str = "constant", pad_width: Any = None,
        constant_value: float = 0.0
        ) -> Array:
    """Pad with `pad_width` = (before_0, after_0, before_1, after_1, ...), one pair per axis.

    Modes: 'constant' (fill with `constant_value`), 'edge' (repeat the edge values),
    'reflect' (mirror without repeating the edge, as NumPy's 'reflect', also for pads wider
    than the axis). MXNet 1.x only pads 4-D/5-D arrays, and not their first two axes; here
    any array and any axis may be padded.

    >>> mx.nd.pad(mx.nd.ones((1, 1, 2, 2)), mode='constant',
    ...           pad_width=(0, 0, 0, 0, 1, 1, 1, 1)).shape  # doctest: +SKIP
    (1, 1, 4, 4)
    """
    if pad_width is None:
        raise ShapeError("pad: pad_width is required: (before_0, after_0, before_1, ...)")
    widths = ints(pad_width, "pad: pad_width")
    if len(widths) != 2 * data.ndim:
        raise ShapeError(f"pad: pad_width needs 2 * ndim = {2 * data.ndim} values for shape "
                         f"{data.shape}, got {len(widths)}")
    if any(w < 0 for w in widths):
        raise ShapeError(f"pad: pad_width must be non-negative, got {widths}")
    low, high = widths[0::2], widths[1::2]
    if mode == "constant":
        value = scalar_operand(constant_value, data)
        return bind("pad", data, value, low=low, high=high)
    if mode not in ("edge", "reflect"):
        raise ParamError(f"pad: mode must be 'constant', 'edge' or 'reflect', got {mode!r}")
    x = data
    for ax, (lo, hi) in enumerate(zip(low, high)):
        if not lo and not hi:
            continue
        dim = x.shape[ax]
        if dim == 0:
            raise ShapeError(f"pad: mode {mode!r} cannot pad the empty axis {ax} of "
                             f"{data.shape}")
        idx = constant(_edge_indices(dim, lo, hi, mode), x)
        x = bind("take", x, idx, axis=ax, mode="clip")
    return x if x is not data else bind("reshape", x, shape=x.shape)


# ---- joining -----------------------------------------------------------------------------


@backward_shape_rule("Concat")
def concat_inputs(out: tuple[int, ...], inputs: dict[str, tuple[int, ...] | None],
                  dim: int = 1, sharing: int = 1, **params: Any) -> dict[str, tuple[int, ...]]:
    """Each joined array has the output's sizes but on the joining axis, where the arrays
    whose size there is unknown (at most `sharing` of them) share what the others leave
    equally (MXNet's inference; `_rnn_param_concat` shares it between two directions)."""
    if not -len(out) <= dim < len(out):
        return {}
    ax = dim % len(out)
    found = {n: tuple(-1 if k == ax else d for k, d in enumerate(out)) for n in inputs}
    along = {n: (None if s is None or len(s) != len(out) else s[ax]) for n, s in inputs.items()}
    open_ = [n for n, d in along.items() if d is None or d < 0]
    if 1 <= len(open_) <= sharing and out[ax] >= 0:
        rest = out[ax] - sum(d for d in along.values() if d is not None and d >= 0)
        if rest >= 0 and rest % len(open_) == 0:
            for n in open_:
                found[n] = out[:ax] + (rest // len(open_),) + out[ax + 1:]
    return found


@backward_shape_rule("Reshape")
def reshape_input(out: tuple[int, ...], inputs: dict[str, tuple[int, ...] | None],
                  **params: Any) -> dict[str, tuple[int, ...]]:
    """A reshaped array has the output's number of elements: with one size unknown, that
    size is what the others leave."""
    data = inputs.get("data")
    if data is None or any(d < 0 for d in out) or sum(d < 0 for d in data) != 1:
        return {}
    known = math.prod(d for d in data if d >= 0)
    total = math.prod(out)
    if known == 0 or total % known:
        return {}
    return {"data": tuple(total // known if d < 0 else d for d in data)}


@register_operator("Concat", inputs=("data",), aliases=("concat",))
def concat(*data: Array, dim: int = 1, num_args: int | None = None) -> Array:
    """Join arrays along `dim` (MXNet's default is 1); the other dims must match.

    >>> mx.nd.concat(mx.nd.ones((2, 1)), mx.nd.zeros((2, 2)), dim=1).shape  # doctest: +SKIP
    (2, 3)
    """
    data = variadic_arrays("concat", data, num_args)
    first = data[0]
    ax = axis_index(dim, first.ndim, "concat")
    dtypes = {x._dtype for x in data}
    if len(dtypes) > 1:
        raise DTypeError(f"concat: operand dtypes differ: {[str(x._dtype) for x in data]}")
    if any(x.ndim != first.ndim or any(a != b for k, (a, b) in enumerate(zip(x.shape, first.shape))
                                       if k != ax) for x in data):
        raise ShapeError(f"concat: shapes {[x.shape for x in data]} must agree except on axis "
                         f"{dim}")
    if len(data) == 1:
        return bind("reshape", first, shape=first.shape)
    return bind("concat", *data, axis=ax)


@register_operator("stack", inputs=("data",))
def stack(*data: Array, axis: int = 0, num_args: int | None = None) -> Array:
    """Join arrays of equal shape along a new axis.

    >>> mx.nd.stack(mx.nd.ones((2,)), mx.nd.zeros((2,)), axis=1).shape  # doctest: +SKIP
    (2, 2)
    """
    data = variadic_arrays("stack", data, num_args)
    if any(x.shape != data[0].shape for x in data):
        raise ShapeError(f"stack: all inputs need the same shape, got {[x.shape for x in data]}")
    ax = axis_index(axis, data[0].ndim + 1, "stack")
    parts = [expand_dims(x, ax) for x in data]
    return concat(*parts, dim=ax)


# ---- broadcasting ------------------------------------------------------------------------


@register_operator("broadcast_to", kinds={"shape": "shape"})
def broadcast_to(data: Array, shape: Any) -> Array:
    """Broadcast size-1 axes to `shape`; a 0 in `shape` keeps that input dim (MXNet's code).
    Missing leading axes are added as in NumPy.

    >>> mx.nd.broadcast_to(mx.nd.ones((1, 3)), shape=(2, 0)).shape  # doctest: +SKIP
    (2, 3)
    """
    target = list(ints(shape, "broadcast_to: shape"))
    lead = len(target) - data.ndim
    if lead < 0:
        raise ShapeError(f"broadcast_to: cannot broadcast {data.shape} to fewer dims {shape}")
    for k, d in enumerate(data.shape):
        if target[lead + k] == 0:
            target[lead + k] = d
        elif d not in (1, target[lead + k]):
            raise ShapeError(f"broadcast_to: cannot broadcast {data.shape} to {tuple(shape)}: "
                             f"axis {k} has size {d}, not 1")
    if any(t < 0 for t in target):
        raise ShapeError(f"broadcast_to: invalid shape {tuple(shape)}")
    return broadcast_new(data, tuple(target))


@register_operator("broadcast_axis", aliases=("broadcast_axes",),
                   kinds={"axis": "shape", "size": "shape"})
def broadcast_axis(data: Array, axis: Any = (), size: Any = ()) -> Array:
    """Broadcast the size-1 axes `axis` to the sizes `size`.

    >>> mx.nd.broadcast_axis(mx.nd.ones((1, 2)), axis=0, size=3).shape  # doctest: +SKIP
    (3, 2)
    """
    axes = axis_indices(axis, data.ndim, "broadcast_axis")
    sizes = ints(size, "broadcast_axis: size")
    if len(axes) != len(sizes):
        raise ShapeError(f"broadcast_axis: axis {axis} and size {size} differ in length")
    target = list(data.shape)
    for a, s in zip(axes, sizes):
        if data.shape[a] != 1 and data.shape[a] != s:
            raise ShapeError(f"broadcast_axis: axis {a} of shape {data.shape} has size "
                             f"{data.shape[a]}, not 1")
        if s < 0:
            raise ShapeError(f"broadcast_axis: negative size {s}")
        target[a] = s
    return broadcast_new(data, tuple(target))


@register_operator("broadcast_like", inputs=("lhs", "rhs"))
def broadcast_like(lhs: Array, rhs: Array, lhs_axes: Any = None, rhs_axes: Any = None) -> Array:
    """Broadcast `lhs` to the shape of `rhs` (or its `lhs_axes` to the sizes of `rhs_axes`).

    >>> mx.nd.broadcast_like(mx.nd.ones((1, 3)), mx.nd.ones((2, 3))).shape  # doctest: +SKIP
    (2, 3)
    """
    if lhs_axes is None and rhs_axes is None:
        if lhs.ndim > rhs.ndim or any(d not in (1, s) for d, s in
                                      zip(lhs.shape, rhs.shape[rhs.ndim - lhs.ndim:])):
            raise ShapeError(f"broadcast_like: cannot broadcast {lhs.shape} to {rhs.shape}")
        return broadcast_new(lhs, rhs.shape)
    la = axis_indices(lhs_axes, lhs.ndim, "broadcast_like")
    ra = axis_indices(rhs_axes, rhs.ndim, "broadcast_like")
    if not la or not ra:
        raise ParamError("broadcast_like: empty axes tuple is not allowed (MXNet's rule); "
                         "leave lhs_axes and rhs_axes out to broadcast to rhs's shape")
    if len(la) != len(ra):
        raise ShapeError(f"broadcast_like: lhs_axes {lhs_axes} and rhs_axes {rhs_axes} differ "
                         "in length")
    return broadcast_axis(lhs, la, tuple(rhs.shape[a] for a in ra))


# ---- diagonals and shape queries ---------------------------------------------------------


@register_operator("diag")
def diag(data: Array, k: int = 0, axis1: int = 0, axis2: int = 1) -> Array:
    """A 1-D input becomes a square matrix with it on diagonal k; from an N-D input the k-th
    diagonal of the (axis1, axis2) planes is taken (appended as the last axis).

    >>> mx.nd.diag(mx.nd.array([1, 2]))  # doctest: +SKIP
    [[1. 0.]
     [0. 2.]]
    """
    k = int(k)
    if data.ndim == 0:
        raise ShapeError("diag: needs an array of at least one dim")
    if data.ndim == 1:
        # x[i] goes to flat position offset + i * (N + 1) of the N x N result: pad each
        # element with N zeros, flatten, then shift by the offset and fit to N * N.
        n = data.shape[0]
        big = n + abs(k)
        zero = scalar_operand(0, data)
        rows = bind("pad", reshape_exact(data, (n, 1)), zero, low=(0, 0), high=(0, big))
        flat = reshape_exact(rows, (n * (big + 1),))
        offset = k if k >= 0 else -k * big
        tail = big * big - offset - n * (big + 1)
        if tail < 0:
            flat = slice_ranges(flat, (0,), (flat.shape[0] + tail,), (1,))
        flat = bind("pad", flat, zero, low=(offset,), high=(builtins.max(tail, 0),))
        return reshape_exact(flat, (big, big))
    a1, a2 = axis_index(axis1, data.ndim, "diag"), axis_index(axis2, data.ndim, "diag")
    if a1 == a2:
        raise ShapeError(f"diag: axis1 and axis2 cannot be the same axis ({axis1}, {axis2})")
    rest = [a for a in range(data.ndim) if a not in (a1, a2)]
    moved = permute(data, rest + [a1, a2])
    n, m = data.shape[a1], data.shape[a2]
    length = builtins.max(0, builtins.min(n, m - k) if k >= 0 else builtins.min(n + k, m))
    i = np.arange(length, dtype=np.int64)
    flat_idx = (i * m + i + k) if k >= 0 else ((i - k) * m + i)
    lead = tuple(data.shape[a] for a in rest)
    flat = reshape_exact(moved, lead + (n * m,))
    if length == 0:
        return slice_ranges(flat, (0,) * flat.ndim, lead + (0,), (1,) * flat.ndim)
    return bind("take", flat, constant(flat_idx, data), axis=len(lead), mode="clip")


@register_operator("shape_array")
def shape_array(data: Array
                ) -> Array:
    """The shape as a 1-D int64 array.

    >>> mx.nd.shape_array(mx.nd.ones((2, 3)))  # doctest: +SKIP
    [2 3]
    """
    return constant(np.asarray(data.shape, dtype=np.int64).reshape(-1), data)


@register_operator("size_array")
def size_array(data: Array
               ) -> Array:
    """The number of elements as an int64 array of shape (1,).

    >>> mx.nd.size_array(mx.nd.ones((2, 3)))  # doctest: +SKIP
    [6]
    """
    return constant(np.asarray([data.size], dtype=np.int64), data)
