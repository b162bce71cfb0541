"""The DGL graph operators as symbols (`mx.sym.contrib.dgl_*`): MXNet 1.9.1's JSON text,
output names, shape and dtype inference (each expected value was given by MXNet 1.9.1),
and a bound executor whose outputs are exactly what the eager `mx.nd.contrib` operators
give on the same CSR graph. The graph has an edge of id 0, which a dense copy of it would
read as no edge: the executor computes these operators on the bound CSR arrays."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

import mxjit as mx
from mxjit import nd
from mxjit.base import (
    ArgumentError,
    DTypeError,
    GradientError,
    ParamError,
    ShapeError,
    UnsupportedError,
)

C = nd.contrib
#: MXNet's documentation graph (5 vertices, each linked to the 4 others) with edge ids
#: 0..19: edge 0 is (0, 1).
INDICES = np.array([1, 2, 3, 4, 0, 2, 3, 4, 0, 1, 3, 4, 0, 1, 2, 4, 0, 1, 2, 3])
GRAPH = nd.sparse.csr_matrix((np.arange(20, dtype=np.int64), INDICES, np.arange(0, 21, 4)),
                             shape=(5, 5))
PROBABILITY = nd.array([0.9, 0.8, 0.2, 0.4, 0.1])


def ids(values):
    return nd.array(values, dtype="int64")


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def variables():
    return (mx.sym.var("g", stype="csr"), mx.sym.var("s"), mx.sym.var("s2"),
            mx.sym.var("p"))


def sampled_then_compacted(g, s, s2, p):
    u = mx.sym.contrib.dgl_csr_neighbor_uniform_sample(g, s, max_num_vertices=5)
    return mx.sym.contrib.dgl_graph_compact(u[1], u[0], graph_sizes=(5,),
                                            return_mapping=False)


#: The symbols whose JSON MXNet 1.9.1 wrote (MXNET_JSON), from the variables g, s, s2, p.
CASES = {
    "uniform_two_seeds": lambda g, s, s2, p: mx.sym.contrib.dgl_csr_neighbor_uniform_sample(
        g, s, s2, num_hops=2, max_num_vertices=4),
    "non_uniform": lambda g, s, s2, p: mx.sym.contrib.dgl_csr_neighbor_non_uniform_sample(
        g, p, s, num_hops=1, num_neighbor=2, max_num_vertices=5),
    "subgraph": lambda g, s, s2, p: mx.sym.contrib.dgl_subgraph(g, s, s2, return_mapping=True),
    "compact": sampled_then_compacted,
    "adjacency": lambda g, s, s2, p: mx.sym.contrib.dgl_adjacency(g),
}


def mxnet_text(text: str) -> str:
    """MXNet's JSON text as its writer spaces it (", " at the end of a continued line)."""
    return re.sub(r",\n", ", \n", text)


