"""Eager elementwise ops over broadcast or strided operands through kernels that serve
every shape (`lower/generic.py`), as `eager_reduce.py` does for reductions.

The output's axes are merged where every operand allows (adjacent axes whose strides
chain, broadcast ones included) and size-1 axes dropped, so `x + row` for any (n, m)
matrix and (m,) row is one kernel: an outer loop over rows and a unit-stride inner loop
in which the row is read with stride 1 and the matrix too.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..lower import KERNELS, PARALLEL_MIN_WORK, elementwise_kernel, launch
from ..trace import PRIMITIVES, AbstractValue
from .eager_reduce import contiguous_strides, element_strides, merged_nest

#: Merged loop nests deeper than this take the shape-specialised path instead.
MAX_LOOPS = 4
_calls: dict[tuple, Any] = {}


def run_broadcast(op: str, arrays: list[np.ndarray], shape: tuple[int, ...],
                  cast_to: np.dtype | None) -> np.ndarray | None:
    """`op` over host arrays broadcast to `shape` with a shape-independent kernel, or None
    where that does not apply (odd strides, deep nests), for the caller's general path.

    The kernel is compiled once per (op, dtypes, merged depth, innermost strides); what a
    given set of shapes and strides needs besides (its parameters) is kept per shape, so a
    repeated small op costs a dictionary look-up, as on the flat path.
    """
    key = (op, cast_to, shape, *[(x.shape, x.strides, x.dtype) for x in arrays])
    plan = _plans.get(key)
    if plan is None:
        plan = _plan(op, arrays, shape, cast_to)
        if len(_plans) >= MAX_PLANS:
            _plans.clear()
        _plans[key] = plan
    if plan is False:
        return None
    call, params, extent, dtype = plan  # type: ignore[misc]
    result = np.empty(shape, dtype)
    size = result.size
    if 0 < size < PARALLEL_MIN_WORK:
        call(*arrays, params, result, 0, extent)
    elif size:
        launch(call, [*arrays, params, result], extent, size)
    return result


#: Per-shape parameters kept at most (a bound, should shapes never repeat).
MAX_PLANS = 4096
_plans: dict[tuple, Any] = {}


def _plan(op: str, arrays: list[np.ndarray], shape: tuple[int, ...],
          cast_to: np.dtype | None) -> tuple | bool:
    """(kernel call, parameters, split extent, result dtype), or False where it does not
    apply."""
    avals = [AbstractValue((), x.dtype) for x in arrays]
    out_dtype = PRIMITIVES[op].shape_rule(*avals).dtype  # (what `op` gives these dtypes)
    strides = []
    for x in arrays:
        own = element_strides(x)
        if own is None:
            return False
        lead = len(shape) - x.ndim  # (broadcast axes read with stride 0)
        strides.append((0,) * lead + tuple(0 if d == 1 else s for d, s in zip(x.shape, own)))
    dtype = np.dtype(cast_to if cast_to is not None else out_dtype)
    loops = merged_nest(shape, strides) or [[False, 1, [0] * len(arrays)]]  # (all size 1)
    if len(loops) > MAX_LOOPS:
        return False
    extents = [lp[1] for lp in loops]
    n = len(extents)
    inner = tuple(s if s in (0, 1) else None for s in loops[-1][2])
    key = (op, tuple(x.dtype for x in arrays), out_dtype, cast_to, inner, n)
    call = _calls.get(key)
    if call is None:
        kernel = elementwise_kernel(op, tuple(x.dtype for x in arrays), out_dtype, cast_to,
                                    inner, n)
        call = _calls[key] = KERNELS.get(kernel).call
    operand_strides = [lp[2][k] for k in range(len(arrays)) for lp in loops]
    params = np.array(extents + operand_strides + contiguous_strides(extents, (False,) * n),
                      np.int64)
    return call, params, extents[0], dtype
