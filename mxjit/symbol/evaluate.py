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

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import MXNetError
from ..core import default_array_class
from ..core.operators import INPUT_SHAPE_RULES, PendingInput
from ..core.trace_state import TraceState, trace_stack
from ..trace import var
from .graph import Node, topological

#: MXNet's dtype codes (the `__dtype__` attribute of variables).
DTYPE_CODES = {0: "float32", 1: "float64", 2: "float16", 3: "uint8", 4: "int32", 5: "int8",
               6: "int64", 7: "bool"}
CODE_OF = {np.dtype(v): k for k, v in DTYPE_CODES.items()}


def call_node(node: Node, args: Sequence[Any]) -> list[Any]:
    """The outputs of `node`'s operator on `args`; an error names the node."""
    op = node.op
    assert op is not None
    params = node.params()
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
    for node in topological(outputs):
        if node.op is None:
            if id(node) not in feeds:
                raise MXNetError(f"variable {node.name!r} has no value: give it when binding")
            results[id(node)] = [feeds[id(node)]]
        else:
            results[id(node)] = call_node(node, [results[id(n)][k] for n, k in node.inputs])
    return [results[id(n)][k] for n, k in outputs]


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


def infer(outputs: Sequence[tuple[Node, int]], known: dict[int, tuple[Any, Any]]
          ) -> tuple[dict[int, Any], list[Any]]:
    """Trace the graph on abstract values: (the traced value of each variable node that got
    one, by id; the traced value of each output or None where unknown). `known` gives
    (shape or None, dtype) per variable node id."""
    state = TraceState()
    stack = trace_stack()
    stack.append(state)
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
            args = []
            for src, k in node.inputs:
                got = results[id(src)]
                value = None if got is None else got[k]
                if isinstance(value, PendingVariable) and value.value is not None:
                    value = value.value
                args.append(value)
            results[id(node)] = _infer_node(node, args)
        values = {i: p.value for i, p in pending.items() if p.value is not None}
        values.update({id(n): r[0] for n in topological(outputs) if n.op is None
                       and (r := results[id(n)]) is not None
                       and not isinstance(r[0], PendingVariable)})
        outs = []
        for n, k in outputs:
            got = results[id(n)]
            value = None if got is None else got[k]
            outs.append(value.value if isinstance(value, PendingVariable) else value)
        return values, outs
    finally:
        stack.pop()


def _infer_node(node: Node, args: list[Any]) -> list[Any] | None:
    """The node's outputs traced, or None when an input stays unknown."""
    if any(a is None for a in args):
        return None
    if any(isinstance(a, PendingVariable) for a in args):
        op = node.op
        assert op is not None
        names = node.input_names() if not op.variadic else []
        rule = INPUT_SHAPE_RULES.get(op.name)
        shapes = {n: tuple(a.shape) for n, a in zip(names, args)
                  if not isinstance(a, PendingVariable)}
        try:
            found = rule(shapes, **node.params()) if rule is not None and names else {}
        except KeyError:  # (the rule needs an input that is unknown too)
            found = {}
        for k, (n, a) in enumerate(zip(names, args)):
            if isinstance(a, PendingVariable) and n in found:
                args[k] = a.resolve(tuple(found[n]))
        if any(isinstance(a, PendingVariable) for a in args):
            return None
    return call_node(node, args)
