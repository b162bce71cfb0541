"""`mx.np`'s shape manipulation, joining, splitting, sorting and searching: NumPy's
signatures over MXNet's registered operators (Reshape, transpose, Concat, stack,
_split_v2, tile, repeat, reverse, where, take, sort, argsort, diag, ...).

The searching functions whose result's shape depends on the data (`nonzero`, `argwhere`,
`flatnonzero`, `unique`) read the values, so they run eagerly (or on constants inside a
trace), as MXNet's do; they return integer indices, which have no gradient.

    >>> mx.np.concatenate([mx.np.ones((1, 2)), mx.np.zeros((1, 2))]).shape  # doctest: +SKIP
    (2, 2)
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, ParamError, ShapeError, UnsupportedError
from ..core import Array, bind, concrete_error, scalar_operand
from ..ops.indexing import concrete
from ..ops.operands import (
    as_dtype,
    axis_index,
    axis_indices,
    constant,
    ints,
    iota,
    reshape_exact,
)
from ..ops.shape import moveaxis as _moveaxis
from ..ops.shape import slice_ranges
from .adapter import finish, operands, operator
from .arithmetic import binary, broadcast_shapes
from .ndarray import ndarray, numpy_shape
from .promotion import INDEX_DTYPE, common_dtype


def reshape(a: Any, newshape: Any, order: str = "C") -> ndarray:
    """`a` with shape `newshape` (one -1 inferred).

    >>> mx.np.reshape(mx.np.arange(6), (3, -1)).shape  # doctest: +SKIP
    (3, 2)
    """
    x = operands("reshape", a)[0]
    if order != "C":
        raise ArgumentError(f"reshape: only order='C' is supported, got {order!r}")
    return finish(reshape_exact(x, numpy_shape(x.shape, newshape, "reshape")))


def ravel(x: Any, order: str = "C") -> ndarray:
    """The elements as a 1-D array.

    >>> mx.np.ravel(mx.np.ones((2, 3))).shape  # doctest: +SKIP
    (6,)
    """
    return reshape(x, (-1,), order)


def transpose(a: Any, axes: Any = None) -> ndarray:
    """The axes permuted (reversed by default).

    >>> mx.np.transpose(mx.np.ones((2, 3))).shape  # doctest: +SKIP
    (3, 2)
    """
    return finish(operator("transpose")(operands("transpose", a)[0],
                                        axes=None if axes is None else ints(axes, "axes")))


def swapaxes(a: Any, axis1: int, axis2: int) -> ndarray:
    """Axes `axis1` and `axis2` interchanged.

    >>> mx.np.swapaxes(mx.np.ones((2, 3)), 0, 1).shape  # doctest: +SKIP
    (3, 2)
    """
    return finish(operator("SwapAxis")(operands("swapaxes", a)[0], dim1=axis1, dim2=axis2))


def moveaxis(a: Any, source: Any, destination: Any) -> ndarray:
    """Axes moved to new positions, the others keeping their order.

    >>> mx.np.moveaxis(mx.np.ones((2, 3, 4)), 0, -1).shape  # doctest: +SKIP
    (3, 4, 2)
    """
    return finish(_moveaxis(operands("moveaxis", a)[0], source, destination))


def expand_dims(a: Any, axis: int) -> ndarray:
    """A size-1 axis inserted at `axis`.

    >>> mx.np.expand_dims(mx.np.ones(3), 0).shape  # doctest: +SKIP
    (1, 3)
    """
    x = operands("expand_dims", a)[0]
    ax = axis_index(axis, x.ndim + 1, "expand_dims")
    return finish(reshape_exact(x, x.shape[:ax] + (1,) + x.shape[ax:]))


def squeeze(a: Any, axis: Any = None) -> ndarray:
    """Size-1 axes removed (all of them, or those in `axis`).

    >>> mx.np.squeeze(mx.np.ones((1, 3, 1))).shape  # doctest: +SKIP
    (3,)
    """
    x = operands("squeeze", a)[0]
    if x.ndim == 0 and axis is not None:
        # (NumPy lets a 0-d array be squeezed along axis 0 or -1: nothing to remove)
        given = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
        if any(a not in (0, -1) for a in given):
            raise ShapeError(f"squeeze: axis {axis} is out of range for a 0-d array (0 or -1 "
                             f"name its only position)")
        return finish(reshape_exact(x, ()))
    axes = tuple(k for k, d in enumerate(x.shape) if d == 1) if axis is None else \
        axis_indices(axis, x.ndim, "squeeze")
    for k in axes:
        if x.shape[k] != 1:
            raise ShapeError(f"squeeze: cannot select an axis to squeeze out which has size "
                             f"not equal to one (axis {k} of shape {x.shape})")
    return finish(reshape_exact(x, tuple(d for k, d in enumerate(x.shape) if k not in axes)))


def flip(m: Any, axis: Any = None) -> ndarray:
    """The order of elements reversed along `axis` (all axes by default).

    >>> mx.np.flip(mx.np.arange(3))  # doctest: +SKIP
    array([2., 1., 0.])
    """
    x = operands("flip", m)[0]
    axes = tuple(range(x.ndim)) if axis is None else axis
    return finish(operator("reverse")(x, axis=axes) if x.ndim else x)


def _joinable(function: str, arrays: Sequence[Any]) -> list[Any]:
    """The operands of a join in their common dtype (NumPy's promotion)."""
    if isinstance(arrays, Array) or not isinstance(arrays, (list, tuple)) or not arrays:
        raise ArgumentError(f"{function}: expected a non-empty sequence of arrays")
    xs = operands(function, *arrays)
    dtype = xs[0]._dtype
    for x in xs[1:]:
        dtype = common_dtype(dtype, x._dtype)
    return [as_dtype(x, dtype) for x in xs]


def concatenate(seq: Sequence[Any], axis: int | None = 0, out: Any = None) -> ndarray:
    """The arrays joined along an existing `axis` (flattened first when axis is None).

    >>> mx.np.concatenate([mx.np.ones(2), mx.np.zeros(3)]).shape  # doctest: +SKIP
    (5,)
    """
    xs = _joinable("concatenate", seq)
    if axis is None:
        xs, axis = [reshape_exact(x, (x.size,)) for x in xs], 0
    ndims = {x.ndim for x in xs}
    if len(ndims) != 1 or 0 in ndims:
        raise ShapeError(f"concatenate: all the input arrays must have the same number of "
                         f"dimensions (at least 1), got shapes {[x.shape for x in xs]}")
    ax = axis_index(axis, xs[0].ndim, "concatenate")
    for x in xs[1:]:
        if x.shape[:ax] + x.shape[ax + 1:] != xs[0].shape[:ax] + xs[0].shape[ax + 1:]:
            raise ShapeError(f"concatenate: all the input array dimensions except for the "
                             f"concatenation axis must match exactly, got shapes "
                             f"{[x.shape for x in xs]} along axis {ax}")
    return finish(operator("Concat")(*xs, dim=ax), out)


def append(arr: Any, values: Any, axis: int | None = None) -> ndarray:
    """`values` appended to the end of `arr` (both flattened when axis is None).

    >>> mx.np.append(mx.np.ones(2), mx.np.zeros(1))  # doctest: +SKIP
    array([1., 1., 0.])
    """
    return concatenate([arr, values], axis=axis)


def stack(arrays: Sequence[Any], axis: int = 0, out: Any = None) -> ndarray:
    """The arrays (of one shape) joined along a new `axis`.

    >>> mx.np.stack([mx.np.ones(2), mx.np.zeros(2)]).shape  # doctest: +SKIP
    (2, 2)
    """
    xs = _joinable("stack", arrays)
    if len({x.shape for x in xs}) != 1:
        raise ShapeError(f"stack: all input arrays must have the same shape, got "
                         f"{[x.shape for x in xs]}")
    return finish(operator("stack")(*xs, axis=axis_index(axis, xs[0].ndim + 1, "stack")), out)


def _at_least(n: int, x: Any) -> Any:
    x = operands(f"atleast_{n}d", x)[0]
    if x.ndim >= n:
        return x
    if n == 3 and x.ndim == 2:
        return reshape_exact(x, x.shape + (1,))
    shape = {0: (1,) * n, 1: (1,) * (n - 1) + x.shape if n < 3 else (1,) + x.shape + (1,)}
    return reshape_exact(x, shape[x.ndim])


def _atleast(n: int) -> Callable[..., Any]:
    def atleast(*arys: Any) -> Any:
        results = [finish(_at_least(n, a)) for a in arys]
        return results[0] if len(results) == 1 else results

    atleast.__name__ = atleast.__qualname__ = f"atleast_{n}d"
    atleast.__doc__ = (f"The arrays with at least {n} dimensions.\n\n"
                       f"    >>> mx.np.atleast_{n}d(mx.np.ones(()))  # doctest: +SKIP\n")
    return atleast


def vstack(tup: Sequence[Any], out: Any = None) -> ndarray:
    """The arrays stacked row-wise (1-D arrays as rows).

    >>> mx.np.vstack([mx.np.ones(2), mx.np.zeros(2)]).shape  # doctest: +SKIP
    (2, 2)
    """
    return concatenate([_at_least(2, a) for a in _joinable("vstack", tup)], 0, out)


def hstack(tup: Sequence[Any], out: Any = None) -> ndarray:
    """The arrays stacked column-wise (1-D arrays joined end to end).

    >>> mx.np.hstack([mx.np.ones(2), mx.np.zeros(2)]).shape  # doctest: +SKIP
    (4,)
    """
    xs = [_at_least(1, a) for a in _joinable("hstack", tup)]
    return concatenate(xs, 0 if xs[0].ndim == 1 else 1, out)


def dstack(tup: Sequence[Any]) -> ndarray:
    """The arrays stacked along a third axis.

    >>> mx.np.dstack([mx.np.ones(2), mx.np.zeros(2)]).shape  # doctest: +SKIP
    (1, 2, 2)
    """
    return concatenate([_at_least(3, a) for a in _joinable("dstack", tup)], 2)


def column_stack(tup: Sequence[Any]) -> ndarray:
    """1-D arrays as the columns of a 2-D array (2-D arrays joined as they are).

    >>> mx.np.column_stack([mx.np.ones(2), mx.np.zeros(2)]).shape  # doctest: +SKIP
    (2, 2)
    """
    xs = [reshape_exact(x, (x.size, 1)) if x.ndim < 2 else x
          for x in _joinable("column_stack", tup)]
    return concatenate(xs, 1)


def _split(function: str, ary: Any, indices_or_sections: Any, axis: int, even: bool) -> Any:
    x = operands(function, ary)[0]
    ax = axis_index(axis, x.ndim, function)
    dim = x.shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        if n <= 0:
            raise ShapeError(f"{function}: number sections must be larger than 0, got {n}")
        if even and dim % n:
            raise ShapeError(f"{function}: array split does not result in an equal division "
                             f"({dim} along axis {ax} into {n} sections)")
        parts = operator("_split_v2")(x, indices=(), axis=ax, sections=n)
    else:
        points = ints(indices_or_sections, f"{function}: indices_or_sections")
        parts = operator("_split_v2")(x, indices=(0, *points), axis=ax)
    return finish(list(parts) if isinstance(parts, (list, tuple)) else [parts])


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[ndarray]:
    """Equal parts of `ary` along `axis` (an int), or the parts between split points.

    >>> [p.shape for p in mx.np.split(mx.np.arange(6), 3)]  # doctest: +SKIP
    [(2,), (2,), (2,)]
    """
    return _split("split", ary, indices_or_sections, axis, True)  # type: ignore[no-any-return]


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[ndarray]:
    """`split` that allows unequal parts (the first ones one longer).

    >>> [p.shape for p in mx.np.array_split(mx.np.arange(5), 2)]  # doctest: +SKIP
    [(3,), (2,)]
    """
    return _split("array_split", ary, indices_or_sections, axis, False)  # type: ignore


def hsplit(ary: Any, indices_or_sections: Any) -> list[ndarray]:
    """`split` along axis 1 (axis 0 for 1-D arrays).

    >>> len(mx.np.hsplit(mx.np.ones((2, 4)), 2))  # doctest: +SKIP
    2
    """
    x = operands("hsplit", ary)[0]
    return _split("hsplit", x, indices_or_sections, 1 if x.ndim > 1 else 0, True)  # type: ignore


def vsplit(ary: Any, indices_or_sections: Any) -> list[ndarray]:
    """`split` along axis 0.

    >>> len(mx.np.vsplit(mx.np.ones((4, 2)), 2))  # doctest: +SKIP
    2
    """
    return _split("vsplit", ary, indices_or_sections, 0, True)  # type: ignore[no-any-return]


def dsplit(ary: Any, indices_or_sections: Any) -> list[ndarray]:
    """`split` along axis 2.

    >>> len(mx.np.dsplit(mx.np.ones((1, 2, 4)), 2))  # doctest: +SKIP
    2
    """
    return _split("dsplit", ary, indices_or_sections, 2, True)  # type: ignore[no-any-return]


def tile(A: Any, reps: Any) -> ndarray:  # noqa: N803
    """`A` repeated `reps` times along each axis.

    >>> mx.np.tile(mx.np.array([1, 2]), 2)  # doctest: +SKIP
    array([1., 2., 1., 2.])
    """
    return finish(operator("tile")(operands("tile", A)[0], reps=ints(reps, "tile: reps")))


def repeat(a: Any, repeats: int, axis: int | None = None) -> ndarray:
    """Each element repeated `repeats` times along `axis` (of the flattened array by
    default).

    >>> mx.np.repeat(mx.np.array([1, 2]), 2)  # doctest: +SKIP
    array([1., 1., 2., 2.])
    """
    if not isinstance(repeats, (int, np.integer)):
        raise UnsupportedError("repeat: only an int number of repeats is supported, got "
                               f"{type(repeats).__name__}")
    return finish(operator("repeat")(operands("repeat", a)[0], repeats=int(repeats), axis=axis))


def broadcast_to(array: Any, shape: Any) -> ndarray:
    """`array` broadcast to `shape` (NumPy's rules; as in MXNet, -2 in `shape` keeps the
    input's size of that axis, axes aligned from the right).

    >>> mx.np.broadcast_to(mx.np.ones(3), (2, 3)).shape  # doctest: +SKIP
    (2, 3)
    >>> mx.np.broadcast_to(mx.np.ones(5), (3, 4, -2)).shape  # doctest: +SKIP
    (3, 4, 5)
    """
    x = operands("broadcast_to", array)[0]
    target = ints(shape, "broadcast_to: shape")
    if -2 in target:
        lead = len(target) - x.ndim
        if lead < 0 or any(d == -2 and k < lead for k, d in enumerate(target)):
            raise ShapeError(f"broadcast_to: -2 in {target} must stand for an axis of the "
                             f"input {x.shape} (aligned from the right)")
        target = tuple(x.shape[k - lead] if d == -2 else d for k, d in enumerate(target))
    if broadcast_shapes("broadcast_to", x.shape, target) != target:
        raise ShapeError(f"broadcast_to: input operand has more dimensions than allowed by "
                         f"the axis remapping ({x.shape} to {target})")
    return finish(bind("broadcast_to", x, shape=target) if x.shape != target else
                  as_dtype(x, x._dtype) if x.size else x)


def broadcast_arrays(*args: Any) -> list[ndarray]:
    """The arrays broadcast against each other.

    >>> xs = mx.np.broadcast_arrays(mx.np.ones(3), mx.np.ones((2, 1)))
    >>> [a.shape for a in xs]  # doctest: +SKIP
    [(2, 3), (2, 3)]
    """
    xs = operands("broadcast_arrays", *args)
    shape = broadcast_shapes("broadcast_arrays", *(x.shape for x in xs))
    return [broadcast_to(x, shape) for x in xs]


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """Elements of `x` where `condition` is true, else of `y` (broadcast together, in their
    common dtype); with `condition` alone, `nonzero(condition)`.

    >>> mx.np.where(mx.np.array([1, 0]) > 0, 1.0, mx.np.zeros(2))  # doctest: +SKIP
    array([1., 0.])
    """
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ArgumentError("where: either both or neither of x and y should be given")
    c = operands("where", condition)[0]
    arrays = [v for v in (x, y) if isinstance(v, Array)]
    like = arrays[0] if arrays else operands("where", x)[0]
    xa = x if isinstance(x, Array) else operands("where", x)[0] if not isinstance(
        x, (int, float, bool)) else scalar_operand(x, like)
    ya = y if isinstance(y, Array) else operands("where", y)[0] if not isinstance(
        y, (int, float, bool)) else scalar_operand(y, xa)
    dtype = common_dtype(xa._dtype, ya._dtype)
    xa, ya = as_dtype(xa, dtype), as_dtype(ya, dtype)
    shape = broadcast_shapes("where", c.shape, xa.shape, ya.shape)

    def full(v: Any) -> Any:
        return v if v.shape == shape else bind("broadcast_to", v, shape=shape)

    cond = full(binary("ne", c, 0) if c._dtype.kind != "b" else c)
    return finish(bind("where", cond, full(xa), full(ya)))


def _values(function: str, a: Any) -> np.ndarray:
    x = operands(function, a)[0]
    values = concrete(x)
    if values is None:
        raise concrete_error(f"{function} (whose result's shape depends on the values)")
    return values


def _indices(values: np.ndarray, like: Any = None) -> ndarray:
    return ndarray._wrap(np.ascontiguousarray(values, dtype=INDEX_DTYPE))  # type: ignore


def nonzero(a: Any) -> tuple[ndarray, ...]:
    """The indices of the nonzero elements, one int64 array per axis (a 0-d array counts as
    1-D, as in MXNet 1.9.1 and NumPy 1.x).

    >>> mx.np.nonzero(mx.np.array([[1, 0], [0, 2]]))  # doctest: +SKIP
    (array([0, 1], dtype=int64), array([0, 1], dtype=int64))
    """
    return tuple(_indices(p) for p in np.nonzero(np.atleast_1d(_values("nonzero", a))))


def flatnonzero(a: Any) -> ndarray:
    """The indices of the nonzero elements of the flattened array.

    >>> mx.np.flatnonzero(mx.np.array([0, 3, 0, 1]))  # doctest: +SKIP
    array([1, 3], dtype=int64)
    """
    return _indices(np.flatnonzero(_values("flatnonzero", a)))


def argwhere(a: Any) -> ndarray:
    """The indices of the nonzero elements, one row per element.

    >>> mx.np.argwhere(mx.np.array([0, 3]))  # doctest: +SKIP
    array([[1]], dtype=int64)
    """
    return _indices(np.argwhere(_values("argwhere", a)))


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None) -> Any:
    """The sorted unique elements of the flattened array, or with `axis` the unique
    sub-arrays along it (sorted lexicographically, as NumPy's); when asked, also the indices
    of their first occurrences, the inverse (1-D: the position in the result of each
    element, or sub-array) and the counts.

    >>> mx.np.unique(mx.np.array([[1, 2], [0, 3], [1, 2]]), axis=0)  # doctest: +SKIP
    array([[0., 3.],
           [1., 2.]])
    """
    x = operands("unique", ar)[0]
    ax = None if axis is None else axis_index(axis, x.ndim, "unique")
    values, first, inverse, counts = np.unique(_values("unique", x), True, True, True, ax)
    result = ndarray._wrap(np.ascontiguousarray(values, dtype=x._dtype))
    # (MXNet 1.9.1 and NumPy 1.x give a 1-D inverse also without axis; NumPy 2 gives the
    # input's shape there)
    extras = [_indices(v) for v, asked in ((first, return_index),
                                           (inverse.reshape(-1), return_inverse),
                                           (counts, return_counts)) if asked]
    return (result, *extras) if extras else result


