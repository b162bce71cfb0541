"""Model zoo speed (issue #20): `resnet18_v1` at batch 16 on 3x112x112, medians in ms, lower
is better.

Rows: hybridized inference (predict mode, output read back) and one training step
(forward in training mode, softmax cross-entropy, backward, SGD with momentum 0.9).
Columns: mxjit's `gluon.model_zoo.vision.resnet18_v1` hybridized; MXNet 1.9.1's own
`resnet18_v1` hybridized (MKLDNN; its interpreter, ~/mxnet-ref/bin/python or
$MXNET_PYTHON, "-" where it is not installed); PyTorch eager at 1 and 2 intra-op threads
for the same architecture written here in torch (no torchvision needed). The issue's bars:
mxjit at most MXNet's time and at most 1.25x PyTorch eager's.

Each library runs in a process of its own, one after the other (a library whose threads
spin after its call slows whatever runs next in its process); within a process the
variants are timed in interleaved rounds in a shuffled order.
Run: PYTHONPATH=. ~/peers/bin/python benchmarks/models.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import in_child, interleaved  # noqa: E402

MXNET_PYTHON = os.environ.get("MXNET_PYTHON", os.path.expanduser("~/mxnet-ref/bin/python"))
BATCH, SIDE, CLASSES = 16, 112, 1000


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    return (rng.standard_normal((BATCH, 3, SIDE, SIDE)).astype(np.float32),
            rng.randint(0, CLASSES, BATCH).astype(np.float32))


def mxjit_steps() -> dict[str, Callable[[], object]]:
    import mxjit as mx
    from mxjit import autograd, gluon
    from mxjit.gluon.model_zoo import vision
    mx.random.seed(0)
    net = vision.resnet18_v1()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x, y = data()
    xs, ys = mx.nd.array(x), mx.nd.array(y)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01,
                                                          "momentum": 0.9})

    def infer() -> object:
        return net(xs).asnumpy()

    def train() -> None:
        with autograd.record():
            loss = loss_fn(net(xs), ys)
        loss.backward()
        trainer.step(BATCH)
        mx.nd.waitall()

    return {"infer": infer, "train": train}


def torch_resnet18() -> Any:
    """ResNet-18 v1 as MXNet's zoo builds it (torchvision's layout), in plain torch."""
    from torch import nn as tnn

    class Basic(tnn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.body = tnn.Sequential(
                tnn.Conv2d(cin, cout, 3, stride, 1, bias=False), tnn.BatchNorm2d(cout),
                tnn.ReLU(), tnn.Conv2d(cout, cout, 3, 1, 1, bias=False), tnn.BatchNorm2d(cout))
            self.down = (tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False),
                                        tnn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else None)

        def forward(self, x: Any) -> Any:
            return (self.body(x) + (self.down(x) if self.down is not None else x)).relu()

    layers: list[Any] = [tnn.Conv2d(3, 64, 7, 2, 3, bias=False), tnn.BatchNorm2d(64),
                         tnn.ReLU(), tnn.MaxPool2d(3, 2, 1)]
    for cin, cout, stride in [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]:
        layers += [Basic(cin, cout, stride), Basic(cout, cout, 1)]
    layers += [tnn.AdaptiveAvgPool2d(1), tnn.Flatten(), tnn.Linear(512, CLASSES)]
    return tnn.Sequential(*layers)


def torch_steps(threads: int) -> dict[str, Callable[[], object]]:
    import torch
    from torch import nn as tnn
    torch.manual_seed(0)
    net = torch_resnet18()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = data()
    xs, ys = torch.from_numpy(x), torch.from_numpy(y).long()
    loss_fn = tnn.CrossEntropyLoss()

    def infer() -> object:
        torch.set_num_threads(threads)
        net.eval()
        with torch.no_grad():
            return net(xs).numpy()

    def train() -> None:
        torch.set_num_threads(threads)
        net.train()
        opt.zero_grad()
        loss_fn(net(xs), ys).backward()
        opt.step()

    return {"infer": infer, "train": train}


MXNET_SCRIPT = """
import json, random, statistics, sys, time
import numpy as np
import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon.model_zoo import vision
batch, side, classes, rounds = (int(a) for a in sys.argv[1:5])
rng = np.random.RandomState(0)
x = mx.nd.array(rng.standard_normal((batch, 3, side, side)).astype(np.float32))
y = mx.nd.array(rng.randint(0, classes, batch).astype(np.float32))
mx.random.seed(0)
net = vision.resnet18_v1()
net.initialize(mx.init.Xavier())
net.hybridize()
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9})
def infer():
    net(x).asnumpy()
def train():
    with autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    trainer.step(batch)
    mx.nd.waitall()
steps = {"infer": infer, "train": train}
for fn in steps.values():
    fn(); fn()
times = {k: [] for k in steps}
order = list(steps.items())
shuffler = random.Random(0)
for _ in range(rounds):
    shuffler.shuffle(order)
    for k, fn in order:
        t0 = time.perf_counter(); fn(); times[k].append((time.perf_counter() - t0) * 1e3)
print(json.dumps({k: statistics.median(v) for k, v in times.items()}))
"""


def mxnet_medians(rounds: int) -> dict[str, float | None]:
    """MXNet 1.9.1's medians, from its own interpreter (nothing without one)."""
    if not os.path.exists(MXNET_PYTHON):
        return {}
    out = subprocess.run([MXNET_PYTHON, "-c", MXNET_SCRIPT, str(BATCH), str(SIDE),
                          str(CLASSES), str(rounds)], capture_output=True, text=True,
                         cwd=tempfile.gettempdir())
    if out.returncode != 0:
        print(f"MXNet: ERROR {out.stderr.strip().splitlines()[-1:]}")
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(library: str, rounds: int) -> dict[str, float | None]:
    """Every cell of one library, in this process (see `main`)."""
    if library == "mxjit":
        return interleaved(mxjit_steps(), rounds)
    got: dict[str, float | None] = {}
    for threads in (1, 2):
        steps = torch_steps(threads)
        got.update({f"{k} {threads}t": v for k, v in interleaved(steps, rounds).items()})
    return got


def fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 15")
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.library:
        print(json.dumps(measure(args.library, args.rounds)))
        return
    rounds = 5 if args.quick else 15
    ours = in_child(__file__, "mxjit", "--rounds", str(rounds))
    torch = in_child(__file__, "torch", "--rounds", str(rounds))
    mxnet = mxnet_medians(rounds)
    print(f"### resnet18_v1, batch {BATCH}, 3x{SIDE}x{SIDE}, ms (median of {rounds})\n")
    print("| step | mxjit hybridized | MXNet hybridized | torch 1t | torch 2t "
          "| mxjit / MXNet | mxjit / torch best |")
    print("|---|---|---|---|---|---|---|")
    for step, label in (("infer", "inference"), ("train", "training step")):
        best = min((v for v in (torch.get(f"{step} 1t"), torch.get(f"{step} 2t"))
                    if v is not None), default=None)
        print(f"| {label} | {fmt(ours.get(step))} | {fmt(mxnet.get(step))} "
              f"| {fmt(torch.get(f'{step} 1t'))} | {fmt(torch.get(f'{step} 2t'))} "
              f"| {ratio(ours.get(step), mxnet.get(step))} | {ratio(ours.get(step), best)} |")


if __name__ == "__main__":
    main()
