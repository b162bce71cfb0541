"""`mx.np`'s dtype rules: which dtype two operands meet in, and what a function's result is.

MXNet 1.9.1's `mx.np` follows NumPy's promotion with a few rules of its own, all in the
table and functions below (measured on MXNet 1.9.1; `tests/numpy/deviations.py` lists
them against NumPy): an integer or bool meeting a float takes the float's dtype
(`int32 + float32` is float32, NumPy's float64), `int8 + uint8` is int32, true division
of integers is float32 (the default float), and a Python number takes the array's dtype.

    >>> common_dtype(np.dtype('int32'), np.dtype('float16'))
    dtype('float16')
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import DTypeError
from ..trace import USER_DTYPES

#: The default float of `mx.np` (NumPy's is float64).
DEFAULT_FLOAT = np.dtype(np.float32)
#: The dtype of indices (argmax, argsort, nonzero, ...), as in NumPy.
INDEX_DTYPE = np.dtype(np.int64)

#: Pairs whose common dtype differs from NumPy's (other than int or bool with a float).
SPECIAL_PAIRS = {frozenset({np.dtype(np.int8), np.dtype(np.uint8)}): np.dtype(np.int32)}


def common_dtype(a: np.dtype, b: np.dtype) -> np.dtype:
    """The dtype in which operands of dtypes `a` and `b` meet.

    >>> common_dtype(np.dtype('int8'), np.dtype('uint8'))
    dtype('int32')
    """
    if a == b:
        return a
    if a.kind == "f" and b.kind != "f":
        return a
    if b.kind == "f" and a.kind != "f":
        return b
    special = SPECIAL_PAIRS.get(frozenset({a, b}))
    return special if special is not None else np.result_type(a, b)


def scalar_dtype(array: np.dtype, value: Any) -> np.dtype:
    """The dtype a Python number meets an array of dtype `array` in: the array's, except
    that a bool array meets an int as int64 and a float as the default float.

    >>> scalar_dtype(np.dtype('int32'), 1.5), scalar_dtype(np.dtype('bool'), 2)
    (dtype('int32'), dtype('int64'))
    """
    if array.kind != "b" or isinstance(value, (bool, np.bool_)):
        return array
    return DEFAULT_FLOAT if isinstance(value, (float, np.floating)) else INDEX_DTYPE


def true_divide_dtype(dtype: np.dtype) -> np.dtype:
    """True division's result: integers and bools divide in the default float.

    >>> true_divide_dtype(np.dtype('int64'))
    dtype('float32')
    """
    return dtype if dtype.kind == "f" else DEFAULT_FLOAT


def mean_dtype(dtype: np.dtype) -> np.dtype:
    """`mean`, `std`, `var` and `average` of integers and bools are float32.

    >>> mean_dtype(np.dtype('int8'))
    dtype('float32')
    """
    return dtype if dtype.kind == "f" else DEFAULT_FLOAT


def sum_dtype(dtype: np.dtype) -> np.dtype:
    """`sum`, `prod` and `cumsum` of bools count in int64; other dtypes keep theirs.

    >>> sum_dtype(np.dtype('bool')), sum_dtype(np.dtype('int8'))
    (dtype('int64'), dtype('int8'))
    """
    return INDEX_DTYPE if dtype.kind == "b" else dtype


def user_dtype(dtype: Any, function: str) -> np.dtype:
    """A dtype argument as a NumPy dtype `mx.np` supports, or an error naming `function`.

    >>> user_dtype('float16', 'zeros')
    dtype('float16')
    """
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"{function}: {dtype!r} is not a dtype") from None
    if d not in USER_DTYPES:
        raise DTypeError(f"{function}: dtype {d} is not supported; the supported dtypes are "
                         f"{[str(t) for t in USER_DTYPES]}")
    return d
