"""The stores of one process ('local', 'device', 'teststore'): MXNet 1.9.1's semantics of
init/push/pull/pushpull/broadcast/row_sparse_pull, updaters and optimizers (the numbers
are those of the optimizer applied to the summed gradient, NumPy-checked), and errors."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import (
    ArgumentError,
    MXNetKeyError,
    NotOverriddenError,
    ParamError,
    ShapeError,
    UnsupportedError,
)

SHAPE = (4, 4)


def pulled(kv, key, shape=SHAPE):
    out = mx.nd.zeros(shape)
    kv.pull(key, out=out)
    return out.asnumpy()


@pytest.mark.parametrize("name", ["local", "device"])
@pytest.mark.parametrize("key,keys", [(3, [5, 7, 11]), ("a", ["b", "c", "d"])])
def test_push_sums_devices_and_assigns_pull_copies_to_every_output(name, key, keys):
    kv = mx.kv.create(name)
    kv.init(key, mx.nd.zeros(SHAPE))
    kv.init(keys, [mx.nd.zeros(SHAPE)] * len(keys))
    devs = [mx.cpu(i) for i in range(4)]
    kv.push(key, [mx.nd.ones(SHAPE, d) for d in devs])
    outs = [mx.nd.empty(SHAPE, d) for d in devs]
    kv.pull(key, out=outs)
    assert all((o.asnumpy() == 4).all() for o in outs)
    kv.push(keys, [[mx.nd.ones(SHAPE, d) * 2 for d in devs]] * len(keys))
    outs2 = [[mx.nd.empty(SHAPE, d) for d in devs] for _ in keys]
    kv.pull(keys, out=outs2)
    assert all((o.asnumpy() == 8).all() for row in outs2 for o in row)
    kv.push(key, mx.nd.ones(SHAPE) * 3)  # (ASSIGN: the old value is replaced)
    np.testing.assert_array_equal(pulled(kv, key), np.full(SHAPE, 3))


def test_updater_runs_once_per_key_in_key_order_with_bytes_for_string_keys():
    kv = mx.kv.create()
    kv.init(["c", "a", "b"], [mx.nd.zeros((2,))] * 3)
    seen = []

    def update(key, merged, stored):
        seen.append(key)
        stored += merged * 2

    kv._set_updater(update)
    kv.push(["b", "c", "a", "b"], [mx.nd.ones((2,))] * 4)
    assert seen == [b"c", b"a", b"b"]  # (the order the keys were first seen: MXNet's ids)
    np.testing.assert_array_equal(pulled(kv, "b", (2,)), [4, 4])
    np.testing.assert_array_equal(pulled(kv, "a", (2,)), [2, 2])
    kv.set_updater(update)  # (MXNet 1.9.1 has only _set_updater; both names work here)
    ints = mx.kv.create()
    ints.init([11, 5], [mx.nd.zeros((1,))] * 2)
    order = []
    ints._set_updater(lambda k, m, s: order.append(k))
    ints.push([11, 5], [mx.nd.ones((1,))] * 2)
    assert order == [5, 11]


def test_set_optimizer_updates_the_stored_weight_with_the_summed_gradient():
    kv = mx.kv.create()
    kv.init(3, mx.nd.zeros((2, 2)))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, rescale_grad=0.5))
    w, mom = np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32)
    for i in range(3):
        kv.push(3, [mx.nd.ones((2, 2)) * (i + 1), mx.nd.ones((2, 2))])
        mom = 0.9 * mom - 0.1 * 0.5 * (i + 2)
        w = w + mom
    np.testing.assert_allclose(pulled(kv, 3, (2, 2)), w, rtol=1e-6)
    np.testing.assert_allclose(w, -0.756, rtol=1e-5)  # (what MXNet 1.9.1 prints)
    adam = mx.kv.create()
    adam.init(0, mx.nd.ones((2,)))
    adam.set_optimizer(mx.optimizer.Adam(learning_rate=0.1))
    out = mx.nd.zeros((2,))
    adam.pushpull(0, mx.nd.array([1.0, -2.0]), out=out)
    np.testing.assert_allclose(out.asnumpy(), [0.9, 1.1], rtol=1e-5)  # (MXNet's numbers)


def test_optimizer_states_save_and_load(tmp_path):
    def store():
        kv = mx.kv.create("device")
        kv.init("w", mx.nd.ones((3,)))
        kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
        return kv

    kv = store()
    kv.push("w", mx.nd.ones((3,)))
    kv.save_optimizer_states(str(tmp_path / "kv.states"), dump_optimizer=True)
    kv.push("w", mx.nd.ones((3,)))
    other = store()
    other.push("w", mx.nd.ones((3,)))
    other.load_optimizer_states(str(tmp_path / "kv.states"))
    other.push("w", mx.nd.ones((3,)))
    np.testing.assert_allclose(pulled(other, "w", (3,)), pulled(kv, "w", (3,)))
    with pytest.raises(ParamError, match="no optimizer"):
        mx.kv.create().save_optimizer_states(str(tmp_path / "x"))
    with pytest.raises(ParamError, match="no optimizer"):
        mx.kv.create().load_optimizer_states(str(tmp_path / "x"))


def test_pushpull_broadcast_and_row_sparse_pull():
    kv = mx.kv.create("device")
    outs = [mx.nd.zeros(SHAPE) for _ in range(3)]
    kv.broadcast("w", mx.nd.ones(SHAPE) * 7, out=outs)
    assert all((o.asnumpy() == 7).all() for o in outs)
    vals = [mx.nd.ones(SHAPE, mx.cpu(i)) for i in range(2)]
    kv.pushpull("w", vals)
    assert all((v.asnumpy() == 2).all() for v in vals)
    kv.init("e", mx.nd.arange(16).reshape(SHAPE))
    rsp = mx.nd.zeros(SHAPE).tostype("row_sparse")
    kv.row_sparse_pull("e", out=rsp, row_ids=mx.nd.array([2, 0, 2]))
    want = np.arange(16, dtype=np.float32).reshape(SHAPE)
    want[[1, 3]] = 0
    np.testing.assert_array_equal(rsp.asnumpy(), want)
    many = [mx.nd.zeros(SHAPE).tostype("row_sparse") for _ in range(2)]
    kv.row_sparse_pull("e", out=many, row_ids=mx.nd.array([1]))
    assert all(m.asnumpy()[1].sum() == 4 + 5 + 6 + 7 and m.asnumpy()[0].sum() == 0
               for m in many)
    dense = mx.nd.ones(SHAPE) * 2
    kv.pull("e", out=dense.tostype("row_sparse"))  # (sparse outputs are skipped)
    with pytest.raises(ParamError, match="Expected row_sparse storage type"):
        kv.row_sparse_pull("e", out=dense, row_ids=mx.nd.array([1]))
    with pytest.raises(ParamError, match="number of row_ids"):
        kv.row_sparse_pull("e", out=many, row_ids=[mx.nd.array([1])] * 3)
    with pytest.raises(ParamError, match="out= and row_ids= are required"):
        kv.row_sparse_pull("e", out=rsp)


def test_type_rank_capability_and_registry():
    assert mx.kv.create("local_allreduce_cpu").type == "local_allreduce_cpu"
    kv = mx.kv.create("Device")
    assert (kv.type, kv.rank, kv.num_workers) == ("device", 0, 1)
    assert kv.is_capable("optimizer")
    kv.barrier()
    kv._barrier()
    test = mx.kv.create("teststore")
    assert test.type == "teststore" and not type(test).is_capable("optimizer")
    out = [mx.nd.zeros((1,))] * 2
    test.pushpull(1, [mx.nd.ones((1,))] * 2, out=out)
    assert out[0].asscalar() == 2
    with pytest.raises(ParamError, match="Unknown capability: speed"):
        kv.is_capable("speed")
    with pytest.raises(ArgumentError, match="name must be a string"):
        mx.kv.create(3)
    with pytest.raises(NotOverriddenError, match="set_optimizer is not implemented"):
        test.set_optimizer(mx.optimizer.SGD())

    class Mine(mx.kv.KVStoreBase):
        pass

    with pytest.warns(UserWarning, match="is overriding existing kvstore"):
        mx.kv.KVStoreBase.register(Mine)
        mx.kv.KVStoreBase.register(Mine)
    assert isinstance(mx.kv.create("mine"), Mine)
    with pytest.raises(NotOverriddenError, match="pushpull is not implemented"):
        Mine().pushpull(0, mx.nd.ones((1,)))
    with pytest.raises(ParamError, match="expected a class"):
        mx.kv.KVStoreBase.register(3)
    del mx.kv.KVStoreBase.kv_registry["mine"]


def test_errors_name_the_key():
    kv = mx.kv.create()
    kv.init(3, mx.nd.zeros((2, 2)))
    with pytest.raises(ParamError, match="duplicate init of key 3"):
        kv.init(3, mx.nd.zeros((2, 2)))
    with pytest.raises(ParamError, match="duplicate init of key 3"):
        kv.broadcast(3, mx.nd.zeros((2, 2)), out=mx.nd.zeros((2, 2)))
    with pytest.raises(MXNetKeyError, match="push: key 4 has not been inited"):
        kv.push(4, mx.nd.zeros((2, 2)))
    with pytest.raises(MXNetKeyError, match="pull: key 4 has not been inited"):
        kv.pull(4, out=mx.nd.zeros((2, 2)))
    with pytest.raises(ArgumentError, match="mixed key types are not allowed"):
        kv.init("a", mx.nd.zeros((2, 2)))
    with pytest.raises(ArgumentError, match="unexpected type for keys: float"):
        kv.push(3.0, mx.nd.zeros((2, 2)))
    with pytest.raises(ShapeError, match="key 3 holds shape \\(2, 2\\), the pushed value"):
        kv.push(3, mx.nd.zeros((3, 2)))
    with pytest.raises(ShapeError, match="key 3 holds shape \\(2, 2\\), the array given"):
        kv.pull(3, out=mx.nd.zeros((3, 2)))
    with pytest.raises(ShapeError, match="values of key 3 on different devices"):
        kv.push(3, [mx.nd.zeros((2, 2)), mx.nd.zeros((2, 1))])
    with pytest.raises(ArgumentError, match="2 keys need a list of 2 values"):
        kv.push([3, 3], mx.nd.zeros((2, 2)))
    with pytest.raises(ArgumentError, match="must be an NDArray or a non-empty list"):
        kv.push(3, [])
    with pytest.raises(ParamError, match="takes one initial value"):
        kv.init(5, [mx.nd.zeros((1,)), mx.nd.zeros((1,))])
    with pytest.raises(ParamError, match="out= is required"):
        kv.pull(3)
    with pytest.raises(UnsupportedError, match="Gradient compression is not supported"):
        kv.set_gradient_compression({"type": "2bit"})


def test_namespaces_show_public_names_only():
    assert set(n for n in dir(mx.kv) if not n.startswith("_")) <= set(mx.kv.__all__)
    assert mx.kv is mx.kvstore


def test_import_mxjit_does_not_load_mpi():
    code = "import sys, mxjit; mxjit.kv.create('device'); assert 'mpi4py' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_distributed_stores_without_mpi4py_say_how_to_install_it():
    code = ("import sys; sys.modules['mpi4py'] = None; import mxjit as mx\n"
            "try:\n    mx.kv.create('dist_sync')\n"
            "except mx.base.UnsupportedError as e:\n    print(e)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "pip install 'mxjit[dist]'" in done.stdout, done.stderr
