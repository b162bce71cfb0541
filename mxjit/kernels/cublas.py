"""GEMM on the GPU: `dot_general` through cuBLAS, loaded with ctypes.

libcublas is looked for in `$MXJIT_CUBLAS` (a path), the CUDA toolkit (`$CUDA_HOME`,
`$CUDA_PATH`, /usr/local/cuda), NVIDIA's `nvidia-cublas` wheels on `sys.path`, and the
loader's search path. Without it, a GPU matrix product raises `CublasError` naming the
places it looked.

`dot_general` lowers to a strided batched GEMM (`cublas{S,D}gemmStridedBatched`,
`cublasGemmStridedBatchedEx` for float16 with float32 accumulation, as on the CPU). Operands
whose two matrix axes are row- or column-major are passed as they are (a transposed view
is a transposed GEMM); others are made contiguous on the device first. Integer GEMM (not in
cuBLAS) returns None and runs on the host. TF32 stays off (cuBLAS's default math mode), so
float32 products are float32 products.

>>> candidates()[:1]  # doctest: +SKIP
['/usr/local/cuda/lib64/libcublas.so']
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import sys
from typing import Any

import numpy as np

from ..base import CublasError
from ..context import process_lock
from ..trace.contraction import batched_matmul

__all__ = ["CublasError", "candidates", "dot_general", "library"]

_OP_N, _OP_T = 0, 1
_CUDA_R_16F, _CUDA_R_32F = 2, 0
_COMPUTE_32F = 68
_GEMM_DEFAULT = -1


def candidates() -> list[str]:
    """Where libcublas is looked for, in order (only paths that exist, then bare names)."""
    found: list[str] = []
    env = os.environ.get("MXJIT_CUBLAS")
    if env:
        found.append(env)
    roots = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"]
    for root in filter(None, roots):
        for sub in ("lib64", "lib", "targets/x86_64-linux/lib"):
            found += sorted(glob.glob(os.path.join(root, sub, "libcublas.so*")), reverse=True)
    for entry in sys.path:
        base = os.path.join(entry or ".", "nvidia")
        if os.path.isdir(base):
            found += sorted(glob.glob(os.path.join(base, "*", "lib", "libcublas.so*")) +
                            glob.glob(os.path.join(base, "*", "*", "lib", "libcublas.so*")),
                            reverse=True)
    name = ctypes.util.find_library("cublas")
    if name:
        found.append(name)
    found += ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"]
    return list(dict.fromkeys(found))


_lib: Any = None
_lock = process_lock()


def library() -> Any:
    """The loaded libcublas (ctypes), or `CublasError` saying where it was looked for."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            tried = candidates()
            errors = []
            for path in tried:
                try:
                    lib = ctypes.CDLL(path)
                    lib.cublasCreate_v2  # noqa: B018  (a real cuBLAS)
                except (OSError, AttributeError) as e:
                    errors.append(f"{path}: {e}")
                    continue
                _declare(lib)
                _lib = lib
                break
            else:
                raise CublasError(
                    "GPU matrix products need cuBLAS, and libcublas could not be loaded. "
                    "Install the CUDA toolkit or `pip install nvidia-cublas`, or set "
                    "MXJIT_CUBLAS to the library's path. Tried: " + "; ".join(errors[-6:]))
    return _lib


def _declare(lib: Any) -> None:
    p, i, ll, c = ctypes.c_void_p, ctypes.c_int, ctypes.c_longlong, ctypes.c_int
    lib.cublasCreate_v2.argtypes = [ctypes.POINTER(p)]
    for name in ("cublasSgemmStridedBatched", "cublasDgemmStridedBatched"):
        fn = getattr(lib, name)
        fn.argtypes = [p, c, c, i, i, i, p, p, i, ll, p, i, ll, p, p, i, ll, i]
        fn.restype = i
    lib.cublasGemmStridedBatchedEx.argtypes = [p, c, c, i, i, i, p, p, c, i, ll, p, c, i, ll,
                                               p, p, c, i, ll, i, c, c]
    lib.cublasGemmStridedBatchedEx.restype = i
    lib.cublasCreate_v2.restype = i


