"""mx.operator's custom operators (CustomOp, CustomOpProp, register) through mx.nd.Custom
and mx.sym.Custom: eagerly, under autograd, jit, hybridize and Symbol; their errors."""
import json

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import MXNetError, ParamError, ShapeError


class Sqr(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        aux[0][:] = 1
        self.assign(out_data[0], req[0], in_data[0] * in_data[0])

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        assert (aux[0].asnumpy() == 1).all()
        self.assign(in_grad[0], req[0], 2 * in_data[0] * out_grad[0])


@mx.operator.register("t_sqr")
class SqrProp(mx.operator.CustomOpProp):
    def list_auxiliary_states(self):
        return ["aux"]

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]], [in_shape[0]]

    def create_operator(self, ctx, shapes, dtypes):
        return Sqr()


class Mult(mx.operator.CustomOp):
    seen: list = []

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * in_data[1])

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        Mult.seen.append(list(req))
        self.assign(in_grad[0], req[0], in_data[1] * out_grad[0])
        self.assign(in_grad[1], req[1], in_data[0] * out_grad[0])


@mx.operator.register("t_mult")
class MultProp(mx.operator.CustomOpProp):
    def list_arguments(self):
        return ["lhs", "rhs"]

    def create_operator(self, ctx, shapes, dtypes):
        return Mult()


class Ones(mx.operator.CustomOp):
    def __init__(self, length, depth):
        self.output = np.ones((length, depth), np.float32)

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], self.output)


@mx.operator.register("t_ones")
class OnesProp(mx.operator.CustomOpProp):
    def __init__(self, length, depth):
        super().__init__()
        assert isinstance(length, str)  # (MXNet hands keywords over as strings)
        self.length, self.depth = int(length), int(depth)

    def list_arguments(self):
        return []

    def infer_shape(self, in_shape):
        return [], [(self.length, self.depth)], []

    def infer_type(self, in_type):
        return [], [np.float32], []

    def create_operator(self, ctx, shapes, dtypes):
        return Ones(self.length, self.depth)


class SplitSum(mx.operator.CustomOp):
    """Two outputs: x + 1 and 3 * x."""

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] + 1)
        self.assign(out_data[1], req[1], in_data[0] * 3)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] + 3 * out_grad[1])


@mx.operator.register("t_two")
class TwoProp(mx.operator.CustomOpProp):
    def list_outputs(self):
        return ["plus", "times"]

    def create_operator(self, ctx, shapes, dtypes):
        return SplitSum()


