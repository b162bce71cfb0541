"""Files written here load and run in real Apache MXNet 1.9.1 with the same outputs: a
Gluon CNN's and a two-input, two-output block's `export`, gluon.rnn.LSTM's `export`, and
`mx.sym` graphs saved with `Symbol.save` and `nd.save` (an MLP, and control flow:
foreach, while_loop and cond). Each is run there through
`mx.sym.load` + `bind` and through `gluon.SymbolBlock.imports`.

Runs only where MXNet can be run: `import mxnet` works, or a Python with MXNet is at
$MXNET_PYTHON or ~/mxnet-ref/bin/python (run in a subprocess, from the test's directory).
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, gluon, nd
from mxjit.gluon import nn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


def mxnet_python() -> str | None:
    if importlib.util.find_spec("mxnet") is not None:
        return sys.executable
    for candidate in (os.environ.get("MXNET_PYTHON"), Path.home() / "mxnet-ref/bin/python"):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return None


#: What runs in MXNet: for each case, its files' outputs through bind and through imports.
RUN_IN_MXNET = """
import json, sys
import numpy as np
import mxnet as mx

results = {}
for case in json.load(open(sys.argv[1])):
    prefix = case["prefix"]
    inputs = {n: mx.nd.array(np.load(f)) for n, f in case["inputs"].items()}
    saved = mx.nd.load(prefix + "-0000.params")
    args = {k[4:]: v for k, v in saved.items() if k.startswith("arg:")}
    aux = {k[4:]: v for k, v in saved.items() if k.startswith("aux:")}
    exe = mx.sym.load(prefix + "-symbol.json").bind(mx.cpu(), {**args, **inputs},
                                                    grad_req="null", aux_states=aux)
    block = mx.gluon.SymbolBlock.imports(prefix + "-symbol.json", list(inputs),
                                         prefix + "-0000.params")
    out = block(*inputs.values())
    results[prefix] = {"bind": [o.asnumpy().tolist() for o in exe.forward()],
                       "imports": [o.asnumpy().tolist() for o in
                                   (out if isinstance(out, list) else [out])]}
