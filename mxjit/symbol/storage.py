"""Storage types in a bound symbol, as MXNet's executor assigns them (its FInferStorageType
passes): which outputs come back as CSR or row_sparse arrays, and which storage type
`simple_bind` gives each gradient array. The bound program computes every value densely
(the DGL graph operators' aside: eager_stage.py computes them on the bound arrays); these
rules only say how the results are handed back.

A rule covers an operator that changes storage in MXNet (each checked against MXNet
1.9.1's executor): `cast_storage`, `retain`, `adagrad_update`, the unary functions that
keep 0 (`relu(csr)` is CSR), the elementwise `+ - * max min hypot` of sparse operands,
`broadcast_mul`/`_div` of a CSR matrix, `dot` with a CSR operand, the DGL graph
operators (their graphs are CSR), and the weight gradient of `Embedding(sparse_grad=True)`
and `SparseEmbedding`. Any other operator gives dense results and dense input gradients.

    >>> output_storage(sym._outputs, {id(x_node): 'row_sparse'})  # doctest: +SKIP
    ['row_sparse']
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core.operators import lookup
from ..nd.sparse_elementwise import ZERO_PRESERVING
from .graph import Node, topological

DEFAULT, CSR, ROW_SPARSE = "default", "csr", "row_sparse"
_SPARSE = (CSR, ROW_SPARSE)

Entry = tuple[int, int]  # (id of a node, output index)
#: (parameters, input storage types) -> output storage types.
ForwardRule = Callable[[dict[str, Any], list[str]], list[str]]
#: (parameters, input storage types, output-gradient storage types) -> input-gradient ones.
BackwardRule = Callable[[dict[str, Any], list[str], list[str]], list[str]]


def _same(stypes: list[str]) -> list[str]:
    return [stypes[0]]


def _add(p: dict[str, Any], s: list[str]) -> list[str]:
    """csr + csr is csr, row_sparse + row_sparse is row_sparse (so for -, max, min, hypot)."""
    return [s[0] if s[0] == s[1] else DEFAULT]


def _scale_csr(p: dict[str, Any], s: list[str]) -> list[str]:
    """A CSR matrix times (or over) a dense one broadcast to it stays CSR."""
    return [CSR if s == [CSR, DEFAULT] else DEFAULT]


def _mul(p: dict[str, Any], s: list[str]) -> list[str]:
    """Sparse times the same type or dense keeps the sparse type."""
    if s[0] == s[1] or DEFAULT in s:
        return [s[1] if s[0] == DEFAULT else s[0]]
    return [DEFAULT]  # (csr * row_sparse)


def _dot(p: dict[str, Any], s: list[str]) -> list[str]:
    """dot(csr.T, dense or row_sparse) is row_sparse, dot(dense, csr) is csr."""
    ta, tb = p.get("transpose_a", False), p.get("transpose_b", False)
    if s[0] == CSR and ta and not tb and s[1] != CSR:
        return [ROW_SPARSE]
    if s[0] == DEFAULT and s[1] == CSR and not ta:
        return [CSR]
    return [DEFAULT]


def _sampled(groups: tuple[str, ...], fixed: int) -> ForwardRule:
    """A DGL neighbour sampler's outputs: one of each of `groups` per seed array (the
    inputs past the `fixed` first), all of the first group first."""
    return lambda p, s: [stype for stype in groups for _ in range(len(s) - fixed)]


def _all_csr(p: dict[str, Any], s: list[str]) -> list[str]:
    """Every output is CSR (dgl_subgraph, dgl_graph_compact: at most one per input)."""
    return [CSR] * (2 * len(s))


FORWARD_RULES: dict[str, ForwardRule] = {
    "cast_storage": lambda p, s: [p["stype"]],
    "_sparse_retain": lambda p, s: [ROW_SPARSE],
    "_sparse_adagrad_update": lambda p, s: _same(s),  # (the weight's)
    **{lookup(name).name: lambda p, s: _same(s) for name in ZERO_PRESERVING},
    **dict.fromkeys(("elemwise_add", "elemwise_sub", "_maximum", "_minimum", "_hypot"), _add),
    "elemwise_mul": _mul, "broadcast_mul": _scale_csr, "broadcast_div": _scale_csr,
    "dot": _dot,
    "_contrib_dgl_csr_neighbor_uniform_sample": _sampled((DEFAULT, CSR, DEFAULT), 1),
    "_contrib_dgl_csr_neighbor_non_uniform_sample": _sampled(
        (DEFAULT, CSR, DEFAULT, DEFAULT), 2),
    "_contrib_dgl_subgraph": _all_csr, "_contrib_dgl_graph_compact": _all_csr,
    "_contrib_dgl_adjacency": lambda p, s: [CSR],
}


def _dot_grads(p: dict[str, Any], s: list[str], og: list[str]) -> list[str]:
    """The gradient of dot(csr, x)'s x is row_sparse (csr.T times the head gradient)."""
    plain = not p.get("transpose_a", False) and not p.get("transpose_b", False)
    return [DEFAULT, ROW_SPARSE if plain and s[0] == CSR else DEFAULT]


