"""The graph operators of `mx.nd.contrib` (DGL's): graphs are CSR adjacency matrices whose
row v holds v's neighbours as columns and the edge ids as values.

`dgl_csr_neighbor_uniform_sample` / `_non_uniform_sample` grow a subgraph from seed
vertices breadth-first, keeping at most `num_neighbor` sampled neighbours of each vertex
for `num_hops` hops; `dgl_graph_compact` renumbers such a subgraph's vertices;
`dgl_subgraph` is the subgraph induced by a vertex set; `edge_id` reads edge ids;
`dgl_adjacency` gives the 0/1 adjacency matrix. Sampling draws from mxjit's random
streams (`mx.random.seed` reproduces it): a uniform sample keeps the neighbours with the
smallest of one uniform number per edge, a weighted one the smallest of
-log(u) / probability (the same law as drawing one at a time without replacement).

    >>> g = mx.nd.sparse.csr_matrix(([1, 2], [1, 0], [0, 1, 2]), shape=(2, 2), dtype='int64')
    >>> mx.nd.contrib.edge_id(g, mx.nd.array([0, 0]), mx.nd.array([1, 0])).asnumpy()
    array([ 1, -1])
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, MXNetIndexError, ParamError, ShapeError
from ..ops.operands import int_param, variadic_arrays
from ..ops.random import unit_uniform
from .ndarray import NDArray
from .sparse_layout import csr_keys
from .sparse_storage import INDEX, CSRNDArray, store_into

_ID = np.dtype(np.int64)


# ---- arguments -----------------------------------------------------------------------------


def _graph(op: str, graph: Any, square: bool = False, ids: bool = False) -> CSRNDArray:
    """`graph` checked: a CSR array (square for the samplers), int64 edge ids if `ids`."""
    if not isinstance(graph, CSRNDArray):
        stype = getattr(graph, "stype", type(graph).__name__)
        raise ArgumentError(f"{op}: the graph must be a CSRNDArray, got {stype}")
    if square and graph.shape[0] != graph.shape[1]:
        raise ShapeError(f"{op}: the graph must be a square CSR matrix, got shape "
                         f"{graph.shape}")
    if ids and graph._dtype != _ID:
        raise DTypeError(f"{op}: the graph's values are edge ids and must be int64, got "
                         f"{graph._dtype.name}")
    return graph


def _vertices(op: str, what: str, x: Any, count: int) -> np.ndarray:
    """A 1-D int64 array of vertex ids of a graph with `count` vertices."""
    if not isinstance(x, NDArray) or isinstance(x, CSRNDArray):
        raise ArgumentError(f"{op}: {what} must be a dense NDArray, got {type(x).__name__}")
    if x.ndim != 1:
        raise ShapeError(f"{op}: {what} must be 1-D, got shape {x.shape}")
    if x._dtype != _ID:
        raise DTypeError(f"{op}: {what} must be int64 vertex ids, got {x._dtype.name}")
    ids = x.asnumpy()
    if ids.size and (ids.min() < 0 or ids.max() >= count):
        raise MXNetIndexError(f"{op}: {what} must hold vertex ids in [0, {count}), got "
                              f"{ids.tolist()}")
    return ids


def _count(op: str, num_args: int | None, given: int) -> None:
    if num_args is not None and num_args != given:
        raise ParamError(f"{op}: num_args={num_args} but {given} arrays given")


# ---- neighbour sampling --------------------------------------------------------------------


def _sample_row(graph: CSRNDArray, v: int, k: int, keys: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """(neighbours, edge ids) of vertex v: all of them if at most k, else the k with the
    smallest `keys`, in the order the row stores them."""
    indptr = graph._sp_indptr
    assert indptr is not None
    lo, hi = int(indptr[v]), int(indptr[v + 1])
    picked = np.arange(lo, hi)
    if hi - lo > k:
        picked = np.sort(lo + np.argsort(keys[lo:hi], kind="stable")[:k])
    return graph._sp_indices[picked], graph._sp_data[picked]


def _sample_subgraph(graph: CSRNDArray, seeds: np.ndarray, keys: np.ndarray, num_hops: int,
                     num_neighbor: int, max_num_vertices: int
                     ) -> tuple[np.ndarray, np.ndarray, dict[int, tuple]]:
    """MXNet's breadth-first sampling: (vertices ascending, their layers, the sampled
    neighbours of each expanded vertex)."""
    layer: dict[int, int] = {}
    queue: list[int] = []
    for s in seeds.tolist():
        if s not in layer:
            layer[s] = 0
            queue.append(s)
    sampled: dict[int, tuple] = {}
    at = 0
    while at < len(queue) and len(layer) < max_num_vertices:
        v = queue[at]
        at += 1
        if layer[v] >= num_hops:
            continue
        cols, eids = _sample_row(graph, v, num_neighbor, keys)
        sampled[v] = (cols, eids)
        for c in cols.tolist():
            if len(layer) >= max_num_vertices:
                break
            if c not in layer:
                layer[c] = layer[v] + 1
                queue.append(c)
    vertices = np.array(sorted(layer), dtype=_ID)
    return vertices, np.array([layer[v] for v in vertices.tolist()], _ID), sampled


def _sample_outputs(graph: CSRNDArray, seeds: np.ndarray, keys: np.ndarray, num_hops: int,
                    num_neighbor: int, max_num_vertices: int) -> tuple[NDArray, ...]:
    """(vertex ids padded with -1 plus the count, the sampled CSR graph, layers padded with
    -1) of one seed array, in MXNet's layout."""
    vertices, layers, sampled = _sample_subgraph(graph, seeds, keys, num_hops, num_neighbor,
                                                 max_num_vertices)
    n = vertices.size
    ids = np.full(max_num_vertices + 1, -1, _ID)
    ids[:n], ids[-1] = vertices, n
    padded_layers = np.full(max_num_vertices, -1, _ID)
    padded_layers[:n] = layers
    empty = (np.zeros(0, INDEX), np.zeros(0, graph._dtype))
    rows = [sampled.get(v, empty) for v in vertices.tolist()]
    indptr = np.zeros(max_num_vertices + 1, INDEX)
    np.cumsum([r[0].size for r in rows], out=indptr[1:n + 1])
    indptr[n + 1:] = indptr[n]
    sub = CSRNDArray._make(np.concatenate([r[1] for r in rows] or [empty[1]]),
                           np.concatenate([r[0] for r in rows] or [empty[0]]).astype(INDEX),
                           indptr, (max_num_vertices, graph.shape[1]), graph._ctx)
    return NDArray._wrap(ids, graph._ctx), sub, NDArray._wrap(padded_layers, graph._ctx)


