"""GEMM on the CPU: dot_general through NumPy's matmul, which calls its BLAS."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..trace.ops import dot_general_numpy


def dot_general(a: np.ndarray, b: np.ndarray, **attrs: Any) -> np.ndarray:
    """Contract `a` and `b`; float16 goes through float32 (BLAS has no half GEMM)."""
    if a.dtype == np.float16:
        out = dot_general_numpy(a.astype(np.float32), b.astype(np.float32), **attrs)
        return out.astype(np.float16)
    return dot_general_numpy(a, b, **attrs)
