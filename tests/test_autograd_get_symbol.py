"""`mx.autograd.get_symbol`: the recorded history as MXNet's Symbol.

The expected graphs are what MXNet 1.9.1 printed for the same code (`tojson()`, its
`nodes` and `heads`); names are compared up to their numbers, which count over a whole
process in both (`var<n>`, `null<n>`, `node_<n>`).
"""
import json
import re

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import AutogradError


def _graph(text):
    """A symbol's JSON nodes and heads, each name numbered in order of appearance."""
    data = json.loads(text)
    renamed = {}
    for node in data["nodes"]:
        prefix = re.match(r"(var|null|node_)\d+$", node["name"]).group(1)
        count = sum(1 for v in renamed.values() if v.startswith(prefix))
        renamed[node["name"]] = f"{prefix}{count}"
        node["name"] = renamed[node["name"]]
    return data["nodes"], data["heads"]


def _cases():
    c = mx.nd.ones((2,)) * 5
    x = mx.nd.array([0.5, -1.0])
    x.attach_grad()
    w = mx.nd.array([2.0, 3.0])
    w.attach_grad()
    with mx.autograd.record():
        cases = {
            "exp_sum": mx.nd.exp(x * 2 + 1).sum(),
            "arrays": x * w + x,
            "elemwise": mx.nd.elemwise_add(x, w),
            "reflected": (x / 2 - 3) ** 2 + 2 ** x - (1 - x) / (4 / w),
            "negate": -x,
            "constant": x * c + c,
            "params": mx.nd.sum(x, axis=0, keepdims=True) + mx.nd.FullyConnected(
                x.reshape((1, 2)), w.reshape((1, 2)), num_hidden=1, no_bias=True
            ).reshape((1,)),
            "multi_output": mx.nd.split(mx.nd.concat(x, w, dim=0), num_outputs=2, axis=0)[1],
        }
    return x, w, c, cases


#: MXNet 1.9.1's `get_symbol(...).tojson()` for each case (nodes and heads).
MXNET = {
    "exp_sum": '{"nodes":[{"op":"null","name":"var0","inputs":[]},{"op":"_mul_scalar","name":"node_0","attrs":{"scalar":"2.0"},"inputs":[[0,0,0]]},{"op":"_plus_scalar","name":"node_1","attrs":{"scalar":"1.0"},"inputs":[[1,0,0]]},{"op":"exp","name":"node_2","inputs":[[2,0,0]]},{"op":"sum","name":"node_3","inputs":[[3,0,0]]}],"heads":[[4,0,0]]}',  # noqa: E501
    "arrays": '{"nodes":[{"op":"null","name":"var0","inputs":[]},{"op":"null","name":"var1","inputs":[]},{"op":"broadcast_mul","name":"node_4","inputs":[[0,0,0],[1,0,0]]},{"op":"broadcast_add","name":"node_5","inputs":[[2,0,0],[0,0,0]]}],"heads":[[3,0,0]]}',  # noqa: E501
    "elemwise": '{"nodes":[{"op":"null","name":"var0","inputs":[]},{"op":"null","name":"var1","inputs":[]},{"op":"elemwise_add","name":"node_6","inputs":[[0,0,0],[1,0,0]]}],"heads":[[2,0,0]]}',  # noqa: E501
    "reflected": '{"nodes":[{"op":"null","name":"var0","inputs":[]},{"op":"_div_scalar","name":"node_7","attrs":{"scalar":"2.0"},"inputs":[[0,0,0]]},{"op":"_minus_scalar","name":"node_8","attrs":{"scalar":"3.0"},"inputs":[[1,0,0]]},{"op":"_power_scalar","name":"node_9","attrs":{"scalar":"2.0"},"inputs":[[2,0,0]]},{"op":"_rpower_scalar","name":"node_10","attrs":{"scalar":"2.0"},"inputs":[[0,0,0]]},{"op":"broadcast_add","name":"node_11","inputs":[[3,0,0],[4,0,0]]},{"op":"_rminus_scalar","name":"node_12","attrs":{"scalar":"1.0"},"inputs":[[0,0,0]]},{"op":"null","name":"var1","inputs":[]},{"op":"_rdiv_scalar","name":"node_13","attrs":{"scalar":"4.0"},"inputs":[[7,0,0]]},{"op":"broadcast_div","name":"node_14","inputs":[[6,0,0],[8,0,0]]},{"op":"broadcast_sub","name":"node_15","inputs":[[5,0,0],[9,0,0]]}],"heads":[[10,0,0]]}',  # noqa: E501
    "negate": '{"nodes":[{"op":"null","name":"var0","inputs":[]},{"op":"_mul_scalar","name":"node_16","attrs":{"scalar":"-1.0"},"inputs":[[0,0,0]]}],"heads":[[1,0,0]]}',  # noqa: E501
    "constant": '{"nodes":[{"op":"null","name":"var0","inputs":[]},{"op":"null","name":"null2","inputs":[]},{"op":"broadcast_mul","name":"node_17","inputs":[[0,0,0],[1,0,0]]},{"op":"broadcast_add","name":"node_18","inputs":[[2,0,0],[1,0,0]]}],"heads":[[3,0,0]]}',  # noqa: E501
    "params": '{"nodes":[{"op":"null","name":"var0","inputs":[]},{"op":"sum","name":"node_19","attrs":{"axis":"0","keepdims":"True"},"inputs":[[0,0,0]]},{"op":"Reshape","name":"node_20","attrs":{"shape":"[1,2]"},"inputs":[[0,0,0]]},{"op":"null","name":"var1","inputs":[]},{"op":"Reshape","name":"node_21","attrs":{"shape":"[1,2]"},"inputs":[[3,0,0]]},{"op":"FullyConnected","name":"node_22","attrs":{"no_bias":"True","num_hidden":"1"},"inputs":[[2,0,0],[4,0,0]]},{"op":"Reshape","name":"node_23","attrs":{"shape":"[1]"},"inputs":[[5,0,0]]},{"op":"broadcast_add","name":"node_24","inputs":[[1,0,0],[6,0,0]]}],"heads":[[7,0,0]]}',  # noqa: E501
    "multi_output": '{"nodes":[{"op":"null","name":"var0","inputs":[]},{"op":"null","name":"var1","inputs":[]},{"op":"Concat","name":"node_25","attrs":{"dim":"0","num_args":"2"},"inputs":[[0,0,0],[1,0,0]]},{"op":"SliceChannel","name":"node_26","attrs":{"axis":"0","num_outputs":"2"},"inputs":[[2,0,0]]}],"heads":[[3,1,0]]}',  # noqa: E501
}

