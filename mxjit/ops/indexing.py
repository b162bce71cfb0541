"""Indexing: `take`, `pick`, `gather_nd`, `scatter_nd` and NDArray's `x[key]` / `x[key] = v`
with MXNet 1.x semantics.

Reading (`x[key]`) is built from primitives (slice, reshape, transpose, take), so it works
eagerly, inside `mx.jit` and under gradients. As in MXNet, a basic key (ints, slices, None,
Ellipsis) gives a view sharing memory when the selected elements are contiguous in the
row-major layout and a copy otherwise; a key with index arrays (lists, NumPy arrays,
NDArrays) gathers into a new array with NumPy's rules. Indexing all axes with ints gives
shape (1,), never a 0-d array (MXNet 1.x has none). Boolean masks are not supported, as in
MXNet 1.x's Array (legacy) mode.

Writing (`x[key] = value`) writes into the array's memory, so it is eager only; the key and
the value are validated before anything is written.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import ArgumentError, MXNetIndexError, ParamError, ShapeError, TracerError
from ..core import Array, bind, custom_vjp, scalar_operand, tape
from ..core.operators import register_operator
from ..trace import canonical_dtype, evaluate
from ..trace.graph import const_value
from ..trace.indexing import index_error
from .elementwise import cast
from .operands import axis_index, constant, int_param, ints, iota, reshape_exact
from .shape import broadcast_exact, expand_dims, slice_ranges, stack

_INT_TYPES = (int, np.integer)
_MODES = ("clip", "wrap", "raise")


_NO_BOOL = ("boolean masks are not supported by MXNet 1.x's NDArray; use mx.nd.where, or "
            "index with the positions of the true values, e.g. x[np.nonzero(mask.asnumpy())]")


# ---- index operands ----------------------------------------------------------------------


def concrete(x: Array) -> np.ndarray | None:
    """The values of an eager array (on the host: a device array's are copied down) or of a
    constant inside a trace; None when traced."""
    if x._data is not None:
        return x._data if type(x._data) is np.ndarray else np.asarray(x._data)
    return const_value(x._node) if x._node is not None else None


def _as_index(indices: Any, like: Array) -> Array:
    """`indices` (Array, list, NumPy array) as an NDArray; Python data becomes a constant."""
    if isinstance(indices, Array):
        return indices
    arr = np.asarray(indices)
    if arr.dtype == object:
        raise ArgumentError(f"indices must be numbers, got {indices!r}")
    if arr.dtype.kind == "b":
        raise MXNetIndexError(_NO_BOOL)
    if arr.dtype.kind not in "iu":
        arr = _truncate(arr)
    return constant(arr.astype(np.int64), like)


def _as_raw_index(indices: Any, like: Array) -> Array:
    """`indices` as `_as_index` gives them, except that float data stays float (float32, as
    `mx.nd.array` makes it): the operators that check or read the float values themselves
    (take's 'raise', gather_nd, scatter_nd) see what they would see in an NDArray."""
    if not isinstance(indices, Array):
        arr = np.asarray(indices)
        if arr.dtype.kind == "f":
            return constant(arr.astype(np.float32), like)  # type: ignore[no-any-return]
    return _as_index(indices, like)


def _truncate(arr: np.ndarray) -> np.ndarray:
    """Float indices as MXNet reads them: truncated toward zero, by the cast primitive's own
    meaning (NaN, inf and values beyond int64 become its minimum), so that concrete and traced
    indices agree."""
    return evaluate("cast", [arr], {"dtype": np.dtype(np.int64)})


def _int64(idx: Array) -> Array:
    if idx._dtype == np.int64:
        return idx
    if idx._dtype.kind == "b":
        raise MXNetIndexError(_NO_BOOL)
    return bind("cast", idx, dtype=np.dtype(np.int64))


def _values(idx: Array) -> np.ndarray | None:
    """The integer values of an eager index array (None when traced)."""
    data = concrete(idx)
    if data is None:
        return None
    return data.astype(np.int64) if data.dtype.kind in "iub" else _truncate(data)


def _check_range(values: np.ndarray, dim: int, allow_negative: bool, what: str) -> None:
    error = index_error(what, values, -dim if allow_negative else 0, dim - 1)
    if error is not None:
        raise error


def _checked(idx: Array, dim: int, allow_negative: bool, what: str) -> Array:
    """`idx` with its values checked against an axis of size `dim`: now when they are known
    (eagerly, or constants in a trace), else by a `check_index` step of the program, which
    raises `MXNetIndexError` when it runs. Integer indices are checked; float ones as their
    own values (gather_nd's rule: -3.4 is in range, 2.5 is not for a size of 3)."""
    if idx._dtype.kind == "b":
        raise MXNetIndexError(_NO_BOOL)
    low = -dim if allow_negative else 0
    values = concrete(idx)
    if values is not None:
        _check_range(values, dim, allow_negative, what)
        return idx
    return bind("check_index", idx, low=low, high=dim - 1, what=what)  # type: ignore[no-any-return]


def _wrap_negative(idx: Array, dim: int) -> Array:
    """Python-style negative indices (-dim..-1) as 0..dim-1, inside the graph."""
    if dim <= 0:
        return idx
    return bind("mod", idx, broadcast_exact(scalar_operand(dim, idx), idx.shape))


# ---- operators ---------------------------------------------------------------------------


@register_operator("take", inputs=("a", "indices"))
def take(a: Array, indices: Any, axis: int = 0, mode: str = "clip") -> Array:
    """Gather slices of `a` along `axis` at `indices` (float indices are truncated).

    Out-of-range indices: mode 'clip' clamps them, 'wrap' wraps them around (Python's modulo),
    'raise' raises `MXNetIndexError` (valid: 0 <= index <= size - 1, the float values themselves
    compared, so -0.5 is out of range; eagerly before anything runs, inside `mx.jit` /
    `mx.grad` when the compiled program runs).

    >>> mx.nd.take(mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([1, 0]))  # doctest: +SKIP
    [[3. 4.]
     [1. 2.]]
    """
    if mode not in _MODES:
        raise ParamError(f"take: mode must be one of {_MODES}, got {mode!r}")
    ax = axis_index(axis, a.ndim, "take")
    idx = _as_raw_index(indices, a)
    if mode == "raise":  # (MXNet checks the values themselves: -0.5 is out of range)
        idx = _checked(idx, a.shape[ax], False, "take")
        mode = "clip"
    if a.shape[ax] == 0 and idx.size:
        raise MXNetIndexError(f"take: cannot take from the empty axis {ax} of {a.shape}")
    return bind("take", a, _int64(idx), axis=ax, mode=mode)


@register_operator("pick", inputs=("data", "index"), aliases=("choose_element_0index",),
                   compiled=True)
def pick(data: Array, index: Any, axis: int = -1, keepdims: bool = False, mode: str = "clip"
         ) -> Array:
    """Pick one element along `axis` for each position of the other axes:
    out[i, j] = data[i, index[i, j], j] (for axis=1). `index` has the shape of the result;
    out-of-range indices are clipped (mode='clip') or wrapped (mode='wrap').

    >>> mx.nd.pick(mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([0, 1]), axis=1)  # doctest: +SKIP
    [1. 4.]
    """
    if axis is None:
        raise ShapeError("pick: axis=None (a global pick) is not supported; give an axis")
    if mode not in ("clip", "wrap"):
        raise ParamError(f"pick: mode must be 'clip' or 'wrap', got {mode!r}")
    ax = axis_index(axis, data.ndim, "pick")
    dim = data.shape[ax]
    reduced = data.shape[:ax] + data.shape[ax + 1:]
    kept = data.shape[:ax] + (1,) + data.shape[ax + 1:]
    idx = _as_index(index, data)
    if idx.shape not in (reduced, kept):
        raise ShapeError(f"pick: index shape {idx.shape} must be {reduced} (or {kept}) for data "
                         f"{data.shape} and axis {axis}")
    outer, inner = math.prod(data.shape[:ax]), math.prod(data.shape[ax + 1:])
    if dim == 0:
        if math.prod(reduced):
            raise ShapeError(f"pick: cannot pick from the empty axis {ax} of {data.shape}")
        result = reshape_exact(data, reduced)
    else:
        values = _values(idx)
        if values is not None:  # a concrete index: clipped or wrapped now
            v = values.reshape(outer, inner)
            v = np.clip(v, 0, dim - 1) if mode == "clip" else np.mod(v, dim)
            i = _as_index(v.astype(np.int64), data)
        else:
            i = reshape_exact(_int64(idx), (outer, inner))
            if mode == "clip":
                lo = broadcast_exact(scalar_operand(0, i), i.shape)
                hi = broadcast_exact(scalar_operand(dim - 1, i), i.shape)
                i = bind("minimum", bind("maximum", i, lo), hi)
            else:
                i = _wrap_negative(i, dim)
        rows = reshape_exact(data, (outer, dim, inner))
        eager = rows._node is None and i._node is None and not tape.is_recording()
        result = reshape_exact((_gather_rows if eager else _picked)(rows, i), reduced)
    if keepdims:
        result = reshape_exact(result, kept)
    elif result.ndim == 0:  # MXNet 1.x has no 0-d arrays
        result = reshape_exact(result, (1,))
    return result


def _gather_rows(data: Array, i: Array) -> Array:
    """data[o, i[o, n], n] of data (outer, dim, inner) for in-range i (outer, inner): one
    `take` of the flat positions."""
    outer, dim, inner = data.shape
    base = bind("mul", iota((outer, inner), 0, i),
                broadcast_exact(scalar_operand(dim * inner, i), (outer, inner)))
    offset = bind("add", bind("mul", i, broadcast_exact(scalar_operand(inner, i),
                                                         (outer, inner))),
                  iota((outer, inner), 1, i))
    flat = reshape_exact(bind("add", base, offset), (outer * inner,))
    picked = bind("take", reshape_exact(data, (data.size,)), flat, axis=0, mode="clip")
    return reshape_exact(picked, (outer, inner))


def _spread_rows(res: tuple[Array, Array], g: Array) -> tuple[Array, None]:
    """pick's gradient: g where the index points, else 0, elementwise (so it fuses into the
    consumer, where take's scatter would fill and write a dense array first: a softmax
    cross-entropy over a 10,000-word vocabulary spent 12% of its step there)."""
    data, i = res
    hit = bind("eq", iota(data.shape, 1, i), broadcast_exact(expand_dims(i, 1), data.shape))
    spread = broadcast_exact(expand_dims(g, 1), data.shape)
    return bind("where", hit, spread, broadcast_exact(scalar_operand(0, g), data.shape)), None


_picked = custom_vjp(_gather_rows)
_picked.defvjp(lambda data, i: (_gather_rows(data, i), (data, i)), _spread_rows)


@register_operator("batch_take", inputs=("a", "indices"))
def batch_take(a: Array, indices: Any
               ) -> Array:
    """out[i] = a[i, indices[i]] over `a` seen as rows of its last axis (MXNet's deprecated
    form of `pick`); out-of-range indices are clipped. The result has the indices' shape.

    >>> mx.nd.batch_take(mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([1, 0]))  # doctest: +SKIP
    [2. 3.]
    """
    if a.ndim < 2:
        raise ShapeError(f"batch_take: a must have at least 2 dims, got shape {a.shape}")
    idx = _as_index(indices, a)
    width = a.shape[-1]
    rows = math.prod(a.shape[:-1])
    if idx.size != rows:
        raise ShapeError(f"batch_take: indices need one entry per row of a: {rows} for a of "
                         f"shape {a.shape}, got shape {idx.shape}")
    if width == 0 and rows:
        raise ShapeError(f"batch_take: cannot take from the empty last axis of {a.shape}")
    picked = pick(reshape_exact(a, (rows, width)), reshape_exact(idx, (rows,)), axis=1)
    return reshape_exact(picked, idx.shape)


def _nd_position_numpy(v: np.ndarray, dim: int) -> np.ndarray:
    """Positions in [0, dim) of gather_nd's checked indices (-dim <= v <= dim - 1) as MXNet
    reads them: int(v + dim) % dim, the sum in v's type (float16 summed in float32 and rounded
    to float16, as mshadow's half_t does), so -3.4 is element 3 of 7 (3.6 truncated)."""
    if v.dtype.kind != "f":
        return np.mod(v.astype(np.int64), dim)
    work = np.dtype(np.float64 if v.dtype == np.float64 else np.float32)
    total = v.astype(work) + np.asarray(dim, work)
    if v.dtype == np.float16:
        total = total.astype(np.float16)
    return np.mod(_truncate(total), dim)


def _nd_position(v: Array, dim: int) -> Array:
    """`_nd_position_numpy` over a traced index, with primitives."""
    if v._dtype.kind != "f":
        return _wrap_negative(_int64(v), dim)
    work = np.dtype(np.float64 if v._dtype == np.float64 else np.float32)
    wide = v if v._dtype == work else cast(v, work)
    total = bind("add", wide, broadcast_exact(scalar_operand(dim, wide), wide.shape))
    if v._dtype == np.float16:
        total = cast(total, v._dtype)
    return _wrap_negative(_int64(total), dim)


def _flat_positions(indices: Array, lead: tuple[int, ...], like: Array, op: str
                    ) -> tuple[Array, tuple[int, ...]]:
    """Row-major positions in `lead` addressed by the columns of `indices` (M, Y...), each
    checked (-dim <= index <= dim - 1, MXNetIndexError otherwise) and read as gather_nd does."""
    if indices.ndim == 0 or indices.shape[0] == 0:
        raise ShapeError(f"{op}: indices must have shape (M, ...) with M >= 1, got "
                         f"{indices.shape}")
    if indices._dtype.kind == "b":
        raise MXNetIndexError(_NO_BOOL)
    y = indices.shape[1:]
    values = concrete(indices)
    if values is not None:
        flat = np.zeros(y, np.int64)
        for j, d in enumerate(lead):
            _check_range(values[j], d, True, op)
            flat = flat * d + _nd_position_numpy(values[j], d)
        return _as_index(flat, like), y
    if math.prod(y) and any(d == 0 for d in lead):  # (every index is out of range there)
        raise MXNetIndexError(f"{op}: cannot index the empty dims {lead}")
    total: Array | None = None
    for j, d in enumerate(lead):
        row = reshape_exact(slice_ranges(indices, (j,) + (0,) * len(y), (j + 1,) + y,
                                         (1,) * (len(y) + 1)), y)
        row = _nd_position(_checked(row, d, True, op), d)
        if total is None:
            total = row
        else:
            total = bind("add", bind("mul", total, broadcast_exact(scalar_operand(d, total),
                                                                    y)), row)
    assert total is not None
    return total, y


@register_operator("gather_nd", inputs=("data", "indices"))
def gather_nd(data: Array, indices: Any) -> Array:
    """Gather by N-d indices: out[y] = data[indices[0, y], ..., indices[M-1, y], ...].

    Indices may be negative (from -dim). One outside -dim <= index <= dim - 1 raises
    `MXNetIndexError`: eagerly before anything runs, inside `mx.jit` / `mx.grad` when the
    compiled program runs. Float indices are read as MXNet reads them: int(index + dim) % dim,
    so -3.4 addresses element 3 of 7 and 2.5 is out of range for a size of 3.

    >>> data, idx = mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([[1, 0], [0, 1]])
    >>> mx.nd.gather_nd(data, idx)  # doctest: +SKIP
    [3. 2.]
    """
    idx = _as_raw_index(indices, data)
    m = idx.shape[0] if idx.ndim else 0
    if m > data.ndim:
        raise ShapeError(f"gather_nd: indices {idx.shape} address {m} dims of data "
                         f"{data.shape}, which has only {data.ndim}")
    lead, rest = data.shape[:m], data.shape[m:]
    flat, y = _flat_positions(idx, lead, data, "gather_nd")
    if math.prod(lead) == 0:  # then y is empty too (an index into an empty dim raised above)
        return reshape_exact(data, y + rest)
    source = reshape_exact(data, (math.prod(lead),) + rest)
    return bind("take", source, flat, axis=0, mode="clip")


@register_operator("scatter_nd", inputs=("data", "indices"), kinds={"shape": "shape"})
def scatter_nd(data: Array, indices: Any, shape: Any) -> Array:
    """The inverse of `gather_nd`: zeros of `shape` with out[indices[:, y]] = data[y].

    Values at repeated indices are summed (MXNet leaves them undefined). Indices follow
    gather_nd's rule: negative ones count from the end and one out of range raises
    `MXNetIndexError` (MXNet 1.9.1 writes outside the array there). Differentiable in `data`.

    >>> idx = mx.nd.array([[1, 0], [0, 1]])
    >>> mx.nd.scatter_nd(mx.nd.array([2, 3]), idx, shape=(2, 2))  # doctest: +SKIP
    [[0. 3.]
     [2. 0.]]
    """
    target = ints(shape, "scatter_nd: shape")
    idx = _as_raw_index(indices, data)
    m = idx.shape[0] if idx.ndim else 0
    if m > len(target):
        raise ShapeError(f"scatter_nd: indices {idx.shape} address {m} dims of shape {target}")
    lead, rest = target[:m], target[m:]
    if idx.ndim and data.shape != idx.shape[1:] + rest:
        raise ShapeError(f"scatter_nd: data shape {data.shape} must be indices.shape[1:] + "
                         f"shape[M:] = {idx.shape[1:] + rest}")
    flat, y = _flat_positions(idx, lead, data, "scatter_nd")
    n = math.prod(y)
    updates = reshape_exact(data, (n,) + rest)
    if n == 0 or math.prod(lead) == 0:
        zero = broadcast_exact(scalar_operand(0, data), target)
        return zero
    scattered = bind("scatter_add", updates, reshape_exact(flat, (n,)), axis=0, mode="clip",
                     size=math.prod(lead))
    return reshape_exact(scattered, target)


@register_operator("_ravel_multi_index", aliases=("ravel_multi_index",), kinds={"shape": "shape"})
def ravel_multi_index(data: Array, shape: Any) -> Array:
    """Flat (row-major) positions of the N-d indices in the columns of `data` (shape (M, ...)),
    in `data`'s dtype.

    >>> mx.nd.ravel_multi_index(mx.nd.array([[3, 6, 6], [4, 5, 1]]), shape=(7, 6))  # doctest: +SKIP
    [22. 41. 37.]
    """
    dims = ints(shape, "ravel_multi_index: shape")
    if data.ndim == 0 or data.shape[0] != len(dims):
        raise ShapeError(f"ravel_multi_index: data must have shape ({len(dims)}, ...) for shape "
                         f"{dims}, got {data.shape}")
    strides = np.asarray([math.prod(dims[j + 1:]) for j in range(len(dims))], dtype=data._dtype)
    column = constant(strides.reshape((-1,) + (1,) * (data.ndim - 1)), data)
    weights = broadcast_exact(column, data.shape)
    return bind("reduce_sum", bind("mul", data, weights), axes=(0,))


@register_operator("_unravel_index", aliases=("unravel_index",), kinds={"shape": "shape"})
def unravel_index(data: Array, shape: Any) -> Array:
    """The N-d indices (rows of the result) of the flat positions in `data`, in its dtype.
    As in MXNet, the first index is not wrapped by the first dim, which may be -1.

    >>> mx.nd.unravel_index(mx.nd.array([22, 41, 37]), shape=(7, 6))  # doctest: +SKIP
    [[3. 6. 6.]
     [4. 5. 1.]]
    """
    dims = ints(shape, "unravel_index: shape")
    if not dims or any(d <= 0 for d in dims[1:]) or (dims[0] <= 0 and dims[0] != -1):
        raise ShapeError(f"unravel_index: shape must have positive dims (the first may be "
                         f"-1), got {dims}")
    flat = _int64(data)
    rows = []
    for j, d in enumerate(dims):
        stride = broadcast_exact(scalar_operand(math.prod(dims[j + 1:]), flat), flat.shape)
        index = bind("div", flat, stride)
        if j == 0:
            rows.append(index)
            continue
        size = broadcast_exact(scalar_operand(d, flat), flat.shape)
        rows.append(bind("mod", index, size))
    return bind("cast", stack(*rows, axis=0), dtype=data._dtype)


# ---- x[key] ------------------------------------------------------------------------------


def _expand_key(key: Any, shape: tuple[int, ...]) -> list[Any]:
    """The key as a list with one entry per input axis (int, slice or index array) plus
    None entries for new axes; Ellipsis and missing trailing axes become full slices."""
    if not isinstance(key, tuple):
        key = (key,)
    items: list[Any] = []
    ellipsis_at: int | None = None
    for k in key:
        if k is Ellipsis:
            if ellipsis_at is not None:
                raise MXNetIndexError("an index can only have a single ellipsis ('...')")
            ellipsis_at = len(items)
        elif k is None or isinstance(k, slice):
            if isinstance(k, slice) and k.step == 0:
                raise ParamError("slice step cannot be zero")
            items.append(k)
        elif isinstance(k, (bool, np.bool_)):
            raise MXNetIndexError(_NO_BOOL)
        elif isinstance(k, _INT_TYPES):
            items.append(int(k))
        elif isinstance(k, Array):
            if k._dtype.kind == "b":
                raise MXNetIndexError(_NO_BOOL)
            if k.ndim == 0 and k._data is not None:
                items.append(int(_values(k).reshape(()).item()))  # type: ignore[union-attr]
            else:
                items.append(k)
        elif isinstance(k, (list, tuple, np.ndarray)):
            arr = np.asarray(k)
            if arr.dtype.kind == "b":
                raise MXNetIndexError(_NO_BOOL)
            if arr.dtype == object or arr.dtype.kind not in "iuf":
                raise ArgumentError(f"NDArray does not support indexing with {k!r}")
            arr = arr.astype(np.int64) if arr.dtype.kind in "iu" else _truncate(_finite(arr))
            items.append(int(arr) if arr.ndim == 0 else arr)
        else:
            raise ArgumentError(f"NDArray does not support indexing with key {k!r} of type "
                            f"{type(k).__name__}")
    consumed = sum(1 for k in items if k is not None)
    if consumed > len(shape):
        raise MXNetIndexError(f"too many indices ({consumed}) for an array with {len(shape)} "
                              "dimensions")
    fill = [slice(None)] * (len(shape) - consumed)
    at = len(items) if ellipsis_at is None else ellipsis_at
    return items[:at] + fill + items[at:]


def _basic_contiguous(ranges: list[range], shape: tuple[int, ...]) -> bool:
    """MXNet's rule for a view: going right to left, once an axis is a proper subset, every
    axis to its left selects at most one element; steps other than 1 break contiguity."""
    counts = [len(r) for r in ranges]
    if math.prod(counts) in (0, 1):
        return True
    subset = False
    for r, n, count in zip(reversed(ranges), reversed(shape), reversed(counts)):
        if count > 1 and r.step != 1:
            return False
        if subset:
            if count > 1:
                return False
        elif count < n:
            subset = True
    return True


def _finite(values: np.ndarray) -> np.ndarray:
    """Float index values, or the MXNetIndexError for the first NaN or infinity."""
    bad = ~np.isfinite(values)
    if bad.any():
        raise MXNetIndexError(f"index: {values[bad].reshape(-1)[0]} cannot index an axis "
                              "(indices must be finite numbers)")
    return values


def _int_in_range(i: int, dim: int, axis: int) -> int:
    if not -dim <= i < dim:
        raise MXNetIndexError(f"index {i} is out of bounds for axis {axis} with size {dim}")
    return i + dim if i < 0 else i


def getitem(arr: Array, key: Any) -> Array:
    """`arr[key]` with MXNet 1.x semantics (see the module docstring).

    >>> x = mx.nd.arange(6).reshape((2, 3)); x[1, 1:].asnumpy()  # doctest: +SKIP
    array([4., 5.], dtype=float32)
    """
    items = _expand_key(key, arr.shape)
    if any(isinstance(k, (np.ndarray, Array)) for k in items):
        return _advanced(arr, items)
    return _basic(arr, items)


def _basic(arr: Array, items: list[Any]) -> Array:
    ranges: list[range] = []
    np_key: list[slice] = []
    final: list[int] = []
    axis = 0
    for k in items:
        if k is None:
            final.append(1)
            continue
        dim = arr.shape[axis]
        if isinstance(k, int):
            i = _int_in_range(k, dim, axis)
            ranges.append(range(i, i + 1))
            np_key.append(slice(i, i + 1))
        else:
            r = range(*k.indices(dim))
            ranges.append(r)
            np_key.append(k)
            final.append(len(r))
        axis += 1
    shape = tuple(final) or (1,)
    data = arr._data
    if data is not None and not tape.is_recording():
        # an eager view, as the slice and reshape primitives give it, without the dispatch
        view = data[tuple(np_key)].reshape(shape)
        result = arr._result_class._wrap(view, arr._ctx)
    else:
        sliced = slice_ranges(arr, [r.start for r in ranges], [r.stop for r in ranges],
                        [r.step for r in ranges])
        result = reshape_exact(sliced, shape)
    if result._data is not None and not _basic_contiguous(ranges, arr.shape):
        result._data = result._data.copy()  # MXNet copies here
    return result


def _advanced(arr: Array, items: list[Any]) -> Array:
    # New axes first: None becomes a full slice over an inserted size-1 axis.
    shape: list[int] = []
    keys: list[Any] = []
    axis = 0
    for k in items:
        if k is None:
            shape.append(1)
            keys.append(slice(None))
        else:
            shape.append(arr.shape[axis])
            keys.append(k)
            axis += 1
    x = reshape_exact(arr, tuple(shape)) if tuple(shape) != arr.shape else arr
    adv = [a for a, k in enumerate(keys) if not isinstance(k, slice)]
    index_arrays: list[Array] = []
    known: list[np.ndarray | None] = []
    for a in adv:
        k, dim = keys[a], shape[a]
        if isinstance(k, int):
            k = np.asarray(_int_in_range(k, dim, a), dtype=np.int64)
        raw = concrete(k) if isinstance(k, Array) and k._dtype.kind == "f" else None
        if raw is not None:
            _finite(raw)
        values = k if isinstance(k, np.ndarray) else _values(k)
        if values is not None:
            _check_range(values, dim, True, "index")
            values = np.where(values < 0, values + dim, values)
        known.append(values)
        index_arrays.append(k if isinstance(k, Array) else _as_index(k, arr))
    try:
        bshape = tuple(np.broadcast_shapes(*(i.shape for i in index_arrays)))
    except ValueError:
        raise MXNetIndexError("shape mismatch: index arrays could not be broadcast together "
                              f"with shapes {[i.shape for i in index_arrays]}") from None
    # Basic slicing of the slice entries keeps every axis.
    ranges = [range(*k.indices(d)) if isinstance(k, slice) else range(d)
              for k, d in zip(keys, shape)]
    y = slice_ranges(x, [r.start for r in ranges], [r.stop for r in ranges],
                     [r.step for r in ranges])
    rest = [a for a in range(len(keys)) if a not in adv]
    z = bind("transpose", y, perm=tuple(adv + rest)) if adv + rest != list(range(y.ndim)) else y
    adv_dims = tuple(shape[a] for a in adv)
    rest_dims = tuple(y.shape[a] for a in rest)
    if all(v is not None for v in known):
        flat_np = np.zeros(bshape, dtype=np.int64)
        for j, v in enumerate(known):
            flat_np = flat_np + np.asarray(v) * math.prod(adv_dims[j + 1:])
        flat = _as_index(flat_np, arr)
    else:
        flat_nd: Array | None = None
        for idx, d in zip(index_arrays, adv_dims):  # (MXNet truncates, then checks)
            checked = _checked(_int64(idx), d, True, "index")
            col = broadcast_exact(_wrap_negative(checked, d), bshape)
            if flat_nd is None:
                flat_nd = col
            else:
                scale = broadcast_exact(scalar_operand(d, col), bshape)
                flat_nd = bind("add", bind("mul", flat_nd, scale), col)
        assert flat_nd is not None
        flat = flat_nd
    total = math.prod(adv_dims)
    if total == 0:
        if math.prod(bshape):
            raise MXNetIndexError(f"cannot index the empty axes {adv_dims}")
        out = reshape_exact(z, bshape + rest_dims)
    else:
        source = reshape_exact(z, (total,) + rest_dims)
        out = bind("take", source, flat, axis=0, mode="clip")
    first = adv[0]
    if adv == list(range(first, first + len(adv))) and first > 0:
        nb = len(bshape)
        perm = list(range(nb, nb + first)) + list(range(nb)) + list(range(nb + first, out.ndim))
        out = bind("transpose", out, perm=tuple(perm))
    return reshape_exact(out, (1,)) if out.ndim == 0 else out


# ---- x[key] = value ----------------------------------------------------------------------


def _numpy_key(arr: Array, items: list[Any]) -> tuple[tuple[Any, ...], bool]:
    """The key as NumPy reads it (validated), and whether it has index arrays."""
    out: list[Any] = []
    advanced = False
    axis = 0
    for k in items:
        if k is None:
            out.append(None)
            continue
        dim = arr.shape[axis]
        if isinstance(k, int):
            out.append(_int_in_range(k, dim, axis))
        elif isinstance(k, slice):
            out.append(k)
        else:
            values = k if isinstance(k, np.ndarray) else _values(k)
            if values is None:
                raise TracerError("x[index] = value: the index array is traced (inside mx.jit or "
                                  "mx.grad); use a concrete index")
            _check_range(values, dim, True, "index")
            out.append(values)
            advanced = True
        axis += 1
    return tuple(out), advanced


def _target_shape(shape: tuple[int, ...], key: tuple[Any, ...]) -> tuple[int, ...]:
    dummy = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), shape=shape,
                                            strides=(0,) * len(shape))
    return dummy[key].shape


