"""gluon.rnn: the LSTM whose parameters MXNet 1.9.1 saved; the fused layers and the cells
against a NumPy float64 reference (forward, and gradients by central differences), eager
against hybridized, states in and out, layouts, valid lengths, parameter names and printed
forms as MXNet prints them, and the errors a user can hit."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, gluon, nd
from mxjit.base import MXNetError
from mxjit.gluon import rnn

from .layer_check import eager_and_hybrid

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"
T, N, C, H = 4, 3, 5, 6  # steps, batch, input features, hidden size


def _rand(seed, *shape, scale=1.0):
    return np.random.RandomState(seed).uniform(-scale, scale, shape)


def _set_random(block, seed=0, scale=0.5):
    """Random values for every parameter (biases too); returns them by name without the
    block's prefix, in float64."""
    out = {}
    for k, (name, p) in enumerate(sorted(block.collect_params().items())):
        value = _rand(seed + k, *p.shape, scale=scale)
        p.set_data(nd.array(value, dtype=p.dtype))
        out[name[len(block.prefix):]] = value
    return out


# ---- the NumPy reference -----------------------------------------------------------------


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def np_step(mode, x, h, c, w):
    """One step of `mode` with weights `w` (i2h/h2h weight and bias, optional h2r)."""
    z_i = x @ w["i2h_weight"].T + w["i2h_bias"]
    z_h = h @ w["h2h_weight"].T + w["h2h_bias"]
    if mode == "rnn_tanh":
        return np.tanh(z_i + z_h), None
    if mode == "rnn_relu":
        return np.maximum(z_i + z_h, 0), None
    if mode == "gru":
        (ir, iz, i_n), (hr, hz, hn) = np.split(z_i, 3, axis=1), np.split(z_h, 3, axis=1)
        r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
        n = np.tanh(i_n + r * hn)
        return (1 - z) * n + z * h, None
    i, f, g, o = np.split(z_i + z_h, 4, axis=1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    return (h @ w["h2r_weight"].T if "h2r_weight" in w else h), c


def np_direction(mode, xs, h, c, w, reverse=False, lengths=None):
    """One direction over xs (T, N, C): outputs (T, N, H) and the final states. Sequence b
    runs its first lengths[b] steps only (reversed within them); later outputs are 0."""
    steps, batch = xs.shape[:2]
    lengths = np.full(batch, steps) if lengths is None else lengths
    ys, hs, cs = [], [], []
    for b in range(batch):
        hb, cb = h[b:b + 1], None if c is None else c[b:b + 1]
        order = list(range(int(lengths[b])))
        yb = np.zeros((steps, 1, h.shape[1]))
        for t in (order[::-1] if reverse else order):
            hb, cb = np_step(mode, xs[t, b:b + 1], hb, cb, w)
            yb[t] = hb
        ys.append(yb)
        hs.append(hb)
        cs.append(cb)
    return np.concatenate(ys, axis=1), np.concatenate(hs), None if c is None else \
        np.concatenate(cs)


def np_layer(mode, x, states, w, layers, dirs, lengths=None):
    """A fused layer over x (T, N, C) from states [(L*D, N, P)(, (L*D, N, H))]."""
    finals: list[list] = [[], []]
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            cell = {name[3:]: v for name, v in w.items() if name.startswith(f"{'lr'[d]}{layer}_")}
            c0 = states[1][k] if mode == "lstm" else None
            y, h, c = np_direction(mode, x, states[0][k], c0, cell, d == 1, lengths)
            outs.append(y)
            finals[0].append(h)
            finals[1].append(c)
        x = np.concatenate(outs, axis=2)
    return x, [np.stack(f) for f in finals[:2 if mode == "lstm" else 1]]


def _layer(mode, **kwargs):
    if mode == "lstm":
        return rnn.LSTM(H, **kwargs)
    if mode == "gru":
        return rnn.GRU(H, **kwargs)
    return rnn.RNN(H, activation=mode[4:], **kwargs)


# ---- MXNet's fixture ---------------------------------------------------------------------


@pytest.mark.parametrize("hybridize", [False, True])
def test_mxnets_lstm_parameters_load_and_reproduce_its_output(hybridize, tmp_path):
    net = rnn.LSTM(12, num_layers=2, layout="NTC", bidirectional=True, input_size=5)
    net.load_parameters(str(FIXTURES / "lstm.params"))
    if hybridize:
        net.hybridize()
    out = net(nd.array(np.load(FIXTURES / "lstm_input.npy")))
    np.testing.assert_allclose(out.asnumpy(), np.load(FIXTURES / "lstm_output.npy"),
                               rtol=1e-5, atol=1e-6)
    # (saved under the names MXNet writes, so MXNet reads our files too)
    net.save_parameters(str(tmp_path / "lstm.params"))
    assert sorted(nd.load(str(tmp_path / "lstm.params"))) == \
        sorted(nd.load(str(FIXTURES / "lstm.params")))


# ---- fused layers ------------------------------------------------------------------------

LAYER_CASES = [("lstm", 2, False, "TNC", None), ("lstm", 2, True, "NTC", None),
               ("lstm", 1, True, "TNC", 3), ("gru", 2, True, "NTC", None),
               ("rnn_tanh", 2, False, "TNC", None), ("rnn_relu", 1, True, "NTC", None)]


@pytest.mark.parametrize("mode, layers, bidirectional, layout, projection", LAYER_CASES)
def test_layers_match_numpy_with_states_in_and_out(mode, layers, bidirectional, layout,
                                                   projection):
    kwargs = {"projection_size": projection} if projection else {}
    net = _layer(mode, num_layers=layers, bidirectional=bidirectional, layout=layout,
                 input_size=C, **kwargs)
    net.initialize()
    w = _set_random(net)
    x = _rand(1, T, N, C)
    states = [_rand(2 + k, *info["shape"]) for k, info in enumerate(net.state_info(N))]
    out, new = net(nd.array(x if layout == "TNC" else x.transpose(1, 0, 2)),
                   [nd.array(s) for s in states])
    want, want_states = np_layer(mode, x, states, w, layers, 1 + bidirectional)
    got = out.asnumpy() if layout == "TNC" else out.asnumpy().transpose(1, 0, 2)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert len(new) == len(want_states)
    for a, b in zip(new, want_states):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=1e-5, atol=1e-6)


