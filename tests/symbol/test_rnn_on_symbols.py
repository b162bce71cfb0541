"""Recurrent cells and layers on symbols: MXNet's node names, begin states of batch 0
that shape inference completes, and the same numbers as on arrays."""
from __future__ import annotations

import json

import numpy as np
import pytest

import mxjit as mx
from mxjit import nd
from mxjit.base import ShapeError
from mxjit.gluon import rnn

#: What MXNet 1.9.1 names the nodes of `cell.unroll(2, sym.var('data'), layout='NTC',
#: merge_outputs=True)` for a cell of 4 units with prefix 'c_' (printed by MXNet itself).
MXNET_LSTM_NODES = [
    "data:null", "split0:SliceChannel", "c_i2h_weight:null", "c_i2h_bias:null",
    "c_t0_i2h:FullyConnected", "c_begin_state_0:_zeros", "c_h2h_weight:null",
    "c_h2h_bias:null", "c_t0_h2h:FullyConnected", "c_t0_plus0:elemwise_add",
    "c_t0_slice:SliceChannel", "c_t0_o:sigmoid", "c_t0_f:sigmoid", "c_begin_state_1:_zeros",
    "c_t0_mul0:elemwise_mul", "c_t0_i:sigmoid", "c_t0_c:tanh", "c_t0_mul1:elemwise_mul",
    "c_t0_state:elemwise_add", "c_t0_activation0:Activation", "c_t0_out:elemwise_mul",
    "c_t1_i2h:FullyConnected", "c_t1_h2h:FullyConnected", "c_t1_plus0:elemwise_add",
    "c_t1_slice:SliceChannel", "c_t1_o:sigmoid", "c_t1_f:sigmoid", "c_t1_mul0:elemwise_mul",
    "c_t1_i:sigmoid", "c_t1_c:tanh", "c_t1_mul1:elemwise_mul", "c_t1_state:elemwise_add",
    "c_t1_activation0:Activation", "c_t1_out:elemwise_mul", "stack0:stack"]
MXNET_GRU_STEP = [
    "c_t0_i2h:FullyConnected", "c_t0_i2h_slice:SliceChannel", "c_begin_state_0:_zeros",
    "c_h2h_weight:null", "c_h2h_bias:null", "c_t0_h2h:FullyConnected",
    "c_t0_h2h_slice:SliceChannel", "c_t0_plus1:elemwise_add", "c_t0_z_act:Activation",
    "c_t0_ones_like0:ones_like", "c_t0_minus0:elemwise_sub", "c_t0_plus0:elemwise_add",
    "c_t0_r_act:Activation", "c_t0_mul0:elemwise_mul", "c_t0_plus2:elemwise_add",
    "c_t0_h_act:Activation", "c_t0_mul1:elemwise_mul", "c_t0_mul20:elemwise_mul",
    "c_t0_out:elemwise_add"]
MXNET_RNN_NODES = [
    "data:null", "split0:SliceChannel", "c_i2h_weight:null", "c_i2h_bias:null",
    "c_t0_i2h:FullyConnected", "c_begin_state_0:_zeros", "c_h2h_weight:null",
    "c_h2h_bias:null", "c_t0_h2h:FullyConnected", "c_t0_plus0:elemwise_add", "c_t0_out:tanh",
    "c_t1_i2h:FullyConnected", "c_t1_h2h:FullyConnected", "c_t1_plus0:elemwise_add",
    "c_t1_out:tanh", "stack0:stack"]


def _nodes(sym: mx.sym.Symbol) -> list[str]:
    return [f"{n['name']}:{n['op']}" for n in json.loads(sym.tojson())["nodes"]]


def _unrolled(cell_class: type) -> mx.sym.Symbol:
    with mx.name.NameManager():
        outs, _ = cell_class(4, prefix="c_").unroll(2, mx.sym.var("data"), layout="NTC",
                                                    merge_outputs=True)
    return outs


def test_cells_on_symbols_name_their_nodes_as_mxnet_does():
    assert _nodes(_unrolled(rnn.LSTMCell)) == MXNET_LSTM_NODES
    assert _nodes(_unrolled(rnn.GRUCell))[4:4 + len(MXNET_GRU_STEP)] == MXNET_GRU_STEP
    assert _nodes(_unrolled(rnn.RNNCell)) == MXNET_RNN_NODES


@pytest.mark.parametrize("cell_class", [rnn.LSTMCell, rnn.GRUCell, rnn.RNNCell])
def test_an_unrolled_cell_infers_its_shapes_and_binds_to_the_eager_numbers(cell_class):
    outs = _unrolled(cell_class)
    args, out_shapes, _ = outs.infer_shape(data=(3, 2, 5))
    assert out_shapes == [(3, 2, 4)] and args[1][1] == 5  # (i2h weight from the data)
    cell = cell_class(4, prefix="c_")
    cell.initialize(mx.init.Uniform(0.5))
    x = nd.array(np.random.RandomState(0).uniform(-1, 1, (3, 2, 5)))
    want, _ = cell.unroll(2, x, layout="NTC", merge_outputs=True)
    feed = {name: p.data() for name, p in cell.collect_params().items()}
    got = outs.bind(mx.cpu(), {"data": x, **feed}).forward()[0]
    np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-5, atol=1e-6)


