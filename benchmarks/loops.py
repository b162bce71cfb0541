"""Loops: compile time of a 1,000-step RNN cell written with `scan` (hidden 256), forward
and forward + backward, beside jax.jit when JAX is importable; plus the run time of a call.

Each number comes from a fresh process with an empty kernel cache (compiling once in a
process leaves kernels that a second compile would find). Compile time is tracing, lowering
and compiling, without running: `mx.jit(f).lower(...)` and `jax.jit(f).lower(...).compile()`.
Run: python benchmarks/loops.py (JAX from another environment: PYTHONPATH=<repo>
~/peers/bin/python benchmarks/loops.py).
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import median_ms, optional_import, table  # noqa: E402

STEPS, HIDDEN, BATCH = 1000, 256, 16


def _data(steps: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)
    u = (rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)
    b = np.zeros(HIDDEN, np.float32)
    xs = rng.standard_normal((steps, BATCH, HIDDEN)).astype(np.float32)
    h0 = np.zeros((BATCH, HIDDEN), np.float32)
    return w, u, b, xs, h0


def _mxjit(backward: bool, steps: int) -> dict[str, float]:
    import mxjit as mx

    nd = mx.nd

    def loss(w, u, b, xs, h0):  # type: ignore[no-untyped-def]
        def cell(h, x):  # type: ignore[no-untyped-def]
            h = nd.tanh(nd.dot(x, w) + nd.dot(h, u) + b)
            return h, h
        h, hs = mx.lax.scan(cell, h0, xs)
        return (hs * hs).mean()

    fn = mx.jit(mx.value_and_grad(loss, argnums=(0, 1, 2)) if backward else loss)
    args = [nd.array(a) for a in _data(steps)]
    t0 = time.perf_counter()
    fn.lower(*args)
    compile_ms = (time.perf_counter() - t0) * 1e3
    run_ms = median_ms(lambda: fn(*args), repeat=5, warmup=1)
    return {"compile": compile_ms, "run": run_ms}


def _jax(backward: bool, steps: int) -> dict[str, float]:
    import jax
    import jax.numpy as jnp

    def loss(w, u, b, xs, h0):  # type: ignore[no-untyped-def]
        def cell(h, x):  # type: ignore[no-untyped-def]
            h = jnp.tanh(x @ w + h @ u + b)
            return h, h
        h, hs = jax.lax.scan(cell, h0, xs)
        return (hs * hs).mean()

    fn = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)) if backward else loss)
    args = [jnp.asarray(a) for a in _data(steps)]
    t0 = time.perf_counter()
    compiled = fn.lower(*args).compile()
    compile_ms = (time.perf_counter() - t0) * 1e3
    run_ms = median_ms(lambda: jax.block_until_ready(compiled(*args)), repeat=5, warmup=1)
    return {"compile": compile_ms, "run": run_ms}


CASES = {
    "mxjit forward": (_mxjit, False, STEPS),
    "mxjit forward+backward": (_mxjit, True, STEPS),
    "mxjit forward+backward, 1 step": (_mxjit, True, 1),
    "jax forward": (_jax, False, STEPS),
    "jax forward+backward": (_jax, True, STEPS),
}


def _in_fresh_process(name: str) -> dict[str, float] | None:
    env = dict(os.environ, MXJIT_CACHE_DIR=tempfile.mkdtemp(prefix="mxjit-bench-"))
    done = subprocess.run([sys.executable, __file__, "--case", name], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"{name}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    have_jax = optional_import("jax") is not None
    rows = []
    for name in CASES:
        if name.startswith("jax") and not have_jax:
            continue
        got = _in_fresh_process(name)
        if got is not None:
            rows.append((name, {"compile (ms)": got["compile"], "run (ms)": got["run"]}))
    print(table(f"scan RNN cell, {STEPS} steps, hidden {HIDDEN}, batch {BATCH} "
                f"({platform.machine()}, {os.cpu_count()} cores; fresh process and kernel "
                f"cache per row)", ["compile (ms)", "run (ms)"], rows))
    if not have_jax:
        print("\n(jax is not importable here: run with PYTHONPATH=<repo> "
              "~/peers/bin/python benchmarks/loops.py)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        run, backward, steps = CASES[sys.argv[2]]
        print(json.dumps(run(backward, steps)))
    else:
        main()
