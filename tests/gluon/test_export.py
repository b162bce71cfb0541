"""Gluon's symbolic side: blocks called on symbols (F = mx.sym), `Parameter.var`, `export`,
and `SymbolBlock` (`imports` of MXNet 1.9.1's files reproduces what MXNet computed; an
export here imports back to the same numbers; the JSON of MXNet's cnn architecture is the
file MXNet wrote)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, gluon, nd
from mxjit.base import ArgumentError, MXNetError, ParamError
from mxjit.gluon import nn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


def fixture_nodes(prefix):
    return {n["name"]: n for n in json.loads((FIXTURES / f"{prefix}-symbol.json").read_text())
            ["nodes"]}


def cnn_of_the_fixture():
    """The network of cnn-symbol.json, as tests/fixtures/mxnet-1.9.1/README.md says."""
    with mx.name.NameManager():
        net = nn.HybridSequential()
        net.add(nn.Conv2D(8, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
                nn.MaxPool2D(2), nn.Conv2D(16, 3, strides=2), nn.LeakyReLU(0.1),
                nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dropout(0.5), nn.Dense(10))
    return net


def mlp_of_the_fixture():
    with mx.name.NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(4, activation="relu", in_units=3), nn.BatchNorm(in_channels=4),
                    nn.Dense(2, in_units=4))
    return net


def test_parameter_var_has_mxnets_attributes_and_is_made_once():
    nodes = fixture_nodes("cnn")
    with mx.name.NameManager():
        dense = nn.Dense(10)
        bn = nn.BatchNorm()
    def stored(sym):
        return json.loads(sym.tojson())["nodes"][0]["attrs"]

    assert stored(dense.weight.var()) == nodes["dense0_weight"]["attrs"]
    assert stored(dense.bias.var()) == nodes["dense0_bias"]["attrs"]
    assert stored(bn.running_var.var()) == nodes["batchnorm0_running_var"]["attrs"]
    assert dense.weight.var().list_attr()["lr_mult"] == "1.0"  # (listed both ways)
    assert dense.weight.var() is dense.weight.var()
    dense.weight.shape = (10, 16)
    assert dense.weight.var().attr("__shape__") == "(10, 0)"  # (as MXNet: made once)
    w = gluon.Parameter("w", shape=(2, 3), lr_mult=0.5, dtype="float16",
                        init=mx.init.Constant(2.0))
    assert w.var().list_attr() == {"__shape__": "(2, 3)", "__lr_mult__": "0.5",
                                   "__wd_mult__": "1.0", "__dtype__": "2",
                                   "__init__": mx.init.Constant(2.0).dumps(),
                                   "__storage_type__": "0", "lr_mult": "0.5",
                                   "wd_mult": "1.0"}


def test_blocks_on_symbols_name_their_nodes_as_mxnet():
    net = mlp_of_the_fixture()
    out = net(mx.sym.var("data"))
    assert out.tojson() == (FIXTURES / "mlp-symbol.json").read_text()
    with mx.name.NameManager():
        layers = [nn.Flatten(), nn.Activation("relu"), nn.LeakyReLU(0.1), nn.Dropout(0.5),
                  nn.Conv2D(4, 3, use_bias=False), nn.AvgPool2D(), nn.Embedding(5, 2),
                  nn.PReLU(), nn.Swish(), nn.InstanceNorm(), nn.BatchNormReLU(),
                  nn.HybridLambda("tanh")]
    names = [layer(mx.sym.var("x")).name for layer in layers]
    assert names == ["flatten0_flatten0", "relu0_fwd", "leakyrelu0_fwd", "dropout0_fwd",
                     "conv0_fwd", "pool0_fwd", "embedding0_fwd", "prelu0_fwd",
                     "swish0__mul0", "instancenorm0_fwd", "batchnormrelu0_fwd",
                     "hybridlambda0_tanh0"]
    conv = layers[4](mx.sym.var("x"))
    assert conv.list_arguments() == ["x", "conv0_weight"]


def test_symbols_and_arrays_mixed_is_mxnets_error():
    dense = nn.Dense(2, in_units=3)
    dense.initialize()

    class Two(gluon.HybridBlock):
        def hybrid_forward(self, F, a, b):
            return a + b

    with pytest.raises(ParamError, match="mixed NDArrays and Symbols"):
        Two()(mx.sym.var("a"), nd.ones((2,)))
    dense.hybridize()
    sym = dense(mx.sym.var("data"))  # (never the compiled path)
    assert sym.list_arguments() == ["data", dense.weight.name, dense.bias.name]
    assert dense._program is None


def test_export_matches_mxnets_file_for_the_cnn_architecture(tmp_path):
    net = cnn_of_the_fixture()
    x = nd.array(np.load(FIXTURES / "cnn_input.npy"))
    with pytest.raises(MXNetError, match="first call block.hybridize"):
        net.export(str(tmp_path / "early"))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    with pytest.raises(MXNetError, match="first call block.hybridize"):
        net.export(str(tmp_path / "uncalled"))
    net(x)  # (MXNet makes the graph now, while shapes are still deferred: (8, 0, 3, 3))
    net.load_parameters(str(FIXTURES / "cnn.params"))
    net.export(str(tmp_path / "cnn"), epoch=7)
    eager = nn.Dense(2)
    eager.initialize()
    eager(x)
    with pytest.raises(MXNetError, match="first call block.hybridize"):
        eager.export(str(tmp_path / "eager"))
    assert (tmp_path / "cnn-symbol.json").read_text() == (FIXTURES / "cnn-symbol.json").read_text()
    mine = nd.load(str(tmp_path / "cnn-0007.params"))
    theirs = nd.load(str(FIXTURES / "cnn-0000.params"))
    assert list(mine) == list(theirs)
    for key in theirs:
        np.testing.assert_array_equal(mine[key].asnumpy(), theirs[key].asnumpy(), key)


@pytest.mark.parametrize("prefix", ["cnn", "mlp"])
def test_imports_reproduce_mxnets_outputs_eager_and_hybridized(prefix):
    net = gluon.SymbolBlock.imports(str(FIXTURES / f"{prefix}-symbol.json"), ["data"],
                                    str(FIXTURES / f"{prefix}-0000.params"))
    assert sorted(net.collect_params()) == sorted(
        k[4:] for k in nd.load(str(FIXTURES / f"{prefix}-0000.params")))
    assert net.collect_params()[net._output.list_auxiliary_states()[0]].grad_req == "null"
    x = nd.array(np.load(FIXTURES / f"{prefix}_input.npy"))
    want = np.load(FIXTURES / f"{prefix}_output.npy")
    np.testing.assert_allclose(net(x).asnumpy(), want, rtol=1e-5, atol=1e-6)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), want, rtol=1e-5, atol=1e-6)
    assert repr(net).startswith("SymbolBlock(\n<Symbol ")


@pytest.mark.parametrize("hybridize", [False, True])
def test_imports_of_the_zoo_graph_train_as_mxnet_did(hybridize):
    net = gluon.SymbolBlock.imports(str(FIXTURES / "zoo-symbol.json"),
                                    ["data", "tokens", "softmax_label"],
                                    str(FIXTURES / "zoo-0000.params"))
    if hybridize:
        net.hybridize()
    io = np.load(FIXTURES / "zoo_io.npz")
    inputs = [nd.array(io[k]) for k in ("data", "tokens", "softmax_label")]
    with autograd.record():
        out = net(*inputs)
    out.backward()
    np.testing.assert_allclose(out.asnumpy(), io["output_train"], rtol=1e-5, atol=1e-6)
    params = net.collect_params()
    for name in ("fc1_weight", "conv_weight", "emb_weight"):
        np.testing.assert_allclose(params[name].grad().asnumpy(), io[f"grad_{name}"],
                                   rtol=1e-4, atol=1e-5, err_msg=name)
    # (the backward pass moved BatchNorm's statistics, as MXNet's training step did)
    np.testing.assert_allclose(net(*inputs).asnumpy(), np.load(FIXTURES / "zoo_output_infer.npy"),
                               rtol=1e-5, atol=1e-6)


class TwoInputs(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential()
            self.features.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
                              nn.MaxPool2D(2), nn.Dropout(0.3), nn.Flatten())
            self.head = nn.Dense(3)

    def hybrid_forward(self, F, image, extra):
        return self.head(F.concat(self.features(image), extra, dim=1)), F.relu(extra)


def test_export_of_a_gluon_network_imports_back_to_the_same_numbers(tmp_path):
    net = TwoInputs()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    rng = np.random.RandomState(0)
    image = nd.array(rng.randn(2, 3, 8, 8).astype(np.float32))
    extra = nd.array(rng.randn(2, 5).astype(np.float32))
    with autograd.record():  # (a training step moves BatchNorm's running statistics)
        net(image, extra)[0].backward()
    want = [o.asnumpy() for o in net(image, extra)]
    net.export(str(tmp_path / "two"))
    graph = json.loads((tmp_path / "two-symbol.json").read_text())
    assert [graph["nodes"][k]["name"] for k in graph["arg_nodes"]][:1] == ["data0"]
    saved = nd.load(str(tmp_path / "two-0000.params"))
    assert {k.split(":")[0] for k in saved} == {"arg", "aux"}
    assert all(k.startswith("aux:") == k.endswith(("running_mean", "running_var"))
               for k in saved)
    back = gluon.SymbolBlock.imports(str(tmp_path / "two-symbol.json"), ["data0", "data1"],
                                     str(tmp_path / "two-0000.params"))
    got = back(image, extra)
    assert isinstance(got, list) and len(got) == 2
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w, rtol=1e-5, atol=1e-6)
    back.hybridize()
    np.testing.assert_allclose(back(image, extra)[0].asnumpy(), want[0], rtol=1e-5, atol=1e-6)


def test_symbol_block_shares_parameters_and_composes_on_symbols():
    net = mlp_of_the_fixture()
    net.initialize()
    x = nd.array(np.load(FIXTURES / "mlp_input.npy"))
    data = mx.sym.var("data")
    internals = net(data).get_internals()
    hidden = internals["hybridsequential0_dense0_relu_fwd_output"]
    features = gluon.SymbolBlock([hidden, internals["hybridsequential0_dense1_fwd_output"]],
                                 data, params=net.collect_params())
    assert features.collect_params()["hybridsequential0_dense0_weight"] is net[0].weight
    assert list(features._reg_params) == ["dense0_weight", "dense0_bias", "batchnorm0_gamma",
                                          "batchnorm0_beta", "dense1_weight", "dense1_bias",
                                          "batchnorm0_running_mean", "batchnorm0_running_var"]
    h, y = features(x)
    np.testing.assert_allclose(y.asnumpy(), net(x).asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(h.asnumpy(), net[0](x).asnumpy(), rtol=1e-6)
    composed = features(mx.sym.var("pixels"))
    assert [s.list_arguments()[0] for s in composed] == ["pixels", "pixels"]


def test_symbol_block_infers_parameter_shapes_at_its_first_call():
    data = mx.sym.var("data")
    block = gluon.SymbolBlock(mx.sym.FullyConnected(data, num_hidden=3, name="fc"), data)
    block.initialize()
    assert block.collect_params()["fc_weight"].shape is None
    assert block(nd.ones((2, 5))).shape == (2, 3)
    assert block.collect_params()["fc_weight"].shape == (3, 5)


def test_symbol_block_errors():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    with pytest.raises(ParamError, match="Input symbols must be variable"):
        gluon.SymbolBlock(fc, fc)
    block = gluon.SymbolBlock(fc, data)
    block.initialize()
    with pytest.raises(ArgumentError, match="takes 1 inputs"):
        block(nd.ones((2, 5)), nd.ones((2, 5)))
    assert gluon.nn.SymbolBlock is gluon.SymbolBlock


def test_cnn_fixture_imports_and_runs_its_first_batch_in_under_a_second_cold(tmp_path):
    script = (
        "import time, numpy as np\n"
        "import mxjit as mx\n"
        "t = time.perf_counter()\n"
        f"net = mx.gluon.SymbolBlock.imports({str(FIXTURES / 'cnn-symbol.json')!r}, ['data'],"
        f" {str(FIXTURES / 'cnn-0000.params')!r})\n"
        f"net(mx.nd.array(np.load({str(FIXTURES / 'cnn_input.npy')!r}))).asnumpy()\n"
        "print(time.perf_counter() - t)\n")
    env = {**os.environ, "MXJIT_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True)
    assert float(out.stdout.split()[-1]) < 1.0
