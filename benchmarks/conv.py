"""Convolutional workloads side by side (issue #13): single layers and whole training steps.

Measured, as medians in ms (lower is better), float32, NCHW:

1. Layers, forward alone and forward+backward (the loss sum(layer(x, w) * gy) and its
   gradients w.r.t. the data and the weights): seven convolutions (no bias; pad k // 2 for
   3x3 kernels, else 0; one depthwise) and a 3x3/2 max-pool of (32, 64, 112, 112).
2. Training steps: one `jit(value_and_grad)` step that computes the loss, every parameter
   gradient and the new BatchNorm running statistics (no parameter update, in any library)
   of a small CNN and LeNet (batch 64 of 1x28x28) and ResNet-18 (batch 16 of 3x64x64,
   BatchNorm in training mode). The models are written once against a small operator
   interface (`MxjitOps`, `TorchOps`, `JaxOps`), so every library runs the same graph.

Columns: mxjit `mx.jit`; mxjit eager (`autograd.record` + `backward`); PyTorch eager at 1 and
at 2 intra-op threads (`torch.set_num_threads`, set before each timed call, outside the
timing; its convolutions run on oneDNN); `jax.jit` (XLA's CPU thread pool, default size);
MXNet 1.9.1 (pip build, convolutions on MKLDNN/oneDNN), layer rows only: it needs Python
3.8 and numpy<1.24, so it runs in its own interpreter (`~/mxnet-ref/bin/python`, or
$MXNET_PYTHON) as a small server that this script asks to run one call at a time and that
times the call itself; "-" where it is not installed. The steps table has no MXNet column.
mxjit runs with its defaults: its own kernel thread pool (one thread per core) plus NumPy's
OpenBLAS for the GEMMs (one thread per core unless OPENBLAS_NUM_THREADS says otherwise).
No thread variable is pinned here (unlike train_step.py): the header prints what was set.

Fairness: each library runs in a process of its own (mxjit, torch at 1 thread, torch at 2,
jax; MXNet's server last), one after the other: PyTorch's OpenMP threads and XLA's pool keep
spinning after a call and made whatever ran next in the same process up to 3-5x slower (an
earlier version interleaved the libraries in one process and its torch 2t column, and the
rows timed after it, were inflated so). Within a process the variants of a row (mxjit jit
and eager) alternate in shuffled rounds; each has run at least twice before (compilation,
oneDNN primitive creation). On a shared 2-core host the 2-thread variants are the noisy
ones: a call waits for its slowest thread. Read rows with the load average printed at the
top and the bottom, and rerun rows that look odd (--only).

Checks: before timing, every variant's outputs are compared with a reference that the
parent process saves first (PyTorch is needed for it), PyTorch in float64 for the layers
and PyTorch float32 from the same parameters and batch for the steps: the relative error
of each whole output (loss, gradients; forward: the result) must stay under 1e-3
(ResNet-18's gradients: 3e-2). A mismatch prints a "CHECK FAILED" line and the row is
timed anyway; a variant that raises prints "ERROR" and shows "-".

The last table gives GFLOP/s (2 per multiply-add of the convolutions and dense layers;
forward+backward counts 3 forward passes for layers, PyTorch's FlopCounterMode counts the
steps) of mxjit jit and of the fastest peer, and their time ratio.

Run: PYTHONPATH=. python benchmarks/conv.py [--quick] [--only SUBSTRING]
     --quick: 3 timed rounds instead of 11; --only: rows whose name contains SUBSTRING.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import in_child, median_ms, optional_import, table  # noqa: E402

import mxjit as mx  # noqa: E402

nd = mx.nd
jax = optional_import("jax")
torch = optional_import("torch")
if jax is not None:
    import jax.numpy as jnp
    from jax import lax
if torch is not None:
    import torch.nn.functional as F

EPS = 1e-5  # BatchNorm epsilon, the same everywhere (MXNet's default would be 1e-3)
MXNET_PYTHON = os.environ.get("MXNET_PYTHON", os.path.expanduser("~/mxnet-ref/bin/python"))
MXJIT_COLUMNS = ["mxjit jit", "mxjit eager"]
TORCH_THREADS = (1, 2)
DEFAULT_TORCH_THREADS = torch.get_num_threads() if torch else None  # (before we set any)


# ---- workloads ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layer:
    """A convolution (K filters of kernel x kernel over C / groups channels) or, with
    kind="pool", a max-pool, over (N, C, H, W) data."""
    n: int
    c: int
    h: int
    w: int
    k: int
    kernel: int
    stride: int
    groups: int = 1
    kind: str = "conv"

    @property
    def pad(self) -> int:
        return self.kernel // 2 if self.kind == "conv" and self.kernel == 3 else 0

    @property
    def out_hw(self) -> tuple[int, int]:
        oh, ow = ((d + 2 * self.pad - self.kernel) // self.stride + 1 for d in (self.h, self.w))
        return oh, ow

    @property
    def name(self) -> str:
        shape = f"{self.n}x{self.c}x{self.h}x{self.w}"
        window = f"{self.kernel}x{self.kernel}/{self.stride}"
        if self.kind == "pool":
            return f"maxpool {shape} {window}"
        prefix = "dwconv" if self.groups > 1 and self.groups == self.c else "conv"
        group = f" g{self.groups}" if self.groups > 1 else ""
        return f"{prefix} {shape} k{self.k} {window}{group}"

    def forward_flops(self) -> float | None:
        """2 per multiply-add; None for pooling (comparisons are not FLOPs worth rating)."""
        if self.kind == "pool":
            return None
        oh, ow = self.out_hw
        return 2.0 * self.n * self.k * oh * ow * (self.c // self.groups) * self.kernel ** 2

    def apply(self, ops: Ops, x: Any, w: Any | None = None) -> Any:
        if self.kind == "pool":
            return ops.max_pool(x, self.kernel, self.stride)
        return ops.conv(x, w, None, self.stride, self.pad, self.groups)

    def arrays(self, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
        """The inputs (data, and weights for a convolution) and the output cotangent gy."""
        x = rng.standard_normal((self.n, self.c, self.h, self.w), np.float32)
        gy_shape = (self.n, self.c if self.kind == "pool" else self.k, *self.out_hw)
        gy = rng.standard_normal(gy_shape, np.float32)
        if self.kind == "pool":
            return [x], gy
        fan_in = (self.c // self.groups) * self.kernel ** 2
        w = rng.standard_normal((self.k, self.c // self.groups, self.kernel, self.kernel),
                                np.float32) / np.float32(np.sqrt(fan_in))
        return [x, w], gy


LAYERS = [
    Layer(64, 1, 28, 28, 20, 5, 1),
    Layer(64, 20, 12, 12, 50, 5, 1),
    Layer(32, 64, 56, 56, 64, 3, 1),
    Layer(32, 128, 28, 28, 128, 3, 1),
    Layer(32, 256, 14, 14, 256, 3, 1),
    Layer(32, 64, 56, 56, 128, 1, 2),
    Layer(32, 128, 28, 28, 128, 3, 1, groups=128),
    Layer(32, 64, 112, 112, 64, 3, 2, kind="pool"),
]


# ---- the operators the models use, once per library ---------------------------------------

class Ops(Protocol):
    def conv(self, x: Any, w: Any, b: Any | None = None, stride: int = 1, pad: int = 0,
             groups: int = 1) -> Any: ...
    def relu(self, x: Any) -> Any: ...
    def max_pool(self, x: Any, kernel: int, stride: int, pad: int = 0) -> Any: ...
    def dense(self, x: Any, w: Any, b: Any) -> Any: ...
    def batch_norm(self, x: Any, gamma: Any, beta: Any, stats: dict[str, Any], name: str
                   ) -> Any: ...
    def mean_hw(self, x: Any) -> Any: ...
    def cross_entropy(self, logits: Any, onehot: Any) -> Any: ...


class MxjitOps:
    def conv(self, x: Any, w: Any, b: Any | None = None, stride: int = 1, pad: int = 0,
             groups: int = 1) -> Any:
        return nd.Convolution(x, w, b, kernel=w.shape[2:], stride=(stride, stride),
                              pad=(pad, pad), num_filter=w.shape[0], num_group=groups,
                              no_bias=b is None)

    def relu(self, x: Any) -> Any:
        return nd.relu(x)

    def max_pool(self, x: Any, kernel: int, stride: int, pad: int = 0) -> Any:
        return nd.Pooling(x, kernel=(kernel, kernel), stride=(stride, stride), pad=(pad, pad),
                          pool_type="max")

    def dense(self, x: Any, w: Any, b: Any) -> Any:
        return nd.FullyConnected(x, w, b, num_hidden=w.shape[0])

    def batch_norm(self, x: Any, gamma: Any, beta: Any, stats: dict[str, Any], name: str
                   ) -> Any:
        # Training mode even under mx.jit (where autograd is not recording); the running
        # statistics must be arguments of the trace, which BatchNorm rebinds to new values.
        with mx.autograd.train_mode():
            return nd.BatchNorm(x, gamma, beta, stats[f"{name}.mean"], stats[f"{name}.var"],
                                eps=EPS, momentum=0.9, fix_gamma=False)

    def mean_hw(self, x: Any) -> Any:
        return nd.mean(x, axis=(2, 3))

    def cross_entropy(self, logits: Any, onehot: Any) -> Any:
        return -(nd.log_softmax(logits) * onehot).sum() / logits.shape[0]


class TorchOps:
    def conv(self, x: Any, w: Any, b: Any | None = None, stride: int = 1, pad: int = 0,
             groups: int = 1) -> Any:
        return F.conv2d(x, w, b, stride, pad, 1, groups)

    def relu(self, x: Any) -> Any:
        return torch.relu(x)

    def max_pool(self, x: Any, kernel: int, stride: int, pad: int = 0) -> Any:
        return F.max_pool2d(x, kernel, stride, pad)

    def dense(self, x: Any, w: Any, b: Any) -> Any:
        return F.linear(x.flatten(1), w, b)

    def batch_norm(self, x: Any, gamma: Any, beta: Any, stats: dict[str, Any], name: str
                   ) -> Any:
        # updates the running statistics in place (torch's momentum 0.1 is MXNet's 0.9)
        return F.batch_norm(x, stats[f"{name}.mean"], stats[f"{name}.var"], gamma, beta,
                            training=True, momentum=0.1, eps=EPS)

    def mean_hw(self, x: Any) -> Any:
        return x.mean((2, 3))

    def cross_entropy(self, logits: Any, onehot: Any) -> Any:
        return -(torch.log_softmax(logits, 1) * onehot).sum() / logits.shape[0]


class JaxOps:
    def conv(self, x: Any, w: Any, b: Any | None = None, stride: int = 1, pad: int = 0,
             groups: int = 1) -> Any:
        y = lax.conv_general_dilated(x, w, (stride, stride), [(pad, pad), (pad, pad)],
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"),
                                     feature_group_count=groups)
        return y if b is None else y + b[None, :, None, None]

    def relu(self, x: Any) -> Any:
        return jax.nn.relu(x)

    def max_pool(self, x: Any, kernel: int, stride: int, pad: int = 0) -> Any:
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, kernel, kernel),
                                 (1, 1, stride, stride), ((0, 0), (0, 0), (pad, pad), (pad, pad)))

    def dense(self, x: Any, w: Any, b: Any) -> Any:
        return x.reshape(x.shape[0], -1) @ w.T + b

    def batch_norm(self, x: Any, gamma: Any, beta: Any, stats: dict[str, Any], name: str
                   ) -> Any:
        # by hand, as the others compute it: batch mean and biased variance, and the new
        # running statistics written into `stats` (a copy the loss hands back)
        mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3))
        for key, batch in ((f"{name}.mean", mean), (f"{name}.var", var)):
            stats[key] = stats[key] * 0.9 + lax.stop_gradient(batch) * 0.1
        scale = lax.rsqrt(var + EPS) * gamma
        return (x - mean[:, None, None]) * scale[:, None, None] + beta[:, None, None]

    def mean_hw(self, x: Any) -> Any:
        return x.mean((2, 3))

    def cross_entropy(self, logits: Any, onehot: Any) -> Any:
        return -(jax.nn.log_softmax(logits) * onehot).sum() / logits.shape[0]


MX_OPS, TORCH_OPS, JAX_OPS = MxjitOps(), TorchOps(), JaxOps()


# ---- models: pure functions of (ops, params, running statistics, batch) ---------------------

Params = dict[str, np.ndarray]
Model = Callable[[Ops, dict[str, Any], dict[str, Any], Any], Any]


def small_cnn(ops: Ops, p: dict[str, Any], stats: dict[str, Any], x: Any) -> Any:
    h = ops.max_pool(ops.relu(ops.conv(x, p["c1.w"], p["c1.b"], pad=1)), 2, 2)
    h = ops.max_pool(ops.relu(ops.conv(h, p["c2.w"], p["c2.b"], pad=1)), 2, 2)
    h = ops.relu(ops.dense(h, p["f1.w"], p["f1.b"]))
    return ops.dense(h, p["f2.w"], p["f2.b"])


def lenet(ops: Ops, p: dict[str, Any], stats: dict[str, Any], x: Any) -> Any:
    h = ops.max_pool(ops.relu(ops.conv(x, p["c1.w"], p["c1.b"])), 2, 2)
    h = ops.max_pool(ops.relu(ops.conv(h, p["c2.w"], p["c2.b"])), 2, 2)
    h = ops.relu(ops.dense(h, p["f1.w"], p["f1.b"]))
    return ops.dense(h, p["f2.w"], p["f2.b"])


def _conv_bn(ops: Ops, p: dict[str, Any], stats: dict[str, Any], x: Any, name: str,
             stride: int, pad: int) -> Any:
    y = ops.conv(x, p[f"{name}.w"], None, stride, pad)
    return ops.batch_norm(y, p[f"{name}.gamma"], p[f"{name}.beta"], stats, name)


def _basic_block(ops: Ops, p: dict[str, Any], stats: dict[str, Any], x: Any, name: str,
                 stride: int) -> Any:
    out = ops.relu(_conv_bn(ops, p, stats, x, f"{name}.a", stride, 1))
    out = _conv_bn(ops, p, stats, out, f"{name}.b", 1, 1)
    short = _conv_bn(ops, p, stats, x, f"{name}.down", stride, 0) if f"{name}.down.w" in p else x
    return ops.relu(out + short)


RESNET_STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))


def resnet18(ops: Ops, p: dict[str, Any], stats: dict[str, Any], x: Any) -> Any:
    h = ops.relu(_conv_bn(ops, p, stats, x, "stem", 2, 3))
    h = ops.max_pool(h, 3, 2, 1)
    for s, (_, stride) in enumerate(RESNET_STAGES):
        h = _basic_block(ops, p, stats, h, f"s{s}.0", stride)
        h = _basic_block(ops, p, stats, h, f"s{s}.1", 1)
    return ops.dense(ops.mean_hw(h), p["fc.w"], p["fc.b"])


def _conv_param(rng: np.random.Generator, k: int, c: int, kernel: int) -> np.ndarray:
    return (rng.standard_normal((k, c, kernel, kernel)) * np.sqrt(2 / (c * kernel ** 2))
            ).astype(np.float32)


def _dense_params(rng: np.random.Generator, p: Params, name: str, out: int, fan_in: int
                  ) -> None:
    p[f"{name}.w"] = (rng.standard_normal((out, fan_in)) * np.sqrt(2 / fan_in)).astype(
        np.float32)
    p[f"{name}.b"] = np.full(out, 0.01, np.float32)


def plain_cnn_params(rng: np.random.Generator, channels: tuple[int, int], kernel: int,
                     flat: int, hidden: int) -> tuple[Params, Params]:
    """Two biased convolutions and two dense layers (the small CNN and LeNet)."""
    p: Params = {}
    for name, (c, k) in (("c1", (1, channels[0])), ("c2", channels)):
        p[f"{name}.w"] = _conv_param(rng, k, c, kernel)
        p[f"{name}.b"] = np.full(k, 0.01, np.float32)
    _dense_params(rng, p, "f1", hidden, flat)
    _dense_params(rng, p, "f2", 10, hidden)
    return p, {}


def resnet18_params(rng: np.random.Generator) -> tuple[Params, Params]:
    p: Params = {}
    stats: Params = {}

    def conv_bn(name: str, k: int, c: int, kernel: int) -> None:
        p[f"{name}.w"] = _conv_param(rng, k, c, kernel)
        p[f"{name}.gamma"] = np.ones(k, np.float32)
        p[f"{name}.beta"] = np.zeros(k, np.float32)
        stats[f"{name}.mean"] = np.zeros(k, np.float32)
        stats[f"{name}.var"] = np.ones(k, np.float32)

    conv_bn("stem", 64, 3, 7)
    c = 64
    for s, (k, stride) in enumerate(RESNET_STAGES):
        for b in range(2):
            name, c_in = f"s{s}.{b}", (c if b == 0 else k)
            conv_bn(f"{name}.a", k, c_in, 3)
            conv_bn(f"{name}.b", k, k, 3)
            if b == 0 and (stride != 1 or c_in != k):
                conv_bn(f"{name}.down", k, c_in, 1)
        c = k
    _dense_params(rng, p, "fc", 10, 512)
    return p, stats


@dataclass(frozen=True)
class Step:
    name: str
    model: Model
    init: Callable[[np.random.Generator], tuple[Params, Params]]
    batch: tuple[int, int, int, int]
    tol: float  # relative error (see relative_error) of loss and gradients allowed vs torch


STEPS = [
    Step("step small CNN b64 1x28x28", small_cnn,
         lambda rng: plain_cnn_params(rng, (16, 32), 3, 32 * 7 * 7, 128), (64, 1, 28, 28), 1e-3),
    Step("step LeNet b64 1x28x28", lenet,
         lambda rng: plain_cnn_params(rng, (20, 50), 5, 50 * 4 * 4, 500), (64, 1, 28, 28), 1e-3),
    # ResNet-18 in float32 is sensitive: with these parameters jax and mxjit (which agree
    # with each other to ~1e-5) both put one BatchNorm beta gradient ~1e-2 away from PyTorch,
    # and come within 1e-6 of it once the first convolutions run in float64 (rounding that
    # builds up through 10 layers flips a ReLU somewhere, it seems)
    Step("step ResNet-18 b16 3x64x64", resnet18, resnet18_params, (16, 3, 64, 64), 3e-2),
]


def step_loss(model: Model, ops: Ops) -> Callable[..., tuple[Any, dict[str, Any]]]:
    """(params, stats, x, onehot) -> (loss, new running statistics)."""
    def loss(params: dict[str, Any], stats: dict[str, Any], x: Any, onehot: Any
             ) -> tuple[Any, dict[str, Any]]:
        stats = dict(stats)  # the ops write new statistics here (jax), or rebind them (mxjit)
        return ops.cross_entropy(model(ops, params, stats, x), onehot), stats
    return loss


# ---- one library's way to compute one workload ----------------------------------------------

class Timed(Protocol):
    def outputs(self) -> list[np.ndarray]: ...
    def timed_ms(self) -> float: ...


@dataclass
class Case:
    """`run` computes the workload and returns its outputs, the checked ones first (loss,
    then gradients; forward: the result); `block` waits until one is computed; `before`
    does what must not be timed (torch's thread count)."""
    run: Callable[[], Sequence[Any]]
    block: Callable[[Any], object]
    to_numpy: Callable[[Any], np.ndarray]
    before: Callable[[], object] = field(default=lambda: None)

    def outputs(self) -> list[np.ndarray]:
        self.before()
        return [np.asarray(self.to_numpy(o)) for o in self.run()]

    def _once(self) -> None:
        for out in self.run():
            self.block(out)

    def timed_ms(self) -> float:
        self.before()
        return median_ms(self._once, repeat=1, warmup=0)  # one call; the rounds give the median


def mxjit_case(run: Callable[[], Sequence[Any]]) -> Case:
    # mxjit computes on the CPU synchronously: wait_to_read only makes that explicit
    return Case(run, lambda a: a.wait_to_read(), lambda a: a.asnumpy())


def torch_case(run: Callable[[], Sequence[Any]], threads: int) -> Case:
    return Case(run, lambda a: None, lambda a: a.detach().numpy(),
                lambda: torch.set_num_threads(threads))


def jax_case(run: Callable[[], Sequence[Any]]) -> Case:
    return Case(run, lambda a: a.block_until_ready(), np.asarray)


Pair = tuple[Timed, Timed]  # (forward, forward+backward)


def mxjit_layer_cases(layer: Layer, args: list[np.ndarray], gy: np.ndarray) -> dict[str, Pair]:
    xs, mgy = [nd.array(a) for a in args], nd.array(gy)

    def loss(*a: Any) -> Any:  # a: inputs..., gy (an argument: a captured array is a constant)
        return (layer.apply(MX_OPS, *a[:-1]) * a[-1]).sum()

    fwd = mx.jit(lambda *a: layer.apply(MX_OPS, *a))
    fwdbwd = mx.jit(mx.value_and_grad(loss, argnums=tuple(range(len(xs)))))

    def jit_fwdbwd() -> list[Any]:
        value, grads = fwdbwd(*xs, mgy)
        return [value, *grads]

    eager_xs = [nd.array(a) for a in args]
    for a in eager_xs:
        a.attach_grad()

    def eager_fwdbwd() -> list[Any]:
        with mx.autograd.record():
            value = loss(*eager_xs, mgy)
        value.backward()
        return [value, *(a.grad for a in eager_xs)]

    return {"mxjit jit": (mxjit_case(lambda: [fwd(*xs)]), mxjit_case(jit_fwdbwd)),
            "mxjit eager": (mxjit_case(lambda: [layer.apply(MX_OPS, *xs)]),
                            mxjit_case(eager_fwdbwd))}


def torch_layer_cases(layer: Layer, args: list[np.ndarray], gy: np.ndarray,
                      threads: Sequence[int] = TORCH_THREADS) -> dict[str, Pair]:
    ts = [torch.tensor(a, requires_grad=True) for a in args]
    tgy = torch.from_numpy(gy)

    def fwd() -> list[Any]:
        with torch.no_grad():  # inference: no autograd graph is kept
            return [layer.apply(TORCH_OPS, *ts)]

    def fwdbwd() -> list[Any]:
        value = (layer.apply(TORCH_OPS, *ts) * tgy).sum()
        return [value, *torch.autograd.grad(value, ts)]

    return {f"torch {n}t": (torch_case(fwd, n), torch_case(fwdbwd, n)) for n in threads}


def jax_layer_cases(layer: Layer, args: list[np.ndarray], gy: np.ndarray) -> dict[str, Pair]:
    xs, jgy = [jnp.asarray(a) for a in args], jnp.asarray(gy)

    def loss(*a: Any) -> Any:
        return (layer.apply(JAX_OPS, *a[:-1]) * a[-1]).sum()

    fwd = jax.jit(lambda *a: layer.apply(JAX_OPS, *a))
    fwdbwd = jax.jit(jax.value_and_grad(loss, argnums=tuple(range(len(xs)))))

    def jax_fwdbwd() -> list[Any]:
        value, grads = fwdbwd(*xs, jgy)
        return [value, *grads]

    return {"jax.jit": (jax_case(lambda: [fwd(*xs)]), jax_case(jax_fwdbwd))}


def mxjit_step_cases(step: Step, params: Params, stats: Params, x: np.ndarray,
                     onehot: np.ndarray) -> dict[str, Timed]:
    loss = step_loss(step.model, MX_OPS)
    mp = {k: nd.array(v) for k, v in params.items()}
    ms = {k: nd.array(v) for k, v in stats.items()}
    mx_x, mx_y = nd.array(x), nd.array(onehot)

    @mx.jit
    def jit_step(p: dict[str, Any], s: dict[str, Any], x: Any, y: Any) -> tuple:
        (value, new_stats), grads = mx.value_and_grad(loss, has_aux=True)(p, s, x, y)
        return value, grads, new_stats

    def run_jit() -> list[Any]:
        value, grads, new_stats = jit_step(mp, ms, mx_x, mx_y)
        return [value, *(grads[k] for k in params), *new_stats.values()]

    ep = {k: nd.array(v) for k, v in params.items()}
    es = {k: nd.array(v) for k, v in stats.items()}  # updated in place by each backward
    for a in ep.values():
        a.attach_grad()

    def run_eager() -> list[Any]:
        with mx.autograd.record():
            value, _ = loss(ep, es, mx_x, mx_y)
        value.backward()
        return [value, *(ep[k].grad for k in params)]

    return {"mxjit jit": mxjit_case(run_jit), "mxjit eager": mxjit_case(run_eager)}


def torch_step_cases(step: Step, params: Params, stats: Params, x: np.ndarray,
                     onehot: np.ndarray, threads: Sequence[int] = TORCH_THREADS
                     ) -> dict[str, Timed]:
    loss = step_loss(step.model, TORCH_OPS)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    ts = {k: torch.tensor(v) for k, v in stats.items()}  # updated in place by batch_norm
    tx, ty = torch.from_numpy(x), torch.from_numpy(onehot)

    def run() -> list[Any]:
        value, _ = loss(tp, ts, tx, ty)
        return [value, *torch.autograd.grad(value, list(tp.values()))]

    return {f"torch {n}t": torch_case(run, n) for n in threads}


def jax_step_cases(step: Step, params: Params, stats: Params, x: np.ndarray,
                   onehot: np.ndarray) -> dict[str, Timed]:
    loss = step_loss(step.model, JAX_OPS)
    jp = {k: jnp.asarray(v) for k, v in params.items()}
    js = {k: jnp.asarray(v) for k, v in stats.items()}
    jx, jy = jnp.asarray(x), jnp.asarray(onehot)
    jit_step = jax.jit(jax.value_and_grad(loss, has_aux=True))

    def run() -> list[Any]:
        (value, new_stats), grads = jit_step(jp, js, jx, jy)
        return [value, *(grads[k] for k in params), *new_stats.values()]

    return {"jax.jit": jax_case(run)}


def step_flops(step: Step, params: Params, stats: Params, x: np.ndarray,
               onehot: np.ndarray) -> float | None:
    """FLOPs of one step as PyTorch counts them (convolutions and matrix products, forward
    and backward: no data gradient for the first layer, whose input needs none)."""
    if torch is None:
        return None
    from torch.utils.flop_counter import FlopCounterMode

    case = torch_step_cases(step, params, stats, x, onehot)["torch 2t"]
    with FlopCounterMode(display=False) as counter:
        case.outputs()
    return float(counter.get_total_flops())


# ---- MXNet 1.9.1, in its own interpreter ----------------------------------------------------

# Python 3.8 and numpy 1.23: keep it plain. One request (a JSON line) in, one reply out:
# "setup" loads a layer's arrays from .npy files, "outputs" saves a run's outputs next to
# them, "time" runs once and replies with the call's own wall time (IPC not included).
MXNET_SERVER = r'''
import json, sys, time, traceback
import numpy as np
import mxnet as mx
from mxnet import autograd, nd


def build(spec):
    d = spec["dir"]
    args = [nd.array(np.load(d + "/x.npy"))]
    gy = nd.array(np.load(d + "/gy.npy"))
    k, s, p = (spec["kernel"],) * 2, (spec["stride"],) * 2, (spec["pad"],) * 2
    if spec["kind"] == "pool":
        def layer(x):
            return nd.Pooling(x, kernel=k, stride=s, pad=p, pool_type="max")
    else:
        args.append(nd.array(np.load(d + "/w.npy")))

        def layer(x, w):
            return nd.Convolution(x, w, kernel=k, stride=s, pad=p, num_filter=spec["k"],
                                  num_group=spec["groups"], no_bias=True)
    for a in args:
        a.attach_grad()

    def fwd():
        y = layer(*args)
        y.wait_to_read()
        return [y]

    def fwdbwd():
        with autograd.record():
            value = (layer(*args) * gy).sum()
        value.backward()
        nd.waitall()
        return [value] + [a.grad for a in args]

    return {"fwd": fwd, "fwdbwd": fwdbwd}


def main():
    print(json.dumps({"version": mx.__version__, "numpy": np.__version__,
                      "mkldnn": mx.runtime.Features().is_enabled("MKLDNN")}), flush=True)
    cases = {}
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["op"] == "setup":
                cases = build(msg)
                reply = {}
            elif msg["op"] == "outputs":
                files = []
                for i, out in enumerate(cases[msg["mode"]]()):
                    files.append("%s/mxnet-%s-%d.npy" % (msg["dir"], msg["mode"], i))
                    np.save(files[-1], out.asnumpy())
                reply = {"files": files}
            else:
                t0 = time.perf_counter()
                cases[msg["mode"]]()
                reply = {"ms": (time.perf_counter() - t0) * 1e3}
        except Exception:
            reply = {"error": traceback.format_exc()}
        print(json.dumps(reply), flush=True)


main()
'''


class MxnetServer:
    """The MXNet interpreter, kept running so its calls can be interleaved with ours."""

    def __init__(self, python: str, log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # (ours is 3.10+)
        self._log = open(log, "w")
        self._proc = subprocess.Popen([python, "-c", MXNET_SERVER], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._log, text=True,
                                      env=env)
        self.info = self._read()

    def _read(self) -> dict[str, Any]:
        line = self._proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            self._log.flush()
            tail = Path(self._log.name).read_text()[-2000:]
            raise RuntimeError(f"the MXNet server stopped; its stderr ends:\n{tail}")
        return json.loads(line)

    def ask(self, **msg: Any) -> dict[str, Any]:
        self._proc.stdin.write(json.dumps(msg) + "\n")  # type: ignore[union-attr]
        self._proc.stdin.flush()  # type: ignore[union-attr]
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply

    def close(self) -> None:
        self._proc.stdin.close()  # type: ignore[union-attr]
        self._proc.wait(timeout=30)
        self._log.close()


@dataclass
class MxnetCase:
    server: MxnetServer
    mode: str  # "fwd" or "fwdbwd"
    folder: str

    def outputs(self) -> list[np.ndarray]:
        files = self.server.ask(op="outputs", mode=self.mode, dir=self.folder)["files"]
        return [np.load(f) for f in files]

    def timed_ms(self) -> float:
        return float(self.server.ask(op="time", mode=self.mode)["ms"])


def mxnet_layer_cases(server: MxnetServer, layer: Layer, args: list[np.ndarray],
                      gy: np.ndarray, folder: Path) -> dict[str, Pair]:
    for name, a in zip(("x", "w"), args):
        np.save(folder / f"{name}.npy", a)
    np.save(folder / "gy.npy", gy)
    server.ask(op="setup", dir=str(folder), kind=layer.kind, kernel=layer.kernel,
               stride=layer.stride, pad=layer.pad, k=layer.k, groups=layer.groups)
    return {mxnet_column(server): (MxnetCase(server, "fwd", str(folder)),
                                   MxnetCase(server, "fwdbwd", str(folder)))}


def mxnet_column(server: MxnetServer | None) -> str:
    return f"mxnet {server.info['version']}" if server is not None else "mxnet"


# ---- checks and timing ----------------------------------------------------------------------

def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """||got - want|| / ||want|| over the whole array. Not elementwise: sums of many products
    that cancel to near zero have large relative errors in float32."""
    got, want = np.ravel(got).astype(np.float64), np.ravel(want).astype(np.float64)
    if got.shape != want.shape:
        return float("inf")
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))


