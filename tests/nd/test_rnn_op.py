"""mx.nd.RNN (the fused RNN operator) against a float64 NumPy reference written here: every
mode, stacked and bidirectional layers, LSTMP, sequence lengths, state clipping, dropout,
eager and under mx.jit, gradients by central differences, MXNet's own exported LSTM, and
every user error. Shapes stay tiny: each new shape compiles kernels."""
import json
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError
from mxjit.core.operators import lookup
from tests.helpers import check_grads

nd = mx.nd
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"
GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


# ---- the NumPy reference ---------------------------------------------------------------------


def param_size(mode, layers, dirs, inputs, hidden, proj=None):
    g, out = GATES[mode], proj or hidden
    total = 0
    for layer in range(layers):
        width = inputs if layer == 0 else dirs * out
        total += dirs * (g * hidden * (width + out) + (proj or 0) * hidden + 2 * g * hidden)
    return total


def unpack(params, mode, layers, dirs, inputs, hidden, proj=None):
    """[(w_i2h, w_h2h, w_proj, b_i2h, b_h2h)] per (layer, direction): all weights first
    (i2h, h2h, proj per layer and direction), then all biases (i2h, h2h)."""
    g, out, pos = GATES[mode], proj or hidden, 0

    def take(shape):
        nonlocal pos
        n = int(np.prod(shape))
        pos += n
        return params[pos - n:pos].reshape(shape)

    cells = []
    for layer in range(layers):
        width = inputs if layer == 0 else dirs * out
        for _ in range(dirs):
            cells.append([take((g * hidden, width)), take((g * hidden, out)),
                          take((proj, hidden)) if proj else None])
    for cell in cells:
        cell += [take((g * hidden,)), take((g * hidden,))]
    assert pos == params.size
    return cells


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def cell_step(mode, x, h, c, cell, clip):
    wi, wh, wr, bi, bh = cell
    hidden = wi.shape[0] // GATES[mode]
    xi, hh = x @ wi.T + bi, h @ wh.T + bh
    if mode == "lstm":
        i, f, g, o = np.split(xi + hh, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        if clip is not None:
            lo, hi, nan = clip
            c = np.where(np.isnan(c), lo if nan else np.nan, np.clip(c, lo, hi))
        h = sigmoid(o) * np.tanh(c)
        return (h if wr is None else h @ wr.T), c
    if mode == "gru":  # MXNet's (cuDNN's) GRU: the reset gate scales W_hn h + b_hn
        r = sigmoid(xi[:, :hidden] + hh[:, :hidden])
        z = sigmoid(xi[:, hidden:2 * hidden] + hh[:, hidden:2 * hidden])
        n = np.tanh(xi[:, 2 * hidden:] + r * hh[:, 2 * hidden:])
        return (1 - z) * n + z * h, c
    a = xi + hh
    return (np.maximum(a, 0) if mode == "rnn_relu" else np.tanh(a)), c


def rnn_np(x, params, h0, c0, mode, layers, hidden, bidirectional=False, proj=None,
           lengths=None, clip=None):
    steps, batch, inputs = x.shape
    dirs = 2 if bidirectional else 1
    cells = unpack(params, mode, layers, dirs, inputs, hidden, proj)
    lengths = np.full(batch, steps) if lengths is None else np.asarray(lengths)
    hy, cy, inp = [], [], x
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            h, c = h0[k], None if c0 is None else c0[k]
            ys = np.zeros((steps, batch, h.shape[-1]))
            for t in (range(steps) if d == 0 else range(steps - 1, -1, -1)):
                h2, c2 = cell_step(mode, inp[t], h, c, cells[k], clip)
                valid = (t < lengths)[:, None]
                h, ys[t] = np.where(valid, h2, h), np.where(valid, h2, 0)
                c = None if c is None else np.where(valid, c2, c)
            outs.append(ys)
            hy.append(h)
            cy.append(c)
        inp = np.concatenate(outs, axis=-1)
    return inp, np.stack(hy), None if c0 is None else np.stack(cy)


def case(mode, layers=1, bidirectional=False, proj=None, steps=3, batch=2, inputs=3,
         hidden=4, seed=0):
    """Random float64 inputs: x, params, h0, c0 (None unless LSTM)."""
    rng = np.random.default_rng(seed)
    dirs = 2 if bidirectional else 1
    x = rng.normal(size=(steps, batch, inputs))
    params = rng.normal(size=param_size(mode, layers, dirs, inputs, hidden, proj)) * 0.5
    h0 = rng.normal(size=(layers * dirs, batch, proj or hidden)) * 0.5
    c0 = rng.normal(size=(layers * dirs, batch, hidden)) * 0.5 if mode == "lstm" else None
    return x, params, h0, c0


def arrays(*values, dtype="float32"):
    return [None if v is None else nd.array(v, dtype=dtype) for v in values]


# ---- values ------------------------------------------------------------------------------


CONFIGS = [(mode, layers, bi, None) for mode in GATES for layers in (1, 2)
           for bi in (False, True)] + [("lstm", layers, bi, 2) for layers in (1, 2)
                                       for bi in (False, True)]


@pytest.mark.parametrize("mode, layers, bidirectional, proj", CONFIGS)
def test_rnn_matches_numpy(mode, layers, bidirectional, proj):
    x, params, h0, c0 = case(mode, layers, bidirectional, proj)
    got = nd.RNN(*arrays(x, params, h0, c0), state_size=4, num_layers=layers,
                 bidirectional=bidirectional, mode=mode, projection_size=proj,
                 state_outputs=True)
    want = rnn_np(x, params, h0, c0, mode, layers, 4, bidirectional, proj)
    assert len(got) == (3 if mode == "lstm" else 2)
    for g, w in zip(got, want):
        assert g.dtype == np.float32 and g.shape == w.shape
        np.testing.assert_allclose(g.asnumpy(), w, rtol=1e-5, atol=1e-5)


def test_rnn_without_state_outputs_returns_the_output_only_in_each_dtype():
    x, params, h0, _ = case("gru")
    want = rnn_np(x, params, h0, None, "gru", 1, 4)[0]
    for dtype, tol in (("float64", 1e-12), ("float32", 1e-5), ("float16", 3e-3)):
        out = nd.RNN(*arrays(x, params, h0, dtype=dtype), state_size=4, num_layers=1,
                     mode="gru")
        assert isinstance(out, nd.NDArray) and out.dtype == np.dtype(dtype)
        np.testing.assert_allclose(out.asnumpy(), want, rtol=tol, atol=tol)


def test_rnn_reproduces_mxnets_exported_bidirectional_lstm():
    """lstm-symbol.json / lstm-0000.params: gluon.rnn.LSTM(12, num_layers=2,
    bidirectional=True) exported by MXNet 1.9.1; the RNN node's inputs and attributes and
    the parameter packing (_rnn_param_concat) are read from the JSON."""
    nodes = json.loads((FIXTURES / "lstm-symbol.json").read_text())["nodes"]
    params = nd.load(str(FIXTURES / "lstm-0000.params"))
    rnn = next(n for n in nodes if n["op"] == "RNN")
    packing = nodes[rnn["inputs"][1][0]]
    assert packing["op"] == "_rnn_param_concat"
    reshapes = [nodes[entry[0]] for entry in packing["inputs"]]  # each flattens one parameter
    names = [nodes[r["inputs"][0][0]]["name"] for r in reshapes]
    flat = nd.concat(*[params["arg:" + name].reshape((-1,)) for name in names], dim=0)
    attrs = {k: lookup("RNN").param(k).parse(v) for k, v in rnn["attrs"].items()}
    x = np.load(FIXTURES / "lstm_input.npy")  # (batch, time, feature): the graph swaps axes
    begin = nd.zeros((2 * attrs["num_layers"], x.shape[0], attrs["state_size"]))
    out = nd.RNN(nd.array(x).swapaxes(0, 1), flat, begin, begin, **attrs)
    np.testing.assert_allclose(out[0].swapaxes(0, 1).asnumpy(),
                               np.load(FIXTURES / "lstm_output.npy"), rtol=1e-5, atol=1e-6)


def test_sequence_lengths_and_state_clipping_eagerly_and_under_jit():
    x, params, h0, c0 = case("lstm", 1, True, seed=3)
    c0 = c0 * 6  # well outside the clip range
    lengths = [3, 1]
    clip = dict(lstm_state_clip_min=-0.5, lstm_state_clip_max=0.7)

    def f(x, p, h, c, n):
        return nd.RNN(x, p, h, c, n, state_size=4, num_layers=1, bidirectional=True,
                      mode="lstm", state_outputs=True, use_sequence_length=True, **clip)

    args = arrays(x, params, h0, c0, np.array(lengths))
    want = rnn_np(x, params, h0, c0, "lstm", 1, 4, True, None, lengths, (-0.5, 0.7, False))
    unclipped = rnn_np(x, params, h0, c0, "lstm", 1, 4, True, None, lengths)
    assert np.abs(want[2] - unclipped[2]).max() > 0.1  # (the clip changes the result)
    assert not want[0][1:, 1].any()  # (sequence 1's outputs after its one step are 0)
    for got in (f(*args), mx.jit(f)(*args)):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.asnumpy(), w, rtol=1e-5, atol=1e-5)