def sort(a: Any, axis: int | None = -1, kind: Any = None, order: Any = None) -> ndarray:
    """The values sorted ascending along `axis` (of the flattened array when None).

    >>> mx.np.sort(mx.np.array([3, 1, 2]))  # doctest: +SKIP
    array([1., 2., 3.])
    """
    return finish(operator("sort")(operands("sort", a)[0], axis=axis))


def argsort(a: Any, axis: int | None = -1, kind: Any = None, order: Any = None) -> ndarray:
    """The int64 indices that sort `a` along `axis`.

    >>> mx.np.argsort(mx.np.array([3., 1., 2.]))  # doctest: +SKIP
    array([1, 2, 0], dtype=int64)
    """
    return finish(operator("argsort")(operands("argsort", a)[0], axis=axis, dtype=INDEX_DTYPE))


def take(a: Any, indices: Any, axis: int | None = None, mode: str = "raise",
         out: Any = None) -> ndarray:
    """Elements of `a` at `indices` along `axis` (of the flattened array by default);
    `mode` 'raise' checks the indices, 'clip' and 'wrap' bring them in range.

    >>> mx.np.take(mx.np.array([4., 5., 6.]), [0, 2])  # doctest: +SKIP
    array([4., 6.])
    """
    x = operands("take", a)[0]
    if axis is None:
        x, axis = reshape_exact(x, (x.size,)), 0
    idx = indices if isinstance(indices, Array) else ndarray._wrap(
        np.asarray(indices, dtype=INDEX_DTYPE))
    return finish(operator("take")(x, idx, axis=axis, mode=mode), out)


