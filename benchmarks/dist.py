"""Distributed training over MPI on this machine (loopback): allreduce bandwidth of the
KVStores and `mxjit.horovod` against bare mpi4py, bucketing, and data-parallel MLP
training on 1 and 2 processes (one thread each).

    PYTHONPATH=. .venv/bin/python benchmarks/dist.py

Run plainly, it starts itself under `mpiexec` (`comm` on 2 processes, `train` on 1 and 2)
and prints the tables; every time is the slowest rank's, median of interleaved rounds.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

ROUNDS = 9
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def timed(comm, variants: dict[str, Callable[[], object]], rounds: int = ROUNDS
          ) -> dict[str, float]:
    """Median ms of each variant (the slowest rank's), interleaved rounds after a warm-up."""
    from mpi4py import MPI

    for fn in variants.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            comm.Barrier()
            t0 = time.perf_counter()
            fn()
            times[name].append(comm.allreduce(time.perf_counter() - t0, op=MPI.MAX) * 1e3)
    return {k: statistics.median(v) for k, v in times.items()}


def comm_benchmark() -> dict:
    """Allreduce of 64 MB, and of 100 parameters totalling 25 MB."""
    from mpi4py import MPI

    import mxjit as mx
    import mxjit.horovod as hvd

    hvd.init()
    comm = MPI.COMM_WORLD
    big = np.random.RandomState(comm.rank).rand(16 * 2**20).astype(np.float32)  # 64 MB
    recv = np.empty_like(big)
    x = mx.nd.array(big)
    out = mx.nd.zeros(big.shape)
    sync, horovod = mx.kv.create("dist_sync"), mx.kv.create("horovod")
    sync.init(0, x)
    large = timed(comm, {
        "mpi4py Allreduce (NumPy)": lambda: comm.Allreduce(big, recv),
        "mpi4py Allreduce in place (NumPy)": lambda: comm.Allreduce(MPI.IN_PLACE, recv),
        "hvd.allreduce_": lambda: hvd.allreduce_(x, average=False),
        "kv horovod pushpull": lambda: horovod.pushpull(0, x, out=out),
        "kv dist_sync pushpull": lambda: sync.pushpull(0, x, out=out),
    })
    sizes = [2**16] * 100  # 100 x 256 KB = 25 MB
    parts = [np.random.rand(n).astype(np.float32) for n in sizes]
    whole = np.concatenate(parts)
    whole_recv = np.empty_like(whole)
    grads = [mx.nd.array(p) for p in parts]
    keys = list(range(1, 101))
    sync.init(keys, grads)

    def one_by_one() -> None:
        for p in parts:
            comm.Allreduce(MPI.IN_PLACE, p)

    bucketed = timed(comm, {
        "mpi4py one 25 MB Allreduce": lambda: comm.Allreduce(whole, whole_recv),
        "mpi4py one 25 MB Allreduce in place": lambda: comm.Allreduce(MPI.IN_PLACE,
                                                                      whole_recv),
        "mpi4py 100 Allreduces": one_by_one,
        "kv dist_sync pushpull of 100 keys": lambda: sync.pushpull(keys, grads),
        "kv horovod pushpull of 100 keys": lambda: horovod.pushpull(keys, grads),
        "hvd.grouped_allreduce_ of 100": lambda: hvd.grouped_allreduce_(grads, average=False),
    })
    return {"large": large, "bucketed": bucketed, "workers": comm.size}


def train_benchmark() -> dict:
    """Samples per second of the MLP 784-256-128-10 (batch 128 per worker, Adam) through
    Trainer(kvstore='dist_sync') and hvd.DistributedTrainer."""
    from mpi4py import MPI

    import mxjit as mx
    import mxjit.horovod as hvd
    from mxjit import autograd, gluon

    hvd.init()
    comm = MPI.COMM_WORLD
    # one core each (mxjit's kernel pool sizes itself by the machine's cores)
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[comm.rank % len(cores)]})
    batch = 128
    rng = np.random.RandomState(comm.rank)
    x = mx.nd.array(rng.rand(batch, 784).astype(np.float32))
    y = mx.nd.array(rng.randint(0, 10, batch).astype(np.float32))
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    steps, started = {}, {}
    for route, overlap in [(r, o) for r in ("kvstore dist_sync", "hvd.DistributedTrainer")
                           for o in ("overlap", "no overlap")]:
        os.environ["MXJIT_KVSTORE_OVERLAP"] = "1" if overlap == "overlap" else "0"  # (forced)
        mx.random.seed(0)
        net = gluon.nn.HybridSequential()
        net.add(gluon.nn.Dense(256, activation="relu"), gluon.nn.Dense(128, activation="relu"),
                gluon.nn.Dense(10))
        net.initialize(mx.init.Xavier())
        net.hybridize()
        if route.startswith("kvstore"):
            trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 1e-3},
                                    kvstore="dist_sync")
            step_batch = batch * comm.size
        else:
            net(x)
            hvd.broadcast_parameters(net.collect_params())
            trainer = hvd.DistributedTrainer(net.collect_params(), "adam",
                                             {"learning_rate": 1e-3})
            step_batch = batch

        def step(trainer=trainer, net=net, step_batch=step_batch) -> None:
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(step_batch)
            loss.wait_to_read()

        for _ in range(3):  # (the overlap lays its buckets out at the second step)
            step()
        steps[(route, overlap)] = lambda step=step: [step() for _ in range(10)]
        started[(route, overlap)] = trainer
    ms = timed(comm, steps, rounds=7)  # (interleaved: overlap on and off alike)
    result: dict = {}
    for (route, overlap), t in ms.items():
        o = started[(route, overlap)]._overlap
        result.setdefault(route, {})[overlap] = {
            "samples/s": batch * comm.size / (t / 10) * 1e3,
            "buckets started in backward": o.started_in_backward if o else 0,
            "steps summed in backward": o.summed_steps if o else 0}
    return result


