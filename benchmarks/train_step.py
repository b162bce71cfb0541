"""One SGD step of an MLP 784-256-128-10 (ReLU, softmax cross-entropy, batch 128, float32).

Side by side: mxjit `jit(value_and_grad)` with the update inside the jitted step, mxjit
eager `autograd` (record, backward, in-place update), NumPy by hand (forward and manual
backward), and `jax.jit` and PyTorch eager when importable. Every variant first takes one
step from the same parameters on the same batch and must agree with a float64 NumPy step.
Prints one Markdown table of medians (ms) from one run; the variants are timed in
interleaved rounds, so a change of load hits them alike.

Every variant computes on one core, so that the comparison is fair on a shared machine
(multi-threaded BLAS spins against other processes): BLAS (NumPy's, which mxjit's GEMM
calls too) and OpenMP are pinned to 1 thread, PyTorch to 1 intra-op thread, XLA's Eigen
pool to 1 thread (jax). mxjit's own kernel pool only takes kernels of at least
PARALLEL_MIN_WORK iterations (one per step here, the first layer's update). The notes
print each variant's CPU time / wall time, which checks this: ~1.0 means one core.
Set the variables yourself to override.
Run: python benchmarks/train_step.py [--quick] [--profile]
"""
from __future__ import annotations

import cProfile
import os
import platform
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # (before NumPy, PyTorch and jax load their BLAS)
os.environ.setdefault("XLA_FLAGS",
                      "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from common import optional_import, table  # noqa: E402

import mxjit as mx  # noqa: E402

nd = mx.nd
QUICK = "--quick" in sys.argv
REPEAT = 10 if QUICK else 30
SIZES = (784, 256, 128, 10)
BATCH = 128
LR = 0.1


jax = optional_import("jax")
torch = optional_import("torch")
if jax is not None:
    import jax.numpy as jnp
if torch is not None:
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


def init(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        params.append((rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
                      .astype(np.float32))
        params.append(np.zeros(fan_out, np.float32) + 0.01)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    labels = rng.integers(0, SIZES[-1], size=BATCH)
    onehot = np.eye(SIZES[-1], dtype=np.float32)[labels]
    return params, x, onehot


# ---- NumPy by hand ----------------------------------------------------------------------

def numpy_step(params: list[np.ndarray], x: np.ndarray, onehot: np.ndarray
               ) -> tuple[float, list[np.ndarray]]:
    w1, b1, w2, b2, w3, b3 = params
    a1 = x @ w1 + b1
    h1 = np.maximum(a1, 0)
    a2 = h1 @ w2 + b2
    h2 = np.maximum(a2, 0)
    logits = h2 @ w3 + b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    loss = -(onehot * (shifted - np.log(s))).sum() / len(x)
    d_logits = (e / s - onehot) / len(x)
    g_w3, g_b3 = h2.T @ d_logits, d_logits.sum(0)
    d_a2 = (d_logits @ w3.T) * (a2 > 0)
    g_w2, g_b2 = h1.T @ d_a2, d_a2.sum(0)
    d_a1 = (d_a2 @ w2.T) * (a1 > 0)
    g_w1, g_b1 = x.T @ d_a1, d_a1.sum(0)
    grads = (g_w1, g_b1, g_w2, g_b2, g_w3, g_b3)
    return float(loss), [p - LR * g for p, g in zip(params, grads)]


# ---- mxjit ----------------------------------------------------------------------------------

def mx_loss(params, x, onehot):
    w1, b1, w2, b2, w3, b3 = params
    h1 = nd.relu(nd.dot(x, w1) + b1)
    h2 = nd.relu(nd.dot(h1, w2) + b2)
    logits = nd.dot(h2, w3) + b3
    return -(nd.log_softmax(logits) * onehot).sum() / x.shape[0]


@mx.jit
def mx_jit_step(params, x, onehot):
    loss, grads = mx.value_and_grad(mx_loss)(params, x, onehot)
    return loss, [p - LR * g for p, g in zip(params, grads)]


def mx_eager_step(params, x, onehot):
    """params have attach_grad(); the update writes into them, as a Trainer does."""
    with mx.autograd.record():
        loss = mx_loss(params, x, onehot)
    loss.backward()
    for p in params:
        p -= LR * p.grad
    return loss


# ---- peers ----------------------------------------------------------------------------------

def jax_step_fn():
    def loss_fn(params, x, onehot):
        w1, b1, w2, b2, w3, b3 = params
        h1 = jnp.maximum(x @ w1 + b1, 0)
        h2 = jnp.maximum(h1 @ w2 + b2, 0)
        logits = h2 @ w3 + b3
        return -(jax.nn.log_softmax(logits) * onehot).sum() / x.shape[0]

    @jax.jit
    def step(params, x, onehot):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, onehot)
        return loss, [p - LR * g for p, g in zip(params, grads)]

    return step


def torch_step(params, x, onehot):
    w1, b1, w2, b2, w3, b3 = params
    h1 = torch.relu(x @ w1 + b1)
    h2 = torch.relu(h1 @ w2 + b2)
    logits = h2 @ w3 + b3
    loss = -(torch.log_softmax(logits, dim=1) * onehot).sum() / x.shape[0]
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= LR * p.grad
            p.grad = None
    return loss


# ---- checks, timing -------------------------------------------------------------------------

def _check(name: str, loss: float, new: list[np.ndarray], ref_loss: float,
           ref: list[np.ndarray]) -> None:
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-4, err_msg=f"{name}: loss")
    for k, (got, want) in enumerate(zip(new, ref)):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-5,
                                   err_msg=f"{name}: updated parameter {k}")


