"""More of MXNet 1.9.1's `mx.np` functions, each a composition of the operators and the
functions of math.py/shape.py (so traced and differentiable): comparisons of whole arrays,
diagonals, differences, NaN handling, quantiles, windows, grids and polynomials.

    >>> mx.np.trace(mx.np.eye(3)), mx.np.quantile(mx.np.arange(5), 0.5)  # doctest: +SKIP
"""
from __future__ import annotations

import math as _math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, MXNetIndexError, ShapeError
from ..core import Array, bind, concrete_error, scalar_operand
from ..ops.indexing import concrete
from ..ops.operands import as_dtype, axis_index, ints, iota, reshape_exact
from ..ops.ordering import take_along_axis as _take_along_axis
from ..ops.shape import slice_ranges
from .adapter import finish, operands, operator
from .arithmetic import binary
from .creation import arange
from .fallback import fallback
from .indexing import reshaped
from .math import reduce, ufunc_result
from .ndarray import ndarray
from .promotion import DEFAULT_FLOAT, INDEX_DTYPE
from .shape import concatenate, moveaxis, sort, stack, transpose


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> ndarray:
    """Whether |a - b| <= atol + rtol * |b|, elementwise (NaNs equal with `equal_nan`).

    >>> mx.np.isclose(mx.np.array([1.0, 2.0]), 1.0)  # doctest: +SKIP
    array([ True, False])
    """
    x, y = operands("isclose", a, b)
    near = binary("le", operator("abs")(binary("sub", x, y)),
                  binary("add", binary("mul", operator("abs")(y), rtol), atol))
    if equal_nan:
        both = binary("logical_and", binary("ne", x, x), binary("ne", y, y))
        near = binary("logical_or", near, both)
    return finish(near)  # type: ignore[no-any-return]


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> ndarray:
    """Whether `isclose` holds everywhere (a 0-d bool array).

    >>> mx.np.allclose(mx.np.ones(2), 1.0)  # doctest: +SKIP
    array(True)
    """
    close = isclose(a, b, rtol, atol, equal_nan)
    return finish(binary("eq", reduce("min", as_dtype(close, np.int32), None, False,
                                      "allclose"), 1))  # type: ignore[no-any-return]


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> bool:
    """Whether the arrays have one shape and equal elements.

    >>> mx.np.array_equal(mx.np.ones(2), mx.np.ones(2))  # doctest: +SKIP
    True
    """
    x, y = operands("array_equal", a1, a2)
    if x.shape != y.shape:
        return False
    return bool(allclose(x, y, 0.0, 0.0, equal_nan).item())


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> ndarray:
    """The diagonal of the (axis1, axis2) planes, as the last axis.

    >>> mx.np.diagonal(mx.np.eye(3))  # doctest: +SKIP
    array([1., 1., 1.])
    """
    x = operands("diagonal", a)[0]
    if x.ndim < 2:
        raise ShapeError(f"diagonal: diag requires an array of at least two dimensions, got "
                         f"shape {x.shape}")
    return finish(operator("diag")(x, k=offset, axis1=axis1, axis2=axis2))  # type: ignore


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None,
          out: Any = None) -> ndarray:
    """Sums along the diagonals.

    >>> mx.np.trace(mx.np.eye(3))  # doctest: +SKIP
    array(3.)
    """
    d = diagonal(a, offset, axis1, axis2)
    return finish(reduce("sum", d, -1, False, "trace"), out)  # type: ignore[no-any-return]


