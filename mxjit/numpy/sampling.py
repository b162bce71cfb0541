"""`mx.np.random`: NumPy's samplers over MXNet's (`ops/random.py`: counter-based keys, so
`mx.np.random.seed(s)` reproduces draws eagerly and under `jit`).

NumPy's `size` is the output's shape; array parameters broadcast against it. Samples are
float32 by default, as in MXNet 1.9.1 (NumPy: float64); a sampler with no `size` and
scalar parameters gives a 0-d array.

    >>> mx.np.random.seed(0); mx.np.random.uniform(size=(2, 3)).shape  # doctest: +SKIP
    (2, 3)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import ArgumentError, ParamError, ShapeError
from ..context import Context
from ..core import Array, bind, next_key
from ..core.random import seed
from ..ops import random as _samplers
from ..ops.indexing import concrete
from ..ops.operands import as_dtype, ints, reshape_exact
from .adapter import finish, make, operands, operator
from .arithmetic import binary, broadcast_shapes
from .ndarray import ndarray
from .promotion import DEFAULT_FLOAT, user_dtype


def _size(size: Any, *params: Any) -> tuple[int, ...]:
    """The output's shape: `size`, else the broadcast shape of the array parameters."""
    if size is not None:
        return ints(size, "random: size")
    shapes = [p.shape for p in params if isinstance(p, Array)]
    shapes += [np.shape(p) for p in params if isinstance(p, (list, tuple, np.ndarray))]
    return broadcast_shapes("random", *shapes) if shapes else ()


def _float(dtype: Any, function: str) -> np.dtype:
    return DEFAULT_FLOAT if dtype is None else user_dtype(dtype, function)


def _params(function: str, *values: Any) -> list[Any]:
    return [v if isinstance(v, (int, float, Array)) else operands(function, v)[0]
            for v in values]


def _unit(function: str, shape: tuple[int, ...], dtype: np.dtype, ctx: Any,
          sampler: Any) -> Array:
    """Standard samples of `shape` (MXNet gives shape (1,) for (), which is reshaped)."""
    drawn = sampler(shape=shape or (1,), dtype=dtype, ctx=ctx)
    return drawn if drawn.shape == shape else reshape_exact(drawn, shape)


def uniform(low: Any = 0.0, high: Any = 1.0, size: Any = None, dtype: Any = None,
            ctx: Context | None = None, out: Any = None) -> ndarray:
    """Samples from the uniform distribution on [low, high).

    >>> mx.np.random.uniform(-1, 1, size=(2,))  # doctest: +SKIP
    """
    low, high = _params("uniform", low, high)
    shape = _size(size, low, high)
    u = _unit("uniform", shape, _float(dtype, "uniform"), ctx, _samplers.uniform)
    if isinstance(low, Array) or isinstance(high, Array):
        return finish(binary("add", binary("mul", binary("sub", high, low), u), low), out)
    return finish(binary("add", binary("mul", u, float(high) - float(low)), float(low)), out)


def normal(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = None,
           ctx: Context | None = None, out: Any = None) -> ndarray:
    """Samples from the normal distribution N(loc, scale**2).

    >>> mx.np.random.normal(0, 1, size=(2, 2))  # doctest: +SKIP
    """
    _check_positive("normal", scale=scale)
    loc, scale = _params("normal", loc, scale)
    shape = _size(size, loc, scale)
    z = _unit("normal", shape, _float(dtype, "normal"), ctx, _samplers.normal)
    return finish(binary("add", binary("mul", z, scale), loc), out)


def randn(*size: int, dtype: Any = None, ctx: Context | None = None) -> ndarray:
    """Standard normal samples of shape `size`.

    >>> mx.np.random.randn(2, 3).shape  # doctest: +SKIP
    (2, 3)
    """
    return normal(size=size, dtype=dtype, ctx=ctx)


def rand(*size: int, dtype: Any = None, ctx: Context | None = None) -> ndarray:
    """Uniform [0, 1) samples of shape `size`.

    >>> mx.np.random.rand(2, 3).shape  # doctest: +SKIP
    (2, 3)
    """
    return uniform(size=size, dtype=dtype, ctx=ctx)


