"""GEMM on the CPU: dot_general through NumPy's matmul, which calls its BLAS.

Programs run library calls with NumPy's floating-point warnings off (overflow to inf is
IEEE's answer, as in our kernels), once per run rather than once per call: `Program.run`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..lower import empty, pooled_size
from ..trace.contraction import batched_matmul, dot_general_numpy


def dot_general(a: np.ndarray, b: np.ndarray, **attrs: Any) -> np.ndarray:
    """Contract `a` and `b`; float16 goes through float32 (BLAS has no half GEMM)."""
    if a.dtype == np.float16:
        out = dot_general_numpy(a.astype(np.float32), b.astype(np.float32), **attrs)
        return out.astype(np.float16)
    return dot_general_numpy(a, b, **attrs)


def plan_dot_general(a: Any, b: Any, *, contract: tuple, batch: tuple
                     ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """`dot_general` specialised to operands of these shapes and dtype (abstract values).

    The axis bookkeeping of `dot_general_numpy` costs tens of microseconds per call, as
    much as a small GEMM; a program pays it once, when it is lowered. A matrix product
    (one contracted axis, no batch) is one BLAS call on (possibly transposed) views.
    """
    (ca, cb), ba = contract, batch[0]
    if a.ndim == b.ndim == 2 and not ba and len(ca) == 1 and a.dtype == b.dtype and \
            a.dtype in (np.float32, np.float64):
        ta, tb = ca[0] == 0, cb[0] == 1
        shape2 = (a.shape[1 if ta else 0], b.shape[0 if tb else 1])
        if pooled_size(shape2, a.dtype):  # (a large result: its memory from the pool)
            return _pooled_matmul(ta, tb, shape2, a.dtype)
        return _MATMULS[ta, tb]
    if a.dtype == np.float16:
        return lambda x, y: dot_general(x, y, contract=contract, batch=batch)
    # any other form: one batched matmul, its axis bookkeeping done here, once
    m = batched_matmul(tuple(a.shape), tuple(b.shape), contract, batch)
    a3, b3, shape, dtype = (m.nb, m.na, m.nk), (m.nb, m.nk, m.nn), tuple(m.shape), a.dtype
    pooled = a.dtype == b.dtype and a.dtype in (np.float32, np.float64) and \
        pooled_size(shape, dtype)

    def matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = np.matmul(np.transpose(x, m.perm_a).reshape(a3),
                        np.transpose(y, m.perm_b).reshape(b3),
                        out=empty((m.nb, m.na, m.nn), dtype) if pooled else None)
        return out.reshape(shape).astype(dtype, copy=False)

    return matmul


def _pooled_matmul(ta: bool, tb: bool, shape: tuple[int, int], dtype: Any
                   ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """`_MATMULS[ta, tb]` writing into an array of the memory pool."""
    def matmul(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.matmul(x.T if ta else x, y.T if tb else y, out=empty(shape, dtype))

    return matmul


#: A matrix product by which operands are transposed (BLAS takes them as flags, no copy).
_MATMULS: dict[tuple[bool, bool], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    (False, False): lambda x, y: np.matmul(x, y),
    (True, False): lambda x, y: np.matmul(x.T, y),
    (False, True): lambda x, y: np.matmul(x, y.T),
    (True, True): lambda x, y: np.matmul(x.T, y.T),
}
