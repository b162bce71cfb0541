"""`mx.nd.linalg`: MXNet's batched linear algebra over the last two axes.

Products (gemm, gemm2, syrk, trmm) and diagonal helpers are composites over `dot_general`
and movement primitives; factorisations and solves (potrf, trsm, inverse, det, slogdet) are
LAPACK library primitives (kernels/linalg.py) with vjp rules, so everything differentiates.
Not provided: gelqf, syevd, potri's in-place variants, extracttrian/maketrian.
"""
from __future__ import annotations

from ..base import DTypeError, ShapeError
from ..kernels import linalg as _linalg_kernels  # noqa: F401  (registers the primitives)
from . import ops
from .creation import _iota
from .dispatch import bind, scalar_operand
from .ndarray import NDArray
from .nn import _axis, _ew, _select
from .ops import _write


def _swap(x: NDArray, a: int, b: int) -> NDArray:
    if a == b:
        return x
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return ops.transpose(x, tuple(perm))


def _t(x: NDArray) -> NDArray:
    return _swap(x, x.ndim - 1, x.ndim - 2)


def _matrices(op: str, *arrays: NDArray) -> None:
    for a in arrays:
        if a.ndim < 2:
            raise ShapeError(f"linalg.{op}: needs matrices (at least 2 dimensions), got shape "
                             f"{a.shape}")
        if a._dtype.kind != "f":
            raise DTypeError(f"linalg.{op}: needs floating-point matrices, got {a._dtype}")
    if any(a.ndim != arrays[0].ndim or a.shape[:-2] != arrays[0].shape[:-2] for a in arrays):
        raise ShapeError(f"linalg.{op}: the batch axes differ: {[a.shape for a in arrays]}")


def _matmul(op: str, a: NDArray, b: NDArray, transpose_a: bool, transpose_b: bool) -> NDArray:
    _matrices(op, a, b)
    a = _t(a) if transpose_a else a
    b = _t(b) if transpose_b else b
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"linalg.{op}: op(A) of shape {a.shape} and op(B) of shape {b.shape} "
                         "do not multiply")
    batch = tuple(range(a.ndim - 2))
    return bind("dot_general", a, b, contract=((a.ndim - 1,), (b.ndim - 2,)),
                batch=(batch, batch))


def _rows_axis(x: NDArray, axis: int, op: str) -> int:
    ax = _axis(axis, x.ndim, f"linalg.{op}")
    if ax == x.ndim - 1:
        raise ShapeError(f"linalg.{op}: axis {axis} is the column axis; it names the rows")
    return ax


def gemm2(A: NDArray, B: NDArray, transpose_a: bool = False, transpose_b: bool = False,
          alpha: float = 1.0, axis: int = -2, out: NDArray | None = None,
          name: str | None = None) -> NDArray:
    """alpha * op(A) @ op(B) for each matrix of the batch; `axis` names the row axis
    (columns are the last axis).

    >>> mx.nd.linalg.gemm2(mx.nd.ones((2, 3)), mx.nd.ones((3, 4))).shape  # doctest: +SKIP
    (2, 4)
    """
    ra, rb = _rows_axis(A, axis, "gemm2"), _rows_axis(B, axis, "gemm2")
    a, b = _swap(A, ra, A.ndim - 2), _swap(B, rb, B.ndim - 2)
    y = _matmul("gemm2", a, b, transpose_a, transpose_b)
    if alpha != 1.0:
        y = y * alpha
    return _write(_swap(y, ra, y.ndim - 2), out)


def gemm(A: NDArray, B: NDArray, C: NDArray, transpose_a: bool = False,
         transpose_b: bool = False, alpha: float = 1.0, beta: float = 1.0, axis: int = -2,
         out: NDArray | None = None, name: str | None = None) -> NDArray:
    """alpha * op(A) @ op(B) + beta * C for each matrix of the batch.

    >>> mx.nd.linalg.gemm(A, B, C, alpha=2.0, beta=0.5)  # doctest: +SKIP
    """
    prod = gemm2(A, B, transpose_a, transpose_b, alpha, axis)
    if C.shape != prod.shape:
        raise ShapeError(f"linalg.gemm: C has shape {C.shape}, the product {prod.shape}")
    return _write(prod + C * beta if beta != 1.0 else prod + C, out)


def syrk(A: NDArray, transpose: bool = False, alpha: float = 1.0, out: NDArray | None = None,
         name: str | None = None) -> NDArray:
    """alpha * A @ A.T (alpha * A.T @ A with `transpose`).

    >>> mx.nd.linalg.syrk(mx.nd.ones((2, 3))).shape  # doctest: +SKIP
    (2, 2)
    """
    y = _matmul("syrk", A, A, transpose, not transpose)
    return _write(y * alpha if alpha != 1.0 else y, out)


def _triangle(a: NDArray, lower: bool) -> NDArray:
    rows = _iota(a.shape, a.ndim - 2, a)
    cols = _iota(a.shape, a.ndim - 1, a)
    return _select(_ew("ge" if lower else "le", rows, cols), a, 0)


def _square(op: str, a: NDArray) -> None:
    _matrices(op, a)
    if a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"linalg.{op}: needs square matrices, got shape {a.shape}")


def trmm(A: NDArray, B: NDArray, transpose: bool = False, rightside: bool = False,
         lower: bool = True, alpha: float = 1.0, out: NDArray | None = None,
         name: str | None = None) -> NDArray:
    """alpha * op(T) @ B (B @ op(T) with `rightside`), T the lower (or upper) triangle of A.

    >>> mx.nd.linalg.trmm(L, B)  # doctest: +SKIP
    """
    _square("trmm", A)
    t = _triangle(A, lower)
    y = _matmul("trmm", B, t, False, transpose) if rightside else _matmul(
        "trmm", t, B, transpose, False)
    return _write(y * alpha if alpha != 1.0 else y, out)


