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


def test_under_numpy_shape_semantics_unknown_is_minus_one_and_none_and_zero_is_a_size():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    with mx.np_shape(True):
        assert mx.sym.sin(x).infer_shape_partial() == ([None], [None], [])
        assert mx.sym.dot(x, y).infer_shape_partial(x=(-1, 3, 4), y=(4, 5))[1] == [(-1, 3, 5)]
        product = mx.sym.batch_dot(x, y)
        assert product.infer_shape_partial(x=(-1, 3, 4), y=(-1, 4, 5))[1] == [(-1, 3, 5)]
        assert product.infer_shape_partial(x=(-1, 3, 4), y=(-1, -1, 5))[1] == [None]
        assert mx.sym.pick(x, y, axis=1).infer_shape_partial(x=(-1, 3, 3), y=(-1, 3))[1] == [
            (-1, 3)]
        # (0 is a zero-size axis here, not an unknown one)
        assert (x + y).infer_shape(x=(0, 3), y=(0, 3)) == ([(0, 3), (0, 3)], [(0, 3)], [])
        assert (x + y).infer_shape(x=(-1, 3), y=(2, -1))[1] == [(2, 3)]
    assert mx.sym.sin(x).infer_shape_partial() == ([()], [()], [])


def test_a_graph_written_without_numpy_shapes_keeps_its_unknown_sizes_when_read_with_them():
    """MXNet upgrades a 1.5-era graph's 0 sizes to -1 when NumPy shape semantics are on;
    a graph written under them records it and keeps its 0s."""
    fc = mx.sym.FullyConnected(mx.sym.var("data"), mx.sym.var("weight", shape=(128, 0)),
                               num_hidden=128)
    text = fc.tojson()
    with mx.np_shape(True):
        args, outs, _ = mx.sym.load_json(text).infer_shape(data=(10, 784))
        assert args[1] == (128, 784) and outs == [(10, 128)]
        written = fc.tojson()
        assert '"is_np_shape"' in written
        with pytest.raises(ShapeError):
            mx.sym.load_json(written).infer_shape(data=(10, 784))


def test_a_shape_needed_for_a_cast_or_elementwise_result_flows_back_to_its_input():
    data = mx.sym.Variable("data", shape=(1, 0, 0, 0))
    cast = mx.sym.Convolution(data=mx.sym.cast(data, dtype="float16"),
                              weight=mx.sym.cast(mx.sym.var("weight"), dtype="float16"),
                              pad=(3, 3), num_filter=64, stride=(2, 2), no_bias=True,
                              kernel=(7, 7))
    assert shapes_by_name(cast, cast.infer_shape_partial()[0])["weight"] == (64, 0, 7, 7)
    w = mx.sym.var("w")
    fc = mx.sym.FullyConnected(mx.sym.var("x"), mx.sym.relu(mx.sym.cast(w, "float32")) * 2,
                               num_hidden=11, no_bias=True)
    assert shapes_by_name(fc, fc.infer_shape(x=(7, 100))[0])["w"] == (11, 100)


def test_identity_with_attr_like_rhs_makes_its_operands_one_shape():
    # (MXNet's test_backward_infer: a broadcast add alone would not tell w's shape)
    w = mx.sym.var("weight")
    shifted = mx.sym.broadcast_add(w, mx.sym.var("wshift", shape=(1,)))
    net = mx.sym.FullyConnected(mx.sym.var("data"),
                                mx.sym._internal._identity_with_attr_like_rhs(shifted, w),
                                num_hidden=11, no_bias=True)
    assert shapes_by_name(net, net.infer_shape(data=(7, 100))[0])["weight"] == (11, 100)
    lhs, rhs = mx.nd.array([[1.0, 2.0]]), mx.nd.zeros((1, 2))
    lhs.attach_grad()
    rhs.attach_grad()
    with mx.autograd.record():
        out = mx.nd._internal._identity_with_attr_like_rhs(lhs, rhs)
    out.backward(mx.nd.array([[3.0, 4.0]]))
    assert out.asnumpy().tolist() == [[1.0, 2.0]]
    assert lhs.grad.asnumpy().tolist() == [[3.0, 4.0]] and rhs.grad.asnumpy().tolist() == [
        [0.0, 0.0]]
    with pytest.raises(ShapeError, match="lhs's shape \\(1, 2\\) is not rhs's \\(2,\\)"):
        mx.nd._internal._identity_with_attr_like_rhs(lhs, mx.nd.zeros(2))


