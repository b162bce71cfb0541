"""`mx.np._internal` (MXNet's `F.np._internal`): the hidden `_npi_*` functions that MXNet's
own Python code and tests call by name. Only the boolean-mask assignments are here: the
others of MXNet's are public mx.np functions under their own names.

    >>> a = mx.np.zeros((2, 2)); mask = mx.np.array([True, False])  # doctest: +SKIP
    >>> mx.np._internal.boolean_mask_assign_scalar(a, mask, 1.0, out=a)  # doctest: +SKIP
    array([[1., 1.],
           [0., 0.]])
"""
from __future__ import annotations

from typing import Any

__all__ = ["boolean_mask_assign_scalar", "boolean_mask_assign_tensor"]


def _assign(data: Any, mask: Any, value: Any, start_axis: int, out: Any) -> Any:
    """`data` with `data[:, ..., mask] = value` (mask over the axes from `start_axis`),
    written into `out` (`data` itself when `out=data`, as MXNet's tests call it), else into
    a copy. Eager only, as `x[mask] = value` is."""
    target = data.copy() if out is None else out
    if target is not data:
        target[...] = data
    target[(slice(None),) * start_axis + (mask,)] = value
    return target


def boolean_mask_assign_scalar(data: Any, mask: Any, value: float, start_axis: int = 0,
                               out: Any = None) -> Any:
    """MXNet's `_npi_boolean_mask_assign_scalar`: the selected entries set to `value`.

    >>> mx.np._internal.boolean_mask_assign_scalar(a, a > 0, 0.0, out=a)  # doctest: +SKIP
    """
    return _assign(data, mask, value, start_axis, out)


def boolean_mask_assign_tensor(data: Any, mask: Any, value: Any, start_axis: int = 0,
                               out: Any = None) -> Any:
    """MXNet's `_npi_boolean_mask_assign_tensor`: the selected entries set from `value`
    (one entry per selected position, or broadcast along the masked axes).

    >>> mx.np._internal.boolean_mask_assign_tensor(a, a > 0, b, out=a)  # doctest: +SKIP
    """
    return _assign(data, mask, value, start_axis, out)
