"""`mx.np`'s binary arithmetic: NumPy broadcasting and MXNet's NumPy promotion over the
same elementwise primitives `mx.nd` uses (one implementation per operator).

`binary('add', x, 1)` is what `x + 1` and `mx.np.add(x, 1)` run: operands meet in their
common dtype (`promotion.common_dtype`), Python numbers take the array's dtype, true
division of integers gives floats, and comparisons give bools. Errors name the NumPy
function and the shapes or dtypes, as NumPy's do.

    >>> binary('add', mx.np.ones((2, 1)), mx.np.arange(3)).shape  # doctest: +SKIP
    (2, 3)
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ShapeError
from ..core import Array, bind_elementwise, default_array_class, scalar_operand
from ..core.operators import PendingInput
from ..ops.operands import NON_NUMBERS, as_dtype
from .pending import resolved_operands
from .promotion import DEFAULT_FLOAT, common_dtype, scalar_dtype, true_divide_dtype

#: Primitive -> the NumPy function it is, for error messages.
NUMPY_NAMES = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide",
               "mod": "remainder", "pow": "power", "maximum": "maximum",
               "minimum": "minimum", "eq": "equal", "ne": "not_equal", "lt": "less",
               "le": "less_equal", "gt": "greater", "ge": "greater_equal",
               "logical_and": "logical_and", "logical_or": "logical_or",
               "logical_xor": "logical_xor"}
COMPARISONS = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})
LOGICAL = frozenset({"logical_and", "logical_or", "logical_xor"})
_NUMBERS = (int, float, bool, np.number, np.bool_)
#: Arithmetic of two bools is logic (NumPy's and MXNet's: True + True is True).
BOOL_OPS = {"add": "logical_or", "mul": "logical_and", "maximum": "logical_or",
            "minimum": "logical_and", **{c: c for c in COMPARISONS}, **{x: x for x in LOGICAL},
            "bitwise_and": "logical_and", "bitwise_or": "logical_or",
            "bitwise_xor": "logical_xor"}


def host_values(x: Any, function: str) -> np.ndarray:
    """Python or NumPy data as a NumPy array by `mx.np.array`'s rule: NumPy arrays keep
    their dtype, other data is float32 (the default float)."""
    data = x if isinstance(x, np.ndarray) else np.asarray(x)
    if data.dtype.kind not in "biuf":
        held = NON_NUMBERS.get(data.dtype.kind, data.dtype.name)
        raise ArgumentError(f"{function}: expected an array or a number, got "
                            f"{type(x).__name__} of {held}")
    if not isinstance(x, np.ndarray) and data.dtype != DEFAULT_FLOAT:
        data = data.astype(DEFAULT_FLOAT)
    return data


def as_array(x: Any, function: str, like: Any = None) -> Array:
    """`x` as an array operand of a `mx.np` function: arrays as they are, anything else
    (numbers, lists, NumPy arrays) made an array of `like`'s class (mx.np's without)."""
    if isinstance(x, Array):
        return x
    cls = like._result_class if like is not None else default_np_class()
    return cls._wrap(np.array(host_values(x, function)))  # type: ignore[no-any-return]


_np_class: list[type] = []


def set_np_class(cls: type) -> None:
    """Register `mx.np.ndarray` (defined above this module) as the class of arrays that
    `mx.np` functions make from Python data."""
    _np_class[:] = [cls]


def default_np_class() -> Any:
    return _np_class[0] if _np_class else default_array_class()


def _scalar(value: Any, like: Array, op: str) -> Array:
    """A Python number next to the array `like`: 0-d, in the dtype the pair meets in."""
    if type(value) is float and like._dtype.kind == "f":
        return scalar_operand(value, like)  # type: ignore[no-any-return]  # (the common case)
    dtype = scalar_dtype(like._dtype, value)
    if op == "div":
        dtype = true_divide_dtype(dtype)
    target = like if like._dtype == dtype else as_dtype(like, dtype)
    return scalar_operand(value, target)  # type: ignore[no-any-return]


def broadcast_shapes(function: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcast of `shapes`, or NumPy's error naming `function`.

    >>> broadcast_shapes('add', (2, 1), (3,))
    (2, 3)
    """
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listed = " ".join("(" + ",".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"
                          for s in shapes)
        raise ShapeError(f"{function}: operands could not be broadcast together with shapes "
                         f"{listed}") from None


def binary(op: str, lhs: Any, rhs: Any) -> Array:
    """`op` (a primitive: 'add', 'lt', 'logical_and', ...) between arrays and/or numbers,
    by `mx.np`'s rules (see the module docstring).

    >>> binary('div', mx.np.array([1, 2], dtype='int32'), 2)  # doctest: +SKIP
    array([0.5, 1. ])
    """
    function = NUMPY_NAMES.get(op, op)
    lhs_array, rhs_array = isinstance(lhs, Array), isinstance(rhs, Array)
    if lhs_array is not rhs_array and isinstance(lhs if rhs_array else rhs, PendingInput):
        lhs, rhs = resolved_operands(function, (lhs, rhs))
        lhs_array = rhs_array = True
    if lhs_array and rhs_array:
        a, b = lhs, rhs
        if a._weak and not b._weak:
            a = as_dtype(a, b._dtype)
        elif b._weak and not a._weak:
            b = as_dtype(b, a._dtype)
    elif lhs_array:
        a = lhs
        b = _scalar(rhs, lhs, op) if isinstance(rhs, _NUMBERS) else as_array(rhs, function, lhs)
    elif rhs_array:
        b = rhs
        a = _scalar(lhs, rhs, op) if isinstance(lhs, _NUMBERS) else as_array(lhs, function, rhs)
    else:
        raise ArgumentError(f"{function}: expected an array operand, got "
                            f"{type(lhs).__name__} and {type(rhs).__name__}")
    dtype = common_dtype(a._dtype, b._dtype)
    if op == "div":
        dtype = true_divide_dtype(dtype)
    elif op in LOGICAL:
        dtype = np.dtype(np.bool_)
    elif dtype.kind == "b":
        if op not in BOOL_OPS:
            raise DTypeError(f"{function}: not supported for bool operands; cast them first, "
                             f"e.g. x.astype('int32')")
        op = BOOL_OPS[op]
    if a._dtype != dtype:
        a = as_dtype(a, dtype)
    if b._dtype != dtype:
        b = as_dtype(b, dtype)
    shape = a.shape if a.shape == b.shape else broadcast_shapes(function, a.shape, b.shape)
    return bind_elementwise(op, [a, b], shape)  # type: ignore[no-any-return]
