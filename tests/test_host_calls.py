"""Host calls (trace/host.py, lower/host.py): Python code in compiled programs, and the
autograd tape's reuse of backward programs through them (autograd.Function)."""
import numpy as np
import pytest

import mxjit as mx
from mxjit.base import GradientError, ShapeError, UnsupportedError
from mxjit.core import tape
from mxjit.trace import AbstractValue, apply, var
from mxjit.trace.host import check_results, host_backward
from tests.test_autograd import Sigmoid as TracedSigmoid  # (the guide's custom sigmoid)

F32 = np.dtype(np.float32)


class Sigmoid(TracedSigmoid):
    traced = False  # (run eagerly: recorded as a host call)


class Tanh(mx.autograd.Function):
    traced = False
    def forward(self, x):
        y = mx.nd.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * (1 - y * y)


def _step(fn_class, x):
    with mx.autograd.record():
        y = (fn_class()(x) * 2).sum()
    y.backward()
    return x.grad.asnumpy()


def test_function_reuses_its_backward_program_only_for_the_same_structure():
    tape._programs.clear()
    data = [np.random.RandomState(k).randn(3, 4).astype(np.float32) for k in range(3)]
    for d in data:  # new values, new Function objects: one program, each its own saved y
        x = mx.nd.array(d)
        x.attach_grad()
        s = 1 / (1 + np.exp(-d.astype(np.float64)))
        np.testing.assert_allclose(_step(Sigmoid, x), 2 * s * (1 - s), rtol=1e-5)
    assert len(tape._programs) == 1
    x = mx.nd.array(data[0])
    x.attach_grad()
    np.testing.assert_allclose(_step(Tanh, x), 2 * (1 - np.tanh(data[0]) ** 2), rtol=1e-5)
    assert len(tape._programs) == 2  # (another Function class: another structure)
    x = mx.nd.array(data[0][:2])
    x.attach_grad()
    _step(Sigmoid, x)
    assert len(tape._programs) == 3  # (another shape)


def test_function_backward_runs_once_for_all_outputs():
    calls = []

    class Pair(mx.autograd.Function):
        traced = False

        def forward(self, x):
            return x * 2, x * 3

        def backward(self, da, db):
            calls.append(1)
            return da * 2 + db * 3

    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        a, b = Pair()(x)
        (a + b).sum().backward()
    assert calls == [1]
    np.testing.assert_allclose(x.grad.asnumpy(), [5, 5])


def test_function_backward_with_the_wrong_count_or_shape_is_named():
    class Wrong(mx.autograd.Function):
        def __init__(self, grads):
            super().__init__()
            self.grads = grads

        def forward(self, x):
            return x * 1

        def backward(self, dy):
            return self.grads

    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = Wrong((mx.nd.ones(2), mx.nd.ones(2)))(x)
    with pytest.raises(mx.base.AutogradError, match="returned 2 gradients for 1 inputs"):
        y.backward()
    with mx.autograd.record():
        y = Wrong(mx.nd.ones(3))(x)
    with pytest.raises(ShapeError, match=r"Wrong \(an autograd.Function\): backward wrote "
                                         r"'in_grad 0' with shape \(3,\)"):
        y.backward()


class _Host:
    """A host function computing (x + 1,) with a backward that gives `grads`."""

    name = "test host"

    def __init__(self, results=None, grads=None):
        self.results, self.grads = results, grads

    def forward(self, operands):
        return self.results if self.results is not None else [operands[0] + 1]

    def backward(self, operands, results, cotangents, wanted):
        return self.grads if self.grads is not None else [cotangents[0]]


def test_results_are_checked_against_the_planned_shapes():
    aval = AbstractValue((2,), F32)
    with pytest.raises(ShapeError, match="test host: forward gave 2 arrays, expected 1"):
        check_results(_Host(), "forward", [np.ones(2), np.ones(2)], [aval])
    arrays = [np.ones(2, F32), np.ones(2, F32), np.ones(2, F32)]
    with pytest.raises(ShapeError, match="test host: backward gave 2 gradients for 1 inputs"):
        host_backward(_Host(grads=[np.ones(2), np.ones(2)]), arrays, (aval,), [0])
    assert check_results(_Host(), "forward", [np.ones(2)], [aval])[0].dtype == F32


def test_a_host_call_in_a_program_runs_once_and_refuses_device_arrays():
    x = var((2,), F32)
    host = _Host()
    y = apply("host_call", x, fn=host, index=0, avals=(x.aval,))
    from mxjit.lower import Layout, lower_graph
    program = lower_graph([apply("exp", y)], [x], [Layout.contiguous((2,))])
    got = program.run([np.zeros(2, F32)])[0]
    np.testing.assert_allclose(got, np.exp([1, 1]), rtol=1e-6)
    step = [s for s in program.steps if getattr(s, "name", "") == "host_call"][0]
    with pytest.raises(UnsupportedError, match="test host: host calls .* run on CPU arrays"):
        step.fn()


def test_a_host_calls_backward_is_not_differentiated_again():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = Sigmoid()(x)
        g, = mx.autograd.grad(y.sum(), [x], create_graph=True)
        z = g.sum()
    with pytest.raises(GradientError, match=r"Sigmoid \(an autograd.Function\) \(a host "
                                            r"call.*cannot be differentiated again"):
        z.backward()