def diff(a: Any, n: int = 1, axis: int = -1) -> ndarray:
    """The n-th differences along `axis`.

    >>> mx.np.diff(mx.np.array([1., 4., 9.]))  # doctest: +SKIP
    array([3., 5.])
    """
    x = operands("diff", a)[0]
    if n < 0:
        raise ShapeError(f"diff: order must be non-negative but got {n}")
    ax = axis_index(axis, x.ndim, "diff")
    for _ in range(n):
        length = x.shape[ax]
        if length == 0:
            break
        starts, stops = (0,) * x.ndim, x.shape
        upper = slice_ranges(x, starts[:ax] + (1,) + starts[ax + 1:], stops, (1,) * x.ndim)
        lower = slice_ranges(x, starts, stops[:ax] + (length - 1,) + stops[ax + 1:],
                             (1,) * x.ndim)
        x = binary("sub", upper, lower) if x._dtype.kind != "b" else binary("ne", upper, lower)
    return finish(x)  # type: ignore[no-any-return]


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> ndarray:
    """The differences of consecutive elements of the flattened array, with optional
    values before and after.

    >>> mx.np.ediff1d(mx.np.array([1., 4., 9.]))  # doctest: +SKIP
    array([3., 5.])
    """
    x = operands("ediff1d", ary)[0]
    parts = [diff(reshaped(x, (x.size,)))]
    if to_begin is not None:
        begin = operands("ediff1d", to_begin)[0]
        parts.insert(0, reshaped(begin, (begin.size,)))
    if to_end is not None:
        end = operands("ediff1d", to_end)[0]
        parts.append(reshaped(end, (end.size,)))
    return concatenate(parts) if len(parts) > 1 else parts[0]


def copy(a: Any) -> ndarray:
    """A copy of `a`.

    >>> mx.np.copy(mx.np.ones(2))  # doctest: +SKIP
    """
    return operands("copy", a)[0].copy()  # type: ignore[no-any-return]


def positive(x: Any, out: Any = None) -> ndarray:
    """+x (a copy).

    >>> mx.np.positive(mx.np.array([-1.]))  # doctest: +SKIP
    """
    return finish(operands("positive", x)[0].copy(), out)  # type: ignore[no-any-return]


def signbit(x: Any, out: Any = None) -> ndarray:
    """Whether each element is negative (-0.0 is not detected: compares with 0).

    >>> mx.np.signbit(mx.np.array([-1., 2.]))  # doctest: +SKIP
    array([ True, False])
    """
    return finish(binary("lt", operands("signbit", x)[0], 0), out)  # type: ignore


def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> ndarray:
    """NaN replaced by `nan`, +-inf by `posinf`/`neginf` (the dtype's extremes by default).

    >>> mx.np.nan_to_num(mx.np.array([float('nan'), float('inf')]))  # doctest: +SKIP
    """
    a = operands("nan_to_num", x)[0]
    if a._dtype.kind != "f":
        return a.copy() if copy else a  # type: ignore[no-any-return]
    info = np.finfo(a._dtype)
    big = float(info.max) if posinf is None else posinf
    small = float(info.min) if neginf is None else neginf
    full = [bind("broadcast_to", scalar_operand(v, a), shape=a.shape) if a.shape else
            scalar_operand(v, a) for v in (nan, big, small)]
    result = bind("where", binary("ne", a, a), full[0], a)
    result = bind("where", binary("eq", a, _math.inf), full[1], result)
    result = bind("where", binary("eq", a, -_math.inf), full[2], result)
    if not copy and a._node is None:
        a[...] = result
        return a  # type: ignore[no-any-return]
    return finish(result)  # type: ignore[no-any-return]


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> ndarray:
    """Values of `arr` at `indices` along `axis` (indices shaped like arr elsewhere).

    >>> mx.np.take_along_axis(mx.np.array([[3., 1.]]), mx.np.array([[1, 0]]), 1)  # doctest: +SKIP
    array([[1., 3.]])
    """
    x, idx = operands("take_along_axis", arr, indices)
    if axis is None:
        x, axis = reshaped(x, (x.size,)), 0
    ax = axis_index(axis, x.ndim, "take_along_axis")
    if idx.ndim != x.ndim:
        raise ShapeError(f"take_along_axis: indices of shape {idx.shape} and arr of shape "
                         f"{x.shape} must have the same number of dimensions")
    lead = tuple(max(p, q) if k != ax else q for k, (p, q) in enumerate(zip(x.shape, idx.shape)))
    idx = bind("broadcast_to", idx, shape=lead) if idx.shape != lead else idx
    bx = x.shape[:ax] + (x.shape[ax],) + x.shape[ax + 1:]
    target = tuple(lead[k] if k != ax else x.shape[ax] for k in range(x.ndim))
    if bx != target:
        x = bind("broadcast_to", x, shape=target)
    return finish(_take_along_axis(x, idx, ax))  # type: ignore[no-any-return]


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> ndarray:
    """Indices where the values `v` would go in the sorted 1-D `a` (a count of the
    smaller elements: traced and exact).

    >>> mx.np.searchsorted(mx.np.array([1., 2., 3.]), 2.5)  # doctest: +SKIP
    array(2, dtype=int64)
    """
    x, values = operands("searchsorted", a, v)
    if x.ndim != 1:
        raise ShapeError(f"searchsorted: a must be 1-D, got shape {x.shape}")
    if side not in ("left", "right"):
        raise ArgumentError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if sorter is not None:
        x = operator("take")(x, operands("searchsorted", sorter)[0], axis=0)
    below = binary("lt" if side == "left" else "le", reshaped(x, (1,) * values.ndim + x.shape),
                   reshaped(values, values.shape + (1,)))
    return finish(reduce("sum", as_dtype(below, INDEX_DTYPE), -1, False, "searchsorted"))  # type: ignore


