"""Graph nodes: immutable, hash-consed (op, inputs, attrs) with an abstract value.

Building the same node twice returns the same object, so common-subexpression
elimination is free and nodes are cheap dictionary keys.
"""
from __future__ import annotations

import hashlib
import itertools
import math
import operator
import weakref
from collections.abc import Callable, Container, Sequence
from typing import Any, NamedTuple, TypeVar

import numpy as np

T = TypeVar("T")


class AbstractValue(NamedTuple):
    """What is known of an array while tracing: its shape and dtype."""

    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def size(self) -> int:
        return math.prod(self.shape)  # (np.prod costs microseconds: this is a hot path)

    @property
    def ndim(self) -> int:
        return len(self.shape)


class ConstValue:
    """A NumPy array held by a `const` node, compared by content."""

    __slots__ = ("array", "_key")

    def __init__(self, array: np.ndarray):
        self.array = np.array(array, order="C")  # a private copy; keeps 0-d arrays 0-d
        self.array.setflags(write=False)
        digest = hashlib.blake2b(self.array.tobytes(), digest_size=16).hexdigest()
        self._key = (self.array.shape, str(self.array.dtype), digest)

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConstValue) and self._key == other._key

    def __repr__(self) -> str:
        if self.array.size == 1:
            return repr(self.array.reshape(()).item())
        return f"array{self.array.shape}"


_interned: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_var_ids = itertools.count()


class Node:
    """One primitive application; make nodes with `Node.make`, never directly."""

    __slots__ = ("op", "inputs", "attrs", "aval", "__weakref__")

    op: str
    inputs: tuple[Node, ...]
    attrs: tuple[tuple[str, Any], ...]
    aval: AbstractValue

    @staticmethod
    def make(op: str, inputs: tuple[Node, ...], attrs: dict[str, Any], aval: AbstractValue) -> Node:
        frozen = tuple(sorted(attrs.items()))
        # Inputs stay alive while this node does, so their ids are stable keys.
        key = (op, tuple(id(i) for i in inputs), frozen)
        node = _interned.get(key)
        if node is None:
            node = object.__new__(Node)
            node.op, node.inputs, node.attrs, node.aval = op, inputs, frozen, aval
            _interned[key] = node
        return node

    def attr(self, name: str) -> Any:
        for k, v in self.attrs:
            if k == name:
                return v
        raise KeyError(name)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return len(self.aval.shape)

    def __repr__(self) -> str:
        return f"Node({self.op}, {self.aval.shape}, {self.aval.dtype})"


def var(shape: tuple[int, ...], dtype: np.dtype) -> Node:
    """A fresh input node (never merged with another)."""
    aval = AbstractValue(tuple(shape), np.dtype(dtype))
    return Node.make("var", (), {"id": next(_var_ids)}, aval)


def const(value: Any, dtype: np.dtype | None = None) -> Node:
    """A constant node holding `value` (a scalar or a NumPy array)."""
    arr = np.asarray(value, dtype=dtype)
    return Node.make("const", (), {"value": ConstValue(arr)}, AbstractValue(arr.shape, arr.dtype))


def const_value(node: Node) -> np.ndarray | None:
    """The array of a `const` node, None for any other node."""
    return node.attr("value").array if node.op == "const" else None


def postorder(roots: Sequence[T], children: Callable[[T], Sequence[T]]) -> list[T]:
    """Every object reachable from `roots` through `children`, children before parents
    (iteratively: graphs are deeper than Python's recursion limit). Shared by the graph
    of nodes, the kernel expressions and autograd's records.

    >>> postorder([3], lambda k: [k - 1] if k else [])
    [0, 1, 2, 3]
    """
    order: list[T] = []
    seen: set[int] = set()
    stack: list[tuple[T, bool]] = [(r, False) for r in reversed(roots)]
    # (bound methods and a plain loop: a backward pass walks its tape with this every step)
    pop, push, visit, append = stack.pop, stack.append, seen.add, order.append
    while stack:
        item, expanded = pop()
        if expanded:
            append(item)
            continue
        key = id(item)
        if key in seen:
            continue
        visit(key)
        push((item, True))
        for c in reversed(children(item)):
            if id(c) not in seen:
                push((c, False))
    return order


def toposort(outputs: list[Node], stop: Container[Node] = ()) -> list[Node]:
    """Every node reachable from `outputs`, inputs before users; the nodes in `stop` are
    listed without their inputs."""
    if not stop:
        return postorder(outputs, _inputs)
    return postorder(outputs, lambda n: () if n in stop else n.inputs)


_inputs = operator.attrgetter("inputs")


def substitute(outputs: Sequence[Node], replacements: dict[Node, Node]) -> list[Node]:
    """The graph of `outputs` with each node in `replacements` replaced (its inputs are not
    visited): the same computation over other inputs. Nodes are rebuilt as they are, not
    simplified again.

    >>> x, y = var((2,), np.dtype('float32')), var((2,), np.dtype('float32'))
    >>> substitute([x], {x: y})[0] is y
    True
    """
    copies: dict[Node, Node] = dict(replacements)
    for n in toposort(list(outputs), stop=replacements):
        if n not in copies:
            copies[n] = Node.make(n.op, tuple(copies[i] for i in n.inputs), dict(n.attrs),
                                  n.aval)
    return [copies[o] for o in outputs]


def format_graph(outputs: list[Node], inputs: list[Node]) -> str:
    """A readable listing of the graph, one node per line.

    >>> x = var((2,), np.dtype('float32')); print(format_graph([x], [x]))  # doctest: +SKIP
    """
    order = toposort(outputs)
    names: dict[Node, str] = {}
    for k, n in enumerate(inputs):
        names[n] = f"in{k}"
    lines = [f"  {names[n]}: {_fmt_aval(n.aval)}" for n in inputs]
    for n in order:
        if n in names:
            continue
        names[n] = f"%{len(names) - len(inputs)}"
        if n.op == "const":
            rhs = f"const {n.attr('value')!r}"
        else:
            args = ", ".join(names[i] for i in n.inputs)
            attrs = "".join(f", {k}={v}" for k, v in n.attrs)
            rhs = f"{n.op}({args}{attrs})"
        lines.append(f"  {names[n]}: {_fmt_aval(n.aval)} = {rhs}")
    lines.append("  return " + ", ".join(names[o] for o in outputs))
    return "\n".join(lines)


def _fmt_aval(a: AbstractValue) -> str:
    return f"{a.dtype}[{','.join(map(str, a.shape))}]"