def randint(low: int, high: int | None = None, size: Any = None, dtype: Any = None,
            ctx: Context | None = None, out: Any = None) -> ndarray:
    """Integers drawn uniformly from [low, high) ([0, low) without `high`); int64 by default.

    >>> mx.np.random.randint(0, 5, size=(3,))  # doctest: +SKIP
    """
    if high is None:
        low, high = 0, low
    d = np.dtype(np.int64) if dtype is None else user_dtype(dtype, "randint")
    shape = _size(size)
    drawn = _samplers.randint(low, high, shape=shape or (1,), dtype=d, ctx=ctx)
    return finish(drawn if drawn.shape == shape else reshape_exact(drawn, shape), out)


def exponential(scale: Any = 1.0, size: Any = None, ctx: Context | None = None,
                out: Any = None) -> ndarray:
    """Samples from the exponential distribution with mean `scale`.

    >>> mx.np.random.exponential(2.0, size=(3,))  # doctest: +SKIP
    """
    _check_positive("exponential", scale=scale)
    (scale,) = _params("exponential", scale)
    shape = _size(size, scale)
    e = _unit("exponential", shape, DEFAULT_FLOAT, ctx, _samplers.exponential)
    return finish(binary("mul", e, scale), out)


def gamma(shape: Any = 1.0, scale: Any = 1.0, size: Any = None, dtype: Any = None,
          ctx: Context | None = None, out: Any = None) -> ndarray:
    """Samples from the gamma distribution with shape k and scale theta (numbers or
    arrays, broadcast against each other and `size`).

    >>> mx.np.random.gamma(2.0, 1.0, size=(3,))  # doctest: +SKIP
    """
    _check_positive("gamma", True, shape=shape, scale=scale)
    d = _float(dtype, "gamma")
    if isinstance(shape, (int, float)) and isinstance(scale, (int, float)):
        dims = _size(size)
        drawn = _samplers.gamma(shape, scale, shape=dims or (1,), dtype=d, ctx=ctx)
        return finish(drawn if drawn.shape == dims else reshape_exact(drawn, dims), out)
    k, theta = _params("gamma", shape, scale)
    dims = _size(size, k, theta)
    # (MXNet's sampler over array parameters of one shape: both broadcast to the output's)
    return finish(_samplers.gamma(_spread(k, dims, d), _spread(theta, dims, d), shape=(),
                                  dtype=d), out)


def _spread(value: Any, dims: tuple[int, ...], dtype: np.dtype) -> Any:
    """A parameter (number or array) as an array of shape `dims` (NumPy's broadcasting)."""
    a = as_dtype(value, dtype) if isinstance(value, Array) else ndarray._wrap(
        np.asarray(value, dtype))
    if a.shape == dims:
        return a
    padded = reshape_exact(a, (1,) * (len(dims) - a.ndim) + a.shape)
    return bind("broadcast_to", padded, shape=dims)


def _check_positive(function: str, strict: bool = False, **params: Any) -> None:
    """NumPy's (and MXNet's) ValueError for a negative parameter (zero too, when
    `strict`): numbers, and the values of eager arrays."""
    for name, value in params.items():
        if isinstance(value, Array):
            value = concrete(value)
            if value is None:
                continue  # (traced: the samples are NaN, as MXNet's kernels give)
        if isinstance(value, (int, float, np.ndarray)) and np.size(value) and (
                np.min(value) <= 0 if strict else np.min(value) < 0):
            need = "positive" if strict else "non-negative"
            raise ParamError(f"{function}: {name} must be {need}, got {value}")


def poisson(lam: float = 1.0, size: Any = None, ctx: Context | None = None) -> ndarray:
    """Samples from the Poisson distribution with rate `lam` (a number), as float32.

    >>> mx.np.random.poisson(3.0, size=(3,))  # doctest: +SKIP
    """
    dims = _size(size)
    drawn = _samplers.poisson(lam, shape=dims or (1,), ctx=ctx)
    return finish(drawn if drawn.shape == dims else reshape_exact(drawn, dims))


