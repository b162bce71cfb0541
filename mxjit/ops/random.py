"""`mx.nd.random`: sampling from distributions, over the counter-based `random_bits` primitive.

Every draw takes one key from `mx.random.nextnext_key()` (a program input under `mx.jit`, so a
jitted function gives new numbers on every call), so `mx.random.seed(s)` reproduces the
same samples eagerly and under `jit`. Uniform, normal, exponential, randint, multinomial are
elementwise compositions of primitives (they fuse into their consumers and differentiate
with respect to their parameters: pathwise gradients where MXNet gives zeros); gamma,
Poisson and the negative binomials use the library primitives of
`mxjit/kernels/random_sampling.py` (rejection sampling in NumPy, seeded from the same key).

Parameters follow MXNet: scalars give `shape` samples (shape (1,) when no shape is given);
Array parameters (all of the same shape) give `params.shape + shape`. Samples are float32
unless `dtype` says otherwise. Scalar parameters outside a distribution's domain raise;
Array parameters outside it give NaN.

Eagerly, the random bits come from one Philox kernel that serves every shape (`eager_bits`)
and the transforms run as the shape-independent eager elementwise kernels, so a new shape
compiles nothing; under `jit` the whole draw fuses into the consumers' kernels.

    >>> mx.random.seed(1); mx.nd.random.uniform(0, 1, shape=(2,)).shape  # doctest: +SKIP
    (2,)
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ParamError, RandomParameterError, ShapeError
from ..context import Context, check_context
from ..core import Array, bind, current_trace, default_array_class, eager_bits, next_key
from ..core.operators import register_operator
from ..trace import canonical_dtype, const
from .elementwise import binary, cos, floor, log, minimum, sqrt, where
from .operands import as_dtype, iota, reshape_exact, write_out
from .prefix_sums import prefix_sums_last
from .reduce import sum as reduce_sum
from .shape import broadcast_exact

_FLOAT_TYPES = (np.dtype("float16"), np.dtype("float32"), np.dtype("float64"))
_Scalar = (int, float, np.integer, np.floating)


def _row(bits: Array, k: int) -> Array:
    """Row k of a (rows, *shape) array, as an array of `shape`."""
    n = bits.ndim
    start = (k,) + (0,) * (n - 1)
    stop = (k + 1,) + bits.shape[1:]
    row = bind("slice", bits, start=start, stop=stop, step=(1,) * n)
    return reshape_exact(row, shape=bits.shape[1:])


def unit_uniform(shape: tuple[int, ...], dtype: Any, count: int = 1) -> list[Array]:
    """`count` independent arrays of uniform [0, 1) samples for `dtype`, from one key.

    Each value keeps as many random bits as its compute dtype's significand holds (24 or
    53), so it is exact there and never rounds up to 1. float16 samples are computed from
    24-bit float32 values and rounded to nearest at the end, as MXNet's are: rounding the
    unit value to float16 first would round again, ties to even, where the sampler's
    arithmetic lands between float16's values (a bias a chi-square test finds).

    >>> u, = unit_uniform((3,), np.float32)  # doctest: +SKIP
    """
    d = np.dtype(dtype)
    cd = _compute_dtype(d)
    words = 2 if d == np.float64 else 1
    key = next_key()
    full = (count * words,) + tuple(shape)
    if key._node is None:
        bits = key._result_class._wrap(eager_bits(key._buffer(), full))
    else:
        bits = bind("random_bits", key, shape=full)
    out = []
    for c in range(count):
        if words == 2:
            hi = as_dtype(binary("div", _row(bits, 2 * c), 1 << 5), cd)
            lo = as_dtype(binary("div", _row(bits, 2 * c + 1), 1 << 6), cd)
            out.append((hi * float(1 << 26) + lo) * 2.0**-53)
        else:
            top = as_dtype(binary("div", _row(bits, c), 1 << 8), cd)
            out.append(top * 2.0**-24)
    return out


# ---- parameters, shapes and dtypes -------------------------------------------------------


def _shape_tuple(fn: str, shape: Any) -> tuple[int, ...]:
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ArgumentError(f"{fn}: shape must be an int or a tuple of ints, got "
                            f"{shape!r}") from None
    if any(d < 0 for d in dims):
        raise ShapeError(f"{fn}: negative dimension in shape {dims}")
    return dims


def _float_dtype(fn: str, dtype: Any, out: Array | None, default: Any = "float32"
                 ) -> np.dtype:
    if dtype is None:
        dtype = out._dtype if out is not None else default
    d = canonical_dtype(dtype)
    if d not in _FLOAT_TYPES:
        raise DTypeError(f"{fn}: dtype must be float16, float32 or float64, got {d}")
    return d


def _compute_dtype(d: np.dtype) -> np.dtype:
    return np.dtype(np.float64) if d == np.float64 else np.dtype(np.float32)


def _scalar_array(value: float, dtype: np.dtype) -> Array:
    """A 0-d array: a literal when tracing, so nothing is embedded twice."""
    scalar, cls = np.asarray(value, dtype), default_array_class()
    return cls._traced(const(scalar)) if current_trace() is not None else cls._wrap(scalar)


def _as_param(value: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """A parameter for a sampler of `shape`: a Python float, or an Array of `dtype` with
    size-1 axes for the sample axes (arithmetic broadcasts it)."""
    if not isinstance(value, Array):
        return float(value)
    v = as_dtype(value, dtype)
    return reshape_exact(v, shape=value.shape + (1,) * (len(shape) - value.ndim))


def _param_array(value: Any, dtype: np.dtype) -> Array:
    return value if isinstance(value, Array) else _scalar_array(value, dtype)


def _finish(fn: str, result: Array, ctx: Context | None, out: Array | None) -> Array:
    if ctx is not None and result._node is None:
        result._ctx = check_context(ctx)
    if out is None:
        return result
    if not isinstance(out, Array):
        raise ArgumentError(f"{fn}: out must be an array, got {type(out).__name__}")
    if out.shape != result.shape:
        raise ShapeError(f"{fn}: out has shape {out.shape} but the samples have shape "
                         f"{result.shape}")
    return write_out(as_dtype(result, out._dtype), out)


def _check_kwargs(fn: str, kwargs: dict[str, Any]) -> None:
    unknown = sorted(set(kwargs) - {"name"})
    if unknown:
        raise ArgumentError(f"{fn}: unexpected keyword argument(s) {unknown}")


Check = Callable[..., str | None]


def _draw(fn: str, params: dict[str, Any], shape: Any, dtype: Any, ctx: Any, out: Any,
          sampler: Callable[..., Array], check: Check | None, kwargs: dict[str, Any],
          dtype_rule: Callable[[str, Any, Any], np.dtype] | None = None) -> Array:
    """MXNet's `_random_helper`: scalar parameters or Array parameters, then sample."""
    _check_kwargs(fn, kwargs)
    values = list(params.values())
    d = (dtype_rule or _float_dtype)(fn, dtype, out)
    if isinstance(values[0], Array):
        for name, v in params.items():
            if not isinstance(v, Array):
                raise ArgumentError(f"{fn}: distribution parameters must all have the same type, "
                                f"got an array and {name}={v!r}")
        base = values[0].shape
        for name, v in params.items():
            if v.shape != base:
                raise ShapeError(f"{fn}: parameter arrays must have the same shape, got "
                                 f"{base} and {name} of shape {v.shape}")
        if ctx is None:
            ctx = values[0]._ctx
        out_shape = base + _shape_tuple(fn, shape)
    elif all(isinstance(v, _Scalar) and not isinstance(v, bool) for v in values):
        problem = check(*values) if check is not None else None
        if problem:
            raise RandomParameterError(f"{fn}: {problem}, got "
                                       + ", ".join(f"{k}={v}" for k, v in params.items()))
        if shape is None and out is not None:
            shape = out.shape
        out_shape = _shape_tuple(fn, 1 if shape is None else shape)
    else:
        bad = next(v for v in values if not isinstance(v, (Array, *_Scalar)))
        raise ParamError(f"{fn}: distribution parameters must be either arrays or numbers, "
                         f"but got {type(bad).__name__}")
    if ctx is not None:
        ctx = check_context(ctx)
    cd = _compute_dtype(d) if d.kind == "f" else np.dtype(np.float64)

    args = [_as_param(v, out_shape, cd) for v in values]
    samples = broadcast_exact(sampler(out_shape, d, *args), out_shape)
    return _finish(fn, as_dtype(samples, d), ctx, out)


