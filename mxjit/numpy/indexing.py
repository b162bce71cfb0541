"""`mx.np.ndarray`'s `x[key]` and `x[key] = v`: `mx.nd`'s indexing (ops/indexing.py) plus
what NumPy adds: boolean masks, whose result's shape depends on the mask's values, and
0-d results when every axis is indexed by an int.

A boolean mask over k axes is the k integer index arrays of its true positions (NumPy's
own rule: `x[mask]` is `x[mask.nonzero()]`), so the gather, its gradient and `jit` are
`mx.nd`'s. The positions need the mask's values: inside a trace a mask that is not a
constant is an error that says so.

A 0-d boolean among other items (`x[0, True, mask]`, `x[False, 1]`) adds an axis of
length 1 or 0 that broadcasts with the advanced indices; NumPy's placement rules for
that are applied by NumPy itself, to the flat positions of the array, which then become
one integer index array per axis.

    >>> x = mx.np.arange(6).reshape(2, 3); x[x > 2]  # doctest: +SKIP
    array([3., 4., 5.])
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ConcreteValueError, MXNetIndexError
from ..core import Array, tape
from ..ops import indexing
from ..ops.shape import reshape_exact


def _mask_values(mask: Array) -> np.ndarray:
    """The values of a boolean mask, which decide the shape of what it selects."""
    values = indexing.concrete(mask)
    if values is None:
        raise ConcreteValueError(
            f"indexing with a boolean mask of shape {mask.shape}: the result's shape "
            "depends on the mask's values, which are not known while tracing (inside "
            "mx.jit, mx.grad or a hybridized block); use mx.np.where(mask, x, 0) for a "
            "result of fixed shape, or index outside the trace")
    return values


def _mask_positions(mask: Any) -> tuple[np.ndarray, ...]:
    """The integer index arrays of a boolean mask's true entries."""
    values = _mask_values(mask) if isinstance(mask, Array) else np.asarray(mask)
    return tuple(p.astype(np.int64) for p in np.nonzero(values))


def _is_scalar_mask(k: Any) -> bool:
    """Whether `k` is a 0-d boolean index (a Python bool or a 0-d mask)."""
    if isinstance(k, (bool, np.bool_)):
        return True
    return _is_mask(k) and (k.ndim if isinstance(k, Array) else np.ndim(k)) == 0


def _is_mask(k: Any) -> bool:
    if isinstance(k, Array):
        return bool(k._dtype.kind == "b")
    if isinstance(k, (list, np.ndarray)):
        return bool(np.asarray(k).dtype.kind == "b")
    return False


def _host_item(k: Any) -> Any:
    """One key item with an array's values on the host (NumPy indexes with them)."""
    if not isinstance(k, Array):
        return k
    values = indexing.concrete(k)
    if values is None:
        raise ConcreteValueError(
            f"indexing with a 0-d boolean beside an index array of shape {k.shape}: the "
            "positions need the array's values, which are not known while tracing (inside "
            "mx.jit, mx.grad or a hybridized block); index outside the trace")
    return values


def _positions_key(items: tuple[Any, ...], shape: tuple[int, ...]) -> tuple[Any, ...]:
    """The key as one integer index array per axis, by NumPy's own indexing of the flat
    positions (for keys with a 0-d boolean among other items)."""
    flat = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    try:
        positions = flat[tuple(_host_item(k) for k in items)]
    except IndexError as e:
        raise MXNetIndexError(f"indexing an array of shape {shape}: {e}") from None
    return tuple(np.unravel_index(positions, shape))


def numpy_key(key: Any, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """`key` as a tuple with each boolean mask replaced by its index arrays, checked
    against the axes it covers."""
    items = key if isinstance(key, tuple) else (key,)
    if any(_is_scalar_mask(k) for k in items):
        return _positions_key(items, shape)
    out: list[Any] = []
    axis = 0
    for k in items:
        if _is_mask(k):
            mask_shape = tuple(np.shape(k)) if not isinstance(k, Array) else k.shape
            covered = shape[axis:axis + len(mask_shape)]
            if covered != mask_shape:
                raise MXNetIndexError(
                    f"boolean index of shape {mask_shape} does not match the indexed array's "
                    f"axes {covered} (array shape {shape}, starting at axis {axis})")
            out.extend(_mask_positions(k))
            axis += len(mask_shape)
            continue
        out.append(k)
        if k is not None and k is not Ellipsis:
            axis += 1
    return tuple(out)


def _all_ints(key: tuple[Any, ...], ndim: int) -> bool:
    """Whether `key` picks one element (NumPy gives a 0-d array; mx.nd shape (1,))."""
    ints = [k for k in key if k is not Ellipsis]
    return len(ints) == ndim and all(
        isinstance(k, (int, np.integer)) and not isinstance(k, bool)
        or (isinstance(k, Array) and k.ndim == 0 and k._dtype.kind in "iu") for k in ints)


def reshaped(x: Any, shape: tuple[int, ...]) -> Any:
    """`x` with a new shape: eagerly (not recording) a NumPy view without a dispatch, else
    the reshape primitive. NumPy's 0-d results are MXNet's (1,) ones reshaped: this keeps
    the adapter's cost off eager code."""
    if x._data is not None and type(x._data) is np.ndarray and not (
            tape.recording_threads and tape.is_recording()):
        return type(x)._wrap_host(x._data.reshape(shape))
    return reshape_exact(x, shape)


def getitem(arr: Any, key: Any) -> Any:
    """`arr[key]` by NumPy's rules (see the module docstring).

    >>> getitem(mx.np.arange(4), 2).shape  # doctest: +SKIP
    ()
    """
    if isinstance(key, tuple) and len(key) == 1:
        key = key[0]
    if _is_scalar_mask(key):  # (NumPy: a new axis of length 1, or 0 for False)
        keep = bool(_mask_values(key)) if isinstance(key, Array) else bool(key)
        return indexing.getitem(reshaped(arr, (1,) + arr.shape), slice(0, int(keep)))
    nkey = numpy_key(key, arr.shape)
    if nkey == () and arr.ndim == 0 or _all_ints(nkey, arr.ndim):
        picked = indexing.getitem(arr, nkey) if nkey else arr
        return reshaped(picked, ())
    return indexing.getitem(arr, nkey)


def setitem(arr: Any, key: Any, value: Any) -> None:
    """`arr[key] = value`, masks included (eager only, as in `mx.nd`).

    >>> x = mx.np.zeros(3); x[x == 0] = 1  # doctest: +SKIP
    """
    if isinstance(key, tuple) and len(key) == 1:
        key = key[0]
    if _is_scalar_mask(key):  # (NumPy: all of the array, or none of it for False)
        if not (_mask_values(key) if isinstance(key, Array) else key):
            return
        key = Ellipsis
    nkey = numpy_key(key, arr.shape)
    if arr.ndim == 0:
        nkey = (Ellipsis,) if nkey == () else nkey
    indexing.setitem(arr, nkey, value)
