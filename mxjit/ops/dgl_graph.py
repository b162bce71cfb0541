"""MXNet's DGL graph operators in the operator table (`_contrib_dgl_*`): their names,
parameters, and the shapes and dtypes of their outputs, which the input shapes and the
parameters fix (MXNet's FInferShape, with its checks).

Their values cannot be computed here. A DGL graph is a CSR matrix whose stored values are
edge ids counted from 0, and arrays in a trace are dense, where a stored 0 reads as no
edge. So each implementation is a stand-in for tracing (symbol shape inference): it checks
its inputs as MXNet's shape inference does and gives outputs of the right shapes and
dtypes, host calls that refuse to run (MXNet's type inference, with its checks, is
symbol/graph.py's OUTPUT_DTYPE_RULES). Their values come from the eager forms on CSR arrays
(`mx.nd.contrib.dgl_*`, nd/sparse_graph.py), which a bound symbol calls on its bound
arrays before its program runs (symbol/eager_stage.py).

    >>> g, s = mx.sym.var('g', stype='csr'), mx.sym.var('s')
    >>> mx.sym.contrib.dgl_subgraph(g, s, return_mapping=True).infer_shape(g=(5, 5), s=(3,))[1]
    [(3, 3), (3, 3)]
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import GradientError, ParamError, ShapeError, UnsupportedError
from ..core import Array
from ..core.dispatch import lift
from ..core.operators import SAME_SHAPE_INPUTS, register_operator
from ..trace import AbstractValue, apply
from .operands import int_param

_ID = np.dtype(np.int64)


class _NeedsCSR:
    """The host function of a stand-in's outputs: running it is an error, since the dense
    operands a compiled program holds have lost the graph's edge id 0."""

    def __init__(self, op: str):
        self.name = op

    def forward(self, operands: Sequence[np.ndarray]) -> list[np.ndarray]:
        public = self.name.removeprefix("_contrib_")
        raise UnsupportedError(
            f"{self.name}: its values need the CSR graph itself (its stored edge ids, 0 "
            f"included), and a compiled program holds arrays densely; call "
            f"mx.nd.contrib.{public} on CSR arrays, or bind a symbol whose graph inputs are "
            f"variables (the executor computes it before its program)")

    def backward(self, operands: Any, results: Any, cotangents: Any, wanted: Any) -> Any:
        raise GradientError(f"{self.name} has no gradient")


def _stand_ins(op: str, arrays: Sequence[Array], avals: Sequence[AbstractValue]) -> list[Array]:
    """Outputs of these shapes and dtypes over `arrays` (see the module docstring); no
    gradient flows into the operands."""
    call = _NeedsCSR(op)
    nodes = [apply("stop_gradient", a._node if a._node is not None else lift(a))
             for a in arrays]
    cls = arrays[0]._result_class
    return [cls._traced(apply("host_call", *nodes, fn=call, index=k, avals=tuple(avals)))
            for k in range(len(avals))]


# ---- checks as MXNet's inference makes them ---------------------------------------------------


def _ndim(op: str, what: str, x: Array, ndim: int) -> None:
    if x.ndim != ndim:
        raise ShapeError(f"{op}: {what} must be {ndim}-D, got shape {x.shape}")


def _check_count(op: str, num_args: int, arrays: Sequence[Array], fixed: int) -> None:
    """`num_args` arrays, more than the `fixed` first inputs (MXNet's check)."""
    if int_param(op, "num_args", num_args) != len(arrays):
        raise ParamError(f"{op}: num_args={num_args} but {len(arrays)} arrays given")
    if len(arrays) <= fixed:
        raise ParamError(f"{op}: num_args must be at least {fixed + 1}, got {num_args}")


def _sizes(op: str, **values: Any) -> list[int]:
    found = []
    for name, value in values.items():
        size = int_param(op, name, value)
        if size < 0:
            raise ParamError(f"{op}: {name} must be >= 0, got {value}")
        found.append(size)
    return found


# ---- neighbour sampling ---------------------------------------------------------------------


def _sampled_avals(op: str, graph: Array, probability: Array | None, seeds: Sequence[Array],
                   num_hops: int, num_neighbor: int, max_num_vertices: int
                   ) -> list[AbstractValue]:
    """The outputs of a sampler, each kind once per seed array: vertex ids
    (max_num_vertices + 1, the first seed array's dtype, as MXNet's), the sampled CSR
    graphs (max_num_vertices, vertices; the graph's dtype), the probabilities of the
    sampled vertices (the probability's dtype), layers (as the vertex ids)."""
    _ndim(op, "the graph", graph, 2)
    if graph.shape[0] != graph.shape[1]:
        raise ShapeError(f"{op}: the graph must be a square CSR matrix, got shape "
                         f"{graph.shape}")
    if probability is not None:
        _ndim(op, "probability", probability, 1)
    for s in seeds:
        _ndim(op, "each seed array", s, 1)
    _, _, n = _sizes(op, num_hops=num_hops, num_neighbor=num_neighbor,
                     max_num_vertices=max_num_vertices)
    seed = seeds[0]._dtype
    kinds = [((n + 1,), seed), ((n, graph.shape[1]), graph._dtype)]
    if probability is not None:
        kinds.append(((n,), probability._dtype))
    kinds.append(((n,), seed))
    return [AbstractValue(shape, dtype) for shape, dtype in kinds for _ in seeds]


@register_operator("_contrib_dgl_csr_neighbor_uniform_sample",
                   inputs=("csr_matrix", "seed_arrays"))
