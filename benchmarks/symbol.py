"""Symbol and Module side by side (issue #16): medians, lower is better.

Rows:
1. One epoch of `Module.fit` on the MLP 784-256-128-10 (FullyConnected/relu, SoftmaxOutput)
   over an `NDArrayIter` of 100 batches of 128 random samples (fixed seed), SGD with momentum
   0.9 and lr 0.01, Xavier init, the accuracy metric, no callbacks; against hybridized Gluon
   doing the same work (HybridSequential of Dense, SoftmaxCrossEntropyLoss hybridized,
   Trainer sgd with momentum, the same NDArrayIter, an Accuracy metric updated each batch as
   Module.fit does, `reset` at the end of the epoch). Columns: mxjit, and MXNet 1.9.1 in its
   own interpreter (Python 3.8: ~/mxnet-ref/bin/python or $MXNET_PYTHON; "-" where it is not
   installed). Each timed epoch is one `fit(begin_epoch=k, num_epoch=k + 1)` call: after the
   first call, bind, init_params and init_optimizer return at once (their "already done"
   warnings silenced), so a call costs one epoch of a longer fit, and the epochs of Module
   and Gluon can be interleaved. The first epoch (bind, initialise, compile) is a warm-up.
2. `SymbolBlock.imports` of MXNet's CNN fixture (tests/fixtures/mxnet-1.9.1/cnn-symbol.json,
   cnn-0000.params) and its first forward on cnn_input.npy, in a fresh process with an empty
   MXJIT_CACHE_DIR (cold) and in another with that cache warm; the time of `import mxjit`
   is shown apart and not counted. MXNet 1.9.1 doing the same (it has no kernel cache).

Each library runs in a process of its own (mxjit, then MXNet): a library whose threads spin
after its call slows whatever runs next in its process. Within a process the variants are
timed in interleaved rounds in a shuffled order.
Run: PYTHONPATH=. python benchmarks/symbol.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import interleaved  # noqa: E402

MXNET_PYTHON = os.environ.get("MXNET_PYTHON", os.path.expanduser("~/mxnet-ref/bin/python"))
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "mxnet-1.9.1"
BATCH, BATCHES = 128, 100


def mlp_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    return (rng.rand(BATCH * BATCHES, 784).astype(np.float32),
            rng.randint(0, 10, BATCH * BATCHES).astype(np.float32))


def quiet_logger() -> Any:
    """A logger for Module that drops the "already bound/initialized" warnings of the
    second and later `fit` calls (and the per-epoch info lines)."""
    import logging
    import warnings
    warnings.filterwarnings("ignore", message="Parameters already initialized")
    logger = logging.getLogger("benchmarks.symbol")
    logger.setLevel(logging.ERROR)
    return logger


def module_epoch() -> Callable[[], None]:
    import mxjit as mx
    mx.random.seed(0)
    h = mx.sym.Variable("data")
    for k, units in enumerate((256, 128), 1):
        h = mx.sym.Activation(mx.sym.FullyConnected(h, num_hidden=units, name=f"fc{k}"),
                              act_type="relu", name=f"relu{k}")
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=10, name="fc3"),
                               name="softmax")
    mod = mx.mod.Module(net, context=mx.cpu(), logger=quiet_logger())
    x, y = mlp_data()
    it = mx.io.NDArrayIter(x, y, batch_size=BATCH)
    epoch = [0]

    def run() -> None:
        mod.fit(it, eval_metric="acc", optimizer="sgd",
                optimizer_params={"learning_rate": 0.01, "momentum": 0.9},
                initializer=mx.init.Xavier(), begin_epoch=epoch[0], num_epoch=epoch[0] + 1)
        epoch[0] += 1
        mx.nd.waitall()

    return run


def gluon_epoch() -> Callable[[], None]:
    import mxjit as mx
    from mxjit import autograd, gluon
    from mxjit.gluon import nn
    mx.random.seed(0)
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"),
                nn.Dense(10))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    loss_fn.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01,
                                                          "momentum": 0.9})
    metric = mx.metric.Accuracy()
    x, y = mlp_data()
    it = mx.io.NDArrayIter(x, y, batch_size=BATCH)

    def run() -> None:
        metric.reset()
        for batch in it:
            data, label = batch.data[0], batch.label[0]
            with autograd.record():
                out = net(data)
                loss = loss_fn(out, label)
            loss.backward()
            trainer.step(BATCH)
            metric.update([label], [out])
        metric.get()
        it.reset()
        mx.nd.waitall()

    return run


MXNET_EPOCH_SCRIPT = r"""
import json, logging, random, statistics, sys, time, warnings
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn
rounds = int(sys.argv[1])
warnings.filterwarnings("ignore", message="Parameters already initialized")
logger = logging.getLogger("benchmarks.symbol"); logger.setLevel(logging.ERROR)
rng = np.random.RandomState(0)
x = rng.rand(128 * 100, 784).astype(np.float32)
y = rng.randint(0, 10, 128 * 100).astype(np.float32)
mx.random.seed(0)
h = mx.sym.Variable("data")
for k, units in enumerate((256, 128), 1):
    h = mx.sym.Activation(mx.sym.FullyConnected(h, num_hidden=units, name=f"fc{k}"),
                          act_type="relu", name=f"relu{k}")
