"""Run under mpiexec: 5 steps of data-parallel training, each worker on its slice of one
batch, through each distributed route (Trainer over dist_sync with and without
update_on_kvstore, over the 'horovod' store, hvd.DistributedTrainer, Module over
dist_sync). Rank 0 saves the final weights to argv[1]; the test compares them with one
process trained on the whole batch (`train_single`, `module_single`)."""
import sys

import numpy as np

import mxjit as mx
from mxjit import autograd, gluon

STEPS, BATCH, FEATURES, CLASSES = 5, 8, 4, 3


def data():
    rng = np.random.RandomState(7)
    x = rng.randn(STEPS, BATCH, FEATURES).astype(np.float32)
    y = rng.randint(0, CLASSES, (STEPS, BATCH)).astype(np.float32)
    return x, y


def build_net(seed):
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(8, activation="relu", in_units=FEATURES),
            gluon.nn.Dense(CLASSES, in_units=8))
    net.initialize(mx.init.Xavier())
    return net


def weights(net):
    # (by position: the layers' names count up with every net this process builds)
    return {f"p{i}": v.data().asnumpy() for i, v in enumerate(net.collect_params().values())}


def train(net, trainer, rows, step_batch):
    x, y = data()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for s in range(STEPS):
        with autograd.record():
            loss = loss_fn(net(mx.nd.array(x[s][rows])), mx.nd.array(y[s][rows]))
        loss.backward()
        trainer.step(step_batch)
    return weights(net)


def train_single():
    net = build_net(100)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.05},
                            kvstore=None)
    return train(net, trainer, slice(None), BATCH)


def mlp_symbol():
    data_ = mx.sym.Variable("data")
    h = mx.sym.FullyConnected(data_, num_hidden=8, name="fc1")
    h = mx.sym.Activation(h, act_type="relu")
    h = mx.sym.FullyConnected(h, num_hidden=CLASSES, name="fc2")
    return mx.sym.SoftmaxOutput(h, name="softmax")


def train_module(kvstore, rows, seed):
    x, y = data()
    n = len(range(BATCH)[rows])
    mod = mx.mod.Module(mlp_symbol(), context=mx.cpu())
    mod.bind(data_shapes=[("data", (n, FEATURES))], label_shapes=[("softmax_label", (n,))])
    mx.random.seed(seed)
    mod.init_params(mx.init.Xavier())
    mod.init_optimizer(kvstore=kvstore, optimizer="adam",
                       optimizer_params=(("learning_rate", 0.05),))
    for s in range(STEPS):
        batch = mx.io.DataBatch([mx.nd.array(x[s][rows])], [mx.nd.array(y[s][rows])])
        mod.forward_backward(batch)
        mod.update()
    return {k: v.asnumpy() for k, v in sorted(mod.get_params()[0].items())}


def module_single():
    return train_module(None, slice(None), 100)


def main(path):
    import mxjit.horovod as hvd

    hvd.init()
    rank, n = hvd.rank(), hvd.size()
    rows = slice(rank * BATCH // n, (rank + 1) * BATCH // n)
    results = {}
    for label, kvstore, on_kv in (("dist_sync", "dist_sync", None),
                                  ("dist_sync_local_update", "dist_sync", False),
                                  ("horovod_store", mx.kv.create("horovod"), None)):
        # (the same seed everywhere: as in MXNet, the store copies rank 0's weights to
        # every worker at the first step, after the first backward pass)
        net = build_net(100)
        trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.05},
                                kvstore=kvstore, update_on_kvstore=on_kv)
        results[label] = train(net, trainer, rows, BATCH)
        expected = on_kv is None and "horovod" not in label
        assert trainer._update_on_kvstore is expected, (label, trainer._update_on_kvstore)
    net = build_net(100 + rank)
    hvd.broadcast_parameters(net.collect_params(), root_rank=0)
    trainer = hvd.DistributedTrainer(net.collect_params(), "adam", {"learning_rate": 0.05})
    results["hvd_trainer"] = train(net, trainer, rows, BATCH // n)
    results["module"] = train_module("dist_sync", rows, 100 + rank)
    net = build_net(100 + rank)
    trainer = gluon.Trainer(net.collect_params(), "sgd", kvstore="dist_sync")
    train(net, trainer, rows, BATCH)
    results["different_seeds"] = weights(net)
    for label, ws in results.items():  # (every worker holds the same weights)
        for k, w in ws.items():
            everyone = hvd.allgather(mx.nd.array(w[None]))
            assert all((everyone[i].asnumpy() == w).all() for i in range(n)), (label, k)
    if rank == 0:
        np.savez(path, **{f"{label}/{k}": v for label, ws in results.items()
                          for k, v in ws.items()})


if __name__ == "__main__":
    main(sys.argv[1])
