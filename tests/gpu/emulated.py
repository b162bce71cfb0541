"""A GPU emulated on the host, for running the CUDA runtime's code paths without a GPU.

`EmulatedDriver` implements `cuda_runtime.Driver`: device memory is host memory (so
addresses are real pointers), kernels are the rendered CUDA C built by g++ against
`tests/cuda_emu.HEADER` (every CUDA thread a host thread), launches follow the runtime's
launch configuration. `FakeCublas` stands in for libcublas: a column-major strided batched
GEMM in NumPy over those addresses, so the operand analysis (ops, leading dimensions, batch
strides) of `mxjit.kernels.cublas` is exercised too.
"""
from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from mxjit.lower.cuda import DeviceProps
from mxjit.lower.cuda_runtime import Driver
from tests.cuda_emu import EmulatedModule

#: small blocks and few of them, so that emulation (a host thread per CUDA thread) is quick
#: while grid-stride loops, shuffles, block trees and two-stage reductions all still run.
TINY = DeviceProps(multiprocessors=1, max_threads_per_block=64,
                   max_threads_per_multiprocessor=128)


class _Allocation:
    __slots__ = ("buffer", "address")

    def __init__(self, nbytes: int):
        self.buffer = np.zeros(nbytes + 256, np.uint8)
        self.address = (self.buffer.ctypes.data + 255) // 256 * 256

    def __int__(self) -> int:
        return self.address


class EmulatedDriver(Driver):
    """One emulated GPU ('sm_90')."""

    def __init__(self, props: DeviceProps = TINY):
        self._props = props
        self.builds = 0
        self.launches = 0

    def device_count(self) -> int:
        return 1

    def props(self, index: int) -> DeviceProps:
        return self._props

    def arch(self, index: int) -> str:
        return "sm_90"

    def name(self, index: int) -> str:
        return "emulated GPU"

    def alloc(self, index: int, nbytes: int) -> Any:
        return _Allocation(int(nbytes))

    def htod(self, dst: int, src: np.ndarray) -> None:
        ctypes.memmove(dst, src.ctypes.data, src.nbytes)

    def dtoh(self, dst: np.ndarray, src: int) -> None:
        ctypes.memmove(dst.ctypes.data, src, dst.nbytes)

    def dtod(self, dst: int, src: int, nbytes: int) -> None:
        ctypes.memmove(dst, src, nbytes)

    def memset(self, dst: int, nbytes: int) -> None:
        ctypes.memset(dst, 0, nbytes)

    def build(self, index: int, sources: list[str]) -> list[Any]:
        self.builds += len(sources)
        module = EmulatedModule.from_sources(sources)
        return [module] * len(sources)

    def function(self, module: Any, name: str, arg_format: str) -> Any:
        def launch(grid: int, block: int, *args: int) -> None:
            self.launches += 1
            values = [ctypes.c_longlong(v) for v, f in zip(args, arg_format) if f == "q"]
            it = iter(values)
            addresses = [v if f == "P" else ctypes.addressof(next(it))
                         for v, f in zip(args, arg_format)]
            module.launch(name, grid, block, addresses)

        return launch

    def synchronize(self, index: int) -> None:
        pass


def _column_major(address: int, dtype: np.dtype, rows: int, cols: int, ld: int) -> np.ndarray:
    item = dtype.itemsize
    count = ld * (cols - 1) + rows if rows and cols else 0
    raw = (ctypes.c_char * (count * item)).from_address(address)
    flat = np.frombuffer(raw, dtype=dtype, count=count)
    return np.lib.stride_tricks.as_strided(flat, shape=(rows, cols), strides=(item, ld * item))


class FakeCublas:
    """libcublas's strided batched GEMMs, computed with NumPy at the given addresses."""

    def cublasCreate_v2(self, handle: Any) -> int:
        return 0

    def _gemm(self, dtype: np.dtype, op_a: int, op_b: int, m: int, n: int, k: int,
              alpha: Any, a: int, lda: int, sa: int, b: int, ldb: int, sb: int, beta: Any,
              c: int, ldc: int, sc: int, batch: int, acc: np.dtype) -> int:
        item = dtype.itemsize
        for i in range(batch):
            am = _column_major(a + i * sa * item, dtype, *((m, k) if op_a == 0 else (k, m)),
                               lda)
            bm = _column_major(b + i * sb * item, dtype, *((k, n) if op_b == 0 else (n, k)),
                               ldb)
            cm = _column_major(c + i * sc * item, dtype, m, n, ldc)
            am = am if op_a == 0 else am.T
            bm = bm if op_b == 0 else bm.T
            prod = am.astype(acc) @ bm.astype(acc)
            cm[...] = (alpha._obj.value * prod + beta._obj.value * cm.astype(acc)).astype(dtype)
        return 0

    def cublasSgemmStridedBatched(self, h: Any, op_a: int, op_b: int, m: int, n: int, k: int,
                                  alpha: Any, a: int, lda: int, sa: int, b: int, ldb: int,
                                  sb: int, beta: Any, c: int, ldc: int, sc: int,
                                  batch: int) -> int:
        f32 = np.dtype(np.float32)
        return self._gemm(f32, op_a, op_b, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c,
                          ldc, sc, batch, f32)

    def cublasDgemmStridedBatched(self, h: Any, op_a: int, op_b: int, m: int, n: int, k: int,
                                  alpha: Any, a: int, lda: int, sa: int, b: int, ldb: int,
                                  sb: int, beta: Any, c: int, ldc: int, sc: int,
                                  batch: int) -> int:
        f64 = np.dtype(np.float64)
        return self._gemm(f64, op_a, op_b, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c,
                          ldc, sc, batch, f64)

    def cublasGemmStridedBatchedEx(self, h: Any, op_a: int, op_b: int, m: int, n: int, k: int,
                                   alpha: Any, a: int, ta: int, lda: int, sa: int, b: int,
                                   tb: int, ldb: int, sb: int, beta: Any, c: int, tc: int,
                                   ldc: int, sc: int, batch: int, compute: int,
                                   algo: int) -> int:
        assert ta == tb == tc == 2 and compute == 68  # float16 data, float32 accumulation
        return self._gemm(np.dtype(np.float16), op_a, op_b, m, n, k, alpha, a, lda, sa, b,
                          ldb, sb, beta, c, ldc, sc, batch, np.dtype(np.float32))
