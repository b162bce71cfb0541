"""`jit`: tracing Python functions into graphs, one compiled program per signature.

A jitted function is traced on its first call for each signature: the shapes, dtypes and
memory layouts of its array arguments, its static arguments, the structure of its
arguments and the training mode. Later calls with the same signature run the cached
program without tracing. Arguments may be arrays of any front end (`Array` subclasses)
or NumPy arrays; results take the class of the arrays the function returned. A function
keeps the `MXJIT_JIT_CACHE_SIZE` signatures called last (256), so sweeping shapes does not
grow memory without end; a signature dropped is traced again if it comes back.

Called while `autograd.record()` is on with an argument that depends on a variable, a
jitted function is recorded on the tape as one call: its results' records build the
traced graph over the arguments' nodes, so `backward()` differentiates through it with
the rest of the recorded graph as one compiled program. The call then also returns the
intermediate values that backward pass reads (`trace.grad.residuals`), which are kept, so
nothing of the jitted forward pass is computed twice.
"""
from __future__ import annotations

import functools
import inspect
import itertools
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import context as _context
from ..base import ArgumentError, ParamError
from ..lower import (
    Layout,
    Program,
    cuda_symbol,
    log,
    log_compiles,
    lower_graph,
    render_cuda,
    render_llvm,
)
from ..trace import Node, const, substitute, var
from ..trace.grad import residuals
from . import tape
from .array import Array, default_array_class, weak_class
from .pytree import flatten_arrays, static_key, tree_unflatten
from .random import next_key_value
from .trace_state import TraceState, trace_stack


def log_compile_event(message: str) -> None:
    """Print `message` as a compile log line when `MXJIT_LOG_COMPILES=1` (for the front ends
    above, which decide about compiling too: a hybridized block that runs eagerly).

    >>> log_compile_event("hybridize: net runs eagerly")  # doctest: +SKIP
    """
    if log_compiles():
        log(message)


def is_leaf(x: Any) -> bool:
    """Whether `x` is a traced argument of a transform: an mxjit or a NumPy array, or a
    Python int or float (traced as a weakly typed 0-d value, so a new value never
    recompiles; bools and everything else are static)."""
    return isinstance(x, (Array, np.ndarray)) or type(x) in _SCALARS


#: Python scalars traced as 0-d values, and the dtype each is traced in.
_SCALARS = {float: np.dtype(np.float64), int: np.dtype(np.int64)}


def scalar_buffer(x: Any) -> np.ndarray:
    """The 0-d buffer a Python int or float argument is passed as.

    >>> scalar_buffer(0.5).dtype
    dtype('float64')
    """
    try:
        return np.asarray(x, dtype=_SCALARS[type(x)])
    except OverflowError:
        raise ArgumentError(f"jit: the int argument {x} does not fit in int64; pass it as a "
                            "static argument (static_argnums)") from None


def _layout_key(a: np.ndarray) -> tuple[int, ...] | None:
    """What of an array's layout a compiled program depends on (None: C-contiguous)."""
    if a.flags.c_contiguous or a.size == 0:
        return None
    return Layout.of(a).strides


def _as_buffer(x: Any) -> np.ndarray:
    if type(x) in _SCALARS:
        return scalar_buffer(x)
    a = x._buffer() if isinstance(x, Array) else x
    flags = a.flags
    if flags.c_contiguous and flags.aligned:
        return a
    if any(s % a.itemsize for s in a.strides) or not flags.aligned:
        a = np.ascontiguousarray(a)
    return a


def _flat_arrays(tree: Any, key: list[Any], buffers: list[Any], leaves: list[Any],
                 depth: int = 0) -> bool:
    """Append the structure, classes, shapes and dtypes of a tree of lists and tuples of
    eager C-contiguous arrays (in host or device memory) to `key`, their buffers to
    `buffers` and the arrays (or numbers) themselves to `leaves`; False when the tree
    holds anything else or nests deeper than a few levels (the general, iterative
    signature handles it). This is the hot path of a jitted call, hence the plain loop."""
    for x in tree:
        t = type(x)
        if t is np.ndarray:
            d = x
        elif t is list or t is tuple:
            key.append(t)
            key.append(len(x))
            if depth >= 8 or not _flat_arrays(x, key, buffers, leaves, depth + 1):
                return False
            continue
        elif isinstance(x, Array):
            d = x._data
            if d is None or (type(d) is not np.ndarray
                             and type(d) is not _context.active_array_type):
                return False
        elif t is float or t is int:
            d = scalar_buffer(x)
        else:
            return False
        flags = d.flags
        if not (flags.c_contiguous and flags.aligned):
            return False
        key.append(t)
        key.append(d.shape)
        key.append(d.dtype)
        buffers.append(d)
        leaves.append(x)
    return True


