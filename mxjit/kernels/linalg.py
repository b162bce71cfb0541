"""Dense linear-algebra library primitives (LAPACK through NumPy) and their vjp rules:
`cholesky`, `triangular_solve`, `inverse`, `det`, `logabsdet`, `slogdet_sign`, `syevd` and
`gelqf`, each over a batch of matrices in the last two axes. The two factorisations with two
results return them packed in one array (`syevd`: the eigenvector rows with the eigenvalues as
one more row; `gelqf`: [Q | L] side by side), which the operators slice apart.

The vjp rules are written with primitives (these included), so the backward passes are
ordinary graphs; each sits in its primitive's record.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..base import DTypeError, ShapeError
from ..trace import apply, define_primitive, full_like
from ..trace.dtypes import is_float
from ..trace.graph import AbstractValue, Node


def _square(name: str, a: AbstractValue) -> None:
    if not is_float(a.dtype):
        raise DTypeError(f"{name}: needs floating-point matrices, got {a.dtype}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{name}: needs square matrices in the last two axes, got {a.shape}")


def _same_shape_rule(name: str) -> Callable[[AbstractValue], AbstractValue]:
    """The shape rule of an op from a square matrix to one of the same shape."""
    def rule(a: AbstractValue) -> AbstractValue:
        _square(name, a)
        return a

    return rule


def _solve_rule(a: AbstractValue, b: AbstractValue, *, lower: bool, transpose: bool,
                rightside: bool) -> AbstractValue:
    _square("trsm", a)
    n = a.shape[-1]
    k = b.shape[-1] if rightside else b.shape[-2] if b.ndim >= 2 else -1
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2] or k != n or b.dtype != a.dtype:
        side = "(..., m, n)" if rightside else "(..., n, m)"
        raise ShapeError(f"trsm: B must be {side} with A's batch axes and dtype for A of shape "
                         f"{a.shape} ({a.dtype}), got {b.shape} ({b.dtype})")
    return b


def _scalar_rule(name: str) -> Callable[[AbstractValue], AbstractValue]:
    def rule(a: AbstractValue) -> AbstractValue:
        _square(name, a)
        return AbstractValue(a.shape[:-2], a.dtype)

    return rule


def _triangle(a: np.ndarray, lower: bool) -> np.ndarray:
    return np.tril(a) if lower else np.triu(a)


def solve_numpy(a: np.ndarray, b: np.ndarray, *, lower: bool, transpose: bool,
                rightside: bool) -> np.ndarray:
    """X with op(A) X = B (or X op(A) = B on the right); A's other triangle is ignored."""
    t = _triangle(a, lower)
    if transpose:
        t = np.swapaxes(t, -1, -2)
    if rightside:  # X t = B  <=>  t^T X^T = B^T
        return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)),
                           -1, -2)
    return np.linalg.solve(t, b)


def _cholesky_numpy(a: np.ndarray) -> np.ndarray:
    lower = np.tril(a)  # LAPACK's potrf reads the lower triangle only
    sym = lower + np.swapaxes(np.tril(a, -1), -1, -2)
    return np.linalg.cholesky(sym).astype(a.dtype)


def _sign_numpy(a: np.ndarray) -> np.ndarray:
    return np.linalg.slogdet(a)[0].astype(a.dtype)


def _logabsdet_numpy(a: np.ndarray) -> np.ndarray:
    return np.linalg.slogdet(a)[1].astype(a.dtype)


# ---- vjp rules -------------------------------------------------------------------------------


def _t(x: Node) -> Node:
    """Swap the last two axes."""
    perm = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return apply("transpose", x, perm=perm)


def matmul(a: Node, b: Node) -> Node:
    """Batched a @ b over the last two axes."""
    batch = tuple(range(a.ndim - 2))
    return apply("dot_general", a, b, contract=((a.ndim - 1,), (b.ndim - 2,)),
                 batch=(batch, batch))


def _mask(x: Node, keep: str) -> Node:
    """x where the (row, column) relation `keep` holds ('ge': lower, 'le': upper), else 0."""
    rows = apply("iota", shape=x.shape, axis=x.ndim - 2, dtype=np.dtype(np.int64))
    cols = apply("iota", shape=x.shape, axis=x.ndim - 1, dtype=np.dtype(np.int64))
    return apply("where", apply(keep, rows, cols), x, full_like(x, 0))


def _expand(g: Node, like: Node) -> Node:
    """A per-matrix value broadcast over the matrices of `like`."""
    return apply("broadcast_to", apply("reshape", g, shape=g.shape + (1, 1)), shape=like.shape)


