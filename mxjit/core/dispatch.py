"""Applying a primitive to arrays: a graph node when tracing, a cached kernel otherwise.

`bind` and `bind_elementwise` are how every operator reaches the primitives. An operand
that is traced makes the result traced (a node of the trace in progress); otherwise the op
runs now through the eager kernel cache (`eager.py`), and while `autograd.record()` is on
it is also recorded on the tape. Results take the class of their first array operand.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import context as _context
from ..base import DTypeError
from ..lower import PARALLEL_MIN_WORK
from ..trace import Node, apply, const
from . import tape
from .array import default_array_class, weak_class
from .eager import (
    FLAT_KERNELS,
    elementwise_graph,
    on_device,
    run_eager,
    run_flat,
    run_flat_on_device,
    run_general,
)
from .eager_broadcast import run_broadcast
from .trace_state import current_trace


def bind(op: str, *args: Any, **attrs: Any) -> Any:
    """`op(*args, **attrs)` over arrays: traced if any operand is traced, else computed now.

    >>> bind('exp', mx.nd.zeros((2,)))  # doctest: +SKIP
    """
    cls = args[0]._result_class if args else default_array_class()
    for a in args:
        if a._node is not None:
            nodes = [a._node if a._node is not None else lift(a) for a in args]
            return cls._traced(apply(op, *nodes, **attrs))
    result = cls._wrap(run_eager(op, [a._data for a in args], attrs))
    if args and result._ctx is None:  # (cpu(1) in, cpu(1) out, as in MXNet)
        result._ctx = _context.result_context(args[0]._ctx)
    if tape.recording_threads and tape.is_recording():
        tape.record_op(result, op, args, attrs)
    return result


def lift(a: Any) -> Node:
    """The node of an eager array read by traced code (see `TraceState.lift`)."""
    state = current_trace()
    return const(a._data) if state is None else state.lift(a)


def bind_elementwise(op: str, args: list[Any], shape: tuple[int, ...],
                     cast_to: np.dtype | None = None, **attrs: Any) -> Any:
    """`op` over operands broadcast to `shape` (each of that shape or 0-d, or broadcastable).

    Eagerly, contiguous operands of the full shape (and 0-d scalars) run one kernel that is
    compiled once per (op, dtypes, which operands are scalars), whatever the shape. With
    `cast_to`, the result is cast in the same kernel (MXNet's comparisons give 1/0 floats).
    This is the hot path of eager code, hence the plain loops.
    """
    arrays: list[np.ndarray] = []
    key: list[Any] = [op, cast_to, tuple(sorted(attrs.items())) if attrs else ()]
    flat = True
    for a in args:
        x = a._data
        if x is None:
            cls = args[0]._result_class
            if all(b._weak for b in args):  # (Python scalars in, a Python scalar out)
                cls = weak_class(cls)
            return cls._traced(elementwise_graph(op, shape, cast_to, attrs)(
                *(b._node if b._node is not None else lift(b) for b in args)))
        arrays.append(x)
        if x.ndim == 0:
            key.append(x.dtype)
        elif x.shape == shape and x.flags.c_contiguous:
            key.append((x.dtype,))
        else:
            flat = False
    data = None
    if flat and _context.active_array_type is not None and on_device(arrays):
        data = run_flat_on_device(tuple(key), op, shape, cast_to, attrs, arrays)
        flat = False
    if flat:  # (host memory: the flat kernels are CPU code)
        result = args[0]._result_class._wrap_host(
            run_flat(tuple(key), op, shape, cast_to, attrs, arrays))
    else:
        if data is None and not attrs and all(type(x) is np.ndarray for x in arrays):
            data = run_broadcast(op, arrays, shape, cast_to)
        if data is None:
            key.append(shape)
            key.extend((x.shape, x.strides, x.dtype) for x in arrays)
            data = run_general(tuple(key), op, shape, cast_to, attrs, arrays)
        result = args[0]._result_class._wrap(data)
    if result._ctx is None:  # (cpu(1) in, cpu(1) out, as in MXNet)
        result._ctx = _context.result_context(args[0]._ctx)
    if tape.recording_threads and tape.is_recording():
        tape.record_graph(result, elementwise_graph(op, shape, cast_to, attrs), args,
                          ("elementwise", op, shape, cast_to, key[2]))
    return result


def same_shape_binary(op: str, lhs: Any, rhs: Any, comparison: bool) -> Any:
    """`op` over two contiguous arrays of one shape and dtype, on the CPU or one device,
    whose flat kernel is already built, or None. This is `bind_elementwise`'s flat path
    without its general checks: small eager arithmetic (`a + b`) is dominated by Python
    overhead. A comparison gives 1/0 in the operands' dtype."""
    x, y = lhs._data, rhs._data
    kind = type(x)
    if (kind is not type(y) or tape.recording_threads
            or (kind is not np.ndarray and kind is not _context.active_array_type)
            or x.shape != y.shape or x.dtype != y.dtype
            or not (x.flags.c_contiguous and y.flags.c_contiguous)
            or (kind is not np.ndarray and x.device is not y.device)):
        return None
    dtype = x.dtype
    return _small_flat((op, dtype if comparison else None, (), (dtype,), (dtype,)), (x, y),
                       lhs)


def scalar_binary(op: str, arr: Any, value: int | float, reflected: bool, comparison: bool
                  ) -> Any:
    """`op` between a contiguous float array (on the CPU or a device) and a Python number
    (`x + 1`, `1 / x`, reflected when the number is the left operand) whose flat kernel is
    already built, or None: `bind_elementwise`'s flat path without the operand conversions,
    which cost twice the kernel on small arrays. The number takes the array's dtype, as
    `scalar_operand` gives it."""
    x = arr._data
    kind = type(x)
    if (tape.recording_threads
            or (kind is not np.ndarray and kind is not _context.active_array_type)
            or x.dtype.kind != "f" or not x.flags.c_contiguous):
        return None
    dtype = x.dtype
    cast_to = dtype if comparison else None
    number = np.asarray(value, dtype=dtype)
    if reflected:
        return _small_flat((op, cast_to, (), dtype, (dtype,)), (number, x), arr)
    return _small_flat((op, cast_to, (), (dtype,), dtype), (x, number), arr)


def _small_flat(key: tuple, operands: tuple[Any, ...], like: Any) -> Any:
    """The flat kernel `key` (already built) over `operands`, of `like`'s shape, as a
    result of `like`'s class on its device; None when it is not built, or on the CPU
    when the work is not small (one thread's)."""
    flat = FLAT_KERNELS.get(key)
    if flat is None or flat.call is None:
        return None
    data: Any = like._data
    kind = type(data)
    if kind is not np.ndarray:
        if kind is not _context.active_array_type:
            return None
        return like._result_class._wrap(_context.active_backend.run_flat(  # type: ignore
            key, flat.kernel, flat.dtype, data.shape, list(operands)))
    n = data.size
    if not 0 < n < PARALLEL_MIN_WORK:
        return None
    out = np.empty(data.shape, flat.dtype)
    flat.call(*operands, out, 0, n)
    result = like._result_class._wrap_host(out)
    result._ctx = _context.result_context(like._ctx)
    return result


def scalar_operand(value: Any, like: Any) -> Any:
    """A Python scalar as an operand of `like`'s dtype: a literal when tracing, else 0-d.

    As in MXNet the scalar takes the array's dtype (1.5 with an int32 array is 1); one
    that the dtype cannot hold is an error rather than a silently wrapped value.

    >>> scalar_operand(2, mx.nd.ones((3,))).shape  # doctest: +SKIP
    ()
    """
    dtype = like._dtype
    if dtype.kind in "iu" and not isinstance(value, (bool, np.bool_)):
        info = np.iinfo(dtype)
        if not (np.isfinite(value) and info.min <= int(value) <= info.max):
            raise DTypeError(f"scalar {value} is out of range for the {dtype.name} array it "
                             f"is combined with; cast the array to a wider dtype first")
    array = np.asarray(value, dtype=dtype)
    if like._node is not None:
        return weak_class(like._result_class)._traced(const(array))
    return like._result_class._wrap(array)
