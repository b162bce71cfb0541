"""`mx.np.linalg`: NumPy's linear algebra over MXNet's linalg operators (the functions
live in linear_algebra.py; `multi_dot` in extra.py; `cond`, `eig`, `eigvals` are computed
by NumPy on the host, as MXNet 1.9.1 does).

    >>> mx.np.linalg.det(mx.np.eye(2))  # doctest: +SKIP
    array(1.)
"""
from .extra import multi_dot
from .fallback import linalg_functions as _linalg_functions
from .linear_algebra import (
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matrix_power,
    matrix_rank,
    norm,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    tensorinv,
    tensorsolve,
)

_fallbacks = _linalg_functions()
globals().update(_fallbacks)

__all__ = ["cholesky", "inv", "det", "slogdet", "eigh", "eigvalsh", "solve", "qr", "svd",
           "pinv", "lstsq", "matrix_rank", "matrix_power", "tensorinv", "tensorsolve", "norm",
           "multi_dot", *_fallbacks]
del _fallbacks
