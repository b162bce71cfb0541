"""`mx.nd.linalg`: MXNet's batched linear algebra over the last two axes.

Products (gemm, gemm2, syrk, trmm) and diagonal helpers are composites over `dot_general`
and movement primitives; factorisations and solves (potrf, trsm, inverse, det, slogdet) are
LAPACK library primitives (kernels/linalg.py) with vjp rules, so everything differentiates.
Not provided: gelqf, syevd, potri's in-place variants, extracttrian/maketrian.
"""
from __future__ import annotations

from ..base import DTypeError, ShapeError
from ..core import Array, bind, scalar_operand
from ..core.operators import register_operator
from .elementwise import cast, promote
from .operands import axis_index, ew, iota, reshape_exact, select
from .shape import broadcast_exact, reshape, transpose


def _swap(x: Array, a: int, b: int) -> Array:
    if a == b:
        return x
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, tuple(perm))


def _t(x: Array) -> Array:
    return _swap(x, x.ndim - 1, x.ndim - 2)


def _matrices(op: str, *arrays: Array) -> None:
    for a in arrays:
        if a.ndim < 2:
            raise ShapeError(f"linalg.{op}: needs matrices (at least 2 dimensions), got shape "
                             f"{a.shape}")
        if a._dtype.kind != "f":
            raise DTypeError(f"linalg.{op}: needs floating-point matrices, got {a._dtype}")
    if any(a.ndim != arrays[0].ndim or a.shape[:-2] != arrays[0].shape[:-2] for a in arrays):
        raise ShapeError(f"linalg.{op}: the batch axes differ: {[a.shape for a in arrays]}")


def _matmul(op: str, a: Array, b: Array, transpose_a: bool, transpose_b: bool) -> Array:
    _matrices(op, a, b)
    a = _t(a) if transpose_a else a
    b = _t(b) if transpose_b else b
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"linalg.{op}: op(A) of shape {a.shape} and op(B) of shape {b.shape} "
                         "do not multiply")
    batch = tuple(range(a.ndim - 2))
    return bind("dot_general", a, b, contract=((a.ndim - 1,), (b.ndim - 2,)),
                batch=(batch, batch))


def _rows_axis(x: Array, axis: int, op: str) -> int:
    ax = axis_index(axis, x.ndim, f"linalg.{op}")
    if ax == x.ndim - 1:
        raise ShapeError(f"linalg.{op}: axis {axis} is the column axis; it names the rows")
    return ax


@register_operator("_linalg_gemm2", inputs=("A", "B"), aliases=("linalg_gemm2",))
def gemm2(A: Array, B: Array, transpose_a: bool = False, transpose_b: bool = False,
          alpha: float = 1.0, axis: int = -2) -> Array:
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
    return _swap(y, ra, y.ndim - 2)


@register_operator("_linalg_gemm", inputs=("A", "B", "C"), aliases=("linalg_gemm",))
def gemm(A: Array, B: Array, C: Array, transpose_a: bool = False,
         transpose_b: bool = False, alpha: float = 1.0, beta: float = 1.0, axis: int = -2) -> Array:
    """alpha * op(A) @ op(B) + beta * C for each matrix of the batch.

    >>> mx.nd.linalg.gemm(A, B, C, alpha=2.0, beta=0.5)  # doctest: +SKIP
    """
    prod = gemm2(A, B, transpose_a, transpose_b, alpha, axis)
    if C.shape != prod.shape:
        raise ShapeError(f"linalg.gemm: C has shape {C.shape}, the product {prod.shape}")
    return prod + C * beta if beta != 1.0 else prod + C


@register_operator("_linalg_syrk", inputs=("A",), aliases=("linalg_syrk",))
def syrk(A: Array, transpose: bool = False, alpha: float = 1.0) -> Array:
    """alpha * A @ A.T (alpha * A.T @ A with `transpose`).

    >>> mx.nd.linalg.syrk(mx.nd.ones((2, 3))).shape  # doctest: +SKIP
    (2, 2)
    """
    y = _matmul("syrk", A, A, transpose, not transpose)
    return y * alpha if alpha != 1.0 else y


def _triangle(a: Array, lower: bool) -> Array:
    rows = iota(a.shape, a.ndim - 2, a)
    cols = iota(a.shape, a.ndim - 1, a)
    return select(ew("ge" if lower else "le", rows, cols), a, 0)