def _prepare_value(value: Any, arr: Array, target: tuple[int, ...]) -> Array:
    if isinstance(value, Array):
        if value._node is not None:
            raise TracerError("x[index] = value: the value is a traced array; x[index] = ... "
                              "only works eagerly")
        v = value if value._dtype == arr._dtype else cast(value, arr._dtype)
    else:
        data = np.asarray(value)
        if data.dtype == object or data.dtype.kind not in "biuf":
            raise ArgumentError(f"NDArray does not support assignment with {value!r} of type "
                            f"{type(value).__name__}")
        if data.dtype != arr._dtype:  # the cast primitive's meaning (C conversion)
            data = evaluate("cast", [data], {"dtype": arr._dtype})
        v = arr._result_class._wrap(data)
    vshape = v.shape
    while len(vshape) > len(target) and vshape[0] == 1:  # MXNet drops leading size-1 axes
        vshape = vshape[1:]
    ok = vshape == target or (len(vshape) <= len(target) and all(
        d in (1, t) for d, t in zip(vshape[::-1], target[::-1])))
    if not ok:
        raise ShapeError(f"x[index] = value: cannot broadcast a value of shape {v.shape} to the "
                         f"indexed shape {target}")
    if vshape != v.shape:
        v = reshape_exact(v, vshape)
    return v


