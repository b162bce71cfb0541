"""The autograd tape: MXNet 1.x's recording autograd over the graph's vjp rules.

While `record()` is on, every eager op on an array that depends on a variable (an array
with `attach_grad()`) also adds its primitive node to a graph, and the value it computed
is kept for that node. `backward()` hands the graph to the same vjp rules `mx.grad` uses
and runs the backward graph as one compiled program that reads the kept forward values
(nothing of the forward pass is computed again). The program is cached by the recorded
graph's structure, so a warm training step costs a walk over the graph, a dictionary
look-up and the kernels: no vjp rules run and nothing is lowered or compiled.
"""
from __future__ import annotations

import functools
import itertools
import operator
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import AutogradError, ParamError
from ..lower import Layout, Program, lower_graph
from ..trace import (
    AbstractValue,
    Node,
    apply,
    ones_like,
    postorder,
    substitute,
    toposort,
    var,
)
from ..trace import backward as backward_graph


class _State(threading.local):
    # (class defaults: a thread that never set a flag reads them without raising and
    # catching AttributeError, which costs ten times a plain read, on every op)
    recording = False
    training = False


_state = _State()


#: Threads currently recording: lets every eager op skip the thread-local look-up.
recording_threads = 0


def is_recording() -> bool:
    """Whether eager ops are being recorded for `backward`."""
    return recording_threads > 0 and _state.recording


def _set_recording_flag(flag: bool) -> None:
    global recording_threads
    was = _state.recording
    if flag != was:
        recording_threads += 1 if flag else -1
    _state.recording = flag


def is_training() -> bool:
    """Whether layers such as Dropout and BatchNorm run in training mode."""
    return _state.training


def set_recording(is_recording: bool) -> bool:
    """Turn recording on or off; returns the previous state."""
    prev = _state.recording
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


class Rec:
    """One entry of the recorded graph: an eager op's result, a variable or a leaf.

    Recording is cheap: an op stores its structure `key`, a `build` function from operand
    nodes to its graph node, its operands' records and the value it computed. Graph nodes
    are built (once, `node`) only when a backward pass meets a structure it has not seen.
    """

    __slots__ = ("key", "build", "inputs", "value", "node", "array", "actions", "host",
                 "origin", "__weakref__")

    def __init__(self, key: Any, build: Callable[..., Node] | None, inputs: tuple,
                 value: Any, node: Node | None = None, array: Any = None):
        self.key, self.build, self.inputs, self.value = key, build, inputs, value
        self.node, self.array = node, array
        self.actions: list[Callable[[], None]] = []
        #: the host function a host call's result was computed by (see `record_host`)
        self.host: Any = None
        #: a variable's name (MXNet's `var0`), or the MXNet operator call that gave this
        #: result (`history.Origin`): what `autograd.get_symbol` shows; None otherwise
        self.origin: Any = None


#: MXNet numbers its variables (`var0`) and its unnamed constants (`null1`) with one count.
variable_numbers = itertools.count()


#: Records whose value is kept (so that an in-place write can invalidate them).
_valued: weakref.WeakSet[Rec] = weakref.WeakSet()


def _leaf(a: Any) -> Rec:
    """The record of an operand: its own, or a leaf holding its value (no gradient)."""
    if a._rec is not None:
        return a._rec
    return Rec("leaf", None, (), a._buffer())


def record_op(result: Any, op: str, args: Sequence[Any], attrs: dict[str, Any]) -> None:
    """Add `op(*args)` to the recorded graph when an operand depends on a variable."""
    if any(a._rec is not None for a in args):
        key = (op, tuple(sorted(attrs.items())) if attrs else ())
        record_graph(result, lambda *nodes: apply(op, *nodes, **attrs), args, key)


def record_graph(result: Any, build: Callable[..., Node], args: Sequence[Any],
                 key: Any = None) -> None:
    """Add the nodes `build(*operand nodes)` makes when an operand depends on a variable.

    `key` (hashable) must determine `build` given its operands' shapes and dtypes: graphs
    recorded with equal keys share one compiled backward program. None: never shared.
    """
    for a in args:
        if a._rec is not None:
            break
    else:
        return
    result._rec = _record(key, build, tuple(_leaf(a) for a in args), result._data)


