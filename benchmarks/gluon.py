"""Gluon training steps side by side (issue #14): medians in ms, lower is better.

Rows:
1. One training step (forward, backward, optimizer update) of the MLP 784-256-128-10 at
   batch 128 and of LeNet (Conv 20 5x5, max-pool 2, Conv 50 5x5, max-pool 2, Dense 500 relu,
   Dense 10) on 1x28x28 at batch 64, softmax cross-entropy, SGD with momentum 0.9.
   Columns: mxjit hybridized, mxjit eager (no hybridize), PyTorch eager at 1 and 2
   intra-op threads, MXNet 1.9.1 hybridized and eager (its own interpreter, Python 3.8:
   ~/mxnet-ref/bin/python or $MXNET_PYTHON; "-" where it is not installed).
2. `Trainer.step` with Adam over 100 parameters of 256x256 (gradients already there)
   against `torch.optim.Adam(foreach=True)`.
3. The first call of the hybridized LeNet (trace, lower, compile) in a fresh process with
   an empty kernel cache, and again in another fresh process with that cache warm.
4. (issue #15) One training step of a 2-layer LSTM language model (vocabulary 10,000,
   embedding 200, hidden 200, 35 steps, batch 32, SGD with clip_global_norm 0.25),
   hybridized mxjit against PyTorch eager (nn.LSTM, 1 and 2 threads) and hybridized
   MXNet 1.9.1; and a DataLoader over scikit-learn's digits with a transform, samples per
   second with num_workers=0 and 2.

Training steps and optimizer steps are timed in steady state, after 20 warm-up steps of
each variant (every library alike): the first call of a hybridized block compiles (row 3
times that on its own), and a compiled program's first few runs go through a generic loop
before it is written out as one function (lower/runner.py). The LSTM model warms up with 3.

Each library runs in a process of its own (mxjit, PyTorch, MXNet one after the other): a
library whose threads spin after its call slows whatever runs next in its process. Within a
process the variants are timed in interleaved rounds in a shuffled order. The training steps
of mxjit and PyTorch are timed in three pairs of processes, one library after the other
(two with --quick), and each median pools the rounds of all three: on a shared host the
load changes from minute to minute.
Run: PYTHONPATH=. python benchmarks/gluon.py [--quick]
(`~/peers/bin/python` has PyTorch; without it the PyTorch columns show "-".)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import in_child, interleaved  # noqa: E402

MXNET_PYTHON = os.environ.get("MXNET_PYTHON", os.path.expanduser("~/mxnet-ref/bin/python"))
#: Steps each variant runs before it is timed (see the module docstring).
WARMUP_STEPS = 20
LM_WARMUP_STEPS = 3  # (its steps take 0.2-0.5 s)


def mxjit_model(kind: str, hybridize: bool) -> Callable[[], None]:
    import mxjit as mx
    from mxjit import autograd, gluon
    from mxjit.gluon import nn
    mx.random.seed(0)
    net = nn.HybridSequential()
    with net.name_scope():
        if kind == "mlp":
            net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"),
                    nn.Dense(10))
        else:
            net.add(nn.Conv2D(20, 5), nn.MaxPool2D(2), nn.Conv2D(50, 5), nn.MaxPool2D(2),
                    nn.Dense(500, activation="relu"), nn.Dense(10))
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize()
    x, y = data(kind)
    xs, ys = mx.nd.array(x), mx.nd.array(y)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    if hybridize:
        loss_fn.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01,
                                                          "momentum": 0.9})

    def step() -> None:
        with autograd.record():
            loss = loss_fn(net(xs), ys)
        loss.backward()
        trainer.step(x.shape[0])
        mx.nd.waitall()

    return step


def data(kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    if kind == "mlp":
        return rng.rand(128, 784).astype(np.float32), rng.randint(0, 10, 128).astype(np.float32)
    return rng.rand(64, 1, 28, 28).astype(np.float32), rng.randint(0, 10, 64).astype(np.float32)


def torch_model(kind: str, threads: int) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    from torch import nn as tnn
    torch.manual_seed(0)
    if kind == "mlp":
        net = tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(),
                             tnn.Linear(128, 10))
    else:
        net = tnn.Sequential(tnn.Conv2d(1, 20, 5), tnn.MaxPool2d(2), tnn.Conv2d(20, 50, 5),
                             tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(800, 500), tnn.ReLU(),
                             tnn.Linear(500, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = data(kind)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y).long()
    loss_fn = tnn.CrossEntropyLoss()

    def step() -> None:
        torch.set_num_threads(threads)
        opt.zero_grad()
        loss_fn(net(xs), ys).backward()
        opt.step()

    return step


def adam_mxjit() -> Callable[[], None]:
    import mxjit as mx
    from mxjit import gluon
    params = [gluon.Parameter(f"p{k}_weight", shape=(256, 256)) for k in range(100)]
    for p in params:
        p.initialize(mx.init.Normal())
        p.grad()[:] = mx.nd.ones((256, 256)) * 0.01
    trainer = gluon.Trainer(params, "adam", {"learning_rate": 1e-3})

    def step() -> None:
        for p in params:  # (as a backward pass leaves them: fresh gradients)
            p.data()._fresh_grad = True
        trainer.step(1)
        mx.nd.waitall()

    return step


def adam_torch() -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    params = [torch.nn.Parameter(torch.randn(256, 256)) for _ in range(100)]
    for p in params:
        p.grad = torch.full((256, 256), 0.01)
    opt = torch.optim.Adam(params, lr=1e-3, foreach=True)
    return opt.step


MXNET_SCRIPT = r"""
import json, statistics, sys, time
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn
kind, hybridize, rounds = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
mx.random.seed(0)
net = nn.HybridSequential()
with net.name_scope():
    if kind == "mlp":
        net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"), nn.Dense(10))
    else:
        net.add(nn.Conv2D(20, 5), nn.MaxPool2D(2), nn.Conv2D(50, 5), nn.MaxPool2D(2),
                nn.Dense(500, activation="relu"), nn.Dense(10))