# ---- samplers: (shape, output dtype, *params as floats or broadcastable arrays) -> samples


def _uniform(shape: tuple[int, ...], d: np.dtype, low: Array, high: Array) -> Array:
    (u,) = unit_uniform(shape, d)
    return low + (high - low) * u


def _standard_normal(shape: tuple[int, ...], d: np.dtype) -> Array:
    """Box-Muller: sqrt(-2 log(1 - u1)) cos(2 pi u2), with 1 - u1 in (0, 1]."""
    u1, u2 = unit_uniform(shape, _compute_dtype(d), 2)
    radius = sqrt(log(1.0 - u1) * -2.0)
    return radius * cos(u2 * (2 * math.pi))


def _normal(shape: tuple[int, ...], d: np.dtype, loc: Array, scale: Array) -> Array:
    return loc + scale * _standard_normal(shape, d)


def _exponential(shape: tuple[int, ...], d: np.dtype, scale: Array) -> Array:
    (u,) = unit_uniform(shape, _compute_dtype(d))
    return -log(1.0 - u) * scale


def _exponential_rate(shape: tuple[int, ...], d: np.dtype, lam: Array) -> Array:
    (u,) = unit_uniform(shape, _compute_dtype(d))
    return -log(1.0 - u) / lam


def _standard_gamma(alpha: Any, shape: tuple[int, ...], d: np.dtype) -> Array:
    cd = _compute_dtype(d)
    return bind("random_gamma", next_key(), _param_array(alpha, cd), shape=shape)


