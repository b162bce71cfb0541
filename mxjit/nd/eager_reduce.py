"""Eager reductions through kernels that serve every shape (`lower/generic.py`).

The operand's axes are merged where memory allows (adjacent axes that are both reduced or
both kept and contiguous with each other) and size-1 axes dropped, so `sum(x, axis=1)` of
any C-contiguous 2-D array is the same kernel: a kept loop over rows and a reduced,
unit-stride loop over columns. Extents and strides travel in a parameter buffer.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..lower.cache import KERNELS
from ..lower.generic import REDUCE_OPS, reduction_kernel
from ..lower.program import PARALLEL_MIN_WORK, launch
from ..lower.reduce_split import JOIN, ROWS
from ..trace.graph import AbstractValue
from ..trace.ops import PRIMITIVES

_calls: dict[tuple, Any] = {}


def _merged_loops(x: np.ndarray, axes: tuple[int, ...]) -> list[list[Any]] | None:
    """[reduced?, extent, stride] per loop, outermost first, or None for odd layouts."""
    loops: list[list[Any]] = []
    size = x.itemsize
    for a, (d, s) in enumerate(zip(x.shape, x.strides)):
        if s % size:
            return None
        if d == 1:
            continue
        reduced, stride = a in axes, s // size
        last = loops[-1] if loops else None
        if last is not None and last[0] == reduced and last[2] == stride * d:
            last[1] *= d
            last[2] = stride
        else:
            loops.append([reduced, d, stride])
    return loops


def run_reduction(op: str, x: np.ndarray, attrs: dict[str, Any]) -> np.ndarray | None:
    """`op` over a host array with a shape-independent kernel; None where that does not
    apply (empty arrays, a nest with no loops left), so the caller takes the general path."""
    out_aval = PRIMITIVES[op].shape_rule(AbstractValue(x.shape, x.dtype), **attrs)
    axes = (attrs["axis"],) if op in ("argmax", "argmin") else tuple(attrs["axes"])
    loops = _merged_loops(x, axes) if x.size else None
    if not loops:
        return None
    if (len(loops) == 1 and loops[0][0] and loops[0][2] == 1 and op in JOIN
            and x.dtype != np.float16 and x.size >= 2 * PARALLEL_MIN_WORK):
        return _two_stages(op, x, out_aval.shape)
    if op in ("argmax", "argmin"):  # the reduced loop innermost (see reduction_kernel)
        loops.sort(key=lambda lp: lp[0])
    reduce = tuple(lp[0] for lp in loops)
    unit_inner = loops[-1][2] == 1
    key = (op, x.dtype, reduce, unit_inner)
    call = _calls.get(key)
    if call is None:
        call = _calls[key] = KERNELS.get(reduction_kernel(op, x.dtype, reduce, unit_inner)).call
    out_strides, step = [0] * len(loops), 1
    for j in reversed(range(len(loops))):
        if not reduce[j]:
            out_strides[j], step = step, step * loops[j][1]
    extents = [lp[1] for lp in loops]
    params = np.array(extents + [lp[2] for lp in loops] + out_strides, np.int64)
    out = np.empty(out_aval.shape, out_aval.dtype)
    split = reduce.index(False) if False in reduce else None
    work = int(np.prod(extents, dtype=np.int64))
    launch(call, [x, params, out], extents[split] if split is not None else 1, work,
           split == 0)
    return out


def _two_stages(op: str, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A large reduction of contiguous data to one value: rows on every thread, then the
    row results and what is left over (see `lower/reduce_split.py`)."""
    flat = x.reshape(-1)
    width = flat.size // ROWS
    rows = run_reduction(op, flat[:ROWS * width].reshape(ROWS, width), {"axes": (1,)})
    partial = np.concatenate([rows, flat[ROWS * width:]])  # type: ignore[list-item]
    return run_reduction(op, partial, {"axes": (0,)}).reshape(shape)  # type: ignore[union-attr]


EAGER_REDUCTIONS = frozenset(REDUCE_OPS)
