"""A lowered graph: the buffer plan and launch list, and `run`, which executes it.

Buffers are numbered: inputs first, then constants, then one per materialised node.
Kernels run through the shared thread pool when they are large enough to pay for it;
contractions call the library kernels.
"""
from __future__ import annotations

import itertools
import math
import os
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from .. import context as _context
from ..base import UnsupportedError
from ..context import after_fork_in_child
from ..trace import PRIMITIVES
from ..trace.custom import without_custom_rules
from ..trace.graph import Node, const_value, format_graph, toposort
from ..trace.primitives import result_group
from ..trace.simplify import scalar_of
from .cache import KERNELS, CompiledKernel
from .chain import Chain, Planned, find_chains
from .emit import Layout, build_kernel
from .fuse import is_buffer, kernel_name, materialized_nodes, shared_expensive_nodes, view_base
from .kernel import Kernel
from .memory import empty, pooled_size
from .merge import merge_tail
from .reduce_split import split_reductions
from .runner import compile_runner, runs_before_compiling

#: Below this many loop iterations a kernel runs inline. A hand-off costs ~20 us on an
#: idle machine but often 50-100 us on a busy one, where the pool's thread waits for a
#: core: splitting a 200k-element update in two made a training step (train_step.py) 5-10%
#: slower on a shared 2-core host. 1M iterations take a few hundred microseconds alone.
PARALLEL_MIN_WORK = 1 << 20
#: CPU implementations of library primitives faster than their NumPy meaning, and planners
#: that specialise one to its operands' abstract values when a program is lowered (a matrix
#: product becomes one BLAS call on views): registered by `mxjit.kernels` through
#: `register_library`. Every other library primitive runs its NumPy meaning.
LIBRARY: dict[str, Callable[..., np.ndarray]] = {}
PLANNERS: dict[str, Callable[..., Callable[..., np.ndarray]]] = {}
#: Large kernels are cut into up to this many pieces per thread, each taken by whichever
#: thread is free: on a shared machine a thread may wait for its core, and a kernel cut in
#: equal halves would wait for it.
PIECES_PER_THREAD = 8


def kernel_threads(environ: Mapping[str, str] = os.environ) -> int:
    """How many threads run a kernel's pieces: `MXJIT_NUM_THREADS`, else MXNet's
    `OMP_NUM_THREADS`, else the CPUs this process may run on (its affinity, so a process
    pinned to one core runs one thread). A value that is not a positive integer is
    ignored with a warning.

    >>> kernel_threads({"MXJIT_NUM_THREADS": "3"}), kernel_threads({"OMP_NUM_THREADS": "1"})
    (3, 1)
    """
    for name in ("MXJIT_NUM_THREADS", "OMP_NUM_THREADS"):
        value = environ.get(name, "").strip()
        if not value:
            continue
        if value.isdigit() and int(value) > 0:
            return int(value)
        warnings.warn(f"{name}={value!r} is not a positive integer; ignored", RuntimeWarning,
                      stacklevel=2)
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # (not on every platform)
        return os.cpu_count() or 1


THREADS = kernel_threads()
_pool: ThreadPoolExecutor | None = None


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="mxjit")
    return _pool


def _forget_thread_pool() -> None:
    """In a forked child the pool's worker threads do not exist: start a new pool there."""
    global _pool
    _pool = None


after_fork_in_child(_forget_thread_pool)


def register_library(name: str, fn: Callable[..., np.ndarray],
                     planner: Callable[..., Callable[..., np.ndarray]] | None = None) -> None:
    """Run the library primitive `name` with `fn` on the CPU (and plan it with `planner`).

    >>> register_library('dot_general', gemm.dot_general, gemm.plan_dot_general)  # doctest: +SKIP
    """
    LIBRARY[name] = fn
    if planner is not None:
        PLANNERS[name] = planner


