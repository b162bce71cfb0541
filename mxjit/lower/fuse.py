"""Fusion: decide which graph nodes are materialised; everything else is fused into kernels.

A node is materialised (gets a buffer) when it is a graph input or output, a reduction,
or a contraction or library op (and their operands). Every other node is evaluated inside
the kernels that consume it, so a chain of elementwise and movement ops becomes one kernel
and movement never copies. Elementwise work may be recomputed (in two kernels, or per element of a
broadcast, as XLA does): memory traffic costs more than arithmetic here. Reductions and
contractions are never recomputed.
"""
from __future__ import annotations

from ..trace.graph import Node
from ..trace.ops import PRIMITIVES

#: Movement ops that NumPy can apply to a buffer as a view for a library call.
VIEW_OPS = frozenset({"transpose", "reshape", "broadcast_to", "slice", "flip", "mark",
                      "stop_gradient"})


def kind(node: Node) -> str:
    if node.op in ("var", "const"):
        return node.op
    return PRIMITIVES[node.op].kind


def is_buffer(node: Node) -> bool:
    """Inputs and non-scalar constants live in memory; scalar constants are literals."""
    return node.op == "var" or (node.op == "const" and node.aval.size != 1)


def view_base(node: Node, materialized: set[Node]) -> Node | None:
    """The buffer under a chain of view ops, or None when the chain computes something."""
    while node not in materialized and not is_buffer(node):
        if node.op not in VIEW_OPS:
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


#: Elementwise ops that cost many times a load or a store. When two kernels would each
#: recompute one, the CPU keeps its value in a row chain's scratch instead (chain.py).
EXPENSIVE_OPS = frozenset({"exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos",
                           "tan", "tanh", "sigmoid", "erf", "erfinv", "pow", "arcsin",
                           "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh",
                           "arctanh", "cbrt", "gamma", "gammaln"})


def shared_expensive_nodes(order: list[Node], materialized: set[Node]) -> set[Node]:
    """Unmaterialised nodes of `EXPENSIVE_OPS` that two or more kernels would evaluate."""
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
            if n.op in EXPENSIVE_OPS:
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
