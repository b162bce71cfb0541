"""Run under mpiexec: the distributed stores against a store of one process fed with every
worker's values (each worker knows what the others push: values are a function of the
rank). Prints 'OK <rank>' at the end."""
import os
import sys
import tempfile

import numpy as np

import mxjit as mx
from mxjit.base import MXNetKeyError, ParamError, ShapeError

SHAPE = (3, 5)


def grad(rank, step, key=0):
    return np.full(SHAPE, rank + 1.0, np.float32) * (step + 1) + key * 0.25


def pulled(kv, key):
    out = mx.nd.zeros(SHAPE)
    kv.pull(key, out=out)
    return out.asnumpy()


def check_dist_sync(name):
    kv = mx.kv.create(name)
    rank, n = kv.rank, kv.num_workers
    assert kv.type == name and n == int(sys.argv[1]), (kv.type, n)
    kv.init(1000, mx.nd.ones(SHAPE) * (rank + 10))  # (rank 0's value wins)
    np.testing.assert_array_equal(pulled(kv, 1000), 10)
    # push: summed over 2 devices and n workers, assigned
    kv.push(1000, [mx.nd.array(grad(rank, 0)), mx.nd.array(grad(rank, 0))])
    np.testing.assert_allclose(pulled(kv, 1000), 2 * sum(grad(r, 0) for r in range(n)))
    # many keys in small buckets, an optimizer: the same as one store fed with the sums
    keys = list(range(40))
    kv.init(keys, [mx.nd.ones(SHAPE) * k for k in keys])
    kv.set_optimizer(mx.optimizer.Adam(learning_rate=0.1))
    ref = mx.kv.create("local")
    ref.init(keys, [mx.nd.ones(SHAPE) * k for k in keys])
    ref.set_optimizer(mx.optimizer.Adam(learning_rate=0.1))
    for step in range(3):
        kv.push(keys, [mx.nd.array(grad(rank, step, k)) for k in keys])
        ref.push(keys, [mx.nd.array(sum(grad(r, step, k) for r in range(n))) for k in keys])
    for k in (0, 17, 39):
        np.testing.assert_allclose(pulled(kv, k), pulled(ref, k), rtol=1e-6)
    with tempfile.TemporaryDirectory() as d:
        kv.save_optimizer_states(os.path.join(d, "s"))
        kv.load_optimizer_states(os.path.join(d, "s"))
    # a mismatch of keys or shapes between workers names the key
    kv.init([100, 101], [mx.nd.zeros((2,)), mx.nd.zeros((3,))])
    try:
        kv.push(100, mx.nd.zeros((2,)) if rank == 0 else mx.nd.zeros((2,), dtype="float64"))
    except ShapeError as e:
        assert "key 100" in str(e), e
    else:
        raise AssertionError("no error for a dtype mismatch")
    count = 1 + (rank > 0)  # (rank 0 pushes one key, the others two)
    try:
        kv.push([100, 101][:count], [mx.nd.zeros((2,)), mx.nd.zeros((3,))][:count])
    except ShapeError as e:
        assert "key 101" in str(e), e
    else:
        raise AssertionError("no error for a key missing on rank 0")
    # new parameter values cannot reset a distributed store (MXNet's RuntimeError)
    w = mx.gluon.Parameter("w", shape=(2,))
    w.initialize()
    trainer = mx.gluon.Trainer([w], "sgd", kvstore=mx.kv.create(name))
    with mx.autograd.record():
        (w.data() * 2).backward()
    trainer.step(1)
    raises(RuntimeError, "Cannot reset distributed KVStore", w.set_data, mx.nd.ones((2,)))
    # sparse gradients on a distributed store are updated there (MXNet's rule)
    x = mx.gluon.Parameter("x", shape=(4, 2), grad_stype="row_sparse")
    x.initialize()
    trainer = mx.gluon.Trainer([x], "sgd", kvstore=kv, update_on_kvstore=False)
    raises(ParamError, "Cannot set update_on_kvstore=False on dist kvstore",
           trainer._init_kvstore)
    kv.barrier()