# MXNet's example/numpy-ops/custom_softmax.py, as written there (NumPy inside)
class Softmax(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        x = in_data[0].asnumpy()
        y = np.exp(x - x.max(axis=1).reshape((x.shape[0], 1)))
        y /= y.sum(axis=1).reshape((x.shape[0], 1))
        self.assign(out_data[0], req[0], mx.nd.array(y))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        label = in_data[1].asnumpy().ravel().astype(np.int64)
        y = out_data[0].asnumpy()
        y[np.arange(label.shape[0]), label] -= 1.0
        self.assign(in_grad[0], req[0], mx.nd.array(y))


@mx.operator.register("t_softmax")
class SoftmaxProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=False)

    def list_arguments(self):
        return ["data", "label"]

    def infer_shape(self, in_shape):
        return [in_shape[0], (in_shape[0][0],)], [in_shape[0]], []

    def infer_type(self, in_type):
        return in_type, [in_type[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return Softmax()


def _rand(*shape, seed=0):
    return mx.nd.array(np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32))


def test_eager_forward_with_aux_state_and_keywords_as_strings():
    x, aux = _rand(4, 10), mx.nd.zeros((4, 10))
    y = mx.nd.Custom(x, aux, op_type="t_sqr")
    np.testing.assert_allclose(y.asnumpy(), x.asnumpy() ** 2, rtol=1e-6)
    assert (aux.asnumpy() == 1).all()  # (the aux state is written, as in MXNet)
    ones = mx.nd.Custom(length=3, depth=2, op_type="t_ones")
    assert ones.shape == (3, 2) and (ones.asnumpy() == 1).all()
    by_name = mx.nd.Custom(lhs=x, rhs=x, op_type="t_mult")
    np.testing.assert_allclose(by_name.asnumpy(), x.asnumpy() ** 2, rtol=1e-6)


def test_autograd_gradients_and_requests():
    lhs, rhs = _rand(4, 10), _rand(4, 10, seed=1)
    lhs.attach_grad()
    rhs.attach_grad()
    Mult.seen.clear()
    for _ in range(2):  # (the second pass reuses the compiled backward program)
        with mx.autograd.record():
            y = (mx.nd.Custom(lhs, rhs, op_type="t_mult") * 3).sum()
        y.backward()
        np.testing.assert_allclose(lhs.grad.asnumpy(), 3 * rhs.asnumpy(), rtol=1e-6)
        np.testing.assert_allclose(rhs.grad.asnumpy(), 3 * lhs.asnumpy(), rtol=1e-6)
    assert Mult.seen == [["write", "write"]] * 2
    with mx.autograd.record():  # rhs not a variable: its gradient is not asked for
        y = mx.nd.Custom(lhs, mx.nd.array(rhs.asnumpy()), op_type="t_mult")
    y.backward()
    assert Mult.seen[-1] == ["write", "null"]


def test_assign_honours_every_request():
    op, dst = mx.operator.CustomOp(), mx.nd.ones((2,))
    op.assign(dst, "null", mx.nd.array([5, 5]))
    assert dst.asnumpy().tolist() == [1, 1]
    op.assign(dst, "add", mx.nd.array([2, 3]))
    assert dst.asnumpy().tolist() == [3, 4]
    for req in ("write", "inplace"):
        op.assign(dst, req, mx.nd.array([7, 8]))
        assert dst.asnumpy().tolist() == [7, 8]
    with pytest.raises(ParamError, match="req must be one of"):
        op.assign(dst, "overwrite", dst)


def test_numeric_gradient_of_aux_op():
    x, aux = _rand(3, 4), mx.nd.zeros((3, 4))
    x.attach_grad()
    with mx.autograd.record():
        y = (mx.nd.Custom(x, aux, op_type="t_sqr") * mx.nd.array(np.arange(12).reshape(3, 4))
             ).sum()
    y.backward()
    eps, base = 1e-3, x.asnumpy().astype(np.float64)
    weights = np.arange(12).reshape(3, 4)
    numeric = np.zeros_like(base)
    for i in np.ndindex(base.shape):
        up, down = base.copy(), base.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = ((up ** 2 * weights).sum() - (down ** 2 * weights).sum()) / (2 * eps)
    np.testing.assert_allclose(x.grad.asnumpy(), numeric, rtol=1e-3, atol=1e-3)


def test_several_outputs_run_forward_once():
    x = _rand(2, 3)
    x.attach_grad()
    with mx.autograd.record():
        plus, times = mx.nd.Custom(x, op_type="t_two")
        z = (plus * 2 + times).sum()
    z.backward()
    np.testing.assert_allclose(plus.asnumpy(), x.asnumpy() + 1, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), np.full((2, 3), 5.0), rtol=1e-6)


def test_inside_jit_as_one_host_step_and_grad():
    lhs, rhs = _rand(4, 10), _rand(4, 10, seed=1)
    f = mx.jit(lambda a, b: mx.nd.exp(mx.nd.Custom(a, b, op_type="t_mult") * 2 + 1))
    np.testing.assert_allclose(f(lhs, rhs).asnumpy(),
                               np.exp(lhs.asnumpy() * rhs.asnumpy() * 2 + 1), rtol=1e-5)
    text = f.lower(lhs, rhs).as_text()
    assert "host host_call Custom operator 't_mult'" in text
    assert text.count("kernel ") == 1  # (what follows the host call fuses into one kernel)
    g = mx.jit(mx.grad(lambda a, b: mx.nd.Custom(a, b, op_type="t_mult").sum(),
                       argnums=(0, 1)))
    ga, gb = g(lhs, rhs)
    np.testing.assert_allclose(ga.asnumpy(), rhs.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(gb.asnumpy(), lhs.asnumpy(), rtol=1e-6)


class _Net(mx.gluon.HybridBlock):
    def __init__(self):
        super().__init__()
        with self.name_scope():
            self.dense = mx.gluon.nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x, label):
        return F.Custom(self.dense(x), label, op_type="t_softmax")