BACKWARD_RULES: dict[str, BackwardRule] = {
    "cast_storage": lambda p, s, og: [og[0]],  # (the head gradient passes through)
    "_sparse_retain": lambda p, s, og: [ROW_SPARSE, DEFAULT],
    "dot": _dot_grads,
    # (the embedding's weight gradient stores the rows the batch looked up)
    "Embedding": lambda p, s, og: [DEFAULT, ROW_SPARSE if p.get("sparse_grad") else DEFAULT],
    "_contrib_SparseEmbedding": lambda p, s, og: [DEFAULT, ROW_SPARSE],
}


def _forward(outputs: Sequence[tuple[Node, int]], variables: dict[int, str]
             ) -> dict[Entry, str]:
    """The storage type of every output of every node."""
    found: dict[Entry, str] = {}
    for node in topological(outputs):
        if node.op is None:
            found[(id(node), 0)] = variables.get(id(node), DEFAULT)
            continue
        rule = FORWARD_RULES.get(node.op.name)
        inputs = [found[(id(n), k)] for n, k in node.inputs]
        made = rule(node.params(), inputs) if rule else []
        for k in range(node.num_outputs()):
            found[(id(node), k)] = made[k] if k < len(made) else DEFAULT
    return found


def output_storage(outputs: Sequence[tuple[Node, int]], variables: dict[int, str]
                   ) -> list[str]:
    """The storage type of each output, given the variables' (by node id; dense if not
    given).

    >>> output_storage(mx.sym.cast_storage(x, 'csr')._outputs, {})  # doctest: +SKIP
    ['csr']
    """
    found = _forward(outputs, variables)
    return [found[(id(n), k)] for n, k in outputs]


def _summed(stypes: list[str]) -> str:
    """The storage type of a sum of gradients: row_sparse ones add to a row_sparse one."""
    if len(set(stypes)) == 1 and (len(stypes) == 1 or stypes[0] == ROW_SPARSE):
        return stypes[0]
    return DEFAULT


def gradient_storage(outputs: Sequence[tuple[Node, int]], variables: dict[int, str]
                     ) -> dict[int, str]:
    """The storage type of each variable's gradient (by node id), the head gradients
    having their outputs' storage types, as `simple_bind` allocates them.

    >>> gradient_storage(mx.sym.sparse.retain(x, i)._outputs, {})[id(x_node)]  # doctest: +SKIP
    'row_sparse'
    """
    forward = _forward(outputs, variables)
    parts: dict[Entry, list[str]] = {}
    for n, k in outputs:
        parts.setdefault((id(n), k), []).append(forward[(id(n), k)])
    order = topological(outputs)
    for node in reversed(order):
        if node.op is None:
            continue
        heads = [_summed(parts.get((id(node), k), [DEFAULT]))
                 for k in range(node.num_outputs())]
        inputs = [forward[(id(n), k)] for n, k in node.inputs]
        rule = BACKWARD_RULES.get(node.op.name)
        grads = rule(node.params(), inputs, heads) if rule else [DEFAULT] * len(inputs)
        for (src, k), g in zip(node.inputs, grads):
            parts.setdefault((id(src), k), []).append(g)
    return {id(n): _summed(parts.get((id(n), 0), [DEFAULT])) for n in order if n.op is None}