#: MXNet 1.9.1's `tojson()` of each case (its dmlc writer ends each line of a list or map
#: entry with ", "; `mxnet_text` puts back the space that is left out here).
MXNET_JSON = {
    "uniform_two_seeds": """\
{
  "nodes": [
    {
      "op": "null",
      "name": "g",
      "attrs": {"__storage_type__": "2"},
      "inputs": []
    },
    {
      "op": "null",
      "name": "s",
      "inputs": []
    },
    {
      "op": "null",
      "name": "s2",
      "inputs": []
    },
    {
      "op": "_contrib_dgl_csr_neighbor_uniform_sample",
      "name": "dgl_csr_neighbor_uniform_sample0",
      "attrs": {
        "max_num_vertices": "4",
        "num_args": "3",
        "num_hops": "2"
      },
      "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]
    }
  ],
  "arg_nodes": [0, 1, 2],
  "node_row_ptr": [0, 1, 2, 3, 9],
  "heads": [[3, 0, 0], [3, 1, 0], [3, 2, 0], [3, 3, 0], [3, 4, 0], [3, 5, 0]],
  "attrs": {"mxnet_version": ["int", 10901]}
}""",
    "non_uniform": """\
{
  "nodes": [
    {
      "op": "null",
      "name": "g",
      "attrs": {"__storage_type__": "2"},
      "inputs": []
    },
    {
      "op": "null",
      "name": "p",
      "inputs": []
    },
    {
      "op": "null",
      "name": "s",
      "inputs": []
    },
    {
      "op": "_contrib_dgl_csr_neighbor_non_uniform_sample",
      "name": "dgl_csr_neighbor_non_uniform_sample0",
      "attrs": {
        "max_num_vertices": "5",
        "num_args": "3",
        "num_hops": "1",
        "num_neighbor": "2"
      },
      "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]
    }
  ],
  "arg_nodes": [0, 1, 2],
  "node_row_ptr": [0, 1, 2, 3, 7],
  "heads": [[3, 0, 0], [3, 1, 0], [3, 2, 0], [3, 3, 0]],
  "attrs": {"mxnet_version": ["int", 10901]}
}""",
    "subgraph": """\
{
  "nodes": [
    {
      "op": "null",
      "name": "g",
      "attrs": {"__storage_type__": "2"},
      "inputs": []
    },
    {
      "op": "null",
      "name": "s",
      "inputs": []
    },
    {
      "op": "null",
      "name": "s2",
      "inputs": []
    },
    {
      "op": "_contrib_dgl_subgraph",
      "name": "dgl_subgraph0",
      "attrs": {
        "num_args": "3",
        "return_mapping": "True"
      },
      "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]
    }
  ],
  "arg_nodes": [0, 1, 2],
  "node_row_ptr": [0, 1, 2, 3, 7],
  "heads": [[3, 0, 0], [3, 1, 0], [3, 2, 0], [3, 3, 0]],
  "attrs": {"mxnet_version": ["int", 10901]}
}""",
    "compact": """\
{
  "nodes": [
    {
      "op": "null",
      "name": "g",
      "attrs": {"__storage_type__": "2"},
      "inputs": []
    },
    {
      "op": "null",
      "name": "s",
      "inputs": []
    },
    {
      "op": "_contrib_dgl_csr_neighbor_uniform_sample",
      "name": "dgl_csr_neighbor_uniform_sample0",
      "attrs": {
        "max_num_vertices": "5",
        "num_args": "2"
      },
      "inputs": [[0, 0, 0], [1, 0, 0]]
    },
    {
      "op": "_contrib_dgl_graph_compact",
      "name": "dgl_graph_compact0",
      "attrs": {
        "graph_sizes": "(5,)",
        "num_args": "2",
        "return_mapping": "False"
      },
      "inputs": [[2, 1, 0], [2, 0, 0]]
    }
  ],
  "arg_nodes": [0, 1],
  "node_row_ptr": [0, 1, 2, 5, 6],
  "heads": [[3, 0, 0]],
  "attrs": {"mxnet_version": ["int", 10901]}
}""",
    "adjacency": """\
{
  "nodes": [
    {
      "op": "null",
      "name": "g",
      "attrs": {"__storage_type__": "2"},
      "inputs": []
    },
    {
      "op": "_contrib_dgl_adjacency",
      "name": "dgl_adjacency0",
      "inputs": [[0, 0, 0]]
    }
  ],
  "arg_nodes": [0],
  "node_row_ptr": [0, 1, 2],
  "heads": [[1, 0, 0]],
  "attrs": {"mxnet_version": ["int", 10901]}
}""",
}


# ---- graphs: MXNet's JSON, outputs, inference -----------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_is_mxnets_text_and_loads_back(case):
    sym = CASES[case](*variables())
    assert sym.tojson() == mxnet_text(MXNET_JSON[case])
    loaded = mx.sym.load_json(mxnet_text(MXNET_JSON[case]))
    assert loaded.tojson() == sym.tojson()
    assert loaded.list_outputs() == sym.list_outputs()


def test_a_graph_size_given_as_a_number_is_written_as_mxnet_writes_it():
    g, s, _, _ = variables()
    sym = mx.sym.contrib.dgl_graph_compact(g, s, graph_sizes=3, return_mapping=True)
    attrs = json.loads(sym.tojson())["nodes"][2]["attrs"]
    assert attrs == {"graph_sizes": "3", "num_args": "2", "return_mapping": "True"}
    assert sym.infer_shape(g=(5, 5), s=(6,))[1] == [(3, 3), (3, 3)]


def test_outputs_are_named_and_counted_as_in_mxnet():
    g, s, s2, p = variables()
    uniform = mx.sym.contrib.dgl_csr_neighbor_uniform_sample(g, s, s2)
    assert uniform.list_outputs() == [f"dgl_csr_neighbor_uniform_sample0_output{k}"
                                      for k in range(6)]
    assert uniform.list_arguments() == ["g", "s", "s2"]
    assert len(mx.sym.contrib.dgl_csr_neighbor_non_uniform_sample(g, p, s)) == 4
    assert mx.sym.contrib.dgl_subgraph(g, s, return_mapping=False).list_outputs() == [
        "dgl_subgraph0_output"]
    assert len(mx.sym.contrib.dgl_subgraph(g, s, s2, return_mapping=True)) == 4
    assert mx.sym.contrib.dgl_adjacency().list_arguments() == ["dgl_adjacency0_data"]


