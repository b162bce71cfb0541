"""mx.sym.contrib.foreach, while_loop and cond: the graphs are MXNet 1.9.1's (nodes, names,
`*_locs` attributes and subgraphs, hard-coded from what MXNet writes, and a file MXNet
wrote), they load and write back, and a bound graph computes what mx.nd.contrib's control
flow computes on the same arrays (the oracle), gradients included."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, nd
from mxjit.base import (
    ArgumentError,
    ControlFlowError,
    ParamError,
    ShapeError,
    UnsupportedError,
)
from mxjit.core.operators import lookup
from mxjit.symbol import control_flow

sym = mx.sym
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"
FEED = {"data": np.arange(6, dtype=np.float32).reshape(3, 2) / 4,
        "init": np.array([1.0, -1.0], np.float32), "w": np.array([0.5, -2.0], np.float32),
        "i": np.array([0.0], np.float32)}
#: MXNet 1.9.1's outputs of the fixture's graph for FEED.
MXNET_OUTPUTS = [[[4.0, -7.5], [6.0, 4.5], [8.0, -18.5]],
                 [[2.0, 18.5], [2.25, 22.5], [2.5, 26.5]], [5.5, -15.25], [6.0, -15.25]]


@pytest.fixture(autouse=True)
def fresh_names(monkeypatch):
    """Names as a fresh MXNet process gives them (nodes and subgraphs)."""
    monkeypatch.setattr(control_flow, "_SUBGRAPH_NAMES", Counter())
    with mx.name.NameManager():
        yield


def fixture_graph(F):
    """The graph of control_flow-symbol.json, over `F` (mx.sym here; see the README)."""
    data, init, w, i = F.var("data"), F.var("init"), F.var("w"), F.var("i")
    w3 = w * 3
    outs, states = F.contrib.foreach(
        lambda x, st: ([(st[0] * w + x + w3) * 2], [st[0] * w + x + w3]), data, [init])
    steps, final = F.contrib.while_loop(lambda j, s: j < 3, lambda j, s: ([s * w], [j + 1, s + w]),
                                        [i, states[0]], max_iterations=3)
    c = F.relu(w)
    picked = F.contrib.cond(F.sum(i) < 1, lambda: final[1] + c, lambda: final[1] - c)
    return F.Group([outs[0], steps[0], final[1], picked])


def nd_oracle(data, init, w, i):
    """The same computation with mx.nd.contrib's control flow."""
    w3 = w * 3
    outs, states = nd.contrib.foreach(
        lambda x, st: ([(st[0] * w + x + w3) * 2], [st[0] * w + x + w3]), data, [init])
    steps, final = nd.contrib.while_loop(lambda j, s: j < 3,
                                         lambda j, s: ([s * w], [j + 1, s + w]),
                                         [i, states[0]], max_iterations=3)
    c = nd.relu(w)
    picked = nd.contrib.cond(nd.sum(i) < 1, lambda: final[1] + c, lambda: final[1] - c)
    return [outs[0], steps[0], final[1], picked]


def arrays(**values):
    return {k: nd.array(v) for k, v in values.items()}


def nodes_of(graph: dict) -> list:
    """(op, name, attrs, inputs, [subgraphs' nodes]) of each node of a JSON graph object."""
    out = []
    for n in graph["nodes"]:
        entry = (n["op"], n["name"], n.get("attrs", {}), [e[:2] for e in n["inputs"]])
        if "subgraphs" in n:
            entry += ([nodes_of(s) for s in n["subgraphs"]],)
        out.append(entry)
    return out


# ---- MXNet's JSON --------------------------------------------------------------------------


def test_a_file_mxnet_wrote_loads_writes_back_and_runs():
    text = (FIXTURES / "control_flow-symbol.json").read_text()
    net = sym.load_json(text)
    assert net.tojson() == text
    assert net.list_arguments() == ["data", "init", "w", "i"]
    assert net.list_outputs() == ["_foreach0_output0", "_while_loop0_output0",
                                  "_while_loop0_output2", "_cond0_output"]
    got = net.eval(**arrays(**FEED))
    want = nd_oracle(**arrays(**FEED))
    for g, w, m in zip(got, want, MXNET_OUTPUTS):
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-6)
        np.testing.assert_allclose(g.asnumpy(), m, rtol=1e-6)


