"""Memory over many distinct shapes: resident memory after N jit signatures and N eager
kernels, and the warm-call time of each, cold (empty disk cache) and warm (a second
process over the same cache).

Each measurement runs in a fresh process (so resident memory is its own) over a private
cache directory. "steady" is the resident memory after the first 50 shapes; the table
gives what N more added. Prints one Markdown table. Run:

    python benchmarks/cache_memory.py [--n 2000] [--eager-n 600]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

WARMUP_SHAPES = 50


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def per_call_us(fn, n: int = 20_000) -> float:
    """Median over 5 runs of the time per call of `fn`, in microseconds."""
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t0) / n * 1e6)
    return sorted(runs)[2]


def measure(kind: str, n: int) -> dict[str, float]:
    """In this process: resident memory before and after `n` distinct shapes of `kind`,
    the seconds they took, and the warm-call time afterwards."""
    import gc

    import numpy as np

    import mxjit as mx

    nd = mx.nd
    if kind == "jit":
        f = mx.jit(lambda x: nd.relu(x * 2.0 + 1.0) - x)

        def step(k: int):
            return f(nd.ones((k,)))

        hot = nd.ones((16,))

        def warm():
            return f(hot)
    else:  # eager concat: one program per pair of shapes
        def step(k: int):
            return nd.concat(nd.ones((k, 3)), nd.ones((k, 2)), dim=1)

        a, b = nd.ones((4, 3)), nd.ones((4, 2))

        def warm():
            return nd.concat(a, b, dim=1)
    for k in range(1, WARMUP_SHAPES + 1):
        step(k)
    warm()
    gc.collect()
    steady = rss_mib()
    t0 = time.perf_counter()
    for k in range(WARMUP_SHAPES + 1, WARMUP_SHAPES + n + 1):
        step(k)
    seconds = time.perf_counter() - t0
    gc.collect()
    after = rss_mib()
    check = step(7).asnumpy()
    assert np.isfinite(check).all()
    return {"steady": steady, "after": after, "seconds": seconds, "warm_us": per_call_us(warm)}


def child(kind: str, n: int, cache: str) -> dict[str, float]:
    env = {**os.environ, "MXJIT_CACHE_DIR": cache}
    done = subprocess.run([sys.executable, __file__, "--child", kind, "--n", str(n)],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="distinct jit signatures")
    parser.add_argument("--eager-n", type=int, default=600, help="distinct eager shapes")
    parser.add_argument("--child", choices=["jit", "eager"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.n)))
        return
    settings = {k: v for k, v in os.environ.items() if k.startswith("MXJIT_") and
                k != "MXJIT_CACHE_DIR"}
    print(f"mxjit from {os.path.dirname(__import__('mxjit').__file__)}; settings: "
          f"{settings or 'defaults'}\n")
    print("| workload | cache | steady MiB | after MiB | added MiB | KiB per shape "
          "| seconds | warm call us |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, n in (("jit", args.n), ("eager", args.eager_n)):
        with tempfile.TemporaryDirectory(prefix="mxjit-bench-") as d:
            cache = os.path.join(d, "kernels")
            for label in ("cold", "warm"):
                r = child(kind, n, cache)
                added = r["after"] - r["steady"]
                name = f"{n} {'jit signatures' if kind == 'jit' else 'eager concat shapes'}"
                print(f"| {name} | {label} | {r['steady']:.1f} | {r['after']:.1f} | "
                      f"{added:.1f} | {added * 1024 / n:.1f} | {r['seconds']:.1f} | "
                      f"{r['warm_us']:.2f} |")


if __name__ == "__main__":
    main()
