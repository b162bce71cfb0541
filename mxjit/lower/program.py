"""A lowered graph: the buffer plan and launch list, and `run`, which executes it.

Buffers are numbered: inputs first, then constants, then one per materialised node.
Kernels run through the shared thread pool when they are large enough to pay for it;
contractions call the library kernels.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..kernels import LIBRARY
from ..trace.graph import Node, const_value, format_graph, toposort
from ..trace.ops import PRIMITIVES
from .cache import KERNELS, CompiledKernel
from .emit import Layout, build_kernel
from .fuse import is_buffer, kernel_name, materialized_nodes, view_base
from .kernel import Kernel

#: Set by `mxjit.lower.cuda_runtime` when it loads: an object with `array_type` (its device
#: array class) and `run(program, arrays)`. Programs over such arrays run on the GPU.
DEVICE_BACKEND: Any = None
#: Below this many loop iterations a kernel runs inline: a thread hand-off costs ~20 us.
PARALLEL_MIN_WORK = 1 << 16
THREADS = os.cpu_count() or 1
_pool: ThreadPoolExecutor | None = None


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="mxjit")
    return _pool


def launch(fn: Callable[..., None], ptrs: list[Any], extent: int, work: int) -> None:
    """Run a kernel over [0, extent) of its split loop, in parallel chunks when large.

    `ptrs` are what `fn` takes: data pointers for `CompiledKernel.fn`, arrays for `.call`.
    """
    if extent <= 0:
        return
    chunks = min(THREADS, extent) if work >= PARALLEL_MIN_WORK else 1
    if chunks == 1:
        fn(*ptrs, 0, extent)
        return
    bounds = [extent * c // chunks for c in range(chunks + 1)]
    pool = _thread_pool()
    futures = [pool.submit(fn, *ptrs, bounds[c], bounds[c + 1]) for c in range(1, chunks)]
    fn(*ptrs, bounds[0], bounds[1])
    for f in futures:
        f.result()


@dataclass
class KernelStep:
    compiled: CompiledKernel
    args: list[int]
    extent: int
    work: int


@dataclass
class LibraryStep:
    name: str
    fn: Callable[..., np.ndarray]
    args: list[tuple[int, list[Node]]]  # buffer id and the view ops to apply to it
    attrs: dict[str, Any]
    out: int


@dataclass
class Program:
    """Everything needed to run a graph: buffers, steps and where the outputs are."""

    inputs: list[Node]
    outputs: list[Node]
    n_buffers: int
    constants: dict[int, np.ndarray]
    allocations: list[tuple[int, tuple[int, ...], np.dtype]]
    steps: list[KernelStep | LibraryStep]
    output_ids: list[tuple[int, list[Node]]]  # buffer id and the view ops to apply
    graph_text: str = ""
    plan_text: list[str] = field(default_factory=list)

    @property
    def kernels(self) -> list[CompiledKernel]:
        return [s.compiled for s in self.steps if isinstance(s, KernelStep)]

    def run(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        device = DEVICE_BACKEND
        if device is not None and any(type(a) is device.array_type for a in arrays):
            return device.run(self, arrays)  # GPU operands: the same plan, CUDA kernels
        bufs: list[Any] = [None] * self.n_buffers
        bufs[: len(arrays)] = arrays
        for k, v in self.constants.items():
            bufs[k] = v
        for k, shape, dtype in self.allocations:
            bufs[k] = np.empty(shape, dtype)
        for step in self.steps:
            if isinstance(step, KernelStep):
                launch(step.compiled.call, [bufs[a] for a in step.args], step.extent, step.work)
            else:
                operands = [_apply_views(bufs[b], ops) for b, ops in step.args]
                bufs[step.out] = np.ascontiguousarray(step.fn(*operands, **step.attrs))
        return [_apply_views(bufs[k], ops) if ops else bufs[k] for k, ops in self.output_ids]


def _apply_views(array: np.ndarray, ops: list[Node]) -> np.ndarray:
    for n in ops:
        array = PRIMITIVES[n.op].numpy_impl(array, **dict(n.attrs))
    return array


def lower_graph(outputs: list[Node], inputs: list[Node], layouts: list[Layout],
                compile: Callable[[Kernel], Any] | None = None) -> Program:
    """Plan and compile a graph whose inputs have the given layouts.

    `compile` turns each kernel description into what its step holds (by default the
    CPU-compiled kernel; the CUDA runtime and renderers pass their own, which need only
    the `.kernel` and `.symbol` of what they return).
    """
    order = toposort(outputs)
    materialized = materialized_nodes(order, outputs)
    ids: dict[Node, int] = {n: k for k, n in enumerate(inputs)}
    buffers: dict[Node, Layout] = dict(zip(inputs, layouts))
    constants: dict[int, np.ndarray] = {}
    allocations: list[tuple[int, tuple[int, ...], np.dtype]] = []
    steps: list[KernelStep | LibraryStep] = []
    plan: list[str] = []
    for n in order:
        if n in ids:
            continue
        if is_buffer(n) or (n.op == "const" and n in materialized):  # (scalar outputs)
            ids[n] = len(ids)
            value = const_value(n)
            assert value is not None, "graph input missing from the inputs list"
            constants[ids[n]] = value
            buffers[n] = Layout.contiguous(n.shape)
            continue
        if n not in materialized:
            continue
        ids[n] = len(ids)
        if PRIMITIVES[n.op].kind not in ("contraction", "opaque") or n.aval.size == 0:
            allocations.append((ids[n], n.shape, n.dtype))
        if n.aval.size == 0:
            plan.append(f"  (empty) {n.op} -> buf{ids[n]}")
        elif PRIMITIVES[n.op].kind in ("contraction", "opaque"):
            views = [_view_arg(i, materialized, ids) for i in n.inputs]
            fn = LIBRARY.get(n.op) or PRIMITIVES[n.op].numpy_impl
            steps.append(LibraryStep(n.op, fn, views, dict(n.attrs), ids[n]))
            plan.append(f"  library {n.op}({', '.join(f'buf{a}' for a, _ in views)}) -> "
                        f"buf{ids[n]}")
        else:
            kernel, kernel_inputs = build_kernel(n, buffers, kernel_name(n))
            compiled = KERNELS.get(kernel) if compile is None else compile(kernel)
            args = [ids[i] for i in kernel_inputs] + [ids[n]]
            work = int(np.prod(kernel.dims, dtype=np.int64))
            steps.append(KernelStep(compiled, args, kernel.split_extent, work))
            plan.append(f"  kernel {kernel.name} dims={kernel.dims} "
                        f"({', '.join(f'buf{a}' for a in args[:-1])}) -> buf{ids[n]}")
        buffers[n] = Layout.contiguous(n.shape)
    return Program(inputs, outputs, len(ids), constants, allocations, steps,
                   [_view_arg(o, materialized, ids) for o in outputs],
                   format_graph(outputs, inputs), plan)


def _view_arg(node: Node, materialized: set[Node], ids: dict[Node, int]
              ) -> tuple[int, list[Node]]:
    base = view_base(node, materialized)
    assert base is not None
    ops: list[Node] = []
    while node is not base:
        ops.append(node)
        node = node.inputs[0]
    return ids[base], list(reversed(ops))