def test_building_the_same_graph_writes_what_mxnet_wrote():
    assert fixture_graph(sym).tojson() == (FIXTURES / "control_flow-symbol.json").read_text()


def test_a_body_reading_the_enclosing_graph_is_cut_as_mxnet_cuts_it():
    # data given as two outputs of one node, a computed initial state, an outer variable read
    # twice, an outer node's output, a variable made inside the body, a state returned twice
    data, init, w = sym.var("data"), sym.var("init"), sym.var("w")
    halves = sym.split(data, num_outputs=2, axis=1)
    w2 = w * 3

    def step(x, states):
        s = states[0] * w + x[0] + w2 + w + sym.var("h") + x[1]
        return [s], [s, states[1]]

    outs, states = sym.contrib.foreach(step, [halves[1], halves[0]], [init * 2, init])
    graph = json.loads(sym.Group(outs + states).tojson())
    mark = {"__subgraph_name__": "foreach0"}
    assert nodes_of(graph)[-2:] == [  # what MXNet 1.9.1 writes
        ("null", "h", mark, []),
        ("_foreach", "_foreach0", {"in_data_locs": "[2, 5]", "in_state_locs": "[0, 6]",
                                   "num_args": "8", "num_out_data": "1", "num_outputs": "3",
                                   "remain_locs": "[1, 3, 4]"},
         [[1, 1], [1, 0], [3, 0], [2, 0], [4, 0], [5, 0], [6, 0]],
         [[("null", "_mulscalar1-0", mark, []), ("null", "w", {}, []),
           ("elemwise_mul", "_mul0", mark, [[0, 0], [1, 0]]),
           ("null", "split0-1", mark, []), ("elemwise_add", "_plus0", mark, [[2, 0], [3, 0]]),
           ("null", "_mulscalar0_output", {}, []),
           ("elemwise_add", "_plus1", mark, [[4, 0], [5, 0]]),
           ("elemwise_add", "_plus2", mark, [[6, 0], [1, 0]]), ("null", "h", mark, []),
           ("elemwise_add", "_plus3", mark, [[7, 0], [8, 0]]),
           ("null", "split0-0", mark, []), ("elemwise_add", "_plus4", mark, [[9, 0], [10, 0]]),
           ("_copy", "identity0", mark, [[11, 0]]), ("null", "init-0", mark, []),
           ("_copy", "identity1", mark, [[13, 0]])]])]
    assert graph["nodes"][-1]["subgraphs"][0]["heads"] == [[11, 0, 0], [12, 0, 0], [14, 0, 0]]