def checked(row: str, cases: dict[str, Timed], reference: list[np.ndarray], names: list[str],
            tol: float) -> dict[str, Timed]:
    """The cases that ran; each one's first outputs are compared with `reference` (a
    mismatch is reported, and the case is timed anyway; an error drops it)."""
    kept = {}
    for column, case in cases.items():
        try:
            outs = case.outputs()
        except Exception as exc:
            print(f"ERROR {row} / {column}: {type(exc).__name__}: {exc}".splitlines()[0],
                  flush=True)
            traceback.print_exc(file=sys.stderr)
            continue
        kept[column] = case
        errors = [(n, relative_error(g, w)) for n, g, w in zip(names, outs, reference)]
        bad = [f"{n} {e:.1e}" for n, e in errors if not e <= tol]
        if bad:
            print(f"CHECK FAILED {row} / {column}: relative error > {tol:g} in "
                  + ", ".join(bad), flush=True)
    return kept


def interleaved_medians_ms(cases: dict[str, Timed], rounds: int) -> dict[str, float]:
    """Median time (ms) of each case over `rounds` rounds that run every case once in a
    shuffled order: on a shared machine the load changes from second to second, and this
    spreads it over the cases evenly (a block of runs of one case would not)."""
    rng = random.Random(0)
    for case in cases.values():
        case.timed_ms()  # warm-up (outputs() already ran once: compilation is done)
    times: dict[str, list[float]] = {k: [] for k in cases}
    order = list(cases)
    for _ in range(rounds):
        rng.shuffle(order)
        for k in order:
            times[k].append(cases[k].timed_ms())
    return {k: statistics.median(v) for k, v in times.items()}


