"""Library primitives for the distributions that need rejection loops (gamma, Poisson, the
distinct classes of `_sample_unique_zipfian`) and for random permutations, computed with
NumPy from the key they are given.

Each takes the uint32 (2,) key of one draw (from `mx.random.next_key()`, a program input
under `jit`) and derives every number from it through NumPy's Philox generator, so a seed
reproduces the same samples eagerly, inside `jit` and on any device. Parameters outside a
distribution's domain give NaN (the parameters may be traced, so no value check is possible
at trace time). Gradients through these primitives are zero.

    >>> key = np.array([1, 2], np.uint32)
    >>> random_gamma_numpy(key, np.full(3, 2.0, np.float32), shape=(3,)).shape
    (3,)
"""
from __future__ import annotations

import numpy as np

from ..base import DTypeError, ShapeError
from ..trace import define_primitive
from ..trace.graph import AbstractValue


def _generator(key: np.ndarray) -> np.random.Generator:
    """NumPy's Philox-4x32-10 keyed with the draw's 64-bit key."""
    k = np.asarray(key, np.uint32).reshape(-1)
    return np.random.Generator(np.random.Philox(key=int(k[0]) | (int(k[1]) << 32)))


def random_gamma_numpy(key: np.ndarray, alpha: np.ndarray, *, shape: tuple[int, ...]
                       ) -> np.ndarray:
    """Gamma(alpha, scale 1) samples of `shape` (alpha broadcast to it; NaN where alpha <= 0)."""
    a = np.broadcast_to(np.asarray(alpha, np.float64), shape)
    valid = a > 0
    out = _generator(key).standard_gamma(np.where(valid, a, 1.0))
    return np.where(valid, out, np.nan).astype(alpha.dtype).reshape(shape)


def random_poisson_numpy(key: np.ndarray, lam: np.ndarray, *, shape: tuple[int, ...]
                         ) -> np.ndarray:
    """Poisson(lam) samples of `shape` as floats (NaN where lam < 0 or is not finite)."""
    rate = np.broadcast_to(np.asarray(lam, np.float64), shape)
    valid = (rate >= 0) & np.isfinite(rate)
    out = _generator(key).poisson(np.where(valid, rate, 0.0)).astype(np.float64)
    return np.where(valid, out, np.nan).astype(lam.dtype).reshape(shape)


def random_permutation_numpy(key: np.ndarray, *, n: int) -> np.ndarray:
    """A uniformly random permutation of range(n) as int64."""
    return _generator(key).permutation(n).astype(np.int64)


def random_unique_zipfian_numpy(key: np.ndarray, *, range_max: int, shape: tuple[int, int]
                                ) -> np.ndarray:
    """For each of `shape[0]` rows, the first `shape[1]` distinct values of the stream
    round(exp(u * log(range_max))) - 1 (u uniform in [0, 1), MXNet's approximately
    log-uniform classes in [0, range_max)), and how many draws that took: an int64 array
    (rows, shape[1] + 1) whose last column is the count."""
    rows, wanted = shape
    out = np.zeros((rows, wanted + 1), np.int64)
    if wanted == 0:
        return out
    gen, log_range = _generator(key), np.log(range_max)
    for r in range(rows):
        stream = np.zeros(0, np.int64)
        while True:  # (more draws until `wanted` distinct values have appeared)
            more = max(2 * wanted, stream.size)
            # (floor(x + 0.5): C's lround for these positive values)
            draws = np.floor(np.exp(gen.random(more) * log_range) + 0.5).astype(np.int64) - 1
            stream = np.concatenate([stream, draws])
            firsts = np.sort(np.unique(stream, return_index=True)[1])
            if firsts.size >= wanted:
                break
        out[r, :wanted] = stream[firsts[:wanted]]
        out[r, wanted] = firsts[wanted - 1] + 1
    return out


def _check_key(name: str, key: AbstractValue) -> None:
    if key.shape != (2,) or key.dtype != np.uint32:
        raise DTypeError(f"{name}: the key must be a uint32 array of shape (2,)")


def _sampler_rule(name: str):  # type: ignore[no-untyped-def]
    def rule(key: AbstractValue, param: AbstractValue, *, shape: tuple[int, ...]
             ) -> AbstractValue:
        _check_key(name, key)
        if param.dtype.kind != "f":
            raise DTypeError(f"{name}: the parameter must be floating-point, got {param.dtype}")
        try:
            np.broadcast_shapes(param.shape, tuple(shape))
        except ValueError:
            raise ShapeError(f"{name}: parameter shape {param.shape} does not broadcast to "
                             f"{tuple(shape)}") from None
        if np.broadcast_shapes(param.shape, tuple(shape)) != tuple(shape):
            raise ShapeError(f"{name}: parameter shape {param.shape} is larger than the "
                             f"samples' {tuple(shape)}")
        return AbstractValue(tuple(shape), param.dtype)

    return rule


def _permutation_rule(key: AbstractValue, *, n: int) -> AbstractValue:
    _check_key("random_permutation", key)
    if n < 0:
        raise ShapeError(f"random_permutation: n must be >= 0, got {n}")
    return AbstractValue((int(n),), np.dtype(np.int64))


def _unique_zipfian_rule(key: AbstractValue, *, range_max: int, shape: tuple[int, int]
                         ) -> AbstractValue:
    _check_key("random_unique_zipfian", key)
    if len(shape) != 2 or min(shape) < 0 or not 0 <= shape[1] <= range_max:
        raise ShapeError(f"random_unique_zipfian: shape must be (rows, count) with count at "
                         f"most range_max={range_max}, got {tuple(shape)}")
    return AbstractValue((int(shape[0]), int(shape[1]) + 1), np.dtype(np.int64))


# samples carry no gradient (MXNet gives zeros for these distributions' parameters)
define_primitive("random_gamma", "opaque", _sampler_rule("random_gamma"), random_gamma_numpy,
                 differentiable=False)
define_primitive("random_poisson", "opaque", _sampler_rule("random_poisson"),
                 random_poisson_numpy, differentiable=False)
define_primitive("random_permutation", "opaque", _permutation_rule, random_permutation_numpy,
                 differentiable=False)
define_primitive("random_unique_zipfian", "opaque", _unique_zipfian_rule,
                 random_unique_zipfian_numpy, differentiable=False)

__all__ = ["random_gamma_numpy", "random_permutation_numpy", "random_poisson_numpy",
           "random_unique_zipfian_numpy"]
