"""Eager reductions through kernels that serve every shape (`lower/generic.py`).

The operand's axes are merged where memory allows (adjacent axes that are both reduced or
both kept and contiguous with each other) and size-1 axes dropped, so `sum(x, axis=1)` of
any C-contiguous 2-D array is the same kernel: a kept loop over rows and a reduced,
unit-stride loop over columns. Extents and strides travel in a parameter buffer.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..lower import JOIN, KERNELS, PARALLEL_MIN_WORK, REDUCE_OPS, ROWS, launch, reduction_kernel
from ..trace import PRIMITIVES, AbstractValue

_calls: dict[tuple, Any] = {}


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


def run_reduction(op: str, x: np.ndarray, attrs: dict[str, Any]) -> np.ndarray | None:
    """`op` over a host array with a shape-independent kernel; None where that does not
    apply (empty arrays, a nest with no loops left), so the caller takes the general path."""
    out_aval = PRIMITIVES[op].shape_rule(AbstractValue(x.shape, x.dtype), **attrs)
    axes = (attrs["axis"],) if op in ("argmax", "argmin") else tuple(attrs["axes"])
    strides = element_strides(x)
    loops = merged_nest(x.shape, [strides], axes) if x.size and strides is not None else None
    if not loops:
        return None
    if (len(loops) == 1 and loops[0][0] and loops[0][2] == [1] and op in JOIN
            and x.dtype != np.float16 and x.size >= 2 * PARALLEL_MIN_WORK):
        return _two_stages(op, x, out_aval.shape)
    if op in ("argmax", "argmin"):  # the reduced loop innermost (see reduction_kernel)
        loops.sort(key=lambda lp: lp[0])
    reduce = tuple(lp[0] for lp in loops)
    unit_inner = loops[-1][2] == [1]
    key = (op, x.dtype, reduce, unit_inner)
    call = _calls.get(key)
    if call is None:
        call = _calls[key] = KERNELS.get(reduction_kernel(op, x.dtype, reduce, unit_inner)).call
    extents = [lp[1] for lp in loops]
    params = np.array(extents + [lp[2][0] for lp in loops]
                      + contiguous_strides(extents, reduce), np.int64)
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