def dgl_csr_neighbor_uniform_sample(csr_matrix: Array, *seed_arrays: Array, num_args: int,
                                    num_hops: int = 1, num_neighbor: int = 2,
                                    max_num_vertices: int = 100) -> list[Array]:
    """Sample a subgraph around each seed array, up to `num_neighbor` neighbours of each
    vertex picked uniformly, for `num_hops` hops, up to `max_num_vertices` vertices: [vertex
    ids..., sampled CSR graphs..., layers...]. (Traced: shapes and dtypes only; its values
    come from the CSR graph, see the module docstring.)

    >>> mx.sym.contrib.dgl_csr_neighbor_uniform_sample(g, s, max_num_vertices=5)  # doctest: +SKIP
    """
    op = "dgl_csr_neighbor_uniform_sample"
    arrays = (csr_matrix, *seed_arrays)
    _check_count(op, num_args, arrays, 1)
    return _stand_ins(f"_contrib_{op}", arrays, _sampled_avals(
        op, csr_matrix, None, seed_arrays, num_hops, num_neighbor, max_num_vertices))


@register_operator("_contrib_dgl_csr_neighbor_non_uniform_sample",
                   inputs=("csr_matrix", "probability", "seed_arrays"))
def dgl_csr_neighbor_non_uniform_sample(csr_matrix: Array, probability: Array,
                                        *seed_arrays: Array, num_args: int, num_hops: int = 1,
                                        num_neighbor: int = 2, max_num_vertices: int = 100
                                        ) -> list[Array]:
    """As `dgl_csr_neighbor_uniform_sample`, neighbour v picked with weight
    `probability[v]`: [vertex ids..., sampled CSR graphs..., probabilities of the sampled
    vertices..., layers...]. (Traced: shapes and dtypes only.)

    >>> mx.sym.contrib.dgl_csr_neighbor_non_uniform_sample(g, p, s)  # doctest: +SKIP
    """
    op = "dgl_csr_neighbor_non_uniform_sample"
    arrays = (csr_matrix, probability, *seed_arrays)
    _check_count(op, num_args, arrays, 2)
    return _stand_ins(f"_contrib_{op}", arrays, _sampled_avals(
        op, csr_matrix, probability, seed_arrays, num_hops, num_neighbor, max_num_vertices))


# ---- subgraphs ------------------------------------------------------------------------------


@register_operator("_contrib_dgl_subgraph", inputs=("graph", "data"))
def dgl_subgraph(graph: Array, *data: Array, num_args: int, return_mapping: bool
                 ) -> list[Array]:
    """The subgraph of `graph` induced by each vertex array: (len, len) CSR matrices of
    new edge ids, then, with `return_mapping`, of the parent's edge ids. (Traced: shapes
    and dtypes only.)

    >>> mx.sym.contrib.dgl_subgraph(g, v, return_mapping=True)  # doctest: +SKIP
    """
    op = "dgl_subgraph"
    arrays = (graph, *data)
    _check_count(op, num_args, arrays, 1)
    _ndim(op, "the graph", graph, 2)
    for v in data:
        _ndim(op, "each vertex array", v, 1)
    shapes = [(v.shape[0], v.shape[0]) for v in data] * (2 if return_mapping else 1)
    return _stand_ins(f"_contrib_{op}", arrays, [AbstractValue(s, graph._dtype) for s in shapes])


@register_operator("_contrib_dgl_graph_compact", inputs=("graph_data",))
def dgl_graph_compact(*graph_data: Array, num_args: int, return_mapping: bool,
                      graph_sizes: tuple[int, ...]) -> list[Array]:
    """Compact the graphs a sampler gave (`graph_data`: the graphs, then their vertex-id
    arrays) to (size, size) CSR matrices, sizes from `graph_sizes`; with
    `return_mapping`, also the sampled graphs' edge ids. (Traced: shapes and dtypes only.)

    >>> mx.sym.contrib.dgl_graph_compact(sub, ids, graph_sizes=(4,),
    ...                                  return_mapping=False)  # doctest: +SKIP
    """
    op = "dgl_graph_compact"
    _check_count(op, num_args, graph_data, 1)
    sizes = _sizes(op, **{f"graph_sizes[{k}]": s for k, s in enumerate(graph_sizes)})
    k = len(graph_data) // 2
    if len(graph_data) % 2 or len(sizes) != k:
        raise ParamError(f"{op}: expected {len(sizes)} graphs then {len(sizes)} vertex-id "
                         f"arrays (one per entry of graph_sizes), got {len(graph_data)} arrays")
    for g, ids, size in zip(graph_data[:k], graph_data[k:], sizes):
        _ndim(op, "each graph", g, 2)
        _ndim(op, "each vertex-id array", ids, 1)
        if g.shape[0] < size or g.shape[1] < size or ids.shape[0] < size:
            raise ShapeError(f"{op}: graph_sizes entry {size} exceeds its graph's shape "
                             f"{g.shape} or its vertex ids' {ids.shape}")
    shapes = [(s, s) for s in sizes] * (2 if return_mapping else 1)
    return _stand_ins(f"_contrib_{op}", graph_data, [AbstractValue(s, _ID) for s in shapes])


# ---- adjacency ------------------------------------------------------------------------------


@register_operator("_contrib_dgl_adjacency")
def dgl_adjacency(data: Array) -> Array:
    """The adjacency matrix of the CSR graph `data` (int64 edge ids): its stored pattern
    with every value 1, float32, of data's shape. (Traced: shape and dtype only.)

    >>> mx.sym.contrib.dgl_adjacency(mx.sym.var('g', stype='csr'))  # doctest: +SKIP
    """
    return _stand_ins("_contrib_dgl_adjacency", (data,),
                      [AbstractValue(tuple(data.shape), np.dtype(np.float32))])[0]


# (MXNet's inference gives the graph the output's shape too)
SAME_SHAPE_INPUTS["_contrib_dgl_adjacency"] = ("data",)
