"""Tracing Python functions into graphs, and `jit`, which caches one program per signature.

A jitted function is traced on its first call for each signature: the shapes, dtypes and
memory layouts of its array arguments, its static arguments and the structure of its
arguments. Later calls with the same signature run the cached program without tracing.
"""
from __future__ import annotations

import functools
import inspect
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base import TracerError
from ..lower.cache import log, log_compiles
from ..lower.emit import Layout
from ..lower.program import Program, lower_graph
from .graph import Node, const, var


def concrete_error(what: str) -> TracerError:
    return TracerError(
        f"{what} needs the array's value, which is not known while tracing (inside mx.jit, "
        "mx.grad or a hybridized block). Use mx.nd.where (or mx.nd.contrib.cond) for "
        "data-dependent choices, mark the argument static (static_argnums), or call the "
        "function without jit."
    )


# ---- the trace in progress --------------------------------------------------------------


class TraceState:
    """What a trace collects besides the function's arguments: the random keys it draws."""

    def __init__(self) -> None:
        self.random_keys: list[Node] = []


_tracing = threading.local()


def current_trace() -> TraceState | None:
    """The innermost trace in progress on this thread, or None when running eagerly."""
    stack = getattr(_tracing, "stack", None)
    return stack[-1] if stack else None


def random_key_input() -> Node:
    """A fresh key input of the current trace; each call of the program gets new key values."""
    state = current_trace()
    assert state is not None
    node = var((2,), np.dtype(np.uint32))
    state.random_keys.append(node)
    return node


# ---- pytrees: nested lists, tuples and dicts of arrays -----------------------------------


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool]) -> tuple[list[Any], Any]:
    """Leaves of a nested list/tuple/dict in order, and the structure to rebuild it."""
    if is_leaf(tree):
        return [tree], "*"
    if isinstance(tree, (list, tuple)):
        leaves, defs = [], []
        for item in tree:
            sub, d = tree_flatten(item, is_leaf)
            leaves += sub
            defs.append(d)
        return leaves, (type(tree).__name__, tuple(defs))
    if isinstance(tree, dict):
        keys = sorted(tree)
        leaves, defs = [], []
        for k in keys:
            sub, d = tree_flatten(tree[k], is_leaf)
            leaves += sub
            defs.append(d)
        return leaves, ("dict", tuple(keys), tuple(defs))
    return [], ("static", _static_key(tree))


def tree_unflatten(treedef: Any, leaves: Sequence[Any]) -> Any:
    return _build(treedef, iter(leaves))


def _build(d: Any, it: Any) -> Any:
    if d == "*":
        return next(it)
    if d[0] in ("list", "tuple"):
        items = [_build(sub, it) for sub in d[1]]
        return items if d[0] == "list" else tuple(items)
    if d[0] == "dict":
        return {k: _build(sub, it) for k, sub in zip(d[1], d[2])}
    return d[1][1]


def _static_key(value: Any) -> tuple[str, Any]:
    try:
        hash(value)
    except TypeError as e:
        raise TypeError(f"jit: argument {value!r} is neither an array nor hashable; "
                        "pass arrays or mark it static with a hashable value") from e
    return (type(value).__name__, value)


# ---- jit ---------------------------------------------------------------------------------


@functools.cache
def _ndarray_type() -> Any:  # (NDArray: the nd package imports this module)
    from ..nd.ndarray import NDArray

    return NDArray


@functools.cache
def _training_flag() -> Callable[[], bool]:
    from ..autograd import is_training

    return is_training


def _is_array(x: Any) -> bool:
    return isinstance(x, (_ndarray_type(), np.ndarray))


def _layout_key(a: np.ndarray) -> tuple[int, ...] | None:
    """What of an array's layout a compiled program depends on (None: C-contiguous)."""
    if a.flags.c_contiguous or a.size == 0:
        return None
    return Layout.of(a).strides


def _as_buffer(x: Any) -> np.ndarray:
    a = x._buffer() if isinstance(x, _ndarray_type()) else x
    flags = a.flags
    if flags.c_contiguous and flags.aligned:
        return a
    if any(s % a.itemsize for s in a.strides) or not flags.aligned:
        a = np.ascontiguousarray(a)
    return a


def _flat_arrays(tree: Any, NDArray: type, key: list[Any], buffers: list[Any]) -> bool:
    """Append the structure, shapes and dtypes of a tree of lists and tuples of eager
    C-contiguous arrays to `key` and their buffers to `buffers`; False when the tree holds
    anything else (the general signature handles it). This is the hot path of a jitted
    call, hence the plain loop."""
    for x in tree:
        t = type(x)
        if t is NDArray or t is np.ndarray:
            d = x._data if t is NDArray else x
            if d is None:
                return False
            flags = d.flags
            if not (flags.c_contiguous and flags.aligned):
                return False
            key.append(d.shape)
            key.append(d.dtype)
            buffers.append(d)
        elif t is list or t is tuple:
            key.append(t)
            key.append(len(x))
            if not _flat_arrays(x, NDArray, key, buffers):
                return False
        else:
            return False
    return True