def test_while_loop_and_cond_inputs_are_mxnets():
    w, i, s = sym.var("w"), sym.var("i"), sym.var("s")
    _, final = sym.contrib.while_loop(lambda i, s: i < w,
                                      lambda i, s: ([i + s], [i + 1, s + i * w]), (i, s),
                                      max_iterations=4)
    node = nodes_of(json.loads(final[0].tojson()))[-1]
    cond_mark, func_mark = ({"__subgraph_name__": f"while_loop_{k}0"} for k in ("cond", "func"))
    assert node[:4] == (  # w, read by both bodies, is an input twice (as in MXNet)
        "_while_loop", "_while_loop0",
        {"cond_input_locs": "[0, 1]", "func_input_locs": "[0, 2, 3]", "func_var_locs": "[0, 1]",
         "max_iterations": "4", "num_args": "6", "num_out_data": "1", "num_outputs": "3"},
        [[0, 0], [1, 0], [2, 0], [1, 0]])
    assert node[4][0] == [("null", "i-0", cond_mark, []), ("null", "w", {}, []),
                          ("_lesser", "_lesser0", cond_mark, [[0, 0], [1, 0]])]
    assert [n[1] for n in node[4][1]] == ["i-0", "s-0", "_plus0", "_plusscalar0", "w", "_mul0",
                                          "_plus1"]
    a, b = sym.var("a"), sym.var("b")
    c = sym.relu(a)
    out = sym.contrib.cond(a * b < 5, lambda: [(a + 5) * (b + 5), c + 1],
                           lambda: [(a - 5) * (b - 5), c])
    node = nodes_of(json.loads(sym.Group(out).tojson()))[-1]
    assert node[:4] == (  # relu0's output is cut once per branch (as in MXNet)
        "_cond", "_cond0", {"cond_input_locs": "[0]", "else_input_locs": "[1, 2, 4]",
                            "num_args": "8", "num_outputs": "2", "then_input_locs": "[1, 2, 3]"},
        [[3, 0], [0, 0], [1, 0], [4, 0], [4, 0]])
    assert node[4][0] == [("null", "_lesser_scalar0_output", {}, []),
                          ("_copy", "identity0", {"__subgraph_name__": "cond_pred0"}, [[0, 0]])]
    assert [n[1] for n in node[4][2]] == ["a", "_minusscalar0", "b", "_minusscalar1", "_mul3",
                                          "relu0_output", "identity1"]
    single = sym.contrib.cond(a < 5, lambda: a, lambda: b * 2)
    assert single.list_outputs() == ["_cond1_output"]


def test_nested_loops_name_their_subgraphs_as_mxnet():
    data, init = sym.var("data"), sym.var("init")

    def outer(x, st):
        inner_out, inner_st = sym.contrib.foreach(lambda y, t: (y * t[0], [t[0] + y]), x,
                                                  [st[0]])
        return inner_out * 2, [inner_st[0]]

    outs, states = sym.contrib.foreach(outer, data, [init])
    node = json.loads(sym.Group([outs] + states).tojson())["nodes"][-1]
    inner = node["subgraphs"][0]["nodes"][2]
    assert (node["name"], inner["name"], inner["attrs"]["__subgraph_name__"]) == (
        "_foreach1", "_foreach0", "foreach0")
    assert [n["name"] for n in inner["subgraphs"][0]["nodes"]][:2] == ["data-0-0", "init-0-0"]
    assert inner["subgraphs"][0]["nodes"][0]["attrs"] == {
        "__subgraph_name__": "foreach0$foreach0"}
    x, s0 = nd.array(np.arange(12.0).reshape(2, 3, 2) / 10), nd.array([1.0, 2.0])
    got = sym.Group([outs] + states).eval(data=x, init=s0)

    def nd_outer(xs, st):
        o, t = nd.contrib.foreach(lambda y, t: (y * t[0], [t[0] + y]), xs, [st[0]])
        return o * 2, [t[0]]

    want_outs, want_states = nd.contrib.foreach(nd_outer, x, [s0])
    for g, w in zip(got, [want_outs] + want_states):
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-6)


# ---- running ---------------------------------------------------------------------------------


def test_bound_control_flow_computes_and_differentiates_as_nd():
    net = fixture_graph(sym)
    assert net.infer_shape(data=(3, 2), init=(2,), w=(2,), i=(1,))[1] == [
        (3, 2), (3, 2), (2,), (2,)]
    exe = net.simple_bind(mx.cpu(), data=(3, 2), init=(2,), w=(2,), i=(1,))
    for k, v in FEED.items():
        exe.arg_dict[k][:] = v
    heads = [nd.array(np.random.RandomState(k).randn(*s).astype(np.float32))
             for k, s in enumerate([(3, 2), (3, 2), (2,), (2,)])]
    outs = exe.forward(is_train=True)
    exe.backward(heads)
    inputs = arrays(**FEED)
    for v in inputs.values():
        v.attach_grad()
    with autograd.record():
        want = nd_oracle(**inputs)
    autograd.backward(want, heads)
    for g, w in zip(outs, want):
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-6)
    for name in ("data", "init", "w"):
        np.testing.assert_allclose(exe.grad_dict[name].asnumpy(), inputs[name].grad.asnumpy(),
                                   rtol=1e-5, err_msg=name)