def launch(fn: Callable[..., None], ptrs: list[Any], extent: int, work: int,
           outer_split: bool = True) -> None:
    """Run a kernel over [0, extent) of its split loop, in parallel chunks when large.

    `ptrs` are what `fn` takes: data pointers for `CompiledKernel.fn`, arrays for `.call`.
    When the split loop is not the outermost (a reduction over leading axes), each chunk
    revisits every outer index, so the range is cut once per thread rather than in pieces.
    """
    if extent <= 0:
        return
    threads = min(THREADS, extent) if work >= PARALLEL_MIN_WORK else 1
    if threads == 1:
        fn(*ptrs, 0, extent)
        return
    pieces = threads if not outer_split else max(
        threads, min(extent, threads * PIECES_PER_THREAD, work // PARALLEL_MIN_WORK))
    bounds = [extent * c // pieces for c in range(pieces + 1)]
    taken = itertools.count()  # (its next() is atomic: each piece runs exactly once)

    def run_pieces() -> None:
        for c in taken:
            if c >= pieces:
                return
            fn(*ptrs, bounds[c], bounds[c + 1])

    pool = _thread_pool()
    futures = [pool.submit(run_pieces) for _ in range(threads - 1)]
    run_pieces()
    for f in futures:
        f.result()


@dataclass
class KernelStep:
    compiled: CompiledKernel
    args: list[int]
    extent: int
    work: int
    outer_split: bool = True  # whether the split loop is the outermost (see `launch`)


@dataclass
class LibraryStep:
    name: str
    fn: Callable[..., np.ndarray]
    args: list[tuple[int, list[Node]]]  # buffer id and the view ops to apply to it
    attrs: dict[str, Any]
    out: int
    call: Callable[..., np.ndarray] | None = None  # fn specialised to the operands (CPU)


class CallStep:
    """A step that computes several buffers at once by running programs of its own: the
    loops (`loops.py`), planned by the planner registered for their primitive."""

    name = "loop"
    attrs: dict[str, Any] = {}
    args: list[tuple[int, list[Node]]]  # buffer id and the view ops to apply to it
    outs: list[int]

    def run(self, bufs: list[Any]) -> None:
        """Read `bufs[a]` for its args, set `bufs[o]` for its outs (each kind defines it)."""
        raise AssertionError(f"{type(self).__name__} does not define run")

    def fn(self, *arrays: Any) -> Any:  # (what a GPU runs of a library step)
        raise UnsupportedError("loops (scan, while_loop, cond, foreach) run on the CPU only "
                               "for now: call them on CPU arrays")


#: Planners of the primitives whose results one `CallStep` computes together (the loops):
#: (its result nodes in the graph, its operands' buffers and view ops, the results' buffer
#: ids) -> (the step, lines for the plan listing). Registered by `loops.py`.
CALL_PLANNERS: dict[str, Callable[..., tuple[CallStep, list[str]]]] = {}


@dataclass
class Program:
    """Everything needed to run a graph: buffers, steps and where the outputs are."""

    inputs: list[Node]
    outputs: list[Node]
    n_buffers: int
    constants: dict[int, np.ndarray]
    allocations: list[tuple[int, tuple[int, ...], np.dtype]]
    steps: list[KernelStep | LibraryStep | CallStep]
    output_ids: list[tuple[int, list[Node]]]  # buffer id and the view ops to apply
    graph_text: str = ""
    plan_text: list[str] = field(default_factory=list)
    #: The plan other backends (CUDA) run when the CPU's differs (row chains, scratch);
    #: its steps hold kernel descriptions, which those backends compile themselves.
    portable: Program | None = None
    #: The allocated buffers large enough to come from the pool (`memory.empty`).
    pooled: frozenset[int] = field(init=False)
    #: How many times the loop of `run` ran it, and then the program as one function
    #: (`runner.py`), which runs it from then on.
    _runs: int = field(default=0, init=False, repr=False)
    _runner: Callable[[list[np.ndarray]], list[Any]] | None = field(default=None, init=False,
                                                                    repr=False)

    def __post_init__(self) -> None:
        self.pooled = frozenset(k for k, shape, dtype in self.allocations
                                if pooled_size(shape, dtype))

    @property
    def kernels(self) -> list[CompiledKernel]:
        return [s.compiled for s in self.steps if isinstance(s, KernelStep)]

    @cached_property
    def outputs_final_after(self) -> list[list[int]]:
        """For each step i, the outputs (positions in `output_ids`) whose buffer no step
        after step i touches; entry -1, the last, lists the outputs ready before any step
        (inputs, constants). A buffer is written only by the step that produces it, so
        once the last step naming it has run, its values are final (what `run`'s `watch`
        is told)."""
        last: dict[int, int] = {}
        for i, step in enumerate(self.steps):
            if isinstance(step, KernelStep):
                touched = list(step.args)
            elif isinstance(step, CallStep):
                touched = [b for b, _ in step.args] + list(step.outs)
            else:
                touched = [b for b, _ in step.args] + [step.out]
            for b in touched:
                last[b] = i
        final: list[list[int]] = [[] for _ in range(len(self.steps) + 1)]
        for k, (b, _) in enumerate(self.output_ids):
            final[last.get(b, -1)].append(k)
        return final

    def run(self, arrays: list[np.ndarray], watch: ProgramWatch | None = None
            ) -> list[np.ndarray]:
        """The outputs for `arrays` (the inputs); `watch`, when given, is told of each
        output as soon as its values are final, and after every step (CPU only: on a GPU
        it hears of all outputs at the end)."""
        device = _context.active_backend
        if device is not None and any(type(a) is device.array_type for a in arrays):
            for step in self.steps:
                if isinstance(step, CallStep):
                    step.fn()  # (refuses: loops run on the CPU only for now)
            results = device.run(self.portable or self, arrays)  # GPU operands: CUDA kernels
            if watch is not None:
                for k, r in enumerate(results):
                    watch.final(k, r)
            return results
        if watch is None:
            if self._runner is not None:
                return self._runner(arrays)
            self._runs += 1
            if self._runs == runs_before_compiling(len(self.steps)):
                self._runner = compile_runner(self, KernelStep, LibraryStep, launch,
                                              _apply_views, PARALLEL_MIN_WORK)
                if self._runner is not None:
                    return self._runner(arrays)
        bufs: list[Any] = [None] * self.n_buffers
        bufs[: len(arrays)] = arrays
        for k, v in self.constants.items():
            bufs[k] = v
        for k, shape, dtype in self.allocations:
            bufs[k] = empty(shape, dtype) if k in self.pooled else np.empty(shape, dtype)
        final = self.outputs_final_after if watch is not None else None
        if final is not None:
            self._tell(watch, final[-1], bufs)
        for i, step in enumerate(self.steps):
            if isinstance(step, KernelStep):
                launch(step.compiled.call, [bufs[a] for a in step.args], step.extent, step.work,
                       step.outer_split)
            elif isinstance(step, CallStep):
                step.run(bufs)
            else:
                operands = [_apply_views(bufs[b], ops) if ops else bufs[b]
                            for b, ops in step.args]
                with np.errstate(all="ignore"):  # (IEEE's answers, as the kernels give)
                    result = (step.call(*operands) if step.call is not None
                              else step.fn(*operands, **step.attrs))
                # (np.ascontiguousarray would turn a 0-d result into shape (1,))
                bufs[step.out] = np.asarray(result, order="C")
            if final is not None:
                self._tell(watch, final[i], bufs)
                watch.stepped()  # type: ignore[union-attr]
        return [self._output(k, bufs) for k in range(len(self.output_ids))]

    def _output(self, k: int, bufs: list[Any]) -> Any:
        b, ops = self.output_ids[k]
        return _apply_views(bufs[b], ops) if ops else bufs[b]

    def _tell(self, watch: Any, ready: list[int], bufs: list[Any]) -> None:
        for k in ready:
            watch.final(k, self._output(k, bufs))


class ProgramWatch(Protocol):
    """What `Program.run` tells while it runs (the gradient watchers of `core/tape.py`:
    distributed training starts summing gradients while the backward pass goes on)."""

    def final(self, k: int, value: Any) -> None:
        """Output `k` holds its final values `value` (no later step writes them)."""

    def stepped(self) -> None:
        """A step has run (a moment to let communication progress)."""


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
    outputs = without_custom_rules(outputs)  # (custom derivative rules matter to grad only)
    # Only the default plan splits reductions to one value: it is the CPU's (a GPU that
    # later runs it on device arrays gets two correct kernels); backends that compile their
    # own kernels (`compile`) reduce over blocks and warps in one.
    if compile is None:
        outputs = split_reductions(outputs, THREADS, 2 * PARALLEL_MIN_WORK)
    order = toposort(outputs)
    materialized = materialized_nodes(order, outputs) - _loop_fills(order, outputs)
    plan = _plan(order, materialized, inputs, layouts, outputs)
    if compile is not None:
        return _program(plan, inputs, outputs, compile)
    cpu_plan, chains = _chained_plan(plan, order, materialized, inputs, layouts, outputs)
    program = _program(cpu_plan, inputs, outputs, KERNELS.get, chains)
    if chains:
        program.portable = _program(plan, inputs, outputs, _uncompiled)
    return program


def _chained_plan(plan: _Plan, order: list[Node], materialized: set[Node], inputs: list[Node],
                  layouts: list[Layout], outputs: list[Node]) -> tuple[_Plan, list[Chain]]:
    """The CPU's plan and its row chains (chain.py). A costly value that two kernels would
    each recompute is kept in a chain's row scratch where that works out; elsewhere
    recomputing it beats a trip through memory."""
    shared = shared_expensive_nodes(order, materialized)
    while True:
        cpu = _plan(order, materialized | shared, inputs, layouts, outputs) if shared else plan
        chains = find_chains([p if isinstance(p, Planned) else None for p in cpu.steps],
                             cpu.kept())
        in_scratch = {b for c in chains for b in c.scratch_ids}
        missed = {n for n in shared if cpu.ids[n] not in in_scratch}
        if not missed:
            return cpu, chains
        shared -= missed


@dataclass
class _Plan:
    """Buffers and steps of a graph, kernels not yet compiled."""

    ids: dict[Node, int]
    constants: dict[int, np.ndarray]
    allocations: list[tuple[int, tuple[int, ...], np.dtype]]
    steps: list[Planned | LibraryStep | CallStep]
    text: list[str]
    output_ids: list[tuple[int, list[Node]]]
    graph_text: str

    def kept(self) -> set[int]:
        """Buffers that must be in memory whatever runs row by row: outputs and library
        operands."""
        kept = {b for b, _ in self.output_ids}
        for s in self.steps:
            if isinstance(s, (LibraryStep, CallStep)):
                kept.update(b for b, _ in s.args)
        return kept


def _plan(order: list[Node], materialized: set[Node], inputs: list[Node],
          layouts: list[Layout], outputs: list[Node]) -> _Plan:
    ids: dict[Node, int] = {n: k for k, n in enumerate(inputs)}
    buffers: dict[Node, Layout] = dict(zip(inputs, layouts))
    constants: dict[int, np.ndarray] = {}
    allocations: list[tuple[int, tuple[int, ...], np.dtype]] = []
    steps: list[Planned | LibraryStep | CallStep] = []
    plan: list[str] = []
    calls = _call_groups(order, materialized)
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
        if n in calls:  # every result of one loop, computed by one step
            for m in calls[n]:
                ids[m] = len(ids)
                buffers[m] = Layout.contiguous(m.shape)
            views = [(FILL, [i]) if _is_fill(i) and i not in materialized
                     else _view_arg(i, materialized, ids) for i in n.inputs]
            loop, text = CALL_PLANNERS[n.op](calls[n], views, [ids[m] for m in calls[n]])
            steps.append(loop)
            plan.extend(text)
            continue
        ids[n] = len(ids)
        if PRIMITIVES[n.op].kind not in ("contraction", "opaque") or n.aval.size == 0:
            allocations.append((ids[n], n.shape, n.dtype))
        if n.aval.size == 0:
            plan.append(f"  (empty) {n.op} -> buf{ids[n]}")
        elif PRIMITIVES[n.op].kind in ("contraction", "opaque"):
            views = [_view_arg(i, materialized, ids) for i in n.inputs]
            fn = LIBRARY.get(n.op) or PRIMITIVES[n.op].numpy_impl
            planner = PLANNERS.get(n.op)
            call = planner(*(i.aval for i in n.inputs), **dict(n.attrs)) if planner else None
            steps.append(LibraryStep(n.op, fn, views, dict(n.attrs), ids[n], call))
            plan.append(f"  library {n.op}({', '.join(f'buf{a}' for a, _ in views)}) -> "
                        f"buf{ids[n]}")
        else:
            kernel, kernel_inputs = build_kernel(n, buffers, kernel_name(n, buffers))
            step = Planned(kernel, [ids[i] for i in kernel_inputs] + [ids[n]])
            found = merge_tail(steps, step)
            if found is not None:  # (one multi-store kernel: merge.py)
                first, step = found
                del plan[len(plan) - (len(steps) - first):]  # (a kernel's text is one line)
                del steps[first:]
            steps.append(step)
            k, args = step.kernel, step.args
            plan.append(f"  kernel {k.name} dims={k.dims} "
                        f"({', '.join(f'buf{a}' for a in args[:k.n_inputs])}) -> "
                        f"{', '.join(f'buf{a}' for a in args[k.n_inputs:])}")
        buffers[n] = Layout.contiguous(n.shape)
    return _Plan(ids, constants, allocations, steps, plan,
                 [_view_arg(o, materialized, ids) for o in outputs],
                 format_graph(outputs, inputs))


#: The buffer id of a `CallStep` operand that is a scalar broadcast (a loop's zero carry):
#: the step makes it from its view op, so no kernel is compiled to fill it.
FILL = -1


def _is_fill(node: Node) -> bool:
    return node.op == "broadcast_to" and scalar_of(node) is not None


def _loop_fills(order: list[Node], outputs: list[Node]) -> set[Node]:
    """Scalar broadcasts that only loops read (their zero carries): not materialised."""
    if not CALL_PLANNERS:
        return set()
    fills = {n for n in order if _is_fill(n)} - set(outputs)
    for n in order:
        if n.op not in CALL_PLANNERS:
            fills.difference_update(n.inputs)
    return fills


def _call_groups(order: list[Node], materialized: set[Node]) -> dict[Node, list[Node]]:
    """The results of each application of a primitive with a call planner, under the one
    listed first."""
    if not CALL_PLANNERS:
        return {}
    first: dict[tuple, Node] = {}
    groups: dict[Node, list[Node]] = {}
    for n in order:
        if n.op in CALL_PLANNERS and n in materialized:
            head = first.setdefault(result_group(n), n)
            groups.setdefault(head, []).append(n)
    return groups


def _work(kernel: Kernel) -> int:
    return int(math.prod(kernel.dims))


def _program(plan: _Plan, inputs: list[Node], outputs: list[Node],
             compile: Callable[[Any], Any], chains: list[Chain] | None = None) -> Program:
    """The program of `plan`, each kernel compiled alone except that each chain is compiled
    as one function; a chain's scratch buffers are never allocated."""
    first = {c.members[0]: c for c in chains or ()}
    chained = {j for c in chains or () for j in c.members}
    scratch = {b for c in chains or () for b in c.scratch_ids}
    steps: list[KernelStep | LibraryStep | CallStep] = []
    text = list(plan.text)
    for j, p in enumerate(plan.steps):
        if j in first:
            c = first[j]
            work = sum(_work(m) for m in c.chain.kernels)
            steps.append(KernelStep(compile(c.chain), c.args, c.chain.split_extent, work))
            kept = f", scratch {', '.join(f'buf{b}' for b in c.scratch_ids)}" \
                if c.scratch_ids else ""
            text.append(f"  steps {j + 1}-{c.members[-1] + 1} run row by row as one "
                        f"kernel{kept}")
        elif j in chained:
            continue
        elif isinstance(p, Planned):
            steps.append(KernelStep(compile(p.kernel), p.args, p.kernel.split_extent,
                                    _work(p.kernel), p.kernel.split == 0))
        else:
            steps.append(p)
    allocations = [a for a in plan.allocations if a[0] not in scratch]
    return Program(inputs, outputs, len(plan.ids), plan.constants, allocations, steps,
                   plan.output_ids, plan.graph_text, text)


def _uncompiled(kernel: Kernel) -> CompiledKernel:
    """A kernel step for other backends, which compile it from its description (the CPU
    runs it inside a row chain)."""
    def fail(*args: Any) -> None:
        raise AssertionError(f"kernel {kernel.name} is not compiled for the CPU")

    return CompiledKernel(kernel, "mxk_" + kernel.key()[:24], fail, fail, False)


def _view_arg(node: Node, materialized: set[Node], ids: dict[Node, int]
              ) -> tuple[int, list[Node]]:
    base = view_base(node, materialized)
    assert base is not None
    ops: list[Node] = []
    while node is not base:
        if not PRIMITIVES[node.op].identity:  # (nothing to apply)
            ops.append(node)
        node = node.inputs[0]
    return ids[base], list(reversed(ops))