print(json.dumps(results))
"""


class TwoInputs(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.embed = nn.Dense(6, activation="tanh")
            self.head = nn.Dense(3)

    def hybrid_forward(self, F, x, extra):
        h = F.concat(self.embed(x), extra, dim=1)
        return self.head(h), F.sigmoid(extra)


def gluon_cnn():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(6, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
                nn.MaxPool2D(2), nn.Conv2D(8, 3, strides=2, use_bias=False),
                nn.LeakyReLU(0.1), nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dropout(0.5),
                nn.Dense(5))
    return net


def export_here(tmp_path: Path, rng: np.random.RandomState) -> dict[str, tuple]:
    """Each case's (inputs by name, the outputs here), its files written in tmp_path."""
    cases = {}
    cnn = gluon_cnn()
    cnn.initialize(mx.init.Xavier())
    cnn.hybridize()
    image = nd.array(rng.randn(2, 3, 10, 10).astype(np.float32))
    with autograd.record():  # (moves BatchNorm's running statistics off their start)
        cnn(image).backward()
    cnn.export(str(tmp_path / "gluon_cnn"))
    cases["gluon_cnn"] = ({"data": image}, [cnn(image)])

    two = TwoInputs()
    two.initialize()
    two.hybridize()
    x, extra = (nd.array(rng.randn(4, 5).astype(np.float32)),
                nd.array(rng.randn(4, 2).astype(np.float32)))
    two(x, extra)
    two.export(str(tmp_path / "two_inputs"))
    cases["two_inputs"] = ({"data0": x, "data1": extra}, list(two(x, extra)))

    with mx.name.NameManager():
        lstm = gluon.rnn.LSTM(12, num_layers=2, layout="NTC", bidirectional=True,
                              input_size=5)
    lstm.load_parameters(str(FIXTURES / "lstm.params"))
    lstm.hybridize()
    seq, zeros = nd.array(np.load(FIXTURES / "lstm_input.npy")), nd.zeros((4, 3, 12))
    lstm(seq)
    lstm.export(str(tmp_path / "lstm"))
    cases["lstm"] = ({"data0": seq, "data1": zeros, "data2": zeros}, [lstm(seq)])

    data = mx.sym.var("data")
    h = mx.sym.BatchNorm(mx.sym.FullyConnected(data, num_hidden=8, name="fc1"),
                         fix_gamma=False, name="bn")
    mlp = mx.sym.softmax(mx.sym.FullyConnected(mx.sym.Activation(h, act_type="tanh"),
                                               num_hidden=3, name="fc2"), name="prob")
    arg_shapes, _, aux_shapes = mlp.infer_shape(data=(4, 6))
    args = {n: nd.array(rng.randn(*s).astype(np.float32)) for n, s in
            zip(mlp.list_arguments(), arg_shapes) if n != "data"}
    aux = {n: nd.array(rng.rand(*s).astype(np.float32) + 0.5) for n, s in
           zip(mlp.list_auxiliary_states(), aux_shapes)}
    mlp.save(str(tmp_path / "sym_mlp-symbol.json"))
    nd.save(str(tmp_path / "sym_mlp-0000.params"),
            {**{f"arg:{k}": v for k, v in args.items()},
             **{f"aux:{k}": v for k, v in aux.items()}})
    inputs = nd.array(rng.randn(4, 6).astype(np.float32))
    exe = mlp.bind(mx.cpu(), {**args, "data": inputs}, grad_req="null", aux_states=aux)
    cases["sym_mlp"] = ({"data": inputs}, exe.forward())

    flow = control_flow_graph()
    params = {"w": nd.array([0.5, -2.0]), "init": nd.array([1.0, -1.0])}
    flow.save(str(tmp_path / "sym_control_flow-symbol.json"))
    nd.save(str(tmp_path / "sym_control_flow-0000.params"),
            {f"arg:{k}": v for k, v in params.items()})
    inputs = {"data": nd.array(rng.randn(3, 2).astype(np.float32)), "i": nd.array([0.0])}
    cases["sym_control_flow"] = (inputs, flow.eval(**params, **inputs))
    return cases


def control_flow_graph():
    """foreach, while_loop and cond, their bodies reading the enclosing graph."""
    F = mx.sym
    data, init, w, i = F.var("data"), F.var("init"), F.var("w"), F.var("i")
    outs, states = F.contrib.foreach(
        lambda x, st: ([(st[0] * w + x + w * 3) * 2], [st[0] * w + x]), data, [init])
    steps, final = F.contrib.while_loop(lambda j, s: j < 3, lambda j, s: ([s * w], [j + 1, s + w]),
                                        [i, states[0]], max_iterations=3)
    picked = F.contrib.cond(F.sum(i) < 1, lambda: final[1] + F.relu(w), lambda: final[1])
    return F.Group([outs[0], steps[0], final[1], picked])


def test_files_written_here_run_in_mxnet_with_the_same_outputs(tmp_path):
    python = mxnet_python()
    if python is None:
        pytest.skip("no MXNet to run: install mxnet, or set MXNET_PYTHON")
    cases = export_here(tmp_path, np.random.RandomState(0))
    spec = []
    for prefix, (inputs, _) in cases.items():
        files = {}
        for name, value in inputs.items():
            files[name] = str(tmp_path / f"{prefix}_{name}.npy")
            np.save(files[name], value.asnumpy())
        spec.append({"prefix": prefix, "inputs": files})
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    (tmp_path / "run_in_mxnet.py").write_text(RUN_IN_MXNET)
    done = subprocess.run([python, "run_in_mxnet.py", "spec.json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(theirs) == sorted(cases)
    for prefix, (_, ours) in cases.items():
        for how in ("bind", "imports"):
            assert len(theirs[prefix][how]) == len(ours), (prefix, how)
            for got, want in zip(theirs[prefix][how], ours):
                np.testing.assert_allclose(np.array(got, dtype=np.float32), want.asnumpy(),
                                           rtol=1e-4, atol=1e-5, err_msg=f"{prefix} {how}")
