"""`mx.autograd`: MXNet 1.x's recording autograd, as the eager front end of trace/grad.py.

While `record()` is on, every eager op on an array that depends on a variable (an array
with `attach_grad()`) also adds its primitive node to a graph. `backward()` hands that
graph to the same vjp rules `mx.grad` uses, and runs the resulting backward graph as one
compiled program (cached by the graph's structure, so a training loop compiles once).
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .base import MXNetError
from .lower.emit import Layout
from .lower.program import Program, lower_graph
from .trace.grad import backward as backward_graph
from .trace.graph import AbstractValue, Node, structure_key, toposort, var
from .trace.ops import apply, register_primitive

_state = threading.local()


class AutogradError(MXNetError, RuntimeError):
    """A gradient asked of a graph that cannot give it."""


#: Threads currently recording: lets every eager op skip the thread-local look-up.
_recording_threads = 0


def is_recording() -> bool:
    """Whether eager ops are being recorded for `backward`."""
    return _recording_threads > 0 and getattr(_state, "recording", False)


def _set_recording_flag(flag: bool) -> None:
    global _recording_threads
    was = getattr(_state, "recording", False)
    if flag != was:
        _recording_threads += 1 if flag else -1
    _state.recording = flag


def is_training() -> bool:
    """Whether layers such as Dropout and BatchNorm run in training mode."""
    return getattr(_state, "training", False)


def set_recording(is_recording: bool) -> bool:
    """Turn recording on or off; returns the previous state."""
    prev = getattr(_state, "recording", False)
    _set_recording_flag(bool(is_recording))
    return prev


def set_training(train_mode: bool) -> bool:
    """Set training (True) or predicting (False) mode; returns the previous mode."""
    prev = is_training()
    _state.training = bool(train_mode)
    return prev


class _Scope:
    def __init__(self, recording: bool | None, training: bool | None):
        self._recording, self._training = recording, training
        self._prev: tuple[bool, bool] = (False, False)

    def __enter__(self) -> _Scope:
        self._prev = (is_recording(), is_training())
        if self._recording is not None:
            _set_recording_flag(self._recording)
        if self._training is not None:
            _state.training = self._training
        return self

    def __exit__(self, *exc: Any) -> None:
        _set_recording_flag(self._prev[0])
        _state.training = self._prev[1]


def record(train_mode: bool = True) -> _Scope:
    """Scope in which eager ops are recorded for `backward`.

    >>> with mx.autograd.record():  # doctest: +SKIP
    ...     y = (x * x).sum()
    """
    return _Scope(True, train_mode)


def pause(train_mode: bool = False) -> _Scope:
    """Scope in which nothing is recorded."""
    return _Scope(False, train_mode)


def train_mode() -> _Scope:
    """Scope with training behaviour, recording unchanged."""
    return _Scope(None, True)


def predict_mode() -> _Scope:
    """Scope with inference behaviour, recording unchanged."""
    return _Scope(None, False)


# ---- the recorded graph -------------------------------------------------------------------

#: The value behind each leaf node of recorded graphs (arrays that need no gradient).
_leaf_values: weakref.WeakKeyDictionary[Node, np.ndarray] = weakref.WeakKeyDictionary()
#: The array behind each variable node (arrays with attach_grad).
_variables: weakref.WeakKeyDictionary[Node, Any] = weakref.WeakKeyDictionary()


def _leaf(a: Any) -> Node:
    if a._rec is not None:
        return a._rec
    n = var(a.shape, a._dtype)
    _leaf_values[n] = a._buffer()
    return n


def record_op(result: Any, op: str, args: Sequence[Any], attrs: dict[str, Any]) -> None:
    """Add `op(*args)` to the recorded graph when an operand depends on a variable."""
    record_graph(result, lambda *nodes: apply(op, *nodes, **attrs), args)


def record_graph(result: Any, build: Callable[..., Node], args: Sequence[Any]) -> None:
    """Add the nodes `build(*operand nodes)` makes when an operand depends on a variable."""
    if all(a._rec is None for a in args):
        return
    result._rec = build(*(_leaf(a) for a in args))


def mark_variables(variables: Any, gradients: Any, grad_reqs: str | Sequence[str] = "write"
                   ) -> None:
    """Make arrays variables whose gradients go to the given buffers.

    >>> mx.autograd.mark_variables([x], [mx.nd.zeros(x.shape)])  # doctest: +SKIP
    """
    from .nd.ndarray import NDArray

    if isinstance(variables, NDArray):
        variables, gradients = [variables], [gradients]
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    if not len(variables) == len(gradients) == len(reqs):
        raise ValueError("mark_variables: variables, gradients and grad_reqs differ in length")
    for v, g, req in zip(variables, gradients, reqs):
        if req not in ("write", "add", "null"):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', got {req!r}")
        node = var(v.shape, v._dtype)
        _variables[node] = v
        v._rec, v._grad, v._grad_req = node, g, req


def _check_heads(heads: Sequence[Any]) -> None:
    for h in heads:
        if h._rec is None:
            raise AutogradError(
                "Cannot differentiate node because it is not in a computational graph. You "
                "need to set is_recording to true or use autograd.record() to save "
                "computational graphs for backward.")
        if getattr(h, "_freed", False):
            raise AutogradError(
                "The graph of this array has already been freed by a backward pass: pass "
                "retain_graph=True to the first backward to call backward again.")


def _head_nodes(heads: Sequence[Any], head_grads: Any) -> tuple[list[Node], list[Node]]:
    from .nd.ndarray import NDArray

    if head_grads is None:
        head_grads = [None] * len(heads)
    elif isinstance(head_grads, NDArray):
        head_grads = [head_grads]
    if len(head_grads) != len(heads):
        raise ValueError(f"backward: {len(heads)} heads but {len(head_grads)} head_grads")
    cts = []
    for h, g in zip(heads, head_grads):
        if g is None:
            g = NDArray._wrap(np.ones(h.shape, h._dtype))
        elif g.shape != h.shape:
            raise ValueError(f"head gradient of shape {g.shape} for a head of shape {h.shape}")
        cts.append(_leaf(g) if g._rec is None else g._rec)
    return [h._rec for h in heads], cts


_programs: dict[Any, Program] = {}


def _run(outputs: list[Node]) -> list[np.ndarray]:
    """Compute graph nodes from the recorded leaves' current values (compiled, cached)."""
    inputs = [n for n in toposort(outputs) if n.op == "var"]
    values = []
    for n in inputs:
        v = _variables.get(n)
        values.append(v._buffer() if v is not None else _leaf_values[n])
    key = (structure_key(outputs, inputs), tuple(a.strides for a in values))
    program = _programs.get(key)
    if program is None:
        layouts = [Layout(tuple(s // a.itemsize for s in a.strides)) if a.size else
                   Layout.contiguous(a.shape) for a in values]
        program = lower_graph(outputs, inputs, layouts)
        _programs[key] = program
    return program.run(values)


def _gradients(heads: Sequence[Any], wrt: list[Node], head_grads: Any) -> list[Node]:
    _check_heads(heads)
    outs, cts = _head_nodes(heads, head_grads)
    return backward_graph(outs, cts, wrt)


def backward(heads: Any, head_grads: Any = None, retain_graph: bool = False,
             train_mode: bool = True) -> None:
    """Compute gradients of `heads` into the `.grad` of every variable they depend on.

    >>> with mx.autograd.record(): y = (x * x).sum()  # doctest: +SKIP
    >>> mx.autograd.backward(y)  # doctest: +SKIP
    """
    from .nd.ndarray import NDArray

    heads = [heads] if isinstance(heads, NDArray) else list(heads)
    _check_heads(heads)
    reachable = toposort([h._rec for h in heads])
    wrt = [n for n in reachable if n in _variables and _variables[n]._grad_req != "null"]
    if not wrt:
        raise AutogradError("backward: the heads depend on no variable with a gradient "
                            "buffer; call attach_grad() on the inputs first")
    grads = _run(_gradients(heads, wrt, head_grads))
    for node, g in zip(wrt, grads):
        v = _variables[node]
        target = v._grad._buffer()
        if v._grad_req == "add":
            target += g
        else:
            target[...] = g
    if not retain_graph:
        for h in heads:
            h._freed = True


def grad(heads: Any, variables: Any, head_grads: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, train_mode: bool = True) -> list[Any]:
    """Gradients of `heads` w.r.t. `variables`, returned as new arrays.

    With `create_graph=True` the gradients are recorded too, so they can be differentiated.

    >>> dx, = mx.autograd.grad(y, [x], create_graph=True)  # doctest: +SKIP
    """
    from .nd.ndarray import NDArray

    heads = [heads] if isinstance(heads, NDArray) else list(heads)
    variables = [variables] if isinstance(variables, NDArray) else list(variables)
    _check_heads(heads)
    reachable = set(toposort([h._rec for h in heads]))
    for k, v in enumerate(variables):
        if v._rec is None or v._rec not in reachable:
            raise AutogradError(f"grad: variable {k} (shape {v.shape}) is not on any path to "
                                "the heads; nothing was recorded between them")
    nodes = _gradients(heads, [v._rec for v in variables], head_grads)
    values = _run(nodes)
    out = []
    for node, value in zip(nodes, values):
        g = NDArray._wrap(np.array(value, copy=True))
        if create_graph:
            g._rec = node
        out.append(g)
    if not (create_graph if retain_graph is None else retain_graph):
        for h in heads:
            h._freed = True
    return out


def get_symbol(x: Any) -> Any:  # pragma: no cover - Symbol is not built yet
    raise NotImplementedError("autograd.get_symbol needs mx.sym, which is not built yet")


# ---- custom differentiable functions --------------------------------------------------------


class Function:
    """A function with a hand-written backward (MXNet's `autograd.Function`).

    >>> class Sigmoid(mx.autograd.Function):  # doctest: +SKIP
    ...     def forward(self, x):
    ...         y = 1 / (1 + mx.nd.exp(-x)); self.save_for_backward(y); return y
    ...     def backward(self, dy):
    ...         y, = self.saved_tensors; return dy * y * (1 - y)
    """

    def __init__(self) -> None:
        self._saved: tuple = ()

    def save_for_backward(self, *args: Any) -> None:
        self._saved = args

    @property
    def saved_tensors(self) -> tuple:
        return self._saved

    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError

    def backward(self, *output_grads: Any) -> Any:
        raise NotImplementedError

    def __call__(self, *inputs: Any) -> Any:
        from .nd.ndarray import NDArray

        recording = is_recording()
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        outs = (outputs,) if isinstance(outputs, NDArray) else tuple(outputs)
        if recording and any(i._rec is not None for i in inputs):
            avals = tuple(AbstractValue(o.shape, o._dtype) for o in outs)
            leaves = [_leaf(i) for i in inputs]
            for k, o in enumerate(outs):
                o._rec = apply("custom_call", *leaves, fn=self, index=k, avals=avals)
        return outputs

    def _forward_values(self, arrays: Sequence[np.ndarray], index: int) -> np.ndarray:
        from .nd.ndarray import NDArray

        with pause():
            outs = self.forward(*(NDArray._wrap(a) for a in arrays))
        outs = (outs,) if isinstance(outs, NDArray) else tuple(outs)
        return outs[index]._buffer()

    def _backward_values(self, arrays: Sequence[np.ndarray], ct: np.ndarray, index: int,
                         avals: tuple, which: int) -> np.ndarray:
        from .nd.ndarray import NDArray

        cts = [NDArray._wrap(ct if k == index else np.zeros(a.shape, a.dtype))
               for k, a in enumerate(avals)]
        with pause():
            grads = self.backward(*cts)
        grads = (grads,) if isinstance(grads, NDArray) else tuple(grads)
        if len(grads) != len(arrays):
            raise AutogradError(f"{type(self).__name__}.backward returned {len(grads)} "
                                f"gradients for {len(arrays)} inputs")
        return np.asarray(grads[which]._buffer(), dtype=arrays[which].dtype)


register_primitive(
    "custom_call", "opaque",
    lambda *ins, fn, index, avals: avals[index],
    lambda *arrays, fn, index, avals: fn._forward_values(arrays, index))
register_primitive(
    "custom_vjp", "opaque",
    lambda *ins, fn, index, avals, which: ins[which],
    lambda *arrays, fn, index, avals, which: fn._backward_values(
        arrays[:-1], arrays[-1], index, avals, which))
