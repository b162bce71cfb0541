"""Gluon's Trainer and Module through a KVStore in one process: MXNet 1.9.1's choice of
store and of update_on_kvstore, the same numbers either way, and the errors."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, gluon
from mxjit.base import ArgumentError, MXNetUserWarning, ParamError, UnsupportedError


def net_on(ctxs):
    mx.random.seed(3)
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Xavier(), ctx=ctxs)
    return net


def steps(trainer, net, ctxs, n=3):
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    for _ in range(n):
        xs = gluon.utils.split_and_load(x, ctxs)
        with autograd.record():
            losses = [(net(a) ** 2).sum() for a in xs]
        autograd.backward(losses)
        trainer.step(4)
    return net.weight.data(ctxs[0]).asnumpy()


def reference(n=3):
    net = net_on([mx.cpu()])
    return steps(gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1}), net,
                 [mx.cpu()], n)


@pytest.mark.parametrize("kvstore,update_on_kvstore,on_store", [
    ("device", None, True),  # (MXNet's default: the store runs the optimizer)
    ("local", False, False),
    ("teststore", None, False),  # (no optimizer on it: the devices update)
])
def test_two_devices_through_a_store_match_one_device(kvstore, update_on_kvstore, on_store):
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = net_on(ctxs)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1},
                            kvstore=kvstore, update_on_kvstore=update_on_kvstore)
    got = steps(trainer, net, ctxs)
    assert trainer._update_on_kvstore is on_store and trainer._kvstore.type == kvstore
    np.testing.assert_allclose(got, reference(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(net.weight.data(ctxs[1]).asnumpy(), got)


def test_a_store_object_is_used_even_on_one_device_and_env_can_turn_updates_off(monkeypatch):
    net = net_on([mx.cpu()])
    kv = mx.kv.create("local")
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1}, kvstore=kv)
    np.testing.assert_allclose(steps(trainer, net, [mx.cpu()]), reference(), rtol=1e-5)
    assert trainer._kvstore is kv and trainer._update_on_kvstore
    monkeypatch.setenv("MXNET_UPDATE_ON_KVSTORE", "0")
    net = net_on([mx.cpu()])
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1},
                            kvstore=mx.kv.create("local"))
    steps(trainer, net, [mx.cpu()], 1)
    assert trainer._update_on_kvstore is False


def test_states_saved_through_the_store_resume_training(tmp_path):
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = net_on(ctxs)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1})
    steps(trainer, net, ctxs, 2)
    trainer.save_states(str(tmp_path / "t.states"))
    saved = [p.data().copy() for p in net.collect_params().values()]
    steps(trainer, net, ctxs, 1)
    again = net_on(ctxs)
    for p, value in zip(again.collect_params().values(), saved):
        p.set_data(value)
    resumed = gluon.Trainer(again.collect_params(), "adam", {"learning_rate": 0.1})
    resumed.load_states(str(tmp_path / "t.states"))
    assert resumed._update_on_kvstore
    np.testing.assert_allclose(steps(resumed, again, ctxs, 1), net.weight.data().asnumpy(),
                               rtol=1e-6)


def test_errors_of_update_on_kvstore():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = net_on(ctxs)
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    steps(trainer, net, ctxs, 1)
    with pytest.raises(AssertionError, match="update\\(\\) when parameters are updated on"):
        trainer.update(4)
    with pytest.raises(AssertionError, match="allreduce_grads\\(\\) when parameters are"):
        trainer.allreduce_grads()
    test = gluon.Trainer(net.collect_params(), "sgd", kvstore="teststore",
                         update_on_kvstore=True)
    with pytest.raises(ParamError, match="Please set update_on_kvstore=False"):
        steps(test, net, ctxs, 1)
    compressed = gluon.Trainer(net.collect_params(), "sgd", kvstore="local",
                               compression_params={"type": "2bit"})
    with pytest.raises(UnsupportedError, match="Gradient compression is not supported"):
        steps(compressed, net, ctxs, 1)


def test_allreduce_then_update_sums_devices_without_update_on_kvstore():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = net_on(ctxs)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.1},
                            update_on_kvstore=False)
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    for _ in range(3):
        xs = gluon.utils.split_and_load(x, ctxs)
        with autograd.record():
            losses = [(net(a) ** 2).sum() for a in xs]
        autograd.backward(losses)
        trainer.allreduce_grads()
        trainer.update(4)
    np.testing.assert_allclose(net.weight.data().asnumpy(), reference(), rtol=1e-5, atol=1e-6)


def test_a_changed_batch_size_is_reported_when_a_distributed_store_updates():
    net = net_on([mx.cpu()])
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    trainer._update_on_kvstore = trainer._distributed = trainer._kv_initialized = True
    trainer._optimizer.rescale_grad = 0.25
    with pytest.raises(MXNetUserWarning, match="Possible change in the `batch_size`"):
        trainer._check_and_rescale_grad(0.5)


def test_module_with_several_devices_and_a_store_object():
    data = mx.sym.Variable("data")
    out = mx.sym.LinearRegressionOutput(mx.sym.FullyConnected(data, num_hidden=1, name="fc"),
                                        name="lro")
    weights = []
    for ctx, kv in (([mx.cpu(0), mx.cpu(1)], mx.kv.create("device")), (mx.cpu(), None)):
        mod = mx.mod.Module(out, context=ctx, label_names=["lro_label"])
        mod.bind(data_shapes=[("data", (4, 3))], label_shapes=[("lro_label", (4, 1))])
        mx.random.seed(1)
        mod.init_params(mx.init.Xavier())
        mod.init_optimizer(kvstore=kv, optimizer="adam")
        batch = mx.io.DataBatch([mx.nd.ones((4, 3))], [mx.nd.zeros((4, 1))])
        for _ in range(2):
            mod.forward_backward(batch)
            mod.update()
        weights.append(mod.get_params()[0]["fc_weight"].asnumpy())
    np.testing.assert_allclose(weights[0], weights[1], rtol=1e-5)


def test_split_sampler_gives_each_worker_its_own_equal_part():
    parts = [list(gluon.data.SplitSampler(10, 3, i, shuffle=False)) for i in range(3)]
    assert parts == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert sorted(gluon.data.SplitSampler(10, 3, 2)) == [6, 7, 8]
    assert len(gluon.data.SplitSampler(10, 3, 2)) == 3
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(np.arange(8.0)), batch_size=2,
                                   sampler=gluon.data.SplitSampler(8, 2, 1, shuffle=False))
    assert [b.asnumpy().tolist() for b in loader] == [[4.0, 5.0], [6.0, 7.0]]
    with pytest.raises(ParamError, match="part_index must be in"):
        gluon.data.SplitSampler(10, 2, 2)


def test_states_cannot_be_saved_before_deferred_parameters_reach_the_store(tmp_path):
    net = gluon.nn.Dense(2)
    net.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    trainer = gluon.Trainer(net.collect_params(), "sgd")
    with pytest.raises(ParamError, match="not yet initialized in kvstore"):
        trainer.save_states(str(tmp_path / "t.states"))


def test_new_parameter_values_replace_the_stores_copy():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = net_on(ctxs)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    steps(trainer, net, ctxs, 1)
    assert trainer._update_on_kvstore
    net.weight.set_data(mx.nd.zeros((2, 3)))  # (MXNet: the store is made anew)
    assert trainer._kvstore is None and not trainer._kv_initialized
    steps(trainer, net, ctxs, 1)
    assert abs(net.weight.data().asnumpy()).max() < 0.5  # (from the zeros, not the old)


@pytest.mark.parametrize("stype,grad_stype,asked,expected", [
    ("default", "row_sparse", None, False),
    ("default", "row_sparse", True, True),
    ("row_sparse", "row_sparse", None, True),
    ("row_sparse", "row_sparse", False, ParamError),
])
def test_sparse_parameters_follow_mxnets_update_on_kvstore_rules(stype, grad_stype, asked,
                                                                  expected):
    x = gluon.Parameter("x", shape=(10, 1), stype=stype, grad_stype=grad_stype)
    x.initialize(ctx=[mx.cpu(0), mx.cpu(1)], init="zeros")
    trainer = gluon.Trainer([x], "sgd", {"learning_rate": 0.1}, kvstore="device",
                            update_on_kvstore=asked)
    if expected is ParamError:
        with pytest.raises(ParamError, match="Cannot set update_on_kvstore=False when sparse"):
            trainer._init_kvstore()
        return
    # (a row_sparse parameter's arrays are read with row_sparse_data, its rows pulled from
    # the store, which holds the updated weights)
    every_row = mx.nd.arange(10)
    weights = x.list_data if stype == "default" else lambda: x.list_row_sparse_data(every_row)
    with autograd.record():
        for w in weights():
            (w + 1).backward()
    trainer.step(1)
    assert trainer._update_on_kvstore is expected
    np.testing.assert_allclose(weights()[1].asnumpy(), -0.2, rtol=1e-6)


def test_sparse_errors():
    x = gluon.Parameter("x", shape=(2, 1), stype="row_sparse")
    x.initialize()
    with pytest.raises(ArgumentError, match="with row_sparse parameters"):
        gluon.Trainer([x], "sgd", kvstore=None)._init_kvstore()
    x._set_trainer(None)
    with pytest.raises(ParamError, match="requires optimizer support"):
        gluon.Trainer([x], "sgd", kvstore="teststore")._init_kvstore()
    y = gluon.Parameter("y", shape=(2, 1), grad_stype="row_sparse")
    y.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    with pytest.raises(ParamError, match="for multi-device training with sparse gradients"):
        gluon.Trainer([y], "sgd", kvstore=mx.kv.create("teststore"))._init_kvstore()