def _gamma(shape: tuple[int, ...], d: np.dtype, alpha: Any, beta: Any) -> Array:
    return _standard_gamma(alpha, shape, d) * beta


def _poisson(shape: tuple[int, ...], d: np.dtype, lam: Any) -> Array:
    cd = _compute_dtype(d)
    return bind("random_poisson", next_key(), _param_array(lam, cd), shape=shape)


def _negative_binomial(shape: tuple[int, ...], d: np.dtype, k: Any, p: Any) -> Array:
    """Poisson(Gamma(k, scale (1 - p) / p)), as MXNet samples it."""
    return _poisson(shape, d, _standard_gamma(k, shape, d) * ((1.0 - p) / p))


def _generalized_negative_binomial(shape: tuple[int, ...], d: np.dtype, mu: Any, alpha: Any
                                   ) -> Array:
    """Poisson(Gamma(1 / alpha, scale alpha * mu)); Poisson(mu) where alpha == 0."""
    if not isinstance(alpha, Array):
        if alpha == 0:
            return _poisson(shape, d, mu)
        return _poisson(shape, d, _standard_gamma(1.0 / alpha, shape, d) * (alpha * mu))
    zero = alpha == 0.0
    safe = where(zero, alpha + 1.0, alpha)
    gamma = _standard_gamma(1.0 / safe, shape, d) * (safe * mu)
    return _poisson(shape, d, where(zero, mu, gamma))


# ---- the public samplers ------------------------------------------------------------------


def uniform(low: Any = 0, high: Any = 1, shape: Any = None, dtype: Any = None,
            ctx: Context | None = None, out: Array | None = None, **kwargs: Any) -> Array:
    """Samples from the uniform distribution on [low, high).

    >>> mx.nd.random.uniform(-1, 1, shape=(2,))  # doctest: +SKIP
    >>> low, high = mx.nd.array([0, 1]), mx.nd.array([1, 2])
    >>> mx.nd.random.uniform(low, high, shape=3).shape  # doctest: +SKIP
    (2, 3)
    """
    return _draw("uniform", {"low": low, "high": high}, shape, dtype, ctx, out, _uniform,
                 lambda lo, hi: None if hi >= lo else
                 "low must be less or equal to high in uniform distribution", kwargs)


def normal(loc: Any = 0, scale: Any = 1, shape: Any = None, dtype: Any = None,
           ctx: Context | None = None, out: Array | None = None, **kwargs: Any) -> Array:
    """Samples from the normal distribution N(loc, scale**2).

    >>> mx.nd.random.normal(0, 1, shape=(2, 2)).shape  # doctest: +SKIP
    (2, 2)
    """
    return _draw("normal", {"loc": loc, "scale": scale}, shape, dtype, ctx, out, _normal,
                 lambda m, s: None if s > 0 else "scale parameter in gaussian has to be "
                 "positive", kwargs)


