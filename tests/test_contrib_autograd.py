"""mx.contrib: MXNet 1.9.1's first autograd interface (one switch for training and
recording, mark_variables, backward, grad_and_loss, grad) against hand-derived gradients,
and the contrib operator namespaces under their old names."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import ArgumentError

cag = mx.contrib.autograd


def test_the_namespace_is_mxnets():
    assert mx.contrib.nd is mx.contrib.ndarray is mx.nd.contrib
    assert mx.contrib.sym is mx.contrib.symbol is mx.sym.contrib
    assert set(mx.contrib.__all__) == {"autograd", "nd", "ndarray", "sym", "symbol"}
    assert set(cag.__all__) == {"TrainingStateScope", "backward", "compute_gradient", "grad",
                                "grad_and_loss", "mark_variables", "set_is_training",
                                "test_section", "train_section"}


def test_set_is_training_switches_recording_and_training_together():
    assert cag.set_is_training(True) is False
    assert mx.autograd.is_recording() and mx.autograd.is_training()
    assert cag.set_is_training(False) is True
    assert not mx.autograd.is_recording() and not mx.autograd.is_training()


def test_sections_nest_and_restore_the_state_before():
    with cag.train_section():
        assert mx.autograd.is_recording() and mx.autograd.is_training()
        with cag.test_section():
            assert not mx.autograd.is_recording() and not mx.autograd.is_training()
        assert mx.autograd.is_recording()
    assert not mx.autograd.is_recording() and not mx.autograd.is_training()


def test_mark_variables_then_backward_fills_the_given_buffers():
    x = mx.nd.array([1.0, 2.0, 3.0])
    dx = mx.nd.zeros(3)
    cag.mark_variables([x], [dx])
    with cag.train_section():
        y = x * x * 2
    cag.backward([y])
    np.testing.assert_allclose(dx.asnumpy(), 4 * np.array([1.0, 2.0, 3.0]))
    with cag.train_section():
        y, z = x * x * 2, x * 1
    # (an out_grad of None stands for ones, as MXNet's null handle does)
    cag.backward([y, z], [mx.nd.array([1.0, 0.0, 2.0]), None])
    np.testing.assert_allclose(dx.asnumpy(), np.array([4.0, 8.0, 12.0]) * [1, 0, 2] + 1)


def test_compute_gradient_is_backward():
    x = mx.nd.array([3.0])
    dx = mx.nd.zeros(1)
    cag.mark_variables([x], [dx], grad_reqs="write")
    with cag.train_section():
        y = mx.nd.exp(x)
    cag.compute_gradient([y])
    np.testing.assert_allclose(dx.asnumpy(), np.exp([3.0]), rtol=1e-6)


def test_grad_and_loss_and_grad():
    def f(a, b):
        return (a * a * b).sum()

    a, b = mx.nd.array([1.0, 2.0]), mx.nd.array([3.0, 4.0])
    grads, loss = cag.grad_and_loss(f)(a, b)
    assert loss.asscalar() == pytest.approx(1 * 3 + 4 * 4)
    np.testing.assert_allclose(grads[0].asnumpy(), 2 * np.array([1.0, 2.0]) * [3.0, 4.0])
    np.testing.assert_allclose(grads[1].asnumpy(), [1.0, 4.0])
    only_b = cag.grad(f, argnum=1)(a, b)
    assert len(only_b) == 1
    np.testing.assert_allclose(only_b[0].asnumpy(), [1.0, 4.0])
    both = cag.grad(f, argnum=[0, 1])(a, b)
    np.testing.assert_allclose(both[0].asnumpy(), [6.0, 16.0])


def test_errors_name_the_function():
    with pytest.raises(ArgumentError, match="backward: outputs must be a list or tuple"):
        cag.backward(mx.nd.ones(1))
    with pytest.raises(ArgumentError, match="inputs to differentiate must be NDArrays, got "
                                            "float"):
        cag.grad(lambda a: a)(1.0)

