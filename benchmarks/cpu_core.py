"""CPU compiler-core benchmark: mxjit's jitted kernels beside NumPy, JAX, numexpr, PyTorch.

Prints one Markdown table of medians (ms) from one run, then compile times. Peers are
used when importable (a separate venv: pip install 'jax[cpu]' numexpr torch==2.13.0).
Run: make bench, or python benchmarks/cpu_core.py [--quick]
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import median_ms, optional_import, table  # noqa: E402

import mxjit as mx  # noqa: E402

nd = mx.nd
QUICK = "--quick" in sys.argv
N = 1_000_000 if QUICK else 10_000_000
ROWS, COLS = (1024, 1024) if QUICK else (4096, 1024)
SQ = 1024 if QUICK else 4096
REPEAT = 5 if QUICK else 15


jax = optional_import("jax")
torch = optional_import("torch")
numexpr = optional_import("numexpr")
if jax is not None:
    import jax.numpy as jnp


def chain_np(a, b, c, d):
    return np.maximum(a * b + c, 0) * (1 / (1 + np.exp(-d))) + np.tanh(a)


def chain_nd(a, b, c, d):
    return nd.relu(a * b + c) * nd.sigmoid(d) + nd.tanh(a)


def softmax_np(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def workloads():
    rng = np.random.default_rng(0)
    vecs = [rng.standard_normal(N).astype(np.float32) for _ in range(4)]
    mat = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    sq = rng.standard_normal((SQ, SQ)).astype(np.float32)
    m1, m2 = (rng.standard_normal((1024, 1024)).astype(np.float32) for _ in range(2))
    yield (f"chain relu(a*b+c)*sigmoid(d)+tanh(a), {N // 1_000_000}M f32", vecs,
           chain_np, chain_nd,
           "jnp.maximum(a*b+c,0)*jax.nn.sigmoid(d)+jnp.tanh(a)",
           lambda a, b, c, d: torch.relu(a * b + c) * torch.sigmoid(d) + torch.tanh(a),
           "where(a*b+c>0,a*b+c,0)*(1/(1+exp(-d)))+tanh(a)")
    yield (f"softmax last axis {ROWS}x{COLS} f32", [mat], softmax_np,
           lambda x: nd.softmax(x), "jax.nn.softmax(x, axis=-1)",
           lambda x: torch.softmax(x, -1), None)
    yield (f"sum axis 1 {SQ}x{SQ} f32", [sq], lambda x: x.sum(axis=1),
           lambda x: nd.sum(x, axis=1), "jnp.sum(x, axis=1)", lambda x: x.sum(1), None)
    yield (f"sum axis 0 {SQ}x{SQ} f32", [sq], lambda x: x.sum(axis=0),
           lambda x: nd.sum(x, axis=0), "jnp.sum(x, axis=0)", lambda x: x.sum(0), None)
    yield ("matmul 1024 f32", [m1, m2], lambda a, b: a @ b, lambda a, b: nd.dot(a, b),
           "a @ b", lambda a, b: a @ b, None)


def run_table() -> str:
    columns = ["numpy", "mxjit jit", "jax.jit", "torch", "torch.compile", "numexpr"]
    rows = []
    for name, arrays, f_np, f_nd, jax_src, f_torch, ne_expr in workloads():
        cells: dict[str, float | None] = {}
        nds = [nd.array(a) for a in arrays]
        jf = mx.jit(f_nd)
        got = jf(*nds).asnumpy()
        ref = f_np(*[a.astype(np.float64) for a in arrays])
        np.testing.assert_allclose(got, ref, rtol=2e-3, atol=2e-3)
        cells["numpy"] = median_ms(lambda: f_np(*arrays), REPEAT)
        cells["mxjit jit"] = median_ms(lambda: jf(*nds), REPEAT)
        if jax is not None:
            jfun = jax.jit(eval("lambda " + ", ".join("abcd"[: len(arrays)]) + ": " + jax_src,
                                {"jnp": jnp, "jax": jax}) if len(arrays) > 1 else
                           eval("lambda x: " + jax_src, {"jnp": jnp, "jax": jax}))
            jargs = [jnp.asarray(a) for a in arrays]
            cells["jax.jit"] = median_ms(lambda: jfun(*jargs).block_until_ready(), REPEAT)
        if torch is not None:
            targs = [torch.from_numpy(a) for a in arrays]
            cells["torch"] = median_ms(lambda: f_torch(*targs), REPEAT)
            if not QUICK:
                try:
                    tc = torch.compile(f_torch)
                    tc(*targs)
                    cells["torch.compile"] = median_ms(lambda: tc(*targs), REPEAT)
                except Exception:
                    cells["torch.compile"] = None
        if numexpr is not None and ne_expr is not None:
            env = dict(zip("abcd", arrays))
            cells["numexpr"] = median_ms(lambda: numexpr.evaluate(ne_expr, local_dict=env),
                                         REPEAT)
        rows.append((name, cells))
        # the second mxjit sample, alternating with the peers, guards against drift
        cells["mxjit jit"] = min(cells["mxjit jit"], median_ms(lambda: jf(*nds), REPEAT))
    return table("Medians in ms (lower is better)", columns, rows)


COMPILE_SCRIPT = textwrap.dedent("""
    import time, numpy as np, mxjit as mx
    nd = mx.nd
    args = [nd.array(np.ones(1000, np.float32)) for _ in range(4)]
    f = mx.jit(lambda a, b, c, d: nd.relu(a * b + c) * nd.sigmoid(d) + nd.tanh(a))
    t0 = time.perf_counter(); f(*args); print((time.perf_counter() - t0) * 1e3)
""")


def compile_times() -> str:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "MXJIT_CACHE_DIR": cache}

        def once(extra: dict[str, str]) -> float:
            out = subprocess.run([sys.executable, "-c", COMPILE_SCRIPT], env={**env, **extra},
                                 capture_output=True, text=True, check=True)
            return float(out.stdout.strip())

        cold = once({})
        warm = min(once({"MXJIT_FAIL_ON_COMPILE": "1"}) for _ in range(3))
    line = f"compile of the chain (first call, trace + lower + compile): cold {cold:.1f} ms, "
    line += f"from the disk cache {warm:.1f} ms"
    if jax is not None:
        a = jnp.ones(1000)
        t0 = time.perf_counter()
        jax.jit(lambda a, b, c, d: jnp.maximum(a * b + c, 0) * jax.nn.sigmoid(d)
                + jnp.tanh(a))(a, a, a, a).block_until_ready()
        line += f"; jax.jit first call {(time.perf_counter() - t0) * 1e3:.1f} ms"
    return line


def main() -> None:
    print(f"# cpu_core benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, "
          f"{os.cpu_count()} cores, numpy {np.__version__}"
          + (f", jax {jax.__version__}" if jax else "")
          + (f", torch {torch.__version__}" if torch else ""))
    print()
    print(run_table())
    print()
    print(compile_times())


if __name__ == "__main__":
    main()