def shuffle(x: Any) -> None:
    """Shuffle the rows (first axis) of `x` in place.

    >>> x = mx.np.arange(4); mx.np.random.shuffle(x)  # doctest: +SKIP
    """
    if not isinstance(x, ndarray):
        raise ArgumentError(f"shuffle: x must be an mx.np.ndarray, got {type(x).__name__}")
    x[...] = _samplers.shuffle(x)


def permutation(x: Any) -> ndarray:
    """A random permutation of range(x) (an int), or of `x`'s rows (a copy).

    >>> mx.np.random.permutation(5).shape  # doctest: +SKIP
    (5,)
    """
    if isinstance(x, (int, np.integer)):
        return finish(as_dtype(bind("random_permutation", next_key(), n=int(x)), np.int64))
    return finish(_samplers.shuffle(operands("permutation", x)[0]))


def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None,
           ctx: Context | None = None) -> ndarray:
    """Samples from `a` (an int: range(a); or an array: its rows), uniformly or with
    probabilities `p`; without replacement, each draw from what is left, with `p`
    renormalised over it (NumPy's meaning).

    >>> mx.np.random.choice(5, size=3, replace=False, p=[0.1, 0, 0.3, 0.6, 0])  # doctest: +SKIP
    """
    population = None if isinstance(a, (int, np.integer)) else operands("choice", a)[0]
    if population is not None and population.ndim == 0:
        raise ShapeError("choice: a must be an int or an array of at least one dimension, "
                         "got a 0-d array")
    n = int(a) if population is None else population.shape[0]
    shape = _size(size)
    if any(d < 0 for d in shape):
        raise ShapeError(f"choice: size must not be negative, got {shape}")
    count = int(np.prod(shape, dtype=np.int64))
    if count and n <= 0:
        raise ParamError(f"choice: a must be greater than 0 unless no samples are taken, "
                         f"got a population of {n}")
    if not replace and count > n:
        raise ShapeError(f"choice: cannot take a larger sample ({count}) than the "
                         f"population ({n}) when replace=False")
    probs = None if p is None else _probabilities(p, n, 0 if replace else count)
    if not count:
        picked = ndarray._wrap(np.zeros((0,), np.int64))
    elif replace and probs is None:
        picked = _samplers.randint(0, n, shape=(count,), dtype=np.int64)
    elif replace:
        picked = _samplers.multinomial(as_dtype(probs, DEFAULT_FLOAT), shape=(count,),
                                       dtype="int64")
    else:
        order = (bind("random_permutation", next_key(), n=n) if probs is None
                 else _weighted_order(probs))
        picked = bind("slice", order, start=(0,), stop=(count,), step=(1,))
    picked = as_dtype(picked, np.int64)
    if population is not None:
        picked = bind("take", population, picked, axis=0, mode="clip")
        return finish(reshape_exact(picked, shape + population.shape[1:]))
    return finish(reshape_exact(picked, shape))


def _probabilities(p: Any, n: int, distinct: int) -> Array:
    """`p` as an array, checked as NumPy checks it where its values are known (eagerly, or
    constants in a trace): 1-D, one per element, non-negative, summing to 1 (within the
    square root of its dtype's epsilon), and at least `distinct` of them non-zero."""
    probs = operands("choice", p)[0]
    if probs.shape != (n,):
        raise ShapeError(f"choice: p must be 1-D with one probability per element ({n}), got "
                         f"shape {probs.shape}")
    values = concrete(probs)
    if values is None:
        return probs  # (traced: unchecked, as MXNet never checks p)
    values = values.astype(np.float64)
    if np.isnan(values).any():
        raise ParamError(f"choice: p contains NaN: {values}")
    if (values < 0).any():
        raise ParamError(f"choice: p must be non-negative, got {values}")
    dtype = probs._dtype if probs._dtype.kind == "f" else np.dtype(np.float64)
    if abs(values.sum() - 1.0) > np.sqrt(np.finfo(dtype).eps):
        raise ParamError(f"choice: p must sum to 1, got a sum of {values.sum():.9g} from "
                         f"{values}")
    if np.count_nonzero(values) < distinct:
        raise ParamError(f"choice: p has fewer non-zero entries ({np.count_nonzero(values)}) "
                         f"than the {distinct} samples to take without replacement")
    return probs


