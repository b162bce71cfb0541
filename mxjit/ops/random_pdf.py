"""Probability densities of MXNet's distributions (random_pdf_*), as compositions of
elementwise primitives and one reduction (Dirichlet), so they fuse and differentiate with
respect to the sample and the parameters.

The parameters have shape P (the distributions), the sample P + S (samples of each
distribution); the densities have the sample's shape. Dirichlet's parameters and samples
have one more axis, the k concentrations / coordinates, which the density sums over.

Formulas and their gradients follow MXNet's kernels (src/operator/random/pdf_op.h): no
check that the sample lies in the support (uniform is 1 / (high - low) everywhere,
exponential lam * exp(-lam * x) for x < 0 too), and the discrete distributions (poisson,
negative binomial) have no gradient with respect to the sample.

    >>> mx.nd.random_pdf_normal(mx.nd.array([[0.0, 1.0]]), mx.nd.array([0.0]),
    ...                         mx.nd.array([1.0]))  # doctest: +SKIP
    [[0.3989423  0.24197073]]
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..base import DTypeError, ShapeError
from ..core import Array, bind
from ..core.operators import register_operator
from .elementwise import exp, gammaln, log, log1p, negative
from .mixed_precision import compute_dtype
from .nn import BlockGrad
from .operands import as_dtype, reshape_exact
from .shape import broadcast_exact

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _floats(op: str, arrays: dict[str, Array]) -> np.dtype:
    """The one floating-point dtype of the operands (MXNet requires it)."""
    dtypes = {a._dtype for a in arrays.values()}
    if len(dtypes) != 1 or next(iter(dtypes)).kind != "f":
        got = ", ".join(f"{k} {a._dtype}" for k, a in arrays.items())
        raise DTypeError(f"{op}: needs operands of one floating-point dtype, got {got}")
    return next(iter(dtypes))


def _aligned(op: str, sample: Array, params: dict[str, Array], vector: bool
             ) -> list[Array]:
    """The parameters (shape P, or P + (k,) with `vector`) reshaped to broadcast against
    the samples (shape P + S, or P + S + (k,)), in the compute dtype."""
    first = next(iter(params.values()))
    if any(p.shape != first.shape for p in params.values()):
        raise ShapeError(f"{op}: the parameters must have one shape, got "
                         f"{ {k: v.shape for k, v in params.items()} }")
    lead = first.shape[:-1] if vector else first.shape
    valid = (sample.ndim >= first.ndim and sample.shape[:len(lead)] == lead
             and (not vector or (first.ndim >= 1 and sample.shape[-1:] == first.shape[-1:])))
    if not valid:
        need = "P + S + (k,) for parameters of shape P + (k,)" if vector else \
            "P + S for parameters of shape P"
        raise ShapeError(f"{op}: the sample must have shape {need}; got sample {sample.shape}"
                         f" and parameters {first.shape}")
    shape = lead + (1,) * (sample.ndim - first.ndim) + (first.shape[-1:] if vector else ())
    cd = compute_dtype(sample._dtype)
    return [reshape_exact(as_dtype(p, cd), shape) for p in params.values()]


def _density(op: str, sample: Array, params: dict[str, Array], is_log: bool,
             log_pdf: Callable[..., Array], discrete: bool = False, vector: bool = False
             ) -> Array:
    """`log_pdf(x, *params)` (or its exp) for each sample, computed in float32 for float16
    data (in float64 for float64) and returned in the sample's dtype."""
    dtype = _floats(op, {"sample": sample, **params})
    aligned = _aligned(op, sample, params, vector)
    x = as_dtype(sample, compute_dtype(dtype))
    if discrete:  # a count: MXNet's densities have no gradient with respect to it
        x = BlockGrad(x)
    y = log_pdf(x, *aligned)
    y = y if is_log else exp(y)
    shape = sample.shape[:-1] if vector else sample.shape
    if y.shape != shape:  # (uniform's density does not depend on the sample)
        y = broadcast_exact(y, shape)
    if vector and sample.ndim == 1:  # one sample vector: shape (1,), as in MXNet
        y = reshape_exact(y, (1,))
    return as_dtype(y, dtype)


# ---- log densities, over operands that broadcast against each other --------------------------


def _uniform(x: Array, low: Array, high: Array) -> Array:
    return negative(log(high - low))


def _normal(x: Array, mu: Array, sigma: Array) -> Array:
    z = (x - mu) / sigma
    return z * z * -0.5 - log(sigma) - _LOG_SQRT_2PI


def _exponential(x: Array, lam: Array) -> Array:
    return log(lam) - lam * x


def _gamma(x: Array, alpha: Array, beta: Array) -> Array:
    return alpha * log(beta) + (alpha - 1) * log(x) - beta * x - gammaln(alpha)


def _poisson(x: Array, lam: Array) -> Array:
    return x * log(lam) - gammaln(x + 1) - lam


def _negative_binomial(x: Array, k: Array, p: Array) -> Array:
    # p is the failure probability: x successes before the k-th failure
    return gammaln(x + k) - gammaln(x + 1) - gammaln(k) + k * log(p) + x * log1p(negative(p))


def _generalized_negative_binomial(x: Array, mu: Array, alpha: Array) -> Array:
    return _negative_binomial(x, 1 / alpha, 1 / (mu * alpha + 1))


def _dirichlet(x: Array, alpha: Array) -> Array:
    last = (x.ndim - 1,)
    norm = gammaln(bind("reduce_sum", alpha, axes=last)) - bind("reduce_sum", gammaln(alpha),
                                                                 axes=last)
    return bind("reduce_sum", (alpha - 1) * log(x), axes=last) + norm


# ---- operators -------------------------------------------------------------------------------