def setitem(arr: Array, key: Any, value: Any) -> None:
    """`arr[key] = value`: write into the array's memory (views of it see the change).

    The value is cast to the array's dtype and broadcast to the indexed shape. Eager only:
    a traced array has no memory to write to.

    >>> x = mx.nd.zeros((2, 3)); x[:, 1] = 5  # doctest: +SKIP
    """
    if arr._node is not None:
        raise TracerError(
            "x[index] = value writes into the array's memory, which a traced array (inside "
            "mx.jit, mx.grad or a hybridized block) does not have. Compute the new array "
            "functionally instead, e.g. mx.nd.where(mask, value, x), mx.nd.scatter_nd or "
            "mx.nd.concat, or call the function without jit.")
    items = _expand_key(key, arr.shape)
    np_key, advanced = _numpy_key(arr, items)
    target = _target_shape(arr.shape, np_key) if advanced else arr._buffer()[np_key].shape
    v = _prepare_value(value, arr, target)
    data = arr._buffer()
    if not data.flags.writeable:
        raise ParamError("x[index] = value: the array is read-only")
    tape.overwriting(data)  # (recorded values in this memory go stale)
    recording = tape.is_recording() and (arr._rec is not None or v._rec is not None)
    if recording:
        _record_write(arr, np_key, target, v)
        return
    data[np_key] = v._buffer()