def test_clip_nan_stops_nan_in_the_cell_state():
    x, params, h0, c0 = case("lstm", steps=2, batch=1, seed=4)
    c0[0, 0, 1] = np.nan
    kw = dict(state_size=4, num_layers=1, mode="lstm", state_outputs=True,
              lstm_state_clip_min=-1.0, lstm_state_clip_max=1.0)
    kept = nd.RNN(*arrays(x, params, h0, c0), lstm_state_clip_nan=True, **kw)
    want = rnn_np(x, params, h0, c0, "lstm", 1, 4, clip=(-1.0, 1.0, True))
    for g, w in zip(kept, want):
        np.testing.assert_allclose(g.asnumpy(), w, rtol=1e-5, atol=1e-5)
    assert np.isfinite(kept[0].asnumpy()).all()
    spread = nd.RNN(*arrays(x, params, h0, c0), **kw)
    assert np.isnan(spread[2].asnumpy()[0, 0, 1])


def test_dropout_between_layers_in_training_mode_only():
    """Layer 1 is relu(I * dropout(y0)) with identity weights and no bias, so each of its
    outputs is 0 or y0 / (1 - p), where y0 is the first layer's output."""
    rng = np.random.default_rng(5)
    first = np.abs(rng.normal(size=param_size("rnn_relu", 1, 1, 3, 4))) * 0.5
    w_i2h, w_h2h, bias = first[:12], first[12:28], first[28:]
    params = np.concatenate([w_i2h, w_h2h, np.eye(4).ravel(), np.zeros(16), bias,
                             np.zeros(8)])
    x = nd.array(np.abs(rng.normal(size=(4, 5, 3))))
    y0 = nd.RNN(x, nd.array(first), nd.zeros((1, 5, 4)), state_size=4, num_layers=1,
                mode="rnn_relu").asnumpy()

    def run(train):
        with mx.autograd.train_mode() if train else mx.autograd.predict_mode():
            return nd.RNN(x, nd.array(params), nd.zeros((2, 5, 4)), state_size=4,
                          num_layers=2, mode="rnn_relu", p=0.5).asnumpy()

    np.testing.assert_allclose(run(False), y0, rtol=1e-6)
    dropped = run(True)
    kept = dropped != 0
    assert 0.2 < kept.mean() < 0.8
    np.testing.assert_allclose(dropped[kept], y0[kept] * 2, rtol=1e-5)