def _check_sampling(op: str, num_hops: int, num_neighbor: int, max_num_vertices: int,
                    seeds: list[np.ndarray]) -> None:
    for name, value in (("num_hops", num_hops), ("num_neighbor", num_neighbor),
                        ("max_num_vertices", max_num_vertices)):
        if int_param(op, name, value) < 0:
            raise ParamError(f"{op}: {name} must be >= 0, got {value}")
    for s in seeds:
        if s.size > max_num_vertices:
            raise ParamError(f"{op}: {s.size} seed vertices do not fit max_num_vertices="
                             f"{max_num_vertices}")


def dgl_csr_neighbor_uniform_sample(csr_matrix: CSRNDArray, *seed_arrays: NDArray,
                                    num_hops: int = 1, num_neighbor: int = 2,
                                    max_num_vertices: int = 100, num_args: int | None = None,
                                    out: Any = None, name: str | None = None) -> list:
    """Sample a subgraph around each seed array, picking up to `num_neighbor` neighbours of
    each vertex uniformly, for `num_hops` hops, up to `max_num_vertices` vertices. Returns
    [vertex ids..., sampled CSR graphs..., layers...] (one of each per seed array): the
    ids (ascending, padded with -1) end with their count; CSR row i holds the sampled
    edges of vertex ids[i], columns in the parent's numbering.

    >>> ids, sub, layer = mx.nd.contrib.dgl_csr_neighbor_uniform_sample(
    ...     g, mx.nd.array([0], dtype='int64'), num_hops=1, num_neighbor=2,
    ...     max_num_vertices=5)  # doctest: +SKIP
    """
    op = "dgl_csr_neighbor_uniform_sample"
    graph = _graph(op, csr_matrix, square=True, ids=True)
    _count(op, num_args, 1 + len(seed_arrays))
    seeds = [_vertices(op, "seed_arrays", s, graph.shape[0])
             for s in variadic_arrays(op, seed_arrays, error=ParamError, what="seed array")]
    _check_sampling(op, num_hops, num_neighbor, max_num_vertices, seeds)
    keys = unit_uniform((len(seeds), graph._sp_data.size), np.float64)[0].asnumpy()
    results = [_sample_outputs(graph, s, keys[i], num_hops, num_neighbor, max_num_vertices)
               for i, s in enumerate(seeds)]
    return [r[k] for k in range(3) for r in results]