def under_mpi(role: str, n: int) -> dict:
    here = os.path.abspath(__file__)
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    env = {**os.environ, **THREAD_ENV}
    done = subprocess.run([mpiexec, "-n", str(n), sys.executable, here, role], env=env,
                          capture_output=True, text=True, timeout=900, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report() -> None:
    comm = under_mpi("comm", 2)
    print("### Allreduce of 64 MB float32, 2 processes, ms (median; slowest rank)\n")
    print("| route | ms | GB/s (algorithm) | vs bare mpi4py |\n|---|---|---|---|")
    bare = comm["large"]["mpi4py Allreduce (NumPy)"]
    for name, ms in comm["large"].items():
        print(f"| {name} | {ms:.1f} | {64 / 1024 / ms * 1e3:.2f} | {bare / ms:.2f}x |")
    print("\n### 100 parameters totalling 25 MB, 2 processes, ms (median; slowest rank)\n")
    print("| route | ms | vs one 25 MB Allreduce |\n|---|---|---|")
    one = comm["bucketed"]["mpi4py one 25 MB Allreduce"]
    for name, ms in comm["bucketed"].items():
        print(f"| {name} | {ms:.1f} | {ms / one:.2f}x |")
    single, double = under_mpi("train", 1), under_mpi("train", 2)
    print("\n### MLP 784-256-128-10 training, batch 128 per process, one thread each, "
          "samples/s\n")
    print("| route | 1 process | 2 processes | speed-up | 2 processes, no overlap | speed-up "
          "| buckets started during backward, of steps |\n|---|---|---|---|---|---|---|")
    for route in single:
        one = single[route]["overlap"]["samples/s"]
        on, off = double[route]["overlap"], double[route]["no overlap"]
        print(f"| {route} | {one:.0f} | {on['samples/s']:.0f} | {on['samples/s'] / one:.2f}x "
              f"| {off['samples/s']:.0f} | {off['samples/s'] / one:.2f}x "
              f"| {on['buckets started in backward']} of {on['steps summed in backward']} |")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        result = comm_benchmark() if sys.argv[1] == "comm" else train_benchmark()
        from mpi4py import MPI

        if MPI.COMM_WORLD.rank == 0:
            print(json.dumps(result), flush=True)
    else:
        report()
