"""`mx.nd.linalg`: MXNet's batched linear algebra over the last two axes.

Products (gemm, gemm2, syrk, trmm) and the diagonal and triangle helpers are composites over
`dot_general`, movement and gather primitives; factorisations and solves (potrf, trsm,
inverse, det, slogdet, gelqf, syevd) are LAPACK library primitives (kernels/linalg.py) with
vjp rules, so everything differentiates. Not provided: potri's in-place variants.
"""
from __future__ import annotations

import numpy as np

from ..base import DTypeError, ShapeError
from ..core import Array, bind, scalar_operand
from ..core.operators import register_operator
from .elementwise import cast, promote
from .operands import axis_index, constant, ew, int_param, iota, reshape_exact, select
from .shape import broadcast_exact, reshape, slice_ranges, transpose


def _swap(x: Array, a: int, b: int) -> Array:
    if a == b:
        return x
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, tuple(perm))


def _t(x: Array) -> Array:
    return _swap(x, x.ndim - 1, x.ndim - 2)


def _floating(op: str, a: Array) -> None:
    if a._dtype.kind != "f":
        raise DTypeError(f"linalg.{op}: needs floating-point matrices, got {a._dtype}")


def _matrices(op: str, *arrays: Array) -> None:
    for a in arrays:
        if a.ndim < 2:
            raise ShapeError(f"linalg.{op}: needs matrices (at least 2 dimensions), got shape "
                             f"{a.shape}")
        _floating(op, a)
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
def potrf(A: Array, lower: bool = True) -> Array:
    """The Cholesky factor of symmetric positive-definite A: lower L with A = L @ L.T (only
    A's lower triangle is read), or with `lower=False` upper U with A = U.T @ U (only its
    upper triangle is read); the gradient is symmetric, as MXNet's.

    >>> mx.nd.linalg.potrf(mx.nd.array([[4, 2], [2, 5]]))  # doctest: +SKIP
    """
    _square("potrf", A)
    if lower:
        return bind("cholesky", A)
    return _t(bind("cholesky", _t(A)))  # (U = chol(A.T).T reads A's upper triangle)


@register_operator("_linalg_potri", inputs=("A",), aliases=("linalg_potri",))
def potri(A: Array, lower: bool = True) -> Array:
    """inv(L @ L.T) from a lower Cholesky factor L (what potrf returns), or with
    `lower=False` inv(U.T @ U) from an upper one U.

    >>> mx.nd.linalg.potri(mx.nd.linalg.potrf(A))  # doctest: +SKIP
    """
    _square("potri", A)
    if not lower:
        A = _t(A)  # (U.T is the lower factor of the same matrix)
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




def _trian_positions(n: int, offset: int, lower: bool) -> np.ndarray:
    """The flat positions in an n x n matrix of its triangle, in MXNet's order: a lower
    triangle (offset < 0, or 0 and `lower`) row by row, an upper one column by column."""
    rows, cols = np.indices((n, n))
    if offset < 0 or (offset == 0 and lower):
        keep = rows - cols >= -offset
        return (rows * n + cols)[keep]
    keep = cols - rows >= offset
    return (rows * n + cols).T[keep.T]


def _trian_offset(op: str, n: int, offset: int) -> int:
    if abs(offset) >= max(n, 1):
        raise ShapeError(f"linalg.{op}: offset must have |offset| < {n} for {n}x{n} matrices, "
                         f"got {offset}")
    return offset


@register_operator("_linalg_extracttrian", inputs=("A",), aliases=("linalg_extracttrian",))
def extracttrian(A: Array, offset: int = 0, lower: bool = True) -> Array:
    """The triangle of each square matrix as a vector: the lower one (row by row) for
    offset < 0 or offset 0 and `lower`, else the upper one (column by column), bounded by
    the `offset` diagonal.

    >>> mx.nd.linalg.extracttrian(mx.nd.array([[1, 2], [3, 4]]))  # doctest: +SKIP
    [1. 3. 4.]
    """
    _square("extracttrian", A)
    n = A.shape[-1]
    k = _trian_offset("extracttrian", n, int_param("linalg.extracttrian", "offset", offset))
    positions = _trian_positions(n, k, lower)
    flat = reshape_exact(A, A.shape[:-2] + (n * n,))
    return bind("take", flat, constant(positions, A), axis=A.ndim - 2, mode="clip")


