"""Hand-written library kernels that fusion does not produce: GEMM through BLAS (cuBLAS on
the GPU), sorting, dense linear algebra and the rejection samplers.

Importing the package defines their primitives (each module declares its primitives'
records with `define_primitive`, as `mxjit.trace` does). `register` hands the faster
implementations to the backends (`mxjit.core` does, when it is imported).
"""
from collections.abc import Callable
from typing import Any

from . import cublas, gemm, linalg, random_sampling, sort  # noqa: F401  (define primitives)


def register(cpu: Callable[..., Any], device: Callable[..., Any]) -> None:
    """Give the backends this package's implementations: `cpu(name, fn, planner)` for the
    CPU's (BLAS GEMM), `device(name, fn)` for GPUs' (cuBLAS).

    >>> register(lower.register_library, lower.register_device_library)  # doctest: +SKIP
    """
    cpu("dot_general", gemm.dot_general, gemm.plan_dot_general)
    device("dot_general", cublas.dot_general)
