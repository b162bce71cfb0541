"""gluon.Trainer: MXNet's numbers, several contexts, stale gradients, saved states."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, gluon, nd
from mxjit.gluon import nn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


def dense_from_fixture(ctx=None):
    net = nn.Dense(3, in_units=5)
    net.load_parameters(str(FIXTURES / "trainer_dense_init.params"), ctx=ctx)
    return net


def l2_steps(net, trainer, steps, hybridize):
    x = nd.array(np.load(FIXTURES / "trainer_x.npy"))
    y = nd.array(np.load(FIXTURES / "trainer_y.npy"))
    loss_fn = gluon.loss.L2Loss()
    if hybridize:
        net.hybridize()
    for _ in range(steps):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(4)


@pytest.mark.parametrize("hybridize", [False, True])
def test_three_adam_steps_reproduce_mxnet(hybridize):
    net = dense_from_fixture()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.05})
    l2_steps(net, trainer, 3, hybridize)
    after = nd.load(str(FIXTURES / "trainer_dense_after3.params"))
    np.testing.assert_allclose(net.weight.data().asnumpy(), after["weight"].asnumpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.bias.data().asnumpy(), after["bias"].asnumpy(),
                               rtol=1e-5, atol=1e-6)


def test_two_contexts_sum_gradients_like_one_context_on_the_whole_batch():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    one = dense_from_fixture()
    two = dense_from_fixture(ctx=ctxs)
    t1 = gluon.Trainer(one.collect_params(), "adam", {"learning_rate": 0.05})
    t2 = gluon.Trainer(two.collect_params(), "adam", {"learning_rate": 0.05})
    x = np.load(FIXTURES / "trainer_x.npy")
    y = np.load(FIXTURES / "trainer_y.npy")
    loss_fn = gluon.loss.L2Loss()
    for _ in range(3):
        with autograd.record():
            loss = loss_fn(one(nd.array(x)), nd.array(y))
        loss.backward()
        t1.step(4)
        xs = gluon.utils.split_and_load(x, ctxs)
        ys = gluon.utils.split_and_load(y, ctxs)
        with autograd.record():
            losses = [loss_fn(two(a), b) for a, b in zip(xs, ys)]
        autograd.backward(losses)
        t2.step(4)
    for ctx in ctxs:
        np.testing.assert_allclose(two.weight.data(ctx).asnumpy(), one.weight.data().asnumpy(),
                                   rtol=1e-5, atol=1e-6)


def test_stale_gradients_are_reported_unless_ignored():
    net = nn.HybridSequential()
    net.add(nn.Dense(2, in_units=3), nn.Dense(2, in_units=3))
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with autograd.record():
        y = net[0](nd.ones((1, 3))).sum()
    y.backward()
    with pytest.raises(UserWarning, match="has not been updated by backward"):
        trainer.step(1)
    before = net[1].weight.data().asnumpy().copy()
    with autograd.record():
        y = net[0](nd.ones((1, 3))).sum()
    y.backward()
    trainer.step(1, ignore_stale_grad=True)
    np.testing.assert_array_equal(net[1].weight.data().asnumpy(), before)


def test_learning_rate_multipliers_and_allreduce_update_split():
    net = nn.Dense(1, in_units=2, use_bias=False)
    net.initialize(mx.init.One())
    net.weight.lr_mult = 0.5
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1.0})
    assert trainer.learning_rate == 1.0
    trainer.set_learning_rate(0.2)
    with autograd.record():
        y = net(nd.array([[1.0, 2.0]])).sum()
    y.backward()
    trainer.allreduce_grads()
    trainer.update(1)
    np.testing.assert_allclose(net.weight.data().asnumpy(), [[1 - 0.1 * 1, 1 - 0.1 * 2]],
                               rtol=1e-6)


def test_save_and_load_states_continue_the_same_trajectory(tmp_path):
    def run(net, trainer, steps):
        l2_steps(net, trainer, steps, hybridize=False)

    a = dense_from_fixture()
    ta = gluon.Trainer(a.collect_params(), "adam", {"learning_rate": 0.05})
    run(a, ta, 3)
    b = dense_from_fixture()
    tb = gluon.Trainer(b.collect_params(), "adam", {"learning_rate": 0.05})
    run(b, tb, 1)
    path = str(tmp_path / "t.states")
    tb.save_states(path)
    c = dense_from_fixture()
    c.weight.set_data(b.weight.data())
    c.bias.set_data(b.bias.data())
    tc = gluon.Trainer(c.collect_params(), "adam", {"learning_rate": 0.05})
    tc.load_states(path)
    run(c, tc, 2)
    np.testing.assert_allclose(c.weight.data().asnumpy(), a.weight.data().asnumpy(),
                               rtol=1e-5, atol=1e-6)


def test_trainer_errors():
    with pytest.raises(ValueError, match="list or dict of Parameters"):
        gluon.Trainer(3, "sgd")
    with pytest.raises(ValueError, match="list of"):
        gluon.Trainer([3], "sgd")
    net = nn.Dense(2, in_units=3)
    net.initialize()
    with pytest.raises(Exception, match="Cannot find optimizer"):
        gluon.Trainer(net.collect_params(), "no-such-optimizer")
    with pytest.raises(AssertionError, match="optimizer_params must be None"):
        gluon.Trainer(net.collect_params(), mx.optimizer.SGD(), {"learning_rate": 1})
    other = nn.Dense(2, in_units=3)
    other.initialize(ctx=mx.cpu(1))
    with pytest.raises(AssertionError, match="same set of contexts"):
        gluon.Trainer(list(net.collect_params().values()) +
                      list(other.collect_params().values()), "sgd")
    untouched = nn.Dense(2, in_units=3)
    with pytest.raises(RuntimeError, match="has not been initialized"):
        gluon.Trainer(untouched.collect_params(), "sgd")
    with pytest.raises(mx.base.ArgumentError, match="kvstore must be KVStore, str or None"):
        gluon.Trainer(net.collect_params(), "sgd", kvstore=3).step(1)


def test_a_hybridized_cnn_trains_one_program_per_step():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
                nn.MaxPool2D(2), nn.Flatten(), nn.Dense(3))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1,
                                                          "momentum": 0.9})
    rng = np.random.RandomState(0)
    x = nd.array(rng.randn(8, 1, 6, 6))
    y = nd.array(rng.randint(0, 3, 8))
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    losses = []
    for _ in range(15):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(8)
        losses.append(float(loss.mean().asscalar()))
    assert losses[-1] < 0.5 * losses[0]
    assert len(net._program.fn._cache) == 1


def test_a_sparse_parameter_takes_one_trainer_and_a_local_trainer_has_no_kvstore():
    x = gluon.Parameter("x", shape=(2,), stype="row_sparse")
    x.initialize()
    first = gluon.Trainer([x], "sgd")
    assert first._kvstore is None and first._update_on_kvstore is None
    with pytest.raises(mx.MXNetError, match="already set"):
        gluon.Trainer([x], "sgd")
    x._set_trainer(None)
    gluon.Trainer([x], "sgd")