def _record(key: Any, build: Callable[..., Node] | None, inputs: tuple, data: Any,
            node: Node | None = None) -> Rec:
    # (views are not kept: backward recomputes them from their base, for free)
    kept = data if data is not None and data.flags.c_contiguous else None
    rec = Rec(key, build, inputs, kept, node)
    if kept is not None:
        _valued.add(rec)
    return rec


def on_backward(result: Any, action: Callable[[], None]) -> None:
    """Call `action()` each time a backward pass goes through `result` (after the gradients
    are computed): how operators with auxiliary state, such as BatchNorm's moving
    statistics, update it during the backward pass as MXNet does. Nothing happens when
    `result` was not recorded, since no backward pass can reach it.

    >>> tape.on_backward(y, lambda: count.append(1))  # doctest: +SKIP
    """
    if result._rec is not None:
        result._rec.actions.append(action)


def overwriting(data: Any) -> None:
    """Call before writing into `data` in place: recorded values that share its memory are
    forgotten, so backward recomputes them from their inputs instead of reading new data.

    >>> mx.autograd.overwriting(y._data); y._data[...] = 0  # doctest: +SKIP
    """
    if not _valued:
        return
    base = _memory_of(data)
    for rec in list(_valued):
        if rec.value is not None and _memory_of(rec.value) is base:
            rec.value = None
            _valued.discard(rec)


def _memory_of(a: Any) -> Any:
    while getattr(a, "base", None) is not None:
        a = a.base
    return a


def mark_variables(variables: Any, gradients: Any, grad_reqs: str | Sequence[str] = "write"
                   ) -> None:
    """Make arrays variables whose gradients go to the given buffers.

    >>> mx.autograd.mark_variables([x], [mx.nd.zeros(x.shape)])  # doctest: +SKIP
    """
    variables, gradients = as_list(variables), as_list(gradients)
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    if not len(variables) == len(gradients) == len(reqs):
        raise ParamError("mark_variables: variables, gradients and grad_reqs differ in length")
    for v, g, req in zip(variables, gradients, reqs):
        if req not in ("write", "add", "null"):
            raise ParamError(f"grad_req must be 'write', 'add' or 'null', got {req!r}")
        v._rec = Rec("variable", None, (), None, var(v.shape, v._dtype), v)
        v._rec.origin = f"var{next(variable_numbers)}"
        v._grad, v._grad_req, v._fresh_grad = g, req, False


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


def _toposort(outputs: list[Rec]) -> list[Rec]:
    """Every record reachable from `outputs`, operands before users."""
    return postorder(outputs, _rec_inputs)


_rec_inputs = operator.attrgetter("inputs")


# ---- backward: one compiled program per recorded structure --------------------------------

#: Backward programs by the structure of the recorded graph: (program, the positions in the
#: graph's record order of the values it reads, the host slots it calls through and the
#: position of the record whose host function each must call). Bounded: eager code with
#: data-dependent control flow records a new structure now and then.
_programs: dict[Any, tuple[Program, list[int], list[tuple[int, HostSlot]]]] = {}
_MAX_PROGRAMS = 256


def _head_grad_recs(heads: Sequence[Any], head_grads: Any) -> list[Rec | None]:
    """One head gradient record (None for ones) per head, checked."""
    if head_grads is None:
        return [None] * len(heads)
    head_grads = as_list(head_grads)
    if len(head_grads) != len(heads):
        raise ParamError(f"backward: {len(heads)} heads but {len(head_grads)} head_grads")
    for h, g in zip(heads, head_grads):
        if g is not None and g.shape != h.shape:
            raise ParamError(f"head gradient of shape {g.shape} for a head of shape {h.shape}")
    return [None if g is None else _leaf(g) for g in head_grads]


#: Who hears of the gradients of `backward` as its program computes them (a distributed
#: Trainer sums them over the workers while the backward pass goes on): objects with
#: `begin(variables) -> {position: slot}` (the variables it wants, by their position in
#: `variables`), `final(slot, value)`, `stepped()` and `end()`.
gradient_watchers: weakref.WeakSet[Any] = weakref.WeakSet()


