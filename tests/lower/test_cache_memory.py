"""Compiled code is bounded: an LRU of kernels in memory, engines freed with their last
holder, compiles that leak nothing, and a size-bounded disk cache (issue #11, part 3)."""
import gc
import os
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest

import mxjit as mx
from mxjit.lower import cache as kcache
from mxjit.lower import llvm as backend

from .test_cache_security import expect, kernel_of, run

nd = mx.nd


def test_the_in_memory_cache_keeps_the_most_recently_used_kernels(private_cache_dir):
    kernels = kcache.KernelCache(capacity=3)
    made = [kernel_of(float(s)) for s in range(6)]
    for k in made:
        kernels.get(k)
    kernels.get(made[3])  # (used again: now the most recent)
    kernels.get(made[5])
    assert len(kernels._memory) == 3
    loads = kernels.compiles + kernels.disk_loads
    for k in (made[3], made[4], made[5]):  # all still in memory: nothing loaded
        kernels.get(k)
    assert kernels.compiles + kernels.disk_loads == loads
    again = kernels.get(made[0])  # evicted: loaded again (from disk), and still right
    assert kernels.disk_loads == 1 and again.from_disk
    np.testing.assert_array_equal(run(again), expect(0.0))


def test_the_kernel_cache_size_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MXJIT_KERNEL_CACHE_SIZE", "7")
    assert kcache.KernelCache().capacity == 7
    monkeypatch.setenv("MXJIT_KERNEL_CACHE_SIZE", "lots")
    with pytest.warns(RuntimeWarning, match="MXJIT_KERNEL_CACHE_SIZE"):
        assert kcache.KernelCache().capacity == kcache.DEFAULT_KERNEL_CACHE_SIZE


def test_an_engine_is_freed_with_the_last_holder_of_its_code_and_not_before(private_cache_dir):
    kernels = kcache.KernelCache(capacity=0)  # (the cache itself holds nothing)
    compiled = kernels.get(kernel_of(2.0))
    engine = weakref.ref(compiled.call._engine)
    call = compiled.call  # a holder of the function alone (as the eager tables are)
    del compiled
    gc.collect()
    assert engine() is not None
    out = np.empty(16, np.float32)
    call(np.arange(16, dtype=np.float32), out, 0, 16)
    np.testing.assert_array_equal(out, expect(2.0))
    del call
    gc.collect()
    assert engine() is None


def test_a_kernel_still_held_is_shared_not_loaded_twice(private_cache_dir):
    kernels = kcache.KernelCache(capacity=1)
    held = kernels.get(kernel_of(1.0))
    kernels.get(kernel_of(2.0))  # evicts the first from the index
    assert kernels.get(kernel_of(1.0)) is held
    assert kernels.compiles == 2 and kernels.disk_loads == 0


def test_programs_keep_running_after_their_kernels_are_evicted(private_cache_dir, monkeypatch):
    monkeypatch.setattr(kcache.KERNELS, "capacity", 2)
    f = mx.jit(lambda x: nd.exp(x) * 0.5 + x)
    x = nd.array(np.linspace(-1, 1, 33).astype(np.float32))
    want = np.exp(x.asnumpy()) * 0.5 + x.asnumpy()
    np.testing.assert_allclose(f(x).asnumpy(), want, rtol=1e-5)
    for s in range(8):  # other kernels push f's out of the index
        mx.jit(lambda y, s=s: y * (s + 0.25) - 1)(nd.ones((5 + s,)))
    assert len(kcache.KERNELS._memory) <= 2
    gc.collect()
    np.testing.assert_allclose(f(x).asnumpy(), want, rtol=1e-5)


