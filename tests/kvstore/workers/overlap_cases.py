"""Run under mpiexec: Gluon training whose allreduce overlaps the backward pass
(`kvstore/overlap.py`), each case trained twice, with the overlap and without it
(MXJIT_KVSTORE_OVERLAP=0), on every distributed route; the weights must be equal. The
cases change the gradients between backward and step on one worker only, run an extra
backward pass on one worker only, run a backward pass that no step consumes, and leave
a parameter out of one worker's backward pass. Every case but those where a worker's
gradients differ from what it sent uses the sums of the backward pass. Prints
'OK <rank> <steps summed during backward>'."""
import os
import sys

import numpy as np

import mxjit as mx
import mxjit.horovod as hvd
from mxjit import autograd, gluon

STEPS, BATCH, FEATURES = 6, 8, 5


class Net(gluon.HybridBlock):
    """Three layers; `skipping` leaves the middle one out (its gradient is not computed)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.a = gluon.nn.Dense(16, activation="relu", in_units=FEATURES)
            self.b = gluon.nn.Dense(16, activation="tanh", in_units=16)
            self.c = gluon.nn.Dense(3, in_units=16)

    def hybrid_forward(self, F, x):
        return self.c(self.b(self.a(x)))

    def skipping(self, x):
        return self.c(self.a(x))


def batches(rank):
    rng = np.random.RandomState(11 + rank)
    return [(mx.nd.array(rng.randn(BATCH, FEATURES).astype(np.float32)),
             mx.nd.array(rng.randint(0, 3, BATCH).astype(np.float32)))
            for _ in range(STEPS)]


def trainer_for(route, net):
    params = net.collect_params()
    if route == "hvd":
        return hvd.DistributedTrainer(params, "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    return gluon.Trainer(params, "sgd", {"learning_rate": 0.1, "momentum": 0.9},
                         kvstore=mx.kv.create(route) if route == "horovod" else route)


def train(route, case, hybrid, rank):
    mx.random.seed(3)
    net = Net()
    net.initialize(mx.init.Xavier())
    if hybrid:
        net.hybridize()
    trainer = trainer_for(route, net)
    idle = trainer_for(route, net) if case == "idle_trainer_beside" else None
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for s, (x, y) in enumerate(batches(rank)):
        if case == "new_trainer_midway" and s == 3:
            trainer = trainer_for(route, net)  # (the first is dropped, rounds and all)
        if idle is not None and s == 1:
            idle.step(BATCH, ignore_stale_grad=True)  # (it watches, then is never stepped)
        skip = case == "skip_on_one" and rank == 1 and s % 2 == 0
        if case == "extra_backward_on_one" and rank == 0 and s == 3:
            with autograd.record():
                loss_fn(net(x), y).backward()
        if case == "unconsumed_backward" and s == 3:
            with autograd.record():
                (net(x) * 2).backward()  # (not stepped: the next pass supersedes it)
        with autograd.record():
            loss = loss_fn(net.skipping(x) if skip else net(x), y)
        loss.backward()
        if case == "clip_on_one" and rank == 1:
            for p in net.collect_params().values():
                p.grad()[:] = p.grad() * 0.5
        trainer.step(BATCH, ignore_stale_grad=True)
    o = trainer._overlap
    summed = (o.summed_steps, o.started_in_backward) if o is not None else (0, 0)
    if idle is not None and idle._overlap is not None:
        assert len(idle._overlap._retired) <= 2, len(idle._overlap._retired)  # (recycled)
    return [p.data().asnumpy() for p in net.collect_params().values()], summed


def default_is_off_on_one_machine(rank):
    os.environ.pop("MXJIT_KVSTORE_OVERLAP", None)
    net = Net()
    net.initialize()
    for trainer in (trainer_for("dist_sync", net), trainer_for("hvd", net)):
        x, y = batches(rank)[0]
        with autograd.record():
            loss = gluon.loss.SoftmaxCrossEntropyLoss()(net(x), y)
        loss.backward()
        trainer.step(BATCH)
        assert trainer._overlap is None


def main():
    hvd.init()
    rank = hvd.rank()
    default_is_off_on_one_machine(rank)
    total = 0
    for route in ("dist_sync", "horovod", "hvd"):
        for case in ("plain", "clip_on_one", "extra_backward_on_one", "unconsumed_backward",
                     "skip_on_one", "new_trainer_midway", "idle_trainer_beside"):
            for hybrid in (True, False):
                os.environ["MXJIT_KVSTORE_OVERLAP"] = "1"
                got, summed = train(route, case, hybrid, rank)
                os.environ["MXJIT_KVSTORE_OVERLAP"] = "0"
                want, none = train(route, case, hybrid, rank)
                assert none == (0, 0)
                for g, w in zip(got, want):
                    np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7,
                                               err_msg=f"{route} {case} {hybrid}")
                if case == "plain":  # (steps 3-6 summed, buckets started early)
                    assert summed[0] == STEPS - 2 and summed[1] > 0, (route, hybrid, summed)
                total += summed[0]
    # (a backward pass no step consumes, just before exit: its round is finished at exit)
    os.environ["MXJIT_KVSTORE_OVERLAP"] = "1"
    net = Net()
    net.initialize()
    trainer = trainer_for("dist_sync", net)
    for x, y in batches(rank)[:3]:
        with autograd.record():
            loss = gluon.loss.SoftmaxCrossEntropyLoss()(net(x), y)
        loss.backward()
        trainer.step(BATCH)
    with autograd.record():
        gluon.loss.SoftmaxCrossEntropyLoss()(net(x), y).backward()
    assert trainer._overlap._open is not None
    sys.stdout.write(f"OK {rank} {total}\n")


if __name__ == "__main__":
    main()