def test_while_loop_rows_after_the_last_step_are_zero_and_cond_picks_by_value():
    i, s = sym.var("i"), sym.var("s")
    steps, final = sym.contrib.while_loop(lambda i, s: i < 2,
                                          lambda i, s: ([i + s], [i + 1, s * 2]), [i, s],
                                          max_iterations=5)
    got = sym.Group(steps + final).eval(i=nd.array([0.0]), s=nd.array([1.0]))
    assert [g.asnumpy().ravel().tolist() for g in got] == [[1, 3, 0, 0, 0], [2], [4]]
    a = sym.var("a")
    picked = sym.contrib.cond(a > 0, lambda: a * 10, lambda: a - 1)
    assert picked.eval(a=nd.array([2.0]))[0].asnumpy().tolist() == [20.0]
    assert picked.eval(a=nd.array([-2.0]))[0].asnumpy().tolist() == [-3.0]


# ---- errors -------------------------------------------------------------------------------------


def test_control_flow_errors():
    x, s = sym.var("x"), sym.var("s")
    with pytest.raises(ControlFlowError, match="body must return a pair"):
        sym.contrib.foreach(lambda row, st: row, x, [s])
    with pytest.raises(ControlFlowError, match="the data arrays have to be used"):
        sym.contrib.foreach(lambda row, st: ([st[0] * 2], [st[0]]), x, [s])
    with pytest.raises(ControlFlowError, match="structure of init_states"):
        sym.contrib.foreach(lambda row, st: ([row], [st[0], st[0]]), x, [s])
    with pytest.raises(ArgumentError, match="must be a Symbol or a \\(nested\\) list"):
        sym.contrib.foreach(lambda row, st: ([row], st), nd.ones(2), [s])
    with pytest.raises(ArgumentError, match="a group of 2 outputs"):
        sym.contrib.foreach(lambda row, st: ([row], st), sym.Group([x, s]), [s])
    with pytest.raises(ParamError, match="max_iterations should be specified"):
        sym.contrib.while_loop(lambda v: v < 1, lambda v: ([], [v + 1]), [x])
    with pytest.raises(ControlFlowError, match="the 2-th loop_var doesn't involve"):
        sym.contrib.while_loop(lambda v, u: v < 1, lambda v, u: ([], [v + 1, v]), [x, s],
                               max_iterations=2)
    with pytest.raises(ParamError, match="number of loop_vars should be consistent"):
        sym.contrib.while_loop(lambda v: v < 1, lambda v: ([], [v, v]), [x], max_iterations=2)
    with pytest.raises(ControlFlowError, match="the return of cond must be a Symbol"):
        sym.contrib.while_loop(lambda v: True, lambda v: ([], [v + 1]), [x], max_iterations=2)
    with pytest.raises(ControlFlowError, match="then_func gives 2 outputs, else_func 1"):
        sym.contrib.cond(x < 1, lambda: [x, s], lambda: x)
    with pytest.raises(ControlFlowError, match="the branches' results must match"):
        sym.contrib.cond(x < 1, lambda: x, lambda: s).eval(x=nd.ones(1), s=nd.ones(2))
    with pytest.raises(UnsupportedError, match="call mx.nd.contrib.foreach with functions"):
        lookup("_foreach").impl(nd.ones((2, 1)), num_args=2, num_outputs=1, num_out_data=1,
                                in_state_locs=(), in_data_locs=(0,), remain_locs=())
    with pytest.raises(ParamError, match="_cond: locations \\[3\\] are out of range"):
        lookup("_cond").impl(nd.ones(1), num_args=4, num_outputs=1, cond_input_locs=(3,),
                             then_input_locs=(0,), else_input_locs=(0,),
                             subgraphs=[lambda v: [v]] * 3)