class _WithStates(gluon.HybridBlock):
    """A layer called with its states inside a parent block: outputs and new states."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer

    def hybrid_forward(self, F, x, *states):
        out, new = self.layer(x, list(states))
        return (out, *new)


@pytest.mark.parametrize("mode, layers, bidirectional, layout, projection",
                         [("lstm", 1, True, "TNC", 3), ("gru", 2, False, "NTC", None)])
def test_layers_eager_equal_hybridized_with_gradients(mode, layers, bidirectional, layout,
                                                      projection):
    kwargs = {"projection_size": projection} if projection else {}

    def make():
        return _WithStates(_layer(mode, num_layers=layers, bidirectional=bidirectional,
                                  layout=layout, **kwargs))

    infos = make().layer.state_info(N)
    x = _rand(1, *((T, N, C) if layout == "TNC" else (N, T, C))).astype(np.float32)
    states = [_rand(2 + k, *i["shape"]).astype(np.float32) for k, i in enumerate(infos)]
    eager_and_hybrid(make, [x, *states], init=mx.init.Uniform(0.5))


def test_layer_gradients_match_central_differences():
    net = rnn.LSTM(2, bidirectional=True, input_size=2, dtype="float64")
    net.initialize()
    w = _set_random(net)
    x, h0, c0 = _rand(1, 3, 2, 2), _rand(2, 2, 2, 2), _rand(3, 2, 2, 2)
    heads = [_rand(4, 3, 2, 4), _rand(5, 2, 2, 2), _rand(6, 2, 2, 2)]

    def loss(w, x, h0, c0):
        out, (h, c) = np_layer("lstm", x, [h0, c0], w, 1, 2)
        return sum(float((a * b).sum()) for a, b in zip((out, h, c), heads))

    def numeric(array, *args):
        grad = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            keep = array[i]
            array[i] = keep + 1e-6
            up = loss(*args)
            array[i] = keep - 1e-6
            grad[i] = (up - loss(*args)) / 2e-6
            array[i] = keep
        return grad

    inputs = [nd.array(a, dtype="float64") for a in (x, h0, c0)]
    for a in inputs:
        a.attach_grad()
    with autograd.record():
        out, states = net(inputs[0], inputs[1:])
    autograd.backward([out, *states], [nd.array(h, dtype="float64") for h in heads])
    for a, value in zip(inputs, (x, h0, c0)):
        np.testing.assert_allclose(a.grad.asnumpy(), numeric(value, w, x, h0, c0),
                                   rtol=1e-5, atol=1e-8)
    for name, p in net.collect_params().items():
        np.testing.assert_allclose(p.grad().asnumpy(),
                                   numeric(w[name[len(net.prefix):]], w, x, h0, c0),
                                   rtol=1e-5, atol=1e-8, err_msg=name)


def test_a_hybridized_layer_is_one_program_whose_kernels_do_not_grow_per_operator():
    net = rnn.LSTM(H, num_layers=2, bidirectional=True, input_size=C)
    net.initialize()
    net.hybridize()
    x = nd.ones((2, N, C))
    x.attach_grad()
    for states in (None, net.begin_state(N)):
        with autograd.record():
            out = net(x, states)
        autograd.backward(out if states is None else [out[0], *out[1]])
    assert len(net._program.fn._cache) == 1
    one = rnn.LSTM(H, input_size=C)
    one.initialize()
    one.hybridize()

    def launches(steps):
        x = nd.ones((steps, N, C))
        one(x)
        program = one._program
        lowered = program.fn.lower([p.data() for p in program.params], x, one.begin_state(N))
        return len(lowered.program.steps)

    # An LSTM step has some 15 operators (two products, gates, activations, products of
    # gates); fused, each step runs a few kernels and library calls.
    assert launches(4) - launches(2) <= 2 * 6


def test_states_in_and_out_and_begin_state():
    net = rnn.LSTM(H, input_size=C, projection_size=3)
    net.initialize()
    x = nd.array(_rand(1, T, N, C))
    assert net.state_info(2) == [{"shape": (1, 2, 3), "__layout__": "LNC", "dtype": "float32"},
                                 {"shape": (1, 2, 6), "__layout__": "LNC", "dtype": "float32"}]
    out = net(x)
    assert isinstance(out, nd.NDArray) and out.shape == (T, N, 3)
    out2, (h, c) = net(x, net.begin_state(N))
    np.testing.assert_array_equal(out2.asnumpy(), out.asnumpy())
    assert (h.shape, c.shape) == ((1, N, 3), (1, N, H))
    ones = net.begin_state(N, func=nd.ones)
    assert all((s.asnumpy() == 1).all() for s in ones)
    seen = []
    net.register_forward_hook(lambda block, args, out: seen.append(out))
    net(x)
    net(x, ones)
    assert isinstance(seen[0], nd.NDArray) and len(seen[1]) == 2  # (what the caller gets)
    gru = rnn.GRU(H, input_size=C)
    gru.initialize()
    gru.hybridize()
    y = gru(x)  # (the same program serves calls with and without states)
    y2, [hn] = gru(x, nd.zeros((1, N, H)))
    np.testing.assert_array_equal(y2.asnumpy(), y.asnumpy())
    assert hn.shape == (1, N, H)


def test_dropout_between_layers_is_the_identity_when_predicting():
    x = nd.array(_rand(1, T, N, C))
    plain, dropped = (rnn.LSTM(H, num_layers=2, input_size=C, dropout=p) for p in (0, 0.5))
    for net in (plain, dropped):
        net.initialize()
    for (_, a), (_, b) in zip(plain.collect_params().items(), dropped.collect_params().items()):
        b.set_data(a.data())
    np.testing.assert_array_equal(dropped(x).asnumpy(), plain(x).asnumpy())
    with autograd.train_mode():
        assert not np.allclose(dropped(x).asnumpy(), plain(x).asnumpy())


@pytest.mark.parametrize("mode, projection", [("gru", None), ("lstm", 3)])
def test_use_sequence_length_stops_each_sequence_at_its_length(mode, projection):
    kwargs = {"projection_size": projection} if projection else {}
    net = _layer(mode, input_size=C, bidirectional=True, use_sequence_length=True, **kwargs)
    net.initialize()
    w = _set_random(net)
    x, lengths = _rand(1, T, N, C), np.array([4, 1, 3])
    states = [_rand(2 + k, *info["shape"]) for k, info in enumerate(net.state_info(N))]
    out, new = net(nd.array(x), [nd.array(s) for s in states], nd.array(lengths, dtype="int32"))
    want, want_states = np_layer(mode, x, states, w, 1, 2, lengths)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-6)
    for a, b in zip(new, want_states):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=1e-5, atol=1e-6)


def test_deferred_input_size_names_and_printed_forms_as_mxnet():
    net = rnn.LSTM(12, num_layers=2, layout="NTC", bidirectional=True)
    assert repr(net) == "LSTM(None -> 12, NTC, num_layers=2, bidirectional)"
    net.initialize()
    net.hybridize()
    net(nd.ones((3, 7, 5)))
    assert repr(net) == "LSTM(5 -> 12, NTC, num_layers=2, bidirectional)"
    names = [k[len(net.prefix):] for k in net.collect_params()]
    assert names == [f"{d}{layer}_{g}_{t}" for layer in (0, 1) for d in "lr"
                     for g, t in (("i2h", "weight"), ("h2h", "weight"), ("i2h", "bias"),
                                  ("h2h", "bias"))]
    assert net.l0_i2h_weight.shape == (48, 5) and net.l1_i2h_weight.shape == (48, 24)
    assert list(net._collect_params_with_prefix())[:2] == ["_unfused.0.l_cell.i2h_weight",
                                                          "_unfused.0.l_cell.h2h_weight"]
    lstmp = rnn.LSTM(6, projection_size=3, input_size=4)
    assert [(k[len(lstmp.prefix):], p.shape) for k, p in lstmp.collect_params().items()] == [
        ("l0_i2h_weight", (24, 4)), ("l0_h2h_weight", (24, 3)), ("l0_i2h_bias", (24,)),
        ("l0_h2h_bias", (24,)), ("l0_h2r_weight", (3, 6))]
    assert list(lstmp._collect_params_with_prefix())[-1] == "_unfused.0.h2r_weight"
    assert [repr(b) for b in (lstmp, rnn.LSTM(12, dropout=0.5),
                              rnn.GRU(7, num_layers=3, input_size=2),
                              rnn.RNN(7, activation="tanh"))] == [
        "LSTM(4 -> 6, TNC)", "LSTM(None -> 12, TNC, dropout=0.5)",
        "GRU(2 -> 7, TNC, num_layers=3)", "RNN(None -> 7, TNC)"]


def test_layer_errors_a_user_can_hit():
    net = rnn.LSTM(H, num_layers=2, input_size=C)
    net.initialize()
    x = nd.ones((T, N, C))
    with pytest.raises(MXNetError, match="must be 3-D"):
        net(nd.ones((N, C)))
    with pytest.raises(ValueError, match=r"Invalid recurrent state shape. Expecting "
                                         r"\(2, 3, 6\), got \(1, 3, 6\)."):
        net(x, [nd.zeros((1, N, H)), nd.zeros((2, N, H))])
    with pytest.raises(MXNetError, match="takes 2 state array"):
        net(x, nd.zeros((2, N, H)))
    with pytest.raises(MXNetError, match="parameters"):
        net(nd.ones((T, N, C + 1)))
    with pytest.raises(AssertionError, match=r"Invalid layout NCT; must be one of \['TNC' or "
                                             r"'NTC'\]"):
        rnn.LSTM(3, layout="NCT")
    with pytest.raises(KeyError, match="rnn_sigmoid"):
        rnn.RNN(3, activation="sigmoid")


# ---- cells -------------------------------------------------------------------------------

CELLS = {"rnn_tanh": lambda: rnn.RNNCell(H, input_size=C),
         "rnn_relu": lambda: rnn.RNNCell(H, activation="relu", input_size=C),
         "lstm": lambda: rnn.LSTMCell(H, input_size=C),
         "gru": lambda: rnn.GRUCell(H, input_size=C)}


def _np_cell(mode, cell, w, xs, states, lengths=None, reverse=False):
    """A cell unrolled over xs (N, T, C): outputs (N, T, H) and final states."""
    c0 = states[1] if mode == "lstm" else None
    y, h, c = np_direction(mode, xs.transpose(1, 0, 2), states[0], c0, w, reverse, lengths)
    return y.transpose(1, 0, 2), [h] if c is None else [h, c]


@pytest.mark.parametrize("mode", list(CELLS))
def test_cells_step_and_unroll_match_numpy(mode):
    cell = CELLS[mode]()
    cell.initialize()
    w = _set_random(cell)
    x = _rand(1, N, T, C)
    states = [_rand(2 + k, N, H) for k in range(len(cell.state_info()))]
    out, new = cell(nd.array(x[:, 0]), [nd.array(s) for s in states])
    want, want_states = _np_cell(mode, cell, w, x[:, :1], states)
    np.testing.assert_allclose(out.asnumpy(), want[:, 0], rtol=1e-5, atol=1e-6)
    for a, b in zip(new, want_states):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=1e-5, atol=1e-6)
    outs, new = cell.unroll(T, nd.array(x), [nd.array(s) for s in states], merge_outputs=True)
    want, want_states = _np_cell(mode, cell, w, x, states)
    np.testing.assert_allclose(outs.asnumpy(), want, rtol=1e-5, atol=1e-6)
    for a, b in zip(new, want_states):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=1e-5, atol=1e-6)


def test_unroll_layouts_merge_outputs_and_valid_length():
    cell = rnn.LSTMCell(H, input_size=C)
    cell.initialize()
    w = _set_random(cell)
    x, lengths = _rand(1, N, T, C), np.array([4, 2, 3])
    zeros = [np.zeros((N, H))] * 2
    want, _ = _np_cell("lstm", cell, w, x, zeros)
    steps, states = cell.unroll(T, nd.array(x))  # (merge_outputs=None: as the steps come)
    assert isinstance(steps, list) and len(steps) == T and len(states) == 2
    np.testing.assert_allclose(np.stack([s.asnumpy() for s in steps], 1), want, rtol=1e-5,
                               atol=1e-6)
    tnc, _ = cell.unroll(T, nd.array(x.transpose(1, 0, 2)), layout="TNC", merge_outputs=True)
    np.testing.assert_allclose(tnc.asnumpy().transpose(1, 0, 2), want, rtol=1e-5, atol=1e-6)
    merged, _ = cell.unroll(T, [nd.array(x[:, t]) for t in range(T)], merge_outputs=True)
    np.testing.assert_allclose(merged.asnumpy(), want, rtol=1e-5, atol=1e-6)
    want, want_states = _np_cell("lstm", cell, w, x, zeros, lengths)
    valid = nd.array(lengths)
    masked, states = cell.unroll(T, nd.array(x), valid_length=valid)
    assert isinstance(masked, nd.NDArray)  # (masking merges them)
    np.testing.assert_allclose(masked.asnumpy(), want, rtol=1e-5, atol=1e-6)
    for a, b in zip(states, want_states):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=1e-5, atol=1e-6)
    split, _ = cell.unroll(T, nd.array(x), valid_length=valid, merge_outputs=False)
    np.testing.assert_allclose(np.stack([s.asnumpy() for s in split], 1), want, rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("merge", [None, True, False])
def test_bidirectional_cell_with_valid_length_matches_numpy(merge):
    bi = rnn.BidirectionalCell(rnn.LSTMCell(H, input_size=C), rnn.GRUCell(4, input_size=C))
    bi.initialize()
    w = _set_random(bi)
    l_w = {k[len(bi._children["l_cell"].prefix):]: w[k]
           for k in w if k.startswith(bi._children["l_cell"].prefix)}
    r_w = {k[len(bi._children["r_cell"].prefix):]: w[k]
           for k in w if k.startswith(bi._children["r_cell"].prefix)}
    x, lengths = _rand(1, N, T, C), np.array([4, 2, 3])
    l_out, l_states = _np_cell("lstm", None, l_w, x, [np.zeros((N, H))] * 2, lengths)
    r_out, r_states = _np_cell("gru", None, r_w, x, [np.zeros((N, 4))], lengths, True)
    out, states = bi.unroll(T, nd.array(x), valid_length=nd.array(lengths),
                            merge_outputs=merge)
    got = np.stack([o.asnumpy() for o in out], 1) if merge is False else out.asnumpy()
    np.testing.assert_allclose(got, np.concatenate([l_out, r_out], 2), rtol=1e-5, atol=1e-6)
    for a, b in zip(states, l_states + r_states):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=1e-5, atol=1e-6)


class _Unrolled(gluon.HybridBlock):
    """A cell unrolled inside a block: the whole sequence in one program when hybridized."""

    def __init__(self, make_cell, valid=False, **kwargs):
        super().__init__(**kwargs)
        self._valid = valid
        with self.name_scope():
            self.cell = make_cell()

    def hybrid_forward(self, F, x, *valid_length):
        out, states = self.cell.unroll(x.shape[1], x, merge_outputs=True,
                                       valid_length=valid_length[0] if self._valid else None)
        return (out, *states)


def _stack():
    stack = rnn.HybridSequentialRNNCell()
    with stack.name_scope():
        stack.add(rnn.ZoneoutCell(rnn.LSTMCell(H), 0.5, 0.5))
        stack.add(rnn.DropoutCell(0.5))
        stack.add(rnn.ResidualCell(rnn.GRUCell(H)))
    return stack


UNROLLED = {"lstm": lambda: rnn.LSTMCell(H), "gru": lambda: rnn.GRUCell(H),
            "rnn_relu": lambda: rnn.RNNCell(H, activation="relu"), "stack": _stack,
            "bidirectional": lambda: rnn.BidirectionalCell(rnn.LSTMCell(H), rnn.GRUCell(4))}


@pytest.mark.parametrize("name, valid", [("lstm", True), ("gru", False), ("rnn_relu", False),
                                         ("stack", False), ("bidirectional", True)])
def test_cells_unrolled_eager_equal_hybridized_with_gradients(name, valid):
    make_cell = UNROLLED[name]
    x = _rand(1, N, 2, C).astype(np.float32)  # (two steps: compiling is what takes time)
    inputs = [x, np.array([2, 1, 2], np.float32)] if valid else [x]
    # (in training mode, dropout and zoneout draw the same masks eagerly and hybridized)
    eager_and_hybrid(lambda: _Unrolled(make_cell, valid), inputs, init=mx.init.Uniform(0.5))


def test_a_hybridized_cell_steps_as_its_eager_self():
    eager, hybrid = rnn.GRUCell(H, input_size=C), rnn.GRUCell(H, input_size=C)
    for cell in (eager, hybrid):
        cell.initialize()
    _set_random(eager)
    _set_random(hybrid)
    hybrid.hybridize()
    states_e = states_h = eager.begin_state(N)
    for t in range(3):
        x = nd.array(_rand(t, N, C))
        out_e, states_e = eager(x, states_e)
        out_h, states_h = hybrid(x, states_h)
        np.testing.assert_allclose(out_h.asnumpy(), out_e.asnumpy(), rtol=1e-6, atol=1e-7)
    assert len(hybrid._program.fn._cache) == 1


def test_modifier_cells():
    base = rnn.GRUCell(C, input_size=C)
    res = rnn.ResidualCell(base)
    assert res.prefix == base.prefix + "residualcell" and res.params is base.params
    assert list(res.collect_params()) == list(base.collect_params())
    res.initialize()
    w = _set_random(base)
    x = _rand(1, N, T, C)
    outs, _ = res.unroll(T, nd.array(x), merge_outputs=False)
    want, _ = _np_cell("gru", base, w, x, [np.zeros((N, C))])
    np.testing.assert_allclose(np.stack([o.asnumpy() for o in outs], 1), want + x,
                               rtol=1e-5, atol=1e-6)
    # (predicting, zoneout and dropout change nothing)
    zone = rnn.ZoneoutCell(rnn.GRUCell(C, input_size=C), 0.5, 0.5)
    zone.initialize()
    _set_random(zone.base_cell)
    out, _ = zone.unroll(T, nd.array(x), merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-6)
    drop = rnn.DropoutCell(0.5)
    out, states = drop.unroll(T, nd.array(x), merge_outputs=True)
    np.testing.assert_array_equal(out.asnumpy(), x.astype(np.float32))
    assert states == []
    steps, _ = drop.unroll(T, nd.array(x), merge_outputs=False)
    assert len(steps) == T


def test_sequential_cells_step_and_unroll():
    stack = rnn.SequentialRNNCell()
    with stack.name_scope():
        stack.add(rnn.LSTMCell(H, input_size=C))
        stack.add(rnn.DropoutCell(0.5))
        stack.add(rnn.GRUCell(4, input_size=H))
    stack.initialize()
    w = _set_random(stack)
    assert len(stack) == 3 and isinstance(stack[2], rnn.GRUCell)
    assert [i["shape"] for i in stack.state_info(N)] == [(N, H), (N, H), (N, 4)]
    x = _rand(1, N, T, C)
    lstm_w = {k[len("lstm0_"):]: v for k, v in w.items() if k.startswith("lstm0_")}
    gru_w = {k[len("gru0_"):]: v for k, v in w.items() if k.startswith("gru0_")}
    hidden, lstm_states = _np_cell("lstm", None, lstm_w, x, [np.zeros((N, H))] * 2)
    want, gru_states = _np_cell("gru", None, gru_w, hidden, [np.zeros((N, 4))])
    out, states = stack.unroll(T, nd.array(x), merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-6)
    for a, b in zip(states, lstm_states + gru_states):
        np.testing.assert_allclose(a.asnumpy(), b, rtol=1e-5, atol=1e-6)
    step, states = stack(nd.array(x[:, 0]), stack.begin_state(batch_size=N))
    np.testing.assert_allclose(step.asnumpy(), want[:, 0], rtol=1e-5, atol=1e-6)
    assert len(states) == 3


def test_cell_names_and_printed_forms_as_mxnet():
    lstm = rnn.LSTMCell(10)
    assert [k[len(lstm.prefix):] for k in lstm.collect_params()] == [
        "i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias"]
    assert lstm.prefix.startswith("lstm") and rnn.GRUCell(2).prefix.startswith("gru")
    assert rnn.RNNCell(2).prefix.startswith("rnn")
    assert rnn.DropoutCell(0.5).prefix.startswith("dropout")
    zone = rnn.ZoneoutCell(lstm, 0.5, 0.3)
    assert zone.prefix == lstm.prefix + "zoneout"
    bi = rnn.BidirectionalCell(rnn.LSTMCell(3), rnn.LSTMCell(3))
    assert bi.prefix == ""
    stack = rnn.SequentialRNNCell()
    with stack.name_scope():
        stack.add(rnn.LSTMCell(4))
        stack.add(rnn.DropoutCell(0.2))
        stack.add(rnn.GRUCell(5))
    assert [k[len(stack.prefix):] for k in stack.collect_params()][::4] == [
        "lstm0_i2h_weight", "gru0_i2h_weight"]
    assert [repr(c) for c in (lstm, rnn.RNNCell(10, input_size=3), rnn.GRUCell(10),
                              rnn.RNNCell(10, activation="relu"), zone,
                              rnn.ResidualCell(rnn.GRUCell(10)), rnn.DropoutCell(0.5), bi)] == [
        "LSTMCell(None -> 40)", "RNNCell(3 -> 10, tanh)", "GRUCell(None -> 30)",
        "RNNCell(None -> 10, relu)", "ZoneoutCell(p_out=0.5, p_state=0.3, LSTMCell(None -> 40))",
        "ResidualCell(GRUCell(None -> 30))", "DropoutCell(rate=0.5, axes=())",
        "BidirectionalCell(forward=LSTMCell(None -> 12), backward=LSTMCell(None -> 12))"]
    assert repr(stack) == ("SequentialRNNCell(\n(0): LSTMCell(None -> 16)\n"
                           "(1): DropoutCell(rate=0.2, axes=())\n(2): GRUCell(None -> 15)\n)")


def test_cell_errors_a_user_can_hit():
    cell = rnn.LSTMCell(4, input_size=C)
    cell.initialize()
    x = nd.ones((N, C))
    with pytest.raises(MXNetError, match="FullyConnected"):
        cell(x, [nd.zeros((N, C)), nd.zeros((N, 4))])
    with pytest.raises(TypeError, match="states"):
        cell(x)
    with pytest.raises(AssertionError, match="length 4 differs"):
        cell.unroll(4, nd.ones((N, 7, C)))
    with pytest.raises(AssertionError, match="layout"):
        cell.unroll(7, nd.ones((7, N, C)), layout="XYZ")
    bi = rnn.BidirectionalCell(rnn.LSTMCell(3), rnn.LSTMCell(3))
    with pytest.raises(NotImplementedError, match="Bidirectional cannot be stepped"):
        bi(x, bi.begin_state(N))
    with pytest.raises(AssertionError, match="doesn't support zoneout"):
        rnn.ZoneoutCell(bi)
    stack = rnn.SequentialRNNCell()
    stack.add(rnn.LSTMCell(3))
    stack.add(bi)
    with pytest.raises(AssertionError, match="cannot be stepped"):
        stack(x, stack.begin_state(batch_size=N))
    base = rnn.GRUCell(3)
    rnn.ZoneoutCell(base, 0.5)
    with pytest.raises(AssertionError, match="already modified"):
        rnn.ResidualCell(base)
    with pytest.raises(AssertionError, match="Call the modifier cell instead"):
        base.begin_state(2)
    with pytest.raises(AssertionError, match="rate must be a number"):
        rnn.DropoutCell("a")


def test_the_namespace_shows_mxnets_names_only():
    public = {n for n in dir(rnn) if not n.startswith("_")}
    assert public == set(rnn.__all__)
    assert {"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "SequentialRNNCell",
            "HybridSequentialRNNCell", "BidirectionalCell", "DropoutCell", "ResidualCell",
            "ZoneoutCell", "ModifierCell", "RecurrentCell", "HybridRecurrentCell"} <= public


@pytest.mark.parametrize("make", [
    lambda: rnn.LSTM(3, num_layers=2, bidirectional=True, input_size=4),
    lambda: rnn.GRU(3, num_layers=2, input_size=4),
    lambda: rnn.RNN(3, activation="tanh", bidirectional=True, input_size=4)])
def test_unfuse_gives_the_same_layer_as_cells_over_the_same_parameters(make):
    layer = make()
    cells = layer._unfuse()
    layer.initialize(mx.init.Uniform(0.5))
    assert {id(p) for p in cells.collect_params().values()} == \
        {id(p) for p in layer.collect_params().values()}
    x = mx.nd.array(np.random.default_rng(0).standard_normal((5, 2, 4)))
    fused = layer(x).asnumpy()
    unrolled = cells.unroll(5, x, layout="TNC", merge_outputs=True)[0].asnumpy()
    np.testing.assert_allclose(unrolled, fused, rtol=1e-5, atol=1e-6)


def test_unfuse_refuses_projections_and_clipping():
    with pytest.raises(mx.base.UnsupportedError, match="_unfuse does not support"):
        rnn.LSTM(4, projection_size=2)._unfuse()
