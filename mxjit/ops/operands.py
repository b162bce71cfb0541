"""What the operator implementations share: turning arguments into operands (scalars,
constants, index ranges, axes, ints, variadic lists) and the few compositions every module
uses (elementwise with broadcasting, select, cast, iota, exact reshapes).

Every helper works on arrays of any front end: results take the class of their operands,
and constants are literals of the trace when the array they stand next to is traced.
"""
from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, ShapeError
from ..core import (
    Array,
    bind,
    bind_elementwise,
    default_array_class,
    run_eager,
    scalar_operand,
    tape,
)
from ..trace import apply, canonical_dtype, const

_INT_TYPES = (int, np.integer)


# ---- arguments ---------------------------------------------------------------------------


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
    """`value` as a Python int, or an error naming the parameter (an array or a float
    passed where MXNet takes an int, such as a depth, a count or an axis).

    >>> int_param("one_hot", "depth", 3)
    3
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _INT_TYPES):
        raise ArgumentError(f"{op}: {name} must be an int, got {type(value).__name__}"
                            + _traced_scalar_hint((value,)) or
                            (" (use .asscalar() for an array's value)"
                             if isinstance(value, Array) else ""))
    return int(value)


def _traced_scalar_hint(values: Any) -> str:
    """What to do when a jitted function's Python int or float argument (traced, so its
    value is unknown) is used where a concrete int is needed."""
    if any(isinstance(v, Array) and v._weak and v._node is not None for v in values):
        return ("; it is a Python number passed to a jitted function, which is traced (a new "
                "value does not recompile): mark the argument static (static_argnums or "
                "static_argnames) to use it as a shape, an axis or a count")
    return ""


def ints(value: Any, what: str) -> tuple[int, ...]:
    """A shape-like argument (int, sequence of ints, None -> ()) as a tuple of ints.

    >>> ints(3, 'reps'), ints([1, 2], 'reps')
    ((3,), (1, 2))
    """
    if value is None:
        return ()
    if isinstance(value, _INT_TYPES) and not isinstance(value, bool):
        return (int(value),)
    try:
        items = tuple(value)
    except TypeError:
        raise ArgumentError(f"{what} must be an int or a sequence of ints, got {value!r}"
                            ) from None
    for v in items:
        if isinstance(v, bool) or not isinstance(v, _INT_TYPES):
            raise ArgumentError(f"{what} must hold ints, got {value!r}"
                                + _traced_scalar_hint(items))
    return tuple(int(v) for v in items)


def axis_index(axis: Any, ndim: int, op: str) -> int:
    """A possibly negative axis as an index in [0, ndim).

    >>> axis_index(-1, 3, 'softmax')
    2
    """
    if isinstance(axis, bool) or not isinstance(axis, _INT_TYPES):
        raise ArgumentError(f"{op}: axis must be an int, got {axis!r}")
    a = int(axis)
    if not -ndim <= a < ndim:
        raise ShapeError(f"{op}: axis {axis} is out of range for an array of {ndim} dims "
                         f"(valid: {-ndim}..{ndim - 1})")
    return a + ndim if a < 0 else a


def axis_indices(axes: Any, ndim: int, op: str) -> tuple[int, ...]:
    """Distinct axes (an int or a sequence) as indices in [0, ndim)."""
    got = tuple(axis_index(a, ndim, op) for a in ints(axes, f"{op}: axis"))
    if len(set(got)) != len(got):
        raise ShapeError(f"{op}: repeated axis in {axes}")
    return got


def check_shape(op: str, what: str, arr: Any, shape: tuple[int, ...]) -> None:
    """An error naming `op` and `what` unless `arr` has `shape`."""
    if arr.shape != shape:
        raise ShapeError(f"{op}: {what} must have shape {shape}, got {arr.shape}")


def any_traced(*arrays: Any) -> bool:
    """Whether any of the (optional) arrays is traced."""
    return any(a is not None and a._node is not None for a in arrays)


def broadcast_shape(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcast of `shapes` (written out: `np.broadcast_shapes` costs microseconds,
    a good part of a small eager op), or a ShapeError naming `op`.

    >>> broadcast_shape("add", (4, 1), (3,))
    (4, 3)
    """
    ndim = builtins.max(len(s) for s in shapes)
    out = []
    for k in range(ndim):
        d = 1
        for s in shapes:
            i = k - ndim + len(s)
            if i >= 0 and s[i] != 1:
                if d != 1 and d != s[i]:
                    raise ShapeError(f"{op}: operands with shapes {list(shapes)} cannot be "
                                     "broadcast together")
                d = s[i]
        out.append(d)
    return tuple(out)