def _cholesky_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    # A = L L^T: Abar = sym(L^-T phi(L^T Lbar) L^-1), phi = lower triangle, diagonal halved.
    p = matmul(_t(n), g)
    rows = apply("iota", shape=p.shape, axis=p.ndim - 2, dtype=np.dtype(np.int64))
    cols = apply("iota", shape=p.shape, axis=p.ndim - 1, dtype=np.dtype(np.int64))
    half = apply("mul", p, full_like(p, 0.5))
    phi = apply("where", apply("gt", rows, cols), p,
                apply("where", apply("eq", rows, cols), half, full_like(p, 0)))
    y = apply("triangular_solve", n, phi, lower=True, transpose=True, rightside=False)
    s = apply("triangular_solve", n, y, lower=True, transpose=False, rightside=True)
    sym = apply("mul", apply("add", s, _t(s)), full_like(s, 0.5))
    return (sym,)


def _solve_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    a, _ = n.inputs
    lower, transpose, right = n.attr("lower"), n.attr("transpose"), n.attr("rightside")
    gb = apply("triangular_solve", a, g, lower=lower, transpose=not transpose, rightside=right)
    if right:  # X op(A) = B: op(A)bar = -X^T Bbar
        op_bar = matmul(_t(n), gb)
    else:  # op(A) X = B: op(A)bar = -Bbar X^T
        op_bar = matmul(gb, _t(n))
    a_bar = apply("neg", _t(op_bar) if transpose else op_bar)
    return _mask(a_bar, "ge" if lower else "le"), gb


def _inverse_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    return (apply("neg", matmul(_t(n), matmul(g, _t(n)))),)


def _det_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    a = n.inputs[0]
    inv_t = _t(apply("inverse", a))
    return (apply("mul", _expand(apply("mul", g, n), a), inv_t),)


def _logabsdet_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    a = n.inputs[0]
    return (apply("mul", _expand(g, a), _t(apply("inverse", a))),)


def _syevd_rule(a: AbstractValue) -> AbstractValue:
    _square("syevd", a)
    return AbstractValue(a.shape[:-2] + (a.shape[-1] + 1, a.shape[-1]), a.dtype)


def syevd_numpy(a: np.ndarray) -> np.ndarray:
    """Eigenvectors of the symmetric matrices (from their lower triangles) as the rows of U,
    eigenvalues ascending as one more row; each row of U signed so that its entry of
    largest magnitude (the first, on ties) is positive, as MXNet does.

    >>> syevd_numpy(np.array([[1.0, 2.0], [2.0, 4.0]])).round(4).tolist()
    [[0.8944, -0.4472], [0.4472, 0.8944], [0.0, 5.0]]
    """
    values, vectors = np.linalg.eigh(a, UPLO="L")
    u = np.swapaxes(vectors, -1, -2)
    biggest = np.take_along_axis(u, np.argmax(np.abs(u), axis=-1)[..., None], axis=-1)
    u = np.where(biggest < 0, -u, u)
    return np.concatenate([u, values[..., None, :]], axis=-2).astype(a.dtype)


def _gelqf_rule(a: AbstractValue) -> AbstractValue:
    if not is_float(a.dtype):
        raise DTypeError(f"gelqf: needs floating-point matrices, got {a.dtype}")
    if a.ndim < 2 or a.shape[-2] > a.shape[-1]:
        raise ShapeError(f"gelqf: needs matrices of shape (..., m, n) with m <= n, got "
                         f"{a.shape}")
    return AbstractValue(a.shape[:-1] + (a.shape[-1] + a.shape[-2],), a.dtype)


def gelqf_numpy(a: np.ndarray) -> np.ndarray:
    """[Q | L] with A = L Q, Q's rows orthonormal, L lower triangular, by LAPACK's
    Householder QR of A^T (the signs MXNet's gelqf gives).

    >>> gelqf_numpy(np.array([[3.0, 4.0]])).round(4).tolist()
    [[-0.6, -0.8, -5.0]]
    """
    q, r = np.linalg.qr(np.swapaxes(a, -1, -2))
    return np.concatenate([np.swapaxes(q, -1, -2), np.swapaxes(r, -1, -2)],
                          axis=-1).astype(a.dtype)


def _rows(x: Node, start: int, stop: int, axis: int) -> Node:
    """x[..., start:stop, :] (axis -2) or x[..., start:stop] (axis -1)."""
    ax = x.ndim + axis
    lo = tuple(start if k == ax else 0 for k in range(x.ndim))
    hi = tuple(stop if k == ax else d for k, d in enumerate(x.shape))
    return apply("slice", x, start=lo, stop=hi, step=(1,) * x.ndim)