@register_operator("_random_pdf_uniform", inputs=("sample", "low", "high"),
                   aliases=("random_pdf_uniform",))
def pdf_uniform(sample: Array, low: Array, high: Array, is_log: bool = False) -> Array:
    """Density of uniform distributions on [low, high): 1 / (high - low), not checked
    against the support (as MXNet).

    >>> mx.nd.random_pdf_uniform(mx.nd.array([[1, 2]]), mx.nd.array([0]),
    ...                          mx.nd.array([10]))  # doctest: +SKIP
    [[0.1 0.1]]
    """
    return _density("random_pdf_uniform", sample, {"low": low, "high": high}, is_log,
                    _uniform)


@register_operator("_random_pdf_normal", inputs=("sample", "mu", "sigma"),
                   aliases=("random_pdf_normal",))
def pdf_normal(sample: Array, mu: Array, sigma: Array, is_log: bool = False) -> Array:
    """Density of normal distributions with means `mu` and standard deviations `sigma`.

    >>> mx.nd.random_pdf_normal(mx.nd.array([[0]]), mx.nd.array([0]),
    ...                         mx.nd.array([1]))  # doctest: +SKIP
    [[0.3989423]]
    """
    return _density("random_pdf_normal", sample, {"mu": mu, "sigma": sigma}, is_log,
                    _normal)


@register_operator("_random_pdf_exponential", inputs=("sample", "lam"),
                   aliases=("random_pdf_exponential",))
def pdf_exponential(sample: Array, lam: Array, is_log: bool = False) -> Array:
    """Density of exponential distributions with rates `lam`: lam * exp(-lam * x).

    >>> mx.nd.random_pdf_exponential(mx.nd.array([[1, 2]]), mx.nd.array([1]))  # doctest: +SKIP
    [[0.36787945 0.13533528]]
    """
    return _density("random_pdf_exponential", sample, {"lam": lam}, is_log, _exponential)


@register_operator("_random_pdf_gamma", inputs=("sample", "alpha", "beta"),
                   aliases=("random_pdf_gamma",))
def pdf_gamma(sample: Array, alpha: Array, beta: Array, is_log: bool = False) -> Array:
    """Density of gamma distributions with shapes `alpha` and rates `beta`.

    >>> mx.nd.random_pdf_gamma(mx.nd.array([[1, 2]]), mx.nd.array([5]),
    ...                        mx.nd.array([1]))  # doctest: +SKIP
    [[0.01532831 0.09022352]]
    """
    return _density("random_pdf_gamma", sample, {"alpha": alpha, "beta": beta}, is_log,
                    _gamma)


@register_operator("_random_pdf_poisson", inputs=("sample", "lam"),
                   aliases=("random_pdf_poisson",))
def pdf_poisson(sample: Array, lam: Array, is_log: bool = False) -> Array:
    """Probabilities of counts under Poisson distributions with rates `lam`
    (exp(x log lam - lam - gammaln(x + 1)), so non-integer counts interpolate).

    >>> mx.nd.random_pdf_poisson(mx.nd.array([[0, 1, 2]]), mx.nd.array([1]))  # doctest: +SKIP
    [[0.36787945 0.36787945 0.18393973]]
    """
    return _density("random_pdf_poisson", sample, {"lam": lam}, is_log, _poisson,
                    discrete=True)


@register_operator("_random_pdf_negative_binomial", inputs=("sample", "k", "p"),
                   aliases=("random_pdf_negative_binomial",))
def pdf_negative_binomial(sample: Array, k: Array, p: Array, is_log: bool = False) -> Array:
    """Probabilities of counts under negative binomial distributions with failure limits
    `k` (real-valued allowed) and failure probabilities `p`.

    >>> mx.nd.random_pdf_negative_binomial(mx.nd.array([[1, 2]]), mx.nd.array([1]),
    ...                                    mx.nd.array([0.5]))  # doctest: +SKIP
    [[0.25  0.125]]
    """
    return _density("random_pdf_negative_binomial", sample, {"k": k, "p": p}, is_log,
                    _negative_binomial, discrete=True)


@register_operator("_random_pdf_generalized_negative_binomial",
                   inputs=("sample", "mu", "alpha"),
                   aliases=("random_pdf_generalized_negative_binomial",))
def pdf_generalized_negative_binomial(sample: Array, mu: Array, alpha: Array,
                                      is_log: bool = False) -> Array:
    """Probabilities of counts under negative binomial distributions with means `mu` and
    dispersions `alpha` (k = 1 / alpha, p = 1 / (mu * alpha + 1)).

    >>> mx.nd.random_pdf_generalized_negative_binomial(
    ...     mx.nd.array([[1, 2]]), mx.nd.array([1]), mx.nd.array([1]))  # doctest: +SKIP
    [[0.25  0.125]]
    """
    return _density("random_pdf_generalized_negative_binomial", sample,
                    {"mu": mu, "alpha": alpha}, is_log, _generalized_negative_binomial,
                    discrete=True)


@register_operator("_random_pdf_dirichlet", inputs=("sample", "alpha"),
                   aliases=("random_pdf_dirichlet",))
def pdf_dirichlet(sample: Array, alpha: Array, is_log: bool = False) -> Array:
    """Density of Dirichlet distributions with concentrations `alpha` (last axis k) at
    sample vectors (last axis k; not checked to lie on the simplex, as in MXNet).

    >>> mx.nd.random_pdf_dirichlet(mx.nd.array([[0.2, 0.8]]),
    ...                            mx.nd.array([2.0, 2.0]))  # doctest: +SKIP
    [0.96]
    """
    return _density("random_pdf_dirichlet", sample, {"alpha": alpha}, is_log, _dirichlet,
                    vector=True)