@register_operator("_linalg_maketrian", inputs=("A",), aliases=("linalg_maketrian",))
def maketrian(A: Array, offset: int = 0, lower: bool = True) -> Array:
    """Square matrices with the last axis of A as their triangle (the inverse of
    `extracttrian`), zeros elsewhere; `offset` adds as many zero diagonals.

    >>> mx.nd.linalg.maketrian(mx.nd.array([1, 2, 3]))  # doctest: +SKIP
    [[1. 0.]
     [2. 3.]]
    """
    if A.ndim < 1:
        raise ShapeError("linalg.maketrian: needs at least one axis (the triangle's entries)")
    _floating("maketrian", A)
    count = A.shape[-1]
    m = int((np.sqrt(8 * count + 1) - 1) // 2)
    if m * (m + 1) // 2 != count or m == 0:
        raise ShapeError(f"linalg.maketrian: the last axis must hold m(m+1)/2 entries of an m x "
                         f"m triangle (1, 3, 6, 10, ...), got {count} (shape {A.shape})")
    k = int_param("linalg.maketrian", "offset", offset)
    n = m + abs(k)
    positions = _trian_positions(n, k, lower)
    source = np.full(n * n, count, np.int64)  # position `count` is the zero appended below
    source[positions] = np.arange(count)
    padded = bind("pad", A, scalar_operand(0, A), low=(0,) * A.ndim,
                  high=(0,) * (A.ndim - 1) + (1,))
    flat = bind("take", padded, constant(source, A), axis=A.ndim - 1, mode="clip")
    return reshape_exact(flat, A.shape[:-1] + (n, n))


def _lapack(op: str, a: Array) -> None:
    """LAPACK's factorisations run in float32 and float64 only."""
    if a._dtype not in (np.float32, np.float64):
        raise DTypeError(f"linalg.{op}: supports float32 and float64 matrices, got {a._dtype}")


@register_operator("_linalg_gelqf", inputs=("A",), aliases=("linalg_gelqf",))
def gelqf(A: Array) -> list[Array]:
    """The LQ factorisation [Q, L] of each (m, n) matrix with m <= n and full rank:
    A = L @ Q, L lower triangular (m, m), Q (m, n) with orthonormal rows (LAPACK's signs).

    >>> Q, L = mx.nd.linalg.gelqf(mx.nd.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))  # doctest: +SKIP
    """
    _matrices("gelqf", A)
    _lapack("gelqf", A)
    if A.shape[-2] > A.shape[-1]:
        raise ShapeError(f"linalg.gelqf: needs (..., m, n) matrices with m <= n, got shape "
                         f"{A.shape}")
    m, n = A.shape[-2:]
    packed = bind("gelqf", A)  # [Q | L]
    lead, ones = (0,) * (A.ndim - 1), (1,) * A.ndim
    q = slice_ranges(packed, lead + (0,), A.shape[:-1] + (n,), ones)
    lo = slice_ranges(packed, lead + (n,), A.shape[:-1] + (n + m,), ones)
    return [q, lo]


@register_operator("_linalg_syevd", inputs=("A",))
def syevd(A: Array) -> list[Array]:
    """The eigendecomposition [U, L] of each symmetric matrix (its lower triangle is read):
    U @ A = diag(L) @ U, the rows of U orthonormal eigenvectors (each with its largest entry
    positive), L the eigenvalues in ascending order. Gradients need distinct eigenvalues.

    >>> U, L = mx.nd.linalg.syevd(mx.nd.array([[1.0, 2.0], [2.0, 4.0]]))  # doctest: +SKIP
    """
    _square("syevd", A)
    _lapack("syevd", A)
    n = A.shape[-1]
    packed = bind("syevd", A)  # U's rows, then L as one more row
    lead, ones = (0,) * (A.ndim - 2), (1,) * A.ndim
    u = slice_ranges(packed, lead + (0, 0), A.shape, ones)
    values = slice_ranges(packed, lead + (n, 0), A.shape[:-2] + (n + 1, n), ones)
    return [u, reshape_exact(values, A.shape[:-1])]


@register_operator("dot", inputs=("lhs", "rhs"))
def dot(lhs: Array, rhs: Array, transpose_a: bool = False, transpose_b: bool = False) -> Array:
    """Matrix product over the last axis of `lhs` and the first of `rhs` (MXNet's `dot`).

    >>> mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((3, 4))).shape  # doctest: +SKIP
    (2, 4)
    """
    a, b = promote(lhs, rhs, "dot")
    if transpose_a:
        a = transpose(a, tuple(range(1, a.ndim)) + (0,)) if a.ndim > 1 else a
    if transpose_b:
        b = transpose(b, (b.ndim - 1,) + tuple(range(b.ndim - 1))) if b.ndim > 1 else b
    out = bind("dot_general", a, b, contract=((a.ndim - 1,), (0,)), batch=((), ()))
    return reshape_exact(out, (1,)) if out.ndim == 0 else out


@register_operator("batch_dot", inputs=("lhs", "rhs"))
def batch_dot(lhs: Array, rhs: Array, transpose_a: bool = False, transpose_b: bool = False
              ) -> Array:
    """Batched matrix product of (B..., M, K) and (B..., K, N) arrays (3-D or more, the
    same leading batch axes on both sides).

    >>> mx.nd.batch_dot(mx.nd.ones((2, 1, 3)), mx.nd.ones((2, 3, 4))).shape  # doctest: +SKIP
    (2, 1, 4)
    """
    a, b = promote(lhs, rhs, "batch_dot")
    if a.ndim < 3 or a.ndim != b.ndim or a.shape[:-2] != b.shape[:-2]:
        raise ShapeError(f"batch_dot: lhs {a.shape} and rhs {b.shape} must both be 3-D or more "
                         "with the same leading batch axes")
    k = a.ndim - 2 if transpose_a else a.ndim - 1  # (the contracted axes)
    kb = b.ndim - 1 if transpose_b else b.ndim - 2
    if a.shape[k] != b.shape[kb]:
        raise ShapeError(f"batch_dot: lhs {a.shape} and rhs {b.shape} do not multiply "
                         f"(transpose_a={transpose_a}, transpose_b={transpose_b})")
    batch = tuple(range(a.ndim - 2))
    return bind("dot_general", a, b, contract=((k,), (kb,)), batch=(batch, batch))