class _Relay:
    """The `ProgramWatch` of one backward pass: tells each gradient watcher of the
    gradients it asked for."""

    def __init__(self, variables: list[Any]):
        self.n = len(variables)
        asked = [(w, w.begin(variables)) for w in list(gradient_watchers)]
        self.asked = [(w, slots) for w, slots in asked if slots]

    def final(self, k: int, value: Any) -> None:
        k = self.n - 1 - k  # (the program lists the gradients last variable first)
        for w, slots in self.asked:
            slot = slots.get(k)
            if slot is not None:
                w.final(slot, value)

    def stepped(self) -> None:
        for w, _ in self.asked:
            w.stepped()

    def end(self) -> None:
        for w, _ in self.asked:
            w.end()


def _gradients(heads: Sequence[Any], head_grads: Any, variables: Sequence[Any] | None,
               keep_graph: bool, watched: bool = False
               ) -> tuple[list[Rec], list[np.ndarray], list[Node] | None, list[Rec]]:
    """d heads / d variables: (the variables' records, the gradient values, with
    `keep_graph` the gradient nodes over the recorded graph (for create_graph), and the
    records of the graph).

    `variables` None means every variable of the graph whose grad_req is not 'null'.
    `watched`: tell the `gradient_watchers` of each gradient as soon as it is computed.
    """
    _check_heads(heads)
    outs = [h._rec for h in heads]
    cts = _head_grad_recs(heads, head_grads)
    order = _toposort(outs + [c for c in cts if c is not None])
    rows, values, index = _structure(order)
    if variables is None:
        wrt = [r for r in order if r.array is not None and r.array._grad_req != "null"]
        if not wrt:
            raise AutogradError("backward: the heads depend on no variable with a gradient "
                                "buffer; call attach_grad() on the inputs first")
    else:
        wrt = [v._rec for v in variables]
    relay = _Relay([w.array for w in wrt]) if watched and gradient_watchers else None
    last_first = relay is not None and bool(relay.asked)
    key = None if rows is None else (
        rows, tuple(index[id(o)] for o in outs),
        tuple(None if c is None else index[id(c)] for c in cts),
        tuple(index[id(w)] for w in wrt), last_first)
    entry = None if key is None else _programs.get(key)
    nodes = None
    if entry is None or keep_graph:
        for r in order:
            _materialize(r)
        out_nodes = [r.node for r in outs]
        seeds = [ones_like(o) if c is None else c.node for o, c in zip(out_nodes, cts)]
        nodes = backward_graph(out_nodes, seeds, [w.node for w in wrt],  # type: ignore
                               integers=True)
    if entry is None:
        program, positions = _lower_backward(nodes, order, values,  # type: ignore[arg-type]
                                             last_first)
        entry = (program, positions, [(k, r.node.attr("fn")) for k, r in enumerate(order)
                                      if r.host is not None and r.node is not None])
        if key is not None:
            if len(_programs) >= _MAX_PROGRAMS:
                del _programs[next(iter(_programs))]
            _programs[key] = entry
    program, positions, slots = entry
    for k, slot in slots:  # (a shared program calls this graph's host functions)
        slot.target = order[k].host
    if last_first:
        assert relay is not None
        grads = program.run([values[k] for k in positions], relay)[::-1]
        relay.end()
    else:
        grads = program.run([values[k] for k in positions])
    for r in order:
        for action in r.actions:
            action()
    return wrt, grads, nodes, order


def _structure(order: list[Rec]) -> tuple[tuple | None, list[Any], dict[int, int]]:
    """The structure key of a recorded graph (None when it may not be shared), the value
    behind each record (None where backward must recompute it) and each one's position."""
    index: dict[int, int] = {}
    rows: list[tuple] | None = []
    values: list[Any] = []
    #: the positions of each operand tuple (a jitted call's results and residuals share one)
    positions: dict[int, tuple[int, ...]] = {}
    for k, r in enumerate(order):
        index[id(r)] = k
        a = r.array
        v = r.value if a is None else a._buffer()  # (a variable: its current value)
        values.append(v)
        if rows is None:
            continue
        if r.key is None:
            rows = None  # (custom Functions, create_graph results)
        elif r.inputs:
            at = positions.get(id(r.inputs))
            if at is None:
                at = positions[id(r.inputs)] = tuple([index[id(i)] for i in r.inputs])
            rows.append((r.key, at, v is not None and v.strides))
        else:  # a leaf or a variable
            rows.append((r.key, v.shape, v.dtype, v.strides, a is not None and a._grad_req))
    return None if rows is None else tuple(rows), values, index


