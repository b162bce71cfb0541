"""Row chains: consecutive kernels that split the same outer loop run row by row together.

A program's kernels run one after another over whole buffers. Softmax's three kernels
(max, exp-sum, divide) each stream the whole input from memory. When consecutive kernels
split the same loop (loop 0, over the same extent) and each reads what an earlier one
wrote only within the same row, they can instead run together for each row: the row
stays in cache between them, so the input crosses memory once. An intermediate that only
the chain reads (and that is not an output) then never needs memory at all: it lives in a
row-sized scratch array on each thread's stack.

A row-local access is an offset `c * i + g` where `i` is loop 0 and `g`, which depends
on the other loops only, stays in [0, c): row `i` touches block `[c*i, c*i + c)` of the
buffer and nothing else. A producer that stores row-locally writes block `i` while it
runs row `i` (it writes its whole buffer, and no other row writes that block), so a
consumer whose loads of that buffer are row-local with the same `c` may run right after
it, row by row. Anything else ends the chain.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .fuse import MAX_KERNEL_BUFFERS, MAX_KERNEL_NODES
from .kernel import (
    I64,
    Expr,
    Kernel,
    KernelChain,
    Reduction,
    Store,
    const_python_value,
    iconst,
    loop_var,
    rewrite,
    walk,
)

#: Bytes of scratch one chain may keep on each thread's stack.
SCRATCH_LIMIT = 64 * 1024
#: Bytes of one row of an input that a chain prefetches ahead (a fraction of L2).
PREFETCH_LIMIT = 128 * 1024
#: Fewest elements a row must have for a kernel to join a chain: a flat elementwise kernel
#: (one loop) has rows of one element, and running its members per element costs them
#: their vector loops (a recorded sigmoid over 256x256 took 10x its unrecorded time).
MIN_ROW = 8
#: Row lengths a flat elementwise kernel is cut into to run in a chain with the flat kernels
#: next to it over the same extent (an optimizer's new state, then its new weight): the
#: largest divisor of the extent in this range.
FLAT_ROWS = (512, 8192)


@dataclass
class Planned:
    """A kernel of a program's plan and the program buffers behind its slots."""

    kernel: Kernel
    args: list[int]  # program buffer ids: inputs, then the output


@dataclass
class Chain:
    """Consecutive planned kernels (indices into the plan) run row by row."""

    members: list[int]
    chain: KernelChain
    args: list[int]  # program buffer ids the chain function takes
    scratch_ids: list[int]  # program buffers that live in scratch instead of memory


def row_form(e: Expr, dims: tuple[int, ...]) -> tuple[int, float, float] | None:
    """(c, lo, hi) with `e == c * var0 + g` and `lo <= g <= hi`, or None when loop 0 appears
    other than linearly. `g`'s bounds are infinite where unknown (data-dependent indices)."""
    forms: dict[int, tuple[int, float, float] | None] = {}
    for x in walk([e]):  # (arguments first)
        forms[id(x)] = _row_form_of(x, [forms[id(a)] for a in x.args], dims)
    return forms[id(e)]