def _square(op: str, a: Array) -> None:
    _matrices(op, a)
    if a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"linalg.{op}: needs square matrices, got shape {a.shape}")


@register_operator("_linalg_trmm", inputs=("A", "B"), aliases=("linalg_trmm",))
def trmm(A: Array, B: Array, transpose: bool = False, rightside: bool = False,
         lower: bool = True, alpha: float = 1.0) -> Array:
    """alpha * op(T) @ B (B @ op(T) with `rightside`), T the lower (or upper) triangle of A.

    >>> mx.nd.linalg.trmm(L, B)  # doctest: +SKIP
    """
    _square("trmm", A)
    t = _triangle(A, lower)
    y = _matmul("trmm", B, t, False, transpose) if rightside else _matmul(
        "trmm", t, B, transpose, False)
    return y * alpha if alpha != 1.0 else y


@register_operator("_linalg_trsm", inputs=("A", "B"), aliases=("linalg_trsm",))
def trsm(A: Array, B: Array, transpose: bool = False, rightside: bool = False,
         lower: bool = True, alpha: float = 1.0) -> Array:
    """X solving op(T) @ X = alpha * B (X @ op(T) = alpha * B with `rightside`), T the lower
    (or upper) triangle of A.

    >>> mx.nd.linalg.trsm(L, B)  # doctest: +SKIP
    """
    _square("trsm", A)
    x = bind("triangular_solve", A, B, lower=bool(lower), transpose=bool(transpose),
             rightside=bool(rightside))
    return x * alpha if alpha != 1.0 else x


@register_operator("_linalg_potrf", inputs=("A",), aliases=("linalg_potrf",))
def potrf(A: Array) -> Array:
    """The lower Cholesky factor L of symmetric positive-definite A = L @ L.T (only A's lower
    triangle is read; the gradient is symmetric, as MXNet's).

    >>> mx.nd.linalg.potrf(mx.nd.array([[4, 2], [2, 5]]))  # doctest: +SKIP
    """
    _square("potrf", A)
    return bind("cholesky", A)


@register_operator("_linalg_potri", inputs=("A",), aliases=("linalg_potri",))
def potri(A: Array) -> Array:
    """inv(L @ L.T) from a Cholesky factor L (what potrf returns).

    >>> mx.nd.linalg.potri(mx.nd.linalg.potrf(A))  # doctest: +SKIP
    """
    _square("potri", A)
    eye = broadcast_exact(_constant_eye(A), A.shape)
    l_inv = trsm(A, eye)
    return _matmul("potri", l_inv, l_inv, True, False)


def _constant_eye(a: Array) -> Array:
    n = a.shape[-1]
    rows = iota((n, n), 0, a)
    return cast(ew("eq", rows, iota((n, n), 1, a)), a._dtype)


@register_operator("_linalg_inverse", inputs=("A",), aliases=("linalg_inverse",))
def inverse(A: Array) -> Array:
    """The inverse of each square matrix.

    >>> mx.nd.linalg.inverse(mx.nd.array([[2, 0], [0, 4]]))  # doctest: +SKIP
    """
    _square("inverse", A)
    return bind("inverse", A)


def _per_matrix(y: Array) -> Array:
    return reshape(y, shape=(1,)) if y.ndim == 0 else y


@register_operator("_linalg_det", inputs=("A",), aliases=("linalg_det",))
def det(A: Array) -> Array:
    """The determinant of each square matrix (shape (1,) for a single matrix).

    >>> mx.nd.linalg.det(mx.nd.array([[2, 1], [1, 3]]))  # doctest: +SKIP
    """
    _square("det", A)
    return _per_matrix(bind("det", A))


@register_operator("_linalg_slogdet", inputs=("A",), aliases=("linalg_slogdet",))
def slogdet(A: Array) -> list[Array]:
    """[sign, log(abs(det))] of each square matrix.

    >>> sign, logabsdet = mx.nd.linalg.slogdet(A)  # doctest: +SKIP
    """
    _square("slogdet", A)
    return [_per_matrix(bind("slogdet_sign", A)), _per_matrix(bind("logabsdet", A))]