sym = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=10, name="fc3"), name="softmax")
mod = mx.mod.Module(sym, context=mx.cpu(), logger=logger)
mod_it = mx.io.NDArrayIter(x, y, batch_size=128)
epoch = [0]
def module_epoch():
    mod.fit(mod_it, eval_metric="acc", optimizer="sgd",
            optimizer_params={"learning_rate": 0.01, "momentum": 0.9},
            initializer=mx.init.Xavier(), begin_epoch=epoch[0], num_epoch=epoch[0] + 1)
    epoch[0] += 1
    mx.nd.waitall()
net = nn.HybridSequential()
with net.name_scope():
    net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"), nn.Dense(10))
net.initialize(mx.init.Xavier())
net.hybridize(static_alloc=True, static_shape=True)
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
loss_fn.hybridize(static_alloc=True, static_shape=True)
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9})
metric = mx.metric.Accuracy()
gluon_it = mx.io.NDArrayIter(x, y, batch_size=128)
def gluon_epoch():
    metric.reset()
    for batch in gluon_it:
        data, label = batch.data[0], batch.label[0]
        with autograd.record():
            out = net(data)
            loss = loss_fn(out, label)
        loss.backward()
        trainer.step(128)
        metric.update([label], [out])
    metric.get()
    gluon_it.reset()
    mx.nd.waitall()
variants = {"module": module_epoch, "gluon": gluon_epoch}
for fn in variants.values():
    fn()
times = {k: [] for k in variants}
order = list(variants.items())
shuffler = random.Random(0)
for _ in range(rounds):
    shuffler.shuffle(order)
    for k, fn in order:
        t0 = time.perf_counter(); fn(); times[k].append((time.perf_counter() - t0) * 1e3)
print(json.dumps({k: statistics.median(v) for k, v in times.items()}))
"""

# (the same script for both libraries: argv names the library and the fixture folder)
LOAD_SCRIPT = r"""
import sys, time
t0 = time.perf_counter()
import numpy as np
lib = __import__(sys.argv[1])
t1 = time.perf_counter()
folder = sys.argv[2]
net = lib.gluon.SymbolBlock.imports(folder + "/cnn-symbol.json", ["data"],
                                    folder + "/cnn-0000.params")