def _weighted_order(probs: Array) -> Array:
    """A random order of range(len(probs)) in which each next element is drawn with
    probabilities `probs` renormalised over those not yet drawn. An exponential race: the
    element with the smallest E / p (E ~ Exp(1)) comes first, and by memorylessness the
    race goes on the same way among the rest. E = -log(u) with u in [0, 1) is never 0,
    so a zero probability gives +inf, never NaN: such elements come last."""
    weights = as_dtype(probs, np.float64)
    u = _samplers.uniform(shape=weights.shape, dtype=np.float64)
    race = binary("div", binary("mul", _log(u), -1.0), weights)
    return operator("argsort")(race, axis=0, dtype="int64")


def multinomial(n: int, pvals: Any, size: Any = None) -> ndarray:
    """Counts of `n` draws from the categories with probabilities `pvals`, per sample
    (int64, shape size + (len(pvals),)).

    >>> mx.np.random.multinomial(10, [0.2, 0.8], size=3).shape  # doctest: +SKIP
    (3, 2)
    """
    probs = as_dtype(operands("multinomial", pvals)[0], DEFAULT_FLOAT)
    if probs.ndim != 1:
        raise ShapeError(f"multinomial: pvals must be 1-D, got shape {probs.shape}")
    dims = _size(size)
    k = probs.shape[0]
    if n == 0 or k == 0 or 0 in dims:  # (nothing to draw: NumPy's empty or zero counts)
        return finish(ndarray._wrap(np.zeros(dims + (k,), np.int64)))
    drawn = _samplers.multinomial(probs, shape=dims + (int(n),), dtype="int64")
    hits = binary("eq", reshape_exact(drawn, dims + (int(n), 1)),
                  ndarray._wrap(np.arange(k, dtype=np.int64)))
    counts = bind("reduce_sum", as_dtype(hits, np.int64), axes=(len(dims),))
    return finish(counts)


def _uniform_transform(name: str, doc: str, params: tuple[tuple[str, float], ...],
                       transform: Callable[..., Any]) -> Callable[..., Any]:
    """A sampler `transform(u, *params)` of uniform [0, 1) samples `u`, with NumPy's
    parameters `params` (name, default), then `size`, `dtype`, `ctx`, `out`."""
    def body(*args: Any) -> Any:
        *values, size, dtype, ctx, out = args
        _check_positive(name, params[0][0] == "a",
                        **{p: v for (p, _), v in zip(params, values) if p != "loc"})
        arrays = _params(name, *values)
        u = _unit(name, _size(size, *arrays), _float(dtype, name), ctx, _samplers.uniform)
        return finish(transform(u, *arrays), out)

    return make(name, [*params, ("size", None), ("dtype", None), ("ctx", None), ("out", None)],
                body, doc, f"mx.np.random.{name}(size=(3,))")


def _log(x: Any) -> Any:
    return operator("log")(x)


def _over(p: float, a: Any) -> Any:
    """p / a for a number or an array parameter `a`."""
    return binary("div", p, a) if isinstance(a, Array) else p / a


def _one_minus(u: Any) -> Any:
    return binary("sub", 1.0, u)


gumbel = _uniform_transform(
    "gumbel", "Samples from the Gumbel distribution.", (("loc", 0.0), ("scale", 1.0)),
    lambda u, loc, scale: binary("sub", loc, binary(
        "mul", scale, _log(binary("mul", _log(_one_minus(u)), -1.0)))))
logistic = _uniform_transform(
    "logistic", "Samples from the logistic distribution.", (("loc", 0.0), ("scale", 1.0)),
    lambda u, loc, scale: binary("add", loc, binary(
        "mul", scale, _log(binary("div", u, _one_minus(u))))))
rayleigh = _uniform_transform(
    "rayleigh", "Samples from the Rayleigh distribution.", (("scale", 1.0),),
    lambda u, scale: binary("mul", scale, binary(
        "pow", binary("mul", _log(_one_minus(u)), -2.0), 0.5)))