def interleaved_medians_ms(variants: dict[str, Callable[[], object]], rounds: int
                           ) -> dict[str, float]:
    """Median wall time (ms) of each variant, timed in rounds that run every variant once
    in a shuffled order: on a shared machine the load changes from second to second, and
    this spreads it evenly over the variants (blocks of runs of one variant do not)."""
    rng = random.Random(0)
    for fn in variants.values():
        fn()
        fn()
    times: dict[str, list[float]] = {k: [] for k in variants}
    order = list(variants)
    for _ in range(rounds):
        rng.shuffle(order)
        for k in order:
            t0 = time.perf_counter()
            variants[k]()
            times[k].append((time.perf_counter() - t0) * 1e3)
    return {k: statistics.median(v) for k, v in times.items()}


def _cores_used(fn: Callable[[], object], repeat: int = 10) -> float:
    """CPU time over wall time of `repeat` calls: how many cores a variant keeps busy."""
    fn()
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - c0) / (time.perf_counter() - w0)


def run() -> tuple[str, list[str]]:
    params, x, onehot = init()
    ref_loss, ref = numpy_step([p.astype(np.float64) for p in params],
                               x.astype(np.float64), onehot.astype(np.float64))
    notes = []
    cells: dict[str, float | None] = {}
    first: dict[str, float] = {}

    loss, new = numpy_step(params, x, onehot)
    _check("numpy", loss, new, ref_loss, ref)

    mp, mx_x, mx_y = [nd.array(p) for p in params], nd.array(x), nd.array(onehot)
    t0 = time.perf_counter()
    loss_j, new_j = mx_jit_step(mp, mx_x, mx_y)
    first["mxjit jit"] = (time.perf_counter() - t0) * 1e3
    _check("mxjit jit", float(loss_j.asscalar()), [p.asnumpy() for p in new_j], ref_loss, ref)
    lowered = mx_jit_step.lower(mp, mx_x, mx_y)
    notes.append(f"mxjit jit step: {len(lowered.kernels)} fused kernels + "
                 f"{len(lowered.program.steps) - len(lowered.kernels)} library calls")

    ep = [nd.array(p) for p in params]
    for p in ep:
        p.attach_grad()
    t0 = time.perf_counter()
    loss_e = mx_eager_step(ep, mx_x, mx_y)
    first["mxjit eager"] = (time.perf_counter() - t0) * 1e3
    _check("mxjit eager", float(loss_e.asscalar()), [p.asnumpy() for p in ep], ref_loss, ref)

    if jax is not None:
        jstep = jax_step_fn()
        jp = [jnp.asarray(p) for p in params]
        jx, jy = jnp.asarray(x), jnp.asarray(onehot)
        t0 = time.perf_counter()
        loss_x, new_x = jstep(jp, jx, jy)
        loss_x.block_until_ready()
        first["jax.jit"] = (time.perf_counter() - t0) * 1e3
        _check("jax.jit", float(loss_x), [np.asarray(p) for p in new_x], ref_loss, ref)
    if torch is not None:
        tp = [torch.tensor(p, requires_grad=True) for p in params]
        tx, ty = torch.from_numpy(x), torch.from_numpy(onehot)
        loss_t = torch_step(tp, tx, ty)
        _check("torch", float(loss_t.detach()), [p.detach().numpy() for p in tp], ref_loss, ref)

    # timing: every variant keeps training on the same batch (which costs the same), each
    # step from the parameters of the one before, as a training loop does
    np_state = {"p": params}

    def numpy_once() -> None:
        _, np_state["p"] = numpy_step(np_state["p"], x, onehot)

    state = {"p": mp}

    def jit_once() -> None:
        _, state["p"] = mx_jit_step(state["p"], mx_x, mx_y)

    variants = {"numpy": numpy_once, "mxjit jit": jit_once,
                "mxjit eager": lambda: mx_eager_step(ep, mx_x, mx_y)}
    if jax is not None:
        jstate = {"p": jp}

        def jax_once() -> None:
            loss, jstate["p"] = jstep(jstate["p"], jx, jy)
            loss.block_until_ready()

        variants["jax.jit"] = jax_once
    if torch is not None:
        variants["torch eager"] = lambda: torch_step(tp, tx, ty)
    cells.update(interleaved_medians_ms(variants, REPEAT * 3))
    cores = {k: _cores_used(fn) for k, fn in variants.items()}
    columns = ["mxjit jit", "mxjit eager", "numpy", "jax.jit", "torch eager"]
    name = f"SGD step, MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, f32"
    notes.append("first call (trace + compile, kernel cache as found): " + ", ".join(
        f"{k} {v:.0f} ms" for k, v in first.items()))
    notes.append("CPU time / wall time (1.0: one core busy): " + ", ".join(
        f"{k} {v:.2f}" for k, v in cores.items()))
    notes.append(f"eager / jit: {cells['mxjit eager'] / cells['mxjit jit']:.2f}")  # type: ignore
    return table("Medians in ms (lower is better)", columns, [(name, cells)]), notes


