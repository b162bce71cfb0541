"""mx.nd.random: reproducibility (eager and jit), distributions, shapes, dtypes and errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import (
    DeviceError,
    DTypeError,
    MXNetError,
    ParamError,
    RandomParameterError,
    ShapeError,
)

R = mx.nd.random

# name -> a call drawing 400 samples with scalar parameters
DRAWS = {
    "uniform": lambda: R.uniform(-1, 2, shape=(400,)),
    "normal": lambda: R.normal(1, 2, shape=(400,)),
    "randn": lambda: R.randn(400),
    "exponential": lambda: R.exponential(2.0, shape=(400,)),
    "gamma": lambda: R.gamma(2.5, 2.0, shape=(400,)),
    "poisson": lambda: R.poisson(3.0, shape=(400,)),
    "negative_binomial": lambda: R.negative_binomial(4, 0.4, shape=(400,)),
    "generalized_negative_binomial": lambda: R.generalized_negative_binomial(5, 0.3,
                                                                             shape=(400,)),
    "randint": lambda: R.randint(-3, 9, shape=(400,)),
    "multinomial": lambda: R.multinomial(mx.nd.array([0.2, 0.3, 0.5]), shape=400),
    "shuffle": lambda: R.shuffle(mx.nd.arange(400)),
    "uniform_like": lambda: R.uniform_like(mx.nd.zeros((400,)), -1, 1),
    "gamma_like": lambda: R.gamma_like(mx.nd.zeros((400,)), 3.0),
}


def draw(name: str) -> np.ndarray:
    return DRAWS[name]().asnumpy()


def ks_distance(samples: np.ndarray, cdf) -> float:  # type: ignore[no-untyped-def]
    """Kolmogorov-Smirnov distance between the samples and a continuous CDF."""
    x = np.sort(samples.astype(np.float64))
    n = x.size
    f = cdf(x)
    return float(max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n)))


def normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


# ---- reproducibility ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_seed_reproduces_and_draws_differ(name: str) -> None:
    mx.random.seed(1234)
    first, second = draw(name), draw(name)
    mx.random.seed(1234)
    np.testing.assert_array_equal(draw(name), first)
    np.testing.assert_array_equal(draw(name), second)
    assert not np.array_equal(first, second)
    mx.random.seed(99)
    assert not np.array_equal(draw(name), first)


@pytest.mark.parametrize("name", ["uniform", "normal", "gamma", "poisson", "randint",
                                  "multinomial", "shuffle", "generalized_negative_binomial"])
def test_jit_matches_eager_for_a_seed_and_redraws_per_call(name: str) -> None:
    f = mx.jit(lambda x: DRAWS[name]() + x * 0)
    zero = mx.nd.zeros((400,), dtype=DRAWS[name]().dtype)
    mx.random.seed(7)
    eager = draw(name)
    mx.random.seed(7)
    first = f(zero).asnumpy()
    second = f(zero).asnumpy()
    np.testing.assert_allclose(first, eager, rtol=1e-6, atol=1e-6)
    assert not np.array_equal(first, second)
    mx.random.seed(7)
    np.testing.assert_allclose(f(zero).asnumpy(), eager, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(0,), (3,), (2, 70001)])
def test_eager_bits_are_the_random_bits_primitive(shape: tuple[int, ...]) -> None:
    from mxjit.core import eager_bits
    from mxjit.trace.generators import philox_numpy

    key = np.array([123, 456], np.uint32)
    expect = philox_numpy(key, np.arange(int(np.prod(shape)), dtype=np.uint64)).reshape(shape)
    np.testing.assert_array_equal(eager_bits(key, shape), expect)


def test_mx_random_aliases_are_nd_random() -> None:
    mx.random.seed(5)
    a = mx.random.normal(0, 1, shape=(5,)).asnumpy()
    mx.random.seed(5)
    np.testing.assert_array_equal(a, R.normal(0, 1, shape=(5,)).asnumpy())
    for name in ("uniform", "normal", "randn", "poisson", "exponential", "gamma",
                 "multinomial", "negative_binomial", "generalized_negative_binomial",
                 "shuffle", "randint"):
        assert getattr(mx.random, name) is getattr(R, name)


# ---- distributions --------------------------------------------------------------------------


def test_uniform_is_uniform_and_in_range() -> None:
    mx.random.seed(0)
    x = R.uniform(-2, 3, shape=(20000,)).asnumpy()
    assert x.dtype == np.float32 and x.min() >= -2 and x.max() < 3
    assert ks_distance(x, lambda v: (v + 2) / 5) < 0.02
    x64 = R.uniform(shape=(20000,), dtype="float64").asnumpy()
    assert x64.dtype == np.float64 and 0 <= x64.min() and x64.max() < 1
    assert ks_distance(x64, lambda v: v) < 0.02
    assert len(np.unique(x64)) == x64.size  # 53 random bits, no visible ties
    x16 = R.uniform(shape=(20000,), dtype="float16").asnumpy()
    # (rounded to nearest, as MXNet does: 1.0 comes one time in 4096)
    assert x16.dtype == np.float16 and 0 <= x16.min() and x16.max() <= 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_moments_and_ks(dtype: str) -> None:
    mx.random.seed(1)
    x = R.normal(3, 2, shape=(20000,), dtype=dtype).asnumpy()
    assert x.dtype == np.dtype(dtype)
    assert abs(x.mean() - 3) < 0.06 and abs(x.std() - 2) < 0.06
    assert ks_distance((x - 3) / 2, normal_cdf) < 0.02


def test_exponential_and_gamma_moments() -> None:
    mx.random.seed(2)
    e = R.exponential(2.0, shape=(20000,)).asnumpy()
    assert e.min() >= 0 and abs(e.mean() - 2) < 0.08
    assert ks_distance(e, lambda v: 1 - np.exp(-v / 2)) < 0.02
    for alpha, beta in ((0.5, 1.0), (3.0, 2.0)):
        g = R.gamma(alpha, beta, shape=(20000,)).asnumpy()
        assert g.min() >= 0
        assert abs(g.mean() - alpha * beta) < 0.05 * alpha * beta + 0.02
        assert abs(g.var() - alpha * beta**2) < 0.1 * alpha * beta**2


def test_discrete_distributions_moments() -> None:
    mx.random.seed(3)
    p = R.poisson(4.0, shape=(20000,)).asnumpy()
    assert p.dtype == np.float32 and np.all(p == np.round(p)) and p.min() >= 0
    assert abs(p.mean() - 4) < 0.1 and abs(p.var() - 4) < 0.25
    nb = R.negative_binomial(5, 0.4, shape=(20000,)).asnumpy()
    mean, var = 5 * 0.6 / 0.4, 5 * 0.6 / 0.4**2
    assert np.all(nb == np.round(nb)) and abs(nb.mean() - mean) < 0.2
    assert abs(nb.var() - var) < 0.1 * var
    g = R.generalized_negative_binomial(6.0, 0.25, shape=(20000,)).asnumpy()
    assert abs(g.mean() - 6) < 0.15 and abs(g.var() - (6 + 0.25 * 36)) < 1.5
    g0 = R.generalized_negative_binomial(6.0, 0.0, shape=(20000,)).asnumpy()  # Poisson
    assert abs(g0.var() - 6) < 0.4
    assert np.all(R.poisson(0.0, shape=(10,)).asnumpy() == 0)


def test_randint_range_counts_and_dtypes() -> None:
    mx.random.seed(4)
    x = R.randint(-3, 5, shape=(16000,)).asnumpy()
    assert x.dtype == np.int32 and x.min() == -3 and x.max() == 4
    counts = np.bincount(x + 3)
    assert np.all(np.abs(counts - 2000) < 200)
    big = R.randint(0, 2**40, shape=(1000,), dtype="int64").asnumpy()
    assert big.dtype == np.int64 and big.min() >= 0 and big.max() < 2**40 and big.max() > 2**39
    assert R.randint(5, 6, shape=(3,)).asnumpy().tolist() == [5, 5, 5]


def test_multinomial_frequencies_shapes_and_log_probs() -> None:
    mx.random.seed(5)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]], np.float32)
    s = R.multinomial(mx.nd.array(probs), shape=(20000,)).asnumpy()
    assert s.shape == (2, 20000) and s.dtype == np.int32
    for row, p in zip(s, probs):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / 20000, p, atol=0.015)
    one = R.multinomial(mx.nd.array([0.2, 0.8]))
    assert one.shape == (1,)
    assert R.multinomial(mx.nd.array(probs)).shape == (2,)
    assert R.multinomial(mx.nd.zeros((2, 3, 4)) + 0.25, shape=(5, 6)).shape == (2, 3, 5, 6)
    sure = R.multinomial(mx.nd.array([[0, 0, 1.0], [1.0, 0, 0]]), shape=7).asnumpy()
    assert sure.tolist() == [[2] * 7, [0] * 7]
    idx, logp = R.multinomial(mx.nd.array(probs), shape=6, get_prob=True, dtype="float32")
    assert idx.dtype == np.float32 and logp.dtype == np.float32 and logp.shape == (2, 6)
    expect = np.log(np.take_along_axis(probs, idx.asnumpy().astype(int), axis=1))
    np.testing.assert_allclose(logp.asnumpy(), expect, rtol=1e-6)


def test_multinomial_log_prob_gradient_is_one_over_p() -> None:
    probs = mx.nd.array([[0.25, 0.75]])
    probs.attach_grad()
    with mx.autograd.record():
        idx, logp = R.multinomial(probs, shape=3, get_prob=True)
    logp.backward()
    counts = np.bincount(idx.asnumpy().reshape(-1), minlength=2)
    np.testing.assert_allclose(probs.grad.asnumpy()[0], counts / np.array([0.25, 0.75]),
                               rtol=1e-5)


def test_shuffle_permutes_rows_and_differentiates() -> None:
    mx.random.seed(6)
    data = mx.nd.array(np.arange(30).reshape(10, 3))
    out = R.shuffle(data).asnumpy()
    assert out.shape == (10, 3)
    np.testing.assert_array_equal(out[np.argsort(out[:, 0])], data.asnumpy())
    assert not np.array_equal(out, data.asnumpy())
    np.testing.assert_array_equal(data.asnumpy(), np.arange(30).reshape(10, 3))  # unchanged
    assert R.shuffle(mx.nd.zeros((0, 2))).shape == (0, 2)
    x = mx.nd.array(np.arange(5.0))
    g = mx.grad(lambda v: (R.shuffle(v) * mx.nd.arange(5)).sum())(x).asnumpy()
    assert sorted(g.tolist()) == [0, 1, 2, 3, 4]


# ---- parameters, shapes, dtypes, out, ctx ----------------------------------------------------


def test_output_shapes() -> None:
    assert R.uniform().shape == (1,)
    assert R.normal(0, 1, shape=3).shape == (3,)
    assert R.gamma(1, 1, shape=(2, 3)).shape == (2, 3)
    assert R.randn().shape == (1,) and R.randn(2, 3).shape == (2, 3)
    low = mx.nd.array([[0, 10, 20], [30, 40, 50]])
    assert R.uniform(low, low + 1).shape == (2, 3)
    assert R.uniform(low, low + 1, shape=(4, 5)).shape == (2, 3, 4, 5)
    assert R.poisson(mx.nd.ones((3,)), shape=2).shape == (3, 2)
    assert R.uniform(shape=(0, 4)).shape == (0, 4)
    like = mx.nd.zeros((2, 5), dtype="float64")
    for fn in (R.uniform_like, R.normal_like, R.exponential_like, R.gamma_like,
               R.poisson_like, R.negative_binomial_like, R.generalized_negative_binomial_like):
        got = fn(like)
        assert got.shape == (2, 5) and got.dtype == np.float64


def test_array_parameters_broadcast_per_entry() -> None:
    mx.random.seed(8)
    low = mx.nd.array([0.0, 10.0, -5.0])
    x = R.uniform(low, low + 1, shape=2000).asnumpy()
    for row, lo in zip(x, [0.0, 10.0, -5.0]):
        assert row.min() >= lo and row.max() < lo + 1 and abs(row.mean() - lo - 0.5) < 0.03
    loc, scale = mx.nd.array([[-10.0], [10.0]]), mx.nd.array([[0.5], [2.0]])
    y = R.normal(loc, scale, shape=4000).asnumpy()
    np.testing.assert_allclose(y.mean(axis=-1), [[-10], [10]], atol=0.1)
    np.testing.assert_allclose(y.std(axis=-1), [[0.5], [2.0]], rtol=0.05)
    lam = R.poisson(mx.nd.array([1.0, 20.0]), shape=4000).asnumpy()
    np.testing.assert_allclose(lam.mean(axis=1), [1, 20], rtol=0.05)
    bad = R.gamma(mx.nd.array([-1.0, 2.0]), mx.nd.array([1.0, 1.0]), shape=3).asnumpy()
    assert np.isnan(bad[0]).all() and not np.isnan(bad[1]).any()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_float_dtypes(dtype: str) -> None:
    for fn in (R.uniform, R.normal, R.exponential, R.gamma, R.poisson):
        got = fn(shape=(4,), dtype=dtype)
        assert got.dtype == np.dtype(dtype), fn.__name__


def test_out_and_ctx() -> None:
    out = mx.nd.zeros((3, 4))
    got = R.uniform(1, 2, out=out)
    assert got is out and out.asnumpy().min() >= 1
    R.normal(0, 1, shape=(3, 4), out=out)
    assert out.asnumpy().std() > 0
    with pytest.raises(ShapeError, match="out has shape"):
        R.uniform(0, 1, shape=(2,), out=out)
    assert R.uniform(shape=2, ctx=mx.cpu(0)).context == mx.cpu(0)
    with pytest.raises(DeviceError):
        R.uniform(shape=2, ctx=mx.gpu(0))
    mx.random.seed(3)
    o = mx.nd.zeros((4,))
    R.multinomial(mx.nd.array([0.5, 0.5]), shape=4, out=o)
    assert set(o.asnumpy().tolist()) <= {0.0, 1.0}


def test_pathwise_gradients_of_location_and_scale() -> None:
    loc, scale = mx.nd.array([1.0, 2.0]), mx.nd.array([1.0, 3.0])
    g = mx.grad(lambda m, s: R.normal(m, s, shape=5).sum())(loc, scale).asnumpy()
    np.testing.assert_allclose(g, [5, 5])


def test_legacy_top_level_names() -> None:
    mx.random.seed(9)
    a = mx.nd.random_uniform(0, 1, shape=(3,)).asnumpy()
    mx.random.seed(9)
    np.testing.assert_array_equal(a, R.uniform(0, 1, shape=(3,)).asnumpy())
    assert mx.nd.random_normal(0, 1, shape=(2, 2)).shape == (2, 2)
    assert mx.nd.random_normal(loc=0, scale=1, shape=3).shape == (3,)
    assert mx.nd.random_exponential(lam=4, shape=(3,)).shape == (3,)
    assert mx.nd.random_randint(0, 3, shape=(2,)).dtype == np.int32
    mu, sigma = mx.nd.array([0.0, 100.0]), mx.nd.array([1.0, 1.0])
    s = mx.nd.sample_normal(mu, sigma, shape=50).asnumpy()
    assert s.shape == (2, 50) and abs(s[1].mean() - 100) < 1
    assert mx.nd.sample_exponential(mx.nd.array([1.0, 2.0]), shape=3).shape == (2, 3)
    assert mx.nd.sample_multinomial(mx.nd.array([[0.0, 1.0]])).asnumpy().tolist() == [1]


# ---- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("call, match", [
    (lambda: R.uniform(2, 1), "low must be less or equal to high"),
    (lambda: R.normal(0, -1), "scale parameter in gaussian has to be positive"),
    (lambda: R.exponential(0), "scale parameter in exponential"),
    (lambda: R.gamma(0, 1), "alpha and beta"),
    (lambda: R.poisson(-1), "lambda parameter in poisson"),
    (lambda: R.negative_binomial(2, 1.5), "k must be positive and p"),
    (lambda: R.generalized_negative_binomial(-1, 1), "mu and alpha"),
    (lambda: R.randint(3, 3), "low must be less than high"),
    (lambda: mx.nd.random_exponential(lam=0), "lambda parameter in exponential"),
    (lambda: R.uniform_like(mx.nd.zeros(2), 1, 0), "low must be less"),
])
def test_invalid_scalar_parameters(call, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RandomParameterError, match=match):
        call()
    assert issubclass(RandomParameterError, (MXNetError, ValueError))


@pytest.mark.parametrize("call, error, match", [
    (lambda: R.uniform(mx.nd.zeros(2), 1.0), TypeError, "must all have the same type"),
    (lambda: R.uniform("a", "b"), ValueError, "either arrays or numbers"),
    (lambda: R.normal(mx.nd.zeros(2), mx.nd.ones(3)), ShapeError, "same shape"),
    (lambda: R.uniform(dtype="int32"), DTypeError, "float16, float32 or float64"),
    (lambda: R.randint(0, 5, dtype="float32"), DTypeError, "int32 or int64"),
    (lambda: R.randint(0.5, 5), TypeError, "low must be an int"),
    (lambda: R.uniform(shape=(-1, 2)), ShapeError, "negative dimension"),
    (lambda: R.uniform(shape="x"), TypeError, "shape must be an int or a tuple"),
    (lambda: R.uniform(foo=1), TypeError, "unexpected keyword"),
    (lambda: R.multinomial([0.5, 0.5]), TypeError, "must be an array"),
    (lambda: R.multinomial(mx.nd.array([1, 0], dtype="int32")), DTypeError, "floats"),
    (lambda: R.multinomial(mx.nd.zeros((2, 0))), ShapeError, "non-empty last axis"),
    (lambda: R.shuffle(np.zeros(3)), TypeError, "must be an array"),
    (lambda: R.shuffle(mx.nd.array(1.0).reshape(())), ShapeError, "at least one axis"),
    (lambda: R.gamma_like(mx.nd.zeros(2), mx.nd.ones(2)), TypeError, "must be a number"),
    (lambda: R.normal_like([1, 2]), TypeError, "must be an array"),
    (lambda: mx.nd.random_uniform(mx.nd.zeros(2), 1), TypeError, "must be a number"),
    (lambda: mx.nd.sample_uniform(0.0, 1.0), TypeError, "must be an array"),
    (lambda: mx.nd.sample_gamma(mx.nd.ones(2)), ParamError, "is required"),
])
def test_user_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()