def _nan_reduce(name: str, op: str, fill: float) -> Callable[..., Any]:
    def nan_reduction(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False
                      ) -> ndarray:
        x = operands(name, a)[0]
        if x._dtype.kind != "f":
            return finish(reduce(op, x, axis, keepdims, name), out)  # type: ignore
        nan = binary("ne", x, x)
        filled = bind("broadcast_to", scalar_operand(fill, x), shape=x.shape) if x.shape \
            else scalar_operand(fill, x)
        result = reduce(op, bind("where", nan, filled, x), axis, keepdims, name)
        # (a slice that is all NaN gives NaN, as NumPy's)
        all_nan = binary("eq", reduce("min", as_dtype(nan, np.int32), axis, keepdims, name), 1)
        nans = binary("add", binary("mul", result, 0.0), _math.nan)
        return finish(bind("where", all_nan, nans, result), out)  # type: ignore

    nan_reduction.__name__ = nan_reduction.__qualname__ = name
    nan_reduction.__doc__ = (f"`{op}` over `axis`, ignoring NaNs.\n\n"
                             f"    >>> mx.np.{name}(mx.np.array([1., float('nan')]))  "
                             f"# doctest: +SKIP\n")
    return nan_reduction


def quantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
             interpolation: str = "linear", keepdims: bool = False) -> ndarray:
    """The q-th quantiles (q in [0, 1]) along `axis`, interpolated linearly (or 'lower',
    'higher', 'nearest', 'midpoint') between the sorted values.

    >>> mx.np.quantile(mx.np.arange(5), 0.5)  # doctest: +SKIP
    array(2.)
    """
    x = operands("quantile", a)[0]
    x = as_dtype(x, x._dtype if x._dtype.kind == "f" else DEFAULT_FLOAT)
    if axis is None:
        x, ax = reshaped(x, (x.size,)), 0
        kept_shape = (1,) * operands("quantile", a)[0].ndim
    else:
        ax = axis_index(axis, x.ndim, "quantile")
        kept_shape = x.shape[:ax] + (1,) + x.shape[ax + 1:]
    qs = np.asarray(q.asnumpy() if isinstance(q, Array) else q, dtype=np.float64)
    if ((qs < 0) | (qs > 1)).any():
        raise ArgumentError(f"quantile: q must be in the range [0, 1], got {q}")
    ordered = moveaxis(sort(x, axis=ax), ax, -1)
    n = ordered.shape[-1]
    pos = qs.reshape(-1) * (n - 1)
    rules = {"linear": None, "lower": np.floor, "higher": np.ceil, "nearest": np.round,
             "midpoint": None}
    if interpolation not in rules:
        raise ArgumentError(f"quantile: interpolation must be one of {sorted(rules)}, got "
                            f"{interpolation!r}")
    lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
    if rules[interpolation] is not None:
        lo = hi = rules[interpolation](pos).astype(np.int64)  # type: ignore[misc]
    frac = pos - lo if interpolation == "linear" else np.full(pos.shape, 0.5 if
                                                                interpolation == "midpoint"
                                                                else 0.0)
    below = operator("take")(ordered, ndarray._wrap(lo), axis=-1)
    above = operator("take")(ordered, ndarray._wrap(hi), axis=-1)
    weight = ndarray._wrap(frac.astype(x._dtype))
    values = binary("add", below, binary("mul", binary("sub", above, below), weight))
    values = moveaxis(values, -1, 0)
    result = reshaped(values, qs.shape + (kept_shape if keepdims else ordered.shape[:-1]))
    return finish(result, out)  # type: ignore[no-any-return]