def dgl_csr_neighbor_non_uniform_sample(csr_matrix: CSRNDArray, probability: NDArray,
                                        *seed_arrays: NDArray, num_hops: int = 1,
                                        num_neighbor: int = 2, max_num_vertices: int = 100,
                                        num_args: int | None = None, out: Any = None,
                                        name: str | None = None) -> list:
    """As `dgl_csr_neighbor_uniform_sample`, with neighbour v picked with weight
    `probability[v]` (without replacement). Returns [vertex ids..., sampled CSR
    graphs..., the probabilities of the sampled vertices..., layers...].

    >>> out = mx.nd.contrib.dgl_csr_neighbor_non_uniform_sample(
    ...     g, mx.nd.array([0.9, 0.1]), mx.nd.array([0], dtype='int64'))  # doctest: +SKIP
    """
    op = "dgl_csr_neighbor_non_uniform_sample"
    graph = _graph(op, csr_matrix, square=True, ids=True)
    _count(op, num_args, 2 + len(seed_arrays))
    if not isinstance(probability, NDArray) or probability.shape != (graph.shape[0],):
        raise ShapeError(f"{op}: probability must be an NDArray of shape ({graph.shape[0]},) "
                         f"(one weight per vertex), got "
                         f"{getattr(probability, 'shape', type(probability).__name__)}")
    prob = probability.asnumpy()
    if prob.dtype.kind != "f" or np.any(prob < 0):
        raise ParamError(f"{op}: probability must hold non-negative floats, got "
                         f"{prob.dtype.name} {prob.tolist()}")
    seeds = [_vertices(op, "seed_arrays", s, graph.shape[0])
             for s in variadic_arrays(op, seed_arrays, error=ParamError, what="seed array")]
    _check_sampling(op, num_hops, num_neighbor, max_num_vertices, seeds)
    uniform = unit_uniform((len(seeds), graph._sp_data.size), np.float64)[0].asnumpy()
    weight = prob.astype(np.float64)[graph._sp_indices]
    with np.errstate(divide="ignore"):
        keys = -np.log1p(-uniform) / weight  # (exponential clocks: smallest first)
    results = []
    for i, s in enumerate(seeds):
        ids, sub, layer = _sample_outputs(graph, s, keys[i], num_hops, num_neighbor,
                                          max_num_vertices)
        n = int(ids.asnumpy()[-1])
        sub_prob = np.zeros(max_num_vertices, prob.dtype)
        sub_prob[:n] = prob[ids.asnumpy()[:n]]
        results.append((ids, sub, NDArray._wrap(sub_prob, graph._ctx), layer))
    return [r[k] for k in range(4) for r in results]


# ---- subgraphs -----------------------------------------------------------------------------


def _induced(graph: CSRNDArray, vertices: np.ndarray) -> tuple[CSRNDArray, CSRNDArray]:
    """The subgraph induced by `vertices` (ascending): new edge ids 0, 1, ... and the
    parent's edge ids, both with the vertices renumbered by position."""
    indptr = graph._sp_indptr
    assert indptr is not None
    starts, stops = indptr[vertices], indptr[vertices + 1]
    picked = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops)] or
                            [np.zeros(0, INDEX)]).astype(INDEX)
    rows = np.repeat(np.arange(vertices.size), stops - starts)
    cols = graph._sp_indices[picked]
    at = np.searchsorted(vertices, cols, side="right") - 1  # (the last of equal ids wins)
    inside = at >= 0
    inside[inside] = vertices[at[inside]] == cols[inside]
    new_indptr = np.zeros(vertices.size + 1, INDEX)
    np.cumsum(np.bincount(rows[inside], minlength=vertices.size), out=new_indptr[1:])
    shape = (vertices.size, vertices.size)
    new_cols = at[inside].astype(INDEX)
    count = int(inside.sum())
    renumbered = CSRNDArray._make(np.arange(count, dtype=graph._dtype), new_cols, new_indptr,
                                  shape, graph._ctx)
    mapping = CSRNDArray._make(graph._sp_data[picked[inside]].copy(), new_cols.copy(),
                               new_indptr.copy(), shape, graph._ctx)
    return renumbered, mapping


