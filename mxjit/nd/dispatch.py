"""What `mx.nd` operators share when they take their arguments: variadic array lists,
int parameters, `out=` and MXNet's copy semantics for movement results."""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import DTypeError, ShapeError
from ..core import bind, bind_elementwise, same_shape_binary, scalar_operand, tape  # noqa: F401
from ..core.eager import run_eager  # noqa: F401
from .ndarray import NDArray


def variadic_arrays(op: str, data: Sequence[Any], num_args: int | None = None,
                    error: type[Exception] = ShapeError, what: str = "array"
                    ) -> tuple[Any, ...]:
    """The array operands of a variadic op (concat, stack, add_n, ...), given as arguments
    or as one list: at least one, and `num_args` of them when it is given (MXNet's check).

    >>> len(variadic_arrays("concat", ([mx.nd.ones(2), mx.nd.ones(2)],)))  # doctest: +SKIP
    2
    """
    if len(data) == 1 and isinstance(data[0], (list, tuple)):
        data = tuple(data[0])
    if not data:
        raise error(f"{op}: needs at least one {what}")
    if num_args is not None and num_args != len(data):
        raise error(f"{op}: num_args={num_args} but {len(data)} arrays given")
    return tuple(data)


def int_param(op: str, name: str, value: Any) -> int:
    """`value` as a Python int, or a TypeError naming the parameter (an NDArray or a float
    passed where MXNet takes an int, such as a depth, a count or an axis).

    >>> int_param("one_hot", "depth", 3)
    3
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__}"
                        + (" (use .asscalar() for an NDArray's value)"
                           if isinstance(value, NDArray) else ""))
    return int(value)


def write_out(result: NDArray, out: NDArray | None) -> NDArray:
    """Store `result` into `out=` (when given) and return what the op returns.

    `out` must have the result's shape and dtype, as in MXNet; it is checked before any
    element is written, so a bad `out` is never partly overwritten.
    """
    if out is None:
        return result
    if out._data is None or result._data is None:
        raise TypeError("out= is not supported inside a trace; return the result instead")
    if out.shape != result.shape:
        raise ShapeError(f"out=: the result has shape {result.shape}, out has {out.shape}")
    if out._dtype != result._dtype:
        raise DTypeError(f"out=: the result has dtype {result._dtype.name}, out has "
                         f"{out._dtype.name}")
    tape.overwriting(out._data)
    out._data[...] = result._data
    if result._rec is not None:  # (recorded: `out` now holds the op's result for backward)
        out._rec = result._rec
    return out


def with_out(op: Callable[..., NDArray]) -> Callable[..., NDArray]:
    """Give an operator MXNet's `out=` keyword (see `write_out`)."""
    @functools.wraps(op)
    def op_with_out(*args: Any, out: NDArray | None = None, **kwargs: Any) -> NDArray:
        return write_out(op(*args, **kwargs), out)

    return op_with_out


def fresh_result(op: Callable[..., Any]) -> Callable[..., Any]:
    """Give a movement operator MXNet's copy semantics.

    Eagerly, reshapes, transposes, slices and no-op movements are NumPy views or the operand
    itself; MXNet's operators return new arrays, so a later in-place write to the operand
    (`x += 1`, `x[:] = 0`) must not show through. Results sharing memory with an operand are
    copied (`NDArray.reshape` and basic indexing are MXNet's views and do not come here).
    """
    @functools.wraps(op)
    def op_with_fresh_result(*args: Any, **kwargs: Any) -> Any:
        result = op(*args, **kwargs)
        operands = [a for a in (*args, *(v for k, v in kwargs.items() if k != "out"))
                    if isinstance(a, NDArray) and a._data is not None]
        if isinstance(result, NDArray):
            return _unshared(result, operands)
        if isinstance(result, list):
            return [_unshared(r, operands) for r in result]
        return result

    return op_with_fresh_result


def _unshared(result: NDArray, operands: list[NDArray]) -> NDArray:
    if any(result is a for a in operands):
        return bind("cast", result, dtype=result._dtype)  # a recorded identity: a copy
    data = result._data
    if (type(data) is np.ndarray and data.base is not None
            and any(np.may_share_memory(data, a._data) for a in operands)):
        result._data = data.copy()
    return result
