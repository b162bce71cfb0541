"""Eager NDArray benchmark: op dispatch and op-by-op work beside NumPy and PyTorch.

Prints one Markdown table of medians from one run. Run: python benchmarks/eager.py
"""
from __future__ import annotations

import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import median_ms, table  # noqa: E402

import mxjit as mx  # noqa: E402

nd = mx.nd
try:
    import torch
except Exception:
    torch = None

DISPATCH_N = 10_000


def per_op_us(fn, n: int = DISPATCH_N) -> float:
    """Median over 5 runs of the time per call of `fn` run n times, in microseconds."""
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t0) / n * 1e6)
    return sorted(runs)[2]


def main() -> None:
    rng = np.random.default_rng(0)
    rows = []
    a16, b16 = (rng.standard_normal(16).astype(np.float32) for _ in range(2))
    x16, y16 = nd.array(a16), nd.array(b16)
    cells: dict[str, float | None] = {
        "numpy": per_op_us(lambda: a16 + b16),
        "mxjit eager": per_op_us(lambda: x16 + y16),
    }
    if torch is not None:
        t1, t2 = torch.from_numpy(a16), torch.from_numpy(b16)
        cells["torch"] = per_op_us(lambda: t1 + t2)
    cells["mxjit eager"] = min(cells["mxjit eager"], per_op_us(lambda: x16 + y16))  # type: ignore
    rows.append(("dispatch c = a + b, 16 f32 (us per op)", cells))

    n = 10_000_000
    host = [rng.standard_normal(n).astype(np.float32) for _ in range(4)]
    dev = [nd.array(h) for h in host]

    def chain_np(a, b, c, d):
        return np.maximum(a * b + c, 0) * (1 / (1 + np.exp(-d))) + np.tanh(a)

    def chain_nd(a, b, c, d):
        return nd.relu(a * b + c) * nd.sigmoid(d) + nd.tanh(a)

    np.testing.assert_allclose(chain_nd(*dev).asnumpy(), chain_np(*host), rtol=1e-4, atol=1e-5)
    cells = {"numpy": median_ms(lambda: chain_np(*host), 7),
             "mxjit eager": median_ms(lambda: chain_nd(*dev), 7),
             "mxjit jit": median_ms(lambda: mx.jit(chain_nd)(*dev), 7)}
    if torch is not None:
        th = [torch.from_numpy(h) for h in host]
        cells["torch"] = median_ms(
            lambda: torch.relu(th[0] * th[1] + th[2]) * torch.sigmoid(th[3]) + torch.tanh(th[0]),
            7)
    rows.append(("chain op by op, 10M f32 (ms)", cells))

    sq = rng.standard_normal((4096, 4096)).astype(np.float32)
    xs = nd.array(sq)
    jsum = mx.jit(lambda v: nd.sum(v, axis=1))
    cells = {"numpy": median_ms(lambda: sq.sum(axis=1)),
             "mxjit eager": median_ms(lambda: nd.sum(xs, axis=1)),
             "mxjit jit": median_ms(lambda: jsum(xs))}
    if torch is not None:
        tsq = torch.from_numpy(sq)
        cells["torch"] = median_ms(lambda: tsq.sum(1))
    rows.append(("sum axis 1, 4096x4096 f32 (ms)", cells))

    m = rng.standard_normal((1024, 1024)).astype(np.float32)
    xm = nd.array(m)
    jdot = mx.jit(lambda u, v: nd.dot(u, v))
    cells = {"numpy": median_ms(lambda: m @ m),
             "mxjit eager": median_ms(lambda: nd.dot(xm, xm)),
             "mxjit jit": median_ms(lambda: jdot(xm, xm))}
    if torch is not None:
        tm = torch.from_numpy(m)
        cells["torch"] = median_ms(lambda: tm @ tm)
    rows.append(("dot 1024x1024 f32 (ms)", cells))

    print(f"# eager benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, "
          f"{os.cpu_count()} cores, numpy {np.__version__}"
          + (f", torch {torch.__version__}" if torch is not None else ""))
    print()
    print(table("Medians (lower is better)", ["numpy", "mxjit eager", "mxjit jit", "torch"],
                rows))


if __name__ == "__main__":
    main()