ARGUMENTS = {"exp_sum": 1, "negate": 1, "constant": 2}


@pytest.mark.parametrize("case", sorted(MXNET))
def test_graph_is_mxnets(case):
    *_, cases = _cases()
    symbol = mx.autograd.get_symbol(cases[case])
    assert _graph(symbol.tojson()) == _graph(MXNET[case])
    assert len(symbol.list_arguments()) == ARGUMENTS.get(case, 2)


def test_names_count_variables_by_attach_grad_and_nodes_by_recording():
    x, w, c, cases = _cases()
    arguments = mx.autograd.get_symbol(cases["arrays"]).list_arguments()
    first = int(arguments[0][3:])
    assert arguments == [f"var{first}", f"var{first + 1}"]  # x, then w
    nodes = [n["name"] for n in json.loads(mx.autograd.get_symbol(cases["exp_sum"]).tojson())
             ["nodes"][1:]]
    start = int(nodes[0][5:])
    assert nodes == [f"node_{start + k}" for k in range(4)]
    assert mx.autograd.get_symbol(x).list_arguments() == [f"var{first}"]
    assert mx.autograd.get_symbol(cases["constant"]).list_arguments()[1].startswith("null")


@pytest.mark.parametrize("case", ["reflected", "params", "constant", "multi_output"])
def test_bound_symbol_gives_the_value_and_the_tapes_gradients(case):
    x, w, c, cases = _cases()
    y = cases[case]
    symbol = mx.autograd.get_symbol(y)
    names = symbol.list_arguments()
    leaves = {names[0]: x, **({names[1]: w if names[1].startswith("var") else c}
                              if len(names) > 1 else {})}
    grads = {n: mx.nd.zeros(a.shape) for n, a in leaves.items()}
    exe = symbol.bind(mx.cpu(), {n: a.copy() for n, a in leaves.items()}, args_grad=grads)
    out = exe.forward(is_train=True)[0]
    np.testing.assert_allclose(out.asnumpy(), y.asnumpy(), rtol=1e-6)
    exe.backward(mx.nd.ones(y.shape))
    y.backward()
    for name, array in leaves.items():
        if name.startswith("var"):
            np.testing.assert_allclose(grads[name].asnumpy(), array.grad.asnumpy(), rtol=1e-5)


def test_simple_bind_gradients_equal_the_tapes():
    x, w, c, cases = _cases()
    y = cases["arrays"]
    symbol = mx.autograd.get_symbol(y)
    a, b = symbol.list_arguments()
    exe = symbol.simple_bind(mx.cpu(), **{a: x.shape, b: w.shape})
    exe.arg_dict[a][:] = x
    exe.arg_dict[b][:] = w
    exe.forward(is_train=True)
    exe.backward(mx.nd.ones(y.shape))
    y.backward()
    np.testing.assert_allclose(exe.grad_dict[a].asnumpy(), x.grad.asnumpy())
    np.testing.assert_allclose(exe.grad_dict[b].asnumpy(), w.grad.asnumpy())


def test_an_array_outside_any_recorded_graph_is_mxnets_error():
    x = mx.nd.ones((2,))
    with pytest.raises(AutogradError, match="not part of a computation graph"):
        mx.autograd.get_symbol(x)
    x.attach_grad()
    with mx.autograd.record():
        y = x + 1
    with pytest.raises(AutogradError, match="not part of a computation graph"):
        mx.autograd.get_symbol(y * 2)  # (computed after recording)
    with pytest.raises(AutogradError, match="not part of a computation graph"):
        mx.autograd.get_symbol(y.detach())


def test_a_call_recorded_as_one_step_is_named_in_the_error():
    x = mx.nd.ones((2,))
    x.attach_grad()
    twice = mx.jit(lambda a: a * 2)
    with mx.autograd.record():
        y = mx.nd.exp(twice(x))
    with pytest.raises(AutogradError, match="recorded as one call"):
        mx.autograd.get_symbol(y)


def test_eager_code_leaves_no_notes():
    x = mx.nd.ones((3,))
    y = mx.nd.exp(x + 1) * x
    assert y._rec is None
    with mx.autograd.record():  # (recording, but nothing depends on a variable)
        z = mx.nd.exp(x + 1) * x
    assert z._rec is None
    v = mx.nd.ones((3,))
    v.attach_grad()
    with mx.autograd.record():
        r = mx.nd.exp(v)
    with mx.autograd.pause():
        assert mx.nd.exp(r)._rec is None
