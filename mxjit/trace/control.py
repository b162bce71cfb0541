"""Control flow as graph operations: `scan`, `while_loop` and `cond`, with their shape,
gradient and batching rules.

Each primitive holds what it runs as closed subgraphs (`Body`: input var nodes and output
nodes, hashable) in its attributes, and takes everything those read as operands, so a loop
is one node however many steps it takes, and lowering compiles its body once
(`lower/loops.py`). A loop has several results (final carries, stacked step outputs): one
node per result, told apart by its `index` attribute (`result_group`); the backward walk
hands one rule all their cotangents at once (`Primitive.results_vjp`).

* `scan(*carry, *xs, *consts; body, n_carry, n_xs, length, reverse)`: per step t (in order,
  or from the last when `reverse`), `body(carry, xs[t], consts)` gives the next carry and the
  step's outputs. Results: the final carries, then each step output stacked along a new
  first axis, then the stacks of `scan_saved(...)` (values its backward pass reads). Its vjp
  is a scan the other way over the body's vjp, reading the forward scan's saved stacks (the
  carries each step started from, the body's costly intermediates): one more result of the
  same forward loop, so nothing is computed twice.
* `while_loop(*carry, *consts; cond, body, n_carry)`: `body` while `cond` (one boolean) holds.
  Its number of steps is not known in advance: not reverse-differentiable (as in JAX).
* `cond(pred, *operands; branches)`: branch `clip(pred, 0, n - 1)` of `branches` (a boolean
  picks the second for True). Its vjp is a `cond` over the branches' vjps.

    >>> from mxjit.trace import var
    >>> c, x = var((2,), np.dtype('float32')), var((2,), np.dtype('float32'))
    >>> body = make_body([c, x], [apply('add', c, x), c])
    >>> xs = var((5, 2), np.dtype('float32'))
    >>> apply('scan', c, xs, body=body, n_carry=1, n_xs=1, length=5, reverse=False,
    ...       index=1).shape
    (5, 2)
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import GradientError, ShapeError
from .batching import Batched, batch_graph, put_batch, register_batching_rule
from .dtypes import is_float
from .grad import backward, residuals
from .graph import AbstractValue, Node, substitute, toposort, var
from .primitives import PRIMITIVES, apply, define_primitive, evaluate, result_group
from .simplify import fill, scalar_of


class Body:
    """A closed subgraph: its input var nodes and output nodes. Bodies made by `make_body`
    name their inputs by position, so the same function traced twice gives an equal body
    (compared and hashed by its nodes, which are hash-consed): the key of its programs."""

    __slots__ = ("inputs", "outputs", "memo", "_hash")

    def __init__(self, inputs: tuple[Node, ...], outputs: tuple[Node, ...]):
        self.inputs, self.outputs = inputs, outputs
        self.memo: dict[Any, Any] = {}  # what rules derive from it, computed once
        self._hash = hash((inputs, outputs))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Body) and self.inputs == other.inputs
                and self.outputs == other.outputs)

    def __repr__(self) -> str:
        return f"body({len(self.inputs)} in, {len(self.outputs)} out)"

    @property
    def in_avals(self) -> list[AbstractValue]:
        return [n.aval for n in self.inputs]

    @property
    def out_avals(self) -> list[AbstractValue]:
        return [n.aval for n in self.outputs]


def body_input(k: int, aval: AbstractValue) -> Node:
    """The input var at position `k` of a body (its id apart from `var`'s integers, and
    holding its shape and dtype, which hash-consing does not compare).

    >>> body_input(0, AbstractValue((2,), np.dtype('float32'))).attr('id')
    ('body', 0, (2,), '<f4')
    """
    return Node.make("var", (), {"id": ("body", k, aval.shape, aval.dtype.str)}, aval)


def make_body(inputs: Sequence[Node], outputs: Sequence[Node]) -> Body:
    """The body of `outputs` over `inputs` (any nodes: each becomes an input var by
    position). Every var the outputs reach must be among the inputs.

    >>> x, y = var((), np.dtype('float32')), var((), np.dtype('float32'))
    >>> make_body([x], [apply('exp', x)]) == make_body([y], [apply('exp', y)])
    True
    """
    canon = {n: body_input(k, n.aval) for k, n in enumerate(inputs)}
    outs = substitute(list(outputs), canon)
    names = set(canon.values())
    for n in toposort(outs):
        assert n.op != "var" or n in names, "a loop body reads a var it does not take"
    return Body(tuple(canon[n] for n in inputs), tuple(outs))


def outer_nodes(inputs: Sequence[Node], outputs: Sequence[Node]) -> list[Node]:
    """The outer nodes the graph of `outputs` over `inputs` reads: nodes that depend on a
    var other than the inputs (what a traced function closed over). Constants are not.

    >>> x, w = var((), np.dtype('float32')), var((), np.dtype('float32'))
    >>> outer_nodes([x], [apply('mul', x, w)]) == [w]
    True
    """
    inner: set[Node] = set(inputs)
    free: set[Node] = set()
    order = toposort(list(outputs))
    for n in order:
        if n in inner:
            continue
        if any(i in inner for i in n.inputs):
            inner.add(n)
        elif n.op == "var" or any(i in free for i in n.inputs):
            free.add(n)
    outer: dict[Node, None] = {}
    for n in order:
        if n in inner:
            outer.update((_base(i, free), None) for i in n.inputs if i in free)
    outer.update((o, None) for o in outputs if o in free)
    return list(outer)


def _base(node: Node, free: set[Node]) -> Node:
    """The outer node under a chain of views (a broadcast, reshape, transpose, slice): the
    body takes it and applies the views itself, in its kernels' index maps, so a broadcast
    bias is one row, not a matrix, and its gradient is summed inside the loop."""
    while node.op != "var" and PRIMITIVES[node.op].view and node.inputs[0] in free:
        node = node.inputs[0]
    return node


def run_body(body: Body, arrays: Sequence[np.ndarray], outputs: Sequence[Node] = ()
             ) -> list[np.ndarray]:
    """The NumPy meaning of a body: `outputs` (default: the body's) over `arrays`.

    >>> x = var((), np.dtype('float32'))
    >>> run_body(make_body([x], [apply('neg', x)]), [np.float32(2)])
    [array(-2., dtype=float32)]
    """
    values: dict[Node, np.ndarray] = dict(zip(body.inputs, arrays))
    results: dict[tuple, list[np.ndarray]] = {}
    wanted = list(outputs or body.outputs)
    for n in toposort(wanted, stop=values):
        if n in values:
            continue
        if n.op == "const":
            values[n] = n.attr("value").array
        elif n.op in RESULTS_NUMPY:  # every result of a loop at once
            key = result_group(n)
            if key not in results:
                attrs = {k: v for k, v in n.attrs if k != "index"}
                results[key] = RESULTS_NUMPY[n.op]([values[i] for i in n.inputs], **attrs)
            values[n] = results[key][n.attr("index")]
        else:
            values[n] = evaluate(n.op, [values[i] for i in n.inputs], dict(n.attrs))
    return [np.asarray(values[o]) for o in wanted]


# ---- scan ------------------------------------------------------------------------------------


def scan_saved(body: Body, n_carry: int, n_xs: int) -> tuple[Node, ...]:
    """The body's values beyond its outputs that a scan stacks for its backward pass: the
    carries each step starts from, the carries it ends with and the body's residuals (its
    costly intermediates, `grad.residuals`). Only those the backward pass reads are
    computed.

    >>> c, x = var((), np.dtype('float32')), var((), np.dtype('float32'))
    >>> scan_saved(make_body([c, x], [apply('exp', apply('mul', c, x))]), 1, 1)[0].op
    'var'
    """
    key = ("saved", n_carry, n_xs)
    if key not in body.memo:
        outputs = set(body.outputs[n_carry:])
        at_hand = set(body.inputs[n_carry:]) | outputs
        candidates = (list(body.inputs[:n_carry]) + list(body.outputs[:n_carry])
                      + residuals(body.outputs, body.inputs))
        saved: dict[Node, None] = {}
        for n in candidates:
            if n not in at_hand and n.op != "const":
                saved[n] = None
        body.memo[key] = tuple(saved)
    return body.memo[key]  # type: ignore[no-any-return]


def _scan_stacked(body: Body, n_carry: int, n_xs: int, index: int) -> list[Node]:
    """The body nodes behind results n_carry.. (the step outputs, and the saved values when
    `index` asks for one)."""
    stacked = list(body.outputs[n_carry:])
    if index >= len(body.outputs):
        stacked += scan_saved(body, n_carry, n_xs)
    return stacked


def _scan_rule(*operands: AbstractValue, body: Body, n_carry: int, n_xs: int, length: int,
               reverse: bool, index: int) -> AbstractValue:
    ins = body.in_avals
    if len(operands) != len(ins):
        raise ShapeError(f"scan: {len(operands)} operands for a body of {len(ins)} inputs")
    for k, (a, b) in enumerate(zip(operands, ins)):
        want = (length,) + b.shape if n_carry <= k < n_carry + n_xs else b.shape
        if a.shape != want or a.dtype != b.dtype:
            raise ShapeError(f"scan: operand {k} is {a.dtype}{list(a.shape)}; the body takes "
                             f"{b.dtype}{list(want)}")
    for k in range(n_carry):
        if body.outputs[k].aval != ins[k]:
            raise ShapeError(f"scan: carry {k} enters the body as {ins[k]} and leaves it as "
                             f"{body.outputs[k].aval}")
    if index < n_carry:
        return ins[index]
    row = _scan_stacked(body, n_carry, n_xs, index)[index - n_carry].aval
    return AbstractValue((length,) + row.shape, row.dtype)


def scan_numpy(arrays: Sequence[np.ndarray], *, body: Body, n_carry: int, n_xs: int,
               length: int, reverse: bool, saved: bool = True) -> list[np.ndarray]:
    """Every result of a scan, in NumPy (the reference: a loop over `run_body`).

    >>> c, x = var((), np.dtype('float32')), var((), np.dtype('float32'))
    >>> body = make_body([c, x], [apply('add', c, x)])
    >>> scan_numpy([np.float32(0), np.ones(3, np.float32)], body=body, n_carry=1, n_xs=1,
    ...            length=3, reverse=False, saved=False)
    [array(3., dtype=float32)]
    """
    carry, xs = list(arrays[:n_carry]), arrays[n_carry:n_carry + n_xs]
    consts = list(arrays[n_carry + n_xs:])
    wanted = list(body.outputs) + (list(scan_saved(body, n_carry, n_xs)) if saved else [])
    stacks = [np.empty((length,) + n.shape, n.dtype) for n in wanted[n_carry:]]
    for i in range(length):
        t = length - 1 - i if reverse else i
        outs = run_body(body, carry + [x[t] for x in xs] + consts, wanted)
        carry = outs[:n_carry]
        for s, o in zip(stacks, outs[n_carry:]):
            s[t] = o
    return carry + stacks


def _row_source(x: Node) -> tuple[str, Any] | None:
    """How a step of a scan reads operand `x` of an elementwise op whose result it scans:
    ("x", node) a row of a full-length operand, ("k", node) the same value every step (a
    broadcast along the scanned axis), ("lit", value) a scalar; None when neither."""
    value = scalar_of(x)
    if value is not None:
        return "lit", value
    if x.op == "broadcast_to":
        y = x.inputs[0]
        if y.ndim < x.ndim:
            return "k", y
        if y.shape[0] == 1:
            return "k", apply("reshape", y, shape=y.shape[1:])
        return None
    return "x", x


def _constant(node: Node) -> bool:
    """Whether `node` is computed from constants only (no var), looking no further than
    needed."""
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if n.op == "var":
            return False
        if n not in seen:
            seen.add(n)
            stack.extend(n.inputs)
    return True


def _fusable(x: Node) -> bool:
    if x.op in ("var", "const"):
        return False
    prim = PRIMITIVES[x.op]
    return (prim.kind == "elementwise" and not prim.identity and x.op != "loss_output"
            and all(_row_source(i) is not None for i in x.inputs))


def _scan_simplify(*args: Any, body: Body, n_carry: int, n_xs: int, length: int,
                   reverse: bool, index: int) -> Node | None:
    """A scanned operand computed elementwise from full-length operands and values the same
    every step is computed by the body, a row per step: the (length, ...) temporary is never
    made (the cotangent stack a backward scan reads, `xs * 2` passed to a scan)."""
    if index >= len(body.outputs):  # (a saved stack: its loop is simplified already)
        return None
    operands, nc = args[:-1], n_carry  # (the last is the result's abstract value)
    k = next((j for j in range(nc, nc + n_xs) if _fusable(operands[j])), None)
    if k is None:
        return None
    x = operands[k]
    new_xs: list[tuple[Node, Node]] = []  # (operand, its row's var)
    new_consts: list[tuple[Node, Node]] = []
    row_args = []
    for i in x.inputs:
        kind, src = _row_source(i)  # type: ignore[misc]
        row = AbstractValue(i.shape[1:], i.dtype)
        if kind == "lit":
            row_args.append(fill(src, row))
        elif kind == "x":
            v = var(row.shape, row.dtype)
            new_xs.append((src, v))
            row_args.append(v)
        elif _constant(src):  # (computed from constants: the body computes it too)
            row_args.append(apply("broadcast_to", src, shape=row.shape))
        else:
            v = var(src.shape, src.dtype)
            new_consts.append((src, v))
            row_args.append(apply("broadcast_to", v, shape=row.shape))
    step = apply(x.op, *row_args, **dict(x.attrs))
    ins = list(body.inputs)
    outs = substitute(list(body.outputs), {ins[k]: step})
    xs_ins = ins[nc:k] + ins[k + 1:nc + n_xs] + [v for _, v in new_xs]
    new_body = make_body(ins[:nc] + xs_ins + ins[nc + n_xs:] + [v for _, v in new_consts],
                         outs)
    new_ops = (list(operands[:k]) + list(operands[k + 1:nc + n_xs]) + [o for o, _ in new_xs]
               + list(operands[nc + n_xs:]) + [o for o, _ in new_consts])
    return apply("scan", *new_ops, body=new_body, n_carry=nc, n_xs=len(xs_ins), length=length,
                 reverse=reverse, index=index)


def _scan_one(*arrays: np.ndarray, index: int, **attrs: Any) -> np.ndarray:
    saved = index >= len(attrs["body"].outputs)
    return scan_numpy(arrays, saved=saved, **attrs)[index]


def result(node: Node, index: int) -> Node:
    """Result `index` of the application `node` is a result of.

    >>> result(scan_node, 0)  # doctest: +SKIP
    """
    return apply(node.op, *node.inputs, **dict(node.attrs, index=index))


def _scan_vjp(node: Node, cts: dict[int, Node]) -> list[Node | None]:
    attrs = dict(node.attrs)
    body: Body = attrs["body"]
    nc, nx, length = attrs["n_carry"], attrs["n_xs"], attrs["length"]
    c_in, x_in = body.inputs[:nc], body.inputs[nc:nc + nx]
    k_in = body.inputs[nc + nx:]
    stacked = list(body.outputs[nc:]) + list(scan_saved(body, nc, nx))
    fc = [j for j in range(nc) if is_float(c_in[j].dtype)]
    fx = [j for j in range(nx) if is_float(x_in[j].dtype)]
    fk = [j for j in range(len(k_in)) if is_float(k_in[j].dtype)]
    ct_stacks = {i - nc: g for i, g in sorted(cts.items())
                 if i >= nc and is_float(stacked[i - nc].dtype)}
    none: list[Node | None] = [None] * len(node.inputs)
    if not (fc or fx or fk) or not (ct_stacks or any(j in cts for j in fc)):
        return none
    # the backward step: carries the carries' cotangents and the constants' sums
    ct_c = [var(c_in[j].shape, c_in[j].dtype) for j in fc]
    acc = [var(k_in[j].shape, k_in[j].dtype) for j in fk]
    ct_s = {j: var(stacked[j].shape, stacked[j].dtype) for j in ct_stacks}
    grads = backward([body.outputs[j] for j in fc] + [stacked[j] for j in ct_s],
                     ct_c + list(ct_s.values()),
                     [c_in[j] for j in fc] + [x_in[j] for j in fx] + [k_in[j] for j in fk])
    g_c, g_x, g_k = grads[:len(fc)], grads[len(fc):len(fc) + len(fx)], grads[len(fc) + len(fx):]
    outs = g_c + [_summed(a, g) for a, g in zip(acc, g_k)] + g_x
    # what it reads of the forward step: rows of xs, constants, rows of stacked results
    source: dict[Node, tuple[str, int]] = {}
    for j, n in enumerate(x_in):
        source[n] = ("x", j)
    for j, n in enumerate(k_in):
        source[n] = ("k", j)
    for j, n in enumerate(stacked):
        if n.op != "const":
            source.setdefault(n, ("s", j))
    reads: dict[str, list[tuple[int, Node]]] = {"s": [], "x": [], "k": []}
    fresh: dict[Node, Node] = {}
    for n in toposort(outs, stop=source):
        if n in source:
            kind, j = source[n]
            fresh[n] = var(n.shape, n.dtype)
            reads[kind].append((j, fresh[n]))
    new_body = make_body(
        ct_c + acc + list(ct_s.values()) + [v for kind in "sxk" for _, v in reads[kind]],
        substitute(outs, fresh))
    operands = ([cts.get(j) or fill(0, c_in[j].aval) for j in fc]
                + [fill(0, k_in[j].aval) for j in fk]
                + [ct_stacks[j] for j in ct_s]
                + [result(node, nc + j) for j, _ in reads["s"]]
                + [node.inputs[nc + j] for j, _ in reads["x"]]
                + [node.inputs[nc + nx + j] for j, _ in reads["k"]])
    n_carry = len(fc) + len(fk)
    bwd = dict(body=new_body, n_carry=n_carry, n_xs=len(ct_s) + len(reads["s"]) + len(reads["x"]),
               length=length, reverse=not attrs["reverse"])
    out = list(none)
    for i, j in enumerate(fc):
        out[j] = apply("scan", *operands, index=i, **bwd)
    for i, j in enumerate(fk):
        out[nc + nx + j] = apply("scan", *operands, index=len(fc) + i, **bwd)
    for i, j in enumerate(fx):
        out[nc + j] = apply("scan", *operands, index=n_carry + i, **bwd)
    return out


def _summed(acc: Node, g: Node) -> Node:
    """acc + g; where g is a sum (the cotangent of a broadcast constant, a bias), one sum
    over acc and the rows g sums, which is one kernel rather than two."""
    if g.op != "reduce_sum" or g.dtype.kind != "f":
        return apply("add", acc, g)
    v, axes = g.inputs[0], tuple(sorted(g.attr("axes")))
    kept = tuple(d for d in range(v.ndim) if d not in axes)
    rows = int(math.prod([v.shape[d] for d in axes]))
    if axes + kept != tuple(range(v.ndim)):
        v = apply("transpose", v, perm=axes + kept)
    v = apply("reshape", v, shape=(rows,) + g.shape)
    both = apply("concat", apply("reshape", acc, shape=(1,) + acc.shape), v, axis=0)
    return apply("reduce_sum", both, axes=(0,))


def scan_backward_reads(node: Node) -> list[int]:
    """The results of `node`'s scan beyond its outputs (saved stacks) that its backward pass
    reads when every result has a cotangent: what a recorded eager scan keeps.

    >>> scan_backward_reads(scan_node)  # doctest: +SKIP
    [2]
    """
    attrs = dict(node.attrs)
    body: Body = attrs["body"]
    key = ("reads", attrs["n_carry"], attrs["n_xs"])
    if key not in body.memo:
        n_out = len(body.outputs)
        probe = {i: var(result(node, i).shape, result(node, i).dtype) for i in range(n_out)}
        grads = [g for g in _scan_vjp(node, probe) if g is not None]
        group = result_group(node)
        body.memo[key] = sorted({n.attr("index") for n in toposort(grads)
                                 if n.op == "scan" and result_group(n) == group
                                 and n.attr("index") >= n_out})
    return body.memo[key]  # type: ignore[no-any-return]


# ---- while_loop --------------------------------------------------------------------------------


def _while_rule(*operands: AbstractValue, cond: Body, body: Body, n_carry: int, index: int
                ) -> AbstractValue:
    for what, b in (("cond", cond), ("body", body)):
        if [(a.shape, a.dtype) for a in operands] != [(a.shape, a.dtype) for a in b.in_avals]:
            raise ShapeError(f"while_loop: the operands {list(operands)} do not match the "
                             f"{what}'s inputs {b.in_avals}")
    if body.out_avals != list(operands[:n_carry]):
        raise ShapeError(f"while_loop: the body gives {body.out_avals} for the carries "
                         f"{list(operands[:n_carry])}")
    if len(cond.outputs) != 1 or cond.out_avals[0] != AbstractValue((), np.dtype(bool)):
        raise ShapeError(f"while_loop: the condition must give one boolean, got "
                         f"{cond.out_avals}")
    return operands[index]


def while_numpy(arrays: Sequence[np.ndarray], *, cond: Body, body: Body, n_carry: int
                ) -> list[np.ndarray]:
    """Every result of a while loop, in NumPy.

    >>> c = var((), np.dtype('float32'))
    >>> cond = make_body([c], [apply('lt', c, apply('broadcast_to', const(np.float32(5)),
    ...                                             shape=()))])  # doctest: +SKIP
    """
    carry, consts = list(arrays[:n_carry]), list(arrays[n_carry:])
    while bool(run_body(cond, carry + consts)[0]):
        carry = run_body(body, carry + consts)
    return carry


def _while_vjp(node: Node, cts: dict[int, Node]) -> list[Node | None]:
    raise GradientError(
        "while_loop is not reverse-differentiable: its number of steps is known only when it "
        "runs. Use mx.lax.scan or mx.lax.fori_loop with a fixed number of steps, or "
        "mx.nd.contrib.while_loop with max_iterations")


# ---- cond --------------------------------------------------------------------------------------


def _cond_rule(pred: AbstractValue, *operands: AbstractValue, branches: tuple[Body, ...],
               index: int) -> AbstractValue:
    if pred.shape != () or pred.dtype.kind not in "biu":
        raise ShapeError(f"cond: the predicate must be a boolean or integer scalar, got "
                         f"{pred.dtype}{list(pred.shape)}")
    for k, b in enumerate(branches):
        if [(a.shape, a.dtype) for a in b.in_avals] != [(a.shape, a.dtype) for a in operands]:
            raise ShapeError(f"cond: branch {k} takes {b.in_avals}, the operands are "
                             f"{list(operands)}")
        if b.out_avals != branches[0].out_avals:
            raise ShapeError(f"cond: branch {k} gives {b.out_avals}, branch 0 "
                             f"{branches[0].out_avals}")
    return branches[0].outputs[index].aval


def branch_index(pred: Any, n: int) -> int:
    """The branch a predicate's value picks (clipped, as JAX's switch).

    >>> branch_index(True, 2), branch_index(7, 3), branch_index(-1, 3)
    (1, 2, 0)
    """
    return min(max(int(np.asarray(pred)), 0), n - 1)


def cond_numpy(arrays: Sequence[np.ndarray], *, branches: tuple[Body, ...]) -> list[np.ndarray]:
    """Every result of a cond, in NumPy.

    >>> x = var((), np.dtype('float32'))
    >>> branches = (make_body([x], [apply('neg', x)]), make_body([x], [x]))
    >>> cond_numpy([np.bool_(False), np.float32(2)], branches=branches)
    [array(-2., dtype=float32)]
    """
    return run_body(branches[branch_index(arrays[0], len(branches))], arrays[1:])


def _cond_vjp(node: Node, cts: dict[int, Node]) -> list[Node | None]:
    branches: tuple[Body, ...] = node.attr("branches")
    operands = node.inputs[1:]
    fin = [j for j, o in enumerate(operands) if is_float(o.dtype)]
    fout = [k for k in sorted(cts) if is_float(branches[0].outputs[k].dtype)]
    out: list[Node | None] = [None] * len(node.inputs)
    if not fin or not fout:
        return out
    new = []
    for b in branches:
        ct = [var(b.outputs[k].shape, b.outputs[k].dtype) for k in fout]
        grads = backward([b.outputs[k] for k in fout], ct, [b.inputs[j] for j in fin])
        new.append(make_body(list(b.inputs) + ct, grads))
    args = [node.inputs[0], *operands, *(cts[k] for k in fout)]
    for i, j in enumerate(fin):
        out[1 + j] = apply("cond", *args, branches=tuple(new), index=i)
    return out


# ---- the records ---------------------------------------------------------------------------


def _one(results: Callable[..., list[np.ndarray]]) -> Callable[..., np.ndarray]:
    def numpy_impl(*arrays: np.ndarray, index: int, **attrs: Any) -> np.ndarray:
        return results(arrays, **attrs)[index]

    return numpy_impl


def _single(rule: Callable[[Node, dict[int, Node]], list[Node | None]]
            ) -> Callable[[Node, Node], list[Node | None]]:
    return lambda n, g: rule(n, {n.attr("index"): g})


#: Every result of a loop at once, in NumPy: what `run_body` evaluates nested loops with.
RESULTS_NUMPY: dict[str, Callable[..., list[np.ndarray]]] = {
    "scan": scan_numpy, "while_loop": while_numpy, "cond": cond_numpy}

define_primitive("scan", "opaque", _scan_rule, _scan_one, vjp=_single(_scan_vjp),
                 results_vjp=_scan_vjp, simplify=_scan_simplify, foldable=False)
define_primitive("while_loop", "opaque", _while_rule, _one(while_numpy),
                 vjp=_single(_while_vjp), results_vjp=_while_vjp, foldable=False)
define_primitive("cond", "opaque", _cond_rule, _one(cond_numpy), vjp=_single(_cond_vjp),
                 results_vjp=_cond_vjp, foldable=False)
LOOPS = ("scan", "while_loop", "cond")
assert all(PRIMITIVES[name].kind == "opaque" for name in LOOPS)


# ---- batching (vmap) ---------------------------------------------------------------------------


def _batched_body(body: Body, dims: Sequence[int | None], size: int,
                  outputs: Sequence[Node], out_dims: Sequence[int | None]) -> Body:
    """`outputs` of `body` over a batch: input k batched at axis 0 where `dims[k]` is not
    None; output k batched at `out_dims[k]` (None: left as it comes out)."""
    new = [var((size,) + n.shape, n.dtype) if d is not None else n
           for n, d in zip(body.inputs, dims)]
    env: dict[Node, Batched] = {n: (v, 0 if d is not None else None)
                                for n, v, d in zip(body.inputs, new, dims)}
    batched = batch_graph(list(outputs), env, size)
    outs = [x if want is None else put_batch(x, d, want, size)
            for (x, d), want in zip(batched, out_dims)]
    return make_body(new, outs)


def _batch_scan(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    attrs = dict(node.attrs)
    body: Body = attrs.pop("body")
    index = attrs.pop("index")
    nc, nx = attrs["n_carry"], attrs["n_xs"]
    # carries always batched; xs batched after their scanned axis; constants as they come
    ops: list[Node] = []
    in_dims: list[int | None] = []
    for k, (x, d) in enumerate(zip(args, dims)):
        if k < nc:
            ops.append(put_batch(x, d, 0, size))
            in_dims.append(0)
        elif k < nc + nx:
            ops.append(x if d is None else put_batch(x, d, 1, size))
            in_dims.append(None if d is None else 0)
        else:
            ops.append(x if d is None else put_batch(x, d, 0, size))
            in_dims.append(None if d is None else 0)
    stacked = _scan_stacked(body, nc, nx, len(body.outputs))  # (every result, saved too)
    outs = list(body.outputs[:nc]) + stacked
    new_body = _batched_body(body, in_dims, size, outs, [0] * len(outs))
    out = apply("scan", *ops, body=new_body, index=index, **attrs)
    return out, 0 if index < nc else 1


def _batch_while(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    cond: Body = node.attr("cond")
    body: Body = node.attr("body")
    nc, index = node.attr("n_carry"), node.attr("index")
    ops = [put_batch(x, d, 0, size) if k < nc or d is not None else x
           for k, (x, d) in enumerate(zip(args, dims))]
    in_dims: list[int | None] = [0 if k < nc or d is not None else None
                                 for k, d in enumerate(dims)]
    new_vars = [var((size,) + n.shape, n.dtype) if d is not None else n
                for n, d in zip(body.inputs, in_dims)]
    env: dict[Node, Batched] = {n: (v, d) for n, v, d in zip(body.inputs, new_vars, in_dims)}
    cenv: dict[Node, Batched] = {n: (v, d) for n, v, d in zip(cond.inputs, new_vars, in_dims)}
    (pred, pd), = batch_graph(list(cond.outputs), cenv, size)
    steps = [put_batch(x, d, 0, size) for x, d in batch_graph(list(body.outputs), env, size)]
    if pd is None:  # every example stops together
        new_cond = make_body(new_vars, [pred])
    else:  # on while any example goes on; the others keep their values
        pred = put_batch(pred, pd, 0, size)
        count = apply("reduce_sum", apply("cast", pred, dtype=np.dtype(np.int32)), axes=(0,))
        new_cond = make_body(new_vars, [apply("gt", count, fill(0, count.aval))])
        steps = [apply("where", apply("broadcast_to", apply(
            "reshape", pred, shape=(size,) + (1,) * (s.ndim - 1)), shape=s.shape), s, old)
            for s, old in zip(steps, new_vars[:nc])]
    new_body = make_body(new_vars, steps)
    return apply("while_loop", *ops, cond=new_cond, body=new_body, n_carry=nc, index=index), 0


def _batch_cond(node: Node, args: list[Node], dims: list[int | None], size: int) -> Batched:
    branches: tuple[Body, ...] = node.attr("branches")
    index = node.attr("index")
    in_dims = [None if d is None else 0 for d in dims[1:]]
    ops = [x if d is None else put_batch(x, d, 0, size) for x, d in zip(args[1:], dims[1:])]
    if dims[0] is None:  # one branch for the whole batch
        new = tuple(_batched_body(b, in_dims, size, b.outputs, [0] * len(b.outputs))
                    for b in branches)
        return apply("cond", args[0], *ops, branches=new, index=index), 0
    # a branch per example: every branch computed, each example's result selected
    pick = put_batch(args[0], dims[0], 0, size)
    if pick.dtype.kind == "b":
        pick = apply("cast", pick, dtype=np.dtype(np.int32))
    chosen: Node | None = None
    for k, b in enumerate(branches):
        env: dict[Node, Batched] = {n: (x, d) for n, x, d in zip(b.inputs, ops, in_dims)}
        (y, yd), = batch_graph([b.outputs[index]], env, size)
        y = put_batch(y, yd, 0, size)
        if chosen is None:
            chosen = y
            continue
        hit = apply("ge", pick, fill(k, pick.aval)) if k == len(branches) - 1 else apply(
            "eq", pick, fill(k, pick.aval))
        mask = apply("broadcast_to", apply("reshape", hit, shape=(size,) + (1,) * (y.ndim - 1)),
                     shape=y.shape)
        chosen = apply("where", mask, y, chosen)
    assert chosen is not None
    return chosen, 0


register_batching_rule("scan", _batch_scan)
register_batching_rule("while_loop", _batch_while)
register_batching_rule("cond", _batch_cond)