def randn(*shape: int, **kwargs: Any) -> Array:
    """Standard normal samples with the shape given positionally (`loc`, `scale`, `dtype`,
    `ctx`, `out` as keywords).

    >>> mx.nd.random.randn(2, 3, loc=5, scale=1).shape  # doctest: +SKIP
    (2, 3)
    """
    loc, scale = kwargs.pop("loc", 0), kwargs.pop("scale", 1)
    dtype, ctx, out = kwargs.pop("dtype", None), kwargs.pop("ctx", None), kwargs.pop("out", None)
    return normal(loc, scale, shape if shape else None, dtype, ctx, out, **kwargs)


def exponential(scale: Any = 1, shape: Any = None, dtype: Any = None,
                ctx: Context | None = None, out: Array | None = None, **kwargs: Any
                ) -> Array:
    """Samples from the exponential distribution with mean `scale` (rate 1 / scale).

    >>> mx.nd.random.exponential(2.0, shape=(3,)).shape  # doctest: +SKIP
    (3,)
    """
    return _draw("exponential", {"scale": scale}, shape, dtype, ctx, out, _exponential,
                 lambda s: None if s > 0 else "scale parameter in exponential distribution "
                 "has to be positive", kwargs)


def gamma(alpha: Any = 1, beta: Any = 1, shape: Any = None, dtype: Any = None,
          ctx: Context | None = None, out: Array | None = None, **kwargs: Any) -> Array:
    """Samples from the gamma distribution with shape `alpha` and scale `beta`.

    >>> mx.nd.random.gamma(2, 1, shape=(3,)).shape  # doctest: +SKIP
    (3,)
    """
    return _draw("gamma", {"alpha": alpha, "beta": beta}, shape, dtype, ctx, out, _gamma,
                 lambda a, b: None if a > 0 and b > 0 else "alpha and beta parameters in "
                 "gamma distribution have to be positive", kwargs)


def poisson(lam: Any = 1, shape: Any = None, dtype: Any = None, ctx: Context | None = None,
            out: Array | None = None, **kwargs: Any) -> Array:
    """Samples from the Poisson distribution with rate `lam`, as floats.

    >>> mx.nd.random.poisson(4, shape=(3,)).shape  # doctest: +SKIP
    (3,)
    """
    return _draw("poisson", {"lam": lam}, shape, dtype, ctx, out, _poisson,
                 lambda lam: None if 0 <= lam < math.inf else "lambda parameter in poisson "
                 "distribution has to be non-negative and finite", kwargs)


def negative_binomial(k: Any = 1, p: Any = 1, shape: Any = None, dtype: Any = None,
                      ctx: Context | None = None, out: Array | None = None, **kwargs: Any
                      ) -> Array:
    """Samples from the negative binomial distribution: failures before the k-th success
    with success probability p (mean k (1 - p) / p), as floats.

    >>> mx.nd.random.negative_binomial(10, 0.5, shape=(2,)).shape  # doctest: +SKIP
    (2,)
    """
    return _draw("negative_binomial", {"k": k, "p": p}, shape, dtype, ctx, out,
                 _negative_binomial,
                 lambda k, p: None if k > 0 and 0 < p <= 1 else "k must be positive and p in "
                 "(0, 1] in negative binomial distribution", kwargs)


def generalized_negative_binomial(mu: Any = 1, alpha: Any = 1, shape: Any = None,
                                  dtype: Any = None, ctx: Context | None = None,
                                  out: Array | None = None, **kwargs: Any) -> Array:
    """Samples from the negative binomial distribution with mean `mu` and dispersion
    `alpha` (variance mu + alpha mu**2), as floats.

    >>> mx.nd.random.generalized_negative_binomial(10, 0.1)  # doctest: +SKIP
    """
    return _draw("generalized_negative_binomial", {"mu": mu, "alpha": alpha}, shape, dtype,
                 ctx, out, _generalized_negative_binomial,
                 lambda mu, a: None if mu >= 0 and a >= 0 else "mu and alpha parameters in "
                 "generalized negative binomial distribution have to be non-negative", kwargs)


def _int_dtype(fn: str, dtype: Any, out: Any) -> np.dtype:
    if dtype is None:
        dtype = out._dtype if out is not None else "int32"
    d = canonical_dtype(dtype)
    if d not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise DTypeError(f"{fn}: dtype must be int32 or int64, got {d}")
    return d