def test_hybridized_block_matches_eager():
    x, label = _rand(5, 4), mx.nd.array([0, 1, 2, 1, 0])
    results = []
    for hybrid in (False, True):
        mx.random.seed(3)
        net = _Net()
        net.initialize(mx.init.Xavier())
        if hybrid:
            net.hybridize()
        with mx.autograd.record():
            out = net(x, label)
        out.backward()
        results.append((out.asnumpy(), net.dense.weight.grad().asnumpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)


def test_mxnet_custom_softmax_example_gives_mxnets_numbers():
    # example/numpy-ops/custom_softmax.py's op after a FullyConnected; the numbers are
    # NumPy's (softmax, and its gradient minus the one-hot label), which MXNet 1.9.1 gives
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc")
    sm = mx.sym.Custom(data=fc, name="softmax", op_type="t_softmax")
    assert sm.list_arguments() == ["data", "fc_weight", "fc_bias", "softmax_label"]
    assert sm.list_outputs() == ["softmax_output"]
    assert sm.infer_shape(data=(4, 5)) == ([(4, 5), (3, 5), (3,), (4,)], [(4, 3)], [])
    x = np.arange(20, dtype=np.float32).reshape(4, 5) / 10 - 1
    w = np.arange(15, dtype=np.float32).reshape(3, 5) / 7 - 1
    label = np.array([0, 1, 2, 1])
    ex = sm.bind(mx.cpu(), {"data": mx.nd.array(x), "fc_weight": mx.nd.array(w),
                            "fc_bias": mx.nd.zeros(3), "softmax_label": mx.nd.array(label)},
                 args_grad={"data": mx.nd.zeros((4, 5)), "fc_weight": mx.nd.zeros((3, 5))},
                 grad_req={"data": "write", "fc_weight": "write", "fc_bias": "null",
                           "softmax_label": "null"})
    out = ex.forward(is_train=True)[0].asnumpy()
    ex.backward()
    z = x @ w.T
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(out, p, rtol=1e-5)
    dz = p - np.eye(3)[label]
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy(), dz @ w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ex.grad_dict["fc_weight"].asnumpy(), dz.T @ x, rtol=1e-5,
                               atol=1e-6)
    # MXNet 1.9.1 printed these for the same inputs
    np.testing.assert_allclose(out[0], [0.9427459, 0.05414436, 0.00310965], rtol=1e-5)
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy()[3, 0], 0.6515962, rtol=1e-5)


def test_symbol_aux_states_and_json_as_mxnet_writes_it():
    s = mx.sym.Custom(data=mx.sym.var("data"), aux=mx.sym.var("aux"), op_type="t_sqr",
                      name="sqr")
    assert s.list_arguments() == ["data"] and s.list_auxiliary_states() == ["aux"]
    ones = mx.sym.Custom(length=2, depth=3, op_type="t_ones", name="n")
    node = json.loads(ones.tojson())["nodes"][0]
    assert node == {"op": "Custom", "name": "n", "inputs": [],
                    "attrs": {"depth": "3", "length": "2", "op_type": "t_ones"}}
    back = mx.sym.load_json(ones.tojson())
    assert back.list_outputs() == ["n_output"]
    assert back.infer_shape() == ([], [(2, 3)], [])
    x = _rand(2, 3)
    ex = s.bind(mx.cpu(), {"data": x}, aux_states={"aux": mx.nd.zeros((2, 3))})
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), x.asnumpy() ** 2, rtol=1e-6)


def test_unknown_op_type_and_wrong_inputs_are_named():
    with pytest.raises(ParamError, match="no operator registered as op_type='nope'"):
        mx.nd.Custom(mx.nd.ones(2), op_type="nope")
    with pytest.raises(ParamError, match=r"'t_mult' takes the inputs \['lhs', 'rhs'\]"):
        mx.nd.Custom(mx.nd.ones(2), op_type="t_mult")
    with pytest.raises(ParamError, match=r"'t_mult': MultProp does not take the keywords "
                                         r"\['scale'\]"):
        mx.nd.Custom(mx.nd.ones(2), mx.nd.ones(2), op_type="t_mult", scale=2)
    with pytest.raises(ParamError, match="expected a CustomOpProp subclass"):
        mx.operator.register("bad")(int)


