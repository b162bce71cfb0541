"""Reverse mode as a graph transformation: the backward walk over the primitives' vjp rules.

Each rule (in the primitive's record) receives the node and the cotangent of its output
and returns the cotangents of its inputs, built from primitives with `apply`, so the
backward pass is an ordinary graph (simplified, fused, compiled) and can be differentiated
again.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..base import GradientError
from .graph import Node, toposort, var
from .primitives import PRIMITIVES, apply, result_group, zeros_like


def backward(outputs: Sequence[Node], cotangents: Sequence[Node], wrt: Sequence[Node],
             integers: bool = False) -> list[Node]:
    """Cotangents of `wrt` given cotangents of `outputs`: a graph built from vjp rules.

    Nodes in `wrt` that no output depends on get zeros. Only floating-point nodes carry
    cotangents, unless `integers`: then integer nodes do too, in their own dtype, as MXNet's
    autograd differentiates integer arrays with integer arithmetic (x * 2 over int32 gives
    the gradient 2; exp's gradient exp(x) is truncated to an integer).

    >>> from mxjit.trace import var, apply, ones_like
    >>> x = var((2,), np.dtype('float32')); y = apply('exp', x)  # doctest: +SKIP
    >>> backward([y], [ones_like(y)], [x])  # doctest: +SKIP
    """
    order = toposort(list(outputs))
    wrt_set = set(wrt)
    needed: set[Node] = set()
    for n in order:  # only nodes downstream of some wrt node carry cotangents
        if n in wrt_set or any(i in needed for i in n.inputs):
            needed.add(n)
    kinds = "fiu" if integers else "f"
    ct: dict[Node, Node] = {}
    for o, g in zip(outputs, cotangents):
        if o in needed:
            ct[o] = _accumulate(ct.get(o), g)
    groups = _result_groups(order)
    for n in reversed(order):
        if n in groups:  # every user of every result is behind us: one rule call for all
            got_all = {r.attr("index"): ct[r] for r in groups[n] if r in ct}
            if not got_all:
                continue
            grads = PRIMITIVES[n.op].results_vjp(n, got_all)  # type: ignore[misc]
        else:
            got = ct.get(n)
            if got is None or n.op in ("var", "const"):
                continue
            prim = PRIMITIVES[n.op]
            if prim.results_vjp is not None:  # (its group's first result takes it)
                continue
            if prim.vjp is None:
                if prim.differentiable:
                    raise GradientError(f"no gradient rule for {n.op}")
                continue
            grads = prim.vjp(n, got)
        for inp, gi in zip(n.inputs, grads):
            if gi is not None and inp in needed and inp.dtype.kind in kinds:
                ct[inp] = _accumulate(ct.get(inp), gi)
    return [ct.get(w) or zeros_like(w) for w in wrt]


def _accumulate(acc: Node | None, g: Node) -> Node:
    return g if acc is None else apply("add", acc, g)


def _result_groups(order: list[Node]) -> dict[Node, list[Node]]:
    """The results of each application of a several-result primitive (the loops) in the
    graph, under the one listed first: the walk reaches it last, after every user of them."""
    first: dict[tuple, Node] = {}
    groups: dict[Node, list[Node]] = {}
    for n in order:
        if n.op not in ("var", "const") and PRIMITIVES[n.op].results_vjp is not None:
            head = first.setdefault(result_group(n), n)
            groups.setdefault(head, []).append(n)
    return groups


def residuals(outputs: Sequence[Node], inputs: Sequence[Node]) -> list[Node]:
    """The nodes of the graph of `outputs` over `inputs` that its backward pass reads and
    that are worth keeping from the forward pass rather than recomputing: contractions,
    reductions, library results, the operands of contractions and library calls (written
    to memory anyway) and expensive elementwise values. Other cheap elementwise and
    movement nodes are recomputed from what they read (memory traffic costs more than
    arithmetic here); outputs and inputs are at hand anyway.

    >>> x = var((2,), np.dtype('float32')); y = apply('sin', apply('exp', x))  # doctest: +SKIP
    >>> residuals([y], [x])  # doctest: +SKIP
    [Node(exp, (2,), float32)]
    """
    floats = [o for o in outputs if o.dtype.kind == "f"]
    wrt = [i for i in inputs if i.dtype.kind == "f"]
    if not floats or not wrt:
        return []
    grads = backward(floats, [var(o.shape, o.dtype) for o in floats], wrt)
    forward = set(toposort(list(outputs)))
    # (a loop's vjp rule reads more results of the forward loop: the same application)
    applications = {result_group(r) for rs in _result_groups(list(forward)).values()
                    for r in rs}
    at_hand = set(outputs) | set(inputs)
    users = _reducing_users(forward)
    # (the operands of contractions and library calls reach memory in the forward pass
    # anyway: keeping them costs no traffic, where recomputing costs a pass)
    written = {i for m in forward if m.op not in ("var", "const")
               and PRIMITIVES[m.op].kind in ("contraction", "opaque") for i in m.inputs}
    kept: list[Node] = []
    seen: set[Node] = set()
    stack = [n for n in toposort(grads, stop=forward) if n in forward or (
        applications and n.op not in ("var", "const")
        and PRIMITIVES[n.op].results_vjp is not None and result_group(n) in applications)]
    while stack:
        n = stack.pop()
        if n in seen or n in at_hand or n.op in ("var", "const"):
            continue
        seen.add(n)
        prim = PRIMITIVES[n.op]
        if prim.kind in ("contraction", "reduce", "opaque") or n in written or (
                prim.expensive and not _recomputed(n, users)):
            kept.append(n)
        else:
            stack.extend(n.inputs)
    return kept


#: Elements from which an expensive value that only reductions read is recomputed by the
#: backward pass rather than kept: the forward pass then never writes it (a softmax's
#: exp(x - max) over 11.2M logits: 45 MB written and read back, where computing exp again
#: costs less than the memory traffic).
RECOMPUTE_MIN_ELEMENTS = 1 << 20


def _reducing_users(forward: set[Node]) -> dict[Node, bool]:
    """Whether every user of each node of the forward graph is a reduction."""
    only: dict[Node, bool] = {}
    for m in forward:
        reducing = m.op not in ("var", "const") and PRIMITIVES[m.op].kind == "reduce"
        for i in m.inputs:
            only[i] = only.get(i, True) and reducing
    return only


def _recomputed(n: Node, users: dict[Node, bool]) -> bool:
    """Whether the expensive elementwise `n` is left for the backward pass to recompute:
    large, read only by reductions (so the forward pass fuses it away), and made from kept
    or given values through cheap operations only (no chain of expensive ones redone)."""
    if n.aval.size < RECOMPUTE_MIN_ELEMENTS or not users.get(n, False):
        return False
    stack, seen = list(n.inputs), set()
    while stack:
        m = stack.pop()
        if m in seen or m.op in ("var", "const"):
            continue
        seen.add(m)
        prim = PRIMITIVES[m.op]
        if prim.kind in ("contraction", "reduce", "opaque"):
            continue
        if prim.expensive:
            return False
        stack.extend(m.inputs)
    return True
