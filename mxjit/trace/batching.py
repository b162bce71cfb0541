"""Batching as a graph transformation: every primitive's batching rule, in one table.

`vmap` traces a function on one example (the batch axis removed) and rebuilds its graph
node by node (`batch_graph`). A rule receives the node, its operands rebuilt over the batch
and each operand's batch axis (None: not batched, the same for every example), and returns
the batched node with its batch axis. Nodes that depend on no batched value are kept as
they are, so a rule always sees at least one batched operand. Most rules bring the batch
axis to the front and shift the primitive's axes by one; `dot_general` adds a batch
dimension (or treats the batch as a free axis when only one operand has it); the library
primitives over matrices take leading batch axes as they are.

Primitives with no batched form (the detection and ROI library calls, the samplers keyed
per draw, `autograd.Function`'s calls) use `per_example`: one application per example, stacked.
It is slow, in proportion to the batch size, and documented as such (`LOOPED`).

    >>> from mxjit.trace import var, apply
    >>> x, xs = var((3,), np.dtype('float32')), var((5, 3), np.dtype('float32'))
    >>> [(n.shape, d) for n, d in batch_graph([apply('exp', x)], {x: (xs, 0)}, 5)]
    [((5, 3), 0)]
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import UnsupportedError
from . import elementwise  # noqa: F401  (the table lists its primitives)
from .graph import AbstractValue, Node, const, toposort, var
from .primitives import PRIMITIVES, apply, full_like

#: (node, its operands over the batch, their batch axes or None, batch size)
#: -> (the batched node, its batch axis or None)
BatchRule = Callable[[Node, list[Node], list["int | None"], int], tuple[Node, "int | None"]]
Batched = tuple[Node, "int | None"]


def batch_graph(outputs: Sequence[Node], env: dict[Node, Batched], size: int) -> list[Batched]:
    """`outputs` rebuilt over a batch of `size`: `env` maps nodes (a function's inputs) to
    their batched nodes and batch axes; each result is (node, batch axis or None).

    >>> x = var((), np.dtype('float32'))
    >>> batch_graph([x], {x: (var((4,), np.dtype('float32')), 0)}, 4)[0][1]
    0
    """
    done: dict[Node, Batched] = dict(env)
    for n in toposort(list(outputs), stop=env):
        if n in done:
            continue
        ins = [done[i] for i in n.inputs]
        if all(d is None for _, d in ins):
            same = all(x is i for (x, _), i in zip(ins, n.inputs))
            done[n] = (n if same else apply(n.op, *(x for x, _ in ins), **dict(n.attrs)), None)
            continue
        rule = BATCHING_RULES.get(n.op)
        if rule is None:
            raise UnsupportedError(f"vmap: the primitive {n.op} has no batching rule")
        done[n] = rule(n, [x for x, _ in ins], [d for _, d in ins], size)
    return [done[o] for o in outputs]


# ---- moving batch axes -------------------------------------------------------------------


def move_axis(x: Node, src: int, dst: int) -> Node:
    """`x` with its axis `src` moved to position `dst`."""
    if src == dst:
        return x
    perm = [k for k in range(x.ndim) if k != src]
    perm.insert(dst, src)
    return apply("transpose", x, perm=tuple(perm))


def put_batch(x: Node, d: int | None, dst: int, size: int) -> Node:
    """`x` (batched at `d`, or not batched) with its batch axis at `dst`: an unbatched
    operand is broadcast (no copy: kernels read it through a zero stride)."""
    if d is not None:
        return move_axis(x, d, dst)
    shape = x.shape[:dst] + (1,) + x.shape[dst:]
    return apply("broadcast_to", apply("reshape", x, shape=shape),
                 shape=x.shape[:dst] + (size,) + x.shape[dst:])


def front(x: Node, d: int | None, size: int) -> Node:
    """`x` with its batch axis first."""
    return put_batch(x, d, 0, size)


def match_batch(x: Node, d: int | None, want: int | None, size: int) -> Node:
    """`x` (batched at `d`) as an operand batched at `want`; an operand with no batch axis
    (`want` None) gets the sum over the batch (a cotangent of a value every example read)."""
    if want is None:
        return x if d is None else apply("reduce_sum", x, axes=(d,))
    return put_batch(x, d, want, size)


def example(x: Node, d: int | None, b: int) -> Node:
    """Example `b` of `x` (batched at `d`)."""
    if d is None:
        return x
    start = tuple(b if k == d else 0 for k in range(x.ndim))
    stop = tuple(b + 1 if k == d else n for k, n in enumerate(x.shape))
    one = apply("slice", x, start=start, stop=stop, step=(1,) * x.ndim)
    return apply("reshape", one, shape=x.shape[:d] + x.shape[d + 1:])


def _shift(axes: Sequence[int]) -> tuple[int, ...]:
    return tuple(a + 1 for a in axes)


# ---- the rules ---------------------------------------------------------------------------


def _elementwise(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    """Operands of one shape: all batched at the first batched operand's axis (unbatched
    ones broadcast), then the primitive as it is."""
    d = next(k for k in dims if k is not None)
    xs = [put_batch(x, k, d, size) for x, k in zip(args, dims)]
    return apply(node.op, *xs, **dict(node.attrs)), d


def _reduce(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    return apply(node.op, front(args[0], dims[0], size), axes=_shift(node.attr("axes"))), 0


def _along_axis(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    """argmax, argmin, argsort: one `axis`, shifted past the batch axis."""
    attrs = dict(node.attrs, axis=node.attr("axis") + 1)
    return apply(node.op, front(args[0], dims[0], size), **attrs), 0


def _reshape(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    return apply("reshape", front(args[0], dims[0], size), shape=(size,) + node.shape), 0


def _broadcast_to(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    x = front(args[0], dims[0], size)
    lead = node.ndim - (x.ndim - 1)
    x = apply("reshape", x, shape=(size,) + (1,) * lead + x.shape[1:])
    return apply("broadcast_to", x, shape=(size,) + node.shape), 0


def _transpose(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    perm = (0,) + _shift(node.attr("perm"))
    return apply("transpose", front(args[0], dims[0], size), perm=perm), 0


def _slice(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    start, stop, step = node.attr("start"), node.attr("stop"), node.attr("step")
    return apply("slice", front(args[0], dims[0], size), start=(0,) + tuple(start),
                 stop=(size,) + tuple(stop), step=(1,) + tuple(step)), 0


def _flip(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    return apply("flip", front(args[0], dims[0], size), axes=_shift(node.attr("axes"))), 0


def _pad(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    (x, v), (dx, dv) = args, dims
    low, high = (0,) + tuple(node.attr("low")), (0,) + tuple(node.attr("high"))
    xb = front(x, dx, size)
    if dv is None:
        return apply("pad", xb, v, low=low, high=high), 0
    # one padding value per example: pad with zeros, then put each example's value where
    # a padded mask of ones is zero
    zero = const(np.asarray(0, x.dtype))
    padded = apply("pad", xb, zero, low=low, high=high)
    inside = apply("pad", full_like(xb, 1), zero, low=low, high=high)
    values = apply("broadcast_to", apply("reshape", v, shape=(size,) + (1,) * node.ndim),
                   shape=padded.shape)
    return apply("where", apply("ne", inside, full_like(inside, 0)), padded, values), 0


def _windows(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    """window_slices and window_spread take any leading axes: the batch is one more (a
    fill value per example falls back to the loop)."""
    if len(dims) > 1 and dims[1] is not None:
        return per_example(node, args, dims, size)
    return apply(node.op, front(args[0], dims[0], size), *args[1:], **dict(node.attrs)), 0


def _concat(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    xs = [front(x, d, size) for x, d in zip(args, dims)]
    return apply("concat", *xs, axis=node.attr("axis") + 1), 0


def _in_range(i: Node, n: int, mode: str) -> Node:
    """Indices brought into [0, n) as `take` and `scatter_add` read them (clip or wrap)."""
    if mode == "wrap":
        return apply("mod", i, full_like(i, n))
    return apply("maximum", apply("minimum", i, full_like(i, n - 1)), full_like(i, 0))


def _flat_indices(i: Node, d: int | None, n: int, mode: str, size: int) -> Node:
    """Batched indices (batch first) into an axis of `size * n` elements: example b's
    index j becomes b * n + j."""
    i = _in_range(front(i, d, size), n, mode)
    rows = apply("iota", shape=i.shape, axis=0, dtype=i.dtype)
    return apply("add", i, apply("mul", rows, full_like(rows, n)))


def _take(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    (x, i), (dx, di) = args, dims
    axis, mode = node.attr("axis"), node.attr("mode")
    if di is None:
        return apply("take", front(x, dx, size), i, axis=axis + 1, mode=mode), 0
    if dx is None:
        return apply("take", x, front(i, di, size), axis=axis, mode=mode), axis
    # both batched: the batch joins the indexed axis, each example's indices offset
    n = node.inputs[0].shape[axis]
    xb = put_batch(x, dx, axis, size)
    flat = apply("reshape", xb, shape=xb.shape[:axis] + (size * n,) + xb.shape[axis + 2:])
    return apply("take", flat, _flat_indices(i, di, n, mode, size), axis=axis,
                 mode="clip"), axis


def _scatter_add(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    (g, i), (dg, di) = args, dims
    axis, mode, n = node.attr("axis"), node.attr("mode"), node.attr("size")
    if di is None:
        return apply("scatter_add", front(g, dg, size), i, axis=axis + 1, mode=mode, size=n), 0
    gb = put_batch(g, dg, axis, size)
    out = apply("scatter_add", gb, _flat_indices(i, di, n, mode, size), axis=axis,
                mode="clip", size=size * n)
    shape = out.shape[:axis] + (size, n) + out.shape[axis + 1:]
    return apply("reshape", out, shape=shape), axis


def _same_axes(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    """A primitive that reads its operand's elements independently (check_index): the
    operand as it is."""
    return apply(node.op, args[0], **dict(node.attrs)), dims[0]


def _dot_general(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    (a, b), (da, db) = args, dims
    (ca, cb), (ba, bb) = node.attr("contract"), node.attr("batch")
    if da is not None and db is not None:  # one more batch dimension
        a, b = front(a, da, size), front(b, db, size)
        ba, bb = (0,) + _shift(ba), (0,) + _shift(bb)
        if not ca:  # (per-example outer products: per-example gradients of dense layers)
            return _outer_product(a, b, ba, bb), 0
        return apply("dot_general", a, b, contract=(_shift(ca), _shift(cb)),
                     batch=(ba, bb)), 0
    if da is not None:  # a free axis of `a`: the first of its free axes in the result
        return apply("dot_general", front(a, da, size), b, contract=(_shift(ca), tuple(cb)),
                     batch=(_shift(ba), tuple(bb))), len(ba)
    free_a = a.ndim - len(ca) - len(ba)
    return apply("dot_general", a, front(b, db, size), contract=(tuple(ca), _shift(cb)),
                 batch=(tuple(ba), _shift(bb))), len(ba) + free_a


def _outer_product(a: Node, b: Node, ba: tuple[int, ...], bb: tuple[int, ...]) -> Node:
    """dot_general with nothing to contract, as a product of broadcasts (one fused kernel
    rather than a library call per batch element): the result's axes are the batch axes,
    then a's free axes, then b's."""
    fa = [k for k in range(a.ndim) if k not in ba]
    fb = [k for k in range(b.ndim) if k not in bb]
    shape = tuple(a.shape[k] for k in ba) + tuple(a.shape[k] for k in fa) + tuple(
        b.shape[k] for k in fb)
    a = apply("transpose", a, perm=tuple(ba) + tuple(fa))
    a = apply("reshape", a, shape=a.shape + (1,) * len(fb))
    b = apply("transpose", b, perm=tuple(bb) + tuple(fb))
    b = apply("reshape", b, shape=b.shape[:len(bb)] + (1,) * len(fa) + b.shape[len(bb):])
    return apply("mul", apply("broadcast_to", a, shape=shape),
                 apply("broadcast_to", b, shape=shape))


def _leading_batch(node: Node, args: list[Node], dims: list[int | None], size: int
                   ) -> Batched:
    """Library primitives over the last axes that take any leading batch axes (the
    linear algebra): every operand batched first."""
    xs = [front(x, d, size) for x, d in zip(args, dims)]
    return apply(node.op, *xs, **dict(node.attrs)), 0


def _merged_rows(node: Node, args: list[Node], dims: list[int | None], size: int
                 ) -> Batched:
    """One-operand library calls over a leading axis of independent rows (box_nms_order,
    bipartite_matching): the batch merged into that axis, and split out of the result."""
    x = front(args[0], dims[0], size)
    if size == 0:
        return per_example(node, args, dims, size)
    merged = apply("reshape", x, shape=(size * x.shape[1],) + x.shape[2:])
    out = apply(node.op, merged, **dict(node.attrs))
    return apply("reshape", out, shape=(size, out.shape[0] // size) + out.shape[1:]), 0


def per_example(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    """The fallback: the primitive once per example, results stacked (slow: `size`
    library calls)."""
    attrs = dict(node.attrs)
    if size == 0:
        empty = (0,) + node.shape
        return apply("broadcast_to", const(np.asarray(0, node.dtype)), shape=empty), 0
    parts = []
    for b in range(size):
        one = apply(node.op, *(example(x, d, b) for x, d in zip(args, dims)), **attrs)
        parts.append(apply("reshape", one, shape=(1,) + one.shape))
    return (parts[0] if size == 1 else apply("concat", *parts, axis=0)), 0


def _no_operands(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    """A primitive without operands (iota) is the same for every example."""
    return node, None


def _custom_derivative(node: Node, args: list[Node], dims: list[int | None], size: int
                       ) -> Batched:
    rule = BatchedRule(node.attr("rule"), node.attr("index"),
                       tuple(i.aval for i in node.inputs), tuple(dims), size)
    return apply("custom_derivative", *args, rule=rule, index=node.attr("index")), dims[0]


class BatchedRule:
    """The rule of a batched `custom_derivative` node: the per-example rule's cotangents,
    batched (so a user's backward function runs once, on the whole batch)."""

    def __init__(self, rule: Any, index: int, avals: tuple[AbstractValue, ...],
                 dims: tuple[int | None, ...], size: int):
        self.rule, self.index, self.avals, self.dims, self.size = rule, index, avals, dims, size

    def __repr__(self) -> str:
        return f"batched({self.rule!r}, size={self.size})"

    def vjp(self, node: Node, g: Node) -> list[Node | None]:
        xs = [var(a.shape, a.dtype) for a in self.avals]
        template = Node.make("custom_derivative", tuple(xs),
                             {"rule": self.rule, "index": self.index}, self.avals[0])
        gv = var(self.avals[0].shape, g.dtype)
        cts = list(self.rule.vjp(template, gv))
        env: dict[Node, Batched] = {x: (b, d) for x, b, d in zip(xs, node.inputs, self.dims)}
        env[gv] = (g, self.dims[0])
        batched = iter(batch_graph([c for c in cts if c is not None], env, self.size))
        out: list[Node | None] = []
        for c, d in zip(cts, self.dims):
            if c is None:
                out.append(None)
            else:
                b, bd = next(batched)
                out.append(match_batch(b, bd, d, self.size))
        return out


_ELEMENTWISE = [name for name, p in PRIMITIVES.items() if p.kind == "elementwise"]

#: One rule per primitive. Primitives defined outside `trace` (the library kernels, the
#: operators' detection and ROI calls, autograd.Function) are named here too: the table
#: needs their names only.
BATCHING_RULES: dict[str, BatchRule] = {
    **{name: _elementwise for name in _ELEMENTWISE},
    "reduce_sum": _reduce, "reduce_prod": _reduce, "reduce_max": _reduce,
    "reduce_min": _reduce, "argmax": _along_axis, "argmin": _along_axis,
    "reshape": _reshape, "broadcast_to": _broadcast_to, "transpose": _transpose,
    "slice": _slice, "flip": _flip, "pad": _pad, "concat": _concat,
    "window_slices": _windows, "window_spread": _windows,
    "take": _take, "scatter_add": _scatter_add, "check_index": _same_axes,
    "dot_general": _dot_general, "iota": _no_operands,
    "cholesky": _leading_batch, "triangular_solve": _leading_batch, "inverse": _leading_batch,
    "det": _leading_batch, "logabsdet": _leading_batch, "slogdet_sign": _leading_batch,
    "syevd": _leading_batch, "gelqf": _leading_batch, "argsort": _along_axis,
    "box_nms_order": _merged_rows, "bipartite_matching": _merged_rows,
    "custom_derivative": _custom_derivative,
    # no batched form: one application per example (slow); random_bits only when each
    # example has a key of its own (one key for all is not batched at all)
    "random_bits": per_example, "random_gamma": per_example, "random_poisson": per_example,
    "random_permutation": per_example, "random_unique_zipfian": per_example,
    "host_call": per_example, "host_vjp": per_example,
    "multibox_target": per_example, "multibox_detection": per_example, "rpn_proposals": per_example,
    "roi_pool_argmax": per_example, "rroi_align": per_example,
}

#: The primitives batched by the slow per-example fallback.
LOOPED = frozenset(name for name, rule in BATCHING_RULES.items() if rule is per_example)


def register_batching_rule(name: str, rule: BatchRule) -> None:
    """The batching rule of a primitive defined outside this table (`per_example` is the
    fallback that always works).

    >>> register_batching_rule('my_op', lambda n, args, dims, size: (n, None))  # doctest: +SKIP
    """
    BATCHING_RULES[name] = rule