def trsm(A: NDArray, B: NDArray, transpose: bool = False, rightside: bool = False,
         lower: bool = True, alpha: float = 1.0, out: NDArray | None = None,
         name: str | None = None) -> NDArray:
    """X solving op(T) @ X = alpha * B (X @ op(T) = alpha * B with `rightside`), T the lower
    (or upper) triangle of A.

    >>> mx.nd.linalg.trsm(L, B)  # doctest: +SKIP
    """
    _square("trsm", A)
    x = bind("triangular_solve", A, B, lower=bool(lower), transpose=bool(transpose),
             rightside=bool(rightside))
    return _write(x * alpha if alpha != 1.0 else x, out)


def potrf(A: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """The lower Cholesky factor L of symmetric positive-definite A = L @ L.T (only A's lower
    triangle is read; the gradient is symmetric, as MXNet's).

    >>> mx.nd.linalg.potrf(mx.nd.array([[4, 2], [2, 5]]))  # doctest: +SKIP
    """
    _square("potrf", A)
    return _write(bind("cholesky", A), out)


def potri(A: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """inv(L @ L.T) from a Cholesky factor L (what potrf returns).

    >>> mx.nd.linalg.potri(mx.nd.linalg.potrf(A))  # doctest: +SKIP
    """
    _square("potri", A)
    eye = ops.broadcast_to(_constant_eye(A), A.shape)
    l_inv = trsm(A, eye)
    return _write(_matmul("potri", l_inv, l_inv, True, False), out)


def _constant_eye(a: NDArray) -> NDArray:
    n = a.shape[-1]
    rows = _iota((n, n), 0, a)
    return ops.cast(_ew("eq", rows, _iota((n, n), 1, a)), a._dtype)


def inverse(A: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """The inverse of each square matrix.

    >>> mx.nd.linalg.inverse(mx.nd.array([[2, 0], [0, 4]]))  # doctest: +SKIP
    """
    _square("inverse", A)
    return _write(bind("inverse", A), out)


def _per_matrix(y: NDArray) -> NDArray:
    return ops.reshape(y, shape=(1,)) if y.ndim == 0 else y


def det(A: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """The determinant of each square matrix (shape (1,) for a single matrix).

    >>> mx.nd.linalg.det(mx.nd.array([[2, 1], [1, 3]]))  # doctest: +SKIP
    """
    _square("det", A)
    return _write(_per_matrix(bind("det", A)), out)


def slogdet(A: NDArray, name: str | None = None) -> list[NDArray]:
    """[sign, log(abs(det))] of each square matrix.

    >>> sign, logabsdet = mx.nd.linalg.slogdet(A)  # doctest: +SKIP
    """
    _square("slogdet", A)
    return [_per_matrix(bind("slogdet_sign", A)), _per_matrix(bind("logabsdet", A))]


def extractdiag(A: NDArray, offset: int = 0, out: NDArray | None = None,
                name: str | None = None) -> NDArray:
    """The `offset` diagonal of each matrix (above the main one for offset > 0).

    >>> mx.nd.linalg.extractdiag(mx.nd.array([[1, 2], [3, 4]]))  # doctest: +SKIP
    """
    _square("extractdiag", A)
    n = A.shape[-1]
    length = n - abs(offset)
    if length < 1:
        raise ShapeError(f"linalg.extractdiag: offset {offset} is outside {n}x{n} matrices")
    flat = ops.reshape(A, shape=A.shape[:-2] + (n * n,))
    start = offset if offset >= 0 else -offset * n
    lead = (0,) * (A.ndim - 2)
    y = bind("slice", flat, start=lead + (start,),
             stop=A.shape[:-2] + (start + (length - 1) * (n + 1) + 1,),
             step=(1,) * (A.ndim - 2) + (n + 1,))
    return _write(y, out)


def makediag(A: NDArray, offset: int = 0, out: NDArray | None = None,
             name: str | None = None) -> NDArray:
    """Square matrices with the last axis of A on their `offset` diagonal, zeros elsewhere.

    >>> mx.nd.linalg.makediag(mx.nd.array([1, 2]))  # doctest: +SKIP
    """
    length = A.shape[-1]
    n = length + abs(offset)
    lead = A.shape[:-1]
    col = ops.reshape(A, shape=lead + (length, 1))
    zero = scalar_operand(0, A)
    spread = bind("pad", col, zero, low=(0,) * (A.ndim + 1),
                  high=(0,) * A.ndim + (n,))  # each entry followed by n zeros
    spread = ops.reshape(spread, shape=lead + (length * (n + 1),))
    start = offset if offset >= 0 else -offset * n
    body = (length - 1) * (n + 1) + 1
    spread = bind("slice", spread, start=(0,) * A.ndim, stop=lead + (body,),
                  step=(1,) * A.ndim)
    flat = bind("pad", spread, zero, low=(0,) * (A.ndim - 1) + (start,),
                high=(0,) * (A.ndim - 1) + (n * n - start - body,))
    return _write(ops.reshape(flat, shape=lead + (n, n)), out)


def sumlogdiag(A: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
    """The sum of the logarithms of each matrix's diagonal (shape (1,) for one matrix).

    >>> mx.nd.linalg.sumlogdiag(mx.nd.array([[1, 1], [1, 7]]))  # doctest: +SKIP
    """
    diag = extractdiag(A)
    return _write(_per_matrix(bind("reduce_sum", _ew("log", diag), axes=(diag.ndim - 1,))),
                  out)


__all__ = ["det", "extractdiag", "gemm", "gemm2", "inverse", "makediag", "potrf", "potri",
           "slogdet", "sumlogdiag", "syrk", "trmm", "trsm"]
