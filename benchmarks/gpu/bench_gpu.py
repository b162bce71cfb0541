"""GPU benchmark: mxjit's CUDA kernels beside PyTorch and CuPy (when importable), and
#19's bars, one table at the end.

Workloads (float32 unless named):
  chain     relu(a*b+c)*sigmoid(d)+tanh(a) over 64M elements (one fused kernel; GB/s counts
            the 4 inputs read and the output written). Bar: 2,600 GB/s
  softmax   softmax over the rows of (8192, 4096) (GB/s: read once, written once). Bar: 2,000
  rowsum    sum over the rows of (8192, 4096) (GB/s: read once). Bar: 2,000
  sum       a full sum of 64M elements (two-stage reduction)
  matmul    8192 x 8192 products, float32 and float16, through cuBLAS (TFLOP/s); the "cuBLAS"
            column calls the same GEMM on the same buffers directly. Bar: 80% of it
  eager     one tiny eager op, x + y on 4 elements (us per call, dispatch included). Bar: 10

Each time is the median of timed runs after warm-up (the first call compiles), each run
synchronised with the device. Run: python benchmarks/gpu/bench_gpu.py [--quick]
"""
from __future__ import annotations

import argparse
import ctypes
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import mxjit as mx  # noqa: E402
from mxjit.kernels import cublas  # noqa: E402
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


def try_torch() -> Any:
    try:
        import torch
    except Exception:  # noqa: BLE001
        return None
    return torch if torch.cuda.is_available() else None


def try_cupy() -> Any:
    try:
        import cupy
        cupy.zeros(1).sum()
    except Exception:  # noqa: BLE001  (absent, or no device it can use)
        return None
    return cupy


class Row(NamedTuple):
    workload: str
    unit: str
    mxjit: float
    torch: float | None = None
    cupy: float | None = None
    bar: str = ""  # the bar #19 sets, as text
    met: bool | None = None


class Bench:
    """Shared state of the workloads: the device, torch and cupy (or None), sizes, repeats."""

    def __init__(self, quick: bool):
        self.dev = rt.device(0)
        self.torch = try_torch()
        self.cupy = try_cupy()
        self.n = (1 << 22) if quick else (1 << 26)
        self.rows, self.cols = (1024, 4096) if quick else (8192, 4096)
        self.size = 2048 if quick else 8192
        self.repeat = 3 if quick else 20
        self.rng = np.random.default_rng(0)

    def time(self, fn: Callable[[], object], repeat: int | None = None, inner: int = 1) -> float:
        return median_s(fn, self.dev.synchronize, repeat or self.repeat, inner)

    def time_torch(self, fn: Callable[[], object], repeat: int | None = None,
                   inner: int = 1) -> float | None:
        if self.torch is None:
            return None
        return median_s(fn, self.torch.cuda.synchronize, repeat or self.repeat, inner)

    def time_cupy(self, fn: Callable[[], object], repeat: int | None = None,
                  inner: int = 1) -> float | None:
        if self.cupy is None:
            return None
        sync = self.cupy.cuda.Device().synchronize
        return median_s(fn, sync, repeat or self.repeat, inner)

    def cuda(self, a: np.ndarray) -> Any:
        return self.torch.from_numpy(a).cuda()


def gpu(a: np.ndarray) -> nd.NDArray:
    return nd.array(a, ctx=mx.gpu(0), dtype=a.dtype)


def per(amount: float, seconds: float | None) -> float | None:
    return amount / seconds if seconds else None


def at_least(value: float | None, bar: float) -> bool | None:
    return None if value is None else value >= bar


