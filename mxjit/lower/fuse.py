"""Fusion: decide which graph nodes are materialised; everything else is fused into kernels.

A node is materialised (gets a buffer) when it is a graph input or output, a reduction,
or a contraction or library op (and their operands). Every other node is evaluated inside
the kernels that consume it, so a chain of elementwise and movement ops becomes one kernel
and movement never copies. Elementwise work may be recomputed (in two kernels, or per element of a
broadcast, as XLA does): memory traffic costs more than arithmetic here. Reductions and
contractions are never recomputed.
"""
from __future__ import annotations

from ..trace import PRIMITIVES
from ..trace.graph import Node


def kind(node: Node) -> str:
    if node.op in ("var", "const"):
        return node.op
    return PRIMITIVES[node.op].kind


def _is_view(node: Node) -> bool:
    """Whether NumPy can apply `node` to a buffer as a view (for a library call's operand):
    a movement it expresses as a view, or an identity."""
    if node.op in ("var", "const"):
        return False
    prim = PRIMITIVES[node.op]
    return prim.view or prim.identity


def is_buffer(node: Node) -> bool:
    """Inputs and non-scalar constants live in memory; scalar constants are literals."""
    return node.op == "var" or (node.op == "const" and node.aval.size != 1)


def view_base(node: Node, materialized: set[Node]) -> Node | None:
    """The buffer under a chain of view ops, or None when the chain computes something."""
    while node not in materialized and not is_buffer(node):
        if not _is_view(node):
            return None
        node = node.inputs[0]
    return node


def materialized_nodes(order: list[Node], outputs: list[Node]) -> set[Node]:
    """The nodes that get buffers, in a graph listed inputs-first (`order`)."""
    out: set[Node] = {n for n in order if is_buffer(n)}
    for n in order:
        k = kind(n)
        if k in ("reduce", "contraction", "opaque"):
            out.add(n)
        if k in ("contraction", "opaque"):
            out.update(i for i in n.inputs if view_base(i, out) is None)
    for o in outputs:
        # An output that only views a computed buffer is returned as a NumPy view of it;
        # views of inputs are copied, since callers may write to results.
        base = view_base(o, out)
        if base is None or base is o or base.op in ("var", "const"):
            out.add(o)
    return out


def shared_expensive_nodes(order: list[Node], materialized: set[Node]) -> set[Node]:
    """Unmaterialised expensive nodes (see `Primitive.expensive`) that two or more kernels
    would evaluate."""
    readers: dict[Node, int] = {}
    for root in order:
        if root not in materialized or is_buffer(root) or kind(root) in ("contraction",
                                                                         "opaque"):
            continue
        seen: set[Node] = set()
        stack = list(root.inputs)
        while stack:
            n = stack.pop()
            if n in seen or n in materialized or is_buffer(n):
                continue
            seen.add(n)
            stack.extend(n.inputs)
        for n in seen:
            if n.op not in ("var", "const") and PRIMITIVES[n.op].expensive:
                readers[n] = readers.get(n, 0) + 1
    return {n for n, count in readers.items() if count > 1}


def kernel_name(root: Node) -> str:
    """A readable name from the ops a kernel computes (for listings and logs)."""
    ops: list[str] = []
    stack, seen = [root], set()
    while stack and len(ops) < 4:
        n = stack.pop()
        if id(n) in seen or n.op in ("var", "const"):
            continue
        seen.add(id(n))
        if n.op not in ops and PRIMITIVES[n.op].kind != "movement":
            ops.append(n.op)
        stack.extend(n.inputs)
    return "fused_" + "_".join(ops or [root.op])