def test_shapes_are_inferred_as_in_mxnet():
    g, s, s2, p = variables()
    uniform = mx.sym.contrib.dgl_csr_neighbor_uniform_sample(g, s, max_num_vertices=5)
    assert uniform.infer_shape(g=(5, 5), s=(3,)) == ([(5, 5), (3,)], [(6,), (5, 5), (5,)], [])
    non_uniform = mx.sym.contrib.dgl_csr_neighbor_non_uniform_sample(g, p, s,
                                                                     max_num_vertices=5)
    assert non_uniform.infer_shape(g=(5, 5), p=(5,), s=(3,))[1] == [(6,), (5, 5), (5,), (5,)]
    subgraph = mx.sym.contrib.dgl_subgraph(g, s, s2, return_mapping=False)
    assert subgraph.infer_shape(g=(5, 5), s=(3,), s2=(2,))[1] == [(3, 3), (2, 2)]
    compact = mx.sym.contrib.dgl_graph_compact(g, s, graph_sizes=(3,), return_mapping=True)
    assert compact.infer_shape(g=(5, 5), s=(6,)) == ([(5, 5), (6,)], [(3, 3), (3, 3)], [])
    adjacency = mx.sym.contrib.dgl_adjacency(g)
    assert adjacency.infer_shape(g=(5, 4)) == ([(5, 4)], [(5, 4)], [])
    assert mx.sym.contrib.dgl_adjacency(g).infer_shape_partial()[1] == [()]


def test_dtypes_are_inferred_as_in_mxnet():
    g, s, s2, p = variables()
    uniform = mx.sym.contrib.dgl_csr_neighbor_uniform_sample(g, s)
    assert uniform.infer_type(g="int64", s="int64")[1] == [np.int64] * 3
    assert uniform.infer_type(g="float32", s="int32")[1] == [np.int32, np.float32, np.int32]
    non_uniform = mx.sym.contrib.dgl_csr_neighbor_non_uniform_sample(g, p, s)
    assert non_uniform.infer_type(g="int64", p="float64", s="int64") == (
        [np.int64, np.float64, np.int64], [np.int64, np.int64, np.float64, np.int64], [])
    # (the inputs do not share a dtype: the probability is not taken to be int64)
    assert non_uniform.infer_type_partial(g="int64", s="int64")[0] == [np.int64, None,
                                                                       np.int64]
    subgraph = mx.sym.contrib.dgl_subgraph(g, s, return_mapping=False)
    assert subgraph.infer_type(g="float32", s="int64")[1] == [np.float32]
    compact = mx.sym.contrib.dgl_graph_compact(g, s, graph_sizes=(2,), return_mapping=True)
    assert compact.infer_type(g="int64", s="int64")[1] == [np.int64] * 2
    assert mx.sym.contrib.dgl_adjacency(g).infer_type(g="int64")[1] == [np.float32]


@pytest.mark.parametrize("make, error, match", [
    (lambda g, s, p: mx.sym.contrib.dgl_csr_neighbor_uniform_sample(g, s).infer_shape(
        g=(5, 4), s=(2,)), ShapeError, "square"),
    (lambda g, s, p: mx.sym.contrib.dgl_csr_neighbor_uniform_sample(g, s).infer_shape(
        g=(5, 5), s=(2, 2)), ShapeError, "seed array must be 1-D"),
    (lambda g, s, p: mx.sym.contrib.dgl_csr_neighbor_non_uniform_sample(g, p, s).infer_shape(
        g=(5, 5), p=(5, 1), s=(2,)), ShapeError, "probability must be 1-D"),
    (lambda g, s, p: mx.sym.contrib.dgl_csr_neighbor_uniform_sample(
        g, s, max_num_vertices=-1).infer_shape(g=(5, 5), s=(2,)), ParamError, ">= 0"),
    (lambda g, s, p: mx.sym.contrib.dgl_subgraph(g, s, return_mapping=False).infer_shape(
        g=(5,), s=(2,)), ShapeError, "graph must be 2-D"),
    (lambda g, s, p: mx.sym.contrib.dgl_graph_compact(
        g, s, graph_sizes=(2,), return_mapping=False).infer_shape(g=(5, 5), s=(1,)),
     ShapeError, "exceeds"),
    (lambda g, s, p: mx.sym.contrib.dgl_graph_compact(
        g, s, graph_sizes=(2, 2), return_mapping=False).infer_shape(g=(5, 5), s=(6,)),
     ParamError, "one per entry of graph_sizes"),
    (lambda g, s, p: mx.sym.contrib.dgl_subgraph(g, s, return_mapping=False).infer_type(
        g="int64", s="int32"), DTypeError, "vertex array must be int64, got int32"),
    (lambda g, s, p: mx.sym.contrib.dgl_graph_compact(
        g, s, graph_sizes=(2,), return_mapping=False).infer_type(g="int64", s="int32"),
     DTypeError, "must be int64, got int32"),
    (lambda g, s, p: mx.sym.contrib.dgl_adjacency(g).infer_type(g="float32"), DTypeError,
     "graph must be int64, got float32"),
    (lambda g, s, p: mx.sym.contrib.dgl_subgraph(g, s), ParamError,
     "'return_mapping' is required"),
    (lambda g, s, p: mx.sym.contrib.dgl_graph_compact(g, s, return_mapping=True), ParamError,
     "'graph_sizes' is required"),
    (lambda g, s, p: mx.sym.contrib.dgl_subgraph(g, return_mapping=True), ParamError,
     "num_args must be at least 2, got 1"),
    (lambda g, s, p: mx.sym.contrib.dgl_csr_neighbor_non_uniform_sample(g, p), ParamError,
     "num_args must be at least 3, got 2"),
])
def test_inference_refuses_what_mxnet_refuses(make, error, match):
    g, s, _, p = variables()
    with pytest.raises(error, match=match):
        make(g, s, p)