@dataclass
class Lowered:
    """What a jitted call compiles to: the simplified graph and the kernels it launches."""

    program: Program
    backend: str

    @property
    def kernels(self) -> list[Any]:
        program = self.program if self.backend == "cpu" else self.program.portable or self.program
        return [KernelListing(k.kernel.name, *_source(k, self.backend)) for k in program.kernels]

    def as_text(self) -> str:
        lines = ["graph:", self.program.graph_text, "plan:"] + self.program.plan_text
        return "\n".join(lines)


@dataclass
class KernelListing:
    name: str
    symbol: str
    source: str


def _source(compiled: Any, backend: str = "cpu") -> tuple[str, str]:
    """(symbol, source text) of a compiled kernel for `backend`: LLVM IR or CUDA C."""
    if backend == "cuda":
        from ..lower.cuda import cuda_symbol, render_cuda

        symbol = cuda_symbol(compiled.kernel)
        return symbol, render_cuda(compiled.kernel, symbol)
    from ..lower.llvm import render_llvm

    return compiled.symbol, render_llvm(compiled.kernel, compiled.symbol)


class JitFunction:
    """A function compiled per signature; see `jit`."""

    def __init__(self, fun: Callable, static_argnums: Sequence[int] = (),
                 static_argnames: Sequence[str] = ()):
        self.fun = fun
        self.static_argnums = frozenset(static_argnums)
        self.static_argnames = frozenset(static_argnames)
        self._cache: dict[Any, tuple[Program, Any, int]] = {}
        #: The same entries by a cheaper key, for calls whose arguments are (nested lists
        #: and tuples of) C-contiguous arrays and nothing else: see `_flat_arrays`.
        self._fast: dict[tuple, tuple[Program, Any, int]] = {}
        self._last_signature: Any = None
        self.__name__ = getattr(fun, "__name__", "function")
        functools.update_wrapper(self, fun)

    def _split(self, args: tuple, kwargs: dict) -> tuple[list, Any, list]:
        dynamic: list[Any] = []
        statics: list[Any] = []
        for k, a in enumerate(args):
            if k in self.static_argnums:
                statics.append(("arg", k, _static_key(a)))
                dynamic.append(None)
            else:
                dynamic.append(a)
        kw_dynamic = {}
        for name, v in kwargs.items():
            if name in self.static_argnames:
                statics.append(("kw", name, _static_key(v)))
            else:
                kw_dynamic[name] = v
        # Dropout and BatchNorm trace differently in training mode: part of the signature.
        statics.append(("mode", "train" if _training_flag()() else "predict"))
        leaves, treedef = tree_flatten((dynamic, kw_dynamic), _is_array)
        return leaves, (treedef, tuple(statics)), statics

    def _signature(self, args: tuple, kwargs: dict) -> tuple[Any, list[np.ndarray]]:
        leaves, structure, _ = self._split(args, kwargs)
        return self._signature_of(leaves, structure)

    @staticmethod
    def _signature_of(leaves: list[Any], structure: Any) -> tuple[Any, list[np.ndarray]]:
        buffers = [_as_buffer(x) for x in leaves]
        avals = tuple((b.shape, b.dtype, _layout_key(b)) for b in buffers)
        return (structure, avals), buffers

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        NDArray = _ndarray_type()
        fast: list[Any] | None = None
        buffers: list[np.ndarray] = []
        if not kwargs and not self.static_argnums:
            fast = [_training_flag()()]
            if not _flat_arrays(args, NDArray, fast, buffers):
                fast, buffers = None, []
        entry = self._fast.get(tuple(fast)) if fast is not None else None
        if entry is None:
            leaves, structure, _ = self._split(args, kwargs)
            if any(isinstance(x, NDArray) and x._node is not None for x in leaves):  # inline
                return self.fun(*args, **kwargs)
            signature, buffers = self._signature_of(leaves, structure)
            entry = self._cache.get(signature)
            if entry is None:
                entry = self._compile(signature, buffers, args, kwargs)
            if fast is not None:
                self._fast[tuple(fast)] = entry
        program, out_tree, n_keys = entry
        if n_keys:
            from ..random import next_key_value

            buffers = buffers + [next_key_value() for _ in range(n_keys)]
        outs = program.run(buffers)
        return tree_unflatten(out_tree, [NDArray._wrap(o) for o in outs])

    def _compile(self, signature: Any, buffers: list[np.ndarray], args: tuple, kwargs: dict
                 ) -> tuple[Program, Any, int]:
        t0 = time.perf_counter()
        if log_compiles():
            log(f"jit: tracing {self.__name__} ({self._why(signature)})")
        self._last_signature = signature
        out_nodes, out_tree, in_nodes = self.trace(args, kwargs)
        n_keys = len(in_nodes) - len(buffers)
        layouts = [Layout.of(b) for b in buffers] + [Layout((1,))] * n_keys
        program = lower_graph(out_nodes, in_nodes, layouts)
        self._cache[signature] = (program, out_tree, n_keys)
        if log_compiles():
            log(f"jit: {self.__name__} ready in {(time.perf_counter() - t0) * 1e3:.1f} ms, "
                f"{len(program.kernels)} kernels")
        return program, out_tree, n_keys

    def _why(self, signature: Any) -> str:
        last = self._last_signature
        if last is None:
            return "first call"
        (structure, avals), (old_structure, old_avals) = signature, last
        if structure != old_structure:
            return "argument structure or static arguments changed"
        for k, (new, old) in enumerate(zip(avals, old_avals)):
            for what, a, b in zip(("shape", "dtype", "strides"), new, old):
                if a != b:
                    return f"array argument {k}: {what} {b} -> {a}"
        return "new signature"

    def trace(self, args: tuple, kwargs: dict) -> tuple[list[Node], Any, list[Node]]:
        """Trace the function on abstract arrays: (output nodes, output structure, inputs).

        The inputs are the array arguments' nodes followed by the random keys drawn.
        """
        from ..nd.ndarray import NDArray

        leaves, _, _ = self._split(args, kwargs)
        in_nodes = [var(b.shape, b.dtype) for b in (_as_buffer(x) for x in leaves)]
        tracers = iter([NDArray._traced(n) for n in in_nodes])

        def swap(x: Any) -> Any:
            if _is_array(x):
                return next(tracers)
            if isinstance(x, (list, tuple)):
                items = [swap(i) for i in x]
                return items if isinstance(x, list) else tuple(items)
            if isinstance(x, dict):
                return {k: swap(x[k]) for k in sorted(x)}
            return x

        traced_args = [a if k in self.static_argnums else swap(a) for k, a in enumerate(args)]
        traced_kwargs = {n: v if n in self.static_argnames else swap(v) for n, v in kwargs.items()}
        state = TraceState()
        stack = _tracing.__dict__.setdefault("stack", [])
        stack.append(state)
        try:
            out = self.fun(*traced_args, **traced_kwargs)
        finally:
            stack.pop()
        out_leaves, out_tree = tree_flatten(out, lambda x: isinstance(x, NDArray))
        if any(d[0] == "static" for d in _static_defs(out_tree)):
            raise TypeError(f"jit: {self.__name__} must return arrays or nested lists, tuples "
                            "and dicts of arrays")
        nodes = [o._node if o._node is not None else const(o._buffer()) for o in out_leaves]
        return nodes, out_tree, in_nodes + state.random_keys

    def lower(self, *args: Any, backend: str = "cpu", **kwargs: Any) -> Lowered:
        """The graph and kernels a call with these arguments runs; `backend="cuda"` lists
        each kernel's CUDA C (rendered without a GPU) instead of its LLVM IR.

        >>> f = jit(lambda x: mx.nd.exp(x) + 1)  # doctest: +SKIP
        >>> print(f.lower(mx.nd.ones((4,))).as_text())  # doctest: +SKIP
        >>> print(f.lower(mx.nd.ones((4,)), backend="cuda").kernels[0].source)  # doctest: +SKIP
        """
        if backend not in ("cpu", "cuda"):
            raise ValueError(f"unknown backend {backend!r}; use 'cpu' or 'cuda'")
        signature, buffers = self._signature(args, kwargs)
        entry = self._cache.get(signature) or self._compile(signature, buffers, args, kwargs)
        return Lowered(entry[0], backend)


def _static_defs(treedef: Any) -> list[Any]:
    if treedef == "*":
        return []
    if treedef[0] == "static":
        return [treedef]
    subs = treedef[1] if treedef[0] in ("list", "tuple") else treedef[2]
    return [d for s in subs for d in _static_defs(s)]


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
        raise TypeError(f"jit: expected a function, got {type(fun).__name__}")
    if names:
        params = inspect.signature(fun).parameters
        nums = nums + tuple(k for k, p in enumerate(params) if p in names)
    return JitFunction(fun, nums, names)