def diag(v: Any, k: int = 0) -> ndarray:
    """The k-th diagonal of a 2-D array, or a 2-D array with the 1-D `v` on it.

    >>> mx.np.diag(mx.np.array([1, 2]))  # doctest: +SKIP
    """
    return finish(operator("diag")(operands("diag", v)[0], k=k))


def _triangle(function: str, m: Any, k: int, lower: bool) -> ndarray:
    x = operands(function, m)[0]
    if x.ndim == 0:
        raise ShapeError(f"{function}: the input must have at least 1 dimension, got a 0-d "
                         "array")
    if x.ndim == 1:  # (NumPy's: a row repeated into a square)
        x = bind("broadcast_to", reshape_exact(x, (1, x.size)), shape=(x.size, x.size))
    rows = iota(x.shape[-2:], 0, x)
    cols = iota(x.shape[-2:], 1, x)
    keep = binary("le" if lower else "ge", binary("sub", cols, rows), k)
    zeros = bind("broadcast_to", scalar_operand(0, x), shape=x.shape)
    return finish(bind("where", bind("broadcast_to", keep, shape=x.shape), x, zeros))


def tril(m: Any, k: int = 0) -> ndarray:
    """The array with the elements above the k-th diagonal zeroed.

    >>> mx.np.tril(mx.np.ones((2, 2)))  # doctest: +SKIP
    """
    return _triangle("tril", m, k, True)