def _materialize(rec: Rec) -> Node:
    """The graph node of a record (its operands' first): built once, kept."""
    if rec.node is None:
        if rec.build is None:  # a leaf
            rec.node = var(rec.value.shape, rec.value.dtype)
        else:
            rec.node = rec.build(*(i.node for i in rec.inputs))
    return rec.node


def _lower_backward(grads: list[Node], order: list[Rec], values: list[Any],
                    last_first: bool = False) -> tuple[Program, list[int]]:
    """Compile the backward graph with every recorded node that has a value cut into an
    input: the program reads the forward values and recomputes only what was not kept.
    With `last_first` its outputs are the gradients in reverse order: the program
    computes them in the order of its outputs where it can, and variables are recorded
    in the order the forward pass first uses them, so the last layers' gradients, which
    need the least of the backward pass, are final first (for a gradient watcher: a
    distributed Trainer sums them while the rest is computed)."""
    position: dict[Node, int] = {}
    for k, r in enumerate(order):
        if values[k] is not None:
            position.setdefault(r.node, k)  # type: ignore[arg-type]
    cut = [n for n in toposort(grads, stop=position) if n in position]
    inputs = {n: var(n.shape, n.dtype) for n in cut}
    positions = [position[n] for n in cut]
    layouts = [Layout.of(values[k]) for k in positions]
    outputs = substitute(grads[::-1] if last_first else grads, inputs)
    return lower_graph(outputs, list(inputs.values()), layouts), positions


def _free(heads: Sequence[Any], order: list[Rec]) -> None:
    """Mark the heads' graph freed (MXNet's retain_graph=False) and drop its kept values."""
    for h in heads:
        h._freed = True
    for r in order:
        if r.value is not None and r.build is not None:
            r.value = None
            _valued.discard(r)


def backward(heads: Any, head_grads: Any = None, retain_graph: bool = False,
             train_mode: bool = True) -> None:
    """Compute gradients of `heads` into the `.grad` of every variable they depend on.

    >>> with mx.autograd.record(): y = (x * x).sum()  # doctest: +SKIP
    >>> mx.autograd.backward(y)  # doctest: +SKIP
    """
    heads = as_list(heads)
    wrt, grads, _, order = _gradients(heads, head_grads, None, False, watched=True)
    for k, rec in enumerate(wrt):
        g = grads[k]
        # (3: the list's, this frame's `g` and getrefcount's argument: no other result,
        # input or program holds the gradient, so the variable's buffer may take it over)
        owned = sys.getrefcount(g) <= 3
        v = rec.array
        v._grad._store_values(g, v._grad_req == "add", owned)
        v._fresh_grad = True
    if not retain_graph:
        _free(heads, order)


def grad(heads: Any, variables: Any, head_grads: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, train_mode: bool = True) -> list[Any]:
    """Gradients of `heads` w.r.t. `variables`, returned as new arrays.

    With `create_graph=True` the gradients are recorded too, so they can be differentiated.

    >>> dx, = mx.autograd.grad(y, [x], create_graph=True)  # doctest: +SKIP
    """
    heads, variables = as_list(heads), as_list(variables)
    _check_heads(heads)
    reachable = {id(r) for r in _toposort([h._rec for h in heads])}
    for k, v in enumerate(variables):
        if v._rec is None or id(v._rec) not in reachable:
            raise AutogradError(f"grad: variable {k} (shape {v.shape}) is not on any path to "
                                "the heads; nothing was recorded between them")
    _, values, nodes, order = _gradients(heads, head_grads, variables, create_graph)
    out = []
    for k, (v, value) in enumerate(zip(variables, values)):
        g = v._result_class._wrap(np.array(value, copy=True))
        if create_graph:  # a record over the whole graph, whose node is the gradient's
            g._rec = _record(None, None, tuple(order), g._data, nodes[k])  # type: ignore
        out.append(g)
    if not (create_graph if retain_graph is None else retain_graph):
        _free(heads, order)
    return out