def layer_cases(library: str, layer: Layer, args: list[np.ndarray], gy: np.ndarray
                ) -> dict[str, Pair]:
    """The (forward, forward+backward) cases of one library for one layer."""
    if library == "mxjit":
        return mxjit_layer_cases(layer, args, gy)
    if library.startswith("torch"):
        return torch_layer_cases(layer, args, gy, (int(library[5:]),))
    return jax_layer_cases(layer, args, gy)


def step_cases(library: str, step: Step, params: Params, stats: Params, x: np.ndarray,
               onehot: np.ndarray) -> dict[str, Timed]:
    if library == "mxjit":
        return mxjit_step_cases(step, params, stats, x, onehot)
    if library.startswith("torch"):
        return torch_step_cases(step, params, stats, x, onehot, (int(library[5:]),))
    return jax_step_cases(step, params, stats, x, onehot)


def step_inputs(step: Step) -> tuple[Params, Params, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    params, stats = step.init(rng)
    x = rng.standard_normal(step.batch, np.float32)
    onehot = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=step.batch[0])]
    return params, stats, x, onehot


LAYER_OUTPUTS = {0: ["y"], 1: ["loss", "dx", "dw"]}


def timed_cases(row: str, build: Callable[[], dict[str, Timed]], reference: list[np.ndarray],
                names: list[str], tol: float, rounds: int) -> dict[str, float]:
    """Build, check and time one library's cases of a row; {} when building fails."""
    try:
        cases = build()
    except Exception as exc:
        print(f"ERROR {row}: {type(exc).__name__}: {exc}".splitlines()[0], flush=True)
        return {}
    cases = checked(row, cases, reference, names, tol)
    return interleaved_medians_ms(cases, rounds)


