"""Sorting operators: `sort`, `argsort` and `topk`.

The positions come from the opaque `argsort` library primitive (kernels/sort.py); values
are gathered from them with `take` on the flattened data, so they fuse with what follows
and their gradient is take's (a scatter-add back to the chosen positions).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ParamError
from ..kernels import sort as _sort_kernels  # noqa: F401  (registers `argsort`)
from ..trace.dtypes import canonical_dtype
from . import ops
from .creation import _iota
from .dispatch import bind, int_param
from .ndarray import NDArray
from .nn import _axis, _cast, _full
from .ops import _write


def _prepare(data: NDArray, axis: int | None, op: str) -> tuple[NDArray, int]:
    if axis is None:
        return ops.reshape(data, shape=(-1,)), 0
    if data.ndim == 0:
        return ops.reshape(data, shape=(1,)), 0
    return data, _axis(axis, data.ndim, op)


def _positions(x: NDArray, axis: int, is_ascend: bool, k: int) -> NDArray:
    return bind("argsort", x, axis=axis, is_ascend=bool(is_ascend), k=k)


def _flat_index(shape: tuple[int, ...], indices: NDArray, axis: int) -> NDArray:
    """Positions in the flattened array of `shape` of the entries picked by `indices`."""
    strides = [int(np.prod(shape[k + 1:], dtype=np.int64)) for k in range(len(shape))]
    flat = _cast(indices, np.int64) * strides[axis]
    for k in range(len(shape)):
        if k != axis and indices.shape[k] > 1:
            flat = flat + _iota(indices.shape, k, indices) * strides[k]
    return flat


def take_along_axis(x: NDArray, indices: NDArray, axis: int) -> NDArray:
    """x[..., indices[..., j, ...], ...] along `axis` (indices shaped like x except there),
    as one `take` from the flattened data.

    >>> take_along_axis(x, mx.nd.array([[1, 0]], dtype='int64'), 1)  # doctest: +SKIP
    """
    flat = _flat_index(x.shape, indices, axis)
    return bind("take", ops.reshape(x, shape=(-1,)), flat, axis=0, mode="clip")


def sort(data: NDArray, axis: int | None = -1, is_ascend: bool = True,
         out: NDArray | None = None, name: str | None = None) -> NDArray:
    """The data sorted along `axis` (flattened when axis is None).

    >>> mx.nd.sort(mx.nd.array([3, 1, 2]))  # doctest: +SKIP
    """
    x, ax = _prepare(data, axis, "sort")
    idx = _positions(x, ax, is_ascend, x.shape[ax])
    return _write(take_along_axis(x, idx, ax), out)


def argsort(data: NDArray, axis: int | None = -1, is_ascend: bool = True,
            dtype: Any = "float32", out: NDArray | None = None,
            name: str | None = None) -> NDArray:
    """Positions that sort the data along `axis`, as `dtype` (float32 by default, as MXNet).

    >>> mx.nd.argsort(mx.nd.array([3, 1, 2]))  # doctest: +SKIP
    """
    x, ax = _prepare(data, axis, "argsort")
    idx = _positions(x, ax, is_ascend, x.shape[ax])
    return _write(_cast(idx, canonical_dtype(dtype)), out)


_RET_TYPES = ("indices", "value", "both", "mask")


def topk(data: NDArray, axis: int | None = -1, k: int = 1, ret_typ: str = "indices",
         is_ascend: bool = False, dtype: Any = "float32", out: NDArray | None = None,
         name: str | None = None) -> Any:
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
        return _write(_cast(idx, canonical_dtype(dtype)), out)
    if ret_typ == "value":
        return _write(take_along_axis(x, idx, ax), out)
    if ret_typ == "both":
        return [take_along_axis(x, idx, ax), _cast(idx, canonical_dtype(dtype))]
    flat = _flat_index(x.shape, idx, ax)
    ones = _full(1, data, flat.shape)
    mask = bind("scatter_add", ones, flat, axis=0, mode="clip", size=x.size)
    return _write(ops.reshape(mask, shape=data.shape), out)
