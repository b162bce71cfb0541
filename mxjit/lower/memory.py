"""Keeping freed array memory in the process, so programs that allocate and free the same
large arrays on every call (an optimizer step over 100 weights, a language model's logits)
do not pay a page fault per 4 KiB each time.

By default glibc returns freed memory at the top of the heap to the system once more than
a few hundred KiB are free, and maps arrays above a moving threshold with mmap, so every
call's fresh outputs are new pages the kernel must zero and fault in: about 9,000 faults
(a third of the time) per Adam step over 100 (256, 256) weights. Raising both thresholds
once at import keeps up to `TRIM_BYTES` of freed memory for reuse. Set MXJIT_MALLOC_TUNING=0
to leave malloc as it is; glibc's own MALLOC_TRIM_THRESHOLD_/MALLOC_MMAP_THRESHOLD_
variables, when set, win. Other C libraries (musl, macOS) are left alone.

glibc maps every array above its largest mmap threshold (32 MiB) afresh and unmaps it when
freed: a language model's (35, 32, 10000) logits cost about 2 ms of page faults each time a
program writes a new one. Arrays that large come from `empty`, which keeps their memory in
a pool of blocks: an array is a view of its block, and a block whose only reference is the
pool's is free again (no view of it is alive), so the next array of its size reuses it.
At most `POOL_IDLE_BYTES` of free blocks are kept.

    >>> tune_malloc()  # doctest: +SKIP
    True
    >>> empty((35, 32, 10000), np.float32).base is not None  # a view of a pooled block
    True
"""
from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
from typing import Any

import numpy as np

from ..context import register_host_cache

#: glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Arrays up to this size come from the heap, larger ones are mapped (glibc's maximum).
MMAP_BYTES = 32 << 20
#: Freed memory kept at the top of the heap before it goes back to the system.
TRIM_BYTES = 256 << 20
#: Arrays of at least this many bytes come from the pool (see the module docstring).
POOL_MIN_BYTES = MMAP_BYTES
#: Pool blocks are sized in steps of a huge page, so similar sizes share blocks.
POOL_STEP_BYTES = 2 << 20
#: Free blocks kept at most: beyond this the least recently used ones are released.
POOL_IDLE_BYTES = TRIM_BYTES
#: After the pool has grown by this much, the next large array runs Python's cyclic
#: collector first. An array with `attach_grad()` and its tape record refer to each other,
#: so only that collector frees them, and it counts objects, not bytes: MXNet's
#: test_slice_pooling2d_slice_pooling2d held 1 GB more per iteration, 12.7 GB at its peak
#: (4.9 GB when collected per iteration).
COLLECT_AFTER_BYTES = 1 << 30
_grown = [0]  # bytes of new blocks since the last collection
#: A free block's references: the pool's list, the loop variable and getrefcount's argument.
_FREE_REFS = 3

_pool: list[np.ndarray] = []  # uint8 blocks, most recently handed out last
_pool_lock = threading.Lock()


def tune_malloc() -> bool:
    """Raise glibc's trim and mmap thresholds (see the module docstring); whether it did."""
    if os.environ.get("MXJIT_MALLOC_TUNING", "1").strip() == "0":
        return False
    if not sys.platform.startswith("linux") or any(
            k in os.environ for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # (not glibc)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_BYTES))


def pooling() -> bool:
    """Whether large arrays come from the pool (MXJIT_MALLOC_TUNING=0 turns it off too)."""
    return os.environ.get("MXJIT_MALLOC_TUNING", "1").strip() != "0"


_POOLING = pooling()


def _nbytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    count = 1
    for d in shape:
        count *= d
    return count * dtype.itemsize


def pooled_size(shape: tuple[int, ...], dtype: Any) -> bool:
    """Whether an array of this shape and dtype comes from the pool.

    >>> pooled_size((35, 32, 10000), np.float32)
    True
    """
    return _POOLING and _nbytes(shape, np.dtype(dtype)) >= POOL_MIN_BYTES


def empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """`np.empty(shape, dtype)`, from the pool when it is `POOL_MIN_BYTES` or larger.

    >>> empty((4,), np.float32).shape
    (4,)
    """
    dtype = np.dtype(dtype)
    nbytes = _nbytes(shape, dtype)
    if nbytes < POOL_MIN_BYTES or not _POOLING:
        return np.empty(shape, dtype)
    size = -(-nbytes // POOL_STEP_BYTES) * POOL_STEP_BYTES
    if _grown[0] + size > COLLECT_AFTER_BYTES:
        _collect_cycles()
    with _pool_lock:
        block = _take(size)
    return block[:nbytes].view(dtype).reshape(shape)


def _collect_cycles() -> None:
    """Run Python's cyclic collector (outside the pool's lock: finalizers may allocate)."""
    _grown[0] = 0
    gc.collect()


def _take(size: int) -> np.ndarray:
    """A free block of `size` bytes (the pool's lock held), reused or new; releases the
    least recently used free blocks beyond `POOL_IDLE_BYTES`."""
    found = _free_block(size)
    if found < 0:
        _grown[0] += size
    block = _pool.pop(found) if found >= 0 else np.empty(size, np.uint8)
    _drop_free(POOL_IDLE_BYTES)
    _pool.append(block)
    return block


def _free_block(size: int) -> int:
    """The position of a free block of `size` bytes in the pool, or -1. (A function of its
    own: a loop variable left over would hold a reference and make a block look used.)"""
    for k in range(len(_pool)):  # (enumerate's reused tuple would hold a reference too)
        b = _pool[k]
        if b.size == size and sys.getrefcount(b) <= _FREE_REFS:
            return k
    return -1


def _drop_free(keep: int) -> int:
    """Release the least recently used free blocks (the pool's lock held) until at most
    `keep` bytes of free blocks are left; the bytes released."""
    idle = 0
    for k in range(len(_pool)):
        b = _pool[k]
        if sys.getrefcount(b) <= _FREE_REFS:
            idle += b.size
    released = 0
    k = 0
    while idle - released > keep and k < len(_pool):
        b = _pool[k]
        if sys.getrefcount(b) <= _FREE_REFS:
            released += b.size
            del _pool[k]
        else:
            k += 1
    return released


def owns_memory(array: np.ndarray) -> bool:
    """Whether `array` is the only array over its memory: it owns it, or it is the one
    live view of a pooled block (what code that may take a fresh result's buffer over
    asks).

    >>> owns_memory(empty((64 << 20,), np.uint8))
    True
    """
    base = array.base
    if base is None:
        return bool(array.flags.owndata)
    # (the pool's reference, `array`'s and getrefcount's argument's; `base` is local)
    return (type(base) is np.ndarray and base.dtype == np.uint8 and base.base is None
            and sys.getrefcount(base) <= 4 and any(b is base for b in _pool))


def release_free() -> int:
    """Drop the pool's free blocks (what `mx.cpu().empty_cache()` does); the bytes released.

    >>> release_free() >= 0
    True
    """
    with _pool_lock:
        return _drop_free(0)


register_host_cache(release_free)
