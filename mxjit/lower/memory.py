"""Keeping freed array memory in the process (glibc's malloc), so programs that allocate
and free the same large arrays on every call (an optimizer step over 100 weights) do not
pay a page fault per 4 KiB each time.

By default glibc returns freed memory at the top of the heap to the system once more than
a few hundred KiB are free, and maps arrays above a moving threshold with mmap, so every
call's fresh outputs are new pages the kernel must zero and fault in: about 9,000 faults
(a third of the time) per Adam step over 100 (256, 256) weights. Raising both thresholds
once at import keeps up to `TRIM_BYTES` of freed memory for reuse. Set MXJIT_MALLOC_TUNING=0
to leave malloc as it is; glibc's own MALLOC_TRIM_THRESHOLD_/MALLOC_MMAP_THRESHOLD_
variables, when set, win. Other C libraries (musl, macOS) are left alone.

    >>> tune_malloc()  # doctest: +SKIP
    True
"""
from __future__ import annotations

import ctypes
import os
import sys

#: glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Arrays up to this size come from the heap, larger ones are mapped (glibc's maximum).
MMAP_BYTES = 32 << 20
#: Freed memory kept at the top of the heap before it goes back to the system.
TRIM_BYTES = 256 << 20


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