class _Broken(mx.operator.CustomOp):
    def __init__(self, mode):
        self.mode = mode

    def forward(self, is_train, req, in_data, out_data, aux):
        aux[0][:] = 7
        if self.mode == "raise":
            raise ValueError("boom")
        shape = (3,) if self.mode == "shape" else in_data[0].shape
        self.assign(out_data[0], req[0], mx.nd.ones(shape))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], mx.nd.ones((5,)))


@mx.operator.register("t_broken")
class BrokenProp(mx.operator.CustomOpProp):
    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def list_auxiliary_states(self):
        return ["state"]

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]], [in_shape[0]]

    def create_operator(self, ctx, shapes, dtypes):
        return _Broken(self.mode)


def test_errors_name_operator_and_argument_and_write_nothing():
    x, state, out = mx.nd.ones((2,)), mx.nd.zeros((2,)), mx.nd.full((2,), 9)
    with pytest.raises(MXNetError, match="'t_broken': forward raised ValueError: boom"):
        mx.nd.Custom(x, state, op_type="t_broken", mode="raise", out=out)
    with pytest.raises(ShapeError, match=r"'t_broken': forward wrote output 'output' with "
                                         r"shape \(3,\), but its shape is \(2,\)"):
        mx.nd.Custom(x, state, op_type="t_broken", mode="shape", out=out)
    assert state.asnumpy().tolist() == [0, 0] and out.asnumpy().tolist() == [9, 9]
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Custom(x, state, op_type="t_broken", mode="ok")
    with pytest.raises(ShapeError, match=r"backward wrote in_grad of 'data' with shape \(5,\)"):
        y.backward()
    with pytest.raises(ShapeError, match="'t_broken': auxiliary state 'state' has shape"):
        mx.nd.Custom(x, mx.nd.zeros((3,)), op_type="t_broken", mode="ok")


def test_symbol_with_several_outputs_between_casts():
    two = mx.sym.Custom(mx.sym.var("d"), op_type="t_two", name="two")
    assert two.list_outputs() == ["two_plus", "two_times"]
    assert mx.sym.load_json(two.tojson()).infer_shape(d=(3,)) == ([(3,)], [(3,), (3,)], [])
    data = mx.sym.cast(mx.sym.var("data"), dtype="float64")
    net = mx.sym.cast(mx.sym.Custom(data, op_type="t_two")[1], dtype="float32")
    ex = net.bind(mx.cpu(), {"data": mx.nd.ones((2, 3))}, args_grad={"data": mx.nd.zeros((2, 3))})
    np.testing.assert_allclose(ex.forward(is_train=True)[0].asnumpy(), np.full((2, 3), 3.0))
    ex.backward(mx.nd.ones((2, 3)))
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy(), np.full((2, 3), 3.0))


class _Dot(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        out_data[0][:] = mx.nd.dot(in_data[0], in_data[1])


@mx.operator.register("t_dot")
class DotProp(mx.operator.CustomOpProp):
    def __init__(self, outputs="1"):
        super().__init__()
        self.outputs = int(outputs)

    def list_arguments(self):
        return ["a", "b"]

    def infer_shape(self, in_shape):
        if self.outputs == 0:
            return (in_shape,)
        return in_shape, [(in_shape[0][0], in_shape[1][1])] * self.outputs

    def create_operator(self, ctx, shapes, dtypes):
        return _Dot()


def test_errors_of_the_property_and_of_mxjit_inside_forward():
    a, b = mx.nd.zeros((4, 2)), mx.nd.zeros((1, 4))
    # (MXNet's test_custom_op_exc: an operator of mxjit fails inside the user's forward)
    with pytest.raises(MXNetError, match="Custom operator 't_dot': forward failed: dot"):
        mx.nd.Custom(a, b, op_type="t_dot")
    with pytest.raises(ShapeError, match=r"'t_dot': infer_shape must return \(in_shape, "
                                         r"out_shape\[, aux_shape\]\), got 1 lists"):
        mx.nd.Custom(a, b, op_type="t_dot", outputs=0)
    with pytest.raises(ShapeError, match=r"'t_dot': infer_shape/infer_type give 2 shapes and "
                                         r"1 types for the outputs \['output'\]"):
        mx.nd.Custom(a, b, op_type="t_dot", outputs=2)


def test_traced_forward_rebinds_its_auxiliary_states():
    s = mx.sym.Custom(data=mx.sym.var("data"), aux=mx.sym.var("aux"), op_type="t_sqr")
    x, aux = _rand(2, 3), mx.nd.zeros((2, 3))
    ex = s.bind(mx.cpu(), {"data": x}, args_grad={"data": mx.nd.zeros((2, 3))},
                aux_states={"aux": aux})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 3)))  # (written when the backward pass runs, as BatchNorm's)
    assert (ex.aux_dict["aux"].asnumpy() == 1).all()
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy(), 2 * x.asnumpy(), rtol=1e-6)
    f = mx.jit(lambda d, a: (mx.nd.Custom(d, a, op_type="t_sqr"), a))
    assert (f(x, mx.nd.zeros((2, 3)))[1].asnumpy() == 1).all()


