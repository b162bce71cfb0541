"""Applying a primitive to NDArrays: a graph node when tracing, a cached kernel otherwise.

An eager op is a one-node graph lowered like any other; its program is cached by
(op, attrs, input shapes, dtypes and strides), so a warm op is a dictionary look-up and
a kernel call. Scalar operands are passed as 0-d buffers, so a new scalar value does not
compile a new kernel. Movement ops that NumPy can express as views run as views. While
`autograd.record()` is on, each eager op also adds its node to the recorded graph.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import autograd
from .. import context as _context
from ..base import DTypeError, ShapeError
from ..lower.emit import Layout
from ..lower.program import PARALLEL_MIN_WORK, KernelStep, Program, launch, lower_graph
from ..trace import PRIMITIVES, apply
from ..trace.graph import AbstractValue, Node, const, var
from .eager_broadcast import run_broadcast
from .eager_reduce import EAGER_REDUCTIONS, run_reduction
from .ndarray import NDArray


class _EagerOp:
    """A compiled one-node graph, with a fast path when it is a single kernel."""

    __slots__ = ("program", "alias", "call", "shape", "dtype", "extent", "work", "outer_split")

    def __init__(self, program: Program, alias: int | None):
        self.program, self.alias = program, alias
        steps = program.steps
        simple = (len(steps) == 1 and isinstance(steps[0], KernelStep)
                  and not program.constants and len(program.allocations) == 1
                  # the kernel must read the operands in their order (take reads its
                  # indices first) and read all of them
                  and steps[0].args == list(range(len(program.inputs) + 1)))
        self.call = steps[0].compiled.call if simple else None  # type: ignore[union-attr]
        if simple:
            step = steps[0]
            _, self.shape, self.dtype = program.allocations[0]
            self.extent, self.work = step.extent, step.work  # type: ignore[union-attr]
            self.outer_split = step.outer_split  # type: ignore[union-attr]

    def __call__(self, arrays: list[np.ndarray]) -> np.ndarray:
        if self.alias is not None:  # the op simplified to an operand: hand back a copy
            return arrays[self.alias].copy()
        if self.call is None or (_context.active_array_type is not None and _on_gpu(arrays)):
            return self.program.run(arrays)[0]
        out = np.empty(self.shape, self.dtype)
        if self.work < PARALLEL_MIN_WORK:
            self.call(*arrays, out, 0, self.extent)
        else:
            launch(self.call, [*arrays, out], self.extent, self.work, self.outer_split)
        return out


_eager_ops: dict[Any, _EagerOp] = {}
#: Ops whose eager result is a NumPy view of the operand (as MXNet's reshape is); not
#: broadcast_to, whose NumPy view repeats memory and cannot be written.
EAGER_VIEWS = frozenset(n for n, p in PRIMITIVES.items() if p.view) - {"broadcast_to"}


def bind(op: str, *args: NDArray, **attrs: Any) -> NDArray:
    """`op(*args, **attrs)`: traced if any operand is traced, else computed now.

    >>> bind('exp', mx.nd.zeros((2,)))  # doctest: +SKIP
    """
    for a in args:
        if a._node is not None:
            nodes = [a._node if a._node is not None else const(a._data) for a in args]
            return NDArray._traced(apply(op, *nodes, **attrs))
    result = NDArray._wrap(run_eager(op, [a._data for a in args], attrs))  # type: ignore[misc]
    if autograd.is_recording():
        autograd.record_op(result, op, args, attrs)
    return result


def _on_gpu(arrays: list[Any]) -> bool:
    """Whether any operand is in GPU memory (then kernels run through the CUDA runtime)."""
    return any(type(a) is _context.active_array_type for a in arrays)


def run_eager(op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> np.ndarray:
    if op in EAGER_VIEWS:
        PRIMITIVES[op].shape_rule(*(AbstractValue(a.shape, a.dtype) for a in arrays), **attrs)
        if _context.active_backend is not None and _on_gpu(arrays):
            return _context.active_backend.view(op, arrays[0], attrs)  # type: ignore
        return PRIMITIVES[op].numpy_impl(*arrays, **attrs)
    if op in EAGER_REDUCTIONS and type(arrays[0]) is np.ndarray:
        reduced = run_reduction(op, arrays[0], attrs)  # (one kernel for every shape)
        if reduced is not None:
            return reduced
    key = (op, tuple(sorted(attrs.items())) if attrs else (),
           *[(a.shape, a.strides, a.dtype) for a in arrays])
    eager = _eager_ops.get(key)
    if eager is None:
        eager = _eager_ops[key] = _build(op, arrays, attrs)
    return eager(arrays)


def _build(op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> _EagerOp:
    inputs = [var(a.shape, a.dtype) for a in arrays]
    out: Node = apply(op, *inputs, **attrs)
    alias = next((k for k, n in enumerate(inputs) if n is out), None)
    return _EagerOp(lower_graph([out], inputs, [Layout.of(a) for a in arrays]), alias)


#: Eager elementwise kernels are built for this nominal length and run for any length:
#: over contiguous operands their code does not depend on it, so shapes never recompile.
NOMINAL_LENGTH = 1 << 20
_flat_ops: dict[Any, Any] = {}


def bind_elementwise(op: str, args: list[NDArray], shape: tuple[int, ...],
                     cast_to: np.dtype | None = None, **attrs: Any) -> NDArray:
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
            return NDArray._traced(_elementwise_graph(op, shape, cast_to, attrs)(
                *(b._node if b._node is not None else const(b._data) for b in args)))
        arrays.append(x)
        if x.ndim == 0:
            key.append(x.dtype)
        elif x.shape == shape and x.flags.c_contiguous:
            key.append((x.dtype,))
        else:
            flat = False
    if flat and _context.active_array_type is not None and _on_gpu(arrays):
        flat = False  # (the flat kernels are CPU code; GPU operands take the program path)
    data = None
    if flat:
        data = _run_flat(tuple(key), op, shape, cast_to, attrs, arrays)
    elif not attrs and all(type(x) is np.ndarray for x in arrays):
        data = run_broadcast(op, arrays, shape, cast_to)
    if data is None:
        key.append(shape)
        key.extend((x.shape, x.strides, x.dtype) for x in arrays)
        eager = _eager_ops.get(tuple(key))
        if eager is None:
            inputs = [var(x.shape, x.dtype) for x in arrays]
            out = _elementwise_graph(op, shape, cast_to, attrs)(*inputs)
            program = lower_graph([out], inputs, [Layout.of(x) for x in arrays])
            eager = _eager_ops[tuple(key)] = _EagerOp(program, None)
        data = eager(arrays)
    result = NDArray._wrap(data)
    if autograd._recording_threads and autograd.is_recording():
        autograd.record_graph(result, _elementwise_graph(op, shape, cast_to, attrs), args,
                              ("elementwise", op, shape, cast_to, key[2]))
    return result


def same_shape_binary(op: str, lhs: NDArray, rhs: NDArray, comparison: bool
                      ) -> NDArray | None:
    """`op` over two contiguous CPU arrays of one shape and dtype whose flat kernel is
    already built, or None. This is `bind_elementwise`'s flat path without its general
    checks: small eager arithmetic (`a + b`) is dominated by Python overhead. A comparison
    gives 1/0 in the operands' dtype."""
    x, y = lhs._data, rhs._data
    if (type(x) is not np.ndarray or type(y) is not np.ndarray or x.shape != y.shape
            or x.dtype != y.dtype or autograd._recording_threads
            or not (x.flags.c_contiguous and y.flags.c_contiguous)):
        return None
    dtype = x.dtype
    flat = _flat_ops.get((op, dtype if comparison else None, (), (dtype,), (dtype,)))
    n = x.size
    if flat is None or not 0 < n < PARALLEL_MIN_WORK:
        return None
    call, out_dtype = flat
    out = np.empty(x.shape, out_dtype)
    call(x, y, out, 0, n)
    return NDArray._wrap(out)


