"""GPU benchmark: mxjit's CUDA kernels beside PyTorch (when importable), one table at the end.

Workloads (float32):
  chain     relu(a*b+c)*sigmoid(d)+tanh(a) over 64M elements (one fused kernel; GB/s counts
            the 4 inputs read and the output written)
  softmax   softmax over the rows of (8192, 4096) (GB/s: read once, written once)
  rowsum    sum over the rows of (8192, 4096) (GB/s: read once)
  sum       a full sum of 64M elements (two-stage reduction)
  matmul    (4096, 4096) @ (4096, 4096) through cuBLAS (TFLOP/s)
  eager     one tiny eager op, x + y on 4 elements (us per call, dispatch included)

Each time is the median of timed runs after warm-up (the first call compiles), each run
synchronised with the device. Run: python benchmarks/gpu/bench_gpu.py [--quick]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import mxjit as mx  # noqa: E402
from mxjit.lower import cuda_runtime as rt  # noqa: E402

nd = mx.nd


def median_s(fn: Callable[[], object], sync: Callable[[], None], repeat: int,
             inner: int = 1) -> float:
    """Median seconds per call of `fn` (calls `inner` times between synchronisations)."""
    fn()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def try_torch() -> object | None:
    try:
        import torch
    except Exception:  # noqa: BLE001
        return None
    return torch if torch.cuda.is_available() else None


Row = tuple[str, str, float, "float | None"]  # workload, unit, mxjit, torch


class Bench:
    """Shared state of the workloads: the device, torch (or None), sizes, repeats."""

    def __init__(self, quick: bool):
        self.dev = rt.device(0)
        self.torch: Any = try_torch()
        self.n = (1 << 22) if quick else (1 << 26)
        self.rows, self.cols = (1024, 4096) if quick else (8192, 4096)
        self.size = 1024 if quick else 4096
        self.repeat = 3 if quick else 20
        self.rng = np.random.default_rng(0)

    def time(self, fn: Callable[[], object], repeat: int | None = None, inner: int = 1) -> float:
        return median_s(fn, self.dev.synchronize, repeat or self.repeat, inner)

    def time_torch(self, fn: Callable[[], object], repeat: int | None = None,
                   inner: int = 1) -> float | None:
        if self.torch is None:
            return None
        return median_s(fn, self.torch.cuda.synchronize, repeat or self.repeat, inner)

    def cuda(self, a: np.ndarray) -> Any:
        return self.torch.from_numpy(a).cuda()


def gpu(a: np.ndarray) -> nd.NDArray:
    return nd.array(a, ctx=mx.gpu(0), dtype=a.dtype)


def per(amount: float, seconds: float | None) -> float | None:
    return amount / seconds if seconds else None


def chain(b: Bench) -> list[Row]:
    host = [b.rng.standard_normal(b.n).astype(np.float32) for _ in range(4)]
    args = [gpu(h) for h in host]
    f = mx.jit(lambda a, b, c, d: nd.relu(a * b + c) * nd.sigmoid(d) + nd.tanh(a))
    ref = (np.maximum(host[0] * host[1] + host[2], 0) / (1 + np.exp(-host[3]))
           + np.tanh(host[0]))
    np.testing.assert_allclose(f(*args).asnumpy()[:100000], ref[:100000], rtol=1e-4, atol=1e-5)
    t = b.time(lambda: f(*args))
    tt = None
    if b.torch is not None:
        ta, tb, tc, td = (b.cuda(h) for h in host)
        torch = b.torch
        tt = b.time_torch(lambda: torch.relu(ta * tb + tc) * torch.sigmoid(td) + torch.tanh(ta))
    gb = 5 * b.n * 4 / 1e9
    return [(f"chain relu(a*b+c)*sigmoid(d)+tanh(a), {b.n >> 20}M f32", "GB/s", gb / t,
             per(gb, tt))]


def rows(b: Bench) -> list[Row]:
    xh = b.rng.standard_normal((b.rows, b.cols)).astype(np.float32)
    x = gpu(xh)
    softmax = mx.jit(lambda v: nd.softmax(v))
    want = np.exp(xh[:4]) / np.exp(xh[:4]).sum(1, keepdims=True)
    np.testing.assert_allclose(softmax(x).asnumpy()[:4], want, rtol=1e-4, atol=1e-7)
    rowsum = mx.jit(lambda v: v.sum(axis=1))
    np.testing.assert_allclose(rowsum(x).asnumpy(), xh.sum(1), rtol=1e-4, atol=1e-3)
    t_soft, t_rows = b.time(lambda: softmax(x)), b.time(lambda: rowsum(x))
    tt_soft = tt_rows = None
    if b.torch is not None:
        tx, torch = b.cuda(xh), b.torch
        tt_soft = b.time_torch(lambda: torch.softmax(tx, dim=1))
        tt_rows = b.time_torch(lambda: tx.sum(1))
    gb = b.rows * b.cols * 4 / 1e9
    return [(f"softmax over rows ({b.rows}, {b.cols})", "GB/s", 2 * gb / t_soft,
             per(2 * gb, tt_soft)),
            (f"sum over rows ({b.rows}, {b.cols})", "GB/s", gb / t_rows, per(gb, tt_rows))]


def full_sum(b: Bench) -> list[Row]:
    vh = b.rng.standard_normal(b.n).astype(np.float32)
    v = gpu(vh)
    total = mx.jit(lambda v: v.sum())
    np.testing.assert_allclose(float(total(v).asnumpy().reshape(-1)[0]),
                               float(vh.astype(np.float64).sum()), rtol=1e-3, atol=1.0)
    t = b.time(lambda: total(v))
    tt = None
    if b.torch is not None:
        tv = b.cuda(vh)
        tt = b.time_torch(lambda: tv.sum())
    gb = b.n * 4 / 1e9
    return [(f"full sum, {b.n >> 20}M f32", "GB/s", gb / t, per(gb, tt))]


def matmul(b: Bench) -> list[Row]:
    mh = b.rng.standard_normal((b.size, b.size)).astype(np.float32)
    m1, m2 = gpu(mh), gpu(mh.T.copy())
    np.testing.assert_allclose(nd.dot(m1, m2).asnumpy()[:8, :8], mh[:8] @ mh.T[:, :8],
                               rtol=1e-3, atol=1e-2)
    repeat = max(3, b.repeat // 2)
    t = b.time(lambda: nd.dot(m1, m2), repeat)
    tt = None
    if b.torch is not None:
        t1, t2 = b.cuda(mh), b.cuda(mh.T.copy())
        tt = b.time_torch(lambda: t1 @ t2, repeat)
    tf = 2 * b.size ** 3 / 1e12
    return [(f"matmul {b.size} f32 (cuBLAS)", "TFLOP/s", tf / t, per(tf, tt))]


def eager(b: Bench) -> list[Row]:
    s1, s2 = gpu(np.ones(4, np.float32)), gpu(np.ones(4, np.float32))
    np.testing.assert_array_equal((s1 + s2).asnumpy(), 2)
    t = b.time(lambda: s1 + s2, inner=200)
    tt = None
    if b.torch is not None:
        u1, u2 = b.torch.ones(4, device="cuda"), b.torch.ones(4, device="cuda")
        tt = b.time_torch(lambda: u1 + u2, inner=200)
    return [("eager x + y, 4 elements", "us/call", t * 1e6, tt * 1e6 if tt else None)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    args = parser.parse_args()
    if mx.context.num_gpus() == 0:
        print(f"no GPU: {rt.unavailable_reason()}")
        sys.exit(1)
    b = Bench(args.quick)
    results: list[Row] = []
    for workload in (chain, rows, full_sum, matmul, eager):
        try:
            results += workload(b)
        except Exception as e:  # noqa: BLE001  (report it in the table, go on)
            message = " ".join(f"{type(e).__name__}: {e}".split())[:150]
            results.append((f"{workload.__name__}: FAILED {message}", "-",
                            float("nan"), None))
    dev = b.dev
    print()
    print(f"### mxjit GPU benchmark: {dev.driver.name(0)} ({dev.arch}, "
          f"{dev.props.multiprocessors} SMs), torch {'present' if b.torch else 'absent'}")
    print()
    print("| workload | unit | mxjit | torch |")
    print("|---|---|---|---|")
    for name, unit, ours, theirs in results:
        shown = f"{theirs:.1f}" if theirs is not None else "-"
        print(f"| {name} | {unit} | {ours:.1f} | {shown} |")


if __name__ == "__main__":
    main()
