"""Shape inference with sizes left unknown (0), as MXNet 1.9.1's: sizes one node fixes
flow to the inputs of others, and what stays unknown is 0 in infer_shape_partial."""
from __future__ import annotations

import pytest

import mxjit as mx
from mxjit.base import ShapeError


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def shapes_by_name(sym, arg_shapes):
    return dict(zip(sym.list_arguments(), arg_shapes))


def test_elementwise_operands_complete_each_other():
    a = mx.sym.Variable("a", shape=(0, 10))
    b = mx.sym.Variable("b", shape=(12, 0))
    args, outs, _ = (a + b).infer_shape()
    assert shapes_by_name(a + b, args) == {"a": (12, 10), "b": (12, 10)} and outs == [(12, 10)]


def test_a_size_found_after_an_operator_flows_back_to_its_input():
    a = mx.sym.Variable("a", shape=(0, 10))
    total = mx.sym.FullyConnected(data=a, num_hidden=21) + mx.sym.Variable("c", shape=(5, 0))
    shapes = shapes_by_name(total, total.infer_shape()[0])
    assert shapes["a"] == (5, 10) and shapes["c"] == (5, 21)
    assert shapes["fullyconnected0_weight"] == (21, 10)
    parts = mx.sym.SliceChannel(data=mx.sym.Variable("x", shape=(0, 15, 0)), num_outputs=3)
    joined = parts[1] + mx.sym.Variable("y", shape=(3, 5, 2))
    assert shapes_by_name(joined, joined.infer_shape()[0])["x"] == (3, 15, 2)


def test_what_stays_unknown_is_zero_in_the_partial_shapes():
    z = mx.sym.dot(mx.sym.Variable("x"), mx.sym.Variable("y"))
    assert z.infer_shape_partial(x=(0, 3, 4), y=(4, 5)) == ([(0, 3, 4), (4, 5)], [(0, 3, 5)],
                                                            [])
    assert z.infer_shape(x=(0, 3, 4), y=(4, 5)) == (None, None, None)
    # (nothing known of y: its shape and the output's are empty)
    assert z.infer_shape_partial(x=(2, 3)) == ([(2, 3), ()], [()], [])


def test_a_size_that_contradicts_a_given_one_is_an_error():
    a = mx.sym.Variable("a", shape=(3, 10))
    total = mx.sym.FullyConnected(data=a, num_hidden=21) + mx.sym.Variable("c", shape=(5, 0))
    with pytest.raises(ShapeError):
        total.infer_shape()


def test_an_elemwise_sum_with_one_operand_unknown_has_the_others_shape():
    # (MXNet's test_symbol_infer_shape: the recurrent state's shape comes from the output)
    x2h = mx.sym.FullyConnected(mx.sym.var("data"), name="x2h", num_hidden=128)
    h2h = mx.sym.FullyConnected(mx.sym.var("prevstate"), name="h2h", num_hidden=128)
    out = mx.sym.Activation(mx.sym.elemwise_add(x2h, h2h), act_type="relu")
    assert out.infer_shape(data=(10, 64)) == (None, None, None)
    args, outs, _ = out.infer_shape_partial(data=(10, 64))
    shapes = shapes_by_name(out, args)
    assert outs == [(10, 128)] and shapes["x2h_weight"] == (128, 64)
    assert shapes["h2h_weight"] == () and shapes["prevstate"] == ()


def test_a_weight_of_a_partly_known_input_is_partly_known():
    data = mx.sym.Variable("data", shape=(1, 0, 0, 0))
    conv = mx.sym.Convolution(data=data, weight=mx.sym.Variable("weight"), pad=(3, 3),
                              num_filter=64, stride=(2, 2), no_bias=True, kernel=(7, 7))
    args, outs, _ = conv.infer_shape_partial()
    assert shapes_by_name(conv, args) == {"data": (1, 0, 0, 0), "weight": (64, 0, 7, 7)}
    # (the spatial sizes are made from unknown ones, halved by the stride: unknown too)
    assert outs == [(1, 64, 0, 0)]


def test_unknown_sizes_on_the_same_axis_of_two_inputs_are_one_when_an_operator_needs_it():
    """MXNet unifies an unknown batch across `pick`'s data and index and across
    `batch_dot`'s operands (its test_infer_shape); an unknown contracted size stays
    unknown."""
    x, index = mx.sym.var("x"), mx.sym.var("index")
    picked = mx.sym.pick(x, index, axis=1)
    assert picked.infer_shape_partial(x=(0, 3, 3), index=(0, 3))[1] == [(0, 3)]
    product = mx.sym.batch_dot(x, index)
    assert product.infer_shape_partial(x=(0, 3, 4), index=(0, 4, 5))[1] == [(0, 3, 5)]
    assert product.infer_shape_partial(x=(0, 3, 4), index=(0, 0, 5))[1] == [()]
