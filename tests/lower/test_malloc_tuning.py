"""Freed array memory stays in the process (glibc): a loop allocating and freeing the same
large arrays faults no new pages in, unless MXJIT_MALLOC_TUNING=0 says to leave malloc be."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")

ROOT = Path(__file__).resolve().parents[2]

CHURN = textwrap.dedent("""
    import resource
    import numpy as np
    import mxjit  # (tunes malloc at import)
    def churn():
        arrays = [np.ones((256, 256), np.float32) for _ in range(100)]
        del arrays
    churn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        churn()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 5)
""")


def faults_per_round(**env: str) -> int:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    environ.update(env)
    out = subprocess.run([sys.executable, "-c", CHURN], cwd=ROOT, env=environ,
                         capture_output=True, text=True, timeout=120, check=True)
    return int(out.stdout.strip())


def test_freed_arrays_are_reused_without_page_faults():
    # 100 arrays of 256 KiB are 6,400 pages: untuned, each round faults them in again
    assert faults_per_round() < 200
    assert faults_per_round(MXJIT_MALLOC_TUNING="0") > 3000