def chain(b: Bench) -> list[Row]:
    host = [b.rng.standard_normal(b.n).astype(np.float32) for _ in range(4)]
    args = [gpu(h) for h in host]
    f = mx.jit(lambda a, b, c, d: nd.relu(a * b + c) * nd.sigmoid(d) + nd.tanh(a))
    ref = (np.maximum(host[0] * host[1] + host[2], 0) / (1 + np.exp(-host[3]))
           + np.tanh(host[0]))
    np.testing.assert_allclose(f(*args).asnumpy()[:100000], ref[:100000], rtol=1e-4, atol=1e-5)
    t = b.time(lambda: f(*args))
    tt = tc = None
    if b.torch is not None:
        ta, tb, tc_, td = (b.cuda(h) for h in host)
        torch = b.torch
        tt = b.time_torch(lambda: torch.relu(ta * tb + tc_) * torch.sigmoid(td) + torch.tanh(ta))
    if b.cupy is not None:
        cp = b.cupy
        ca, cb, cc, cd = (cp.asarray(h) for h in host)
        tc = b.time_cupy(lambda: cp.maximum(ca * cb + cc, 0) / (1 + cp.exp(-cd)) + cp.tanh(ca))
    gb = 5 * b.n * 4 / 1e9
    return [Row(f"chain relu(a*b+c)*sigmoid(d)+tanh(a), {b.n >> 20}M f32", "GB/s", gb / t,
                per(gb, tt), per(gb, tc), ">= 2600", gb / t >= 2600)]