def measure(library: str, layers: list[Layer], steps: list[Step], rounds: int, refs: Path
            ) -> dict[str, dict[str, float]]:
    """One library's medians, {row: {column: ms}}, each output checked against the
    reference the parent saved under `refs`."""
    ms: dict[str, dict[str, float]] = {}
    for i, layer in enumerate(layers):
        args, gy = layer.arrays(np.random.default_rng(0))
        built: dict[str, Pair] = {}
        for mode, label in enumerate(("fwd", "fwd+bwd")):
            row = f"{layer.name} {label}"

            def build(mode: int = mode) -> dict[str, Timed]:
                if not built:
                    built.update(layer_cases(library, layer, args, gy))
                return {k: p[mode] for k, p in built.items()}

            reference = list(np.load(refs / f"layer{i}-{mode}.npz").values())
            ms[row] = timed_cases(row, build, reference, LAYER_OUTPUTS[mode], 1e-3, rounds)
    for i, step in enumerate(steps):
        inputs = step_inputs(step)
        names = ["loss", *(f"d{k}" for k in inputs[0])]
        reference = list(np.load(refs / f"step{i}.npz").values())
        ms[step.name] = timed_cases(step.name, lambda: step_cases(library, step, *inputs),
                                    reference, names, step.tol, rounds)
    return ms