net.initialize(mx.init.Xavier())
if hybridize:
    net.hybridize(static_alloc=True, static_shape=True)
rng = np.random.RandomState(0)
if kind == "mlp":
    x, y = rng.rand(128, 784), rng.randint(0, 10, 128)
else:
    x, y = rng.rand(64, 1, 28, 28), rng.randint(0, 10, 64)
xs, ys = mx.nd.array(x), mx.nd.array(y)
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
if hybridize:
    loss_fn.hybridize(static_alloc=True, static_shape=True)
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9})
def step():
    with autograd.record():
        loss = loss_fn(net(xs), ys)
    loss.backward()
    trainer.step(x.shape[0])
    mx.nd.waitall()
for _ in range(20):  # (WARMUP_STEPS)
    step()
times = []
for _ in range(rounds):
    t0 = time.perf_counter(); step(); times.append((time.perf_counter() - t0) * 1e3)
print(json.dumps(statistics.median(times)))
"""

FIRST_CALL_SCRIPT = r"""
import time
t0 = time.perf_counter()
import numpy as np
import mxjit as mx
from mxjit.gluon import nn
t1 = time.perf_counter()
net = nn.HybridSequential()
net.add(nn.Conv2D(20, 5), nn.MaxPool2D(2), nn.Conv2D(50, 5), nn.MaxPool2D(2),
        nn.Dense(500, activation="relu"), nn.Dense(10))
net.initialize(mx.init.Xavier())
net.hybridize()
x = mx.nd.array(np.random.rand(64, 1, 28, 28))
with mx.autograd.record():
    y = net(x)