def test_stacks_modifiers_and_bidirectional_cells_on_symbols():
    stack = rnn.SequentialRNNCell(prefix="s_")
    with stack.name_scope():
        stack.add(rnn.LSTMCell(3))
        stack.add(rnn.DropoutCell(0.5))
        stack.add(rnn.ResidualCell(rnn.GRUCell(3)))
    with mx.name.NameManager():
        outs, states = stack.unroll(2, mx.sym.var("data"), layout="NTC", merge_outputs=False)
    # (MXNet 1.9.1 prints these names and shapes for the same stack)
    assert [o.name for o in outs] == ["elemwise_add0", "elemwise_add1"]
    assert [s.name for s in states] == ["s_lstm0_t1_out", "s_lstm0_t1_state", "s_gru0_t1_out"]
    assert mx.sym.Group(outs + states).infer_shape(data=(4, 2, 3))[1] == [(4, 3)] * 5
    bi = rnn.BidirectionalCell(rnn.GRUCell(3, prefix="l_"), rnn.GRUCell(3, prefix="r_"))
    outs, states = bi.unroll(2, mx.sym.var("data"), layout="TNC", merge_outputs=False)
    assert [o.name for o in outs] == ["bi_t0", "bi_t1"]
    assert [s.name for s in states] == ["l_t1_out", "r_t1_out"]
    assert mx.sym.Group(outs).infer_shape(data=(2, 3, 5))[1] == [(3, 6), (3, 6)]


def test_a_layer_on_symbols_makes_begin_states_of_batch_zero_as_mxnet_does():
    layer = rnn.LSTM(4, input_size=2, prefix="l_")
    layer.initialize()
    out = layer(mx.sym.var("data"))
    assert _nodes(out)[-4:] == ["l__rnn_param_concat0:_rnn_param_concat", "l_h0_0:_zeros",
                                "l_h0_1:_zeros", "l_rnn0:RNN"]
    args, outs, _ = out.infer_shape(data=(5, 3, 2))
    assert args == [(5, 3, 2), (16, 2), (16, 4), (16,), (16,)] and outs == [(5, 3, 4)]
    x = nd.array(np.random.RandomState(1).uniform(-1, 1, (5, 3, 2)))
    feed = {name: p.data() for name, p in layer.collect_params().items()}
    got = out.bind(mx.cpu(), {"data": x, **feed}).forward()[0]
    np.testing.assert_allclose(got.asnumpy(), layer(x).asnumpy(), rtol=1e-5, atol=1e-6)


def test_a_zero_in_a_creations_shape_is_inferred_from_its_consumer():
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=4, name="fc")
    total = fc + mx.sym.zeros(shape=(0, 4), name="z")
    assert total.infer_shape(data=(3, 5))[1] == [(3, 4)]
    exe = total.simple_bind(mx.cpu(), data=(3, 5))
    assert exe.forward()[0].shape == (3, 4)


def test_a_creation_shape_that_nothing_constrains_or_that_conflicts_is_an_error():
    alone = mx.sym.zeros(shape=(0, 4), name="z")
    with pytest.raises(ShapeError, match="never constrained"):
        alone.eval()
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=4, name="fc")
    with pytest.raises(ShapeError, match="cannot take the shape"):
        (fc + mx.sym.zeros(shape=(5, 0), name="z")).bind(
            mx.cpu(), {"data": nd.ones((3, 5)), "fc_weight": nd.ones((4, 5)),
                       "fc_bias": nd.ones((4,))}).forward()


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_layer_of_deferred_input_size_on_symbols_infers_its_input_weights(bidirectional):
    """MXNet 1.9.1 completes the first layer's i2h weights from the data through
    `_rnn_param_concat` and the weights' flattening (printed by MXNet for the
    unidirectional case: (40, 7) for a 2-layer LSTM of 10 units over 7 features)."""
    with mx.name.NameManager():
        layer = rnn.LSTM(10, num_layers=2, bidirectional=bidirectional)
    layer.initialize()
    out = layer(mx.sym.var("data"))
    args, outs, aux = out.infer_shape(data=(5, 2, 7))
    shapes = dict(zip(out.list_arguments(), args))
    directions = 2 if bidirectional else 1
    assert shapes["lstm0_l0_i2h_weight"] == (40, 7)
    assert shapes["lstm0_l1_i2h_weight"] == (40, 10 * directions)
    assert outs == [(5, 2, 10 * directions)] and aux == []
    x = np.random.default_rng(0).standard_normal((5, 2, 7)).astype(np.float32)
    eager = layer(nd.array(x)).asnumpy()
    exe = out.bind(mx.cpu(), {"data": nd.array(x), **{
        name: param.data() for name, param in layer.collect_params().items()}})
    np.testing.assert_allclose(exe.forward()[0].asnumpy(), eager, rtol=1e-5, atol=1e-6)