# ---- operands ----------------------------------------------------------------------------


def constant(array: np.ndarray, like: Any) -> Any:
    """A NumPy constant as an operand next to `like` (a literal of the trace when traced).

    >>> constant(np.arange(3), mx.nd.ones(2)).shape  # doctest: +SKIP
    (3,)
    """
    if like._node is not None:
        return like._result_class._traced(const(array))
    return like._result_class._wrap(array, like._ctx)


#: What NumPy arrays of each non-numeric dtype kind hold, for error messages.
NON_NUMBERS = {"U": "strings", "S": "bytes", "O": "Python objects", "c": "complex numbers",
               "M": "datetimes", "m": "timedeltas", "V": "records"}


def operand(x: Any, like: Any = None) -> Any:
    """An array operand: arrays as they are, Python scalars in `like`'s dtype, anything
    else (lists, NumPy arrays) as an array of `like`'s class and dtype (float32 without
    `like`)."""
    if isinstance(x, Array):
        return x
    if isinstance(x, (int, float, bool, np.number, np.bool_)) and like is not None:
        return scalar_operand(x, like)
    data = np.asarray(x)
    if data.dtype.kind not in "biuf":
        held = NON_NUMBERS.get(data.dtype.kind, data.dtype.name)
        of = f" of {held}" if isinstance(x, (list, tuple, np.ndarray)) else ""
        raise ArgumentError(f"expected an array or a number, got {type(x).__name__}{of}")
    if like is None:
        return default_array_class()._wrap(np.array(data, dtype=np.float32))
    return like._result_class._wrap(np.array(data, dtype=like._dtype))


def full(value: Any, like: Any, shape: tuple[int, ...] | None = None) -> Any:
    """`value` in `like`'s dtype, broadcast to `shape` (default: like's shape)."""
    scalar = scalar_operand(value, like)
    target = like.shape if shape is None else tuple(shape)
    return scalar if target == () else bind("broadcast_to", scalar, shape=target)


def ew(op: str, *args: Any, like: Any = None, **attrs: Any) -> Any:
    """Elementwise `op` with NumPy broadcasting; Python scalars become 0-d operands in the
    dtype of `like` (default: the first array), so nothing is materialised to broadcast and
    eager calls run one shape-independent kernel."""
    if like is None:
        like = next(a for a in args if isinstance(a, Array))
    operands = [a if isinstance(a, Array) else scalar_operand(a, like) for a in args]
    shape = broadcast_shape(op, *(a.shape for a in operands))
    return bind_elementwise(op, operands, shape, **attrs)


def select(cond: Any, a: Any, b: Any) -> Any:
    """where(cond, a, b) for a bool `cond`; scalars take the other operand's dtype."""
    like = a if isinstance(a, Array) else b
    return ew("where", cond, a, b, like=like)


def as_dtype(x: Any, dtype: Any) -> Any:
    """`x` converted to `dtype` (`x` itself when it already has it)."""
    d = canonical_dtype(dtype)
    return x if x._dtype == d else bind_elementwise("cast", [x], x.shape, dtype=d)


def not_equal_zero(x: Any, like: Any = None) -> Any:
    """A bool array: x != 0 (MXNet's truth test for conditions and logical ops)."""
    a = operand(x, like)
    zero = scalar_operand(0, a)
    return bind("ne", a, zero if a.shape == () else bind("broadcast_to", zero, shape=a.shape))