def rows(b: Bench) -> list[Row]:
    xh = b.rng.standard_normal((b.rows, b.cols)).astype(np.float32)
    x = gpu(xh)
    softmax = mx.jit(lambda v: nd.softmax(v))
    want = np.exp(xh[:4]) / np.exp(xh[:4]).sum(1, keepdims=True)
    np.testing.assert_allclose(softmax(x).asnumpy()[:4], want, rtol=1e-4, atol=1e-7)
    rowsum = mx.jit(lambda v: v.sum(axis=1))
    np.testing.assert_allclose(rowsum(x).asnumpy(), xh.sum(1), rtol=1e-4, atol=1e-3)
    t_soft, t_rows = b.time(lambda: softmax(x)), b.time(lambda: rowsum(x))
    tt_soft = tt_rows = tc_soft = tc_rows = None
    if b.torch is not None:
        tx, torch = b.cuda(xh), b.torch
        tt_soft = b.time_torch(lambda: torch.softmax(tx, dim=1))
        tt_rows = b.time_torch(lambda: tx.sum(1))
    if b.cupy is not None:
        cp = b.cupy
        cx = cp.asarray(xh)

        def cupy_softmax() -> Any:
            e = cp.exp(cx - cx.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

        tc_soft, tc_rows = b.time_cupy(cupy_softmax), b.time_cupy(lambda: cx.sum(1))
    gb = b.rows * b.cols * 4 / 1e9
    shape = f"({b.rows}, {b.cols})"
    return [Row(f"softmax over rows {shape}", "GB/s", 2 * gb / t_soft, per(2 * gb, tt_soft),
                per(2 * gb, tc_soft), ">= 2000", 2 * gb / t_soft >= 2000),
            Row(f"sum over rows {shape}", "GB/s", gb / t_rows, per(gb, tt_rows),
                per(gb, tc_rows), ">= 2000", gb / t_rows >= 2000)]


def full_sum(b: Bench) -> list[Row]:
    vh = b.rng.standard_normal(b.n).astype(np.float32)
    v = gpu(vh)
    total = mx.jit(lambda v: v.sum())
    np.testing.assert_allclose(float(total(v).asnumpy().reshape(-1)[0]),
                               float(vh.astype(np.float64).sum()), rtol=1e-3, atol=1.0)
    t = b.time(lambda: total(v))
    tt = tc = None
    if b.torch is not None:
        tv = b.cuda(vh)
        tt = b.time_torch(lambda: tv.sum())
    if b.cupy is not None:
        cv = b.cupy.asarray(vh)
        tc = b.time_cupy(lambda: cv.sum())
    gb = b.n * 4 / 1e9
    return [Row(f"full sum, {b.n >> 20}M f32", "GB/s", gb / t, per(gb, tt), per(gb, tc))]


def cublas_direct(b: Bench, m1: Any, m2: Any, out: Any) -> Callable[[], None]:
    """out = m1 @ m2 (square, row-major device arrays) by one cuBLAS GEMM on their buffers,
    as `mxjit.kernels.cublas` calls it, without mxjit's dispatch or allocation."""
    lib, handle, n = cublas.library(), cublas._handle(b.dev), m1.shape[0]
    one, zero = ctypes.c_float(1.0), ctypes.c_float(0.0)  # (float32 scalars for both)
    if m1.dtype == np.float16:
        def gemm() -> None:
            lib.cublasGemmStridedBatchedEx(handle, 0, 0, n, n, n, ctypes.byref(one), m2.ptr, 2,
                                           n, 0, m1.ptr, 2, n, 0, ctypes.byref(zero), out.ptr,
                                           2, n, 0, 1, 68, -1)
    else:
        def gemm() -> None:
            lib.cublasSgemmStridedBatched(handle, 0, 0, n, n, n, ctypes.byref(one), m2.ptr, n, 0,
                                          m1.ptr, n, 0, ctypes.byref(zero), out.ptr, n, 0, 1)
    return gemm


def matmul(b: Bench) -> list[Row]:
    results = []
    n = b.size
    for dtype, name in ((np.float32, "f32"), (np.float16, "f16")):
        mh = (b.rng.standard_normal((n, n)) / 8).astype(dtype)
        m1, m2 = gpu(mh), gpu(mh.T.copy())
        got = nd.dot(m1, m2)
        want = mh[:8].astype(np.float64) @ mh.T[:, :8].astype(np.float64)
        np.testing.assert_allclose(got.asnumpy()[:8, :8], want, rtol=2e-2, atol=2e-2)
        repeat = max(3, b.repeat // 2)
        t = b.time(lambda: nd.dot(m1, m2), repeat)
        gemm = cublas_direct(b, m1._data, m2._data, got._data)
        t_direct = b.time(gemm, repeat)
        np.testing.assert_allclose(got.asnumpy()[:8, :8], want, rtol=2e-2, atol=2e-2)
        tt = tc = None
        if b.torch is not None:
            t1, t2 = b.cuda(mh), b.cuda(mh.T.copy())
            tt = b.time_torch(lambda: t1 @ t2, repeat)
        if b.cupy is not None:
            c1, c2 = b.cupy.asarray(mh), b.cupy.asarray(mh.T.copy())
            tc = b.time_cupy(lambda: c1 @ c2, repeat)
        tf = 2 * n ** 3 / 1e12
        results.append(Row(f"matmul {n} {name} (cuBLAS direct: {tf / t_direct:.1f})",
                           "TFLOP/s", tf / t, per(tf, tt), per(tf, tc),
                           ">= 0.8x cuBLAS direct", t_direct / t >= 0.8))
    return results


def eager(b: Bench) -> list[Row]:
    s1, s2 = gpu(np.ones(4, np.float32)), gpu(np.ones(4, np.float32))
    np.testing.assert_array_equal((s1 + s2).asnumpy(), 2)
    t = b.time(lambda: s1 + s2, inner=200)
    tt = tc = None
    if b.torch is not None:
        u1, u2 = b.torch.ones(4, device="cuda"), b.torch.ones(4, device="cuda")
        tt = b.time_torch(lambda: u1 + u2, inner=200)
    if b.cupy is not None:
        c1, c2 = b.cupy.ones(4, np.float32), b.cupy.ones(4, np.float32)
        tc = b.time_cupy(lambda: c1 + c2, inner=200)
    return [Row("eager x + y, 4 elements", "us/call", t * 1e6, tt * 1e6 if tt else None,
                tc * 1e6 if tc else None, "<= 10", t * 1e6 <= 10)]


def shown(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


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
            results.append(Row(f"{workload.__name__}: FAILED {message}", "-", float("nan")))
    dev = b.dev
    print()
    print(f"### mxjit GPU benchmark: {dev.driver.name(0)} ({dev.arch}, "
          f"{dev.props.multiprocessors} SMs), torch {'present' if b.torch else 'absent'}, "
          f"cupy {'present' if b.cupy else 'absent'}{' (--quick)' if args.quick else ''}")
    print()
    print("| workload | unit | mxjit | torch | cupy | bar | met |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else "NO")
        print(f"| {r.workload} | {r.unit} | {shown(r.mxjit)} | {shown(r.torch)} | "
              f"{shown(r.cupy)} | {r.bar} | {met} |")


if __name__ == "__main__":
    main()