def save_references(layers: list[Layer], steps: list[Step], refs: Path) -> None:
    """What every library's outputs are checked against: PyTorch in float64 for the layers,
    PyTorch float32 from the same parameters and batch for the steps (their float32
    rounding flips ReLUs that float64 would not)."""
    for i, layer in enumerate(layers):
        args, gy = layer.arrays(np.random.default_rng(0))
        wide = [a.astype(np.float64) for a in args]
        pair = torch_layer_cases(layer, wide, gy.astype(np.float64), (2,))["torch 2t"]
        for mode, case in enumerate(pair):
            np.savez(refs / f"layer{i}-{mode}.npz", *case.outputs())
    for i, step in enumerate(steps):
        case = torch_step_cases(step, *step_inputs(step), (2,))["torch 2t"]
        np.savez(refs / f"step{i}.npz", *case.outputs())


def child_medians(library: str, opts: argparse.Namespace, refs: Path
                  ) -> dict[str, dict[str, float]]:
    """`measure` in a new interpreter: PyTorch's and XLA's threads keep spinning after their
    calls and would slow whatever runs next in the same process."""
    print(f"timing {library}", file=sys.stderr, flush=True)
    return in_child(__file__, library, "--refs", str(refs), "--only", opts.only,
                    *["--quick"] * opts.quick)


