"""Running a symbol graph: each node calls its operator's implementation on the arrays of
its inputs (traced arrays when binding, so a bound symbol is one compiled program), and
shape and dtype inference by tracing the graph on abstract values.

Inference gives every variable whose shape is known a traced value and the others a
`PendingVariable`; an operator meeting a pending input completes its shape through its
input-shape rule (FullyConnected's weight from its data), as MXNet's backward shape
inference does. Nodes that cannot be computed (an input still unknown) have unknown
outputs, which `infer_shape_partial` reports as empty shapes.

    >>> outs = evaluate(sym._outputs, {id(node): array for node, array in feeds})  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..base import MXNetError, ShapeError
from ..core import default_array_class
from ..core.operators import INPUT_SHAPE_RULES, PendingInput
from ..core.trace_state import TraceState, trace_stack
from ..trace import var
from .graph import Node, topological

#: MXNet's dtype codes (the `__dtype__` attribute of variables).
DTYPE_CODES = {0: "float32", 1: "float64", 2: "float16", 3: "uint8", 4: "int32", 5: "int8",
               6: "int64", 7: "bool"}
CODE_OF = {np.dtype(v): k for k, v in DTYPE_CODES.items()}


def call_node(node: Node, args: Sequence[Any], **overrides: Any) -> list[Any]:
    """The outputs of `node`'s operator on `args` (with parameters in `overrides` replaced);
    an error names the node."""
    op = node.op
    assert op is not None
    params = {**node.params(), **overrides}
    if node.subgraphs:
        params["subgraphs"] = [subgraph_function(heads) for heads in node.subgraphs]
    try:
        names = [] if op.variadic else node.input_names()
        if op.variadic or list(op.inputs[:len(names)]) == names:
            out = op.impl(*args, **params)  # (some implementations take arrays by position only)
        else:
            out = op.impl(**dict(zip(names, args)), **params)
    except MXNetError as e:
        e.args = (f"{op.name} {node.name!r}: {e}",) + e.args[1:]
        raise
    return list(out) if isinstance(out, (list, tuple)) else [out]


def evaluate(outputs: Sequence[tuple[Node, int]], feeds: dict[int, Any]) -> list[Any]:
    """The values of `outputs` with each variable node (by id) given in `feeds`."""
    results: dict[int, list[Any]] = {}
    solved: dict[int, tuple[int, ...]] | None = None  # (open creations' shapes, when met)
    for node in topological(outputs):
        if node.op is None:
            if id(node) not in feeds:
                raise MXNetError(f"variable {node.name!r} has no value: give it when binding")
            results[id(node)] = [feeds[id(node)]]
        elif _is_open_creation(node):
            if solved is None:
                solved = _solve_creations(outputs, {i: (tuple(a.shape), a.dtype)
                                                    for i, a in feeds.items()})
            shape = solved.get(id(node), tuple(node.params()["shape"]))
            results[id(node)] = ([call_node(node, [], shape=shape)[0]] if 0 not in shape
                                 else [PendingCreation(node, shape)])
        else:
            args = [_settled(results[id(n)][k]) for n, k in node.inputs]
            if not _complete(node, args):
                raise ShapeError(f"{node.op.name} {node.name!r}: cannot infer the shape of "
                                 f"{_pending_names(args)} from its other inputs")
            results[id(node)] = call_node(node, args)
    outs = [_settled(results[id(n)][k]) for n, k in outputs]
    if _pending_names(outs):
        raise ShapeError(f"the shape of {_pending_names(outs)} is never constrained: give "
                         f"its full shape")
    return outs


def subgraph_function(outputs: Sequence[tuple[Node, int]]) -> Any:
    """The graph with these outputs as a function of its variables' arrays (in
    `list_inputs()` order) that returns the list of its outputs: a control-flow body.

    >>> body = subgraph_function(node.subgraphs[0])  # doctest: +SKIP
    """
    variables = [n for n in topological(outputs) if n.op is None]

    def body(*arrays: Any) -> list[Any]:
        if len(arrays) != len(variables):
            raise MXNetError(f"a subgraph of inputs {[v.name for v in variables]} got "
                             f"{len(arrays)} arrays")
        return evaluate(outputs, {id(v): a for v, a in zip(variables, arrays)})

    return body


class PendingVariable(PendingInput):
    """A variable whose shape inference has not found yet."""

    def __init__(self, node: Node, dtype: np.dtype):
        self.node = node
        self.dtype = dtype
        self.value: Any = None

    def resolve(self, shape: tuple[int, ...]) -> Any:
        if self.value is None:
            self.value = default_array_class()._traced(var(tuple(shape), self.dtype))
        return self.value

    def describe(self) -> str:
        return f"variable {self.node.name!r}"


class PendingCreation(PendingInput):
    """A node that creates an array from its attributes alone (`zeros`, `ones`, `full`,
    the random samplers) with a 0 in its `shape`: as in MXNet, that dimension is for shape
    inference to find (an RNN's begin state of batch 0), from the nodes that consume it.
    `template` is its shape with what is known so far."""

    def __init__(self, node: Node, template: tuple[int, ...]):
        self.node = node
        self.template = template
        self.value: Any = None

    def resolve(self, shape: tuple[int, ...]) -> Any:
        t = self.template
        if len(shape) != len(t) or any(d and d != s for d, s in zip(t, shape)):
            raise ShapeError(f"{self.describe()} cannot take the shape {tuple(shape)} its "
                             f"consumer needs")
        if self.value is None:
            self.value = call_node(self.node, [], shape=tuple(shape))[0]
        return self.value

    def with_sentinels(self, sentinels: Iterator[int]) -> _Provisional:
        """Its value traced with a sentinel size for each unknown dimension."""
        shape, dims = list(self.template), {}
        for axis, d in enumerate(shape):
            if d == 0:
                shape[axis] = next(sentinels)
                dims[shape[axis]] = (id(self.node), axis)
        return _Provisional(call_node(self.node, [], shape=tuple(shape))[0], dims)

    def describe(self) -> str:
        op = self.node.op.name if self.node.op else "null"
        return f"{op} {self.node.name!r} of shape {self.template}"


class _Provisional:
    """A value traced with sentinel sizes standing for the unknown dimensions of open
    creations (`dims`: sentinel -> (creation node id, axis)). Where a later node's
    input-shape rule says what such an input must be, the sentinels are solved."""

    def __init__(self, value: Any, dims: dict[int, tuple[int, int]]):
        self.value = value
        self.dims = dims

    def solve(self, shape: tuple[int, ...]) -> dict[tuple[int, int], int]:
        """(creation node id, axis) -> size, from the shape this value must have."""
        mine = tuple(self.value.shape)
        if len(mine) != len(shape):
            return {}
        return {self.dims[m]: int(d) for m, d in zip(mine, shape) if m in self.dims and d > 0}


def _sentinels() -> Iterator[int]:
    """Primes from 99991 down: sizes no real dimension is likely to have."""
    n = 99991
    while True:
        if all(n % p for p in range(2, int(n ** 0.5) + 1)):
            yield n
        n -= 2


def _is_open_creation(node: Node) -> bool:
    """Whether `node` is a creation operator whose shape has dimensions left to infer."""
    if node.inputs or node.op is None or "shape" not in node.attrs:
        return False
    shape = node.params().get("shape")
    return isinstance(shape, tuple) and 0 in shape


def _settled(value: Any) -> Any:
    """A pending value that has been resolved is its array."""
    resolved = isinstance(value, (PendingVariable, PendingCreation)) and value.value is not None
    return value.value if resolved else value


def _pending_names(args: Sequence[Any]) -> list[str]:
    return [a.describe() for a in args if isinstance(a, PendingInput)]


def _complete(node: Node, args: list[Any]) -> bool:
    """Resolve the pending arguments of `node` in place through its operator's input-shape
    rule; whether none is left pending."""
    if not any(isinstance(a, PendingInput) for a in args):
        return True
    found = _rule_shapes(node, args)
    for k, (n, a) in enumerate(zip(_input_names(node), args)):
        if isinstance(a, PendingInput) and n in found:
            args[k] = a.resolve(tuple(found[n]))
    return not any(isinstance(a, PendingInput) for a in args)


def infer(outputs: Sequence[tuple[Node, int]], known: dict[int, tuple[Any, Any]]
          ) -> tuple[dict[int, Any], list[Any]]:
    """Trace the graph on abstract values: (the traced value of each variable node that got
    one, by id; the traced value of each output or None where unknown). `known` gives
    (shape or None, dtype) per variable node id."""
    values, outs, _ = _fixpoint(outputs, known)
    return values, outs


def _solve_creations(outputs: Sequence[tuple[Node, int]], known: dict[int, tuple[Any, Any]]
                     ) -> dict[int, tuple[int, ...]]:
    """The shapes shape inference finds for the open creations, by node id."""
    return _fixpoint(outputs, known)[2]


def _fixpoint(outputs: Sequence[tuple[Node, int]], known: dict[int, tuple[Any, Any]]
              ) -> tuple[dict[int, Any], list[Any], dict[int, tuple[int, ...]]]:
    """Passes of inference until no open creation's dimension is found any more (each
    pass that finds one fills at least one dimension, so this ends)."""
    solved: dict[int, tuple[int, ...]] = {}
    while True:
        found: dict[tuple[int, int], int] = {}
        values, outs = _infer_pass(outputs, known, solved, found)
        if not found:
            return values, outs, solved
        for (node_id, axis), size in found.items():
            shape = list(solved.get(node_id) or _creation_shape(outputs, node_id))
            shape[axis] = size
            solved[node_id] = tuple(shape)


def _creation_shape(outputs: Sequence[tuple[Node, int]], node_id: int) -> tuple[int, ...]:
    node = next(n for n in topological(outputs) if id(n) == node_id)
    return tuple(node.params()["shape"])


def _infer_pass(outputs: Sequence[tuple[Node, int]], known: dict[int, tuple[Any, Any]],
                solved: dict[int, tuple[int, ...]], found: dict[tuple[int, int], int]
                ) -> tuple[dict[int, Any], list[Any]]:
    """One tracing of the graph, with the open creations' shapes found so far in `solved`;
    dimensions it finds for them go to `found` (another pass is then due)."""
    state = TraceState()
    stack = trace_stack()
    stack.append(state)
    sentinels = _sentinels()
    try:
        results: dict[int, list[Any] | None] = {}
        pending: dict[int, PendingVariable] = {}
        for node in topological(outputs):
            if node.op is None:
                shape, dtype = known[id(node)]
                if shape is not None and all(d > 0 for d in shape) or shape == ():
                    results[id(node)] = [default_array_class()._traced(
                        var(tuple(shape), np.dtype(dtype)))]
                else:
                    pending[id(node)] = PendingVariable(node, np.dtype(dtype))
                    results[id(node)] = [pending[id(node)]]
                continue
            if _is_open_creation(node):
                shape = solved.get(id(node), tuple(node.params()["shape"]))
                results[id(node)] = ([call_node(node, [], shape=shape)[0]] if 0 not in shape
                                     else [PendingCreation(node, shape)])
                continue
            args = []
            for src, k in node.inputs:
                got = results[id(src)]
                args.append(None if got is None else _settled(got[k]))
            results[id(node)] = _infer_node(node, args, sentinels, found)
            if found:
                return {}, []
        values = {i: p.value for i, p in pending.items() if p.value is not None}
        values.update({id(n): r[0] for n in topological(outputs) if n.op is None
                       and (r := results[id(n)]) is not None
                       and not isinstance(r[0], PendingVariable)})
        outs = []
        for n, k in outputs:
            got = results[id(n)]
            value = None if got is None else _settled(got[k])
            outs.append(None if isinstance(value, (PendingInput, _Provisional)) else value)
        return values, outs
    finally:
        stack.pop()


def _infer_node(node: Node, args: list[Any], sentinels: Iterator[int],
                found: dict[tuple[int, int], int]) -> list[Any] | None:
    """The node's outputs traced; None when an input stays unknown; provisional values
    when an open creation's dimension is still unknown (what this node's input-shape rule
    says about such an input goes to `found`)."""
    if any(a is None for a in args):
        return None
    if any(isinstance(a, _Provisional) for a in args):
        expected = _rule_shapes(node, args)
        for name, a in zip(_input_names(node), args):
            if isinstance(a, _Provisional) and name in expected:
                found.update(a.solve(tuple(expected[name])))
        if found:
            return None
    elif _complete(node, args):
        return call_node(node, args)
    if any(isinstance(a, PendingVariable) for a in args):
        return None
    dims = {}
    traced = []
    for a in args:
        if isinstance(a, PendingCreation):
            a = a.with_sentinels(sentinels)
        if isinstance(a, _Provisional):
            dims.update(a.dims)
            a = a.value
        traced.append(a)
    try:
        return [_Provisional(out, dims) for out in call_node(node, traced)]
    except MXNetError:  # (the sentinel sizes do not fit this operator: unknown)
        return None


def _input_names(node: Node) -> list[str]:
    op = node.op
    assert op is not None
    return node.input_names() if not op.variadic or op.signature else []


def _rule_shapes(node: Node, args: list[Any]) -> dict[str, tuple[int, ...]]:
    """What the operator's input-shape rule says its inputs are, from the known ones."""
    assert node.op is not None
    names = _input_names(node)
    rule = INPUT_SHAPE_RULES.get(node.op.name)
    shapes = {n: tuple(a.shape) for n, a in zip(names, args)
              if not isinstance(a, (PendingInput, _Provisional))}
    try:
        return rule(shapes, **node.params()) if rule is not None and names else {}
    except KeyError:  # (the rule needs an input that is unknown too)
        return {}
