"""`mx.nd.linalg`: MXNet's batched linear algebra over the last two axes, generated from the
operator table.

    >>> mx.nd.linalg.gemm2(mx.nd.ones((2, 3)), mx.nd.ones((3, 4))).shape  # doctest: +SKIP
"""
from .namespace import functions as _functions

_made = _functions("linalg")
globals().update(_made)
__all__ = sorted(_made)
del _functions, _made