def mxnet_medians(layers: list[Layer], rounds: int, log: Path, folder: Path
                  ) -> tuple[dict[str, dict[str, float]], str]:
    """MXNet's layer medians (its server times each call itself), and its column name, or
    why it did not run."""
    server, note = start_mxnet(bool(layers), log)
    if server is None:
        return {}, f"mxnet: not run ({note})"
    ms: dict[str, dict[str, float]] = {}
    try:
        for i, layer in enumerate(layers):
            args, gy = layer.arrays(np.random.default_rng(0))
            pair = next(iter(mxnet_layer_cases(server, layer, args, gy, folder).values()))
            for mode, label in enumerate(("fwd", "fwd+bwd")):
                row = f"{layer.name} {label}"
                reference = list(np.load(folder / f"layer{i}-{mode}.npz").values())
                cases = checked(row, {mxnet_column(server): pair[mode]}, reference,
                                LAYER_OUTPUTS[mode], 1e-3)
                ms[row] = interleaved_medians_ms(cases, rounds)
    finally:
        server.close()
    info = server.info
    return ms, (f"mxnet {info['version']} (numpy {info['numpy']}, "
                f"MKLDNN {'on' if info['mkldnn'] else 'off'})")


@dataclass
class Result:
    name: str
    flops: float | None
    ms: dict[str, float]


