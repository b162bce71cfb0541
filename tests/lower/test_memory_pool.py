"""Arrays of 32 MiB and more come from a pool of blocks (lower/memory.py): a block is reused
once no array over it is alive, never while one is, and free blocks beyond a bound go
back to the system."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import mxjit as mx
from mxjit.lower import memory

LARGE = (memory.POOL_MIN_BYTES // 4 + 1024,)  # float32 elements just over the threshold


def address(a: np.ndarray) -> int:
    return int(a.__array_interface__["data"][0])


@pytest.fixture(autouse=True)
def own_pool(monkeypatch):
    """Each test starts from an empty pool (and leaves the process's pool as it was)."""
    monkeypatch.setattr(memory, "_pool", [])
    monkeypatch.setattr(memory, "_POOLING", True)


def test_small_arrays_are_plain_numpy_arrays():
    a = memory.empty((256, 256), np.float32)
    assert a.base is None and a.flags.owndata and not memory.pooled_size(a.shape, a.dtype)
    assert memory.owns_memory(a)
    assert memory._pool == []


def test_a_block_is_reused_only_when_no_array_over_it_is_alive():
    a = memory.empty(LARGE, np.float32)
    assert a.shape == LARGE and a.dtype == np.float32 and a.flags.c_contiguous
    first = address(a)
    b = memory.empty(LARGE, np.float32)  # `a` is alive: another block
    assert not np.shares_memory(a, b)
    view = a[10:20]
    del a
    c = memory.empty(LARGE, np.float32)  # a view of `a` is alive: still not reused
    assert address(c) != first and not np.shares_memory(c, view)
    del view
    d = memory.empty(LARGE, np.float32)  # now `a`'s block is free
    assert address(d) == first
    assert len(memory._pool) == 3


def test_other_shapes_and_dtypes_of_one_size_share_blocks():
    a = memory.empty(LARGE, np.float32)
    first = address(a)
    del a
    b = memory.empty((LARGE[0] // 2, 2), np.int32)
    assert address(b) == first and b.shape == (LARGE[0] // 2, 2) and b.dtype == np.int32


def test_free_blocks_beyond_the_bound_are_released(monkeypatch):
    unit = 4 << 20
    monkeypatch.setattr(memory, "POOL_MIN_BYTES", unit)
    monkeypatch.setattr(memory, "POOL_STEP_BYTES", 1 << 20)
    monkeypatch.setattr(memory, "POOL_IDLE_BYTES", 11 * unit)
    arrays = [memory.empty((unit * (k + 2) // 4,), np.float32)
              for k in range(5)]  # blocks of 2 to 6 units, none reusable by another
    del arrays
    kept = memory.empty((unit // 4,), np.float32)  # a new block: 20 units are free
    idle = sum(b.size for b in memory._pool if b is not kept.base)
    assert idle <= memory.POOL_IDLE_BYTES
    # (the least recently used go first: 2, 3 and 4 units; 11 are left)
    assert [b.size // unit for b in memory._pool] == [5, 6, 1]


def test_owns_memory_of_a_pooled_array_means_no_other_view():
    a = memory.empty(LARGE, np.float32)
    assert memory.owns_memory(a)
    v = a.reshape(-1, 2)
    assert not memory.owns_memory(a) and not memory.owns_memory(v)
    del v
    assert memory.owns_memory(a)
    assert not memory.owns_memory(np.arange(10)[2:])


def test_pooling_is_off_with_malloc_tuning_off(monkeypatch):
    monkeypatch.setenv("MXJIT_MALLOC_TUNING", "0")
    assert not memory.pooling()
    monkeypatch.setattr(memory, "_POOLING", False)
    a = memory.empty(LARGE, np.float32)
    assert a.base is None and memory._pool == []


def test_programs_write_large_results_into_pooled_memory_without_aliasing():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1024, 9000)).astype(np.float32)  # 36.9 MB
    w = rng.standard_normal((9000, 8)).astype(np.float32)
    f = mx.jit(lambda x: mx.nd.exp(x * 0.5) + 1)
    first = f(mx.nd.array(x))
    second = f(mx.nd.array(x * 2))  # `first` is alive: its memory must not be reused
    assert not np.shares_memory(first.asnumpy(), second.asnumpy())
    np.testing.assert_allclose(first.asnumpy(), np.exp(x * 0.5) + 1, rtol=1e-6)
    np.testing.assert_allclose(second.asnumpy(), np.exp(x) + 1, rtol=1e-6)
    # a GEMM's large result (BLAS writes it into the pool), eager and jitted
    a = rng.standard_normal((1024, 64)).astype(np.float32)
    b = rng.standard_normal((64, 9000)).astype(np.float32)
    expected = a.astype(np.float64) @ b
    eager = mx.nd.dot(mx.nd.array(a), mx.nd.array(b))
    jitted = mx.jit(lambda a, b: mx.nd.dot(a, b, transpose_b=True))(
        mx.nd.array(a), mx.nd.array(np.ascontiguousarray(b.T)))
    for got in (eager, jitted):
        np.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-4, atol=1e-3)
    assert not np.shares_memory(eager.asnumpy(), jitted.asnumpy())
    del w


def test_a_large_gradient_from_the_pool_is_right_and_kept_apart():
    rng = np.random.default_rng(1)
    x = mx.nd.array(rng.standard_normal((1024, 9000)).astype(np.float32))
    x.attach_grad()
    for scale in (2.0, 3.0):
        with mx.autograd.record():
            y = (x * x * scale).sum()
        y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), 2 * scale * x.asnumpy(), rtol=1e-6)
    g = x.grad.asnumpy().copy()
    with mx.autograd.record():
        z = (x * 5).sum()  # a new large result while the gradient lives
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 5.0)
    assert not np.allclose(g, 5.0)


def test_cpu_empty_cache_gives_the_free_blocks_back():
    kept = memory.empty(LARGE, np.float32)
    dropped = memory.empty(LARGE, np.float32)
    del dropped
    assert len(memory._pool) == 2
    mx.cpu().empty_cache()
    assert [b is kept.base for b in memory._pool] == [True]
    assert memory.release_free() == 0
    kept[:] = 1  # (the live array is untouched)
    assert float(kept[-1]) == 1.0


class _Cycle:
    """An object that refers to itself, as an array with `attach_grad()` and its tape
    record do: only Python's cyclic collector frees it."""

    def __init__(self, data: np.ndarray):
        self.data, self.me = data, self


def test_the_pool_runs_the_cyclic_collector_after_growing_by_its_bound(monkeypatch):
    monkeypatch.setattr(memory, "COLLECT_AFTER_BYTES", 96 << 20)
    gc.collect()
    gc.disable()  # (no automatic collection: only the pool's may free the cycle)
    try:
        memory._grown[0] = 0
        held = _Cycle(memory.empty((40 << 20,), np.uint8))
        gone = weakref.ref(held)
        del held
        assert gone() is not None  # (in a cycle: still there)
        kept = [memory.empty((40 << 20,), np.uint8) for _ in range(2)]  # 120 MiB of growth
        assert gone() is None
        del kept
    finally:
        gc.enable()
        mx.cpu().empty_cache()
