"""The cells compute what their equations say (a NumPy reference), the fused cell what
its unfused stack computes, and weights survive unpacking and packing."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import mxjit as mx

RNG = np.random.default_rng(7)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _reference(mode: str, xs: np.ndarray, w: dict[str, np.ndarray], hidden: int) -> np.ndarray:
    """Outputs (N, T, H) of one unrolled cell in NumPy, from zero states."""
    n = xs.shape[0]
    h = np.zeros((n, hidden))
    c = np.zeros((n, hidden))
    outs = []
    for t in range(xs.shape[1]):
        i2h = xs[:, t] @ w["i2h_weight"].T + w["i2h_bias"]
        h2h = h @ w["h2h_weight"].T + w["h2h_bias"]
        if mode == "rnn":
            h = np.tanh(i2h + h2h)
        elif mode == "lstm":
            i, f, g, o = np.split(i2h + h2h, 4, axis=1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
        else:
            ir, iz, ih = np.split(i2h, 3, axis=1)
            hr, hz, hh = np.split(h2h, 3, axis=1)
            r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
            h = (1 - z) * np.tanh(ih + r * hh) + z * h
        outs.append(h)
    return np.stack(outs, axis=1)


@pytest.mark.parametrize("mode, gates", [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_unrolled_cell_matches_its_equations(mode: str, gates: int):
    make = {"rnn": mx.rnn.RNNCell, "lstm": mx.rnn.LSTMCell, "gru": mx.rnn.GRUCell}[mode]
    cell = make(3, prefix="c_")
    out, _ = cell.unroll(4, mx.sym.var("data"), merge_outputs=True)
    xs = RNG.standard_normal((2, 4, 5))
    w = {"i2h_weight": RNG.standard_normal((3 * gates, 5)),
         "h2h_weight": RNG.standard_normal((3 * gates, 3)),
         "i2h_bias": RNG.standard_normal(3 * gates), "h2h_bias": RNG.standard_normal(3 * gates)}
    got = out.eval(data=mx.nd.array(xs), **{f"c_{k}": mx.nd.array(v) for k, v in w.items()})
    np.testing.assert_allclose(got[0].asnumpy(), _reference(mode, xs, w, 3), rtol=1e-5,
                               atol=1e-5)


def _module(sym: mx.sym.Symbol, shape: tuple[int, ...], grad_req: str = "write") -> mx.mod.Module:
    mod = mx.mod.Module(sym, label_names=None)
    mod.bind(data_shapes=[("data", shape)], inputs_need_grad=True, grad_req=grad_req)
    return mod


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_fused_cell_equals_its_unfused_stack(mode: str):
    fused = mx.rnn.FusedRNNCell(4, num_layers=2, mode=mode, bidirectional=True, prefix="f_")
    stack = fused.unfuse()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y1, _ = fused.unroll(3, mx.sym.var("data"), merge_outputs=True)
    y2, _ = stack.unroll(3, mx.sym.var("data"), merge_outputs=True)
    shape = (2, 3, 5)
    mod1, mod2 = _module(y1, shape), _module(y2, shape)
    mod1.init_params(mx.init.Uniform(0.5))
    args, auxs = mod1.get_params()
    mod2.set_params(stack.pack_weights(fused.unpack_weights(args)), auxs)
    batch = mx.io.DataBatch([mx.nd.array(RNG.standard_normal(shape))])
    dy = mx.nd.array(RNG.standard_normal((2, 3, 8)))
    for mod in (mod1, mod2):
        mod.forward(batch, is_train=True)
        mod.backward([dy])
    np.testing.assert_allclose(mod1.get_outputs()[0].asnumpy(),
                               mod2.get_outputs()[0].asnumpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mod1.get_input_grads()[0].asnumpy(),
                               mod2.get_input_grads()[0].asnumpy(), rtol=1e-4, atol=1e-5)


def test_an_input_bound_without_gradient_has_none():
    out, _ = mx.rnn.GRUCell(3).unroll(2, mx.sym.var("data"), merge_outputs=True)
    mod = _module(out, (2, 2, 4), grad_req="null")
    mod.init_params()
    mod.forward(mx.io.DataBatch([mx.nd.ones((2, 2, 4))]), is_train=True)
    mod.backward([mx.nd.ones((2, 2, 3))])
    assert mod.get_input_grads() == [None]


def test_unpack_then_pack_gives_the_packed_weights_back():
    fused = mx.rnn.FusedRNNCell(3, num_layers=2, mode="gru", bidirectional=True, prefix="g_")
    size = (5 + 3 + 2) * 3 * 3 * 2 + 3 * 3 * (3 + 2 * 3 + 2) * 2
    packed = mx.nd.array(RNG.standard_normal(size))
    pieces = fused.unpack_weights({"g_parameters": packed, "other": mx.nd.ones(1)})
    assert pieces["g_l0_i2h_r_weight"].shape == (3, 5)
    assert pieces["g_r1_i2h_o_weight"].shape == (3, 6)
    assert pieces["g_r1_h2h_z_bias"].shape == (3,)
    assert "g_parameters" not in pieces and "other" in pieces
    np.testing.assert_array_equal(pieces["g_l0_i2h_r_weight"].asnumpy().ravel(),
                                  packed.asnumpy()[:15])
    again = fused.pack_weights(pieces)
    np.testing.assert_array_equal(again["g_parameters"].asnumpy(), packed.asnumpy())

    lstm = mx.rnn.LSTMCell(2, prefix="l_")
    stacked = {"l_i2h_weight": mx.nd.arange(24).reshape((8, 3)), "l_i2h_bias": mx.nd.arange(8),
               "l_h2h_weight": mx.nd.arange(16).reshape((8, 2)), "l_h2h_bias": mx.nd.arange(8)}
    gates = lstm.unpack_weights(stacked)
    assert gates["l_i2h_f_bias"].asnumpy().tolist() == [2, 3]
    assert gates["l_h2h_o_weight"].asnumpy().tolist() == [[12, 13], [14, 15]]
    back = lstm.pack_weights(gates)
    assert all((back[k].asnumpy() == v.asnumpy()).all() for k, v in stacked.items())
    assert mx.rnn.DropoutCell(0.5).unpack_weights(stacked) == stacked


def test_modifiers_compute_residuals_and_keep_outputs_in_inference():
    xs = [mx.nd.array(RNG.standard_normal((2, 3))) for _ in range(2)]
    feeds = {"x0": xs[0], "x1": xs[1], "r_i2h_weight": mx.nd.zeros((3, 3)),
             "r_i2h_bias": mx.nd.zeros(3), "r_h2h_weight": mx.nd.zeros((3, 3)),
             "r_h2h_bias": mx.nd.ones(3)}
    inputs = [mx.sym.var("x0"), mx.sym.var("x1")]
    residual, _ = mx.rnn.ResidualCell(mx.rnn.RNNCell(3, prefix="r_")).unroll(2, inputs)
    got = mx.sym.Group(residual).eval(**feeds)
    for g, x in zip(got, xs):
        np.testing.assert_allclose(g.asnumpy(), x.asnumpy() + np.tanh(1.0), rtol=1e-6)
    zone, _ = mx.rnn.ZoneoutCell(mx.rnn.RNNCell(3, prefix="r_"), 0.5, 0.5).unroll(2, inputs)
    for g in mx.sym.Group(zone).eval(**feeds):  # (dropout keeps all in inference)
        np.testing.assert_allclose(g.asnumpy(), np.tanh(1.0), rtol=1e-6)


def test_bidirectional_concatenates_forward_and_reversed_backward_passes():
    bi = mx.rnn.BidirectionalCell(mx.rnn.RNNCell(2, prefix="l_"), mx.rnn.RNNCell(2, prefix="r_"))
    out, states = bi.unroll(3, mx.sym.var("data"), merge_outputs=True)
    assert len(states) == 2 and len(states[0]) == len(states[1]) == 1
    xs = RNG.standard_normal((1, 3, 2))
    w = {k: RNG.standard_normal(s) for k, s in (("i2h_weight", (2, 2)), ("h2h_weight", (2, 2)),
                                               ("i2h_bias", 2), ("h2h_bias", 2))}
    feeds = {f"{p}{k}": mx.nd.array(v) for k, v in w.items() for p in ("l_", "r_")}
    got = out.eval(data=mx.nd.array(xs), **feeds)[0].asnumpy()
    forward = _reference("rnn", xs, w, 2)
    backward = _reference("rnn", xs[:, ::-1], w, 2)[:, ::-1]
    np.testing.assert_allclose(got, np.concatenate([forward, backward], axis=2), rtol=1e-5,
                               atol=1e-6)
