"""Sorting operators: `sort`, `argsort` and `topk`.

The positions come from the opaque `argsort` library primitive (kernels/sort.py); values
are gathered from them with `take` on the flattened data, so they fuse with what follows
and their gradient is take's (a scatter-add back to the chosen positions).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import ParamError
from ..core import Array, bind
from ..core.operators import register_operator
from ..trace.dtypes import canonical_dtype
from .operands import as_dtype, axis_index, full, int_param, iota
from .shape import reshape


def _prepare(data: Array, axis: int | None, op: str) -> tuple[Array, int]:
    if axis is None:
        return reshape(data, shape=(-1,)), 0
    if data.ndim == 0:
        return reshape(data, shape=(1,)), 0
    return data, axis_index(axis, data.ndim, op)


def _positions(x: Array, axis: int, is_ascend: bool, k: int) -> Array:
    return bind("argsort", x, axis=axis, is_ascend=bool(is_ascend), k=k)


def _flat_index(shape: tuple[int, ...], indices: Array, axis: int) -> Array:
    """Positions in the flattened array of `shape` of the entries picked by `indices`."""
    strides = [int(math.prod(shape[k + 1:])) for k in range(len(shape))]
    flat = as_dtype(indices, np.int64) * strides[axis]
    for k in range(len(shape)):
        if k != axis and indices.shape[k] > 1:
            flat = flat + iota(indices.shape, k, indices) * strides[k]
    return flat


def take_along_axis(x: Array, indices: Array, axis: int) -> Array:
    """x[..., indices[..., j, ...], ...] along `axis` (indices shaped like x except there),
    as one `take` from the flattened data.

    >>> take_along_axis(x, mx.nd.array([[1, 0]], dtype='int64'), 1)  # doctest: +SKIP
    """
    flat = _flat_index(x.shape, indices, axis)
    return bind("take", reshape(x, shape=(-1,)), flat, axis=0, mode="clip")


@register_operator("sort")
def sort(data: Array, axis: int | None = -1, is_ascend: bool = True) -> Array:
    """The data sorted along `axis` (flattened when axis is None).

    >>> mx.nd.sort(mx.nd.array([3, 1, 2]))  # doctest: +SKIP
    """
    x, ax = _prepare(data, axis, "sort")
    idx = _positions(x, ax, is_ascend, x.shape[ax])
    return take_along_axis(x, idx, ax)


@register_operator("argsort")
def argsort(data: Array, axis: int | None = -1, is_ascend: bool = True,
            dtype: Any = "float32") -> Array:
    """Positions that sort the data along `axis`, as `dtype` (float32 by default, as MXNet).

    >>> mx.nd.argsort(mx.nd.array([3, 1, 2]))  # doctest: +SKIP
    """
    x, ax = _prepare(data, axis, "argsort")
    idx = _positions(x, ax, is_ascend, x.shape[ax])
    return as_dtype(idx, canonical_dtype(dtype))


_RET_TYPES = ("indices", "value", "both", "mask")


@register_operator("topk")
def topk(data: Array, axis: int | None = -1, k: int = 1, ret_typ: str = "indices",
         is_ascend: bool = False, dtype: Any = "float32") -> Any:
    """The k largest (smallest with `is_ascend`) elements along `axis`: their positions
    ('indices', as `dtype`), their values ('value'), both as [values, indices] ('both'),
    or a 0/1 array of the data's shape marking them ('mask'). k < 1 sorts the whole axis.

    >>> mx.nd.topk(mx.nd.array([[3, 1, 2]]), k=2, ret_typ='value')  # doctest: +SKIP
    """
    if ret_typ not in _RET_TYPES:
        raise ParamError(f"topk: ret_typ must be one of {list(_RET_TYPES)}, got {ret_typ!r}")
    k = int_param("topk", "k", k)
    x, ax = _prepare(data, axis, "topk")
    n = x.shape[ax]
    if k > n:
        raise ParamError(f"topk: k={k} is larger than the {n} elements along axis {axis}")
    kk = n if k < 1 else k
    idx = _positions(x, ax, is_ascend, kk)
    if ret_typ == "indices":
        return as_dtype(idx, canonical_dtype(dtype))
    if ret_typ == "value":
        return take_along_axis(x, idx, ax)
    if ret_typ == "both":
        return [take_along_axis(x, idx, ax), as_dtype(idx, canonical_dtype(dtype))]
    flat = _flat_index(x.shape, idx, ax)
    ones = full(1, data, flat.shape)
    mask = bind("scatter_add", ones, flat, axis=0, mode="clip", size=x.size)
    return reshape(mask, shape=data.shape)