# What MXNet 1.9.1 writes for mx.sym.Custom(length=2, depth=3, op_type=..., name='n')
MXNET_JSON = """{"nodes": [{"op": "Custom", "name": "n", "attrs": {"depth": "3", "length": "2",
"op_type": "t_ones"}, "inputs": []}], "arg_nodes": [], "node_row_ptr": [0, 1],
"heads": [[0, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}}"""


def test_loads_mxnets_json_and_default_property_methods():
    s = mx.sym.load_json(MXNET_JSON)
    assert s.list_arguments() == [] and s.list_outputs() == ["n_output"]
    out = s.bind(mx.cpu(), {}).forward()[0]
    assert out.shape == (2, 3) and (out.asnumpy() == 1).all()
    prop = mx.operator.CustomOpProp()
    assert prop.list_arguments() == ["data"] and prop.list_outputs() == ["output"]
    assert prop.infer_shape([[2, 3]]) == ([[2, 3]], ([2, 3],), ())
    assert prop.declare_backward_dependency([0], [1], [2]) == [0, 1, 2]
    assert mx.operator.CustomOpProp(need_top_grad=False).declare_backward_dependency(
        [0], [1], [2]) == [1, 2]
    assert prop.infer_storage_type_backward(["default"], ["default"], ["default"],
                                            ["default"], []) == (["default"],) * 4 + ([],)


def test_under_vmap_the_operator_runs_once_per_example():
    xs = np.arange(6, dtype=np.float32).reshape(3, 2)
    got = mx.vmap(lambda a: mx.nd.Custom(a, a, op_type="t_mult") + 1)(mx.nd.array(xs))
    np.testing.assert_allclose(got.asnumpy(), xs * xs + 1)
    grads = mx.vmap(mx.grad(lambda a: mx.nd.Custom(a, a, op_type="t_mult").sum()))(
        mx.nd.array(xs))
    np.testing.assert_allclose(grads.asnumpy(), 2 * xs)


class _Count(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], (in_data[0] > 0).sum(axis=1).astype("int32"))


@mx.operator.register("t_count")
class CountProp(mx.operator.CustomOpProp):
    def infer_shape(self, in_shape):
        return in_shape, [(in_shape[0][0],)], []

    def infer_type(self, in_type):
        return in_type, [np.int32], []

    def create_operator(self, ctx, shapes, dtypes):
        return _Count()


def test_output_dtypes_come_from_infer_type():
    s = mx.sym.Custom(mx.sym.var("x"), op_type="t_count")
    assert s.infer_type(x="float32") == ([np.float32], [np.int32], [])
    got = mx.nd.Custom(mx.nd.array([[1, -1, 2], [-3, -1, 0]]), op_type="t_count")
    assert got.dtype == np.int32 and got.asnumpy().tolist() == [2, 0]


def test_a_sparse_aux_state_is_written_and_stays_sparse():
    # (MXNet's test_custom_op passes zeros_like of a CSR array as the aux state)
    x = mx.nd.array(np.random.default_rng(0).uniform(-1, 1, (4, 10))).tostype("csr")
    aux = mx.nd.zeros_like(x)
    out = mx.nd.Custom(x, aux, op_type="t_sqr")
    np.testing.assert_allclose(out.asnumpy(), x.asnumpy() ** 2, rtol=1e-6)
    assert aux.stype == "csr" and (aux.asnumpy() == 1).all()
