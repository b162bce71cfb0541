"""The eager kernel cache: one-node programs and shape-independent kernels for eager ops.

An eager op is a one-node graph lowered like any other; its program is cached by
(op, attrs, operand shapes, strides and dtypes), so a warm op is a dictionary look-up and
a kernel call. The hot ops do better: elementwise ops over contiguous operands run one flat
kernel per (op, dtypes, which operands are scalars) whatever the shape (`run_flat`),
broadcast and strided ones one kernel per loop pattern (`eager_broadcast.py`), reductions
likewise (`eager_reduce.py`). Movement ops that NumPy can express as views run as views.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .. import context as _context
from ..lower import (
    KERNELS,
    PARALLEL_MIN_WORK,
    Kernel,
    KernelStep,
    Layout,
    Program,
    empty,
    launch,
    lower_graph,
    pooled_size,
)
from ..trace import PRIMITIVES, AbstractValue, Node, apply, var
from .eager_reduce import EAGER_REDUCTIONS, run_reduction


class EagerOp:
    """A compiled one-node graph, with a fast path when it is a single kernel."""

    __slots__ = ("program", "alias", "call", "shape", "dtype", "extent", "work", "outer_split",
                 "used", "pooled")

    def __init__(self, program: Program, alias: int | None):
        self.program, self.alias = program, alias
        self.used = 0  # when it last ran, for the LRU of `EAGER_OPS`
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
            self.pooled = pooled_size(self.shape, self.dtype)

    def __call__(self, arrays: list[np.ndarray]) -> np.ndarray:
        if self.alias is not None:  # the op simplified to an operand: hand back a copy
            return arrays[self.alias].copy()
        if self.call is None or (_context.active_array_type is not None and on_device(arrays)):
            return self.program.run(arrays)[0]
        out = empty(self.shape, self.dtype) if self.pooled else np.empty(self.shape, self.dtype)
        if self.work < PARALLEL_MIN_WORK:
            self.call(*arrays, out, 0, self.extent)
        else:
            launch(self.call, [*arrays, out], self.extent, self.work, self.outer_split)
        return out


#: Eager programs by (op, attrs, operand shapes, strides, dtypes): as many as the kernel
#: cache keeps (`MXJIT_KERNEL_CACHE_SIZE`), those used least recently dropped first.
EAGER_OPS: dict[Any, EagerOp] = {}
_uses = itertools.count()


def _remember(key: Any, eager: EagerOp) -> EagerOp:
    """Add `eager` to `EAGER_OPS`, dropping the programs used least recently beyond the
    bound (each is freed once nothing else holds it)."""
    eager.used = next(_uses)
    EAGER_OPS[key] = eager
    while len(EAGER_OPS) > max(KERNELS.capacity, 1):
        oldest = min(list(EAGER_OPS.items()), key=lambda item: item[1].used)[0]
        del EAGER_OPS[oldest]
    return eager


#: Ops whose eager result is a NumPy view of the operand (as MXNet's reshape is); not
#: broadcast_to, whose NumPy view repeats memory and cannot be written.
EAGER_VIEWS = frozenset(n for n, p in PRIMITIVES.items() if p.view) - {"broadcast_to"}


def on_device(arrays: list[Any]) -> bool:
    """Whether any operand is in device memory (then kernels run through its backend)."""
    return any(type(a) is _context.active_array_type for a in arrays)


def run_eager(op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> np.ndarray:
    """`op(*arrays, **attrs)` computed now.

    >>> run_eager('exp', [np.zeros(2, np.float32)], {})
    array([1., 1.], dtype=float32)
    """
    if op in EAGER_VIEWS:
        PRIMITIVES[op].shape_rule(*(AbstractValue(a.shape, a.dtype) for a in arrays), **attrs)
        if _context.active_backend is not None and on_device(arrays):
            return _context.active_backend.view(op, arrays[0], attrs)  # type: ignore
        return PRIMITIVES[op].numpy_impl(*arrays, **attrs)
    if op in EAGER_REDUCTIONS and type(arrays[0]) is np.ndarray:
        reduced = run_reduction(op, arrays[0], attrs)  # (one kernel for every shape)
        if reduced is not None:
            return reduced
    key = (op, tuple(sorted(attrs.items())) if attrs else (),
           *[(a.shape, a.strides, a.dtype) for a in arrays])
    eager = EAGER_OPS.get(key)
    if eager is None:
        eager = _remember(key, _build(op, arrays, attrs))
    else:
        eager.used = next(_uses)
    return eager(arrays)


def _build(op: str, arrays: list[np.ndarray], attrs: dict[str, Any]) -> EagerOp:
    inputs = [var(a.shape, a.dtype) for a in arrays]
    out: Node = apply(op, *inputs, **attrs)
    alias = next((k for k, n in enumerate(inputs) if n is out), None)
    return EagerOp(lower_graph([out], inputs, [Layout.of(a) for a in arrays]), alias)


def elementwise_graph(op: str, shape: tuple[int, ...], cast_to: np.dtype | None,
                      attrs: dict[str, Any]) -> Callable[..., Node]:
    """The function from operand nodes to the node of `op` over them, broadcast to `shape`
    (and cast to `cast_to`)."""
    def build(*nodes: Node) -> Node:
        out = apply(op, *(apply("broadcast_to", n, shape=shape) for n in nodes), **attrs)
        return out if cast_to is None else apply("cast", out, dtype=cast_to)

    return build


def run_general(key: tuple, op: str, shape: tuple[int, ...], cast_to: np.dtype | None,
                attrs: dict[str, Any], arrays: list[np.ndarray]) -> np.ndarray:
    """`op` over `arrays` broadcast to `shape` through a program compiled for these exact
    shapes and layouts (`key` must say so)."""
    eager = EAGER_OPS.get(key)
    if eager is None:
        inputs = [var(x.shape, x.dtype) for x in arrays]
        out = elementwise_graph(op, shape, cast_to, attrs)(*inputs)
        program = lower_graph([out], inputs, [Layout.of(x) for x in arrays])
        eager = _remember(key, EagerOp(program, None))
    else:
        eager.used = next(_uses)
    return eager(arrays)


#: Eager elementwise kernels are built for this nominal length and run for any length:
#: over contiguous operands their code does not depend on it, so shapes never recompile.
NOMINAL_LENGTH = 1 << 20


class FlatKernel(NamedTuple):
    """An elementwise op's kernel over contiguous operands of any length (0-d ones are
    scalars), or `alias`, the operand the op simplified to (a cast to its own dtype)."""

    call: Callable[..., None] | None  # the CPU kernel: (*operands, out, start, stop)
    dtype: np.dtype
    kernel: Kernel | None  # (which device backends compile for themselves)
    alias: int | None = None


#: Flat kernels by (op, cast_to, attrs, per operand: dtype if 0-d, (dtype,) if full).
FLAT_KERNELS: dict[Any, FlatKernel] = {}


def flat_kernel(key: tuple, op: str, cast_to: np.dtype | None, attrs: dict[str, Any],
                arrays: list[Any]) -> FlatKernel:
    """The flat kernel of `key` (built on first use from the operands' dtypes and which of
    them are 0-d)."""
    flat = FLAT_KERNELS.get(key)
    if flat is not None:
        return flat
    inputs = [var(() if x.ndim == 0 else (NOMINAL_LENGTH,), x.dtype) for x in arrays]
    node = elementwise_graph(op, (NOMINAL_LENGTH,), cast_to, attrs)(*inputs)
    if node in inputs:
        flat = FlatKernel(None, node.dtype, None, inputs.index(node))
    else:
        program = lower_graph([node], inputs, [Layout.contiguous(n.shape) for n in inputs])
        step = program.steps[0] if len(program.steps) == 1 else None
        if not (isinstance(step, KernelStep) and step.compiled.kernel.dims == (NOMINAL_LENGTH,)
                and step.compiled.kernel.reduction is None and not program.constants):
            raise AssertionError(f"{op} did not lower to one flat elementwise kernel")
        flat = FlatKernel(step.compiled.call, node.dtype, step.compiled.kernel)
    FLAT_KERNELS[key] = flat
    return flat


def run_flat_on_device(key: tuple, op: str, shape: tuple[int, ...], cast_to: np.dtype | None,
                       attrs: dict[str, Any], arrays: list[Any]) -> Any:
    """`run_flat` where some operands are in device memory: the flat kernel, compiled by
    the device backend for itself; None where the op simplified to an operand."""
    flat = flat_kernel(key, op, cast_to, attrs, arrays)
    if flat.kernel is None:
        return None
    return _context.active_backend.run_flat(  # type: ignore[union-attr]
        key, flat.kernel, flat.dtype, shape, arrays)


def run_flat(key: tuple, op: str, shape: tuple[int, ...], cast_to: np.dtype | None,
             attrs: dict[str, Any], arrays: list[np.ndarray]) -> np.ndarray:
    """`op` over contiguous operands of `shape` (or 0-d scalars) with a kernel that serves
    every shape."""
    call, dtype, _, alias = flat_kernel(key, op, cast_to, attrs, arrays)
    if call is None:
        return np.array(np.broadcast_to(arrays[alias], shape))  # type: ignore[index]
    out = np.empty(shape, dtype)
    n = out.size
    if n:
        if n < PARALLEL_MIN_WORK:
            call(*arrays, out, 0, n)
        else:
            launch(call, [*arrays, out], n, n)
    return out
