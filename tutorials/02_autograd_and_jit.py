"""Gradients three ways: MXNet's autograd, JAX-style mx.grad, and compiled with mx.jit.

Run it: `python tutorials/02_autograd_and_jit.py`. It fits a line with each style and
checks that all of them compute the same gradients.
"""
import numpy as np

import mxjit as mx
from mxjit import autograd, nd

mx.random.seed(0)
features = nd.random.normal(shape=(256, 2))
labels = nd.dot(features, nd.array([[2.0], [-3.4]])) + 4.2

# 1. MXNet's autograd: attach gradients, record, call backward.
w = nd.random.normal(scale=0.01, shape=(2, 1))
b = nd.zeros((1,))
for p in (w, b):
    p.attach_grad()
for _ in range(200):
    with autograd.record():
        loss = ((nd.dot(features, w) + b - labels) ** 2).mean()
    loss.backward()
    w -= 0.1 * w.grad
    b -= 0.1 * b.grad
print("autograd:", w.asnumpy().ravel(), b.asnumpy(), "loss", loss.asscalar())


# 2. The functional style: a pure loss and its gradient function.
def mse(params, x, y):
    w, b = params
    return ((nd.dot(x, w) + b - y) ** 2).mean()


grad_fn = mx.grad(mse)
dw, db = grad_fn([w, b], features, labels)
with autograd.record():
    loss = mse([w, b], features, labels)
loss.backward()
np.testing.assert_allclose(dw.asnumpy(), w.grad.asnumpy(), rtol=1e-4, atol=1e-6)


# 3. Compiled: the whole update step, forward, backward and SGD, is one jitted program.
@mx.jit
def sgd_step(params, x, y):
    loss, (dw, db) = mx.value_and_grad(mse)(params, x, y)
    w, b = params
    return loss, [w - 0.1 * dw, b - 0.1 * db]


params = [nd.random.normal(scale=0.01, shape=(2, 1)), nd.zeros((1,))]
for _ in range(200):
    loss, params = sgd_step(params, features, labels)
print("jit:     ", params[0].asnumpy().ravel(), params[1].asnumpy(), "loss", loss.asscalar())
np.testing.assert_allclose(params[0].asnumpy().ravel(), [2.0, -3.4], rtol=1e-3)
np.testing.assert_allclose(params[1].asnumpy(), [4.2], rtol=1e-3)
plan = sgd_step.lower(params, features, labels)
print(f"one step launches {len(plan.kernels)} kernels:", [k.name for k in plan.kernels])


# A function with a hand-written backward, as in the MXNet guide.
class Sigmoid(autograd.Function):
    def forward(self, x):
        y = 1 / (1 + nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * (1 - y)


x = nd.array([-1.0, 0.0, 2.0])
x.attach_grad()
with autograd.record():
    y = Sigmoid()(x)
y.backward()
np.testing.assert_allclose(x.grad.asnumpy(), (nd.sigmoid(x) * (1 - nd.sigmoid(x))).asnumpy(),
                           rtol=1e-6)
print("custom sigmoid gradient:", x.grad)
