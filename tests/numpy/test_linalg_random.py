"""mx.np.linalg against NumPy's, its gradients against finite differences, and
mx.np.random's shapes, dtypes, seeding and moments."""
from __future__ import annotations

import numpy as onp
import pytest

import mxjit as mx
from mxjit import np
from mxjit.base import ShapeError
from tests.helpers import check_grads

RNG = onp.random.default_rng(3)
M = RNG.standard_normal((3, 3))
SPD = M @ M.T + 3 * onp.eye(3)
TALL = RNG.standard_normal((4, 3))
WIDE = RNG.standard_normal((2, 4))
BATCH = RNG.standard_normal((2, 3, 3)) + 3 * onp.eye(3)


def close(got, want, tol=1e-8):
    onp.testing.assert_allclose(onp.asarray(got.asnumpy() if hasattr(got, "asnumpy")
                                            else got), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("name,args", [
    ("cholesky", (SPD,)), ("inv", (M,)), ("inv", (BATCH,)), ("det", (M,)),
    ("det", (BATCH,)), ("eigvalsh", (SPD,)), ("solve", (M, TALL[:3, 0])),
    ("solve", (M, TALL[:3])), ("pinv", (TALL,)), ("pinv", (WIDE,)),
    ("matrix_rank", (TALL,)), ("matrix_rank", (onp.ones((3, 3)),)), ("norm", (M,)),
    ("tensorinv", (onp.eye(4).reshape(2, 2, 4) * 2,)),
])
def test_linalg_matches_numpy(name, args):
    got = getattr(np.linalg, name)(*[np.array(a) for a in args])
    want = getattr(onp.linalg, name)(*args)
    close(got, want, 1e-6)


def test_slogdet_eigh_qr_svd_decompose_like_numpy():
    sign, logdet = np.linalg.slogdet(np.array(BATCH))
    want_sign, want_logdet = onp.linalg.slogdet(BATCH)
    close(sign, want_sign)
    close(logdet, want_logdet)
    w, v = np.linalg.eigh(np.array(SPD))
    close(w, onp.linalg.eigvalsh(SPD))
    close(np.array(SPD) @ v, v.asnumpy() * w.asnumpy(), 1e-8)
    q, r = np.linalg.qr(np.array(TALL))
    close(q @ r, TALL)
    close(q.T @ q, onp.eye(3))
    close(r, onp.triu(r.asnumpy()))
    for a in (TALL, WIDE, BATCH):
        u, s, vh = np.linalg.svd(np.array(a))
        close(s, onp.linalg.svd(a, compute_uv=False), 1e-6)
        close((u * np.expand_dims(s, -2)) @ vh, a, 1e-6)


def test_solvers_and_powers():
    x, res, rank, s = np.linalg.lstsq(np.array(TALL), np.array(TALL[:, 0] + 1), rcond=None)
    want = onp.linalg.lstsq(TALL, TALL[:, 0] + 1, rcond=None)
    close(x, want[0], 1e-6)
    close(res, want[1], 1e-6)
    assert rank.item() == want[2]
    close(np.linalg.matrix_power(np.array(M), 3), onp.linalg.matrix_power(M, 3))
    close(np.linalg.matrix_power(np.array(M), -2), onp.linalg.matrix_power(M, -2), 1e-6)
    close(np.linalg.matrix_power(np.array(M), 0), onp.eye(3))
    a = RNG.standard_normal((2, 3, 6))
    b = RNG.standard_normal((2, 3))
    close(np.linalg.tensorsolve(np.array(a), np.array(b)), onp.linalg.tensorsolve(a, b), 1e-6)


@pytest.mark.parametrize("a_shape,b_shape,axes", [
    ((), (), None), ((), (1, 1, 1), None), ((1, 1, 1), (), None), ((1, 1, 1), (), (0, 1, 2)),
    ((1, 1, 1), (1, 1, 1), None), ((1, 1, 1), (1, 1, 1), (2, 0, 1)),
    ((1, 1), (1, 1, 1, 1, 1), None), ((2, 3, 6), (6,), (0, 1)), ((2, 3, 6), (3, 2), None),
])
def test_tensorsolve_takes_numpys_shapes_0d_included(a_shape, b_shape, axes):
    """NumPy's (and MXNet's) rule: x has a's last ndim(a) - ndim(b) axes, all of them for
    equal ranks, none when b has more; only the sizes must agree."""
    a = RNG.standard_normal(a_shape) + (2.0 if onp.prod(a_shape) == 1 else 0.0)
    b = RNG.standard_normal(b_shape)
    want = onp.linalg.tensorsolve(a, b, axes=axes)
    got = np.linalg.tensorsolve(np.array(a), np.array(b), axes=axes)
    assert got.shape == want.shape
    close(got, want, 1e-6)
    check_grads(lambda u, v: np.linalg.tensorsolve(u.as_np_ndarray(), v.as_np_ndarray(),
                                                   axes=axes).as_nd_ndarray(), [a, b], order=1,
                rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("ord,axis", [
    (None, None), (None, 1), (1, 0), (onp.inf, 1), (-onp.inf, 1), (0, 1), (3, 1),
    ("fro", (0, 1)), ("nuc", (0, 1)), (1, (0, 1)), (-1, (0, 1)), (onp.inf, (0, 1)),
    (-onp.inf, (0, 1)), (2, (0, 1)), (-2, (0, 1))])
def test_norms_match_numpy(ord, axis):
    got = np.linalg.norm(np.array(TALL), ord=ord, axis=axis)
    close(got, onp.linalg.norm(TALL, ord=ord, axis=axis), 1e-6)
    kept = np.linalg.norm(np.array(TALL), ord=ord, axis=axis, keepdims=True)
    assert kept.shape == onp.linalg.norm(TALL, ord=ord, axis=axis, keepdims=True).shape


@pytest.mark.parametrize("f", [
    lambda a: np.linalg.det(a), lambda a: np.linalg.inv(a).sum(),
    lambda a: np.linalg.norm(a), lambda a: np.linalg.svd(a)[1].sum(),
    lambda a: np.einsum("ij,jk->", a, a)])
def test_linalg_gradients_match_finite_differences(f):
    a = np.array(M)
    g = mx.grad(f)(a).asnumpy()
    eps, numeric = 1e-6, onp.zeros_like(M)
    for idx in onp.ndindex(*M.shape):
        d = onp.zeros_like(M)
        d[idx] = eps
        numeric[idx] = (f(np.array(M + d)).item() - f(np.array(M - d)).item()) / (2 * eps)
    onp.testing.assert_allclose(g, numeric, rtol=1e-4, atol=1e-5)


def test_random_shapes_dtypes_and_seeds():
    np.random.seed(7)
    a = np.random.uniform(-1, 2, size=(200, 50))
    np.random.seed(7)
    b = np.random.uniform(-1, 2, size=(200, 50))
    assert a.dtype == onp.float32 and (a == b).all().item()
    assert -1 <= a.min().item() and a.max().item() < 2 and abs(a.mean().item() - 0.5) < 0.05
    n = np.random.normal(3, 2, size=(10000,))
    assert abs(n.mean().item() - 3) < 0.1 and abs(n.std().item() - 2) < 0.1
    assert np.random.uniform().shape == () and np.random.rand(2, 3).shape == (2, 3)
    assert np.random.randn(4).shape == (4,)
    lo = np.array([0.0, 10.0])
    assert (np.random.uniform(lo, lo + 1, size=(5, 2)) >= lo).all().item()
    r = np.random.randint(0, 5, size=(100,))
    assert r.dtype == onp.int64 and 0 <= r.min().item() and r.max().item() < 5
    assert np.random.randint(3).shape == ()
    assert np.random.exponential(2.0, size=(3,)).shape == (3,)
    assert np.random.gamma(2.0, 1.0, size=(3,)).shape == (3,)
    assert np.random.poisson(3.0, size=(3,)).shape == (3,)


def test_random_permutations_and_choice():
    p = np.random.permutation(6)
    assert sorted(p.tolist()) == list(range(6)) and p.dtype == onp.int64
    x = np.arange(6)
    np.random.shuffle(x)
    assert sorted(x.tolist()) == [float(v) for v in range(6)]
    assert sorted(np.random.permutation(np.arange(3)).tolist()) == [0.0, 1.0, 2.0]
    c = np.random.choice(5, size=(2, 3))
    assert c.shape == (2, 3) and c.dtype == onp.int64
    picked = np.random.choice(np.array([10.0, 20.0]), size=4, p=[0.0, 1.0])
    assert picked.tolist() == [20.0] * 4
    counts = np.random.multinomial(20, [0.0, 0.25, 0.75], size=(4,))
    assert counts.shape == (4, 3) and counts.dtype == onp.int64
    assert counts.sum(axis=1).tolist() == [20] * 4 and counts[:, 0].sum().item() == 0
    assert np.random.multinomial(0, [0.5, 0.5]).tolist() == [0, 0]
    for pvals, size, shape in [([], None, (0,)), ([], 3, (3, 0)), ([0.5, 0.5], (2, 0), (2, 0, 2))]:
        empty = np.random.multinomial(5, pvals, size=size)
        assert empty.shape == shape and empty.dtype == onp.int64
    unique = np.random.choice(5, size=5, replace=False)
    assert sorted(unique.tolist()) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("name,args", [
    ("gumbel", ()), ("logistic", ()), ("rayleigh", ()), ("weibull", (2.0,)),
    ("pareto", (3.0,)), ("power", (2.0,)), ("lognormal", ()), ("chisquare", (3.0,)),
    ("beta", (2.0, 3.0))])
def test_more_distributions_have_numpys_means(name, args):
    x = getattr(np.random, name)(*args, size=(20000,))
    want = getattr(onp.random.default_rng(0), name)(*args, size=(200000,))
    assert x.dtype == onp.float32
    assert abs(x.mean().item() - want.mean()) < 0.05 * max(1.0, abs(want.mean()))


def test_gamma_takes_array_parameters_like_numpy():
    x = np.random.gamma(np.array([1.0, 2.0, 3.0]), 2.0, size=(20000, 3))
    assert x.shape == (20000, 3)
    onp.testing.assert_allclose(x.mean(axis=0).asnumpy(), [2.0, 4.0, 6.0], rtol=0.05)
    assert np.random.chisquare(np.array([2.0, 4.0])).shape == (2,)


def test_multivariate_normal_has_the_covariance():
    cov = onp.array([[2.0, 0.5], [0.5, 1.0]])
    x = np.random.multivariate_normal(np.array([1.0, -1.0]), np.array(cov), size=40000)
    assert x.shape == (40000, 2)
    onp.testing.assert_allclose(onp.cov(x.asnumpy().T), cov, atol=0.06)
    onp.testing.assert_allclose(x.asnumpy().mean(0), [1.0, -1.0], atol=0.03)


def test_samplers_run_inside_jit():
    f = mx.jit(lambda x: x + np.random.normal(size=x.shape))
    a, b = f(np.zeros(3)), f(np.zeros(3))
    assert a.shape == (3,) and not (a == b).all().item()


# ---- qr, svd and lstsq over hard shapes and spectra ----------------------------------------


def _with_singular_values(values, m, n, rng=RNG):
    """An (m, n) matrix with the given min(m, n) singular values and random vectors."""
    left = onp.linalg.qr(rng.standard_normal((m, m)))[0]
    right = onp.linalg.qr(rng.standard_normal((n, n)))[0]
    k = min(m, n)
    return left[:, :k] @ onp.diag(values) @ right[:k]


SVD_CASES = {
    "square": M, "tall": TALL, "wide": WIDE, "batched": RNG.standard_normal((2, 3, 4)),
    "size_1": onp.array([[-2.0]]), "row": RNG.standard_normal((1, 4)),
    "column": RNG.standard_normal((4, 1)),
    "rank_deficient_tall": RNG.standard_normal((5, 2)) @ RNG.standard_normal((2, 4)),
    "rank_deficient_wide": onp.array([[1.0, 2, 3, 4], [0, 0, 0, 0], [2, 4, 6, 8]]),
    "repeated": _with_singular_values([3.0, 3, 1, 1], 5, 4),
    "repeated_and_zero": _with_singular_values([2.0, 2, 0, 0], 4, 6),
    "ill_conditioned": _with_singular_values(onp.logspace(0, -12, 5), 5, 5),
    "zero": onp.zeros((3, 4)), "ones": onp.ones((3, 3)),
    "batch_of_mixed": onp.stack([onp.zeros((3, 3)), onp.eye(3), M]),
}
TOL = {"float32": 1e-5, "float64": 1e-12}  # (times the largest singular value)


def _eager_and_jit(f, *args):
    return [f(*args), mx.jit(f)(*args)]


def _assert_orthonormal(vectors, tol):
    k = vectors.shape[-1]
    gram = onp.swapaxes(vectors, -1, -2) @ vectors
    onp.testing.assert_allclose(gram, onp.broadcast_to(onp.eye(k), gram.shape), atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(SVD_CASES))
def test_svd_decomposes_repeated_zero_and_ordinary_spectra(name, dtype):
    a = SVD_CASES[name].astype(dtype)
    want_u, want_s, want_vh = onp.linalg.svd(a.astype("float64"), full_matrices=False)
    scale = max(want_s.max(initial=0.0), 1.0)
    tol = TOL[dtype] * scale
    for u, s, vh in _eager_and_jit(np.linalg.svd, np.array(a)):
        assert (u.shape, s.shape, vh.shape) == (want_u.shape, want_s.shape, want_vh.shape)
        assert u.dtype == s.dtype == vh.dtype == onp.dtype(dtype)
        u, s, vh = (x.asnumpy().astype("float64") for x in (u, s, vh))
        onp.testing.assert_allclose(s, want_s, atol=tol)
        assert (onp.diff(s, axis=-1) <= 0).all() and (s >= 0).all()
        onp.testing.assert_allclose((u * s[..., None, :]) @ vh, a, atol=tol)
        _assert_orthonormal(u, TOL[dtype] * 10)
        _assert_orthonormal(onp.swapaxes(vh, -1, -2), TOL[dtype] * 10)


QR_SHAPES = [(3, 3), (4, 3), (3, 5), (2, 3, 5), (1, 4), (4, 1), (1, 1), (2, 2, 4)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", QR_SHAPES)
def test_qr_matches_numpy_for_tall_and_wide_matrices(shape, dtype):
    a = RNG.standard_normal(shape).astype(dtype)
    want_q, want_r = onp.linalg.qr(a)
    for q, r in _eager_and_jit(np.linalg.qr, np.array(a)):
        assert q.shape == want_q.shape and r.shape == want_r.shape and q.dtype == a.dtype
        close(q, want_q, TOL[dtype] * 10)
        close(r, want_r, TOL[dtype] * 10)


def test_qr_of_rank_deficient_wide_matrices_is_a_factorisation():
    for a in (onp.ones((2, 4)), onp.zeros((2, 3)), SVD_CASES["rank_deficient_wide"]):
        q, r = (x.asnumpy() for x in mx.jit(np.linalg.qr)(np.array(a)))
        close(q @ r, a)
        _assert_orthonormal(q, 1e-12)
        close(r, onp.triu(r))


@pytest.mark.parametrize("shape", [(3, 5), (2, 2, 3), (4, 3)])
def test_qr_gradients_to_second_order(shape):
    k = min(shape[-2:])
    cq = RNG.standard_normal(shape[:-1] + (k,))
    cr = RNG.standard_normal(shape[:-2] + (k, shape[-1]))

    def f(v):
        q, r = np.linalg.qr(v)
        return (q * np.array(cq)).sum() + (r * np.array(cr)).sum()

    check_grads(f, [RNG.standard_normal(shape)], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (2, 2, 3)])
def test_svd_gradients_to_second_order(shape):
    k = min(shape[-2:])
    weights, c = onp.arange(1.0, k + 1), RNG.standard_normal(shape)

    def f(v):  # (u_i vh_i and s do not depend on the singular vectors' signs)
        u, s, vh = np.linalg.svd(v)
        return ((u * np.array(weights)) @ vh * np.array(c)).sum() + (s * s).sum()

    check_grads(f, [RNG.standard_normal(shape)], rtol=1e-4, atol=1e-6)


def test_singular_values_differentiate_at_zero_singular_values_of_square_matrices():
    a = _with_singular_values([3.0, 1.0, 0.0], 3, 3)
    u, _, vh = onp.linalg.svd(a)
    close(mx.grad(lambda v: np.linalg.norm(v, 2))(np.array(a)), onp.outer(u[:, 0], vh[0]))
    close(mx.grad(lambda v: np.linalg.svd(v)[1].sum())(np.zeros((2, 2))), onp.zeros((2, 2)))


LSTSQ_CASES = {
    "tall": (TALL, TALL[:, 0] + 1, None),
    "tall_matrix_b": (TALL, RNG.standard_normal((4, 2)), None),
    "rank_deficient": (TALL[:, [0, 0, 1]], TALL[:, 2], None),
    "wide": (WIDE, WIDE[:, 0], None),
    "zero": (onp.zeros((3, 2)), onp.ones(3), None),
    "rcond_negative": (TALL, TALL[:, 1], -1),
    "rcond_cuts": (TALL, TALL[:, 1], 0.5),
    "float32": (TALL.astype("float32"), TALL[:, 0].astype("float32"), None),
}


@pytest.mark.parametrize("name", list(LSTSQ_CASES))
def test_lstsq_matches_numpy_eagerly_and_inside_jit(name):
    a, b, rcond = LSTSQ_CASES[name]
    want = onp.linalg.lstsq(a, b, rcond=rcond)
    tol = TOL[str(a.dtype)] * 100
    eager, traced = _eager_and_jit(lambda x, y: np.linalg.lstsq(x, y, rcond=rcond),
                                   np.array(a), np.array(b))
    for got in (eager, traced):
        close(got[0], want[0], tol)
        assert got[2].item() == want[2] and got[2].dtype == want[2].dtype == onp.int32
        close(got[3], want[3], tol)
        assert all(g.dtype == a.dtype for g in (got[0], got[1], got[3]))
    m, n = a.shape
    for got in (eager, traced) if want[2] == n or m <= n else (eager,):  # (see the next test)
        assert got[1].shape == want[1].shape
        close(got[1], want[1], tol)


def test_lstsq_inside_jit_gives_residuals_of_rank_deficient_tall_matrices():
    a, b, _ = LSTSQ_CASES["rank_deficient"]
    x, residuals, rank, _ = mx.jit(lambda p, q: np.linalg.lstsq(p, q, rcond=None))(
        np.array(a), np.array(b))
    assert rank.item() == 2 and residuals.shape == (1,)  # (NumPy: empty, the rank < 3)
    close(residuals, [((a @ x.asnumpy() - b) ** 2).sum()])


def test_lstsq_gradients_to_second_order():
    check_grads(lambda p, q: np.linalg.lstsq(p, q, rcond=None)[0], [TALL, RNG.standard_normal(4)],
                rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("a,b", [(onp.ones((2, 3, 3)), onp.ones(3)), (TALL, onp.ones(3)),
                                 (TALL, onp.ones((4, 1, 1)))])
def test_lstsq_names_the_shapes_it_cannot_solve(a, b):
    with pytest.raises(ShapeError, match=r"linalg.lstsq: needs a of shape \(m, n\) and b of "
                                         r"shape \(m,\) or \(m, k\), got \("):
        np.linalg.lstsq(np.array(a), np.array(b))
