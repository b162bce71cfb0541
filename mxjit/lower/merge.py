"""Multi-store kernels: consecutive elementwise kernels over the same loop nest become one
kernel that stores every output, when the later one reads the earlier one's outputs only
at the element it is computing.

The fuser materialises each graph output, and a kernel that consumes an output reads it
back from memory: an optimizer's step writes the new momentum and then, in a second kernel,
reads it to write the new weight. Merged, the momentum is computed once per element, kept
in a register for the weight, and stored, and never read back: for arrays beyond the
caches that saves memory traffic (Adam over 4M elements: 23 against 30 ms).

Only loops of MERGE_MIN_ELEMENTS or more merge, and only a kernel that reads an earlier
one's output merges with it: independent kernels stay apart (merging the updates of many
parameters into one loop that streams dozens of arrays at once measured 20% slower than one
loop per parameter). Their loops, split and extents must be identical and neither may
reduce, and a later kernel reading an earlier output at any other element (a shifted or
transposed read, which another thread may not have written yet) stops the merge. Kernels
that could run row by row in a chain (chain.py) are left to it: a chain also keeps
intermediates out of memory and takes reductions in, and it handles one output per kernel.

    >>> merged(momentum_step, weight_step).kernel.stores  # doctest: +SKIP
    (Store(slot=5, ...), Store(slot=6, ...))
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .chain import Planned, splits_rows
from .fuse import MAX_KERNEL_BUFFERS, MAX_KERNEL_NODES
from .kernel import Expr, Kernel, Store, rewrite, walk

#: Fewest elements a merged kernel's loops must cover: below about a megabyte per array
#: the arrays stay in cache, and one loop storing several of them measured slower than
#: separate loops (Adam over 65,536 elements: 0.45 against 0.40 ms); above, the saved
#: memory traffic wins (4M elements: 23 against 30 ms).
MERGE_MIN_ELEMENTS = 1 << 18


def _mergeable(a: Kernel, b: Kernel) -> bool:
    return (math.prod(a.dims) >= MERGE_MIN_ELEMENTS
            and a.reduction is None and b.reduction is None and a.extents is None
            and b.extents is None and a.dims == b.dims and a.split == b.split
            and a.reduce_vars == b.reduce_vars and not splits_rows(a) and not splits_rows(b))


def _size(k: Kernel) -> int:
    return sum(1 for e in walk([s.value for s in k.stores] + [s.offset for s in k.stores])
               if e.op not in ("const", "var", "load"))


def _outputs(p: Planned) -> list[int]:
    return p.args[p.kernel.n_inputs:]


def merge_tail(steps: list[Any], step: Planned) -> tuple[int, Planned] | None:
    """Where `step` merges into the run of kernels that ends `steps`: (the index of the
    first kernel merged, the merged kernel), or None. It merges back to the earliest kernel
    of the run whose output it reads (Adam's new weight reads the new first and second
    moments, two kernels back), taking the kernels in between along.

    >>> merge_tail(steps, weight_step)  # doctest: +SKIP
    (4, Planned(...))
    """
    reads = set(step.args[:step.kernel.n_inputs])
    j = len(steps)
    while j > 0 and isinstance(steps[j - 1], Planned) and _mergeable(steps[j - 1].kernel,
                                                                        step.kernel):
        j -= 1
    first = next((k for k in range(j, len(steps)) if reads & set(_outputs(steps[k]))), None)
    if first is None:
        return None  # (independent: each streams its own arrays, which runs faster apart)
    both = steps[first]
    for later in steps[first + 1:] + [step]:
        both = merged(both, later)
        if both is None:
            return None
    return first, both


def merged(first: Planned, second: Planned) -> Planned | None:
    """One kernel doing `first` then `second` element by element, or None when they may not
    merge (see the module docstring).

    >>> merged(momentum_step, weight_step)  # doctest: +SKIP
    """
    a, b = first.kernel, second.kernel
    if not _mergeable(a, b) or _size(a) + _size(b) > MAX_KERNEL_NODES:
        return None
    a_outputs = _outputs(first)
    # program buffer -> (the offset `a` stores it at, the value it stores)
    written = {first.args[s.slot]: (s.offset, s.value) for s in a.stores}
    inputs = list(first.args[:a.n_inputs])
    for buf in second.args[:b.n_inputs]:
        if buf not in written and buf not in inputs:
            inputs.append(buf)
    args = inputs + a_outputs + second.args[b.n_inputs:]
    if len(args) > MAX_KERNEL_BUFFERS:
        return None
    slot_of = {buf: k for k, buf in enumerate(args)}

    def a_slots(e: Expr) -> Expr | None:
        if e.op != "load":
            return None
        return Expr.make("load", e.dtype, (rewrite(e.args[0], a_slots, {}),),
                         slot_of[first.args[e.attr]])

    memo: dict[int, Expr] = {}
    stores = [Store(slot_of[first.args[s.slot]], rewrite(s.offset, a_slots, memo),
                    rewrite(s.value, a_slots, memo)) for s in a.stores]
    done = {first.args[s.slot]: (st.offset, st.value) for s, st in zip(a.stores, stores)}
    broken: list[bool] = []

    def b_slots(e: Expr) -> Expr | None:
        if e.op != "load":
            return None
        buf = second.args[e.attr]
        offset = rewrite(e.args[0], b_slots, b_memo)
        if buf in done:
            at, value = done[buf]
            if offset is not at:  # (another element of a buffer this kernel writes)
                broken.append(True)
            return value
        return Expr.make("load", e.dtype, (offset,), slot_of[buf])

    b_memo: dict[int, Expr] = {}
    stores += [Store(slot_of[second.args[s.slot]], rewrite(s.offset, b_slots, b_memo),
                     rewrite(s.value, b_slots, b_memo)) for s in b.stores]
    if broken:
        return None
    name = f"multi{len(stores)}_{b.name.removeprefix('fused_')}"
    buffers = tuple(_dtype(first, second, buf) for buf in args)
    kernel = Kernel(name, a.dims, a.reduce_vars, a.split, buffers, len(inputs), tuple(stores))
    return Planned(kernel, args)


def _dtype(first: Planned, second: Planned, buf: int) -> np.dtype:
    for p in (first, second):
        if buf in p.args:
            return p.kernel.buffers[p.args.index(buf)]
    raise AssertionError(buf)
