"""mx.np.linalg against NumPy's, its gradients against finite differences, and
mx.np.random's shapes, dtypes, seeding and moments."""
from __future__ import annotations

import numpy as onp
import pytest

import mxjit as mx
from mxjit import np

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