def triu(m: Any, k: int = 0) -> ndarray:
    """The array with the elements below the k-th diagonal zeroed.

    >>> mx.np.triu(mx.np.ones((2, 2)))  # doctest: +SKIP
    """
    return _triangle("triu", m, k, False)


def roll(a: Any, shift: Any, axis: Any = None) -> ndarray:
    """Elements shifted by `shift` along `axis` (of the flattened array by default),
    wrapping around.

    >>> mx.np.roll(mx.np.arange(4), 1)  # doctest: +SKIP
    array([3., 0., 1., 2.])
    """
    x = operands("roll", a)[0]
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, 0), x.shape)
    shifts, axes = ints(shift, "roll: shift"), axis_indices(axis, x.ndim, "roll")
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    for s, ax in zip(shifts, axes):
        n = x.shape[ax]
        if n == 0 or s % n == 0:
            continue
        cut = n - s % n
        start, stop, step = (0,) * x.ndim, x.shape, (1,) * x.ndim
        head = slice_ranges(x, start, stop[:ax] + (cut,) + stop[ax + 1:], step)
        tail = slice_ranges(x, start[:ax] + (cut,) + start[ax + 1:], stop, step)
        x = operator("Concat")(tail, head, dim=ax)
    return finish(x)


def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> ndarray:
    """The array rotated by 90 degrees `k` times in the plane of `axes`.

    >>> mx.np.rot90(mx.np.array([[1, 2], [3, 4]]))  # doctest: +SKIP
    """
    x = operands("rot90", m)[0]
    a0, a1 = axis_indices(axes, x.ndim, "rot90")
    k %= 4
    if k == 0:
        return finish(as_dtype(x, x._dtype))
    if k == 2:
        return flip(flip(x, a0), a1)
    perm = list(range(x.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(x, a1), perm)
    return flip(transpose(x, perm), a1)


#: The pad modes of MXNet 1.9.1's np.pad (it refuses NumPy's 'wrap', 'mean', 'median',
#: 'linear_ramp', 'empty' and functions).
_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "maximum", "minimum")


def pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0
        ) -> ndarray:
    """`array` padded by `pad_width` ((before, after) per axis, or one pair or int for
    all) with NumPy's modes: `constant_values`, the 'edge' values, the values mirrored
    without ('reflect') or with ('symmetric') the edge, or each axis' 'maximum' or
    'minimum'. Pads may be wider than the axis.

    >>> mx.np.pad(mx.np.array([1., 2.]), 3, mode='symmetric')  # doctest: +SKIP
    array([2., 2., 1., 1., 2., 2., 1., 1.])
    """
    x = operands("pad", array)[0]
    if not isinstance(mode, str) or mode not in _PAD_MODES:
        named = ", ".join(map(repr, _PAD_MODES[:-1]))
        raise ParamError(f"pad: mode must be {named} or {_PAD_MODES[-1]!r}, got {mode!r}")
    widths = _pad_widths(pad_width, x.ndim)
    if mode in ("constant", "edge", "reflect"):
        return finish(operator("Pad")(x, mode=mode, pad_width=tuple(w for p in widths for w in p),
                                      constant_value=constant_values))
    padded = x
    for ax, (low, high) in enumerate(widths):
        if low or high:
            padded = _pad_axis(padded, ax, low, high, mode)
    return finish(padded if padded is not x else bind("reshape", x, shape=x.shape))


