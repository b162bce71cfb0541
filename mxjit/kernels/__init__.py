"""Hand-written library kernels that fusion does not produce: GEMM through BLAS (cuBLAS on
the GPU), sorting, dense linear algebra and the rejection samplers.

Importing the package defines their primitives (each module declares its primitives'
records with `define_primitive`, as `mxjit.trace` does). `LIBRARY` maps a primitive to a
faster CPU implementation than its NumPy meaning; `PLANNERS` specialise one to its
operands' abstract values when a program is lowered. Every other library primitive runs
its NumPy meaning.
"""
from collections.abc import Callable

import numpy as np

from . import linalg, random_sampling, sort  # noqa: F401  (define their primitives)
from .gemm import dot_general, plan_dot_general

LIBRARY: dict[str, Callable[..., np.ndarray]] = {
    "dot_general": dot_general,
}

PLANNERS: dict[str, Callable[..., Callable[..., np.ndarray]]] = {
    "dot_general": plan_dot_general,
}