def check_compression():
    kv = mx.kv.create("dist_sync")
    rank, n = kv.rank, kv.num_workers
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    kv.init(7, mx.nd.zeros((20,)))
    gcs = [mx.kv.compression.TwoBitCompression(0.5) for _ in range(n)]
    rng = np.random.RandomState(0)
    for _ in range(3):
        grads = [rng.uniform(-1, 1, 20).astype(np.float32) for _ in range(n)]
        kv.push(7, mx.nd.array(grads[rank]))
        want = sum(gc.dequantize(gc.quantize(7, g), 20) for gc, g in zip(gcs, grads))
        out = mx.nd.zeros((20,))
        kv.pull(7, out=out)
        np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-6)


def check_horovod_store():
    kv = mx.kv.create("horovod")
    rank, n = kv.rank, kv.num_workers
    assert not kv.is_capable("optimizer") and kv.type == "horovod"
    out = mx.nd.zeros(SHAPE)
    kv.broadcast("x", mx.nd.ones(SHAPE) * rank + 3, out=out)
    np.testing.assert_array_equal(out.asnumpy(), 3)
    vals = [mx.nd.array(grad(rank, 0)), mx.nd.array(grad(rank, 1))]
    kv.pushpull("g", vals)
    want = sum(grad(r, 0) + grad(r, 1) for r in range(n))
    assert all(np.allclose(v.asnumpy(), want) for v in vals)


def raises(error, match, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except error as e:
        assert match in str(e), (match, str(e))
    else:
        raise AssertionError(f"no {error.__name__} ({match})")


def check_dist_async():
    kv = mx.kv.create("dist_async")
    rank, n = kv.rank, kv.num_workers
    kv.init(3, mx.nd.ones(SHAPE) * (rank + 5))
    np.testing.assert_array_equal(pulled(kv, 3), 5)
    raises(ParamError, "duplicate init of key 3", kv.init, 3, mx.nd.ones(SHAPE))
    raises(MXNetKeyError, "key 9 has not been inited", kv.push, 9, mx.nd.ones(SHAPE))
    raises(ShapeError, "key 3 holds shape (3, 5)", kv.push, 3, mx.nd.ones((2,)))
    raises(ParamError, "out= is required", kv.pull, 3)
    raises(ParamError, "dist_async stores dense values only", kv.row_sparse_pull, 3,
           out=mx.nd.zeros(SHAPE).tostype("row_sparse"), row_ids=mx.nd.array([0]))
    net = mx.gluon.nn.Dense(2, in_units=2)
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", kvstore=kv, update_on_kvstore=False)
    raises(ParamError, "Please set update_on_kvstore=True when training in async mode",
           trainer._init_kvstore)
    kv.set_optimizer(mx.optimizer.SGD())
    with tempfile.TemporaryDirectory() as d:
        if rank == 0:
            kv.save_optimizer_states(os.path.join(d, "s"))
            kv.load_optimizer_states(os.path.join(d, "s"))
        else:
            raises(ParamError, "call it on rank 0", kv.save_optimizer_states, "x")
            raises(ParamError, "call it on rank 0", kv.load_optimizer_states, "x")
    kv._set_updater(lambda key, merged, stored: stored.__iadd__(merged))
    for step in range(4):
        kv.push(3, mx.nd.array(grad(rank, step)))
    mine = pulled(kv, 3)  # (its own pushes are in, maybe some of the others')
    assert (mine >= 5 + sum(grad(rank, s) for s in range(4)) - 1e-4).all()
    kv.barrier()
    want = 5 + sum(grad(r, s) for r in range(n) for s in range(4))
    np.testing.assert_allclose(pulled(kv, 3), want, rtol=1e-6)
    # 2-bit: the server adds up every worker's dequantized codes
    kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    kv.init(4, mx.nd.zeros((20,)))
    values = [np.linspace(-1, 1, 20).astype(np.float32) * (r + 1) for r in range(n)]
    kv.push(4, mx.nd.array(values[rank]))
    kv.barrier()
    gc = mx.kv.compression.TwoBitCompression(0.5)
    want = sum(gc.dequantize(gc.quantize(r, v), 20) for r, v in enumerate(values))
    out = mx.nd.zeros((20,))
    kv.pull(4, out=out)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-6)


if __name__ == "__main__":
    check_dist_sync("dist_sync")
    check_dist_sync("dist_device_sync")
    check_compression()
    check_horovod_store()
    check_dist_async()
    sys.stdout.write(f"OK {mx.kv.create('horovod').rank}\n")
