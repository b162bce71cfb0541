"""Turn one fused group of graph nodes into a `Kernel`: index maps and scalar expressions.

Each node is evaluated at a symbolic index (a tuple of affine forms over the loop
variables). Materialised nodes (inputs, constants, other kernels' results) become loads
through their strides; movement ops only rewrite the index, so they never copy. The rules
sit in one table, `EMIT_RULES`, keyed by primitive. A rule asks for its operands by
yielding them, and `Emitter.emit` evaluates them on an explicit stack: chains far deeper
than Python's recursion limit emit without recursion.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..trace import PRIMITIVES
from ..trace.graph import Node, const_value
from . import index as ix
from .index import Lin
from .kernel import I64, REDUCE_OPS, Expr, Kernel, Reduction, Store, fconst, iconst, walk


@dataclass(frozen=True)
class Layout:
    """Where a materialised array's elements are: strides and offset, counted in elements."""

    strides: tuple[int, ...]
    offset: int = 0

    @staticmethod
    def contiguous(shape: tuple[int, ...]) -> Layout:
        strides, acc = [], 1
        for d in reversed(shape):
            strides.append(acc)
            acc *= max(d, 1)
        return Layout(tuple(reversed(strides)))

    @staticmethod
    def of(a: Any) -> Layout:
        """The layout of a NumPy array (or any array with shape, strides and itemsize).

        >>> Layout.of(np.zeros((2, 3), np.float32).T)
        Layout(strides=(1, 3), offset=0)
        """
        if a.size == 0 or a.flags.c_contiguous:
            return Layout.contiguous(a.shape)
        return Layout(tuple(s // a.itemsize for s in a.strides))


#: An operand a rule needs: a node and the index to evaluate it at.
Request = tuple[Node, tuple[Lin, ...]]
#: A rule in progress: it yields the operands it needs (each `yield` receives the
#: operand's expression) and returns the node's expression.
Steps = Generator[Request, Expr, Expr]
#: What a rule gives: an expression at once (no operands), or its steps.
Emitted = Expr | Steps


class Emitter:
    """Evaluates graph nodes at symbolic indices, memoised, collecting input buffers."""

    def __init__(self, buffers: dict[Node, Layout], dims: dict[int, int], root: Node):
        self.buffers = buffers  # (the root, which the kernel computes, is never read)
        self.root = root
        self.dims = dims
        self.slots: dict[Node, int] = {}
        self.memo: dict[Request, Expr] = {}

    def emit(self, node: Node, idx: tuple[Lin, ...]) -> Expr:
        """The expression of `node` at `idx`. Iterative: each rule in progress waits on an
        explicit stack for the operand it yielded, so a chain of any length evaluates
        without recursion."""
        frames: list[tuple[Request, Steps]] = []
        pending: Request | None = (node, idx)  # an operand to evaluate next, if any
        value: Expr | None = None  # what the rule on top of the stack receives next
        while True:
            if pending is not None:
                value = self.memo.get(pending)
                if value is None:
                    started = self._start(*pending)
                    if isinstance(started, Expr):
                        value = self.memo[pending] = started
                    else:
                        frames.append((pending, started))
            if not frames:
                assert value is not None
                return value
            request, rule = frames[-1]
            try:
                pending = rule.send(value)  # type: ignore[arg-type]  # (None starts it)
            except StopIteration as done:
                frames.pop()
                value = self.memo[request] = done.value
                pending = None

    def _start(self, node: Node, idx: tuple[Lin, ...]) -> Emitted:
        value = const_value(node)
        if value is not None and value.size == 1:
            return fconst(value.reshape(()).item(), node.dtype)
        layout = self.buffers.get(node) if node is not self.root else None
        if layout is not None:
            return self.load(node, layout, idx)
        rule = EMIT_RULES.get(node.op)
        if rule is None:
            kind = PRIMITIVES[node.op].kind
            if kind != "elementwise":
                raise NotImplementedError(f"cannot fuse {node.op} ({kind}) into a kernel")
            rule = _elementwise
        return rule(self, node, idx)

    def load(self, node: Node, layout: Layout, idx: tuple[Lin, ...]) -> Expr:
        slot = self.slots.setdefault(node, len(self.slots))
        offset = ix.num(layout.offset)
        for i, s in zip(idx, layout.strides):
            if s:
                offset = ix.add(offset, ix.scale(i, s))
        return Expr.make("load", node.dtype, (ix.to_expr(offset),), slot)

    def range(self, i: Lin) -> tuple[float, float]:
        return ix.value_range(i, self.dims)


# Each rule evaluates one node at an index; `(yield x, inner)` is operand x at `inner`.


def _elementwise(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    args = []
    for x in node.inputs:
        args.append((yield x, idx))
    return Expr.make(node.op, node.dtype, tuple(args))


def _broadcast(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    x = node.inputs[0]
    lead = len(node.shape) - len(x.shape)
    inner = tuple(ix.num(0) if d == 1 else idx[lead + k] for k, d in enumerate(x.shape))
    return (yield x, inner)


def _reshape(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    x = node.inputs[0]
    linear = ix.num(0)
    for i, s in zip(idx, Layout.contiguous(node.shape).strides):
        linear = ix.add(linear, ix.scale(i, s))
    inner = tuple(
        ix.mod(ix.floordiv(linear, s, em.dims), d, em.dims)
        for s, d in zip(Layout.contiguous(x.shape).strides, x.shape)
    )
    return (yield x, inner)


def _transpose(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    perm = node.attr("perm")
    inner: list[Lin] = [ix.num(0)] * len(perm)
    for k, p in enumerate(perm):
        inner[p] = idx[k]
    return (yield node.inputs[0], tuple(inner))


def _slice(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    starts, steps = node.attr("start"), node.attr("step")
    inner = tuple(ix.add(ix.num(b), ix.scale(i, s)) for i, b, s in zip(idx, starts, steps))
    return (yield node.inputs[0], inner)


def _flip(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    axes, shape = node.attr("axes"), node.shape
    inner = tuple(
        ix.add(ix.num(shape[k] - 1), ix.scale(i, -1)) if k in axes else i for k, i in enumerate(idx)
    )
    return (yield node.inputs[0], inner)


def _in_range(em: Emitter, i: Lin, size: int) -> tuple[Lin, Expr | None]:
    """The index clamped into [0, size) and, unless provably inside, the in-range test."""
    lo, hi = em.range(i)
    if 0 <= lo and hi < size:
        return i, None
    e = ix.to_expr(i)
    ok = Expr.make("logical_and", np.dtype(bool), (
        Expr.make("ge", np.dtype(bool), (e, iconst(0))),
        Expr.make("lt", np.dtype(bool), (e, iconst(size)))))
    return ix.clamp(i, 0, max(size - 1, 0), em.dims), ok


def _pad(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    x, v = node.inputs
    inner, conds = [], []
    for i, lo, d in zip(idx, node.attr("low"), x.shape):
        j, ok = _in_range(em, ix.add(i, ix.num(-lo)), d)
        inner.append(j)
        if ok is not None:
            conds.append(ok)
    return (yield from _read_within(node, x, inner, conds, v))


def _read_within(node: Node, x: Node, inner: list[Lin], conds: list[Expr],
                 fill: Node | None) -> Steps:
    """`x` at `inner` where every test of `conds` holds, else `fill` (a scalar node; None:
    zero): the read of pad and the window rules."""
    value = (yield x, tuple(inner))
    if not conds:
        return value
    cond = conds[0]
    for c in conds[1:]:
        cond = Expr.make("logical_and", np.dtype(bool), (cond, c))
    other = fconst(0, node.dtype) if fill is None else (yield fill, ())
    return Expr.make("where", node.dtype, (cond, value, other))


def _concat(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    axis = node.attr("axis")
    lo, hi = em.range(idx[axis])
    pieces, start = [], 0
    for x in node.inputs:
        end = start + x.shape[axis]
        if x.shape[axis] and hi >= start and lo < end:
            local, _ = _in_range(em, ix.add(idx[axis], ix.num(-start)), x.shape[axis])
            inner = idx[:axis] + (local,) + idx[axis + 1:]
            pieces.append((end, (yield x, inner)))
        start = end
    value = pieces[-1][1]
    at = ix.to_expr(idx[axis])
    for end, piece in reversed(pieces[:-1]):
        cond = Expr.make("lt", np.dtype(bool), (at, iconst(end)))
        value = Expr.make("where", node.dtype, (cond, piece, value))
    return value


def _window_slices(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    x, fill = node.inputs
    stride, dilate, pad = node.attr("stride"), node.attr("dilate"), node.attr("pad")
    nd = len(stride)
    lead = node.ndim - 2 * nd
    inner, conds = list(idx[:lead + nd]), []
    for a in range(nd):
        tap, at = idx[lead + a], idx[lead + nd + a]
        read = ix.add(ix.add(ix.scale(at, stride[a]), ix.scale(tap, dilate[a])), ix.num(-pad[a]))
        j, ok = _in_range(em, read, x.shape[lead + nd + a])
        inner.append(j)
        if ok is not None:
            conds.append(ok)
    return (yield from _read_within(node, x, inner, conds, fill))


def _window_spread(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    g = node.inputs[0]
    stride, dilate, pad = node.attr("stride"), node.attr("dilate"), node.attr("pad")
    nd = len(stride)
    lead = node.ndim - 2 * nd
    inner, conds = list(idx[:lead + nd]), []
    for a in range(nd):
        tap, at, s = idx[lead + a], idx[lead + nd + a], stride[a]
        j = ix.add(ix.add(at, ix.scale(tap, -dilate[a])), ix.num(pad[a]))
        if s > 1:  # whole multiples of the stride only; div/mod want j >= 0: shift it
            shift = max(0, -int(em.range(j)[0]) + s - 1) // s
            j = ix.add(j, ix.num(shift * s))
            rest = ix.mod(j, s, em.dims)
            if em.range(rest) != (0, 0):
                conds.append(Expr.make("eq", np.dtype(bool), (ix.to_expr(rest), iconst(0))))
            j = ix.add(ix.floordiv(j, s, em.dims), ix.num(-shift))
        o, ok = _in_range(em, j, g.shape[lead + nd + a])
        inner.append(o)
        if ok is not None:
            conds.append(ok)
    return (yield from _read_within(node, g, inner, conds, None))


def _take(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    x, indices = node.inputs
    axis, mode, size = node.attr("axis"), node.attr("mode"), node.inputs[0].shape[node.attr("axis")]
    k = len(indices.shape)
    got = ix.data((yield indices, idx[axis:axis + k]))
    if mode == "wrap":
        j = Lin({("mod", got, size): 1})
    else:
        j = ix.clamp(got, 0, size - 1, em.dims)
    return (yield x, idx[:axis] + (j,) + idx[axis + k:])


def _iota(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Expr:
    return Expr.make("cast", node.dtype, (ix.to_expr(idx[node.attr("axis")]),))


def _random_bits(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    key = node.inputs[0]
    linear = ix.num(0)
    for i, s in zip(idx, Layout.contiguous(node.shape).strides):
        linear = ix.add(linear, ix.scale(i, s))
    k0 = yield key, (ix.num(0),)
    k1 = yield key, (ix.num(1),)
    return Expr.make("philox", np.dtype(np.uint32), (ix.to_expr(linear), k0, k1))


def _identity(em: Emitter, node: Node, idx: tuple[Lin, ...]) -> Steps:
    return (yield node.inputs[0], idx)


EMIT_RULES: dict[str, Callable[[Emitter, Node, tuple[Lin, ...]], Emitted]] = {
    "mark": _identity, "stop_gradient": _identity, "loss_output": _identity,
    "broadcast_to": _broadcast, "reshape": _reshape, "transpose": _transpose, "slice": _slice,
    "flip": _flip, "pad": _pad, "concat": _concat, "take": _take, "iota": _iota,
    "random_bits": _random_bits, "window_slices": _window_slices,
    "window_spread": _window_spread,
}


#: A reduction over at most this many elements per output accumulates in a register even
#: when kept loops follow the reduced ones (a window's taps: pooling, depthwise convolution):
#: its loop is then innermost and unrolled, and the kept loop around it vectorises, where
#: accumulating in memory would load and store every output once per element.
REGISTER_REDUCTION_DEPTH = 32


@dataclass(frozen=True)
class Loop:
    """One loop of the nest: the original axes it covers (outer to inner) and their sizes."""

    axes: tuple[int, ...]
    sizes: tuple[int, ...]
    reduce: bool

    @property
    def extent(self) -> int:
        return int(math.prod(self.sizes))


def build_kernel(root: Node, buffers: dict[Node, Layout], name: str) -> tuple[Kernel, list[Node]]:
    """The kernel computing `root` from the materialised `buffers`, and its input nodes.

    Loops over size-1 axes are dropped and adjacent loops merge whenever every index
    stays affine, so a contiguous elementwise kernel is one flat loop.
    """
    if _equal_pieces(root):
        return _build_concat_kernel(root, buffers, name)
    reduce_op = REDUCE_OPS.get(root.op)
    domain = root.inputs[0].shape if reduce_op else root.shape
    axes_reduced = set(_reduced_axes(root)) if reduce_op else set()
    loops = [Loop((a,), (d,), a in axes_reduced) for a, d in enumerate(domain) if d != 1]
    depth = math.prod(d for a, d in enumerate(domain) if a in axes_reduced)
    if reduce_op in ("argmax", "argmin") and depth > REGISTER_REDUCTION_DEPTH:
        # (index tracking needs the register schedule, which a short reduction has
        # wherever its axes lie)
        loops.sort(key=lambda lp: lp.reduce)
    loops = _merged(loops, lambda trial, j: _affine(root, buffers, trial, domain, j))
    kernel, inputs = _assemble(root, buffers, loops, domain, reduce_op, name)
    return kernel, inputs


def _merged(loops: list[Loop], affine: Callable[[list[Loop], int], bool]) -> list[Loop]:
    """`loops` with adjacent ones of the same kind merged wherever `affine(trial, j)` says
    every index stays affine with loop `j` merged in `trial`."""
    j = 0
    while j + 1 < len(loops):
        a, b = loops[j], loops[j + 1]
        merged = Loop(a.axes + b.axes, a.sizes + b.sizes, a.reduce)
        trial = loops[:j] + [merged] + loops[j + 2:]
        if a.reduce == b.reduce and affine(trial, j):
            loops = trial
        else:
            j += 1
    return loops


def _equal_pieces(root: Node) -> bool:
    """Whether `root` concatenates two or more non-empty pieces of one size (LSTM gates)."""
    if root.op != "concat" or len(root.inputs) < 2:
        return False
    sizes = {x.shape[root.attr("axis")] for x in root.inputs}
    return len(sizes) == 1 and 0 not in sizes


def _emit_pieces(root: Node, buffers: dict[Node, Layout], loops: list[Loop],
                 domain: tuple[int, ...]) -> tuple[Emitter, list[Expr], list[Expr]]:
    """Each piece of the concatenation `root` at one index of the piece `domain`, and
    where it goes in `root` (its offset along the axis shifted by the piece's start)."""
    dims = {j: lp.extent for j, lp in enumerate(loops)}
    em = Emitter(buffers, dims, root)
    idx = _domain_index(loops, len(domain), dims)
    axis, size = root.attr("axis"), domain[root.attr("axis")]
    values, offsets = [], []
    for k, piece in enumerate(root.inputs):
        values.append(em.emit(piece, idx))
        at = idx[:axis] + (ix.add(idx[axis], ix.num(k * size)),) + idx[axis + 1:]
        offsets.append(_contiguous_offset(at, root.shape))
    return em, values, offsets


def _contiguous_offset(idx: tuple[Lin, ...], shape: tuple[int, ...]) -> Expr:
    """The offset of `idx` in a contiguous array of `shape` (where a kernel stores)."""
    offset = ix.num(0)
    for i, s in zip(idx, Layout.contiguous(shape).strides):
        offset = ix.add(offset, ix.scale(i, s))
    return ix.to_expr(offset)


def _build_concat_kernel(root: Node, buffers: dict[Node, Layout], name: str
                         ) -> tuple[Kernel, list[Node]]:
    """A concatenation of equal pieces as one loop nest over a piece with a store per piece:
    no per-element choice of the piece (which keeps a gates' concatenation from
    vectorising, and computes every piece at every element)."""
    domain = root.inputs[0].shape
    def affine(trial: list[Loop], j: int) -> bool:
        _, values, offsets = _emit_pieces(root, buffers, trial, domain)
        return all(_affine_in(e, j) for e in values + offsets)

    loops = _merged([Loop((a,), (d,), False) for a, d in enumerate(domain) if d != 1], affine)
    if not loops:
        loops = [Loop((), (), False)]
    em, values, offsets = _emit_pieces(root, buffers, loops, domain)
    inputs = sorted(em.slots, key=em.slots.__getitem__)
    out = len(inputs)
    kernel = Kernel(
        name=name, dims=tuple(lp.extent for lp in loops), reduce_vars=(False,) * len(loops),
        split=0, buffers=tuple(n.dtype for n in inputs) + (root.dtype,), n_inputs=len(inputs),
        stores=tuple(Store(out, o, v) for o, v in zip(offsets, values)))
    return kernel, inputs


def _reduced_axes(root: Node) -> tuple[int, ...]:
    return (root.attr("axis"),) if root.op in ("argmax", "argmin") else root.attr("axes")


def _domain_index(loops: list[Loop], rank: int, dims: dict[int, int]) -> tuple[Lin, ...]:
    idx = [ix.num(0)] * rank
    for j, lp in enumerate(loops):
        inner = 1
        for axis, size in reversed(list(zip(lp.axes, lp.sizes))):
            idx[axis] = ix.mod(ix.floordiv(ix.var(j), inner, dims), size, dims)
            inner *= size
    return tuple(idx)


def _emit_all(root: Node, buffers: dict[Node, Layout], loops: list[Loop],
              domain: tuple[int, ...], reduce_op: str | None
              ) -> tuple[Emitter, Expr, Expr]:
    dims = {j: lp.extent for j, lp in enumerate(loops)}
    em = Emitter(buffers, dims, root)
    idx = _domain_index(loops, len(domain), dims)
    value = em.emit(root.inputs[0] if reduce_op else root, idx)
    out_idx = idx
    if reduce_op:
        reduced = set(_reduced_axes(root))
        out_idx = tuple(i for a, i in enumerate(idx) if a not in reduced)
    return em, value, _contiguous_offset(out_idx, root.shape)


def _affine(root: Node, buffers: dict[Node, Layout], loops: list[Loop],
            domain: tuple[int, ...], j: int) -> bool:
    """True when, with loop `j` merged, no div/mod/clamp of it is left anywhere."""
    _, value, offset = _emit_all(root, buffers, loops, domain, REDUCE_OPS.get(root.op))
    return _affine_in(value, j) and _affine_in(offset, j)


def _affine_in(root: Expr, j: int) -> bool:
    """True when no div/mod/clamp of loop variable `j` is under `root`."""
    uses_j: set[int] = set()  # ids of the expressions that read loop variable j
    for e in walk([root]):
        if (e.op == "var" and e.attr == j) or any(id(a) in uses_j for a in e.args):
            if e.op in ("floordiv", "mod", "maximum", "minimum") and e.dtype == I64:
                return False
            uses_j.add(id(e))
    return True


def _assemble(root: Node, buffers: dict[Node, Layout], loops: list[Loop],
              domain: tuple[int, ...], reduce_op: str | None, name: str
              ) -> tuple[Kernel, list[Node]]:
    if not loops:
        loops = [Loop((), (), False)]
    em, value, offset = _emit_all(root, buffers, loops, domain, reduce_op)
    inputs = sorted(em.slots, key=em.slots.__getitem__)
    out_slot = len(inputs)
    buffer_dtypes = tuple(n.dtype for n in inputs) + (root.dtype,)
    reduce_flags = tuple(lp.reduce for lp in loops)
    split = next((j for j, r in enumerate(reduce_flags) if not r), None)
    reduction = None
    if reduce_op:
        first_reduce = reduce_flags.index(True) if True in reduce_flags else len(loops)
        depth = math.prod(lp.extent for lp in loops if lp.reduce)
        in_register = all(reduce_flags[first_reduce:]) or depth <= REGISTER_REDUCTION_DEPTH
        reduction = Reduction(reduce_op, value, in_register)
        value = Expr.make("acc", root.dtype)
    kernel = Kernel(
        name=name, dims=tuple(lp.extent for lp in loops), reduce_vars=reduce_flags, split=split,
        buffers=buffer_dtypes, n_inputs=len(inputs), stores=(Store(out_slot, offset, value),),
        reduction=reduction,
    )
    return kernel, inputs
