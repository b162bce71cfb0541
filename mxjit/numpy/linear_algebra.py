"""`mx.np.linalg`: NumPy's linear algebra over MXNet's `linalg` operators (potrf,
inverse, det, slogdet, syevd, gelqf) and the products of `contraction.py`.

`svd` reduces each matrix to a square k x k one c (k = min(m, n); by an LQ factorisation
when it is not square) and takes the symmetric eigendecomposition of the (2k, 2k) matrix
[[0, c], [c^T, 0]] (Jordan-Wielandt), whose eigenvalues are +-s and eigenvectors
[u; +-v] / sqrt(2): unlike a Gram matrix, it does not square the condition number, so the
results are accurate to a few eps of the largest singular value, as LAPACK's. The u and v
halves of the eigenvectors are orthonormalised by LQ, which also completes the bases where
singular values are zero (there the +0 and -0 eigenvectors mix the halves). It is traced
and differentiable (to higher orders too) where the singular values are distinct and
nonzero. At zero singular values s still differentiates for square matrices; for others
the LQ factor is then singular and the backward pass may raise LinAlgError; u and vh have
no gradient there. It returns NumPy's reduced `(u, s, vh)`, which is MXNet 1.9.1's
`(ut, l, v)` for the (m, n), m <= n matrices MXNet accepts; the singular vectors' signs
are deterministic but neither NumPy's nor MXNet's (LAPACK's, which differ between them).

    >>> mx.np.linalg.det(mx.np.array([[1., 2.], [3., 4.]]))  # doctest: +SKIP
    array(-2.)
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ShapeError
from ..core import Array, bind
from ..ops.operands import as_dtype, reshape_exact
from ..ops.shape import slice_ranges
from .adapter import finish, operands, operator
from .arithmetic import binary
from .contraction import matmul
from .math import reduce
from .ndarray import ndarray
from .promotion import DEFAULT_FLOAT


def _matrix(function: str, a: Any, square: bool = False) -> Array:
    x = operands(f"linalg.{function}", a)[0]
    if x.ndim < 2:
        raise ShapeError(f"linalg.{function}: {x.ndim}-dimensional array given. Array must be "
                         "at least two-dimensional")
    if square and x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"linalg.{function}: Last 2 dimensions of the array must be square, "
                         f"got shape {x.shape}")
    if x._dtype.kind != "f":
        x = as_dtype(x, DEFAULT_FLOAT)
    if x._dtype == np.float16:
        raise DTypeError(f"linalg.{function}: float16 matrices are not supported; use float32")
    return x


def _t(x: Array) -> Array:
    perm = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return operator("transpose")(x, axes=perm)  # type: ignore[no-any-return]


def _per_matrix(x: Array, a: Array) -> Array:
    return x if x.shape == a.shape[:-2] else reshape_exact(x, a.shape[:-2])


def cholesky(a: Any) -> ndarray:
    """The lower-triangular L with a = L @ L.T (a symmetric positive-definite).

    >>> mx.np.linalg.cholesky(mx.np.array([[4., 2.], [2., 5.]]))  # doctest: +SKIP
    """
    return finish(operator("_linalg_potrf")(_matrix("cholesky", a, True)))


def inv(a: Any) -> ndarray:
    """The inverse of each square matrix.

    >>> mx.np.linalg.inv(mx.np.array([[2., 0.], [0., 4.]]))  # doctest: +SKIP
    """
    return finish(operator("_linalg_inverse")(_matrix("inv", a, True)))


def det(a: Any) -> ndarray:
    """The determinant of each square matrix (0-d for one matrix, as NumPy).

    >>> mx.np.linalg.det(mx.np.eye(2))  # doctest: +SKIP
    array(1.)
    """
    x = _matrix("det", a, True)
    return finish(_per_matrix(operator("_linalg_det")(x), x))


def slogdet(a: Any) -> tuple[ndarray, ndarray]:
    """(sign, log|det|) of each square matrix.

    >>> sign, logdet = mx.np.linalg.slogdet(mx.np.eye(2))  # doctest: +SKIP
    """
    x = _matrix("slogdet", a, True)
    sign, logdet = operator("_linalg_slogdet")(x)
    return finish((_per_matrix(sign, x), _per_matrix(logdet, x)))  # type: ignore


def eigh(a: Any, UPLO: str = "L") -> tuple[ndarray, ndarray]:  # noqa: N803
    """(w, v): the ascending eigenvalues and the eigenvectors (columns) of each symmetric
    matrix, from its lower (UPLO='L') or upper triangle.

    >>> w, v = mx.np.linalg.eigh(mx.np.array([[2., 1.], [1., 2.]]))  # doctest: +SKIP
    """
    if UPLO not in ("L", "U"):
        raise ArgumentError(f"linalg.eigh: UPLO argument must be 'L' or 'U', got {UPLO!r}")
    x = _matrix("eigh", a, True)
    u, w = operator("_linalg_syevd")(_t(x) if UPLO == "U" else x)
    return finish((w, _t(u)))  # type: ignore[no-any-return]


def eigvalsh(a: Any, UPLO: str = "L") -> ndarray:  # noqa: N803
    """The ascending eigenvalues of each symmetric matrix.

    >>> mx.np.linalg.eigvalsh(mx.np.eye(2))  # doctest: +SKIP
    """
    return eigh(a, UPLO)[0]


def solve(a: Any, b: Any) -> ndarray:
    """x with a @ x = b, for square, invertible a (b a vector or matrices).

    >>> mx.np.linalg.solve(mx.np.eye(2), mx.np.array([1., 2.]))  # doctest: +SKIP
    """
    x = _matrix("solve", a, True)
    rhs = operands("linalg.solve", b)[0]
    rhs = as_dtype(rhs, x._dtype)
    if rhs.ndim == 1 or rhs.ndim == x.ndim - 1:
        if rhs.shape[-1] != x.shape[-1]:
            raise ShapeError(f"linalg.solve: a of shape {x.shape} and b of shape {rhs.shape} "
                             "do not match")
        column = reshape_exact(rhs, rhs.shape + (1,))
        result = matmul(operator("_linalg_inverse")(x), column)
        return finish(reshape_exact(result, result.shape[:-1]))
    if rhs.shape[-2] != x.shape[-1]:
        raise ShapeError(f"linalg.solve: a of shape {x.shape} and b of shape {rhs.shape} do "
                         "not match")
    return matmul(operator("_linalg_inverse")(x), rhs)  # type: ignore[no-any-return]


def qr(a: Any, mode: str = "reduced") -> tuple[ndarray, ndarray]:
    """(q, r) with a = q @ r, q (..., m, k) with orthonormal columns and r (..., k, n) upper
    triangular, k = min(m, n), as NumPy's 'reduced' mode (signs as LAPACK gives them).

    >>> q, r = mx.np.linalg.qr(mx.np.array([[1., 2.], [3., 4.]]))  # doctest: +SKIP
    """
    if mode != "reduced":
        raise ArgumentError(f"linalg.qr: only mode='reduced' is supported, got {mode!r}")
    x = _matrix("qr", a)
    m, n = x.shape[-2:]
    if m >= n:
        return finish(_qr_tall(x))  # type: ignore[no-any-return]
    # Householder QR of a wide matrix factors its first m columns and applies the same
    # reflections to the rest: r's right block is q^T times those columns
    lead, ones = (0,) * (x.ndim - 1), (1,) * x.ndim
    q, r = _qr_tall(slice_ranges(x, lead + (0,), x.shape[:-1] + (m,), ones))
    rest = slice_ranges(x, lead + (m,), x.shape, ones)
    return finish((q, operator("concat")(r, matmul(_t(q), rest), dim=-1)))  # type: ignore


def _qr_tall(x: Array) -> tuple[Array, Array]:
    q, lower = operator("_linalg_gelqf")(_t(x))
    return _t(q), _t(lower)


def svd(a: Any) -> tuple[ndarray, ndarray, ndarray]:
    """The reduced singular value decomposition (u, s, vh): a = u @ diag(s) @ vh, s in
    descending order, u's columns and vh's rows orthonormal (see the module docstring).

    >>> u, s, vh = mx.np.linalg.svd(mx.np.array([[3., 0.], [0., 4.]]))  # doctest: +SKIP
    """
    x = _matrix("svd", a)
    if x.shape[-2] > x.shape[-1]:  # a^T = v s u^T
        u, s, vh = _svd_wide(_t(x))
        return finish((_t(vh), s, _t(u)))  # type: ignore[no-any-return]
    return finish(_svd_wide(x))  # type: ignore[no-any-return]


def _svd_wide(x: Array) -> tuple[Array, Array, Array]:
    """svd of (..., m, n) matrices with m <= n."""
    m, n = x.shape[-2:]
    q, c = operator("_linalg_gelqf")(x) if m < n else (None, x)  # x = c @ q
    zeros = binary("mul", c, 0.0)
    jordan = operator("concat")(operator("concat")(zeros, c, dim=-1),
                                operator("concat")(_t(c), zeros, dim=-1), dim=-2)
    rows, values = operator("_linalg_syevd")(jordan)  # ascending: -s..., then s ascending
    top = ndarray._wrap(np.arange(2 * m - 1, m - 1, -1))
    halves = operator("take")(rows, top, axis=-2)  # [u^T | v^T] / sqrt(2), s descending
    lead, ones = (0,) * (x.ndim - 1), (1,) * x.ndim
    uh = _orthonormal_rows(slice_ranges(halves, lead + (0,), halves.shape[:-1] + (m,), ones))
    vh = _orthonormal_rows(slice_ranges(halves, lead + (m,), halves.shape, ones))
    if q is not None:
        vh = matmul(vh, q)
    s = binary("maximum", operator("take")(values, top, axis=-1), 0.0)
    return _t(uh), s, vh


def _orthonormal_rows(p: Array) -> Array:
    """The rows of p made orthonormal in order (keeping each one's direction where it is
    independent of those before it), by LQ; zero rows become vectors completing the basis."""
    q, _ = operator("_linalg_gelqf")(p)
    # p = L q with L lower triangular, so L_ii = p_i . q_i: its sign is q_i's orientation
    return _by_row(_signs(reduce("sum", binary("mul", p, q), -1, False, "svd")), q)


def _signs(x: Array) -> Array:
    """-1 where x < 0, else 1."""
    return binary("sub", 1.0, binary("mul", as_dtype(binary("lt", x, 0.0), x._dtype), 2.0))


def _by_row(v: Array, x: Array) -> Array:
    """Row i of each matrix of x times v[..., i]."""
    return binary("mul", reshape_exact(v, v.shape + (1,)), x)


def _pinv_parts(x: Array, rcond: Any, function: str) -> tuple[Array, Array, Array]:
    """(pinv(x), s, the mask of the singular values above rcond * the largest)."""
    u, s, vh = svd(x)
    if isinstance(rcond, Array) or not isinstance(rcond, (int, float)):
        rcond = operands(f"linalg.{function}", rcond)[0]
        rcond = reshape_exact(rcond, rcond.shape + (1,))  # (one per matrix)
    largest = reduce("max", s, -1, True, function) if s.shape[-1] else s
    cut = binary("mul", largest, rcond)
    keep = binary("gt", s, cut)
    inv_s = bind("where", keep, binary("div", 1.0, binary("maximum", s, cut)),
                 binary("mul", s, 0.0))
    return matmul(_t(vh), _by_row(inv_s, _t(u))), s, keep


def pinv(a: Any, rcond: float = 1e-15, hermitian: bool = False) -> ndarray:
    """The Moore-Penrose pseudo-inverse (singular values below rcond * the largest are
    treated as zero).

    >>> mx.np.linalg.pinv(mx.np.array([[1., 2.], [3., 4.]]))  # doctest: +SKIP
    """
    return finish(_pinv_parts(_matrix("pinv", a), rcond, "pinv")[0])


def lstsq(a: Any, b: Any, rcond: Any = "warn") -> tuple[ndarray, ndarray, ndarray, ndarray]:
    """(x, residuals, rank, s): the least-squares solution of a @ x = b (a (m, n), b (m,) or
    (m, k)) of least norm; singular values of a at most rcond * the largest count as zero
    (rcond None or 'warn': max(m, n) * eps; rcond < 0: eps).

    As MXNet 1.9.1 (NumPy's lstsq), residuals holds the squared norms of the columns of
    b - a @ x for full-rank a with m > n, else it is empty. Inside `mx.jit`, where the rank
    is a traced value, they are returned for every a with m > n, rank-deficient or not.
    The rank is an int32 array (MXNet: a NumPy int32 scalar).

    >>> x, res, rank, s = mx.np.linalg.lstsq(mx.np.ones((3, 2)), mx.np.ones(3))  # doctest: +SKIP
    """
    x = _matrix("lstsq", a)
    rhs = as_dtype(operands("linalg.lstsq", b)[0], x._dtype)
    m, n = x.shape[-2:]
    if x.ndim != 2 or rhs.ndim not in (1, 2) or rhs.shape[0] != m:
        raise ShapeError(f"linalg.lstsq: needs a of shape (m, n) and b of shape (m,) or "
                         f"(m, k), got {x.shape} and {rhs.shape}")
    eps = float(np.finfo(x._dtype).eps)
    if rcond is None or isinstance(rcond, str):  # (MXNet's default 'warn')
        rcond = eps * max(m, n)
    elif not isinstance(rcond, Array) and rcond < 0:
        rcond = eps
    inverse, s, keep = _pinv_parts(x, rcond, "lstsq")
    solution = matmul(inverse, rhs)
    rank = reduce("sum", as_dtype(keep, np.int32), -1, False, "lstsq")
    if m > n and (rank._node is not None or rank.item() == n):
        residual = binary("sub", matmul(x, solution), rhs)
        residuals = reshape_exact(reduce("sum", binary("mul", residual, residual), 0, False,
                                         "lstsq"), rhs.shape[1:] or (1,))
    else:
        residuals = ndarray._wrap(np.zeros((0,), x._dtype))
    return finish((solution, residuals, rank, s))  # type: ignore[no-any-return]


def matrix_rank(M: Any, tol: Any = None, hermitian: bool = False) -> ndarray:  # noqa: N803
    """The number of singular values above `tol` (default: largest * max(m, n) * eps).

    >>> mx.np.linalg.matrix_rank(mx.np.eye(3))  # doctest: +SKIP
    array(3, dtype=int64)
    """
    x = operands("linalg.matrix_rank", M)[0]
    if x.ndim < 2:
        return finish(as_dtype(reduce("max", binary("ne", x, 0), None, False, "matrix_rank"),
                               np.int64))
    x = _matrix("matrix_rank", x)
    s = svd(x)[1]
    if tol is None:
        tol = binary("mul", reduce("max", s, -1, True, "matrix_rank"),
                     max(x.shape[-2:]) * float(np.finfo(x._dtype).eps))
    above = as_dtype(binary("gt", s, tol), np.int64)
    return finish(reduce("sum", above, -1, False, "matrix_rank"))


def matrix_power(a: Any, n: int) -> ndarray:
    """a raised to the integer power n (n < 0: of the inverse).

    >>> mx.np.linalg.matrix_power(mx.np.eye(2), 3)  # doctest: +SKIP
    """
    x = _matrix("matrix_power", a, True)
    if n < 0:
        x, n = operator("_linalg_inverse")(x), -n
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    if result is None:
        eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x._dtype), x.shape)
        return finish(x._result_class._wrap(np.array(eye)) if x._node is None else
                      binary("add", binary("mul", x, 0.0), ndarray._wrap(np.array(eye))))
    return finish(result)


def tensorinv(a: Any, ind: int = 2) -> ndarray:
    """The inverse of `a` as a tensor operator of its first `ind` axes.

    >>> mx.np.linalg.tensorinv(mx.np.eye(4).reshape(4, 2, 2), ind=1).shape  # doctest: +SKIP
    (2, 2, 4)
    """
    x = operands("linalg.tensorinv", a)[0]
    if ind <= 0:
        raise ArgumentError(f"linalg.tensorinv: ind must be a positive integer, got {ind}")
    front, back = x.shape[:ind], x.shape[ind:]
    rows, cols = math.prod(front), math.prod(back)
    if rows != cols:
        raise ShapeError(f"linalg.tensorinv: the product of the first {ind} axes {front} must "
                         f"equal that of the rest {back}")
    square = reshape_exact(_matrix("tensorinv", x) if x.ndim >= 2 else x, (rows, cols))
    return finish(reshape_exact(inv(square), back + front))


def tensorsolve(a: Any, b: Any, axes: Any = None) -> ndarray:
    """x with tensordot(a, x, x.ndim) = b.

    >>> a = mx.np.eye(4).reshape(2, 2, 4)
    >>> mx.np.linalg.tensorsolve(a, mx.np.ones((2, 2))).shape  # doctest: +SKIP
    (4,)
    """
    x, rhs = operands("linalg.tensorsolve", a, b)
    if axes is not None:
        rest = [k for k in range(x.ndim) if k not in axes]
        x = operator("transpose")(x, axes=tuple(rest) + tuple(axes))
    # (NumPy's and MXNet's rule: x has a's last ndim(a) - ndim(b) axes, or all of them when
    # the ranks are equal, or none when b has more; only the sizes must agree)
    back = x.shape[-(x.ndim - rhs.ndim):]
    size = math.prod(back)
    if x.size != size * size or rhs.size != size:
        raise ShapeError(f"linalg.tensorsolve: a of shape {x.shape} and b of shape "
                         f"{rhs.shape} do not give a square system")
    matrix = reshape_exact(x, (size, size))
    return finish(reshape_exact(solve(matrix, reshape_exact(rhs, (size,))), back))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> ndarray:  # noqa: A002
    """Vector norms (ord None/2, 1, inf, -inf, 0, p) and matrix norms ('fro', 'nuc', 1, -1,
    2, -2, inf, -inf) along `axis` (all of x by default: the Frobenius/2-norm).

    >>> mx.np.linalg.norm(mx.np.array([3., 4.]))  # doctest: +SKIP
    array(5.)
    """
    a = operands("linalg.norm", x)[0]
    ord = {"inf": math.inf, "-inf": -math.inf}.get(ord, ord) if isinstance(ord, str) else ord
    if a._dtype.kind != "f":
        a = as_dtype(a, DEFAULT_FLOAT)
    if axis is None and ord is None:
        return _frobenius(a, None, keepdims)
    axes = tuple(range(a.ndim)) if axis is None else (
        (axis,) if isinstance(axis, int) else tuple(axis))
    if len(axes) == 1:
        return _vector_norm(a, ord, axes[0], keepdims)
    if len(axes) == 2:
        return _matrix_norm(a, ord, axes, keepdims)
    raise ShapeError(f"linalg.norm: improper number of dimensions to norm ({axes})")


def _frobenius(a: Array, axis: Any, keepdims: bool) -> ndarray:
    return finish(operator("sqrt")(reduce("sum", binary("mul", a, a), axis, keepdims,
                                          "linalg.norm")))


def _vector_norm(a: Array, ord: Any, axis: int, keepdims: bool) -> ndarray:  # noqa: A002
    mag = operator("abs")(a)
    if ord is None or ord == 2:
        return _frobenius(a, axis, keepdims)
    if ord == math.inf:
        return finish(reduce("max", mag, axis, keepdims, "linalg.norm"))
    if ord == -math.inf:
        return finish(reduce("min", mag, axis, keepdims, "linalg.norm"))
    if ord == 0:
        return finish(reduce("sum", as_dtype(binary("ne", a, 0), a._dtype), axis, keepdims,
                             "linalg.norm"))
    if isinstance(ord, str):
        raise ArgumentError(f"linalg.norm: invalid norm order {ord!r} for vectors")
    if ord == 1:
        return finish(reduce("sum", mag, axis, keepdims, "linalg.norm"))
    total = reduce("sum", binary("pow", mag, float(ord)), axis, keepdims, "linalg.norm")
    return finish(binary("pow", total, 1.0 / float(ord)))


def _matrix_norm(a: Array, ord: Any, axes: tuple, keepdims: bool) -> ndarray:  # noqa: A002
    r, c = (k + a.ndim if k < 0 else k for k in axes)
    if ord in (None, "fro"):
        return _frobenius(a, (r, c), keepdims)
    mag = operator("abs")(a)
    sums = {1: ("sum", r, "max"), -1: ("sum", r, "min"), math.inf: ("sum", c, "max"),
            -math.inf: ("sum", c, "min")}
    if ord in sums:
        _, inner_axis, outer = sums[ord]
        outer_axis = c if inner_axis == r else r
        partial = reduce("sum", mag, inner_axis, True, "linalg.norm")
        result = reduce(outer, partial, outer_axis, True, "linalg.norm")
    elif ord in (2, -2, "nuc"):
        moved = operator("transpose")(a, axes=tuple(k for k in range(a.ndim) if k not in (r, c))
                                      + (r, c))
        s = svd(moved)[1]
        picked = {2: "max", -2: "min", "nuc": "sum"}[ord]
        result = reduce(picked, s, -1, False, "linalg.norm")
        if keepdims:
            shape = tuple(1 if k in (r, c) else d for k, d in enumerate(a.shape))
            result = reshape_exact(result, shape)
        return finish(result)
    else:
        raise ArgumentError(f"linalg.norm: invalid norm order {ord!r} for matrices")
    if not keepdims:
        result = reshape_exact(result, tuple(d for k, d in enumerate(a.shape) if k not in (r, c)))
    return finish(result)


__all__ = ["cholesky", "inv", "det", "slogdet", "eigh", "eigvalsh", "solve", "qr", "svd",
           "pinv", "lstsq", "matrix_rank", "matrix_power", "tensorinv", "tensorsolve", "norm"]
