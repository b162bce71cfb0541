"""Where `mx.np` differs from NumPy, in one place: MXNet 1.9.1's `mx.np` makes these
choices and mxjit keeps them (measured on MXNet 1.9.1); the differential tests read their
expectations from here, never from mxjit's own rules.

    >>> expected_binary_dtype('add', np.dtype('int32'), np.dtype('float32'))
    dtype('float32')
"""
from __future__ import annotations

import numpy as np

#: The default float: Python data, creation functions and samplers give float32 (NumPy:
#: float64).
DEFAULT_FLOAT = np.dtype(np.float32)

#: An integer or bool meeting a float takes the float's dtype (NumPy: int32 + float32 is
#: float64); int8 with uint8 is int32 (NumPy: int16).
SPECIAL_PAIRS = {frozenset({np.dtype(np.int8), np.dtype(np.uint8)}): np.dtype(np.int32)}

#: Float functions of integer arrays keep the integer dtype (sqrt(int32 [1, 4]) is int32
#: [1, 2]; NumPy gives float64).
FLOAT_MATH_KEEPS_INTEGERS = True

#: `rint` rounds halves toward -inf (MXNet's kernel: rint(0.5) is 0, rint(1.5) is 1);
#: `round`/`around` round halves to even, as NumPy does.
RINT_HALVES_DOWN = True

#: A Python number takes the array's dtype (int32 array + 1.5 is int32 [2, 3]; NumPy
#: promotes to float64), except that a bool array meets an int as int64 and a float as
#: float32.
SCALARS_TAKE_ARRAY_DTYPE = True

#: `sum`/`prod`/`cumsum` keep an integer array's dtype (int8 sums in int8; NumPy: int64);
#: bools sum in int64. `mean`, `std`, `var`, `average` of integers are float32 (NumPy:
#: float64; MXNet 1.9.1's std/var of int32 are int32, mxjit gives float32).
REDUCTION_KEEPS_DTYPE = True

#: float16 `cumsum` accumulates in float32 and rounds each partial sum once (NumPy and
#: MXNet 1.9.1 round the running sum to float16 at every step, so theirs drifts by a few
#: float16 ulps along long axes; mxjit's is the float32 result rounded).
FLOAT16_CUMSUM_IN_FLOAT32 = True

#: `argmax`, `argsort`, `nonzero` give int64 indices (as NumPy).

#: `unique(..., return_inverse=True)` without `axis` gives a 1-D inverse, as MXNet 1.9.1
#: and NumPy 1.x do (NumPy 2 gives it the input's shape).
UNIQUE_INVERSE_IS_1D = True


def expected_binary_dtype(op: str, a: np.dtype, b: np.dtype) -> np.dtype:
    """The dtype of `op` between arrays of dtypes `a` and `b` in MXNet 1.9.1's mx.np."""
    if op in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
              "logical_and", "logical_or", "logical_xor"):
        return np.dtype(np.bool_)
    if a == b:
        common = a
    elif (a.kind == "f") != (b.kind == "f"):
        common = a if a.kind == "f" else b
    else:
        common = SPECIAL_PAIRS.get(frozenset({a, b}), np.result_type(a, b))
    if op in ("true_divide", "divide") and common.kind != "f":
        return DEFAULT_FLOAT
    return common


def expected_unary_dtype(a: np.dtype) -> np.dtype:
    """The dtype of a float function (exp, sqrt, ...) of an array of dtype `a`."""
    return a
