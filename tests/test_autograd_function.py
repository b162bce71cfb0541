"""autograd.Function compiled (core/function.py): the user's forward and backward traced
once per class, attributes and signature into a custom_vjp under jit, the same numbers as
running them eagerly (`traced = False`, MXNet's way), and the eager path wherever the code
cannot be traced."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, nd
from mxjit.core import function
from tests.test_autograd import MulAdd


class Counting(autograd.Function):
    """The guide's custom sigmoid, counting how often its methods run."""

    forwards = 0
    backwards = 0

    def forward(self, x):
        type(self).forwards += 1
        y = 1 / (1 + nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        type(self).backwards += 1
        y, = self.saved_tensors
        return dy * y * (1 - y)


class EagerCounting(Counting):
    traced = False


class EagerMulAdd(MulAdd):
    traced = False


class Scale(autograd.Function):
    """x times its attribute k."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x * self.k

    def backward(self, dy):
        return dy * self.k


def _grads(fn_class, *values):
    xs = [nd.array(v, dtype="float64") for v in values]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        outs = fn_class()(*xs)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        loss = sum(((o * (k + 2)) ** 2).sum() for k, o in enumerate(outs))
    loss.backward()
    return [o.asnumpy() for o in outs], [x.grad.asnumpy() for x in xs]


@pytest.mark.parametrize("traced,eager,values", [
    (Counting, EagerCounting, [[-2.0, 0.0, 0.5, 3.0]]),
    (MulAdd, EagerMulAdd, [[1.0, -2.0], [3.0, 0.25]])])
def test_a_compiled_function_gives_the_eager_numbers(traced, eager, values):
    got_outs, got_grads = _grads(traced, *values)
    want_outs, want_grads = _grads(eager, *values)
    for g, w in zip(got_outs + got_grads, want_outs + want_grads):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_forward_and_backward_run_when_traced_not_on_every_call():
    Counting.forwards = Counting.backwards = 0
    x = nd.array(np.linspace(-2, 2, 7).astype(np.float32))
    x.attach_grad()
    counts = []
    for _ in range(5):
        with autograd.record():
            y = Counting()(x)
        y.backward()
        counts.append((Counting.forwards, Counting.backwards))
    s = 1 / (1 + np.exp(-x.asnumpy().astype(np.float64)))
    np.testing.assert_allclose(x.grad.asnumpy(), s * (1 - s), rtol=1e-6)
    # (traced on the first call only: to check that they trace, then to compile)
    assert counts[0][0] == 2 and counts == counts[:1] * 5
    EagerCounting.forwards = EagerCounting.backwards = 0
    for _ in range(5):
        with autograd.record():
            y = EagerCounting()(x)
        y.backward()
    assert (EagerCounting.forwards, EagerCounting.backwards) == (5, 5)


def test_functions_that_cannot_be_traced_run_eagerly_with_the_same_numbers():
    class NeedsValues(autograd.Function):
        def forward(self, x):
            scale = 2.0 if float(x.sum().asscalar()) > 0 else 3.0
            self.save_for_backward(nd.full(x.shape, scale, dtype=x.dtype))
            return x * scale

        def backward(self, dy):
            scale, = self.saved_tensors
            return dy * scale

    class KeepsArrays(autograd.Function):
        def forward(self, x):
            self.y = nd.exp(x)
            return self.y

        def backward(self, dy):
            return dy * self.y

    class HoldsWeights(autograd.Function):
        def __init__(self):
            super().__init__()
            self.w = nd.array([2.0, 3.0])

        def forward(self, x):
            return x * self.w

        def backward(self, dy):
            return dy * self.w

    x = nd.array([1.0, -0.5])
    for fn_class, grad in ((NeedsValues, [2.0, 2.0]), (KeepsArrays, np.exp([1.0, -0.5])),
                           (HoldsWeights, [2.0, 3.0])):
        for _ in range(2):
            x.attach_grad()
            with autograd.record():
                y = fn_class()(x)
            y.backward()
            np.testing.assert_allclose(x.grad.asnumpy(), grad, rtol=1e-6)
    forms = {key[0] if isinstance(key, tuple) else key: form
             for key, form in function._FORMS.items()}
    assert forms[NeedsValues].eager and forms[KeepsArrays].eager
    assert HoldsWeights not in forms  # (arrays among its attributes: never compiled)


def test_attribute_values_select_the_compiled_form():
    x = nd.array([1.0, 2.0])
    for k in (2.0, 3.0, 2.0):
        x.attach_grad()
        with autograd.record():
            y = Scale(k)(x)
        y.backward()
        assert y.asnumpy().tolist() == [k, 2 * k] and x.grad.asnumpy().tolist() == [k, k]


def test_the_users_backward_holds_inside_jit_grad_and_hybridized_blocks():
    class StraightThrough(autograd.Function):
        """round() forward, the identity's gradient backward."""

        def forward(self, x):
            return nd.round(x)

        def backward(self, dy):
            return dy

    x = nd.array([0.2, 1.7, -2.4])
    grad = mx.grad(lambda v: (StraightThrough()(v) * 2).sum())(x)
    assert grad.asnumpy().tolist() == [2.0, 2.0, 2.0]

    class Net(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, v):
            return StraightThrough()(v * 3)

    net = Net()
    net.hybridize()
    x.attach_grad()
    with autograd.record():
        y = net(x)
    y.backward()
    assert y.asnumpy().tolist() == [1.0, 5.0, -7.0] and x.grad.asnumpy().tolist() == [3, 3, 3]


def test_a_compiled_function_differentiates_again():
    x = nd.array([-1.0, 0.0, 2.0], dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = Counting()(x)
        g, = autograd.grad(y.sum(), [x], create_graph=True)
        z = g.sum()
    z.backward()
    s = 1 / (1 + np.exp(-x.asnumpy()))
    np.testing.assert_allclose(g.asnumpy(), s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(x.grad.asnumpy(), s * (1 - s) * (1 - 2 * s), rtol=1e-12)


def test_attributes_of_a_function_without_super_init_select_the_form_too():
    # (a subclass need not call Function.__init__: its own attributes still count)
    class Shift(autograd.Function):
        def __init__(self, a, b):
            self.a, self.b = a, b

        def forward(self, x):
            return x + self.a * self.b

        def backward(self, dy):
            return dy

    x = nd.array([1.0])
    assert Shift(1.0, 2.0)(x).asnumpy().tolist() == [3.0]
    assert Shift(2.0, 5.0)(x).asnumpy().tolist() == [11.0]


def test_attribute_values_beyond_the_bound_run_eagerly_with_the_same_numbers():
    x = nd.array([1.0, 2.0])
    for k in range(function.FORMS_PER_CLASS + 4):
        x.attach_grad()
        with autograd.record():
            y = Scale(float(k))(x)
        y.backward()
        assert y.asnumpy().tolist() == [k, 2 * k] and x.grad.asnumpy().tolist() == [k, k]
    forms = [key for key in function._FORMS if isinstance(key, tuple) and key[0] is Scale]
    assert len(forms) == function.FORMS_PER_CLASS
