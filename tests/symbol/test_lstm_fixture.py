"""MXNet 1.9.1's exported LSTM (lstm-symbol.json: `_rnn_param_concat`, the fused `RNN`
operator between two `SwapAxis`) loads, binds and reproduces lstm_output.npy, through
`Symbol.bind` and `SymbolBlock.imports`; gluon.rnn.LSTM exports the same graph."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import mxjit as mx
from mxjit import gluon, nd

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


def inputs():
    x = nd.array(np.load(FIXTURES / "lstm_input.npy"))
    zeros = nd.zeros((4, 3, 12))  # (2 layers x 2 directions, batch 3, 12 hidden)
    return x, zeros


def lstm_layer():
    with mx.name.NameManager():
        layer = gluon.rnn.LSTM(12, num_layers=2, layout="NTC", bidirectional=True,
                               input_size=5)
    layer.load_parameters(str(FIXTURES / "lstm.params"))
    return layer


def test_bind_reproduces_mxnets_output():
    sym = mx.sym.load(str(FIXTURES / "lstm-symbol.json"))
    assert sym.tojson() == (FIXTURES / "lstm-symbol.json").read_text()
    x, zeros = inputs()
    args = {k[4:]: v for k, v in nd.load(str(FIXTURES / "lstm-0000.params")).items()}
    exe = sym.bind(mx.cpu(), {**args, "data0": x, "data1": zeros, "data2": zeros},
                   grad_req="null")
    np.testing.assert_allclose(exe.forward()[0].asnumpy(),
                               np.load(FIXTURES / "lstm_output.npy"), rtol=1e-5, atol=1e-6)


def test_imports_reproduce_mxnets_output():
    net = gluon.SymbolBlock.imports(str(FIXTURES / "lstm-symbol.json"),
                                    ["data0", "data1", "data2"],
                                    str(FIXTURES / "lstm-0000.params"))
    x, zeros = inputs()
    np.testing.assert_allclose(net(x, zeros, zeros).asnumpy(),
                               np.load(FIXTURES / "lstm_output.npy"), rtol=1e-5, atol=1e-6)


def test_the_lstm_layer_exports_mxnets_graph(tmp_path):
    layer = lstm_layer()
    layer.hybridize()
    x, _ = inputs()
    np.testing.assert_allclose(layer(x).asnumpy(), np.load(FIXTURES / "lstm_output.npy"),
                               rtol=1e-5, atol=1e-6)
    layer.export(str(tmp_path / "lstm"))
    mine = json.loads((tmp_path / "lstm-symbol.json").read_text())
    theirs = json.loads((FIXTURES / "lstm-symbol.json").read_text())
    assert mine == theirs
    saved = nd.load(str(tmp_path / "lstm-0000.params"))
    expected = nd.load(str(FIXTURES / "lstm-0000.params"))
    assert list(saved) == list(expected)
    for key in expected:
        np.testing.assert_array_equal(saved[key].asnumpy(), expected[key].asnumpy(), key)


def test_the_layer_on_symbols_takes_its_states_as_symbols():
    layer = lstm_layer()
    out, states = layer(mx.sym.var("x"), [mx.sym.var("h"), mx.sym.var("c")])
    assert out.name == "lstm0_swapaxes1" and len(states) == 2
    assert out.list_arguments()[:3] == ["x", "lstm0_l0_i2h_weight", "lstm0_l0_h2h_weight"]