def _record_write(arr: Array, np_key: tuple[Any, ...], target: tuple[int, ...], v: Array
                  ) -> None:
    """The write as a recorded graph: where(written, scattered value, old), last write wins."""
    positions = np.arange(arr.size, dtype=np.int64).reshape(arr.shape)[np_key]
    flat_pos = np.broadcast_to(positions, target).reshape(-1)
    values = reshape_exact(broadcast_exact(v, target) if v.shape != target else v,
                           (flat_pos.size,))
    # keep the last write to each position, as NumPy's assignment does
    _, first_of_reversed = np.unique(flat_pos[::-1], return_index=True)
    keep = np.sort(flat_pos.size - 1 - first_of_reversed)
    if keep.size != flat_pos.size:
        values = bind("take", values, arr._result_class._wrap(keep), axis=0, mode="clip")
        flat_pos = flat_pos[keep]
    old = arr if arr._rec is not None else arr._result_class._wrap(arr._buffer().copy())
    new = replaced_at(old, flat_pos, values)
    arr._buffer()[...] = new._buffer()
    arr._rec = new._rec


def replaced_at(arr: Array, flat_pos: np.ndarray, values: Array) -> Array:
    """`arr` with the elements at the distinct flat positions `flat_pos` replaced by
    `values` (one each, in arr's dtype): a `where` over a scatter, so the replaced
    elements get no gradient and `values` theirs (what a write into an array records, and
    what `_slice_assign` computes).

    >>> replaced_at(x, np.array([0, 2]), mx.nd.array([5.0, 6.0]))  # doctest: +SKIP
    """
    wrap = arr._result_class._wrap
    mask = np.zeros(arr.size, dtype=bool)
    mask[flat_pos] = True
    if flat_pos.size:
        scattered = bind("scatter_add", values, wrap(flat_pos), axis=0, mode="clip",
                         size=arr.size)
    else:
        scattered = broadcast_exact(scalar_operand(0, arr), (arr.size,))
    return bind("where", wrap(mask.reshape(arr.shape)),  # type: ignore[no-any-return]
                reshape_exact(scattered, arr.shape), arr)


@register_operator("one_hot", inputs=("indices",))
def one_hot(indices: Array, depth: int, on_value: float = 1.0, off_value: float = 0.0,
            dtype: Any = "float32") -> Array:
    """One-hot encoding along a new last axis of size `depth`. Float indices are truncated
    toward zero; one outside [0, depth) (negative ones included) gives a row of `off_value`,
    as in MXNet, eagerly and under `mx.jit`.

    >>> mx.nd.one_hot(mx.nd.array([0, 2]), 3)  # doctest: +SKIP
    """
    depth = int_param("one_hot", "depth", depth)
    if depth < 0:
        raise ParamError(f"one_hot: depth must be non-negative, got {depth}")
    idx = cast(indices, np.int64)
    shape = idx.shape + (depth,)
    hot = bind("eq", broadcast_exact(expand_dims(idx, -1), shape), iota(shape, len(shape) - 1, idx))
    d = canonical_dtype(dtype)
    on, off = scalar_operand(on_value, cast(idx, d)), scalar_operand(off_value, cast(idx, d))
    return bind("where", hot, broadcast_exact(on, shape), broadcast_exact(off, shape))
