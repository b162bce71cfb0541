"""NumPy meanings of the special functions NumPy lacks: erfinv, gamma and gammaln.

They define what the `erfinv`, `gamma` and `gammaln` primitives compute (constant folding
and the tests' references use them), so they are accurate float64 evaluations, element by
element, with C99's special values: gamma(+-0) = +-inf, gamma(negative integer) = NaN,
gammaln(pole or +-inf) = +inf, erfinv(+-1) = +-inf.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# Giles' single-precision erfinv ("Approximating the erfinv function", 2010), a start for
# Newton's method: erfinv(x) = x * p(w), w = -log((1 - x)(1 + x)), in w - 2.5 below w = 5
# and in sqrt(w) - 3 above.
_GILES_CENTRAL = (1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
                  -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08)
_GILES_TAIL = (2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773,
               -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257)


def _horner(v: float, coefs: tuple[float, ...]) -> float:
    acc = 0.0
    for c in reversed(coefs):
        acc = acc * v + c
    return acc


def erfinv_scalar(x: float) -> float:
    """The inverse of erf, to about an ulp: Giles' approximation refined by Newton steps
    on erf, or on erfc where |x| >= 1/2 (1 - |x| is exact there, so the tails keep
    their relative accuracy).

    >>> round(erfinv_scalar(math.erf(0.75)), 15)
    0.75
    """
    a = abs(x)
    if not a <= 1:
        return math.nan
    if a == 1:
        return math.copysign(math.inf, x)
    w = -math.log((1 - a) * (1 + a))
    if w < 5:
        y = a * _horner(w - 2.5, _GILES_CENTRAL)
    elif w < 16:
        y = a * _horner(math.sqrt(w) - 3, _GILES_TAIL)
    else:  # past Giles' range: erfc(y) ~ exp(-y^2) / (y sqrt(pi)) = 1 - a ~ exp(-w) / 2
        y = math.sqrt(w)
        for _ in range(3):
            y = math.sqrt(w + math.log(2 / math.sqrt(math.pi)) - math.log(y))
    for _ in range(3):
        f = math.erf(y) - a if a < 0.5 else (1 - a) - math.erfc(y)
        y -= f / (2 / math.sqrt(math.pi) * math.exp(-y * y))
    return math.copysign(y, x)


def gamma_scalar(x: float) -> float:
    """gamma(x) by `math.gamma`, with C99's values at its poles and overflows.

    >>> gamma_scalar(5.0), gamma_scalar(-0.0), gamma_scalar(-2.0), gamma_scalar(-1e-309)
    (24.0, -inf, nan, -inf)
    """
    if x == 0:
        return math.copysign(math.inf, x)
    if math.isnan(x) or x == -math.inf or (x < 0 and x == math.floor(x)):
        return math.nan
    try:
        return math.gamma(x)
    except OverflowError:  # (for x < 0, next to 0: gamma is negative on (-1, 0), (-3, -2), ...)
        return math.inf if x > 0 or math.floor(x) % 2 == 0 else -math.inf


def gammaln_scalar(x: float) -> float:
    """log|gamma(x)| by `math.lgamma`; +inf at the poles and at +-inf.

    >>> gammaln_scalar(1.0), gammaln_scalar(-3.0)
    (0.0, inf)
    """
    if math.isnan(x):
        return math.nan
    if math.isinf(x) or (x <= 0 and x == math.floor(x)):
        return math.inf
    try:
        return math.lgamma(x)
    except OverflowError:
        return math.inf


def _elementwise(f: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    vf = np.vectorize(f, otypes=[np.float64])

    def apply(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if not x.size:
            return x.copy()
        with np.errstate(all="ignore"):  # (NaN in, or out at the poles, on purpose)
            return vf(x.astype(np.float64)).astype(x.dtype)

    return apply


erfinv = _elementwise(erfinv_scalar)
gamma = _elementwise(gamma_scalar)
gammaln = _elementwise(gammaln_scalar)