# ---- bound: the eager operators' results on the bound CSR arrays ---------------------------


def assert_same(got, want):
    """Equal arrays of one storage type; CSR ones component by component (an explicitly
    stored 0, an edge id, included)."""
    assert (got.stype, got.shape, got.dtype) == (want.stype, want.shape, want.dtype)
    if want.stype == "csr":
        for part in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(getattr(got, part).asnumpy(),
                                          getattr(want, part).asnumpy())
    np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())


def test_adjacency_of_a_bound_graph_keeps_edge_id_0():
    exe = mx.sym.contrib.dgl_adjacency(mx.sym.var("g")).simple_bind(
        mx.cpu(), g=(5, 5), stype_dict={"g": "csr"}, type_dict={"g": "int64"},
        grad_req="null")
    held = exe.outputs[0]
    assert (held.stype, held.shape, held.dtype) == ("csr", (5, 5), np.float32)
    out = exe.forward(g=GRAPH)[0]
    assert out is held  # (MXNet's outputs are fixed arrays)
    assert_same(out, C.dgl_adjacency(GRAPH))
    assert out.asnumpy()[0, 1] == 1  # (edge id 0)


def test_a_program_reads_the_results_densely_after_they_are_computed_on_csr():
    adjacency = mx.sym.contrib.dgl_adjacency(mx.sym.var("g", stype="csr"))
    both = mx.sym.Group([mx.sym.sum(adjacency, axis=1), adjacency * 2])
    exe = both.bind(mx.cpu(), {"g": GRAPH}, grad_req="null")
    degrees, doubled = exe.forward()
    np.testing.assert_array_equal(degrees.asnumpy(), [4, 4, 4, 4, 4])
    np.testing.assert_array_equal(doubled.asnumpy(), 2 * C.dgl_adjacency(GRAPH).asnumpy())


@pytest.mark.parametrize("return_mapping", [True, False])
def test_subgraph_outputs_are_the_eager_ones(return_mapping):
    g, s, s2, _ = variables()
    sym = mx.sym.contrib.dgl_subgraph(g, s, s2, return_mapping=return_mapping)
    exe = sym.simple_bind(mx.cpu(), g=(5, 5), s=(3,), s2=(2,),
                          type_dict={"g": "int64", "s": "int64", "s2": "int64"},
                          grad_req="null")
    assert [o.stype for o in exe.outputs] == ["csr"] * len(sym.list_outputs())
    vertices, more = ids([0, 1, 3]), ids([2, 4])
    outs = exe.forward(g=GRAPH, s=vertices, s2=more)
    want = C.dgl_subgraph(GRAPH, vertices, more, return_mapping=return_mapping)
    assert len(outs) == len(want)
    for got, expected in zip(outs, want):
        assert_same(got, expected)
    if return_mapping:
        assert outs[2].asnumpy().tolist() == [[0, 0, 2], [4, 0, 6], [12, 13, 0]]