def randint(low: int, high: int, shape: Any = None, dtype: Any = None,
            ctx: Context | None = None, out: Array | None = None, **kwargs: Any) -> Array:
    """Integers drawn uniformly from [low, high) (int32 unless `dtype='int64'`).

    >>> mx.nd.random.randint(-10, 10, shape=(2,)).dtype  # doctest: +SKIP
    <class 'numpy.int32'>
    """
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise ArgumentError(f"randint: {name} must be an int, got {type(v).__name__}")

    def sample(shape: tuple[int, ...], d: np.dtype, lo: Array, hi: Array) -> Array:
        (u,) = unit_uniform(shape, np.float64)
        return minimum(lo + floor(u * (hi - lo)), hi - 1.0)

    return _draw("randint", {"low": low, "high": high}, shape, dtype, ctx, out, sample,
                 lambda lo, hi: None if hi > lo else "low must be less than high in randint",
                 kwargs, dtype_rule=_int_dtype)


def multinomial(data: Array, shape: Any = None, get_prob: bool = False,
                out: Array | None = None, dtype: Any = "int32", **kwargs: Any) -> Any:
    """Indices drawn from the categorical distributions in the last axis of `data`.

    The result has shape `data.shape[:-1] + shape` ((1,) for 1-D data and no shape). With
    `get_prob=True` the log-likelihoods of the draws come too, as `[samples, log_probs]`
    (they differentiate with respect to `data`, for REINFORCE-style estimators).

    >>> p = mx.nd.array([[0, 0.1, 0.9], [0.5, 0.5, 0]])
    >>> mx.nd.random.multinomial(p, shape=4).shape  # doctest: +SKIP
    (2, 4)
    """
    _check_kwargs("multinomial", kwargs)
    if not isinstance(data, Array):
        raise ArgumentError(f"multinomial: data must be an array, got {type(data).__name__}")
    if data.ndim < 1 or data.shape[-1] == 0:
        raise ShapeError(f"multinomial: data needs a non-empty last axis of categories, got "
                         f"shape {data.shape}")
    if data._dtype.kind != "f":
        raise DTypeError(f"multinomial: data must hold probabilities (floats), got "
                         f"{data._dtype}")
    d = canonical_dtype(dtype)
    if d.kind not in "fiu":
        raise DTypeError(f"multinomial: dtype must be a number type, got {d}")
    largest = _largest_exact_integer(d)
    if data.shape[-1] - 1 > largest:
        # (MXNet 1.9.1 wraps or rounds such indices silently)
        raise DTypeError(f"multinomial: dtype {d} cannot hold the indices of "
                         f"{data.shape[-1]} categories (its integers are exact up to "
                         f"{largest})")
    sample = _shape_tuple("multinomial", shape)
    samples, index = _multinomial(data, sample, d)
    if out is not None:
        samples = _finish("multinomial", samples, None, out)
    return [samples, _log_likelihood(data, index, sample)] if get_prob else samples


def _largest_exact_integer(d: np.dtype) -> int:
    """The largest integer up to which every integer is exact in `d`."""
    if d.kind == "f":
        return 2 ** (np.finfo(d).nmant + 1)
    return int(np.iinfo(d).max)


def _multinomial(data: Array, sample: tuple[int, ...], d: np.dtype
                 ) -> tuple[Array, Array]:
    """Inverse-CDF sampling: the index is how many cumulative probabilities are <= u
    (MXNet's loop, which stops at the first cdf[j] > u, with k - 1 as the fallback where
    MXNet gives k). Returns the samples and the indices (as floats, shape batch + sample)."""
    k = data.shape[-1]
    batch = data.shape[:-1]
    cd = _compute_dtype(data._dtype)
    cdf = prefix_sums_last(as_dtype(data, cd))
    (u,) = unit_uniform(batch + sample, cd)
    below = binary("le", reshape_exact(cdf, shape=batch + (1,) * len(sample) + (k,)),
                       reshape_exact(u, shape=batch + sample + (1,)))
    # (counted in float64 where the compute dtype's integers stop being exact before k)
    count_dtype = cd if k <= _largest_exact_integer(cd) else np.dtype(np.float64)
    count = reduce_sum(as_dtype(below, count_dtype), axis=-1)
    index = reshape_exact(minimum(count, float(k - 1)), shape=batch + sample)
    samples = reshape_exact(as_dtype(index, d), shape=batch + sample or (1,))
    return samples, index


