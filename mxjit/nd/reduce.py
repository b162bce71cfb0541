"""Reductions beyond sum/max/min/prod/mean: `nansum`, `nanprod`, `norm`, `moments` and
`argmax_channel`, as composites (an elementwise prologue fused into one reduction kernel)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..trace.dtypes import canonical_dtype
from . import ops
from .ndarray import NDArray
from .nn import _cast, _ew
from .ops import _axes, _write
from .shape_ops import reshape_exact


def _nan_to(data: NDArray, value: float) -> NDArray:
    if data._dtype.kind != "f":
        return data
    return _ew("where", _ew("isnan", data), value, data, like=data)


def nansum(data: NDArray, axis: Any = None, keepdims: bool = False, exclude: bool = False,
           out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Sum over `axis`, treating NaN as 0.

    >>> mx.nd.nansum(mx.nd.array([1, float('nan'), 2]))  # doctest: +SKIP
    """
    return _write(ops.sum(_nan_to(data, 0), axis=axis, keepdims=keepdims, exclude=exclude), out)


def nanprod(data: NDArray, axis: Any = None, keepdims: bool = False, exclude: bool = False,
            out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Product over `axis`, treating NaN as 1.

    >>> mx.nd.nanprod(mx.nd.array([2, float('nan'), 3]))  # doctest: +SKIP
    """
    return _write(ops.prod(_nan_to(data, 1), axis=axis, keepdims=keepdims, exclude=exclude),
                  out)


def norm(data: NDArray, ord: int = 2, axis: Any = None, out_dtype: Any = None,
         keepdims: bool = False, out: NDArray | None = None, name: str | None = None
         ) -> NDArray:
    """The L1 (`ord=1`) or L2 (`ord=2`) norm over `axis` (all elements by default, giving
    shape (1,)); over two axes the L2 norm is the Frobenius norm.

    >>> mx.nd.norm(mx.nd.array([[3, 4]]))  # doctest: +SKIP
    """
    if ord not in (1, 2):
        raise ParamError(f"norm: ord must be 1 or 2, got {ord!r}")
    if axis is not None:
        count = 1 if isinstance(axis, (int, np.integer)) else len(tuple(axis))
        if count > 2:
            raise ShapeError(f"norm: axis {axis} names more than two axes")
    x = data if out_dtype is None else _cast(data, canonical_dtype(out_dtype))
    if x._dtype.kind != "f":
        x = _cast(x, np.float32)
    if ord == 1:
        y = ops.sum(ops.abs(x), axis=axis, keepdims=keepdims)
    else:
        y = _ew("sqrt", ops.sum(x * x, axis=axis, keepdims=keepdims))
    return _write(y, out)


def moments(data: NDArray, axes: Any = None, keepdims: bool = False,
            name: str | None = None) -> list[NDArray]:
    """[mean, variance] of `data` over `axes` (all axes by default, giving shape (1,)); the
    variance is the biased one, mean((x - mean) ** 2).

    >>> mean, var = mx.nd.moments(mx.nd.array([[1, 2], [3, 4]]), axes=(0,))  # doctest: +SKIP
    """
    if data._dtype.kind != "f":
        raise DTypeError(f"moments: data must be a floating-point array, got {data._dtype}")
    reduced = _axes(data.ndim, axes)
    mean = ops.mean(data, axis=reduced, keepdims=True)
    centered = data - mean
    var = ops.mean(centered * centered, axis=reduced, keepdims=keepdims)
    return [mean if keepdims else reshape_exact(mean, var.shape), var]


def argmax_channel(data: NDArray, out: NDArray | None = None, name: str | None = None
                   ) -> NDArray:
    """Index of the maximum along the last axis, as float32 (shape (1,) for a 1-D input).

    >>> mx.nd.argmax_channel(mx.nd.array([[0, 1, 2], [5, 4, 3]]))  # doctest: +SKIP
    [2. 0.]
    """
    if data.ndim == 0:
        raise ShapeError("argmax_channel: needs an array of at least one dim, got a 0-d array")
    if data.shape[-1] == 0:
        raise ShapeError(f"argmax_channel: the last axis of {data.shape} is empty")
    result = ops.argmax(data, axis=-1)
    return _write(reshape_exact(result, (1,)) if result.ndim == 0 else result, out)