def percentile(a: Any, q: Any, axis: Any = None, out: Any = None,
               overwrite_input: bool = False, interpolation: str = "linear",
               keepdims: bool = False) -> ndarray:
    """The q-th percentiles (q in [0, 100]) along `axis` (see `quantile`).

    >>> mx.np.percentile(mx.np.arange(5), 50)  # doctest: +SKIP
    array(2.)
    """
    qs = np.asarray(q.asnumpy() if isinstance(q, Array) else q, dtype=np.float64) / 100.0
    return quantile(a, qs, axis, out, overwrite_input, interpolation, keepdims)


def median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
           keepdims: bool = False) -> ndarray:
    """The median along `axis`.

    >>> mx.np.median(mx.np.array([3., 1., 2.]))  # doctest: +SKIP
    array(2.)
    """
    return quantile(a, 0.5, axis, out, overwrite_input, "linear", keepdims)


def meshgrid(*xi: Any, indexing: str = "xy", sparse: bool = False, copy: bool = True
             ) -> list[ndarray]:
    """Coordinate arrays from 1-D coordinate vectors ('xy': Cartesian, 'ij': matrix).

    >>> [g.shape for g in mx.np.meshgrid(mx.np.arange(2), mx.np.arange(3))]  # doctest: +SKIP
    [(3, 2), (3, 2)]
    """
    if indexing not in ("xy", "ij"):
        raise ArgumentError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [reshaped(x, (x.size,)) for x in operands("meshgrid", *xi)]
    shape = [x.size for x in xs]
    if indexing == "xy" and len(xs) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for k, x in enumerate(xs):
        where = 1 - k if indexing == "xy" and k < 2 and len(xs) > 1 else k
        axes = tuple(x.size if i == where else 1 for i in range(len(xs)))
        g = reshaped(x, axes)
        grids.append(g if sparse else bind("broadcast_to", g, shape=tuple(shape)))
    return [finish(g) for g in grids]


def indices(dimensions: Sequence[int], dtype: Any = INDEX_DTYPE, ctx: Any = None) -> ndarray:
    """An array of the index grids of `dimensions`, one per axis (stacked first).

    >>> mx.np.indices((2, 3)).shape  # doctest: +SKIP
    (2, 2, 3)
    """
    dims = ints(dimensions, "indices: dimensions")
    like = ndarray._wrap(np.zeros((), np.dtype(dtype)))
    grids = [iota(dims, k, like, dtype) for k in range(len(dims))]
    return stack(grids) if grids else finish(ndarray._wrap(np.zeros((0,), np.dtype(dtype))))


def rollaxis(a: Any, axis: int, start: int = 0) -> ndarray:
    """Axis `axis` moved to before position `start`.

    >>> mx.np.rollaxis(mx.np.ones((2, 3, 4)), 2).shape  # doctest: +SKIP
    (4, 2, 3)
    """
    x = operands("rollaxis", a)[0]
    ax = axis_index(axis, x.ndim, "rollaxis")
    st = start + x.ndim if start < 0 else start
    if not 0 <= st <= x.ndim:
        raise ShapeError(f"rollaxis: start {start} is out of range for {x.ndim} dims")
    perm = [k for k in range(x.ndim) if k != ax]
    perm.insert(st - 1 if st > ax else st, ax)
    return transpose(x, perm)


def heaviside(x1: Any, x2: Any, out: Any = None) -> ndarray:
    """0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0.

    >>> mx.np.heaviside(mx.np.array([-1., 0., 2.]), 0.5)  # doctest: +SKIP
    array([0. , 0.5, 1. ])
    """
    x = operands("heaviside", x1)[0]
    step = as_dtype(binary("gt", x, 0), x._dtype)
    return finish(binary("add", step, binary("mul", binary("eq", x, 0), x2)), out)  # type: ignore