def test_the_array_versions_take_a_name_as_mxnets_do():
    a = mx.nd.array([1.0])
    assert mx.nd.contrib.cond(a > 0.5, lambda: a * 2, lambda: a * 3, name="c").asscalar() == 2
    outs, _ = mx.nd.contrib.foreach(lambda x, s: (x + s[0], [s[0]]), mx.nd.ones((2, 2)),
                                    [mx.nd.ones((2,))], name="f")
    assert outs.shape == (2, 2)
    _, final = mx.nd.contrib.while_loop(lambda i: i < 3, lambda i: (i, [i + 1]),
                                        [mx.nd.array([0.0])], max_iterations=5, name="w")
    assert final[0].asscalar() == 3


def test_control_flow_misuse_is_an_assertion_error_too():
    # (MXNet asserts these: its own tests catch AssertionError)
    data = mx.sym.var("data")
    with pytest.raises(AssertionError, match="the states have to be used"):
        mx.sym.contrib.foreach(lambda x, states: (x, [mx.sym.var("free")]), data,
                               [mx.sym.var("state")])


def test_foreach_infers_its_states_from_its_body_as_mxnet():
    # (MXNet's test_foreach_with_unkown_dim: a state a step adds to a row gets the row's
    # shape, and an unknown number of rows stays unknown in the outputs)
    def step(row, states):
        return row + states[0], [states[0] * 2]

    with mx.name.NameManager():
        data = mx.sym.var("data", shape=(0, 3, 4))
        outs, states = mx.sym.contrib.foreach(step, data, [mx.sym.var("state")])
        both = mx.sym.Group([outs, states[0]])
    assert both.infer_shape_partial() == ([(0, 3, 4), (3, 4)], [(0, 3, 4), (3, 4)], [])
    assert both.infer_shape(data=(5, 3, 4)) == ([(5, 3, 4), (3, 4)], [(5, 3, 4), (3, 4)], [])
    run = both.simple_bind(mx.cpu(), data=(5, 3, 4))
    x = np.arange(60, dtype=np.float32).reshape(5, 3, 4)
    got = run.forward(data=nd.array(x), state=nd.ones((3, 4)))
    np.testing.assert_allclose(got[0].asnumpy(), x + 2.0 ** np.arange(5)[:, None, None])
    np.testing.assert_allclose(got[1].asnumpy(), np.full((3, 4), 32.0))


def test_a_foreach_state_nothing_constrains_stays_unknown():
    def step(row, states):
        return row * 2, [states[0] + 1]

    with mx.name.NameManager():
        outs, _ = mx.sym.contrib.foreach(step, mx.sym.var("data", shape=(0, 3)),
                                         [mx.sym.var("state")])
    assert outs.infer_shape_partial()[0] == [(0, 3), ()]
    with pytest.raises(ShapeError, match="state"):
        outs.simple_bind(mx.cpu(), data=(2, 3))


def test_foreach_infers_the_weights_its_body_reads():
    # (MXNet's test_foreach_rnn: an RNN step's FullyConnected weights, read by the body but
    # not given shapes, come from the row and the state)
    with mx.name.NameManager():
        w_i, w_h = mx.sym.var("i2h_weight"), mx.sym.var("h2h_weight")

        def step(row, states):
            h = mx.sym.FullyConnected(row, w_i, num_hidden=5, no_bias=True) + \
                mx.sym.FullyConnected(states[0], w_h, num_hidden=5, no_bias=True)
            return mx.sym.tanh(h), [mx.sym.tanh(h)]

        outs, _ = mx.sym.contrib.foreach(step, mx.sym.var("data"), [mx.sym.var("state")])
    shapes = dict(zip(outs.list_arguments(),
                      outs.infer_shape(data=(7, 2, 3), state=(2, 5))[0]))
    assert shapes == {"data": (7, 2, 3), "state": (2, 5), "i2h_weight": (5, 3),
                      "h2h_weight": (5, 5)}