out = net(lib.nd.array(np.load(folder + "/cnn_input.npy"))).asnumpy()
t2 = time.perf_counter()
np.testing.assert_allclose(out, np.load(folder + "/cnn_output.npy"), rtol=1e-4, atol=1e-5)
print((t1 - t0) * 1e3, (t2 - t1) * 1e3)
"""


def load_ms(python: str, library: str, env: dict[str, str] | None = None
            ) -> tuple[float, float] | None:
    """(import ms, imports + first forward ms) in a fresh process, or None on failure."""
    out = subprocess.run([python, "-c", LOAD_SCRIPT, library, str(FIXTURES)], env=env,
                         capture_output=True, text=True, cwd=tempfile.gettempdir())
    if out.returncode != 0:
        print(f"{library} load: ERROR {out.stderr.strip().splitlines()[-1:]}")
        return None
    imported, loaded = out.stdout.strip().splitlines()[-1].split()
    return float(imported), float(loaded)


def first_batch_ms(repeats: int) -> dict[str, tuple[float, float] | None]:
    """Medians over `repeats` fresh kernel caches: mxjit cold, mxjit warm, MXNet."""
    runs: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "mxnet": []}
    env = dict(os.environ)
    env["PYTHONPATH"] = str(FIXTURES.parent.parent.parent)
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env["MXJIT_CACHE_DIR"] = cache
            for key in ("cold", "warm"):
                got = load_ms(sys.executable, "mxjit", env)
                if got is not None:
                    runs[key].append(got)
        if os.path.exists(MXNET_PYTHON):
            got = load_ms(MXNET_PYTHON, "mxnet")
            if got is not None:
                runs["mxnet"].append(got)
    return {k: (statistics.median(a for a, _ in v), statistics.median(b for _, b in v))
            if v else None for k, v in runs.items()}


def mxnet_epochs(rounds: int) -> dict[str, float]:
    if not os.path.exists(MXNET_PYTHON):
        return {}
    out = subprocess.run([MXNET_PYTHON, "-c", MXNET_EPOCH_SCRIPT, str(rounds)],
                         capture_output=True, text=True, cwd=tempfile.gettempdir())
    if out.returncode != 0:
        print(f"MXNet epochs: ERROR {out.stderr.strip().splitlines()[-1:]}")
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def in_child(rounds: int) -> dict[str, float]:
    """The mxjit epochs, measured in a process of their own."""
    out = subprocess.run([sys.executable, __file__, "--library", "mxjit", "--rounds",
                          str(rounds)], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"mxjit: ERROR {out.stderr.strip().splitlines()[-3:]}")
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        help="3 epochs and one cold start instead of 11 and 3")
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 11)
    if args.library:
        print(json.dumps(interleaved({"module": module_epoch(), "gluon": gluon_epoch()},
                                     rounds, warmup=1)))
        return
    print(f"load average at start: {os.getloadavg()}")
    mine, theirs = in_child(rounds), mxnet_epochs(rounds)
    print(f"\n### One epoch of the MLP 784-256-128-10 ({BATCHES} batches of {BATCH}), "
          f"ms (median of {rounds})\n")
    cols = ["mxjit Module.fit", "mxjit Gluon hybridized", "MXNet Module.fit",
            "MXNet Gluon hybridized"]
    print("| " + " | ".join(cols) + " |\n" + "|---" * len(cols) + "|")
    row = [mine.get("module"), mine.get("gluon"), theirs.get("module"), theirs.get("gluon")]
    print("| " + " | ".join(fmt(v) for v in row) + " |")
    print(f"\nmxjit Module.fit / mxjit Gluon hybridized: {ratio(row[0], row[1])}; "
          f"/ MXNet Module.fit: {ratio(row[0], row[2])}")
    repeats = 1 if args.quick else 3
    loads = first_batch_ms(repeats)
    print(f"\n### SymbolBlock.imports of the CNN fixture + first forward, new process, ms "
          f"(median of {repeats})\n")
    print("| | import | imports + first forward |\n|---|---|---|")
    for key, name in (("cold", "mxjit, cold kernel cache"), ("warm", "mxjit, warm kernel cache"),
                      ("mxnet", "MXNet 1.9.1")):
        got = loads[key]
        print(f"| {name} | {fmt(got and got[0], 0)} | {fmt(got and got[1], 0)} |")
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