def _pad_widths(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    """(before, after) per axis from NumPy's forms of `pad_width`."""
    given = np.asarray(pad_width)
    if given.dtype.kind not in "iu":
        raise ArgumentError(f"pad: pad_width must hold integers, got {pad_width!r}")
    try:
        pairs = np.broadcast_to(given, (ndim, 2))
    except ValueError:
        raise ShapeError(f"pad: pad_width {pad_width!r} does not fit an array of {ndim} dims: "
                         f"give an int, one (before, after) pair or one pair per axis") from None
    if (pairs < 0).any():
        raise ShapeError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    return [(int(low), int(high)) for low, high in pairs]


def _pad_axis(x: Any, ax: int, low: int, high: int, mode: str) -> Any:
    """`x` padded along `ax` in mode 'symmetric', 'maximum' or 'minimum', from gathers,
    reductions and joins, so that it traces and differentiates as they do."""
    dim = x.shape[ax]
    if dim == 0:
        raise ShapeError(f"pad: mode {mode!r} cannot pad the empty axis {ax} of {x.shape}")
    if mode == "symmetric":
        # Mirroring with the edge repeated is periodic with period 2 * dim, which is also
        # how NumPy fills pads wider than the axis.
        m = np.mod(np.arange(-low, dim + high), 2 * dim)
        mirrored = np.where(m < dim, m, 2 * dim - 1 - m)
        return bind("take", x, constant(mirrored, x), axis=ax, mode="clip")
    stat = operator("max" if mode == "maximum" else "min")(x, axis=ax, keepdims=True)
    sides = [bind("broadcast_to", stat, shape=x.shape[:ax] + (w,) + x.shape[ax + 1:])
             for w in (low, high)]
    return operator("Concat")(sides[0], x, sides[1], dim=ax)


def functions() -> dict[str, Callable[..., Any]]:
    """The shape, joining, sorting and searching functions by NumPy name."""
    made: dict[str, Callable[..., Any]] = {f.__name__: f for f in (
        reshape, ravel, transpose, swapaxes, moveaxis, expand_dims, squeeze, flip,
        concatenate, append, stack, vstack, hstack, dstack, column_stack, split, array_split,
        hsplit, vsplit, dsplit, tile, repeat, broadcast_to, broadcast_arrays, where, nonzero,
        flatnonzero, argwhere, unique, sort, argsort, take, diag, tril, triu, roll, rot90,
        pad)}
    made.update({f"atleast_{n}d": _atleast(n) for n in (1, 2, 3)})
    made["row_stack"] = vstack
    made["flipud"], made["fliplr"] = flipud, fliplr
    return made


def flipud(m: Any) -> ndarray:
    """The rows in reverse order (`flip` along axis 0).

    >>> mx.np.flipud(mx.np.arange(3))  # doctest: +SKIP
    """
    return flip(m, 0)


def fliplr(m: Any) -> ndarray:
    """The columns in reverse order (`flip` along axis 1).

    >>> mx.np.fliplr(mx.np.ones((2, 3)))  # doctest: +SKIP
    """
    return flip(m, 1)