def _handle(dev: Any) -> Any:
    if dev.blas is None:
        lib = library()
        dev.driver.activate(dev.index)
        h = ctypes.c_void_p()
        status = lib.cublasCreate_v2(ctypes.byref(h))
        if status != 0:
            raise CublasError(f"cublasCreate failed with status {status} on gpu({dev.index})")
        dev.blas = h
    return dev.blas


def _transposed(x: Any) -> tuple[Any, int, int, int]:
    """How cuBLAS (column-major) reads the transpose of each (rows x cols) matrix of a
    (batch, rows, cols) device array: (array, op, ld, batch stride in elements).

    Row-major matrices are their transposes in column-major order (op N); column-major
    ones need op T; anything else (negative, zero or interleaved strides) is first copied
    to contiguous memory."""
    item = x.itemsize
    nb, rows, cols = x.shape
    sb, sr, sc = (s // item for s in x.strides)
    sb = 0 if nb == 1 else sb
    if sb >= 0 and (sc == 1 or cols == 1) and sr >= max(cols, 1):
        return x, _OP_N, sr, sb
    if sb >= 0 and (sr == 1 or rows == 1) and sc >= max(rows, 1):
        return x, _OP_T, sc, sb
    y = x.copy()
    return y, _OP_N, max(cols, 1), rows * cols if nb > 1 else 0


def dot_general(dev: Any, a: Any, b: Any, *, contract: tuple, batch: tuple) -> Any | None:
    """`dot_general` of two device arrays on `dev` through cuBLAS (None for integer dtypes,
    which the caller computes on the host)."""
    if a.dtype not in (np.float32, np.float64, np.float16):
        return None
    m = batched_matmul(a.shape, b.shape, contract, batch)
    nb, na, nk, nn, shape = m.nb, m.na, m.nk, m.nn, m.shape
    out = dev.empty((nb, na, nn), a.dtype)
    if out.size == 0:
        return out.reshape(shape)
    if nk == 0:
        dev.driver.memset(out.ptr, out.nbytes)
        return out.reshape(shape)
    if max(nb, na, nn, nk) >= 2**31:
        return None
    a3 = a.transpose(m.perm_a).reshape(nb, na, nk)
    b3 = b.transpose(m.perm_b).reshape(nb, nk, nn)
    # row-major C (na x nn) = A3 @ B3 is column-major C^T (nn x na) = B3^T @ A3^T
    bm, op_b, ld_b, s_b = _transposed(b3)
    am, op_a, ld_a, s_a = _transposed(a3)
    lib, handle = library(), _handle(dev)
    dev.driver.activate(dev.index)
    if a.dtype == np.float16:
        one, zero = ctypes.c_float(1.0), ctypes.c_float(0.0)
        status = lib.cublasGemmStridedBatchedEx(
            handle, op_b, op_a, nn, na, nk, ctypes.byref(one), bm.ptr, _CUDA_R_16F, ld_b, s_b,
            am.ptr, _CUDA_R_16F, ld_a, s_a, ctypes.byref(zero), out.ptr, _CUDA_R_16F, nn,
            na * nn, nb, _COMPUTE_32F, _GEMM_DEFAULT)
    else:
        single = a.dtype == np.float32
        fn = lib.cublasSgemmStridedBatched if single else lib.cublasDgemmStridedBatched
        one_, zero_ = (ctypes.c_float(1.0), ctypes.c_float(0.0)) if single else (
            ctypes.c_double(1.0), ctypes.c_double(0.0))
        status = fn(handle, op_b, op_a, nn, na, nk, ctypes.byref(one_), bm.ptr, ld_b, s_b,
                    am.ptr, ld_a, s_a, ctypes.byref(zero_), out.ptr, nn, na * nn, nb)
    if status != 0:
        raise CublasError(f"cuBLAS GEMM ({a.dtype}, batch {nb}, {na}x{nk} @ {nk}x{nn}) failed "
                          f"with status {status}")
    return out.reshape(shape)
