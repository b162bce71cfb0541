"""mx.sym: graphs of MXNet operators with MXNet's names, JSON both ways, shape and dtype
inference, and bound executors that reproduce what MXNet 1.9.1 computed."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, nd
from mxjit.base import ArgumentError, MXNetError, NotImplementedForSymbol, ShapeError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def params_of(prefix):
    saved = nd.load(str(FIXTURES / f"{prefix}-0000.params"))
    arg = {k[4:]: v for k, v in saved.items() if k.startswith("arg:")}
    aux = {k[4:]: v for k, v in saved.items() if k.startswith("aux:")}
    return arg, aux


def test_automatic_names_and_arithmetic_nodes_follow_mxnet():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    group = mx.sym.Group([x + 1, 2 - x, x * y, x / 3, x ** 2, 2 ** x, -x, x == y, x > 1,
                          x % 2, abs(x), x.sum(), x + y])
    nodes = [(n["op"], n["name"], n.get("attrs")) for n in json.loads(group.tojson())["nodes"]
             if n["op"] != "null"]
    assert nodes == [
        ("_plus_scalar", "_plusscalar0", {"scalar": "1"}),
        ("_rminus_scalar", "_rminusscalar0", {"scalar": "2"}),
        ("elemwise_mul", "_mul0", None), ("_div_scalar", "_divscalar0", {"scalar": "3"}),
        ("_power_scalar", "_powerscalar0", {"scalar": "2"}),
        ("_rpower_scalar", "_rpower_scalar0", {"scalar": "2"}),
        ("_mul_scalar", "_mulscalar0", {"scalar": "-1.0"}), ("_equal", "_equal0", None),
        ("_greater_scalar", "_greater_scalar0", {"scalar": "1"}),
        ("_mod_scalar", "_modscalar0", {"scalar": "2"}), ("abs", "abs0", None),
        ("sum", "sum0", None), ("elemwise_add", "_plus0", None)]
    values = group.eval(x=nd.array([1.0, 2.0]), y=nd.array([2.0, 2.0]))
    want = [[2, 3], [1, 0], [2, 4], [1 / 3, 2 / 3], [1, 4], [2, 4], [-1, -2], [0, 1], [0, 1],
            [1, 0], [1, 2], [3], [3, 4]]
    for got, expected in zip(values, want):
        np.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-6)


def test_lists_of_names():
    x = mx.sym.var("x")
    fc = mx.sym.FullyConnected(x, num_hidden=3)
    assert fc.list_arguments() == ["x", "fullyconnected0_weight", "fullyconnected0_bias"]
    assert fc.list_outputs() == ["fullyconnected0_output"] and fc.name == "fullyconnected0"
    assert mx.sym.FullyConnected(x, num_hidden=3, no_bias=True).list_arguments() == [
        "x", "fullyconnected1_weight"]
    bn = mx.sym.BatchNorm(x, name="bn")
    assert bn.list_arguments() == ["x", "bn_gamma", "bn_beta"]
    assert bn.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert bn.list_inputs() == ["x", "bn_gamma", "bn_beta", "bn_moving_mean", "bn_moving_var"]
    assert mx.sym.split(x, num_outputs=2).list_outputs() == ["split0_output0",
                                                             "split0_output1"]
    assert fc.get_internals().list_outputs() == ["x", "fullyconnected0_weight",
                                                 "fullyconnected0_bias",
                                                 "fullyconnected0_output"]
    assert repr(fc) == "<Symbol fullyconnected0>"
    assert fc.get_internals()["fullyconnected0_weight"].name == "fullyconnected0_weight"
    assert fc.get_children().list_outputs() == ["x", "fullyconnected0_weight",
                                                "fullyconnected0_bias"]
    with pytest.raises(IndexError):
        fc.get_internals()["missing"]


def test_attributes_scopes_and_prefixes():
    w = mx.sym.var("w", shape=(3, 4), lr_mult=2, dtype="float16", init=mx.init.One())
    assert w.attr("__shape__") == "(3, 4)" and w.attr("__lr_mult__") == "2"
    assert w.attr("__dtype__") == "2" and w.attr("__init__") == '["one", {}]'
    with mx.AttrScope(ctx_group="stage1"):
        fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2, name="fc")
    assert fc.attr("ctx_group") == "stage1" and fc.attr("num_hidden") == "2"
    # (as MXNet 1.9.1: ctx_group, lr_mult, ... are kept as __ctx_group__ and listed both ways)
    assert fc.list_attr() == {"__ctx_group__": "stage1", "ctx_group": "stage1",
                              "num_hidden": "2"}
    assert fc.attr_dict()["fc_weight"] == fc.list_attr()  # (made with the node's attributes)
    v = mx.sym.var("v", attr={"lr_mult": "2", "mood": "x"})
    assert v.attr("lr_mult") == v.attr("__lr_mult__") == "2"
    assert json.loads(v.tojson())["nodes"][0]["attrs"] == {"__lr_mult__": "2", "mood": "x"}
    with mx.name.Prefix("net_"):
        assert mx.sym.Activation(mx.sym.var("x"), act_type="relu").name == "net_activation0"


def test_composition_by_call():
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    inner = mx.sym.Activation(mx.sym.var("x"), act_type="tanh", name="act")
    composed = net(data=inner)
    assert composed.list_arguments() == ["x", "fc_weight", "fc_bias"]
    assert net.list_arguments() == ["data", "fc_weight", "fc_bias"]  # (unchanged)
    with pytest.raises(TypeError, match="no argument"):
        net(nothing=inner)


def test_infer_shape_type_and_partial():
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3,
                                                     name="fc"), name="softmax")
    arg, out, aux = net.infer_shape(data=(4, 5))
    assert arg == [(4, 5), (3, 5), (3,), (4,)] and out == [(4, 3)] and aux == []
    assert net.infer_shape() == (None, None, None)
    assert net.infer_shape_partial() == ([(), (), (), ()], [()], [])
    types = net.infer_type(data="float64")
    assert types[0][0] is np.float64 and types[1][0] is np.float64
    with pytest.raises(MXNetError, match="elemwise_add0"):
        mx.sym.elemwise_add(mx.sym.var("a"), mx.sym.var("b")).infer_shape(a=(2, 3), b=(3, 2))


@pytest.mark.parametrize("prefix,inputs", [("mlp", "mlp_input.npy"), ("cnn", "cnn_input.npy")])
def test_mxnet_exports_load_round_trip_and_reproduce_their_outputs(prefix, inputs):
    text = (FIXTURES / f"{prefix}-symbol.json").read_text()
    sym = mx.sym.load(str(FIXTURES / f"{prefix}-symbol.json"))
    assert sym.tojson() == text  # (byte for byte: MXNet's line breaks too)
    arg, aux = params_of(prefix)
    arg["data"] = nd.array(np.load(FIXTURES / inputs))
    exe = sym.bind(mx.cpu(), arg, grad_req="null", aux_states=aux)
    np.testing.assert_allclose(exe.forward()[0].asnumpy(),
                               np.load(FIXTURES / f"{prefix}_output.npy"), rtol=1e-5, atol=1e-6)


def test_the_zoo_graph_names_shapes_training_gradients_and_inference():
    sym = mx.sym.load(str(FIXTURES / "zoo-symbol.json"))
    assert sym.tojson() == (FIXTURES / "zoo-symbol.json").read_text()
    shapes = json.loads((FIXTURES / "zoo_shapes.json").read_text())
    assert sym.list_arguments() == shapes["list_arguments"]
    assert sym.list_outputs() == shapes["list_outputs"]
    assert sym.list_auxiliary_states() == shapes["list_auxiliary_states"]
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(data=(2, 2, 6, 6), tokens=(2, 3))
    assert [list(s) for s in arg_shapes] == shapes["arg_shapes"]
    assert [list(s) for s in out_shapes] == shapes["out_shapes"]
    assert [list(s) for s in aux_shapes] == shapes["aux_shapes"]
    io = np.load(FIXTURES / "zoo_io.npz")
    arg, aux = params_of("zoo")
    grad_req = {n: "write" if n in arg else "null" for n in sym.list_arguments()}
    exe = sym.simple_bind(mx.cpu(), grad_req=grad_req, data=(2, 2, 6, 6), tokens=(2, 3))
    exe.copy_params_from(arg, aux)
    exe.forward(is_train=True, data=nd.array(io["data"]), tokens=nd.array(io["tokens"]),
                softmax_label=nd.array(io["softmax_label"]))
    np.testing.assert_allclose(exe.outputs[0].asnumpy(), io["output_train"], rtol=1e-5,
                               atol=1e-6)
    exe.backward()
    for name in ("fc1_weight", "conv_weight", "emb_weight"):
        np.testing.assert_allclose(exe.grad_dict[name].asnumpy(), io[f"grad_{name}"],
                                   rtol=1e-4, atol=1e-5, err_msg=name)
    # (the inference executor runs after the training step: BatchNorm's moving statistics
    # have moved once, and the weights are those the file holds)
    infer = sym.bind(mx.cpu(), {**arg, "data": nd.array(io["data"]),
                                "tokens": nd.array(io["tokens"]),
                                "softmax_label": nd.array(io["softmax_label"])},
                     grad_req="null", aux_states=exe.aux_dict)
    np.testing.assert_allclose(infer.forward()[0].asnumpy(),
                               np.load(FIXTURES / "zoo_output_infer.npy"), rtol=1e-5,
                               atol=1e-6)


def test_symbol_ndarray_and_hybridized_gluon_agree():
    rng = np.random.RandomState(0)
    x = rng.randn(4, 5).astype(np.float32)
    w = rng.randn(3, 5).astype(np.float32)
    b = rng.randn(3).astype(np.float32)
    sym = mx.sym.tanh(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc"))
    exe = sym.simple_bind(mx.cpu(), data=(4, 5))
    exe.copy_params_from({"fc_weight": nd.array(w), "fc_bias": nd.array(b)})
    out = exe.forward(is_train=True, data=nd.array(x))[0].asnumpy()
    exe.backward(nd.ones((4, 3)))
    xs, ws, bs = nd.array(x), nd.array(w), nd.array(b)
    for a in (ws, bs):
        a.attach_grad()
    with autograd.record():
        y = nd.tanh(nd.FullyConnected(xs, ws, bs, num_hidden=3))
    y.backward()
    np.testing.assert_allclose(out, y.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(exe.grad_dict["fc_weight"].asnumpy(), ws.grad.asnumpy(),
                               rtol=1e-5)
    dense = mx.gluon.nn.Dense(3, in_units=5, activation="tanh")
    dense.initialize()
    dense.weight.set_data(nd.array(w))
    dense.bias.set_data(nd.array(b))
    dense.hybridize()
    np.testing.assert_allclose(dense(nd.array(x)).asnumpy(), out, rtol=1e-6)


def test_executor_grad_req_add_reshape_and_monitor():
    sym = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    exe = sym.simple_bind(mx.cpu(), grad_req="add", data=(3, 4))
    exe.arg_dict["fc_weight"][:] = 1
    seen = []
    exe.set_monitor_callback(lambda name, arr: seen.append(name))
    for _ in range(2):
        exe.forward(is_train=True, data=nd.ones((3, 4)))
        exe.backward(nd.ones((3, 2)))
    np.testing.assert_array_equal(exe.grad_dict["fc_weight"].asnumpy(), np.full((2, 4), 6))
    assert seen == ["fc_output", "fc_output"]
    bigger = exe.reshape(allow_up_sizing=True, data=(5, 4))
    assert bigger.arg_dict["fc_weight"] is exe.arg_dict["fc_weight"]
    assert bigger.forward(data=nd.ones((5, 4)))[0].shape == (5, 2)
    with pytest.raises(ValueError, match="shape"):
        exe.forward(data=nd.ones((5, 4)))


def test_the_monitor_sees_every_operators_outputs_and_with_monitor_all_its_inputs():
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc")
    parts = mx.sym.split(mx.sym.Activation(fc, act_type="relu", name="relu1"), num_outputs=3,
                         axis=1, name="sp")
    with mx.name.NameManager():
        net = mx.sym.Group([parts[0] + 1, parts[2]])
    seen: dict[bool, list[str]] = {}
    for monitor_all in (False, True):
        exe = net.simple_bind(mx.cpu(), data=(2, 4))
        exe.arg_dict["data"][:] = 1
        names = seen.setdefault(monitor_all, [])
        arrays = {}
        exe.set_monitor_callback(lambda n, a, names=names, arrays=arrays: (
            names.append(n), arrays.setdefault(n, a)), monitor_all=monitor_all)
        outs = exe.forward(is_train=False)
    # (MXNet 1.9.1 reports these, except that it calls an Activation's and a scalar op's
    # input `input0`)
    assert seen[False] == ["fc_output", "relu1_output", "sp_output0", "sp_output1",
                           "sp_output2", "_plusscalar0_output"]
    assert seen[True] == ["data", "fc_data", "fc_weight", "fc_weight", "fc_bias", "fc_bias",
                          "fc_output", "relu1_data", "relu1_output", "sp_data", "sp_output0",
                          "sp_output1", "sp_output2", "_plusscalar0_data",
                          "_plusscalar0_output"]
    np.testing.assert_array_equal(arrays["_plusscalar0_output"].asnumpy(), outs[0].asnumpy())
    assert arrays["fc_output"].shape == (2, 3)


def test_batchnorm_moving_statistics_move_at_backward():
    sym = mx.sym.BatchNorm(mx.sym.var("data"), name="bn", fix_gamma=False)
    exe = sym.simple_bind(mx.cpu(), data=(2, 2))
    exe.aux_dict["bn_moving_var"][:] = 1
    exe.forward(is_train=True, data=nd.array([[1, 2], [3, 5]]))
    np.testing.assert_array_equal(exe.aux_dict["bn_moving_mean"].asnumpy(), [0, 0])
    exe.backward(nd.ones((2, 2)))
    np.testing.assert_allclose(exe.aux_dict["bn_moving_mean"].asnumpy(), [0.2, 0.35],
                               rtol=1e-6)


def test_errors_a_user_can_hit(tmp_path):
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    with pytest.raises(MXNetError, match="fc_bias"):
        net.bind(mx.cpu(), {"data": nd.ones((1, 3)), "fc_weight": nd.ones((2, 3))})
    with pytest.raises(ValueError, match="do not determine"):
        net.simple_bind(mx.cpu())
    with pytest.raises(MXNetError, match="not an MXNet symbol JSON"):
        mx.sym.load_json("{not json")
    bad = json.loads(net.tojson())
    bad["nodes"][-1]["op"] = "NoSuchOperator"
    with pytest.raises(MXNetError, match="NoSuchOperator"):
        mx.sym.load_json(json.dumps(bad))
    bad = json.loads(net.tojson())
    bad["nodes"][-1]["inputs"].append([99, 0, 0])
    with pytest.raises(MXNetError, match="bad input"):
        mx.sym.load_json(json.dumps(bad))
    with pytest.raises(FileNotFoundError):
        mx.sym.load(str(tmp_path / "missing.json"))
    with pytest.raises(TypeError, match="unknown argument"):
        mx.sym.FullyConnected(mx.sym.var("x"), num_hiden=2)
    with pytest.raises(TypeError, match="is not implemented for Symbol"):
        bool(mx.sym.var("x"))


def test_save_and_load_file(tmp_path):
    net = mx.sym.Activation(mx.sym.var("x"), act_type="relu", name="act")
    path = str(tmp_path / "net-symbol.json")
    net.save(path)
    again = mx.sym.load(path)
    assert again.tojson() == net.tojson()
    assert again.eval(x=nd.array([-1.0, 2.0]))[0].asnumpy().tolist() == [0.0, 2.0]


def test_batchnorm_statistics_variables_carry_their_initializers_as_mxnet():
    bn = mx.sym.BatchNorm(mx.sym.var("x"), name="bn")
    nodes = {n["name"]: n.get("attrs") for n in json.loads(bn.tojson())["nodes"]}
    assert nodes["bn_moving_mean"] == {"__init__": '["zero", {}]'}
    assert nodes["bn_moving_var"] == {"__init__": '["one", {}]'}
    assert nodes["bn_gamma"] is None
    mod = mx.mod.Module(bn, data_names=["x"], label_names=None)
    mod.bind(data_shapes=[("x", (2, 3))])
    mod.init_params(mx.init.Xavier())
    _, aux = mod.get_params()
    np.testing.assert_array_equal(aux["bn_moving_mean"].asnumpy(), [0, 0, 0])
    np.testing.assert_array_equal(aux["bn_moving_var"].asnumpy(), [1, 1, 1])


def test_prelu_slope_variable_starts_at_a_quarter_as_mxnet():
    sym = mx.sym.LeakyReLU(data=mx.sym.var("data"), act_type="prelu")
    assert sym.get_internals()["leakyrelu0_gamma"].attr("__init__") == \
        '["Constant", {"value": 0.25}]'
    mod = mx.mod.Module(sym, label_names=None)
    mod.bind(data_shapes=[("data", (10, 10))])
    mod.init_params()
    np.testing.assert_array_equal(list(mod.get_params()[0].values())[0].asnumpy(),
                                  np.full(10, 0.25))


def test_lr_mult_keyword_becomes_an_attribute_of_the_node_and_its_variables():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, lr_mult=2.0, name="fc")
    nodes = {n["name"]: n.get("attrs") for n in json.loads(fc.tojson())["nodes"]}
    assert nodes["fc"] == {"__lr_mult__": "2.0", "num_hidden": "3"}
    assert nodes["fc_weight"] == {"__lr_mult__": "2.0", "num_hidden": "3"}  # (as MXNet's)
    with pytest.raises(TypeError, match="unknown argument 'foo'"):
        mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, foo=2.0)


def test_backward_after_a_prediction_forward_differentiates_it_as_mxnet_does():
    lhs, rhs = mx.sym.var("lhs"), mx.sym.var("rhs")
    x, y = nd.array([[1.0, 2.0]]), nd.array([[3.0, 5.0]])
    gx, gy = nd.zeros((1, 2)), nd.zeros((1, 2))
    exe = (lhs * rhs).bind(mx.cpu(), args=[x, y], args_grad=[gx, gy])
    exe.forward()  # (is_train=False)
    exe.backward([nd.ones((1, 2))])
    np.testing.assert_array_equal(gx.asnumpy(), y.asnumpy())
    np.testing.assert_array_equal(gy.asnumpy(), x.asnumpy())
    # without gradient arrays, or with grad_req 'null', backward does nothing, as in MXNet
    frozen = (lhs * rhs).bind(mx.cpu(), args=[x, y])
    frozen.forward()
    frozen.backward([nd.ones((1, 2))])
    idle = (lhs * rhs).bind(mx.cpu(), args=[x, y], args_grad=[gx, gy], grad_req="null")
    idle.forward(is_train=True)
    idle.backward([nd.ones((1, 2))])
    np.testing.assert_array_equal(gx.asnumpy(), y.asnumpy())  # (untouched)


def test_a_bound_executor_holds_outputs_and_differentiates_before_any_forward():
    # (MXNet allocates the outputs when it binds; MXNet's test_cast reads their dtypes)
    exe = mx.sym.Cast(mx.sym.var("x", dtype="int32"), dtype="float16").simple_bind(
        mx.cpu(), x=(2, 3))
    assert exe.outputs[0].shape == (2, 3) and exe.outputs[0].dtype == np.float16
    lhs, rhs = mx.sym.var("lhs"), mx.sym.var("rhs")
    gx = nd.zeros((1, 2))
    exe = (lhs * rhs).bind(mx.cpu(), args=[nd.ones((1, 2)), nd.array([[3.0, 5.0]])],
                           args_grad=[gx, nd.zeros((1, 2))])
    exe.backward([nd.ones((1, 2), dtype="float64")])  # (a float64 head gradient is cast)
    np.testing.assert_array_equal(gx.asnumpy(), [[3.0, 5.0]])


def test_reshape_views_shrinking_arrays_and_needs_leave_to_grow_them():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=4)
    exe = fc.simple_bind(mx.cpu(), x=(5, 4), grad_req="null")
    exe.arg_arrays[0][:] = 1
    exe.arg_arrays[1][:] = 1
    exe.arg_arrays[2][:] = 0
    smaller = exe.reshape(x=(3, 4))  # (its x is the first 12 elements of exe's)
    np.testing.assert_array_equal(smaller.forward()[0].asnumpy(), np.full((3, 4), 4))
    smaller.arg_arrays[0][:] = 2
    np.testing.assert_array_equal(exe.arg_arrays[0].asnumpy()[:, 0], [2, 2, 2, 1, 1])
    with pytest.raises(ShapeError, match="would grow from .* set allow_up_sizing=True"):
        exe.reshape(x=(6, 4))
    bigger = exe.reshape(allow_up_sizing=True, x=(6, 4))
    bigger.arg_arrays[0][:] = 0
    assert exe.arg_arrays[0].asnumpy()[4, 0] == 1 and bigger.arg_arrays[1] is exe.arg_arrays[1]


def test_array_only_methods_are_refused_in_mxnets_words():
    x = mx.sym.var("x")
    with pytest.raises(NotImplementedForSymbol, match=r'Function __bool__ \(namely operator '
                                                      r'"bool"\) is not implemented for Symbol'):
        bool(x)
    for method in (x.asnumpy, x.asscalar, x.wait_to_read, x.detach, x.backward,
                   x.as_in_context):
        with pytest.raises(NotImplementedForSymbol, match=f"Function {method.__name__} is"):
            method()
    with pytest.raises(NotImplementedForSymbol, match=r'"\+="\) with arguments'):
        x += 1
    assert issubclass(NotImplementedForSymbol, mx.MXNetError)


def test_the_children_of_a_multi_output_node_are_listed_once():
    sliced = mx.sym.SliceChannel(mx.sym.var("data"), num_outputs=3, name="slice")
    assert sliced.get_children().list_outputs() == ["data"]
    assert mx.sym.Concat(*list(sliced)).get_children().list_outputs() == [
        "slice_output0", "slice_output1", "slice_output2"]


def test_dtype_inference_runs_backwards_as_mxnets():
    # (MXNet 1.9.1's answers: an operator's inputs share the data's dtype, BatchNorm keeps
    # its parameters in float32, a Cast cuts the chain; infer_type_partial leaves None)
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3)
    assert fc.infer_type(x="float16")[0] == [np.float16] * 3
    bn = mx.sym.BatchNorm(mx.sym.var("x"), name="bn")
    assert bn.infer_type(x="float16") == ([np.float16, np.float32, np.float32],
                                          [np.float16], [np.float32, np.float32])
    mlp = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(
        mx.sym.Cast(mx.sym.var("data"), dtype="float32"), name="fc1", num_hidden=8),
        name="softmax")
    assert mlp.infer_type(data=np.float16)[0] == [np.float16] + [np.float32] * 3
    assert mlp.infer_type_partial() == ([None] + [np.float32] * 3, [np.float32], [])


def test_operators_without_parameters_keep_unknown_keywords_as_mxnet_does():
    # MXNet: nd ignores them; the symbol lists them among the node's attributes
    assert mx.nd.broadcast_mul(mx.nd.ones(2), mx.nd.ones(2) * 3, axis=1).asnumpy().tolist() \
        == [3, 3]
    relu = mx.sym.relu(mx.sym.var("x"), axis=1, name="r")
    node = json.loads(relu.tojson())["nodes"][-1]
    assert node["attrs"] == {"axis": "1"}
    again = mx.sym.load_json(relu.tojson())
    assert again.tojson() == relu.tojson()
    assert again.eval(x=mx.nd.array([-1, 2]))[0].asnumpy().tolist() == [0, 2]
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        mx.nd.softmax(mx.nd.ones(2), foo=1)  # an operator with parameters refuses them


def test_executor_outputs_are_fixed_arrays_shared_by_a_smaller_reshape():
    """MXNet's executor writes each forward pass into the output arrays it holds, and an
    executor reshaped to fewer rows writes into the first rows of the same memory."""
    x = mx.sym.var("x")
    exe = mx.sym.FullyConnected(x, num_hidden=4).simple_bind(mx.cpu(), x=(5, 4),
                                                               grad_req="null")
    exe.arg_arrays[0][:] = 1
    exe.arg_arrays[1][:] = nd.ones((4, 4))
    exe.arg_arrays[2][:] = 0
    held = exe.outputs[0]
    exe.forward()
    assert exe.outputs[0] is held and (held.asnumpy() == 4).all()
    smaller = exe.reshape(x=(3, 4))
    exe.outputs[0][:] = 0
    smaller.forward()
    assert (smaller.outputs[0].asnumpy() == 4).all()
    assert (exe.outputs[0].asnumpy()[:3] == 4).all() and (exe.outputs[0].asnumpy()[3:] == 0).all()
    identity = x.simple_bind(mx.cpu(), x=(2,), grad_req="null")  # (an output that is an
    identity.forward(x=nd.ones((2,)))                             # argument stays apart)
    identity.forward(x=nd.zeros((2,)))
    assert identity.outputs[0].asnumpy().tolist() == [0.0, 0.0]


def test_json_written_under_numpy_shapes_says_so_as_mxnet():
    with mx.util.np_shape(True):
        attrs = json.loads(mx.sym.var("x").tojson())["attrs"]
    assert attrs == {"is_np_shape": ["int", 1], "mxnet_version": ["int", 10901]}
    assert json.loads(mx.sym.var("x").tojson())["attrs"] == {"mxnet_version": ["int", 10901]}


def test_bind_ignores_arrays_for_names_the_symbol_does_not_have():
    # (MXNet's bind reads the names it needs from a dict: a foreach body that leaves a
    # free variable unused is bound with the full dict in MXNet's own tests)
    total = mx.sym.var("a") + mx.sym.var("b")
    exe = total.bind(mx.cpu(), {"a": mx.nd.ones(2), "b": mx.nd.ones(2), "unused": mx.nd.ones(3)},
                     args_grad={"a": mx.nd.zeros(2), "b": mx.nd.zeros(2),
                                "unused": mx.nd.zeros(3)})
    assert exe.forward()[0].asnumpy().tolist() == [2.0, 2.0]


def test_multi_output_operators_list_mxnets_outputs_and_compute_nds():
    v, c = mx.sym.var, mx.sym.contrib
    # (MXNet 1.9.1's list_outputs, after each node's name)
    cases = [
        (c.bipartite_matching(v("d"), threshold=0.1), ["output0", "output1"]),
        (c.box_encode(v("s"), v("m"), v("a"), v("r"), v("me"), v("st")),
         ["output0", "output1"]),
        (c.hawkesll(v("mu"), v("alpha"), v("beta"), v("state"), v("lags"), v("marks"),
                    v("vl"), v("maxt")), ["output", "state"]),
        (c.calibrate_entropy(v("h"), v("e")), ["threshold", "divergence"]),
        (mx.sym.amp_multicast(v("a"), v("b"), num_outputs=2), ["output0", "output1"]),
        (mx.sym.multi_sgd_update(v("w0"), v("g0"), v("w1"), v("g1"), lrs=(0.1, 0.1),
                                 wds=(0, 0), num_weights=2), ["output0", "output1"]),
        (mx.sym.BatchNorm_v1(v("d"), output_mean_var=True), ["output", "mean", "var"]),
        (c.Proposal(v("c"), v("b"), v("i"), output_score=True), ["output", "score"]),
        (c.SyncBatchNorm(v("d"), output_mean_var=True, key="k"), ["output", "mean", "var"]),
    ]
    for sym, names in cases:
        outputs = sym.list_outputs()
        assert [o[len(o) - len(n):] for o, n in zip(outputs, names)] == names, outputs
        assert len(outputs) == len(names)
    d = nd.array(np.random.default_rng(0).uniform(0, 1, (2, 3, 4)))
    got = c.bipartite_matching(v("d"), threshold=0.1).eval(d=d)
    want = nd.contrib.bipartite_matching(d, threshold=0.1)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g.asnumpy(), w.asnumpy())
    got = mx.sym.multi_sgd_update(v("w0"), v("g0"), v("w1"), v("g1"), lrs=(0.1, 0.2),
                                  wds=(0, 0), num_weights=2).eval(
        w0=nd.ones(2), g0=nd.ones(2), w1=nd.ones(3), g1=nd.ones(3))
    np.testing.assert_allclose(np.concatenate([g.asnumpy() for g in got]),
                               [0.9, 0.9, 0.8, 0.8, 0.8], rtol=1e-6)


def test_bilinear_upsampling_names_and_infers_its_weight_as_mxnet():
    # (MXNet 1.9.1: ['data', 'up_weight'], weight (C, 1, k, k) with k = 2 * scale - scale % 2,
    # the made weight initialised by "bilinear")
    with mx.name.NameManager():
        for scale, kernel in ((2, 4), (3, 5)):
            up = mx.sym.UpSampling(mx.sym.Variable("data"), sample_type="bilinear",
                                   scale=scale, num_filter=3, name="up")
            assert up.list_arguments() == ["data", "up_weight"]
            assert up.infer_shape(data=(2, 3, 5, 5)) == (
                [(2, 3, 5, 5), (3, 1, kernel, kernel)], [(2, 3, 5 * scale, 5 * scale)], [])
            weight = json.loads(up.tojson())["nodes"][1]
            assert weight["name"] == "up_weight"
            assert weight["attrs"]["__init__"] == '["bilinear", {}]'
        given = mx.sym.UpSampling(mx.sym.Variable("x"), mx.sym.Variable("w"), num_args=2,
                                  sample_type="bilinear", scale=2, num_filter=2)
        assert given.list_arguments() == ["x", "w"]
    x = mx.nd.array(np.random.default_rng(0).standard_normal((1, 2, 3, 3)).astype(np.float32))
    w = mx.nd.array(np.random.default_rng(1).standard_normal((2, 1, 4, 4)).astype(np.float32))
    out = given.bind(mx.cpu(), {"x": x, "w": w}).forward()[0]
    expected = mx.nd.UpSampling(x, w, sample_type="bilinear", scale=2, num_filter=2)
    np.testing.assert_allclose(out.asnumpy(), expected.asnumpy(), rtol=1e-6)


def test_simple_bind_ignores_keywords_that_are_not_shapes():
    # (MXNet's test_take passes axis= and mode= to simple_bind; MXNet reads tuples only)
    taken = mx.sym.take(mx.sym.var("a"), mx.sym.var("indices"), axis=1)
    exe = taken.simple_bind(mx.cpu(), a=(3, 4), indices=(2,), axis=1, mode="clip")
    assert [a.shape for a in exe.arg_arrays] == [(3, 4), (2,)]
    with pytest.raises(ArgumentError, match="has no input 'b'"):
        taken.simple_bind(mx.cpu(), a=(3, 4), indices=(2,), b=(1,))
