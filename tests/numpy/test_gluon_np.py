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


def test_parameters_made_under_np_stay_np_arrays():
    @npx.use_np
    class Product(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.w = self.params.get("w", shape=(3, 2))

        def hybrid_forward(self, F, x, w):
            return F.np.dot(x, w)

    net = Product()
    net.initialize()
    net(np.ones((4, 3)))
    assert type(net.w.data()) is np.ndarray and type(net.w.grad()) is np.ndarray  # (as MXNet)
    assert type(_net()[0].weight.data()) is mx.nd.NDArray


def test_use_np_wraps_inherited_methods_but_keeps_static_and_class_methods():
    class Base:
        def mode(self):
            return mx.util.is_np_array()

        @staticmethod
        def static(x):
            return x + 1

        @classmethod
        def named(cls):
            return cls.__name__

    @npx.use_np
    class Derived(Base):
        pass

    assert Derived().mode() and not Base().mode()
    assert Derived().static(1) == 2 and Derived.named() == "Derived"


def test_outputs_under_np_semantics_must_be_np_arrays(np_mode):
    class Mixed(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x.as_nd_ndarray() * 2, F.np.multiply(x, x)

    for hybridize in (False, True):
        net = Mixed()
        if hybridize:
            net.hybridize()
        with pytest.raises(TypeError, match="Block's output ndarrays/symbols must be of type "
                                            "`mxnet.numpy.ndarray`"):
            net(np.ones((2, 3)))


@pytest.mark.parametrize("hybridize", [False, True])
def test_deferred_parameter_shapes_come_from_np_functions(np_mode, hybridize):
    class Regression(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.w1 = self.params.get("w1", shape=(0, 5), allow_deferred_init=True)
                self.w2 = self.params.get("w2", shape=(0, 3), allow_deferred_init=True)
                self.b = self.params.get("b", shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w1, w2, b):
            return F.np.matmul(F.npx.relu(x.dot(w1)), w2) + b

    net = Regression()
    net.initialize()
    if hybridize:
        net.hybridize()
    x = np.random.uniform(size=(7, 4))
    out = net(x)
    assert (net.w1.shape, net.w2.shape, net.b.shape) == ((4, 5), (5, 3), (3,))
    h = onp.maximum(x.asnumpy() @ net.w1.data().asnumpy(), 0)
    want = h @ net.w2.data().asnumpy() + net.b.data().asnumpy()
    onp.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5)


def test_a_size_no_operand_gives_names_the_parameter(np_mode):
    class Sum(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.w = self.params.get("w", shape=(0, 0), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return x + w

    net = Sum()
    net.initialize()
    net.hybridize()
    with pytest.raises(mx.base.DeferredInitializationError,
                       match="add cannot infer the shape of Parameter 'sum.*_w'"):
        net(np.ones((1, 3)))


def test_optimizers_record_the_semantics_they_were_made_under(np_mode):
    assert mx.optimizer.SGD().allow_np_array
    npx.reset_np()
    assert not mx.optimizer.SGD().allow_np_array