@register_operator("_linalg_extractdiag", inputs=("A",), aliases=("linalg_extractdiag",))
def extractdiag(A: Array, offset: int = 0) -> Array:
    """The `offset` diagonal of each matrix (above the main one for offset > 0).

    >>> mx.nd.linalg.extractdiag(mx.nd.array([[1, 2], [3, 4]]))  # doctest: +SKIP
    """
    _square("extractdiag", A)
    n = A.shape[-1]
    length = n - abs(offset)
    if length < 1:
        raise ShapeError(f"linalg.extractdiag: offset {offset} is outside {n}x{n} matrices")
    flat = reshape(A, shape=A.shape[:-2] + (n * n,))
    start = offset if offset >= 0 else -offset * n
    lead = (0,) * (A.ndim - 2)
    y = bind("slice", flat, start=lead + (start,),
             stop=A.shape[:-2] + (start + (length - 1) * (n + 1) + 1,),
             step=(1,) * (A.ndim - 2) + (n + 1,))
    return y


@register_operator("_linalg_makediag", inputs=("A",), aliases=("linalg_makediag",))
def makediag(A: Array, offset: int = 0) -> Array:
    """Square matrices with the last axis of A on their `offset` diagonal, zeros elsewhere.

    >>> mx.nd.linalg.makediag(mx.nd.array([1, 2]))  # doctest: +SKIP
    """
    length = A.shape[-1]
    n = length + abs(offset)
    lead = A.shape[:-1]
    col = reshape(A, shape=lead + (length, 1))
    zero = scalar_operand(0, A)
    spread = bind("pad", col, zero, low=(0,) * (A.ndim + 1),
                  high=(0,) * A.ndim + (n,))  # each entry followed by n zeros
    spread = reshape(spread, shape=lead + (length * (n + 1),))
    start = offset if offset >= 0 else -offset * n
    body = (length - 1) * (n + 1) + 1
    spread = bind("slice", spread, start=(0,) * A.ndim, stop=lead + (body,),
                  step=(1,) * A.ndim)
    flat = bind("pad", spread, zero, low=(0,) * (A.ndim - 1) + (start,),
                high=(0,) * (A.ndim - 1) + (n * n - start - body,))
    return reshape(flat, shape=lead + (n, n))


@register_operator("_linalg_sumlogdiag", inputs=("A",), aliases=("linalg_sumlogdiag",))
def sumlogdiag(A: Array) -> Array:
    """The sum of the logarithms of each matrix's diagonal (shape (1,) for one matrix).

    >>> mx.nd.linalg.sumlogdiag(mx.nd.array([[1, 1], [1, 7]]))  # doctest: +SKIP
    """
    diag = extractdiag(A)
    return _per_matrix(bind("reduce_sum", ew("log", diag), axes=(diag.ndim - 1,)))




@register_operator("dot", inputs=("lhs", "rhs"))
def dot(lhs: Array, rhs: Array, transpose_a: bool = False, transpose_b: bool = False) -> Array:
    """Matrix product over the last axis of `lhs` and the first of `rhs` (MXNet's `dot`).

    >>> mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((3, 4))).shape  # doctest: +SKIP
    (2, 4)
    """
    a, b = promote(lhs, rhs)
    if transpose_a:
        a = transpose(a, tuple(range(1, a.ndim)) + (0,)) if a.ndim > 1 else a
    if transpose_b:
        b = transpose(b, (b.ndim - 1,) + tuple(range(b.ndim - 1))) if b.ndim > 1 else b
    out = bind("dot_general", a, b, contract=((a.ndim - 1,), (0,)), batch=((), ()))
    return reshape_exact(out, (1,)) if out.ndim == 0 else out


@register_operator("batch_dot", inputs=("lhs", "rhs"))
def batch_dot(lhs: Array, rhs: Array, transpose_a: bool = False, transpose_b: bool = False
              ) -> Array:
    """Batched matrix product of (B, M, K) and (B, K, N) arrays.

    >>> mx.nd.batch_dot(mx.nd.ones((2, 1, 3)), mx.nd.ones((2, 3, 4))).shape  # doctest: +SKIP
    (2, 1, 4)
    """
    a, b = promote(lhs, rhs)
    ca = 1 if transpose_a else 2
    cb = 2 if transpose_b else 1
    return bind("dot_general", a, b, contract=((ca,), (cb,)), batch=((0,), (0,)))
