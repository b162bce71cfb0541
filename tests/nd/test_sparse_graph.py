"""The DGL graph operators over CSR adjacency matrices (mx.nd.contrib.dgl_*, edge_id):
exact results where they are deterministic, properties and frequencies where they sample."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, MXNetIndexError, ParamError, ShapeError
from mxjit.nd import sparse_graph as G

S = mx.nd.sparse
# MXNet's example graph: 5 vertices, each linked to the 4 others, edge ids 1..20.
INDICES = np.array([1, 2, 3, 4, 0, 2, 3, 4, 0, 1, 3, 4, 0, 1, 2, 4, 0, 1, 2, 3])
FULL = S.csr_matrix((np.arange(1, 21, dtype=np.int64), INDICES, np.arange(0, 21, 4)),
                    shape=(5, 5))
DENSE_FULL = FULL.asnumpy()


def ids(values: list[int]) -> mx.nd.NDArray:
    return mx.nd.array(values, dtype="int64")


def check_sample(out: list, graph: np.ndarray, num_hops: int, num_neighbor: int,
                 max_vertices: int) -> int:
    """The invariants of one sampler result (MXNet's own test checks most of them)."""
    vertex_ids, sub, layers = (o.asnumpy() if i != 1 else o for i, o in enumerate(out))
    n = int(vertex_ids[-1])
    assert vertex_ids.shape == (max_vertices + 1,) and layers.shape == (max_vertices,)
    assert (vertex_ids[n:-1] == -1).all() and (layers[n:] == -1).all()
    assert (np.diff(vertex_ids[:n]) > 0).all() and (layers[:n] <= num_hops).all()
    assert sub.stype == "csr" and sub.shape == (max_vertices, graph.shape[1])
    sub.check_format()
    indptr, cols, eids = sub.indptr.asnumpy(), sub.indices.asnumpy(), sub.data.asnumpy()
    for i in range(max_vertices):
        row = slice(indptr[i], indptr[i + 1])
        if i >= n:
            assert indptr[i] == indptr[i + 1]
            continue
        v = vertex_ids[i]
        assert len(cols[row]) <= num_neighbor
        assert (graph[v, cols[row]] == eids[row]).all()  # (real edges, with their ids)
        if len(cols[row]):
            assert layers[i] < num_hops
            assert set(cols[row]) <= set(vertex_ids[:n]) or n == max_vertices
    return n


def test_uniform_sample_with_room_takes_every_neighbour() -> None:
    vertex_ids, sub, layers = G.dgl_csr_neighbor_uniform_sample(
        FULL, ids([0, 2]), num_hops=1, num_neighbor=4, max_num_vertices=6)
    assert vertex_ids.asnumpy().tolist() == [0, 1, 2, 3, 4, -1, 5]
    assert layers.asnumpy().tolist() == [0, 1, 0, 1, 1, -1]
    want = np.zeros((6, 5), np.int64)
    want[0], want[2] = DENSE_FULL[0], DENSE_FULL[2]  # (the seeds' rows; the others not expanded)
    np.testing.assert_array_equal(sub.asnumpy(), want)
    assert vertex_ids.dtype == np.int64 and sub.dtype == np.int64


def test_seeds_that_fill_max_num_vertices_sample_nothing() -> None:
    # MXNet 1.9.1 gives exactly this (its docstring's example is from an older version).
    vertex_ids, sub, layers = G.dgl_csr_neighbor_uniform_sample(
        FULL, ids([0, 1, 2, 3, 4]), num_args=2, num_hops=1, num_neighbor=2,
        max_num_vertices=5)
    assert vertex_ids.asnumpy().tolist() == [0, 1, 2, 3, 4, 5]
    assert sub.data.shape == (0,) and layers.asnumpy().tolist() == [0] * 5


@pytest.mark.parametrize("seeds, hops, k, most", [([0], 1, 1, 4), ([0], 2, 1, 3),
                                                  ([0, 2, 4], 1, 2, 5), ([0, 4], 2, 2, 5),
                                                  ([3], 3, 1, 3), ([1, 1], 2, 3, 9)])
def test_uniform_sample_invariants(seeds: list[int], hops: int, k: int, most: int) -> None:
    mx.random.seed(7)
    out = G.dgl_csr_neighbor_uniform_sample(FULL, ids(seeds), num_hops=hops, num_neighbor=k,
                                            max_num_vertices=most)
    assert len(out) == 3
    n = check_sample(out, DENSE_FULL, hops, k, most)
    assert len(set(seeds)) <= n <= most


def test_sampling_is_reproducible_from_the_seed_and_several_seed_arrays() -> None:
    def draw() -> list:
        out = G.dgl_csr_neighbor_uniform_sample(FULL, ids([0]), ids([3, 1]), num_hops=2,
                                                num_neighbor=1, max_num_vertices=4)
        return [o.asnumpy().tolist() for o in out]

    mx.random.seed(3)
    first = draw()
    mx.random.seed(3)
    assert draw() == first
    assert len(first) == 6  # (ids, ids, graph, graph, layers, layers)


def test_uniform_sample_picks_neighbours_uniformly() -> None:
    mx.random.seed(11)
    counts = np.zeros(5)
    for _ in range(400):
        _, sub, _ = G.dgl_csr_neighbor_uniform_sample(FULL, ids([0]), num_hops=1,
                                                      num_neighbor=1, max_num_vertices=2)
        counts[sub.indices.asnumpy()[0]] += 1
    assert counts[0] == 0 and (np.abs(counts[1:] - 100) < 35).all(), counts


def test_non_uniform_sample_follows_the_probabilities() -> None:
    prob = mx.nd.array([0.9, 0.8, 0.0, 0.4, 0.1])
    mx.random.seed(5)
    counts = np.zeros(5)
    for _ in range(400):
        out = G.dgl_csr_neighbor_non_uniform_sample(FULL, prob, ids([0]), num_hops=1,
                                                    num_neighbor=1, max_num_vertices=2)
        counts[out[1].indices.asnumpy()[0]] += 1
    share = counts / 400  # (neighbours 1..4 of vertex 0 weigh 0.8, 0, 0.4, 0.1)
    assert counts[2] == 0 and abs(share[1] - 0.8 / 1.3) < 0.08 and abs(share[3] - 0.4 / 1.3) < 0.08
    out = G.dgl_csr_neighbor_non_uniform_sample(FULL, prob, ids([0, 4]), num_hops=2,
                                                num_neighbor=2, max_num_vertices=5)
    assert len(out) == 4 and out[2].dtype == np.float32
    n = check_sample([out[0], out[1], out[3]], DENSE_FULL, 2, 2, 5)
    vertex_ids = out[0].asnumpy()[:n]
    np.testing.assert_allclose(out[2].asnumpy()[:n], prob.asnumpy()[vertex_ids])
    assert (out[2].asnumpy()[n:] == 0).all()
    assert 2 not in out[1].indices.asnumpy()  # (weight 0, and enough others to pick)


def test_graph_compact_renumbers_a_sample() -> None:
    mx.random.seed(2)
    vertex_ids, sub, _ = G.dgl_csr_neighbor_uniform_sample(FULL, ids([1, 3]), num_hops=1,
                                                           num_neighbor=2, max_num_vertices=6)
    n = int(vertex_ids.asnumpy()[-1])
    compact = G.dgl_graph_compact(sub, vertex_ids, graph_sizes=(n,), return_mapping=False)
    assert compact.stype == "csr" and compact.shape == (n, n) and compact.dtype == np.int64
    np.testing.assert_array_equal(compact.indptr.asnumpy(), sub.indptr.asnumpy()[:n + 1])
    original = vertex_ids.asnumpy()
    np.testing.assert_array_equal(original[compact.indices.asnumpy()], sub.indices.asnumpy())
    np.testing.assert_array_equal(compact.data.asnumpy(), np.arange(sub.data.shape[0]))
    new, parent = G.dgl_graph_compact(sub, vertex_ids, graph_sizes=n, return_mapping=True)
    np.testing.assert_array_equal(new.asnumpy(), compact.asnumpy())
    np.testing.assert_array_equal(parent.data.asnumpy(), sub.data.asnumpy())


def test_subgraph_matches_mxnets_example_and_a_numpy_reference() -> None:
    x = S.csr_matrix(np.array([[1, 0, 0, 2], [3, 0, 4, 0], [0, 5, 0, 0], [0, 6, 7, 0]]),
                     dtype="int64")
    new, parent = G.dgl_subgraph(x, ids([0, 1, 2]), return_mapping=True)
    # (MXNet 1.9.1's output: new edge ids count from 0, the mapping holds the parent's ids)
    assert new.asnumpy().tolist() == [[0, 0, 0], [1, 0, 2], [0, 3, 0]]
    assert parent.asnumpy().tolist() == [[1, 0, 0], [3, 0, 4], [0, 5, 0]]
    rng = np.random.default_rng(0)
    dense = (rng.random((12, 12)) < 0.3) * np.arange(1, 145).reshape(12, 12)
    graph = S.csr_matrix(dense, dtype="int64")
    for vertices in ([0, 3, 4, 9, 11], [2], []):
        sub = G.dgl_subgraph(graph, ids(vertices), return_mapping=True)[1]
        assert sub.shape == (len(vertices),) * 2
        np.testing.assert_array_equal(sub.asnumpy(), dense[np.ix_(vertices, vertices)])
    both = G.dgl_subgraph(graph, ids([1, 2]), ids([5]), return_mapping=False)
    assert [s.shape for s in both] == [(2, 2), (1, 1)]


def test_edge_id_and_adjacency() -> None:
    rng = np.random.default_rng(1)
    dense = ((rng.random((6, 7)) < 0.4) * rng.integers(1, 50, (6, 7))).astype(np.float32)
    graph = S.csr_matrix(dense)
    u, v = rng.integers(0, 6, 20), rng.integers(0, 7, 20)
    got = G.edge_id(graph, mx.nd.array(u), mx.nd.array(v))
    np.testing.assert_array_equal(got.asnumpy(), np.where(dense[u, v] != 0, dense[u, v], -1))
    assert got.dtype == np.float32
    outside = G.edge_id(graph, mx.nd.array([6, -1, 0]), mx.nd.array([0, 0, 9]))
    assert outside.asnumpy().tolist() == [-1, -1, -1]
    assert G.edge_id(S.zeros("csr", (2, 2)), mx.nd.array([0]), mx.nd.array([1])).asnumpy() == -1
    out = mx.nd.zeros((20,))
    assert G.edge_id(graph, mx.nd.array(u), mx.nd.array(v), out=out) is out
    adj = G.dgl_adjacency(FULL)
    assert adj.stype == "csr" and adj.dtype == np.float32
    np.testing.assert_array_equal(adj.indices.asnumpy(), FULL.indices.asnumpy())
    np.testing.assert_array_equal(adj.asnumpy(), (DENSE_FULL != 0).astype(np.float32))


@pytest.mark.parametrize("call, error, match", [
    (lambda: G.dgl_adjacency(mx.nd.ones((2, 2))), ArgumentError, "CSRNDArray"),
    (lambda: G.dgl_adjacency(S.zeros("csr", (2, 2))), DTypeError, "int64"),
    (lambda: G.dgl_csr_neighbor_uniform_sample(S.zeros("csr", (2, 3), dtype="int64"),
                                               ids([0])), ShapeError, "square"),
    (lambda: G.dgl_csr_neighbor_uniform_sample(FULL, mx.nd.array([0])), DTypeError, "int64"),
    (lambda: G.dgl_csr_neighbor_uniform_sample(FULL, ids([[0]])), ShapeError, "1-D"),
    (lambda: G.dgl_csr_neighbor_uniform_sample(FULL, [0]), ArgumentError, "dense NDArray"),
    (lambda: G.dgl_csr_neighbor_uniform_sample(FULL, ids([5])), MXNetIndexError,
     r"\[0, 5\)"),
    (lambda: G.dgl_csr_neighbor_uniform_sample(FULL, ids([0]), num_args=3), ParamError,
     "num_args"),
    (lambda: G.dgl_csr_neighbor_uniform_sample(FULL), ParamError, "at least one"),
    (lambda: G.dgl_csr_neighbor_uniform_sample(FULL, ids([0]), num_neighbor=-1), ParamError,
     ">= 0"),
    (lambda: G.dgl_csr_neighbor_uniform_sample(FULL, ids([0]), num_hops=1.5), ArgumentError,
     "num_hops"),
    (lambda: G.dgl_csr_neighbor_uniform_sample(FULL, ids([0, 1, 2]), max_num_vertices=2),
     ParamError, "do not fit"),
    (lambda: G.dgl_csr_neighbor_non_uniform_sample(FULL, mx.nd.ones(4), ids([0])),
     ShapeError, "probability"),
    (lambda: G.dgl_csr_neighbor_non_uniform_sample(FULL, -mx.nd.ones(5), ids([0])),
     ParamError, "non-negative"),
    (lambda: G.dgl_subgraph(FULL, ids([2, 1]), return_mapping=False), ParamError, "sorted"),
    (lambda: G.dgl_graph_compact(FULL, ids([0]), graph_sizes=(1,), return_mapping=False),
     ParamError, "as a sampler returns"),
    (lambda: G.dgl_graph_compact(FULL, ids([0, 1, 2, 3, 4, 3]), graph_sizes=(2,),
                                 return_mapping=False), ParamError, "as a sampler returns"),
    (lambda: G.dgl_graph_compact(FULL, ids([0, 1, -1, -1, -1, 2]), graph_sizes=2,
                                 return_mapping=False), ParamError, "missing"),
    (lambda: G.dgl_graph_compact(FULL, ids([0]), ids([0]), graph_sizes=(1,),
                                 return_mapping=False), ParamError, "graph_sizes"),
    (lambda: G.dgl_graph_compact(FULL, mx.nd.array([0, 1, 2, 3, 4, 5]), graph_sizes=(5,),
                                 return_mapping=False), DTypeError, "int64"),
    (lambda: G.edge_id(FULL, mx.nd.array([[0]]), mx.nd.array([[0]])), ShapeError, "1-D"),
    (lambda: G.edge_id(FULL, mx.nd.array([0, 1]), mx.nd.array([0])), ShapeError,
     "same length"),
])
def test_user_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()