def dgl_subgraph(graph: CSRNDArray, *data: NDArray, return_mapping: bool,
                 num_args: int | None = None, out: Any = None, name: str | None = None
                 ) -> Any:
    """The subgraph of `graph` induced by each vertex array in `data` (ascending int64
    ids): a CSR matrix over the vertices renumbered 0, 1, ... whose values are new edge
    ids; with `return_mapping`, also the same matrix holding the parent's edge ids
    (all renumbered graphs first, then all mappings).

    >>> sub, parent_ids = mx.nd.contrib.dgl_subgraph(
    ...     g, mx.nd.array([0, 1], dtype='int64'), return_mapping=True)  # doctest: +SKIP
    """
    op = "dgl_subgraph"
    parent = _graph(op, graph, ids=True)
    _count(op, num_args, 1 + len(data))
    results = []
    for v in variadic_arrays(op, data, error=ParamError, what="vertex array"):
        vertices = _vertices(op, "each vertex array", v, parent.shape[0])
        if np.any(np.diff(vertices) < 0):
            raise ParamError(f"{op}: the vertex ids must be sorted ascending, got "
                             f"{vertices.tolist()}")
        results.append(_induced(parent, vertices))
    outputs = [r[0] for r in results] + ([r[1] for r in results] if return_mapping else [])
    return outputs[0] if len(outputs) == 1 else outputs


def _compact(op: str, graph: CSRNDArray, ids: np.ndarray, size: int
             ) -> tuple[CSRNDArray, CSRNDArray]:
    """One sampled graph over its first `size` vertices, columns renumbered by position in
    `ids`: new edge ids 0, 1, ... and the sampled graph's edge ids."""
    if ids.size != graph.shape[0] + 1 or ids[-1] != size or not 0 <= size <= graph.shape[0]:
        raise ParamError(f"{op}: expected a graph and its vertex ids as a sampler returns "
                         f"them (ids of length rows + 1 = {graph.shape[0] + 1} ending with "
                         f"graph_size={size}), got ids of length {ids.size} ending with "
                         f"{ids[-1] if ids.size else None}")
    indptr = graph._sp_indptr
    assert indptr is not None
    nnz = int(indptr[size])
    cols = graph._sp_indices[:nnz]
    order = np.argsort(ids[:size], kind="stable")
    at = np.searchsorted(ids[:size], cols, sorter=order)
    at = np.minimum(at, max(size - 1, 0))
    new_cols = order[at] if size else at
    if nnz and (size == 0 or np.any(ids[:size][new_cols] != cols)):
        raise ParamError(f"{op}: the graph has edges to vertices missing from its first "
                         f"{size} vertex ids")
    shape = (size, size)
    new_indptr = indptr[:size + 1].copy()
    renumbered = CSRNDArray._make(np.arange(nnz, dtype=_ID), new_cols.astype(INDEX),
                                  new_indptr, shape, graph._ctx)
    mapping = CSRNDArray._make(graph._sp_data[:nnz].astype(_ID), new_cols.astype(INDEX),
                               new_indptr.copy(), shape, graph._ctx)
    return renumbered, mapping


