"""Hand-written library kernels that fusion does not produce (GEMM through BLAS, ...).

`LIBRARY` maps a primitive to the function that computes it on NumPy buffers.
"""
from ..trace.ops import scatter_add_numpy
from .gemm import dot_general

LIBRARY = {"dot_general": dot_general, "scatter_add": scatter_add_numpy}