def _log_likelihood(data: Array, index: Array, sample: tuple[int, ...]) -> Array:
    """log data[..., index] per draw (differentiable with respect to `data`)."""
    k = data.shape[-1]
    batch = data.shape[:-1]
    categories = reshape_exact(iota((k,), 0, index, index._dtype),
                          shape=(1,) * (len(batch) + len(sample)) + (k,))
    hit = binary("eq", reshape_exact(index, shape=index.shape + (1,)), categories)
    probs = reshape_exact(as_dtype(data, index._dtype), shape=batch + (1,) * len(sample) + (k,))
    chosen = reduce_sum(hit * probs, axis=-1)
    logp = as_dtype(log(chosen), data._dtype)
    return reshape_exact(logp, shape=batch + sample or (1,))


def shuffle(data: Array, out: Array | None = None, **kwargs: Any) -> Array:
    """The rows of `data` (its first axis) in a random order; `data` is not modified.

    >>> mx.nd.random.shuffle(mx.nd.array([[0, 1], [2, 3], [4, 5]])).shape  # doctest: +SKIP
    (3, 2)
    """
    _check_kwargs("shuffle", kwargs)
    if not isinstance(data, Array):
        raise ArgumentError(f"shuffle: data must be an array, got {type(data).__name__}")
    if data.ndim == 0:
        raise ShapeError("shuffle: data must have at least one axis")
    perm = bind("random_permutation", next_key(), n=data.shape[0])
    result = bind("take", data, perm, axis=0, mode="clip") if data.shape[0] else data + 0
    return _finish("shuffle", result, None, out)


# ---- the *_like samplers: the shape and dtype of `data`, scalar parameters ----------------


def _like(fn: str, data: Array, params: dict[str, Any], sampler: Callable[..., Array],
          check: Check) -> Array:
    if not isinstance(data, Array):
        raise ArgumentError(f"{fn}: data must be an array, got {type(data).__name__}")
    for name, v in params.items():
        if not isinstance(v, _Scalar) or isinstance(v, bool):
            raise ArgumentError(f"{fn}: {name} must be a number, got {type(v).__name__}")
    return _draw(fn, params, data.shape, data._dtype, data._ctx, None, sampler, check, {})


@register_operator("_random_uniform_like")
def uniform_like(data: Array, low: float = 0.0, high: float = 1.0) -> Array:
    """Uniform [low, high) samples with the shape and dtype of `data`.

    >>> mx.nd.random.uniform_like(mx.nd.zeros((2, 3))).shape  # doctest: +SKIP
    (2, 3)
    """
    return _like("uniform_like", data, {"low": low, "high": high}, _uniform,
                 lambda lo, hi: None if hi >= lo else "low must be less or equal to high")


@register_operator("_random_normal_like")
def normal_like(data: Array, loc: float = 0.0, scale: float = 1.0) -> Array:
    """Normal samples with the shape and dtype of `data`."""
    return _like("normal_like", data, {"loc": loc, "scale": scale}, _normal,
                 lambda m, s: None if s > 0 else "scale has to be positive")


@register_operator("_random_exponential_like")
def exponential_like(data: Array, lam: float = 1.0) -> Array:
    """Exponential samples with rate `lam`, with the shape and dtype of `data`."""
    return _like("exponential_like", data, {"lam": lam}, _exponential_rate,
                 lambda lam: None if lam > 0 else "lam has to be positive")


@register_operator("_random_gamma_like")
def gamma_like(data: Array, alpha: float = 1.0, beta: float = 1.0) -> Array:
    """Gamma(alpha, scale beta) samples with the shape and dtype of `data`."""
    return _like("gamma_like", data, {"alpha": alpha, "beta": beta}, _gamma,
                 lambda a, b: None if a > 0 and b > 0 else "alpha and beta have to be positive")


@register_operator("_random_poisson_like")
def poisson_like(data: Array, lam: float = 1.0) -> Array:
    """Poisson samples with the shape and dtype of `data`."""
    return _like("poisson_like", data, {"lam": lam}, _poisson,
                 lambda lam: None if 0 <= lam < math.inf else "lam has to be non-negative")


@register_operator("_random_negative_binomial_like")
def negative_binomial_like(data: Array, k: float = 1, p: float = 1) -> Array:
    """Negative binomial samples with the shape and dtype of `data`."""
    return _like("negative_binomial_like", data, {"k": k, "p": p}, _negative_binomial,
                 lambda k, p: None if k > 0 and 0 < p <= 1 else "k must be positive and p in "
                 "(0, 1]")