# ---- report ---------------------------------------------------------------------------------

def rates_table(results: list[Result], peers: list[str]) -> str:
    """GFLOP/s of mxjit jit and of the fastest peer, and mxjit's time over the peer's."""
    rows = []
    for r in results:
        timed = [(r.ms[c], c) for c in peers if c in r.ms]
        best_ms, best = min(timed) if timed else (None, "-")
        jit_ms = r.ms.get("mxjit jit")
        rows.append((f"{r.name} (best peer: {best})", {
            "mxjit GFLOP/s": gflops(r.flops, jit_ms),
            "best peer GFLOP/s": gflops(r.flops, best_ms),
            "mxjit ms / peer ms": jit_ms / best_ms if jit_ms and best_ms else None}))
    return table("GFLOP/s of mxjit jit and of the fastest peer (higher is better), time ratio "
                 "(lower is better, 1.00: as fast)",
                 ["mxjit GFLOP/s", "best peer GFLOP/s", "mxjit ms / peer ms"], rows)


def gflops(flops: float | None, ms: float | None) -> float | None:
    return flops / ms / 1e6 if flops and ms else None


def header(mxnet: str, rounds: int) -> list[str]:
    git = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "describe",
                          "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    libs = [f"numpy {np.__version__}", f"mxjit {mx.__version__} ({git or 'no git'})"]
    libs += [f"torch {torch.__version__}"] if torch else []
    libs += [f"jax {jax.__version__}"] if jax else []
    env = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                      "MKL_NUM_THREADS", "XLA_FLAGS") if k in os.environ}
    from mxjit.lower import program
    threads = [f"mxjit kernel pool {program.THREADS}",
               "torch " + "/".join(map(str, TORCH_THREADS))
               + (f" (default {DEFAULT_TORCH_THREADS})" if torch else "")]
    return [f"# conv benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f}",
            "versions: " + ", ".join(libs + [mxnet]),
            "threads: " + ", ".join(threads) + f"; environment: {env or 'nothing set'}",
            f"medians of {rounds} rounds; each library in a process of its own"]


