"""Gluon under `npx.set_np()`: blocks take and return mx.np arrays, Parameter.data() is an
mx.np.ndarray (over the parameter's memory and autograd record), and hybridized blocks
agree with eager ones."""
from __future__ import annotations

import numpy as onp
import pytest

import mxjit as mx
from mxjit import gluon, np, npx


@pytest.fixture
def np_mode():
    npx.set_np()
    yield
    npx.reset_np()


class TanhDense(gluon.HybridBlock):
    """A block written against F.np / F.npx, as MXNet 1.9.1 numpy code is."""

    def __init__(self, units, in_units, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(in_units, units))
            self.bias = self.params.get("bias", shape=(units,), init="zeros")

    def hybrid_forward(self, F, x, weight, bias):
        return F.npx.relu(F.np.tanh(F.np.dot(x, weight) + bias))


def _net():
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(8, in_units=4, activation="relu"), TanhDense(3, 8))
    net.initialize(mx.init.Xavier())
    return net


def test_blocks_take_and_return_np_arrays_and_hybridize_the_same(np_mode):
    net = _net()
    x = np.random.uniform(size=(5, 4))
    eager = net(x)
    assert type(eager) is np.ndarray and eager.shape == (5, 3)
    for p in net.collect_params().values():
        assert type(p.data()) is np.ndarray
    net.hybridize()
    hybrid = net(x)
    assert type(hybrid) is np.ndarray
    onp.testing.assert_allclose(hybrid.asnumpy(), eager.asnumpy(), rtol=1e-5, atol=1e-6)


def test_training_under_set_np_updates_parameters(np_mode):
    net = _net()
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    x, y = np.random.uniform(size=(5, 4)), np.zeros((5, 3))
    loss_fn = gluon.loss.L2Loss()
    before = net[0].weight.data().asnumpy().copy()
    with mx.autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    trainer.step(5)
    assert type(net[0].weight.grad()) is np.ndarray
    assert not onp.allclose(before, net[0].weight.data().asnumpy())


def test_parameter_data_is_nd_outside_np_mode():
    net = _net()
    assert type(net[0].weight.data()) is mx.nd.NDArray
    with mx.util.np_array():
        assert type(net[0].weight.data()) is np.ndarray


def test_use_np_decorates_a_block_class():
    @npx.use_np
    class Scale(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            assert mx.util.is_np_array()
            return x * 2

    out = Scale()(np.ones(2))
    assert type(out) is np.ndarray and out.tolist() == [2.0, 2.0]
    assert not mx.util.is_np_array()
