"""Eager reductions through kernels that serve every shape (`lower/generic.py`).

The operand's axes are merged where memory allows (adjacent axes that are both reduced or
both kept and contiguous with each other) and size-1 axes dropped, so `sum(x, axis=1)` of
any C-contiguous 2-D array is the same kernel: a kept loop over rows and a reduced,
unit-stride loop over columns. Extents and strides travel in a parameter buffer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..lower import JOIN, KERNELS, PARALLEL_MIN_WORK, REDUCE_OPS, ROWS, launch, reduction_kernel
from ..trace import PRIMITIVES, AbstractValue


def element_strides(x: np.ndarray) -> tuple[int, ...] | None:
    """`x`'s strides in elements, or None when one is not a whole number of them."""
    if any(s % x.itemsize for s in x.strides):
        return None
    return tuple(s // x.itemsize for s in x.strides)


def merged_nest(shape: tuple[int, ...], strides: list[tuple[int, ...]],
                reduced: tuple[int, ...] = ()) -> list[list[Any]]:
    """[reduced?, extent, [stride of each operand]] per loop of `shape`, outermost first:
    size-1 axes dropped, and adjacent axes merged when both are reduced or both kept and
    every operand's strides chain across them (broadcast strides of 0 included)."""
    loops: list[list[Any]] = []
    for a, d in enumerate(shape):
        if d == 1:
            continue
        red, here = a in reduced, [st[a] for st in strides]
        last = loops[-1] if loops else None
        if last is not None and last[0] == red and all(
                s == t * d for s, t in zip(last[2], here)):
            last[1] *= d
            last[2] = here
        else:
            loops.append([red, d, here])
    return loops


def contiguous_strides(extents: list[int], reduce: tuple[bool, ...]) -> list[int]:
    """The strides, per loop, of a C-contiguous output over the kept loops (0 on reduced)."""
    strides, step = [0] * len(extents), 1
    for j in reversed(range(len(extents))):
        if not reduce[j]:
            strides[j], step = step, step * extents[j]
    return strides


@dataclass(frozen=True)
class _Plan:
    """How one signature of an eager reduction runs: its kernel, parameter buffer, result
    and launch (or, with `two_stages`, the row-then-total path)."""

    call: Any
    params: np.ndarray
    shape: tuple[int, ...]
    dtype: np.dtype
    extent: int
    work: int
    outer_split: bool
    two_stages: bool = False


#: Plans by (op, shape, strides, dtype, attrs): planning costs more than a small reduction.
_plans: dict[tuple, _Plan | None] = {}
_MAX_PLANS = 4096
_MISSING: Any = object()


def run_reduction(op: str, x: np.ndarray, attrs: dict[str, Any]) -> np.ndarray | None:
    """`op` over a host array with a shape-independent kernel; None where that does not
    apply (empty arrays, a nest with no loops left), so the caller takes the general path."""
    key = (op, x.shape, x.strides, x.dtype, *attrs.items())
    plan = _plans.get(key, _MISSING)
    if plan is _MISSING:
        if len(_plans) >= _MAX_PLANS:
            _plans.clear()
        plan = _plans[key] = _plan(op, x, attrs)
    if plan is None:
        return None
    if plan.two_stages:
        return _two_stages(op, x, plan.shape)
    out = np.empty(plan.shape, plan.dtype)
    launch(plan.call, [x, plan.params, out], plan.extent, plan.work, plan.outer_split)
    return out


def _plan(op: str, x: np.ndarray, attrs: dict[str, Any]) -> _Plan | None:
    out_aval = PRIMITIVES[op].shape_rule(AbstractValue(x.shape, x.dtype), **attrs)
    axes = (attrs["axis"],) if op in ("argmax", "argmin") else tuple(attrs["axes"])
    strides = element_strides(x)
    loops = merged_nest(x.shape, [strides], axes) if x.size and strides is not None else None
    if not loops:
        return None
    if (len(loops) == 1 and loops[0][0] and loops[0][2] == [1] and op in JOIN
            and x.dtype != np.float16 and x.size >= 2 * PARALLEL_MIN_WORK):
        return _Plan(None, np.empty(0, np.int64), out_aval.shape, out_aval.dtype, 0, 0,
                     False, two_stages=True)
    if op in ("argmax", "argmin"):  # the reduced loop innermost (see reduction_kernel)
        loops.sort(key=lambda lp: lp[0])
    reduce = tuple(lp[0] for lp in loops)
    unit_inner = loops[-1][2] == [1]
    call = KERNELS.get(reduction_kernel(op, x.dtype, reduce, unit_inner)).call
    extents = [lp[1] for lp in loops]
    params = np.array(extents + [lp[2][0] for lp in loops]
                      + contiguous_strides(extents, reduce), np.int64)
    split = reduce.index(False) if False in reduce else None
    return _Plan(call, params, out_aval.shape, out_aval.dtype,
                 extents[split] if split is not None else 1, math.prod(extents), split == 0)


def _two_stages(op: str, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A large reduction of contiguous data to one value: rows on every thread, then the
    row results and what is left over (see `lower/reduce_split.py`)."""
    flat = x.reshape(-1)
    width = flat.size // ROWS
    rows = run_reduction(op, flat[:ROWS * width].reshape(ROWS, width), {"axes": (1,)})
    partial = np.concatenate([rows, flat[ROWS * width:]])  # type: ignore[list-item]
    return run_reduction(op, partial, {"axes": (0,)}).reshape(shape)  # type: ignore[union-attr]


EAGER_REDUCTIONS = frozenset(REDUCE_OPS)
