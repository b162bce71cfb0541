"""What a bound symbol computes before its compiled program, on the bound arrays
themselves: the nodes of MXNet's DGL graph operators (`evaluate.EAGER_FORMS`), whose
values come from a CSR graph's stored edge ids, 0 included, which the program's dense
copies of the arguments have lost.

`EagerStage(heads)` finds those nodes and refuses one whose input the program would
compute. Each forward pass, `run` calls their eager forms (`mx.nd.contrib.dgl_*`, the
samplers drawing from mxjit's random streams) on the bound arrays and the results of the
stage's earlier nodes; `program_inputs` are dense copies of the results that program
nodes read, which enter the program as extra inputs and `given` maps back to their
nodes there; `merge` puts the results that are graph outputs among the program's
outputs, as the eager forms gave them (CSR or dense, as MXNet's executor gives them).
None of this has a gradient (MXNet's operators have none).

    >>> stage = EagerStage(sym._outputs)  # doctest: +SKIP
    >>> results = stage.run({id(graph_node): csr_graph, id(seed_node): seeds})  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..base import UnsupportedError
from ..nd.sparse_storage import BaseSparseNDArray, cast_storage
from .evaluate import EAGER_FORMS, call_node
from .graph import Node, topological

Entry = tuple[Node, int]


class EagerStage:
    """The DGL graph nodes of a bound graph (see the module docstring)."""

    def __init__(self, heads: Sequence[Entry]):
        order = topological(heads)
        self.nodes = [n for n in order if n.op is not None and n.op.name in EAGER_FORMS]
        self._ids = {id(n) for n in self.nodes}
        for node in self.nodes:
            for k, (source, _) in enumerate(node.inputs):
                if source.op is not None and id(source) not in self._ids:
                    _refuse(node, k, source)
        read: dict[tuple[int, int], Entry] = {}
        for node in order:
            if node.op is not None and id(node) not in self._ids:
                read.update({(id(s), k): (s, k) for s, k in node.inputs if id(s) in self._ids})
        #: the results program nodes read, in the order they enter the program
        self.fed = list(read.values())

    def computes(self, entry: Entry) -> bool:
        """Whether the stage gives this output (else the program does)."""
        return id(entry[0]) in self._ids

    def run(self, bound: dict[int, Any]) -> dict[int, list[Any]]:
        """Every stage node's outputs (by node id), from the variables' bound arrays (by
        node id)."""
        results: dict[int, list[Any]] = {}
        for node in self.nodes:
            args = [bound[id(s)] if s.op is None else results[id(s)][k] for s, k in node.inputs]
            results[id(node)] = call_node(node, args)
        return results

    def program_inputs(self, results: dict[int, list[Any]]) -> list[Any]:
        """Dense copies of the results that program nodes read (`fed`)."""
        return [_dense(results[id(n)][k]) for n, k in self.fed]

    def given(self, values: Sequence[Any]) -> dict[int, list[Any]]:
        """The program's extra inputs `values` as the outputs of their nodes (by id), which
        `evaluate` takes as computed; outputs the program does not read are None."""
        given: dict[int, list[Any]] = {}
        for (node, k), value in zip(self.fed, values):
            given.setdefault(id(node), [None] * node.num_outputs())[k] = value
        return given

    def merge(self, heads: Sequence[Entry], program_values: Sequence[Any],
              results: dict[int, list[Any]]) -> list[Any]:
        """The values of `heads`: the stage's results where it computes them, else the
        program's values (of the other heads, in order)."""
        rest = iter(program_values)
        return [results[id(n)][k] if id(n) in self._ids else next(rest) for n, k in heads]


def _refuse(node: Node, k: int, source: Node) -> None:
    assert node.op is not None and source.op is not None
    raise UnsupportedError(
        f"{node.op.name} {node.name!r}: its input {k} is computed by {source.op.name} "
        f"{source.name!r}; a bound symbol computes its DGL graph operators before the "
        f"program, on bound arrays (the program holds a CSR graph densely, losing edge id "
        f"0), so their inputs must be variables or other DGL graph operators' outputs")


def _dense(value: Any) -> Any:
    return cast_storage(value, "default") if isinstance(value, BaseSparseNDArray) else value
