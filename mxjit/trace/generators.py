"""Primitives that make values from nothing but attributes and a key: `iota` (indices along
an axis) and `random_bits` (Philox-4x32-10 of the element index under a 64-bit key)."""
from __future__ import annotations

import math

import numpy as np

from ..base import DTypeError, ShapeError
from .dtypes import canonical_dtype
from .graph import AbstractValue
from .primitives import define_primitive


def _iota_rule(*, shape: tuple[int, ...], axis: int, dtype: np.dtype) -> AbstractValue:
    if not 0 <= axis < len(shape):
        raise ShapeError(f"iota: axis {axis} out of range for shape {shape}")
    return AbstractValue(tuple(shape), canonical_dtype(dtype))


def _iota_impl(*, shape: tuple[int, ...], axis: int, dtype: np.dtype) -> np.ndarray:
    idx = np.arange(shape[axis]).reshape([-1 if d == axis else 1 for d in range(len(shape))])
    return np.broadcast_to(idx, shape).astype(dtype)


define_primitive("iota", "leaf", _iota_rule, _iota_impl, differentiable=False)


def _random_rule(key: AbstractValue, *, shape: tuple[int, ...]) -> AbstractValue:
    if key.shape != (2,) or key.dtype != np.uint32:
        raise DTypeError("random_bits: the key must be a uint32 array of shape (2,)")
    return AbstractValue(tuple(shape), np.dtype(np.uint32))


def philox_numpy(key: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Word 0 of Philox-4x32-10 for counters (counter_lo, counter_hi, 0, 0).

    >>> philox_numpy(np.array([0, 0], np.uint32), np.arange(2, dtype=np.uint64)).dtype
    dtype('uint32')
    """
    mask = np.uint64(0xFFFFFFFF)
    c: np.ndarray = counter.astype(np.uint64)
    c0, c1 = c & mask, c >> np.uint64(32)
    c2 = np.zeros_like(c0)
    c3 = np.zeros_like(c0)
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    for _ in range(10):
        p0 = np.uint64(0xD2511F53) * c0
        p1 = np.uint64(0xCD9E8D57) * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ k0, p1 & mask,
                          (p0 >> np.uint64(32)) ^ c3 ^ k1, p0 & mask)
        k0 = (k0 + np.uint64(0x9E3779B9)) & mask
        k1 = (k1 + np.uint64(0xBB67AE85)) & mask
    return c0.astype(np.uint32)


def _random_impl(key: np.ndarray, *, shape: tuple[int, ...]) -> np.ndarray:
    n = int(math.prod(shape))
    return philox_numpy(key, np.arange(n, dtype=np.uint64)).reshape(shape)


# (not folded: the bits of a large draw would become a large constant)
define_primitive("random_bits", "random", _random_rule, _random_impl, differentiable=False,
                 foldable=False)