@dataclass
class Lowered:
    """What a jitted call compiles to: the simplified graph and the kernels it launches."""

    program: Program
    backend: str

    @property
    def kernels(self) -> list[KernelListing]:
        program = self.program if self.backend == "cpu" else self.program.portable or self.program
        return [KernelListing(k.kernel.name, *_source(k, self.backend)) for k in program.kernels]

    def as_text(self) -> str:
        """The simplified graph and the plan of kernels and library calls, in full."""
        lines = ["graph:", self.program.graph_text, "plan:"] + self.program.plan_text
        return "\n".join(lines)

    def summary(self) -> str:
        """One line: how many kernels and library calls, and where the kernels came from.

        >>> print(mx.jit(lambda x: x + 1).lower(mx.nd.ones(3)).summary())  # doctest: +SKIP
        1 kernel (1 loaded from the disk cache), 0 library calls
        """
        steps = self.program.steps
        kernels = self.program.kernels
        cached = sum(1 for k in kernels if k.from_disk)
        calls = len(steps) - len(kernels)
        return (f"{len(kernels)} kernel{'s' * (len(kernels) != 1)} ({len(kernels) - cached} "
                f"compiled in this process, {cached} loaded from the disk cache), "
                f"{calls} library call{'s' * (calls != 1)}")

    def __repr__(self) -> str:
        return f"<Lowered: {self.summary()}; .as_text() and .kernels give the rest>"


@dataclass
class KernelListing:
    name: str
    symbol: str
    source: str


def _source(compiled: Any, backend: str = "cpu") -> tuple[str, str]:
    """(symbol, source text) of a compiled kernel for `backend`: LLVM IR or CUDA C."""
    if backend == "cuda":
        symbol = cuda_symbol(compiled.kernel)
        return symbol, render_cuda(compiled.kernel, symbol)
    return compiled.symbol, render_llvm(compiled.kernel, compiled.symbol)


@dataclass
class _Entry:
    """One signature's compiled form."""

    program: Program
    out_tree: Any
    out_classes: list[Any]
    n_keys: int
    outputs: list[Node]  # the traced graph: its outputs over its inputs
    inputs: list[Node]
    serial: int  # (tells apart the entries' graphs in tape keys)
    signature: Any = None
    used: int = 0  # when it was last called (a stamp of `_uses`), for the LRU
    fast_keys: list[tuple] = field(default_factory=list)  # its keys in `JitFunction._fast`
    recording: _RecordingForm | None = None


@dataclass
class _RecordingForm:
    """The program a call runs while it is recorded: results, then the residuals."""

    program: Program
    residuals: list[Node]


_serials = itertools.count()
_uses = itertools.count()
DEFAULT_JIT_CACHE_SIZE = 256


def jit_cache_size() -> int:
    """How many signatures a jitted function keeps compiled: `MXJIT_JIT_CACHE_SIZE` (at
    least 1), else `DEFAULT_JIT_CACHE_SIZE`."""
    text = os.environ.get("MXJIT_JIT_CACHE_SIZE", "").strip()
    if not text:
        return DEFAULT_JIT_CACHE_SIZE
    if not text.isdigit():
        warnings.warn(f"MXJIT_JIT_CACHE_SIZE={text!r} is not a whole number; using "
                      f"{DEFAULT_JIT_CACHE_SIZE}", RuntimeWarning, stacklevel=3)
        return DEFAULT_JIT_CACHE_SIZE
    return max(1, int(text))


