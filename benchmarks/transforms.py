"""Forward mode, batching and custom rules, side by side with JAX (`jax.jit` of the same
transform) in one run:

- per-example gradients of an MLP 64-128-10 (tanh, softmax cross-entropy) over 256
  examples: `jit(vmap(grad(loss), in_axes=(None, 0, 0)))`;
- the Hessian of a 100-parameter function (softplus of a 50x100 product, plus sin^2):
  `jit(hessian(f))`;
- the Jacobian of a map from 100 to 50 values, by forward and by reverse mode;
- `value_and_grad` of a two-layer block, plain and checkpointed (`mx.checkpoint`,
  `jax.checkpoint`): what recomputing the forward pass in the backward pass costs.

Each mxjit result is checked against JAX's (or, without JAX, against per-example `mx.grad`)
before timing. The variants are timed in interleaved rounds (medians, ms), so a change of
load hits them alike. BLAS, OpenMP and XLA's Eigen pool are pinned to one thread, as in
train_step.py (mxjit's own pool takes only kernels of at least a million iterations).
Run: PYTHONPATH=. python benchmarks/transforms.py [--quick]
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # (before NumPy and jax load their BLAS)
os.environ.setdefault("XLA_FLAGS",
                      "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from common import optional_import, table  # noqa: E402

import mxjit as mx  # noqa: E402

nd = mx.nd
jax = optional_import("jax")
jnp = jax.numpy if jax is not None else None
if jax is not None:
    import jax.nn  # noqa: E402,F401

QUICK = "--quick" in sys.argv
ROUNDS = 5 if QUICK else 15
B, D, H, C = 256, 64, 128, 10
N, M = 100, 50


def _rounds(variants: dict[str, Callable[[], object]], calls: int) -> dict[str, float]:
    """Median ms per call of each variant, timed in interleaved rounds of `calls` calls."""
    times: dict[str, list[float]] = {k: [] for k in variants}
    for fn in variants.values():
        fn()
    for _ in range(ROUNDS):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            times[name].append((time.perf_counter() - t0) * 1e3 / calls)
    return {k: statistics.median(v) for k, v in times.items()}


def _ready(x: object) -> object:
    return jax.block_until_ready(x) if jax is not None else x


def _close(name: str, got: np.ndarray, want: np.ndarray, rtol: float = 2e-4) -> None:
    scale = max(1.0, float(np.abs(want).max()))
    err = float(np.abs(np.asarray(got, np.float64) - want).max()) / scale
    if err > rtol:
        raise SystemExit(f"{name}: mxjit differs from the reference by {err:.2e}")


# ---- per-example gradients -----------------------------------------------------------------


def per_example_gradients() -> tuple[str, dict[str, float | None]]:
    rng = np.random.default_rng(0)
    raw = {"w1": rng.normal(0, 0.1, (D, H)), "b1": np.zeros(H),
           "w2": rng.normal(0, 0.1, (H, C)), "b2": np.zeros(C)}
    raw = {k: v.astype(np.float32) for k, v in raw.items()}
    xs = rng.normal(size=(B, D)).astype(np.float32)
    ys = np.eye(C, dtype=np.float32)[rng.integers(0, C, B)]

    def loss(p, x, y):
        h = nd.tanh(nd.dot(x, p["w1"]) + p["b1"])
        return -(nd.log_softmax(nd.dot(h, p["w2"]) + p["b2"]) * y).sum()

    params = {k: nd.array(v) for k, v in raw.items()}
    x, y = nd.array(xs), nd.array(ys)
    step = mx.jit(mx.vmap(mx.grad(loss), in_axes=(None, 0, 0)))
    got = step(params, x, y)
    variants: dict[str, Callable[[], object]] = {"mxjit": lambda: step(params, x, y)}
    if jax is not None:
        def jloss(p, x, y):
            h = jnp.tanh(x @ p["w1"] + p["b1"])
            return -(jax.nn.log_softmax(h @ p["w2"] + p["b2"]) * y).sum()

        jstep = jax.jit(jax.vmap(jax.grad(jloss), in_axes=(None, 0, 0)))
        jparams = {k: jnp.asarray(v) for k, v in raw.items()}
        jx, jy = jnp.asarray(xs), jnp.asarray(ys)
        want = jstep(jparams, jx, jy)
        for k in raw:
            _close(f"per-example gradient {k}", got[k].asnumpy(), np.asarray(want[k]))
        variants["jax.jit"] = lambda: _ready(jstep(jparams, jx, jy))
    else:
        for b in (0, B - 1):
            one = mx.grad(loss)(params, x[b], y[b])
            for k in raw:
                _close(f"per-example gradient {k}", got[k].asnumpy()[b], one[k].asnumpy())
    return (f"per-example gradients, MLP {D}-{H}-{C}, {B} examples: vmap(grad)",
            dict(_rounds(variants, 10)))


# ---- Hessian and Jacobians -----------------------------------------------------------------


def _problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return (rng.normal(0, 0.3, (M, N)).astype(np.float32),
            rng.normal(size=N).astype(np.float32))


def hessian_of_100_parameters() -> tuple[str, dict[str, float | None]]:
    a_np, x_np = _problem()
    a, x = nd.array(a_np), nd.array(x_np)

    def f(x):
        return nd.log(1 + nd.exp(nd.dot(a, x))).sum() + (nd.sin(x) ** 2).sum()

    h = mx.jit(mx.hessian(f))
    got = h(x).asnumpy().reshape(N, N)
    variants: dict[str, Callable[[], object]] = {"mxjit": lambda: h(x)}
    if jax is not None:
        ja, jx = jnp.asarray(a_np), jnp.asarray(x_np)

        def jf(x):
            return jnp.log(1 + jnp.exp(ja @ x)).sum() + (jnp.sin(x) ** 2).sum()

        jh = jax.jit(jax.hessian(jf))
        _close("hessian", got, np.asarray(jh(jx)))
        variants["jax.jit"] = lambda: _ready(jh(jx))
    return f"hessian of a {N}-parameter function", dict(_rounds(variants, 200))


def jacobians() -> list[tuple[str, dict[str, float | None]]]:
    a_np, x_np = _problem()
    a, x = nd.array(a_np), nd.array(x_np)

    def f(x):
        return nd.tanh(nd.dot(a, x)) * x[:M]

    rows = []
    for name, mine, theirs in (("jacfwd", mx.jacfwd, "jacfwd"), ("jacrev", mx.jacrev, "jacrev")):
        jac = mx.jit(mine(f))
        got = jac(x).asnumpy()
        variants: dict[str, Callable[[], object]] = {"mxjit": lambda jac=jac: jac(x)}
        if jax is not None:
            ja, jx = jnp.asarray(a_np), jnp.asarray(x_np)
            jjac = jax.jit(getattr(jax, theirs)(lambda x: jnp.tanh(ja @ x) * x[:M]))
            _close(name, got, np.asarray(jjac(jx)))
            variants["jax.jit"] = lambda jjac=jjac: _ready(jjac(jx))
        rows.append((f"{name}: Jacobian {M}x{N}", dict(_rounds(variants, 200))))
    return rows


# ---- checkpoint ----------------------------------------------------------------------------


def checkpointed_block() -> list[tuple[str, dict[str, float | None]]]:
    rng = np.random.default_rng(2)
    raw = [rng.normal(0, 0.05, s).astype(np.float32) for s in ((512, 512), (512, 512))]
    x_np = rng.normal(size=(256, 512)).astype(np.float32)
    w1, w2 = (nd.array(w) for w in raw)
    x = nd.array(x_np)

    def block(w1, w2, x):
        return nd.tanh(nd.dot(nd.tanh(nd.dot(x, w1)), w2))

    rows = []
    for name, f in (("plain", block), ("checkpoint", mx.checkpoint(block))):
        step = mx.jit(mx.value_and_grad(lambda w1, w2, f=f: (f(w1, w2, x) ** 2).sum(),
                                        argnums=(0, 1)))
        got = step(w1, w2)[1][0].asnumpy()
        variants: dict[str, Callable[[], object]] = {"mxjit": lambda step=step: step(w1, w2)}
        if jax is not None:
            def jblock(w1, w2, x):
                return jnp.tanh(jnp.tanh(x @ w1) @ w2)

            jf = jblock if name == "plain" else jax.checkpoint(jblock)
            jx = jnp.asarray(x_np)
            jstep = jax.jit(jax.value_and_grad(lambda w1, w2, jf=jf: (jf(w1, w2, jx) ** 2).sum(),
                                               argnums=(0, 1)))
            jw = [jnp.asarray(w) for w in raw]
            _close(f"value_and_grad ({name})", got, np.asarray(jstep(*jw)[1][0]), rtol=1e-3)
            variants["jax.jit"] = lambda jstep=jstep, jw=jw: _ready(jstep(*jw))
        rows.append((f"value_and_grad of a two-layer 512x512 block, batch 256 ({name})",
                     dict(_rounds(variants, 5))))
    return rows


def main() -> None:
    rows = [per_example_gradients(), hessian_of_100_parameters(), *jacobians(),
            *checkpointed_block()]
    columns = ["mxjit", "jax.jit"]
    print(table("Transforms (ms per call, median of interleaved rounds; lower is better)",
                columns, rows))
    versions = f"numpy {np.__version__}"
    if jax is not None:
        versions += f", jax {jax.__version__}"
    print(f"\n{versions}; one BLAS/XLA thread; {ROUNDS} rounds")


if __name__ == "__main__":
    main()