def profile() -> None:
    """Where the time of the mxjit steps goes (cProfile, cumulative)."""
    params, x, onehot = init()
    mp, mx_x, mx_y = [nd.array(p) for p in params], nd.array(x), nd.array(onehot)
    ep = [nd.array(p) for p in params]
    for p in ep:
        p.attach_grad()
    mx_jit_step(mp, mx_x, mx_y)
    mx_eager_step(ep, mx_x, mx_y)
    for label, fn in (("jit", lambda: mx_jit_step(mp, mx_x, mx_y)),
                      ("eager", lambda: mx_eager_step(ep, mx_x, mx_y))):
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(20):
            fn()
        prof.disable()
        print(f"\n## cProfile, 20 {label} steps")
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)


def main() -> None:
    print(f"# train_step benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}, "
          f"{os.cpu_count()} cores, numpy {np.__version__}"
          + (f", jax {jax.__version__}" if jax else "")
          + (f", torch {torch.__version__}" if torch else ""))
    threads = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                          "MKL_NUM_THREADS", "XLA_FLAGS") if k in os.environ}
    print(f"thread settings: {threads or 'library defaults'}")
    print()
    text, notes = run()
    print(text)
    print()
    for line in notes:
        print(line)
    if "--profile" in sys.argv:
        profile()


if __name__ == "__main__":
    main()