def float_power(x1: Any, x2: Any, out: Any = None) -> ndarray:
    """x1 ** x2 computed in float64.

    >>> mx.np.float_power(mx.np.array([2.]), 3)  # doctest: +SKIP
    """
    a = as_dtype(operands("float_power", x1)[0], np.float64)
    b = x2 if isinstance(x2, (int, float)) else as_dtype(operands("float_power", x2)[0],
                                                         np.float64)
    return finish(binary("pow", a, b), out)  # type: ignore[no-any-return]


def ldexp(x1: Any, x2: Any, out: Any = None, where: Any = True, casting: Any = "same_kind",
          order: Any = "K", dtype: Any = None, subok: Any = True) -> ndarray:
    """x1 * 2 ** x2, elementwise (ufunc keywords at their defaults only).

    >>> mx.np.ldexp(mx.np.array([1.5]), 2)  # doctest: +SKIP
    array([6.])
    """
    a = operands("ldexp", x1)[0]
    a = as_dtype(a, a._dtype if a._dtype.kind == "f" else DEFAULT_FLOAT)
    if isinstance(x2, (int, float)):
        result = binary("mul", a, 2.0 ** x2)
    else:
        exponent = as_dtype(operands("ldexp", x2)[0], a._dtype)
        result = binary("mul", a, binary("pow", 2.0, exponent))
    return ufunc_result("ldexp", result, where, casting, order, dtype, subok,  # type: ignore
                        out)


def polyval(p: Any, x: Any) -> ndarray:
    """The polynomial with coefficients `p` (highest power first) at `x` (Horner's rule).

    >>> mx.np.polyval(mx.np.array([1., 0., -1.]), mx.np.array([2.]))  # doctest: +SKIP
    array([3.])
    """
    coeffs, xs = operands("polyval", p, x)
    if coeffs.ndim != 1:
        raise ShapeError(f"polyval: p must be 1-D, got shape {coeffs.shape}")
    result = binary("mul", xs, 0)
    for k in range(coeffs.shape[0]):
        term = reshaped(slice_ranges(coeffs, (k,), (k + 1,), (1,)), ())
        result = binary("add", binary("mul", result, xs), term)
    return finish(result)  # type: ignore[no-any-return]


def _window(name: str, a: float, b: float, c: float) -> Callable[..., Any]:
    def window(M: int, dtype: Any = None, ctx: Any = None) -> ndarray:  # noqa: N803
        if M < 1:
            return finish(ndarray._wrap(np.zeros((0,), DEFAULT_FLOAT)))
        if M == 1:
            return finish(ndarray._wrap(np.ones((1,), DEFAULT_FLOAT)))
        n = arange(M, dtype=np.float64)
        phase = binary("mul", n, 2 * _math.pi / (M - 1))
        w = binary("add", binary("sub", a, binary("mul", operator("cos")(phase), b)),
                   binary("mul", operator("cos")(binary("mul", phase, 2.0)), c))
        return finish(as_dtype(w, DEFAULT_FLOAT if dtype is None else np.dtype(dtype)))

    window.__name__ = window.__qualname__ = name
    window.__doc__ = (f"The {name} window of M points (float32).\n\n"
                      f"    >>> mx.np.{name}(5)  # doctest: +SKIP\n")
    return window


def vander(x: Any, N: int | None = None, increasing: bool = False) -> ndarray:
    """The Vandermonde matrix of the 1-D `x`: columns x ** (N - 1), ..., x ** 0.

    >>> mx.np.vander(mx.np.array([1., 2., 3.]), 2)  # doctest: +SKIP
    """
    v = operands("vander", x)[0]
    if v.ndim != 1:
        raise ShapeError(f"vander: x must be a one-dimensional array, got shape {v.shape}")
    n = v.shape[0] if N is None else N
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    cols = binary("pow", reshaped(v, (v.size, 1)),
                  ndarray._wrap(powers.astype(v._dtype if v._dtype.kind != "b" else np.int64)))
    return finish(cols)  # type: ignore[no-any-return]