def _elementwise_graph(op: str, shape: tuple[int, ...], cast_to: np.dtype | None,
                       attrs: dict[str, Any]) -> Any:
    """The function from operand nodes to the node of `op` over them, broadcast to `shape`."""
    def build(*nodes: Node) -> Node:
        out = apply(op, *(apply("broadcast_to", n, shape=shape) for n in nodes), **attrs)
        return out if cast_to is None else apply("cast", out, dtype=cast_to)

    return build


def _run_flat(key: tuple, op: str, shape: tuple[int, ...], cast_to: np.dtype | None,
              attrs: dict[str, Any], arrays: list[np.ndarray]) -> np.ndarray:
    flat = _flat_ops.get(key)
    if flat is None:
        inputs = [var(() if x.ndim == 0 else (NOMINAL_LENGTH,), x.dtype) for x in arrays]
        node = _elementwise_graph(op, (NOMINAL_LENGTH,), cast_to, attrs)(*inputs)
        if node in inputs:  # simplified to an operand (a cast to its own dtype): a copy
            x = arrays[inputs.index(node)]
            return np.array(np.broadcast_to(x, shape))
        program = lower_graph([node], inputs, [Layout.contiguous(n.shape) for n in inputs])
        step = program.steps[0] if len(program.steps) == 1 else None
        if not (isinstance(step, KernelStep) and step.compiled.kernel.dims == (NOMINAL_LENGTH,)
                and step.compiled.kernel.reduction is None and not program.constants):
            raise AssertionError(f"{op} did not lower to one flat elementwise kernel")
        flat = _flat_ops[key] = (step.compiled.call, node.dtype)
    call, dtype = flat
    out = np.empty(shape, dtype)
    n = out.size
    if n:
        if n < PARALLEL_MIN_WORK:
            call(*arrays, out, 0, n)
        else:
            launch(call, [*arrays, out], n, n)
    return out


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


def scalar_operand(value: Any, like: NDArray) -> NDArray:
    """A Python scalar as an operand of `like`'s dtype: a literal when tracing, else 0-d.

    As in MXNet the scalar takes the array's dtype (1.5 with an int32 array is 1); one
    that the dtype cannot hold is an error rather than a silently wrapped value.
    """
    dtype = like._dtype
    if dtype.kind in "iu" and not isinstance(value, (bool, np.bool_)):
        info = np.iinfo(dtype)
        if not (np.isfinite(value) and info.min <= int(value) <= info.max):
            raise DTypeError(f"scalar {value} is out of range for the {dtype.name} array it "
                             f"is combined with; cast the array to a wider dtype first")
    array = np.asarray(value, dtype=dtype)
    if like._node is not None:
        return NDArray._traced(const(array))
    return NDArray._wrap(array)


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
    autograd.overwriting(out._data)
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