def test_concat_inputs_take_the_sizes_its_output_must_have():
    # (MXNet's test_incomplete_infer_concat)
    joined = mx.sym.Concat(mx.sym.Variable("a", shape=(0, 10)),
                           mx.sym.Variable("b", shape=(0, 5)), num_args=2, dim=1)
    total = mx.sym.Variable("d", shape=(2, 0)) + joined
    assert shapes_by_name(total, total.infer_shape()[0]) == {"a": (2, 10), "b": (2, 5),
                                                             "d": (2, 15)}
    # (the one input whose joined size is unknown has what the others leave)
    joined = mx.sym.Concat(mx.sym.Variable("p", shape=(3, 4)), mx.sym.Variable("q", shape=(3, 0)),
                           dim=1)
    total = joined + mx.sym.Variable("r", shape=(3, 9))
    assert shapes_by_name(total, total.infer_shape()[0])["q"] == (3, 5)


def test_a_reshaped_input_with_one_unknown_size_takes_it_from_the_output():
    flat = mx.sym.Reshape(mx.sym.Variable("w", shape=(4, 0)), shape=(-1,))
    total = flat + mx.sym.Variable("v", shape=(12,))
    assert shapes_by_name(total, total.infer_shape()[0])["w"] == (4, 3)


def test_an_operator_met_before_its_inputs_shape_is_found_is_checked_once_it_is():
    # (MXNet's test_infershape_happens_for_all_ops_in_graph: (3, 2) + (2, 3) is an error)
    v = mx.sym.var("V")
    total = mx.sym.transpose(v) + (mx.sym.var("x") + v)
    with pytest.raises(ShapeError):
        total.infer_shape(x=(2, 3))
    square = mx.sym.transpose(v) + (mx.sym.var("x") + v)
    assert square.infer_shape(x=(3, 3))[1] == [(3, 3)]


def test_creations_without_a_shape_take_their_consumers_shape():
    # (legacy shapes: () is "unknown", as a sampler given no shape; MXNet infers both)
    x = mx.sym.var("x")
    for made in (mx.sym.random.uniform(), mx.sym.random.normal(1, 2), mx.sym.zeros(shape=())):
        total = made + x
        assert total.infer_shape(x=(3, 4)) == ([(3, 4)], [(3, 4)], [])
        assert made.infer_shape_partial() == ([], [()], [])
    out = (mx.sym.ones(shape=()) + x).bind(mx.cpu(), {"x": mx.nd.zeros((2, 5))}).forward()[0]
    assert out.shape == (2, 5) and float(out.sum().asscalar()) == 10
    with pytest.raises(ShapeError, match="never constrained"):
        mx.sym.random.uniform().eval()


def test_under_numpy_shape_semantics_a_shape_of_unit_is_a_scalar():
    with mx.np_shape(True):
        assert mx.sym.zeros(shape=()).infer_shape() == ([], [()], [])
        assert mx.sym.zeros(shape=()).eval()[0].shape == ()


def test_randn_ignores_a_data_symbol_and_takes_its_consumers_shape():
    # (MXNet's test_random passes data= to randn; its compose drops a symbol given to an
    # operator without inputs, and writes randn's empty shape)
    noise = mx.sym.random.randn(loc=10, scale=0.5, dtype="float16", data=mx.sym.ones((2, 2)))
    node = noise.attr_dict()[noise.name]
    assert noise.list_arguments() == [] and node == {
        "dtype": "float16", "loc": "10", "scale": "0.5", "shape": "()"}
    total = noise + mx.sym.var("x")
    x, grad = mx.nd.zeros((2, 2), dtype="float16"), mx.nd.zeros((2, 2), dtype="float16")
    run = total.bind(mx.cpu(), {"x": x}, {"x": grad})
    mx.random.seed(128)
    run.forward(is_train=True)
    run.backward(run.outputs[0])
    values = run.outputs[0].asnumpy()
    assert values.shape == (2, 2) and values.dtype == "float16"
    assert abs(values.astype("float32").mean() - 10) < 2
    assert (grad.asnumpy() == values).all()
    assert mx.sym.zeros(shape=(2,), data=mx.sym.var("a")).list_arguments() == []