def test_compiling_frees_its_pass_pipeline():
    """llvmlite 0.50's ModulePassManager never frees its O3 pipeline (about 70 KiB a
    compile) unless it is disposed of explicitly."""
    texts = [backend.render_llvm(kernel_of(float(s), n=8 + s), f"leak_probe_{s}")
             for s in range(160)]
    for t in texts[:20]:
        backend.emit_object(t)
    gc.collect()
    before = _rss_kib()
    for t in texts[20:]:
        backend.emit_object(t)
    gc.collect()
    grown = _rss_kib() - before
    assert grown < 140 * 20, f"{grown} KiB for 140 compiles"


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_the_disk_cache_is_bounded_and_evicts_the_least_recently_used(private_cache_dir,
                                                                      monkeypatch):
    kernels = kcache.KernelCache(capacity=0)
    kernels.get(kernel_of(0.5))
    entry = os.path.getsize(next(private_cache_dir.glob("*.o")))
    monkeypatch.setenv("MXJIT_DISK_CACHE_MB", str(6.5 * entry / 2**20))  # six entries
    kcache.forget_disk_state()
    first = kernel_of(100.0)
    kernels.get(first)
    for s in range(12):
        kernels.get(kernel_of(float(s) + 0.125))
        kcache.KernelCache(capacity=0).get(first)  # (used all along: kept)
    entries = list(private_cache_dir.glob("*.o"))
    assert sum(p.stat().st_size for p in entries) <= 6.5 * entry
    assert len(entries) >= 3
    assert kcache.KernelCache().get(first).from_disk
    assert not kcache.KernelCache().get(kernel_of(0.125)).from_disk  # long gone


def test_a_disk_bound_of_zero_turns_the_disk_cache_off(private_cache_dir, monkeypatch):
    monkeypatch.setenv("MXJIT_DISK_CACHE_MB", "0")
    kernels = kcache.KernelCache()
    np.testing.assert_array_equal(run(kernels.get(kernel_of(3.0))), expect(3.0))
    assert not private_cache_dir.exists() or not list(private_cache_dir.glob("*.o"))


def test_the_cache_command_reports_and_clears(tmp_path):
    where = tmp_path / "kernels"
    env = {**os.environ, "MXJIT_CACHE_DIR": str(where)}
    script = textwrap.dedent("""
        import mxjit as mx
        for s in range(3):
            mx.jit(lambda x, s=s: x * (s + 0.5) + 2)(mx.nd.ones((4,)))
    """)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    n = len(list(where.glob("*.o")))
    assert n >= 3
    size = sum(p.stat().st_size for p in where.glob("*.o"))
    cmd = [sys.executable, "-m", "mxjit.cache"]
    report = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    assert str(where) in report.stdout
    assert f"{n} kernel" in report.stdout and f"{size:,} bytes" in report.stdout
    cleared = subprocess.run(cmd + ["--clear"], env=env, capture_output=True, text=True,
                             timeout=120)
    assert cleared.returncode == 0, cleared.stderr
    assert f"removed {n} kernel" in cleared.stdout
    assert not list(where.glob("*.o"))


MANY_SIGNATURES = textwrap.dedent("""
    import gc, sys
    import mxjit as mx
    nd = mx.nd

    def rss():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

    f = mx.jit(lambda x: nd.relu(x * 2.0 + 1.0) - x)
    for n in range(1, 201):
        f(nd.ones((n,)))
    gc.collect()
    steady = rss()
    for n in range(201, 601):
        f(nd.ones((n,)))
    gc.collect()
    print(rss() - steady)
""")


def test_memory_stays_bounded_over_many_signatures(tmp_path):
    env = {**os.environ, "MXJIT_CACHE_DIR": str(tmp_path / "kernels"),
           "MXJIT_JIT_CACHE_SIZE": "32", "MXJIT_KERNEL_CACHE_SIZE": "32"}
    done = subprocess.run([sys.executable, "-c", MANY_SIGNATURES], env=env, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    grown_kib = int(done.stdout.split()[-1])
    assert grown_kib < 6 * 1024, f"{grown_kib} KiB more after 400 more signatures"