y.backward()
mx.nd.waitall()
print((time.perf_counter() - t1) * 1e3)
"""


VOCAB, EMBED, HIDDEN, STEPS, BATCH = 10000, 200, 200, 35, 32


def lm_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    return (rng.randint(0, VOCAB, (STEPS, BATCH)).astype(np.float32),
            rng.randint(0, VOCAB, (STEPS, BATCH)).astype(np.float32))


def lm_mxjit() -> Callable[[], None]:
    import mxjit as mx
    from mxjit import autograd, gluon
    from mxjit.gluon import nn, rnn

    class LM(gluon.HybridBlock):
        def __init__(self, **kwargs: Any):
            super().__init__(**kwargs)
            with self.name_scope():
                self.embed = nn.Embedding(VOCAB, EMBED)
                self.lstm = rnn.LSTM(HIDDEN, num_layers=2, input_size=EMBED)
                self.out = nn.Dense(VOCAB, flatten=False, in_units=HIDDEN)

        def hybrid_forward(self, F: Any, x: Any) -> Any:
            return self.out(self.lstm(self.embed(x)))

    mx.random.seed(0)
    net = LM()
    net.initialize(mx.init.Uniform(0.1))
    net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    loss_fn.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1.0})
    x, y = lm_data()
    xs, ys = mx.nd.array(x), mx.nd.array(y)
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]

    def step() -> None:
        with autograd.record():
            loss = loss_fn(net(xs), ys)
        loss.backward()
        gluon.utils.clip_global_norm([p.grad() for p in params], 0.25 * STEPS * BATCH)
        trainer.step(STEPS * BATCH)
        mx.nd.waitall()

    return step


def lm_torch(threads: int) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    from torch import nn as tnn

    class LM(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = tnn.Embedding(VOCAB, EMBED)
            self.lstm = tnn.LSTM(EMBED, HIDDEN, num_layers=2)
            self.out = tnn.Linear(HIDDEN, VOCAB)

        def forward(self, x: Any) -> Any:
            return self.out(self.lstm(self.embed(x))[0])

    torch.manual_seed(0)
    net = LM()
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    x, y = lm_data()
    xs, ys = torch.from_numpy(x).long(), torch.from_numpy(y).long()
    loss_fn = tnn.CrossEntropyLoss()

    def step() -> None:
        torch.set_num_threads(threads)
        opt.zero_grad()
        loss_fn(net(xs).reshape(-1, VOCAB), ys.reshape(-1)).backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 0.25)
        opt.step()

    return step


MXNET_LM_SCRIPT = r"""
import json, statistics, sys, time
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn, rnn
rounds = int(sys.argv[1])
V, E, H, T, B = 10000, 200, 200, 35, 32
class LM(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.embed = nn.Embedding(V, E)
            self.lstm = rnn.LSTM(H, num_layers=2, input_size=E)
            self.out = nn.Dense(V, flatten=False, in_units=H)
    def hybrid_forward(self, F, x):
        return self.out(self.lstm(self.embed(x)))
net = LM(); net.initialize(mx.init.Uniform(0.1)); net.hybridize(static_alloc=True)
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss(); loss_fn.hybridize()
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1.0})
rng = np.random.RandomState(0)
xs = mx.nd.array(rng.randint(0, V, (T, B))); ys = mx.nd.array(rng.randint(0, V, (T, B)))
params = [p for p in net.collect_params().values() if p.grad_req != "null"]
def step():
    with autograd.record():
        loss = loss_fn(net(xs), ys)
    loss.backward()
    gluon.utils.clip_global_norm([p.grad() for p in params], 0.25 * T * B)
    trainer.step(T * B)
    mx.nd.waitall()
for _ in range(3):  # (LM_WARMUP_STEPS)
    step()
times = []
for _ in range(rounds):
    t0 = time.perf_counter(); step(); times.append((time.perf_counter() - t0) * 1e3)
print(json.dumps(statistics.median(times)))
"""


def run_mxnet(script: str, what: str, *args: str) -> float | None:
    """The median `script` prints when run by MXNet's interpreter (None without one)."""
    if not os.path.exists(MXNET_PYTHON):
        return None
    out = subprocess.run([MXNET_PYTHON, "-c", script, *args], capture_output=True, text=True,
                         cwd=tempfile.gettempdir())
    if out.returncode != 0:
        print(f"MXNet {what}: ERROR {out.stderr.strip().splitlines()[-1:]}")
        return None
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def mxnet_lm(rounds: int) -> float | None:
    return run_mxnet(MXNET_LM_SCRIPT, "LM", str(rounds))


def loader_rate(workers: int) -> float:
    """Samples per second of one epoch over the digits with a transform."""
    from sklearn.datasets import load_digits

    import mxjit as mx
    from mxjit.gluon.data import ArrayDataset, DataLoader
    digits = load_digits()
    data = ArrayDataset(digits.images.astype(np.float32)[:, None] / 16.0,
                        digits.target.astype(np.float32))
    transformed = data.transform_first(lambda x: (x - 0.5) * 2.0)
    loader = DataLoader(transformed, batch_size=64, shuffle=True, num_workers=workers)
    for _ in loader:  # (starts the workers, warms up)
        pass
    t0 = time.perf_counter()
    count = 0
    for x, _ in loader:
        count += x.shape[0]
    mx.nd.waitall()
    return count / (time.perf_counter() - t0)


def mxnet_step(kind: str, hybridize: bool, rounds: int) -> float | None:
    return run_mxnet(MXNET_SCRIPT, kind, kind, "1" if hybridize else "0", str(rounds))


def first_call_ms() -> tuple[float, float]:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        env["MXJIT_CACHE_DIR"] = cache
        runs = []
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", FIRST_CALL_SCRIPT], env=env,
                                 capture_output=True, text=True, check=True)
            runs.append(float(out.stdout.strip().splitlines()[-1]))
    return runs[0], runs[1]


def fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def measure(library: str, rounds: int, part: str) -> dict[str, Any]:
    """One library's rows in this process (see `main`): for part 'steps' every round's
    time of each training step, for part 'rest' the medians of the other rows."""
    lm_rounds = max(3, rounds // 3)
    got: dict[str, Any] = {}
    if part == "steps":
        for kind in ("mlp", "lenet"):
            variants = ({"hybridized": mxjit_model(kind, True), "eager": mxjit_model(kind, False)}
                        if library == "mxjit" else
                        {"1t": torch_model(kind, 1), "2t": torch_model(kind, 2)})
            got.update({f"{kind} {k}": v for k, v in interleaved(
                variants, rounds, warmup=WARMUP_STEPS, samples=True).items()})
        return got
    if library == "mxjit":
        got["adam"] = interleaved({"x": adam_mxjit()}, rounds, warmup=WARMUP_STEPS)["x"]
        got["lm"] = interleaved({"x": lm_mxjit()}, lm_rounds, warmup=LM_WARMUP_STEPS)["x"]
        got["loader 0"], got["loader 2"] = loader_rate(0), loader_rate(2)
        return got
    got["adam"] = interleaved({"x": adam_torch()}, rounds, warmup=WARMUP_STEPS)["x"]
    got.update({f"lm {k}": v for k, v in interleaved(
        {"1t": lm_torch(1), "2t": lm_torch(2)}, lm_rounds, warmup=LM_WARMUP_STEPS).items()})
    return got


def alternating_steps(rounds: int, blocks: int) -> dict[str, float | None]:
    """The median of each library's training-step times over `blocks` pairs of processes
    run one after the other (mxjit, PyTorch, mxjit, ...), `rounds / blocks` rounds each:
    on a shared machine the load changes from minute to minute, and one process per
    library would give whichever ran at the quieter moment the better numbers."""
    pooled: dict[str, list[float]] = {}
    per_block = max(1, -(-rounds // blocks))
    for _ in range(blocks):
        for library in ("mxjit", "torch"):
            got = in_child(__file__, library, "--rounds", str(per_block), "--part", "steps")
            for key, times in got.items():
                if times is not None:
                    pooled.setdefault(key, []).extend(times)
    return {key: statistics.median(times) for key, times in pooled.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="6 rounds instead of 30")
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--part", help=argparse.SUPPRESS)
    args = parser.parse_args()
    rounds = args.rounds or (6 if args.quick else 30)
    if args.library:
        print(json.dumps(measure(args.library, rounds, args.part)))
        return
    print(f"load average at start: {os.getloadavg()}")
    # (each library in a process of its own: a library's threads that spin after its call
    # would slow the next library's call in the same process)
    steps = alternating_steps(rounds, 2 if args.quick else 3)
    mine = {**in_child(__file__, "mxjit", "--rounds", str(rounds), "--part", "rest"), **steps}
    theirs = {**in_child(__file__, "torch", "--rounds", str(rounds), "--part", "rest"),
              **steps}
    cols = ["mxjit hybridized", "mxjit eager", "torch 1t", "torch 2t", "MXNet hybridized",
            "MXNet eager"]
    print("\n### Training step, ms (median)\n")
    print("| model | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for kind, name in (("mlp", "MLP 784-256-128-10, batch 128"), ("lenet", "LeNet, batch 64")):
        row = [mine.get(f"{kind} hybridized"), mine.get(f"{kind} eager"),
               theirs.get(f"{kind} 1t"), theirs.get(f"{kind} 2t"),
               mxnet_step(kind, True, rounds), mxnet_step(kind, False, rounds)]
        print(f"| {name} | " + " | ".join(fmt(v) for v in row) + " |")
    print("\n### Trainer.step, Adam over 100 parameters of 256x256, ms (median)\n")
    print("| mxjit | torch.optim.Adam(foreach=True) |\n|---|---|")
    print(f"| {fmt(mine.get('adam'))} | {fmt(theirs.get('adam'))} |")
    cold, warm = first_call_ms()
    print("\n### First hybridized call of LeNet (forward + backward), new process, ms\n")
    print("| cold kernel cache | warm kernel cache |\n|---|---|")
    print(f"| {cold:.0f} | {warm:.0f} |")
    lm = [mine.get("lm"), theirs.get("lm 1t"), theirs.get("lm 2t"),
          mxnet_lm(max(3, rounds // 3))]
    print("\n### LSTM language model training step (2x200, 35 steps, batch 32), ms (median)\n")
    print("| mxjit hybridized | torch 1t | torch 2t | MXNet hybridized |\n|---|---|---|---|")
    print("| " + " | ".join(fmt(v) for v in lm) + " |")
    print("\n### DataLoader over the digits with a transform, samples/s\n")
    print("| num_workers=0 | num_workers=2 |\n|---|---|")
    print(f"| {mine.get('loader 0') or 0:,.0f} | {mine.get('loader 2') or 0:,.0f} |")
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
