"""Operators you write yourself: MXNet's Python `CustomOp`, and native operators that fuse.

Run it: `python tutorials/custom_operators.py`. It follows the MXNet guide's chapters on
new operators: a softmax written in Python with NumPy inside (a `CustomOp`), used eagerly,
under autograd, in a hybridized block and in a Symbol graph; then the guide's `smooth_l1`
and a custom activation declared once by their formulas, which compile into the same fused
kernels as built-in operators; and last `autograd.Function`.
"""
import numpy as np

import mxjit as mx
from mxjit import autograd, gluon, nd


# 1. A CustomOp: Python code with its own backward. MXNet's example/numpy-ops softmax reads
# its inputs as NumPy arrays, so mxjit cannot look inside: it runs as one opaque "host
# call". The property class says everything the compiler needs beforehand: the names of
# the inputs and outputs, their shapes (`infer_shape`) and dtypes (`infer_type`).
class Softmax(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        x = in_data[0].asnumpy()
        y = np.exp(x - x.max(axis=1, keepdims=True))
        self.assign(out_data[0], req[0], nd.array(y / y.sum(axis=1, keepdims=True)))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        label = in_data[1].asnumpy().astype(np.int64)
        y = out_data[0].asnumpy()
        y[np.arange(len(label)), label] -= 1.0  # (softmax cross-entropy's gradient)
        self.assign(in_grad[0], req[0], nd.array(y))


@mx.operator.register("tutorial_softmax")
class SoftmaxProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=False)  # (a loss: it ignores the head gradient)

    def list_arguments(self):
        return ["data", "label"]

    def infer_shape(self, in_shape):
        return [in_shape[0], (in_shape[0][0],)], [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return Softmax()


x = nd.array(np.random.RandomState(0).randn(4, 3))
label = nd.array([0, 2, 1, 2])
x.attach_grad()
with autograd.record():
    p = nd.Custom(x, label, op_type="tutorial_softmax")
p.backward()
print("probabilities", p)
np.testing.assert_allclose(p.asnumpy(), nd.softmax(x).asnumpy(), rtol=1e-5)
np.testing.assert_allclose(x.grad.asnumpy(), p.asnumpy() - np.eye(3)[[0, 2, 1, 2]],
                           rtol=1e-5, atol=1e-7)


# In a hybridized block the network is one compiled program; the custom operator is a step
# of it that calls the Python code, and everything around it is still fused.
class Classifier(gluon.HybridBlock):
    def __init__(self):
        super().__init__()
        with self.name_scope():
            self.dense = gluon.nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x, label):
        return F.Custom(self.dense(x), label, op_type="tutorial_softmax")


net = Classifier()
net.initialize(mx.init.Xavier())
net.hybridize()
features = nd.array(np.random.RandomState(1).randn(4, 4))
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
for _ in range(20):
    with autograd.record():
        probs = net(features, label)
    probs.backward()
    trainer.step(4)
print("after training, p(label) =", probs.asnumpy()[np.arange(4), [0, 2, 1, 2]])
assert (probs.asnumpy()[np.arange(4), [0, 2, 1, 2]] > 0.5).all()

# The same operator is a node of Symbol graphs, written to JSON as MXNet writes it.
fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc")
graph = mx.sym.Custom(data=fc, name="softmax", op_type="tutorial_softmax")
print(graph.list_arguments(), graph.infer_shape(data=(4, 4))[1])
assert graph.list_arguments() == ["data", "fc_weight", "fc_bias", "softmax_label"]


# 2. Native operators: declare an operator by its formula, written with mx.nd operators
# over its inputs; parameters with defaults are its scalar parameters. The guide's
# smooth_l1 with its gradient given by hand (it could also be derived from the formula):
def smooth_l1_grad(data, out, out_grad, scalar=1.0):
    s2 = scalar * scalar
    return out_grad * nd.where(nd.abs(data) < 1 / s2, s2 * data, nd.sign(data))


@mx.operator.define("tutorial_smooth_l1", grad=smooth_l1_grad)
def tutorial_smooth_l1(data, scalar=1.0):
    s2 = scalar * scalar
    a = nd.abs(data)
    return nd.where(a < 1 / s2, 0.5 * s2 * data * data, a - 0.5 / s2)


d = nd.array([-2.0, -0.3, 0.1, 0.7, 3.0])
print("smooth_l1", nd.tutorial_smooth_l1(d, scalar=2.0))
np.testing.assert_allclose(nd.tutorial_smooth_l1(d, scalar=2.0).asnumpy(),
                           nd.smooth_l1(d, scalar=2.0).asnumpy(), rtol=1e-6)


# A custom activation, its gradient derived from the formula: swish, x * sigmoid(beta x).
@mx.operator.define("tutorial_swish")
def tutorial_swish(data, beta=1.0):
    return data * nd.sigmoid(beta * data)


# Unlike a CustomOp, a native operator is made of the compiler's primitives: it fuses with
# the operations around it. Here two native operators and three built-in ones compile into
# one kernel, forward and backward alike.
def head(v):
    return nd.tutorial_swish(nd.tutorial_smooth_l1(v * 2, scalar=1.5), beta=2.0) + 1


print("forward kernels:", len(mx.jit(head).lower(d).kernels),
      "backward kernels:", len(mx.jit(mx.grad(lambda v: head(v).sum())).lower(d).kernels))
assert len(mx.jit(head).lower(d).kernels) == 1

# It differentiates to any order: swish's second derivative against finite differences.
second = mx.grad(lambda v: mx.grad(lambda u: nd.tutorial_swish(u, beta=2.0).sum())(v).sum())


def swish_slope(v):
    s = 1 / (1 + np.exp(-2.0 * v))
    return s + 2.0 * v * s * (1 - s)


eps = 1e-3
v = np.array([-1.0, 0.2, 1.5])
numeric = (swish_slope(v + eps) - swish_slope(v - eps)) / (2 * eps)
print("second derivative", second(nd.array(v)))
np.testing.assert_allclose(second(nd.array(v)).asnumpy(), numeric, rtol=1e-3)


# 3. autograd.Function: the guide's custom sigmoid. Its backward runs as a host call too;
# the compiled backward program is kept and reused on every step with the same recorded
# structure (the same Function class, shapes and dtypes).
class Sigmoid(autograd.Function):
    def forward(self, x):
        y = 1 / (1 + nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * y * (1 - y)


x = nd.random.uniform(shape=(10,))
x.attach_grad()
for _ in range(3):
    with autograd.record():
        m = Sigmoid()(x)
    m.backward()
s = 1 / (1 + np.exp(-x.asnumpy()))
np.testing.assert_allclose(x.grad.asnumpy(), s * (1 - s), rtol=1e-5)
print("custom sigmoid's gradient", x.grad)