@pytest.mark.parametrize("steps, batch", [(0, 2), (2, 0)])
def test_empty_sequences_and_batches(steps, batch):
    _, params, _, _ = case("lstm", inputs=3)
    h0, c0 = nd.ones((1, batch, 4)), nd.ones((1, batch, 4)) * 2
    out, hy, cy = nd.RNN(nd.ones((steps, batch, 3)), nd.array(params), h0, c0, state_size=4,
                         num_layers=1, mode="lstm", state_outputs=True)
    assert out.shape == (steps, batch, 4) and hy.shape == cy.shape == (1, batch, 4)
    if steps == 0:  # no step: the states are the initial ones
        np.testing.assert_array_equal(hy.asnumpy(), 1)
        np.testing.assert_array_equal(cy.asnumpy(), 2)


# ---- gradients -----------------------------------------------------------------------------


def _flat(out):
    return nd.concat(*[o.reshape((-1,)) for o in out], dim=0)


def test_lstmp_gradient_matches_central_differences():
    x, params, h0, c0 = case("lstm", proj=1, steps=2, batch=1, inputs=1, hidden=2)
    check_grads(lambda x, p, h, c: _flat(nd.RNN(
        x, p, h, c, state_size=2, num_layers=1, mode="lstm", projection_size=1,
        state_outputs=True)), [x, params, h0, c0], order=1)


def test_bidirectional_gru_gradient_matches_central_differences():
    x, params, h0, _ = case("gru", 1, True, steps=2, batch=1, inputs=1, hidden=2)
    check_grads(lambda x, p, h: _flat(nd.RNN(
        x, p, h, state_size=2, num_layers=1, bidirectional=True, mode="gru",
        state_outputs=True)), [x, params, h0], order=1)


