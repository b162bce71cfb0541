"""Hand-written library kernels that fusion does not produce (GEMM through BLAS, ...).

`LIBRARY` maps a primitive to the function that computes it on NumPy buffers;
`PLANNERS` specialise one to its operands' abstract values when a program is lowered.
"""
from collections.abc import Callable

import numpy as np

from ..trace.ops import scatter_add_numpy
from .gemm import dot_general, plan_dot_general

LIBRARY: dict[str, Callable[..., np.ndarray]] = {
    "dot_general": dot_general,
    "scatter_add": scatter_add_numpy,
}

PLANNERS: dict[str, Callable[..., Callable[..., np.ndarray]]] = {
    "dot_general": plan_dot_general,
}
