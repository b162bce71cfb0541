"""`mx.nd.random`: sampling from distributions, over the counter-based `random_bits` primitive.

Every draw takes one key from `mx.random.next_key()` (a program input under `mx.jit`, so a
jitted function gives new numbers on every call), so `mx.random.seed(s)` reproduces the
same samples eagerly and under `jit`. Uniform, normal, exponential, randint, multinomial are
elementwise compositions of primitives (they fuse into their consumers and differentiate
with respect to their parameters: pathwise gradients where MXNet gives zeros); gamma,
Poisson and the negative binomials use the library primitives of
`mxjit/kernels/random_sampling.py` (rejection sampling in NumPy, seeded from the same key).

Parameters follow MXNet: scalars give `shape` samples (shape (1,) when no shape is given);
NDArray parameters (all of the same shape) give `params.shape + shape`. Samples are float32
unless `dtype` says otherwise. Scalar parameters outside a distribution's domain raise;
NDArray parameters outside it give NaN.

Eagerly, the random bits come from one Philox kernel that serves every shape (`eager_bits`)
and the transforms run as the shape-independent eager elementwise kernels, so a new shape
compiles nothing; under `jit` the whole draw fuses into the consumers' kernels.

    >>> mx.random.seed(1); mx.nd.random.uniform(0, 1, shape=(2,)).shape  # doctest: +SKIP
    (2,)
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import DTypeError, RandomParameterError, ShapeError
from ..context import Context, check_context
from ..core import current_trace
from ..kernels import random_sampling  # noqa: F401  (registers the sampling primitives)
from ..trace.dtypes import canonical_dtype
from ..trace.graph import const
from . import ops
from .dispatch import bind
from .ndarray import NDArray

__all__ = [
    "uniform", "normal", "randn", "poisson", "exponential", "gamma", "multinomial",
    "negative_binomial", "generalized_negative_binomial", "shuffle", "randint",
    "uniform_like", "normal_like", "exponential_like", "gamma_like", "poisson_like",
    "negative_binomial_like", "generalized_negative_binomial_like",
]


def _reshape(x: NDArray, shape: tuple[int, ...]) -> NDArray:
    """The reshape primitive itself (sizes given exactly: 0 is a size, not MXNet's code)."""
    return bind("reshape", x, shape=tuple(int(d) for d in shape))


_FLOAT_TYPES = (np.dtype("float16"), np.dtype("float32"), np.dtype("float64"))
_Scalar = (int, float, np.integer, np.floating)


# ---- random numbers from keys ------------------------------------------------------------


def _key() -> NDArray:
    from ..core import next_key

    return next_key()


#: Eager bits come from one `random_bits` kernel compiled for a nominal flat length and run
#: over the elements needed: a new shape does not compile a new (costly) Philox kernel. The
#: values are those of `random_bits(key, shape)`: Philox of the flat element index.
_NOMINAL_LENGTH = 1 << 20
_bits_kernel: list[Any] = []


def eager_bits(key: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """`random_bits(key, shape)` computed now, by a kernel that serves every shape.

    >>> eager_bits(np.array([1, 2], np.uint32), (2, 3)).dtype  # doctest: +SKIP
    dtype('uint32')
    """
    from ..lower.emit import Layout
    from ..lower.program import PARALLEL_MIN_WORK, KernelStep, launch, lower_graph
    from ..trace import apply
    from ..trace.generators import philox_numpy
    from ..trace.graph import var

    n = int(np.prod(shape, dtype=np.int64))
    key = np.ascontiguousarray(key, np.uint32)
    if not _bits_kernel:
        k = var((2,), np.dtype(np.uint32))
        node = apply("random_bits", k, shape=(_NOMINAL_LENGTH,))
        program = lower_graph([node], [k], [Layout.contiguous((2,))])
        step = program.steps[0] if len(program.steps) == 1 else None
        flat = (isinstance(step, KernelStep) and step.extent == _NOMINAL_LENGTH
                and not program.constants)
        _bits_kernel.append(step.compiled.call if flat else None)  # type: ignore[union-attr]
    call = _bits_kernel[0]
    if call is None or n > _NOMINAL_LENGTH * 4096:
        return philox_numpy(key, np.arange(n, dtype=np.uint64)).reshape(shape)
    out = np.empty(n, np.uint32)
    if n:
        if n < PARALLEL_MIN_WORK:
            call(key, out, 0, n)
        else:
            launch(call, [key, out], n, n)
    return out.reshape(shape)


def _row(bits: NDArray, k: int) -> NDArray:
    """Row k of a (rows, *shape) array, as an array of `shape`."""
    n = bits.ndim
    start = (k,) + (0,) * (n - 1)
    stop = (k + 1,) + bits.shape[1:]
    row = bind("slice", bits, start=start, stop=stop, step=(1,) * n)
    return _reshape(row, shape=bits.shape[1:])


def unit_uniform(shape: tuple[int, ...], dtype: Any, count: int = 1) -> list[NDArray]:
    """`count` independent arrays of uniform [0, 1) samples for `dtype`, from one key.

    Each value keeps as many random bits as the dtype's significand holds (11, 24 or 53),
    so it is exact in `dtype` and never rounds up to 1; float16 values are computed in
    float32.

    >>> u, = unit_uniform((3,), np.float32)  # doctest: +SKIP
    """
    d = np.dtype(dtype)
    cd = _compute_dtype(d)
    words = 2 if d == np.float64 else 1
    key = _key()
    full = (count * words,) + tuple(shape)
    if key._node is None:
        bits = NDArray._wrap(eager_bits(key._buffer(), full))
    else:
        bits = bind("random_bits", key, shape=full)
    out = []
    for c in range(count):
        if words == 2:
            hi = _cast(ops.binary("div", _row(bits, 2 * c), 1 << 5), cd)
            lo = _cast(ops.binary("div", _row(bits, 2 * c + 1), 1 << 6), cd)
            out.append((hi * float(1 << 26) + lo) * 2.0**-53)
        else:
            m = 11 if d == np.float16 else 24
            top = _cast(ops.binary("div", _row(bits, c), 1 << (32 - m)), cd)
            out.append(top * 2.0**-m)
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
        raise TypeError(f"{fn}: shape must be an int or a tuple of ints, got {shape!r}") from None
    if any(d < 0 for d in dims):
        raise ShapeError(f"{fn}: negative dimension in shape {dims}")
    return dims


def _float_dtype(fn: str, dtype: Any, out: NDArray | None, default: Any = "float32"
                 ) -> np.dtype:
    if dtype is None:
        dtype = out._dtype if out is not None else default
    d = canonical_dtype(dtype)
    if d not in _FLOAT_TYPES:
        raise DTypeError(f"{fn}: dtype must be float16, float32 or float64, got {d}")
    return d


def _cast(x: NDArray, dtype: Any) -> NDArray:
    d = canonical_dtype(dtype)
    return x if x._dtype == d else ops.cast(x, d)


def _compute_dtype(d: np.dtype) -> np.dtype:
    return np.dtype(np.float64) if d == np.float64 else np.dtype(np.float32)


def _scalar_array(value: float, dtype: np.dtype) -> NDArray:
    """A 0-d array: a literal when tracing, so nothing is embedded twice."""
    scalar = np.asarray(value, dtype)
    return NDArray._traced(const(scalar)) if current_trace() is not None else \
        NDArray._wrap(scalar)


def _as_param(value: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """A parameter for a sampler of `shape`: a Python float, or an NDArray of `dtype` with
    size-1 axes for the sample axes (arithmetic broadcasts it)."""
    if not isinstance(value, NDArray):
        return float(value)
    v = _cast(value, dtype)
    return _reshape(v, shape=value.shape + (1,) * (len(shape) - value.ndim))


def _param_array(value: Any, dtype: np.dtype) -> NDArray:
    return value if isinstance(value, NDArray) else _scalar_array(value, dtype)


def _finish(fn: str, result: NDArray, ctx: Context | None, out: NDArray | None) -> NDArray:
    if ctx is not None and result._node is None:
        result._ctx = check_context(ctx)
    if out is None:
        return result
    if not isinstance(out, NDArray):
        raise TypeError(f"{fn}: out must be an NDArray, got {type(out).__name__}")
    if out.shape != result.shape:
        raise ShapeError(f"{fn}: out has shape {out.shape} but the samples have shape "
                         f"{result.shape}")
    return ops._write(_cast(result, out._dtype), out)


def _check_kwargs(fn: str, kwargs: dict[str, Any]) -> None:
    unknown = sorted(set(kwargs) - {"name"})
    if unknown:
        raise TypeError(f"{fn}: unexpected keyword argument(s) {unknown}")


Check = Callable[..., str | None]


def _draw(fn: str, params: dict[str, Any], shape: Any, dtype: Any, ctx: Any, out: Any,
          sampler: Callable[..., NDArray], check: Check | None, kwargs: dict[str, Any],
          dtype_rule: Callable[[str, Any, Any], np.dtype] | None = None) -> NDArray:
    """MXNet's `_random_helper`: scalar parameters or NDArray parameters, then sample."""
    _check_kwargs(fn, kwargs)
    values = list(params.values())
    d = (dtype_rule or _float_dtype)(fn, dtype, out)
    if isinstance(values[0], NDArray):
        for name, v in params.items():
            if not isinstance(v, NDArray):
                raise TypeError(f"{fn}: distribution parameters must all have the same type, "
                                f"got an NDArray and {name}={v!r}")
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
        bad = next(v for v in values if not isinstance(v, (NDArray, *_Scalar)))
        raise ValueError(f"{fn}: distribution parameters must be either NDArray or numbers, "
                         f"but got {type(bad).__name__}")
    if ctx is not None:
        ctx = check_context(ctx)
    cd = _compute_dtype(d) if d.kind == "f" else np.dtype(np.float64)

    args = [_as_param(v, out_shape, cd) for v in values]
    return _finish(fn, _cast(_full(sampler(out_shape, d, *args), out_shape), d), ctx, out)


def _full(x: Any, shape: tuple[int, ...]) -> NDArray:
    return x if x.shape == shape else ops.broadcast_to(x, shape)


# ---- samplers: (shape, output dtype, *params as floats or broadcastable arrays) -> samples


def _uniform(shape: tuple[int, ...], d: np.dtype, low: NDArray, high: NDArray) -> NDArray:
    (u,) = unit_uniform(shape, d)
    return low + (high - low) * u


def _standard_normal(shape: tuple[int, ...], d: np.dtype) -> NDArray:
    """Box-Muller: sqrt(-2 log(1 - u1)) cos(2 pi u2), with 1 - u1 in (0, 1]."""
    u1, u2 = unit_uniform(shape, _compute_dtype(d), 2)
    radius = ops.sqrt(ops.log(1.0 - u1) * -2.0)
    return radius * ops.cos(u2 * (2 * math.pi))


def _normal(shape: tuple[int, ...], d: np.dtype, loc: NDArray, scale: NDArray) -> NDArray:
    return loc + scale * _standard_normal(shape, d)


def _exponential(shape: tuple[int, ...], d: np.dtype, scale: NDArray) -> NDArray:
    (u,) = unit_uniform(shape, _compute_dtype(d))
    return -ops.log(1.0 - u) * scale


def _exponential_rate(shape: tuple[int, ...], d: np.dtype, lam: NDArray) -> NDArray:
    (u,) = unit_uniform(shape, _compute_dtype(d))
    return -ops.log(1.0 - u) / lam


def _standard_gamma(alpha: Any, shape: tuple[int, ...], d: np.dtype) -> NDArray:
    cd = _compute_dtype(d)
    return bind("random_gamma", _key(), _param_array(alpha, cd), shape=shape)


def _gamma(shape: tuple[int, ...], d: np.dtype, alpha: Any, beta: Any) -> NDArray:
    return _standard_gamma(alpha, shape, d) * beta


def _poisson(shape: tuple[int, ...], d: np.dtype, lam: Any) -> NDArray:
    cd = _compute_dtype(d)
    return bind("random_poisson", _key(), _param_array(lam, cd), shape=shape)


def _negative_binomial(shape: tuple[int, ...], d: np.dtype, k: Any, p: Any) -> NDArray:
    """Poisson(Gamma(k, scale (1 - p) / p)), as MXNet samples it."""
    return _poisson(shape, d, _standard_gamma(k, shape, d) * ((1.0 - p) / p))


def _generalized_negative_binomial(shape: tuple[int, ...], d: np.dtype, mu: Any, alpha: Any
                                   ) -> NDArray:
    """Poisson(Gamma(1 / alpha, scale alpha * mu)); Poisson(mu) where alpha == 0."""
    if not isinstance(alpha, NDArray):
        if alpha == 0:
            return _poisson(shape, d, mu)
        return _poisson(shape, d, _standard_gamma(1.0 / alpha, shape, d) * (alpha * mu))
    zero = alpha == 0.0
    safe = ops.where(zero, alpha + 1.0, alpha)
    gamma = _standard_gamma(1.0 / safe, shape, d) * (safe * mu)
    return _poisson(shape, d, ops.where(zero, mu, gamma))


# ---- the public samplers ------------------------------------------------------------------


def uniform(low: Any = 0, high: Any = 1, shape: Any = None, dtype: Any = None,
            ctx: Context | None = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
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
           ctx: Context | None = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from the normal distribution N(loc, scale**2).

    >>> mx.nd.random.normal(0, 1, shape=(2, 2)).shape  # doctest: +SKIP
    (2, 2)
    """
    return _draw("normal", {"loc": loc, "scale": scale}, shape, dtype, ctx, out, _normal,
                 lambda m, s: None if s > 0 else "scale parameter in gaussian has to be "
                 "positive", kwargs)


def randn(*shape: int, **kwargs: Any) -> NDArray:
    """Standard normal samples with the shape given positionally (`loc`, `scale`, `dtype`,
    `ctx`, `out` as keywords).

    >>> mx.nd.random.randn(2, 3, loc=5, scale=1).shape  # doctest: +SKIP
    (2, 3)
    """
    loc, scale = kwargs.pop("loc", 0), kwargs.pop("scale", 1)
    dtype, ctx, out = kwargs.pop("dtype", None), kwargs.pop("ctx", None), kwargs.pop("out", None)
    return normal(loc, scale, shape if shape else None, dtype, ctx, out, **kwargs)


def exponential(scale: Any = 1, shape: Any = None, dtype: Any = None,
                ctx: Context | None = None, out: NDArray | None = None, **kwargs: Any
                ) -> NDArray:
    """Samples from the exponential distribution with mean `scale` (rate 1 / scale).

    >>> mx.nd.random.exponential(2.0, shape=(3,)).shape  # doctest: +SKIP
    (3,)
    """
    return _draw("exponential", {"scale": scale}, shape, dtype, ctx, out, _exponential,
                 lambda s: None if s > 0 else "scale parameter in exponential distribution "
                 "has to be positive", kwargs)


def gamma(alpha: Any = 1, beta: Any = 1, shape: Any = None, dtype: Any = None,
          ctx: Context | None = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from the gamma distribution with shape `alpha` and scale `beta`.

    >>> mx.nd.random.gamma(2, 1, shape=(3,)).shape  # doctest: +SKIP
    (3,)
    """
    return _draw("gamma", {"alpha": alpha, "beta": beta}, shape, dtype, ctx, out, _gamma,
                 lambda a, b: None if a > 0 and b > 0 else "alpha and beta parameters in "
                 "gamma distribution have to be positive", kwargs)


def poisson(lam: Any = 1, shape: Any = None, dtype: Any = None, ctx: Context | None = None,
            out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Samples from the Poisson distribution with rate `lam`, as floats.

    >>> mx.nd.random.poisson(4, shape=(3,)).shape  # doctest: +SKIP
    (3,)
    """
    return _draw("poisson", {"lam": lam}, shape, dtype, ctx, out, _poisson,
                 lambda lam: None if 0 <= lam < math.inf else "lambda parameter in poisson "
                 "distribution has to be non-negative and finite", kwargs)


def negative_binomial(k: Any = 1, p: Any = 1, shape: Any = None, dtype: Any = None,
                      ctx: Context | None = None, out: NDArray | None = None, **kwargs: Any
                      ) -> NDArray:
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
                                  out: NDArray | None = None, **kwargs: Any) -> NDArray:
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
            ctx: Context | None = None, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Integers drawn uniformly from [low, high) (int32 unless `dtype='int64'`).

    >>> mx.nd.random.randint(-10, 10, shape=(2,)).dtype  # doctest: +SKIP
    <class 'numpy.int32'>
    """
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"randint: {name} must be an int, got {type(v).__name__}")

    def sample(shape: tuple[int, ...], d: np.dtype, lo: NDArray, hi: NDArray) -> NDArray:
        (u,) = unit_uniform(shape, np.float64)
        return ops.minimum(lo + ops.floor(u * (hi - lo)), hi - 1.0)

    return _draw("randint", {"low": low, "high": high}, shape, dtype, ctx, out, sample,
                 lambda lo, hi: None if hi > lo else "low must be less than high in randint",
                 kwargs, dtype_rule=_int_dtype)


def multinomial(data: NDArray, shape: Any = None, get_prob: bool = False,
                out: NDArray | None = None, dtype: Any = "int32", **kwargs: Any) -> Any:
    """Indices drawn from the categorical distributions in the last axis of `data`.

    The result has shape `data.shape[:-1] + shape` ((1,) for 1-D data and no shape). With
    `get_prob=True` the log-likelihoods of the draws come too, as `[samples, log_probs]`
    (they differentiate with respect to `data`, for REINFORCE-style estimators).

    >>> p = mx.nd.array([[0, 0.1, 0.9], [0.5, 0.5, 0]])
    >>> mx.nd.random.multinomial(p, shape=4).shape  # doctest: +SKIP
    (2, 4)
    """
    _check_kwargs("multinomial", kwargs)
    if not isinstance(data, NDArray):
        raise TypeError(f"multinomial: data must be an NDArray, got {type(data).__name__}")
    if data.ndim < 1 or data.shape[-1] == 0:
        raise ShapeError(f"multinomial: data needs a non-empty last axis of categories, got "
                         f"shape {data.shape}")
    if data._dtype.kind != "f":
        raise DTypeError(f"multinomial: data must hold probabilities (floats), got "
                         f"{data._dtype}")
    d = canonical_dtype(dtype)
    if d.kind not in "fiu":
        raise DTypeError(f"multinomial: dtype must be a number type, got {d}")
    sample = _shape_tuple("multinomial", shape)
    samples, index = _multinomial(data, sample, d)
    if out is not None:
        samples = _finish("multinomial", samples, None, out)
    return [samples, _log_likelihood(data, index, sample)] if get_prob else samples


def _multinomial(data: NDArray, sample: tuple[int, ...], d: np.dtype
                 ) -> tuple[NDArray, NDArray]:
    """Inverse-CDF sampling: the index is how many cumulative probabilities are <= u
    (MXNet's loop, which stops at the first cdf[j] > u, with k - 1 as the fallback).
    Returns the samples and the indices (as floats, shape batch + sample)."""
    k = data.shape[-1]
    batch = data.shape[:-1]
    cd = _compute_dtype(data._dtype)
    probs = _cast(data, cd)
    triangle = np.triu(np.ones((k, k), cd))  # cdf[j] = sum of p[:j + 1]
    tri = NDArray._traced(const(triangle)) if current_trace() is not None else \
        NDArray._wrap(triangle)
    cdf = bind("dot_general", probs, tri, contract=((probs.ndim - 1,), (0,)), batch=((), ()))
    (u,) = unit_uniform(batch + sample, cd)
    below = ops.binary("le", _reshape(cdf, shape=batch + (1,) * len(sample) + (k,)),
                       _reshape(u, shape=batch + sample + (1,)))
    index = _reshape(ops.minimum(ops.sum(below, axis=-1), float(k - 1)), shape=batch + sample)
    samples = _reshape(_cast(index, d), shape=batch + sample or (1,))
    return samples, index


def _log_likelihood(data: NDArray, index: NDArray, sample: tuple[int, ...]) -> NDArray:
    """log data[..., index] per draw (differentiable with respect to `data`)."""
    k = data.shape[-1]
    batch = data.shape[:-1]
    from .creation import _iota

    categories = _reshape(_iota((k,), 0, index, index._dtype),
                          shape=(1,) * (len(batch) + len(sample)) + (k,))
    hit = ops.binary("eq", _reshape(index, shape=index.shape + (1,)), categories)
    probs = _reshape(_cast(data, index._dtype), shape=batch + (1,) * len(sample) + (k,))
    chosen = ops.sum(hit * probs, axis=-1)
    logp = _cast(ops.log(chosen), data._dtype)
    return _reshape(logp, shape=batch + sample or (1,))


def shuffle(data: NDArray, out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """The rows of `data` (its first axis) in a random order; `data` is not modified.

    >>> mx.nd.random.shuffle(mx.nd.array([[0, 1], [2, 3], [4, 5]])).shape  # doctest: +SKIP
    (3, 2)
    """
    _check_kwargs("shuffle", kwargs)
    if not isinstance(data, NDArray):
        raise TypeError(f"shuffle: data must be an NDArray, got {type(data).__name__}")
    if data.ndim == 0:
        raise ShapeError("shuffle: data must have at least one axis")
    perm = bind("random_permutation", _key(), n=data.shape[0])
    result = bind("take", data, perm, axis=0, mode="clip") if data.shape[0] else data + 0
    return _finish("shuffle", result, None, out)


# ---- the *_like samplers: the shape and dtype of `data`, scalar parameters ----------------


def _like(fn: str, data: NDArray, params: dict[str, Any], sampler: Callable[..., NDArray],
          check: Check, out: NDArray | None, kwargs: dict[str, Any]) -> NDArray:
    if not isinstance(data, NDArray):
        raise TypeError(f"{fn}: data must be an NDArray, got {type(data).__name__}")
    for name, v in params.items():
        if not isinstance(v, _Scalar) or isinstance(v, bool):
            raise TypeError(f"{fn}: {name} must be a number, got {type(v).__name__}")
    return _draw(fn, params, data.shape, data._dtype, data._ctx, out, sampler, check, kwargs)


def uniform_like(data: NDArray, low: float = 0.0, high: float = 1.0,
                 out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Uniform [low, high) samples with the shape and dtype of `data`.

    >>> mx.nd.random.uniform_like(mx.nd.zeros((2, 3))).shape  # doctest: +SKIP
    (2, 3)
    """
    return _like("uniform_like", data, {"low": low, "high": high}, _uniform,
                 lambda lo, hi: None if hi >= lo else "low must be less or equal to high",
                 out, kwargs)


def normal_like(data: NDArray, loc: float = 0.0, scale: float = 1.0,
                out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Normal samples with the shape and dtype of `data`."""
    return _like("normal_like", data, {"loc": loc, "scale": scale}, _normal,
                 lambda m, s: None if s > 0 else "scale has to be positive", out, kwargs)


def exponential_like(data: NDArray, lam: float = 1.0, out: NDArray | None = None,
                     **kwargs: Any) -> NDArray:
    """Exponential samples with rate `lam`, with the shape and dtype of `data`."""
    return _like("exponential_like", data, {"lam": lam}, _exponential_rate,
                 lambda lam: None if lam > 0 else "lam has to be positive", out, kwargs)


def gamma_like(data: NDArray, alpha: float = 1.0, beta: float = 1.0,
               out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Gamma(alpha, scale beta) samples with the shape and dtype of `data`."""
    return _like("gamma_like", data, {"alpha": alpha, "beta": beta}, _gamma,
                 lambda a, b: None if a > 0 and b > 0 else "alpha and beta have to be positive",
                 out, kwargs)


def poisson_like(data: NDArray, lam: float = 1.0, out: NDArray | None = None,
                 **kwargs: Any) -> NDArray:
    """Poisson samples with the shape and dtype of `data`."""
    return _like("poisson_like", data, {"lam": lam}, _poisson,
                 lambda lam: None if 0 <= lam < math.inf else "lam has to be non-negative",
                 out, kwargs)


def negative_binomial_like(data: NDArray, k: float = 1, p: float = 1,
                           out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Negative binomial samples with the shape and dtype of `data`."""
    return _like("negative_binomial_like", data, {"k": k, "p": p}, _negative_binomial,
                 lambda k, p: None if k > 0 and 0 < p <= 1 else "k must be positive and p in "
                 "(0, 1]", out, kwargs)


def generalized_negative_binomial_like(data: NDArray, mu: float = 1.0, alpha: float = 1.0,
                                       out: NDArray | None = None, **kwargs: Any) -> NDArray:
    """Generalized negative binomial samples with the shape and dtype of `data`."""
    return _like("generalized_negative_binomial_like", data, {"mu": mu, "alpha": alpha},
                 _generalized_negative_binomial,
                 lambda mu, a: None if mu >= 0 and a >= 0 else "mu and alpha have to be "
                 "non-negative", out, kwargs)


# ---- MXNet's older top-level names (mx.nd.random_uniform, mx.nd.sample_normal, ...) -------


def _scalar_only(fn: str, target: Callable[..., NDArray], names: tuple[str, ...],
                 rate: bool = False) -> Callable[..., NDArray]:
    def f(*args: Any, shape: Any = None, ctx: Context | None = None, dtype: Any = None,
          out: NDArray | None = None, **kwargs: Any) -> NDArray:
        values = dict(zip(names, args))
        for n in names:
            if n in kwargs:
                values[n] = kwargs.pop(n)
        for n, v in values.items():
            if isinstance(v, NDArray):
                raise TypeError(f"{fn}: {n} must be a number; use sample_* or mx.nd.random.* "
                                "for NDArray parameters")
        if rate and "lam" in values:
            lam = values.pop("lam")
            if lam <= 0:
                raise RandomParameterError(f"{fn}: lambda parameter in exponential "
                                           f"distribution has to be positive, got lam={lam}")
            values["scale"] = 1.0 / lam
        return target(*values.values(), shape=shape, dtype=dtype, ctx=ctx, out=out, **kwargs)

    f.__name__ = f.__qualname__ = fn
    f.__doc__ = (f"MXNet's `{fn}`: like `mx.nd.random.{target.__name__}` with number "
                 f"parameters.\n\n    >>> mx.nd.{fn}(shape=(2,))  # doctest: +SKIP\n    ")
    return f


def _array_only(fn: str, target: Callable[..., NDArray], names: tuple[str, ...],
                rate: bool = False) -> Callable[..., NDArray]:
    def f(*args: Any, shape: Any = None, dtype: Any = None, out: NDArray | None = None,
          **kwargs: Any) -> NDArray:
        values = dict(zip(names, args))
        for n in names:
            if n in kwargs:
                values[n] = kwargs.pop(n)
        missing = [n for n in names if n not in values]
        if missing:
            raise TypeError(f"{fn}: missing parameter array(s) {missing}")
        for n, v in values.items():
            if not isinstance(v, NDArray):
                raise TypeError(f"{fn}: {n} must be an NDArray, got {type(v).__name__}")
        if rate:
            values = {"scale": 1.0 / values["lam"]}
        return target(*values.values(), shape=shape, dtype=dtype, out=out, **kwargs)

    f.__name__ = f.__qualname__ = fn
    f.__doc__ = (f"MXNet's `{fn}`: like `mx.nd.random.{target.__name__}` with NDArray "
                 f"parameters.\n\n    >>> mx.nd.{fn}(mx.nd.array([0.0]), mx.nd.array([1.0]))"
                 "  # doctest: +SKIP\n    ")
    return f


random_uniform = _scalar_only("random_uniform", uniform, ("low", "high"))
random_normal = _scalar_only("random_normal", normal, ("loc", "scale"))
random_gamma = _scalar_only("random_gamma", gamma, ("alpha", "beta"))
random_exponential = _scalar_only("random_exponential", exponential, ("lam",), rate=True)
random_poisson = _scalar_only("random_poisson", poisson, ("lam",))
random_negative_binomial = _scalar_only("random_negative_binomial", negative_binomial,
                                        ("k", "p"))
random_generalized_negative_binomial = _scalar_only(
    "random_generalized_negative_binomial", generalized_negative_binomial, ("mu", "alpha"))
random_randint = _scalar_only("random_randint", randint, ("low", "high"))
sample_uniform = _array_only("sample_uniform", uniform, ("low", "high"))
sample_normal = _array_only("sample_normal", normal, ("mu", "sigma"))
sample_gamma = _array_only("sample_gamma", gamma, ("alpha", "beta"))
sample_exponential = _array_only("sample_exponential", exponential, ("lam",), rate=True)
sample_poisson = _array_only("sample_poisson", poisson, ("lam",))
sample_negative_binomial = _array_only("sample_negative_binomial", negative_binomial,
                                       ("k", "p"))
sample_generalized_negative_binomial = _array_only(
    "sample_generalized_negative_binomial", generalized_negative_binomial, ("mu", "alpha"))
sample_multinomial = multinomial

LEGACY_NAMES = [
    "random_uniform", "random_normal", "random_gamma", "random_exponential", "random_poisson",
    "random_negative_binomial", "random_generalized_negative_binomial", "random_randint",
    "sample_uniform", "sample_normal", "sample_gamma", "sample_exponential", "sample_poisson",
    "sample_negative_binomial", "sample_generalized_negative_binomial", "sample_multinomial",
]
