"""mx.np benchmark: eager dispatch beside mx.nd's (the bar: within 1.2x), and a jitted
NumPy-style function beside jax.jit of the same jax.numpy code.

Prints Markdown tables of medians from one run. Run:
PYTHONPATH=. ~/peers/bin/python benchmarks/np.py
"""
from __future__ import annotations

import os
import sys
import time

import numpy as onp

sys.path.insert(0, os.path.dirname(__file__))
from common import interleaved, optional_import, table  # noqa: E402

import mxjit as mx  # noqa: E402

jax = optional_import("jax")
DISPATCH_N = 5_000


def per_op_us(fn, n: int = DISPATCH_N) -> float:
    """Median over 7 runs of the time per call of `fn` run n times, in microseconds."""
    for _ in range(200):
        fn()
    runs = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t0) / n * 1e6)
    return sorted(runs)[3]


def dispatch() -> None:
    """Eager ops on 16 float32 values: mx.np against the same op through mx.nd."""
    a, b = mx.nd.ones(16), mx.nd.ones(16) * 2
    x, y = mx.np.ones(16), mx.np.ones(16) * 2
    pairs = {
        "x + y": (lambda: a + b, lambda: x + y),
        "x * 2.0": (lambda: a * 2.0, lambda: x * 2.0),
        "exp(x)": (lambda: mx.nd.exp(a), lambda: mx.np.exp(x)),
        "add(x, y)": (lambda: mx.nd.add(a, b), lambda: mx.np.add(x, y)),
        "maximum(x, y)": (lambda: mx.nd.maximum(a, b), lambda: mx.np.maximum(x, y)),
        "sum(x)": (lambda: mx.nd.sum(a), lambda: mx.np.sum(x)),
        "sum(x, axis=0)": (lambda: mx.nd.sum(a, axis=0), lambda: mx.np.sum(x, axis=0)),
        "x[3]": (lambda: a[3], lambda: x[3]),
    }
    rows, ratios = [], []
    for name, (nd_fn, np_fn) in pairs.items():
        nd_us, np_us = per_op_us(nd_fn), per_op_us(np_fn)
        ratios.append(np_us / nd_us)
        rows.append(f"| {name} | {nd_us:.2f} | {np_us:.2f} | {np_us / nd_us:.2f} |")
    print("### Eager dispatch, 16 float32 values (us per op, lower is better)\n")
    print("| op | mx.nd | mx.np | np / nd |\n|---|---|---|---|")
    print("\n".join(rows))
    geo = float(onp.exp(onp.mean(onp.log(ratios))))
    print(f"\ngeometric mean np / nd: {geo:.2f} (bar: 1.2)\n")


def jitted() -> None:
    """`tanh(x @ w + b).sum(axis=1)` under mx.jit (mx.np) and jax.jit (jax.numpy)."""
    rows = []
    for n, d, h in ((64, 128, 128), (512, 512, 512), (2048, 1024, 256)):
        rng = onp.random.default_rng(0)
        xs, ws, bs = (rng.standard_normal(s).astype(onp.float32)
                      for s in ((n, d), (d, h), (h,)))
        f = mx.jit(lambda x, w, b: mx.np.tanh(x @ w + b).sum(axis=1))
        x, w, b = mx.np.array(xs), mx.np.array(ws), mx.np.array(bs)
        variants = {"mx.jit (mx.np)": lambda: f(x, w, b).wait_to_read()}
        if jax is not None:
            jnp = jax.numpy
            g = jax.jit(lambda x, w, b: jnp.tanh(x @ w + b).sum(axis=1))
            jx, jw, jb = (jax.device_put(v) for v in (xs, ws, bs))
            variants["jax.jit"] = lambda: g(jx, jw, jb).block_until_ready()
            onp.testing.assert_allclose(f(x, w, b).asnumpy(), onp.asarray(g(jx, jw, jb)),
                                        rtol=2e-3, atol=2e-3)
        rows.append((f"x {n}x{d}, w {d}x{h}", interleaved(variants, rounds=30)))
    print(table("jitted tanh(x @ w + b).sum(axis=1) (ms, lower is better)",
                ["mx.jit (mx.np)", "jax.jit"], rows))


if __name__ == "__main__":
    dispatch()
    jitted()
