"""Reductions: sum, mean, max, min, prod and argmax/argmin over MXNet's axis arguments, and
the composites nansum, nanprod, norm, moments and argmax_channel (an elementwise prologue
fused into one reduction kernel).

A reduction over every axis gives shape (1,), as in MXNet, which has no 0-d results.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from .elementwise import abs, binary, cast
from .operands import as_dtype, ew, int_param, reshape_exact


def _axes(ndim: int, axis: Any, exclude: bool = False) -> tuple[int, ...]:
    if axis is None or (isinstance(axis, (tuple, list)) and not axis):
        axes = tuple(range(ndim))
    else:
        raw = [axis] if isinstance(axis, (int, np.integer, Array)) else axis
        axes = tuple(a + ndim if a < 0 else a for a in (int_param("reduce", "axis", a)
                                                         for a in raw))
        if any(not 0 <= a < ndim for a in axes):
            raise ShapeError(f"axis {axis} out of range for an array of {ndim} dims")
    if exclude:
        axes = tuple(a for a in range(ndim) if a not in axes)
    return tuple(sorted(set(axes)))


def _reduce(prim: str, data: Array, axis: Any, keepdims: bool, exclude: bool) -> Array:
    axes = _axes(data.ndim, axis, exclude)
    out = bind(prim, data, axes=axes)
    if keepdims:
        return reshape_exact(out, tuple(1 if k in axes else d for k, d in enumerate(data.shape)))
    if out.ndim == 0:  # MXNet's global reductions give shape (1,)
        return reshape_exact(out, (1,))
    return out


@register_operator("sum", aliases=("sum_axis",), fresh=True)
def sum(data: Array, axis: Any = None, keepdims: bool = False, exclude: bool = False
        ) -> Array:
    """Sum over `axis` (all axes by default; shape (1,) then, as in MXNet).

    >>> mx.nd.sum(mx.nd.ones((2, 3)), axis=1)  # doctest: +SKIP
    """
    return _reduce("reduce_sum", data, axis, keepdims, exclude)


@register_operator("max", aliases=("max_axis",), fresh=True)
def max(data: Array, axis: Any = None, keepdims: bool = False, exclude: bool = False
        ) -> Array:
    """Maximum over `axis`."""
    return _reduce("reduce_max", data, axis, keepdims, exclude)


@register_operator("min", aliases=("min_axis",), fresh=True)
def min(data: Array, axis: Any = None, keepdims: bool = False, exclude: bool = False
        ) -> Array:
    """Minimum over `axis`."""
    return _reduce("reduce_min", data, axis, keepdims, exclude)


@register_operator("prod", fresh=True)
def prod(data: Array, axis: Any = None, keepdims: bool = False, exclude: bool = False
         ) -> Array:
    """Product over `axis`."""
    return _reduce("reduce_prod", data, axis, keepdims, exclude)


@register_operator("mean", fresh=True)
def mean(data: Array, axis: Any = None, keepdims: bool = False, exclude: bool = False
         ) -> Array:
    """Mean over `axis`."""
    axes = _axes(data.ndim, axis, exclude)
    count = int(math.prod([data.shape[a] for a in axes]))
    total = _reduce("reduce_sum", data, axis, keepdims, exclude)
    return binary("div", total, count) if count else binary("mul", total, float("nan"))


def _arg(prim: str, data: Array, axis: Any, keepdims: bool) -> Array:
    # MXNet gives the index in the data's dtype (wrapping in int8/uint8, rounding in float16)
    if axis is None:
        flat = reshape_exact(data, (data.size,))
        index = cast(bind(prim, flat, axis=0), data._dtype)
        return reshape_exact(index, (1,) * data.ndim if keepdims and data.ndim else (1,))
    ax = _axes(data.ndim, axis)[0]
    out = cast(bind(prim, data, axis=ax), data._dtype)
    if keepdims:
        return reshape_exact(out, tuple(1 if k == ax else d for k, d in enumerate(data.shape)))
    return reshape_exact(out, (1,)) if out.ndim == 0 else out  # MXNet has no 0-d results


@register_operator("argmax", fresh=True)
def argmax(data: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Index of the maximum along `axis` (of the flattened data when None), in the data's
    dtype as MXNet gives it; the first maximum wins, and a NaN is the maximum.

    >>> mx.nd.argmax(mx.nd.array([[1, 5, 3]]), axis=1)  # doctest: +SKIP
    [1.]
    """
    return _arg("argmax", data, axis, keepdims)


