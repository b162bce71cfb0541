"""Fusion: decide which graph nodes are materialised; everything else is fused into kernels.

A node is materialised (gets a buffer) when it is a graph input or output, a reduction,
or a contraction or library op (and their operands). Every other node is evaluated inside
the kernels that consume it, so a chain of elementwise and movement ops becomes one kernel
and movement never copies. Elementwise work may be recomputed (in two kernels, or per element of a
broadcast, as XLA does): memory traffic costs more than arithmetic here. Reductions and
contractions are never recomputed, nor is a chain of expensive nodes. Kernels are bounded
in size (nodes evaluated, buffers read), so deep graphs become many kernels and compile
in time linear in their size.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Container

from ..trace import PRIMITIVES
from ..trace.graph import Node

#: At most this many buffers per kernel: its entry takes one pointer per buffer (a ctypes
#: call takes at most 1024 arguments, a CUDA kernel 4 KiB of parameters).
MAX_KERNEL_BUFFERS = 256
#: At most this many nodes evaluated per kernel. LLVM's loop vectoriser takes time
#: quadratic in the size of a loop body (one kernel of a 4,000-step `x * a + b` chain took
#: 12 s to optimise): longer chains are cut into kernels of this size, each cut costing
#: one store and one load per element, little next to hundreds of operations. Compile time
#: then grows linearly with the graph.
MAX_KERNEL_NODES = 256


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
    out.update(padded_windows(order))
    out.update(broadcast_computations(order, out))
    for o in outputs:
        # An output that only views a computed buffer is returned as a NumPy view of it;
        # views of inputs are copied, since callers may write to results.
        base = view_base(o, out)
        if base is None or base is o or base.op in ("var", "const"):
            out.add(o)
    out |= size_cuts(order, out)
    return out | expensive_chains(order, out)


def padded_windows(order: list[Node]) -> set[Node]:
    """Padded data that windows read (a `pad` under a `window_slices`, through reshapes and
    broadcasts): kept in memory, since evaluating the pad inside the window loops tests
    bounds at every read and turns the loops' contiguous loads into gathers; the copy costs
    one pass over the data."""
    found = set()
    for n in order:
        if n.op == "window_slices":
            x = n.inputs[0]
            while x.op in ("reshape", "broadcast_to"):
                x = x.inputs[0]
            if x.op == "pad":
                found.add(x)
    return found


#: A computed value broadcast to at least this many times its size, whose kernel would
#: evaluate at least `BROADCAST_MIN_NODES` operations, is materialised rather than
#: recomputed for every copy. Measured on the 2-core host: in a ResNet-18 training step the
#: max-pool gradient spread the cotangent over its 9 taps, and the kernel recomputed the
#: residual branch's BatchNorm and relu gradients (15 buffers) per tap: 21 ms, against
#: about 1 ms with the cotangent in memory. A few operations (a scale, a mask) cost less
#: to recompute than to store.
BROADCAST_MIN_REUSE = 4
BROADCAST_MIN_NODES = 8


def broadcast_computations(order: list[Node], materialized: set[Node]) -> set[Node]:
    """Computed values (under reshapes) that a `broadcast_to` copies `BROADCAST_MIN_REUSE`
    times or more and whose evaluation takes `BROADCAST_MIN_NODES` operations or more."""
    found: set[Node] = set()
    for n in order:
        if n.op != "broadcast_to":
            continue
        x = n.inputs[0]
        while x.op == "reshape":
            x = x.inputs[0]
        if (x in materialized or is_buffer(x) or x.op == "const"
                or n.aval.size < BROADCAST_MIN_REUSE * x.aval.size):
            continue
        if _evaluates_at_least(x, materialized | found, BROADCAST_MIN_NODES):
            found.add(x)
    return found


def _evaluates_at_least(root: Node, materialized: set[Node], count: int) -> bool:
    """Whether a kernel evaluating `root` evaluates `count` or more non-movement nodes."""
    seen: set[Node] = set()
    stack = [root]
    evaluated = 0
    while stack:
        n = stack.pop()
        if n in seen or (n is not root and n in materialized) or n.op in ("var", "const"):
            continue
        seen.add(n)
        if kind(n) != "movement":
            evaluated += 1
            if evaluated >= count:
                return True
        stack.extend(n.inputs)
    return False


def size_cuts(order: list[Node], materialized: set[Node]) -> set[Node]:
    """More nodes to materialise so that no kernel evaluates more than MAX_KERNEL_NODES
    nodes or reads more than MAX_KERNEL_BUFFERS buffers: where a node's kernel would, its
    computed operands become buffers.

    One pass, inputs first, over what a kernel evaluating each node would evaluate and read
    (sets of at most the limits, kept until the node's last user: linear in the graph).
    """
    cuts: set[Node] = set()
    users = Counter(i for n in order for i in set(n.inputs))
    nodes: dict[Node, set[Node]] = {}  # the fused nodes evaluating n evaluates
    reads: dict[Node, set[Node]] = {}  # the buffers it reads
    for n in order:
        if is_buffer(n) or kind(n) in ("contraction", "opaque"):
            nodes[n], reads[n] = set(), {n}
        elif n.op == "const":  # a scalar: a literal
            nodes[n], reads[n] = set(), set()
        else:
            operands = list(dict.fromkeys(n.inputs))
            k_nodes, k_reads = _union(operands, nodes, users), _union(operands, reads, users)
            k_nodes.add(n)
            if len(k_nodes) > MAX_KERNEL_NODES or len(k_reads) > MAX_KERNEL_BUFFERS:
                for i in operands:
                    if nodes[i] and reads[i] and i not in materialized:
                        cuts.add(i)
                        nodes[i], reads[i] = set(), {i}
                k_nodes = set().union(*(nodes[i] for i in operands))
                k_nodes.add(n)
                k_reads = set().union(*(reads[i] for i in operands))
            if n in materialized:
                nodes[n], reads[n] = set(), {n}
            else:
                nodes[n], reads[n] = k_nodes, k_reads
        for i in set(n.inputs):
            users[i] -= 1
            if not users[i]:
                del nodes[i], reads[i]
    return cuts


def _union(operands: list[Node], sets: dict[Node, set[Node]], users: Counter) -> set[Node]:
    """The union of the operands' sets; the largest one is reused (not copied) when its
    node has no other user left, so a chain costs no copying."""
    if not operands:
        return set()
    largest = max(operands, key=lambda i: len(sets[i]))
    out = sets[largest] if users[largest] == 1 else set(sets[largest])
    for i in operands:
        if i is not largest:
            out |= sets[i]
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


def expensive_chains(order: list[Node], materialized: set[Node]) -> set[Node]:
    """Expensive nodes that two or more kernels would evaluate and whose evaluation would
    evaluate another expensive node: each kernel would recompute a chain of them (an
    unrolled recurrence read by its backward pass), so they are materialised. (One
    expensive node, such as softmax's exp, is cheaper to recompute than to store.)"""
    shared = shared_expensive_nodes(order, materialized)
    chains: set[Node] = set()
    below: dict[Node, bool] = {}  # whether evaluating n evaluates an expensive node
    for n in order:
        if n in materialized or is_buffer(n) or n.op == "const":
            below[n] = False
            continue
        below[n] = any(below[i] or (i in shared and i not in chains) for i in n.inputs)
        if n in shared and below[n]:
            chains.add(n)
    return chains


def kernel_name(root: Node, materialized: Container[Node] = ()) -> str:
    """A readable name from the ops a kernel computes (for listings and logs); the walk
    ends at `materialized` nodes, which the kernel reads."""
    ops: list[str] = []
    stack, seen = [root], set()
    while stack and len(ops) < 4:
        n = stack.pop()
        if id(n) in seen or n.op in ("var", "const") or (n is not root and n in materialized):
            continue
        seen.add(id(n))
        if n.op not in ops and PRIMITIVES[n.op].kind != "movement":
            ops.append(n.op)
        stack.extend(n.inputs)
    return "fused_" + "_".join(ops or [root.op])