def resize(a: Any, new_shape: Any) -> ndarray:
    """`a` repeated (or cut) to fill `new_shape`, in row-major order.

    >>> mx.np.resize(mx.np.array([1., 2.]), (3,))  # doctest: +SKIP
    array([1., 2., 1.])
    """
    x = operands("resize", a)[0]
    shape = ints(new_shape, "resize: new_shape")
    total = int(np.prod(shape, dtype=np.int64))
    flat = reshaped(x, (x.size,))
    if x.size == 0 or total == 0:
        return finish(ndarray._wrap(np.zeros(shape, x._dtype)))
    reps = -(-total // x.size)
    tiled = operator("tile")(flat, reps=(reps,))
    return finish(reshape_exact(slice_ranges(tiled, (0,), (total,), (1,)), shape))  # type: ignore


def unravel_index(indices: Any, shape: Any, order: str = "C") -> tuple[ndarray, ...]:
    """The coordinates in an array of `shape` of the flat `indices`.

    >>> mx.np.unravel_index(mx.np.array([5]), (2, 3))  # doctest: +SKIP
    """
    idx = as_dtype(operands("unravel_index", indices)[0], INDEX_DTYPE)
    dims = ints(shape, "unravel_index: shape")
    coords = []
    rest = idx
    for d in reversed(dims):
        coords.append(binary("mod", rest, d))
        rest = operator("floor")(binary("div", as_dtype(rest, np.float64), float(d)))
        rest = as_dtype(rest, INDEX_DTYPE)
    return tuple(finish(c) for c in reversed(coords))


def invert(x: Any, out: Any = None, where: Any = True, casting: Any = "same_kind",
           order: Any = "K", dtype: Any = None, subok: Any = True) -> ndarray:
    """Bitwise NOT of an integer array (two's complement), NOT of a bool one; NumPy's
    ufunc keywords at their defaults only, as MXNet.

    >>> mx.np.invert(mx.np.array([0, 5], dtype='int32'))  # doctest: +SKIP
    array([-1, -6], dtype=int32)
    """
    a = operands("invert", x)[0]
    if a._dtype.kind not in "iub":
        raise ArgumentError(f"invert: needs an integer or bool array, got {a._dtype}")
    return ufunc_result("invert", bind("invert", a), where, casting, order,  # type: ignore
                        dtype, subok, out)


_host_lcm = fallback("lcm", np.lcm)


def diagflat(v: Any, k: int = 0) -> ndarray:
    """A 2-D array with the flattened `v` on diagonal `k` (traced and differentiable, as
    MXNet's operator).

    >>> mx.np.diagflat(mx.np.array([[1., 2.], [3., 4.]])).shape  # doctest: +SKIP
    (4, 4)
    """
    x = operands("diagflat", v)[0]
    return finish(operator("diag")(reshaped(x, (x.size,)), k=int(k)))


def delete(arr: Any, obj: Any, axis: int | None = None) -> ndarray:
    """`arr` without the entries `obj` (an int, a slice, or a sequence of ints or bools)
    along `axis` (of the flattened array by default). Ints of a sequence outside [0, n)
    are ignored, as MXNet does (NumPy raises); a single int must be in range. Traced and
    differentiable: a gather of the entries kept.

    >>> mx.np.delete(mx.np.arange(5), [1, 3, 9])  # doctest: +SKIP
    array([0., 2., 4.])
    """
    a = operands("delete", arr)[0]
    if axis is None:
        a, axis = reshaped(a, (a.size,)), 0
    ax = axis_index(axis, a.ndim, "delete")
    n = a.shape[ax]
    keep = np.ones(n, dtype=bool)
    if isinstance(obj, Array):
        values = concrete(obj)
        if values is None:
            raise concrete_error("mx.np.delete's obj")
        obj = values
    if isinstance(obj, slice):
        keep[obj] = False
    elif isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        if not -n <= obj < n:
            raise MXNetIndexError(f"delete: index {obj} is out of bounds for axis {ax} with "
                                  f"size {n}")
        keep[obj] = False
    else:
        picked = np.asarray(obj)
        if picked.dtype.kind == "b":
            if picked.shape != (n,):
                raise ShapeError(f"delete: a boolean obj must have shape ({n},), got "
                                 f"{picked.shape}")
            keep &= ~picked
        elif picked.size:
            if picked.dtype.kind not in "iuf" or (
                    picked.dtype.kind == "f" and not np.all(np.mod(picked, 1) == 0)):
                raise ArgumentError(f"delete: obj must hold integers, got {picked.dtype} "
                                    f"values {picked.reshape(-1)[:4].tolist()}")
            picked = picked.reshape(-1).astype(np.int64)  # (mx.np's lists are float32)
            keep[picked[(picked >= 0) & (picked < n)]] = False
    return finish(operator("take")(a, ndarray._wrap(np.nonzero(keep)[0]), axis=ax))


def lcm(x1: Any, x2: Any, out: Any = None, where: Any = True, casting: Any = "same_kind",
        order: Any = "K", dtype: Any = None, subok: Any = True) -> ndarray:
    """The least common multiple of integer arrays, elementwise (computed by NumPy on the
    host, as MXNet 1.9.1 does; a host call inside a trace); NumPy's ufunc keywords at
    their defaults only.

    >>> mx.np.lcm(mx.np.array([4, 6], dtype='int32'), 6)  # doctest: +SKIP
    array([12,  6], dtype=int32)
    """
    return ufunc_result("lcm", _host_lcm(x1, x2), where, casting, order,  # type: ignore
                        dtype, subok, out)


def _bitwise(name: str, op: str) -> Callable[..., Any]:
    def bitwise(x1: Any, x2: Any, out: Any = None, where: Any = True,
                casting: Any = "same_kind", order: Any = "K", dtype: Any = None,
                subok: Any = True) -> ndarray:
        a, b = (x if isinstance(x, (bool, int)) else operands(name, x)[0] for x in (x1, x2))
        for v in (a, b):
            if isinstance(v, Array) and v._dtype.kind not in "iub":
                raise ArgumentError(f"{name}: needs integer or bool operands, got "
                                    f"{v._dtype}")
        return ufunc_result(name, binary(op, a, b), where, casting, order,  # type: ignore
                            dtype, subok, out)

    bitwise.__name__ = bitwise.__qualname__ = name
    bitwise.__doc__ = (f"Elementwise bitwise `{name[8:]}` of integer or bool arrays (NumPy's "
                       f"promotion between their dtypes; ufunc keywords at their defaults "
                       f"only).\n\n"
                       f"    >>> mx.np.{name}(m1, m2)  # doctest: +SKIP\n")
    return bitwise


def multi_dot(arrays: Sequence[Any]) -> ndarray:
    """The product of the matrices, left to right (1-D ends are vectors).

    >>> mx.np.linalg.multi_dot([mx.np.ones((2, 3)), mx.np.ones((3, 4))]).shape  # doctest: +SKIP
    (2, 4)
    """
    from_dot = operands("multi_dot", *arrays)
    result = from_dot[0]
    for m in from_dot[1:]:
        result = operator("dot")(result, m) if result.ndim and m.ndim else binary(
            "mul", result, m)
    return finish(reshaped(result, ()) if from_dot[0].ndim == 1 and from_dot[-1].ndim == 1
                  else result)


def functions() -> dict[str, Callable[..., Any]]:
    """This module's functions by NumPy name."""
    made: dict[str, Callable[..., Any]] = {f.__name__: f for f in (
        isclose, allclose, array_equal, diagonal, trace, diff, ediff1d, copy, positive,
        signbit, nan_to_num, take_along_axis, searchsorted, quantile, percentile, median,
        meshgrid, indices, rollaxis, heaviside, float_power, ldexp, polyval, vander,
        resize, unravel_index, invert, lcm, delete, diagflat, multi_dot)}
    made.update({n: _nan_reduce(n, op, fill) for n, op, fill in (
        ("nanmax", "max", -_math.inf), ("nanmin", "min", _math.inf))})
    made.update({n: _window(n, *abc) for n, abc in (
        ("hanning", (0.5, 0.5, 0.0)), ("hamming", (0.54, 0.46, 0.0)),
        ("blackman", (0.42, 0.5, 0.08)))})
    made.update({n: _bitwise(n, op) for n, op in (
        ("bitwise_and", "bitwise_and"), ("bitwise_or", "bitwise_or"),
        ("bitwise_xor", "bitwise_xor"))})
    made["bitwise_not"] = invert
    return made