@register_operator("argmin", fresh=True)
def argmin(data: Array, axis: Any = None, keepdims: bool = False) -> Array:
    """Index of the minimum along `axis` (of the flattened data when None), in the data's
    dtype as MXNet gives it; the first minimum wins, and a NaN is the minimum.

    >>> mx.nd.argmin(mx.nd.array([[1, 5, 3]]), axis=1)  # doctest: +SKIP
    [0.]
    """
    return _arg("argmin", data, axis, keepdims)


# ---- composites --------------------------------------------------------------------------


def _nan_to(data: Array, value: float) -> Array:
    if data._dtype.kind != "f":
        return data
    return ew("where", ew("isnan", data), value, data, like=data)


@register_operator("nansum", fresh=True)
def nansum(data: Array, axis: Any = None, keepdims: bool = False, exclude: bool = False) -> Array:
    """Sum over `axis`, treating NaN as 0.

    >>> mx.nd.nansum(mx.nd.array([1, float('nan'), 2]))  # doctest: +SKIP
    """
    return sum(_nan_to(data, 0), axis=axis, keepdims=keepdims, exclude=exclude)


@register_operator("nanprod", fresh=True)
def nanprod(data: Array, axis: Any = None, keepdims: bool = False, exclude: bool = False) -> Array:
    """Product over `axis`, treating NaN as 1.

    >>> mx.nd.nanprod(mx.nd.array([2, float('nan'), 3]))  # doctest: +SKIP
    """
    return prod(_nan_to(data, 1), axis=axis, keepdims=keepdims, exclude=exclude)


@register_operator("norm", kinds={"out_dtype": "dtype"})
def norm(data: Array, ord: int = 2, axis: Any = None, out_dtype: Any = None,
         keepdims: bool = False
         ) -> Array:
    """The L1 (`ord=1`) or L2 (`ord=2`) norm of the elements over `axis`, any number of
    axes (all elements by default, giving shape (1,)); over two axes the L2 norm is the
    Frobenius norm.

    >>> mx.nd.norm(mx.nd.array([[3, 4]]))  # doctest: +SKIP
    """
    if ord not in (1, 2):
        raise ParamError(f"norm: ord must be 1 or 2, got {ord!r}")
    x = data if out_dtype is None else as_dtype(data, out_dtype)
    if x._dtype.kind != "f":
        x = as_dtype(x, np.float32)
    if ord == 1:
        y = sum(abs(x), axis=axis, keepdims=keepdims)
    else:
        y = ew("sqrt", sum(binary("mul", x, x), axis=axis, keepdims=keepdims))
    return y


@register_operator("moments")
def moments(data: Array, axes: Any = None, keepdims: bool = False) -> list[Array]:
    """[mean, variance] of `data` over `axes` (all axes by default, giving shape (1,)); the
    variance is the biased one, mean((x - mean) ** 2).

    >>> mean, var = mx.nd.moments(mx.nd.array([[1, 2], [3, 4]]), axes=(0,))  # doctest: +SKIP
    """
    if data._dtype.kind != "f":
        raise DTypeError(f"moments: data must be a floating-point array, got {data._dtype}")
    reduced = _axes(data.ndim, axes)
    m = mean(data, axis=reduced, keepdims=True)
    centered = binary("sub", data, m)
    var = mean(binary("mul", centered, centered), axis=reduced, keepdims=keepdims)
    return [m if keepdims else reshape_exact(m, var.shape), var]


@register_operator("argmax_channel")
def argmax_channel(data: Array
                   ) -> Array:
    """Index of the maximum along the last axis, in the data's dtype (shape (1,) for a 1-D
    input).

    >>> mx.nd.argmax_channel(mx.nd.array([[0, 1, 2], [5, 4, 3]]))  # doctest: +SKIP
    [2. 0.]
    """
    if data.ndim == 0:
        raise ShapeError("argmax_channel: needs an array of at least one dim, got a 0-d array")
    if data.shape[-1] == 0:
        raise ShapeError(f"argmax_channel: the last axis of {data.shape} is empty")
    result = argmax(data, axis=-1)
    return reshape_exact(result, (1,)) if result.ndim == 0 else result