def test_uniform_sampler_draws_what_the_eager_one_draws_from_the_same_seed():
    g, s, s2, _ = variables()
    sym = mx.sym.contrib.dgl_csr_neighbor_uniform_sample(g, s, s2, num_hops=2,
                                                         num_neighbor=2, max_num_vertices=5)
    exe = sym.bind(mx.cpu(), {"g": GRAPH, "s": ids([0]), "s2": ids([3, 1])}, grad_req="null")
    for seed in (1, 2):
        mx.random.seed(seed)
        outs = exe.forward()
        mx.random.seed(seed)
        want = C.dgl_csr_neighbor_uniform_sample(GRAPH, ids([0]), ids([3, 1]), num_hops=2,
                                                 num_neighbor=2, max_num_vertices=5)
        assert [o.stype for o in outs] == ["default"] * 2 + ["csr"] * 2 + ["default"] * 2
        for got, expected in zip(outs, want):
            assert_same(got, expected)


def test_non_uniform_sampler_and_compaction_are_the_eager_ones():
    g, s, _, p = variables()
    ids_, sub, prob, layer = mx.sym.contrib.dgl_csr_neighbor_non_uniform_sample(
        g, p, s, num_hops=1, num_neighbor=2, max_num_vertices=5)
    compact = mx.sym.contrib.dgl_graph_compact(sub, ids_, graph_sizes=(5,),
                                               return_mapping=True)
    sym = mx.sym.Group([ids_, sub, prob, layer, compact])
    exe = sym.simple_bind(mx.cpu(), g=(5, 5), p=(5,), s=(5,), stype_dict={"g": "csr"},
                          type_dict={"g": "int64", "s": "int64"}, grad_req="null")
    mx.random.seed(4)
    outs = exe.forward(g=GRAPH, p=PROBABILITY, s=ids([0, 1, 2, 3, 4]))
    mx.random.seed(4)
    want = C.dgl_csr_neighbor_non_uniform_sample(GRAPH, PROBABILITY, ids([0, 1, 2, 3, 4]),
                                                 num_hops=1, num_neighbor=2,
                                                 max_num_vertices=5)
    want += C.dgl_graph_compact(want[1], want[0], graph_sizes=(5,), return_mapping=True)
    assert len(outs) == 6
    for got, expected in zip(outs, want):
        assert_same(got, expected)


def test_a_graph_loaded_from_mxnets_json_binds_and_runs():
    sym = mx.sym.load_json(mxnet_text(MXNET_JSON["subgraph"]))
    exe = sym.bind(mx.cpu(), {"g": GRAPH, "s": ids([0, 1]), "s2": ids([4])}, grad_req="null")
    for got, want in zip(exe.forward(), C.dgl_subgraph(GRAPH, ids([0, 1]), ids([4]),
                                                       return_mapping=True)):
        assert_same(got, want)


def test_assigning_a_csr_array_keeps_its_stored_entries():
    held = nd.sparse.zeros("csr", (5, 5), dtype="int64")
    held[:] = GRAPH
    assert_same(held, GRAPH)  # (edge id 0 stays stored)


# ---- what a bound executor refuses -----------------------------------------------------------


def test_gradients_are_refused_as_mxnet_refuses_them():
    g = mx.sym.var("g", stype="csr")
    sym = mx.sym.sum(mx.sym.contrib.dgl_adjacency(g)) + mx.sym.sum(mx.sym.var("x"))
    with pytest.raises(GradientError, match=r"_contrib_dgl_adjacency \('dgl_adjacency0'\) "
                                            r"is non-differentiable.*\['x'\].*grad_req='null'"):
        sym.simple_bind(mx.cpu(), g=(5, 5), x=(2,), type_dict={"g": "int64"},
                        grad_req={"g": "null", "x": "write"})


def test_a_graph_computed_by_the_program_is_refused_naming_the_node():
    graph = mx.sym.cast_storage(mx.sym.var("d"), stype="csr")
    sym = mx.sym.contrib.dgl_adjacency(graph, name="adj")
    with pytest.raises(UnsupportedError, match="_contrib_dgl_adjacency 'adj': its input 0 is "
                                               "computed by cast_storage 'cast_storage0'"):
        sym.simple_bind(mx.cpu(), d=(5, 5), type_dict={"d": "int64"}, grad_req="null")


def test_a_dense_graph_is_refused_naming_the_node():
    exe = mx.sym.contrib.dgl_adjacency(mx.sym.var("g")).bind(
        mx.cpu(), {"g": GRAPH.tostype("default")}, grad_req="null")
    with pytest.raises(ArgumentError, match="'dgl_adjacency0': dgl_adjacency: the graph "
                                            "must be a CSRNDArray, got default"):
        exe.forward()


def test_the_traced_stand_in_refuses_to_run():
    from mxjit.core.operators import lookup

    adjacency = mx.jit(lookup("_contrib_dgl_adjacency").impl)
    with pytest.raises(UnsupportedError, match="needs? the CSR graph itself"):
        adjacency(GRAPH.tostype("default"))
