"""Compile time of deep graphs: how it grows with the number of steps.

Workloads, each traced and compiled cold (a fresh process over an empty cache directory):
- chain: `mx.jit` of `x = x * 1.001 + 0.1`, N times (its kernels repeat, so few compile);
- chain, distinct: the same with a different constant at each step (every kernel compiles);
- rnn grad: `mx.jit(mx.grad(...))` of `h = tanh(h * w + x)`, N times, w.r.t. w and x;
- tape: eager autograd of `y = y * 1.0001`, N times, then `backward()`.

For each N the table gives the graph's nodes, the kernels of the program, how many of them
LLVM compiled, the seconds of the first call (trace, plan, compile and run) and of LLVM
alone, and the microseconds per step: constant per step means linear growth. Run:

    python benchmarks/deep_graphs.py [--steps 1000 2000 4000 8000] [--tape 25000 50000 100000]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def measure(kind: str, steps: int) -> dict[str, float]:
    """In this process: compile and run one workload; its sizes and timings."""
    import numpy as np

    import mxjit as mx
    from mxjit.lower import llvm
    from mxjit.trace import toposort

    nd = mx.nd
    llvm_seconds, compiles = [0.0], [0]
    emit_object = llvm.emit_object

    def timed_emit_object(ir_text: str) -> bytes:
        t0 = time.perf_counter()
        try:
            return emit_object(ir_text)
        finally:
            llvm_seconds[0] += time.perf_counter() - t0
            compiles[0] += 1

    llvm.emit_object = timed_emit_object  # (the kernel cache calls it through the module)
    x = nd.array(np.linspace(0.1, 0.9, 64, dtype=np.float32))
    w = nd.array(np.full(64, 0.7, np.float32))

    def chain(v, distinct=False):
        for k in range(steps):
            v = v * (1.001 + (k * 1e-7 if distinct else 0)) + 0.1
        return v

    def rnn(w_, x_):
        h = x_
        for _ in range(steps):
            h = nd.tanh(h * w_ + x_)
        return h.sum()

    t0 = time.perf_counter()
    if kind == "tape":
        v = x.copy()
        v.attach_grad()
        with mx.autograd.record():
            y = v
            for _ in range(steps):
                y = y * 1.0001
        y.backward()
        v.grad.asnumpy()
        kernels = nodes = 0
    else:
        fun = {"chain": mx.jit(chain),
               "chain-distinct": mx.jit(lambda v: chain(v, True)),
               "rnn-grad": mx.jit(mx.grad(rnn, argnums=(0, 1)))}[kind]
        args = (x,) if kind.startswith("chain") else (w, x)
        out = fun(*args)
        (out[0] if isinstance(out, tuple) else out).asnumpy()
        seconds = time.perf_counter() - t0
        program = fun.lower(*args).program
        kernels = len(program.kernels)
        nodes = len(toposort(program.outputs))
        return {"seconds": seconds, "llvm": llvm_seconds[0], "compiles": compiles[0],
                "kernels": kernels, "nodes": nodes}
    return {"seconds": time.perf_counter() - t0, "llvm": llvm_seconds[0],
            "compiles": compiles[0], "kernels": kernels, "nodes": nodes}


def run_fresh(kind: str, steps: int) -> dict[str, float]:
    """`measure` in a new process over an empty cache directory of its own."""
    with tempfile.TemporaryDirectory(prefix="mxjit-deep-") as cache:
        env = dict(os.environ, MXJIT_CACHE_DIR=cache)
        code = ("import json, sys; sys.path.insert(0, 'benchmarks'); import deep_graphs; "
                f"print(json.dumps(deep_graphs.measure({kind!r}, {steps})))")
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 2000, 4000, 8000])
    parser.add_argument("--tape", type=int, nargs="+", default=[25000, 50000, 100000])
    args = parser.parse_args()
    print("| workload | steps | graph nodes | kernels | LLVM compiles | first call (s) "
          "| LLVM (s) | us per step |")
    print("|---|---|---|---|---|---|---|---|")
    runs = [(kind, n) for kind in ("chain", "chain-distinct", "rnn-grad") for n in args.steps]
    runs += [("tape", n) for n in args.tape]
    for kind, n in runs:
        r = run_fresh(kind, n)
        print(f"| {kind} | {n} | {r['nodes'] or '-'} | {r['kernels'] or '-'} | "
              f"{r['compiles']} | {r['seconds']:.2f} | {r['llvm']:.2f} | "
              f"{r['seconds'] / n * 1e6:.0f} |", flush=True)


if __name__ == "__main__":
    main()