class JitFunction:
    """A function compiled per signature; see `jit`."""

    def __init__(self, fun: Callable, static_argnums: Sequence[int] = (),
                 static_argnames: Sequence[str] = ()):
        self.fun = fun
        self.static_argnums = frozenset(static_argnums)
        self.static_argnames = frozenset(static_argnames)
        #: Compiled signatures, at most `max_signatures`: those called least recently go
        #: (their programs live on while a tape record or a `Lowered` holds them).
        self._cache: dict[Any, _Entry] = {}
        self.max_signatures = jit_cache_size()
        #: The same entries by a cheaper key, for calls whose arguments are (nested lists
        #: and tuples of) C-contiguous arrays and nothing else: see `_flat_arrays`.
        self._fast: dict[tuple, _Entry] = {}
        self._last_signature: Any = None
        self.__name__ = getattr(fun, "__name__", "function")
        functools.update_wrapper(self, fun, updated=())  # (not its __dict__: a wrapped
        # jit or custom_vjp object would overwrite this one's own attributes with its own)

    def __repr__(self) -> str:
        return f"<jit of {self.fun!r}: {len(self._cache)} signature(s) compiled>"

    def _split(self, args: tuple, kwargs: dict) -> tuple[list, Any]:
        dynamic: list[Any] = []
        statics: list[Any] = []
        for k, a in enumerate(args):
            if k in self.static_argnums:
                statics.append(("arg", k, static_key(a)))
                dynamic.append(None)
            else:
                dynamic.append(a)
        kw_dynamic = {}
        for name, v in kwargs.items():
            if name in self.static_argnames:
                statics.append(("kw", name, static_key(v)))
            else:
                kw_dynamic[name] = v
        # Dropout and BatchNorm trace differently in training mode: part of the signature.
        statics.append(("mode", "train" if tape.is_training() else "predict"))
        leaves, treedef = flatten_arrays((dynamic, kw_dynamic), is_leaf)
        classes = tuple(type(x) for x in leaves)
        return leaves, (treedef, tuple(statics), classes)

    def _signature(self, leaves: list[Any], structure: Any) -> tuple[Any, list[np.ndarray]]:
        buffers = [_as_buffer(x) for x in leaves]
        avals = tuple((b.shape, b.dtype, _layout_key(b)) for b in buffers)
        return (structure, avals), buffers

    def signature(self, *args: Any, **kwargs: Any) -> Any:
        """The hashable key a call with these arguments is compiled under: its structure,
        static arguments, training mode and the arrays' classes, shapes, dtypes and layouts
        (what a caller may remember about a signature, as a hybridized block remembers
        those it runs eagerly).

        >>> f.signature(mx.nd.ones((2, 3))) == f.signature(mx.nd.zeros((2, 3)))  # doctest: +SKIP
        True
        """
        leaves, structure = self._split(args, kwargs)
        return self._signature(leaves, structure)[0]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        recording = tape.recording_threads and tape.is_recording()
        fast: list[Any] | None = None
        buffers: list[np.ndarray] = []
        leaves: list[Any] = []
        if not kwargs and not self.static_argnums:
            fast = [tape.is_training()]
            if not _flat_arrays(args, fast, buffers, leaves):
                fast, buffers, leaves = None, [], []
        fast_key = tuple(fast) if fast is not None else None
        entry = self._fast.get(fast_key) if fast_key is not None else None
        if entry is None:
            leaves, structure = self._split(args, kwargs)
            if any(isinstance(x, Array) and x._node is not None for x in leaves):  # inline
                return self.fun(*args, **kwargs)
            signature, buffers = self._signature(leaves, structure)
            entry = self._cache.get(signature)
            if entry is None:
                entry = self._compile(signature, buffers, args, kwargs)
            if fast_key is not None:
                self._fast[fast_key] = entry
                entry.fast_keys.append(fast_key)
        entry.used = next(_uses)
        keys = [next_key_value() for _ in range(entry.n_keys)]
        if recording and any(isinstance(x, Array) and x._rec is not None for x in leaves):
            return self._recorded_call(entry, leaves, buffers, keys)
        outs = entry.program.run(buffers + keys if keys else buffers)
        return tree_unflatten(entry.out_tree,
                              [c._wrap(o) for c, o in zip(entry.out_classes, outs)])

    def program_for(self, *args: Any) -> Program | None:
        """The program that a call with these positional arguments (eager C-contiguous
        arrays in lists and tuples) runs, when it is compiled already and draws no random
        keys; else None. It takes the arrays' buffers in the order of their leaves and
        returns the results' buffers in the order of theirs (`tree_leaves`): a caller that
        calls with the same structure every time (an optimizer's update) keeps the
        structure itself and skips building and taking apart the trees.

        >>> f = mx.jit(lambda xs: [x + 1 for x in xs]); _ = f([a, b])  # doctest: +SKIP
        >>> f.program_for([a, b]).run([a._data, b._data])  # doctest: +SKIP
        """
        key: list[Any] = [tape.is_training()]
        if self.static_argnums or not _flat_arrays(args, key, [], []):
            return None
        entry = self._fast.get(tuple(key))
        return entry.program if entry is not None and not entry.n_keys else None

    def _compile(self, signature: Any, buffers: list[np.ndarray], args: tuple, kwargs: dict
                 ) -> _Entry:
        t0 = time.perf_counter()
        if log_compiles():
            log(f"jit: tracing {self.__name__} ({self._why(signature, args, kwargs)})")
        self._last_signature = signature
        out_nodes, out_tree, out_classes, in_nodes = self.trace(args, kwargs)
        n_keys = len(in_nodes) - len(buffers)
        layouts = [Layout.of(b) for b in buffers] + [Layout((1,))] * n_keys
        program = lower_graph(out_nodes, in_nodes, layouts)
        entry = _Entry(program, out_tree, out_classes, n_keys, out_nodes, in_nodes,
                       next(_serials), signature, next(_uses))
        self._cache[signature] = entry
        self._forget_least_used()
        if log_compiles():
            log(f"jit: {self.__name__} ready in {(time.perf_counter() - t0) * 1e3:.1f} ms, "
                f"{len(program.kernels)} kernels")
        return entry

    def _forget_least_used(self) -> None:
        while len(self._cache) > self.max_signatures:
            entry = min(list(self._cache.values()), key=lambda e: e.used)
            del self._cache[entry.signature]
            for key in entry.fast_keys:
                if self._fast.get(key) is entry:
                    del self._fast[key]

    def _why(self, signature: Any, args: tuple, kwargs: dict) -> str:
        """Which argument made this call trace again, and what of it changed."""
        last = self._last_signature
        if last is None:
            return "first call"
        ((tree, statics, classes), avals), ((old_tree, old_statics, old_classes),
                                             old_avals) = signature, last
        names = self._leaf_names(args, kwargs)
        for new, old in zip(statics, old_statics):
            if new != old:
                if new[0] == "mode":
                    return f"training mode: {old[1]} -> {new[1]}"
                name = new[1] if new[0] == "kw" else self._param_name(new[1])
                return f"static argument {name}: {old[-1][1]!r} -> {new[-1][1]!r}"
        if tree != old_tree or len(classes) != len(old_classes):
            return "the structure of the arguments changed (containers, or which values " \
                   "are arrays)"
        for name, new, old in zip(names, classes, old_classes):
            if new != old:
                return f"argument {name}: type {old.__name__} -> {new.__name__}"
        for name, new, old in zip(names, avals, old_avals):
            for what, a, b in zip(("shape", "dtype", "strides"), new, old):
                if a != b:
                    return f"argument {name}: {what} {b} -> {a}"
        return "new signature"

    def _param_name(self, k: int) -> str:
        try:
            params = list(inspect.signature(self.fun).parameters)
        except (TypeError, ValueError):
            params = []
        return params[k] if k < len(params) else f"args[{k}]"

    def _leaf_names(self, args: tuple, kwargs: dict) -> list[str]:
        """A name for each traced leaf of a call, in signature order (`x`, `params (leaf
        2)`, `args[3]`)."""
        parts = [(self._param_name(k), a) for k, a in enumerate(args)
                 if k not in self.static_argnums]
        parts += [(repr(n), kwargs[n]) for n in sorted(kwargs) if n not in self.static_argnames]
        names = []
        for name, value in parts:
            count = len(flatten_arrays(value, is_leaf)[0])
            names += [name] if is_leaf(value) else [f"{name} (leaf {i})" for i in range(count)]
        return names

    def _recorded_call(self, entry: _Entry, leaves: list[Any], buffers: list[np.ndarray],
                       keys: list[np.ndarray]) -> Any:
        """Run the call and record it on the tape (see the module docstring)."""
        form = entry.recording
        if form is None:
            kept = residuals(entry.outputs, entry.inputs)
            layouts = [Layout.of(b) for b in buffers] + [Layout((1,))] * len(keys)
            form = entry.recording = _RecordingForm(
                lower_graph(entry.outputs + kept, entry.inputs, layouts), kept)
        outs = form.program.run(buffers + keys)
        n = len(entry.outputs)
        results = [c._wrap(o) for c, o in zip(entry.out_classes, outs[:n])]
        wrap = default_array_class()._wrap
        operands = [x if isinstance(x, Array) else wrap(b) for x, b in zip(leaves, buffers)]
        operands += [wrap(k) for k in keys]
        targets = entry.outputs + form.residuals

        def build(*nodes: Node) -> list[Node]:
            return substitute(targets, dict(zip(entry.inputs, nodes)))

        tape.record_call(results, build, operands, ("jit", entry.serial), outs[n:])
        return tree_unflatten(entry.out_tree, results)

    def trace(self, args: tuple, kwargs: dict) -> tuple[list[Node], Any, list[Any], list[Node]]:
        """Trace the function on abstract arrays: (output nodes, output structure, output
        classes, inputs). The inputs are the array arguments' nodes followed by the random
        keys drawn."""
        leaves, _ = self._split(args, kwargs)
        in_nodes = [var(b.shape, b.dtype) for b in (_as_buffer(x) for x in leaves)]
        default = default_array_class()
        tracers = iter([(x._result_class if isinstance(x, Array) else
                         weak_class(default) if type(x) in _SCALARS else default)._traced(n)
                        for x, n in zip(leaves, in_nodes)])

        def swap(x: Any) -> Any:
            arrays, treedef = flatten_arrays(x, is_leaf)
            return tree_unflatten(treedef, [next(tracers) for _ in arrays])

        traced_args = [a if k in self.static_argnums else swap(a) for k, a in enumerate(args)]
        traced_kwargs = {n: v if n in self.static_argnames else swap(v) for n, v in kwargs.items()}
        state = TraceState()
        stack = trace_stack()
        stack.append(state)
        try:
            out = self.fun(*traced_args, **traced_kwargs)
        finally:
            stack.pop()
        # (other hashable values in the result, such as a dataclass's name field, come
        # back as they were when traced)
        try:
            out_leaves, out_tree = flatten_arrays(out, lambda x: isinstance(x, Array))
        except ArgumentError as e:
            raise ArgumentError(f"jit: {self.__name__} must return arrays, pytrees of arrays "
                                f"and hashable constants: {e}") from None
        nodes = [o._node if o._node is not None else const(o._buffer()) for o in out_leaves]
        classes = [o._result_class for o in out_leaves]
        return nodes, out_tree, classes, in_nodes + state.random_keys

    def lower(self, *args: Any, backend: str = "cpu", **kwargs: Any) -> Lowered:
        """The graph and kernels a call with these arguments runs; `backend="cuda"` lists
        each kernel's CUDA C (rendered without a GPU) instead of its LLVM IR.

        >>> f = jit(lambda x: mx.nd.exp(x) + 1)  # doctest: +SKIP
        >>> print(f.lower(mx.nd.ones((4,))).as_text())  # doctest: +SKIP
        >>> print(f.lower(mx.nd.ones((4,)), backend="cuda").kernels[0].source)  # doctest: +SKIP
        """
        if backend not in ("cpu", "cuda"):
            raise ParamError(f"unknown backend {backend!r}; use 'cpu' or 'cuda'")
        leaves, structure = self._split(args, kwargs)
        signature, buffers = self._signature(leaves, structure)
        entry = self._cache.get(signature) or self._compile(signature, buffers, args, kwargs)
        return Lowered(entry.program, backend)


def jit(fun: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = ()) -> Any:
    """Compile `fun` into fused kernels, once per signature of its arguments.

    >>> f = mx.jit(lambda a, b: mx.nd.relu(a * b + 1))  # doctest: +SKIP
    >>> f(mx.nd.ones((3,)), mx.nd.ones((3,)))  # doctest: +SKIP
    """
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    if fun is None:
        return functools.partial(jit, static_argnums=nums, static_argnames=names)
    if not callable(fun):
        raise ArgumentError(f"jit: expected a function, got {type(fun).__name__}")
    if names:
        params = inspect.signature(fun).parameters
        nums = nums + tuple(k for k, p in enumerate(params) if p in names)
    return JitFunction(fun, nums, names)