def _lower_to_upper(m: Node) -> Node:
    """The symmetric matrix with m's lower triangle and diagonal (MXNet's copyLTU)."""
    return apply("add", _mask(m, "ge"), _t(_mask(m, "gt")))


def _syevd_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    # (U, L) = syevd(A): Abar = U^T (F o (X - X^T) + diag(Lbar)) U with X = Ubar U^T and
    # F_ij = 1 / (2 (L_i - L_j)) below the diagonal (the gap held >= eps, as MXNet does)
    # and antisymmetric: the symmetric gradient MXNet gives.
    k = n.shape[-1]
    u, lam = _rows(n, 0, k, -2), apply("reshape", _rows(n, k, k + 1, -2),
                                        shape=n.shape[:-2] + (k,))
    gu, glam = _rows(g, 0, k, -2), apply("reshape", _rows(g, k, k + 1, -2),
                                          shape=n.shape[:-2] + (k,))
    x = matmul(gu, _t(u))
    shape = x.shape
    col = apply("broadcast_to", apply("reshape", lam, shape=lam.shape + (1,)), shape=shape)
    row = apply("broadcast_to", apply("reshape", lam, shape=lam.shape[:-1] + (1, k)),
                shape=shape)
    eps = 1e-100 if n.dtype == np.float64 else 1e-30
    below = _mask(full_like(x, 1), "gt")  # 1 below the diagonal
    gap = apply("maximum", apply("where", apply("ne", below, full_like(x, 0)),
                                 apply("sub", col, row), apply("sub", row, col)),
                full_like(x, eps))
    sign = apply("sub", below, _t(below))
    f = apply("div", sign, apply("mul", gap, full_like(gap, 2)))
    y = apply("add", apply("mul", f, apply("sub", x, _t(x))), _diag(glam, shape))
    return (matmul(_t(u), matmul(y, u)),)


def _diag(v: Node, shape: tuple[int, ...]) -> Node:
    """Matrices of `shape` with v (..., k) on their diagonals."""
    rows = apply("iota", shape=shape, axis=len(shape) - 2, dtype=np.dtype(np.int64))
    cols = apply("iota", shape=shape, axis=len(shape) - 1, dtype=np.dtype(np.int64))
    spread = apply("broadcast_to", apply("reshape", v, shape=v.shape[:-1] + (1, v.shape[-1])),
                   shape=shape)
    return apply("where", apply("eq", rows, cols), spread, full_like(spread, 0))


def _gelqf_vjp(n: Node, g: Node) -> Sequence[Node | None]:
    # (Q, L) = gelqf(A): Abar = L^-T (Qbar + copyLTU(M) Q), M = L^T Lbar - Qbar Q^T
    m, cols = n.shape[-2], n.shape[-1] - n.shape[-2]
    q, lo = _rows(n, 0, cols, -1), _rows(n, cols, cols + m, -1)
    gq, gl = _rows(g, 0, cols, -1), _rows(g, cols, cols + m, -1)
    mm = apply("sub", matmul(_t(lo), gl), matmul(gq, _t(q)))
    rhs = apply("add", gq, matmul(_lower_to_upper(mm), q))
    return (apply("triangular_solve", lo, rhs, lower=True, transpose=True, rightside=False),)


define_primitive("cholesky", "opaque", _same_shape_rule("potrf"), _cholesky_numpy,
                 vjp=_cholesky_vjp)
define_primitive("triangular_solve", "opaque", _solve_rule, solve_numpy, vjp=_solve_vjp)
define_primitive("inverse", "opaque", _same_shape_rule("inverse"),
                 lambda a: np.linalg.inv(a).astype(a.dtype), vjp=_inverse_vjp)
define_primitive("det", "opaque", _scalar_rule("det"),
                 lambda a: np.asarray(np.linalg.det(a)).astype(a.dtype), vjp=_det_vjp)
define_primitive("logabsdet", "opaque", _scalar_rule("slogdet"), _logabsdet_numpy,
                 vjp=_logabsdet_vjp)
define_primitive("slogdet_sign", "opaque", _scalar_rule("slogdet"), _sign_numpy,
                 differentiable=False)
define_primitive("syevd", "opaque", _syevd_rule, syevd_numpy, vjp=_syevd_vjp)
define_primitive("gelqf", "opaque", _gelqf_rule, gelqf_numpy, vjp=_gelqf_vjp)
