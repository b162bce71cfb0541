"""The graphs the cells unroll into are MXNet's: node names and operators in order,
arguments in order, output names. `mxnet_graphs.json` was printed by MXNet 1.9.1 for
the same calls (`tojson()` nodes as name:op, `list_arguments()`, `list_outputs()`)."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import mxjit as mx

MXNET = json.loads((Path(__file__).parent / "mxnet_graphs.json").read_text())


def _graph(outputs: Any, states: list) -> dict[str, list[str]]:
    flat: list = []

    def walk(items: list) -> None:
        for item in items:
            walk(item) if isinstance(item, list) else flat.append(item)
    walk(states)
    group = mx.sym.Group((outputs if isinstance(outputs, list) else [outputs]) + flat)
    nodes = json.loads(group.tojson())["nodes"]
    return {"arguments": group.list_arguments(), "outputs": group.list_outputs(),
            "nodes": [f"{n['name']}:{n['op']}" for n in nodes]}


def _steps() -> list:
    return [mx.sym.Variable(f"t{i}") for i in range(2)]


def _sequential() -> Any:
    stack = mx.rnn.SequentialRNNCell()
    stack.add(mx.rnn.LSTMCell(3, prefix="a_"))
    stack.add(mx.rnn.DropoutCell(0.5))
    stack.add(mx.rnn.ResidualCell(mx.rnn.LSTMCell(3, prefix="b_")))
    return stack.unroll(2, _steps())


CASES: dict[str, Callable[[], Any]] = {
    "fused_lstm_bi_ntc": lambda: mx.rnn.FusedRNNCell(
        4, num_layers=2, mode="lstm", bidirectional=True, get_next_state=True,
        prefix="f_").unroll(2, mx.sym.var("data"), merge_outputs=True),
    "fused_gru_tnc_steps": lambda: mx.rnn.FusedRNNCell(4, mode="gru", prefix="f_").unroll(
        2, mx.sym.var("data"), layout="TNC", merge_outputs=False),
    "unfused_relu_bi": lambda: mx.rnn.FusedRNNCell(
        4, num_layers=2, mode="rnn_relu", bidirectional=True, dropout=0.3,
        prefix="u_").unfuse().unroll(2, mx.sym.var("data"), merge_outputs=True),
    "bidirectional_steps": lambda: mx.rnn.BidirectionalCell(
        mx.rnn.GRUCell(3, prefix="a_"), mx.rnn.GRUCell(3, prefix="b_")).unroll(2, _steps()),
    "sequential": _sequential,
    "zoneout": lambda: mx.rnn.ZoneoutCell(mx.rnn.RNNCell(3, prefix="z_"), 0.3, 0.2).unroll(
        2, _steps()),
    "residual_merged": lambda: mx.rnn.ResidualCell(mx.rnn.RNNCell(5, prefix="q_")).unroll(
        2, mx.sym.var("data"), merge_outputs=True),
    "conv_lstm": lambda: mx.rnn.ConvLSTMCell((2, 3, 8, 6), 5, prefix="cl_",
                                             i2h_pad=(0, 0)).unroll(2, _steps()),
    "conv_gru": lambda: mx.rnn.ConvGRUCell((2, 3, 8, 6), 5, prefix="cg_",
                                           activation="tanh").unroll(2, _steps()),
    "conv_rnn": lambda: mx.rnn.ConvRNNCell((2, 3, 8, 6), 5, prefix="cr_").unroll(2, _steps()),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unrolled_graph_is_mxnets(case: str):
    with mx.name.NameManager():  # (automatic names count from 0, as where MXNet printed them)
        if case.endswith("_ntc"):  # (a fused cell over NTC data says TNC is faster, as MXNet)
            with pytest.warns(UserWarning, match="NTC layout detected"):
                graph = CASES[case]()
        else:
            graph = CASES[case]()
        assert _graph(*graph) == MXNET[case]


def test_step_cells_name_each_step_and_share_four_weights():
    for cell in (mx.rnn.RNNCell(6, prefix="rnn_"), mx.rnn.LSTMCell(6, prefix="rnn_"),
                 mx.rnn.GRUCell(6, prefix="rnn_")):
        outputs, _ = cell.unroll(3, [mx.sym.var(f"x{i}") for i in range(3)])
        group = mx.sym.Group(outputs)
        assert sorted(cell.params._params) == ["rnn_h2h_bias", "rnn_h2h_weight",
                                               "rnn_i2h_bias", "rnn_i2h_weight"]
        assert group.list_outputs() == [f"rnn_t{t}_out_output" for t in range(3)]
        _, shapes, _ = group.infer_shape(x0=(2, 5), x1=(2, 5), x2=(2, 5))
        assert shapes == [(2, 6)] * 3


def test_layouts_and_merging_give_mxnets_shapes():
    cell = mx.rnn.LSTMCell(4)
    merged, states = cell.unroll(3, mx.sym.var("data"), layout="TNC", merge_outputs=True)
    assert merged.infer_shape(data=(3, 2, 5))[1] == [(3, 2, 4)]
    assert mx.sym.Group(states).infer_shape(data=(3, 2, 5))[1] == [(2, 4), (2, 4)]
    steps, _ = cell.unroll(3, mx.sym.var("data"), merge_outputs=False)
    assert len(steps) == 3 and steps[0].infer_shape(data=(2, 3, 5))[1] == [(2, 4)]
    fused = mx.rnn.FusedRNNCell(4, num_layers=2, bidirectional=True, get_next_state=True)
    with pytest.warns(UserWarning, match="NTC layout detected"):
        out, states = fused.unroll(3, mx.sym.var("data"), merge_outputs=True)
    assert out.infer_shape(data=(2, 3, 5))[1] == [(2, 3, 8)]
    assert [s.list_attr()["__layout__"] for s in states] == ["LNC", "LNC"]
    assert mx.sym.Group(states).infer_shape(data=(2, 3, 5))[1] == [(4, 2, 4)] * 2


def test_begin_state_takes_any_creation_function_and_counts():
    cell = mx.rnn.LSTMCell(4, prefix="l_")
    states = cell.begin_state(func=mx.sym.Variable)
    assert [s.name for s in states] == ["l_begin_state_0", "l_begin_state_1"]
    assert states[0].attr_dict()["l_begin_state_0"] == {"__shape__": "(0, 4)",
                                                        "__layout__": "NC"}
    assert cell.begin_state()[0].name == "l_begin_state_2"
    cell.reset()
    assert cell.begin_state()[0].name == "l_begin_state_0"
    assert mx.rnn.FusedRNNCell(3, num_layers=2, bidirectional=True).state_shape == \
        [(4, 0, 3), (4, 0, 3)]


def test_params_are_shared_through_one_container():
    params = mx.rnn.RNNParams("shared_")
    a = mx.rnn.GRUCell(3, params=params)
    b = mx.rnn.GRUCell(3, prefix="other_", params=params)
    out_a, _ = a.unroll(1, [mx.sym.var("x")])
    out_b, _ = b.unroll(1, [mx.sym.var("x")])
    assert out_a[0].list_arguments() == out_b[0].list_arguments() == [
        "x", "shared_i2h_weight", "shared_i2h_bias", "shared_h2h_weight", "shared_h2h_bias"]
    assert "other_begin_state_0_output" in out_b[0].get_internals().list_outputs()
    stack = mx.rnn.SequentialRNNCell()
    stack.add(a)
    assert "shared_i2h_weight" in stack.params._params


def test_forget_bias_initialises_the_forget_gate():
    cell = mx.rnn.LSTMCell(3, forget_bias=2.5, prefix="l_")
    out, _ = cell.unroll(1, mx.sym.var("data"), merge_outputs=True)
    mod = mx.mod.Module(out, label_names=None)
    mod.bind(data_shapes=[("data", (2, 1, 4))])
    mod.init_params()
    bias = mod.get_params()[0]["l_i2h_bias"].asnumpy()
    assert bias.tolist() == [0.0] * 3 + [2.5] * 3 + [0.0] * 6
