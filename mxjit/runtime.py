"""`mx.runtime`: which of MXNet's build features this mxjit has, answered for this machine.

MXNet reports the flags its library was compiled with; mxjit compiles its kernels at run
time, so each of MXNet 1.9.1's feature names is answered by a probe of what mxjit uses
here: CUDA when the CUDA backend (pycuda, a driver and a GPU) can hold arrays, the CPU
instruction sets LLVM compiles for (the host's), BLAS/LAPACK when NumPy's (which mxjit's
GEMM and linear algebra call) is that library. Features that are parts of MXNet's native
build mxjit does not have (cuDNN, NCCL, MKL-DNN, OpenMP, jemalloc, ...) are off.

    >>> mx.runtime.Features().is_enabled('CUDNN')
    False
"""
from __future__ import annotations

import collections
from collections.abc import Callable

import llvmlite.binding as llvm
import numpy as np

from .base import ParamError
from .context import num_gpus

__all__ = ["Feature", "Features", "feature_list"]


def __dir__() -> list[str]:  # (what tab completion offers: the public names)
    return __all__


def _host_cpu(flag: str) -> Callable[[], bool]:
    """LLVM compiles mxjit's CPU kernels for the host CPU: its instruction sets are used."""
    return lambda: bool(llvm.get_host_cpu_features().get(flag, False))


def _numpy_blas(part: str, vendor: str) -> Callable[[], bool]:
    """mxjit's GEMM and linear algebra run through NumPy's BLAS / LAPACK."""
    def probe() -> bool:
        deps = getattr(np.__config__, "CONFIG", {}).get("Build Dependencies", {})
        info = deps.get(part, {})
        return bool(info.get("found")) and vendor in str(info.get("name", "")).lower()
    return probe


def _off() -> bool:
    """A part of MXNet's native build that mxjit does not have."""
    return False


def _on() -> bool:
    return True


#: MXNet 1.9.1's feature names in its order (libinfo.h), each with what answers it here.
PROBES: dict[str, Callable[[], bool]] = {
    "CUDA": lambda: num_gpus() > 0,
    "CUDNN": _off, "NCCL": _off,
    "CUDA_RTC": _off,  # (no mx.rtc: user CUDA kernels are not offered)
    "TENSORRT": _off,
    "CPU_SSE": _host_cpu("sse"), "CPU_SSE2": _host_cpu("sse2"), "CPU_SSE3": _host_cpu("sse3"),
    "CPU_SSE4_1": _host_cpu("sse4.1"), "CPU_SSE4_2": _host_cpu("sse4.2"),
    "CPU_SSE4A": _host_cpu("sse4a"), "CPU_AVX": _host_cpu("avx"), "CPU_AVX2": _host_cpu("avx2"),
    "OPENMP": _off,  # (mxjit's own thread pool runs the kernels)
    "SSE": _host_cpu("sse2"), "F16C": _host_cpu("f16c"),
    "JEMALLOC": _off,
    "BLAS_OPEN": _numpy_blas("blas", "openblas"), "BLAS_ATLAS": _numpy_blas("blas", "atlas"),
    "BLAS_MKL": _numpy_blas("blas", "mkl"), "BLAS_APPLE": _numpy_blas("blas", "accelerate"),
    "LAPACK": _numpy_blas("lapack", ""),
    "MKLDNN": _off, "OPENCV": _off, "CAFFE": _off, "PROFILER": _off, "DIST_KVSTORE": _off,
    "CXX14": _off,
    "INT64_TENSOR_SIZE": _on,  # (kernel loops and offsets are 64-bit)
    "SIGNAL_HANDLER": _off, "DEBUG": _off, "TVM_OP": _off,
}


class Feature:
    """One feature: its `name` and whether it is `enabled` here.

    >>> Feature('CUDA', False)
    ✖ CUDA
    """

    def __init__(self, name: str, enabled: bool):
        self.name = name
        self.enabled = enabled

    def __repr__(self) -> str:
        return f"{'✔' if self.enabled else '✖'} {self.name}"


def feature_list() -> list[Feature]:
    """Every feature MXNet 1.9.1 names, each answered for mxjit on this machine.

    >>> [f.name for f in feature_list()][:2]
    ['CUDA', 'CUDNN']
    """
    return [Feature(name, probe()) for name, probe in PROBES.items()]


class Features(collections.OrderedDict):
    """The features by name (one instance per process, as in MXNet).

    >>> mx.runtime.Features().is_enabled('cpu_sse2')  # doctest: +SKIP
    True
    """

    instance: Features | None = None

    def __new__(cls) -> Features:
        if cls.instance is None:
            cls.instance = super().__new__(cls)
            super().__init__(cls.instance, [(f.name, f) for f in feature_list()])
        return cls.instance

    def __repr__(self) -> str:
        return str(list(self.values()))

    def is_enabled(self, feature_name: str) -> bool:
        """Whether the feature (any case) is enabled; unknown names are an error.

        >>> mx.runtime.Features().is_enabled('TVM_OP')  # doctest: +SKIP
        False
        """
        name = feature_name.upper()
        if name not in self:
            raise ParamError(f"Feature '{name}' is unknown, known features are: "
                                f"{list(self.keys())}")
        return self[name].enabled
