"""Sorting on the CPU: the opaque `argsort` primitive (positions of the k first elements in
sorted order along an axis), which `sort`, `argsort` and `topk` build on.

Values are gathered from these positions with `take`, so their gradients come from take's
vjp (a scatter-add); the positions themselves are integers and carry none.
"""
from __future__ import annotations

import numpy as np

from ..base import DTypeError, ShapeError
from ..trace import define_primitive
from ..trace.dtypes import is_bool
from ..trace.graph import AbstractValue


def _argsort_rule(x: AbstractValue, *, axis: int, is_ascend: bool, k: int) -> AbstractValue:
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"argsort: axis {axis} out of range for shape {x.shape}")
    if not 0 <= k <= x.shape[axis]:
        raise ShapeError(f"argsort: k={k} must be in [0, {x.shape[axis]}] for axis {axis} "
                         f"of shape {x.shape}")
    if is_bool(x.dtype):
        raise DTypeError("argsort: cast bool operands to a number type first")
    shape = x.shape[:axis] + (k,) + x.shape[axis + 1:]
    return AbstractValue(shape, np.dtype(np.int64))


def argsort_numpy(x: np.ndarray, *, axis: int, is_ascend: bool, k: int) -> np.ndarray:
    """Positions of the first `k` elements of `x` sorted along `axis` (ties: lower index first).

    >>> argsort_numpy(np.array([1., 3., 3., 0.]), axis=0, is_ascend=False, k=2)
    array([1, 2])
    """
    n = x.shape[axis]
    if is_ascend:
        order = np.argsort(x, axis=axis, kind="stable")
    else:
        # A stable ascending sort of the reversed axis, read backwards, is descending with
        # ties still in increasing index order (negating would break unsigned integers).
        flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
        order = np.flip(n - 1 - flipped, axis)
    return np.take(order, np.arange(k), axis=axis).astype(np.int64)


# positions are integers: no gradient (values gathered with them get take's)
define_primitive("argsort", "opaque", _argsort_rule, argsort_numpy, differentiable=False)