@register_operator("_random_generalized_negative_binomial_like")
def generalized_negative_binomial_like(data: Array, mu: float = 1.0, alpha: float = 1.0) -> Array:
    """Generalized negative binomial samples with the shape and dtype of `data`."""
    return _like("generalized_negative_binomial_like", data, {"mu": mu, "alpha": alpha},
                 _generalized_negative_binomial,
                 lambda mu, a: None if mu >= 0 and a >= 0 else "mu and alpha have to be "
                 "non-negative")


# ---- the registered operators: scalar parameters (_random_*), arrays (_sample_*) ----------
#
# MXNet's `mx.nd.random.*` above are Python wrappers that pick one of these by the kind of
# parameters they are given; the operators themselves (and their top-level aliases
# `mx.nd.random_uniform`, `mx.nd.sample_normal`, ...) take one kind only.


def _numbers(fn: str, **params: Any) -> None:
    for name, v in params.items():
        if isinstance(v, Array) or isinstance(v, bool) or not isinstance(v, _Scalar):
            raise ArgumentError(f"{fn}: {name} must be a number; use sample_* or "
                                "mx.nd.random.* for array parameters")


def _arrays(fn: str, **params: Any) -> None:
    for name, v in params.items():
        if not isinstance(v, Array):
            raise ArgumentError(f"{fn}: {name} must be an array, got {type(v).__name__}")


_SCALAR_NAMES = ("uniform", "normal")  # (MXNet's legacy top-level aliases of two of them)


def _random_op(name: str, target: Callable[..., Array], params: dict[str, float],
               rate: bool = False) -> None:
    """Register `_random_<name>`: `target` with number parameters `params` (defaults)."""
    def impl(**kwargs: Any) -> Array:
        values = {p: kwargs.pop(p) for p in params}
        _numbers(f"random_{name}", **values)
        if rate:  # MXNet's exponential takes the rate; the sampler the scale
            lam = values.pop("lam")
            if lam <= 0:
                raise RandomParameterError(f"random_{name}: lambda parameter in exponential "
                                           f"distribution has to be positive, got lam={lam}")
            values["scale"] = 1.0 / lam
        return target(*values.values(), **kwargs)

    keyword = inspect.Parameter.KEYWORD_ONLY
    impl.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(p, keyword, default=d, annotation="float") for p, d in
         params.items()]
        + [inspect.Parameter("shape", keyword, default=None, annotation="tuple[int, ...]"),
           inspect.Parameter("ctx", keyword, default=None, annotation="Any"),
           inspect.Parameter("dtype", keyword, default=None, annotation="Any")])
    impl.__name__ = impl.__qualname__ = f"random_{name}"
    impl.__doc__ = (f"Samples of `mx.nd.random.{target.__name__}` with number parameters."
                    f"\n\n    >>> mx.nd.random_{name}(shape=(2,))  # doctest: +SKIP\n    ")
    aliases = (f"random_{name}",) + ((name,) if name in _SCALAR_NAMES else ())
    register_operator(f"_random_{name}", inputs=(), aliases=aliases)(impl)


def _sample_op(name: str, target: Callable[..., Array], params: tuple[str, ...],
               rate: bool = False) -> None:
    """Register `_sample_<name>`: `target` with parameter arrays `params`."""
    def impl(*arrays: Array, shape: Any = (), dtype: Any = None) -> Array:
        values = dict(zip(params, arrays))
        _arrays(f"sample_{name}", **values)
        if rate:
            values = {"scale": binary("div", 1.0, values["lam"])}
        return target(*values.values(), shape=shape or None, dtype=dtype)

    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    keyword = inspect.Parameter.KEYWORD_ONLY
    impl.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(p, positional, annotation="Array") for p in params]
        + [inspect.Parameter("shape", keyword, default=(), annotation="tuple[int, ...]"),
           inspect.Parameter("dtype", keyword, default=None, annotation="Any")])
    impl.__name__ = impl.__qualname__ = f"sample_{name}"
    impl.__doc__ = (f"Samples of `mx.nd.random.{target.__name__}` with parameter arrays (one "
                    f"distribution per element).\n\n"
                    f"    >>> mx.nd.sample_{name}(*params, shape=(2,))  # doctest: +SKIP\n    ")
    register_operator(f"_sample_{name}", inputs=params, aliases=(f"sample_{name}",))(impl)