def start_mxnet(wanted: bool, log: Path) -> tuple[MxnetServer | None, str]:
    """The MXNet server, or None and why not."""
    if not wanted:
        return None, "no layer rows selected"
    if not os.path.exists(MXNET_PYTHON):
        return None, f"{MXNET_PYTHON} not found"
    try:
        return MxnetServer(MXNET_PYTHON, log), ""
    except Exception as exc:
        return None, f"it failed to start: {exc}"


CHILD_LIBRARIES = ["mxjit", *(f"torch{n}" for n in TORCH_THREADS), "jax"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 timed rounds instead of 11")
    parser.add_argument("--only", default="", help="rows whose name contains this")
    parser.add_argument("--library", choices=CHILD_LIBRARIES, help=argparse.SUPPRESS)
    parser.add_argument("--refs", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    rounds = 3 if opts.quick else 11
    layers = [la for la in LAYERS if opts.only in la.name]
    steps = [s for s in STEPS if opts.only in s.name]
    if opts.library:  # a child: one library's medians as JSON on the last line
        print(json.dumps(measure(opts.library, layers, steps, rounds, Path(opts.refs))))
        return
    if torch is None:
        sys.exit("the references are computed with PyTorch: install torch==2.13.0")
    with tempfile.TemporaryDirectory(prefix="mxjit-conv-bench-") as tmp:
        refs = Path(tmp)
        save_references(layers, steps, refs)
        start = header("", rounds)[0]
        libraries = [lib for lib in CHILD_LIBRARIES if lib != "jax" or jax is not None]
        medians = [child_medians(lib, opts, refs) for lib in libraries]
        mxnet, mxnet_text = mxnet_medians(layers, rounds, refs / "mxnet.log", refs)
    medians.append(mxnet)
    print(start)
    print("\n".join(header(mxnet_text, rounds)[1:]))
    print()
    ms = {row: {k: v for m in medians for k, v in m.get(row, {}).items()}
          for row in [f"{la.name} {label}" for la in layers for label in ("fwd", "fwd+bwd")]
          + [s.name for s in steps]}
    peers = [f"torch {n}t" for n in TORCH_THREADS] + ["jax.jit"]
    peers += sorted({c for m in mxnet.values() for c in m})
    columns = MXJIT_COLUMNS + peers
    if layers:
        for label, title in (("fwd", "Layers, forward (ms)"),
                             ("fwd+bwd", "Layers, forward+backward (ms)")):
            print(table(title, columns, [(f"{la.name} {label}", ms[f"{la.name} {label}"])
                                         for la in layers]))
            print()
    if steps:
        print(table("Training steps: loss, gradients, BatchNorm statistics (ms)",
                    [c for c in columns if not c.startswith("mxnet")],
                    [(s.name, ms[s.name]) for s in steps]))
        print()
    results = [Result(f"{la.name} {label}",
                      None if la.forward_flops() is None else la.forward_flops() * (1 + 2 * mode),
                      ms[f"{la.name} {label}"])
               for la in layers for mode, label in enumerate(("fwd", "fwd+bwd"))]
    results += [Result(s.name, step_flops(s, *step_inputs(s)), ms[s.name]) for s in steps]
    if results:
        print(rates_table(results, peers))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (1, 5, 15 min: "
          + ", ".join(f"{v:.1f}" for v in os.getloadavg()) + ")")


if __name__ == "__main__":
    main()
