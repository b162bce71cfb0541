"""Hand-written library kernels that fusion does not produce: GEMM through BLAS (cuBLAS on
the GPU), convolution as im2col and GEMM, sorting, dense linear algebra and the rejection
samplers.

Importing the package defines their primitives (each module declares its primitives'
records with `define_primitive`, as `mxjit.trace` does). `register` hands the faster
implementations to the backends (`mxjit.core` does, when it is imported).
"""
from collections.abc import Callable
from typing import Any

# (importing them defines their primitives)
from . import convolution, cublas, gemm, linalg, random_sampling, sort  # noqa: F401


def register(cpu: Callable[..., Any], device: Callable[..., Any]) -> None:
    """Give the backends this package's implementations: `cpu(name, fn, planner)` for the
    CPU's (BLAS GEMM), `device(name, fn)` for GPUs' (cuBLAS).

    >>> register(lower.register_library, lower.register_device_library)  # doctest: +SKIP
    """
    cpu("dot_general", gemm.dot_general, gemm.plan_dot_general)
    for name, reference in convolution.NUMPY.items():
        cpu(name, reference, convolution.plan(name))
    device("dot_general", cublas.dot_general)