_random_op("uniform", uniform, {"low": 0.0, "high": 1.0})
_random_op("normal", normal, {"loc": 0.0, "scale": 1.0})
_random_op("gamma", gamma, {"alpha": 1.0, "beta": 1.0})
_random_op("exponential", exponential, {"lam": 1.0}, rate=True)
_random_op("poisson", poisson, {"lam": 1.0})
_random_op("negative_binomial", negative_binomial, {"k": 1, "p": 1.0})
_random_op("generalized_negative_binomial", generalized_negative_binomial,
           {"mu": 1.0, "alpha": 1.0})
_sample_op("uniform", uniform, ("low", "high"))
_sample_op("normal", normal, ("mu", "sigma"))
_sample_op("gamma", gamma, ("alpha", "beta"))
_sample_op("exponential", exponential, ("lam",), rate=True)
_sample_op("poisson", poisson, ("lam",))
_sample_op("negative_binomial", negative_binomial, ("k", "p"))
_sample_op("generalized_negative_binomial", generalized_negative_binomial, ("mu", "alpha"))


@register_operator("_random_randint", inputs=(), aliases=("random_randint",))
def random_randint(*, low: int, high: int, shape: Any = None, ctx: Any = None,
                   dtype: Any = None) -> Array:
    """Integers drawn uniformly from [low, high), number parameters.

    >>> mx.nd.random_randint(low=0, high=10, shape=(2,))  # doctest: +SKIP
    """
    return randint(low, high, shape=shape, ctx=ctx, dtype=dtype)


@register_operator("_sample_multinomial", aliases=("sample_multinomial",),
                   kinds={"shape": "shape"})
def sample_multinomial(data: Array, shape: Any = (), get_prob: bool = False,
                       dtype: Any = "int32") -> Any:
    """Indices drawn from the categorical distributions in the last axis of `data` (see
    `mx.nd.random.multinomial`).

    >>> mx.nd.sample_multinomial(mx.nd.array([[0.5, 0.5]]), shape=3)  # doctest: +SKIP
    """
    return multinomial(data, shape=shape or None, get_prob=get_prob, dtype=dtype)


@register_operator("_sample_unique_zipfian", inputs=(), kinds={"shape": "shape"},
                   signature=lambda params: ([], [], ["output0", "output1"]))
def sample_unique_zipfian(range_max: int, shape: Any = ()) -> list[Array]:
    """`shape[1]` distinct classes in [0, range_max) for each of `shape[0]` rows, drawn
    without replacement from MXNet's approximately log-uniform (Zipfian) distribution
    P(c) = (log(c + 1.5) - log(c + 0.5)) / log(range_max), and the number of draws each
    row took: `[classes, trials]`, int64, shapes `shape` and `(shape[0],)`.

    >>> classes, trials = mx.nd._internal._sample_unique_zipfian(1000, shape=(2, 8))
    >>> classes.shape, trials.shape
    ((2, 8), (2,))
    """
    dims = _shape_tuple("_sample_unique_zipfian", shape)
    if len(dims) != 2:
        raise ShapeError(f"_sample_unique_zipfian: shape must be 2-D (batch_size, "
                         f"num_sampled), got {dims}")
    if isinstance(range_max, bool) or not isinstance(range_max, (int, np.integer)):
        raise ArgumentError(f"_sample_unique_zipfian: range_max must be an int, got "
                            f"{type(range_max).__name__}")
    if dims[1] > range_max:
        raise ParamError(f"_sample_unique_zipfian: the number of samples {dims[1]} cannot "
                         f"exceed the number of possible classes range_max={range_max}")
    both = bind("random_unique_zipfian", next_key(), range_max=int(range_max), shape=dims)
    rows, n = dims
    classes = bind("slice", both, start=(0, 0), stop=(rows, n), step=(1, 1))
    trials = bind("slice", both, start=(0, n), stop=(rows, n + 1), step=(1, 1))
    return [classes, reshape_exact(trials, shape=(rows,))]


@register_operator("_shuffle", aliases=("shuffle",))
def shuffle_op(data: Array) -> Array:
    """The rows of `data` (its first axis) in a random order.

    >>> mx.nd.shuffle(mx.nd.array([[0, 1], [2, 3]]))  # doctest: +SKIP
    """
    return shuffle(data)
