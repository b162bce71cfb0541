"""The dtypes mxjit computes in, and how names and Python values map onto them."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import DTypeError

#: dtypes a user array may hold (MXNet's set plus bool); uint32 is internal (random bits).
USER_DTYPES = tuple(np.dtype(n) for n in (
    "float32", "float64", "float16", "int8", "uint8", "int32", "int64", "bool"))
ALL_DTYPES = USER_DTYPES + (np.dtype("uint32"),)
DEFAULT_FLOAT = np.dtype("float32")


def canonical_dtype(dtype: Any) -> np.dtype:
    """The numpy dtype for a user's dtype argument (name, numpy type or dtype).

    >>> canonical_dtype('float32')
    dtype('float32')
    """
    if dtype is None:
        return DEFAULT_FLOAT
    try:
        d = np.dtype(dtype)
    except TypeError as e:
        raise DTypeError(f"unknown dtype {dtype!r}; valid: {[str(d) for d in USER_DTYPES]}") from e
    if d not in ALL_DTYPES:
        raise DTypeError(f"unsupported dtype {d}; valid: {[str(d) for d in USER_DTYPES]}")
    return d


def conversion_bits(dtype: np.dtype) -> int:
    """The width of the signed integer a float converts through on its way to integer
    `dtype`, as MXNet's C++ casts compile on x86 (cvttss2si/cvttsd2si): 64 bits for int64
    and uint32, 32 for narrower types. NaN and values outside that width's range become its
    minimum (-2**31 or -2**63), and the result wraps to `dtype`'s width, so float32 NaN cast
    to int32 is -2147483648 and 300.7 cast to int8 is 44, every run and on every backend.

    >>> conversion_bits(np.dtype("int8")), conversion_bits(np.dtype("int64"))
    (32, 64)
    """
    return 64 if dtype.itemsize == 8 or (dtype.kind == "u" and dtype.itemsize == 4) else 32


def is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def is_int(dtype: np.dtype) -> bool:
    return dtype.kind in "iu"


def is_bool(dtype: np.dtype) -> bool:
    return dtype.kind == "b"
