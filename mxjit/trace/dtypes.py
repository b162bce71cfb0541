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


def is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def is_int(dtype: np.dtype) -> bool:
    return dtype.kind in "iu"


def is_bool(dtype: np.dtype) -> bool:
    return dtype.kind == "b"
