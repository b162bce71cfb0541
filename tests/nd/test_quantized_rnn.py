"""mx.nd/mx.sym.contrib.quantized_rnn (MXNet's int8 LSTM) against a NumPy reference of the
computation written here from MXNet 1.9.1's sources (src/operator/quantization/
mkldnn/mkldnn_quantized_rnn.cc, oneDNN's int8 LSTM): dequantized data, weights rounded to
int8 levels of per-row scales, hidden states rounded to uint8 levels at every step; against
outputs of MXNet 1.9.1's pip build itself; and its shape/dtype inference, JSON and errors.

MXNet's numbers were taken with DNNL_MAX_CPU_ISA=AVX512_CORE (on the AVX512-VNNI host that
made them, oneDNN 2.4 otherwise fails to create the int8 weights' reorder), on data whose
uint8 products stay below that kernel's int16 pair saturation (docs/differences.md).
Shapes stay tiny: each new shape compiles kernels."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError

F32 = np.float32
C = mx.nd.contrib


# ---- the NumPy reference -------------------------------------------------------------------


def param_size(inputs: int, hidden: int, layers: int, dirs: int) -> int:
    widths = [inputs] + [dirs * hidden] * (layers - 1)
    return sum(dirs * 4 * hidden * (w + hidden) for w in widths) + layers * dirs * 8 * hidden


def ref_row_maxima(w: np.ndarray, inputs: int, hidden: int, layers: int, dirs: int
                   ) -> np.ndarray:
    """GetMKLDNNRnnWeightsQParams, step by step: its pointers walk MXNet's flat vector over
    the oneDNN layer groups of MKLDNNRnnFullParamParser (values past the end count as 0)."""
    rows = 4 * hidden
    padded = np.concatenate([np.abs(w), np.zeros(8 * rows * (inputs + hidden), F32)])
    if dirs == 2:
        groups = [inputs] + [2 * hidden] * (layers - 1)
    elif inputs == hidden:
        groups = [inputs]  # (all layers fused in one group)
    else:
        groups = [inputs] + ([hidden] if layers > 1 else [])
    single0 = (inputs + hidden) * rows
    wx, wh = 0, rows * inputs
    fake_wx, fake_wh = padded[wx:wx + rows * inputs], padded[wh:wh + rows * hidden]
    if dirs == 2:
        fake_wx = np.maximum(fake_wx, padded[wx + single0:wx + single0 + rows * inputs])
        fake_wh = np.maximum(fake_wh, padded[wh + single0:wh + single0 + rows * hidden])
    w_max = np.maximum(fake_wx.reshape(rows, inputs).max(1),
                       fake_wh.reshape(rows, hidden).max(1))
    wx, wh = wx + single0 * dirs, wh + single0 * dirs
    for group_inputs in groups[1:]:
        goi = np.maximum(padded[wx:wx + rows * hidden], padded[wh:wh + rows * hidden])
        w_max = np.maximum(w_max, goi.reshape(rows, hidden).max(1))
        wx += (group_inputs + hidden) * rows * dirs
        wh = wx + rows * hidden
    return w_max


def ref_quantized_lstm(q, w, h0, c0, scale, shift, hidden, layers, dirs):
    """(output, final h, final c) in float64 from the dequantized data, int8-level weights
    and uint8-level hidden states."""
    inputs = q.shape[2]
    w_max = ref_row_maxima(w, inputs, hidden, layers, dirs).astype(np.float64)[:, None]
    w_scale = np.float64(127) / np.where(w_max == 0, 1, w_max)

    def int8_levels(m):
        return np.where(w_max == 0, 0, np.clip(np.rint(m * w_scale), -128, 127) / w_scale)

    def round_state(h):
        return (np.rint(np.clip(h * scale + shift, 0, 255)) - shift) / scale

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    widths = [inputs] + [dirs * hidden] * (layers - 1)
    pos, weights = 0, []
    for width in widths:
        for _ in range(dirs):
            wx = w[pos:pos + 4 * hidden * width].reshape(4 * hidden, width)
            pos += wx.size
            wh = w[pos:pos + 4 * hidden * hidden].reshape(4 * hidden, hidden)
            pos += wh.size
            weights.append((int8_levels(wx.astype(np.float64)),
                            int8_levels(wh.astype(np.float64))))
    x = (q.astype(np.float64) - shift) / scale
    hs, cs = [], []
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            wx, wh = weights[k]
            bias = w[pos:pos + 4 * hidden].astype(np.float64) + w[pos + 4 * hidden:pos
                                                                  + 8 * hidden]
            pos += 8 * hidden
            h, c = round_state(h0[k].astype(np.float64)), c0[k].astype(np.float64)
            ys = [None] * len(x)
            for t in (range(len(x)) if d == 0 else range(len(x) - 1, -1, -1)):
                z = x[t] @ wx.T + h @ wh.T + bias
                i, f, o = (sigmoid(z[:, g * hidden:(g + 1) * hidden]) for g in (0, 1, 3))
                c = f * c + i * np.tanh(z[:, 2 * hidden:3 * hidden])
                h = ys[t] = round_state(o * np.tanh(c))
            outs.append(np.stack(ys))
            hs.append(h)
            cs.append(c)
        x = np.concatenate(outs, axis=2)
    return x, np.stack(hs), np.stack(cs)


def lstm_inputs(seed, steps, batch, inputs, hidden, layers, dirs, gain=1.0):
    """Data quantized as MXNet's own test does (128 levels over its range), weights with the
    layers after the first scaled by `gain`, begin states."""
    rs = np.random.RandomState(seed)
    data = rs.uniform(-1, 1, (steps, batch, inputs)).astype(F32)
    w = rs.uniform(-1, 1, param_size(inputs, hidden, layers, dirs)).astype(F32)
    w[dirs * 4 * hidden * (inputs + hidden):] *= F32(gain)
    h0 = rs.uniform(-1, 1, (layers * dirs, batch, hidden)).astype(F32)
    c0 = rs.uniform(-1, 1, (layers * dirs, batch, hidden)).astype(F32)
    scale = F32(128) / (data.max() - data.min())
    shift = F32(128) - data.max() * scale
    q = (data * scale + shift + F32(0.5)).astype(np.uint8)
    return q, w, h0, c0, scale, shift


def run(q, w, h0, c0, scale, shift, hidden, layers, dirs, **params):
    return C.quantized_rnn(mx.nd.array(q, dtype="uint8"), mx.nd.array(w), mx.nd.array(h0),
                           mx.nd.array(c0), mx.nd.array([scale]), mx.nd.array([shift]),
                           state_size=hidden, num_layers=layers, bidirectional=dirs == 2,
                           mode="lstm", **params)


def levels(x, scale, shift):
    return np.rint(np.asarray(x, np.float64) * scale + shift).astype(int)


# ---- against MXNet 1.9.1 ---------------------------------------------------------------------

# (seed, steps, batch, inputs, hidden, layers, directions, gain) -> MXNet's output and final
# hidden state as uint8 levels, its final cell state. The stacked cases read weight maxima
# the way MXNet does: with the computed maxima instead, they differ by up to 53 levels.
MXNET = {
    (0, 3, 2, 4, 3, 1, 1, 1.0): (
        [68, 41, 91, 55, 40, 82, 63, 48, 108, 51, 44, 78, 54, 34, 81, 57, 52, 97],
        [54, 34, 81, 57, 52, 97],
        [-0.554433, -0.865582, 0.767464, -1.010713, -0.62587, 1.400023]),
    # one direction, data of H features: one fused oneDNN group, layer 2 never read (gain 3
    # saturates its weights)
    (1, 3, 2, 3, 3, 2, 1, 3.0): (
        [116, 106, 84, 85, 88, 94, 106, 95, 109, 86, 100, 109, 102, 96, 108, 84, 107, 106],
        [106, 56, 97, 94, 62, 76, 102, 96, 108, 84, 107, 106],
        [0.649632, -0.841451, 0.477684, 0.603783, -0.885314, 0.047832, 0.467687, 2.250622,
         1.077558, 0.156884, 1.846465, 1.054349]),
    (2, 3, 1, 5, 3, 2, 2, 2.0): (
        [85, 86, 160, 151, 78, 110, 105, 125, 129, 96, 83, 110, 82, 171, 79, 69, 78, 104],
        [147, 129, 118, 107, 115, 95, 82, 171, 79, 151, 78, 110],
        [2.230527, 0.325142, 0.229745, 1.028327, 0.974418, -0.09691, -0.392417, 0.890229,
         -0.256323, 0.577649, -0.606757, 0.7495]),
    (3, 4, 2, 2, 3, 2, 1, 1.0): (
        [60, 45, 74, 81, 30, 65, 81, 38, 83, 68, 29, 76, 73, 34, 85, 68, 31, 79, 74, 31, 84,
         71, 27, 82],
        [103, 64, 71, 95, 51, 74, 74, 31, 84, 71, 27, 82],
        [1.172153, -0.123335, 0.059525, 1.220217, -0.466741, 0.246785, 0.102398, -1.336514,
         0.417031, 0.02578, -1.639927, 0.366268]),
}


@pytest.mark.parametrize("case", list(MXNET), ids=str)
def test_matches_mxnet(case) -> None:
    _, _, _, _, hidden, layers, dirs, _ = case
    q, w, h0, c0, scale, shift = lstm_inputs(*case)
    out, h, c = run(q, w, h0, c0, scale, shift, hidden, layers, dirs, state_outputs=True)
    want_out, want_h, want_c = MXNET[case]
    assert out.dtype == h.dtype == c.dtype == np.float32
    assert out.shape == (q.shape[0], q.shape[1], dirs * hidden)
    assert levels(out.asnumpy(), scale, shift).ravel().tolist() == want_out
    assert levels(h.asnumpy(), scale, shift).ravel().tolist() == want_h
    np.testing.assert_allclose(c.asnumpy().ravel(), want_c, atol=2e-6)
    # the levels are dequantized as oneDNN does: (level - shift) / scale in float32
    np.testing.assert_array_equal(
        out.asnumpy().ravel(), ((np.array(want_out, F32) - shift) / scale).astype(F32))


# ---- against the NumPy reference -------------------------------------------------------------


@given(shape=st.sampled_from([(2, 1, 3, 2), (3, 2, 2, 3), (2, 2, 4, 4)]),
       layers=st.integers(1, 2), dirs=st.integers(1, 2), seed=st.integers(0, 2**16),
       gain=st.sampled_from([0.5, 1.0, 2.0]), state_outputs=st.booleans())
@settings(max_examples=12, deadline=None)
def test_against_reference(shape, layers, dirs, seed, gain, state_outputs) -> None:
    """Float rounding can move a hidden state across a rounding boundary (one uint8 level),
    after which the sequences may drift apart a little: at most one level, in rare places."""
    steps, batch, inputs, hidden = shape
    q, w, h0, c0, scale, shift = lstm_inputs(seed, steps, batch, inputs, hidden, layers, dirs,
                                             gain)
    got = run(q, w, h0, c0, scale, shift, hidden, layers, dirs, state_outputs=state_outputs)
    got = got if state_outputs else [got]
    want = ref_quantized_lstm(q, w, h0, c0, scale, shift, hidden, layers, dirs)
    for g, r in zip(got[:2], want):
        apart = np.abs(levels(g.asnumpy(), scale, shift) - levels(r, scale, shift))
        assert apart.max() <= 1 and apart.mean() <= 0.1
    if state_outputs and (levels(got[0].asnumpy(), scale, shift)
                          == levels(want[0], scale, shift)).all():
        np.testing.assert_allclose(got[2].asnumpy(), want[2], atol=1e-4)


def test_values_mxnet_reads_past_the_parameters_count_as_zero() -> None:
    # one direction, 8 features, H=2, 2 layers: MXNet's second block reads 16 values past
    # the end of the vector
    q, w, h0, c0, scale, shift = lstm_inputs(5, 2, 1, 8, 2, 2, 1)
    got = run(q, w, h0, c0, scale, shift, 2, 2, 1)
    want = ref_quantized_lstm(q, w, h0, c0, scale, shift, 2, 2, 1)[0]
    assert np.abs(levels(got.asnumpy(), scale, shift) - levels(want, scale, shift)).max() <= 1


def test_is_close_to_the_float_lstm_on_the_dequantized_data() -> None:
    # MXNet's own test: the mean squared error against RNN in float32 is small
    q, w, h0, c0, scale, shift = lstm_inputs(7, 5, 2, 16, 16, 1, 2)
    data = (q.astype(F32) - shift) / scale
    want = mx.nd.RNN(mx.nd.array(data), mx.nd.array(w), mx.nd.array(h0), mx.nd.array(c0),
                     state_size=16, num_layers=1, bidirectional=True, mode="lstm").asnumpy()
    got = run(q, w, h0, c0, scale, shift, 16, 1, 2).asnumpy()
    assert np.mean((got - want) ** 2) < 1e-3


def test_a_row_of_zero_weights_contributes_nothing() -> None:
    q, w, h0, c0, scale, shift = lstm_inputs(4, 2, 2, 3, 2, 1, 1)
    w[:3] = 0  # the first gate row of i2h
    w[4 * 2 * 3:4 * 2 * 3 + 2] = 0  # and of h2h: the row's maximum is 0, its scale infinite
    got = run(q, w, h0, c0, scale, shift, 2, 1, 1).asnumpy()
    want = ref_quantized_lstm(q, w, h0, c0, scale, shift, 2, 1, 1)[0]
    assert np.isfinite(got).all()
    assert np.abs(levels(got, scale, shift) - levels(want, scale, shift)).max() <= 1


def test_quantize_asym_feeds_it() -> None:
    rs = np.random.RandomState(3)
    x = mx.nd.array(rs.uniform(-1, 1, (3, 2, 4)))
    w = rs.uniform(-0.5, 0.5, param_size(4, 3, 1, 1)).astype(F32)
    h0 = c0 = np.zeros((1, 2, 3), F32)
    q, scale, shift = C.quantize_asym(x)
    got = C.quantized_rnn(q, mx.nd.array(w), mx.nd.array(h0), mx.nd.array(c0), scale, shift,
                          state_size=3, num_layers=1, mode="lstm").asnumpy()
    s, t = float(scale.asnumpy()[0]), float(shift.asnumpy()[0])
    want = ref_quantized_lstm(q.asnumpy(), w, h0, c0, s, t, 3, 1, 1)[0]
    assert np.abs(levels(got, s, t) - levels(want, s, t)).max() <= 1


def test_jit_matches_eager_and_there_is_no_gradient() -> None:
    case = (2, 3, 1, 5, 3, 2, 2, 2.0)
    q, w, h0, c0, scale, shift = lstm_inputs(*case)
    arrays = [mx.nd.array(q, dtype="uint8"), mx.nd.array(w), mx.nd.array(h0), mx.nd.array(c0),
              mx.nd.array([scale]), mx.nd.array([shift])]
    params = dict(state_size=3, num_layers=2, bidirectional=True, mode="lstm")
    eager = C.quantized_rnn(*arrays, **params).asnumpy()
    jitted = mx.jit(lambda *a: C.quantized_rnn(*a, **params))(*arrays).asnumpy()
    np.testing.assert_array_equal(jitted, eager)
    weights = arrays[1]
    weights.attach_grad()
    with mx.autograd.record():
        out = C.quantized_rnn(*arrays, **params)
    out.backward()
    assert not weights.grad.asnumpy().any()


def test_dropout_and_clipping_are_not_applied_as_in_mxnet() -> None:
    q, w, h0, c0, scale, shift = lstm_inputs(0, 3, 2, 4, 3, 1, 1)
    plain = run(q, w, h0, c0, scale, shift, 3, 1, 1).asnumpy()
    with mx.autograd.record():
        other = run(q, w, h0, c0, scale, shift, 3, 1, 1, p=0.5, lstm_state_clip_min=-0.01,
                    lstm_state_clip_max=0.01).asnumpy()
    np.testing.assert_array_equal(other, plain)


# ---- errors ----------------------------------------------------------------------------------


def _arrays(data_dtype="uint8", data_shape=(3, 2, 4), params_dtype="float32", size=None,
            scale_shape=(1,)):
    return [mx.nd.zeros(data_shape, dtype=data_dtype),
            mx.nd.zeros((size or param_size(4, 3, 1, 1),), dtype=params_dtype),
            mx.nd.zeros((1, 2, 3)), mx.nd.zeros((1, 2, 3)), mx.nd.ones(scale_shape),
            mx.nd.zeros((1,))]


@pytest.mark.parametrize("arrays, params, error, match", [
    ({}, {"mode": "gru"}, ParamError, "only supports LSTM"),
    ({"data_dtype": "float32"}, {}, DTypeError, "only supports uint8 input"),
    ({"data_dtype": "int8"}, {}, DTypeError, "data must be uint8"),
    ({"params_dtype": "float64"}, {}, DTypeError, "parameters must be float32"),
    ({"size": 5}, {}, ShapeError, "parameters"),
    ({"data_shape": (3, 2)}, {}, ShapeError, r"\(time, batch, features\)"),
    ({"scale_shape": (2,)}, {}, ShapeError, "scale"),
    ({}, {"projection_size": 2}, ParamError, "projection_size"),
    ({}, {"use_sequence_length": True}, ParamError, "use_sequence_length"),
    ({}, {"state_size": 0}, ParamError, "must be positive"),
])
def test_errors(arrays, params, error, match) -> None:
    with pytest.raises(error, match=match):
        C.quantized_rnn(*_arrays(**arrays),
                        **{"state_size": 3, "num_layers": 1, "mode": "lstm", **params})


# ---- symbols -----------------------------------------------------------------------------------

# mx.sym.contrib.quantized_rnn(mx.sym.var('data', dtype='uint8'), state_size=4, num_layers=2,
# bidirectional=True, mode='lstm', state_outputs=True, p=0.2, name='q').tojson() in MXNet
_ATTRS = {"bidirectional": "True", "mode": "lstm", "num_layers": "2", "p": "0.2",
          "quantized": "true", "state_outputs": "True", "state_size": "4"}
MXNET_JSON = {
    "nodes": [{"op": "null", "name": "data", "attrs": {"__dtype__": "3"}, "inputs": []}]
    + [{"op": "null", "name": f"q_{n}", "attrs": _ATTRS, "inputs": []}
       for n in ("parameters", "state", "state_cell", "min_data", "max_data")]
    + [{"op": "_contrib_quantized_rnn", "name": "q", "attrs": _ATTRS,
        "inputs": [[k, 0, 0] for k in range(6)]}],
    "arg_nodes": [0, 1, 2, 3, 4, 5], "node_row_ptr": [0, 1, 2, 3, 4, 5, 6, 9],
    "heads": [[6, 0, 0], [6, 1, 0], [6, 2, 0]], "attrs": {"mxnet_version": ["int", 10901]}}


def stacked_symbol():
    return mx.sym.contrib.quantized_rnn(mx.sym.var("data", dtype="uint8"), state_size=4,
                                        num_layers=2, bidirectional=True, mode="lstm",
                                        state_outputs=True, p=0.2, name="q")


def test_symbol_names_json_and_round_trip() -> None:
    sym = stacked_symbol()
    assert sym.list_arguments() == ["data", "q_parameters", "q_state", "q_state_cell",
                                    "q_min_data", "q_max_data"]
    assert sym.list_outputs() == ["q_output", "q_state_output", "q_statecell_ouput"]
    assert json.loads(sym.tojson()) == MXNET_JSON
    loaded = mx.sym.load_json(json.dumps(MXNET_JSON))
    assert json.loads(loaded.tojson()) == MXNET_JSON
    one = mx.sym.contrib.quantized_rnn(mx.sym.var("data"), state_size=4, num_layers=1,
                                       mode="lstm", name="q")
    assert one.list_outputs() == ["q_output"]
    # MXNet's graph takes the scale and shift by these names
    given = mx.sym.contrib.quantized_rnn(mx.sym.var("data"), min_data=mx.sym.var("s"),
                                         state_size=4, num_layers=1, mode="lstm", name="q")
    assert given.list_arguments()[4:] == ["s", "q_max_data"]


def test_symbol_shape_and_type_inference() -> None:
    args, outs, aux = stacked_symbol().infer_shape(data=(3, 2, 5))
    assert args == [(3, 2, 5), (800,), (4, 2, 4), (4, 2, 4), (1,), (1,)]
    assert outs == [(3, 2, 8), (4, 2, 4), (4, 2, 4)] and aux == []
    one = mx.sym.contrib.quantized_rnn(mx.sym.var("data"), state_size=4, num_layers=1,
                                       mode="lstm", name="q")
    # the data's dtype is uint8 without being given, as the operator fixes it
    assert one.infer_shape(data=(3, 2, 5))[0][1:4] == [(176,), (1, 2, 4), (1, 2, 4)]
    assert one.infer_shape_partial(q_state=(1, 7, 4))[0][2] == (1, 7, 4)
    args, outs, _ = one.infer_type(data="uint8")
    assert args == [np.uint8] + [np.float32] * 5 and outs == [np.float32]
    assert stacked_symbol().infer_type()[1] == [np.float32] * 3


def test_symbol_runs_as_the_operator() -> None:
    case = (2, 3, 1, 5, 3, 2, 2, 2.0)
    q, w, h0, c0, scale, shift = lstm_inputs(*case)
    sym = mx.sym.contrib.quantized_rnn(mx.sym.var("data", dtype="uint8"), state_size=3,
                                       num_layers=2, bidirectional=True, mode="lstm",
                                       state_outputs=True, name="q")
    exe = sym.simple_bind(mx.cpu(), grad_req="null", data=q.shape)
    for name, value in zip(sym.list_arguments(), (q, w, h0, c0, [scale], [shift])):
        exe.arg_dict[name][:] = np.asarray(value)
    outs = exe.forward()
    want_out, want_h, _ = MXNET[case]
    assert levels(outs[0].asnumpy(), scale, shift).ravel().tolist() == want_out
    assert levels(outs[1].asnumpy(), scale, shift).ravel().tolist() == want_h
