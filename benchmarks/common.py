"""Timing helpers shared by the benchmark scripts: medians of alternating runs."""
from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def optional_import(name: str) -> Any:
    """The module `name`, or None where it is not installed (the peer libraries)."""
    try:
        return __import__(name)
    except Exception:
        return None


def in_child(script: str, library: str, *options: str) -> dict[str, Any]:
    """Run `script --library library *options` in a new interpreter (each library in a
    process of its own: PyTorch's spinning threads slow whatever runs after them), show
    the lines it prints before its last, and read the medians it prints as JSON on its last
    line; {} when it fails."""
    out = subprocess.run([sys.executable, script, "--library", library, *options],
                         capture_output=True, text=True)
    lines = out.stdout.strip().splitlines()
    for line in lines[:-1]:  # (its CHECK FAILED and ERROR lines, say)
        print(f"{library}: {line}", flush=True)
    if out.returncode != 0 or not lines:
        print(f"{library}: ERROR {out.stderr.strip().splitlines()[-3:]}", flush=True)
        return {}
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def median_ms(fn: Callable[[], object], repeat: int = 15, warmup: int = 2) -> float:
    """Median wall time of `fn` in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def interleaved(variants: dict[str, Callable[[], object] | None], rounds: int,
                warmup: int = 2, samples: bool = False) -> dict[str, Any]:
    """Median ms of each variant, timed in interleaved rounds after `warmup` calls each
    (None for a variant that is None: a library not installed); with `samples`, every
    round's time instead of their median."""
    live = {k: v for k, v in variants.items() if v is not None}
    for fn in live.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {k: [] for k in live}
    order = list(live.items())
    shuffler = random.Random(0)
    for _ in range(rounds):
        # (a shuffled order each round: a library whose threads still spin after its call
        # slows whatever runs next, so no variant should always come next)
        shuffler.shuffle(order)
        for k, fn in order:
            t0 = time.perf_counter()
            fn()
            times[k].append((time.perf_counter() - t0) * 1e3)
    if samples:
        return {k: times.get(k) for k in variants}
    return {k: statistics.median(times[k]) if k in times else None for k in variants}


def table(title: str, columns: list[str], rows: list[tuple[str, dict[str, float | None]]]) -> str:
    """A Markdown table: one row per workload, one column per library (ms, lower is better)."""
    lines = [f"### {title}", "", "| workload | " + " | ".join(columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    for name, cells in rows:
        shown = [f"{cells[c]:.2f}" if cells.get(c) is not None else "-" for c in columns]
        lines.append(f"| {name} | " + " | ".join(shown) + " |")
    return "\n".join(lines)
