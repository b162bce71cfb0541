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

from ..lower.cache import KERNELS
from ..lower.generic import elementwise_kernel
from ..lower.program import PARALLEL_MIN_WORK, launch
from ..trace.graph import AbstractValue
from ..trace.ops import PRIMITIVES

#: Merged loop nests deeper than this take the shape-specialised path instead.
MAX_LOOPS = 4
_calls: dict[tuple, Any] = {}


def _merged_loops(shape: tuple[int, ...], strides: list[tuple[int, ...]]
                  ) -> tuple[list[int], list[list[int]]] | None:
    """(extents, per-operand strides) of the merged nest, outermost first."""
    extents: list[int] = []
    merged: list[list[int]] = [[] for _ in strides]
    for a, d in enumerate(shape):
        if d == 1:
            continue
        if extents and all(s[-1] == st[a] * d for s, st in zip(merged, strides)):
            extents[-1] *= d
            for s, st in zip(merged, strides):
                s[-1] = st[a]
            continue
        extents.append(d)
        for s, st in zip(merged, strides):
            s.append(st[a])
    if len(extents) > MAX_LOOPS:
        return None
    return extents, merged


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
    call, params, extent, dtype = plan
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
        if any(s % x.itemsize for s in x.strides):
            return False
        lead = len(shape) - x.ndim  # (broadcast axes read with stride 0)
        strides.append((0,) * lead + tuple(0 if d == 1 else s // x.itemsize
                                           for d, s in zip(x.shape, x.strides)))
    dtype = np.dtype(cast_to if cast_to is not None else out_dtype)
    nest = _merged_loops(shape, strides)
    if nest is None:
        return False
    extents, operand_strides = nest
    if not extents:  # (empty, or every axis of size 1)
        extents, operand_strides = [1], [[0] for _ in arrays]
    n = len(extents)
    inner = tuple(s[-1] if s[-1] in (0, 1) else None for s in operand_strides)
    key = (op, tuple(x.dtype for x in arrays), out_dtype, cast_to, inner, n)
    call = _calls.get(key)
    if call is None:
        kernel = elementwise_kernel(op, tuple(x.dtype for x in arrays), out_dtype, cast_to,
                                    inner, n)
        call = _calls[key] = KERNELS.get(kernel).call
    out_strides, step = [0] * n, 1
    for j in reversed(range(n)):
        out_strides[j], step = step, step * extents[j]
    params = np.array(extents + [s for st in operand_strides for s in st] + out_strides,
                      np.int64)
    return call, params, extents[0], dtype