def as_list(x: Any) -> list[Any]:
    """One array or a list/tuple of them, as a list."""
    return list(x) if isinstance(x, (list, tuple)) else [x]


# ---- host calls: Python functions with their own backward ----------------------------------


class HostSlot:
    """The host function a `host_call` node calls through. A recorded call's node holds a
    slot rather than the function itself, so a backward program compiled for one recorded
    graph serves every later graph of the same structure: before it runs, each slot is
    pointed at the host function of that graph's record (`_gradients`)."""

    def __init__(self, target: Any):
        self.target = target

    @property
    def name(self) -> str:
        return self.target.name  # type: ignore[no-any-return]

    @property
    def input_names(self) -> Any:
        return getattr(self.target, "input_names", None)

    @property
    def output_names(self) -> Any:
        return getattr(self.target, "output_names", None)

    def forward(self, operands: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self.target.forward(operands)  # type: ignore[no-any-return]

    def backward(self, operands: Sequence[np.ndarray], results: Sequence[np.ndarray],
                 cotangents: Sequence[np.ndarray], wanted: Sequence[int]) -> list[Any]:
        return self.target.backward(operands, results, cotangents,  # type: ignore
                                    wanted)


def _host_nodes(*nodes: Node, slot: HostSlot, avals: tuple) -> list[Node]:
    return [apply("host_call", *nodes, fn=slot, index=k, avals=avals) for k in range(len(avals))]


def record_host(results: Sequence[Any], host: Any, args: Sequence[Any], key: Any) -> None:
    """Record `results`, computed by the host function `host` (see `trace/host.py`) from
    `args`, when an operand depends on a variable. `key` (hashable) must determine `host`'s
    code and its results' shapes and dtypes given its operands': graphs recorded with equal
    keys share one compiled backward program, which then calls each graph's own `host`.

    >>> record_host([y], MyHost(), [x], ('my_host',))  # doctest: +SKIP
    """
    if not any(a._rec is not None for a in args):
        return
    avals = tuple(AbstractValue(r.shape, r._dtype) for r in results)
    build = functools.partial(_host_nodes, slot=HostSlot(host), avals=avals)
    record_call(results, build, args, ("host", key, avals))
    for r in results:
        r._rec.host = host


def record_call(results: Sequence[Any], build: Callable[..., list[Node]], args: Sequence[Any],
                key: Any, residuals: Sequence[Any] = ()) -> None:
    """Record a call with several results (a jitted function) when an operand depends on
    a variable. `build(*operand nodes)` returns the nodes of the results followed by those
    of `residuals`: values the call computed besides its results that a backward pass
    reads, kept so that it does not compute them again. `key` (hashable) must determine
    `build` given its operands' shapes and dtypes.

    >>> record_call([y], lambda x: [apply('exp', x)], [x], ('my_exp',))  # doctest: +SKIP
    """
    for a in args:
        if a._rec is not None:
            break
    else:
        return
    operands = tuple([_leaf(a) for a in args])
    n_results, n_operands = len(results), len(operands)
    memo: dict[tuple[int, ...], list[Node]] = {}

    def built(nodes: Sequence[Node]) -> list[Node]:
        ids = tuple(map(id, nodes))
        got = memo.get(ids)
        if got is None:
            memo.clear()
            got = memo[ids] = build(*nodes)
        return got

    def residual(j: int, *nodes: Node) -> Node:
        return built(nodes)[n_results + j]

    def result(k: int, *nodes: Node) -> Node:
        return built(nodes[:n_operands])[k]

    partial = functools.partial
    kept = tuple([_record((key, "residual", j), partial(residual, j), operands, value)
                  for j, value in enumerate(residuals)])
    inputs = operands + kept
    for k, r in enumerate(results):
        r._rec = _record((key, k), partial(result, k), inputs, r._data)