def iota(shape: tuple[int, ...], axis: int, like: Any, dtype: Any = np.int64) -> Any:
    """Indices along `axis` broadcast over `shape`, of `like`'s class (traced when it is).

    >>> iota((2, 3), 1, mx.nd.ones(1)).asnumpy()  # doctest: +SKIP
    array([[0, 1, 2], [0, 1, 2]])
    """
    attrs = {"shape": tuple(shape), "axis": axis, "dtype": np.dtype(dtype)}
    if like._node is not None:
        return like._result_class._traced(apply("iota", **attrs))
    return like._result_class._wrap(run_eager("iota", [], attrs))


def reshape_exact(data: Any, shape: Sequence[int]) -> Any:
    """Reshape to exactly `shape` (no special codes: 0 is a zero-length axis).

    >>> reshape_exact(mx.nd.ones((2, 0)), (0, 5)).shape  # doctest: +SKIP
    (0, 5)
    """
    return bind("reshape", data, shape=tuple(int(d) for d in shape))


def along(v: Any, axis: int, ndim: int) -> Any:
    """A 1-D array reshaped to lie along `axis` of an ndim-dimensional array."""
    return reshape_exact(v, tuple(v.size if k == axis else 1 for k in range(ndim)))


def write_out(result: Any, out: Any) -> Any:
    """Store `result` into `out=` (when given) and return what the op returns: `out`.

    `out` must have the result's shape and dtype, as in MXNet; it is checked before any
    element is written, so a bad `out` is never partly overwritten.

    >>> write_out(mx.nd.ones(2), mx.nd.zeros(2))  # doctest: +SKIP
    """
    if out is None:
        return result
    if not isinstance(out, Array):
        raise ArgumentError(f"out= must be an array, got {type(out).__name__}")
    if out._data is None or result._data is None:
        raise ArgumentError("out= is not supported inside a trace; return the result instead")
    if out.shape != result.shape:
        raise ShapeError(f"out=: the result has shape {result.shape}, out has {out.shape}")
    if out._dtype != result._dtype:
        raise DTypeError(f"out=: the result has dtype {result._dtype.name}, out has "
                         f"{out._dtype.name}")
    tape.overwriting(out._data)
    out._store_values(result._data, add=False)  # (a sparse `out` keeps its storage type)
    if result._rec is not None:  # (recorded: `out` now holds the op's result for backward)
        out._rec = result._rec
    return out


def write_outs(results: list[Any], out: Any) -> Any:
    """`write_out` for an operator with several results: `out` is a list of as many arrays.

    >>> write_outs([mx.nd.ones(2)], [mx.nd.zeros(2)])  # doctest: +SKIP
    """
    if out is None:
        return results
    if not isinstance(out, (list, tuple)) or len(out) != len(results):
        raise ArgumentError(f"out=: this operator returns {len(results)} arrays; pass a list "
                            f"of {len(results)}")
    return [write_out(r, o) for r, o in zip(results, out)]


def materialize(x: Any) -> Any:
    """`x` itself, as a value the fuser keeps in memory (and whose cotangent it keeps too).

    Fusion inlines elementwise and movement work into every kernel that reads it, so in a
    loop unrolled over its steps (RNN, CTC) each step's kernel would recompute every earlier
    step, and shifted reads multiply that: compile time explodes with the step count.
    Contractions and their operands are always materialised, so `x` goes through a product
    with a one over a new unit axis (exact, one multiply per element, as is its vjp). Plain
    eager calls, where nothing fuses, return `x` as it is.

    >>> h = materialize(h)  # doctest: +SKIP
    """
    if x._node is None and not tape.is_recording():
        return x
    column = bind("reshape", x, shape=x.shape + (1,))
    return bind("dot_general", column, constant(np.ones(1, x._dtype), x),
                contract=((x.ndim,), (0,)), batch=((), ()))