def dgl_graph_compact(*graph_data: NDArray, return_mapping: bool, graph_sizes: Any,
                      num_args: int | None = None, out: Any = None, name: str | None = None
                      ) -> Any:
    """Compact the graphs a neighbour sampler returned: `graph_data` is the sampled CSR
    graphs followed by their vertex-id arrays, `graph_sizes` their vertex counts. Each
    result is (size, size) with the vertices renumbered by position and new edge ids
    0, 1, ...; with `return_mapping`, also the same matrices holding the sampled graphs'
    edge ids.

    >>> compact = mx.nd.contrib.dgl_graph_compact(sub, ids, graph_sizes=(5,),
    ...                                           return_mapping=False)  # doctest: +SKIP
    """
    op = "dgl_graph_compact"
    arrays = variadic_arrays(op, graph_data, num_args, error=ParamError)
    sizes = (graph_sizes,) if isinstance(graph_sizes, (int, np.integer)) else \
        tuple(graph_sizes)
    if len(arrays) % 2 or len(arrays) // 2 != len(sizes):
        raise ParamError(f"{op}: expected {len(sizes)} graphs then {len(sizes)} vertex-id "
                         f"arrays (one per entry of graph_sizes), got {len(arrays)} arrays")
    k = len(sizes)
    results = []
    for graph, ids, size in zip(arrays[:k], arrays[k:], sizes):
        g = _graph(op, graph, ids=True)
        if not isinstance(ids, NDArray) or ids.ndim != 1 or ids._dtype != _ID:
            raise DTypeError(f"{op}: vertex ids must be a 1-D int64 NDArray, got "
                             f"{getattr(ids, 'dtype', type(ids).__name__)}")
        results.append(_compact(op, g, ids.asnumpy(), int_param(op, "graph_sizes", size)))
    outputs = [r[0] for r in results] + ([r[1] for r in results] if return_mapping else [])
    return outputs[0] if len(outputs) == 1 else outputs


# ---- edges ---------------------------------------------------------------------------------


def edge_id(data: CSRNDArray, u: NDArray, v: NDArray, out: Any = None,
            name: str | None = None) -> NDArray:
    """The value stored at (u[i], v[i]) of the CSR graph `data` (the edge id), or -1 where
    it stores none (a vertex outside the graph included); in data's dtype.

    >>> mx.nd.contrib.edge_id(g, mx.nd.array([0]), mx.nd.array([1]))  # doctest: +SKIP
    """
    op = "edge_id"
    graph = _graph(op, data)
    for what, x in (("u", u), ("v", v)):
        if not isinstance(x, NDArray) or x.ndim != 1:
            raise ShapeError(f"{op}: {what} must be a 1-D NDArray, got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
    if u.shape != v.shape:
        raise ShapeError(f"{op}: u and v must have the same length, got {u.shape} and "
                         f"{v.shape}")
    rows, cols = u.asnumpy(), v.asnumpy()
    m, n = graph.shape
    valid = (rows >= 0) & (rows < m) & (cols >= 0) & (cols < n) & (rows == np.floor(rows)) \
        & (cols == np.floor(cols))
    keys, first = np.unique(csr_keys(graph), return_index=True)  # (a repeated entry: its first)
    query = np.where(valid, rows, 0).astype(INDEX) * n + np.where(valid, cols, 0).astype(INDEX)
    at = np.minimum(np.searchsorted(keys, query), max(keys.size - 1, 0))
    found = valid & (keys.size > 0)
    if keys.size:
        found &= keys[at] == query
    result = np.full(rows.shape, -1, graph._dtype)
    result[found] = graph._sp_data[first[at[found]]]
    got = NDArray._wrap(result, graph._ctx)
    return got if out is None else store_into(got, out)


def dgl_adjacency(data: CSRNDArray, out: Any = None, name: str | None = None) -> CSRNDArray:
    """The adjacency matrix of the CSR graph `data` (int64 edge ids): the same sparsity
    pattern with every stored value 1, as float32.

    >>> mx.nd.contrib.dgl_adjacency(g).data.asnumpy()  # doctest: +SKIP
    array([1., 1.], dtype=float32)
    """
    graph = _graph("dgl_adjacency", data, ids=True)
    indptr = graph._sp_indptr
    assert indptr is not None
    result = CSRNDArray._make(np.ones(graph._sp_data.size, np.float32),
                              graph._sp_indices.copy(), indptr.copy(), graph.shape, graph._ctx)
    return result if out is None else store_into(result, out)  # type: ignore[return-value]