weibull = _uniform_transform(
    "weibull", "Samples from the Weibull distribution with shape a.", (("a", 1.0),),
    lambda u, a: binary("pow", binary("mul", _log(_one_minus(u)), -1.0), _over(1.0, a)))
pareto = _uniform_transform(
    "pareto", "Samples from the Pareto II (Lomax) distribution with shape a, as NumPy's.",
    (("a", 1.0),),
    lambda u, a: binary("sub", binary("pow", _one_minus(u), _over(-1.0, a)), 1.0))
power = _uniform_transform(
    "power", "Samples in [0, 1] from the power distribution with exponent a - 1.",
    (("a", 1.0),), lambda u, a: binary("pow", u, _over(1.0, a)))


def lognormal(mean: Any = 0.0, sigma: Any = 1.0, size: Any = None, dtype: Any = None,
              ctx: Context | None = None, out: Any = None) -> ndarray:
    """Samples whose logarithm is N(mean, sigma**2).

    >>> mx.np.random.lognormal(0, 1, size=(3,))  # doctest: +SKIP
    """
    return finish(operator("exp")(normal(mean, sigma, size, dtype, ctx=ctx)), out)


def chisquare(df: float, size: Any = None, dtype: Any = None, ctx: Context | None = None
              ) -> ndarray:
    """Samples from the chi-square distribution with `df` degrees of freedom.

    >>> mx.np.random.chisquare(3.0, size=(3,))  # doctest: +SKIP
    """
    return gamma(df / 2.0, 2.0, size, dtype, ctx=ctx)


def beta(a: float, b: float, size: Any = None, dtype: Any = None,
         ctx: Context | None = None) -> ndarray:
    """Samples from the beta distribution (X / (X + Y) of gamma samples).

    >>> mx.np.random.beta(2.0, 3.0, size=(3,))  # doctest: +SKIP
    """
    x, y = gamma(a, 1.0, size, dtype, ctx=ctx), gamma(b, 1.0, size, dtype, ctx=ctx)
    return finish(binary("div", x, binary("add", x, y)))


def multivariate_normal(mean: Any, cov: Any, size: Any = None, check_valid: str = "warn",
                        tol: float = 1e-8) -> ndarray:
    """Samples from N(mean, cov): mean + L z with cov = L L^T (Cholesky). Leading axes of
    `mean` (..., n) and `cov` (..., n, n) are batches that broadcast (as MXNet's); the
    result has shape `size + batch + (n,)`. float16 is computed in float32.

    >>> mean, cov = mx.np.zeros(2), mx.np.eye(2)
    >>> mx.np.random.multivariate_normal(mean, cov, size=4).shape  # doctest: +SKIP
    (4, 2)
    """
    m, c = operands("multivariate_normal", mean, cov)
    if m.ndim < 1 or c.ndim < 2 or c.shape[-2:] != (m.shape[-1], m.shape[-1]):
        raise ShapeError(f"multivariate_normal: mean of shape {m.shape} and cov of shape "
                         f"{c.shape} do not fit (need (..., n) and (..., n, n))")
    batch = broadcast_shapes("multivariate_normal", m.shape[:-1], c.shape[:-2])
    n = m.shape[-1]
    dtype = m._dtype if m._dtype.kind == "f" else DEFAULT_FLOAT
    work = np.dtype(np.float32) if dtype == np.float16 else dtype
    lower = operator("_linalg_potrf")(as_dtype(c, work))  # (..., n, n)
    z = normal(size=_size(size) + batch + (n,), dtype=work)
    # (L z per sample: L's rows times z, broadcast over the samples and batches)
    rows = binary("mul", reshape_exact(z, z.shape[:-1] + (1, n)), lower)
    moved = bind("reduce_sum", rows, axes=(rows.ndim - 1,))
    return finish(as_dtype(binary("add", moved, as_dtype(m, work)), dtype))


__all__ = ["gumbel", "logistic", "rayleigh", "weibull", "pareto", "power", "lognormal",
           "chisquare", "beta", "multivariate_normal", "seed", "uniform", "normal", "randn",
           "rand", "randint", "exponential", "gamma",
           "poisson", "shuffle", "permutation", "choice", "multinomial"]