def test_rnn_tanh_gradient_to_second_order():
    x, params, h0, _ = case("rnn_tanh", steps=2, batch=1, inputs=2, hidden=2)
    check_grads(lambda x, p, h: nd.RNN(x, p, h, state_size=2, num_layers=1,
                                       mode="rnn_tanh"), [x, params, h0], order=2,
                rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_masked_stacked_bidirectional_gradients_match_central_differences(mode):
    """The scan's own backward pass (ops/rnn_scan.py): written-out cell derivatives, masks
    past each sequence's length, the weight gradient as one product after the loop."""
    x, params, h0, c0 = case(mode, 2, True, steps=3, batch=2, inputs=2, hidden=2)
    lengths = np.array([3.0, 2.0])
    if mode == "rnn_relu":  # (keep pre-activations away from relu's kink)
        x, params = x + 0.5, np.abs(params) + 0.1
    states = [h0] + ([c0] if mode == "lstm" else [])

    def f(x, p, *states):
        return _flat(nd.RNN(x, p, *states, sequence_length=nd.array(lengths), state_size=2,
                            num_layers=2, bidirectional=True, mode=mode,
                            state_outputs=True, use_sequence_length=True))

    check_grads(f, [x, params, *states], order=1)


def test_lstm_gradients_equal_the_plain_scans():
    """Clipping takes the plain scan's automatic gradient; a clip range nothing reaches
    must give the same gradients as the scan with its own backward pass."""
    x, params, h0, c0 = case("lstm", 2, False, steps=4, batch=3, inputs=3, hidden=4)
    grads = []
    for clip in ({}, dict(lstm_state_clip_min=-1e6, lstm_state_clip_max=1e6)):
        def loss(x, p, h, c, clip=clip):
            out, hn, cn = nd.RNN(x, p, h, c, state_size=4, num_layers=2, mode="lstm",
                                 state_outputs=True, **clip)
            return (out * out).sum() + (hn * cn).sum()

        grads.append(mx.grad(loss, argnums=(0, 1, 2, 3))(*arrays(x, params, h0, c0,
                                                                 dtype="float64")))
    for ours, plain in zip(*grads):
        np.testing.assert_allclose(ours.asnumpy(), plain.asnumpy(), rtol=1e-10, atol=1e-12)


def test_autograd_backward_agrees_with_grad():
    x, params, h0, _ = case("rnn_relu", steps=2, batch=2, inputs=2, hidden=3)
    xs, p, h = arrays(x, params, h0, dtype="float64")

    def loss(p):
        return (nd.RNN(xs, p, h, state_size=3, num_layers=1, mode="rnn_relu") ** 2).sum()

    p.attach_grad()
    with mx.autograd.record():
        y = loss(p)
    y.backward()
    np.testing.assert_allclose(p.grad.asnumpy(), mx.grad(loss)(p).asnumpy(), rtol=1e-10)


# ---- errors ------------------------------------------------------------------------------


def _gru_args(**overrides):
    x, params, h0, _ = case("gru")
    args = dict(data=nd.array(x), parameters=nd.array(params), state=nd.array(h0),
                state_size=4, num_layers=1, mode="gru")
    args.update(overrides)
    return args


@pytest.mark.parametrize("overrides, error, match", [
    (dict(mode="elman"), ParamError, "mode must be one of"),
    (dict(state_size=0), ParamError, "must be positive"),
    (dict(num_layers=1.5), TypeError, "num_layers must be an int"),
    (dict(p=1.0), ParamError, r"p must be in \[0, 1\)"),
    (dict(projection_size=2), ParamError, "needs mode='lstm'"),
    (dict(data=nd.ones((3, 2))), ShapeError, "data must be"),
    (dict(data=nd.ones((3, 2, 3), dtype="int32")), DTypeError, "floating point"),
    (dict(parameters=nd.ones((5,))), ShapeError, r"parameters .* must have shape \(108,\)"),
    (dict(state=nd.ones((2, 2, 4))), ShapeError, r"state .* must have shape \(1, 2, 4\)"),
    (dict(state_cell=nd.ones((1, 2, 4))), ParamError, "state_cell is for mode='lstm' only"),
    (dict(state=nd.ones((1, 2, 4), dtype="float64")), DTypeError, "data's dtype float32"),
    (dict(use_sequence_length=True), ParamError, "needs the `sequence_length` array"),
    (dict(sequence_length=nd.ones((2,))), ParamError, "use_sequence_length=False"),
    (dict(sequence_length=nd.ones((3,)), use_sequence_length=True), ShapeError,
     "sequence_length"),
    (dict(lstm_state_clip_min=-1.0), ParamError, "go together"),
])
def test_rnn_errors(overrides, error, match):
    with pytest.raises(error, match=match):
        nd.RNN(**_gru_args(**overrides))


def test_lstm_needs_its_cell_state_of_the_right_shape():
    x, params, h0, c0 = case("lstm")
    kw = dict(state_size=4, num_layers=1, mode="lstm")
    with pytest.raises(ParamError, match="needs the initial cell state"):
        nd.RNN(*arrays(x, params, h0), **kw)
    with pytest.raises(ShapeError, match="state_cell"):
        nd.RNN(*arrays(x, params, h0), nd.ones((1, 2, 3)), **kw)
    with pytest.raises(ParamError, match="min <= max"):
        nd.RNN(*arrays(x, params, h0, c0), lstm_state_clip_min=1.0, lstm_state_clip_max=0.0,
               **kw)