def _row_form_of(e: Expr, parts: list[tuple[int, float, float] | None],
                 dims: tuple[int, ...]) -> tuple[int, float, float] | None:
    """The row form of `e` given those of its arguments (`parts`)."""
    if e.op == "var":
        return (1, 0, 0) if e.attr == 0 else (0, 0, dims[e.attr] - 1)
    if e.op == "const":
        v = const_python_value(e)
        return 0, v, v
    if e.op == "add":
        a, b = parts
        if a is None or b is None:
            return None
        return a[0] + b[0], a[1] + b[1], a[2] + b[2]
    if e.op == "mul" and e.args[1].op == "const":
        a = parts[0]
        k = const_python_value(e.args[1])
        if a is None:
            return None
        return a[0] * k, min(a[1] * k, a[2] * k), max(a[1] * k, a[2] * k)
    if any(p is None or p[0] != 0 for p in parts):
        return None  # loop 0 under a div, mod, clamp or data-dependent index
    if e.op in ("floordiv", "mod") and e.args[1].op == "const":
        c = const_python_value(e.args[1])
        lo, hi = parts[0][1], parts[0][2]  # type: ignore[index]
        if lo < 0:
            return None
        return (0, lo // c, hi // c) if e.op == "floordiv" else (0, 0, c - 1)
    if e.op in ("maximum", "minimum") and len(parts) == 2:
        pick = max if e.op == "maximum" else min
        return 0, pick(parts[0][1], parts[1][1]), pick(parts[0][2], parts[1][2])  # type: ignore
    return 0, float("-inf"), float("inf")


def _row_block(e: Expr, dims: tuple[int, ...]) -> int | None:
    """The block size `c` when the offset `e` is row-local, else None."""
    form = row_form(e, dims)
    if form is None or form[0] <= 0:
        return None
    c, lo, hi = form
    return c if 0 <= lo and hi < c else None


def _roots(k: Kernel) -> list[Expr]:
    roots = [s.value for s in k.stores] + [s.offset for s in k.stores]
    if k.reduction is not None:
        roots.append(k.reduction.value)
    return roots


def _loads(k: Kernel) -> list[Expr]:
    return [e for e in walk(_roots(k)) if e.op == "load"]


def _size(k: Kernel) -> int:
    """The scalar operations of a kernel: a chain's members run in one loop body, which
    the fuser's bound on kernel size (MAX_KERNEL_NODES) bounds too."""
    return sum(1 for e in walk(_roots(k)) if e.op not in ("const", "var", "load"))


def splits_rows(k: Kernel) -> bool:
    """Whether `k` may join a chain: one store, split over loop 0 (one row or more), rows
    of MIN_ROW or more elements."""
    return (len(k.stores) == 1 and k.split == 0 and k.dims[0] >= 1
            and math.prod(k.dims[1:]) >= MIN_ROW)


def _joins(chain: list[Planned], k: Planned, blocks: dict[int, int | None]) -> bool:
    """Whether `k` may run row by row after the kernels of `chain`, whose outputs store
    row-locally in blocks of `blocks[buffer id]` elements (None: not row-locally)."""
    if not chain or not splits_rows(k.kernel) or k.kernel.dims[0] != chain[0].kernel.dims[0]:
        return False
    for load in _loads(k.kernel):
        buf = k.args[load.attr]
        if buf in blocks and (blocks[buf] is None
                              or _row_block(load.args[0], k.kernel.dims) != blocks[buf]):
            return False
    return True


def _flat(p: Planned | None) -> int:
    """The extent of `p` when it is a flat elementwise kernel (one loop), else 0."""
    if p is None:
        return 0
    k = p.kernel
    flat = (len(k.dims) == 1 and k.split == 0 and k.reduction is None and len(k.stores) == 1
            and k.extents is None)
    return k.dims[0] if flat else 0


def flat_row(extent: int) -> int | None:
    """The row length a flat kernel over `extent` elements is cut into (see FLAT_ROWS): a
    divisor in range that leaves two rows or more; a short kernel (under two rows of the
    range's least) is one row; None when neither holds.

    >>> flat_row(256 * 784), flat_row(256)
    (7168, 256)
    """
    lo, hi = FLAT_ROWS
    if MIN_ROW <= extent < 2 * lo:
        return extent
    for row in range(min(hi, extent // 2), lo - 1, -1):
        if extent % row == 0:
            return row
    return None


def _as_rows(k: Kernel, row: int) -> Kernel:
    """The flat kernel `k` as a loop over rows of `row` elements: i -> (i // row, i % row),
    so its flat index i becomes row * var0 + var1 everywhere."""
    index = Expr.make("add", I64, (Expr.make("mul", I64, (loop_var(0), iconst(row))),
                                   loop_var(1)))
    memo: dict[int, Expr] = {}

    def flat_index(x: Expr) -> Expr | None:
        return index if x.op == "var" and x.attr == 0 else None

    stores = tuple(Store(s.slot, rewrite(s.offset, flat_index, memo),
                         rewrite(s.value, flat_index, memo)) for s in k.stores)
    return replace(k, dims=(k.dims[0] // row, row), reduce_vars=(False, False),
                   stores=stores)


def _rows_for_chains(plan: list[Planned | None]) -> list[Planned | None]:
    """`plan` with each flat kernel that has a flat neighbour over the same extent cut into
    rows (`_as_rows`), so that they can chain: a flat kernel's rows are single elements."""
    extents = [_flat(p) for p in plan]
    out = list(plan)
    for j, n in enumerate(extents):
        if n and n in (extents[j - 1] if j else 0, extents[j + 1] if j + 1 < len(plan) else 0):
            row = flat_row(n)
            p = plan[j]
            if row is not None and p is not None:
                out[j] = Planned(_as_rows(p.kernel, row), p.args)
    return out


def find_chains(plan: list[Planned | None], keep: set[int]) -> list[Chain]:
    """Chains of two or more consecutive kernels of `plan` (None marks a library step).

    `keep` holds buffers that must reach memory whatever the chains (outputs, and what
    library steps read); so do those read by a kernel outside the chain. Every other
    buffer produced and read inside one chain becomes scratch. Flat kernels next to each
    other over one extent chain as rows (`_rows_for_chains`).
    """
    plan = _rows_for_chains(plan)
    readers: dict[int, set[int]] = {}
    for j, p in enumerate(plan):
        for b in p.args[:-1] if p is not None else ():
            readers.setdefault(b, set()).add(j)
    chains: list[Chain] = []
    run: list[int] = []
    blocks: dict[int, int | None] = {}
    size = 0  # the scalar operations of the run
    buffers: set[int] = set()  # and its buffers

    def close() -> None:
        nonlocal size
        if len(run) > 1:
            members, within = [plan[j] for j in run], set(run)
            outside = {b for p in members for b in p.args  # type: ignore[union-attr]
                       if readers.get(b, within) - within}
            chains.append(_build(members, run, keep | outside, blocks))  # type: ignore
        run.clear()
        blocks.clear()
        buffers.clear()
        size = 0

    for j, p in enumerate(plan):
        if p is None or not splits_rows(p.kernel):
            close()
            continue
        k_size = _size(p.kernel)
        if (not _joins([plan[r] for r in run], p, blocks)  # type: ignore[misc]
                or size + k_size > MAX_KERNEL_NODES
                or len(buffers.union(p.args)) > MAX_KERNEL_BUFFERS):
            close()
        run.append(j)
        blocks[p.args[-1]] = _row_block(p.kernel.stores[0].offset, p.kernel.dims)
        size += k_size
        buffers.update(p.args)
    close()
    return chains


def _build(members: list[Planned], indices: list[int], keep: set[int],
           blocks: dict[int, int | None]) -> Chain:
    read_by_members = {b for p in members for b in p.args[:-1]}
    scratch: list[tuple[np.dtype, int]] = []
    scratch_ids: list[int] = []
    for p in members:  # (in order; once the stack budget is spent, the rest go to memory)
        b, block = p.args[-1], blocks.get(p.args[-1])
        if block is None or b not in read_by_members or b in keep:
            continue
        dtype = p.kernel.buffers[-1]
        if sum(d.itemsize * n for d, n in scratch) + dtype.itemsize * block <= SCRATCH_LIMIT:
            scratch.append((dtype, block))
            scratch_ids.append(b)
    args: list[int] = []
    for p in members:
        args.extend(b for b in p.args if b not in scratch_ids and b not in args)
    position = {b: k for k, b in enumerate(args)}
    position.update({b: len(args) + s for s, b in enumerate(scratch_ids)})
    local = set(scratch_ids)
    kernels, slots = [], []
    for p in members:
        kernels.append(_localise(p.kernel, {k for k, b in enumerate(p.args) if b in local}))
        slots.append(tuple(position[b] for b in p.args))
    dtypes = tuple(_dtype_of(members, b) for b in args)
    name = f"chain{len(members)}_{members[-1].kernel.name.removeprefix('fused_')}"
    # (a chain that reduces reads its rows in several passes, which the hardware's stream
    # prefetchers lose at each row's end; one that does not streams through its inputs,
    # which they follow alone: prefetching those rows made an SGD step's chain 25% slower)
    reduces = any(p.kernel.reduction is not None for p in members)
    chain = KernelChain(name, tuple(kernels), tuple(slots), dtypes, tuple(scratch),
                        _prefetched_rows(members, position, blocks) if reduces else ())
    return Chain(indices[:], chain, args, scratch_ids)


def _prefetched_rows(members: list[Planned], position: dict[int, int],
                     blocks: dict[int, int | None]) -> tuple[tuple[int, int, int, int], ...]:
    """(chain buffer, row elements c, first and last element read in a row) of each input
    that a member reads row-locally (not what the chain itself produces), if that part of
    a row fits in L2 (PREFETCH_LIMIT). (Prefetching the rows the chain writes, for writing,
    measured no faster.)"""
    rows: dict[int, tuple[int, int, int]] = {}
    for p in members:
        for load in _loads(p.kernel):
            buf = p.args[load.attr]
            form = row_form(load.args[0], p.kernel.dims)
            if buf in blocks or form is None or _row_block(load.args[0], p.kernel.dims) is None:
                continue
            c, lo, hi = int(form[0]), int(form[1]), int(form[2])
            if buf in rows:  # (several loads of one buffer: the span of all of them)
                lo, hi = min(lo, rows[buf][1]), max(hi, rows[buf][2])
            if (hi - lo + 1) * p.kernel.buffers[load.attr].itemsize <= PREFETCH_LIMIT:
                rows[buf] = (c, lo, hi)
    return tuple((position[b], *span) for b, span in rows.items())


def _dtype_of(members: list[Planned], buf: int) -> np.dtype:
    for p in members:
        if buf in p.args:
            return p.kernel.buffers[p.args.index(buf)]
    raise AssertionError(buf)


def _localise(k: Kernel, slots: set[int]) -> Kernel:
    """`k` with its accesses to `slots` (row-sized scratch) indexed by the inner loops
    alone: loop 0 is set to 0 in their offsets, which leaves `g` of `c * i + g`."""
    if not slots:
        return k
    zero = iconst(0)
    memo: dict[int, Expr] = {}

    def offset(e: Expr) -> Expr:
        return rewrite(e, lambda x: zero if x.op == "var" and x.attr == 0 else None, {})

    def local(x: Expr) -> Expr | None:
        if x.op == "load" and x.attr in slots:
            return Expr.make("load", x.dtype, (offset(x.args[0]),), x.attr)
        return None

    stores = tuple(Store(s.slot, offset(s.offset) if s.slot in slots else s.offset,
                         rewrite(s.value, local, memo)) for s in k.stores)
    red = k.reduction
    if red is not None:
        red = Reduction(red.op, rewrite(red.value, local, memo), red.in_register)
    return replace(k, stores=stores, reduction=red)
