"""mx.nd.random_pdf_*: densities against float64 NumPy references, eagerly and under mx.jit,
their shapes (parameters P, samples P + S), gradients against numerical differences, MXNet's
quirks (no support check, no gradient for counts) and the errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ShapeError
from tests.helpers import check_grads

nd = mx.nd
_gammaln = np.vectorize(math.lgamma, otypes=[np.float64])


def _nb(x, k, p):  # type: ignore[no-untyped-def]
    return _gammaln(x + k) - _gammaln(x + 1) - _gammaln(k) + k * np.log(p) + x * np.log1p(-p)


#: name -> (log density over float64 NumPy operands, parameter values (one per
#: distribution, two distributions), sample values in the support, whether the sample is a
#: count).
CASES = {
    "uniform": (lambda x, lo, hi: -np.log(hi - lo) + 0 * x,
                [[-1.0, 0.5], [2.0, 4.0]], lambda r: r.uniform(-1, 2, (2, 3)), False),
    "normal": (lambda x, mu, s: -0.5 * ((x - mu) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi),
               [[0.0, 1.0], [1.0, 2.0]], lambda r: r.normal(0, 2, (2, 3)), False),
    "exponential": (lambda x, lam: np.log(lam) - lam * x, [[0.5, 2.0]],
                    lambda r: r.uniform(0.1, 3, (2, 3)), False),
    "gamma": (lambda x, a, b: a * np.log(b) + (a - 1) * np.log(x) - b * x - _gammaln(a),
              [[2.0, 5.0], [3.0, 1.0]], lambda r: r.uniform(0.2, 4, (2, 3)), False),
    "poisson": (lambda x, lam: x * np.log(lam) - _gammaln(x + 1) - lam, [[1.0, 4.5]],
                lambda r: r.integers(0, 6, (2, 3)).astype(float), True),
    "negative_binomial": (_nb, [[1.0, 2.5], [0.5, 0.3]],
                          lambda r: r.integers(0, 6, (2, 3)).astype(float), True),
    "generalized_negative_binomial": (
        lambda x, mu, alpha: _nb(x, 1 / alpha, 1 / (mu * alpha + 1)),
        [[2.0, 1.5], [0.5, 0.7]], lambda r: r.integers(0, 6, (2, 3)).astype(float), True),
}


def _pdf(name: str):  # type: ignore[no-untyped-def]
    return getattr(nd, f"random_pdf_{name}")


def _tolerance(dtype: str) -> dict:
    return {"float16": dict(rtol=2e-2, atol=1e-3), "float32": dict(rtol=2e-5, atol=1e-6),
            "float64": dict(rtol=1e-10, atol=1e-12)}[dtype]


@pytest.mark.parametrize("name, dtype", [(n, "float32") for n in sorted(CASES)] + [
    ("normal", "float64"), ("generalized_negative_binomial", "float64"),
    ("gamma", "float16")])
def test_densities_match_numpy_eagerly_and_under_jit(name: str, dtype: str) -> None:
    ref, params, draw, _ = CASES[name]
    x = draw(np.random.default_rng(len(name)))
    ps = [np.asarray(p) for p in params]
    lp = ref(x, *(p[:, None] for p in ps))
    args = [nd.array(x, dtype=dtype)] + [nd.array(p, dtype=dtype) for p in ps]
    f = _pdf(name)
    for is_log, expect in ((False, np.exp(lp)), (True, lp)):
        got = f(*args, is_log=is_log)
        assert got.dtype == np.dtype(dtype) and got.shape == x.shape
        np.testing.assert_allclose(got.asnumpy(), expect, **_tolerance(dtype))
    jitted = mx.jit(lambda *a: f(*a, is_log=True))(*args)
    np.testing.assert_allclose(jitted.asnumpy(), got.asnumpy(), rtol=1e-6, atol=1e-7)


def test_parameters_spread_over_trailing_sample_axes() -> None:
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    mu, sigma = np.array([[0.0, 1, 2], [3, 4, 5]]), np.full((2, 3), 1.5)
    got = nd.random_pdf_normal(nd.array(x, dtype="float64"), nd.array(mu, dtype="float64"),
                               nd.array(sigma, dtype="float64"), is_log=True)
    ref = CASES["normal"][0](x, mu[..., None], sigma[..., None])
    np.testing.assert_allclose(got.asnumpy(), ref, rtol=1e-12)
    same = nd.random_pdf_normal(nd.array([0.0, 1.0]), nd.array([0.0, 1.0]), nd.array([1.0, 2.0]))
    np.testing.assert_allclose(same.asnumpy(), [0.3989423, 0.19947115], rtol=1e-6)
    empty = nd.random_pdf_exponential(nd.zeros((2, 0)), nd.ones((2,)))
    assert empty.shape == (2, 0)


def test_mxnet_documented_values() -> None:
    # values printed by MXNet 1.9.1 for its docstring examples
    got = nd.random_pdf_dirichlet(nd.array([[1, 2], [2, 3], [3, 4]]), nd.array([2.5, 2.5]))
    np.testing.assert_allclose(got.asnumpy(), [38.413498, 199.60245, 564.56085], rtol=1e-5)
    got = nd.random_pdf_generalized_negative_binomial(
        nd.array([[1, 2, 3, 4], [1, 2, 3, 4]]), nd.array([1, 1.5]), nd.array([1, 0.6666]))
    np.testing.assert_allclose(got.asnumpy()[1], [0.26517063, 0.16573331, 0.09667706,
                                                  0.05437994], rtol=1e-5)
    # no check of the support, as in MXNet: uniform is 1 / (high - low) everywhere, the
    # exponential density continues below 0, counts below 0 have probability 0
    s = nd.array([[-1, 0.5, 10]])
    np.testing.assert_allclose(nd.random_pdf_uniform(s, nd.array([0]), nd.array([2]))
                               .asnumpy(), [[0.5, 0.5, 0.5]])
    np.testing.assert_allclose(nd.random_pdf_exponential(s, nd.array([2])).asnumpy()[0, 0],
                               14.778112, rtol=1e-6)
    assert nd.random_pdf_poisson(nd.array([[-1.0]]), nd.array([2])).asnumpy()[0, 0] == 0


def _dirichlet_ref(x, alpha):  # type: ignore[no-untyped-def]
    return ((alpha - 1) * np.log(x)).sum(-1) + _gammaln(alpha.sum(-1)) - \
        _gammaln(alpha).sum(-1)


def test_dirichlet_shapes_and_values() -> None:
    rng = np.random.default_rng(1)
    x = rng.dirichlet([1.0, 2.0, 3.0], size=(2, 4))  # (P=2, S=4, k=3)
    alpha = np.array([[1.5, 2.0, 3.0], [0.7, 1.0, 4.0]])
    got = nd.random_pdf_dirichlet(nd.array(x, dtype="float64"), nd.array(alpha, dtype="float64"))
    assert got.shape == (2, 4)
    np.testing.assert_allclose(got.asnumpy(), np.exp(_dirichlet_ref(x, alpha[:, None])),
                               rtol=1e-10)
    one = nd.random_pdf_dirichlet(nd.array([0.2, 0.3, 0.5]), nd.array([1.5, 2, 3]), is_log=True)
    assert one.shape == (1,)  # one sample vector gives shape (1,), as in MXNet
    np.testing.assert_allclose(one.asnumpy(), [1.6952109], rtol=1e-5)
    shared = nd.random_pdf_dirichlet(nd.array(x[0]), nd.array(alpha[0]))
    assert shared.shape == (4,)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_against_numerical_differences(name: str) -> None:
    _, params, draw, count = CASES[name]
    x = draw(np.random.default_rng(7))
    ps = [np.asarray(p) for p in params]
    f = _pdf(name)
    if count:  # no gradient with respect to a count (MXNet's): only the parameters vary
        fixed = nd.array(x, dtype="float64")
        check_grads(lambda *q: f(fixed, *q, is_log=True), ps, order=2, rtol=1e-4, atol=1e-6)
        grads = mx.grad(lambda s: f(s, *[nd.array(p, dtype="float64") for p in ps]).sum())(
            fixed)
        assert not grads.asnumpy().any()
    else:
        check_grads(lambda *a: f(*a), [x, *ps], order=2, rtol=1e-4, atol=1e-6)


def test_dirichlet_gradients() -> None:
    x = np.random.default_rng(3).dirichlet([2.0, 3.0, 4.0], size=(2, 2))
    alpha = np.array([[1.5, 2.0, 3.0], [2.5, 1.2, 1.8]])
    check_grads(lambda s, a: nd.random_pdf_dirichlet(s, a, is_log=True), [x, alpha], order=2,
                rtol=1e-4, atol=1e-6)


def test_recorded_gradient_matches_mxnet_formula() -> None:
    x, mu, sigma = nd.array([[0.5, -1.0]]), nd.array([0.2]), nd.array([1.5])
    for v in (x, mu, sigma):
        v.attach_grad()
    with mx.autograd.record():
        y = nd.random_pdf_normal(x, mu, sigma)
    y.backward()
    pdf = y.asnumpy()[0]
    xv = np.array([0.5, -1.0])
    np.testing.assert_allclose(x.grad.asnumpy()[0], pdf * (0.2 - xv) / 1.5 ** 2, rtol=1e-5)
    np.testing.assert_allclose(sigma.grad.asnumpy(),
                               [(pdf * ((xv - 0.2) ** 2 - 1.5 ** 2) / 1.5 ** 3).sum()], rtol=1e-5)


def test_not_in_mx_nd_random() -> None:
    assert not hasattr(nd.random, "pdf_normal")  # (MXNet has them in mx.nd only)
    assert callable(nd.random_pdf_dirichlet)


@pytest.mark.parametrize("call, error, match", [
    (lambda: nd.random_pdf_normal(nd.ones((2, 2), dtype="int32"), nd.zeros(2, dtype="int32"),
                                  nd.ones(2, dtype="int32")), DTypeError,
     "random_pdf_normal: needs operands of one floating-point dtype"),
    (lambda: nd.random_pdf_normal(nd.ones((2, 2), dtype="float64"), nd.zeros(2), nd.ones(2)),
     DTypeError, "sample float64"),
    (lambda: nd.random_pdf_normal(nd.ones((3, 2)), nd.zeros(2), nd.ones(2)), ShapeError,
     r"random_pdf_normal: the sample must have shape P \+ S"),
    (lambda: nd.random_pdf_gamma(nd.ones((3, 2)), nd.ones(3), nd.ones(2)), ShapeError,
     "the parameters must have one shape"),
    (lambda: nd.random_pdf_exponential(nd.ones(2), nd.ones((2, 1))), ShapeError,
     "the sample must have shape"),
    (lambda: nd.random_pdf_dirichlet(nd.ones((1, 3)), nd.ones(2)), ShapeError,
     r"random_pdf_dirichlet: the sample must have shape P \+ S \+ \(k,\)"),
    (lambda: nd.random_pdf_dirichlet(nd.ones((1, 3)), nd.ones(())), ShapeError,
     "random_pdf_dirichlet"),
])
def test_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()
