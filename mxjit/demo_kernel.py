"""The compiler's demo: jit-compile a fused function and time it against NumPy.

The headline comes first (the timing, and whether the kernel was compiled or came from
the disk cache); `--ir` also prints the graph, the plan and the kernel's LLVM IR.

    python -m mxjit.demo_kernel [--ir]
"""
from __future__ import annotations

import sys
import time

import numpy as np

import mxjit as mx

nd = mx.nd


def chain(a, b, c, d):  # type: ignore[no-untyped-def]
    return nd.relu(a * b + c) * nd.sigmoid(d) + nd.tanh(a)


def chain_numpy(a, b, c, d):  # type: ignore[no-untyped-def]
    return np.maximum(a * b + c, 0) * (1 / (1 + np.exp(-d))) + np.tanh(a)


def _median_ms(fn, repeat: int = 9) -> float:  # type: ignore[no-untyped-def]
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2] * 1e3


def main(show_ir: bool = False) -> None:
    n = 10_000_000
    rng = np.random.default_rng(0)
    host = [rng.standard_normal(n).astype(np.float32) for _ in range(4)]
    args = [nd.array(h) for h in host]
    fused = mx.jit(chain)

    t0 = time.perf_counter()
    out = fused(*args)
    first = (time.perf_counter() - t0) * 1e3
    lowered = fused.lower(*args)
    expected = chain_numpy(*[h.astype(np.float64) for h in host])
    err = float(np.max(np.abs(out.asnumpy() - expected)))
    t_np = _median_ms(lambda: chain_numpy(*host))
    t_mx = _median_ms(lambda: fused(*args))

    print(f"mxjit {mx.__version__}: relu(a*b+c) * sigmoid(d) + tanh(a) over 10M float32")
    print(f"  NumPy {t_np:.1f} ms, mxjit.jit {t_mx:.1f} ms: {t_np / t_mx:.1f}x NumPy "
          f"(max abs error vs float64 NumPy {err:.1e})")
    print(f"  first call {first:.1f} ms (trace, fuse, compile or load): {lowered.summary()}")
    if show_ir:
        print("\n" + lowered.as_text())
        kernel = lowered.kernels[0]
        print(f"\nkernel {kernel.name} ({kernel.symbol}), LLVM IR as generated "
              "(O3 then vectorises it):")
        print(kernel.source)
    else:
        print("  (python -m mxjit.demo_kernel --ir prints the graph, the plan and the LLVM IR)")


if __name__ == "__main__":
    main(show_ir="--ir" in sys.argv[1:])
