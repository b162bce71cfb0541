"""Loops and branches as graph operations: `scan`, `fori_loop`, `while_loop`, `cond` and
`switch` (JAX's `lax` names and signatures; `mx.lax` exports them).

Each traces its functions once, on abstract per-step values, into closed subgraphs (the
primitives of `trace/control.py`); what they read from outside (arrays of an enclosing
trace, eager arrays, random keys) becomes explicit operands. Inside a trace (`jit`, `grad`,
a hybridized block, another loop's body) the result is traced nodes; called eagerly, the
loop runs as a compiled program (cached by body and shapes, so a second call compiles
nothing), recorded on the autograd tape as one call whose backward pass reads the stacks
the forward loop kept.

A body is traced once: Python control flow inside it sees tracers, and `bool(x)` of one is
an error (use `cond`). A random draw inside a `scan` body reads a key per step (the keys are
one more scanned operand, drawn from the random stream at each call), so every step draws
anew; inside a `while_loop` body (whose number of steps is not known in advance) every step
sees the same numbers.

    >>> step = lambda c, x: (c + x, c * x)
    >>> carry, ys = scan(step, mx.nd.zeros(3), mx.nd.ones((4, 3)))  # doctest: +SKIP
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, ControlFlowError, ParamError
from ..lower import Layout, Program, lower_graph
from ..trace import Node, apply, toposort, var
from ..trace.control import make_body, outer_nodes, scan_backward_reads
from ..trace.simplify import fill
from . import tape
from .array import Array, default_array_class
from .dispatch import bind, lift
from .jit import _as_buffer
from .pytree import tree_flatten, tree_unflatten
from .random import eager_bits, next_key_value
from .trace_state import TraceState, current_trace, random_key_input, trace_stack


class LoopTrace(TraceState):
    """The trace of a loop body: an eager array the body reads becomes an operand of the
    loop (a var of the body), not a constant, so a body over new weights is the same body."""

    def __init__(self) -> None:
        super().__init__()
        self.lifted: dict[int, tuple[Any, Node]] = {}

    def lift(self, array: Any) -> Node:
        got = self.lifted.get(id(array))
        if got is None:
            got = self.lifted[id(array)] = (array, var(array.shape, array._dtype))
        return got[1]


# ---- pytrees of arrays -------------------------------------------------------------------------


def _leaf_array(x: Any, what: str) -> Array:
    """A leaf of a loop's argument as an array: Python numbers become 0-d arrays (float32,
    int32, bool as in JAX), NumPy arrays arrays of the default class."""
    if isinstance(x, Array):
        return x
    if isinstance(x, (bool, np.bool_)):
        x = np.asarray(x, np.bool_)
    elif isinstance(x, (int, np.integer)) and not isinstance(x, np.ndarray):
        x = np.asarray(x, np.int32)
    elif isinstance(x, (float, np.floating)):
        x = np.asarray(x, np.float32)
    if isinstance(x, np.ndarray):
        return default_array_class()._wrap(_contiguous(x))  # type: ignore[no-any-return]
    raise ArgumentError(f"{what} must be a pytree of arrays; it holds a {type(x).__name__} "
                        f"({x!r:.40})")


def _contiguous(a: np.ndarray) -> np.ndarray:
    # (np.ascontiguousarray would make a 0-d array 1-d)
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def _flatten(tree: Any, what: str) -> tuple[list[Array], Any]:
    leaves, treedef = tree_flatten(tree)
    return [_leaf_array(x, what) for x in leaves], treedef


def _aval_text(a: Any) -> str:
    return f"{np.dtype(a.dtype).name}{list(a.shape)}"


def _node(a: Array, state: TraceState) -> Node:
    return a._node if a._node is not None else state.lift(a)


class _Traced:
    """A function traced on abstract arrays: its input vars, output nodes and structure."""

    def __init__(self, fn: Callable[..., Any], args: Sequence[tuple[Any, list[Array]]],
                 shapes: Sequence[Sequence[tuple[int, ...]]], what: str):
        """`args`: each argument's structure and the arrays standing for its leaves, whose
        class and dtype the tracers take, with the shapes in `shapes`."""
        self.state = LoopTrace()
        self.inputs: list[Node] = []
        self.nodes: list[Node] = []  # (the nodes of what it returned, set by the caller)
        traced_args = []
        for (treedef, leaves), leaf_shapes in zip(args, shapes):
            tracers = []
            for a, shape in zip(leaves, leaf_shapes):
                v = var(shape, a._dtype)
                self.inputs.append(v)
                tracers.append(a._result_class._traced(v))
            traced_args.append(tree_unflatten(treedef, tracers) if treedef is not None else None)
        stack = trace_stack()
        stack.append(self.state)
        try:
            self.out = fn(*traced_args)
        finally:
            stack.pop()
        self.what = what

    def flat(self, tree: Any, what: str, like: Sequence[Array] = ()
             ) -> tuple[list[Node], Any, list[type]]:
        """The nodes, structure and classes of a tree the function returned (Python numbers
        take the dtype of the array they stand where `like` has one)."""
        leaves, treedef = tree_flatten(tree)
        nodes, classes = [], []
        for k, x in enumerate(leaves):
            if isinstance(x, (bool, int, float)) and k < len(like):
                x = np.asarray(x, like[k]._dtype)
            a = _leaf_array(x, what)
            nodes.append(_node(a, self.state))
            classes.append(a._result_class)
        return nodes, treedef, classes


def _check_carry(what: str, init: Sequence[Array], init_tree: Any, nodes: Sequence[Node],
                 tree: Any, name: str = "the carry") -> None:
    if tree != init_tree:
        raise ControlFlowError(
            f"{what}: {name} must keep its structure from step to step: it enters as "
            f"{_structure_text(init_tree, init)} and the step returns "
            f"{_structure_text(tree, nodes)}")
    for k, (a, n) in enumerate(zip(init, nodes)):
        if a.shape != n.shape or a._dtype != n.dtype:
            raise ControlFlowError(
                f"{what}: carries must keep their shape and dtype from step to step: "
                f"{name}'s array {k} enters as {_aval_text(a)} and the step returns "
                f"{_aval_text(n)}")


class _Shown:
    """A leaf in an error message: its shape and dtype."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _structure_text(treedef: Any, leaves: Sequence[Any] | None = None) -> str:
    """A structure as Python shows it, each leaf as `*` or as its dtype and shape."""
    count, stack = 0, [treedef]
    while stack:
        d = stack.pop()
        if d == "*":
            count += 1
        elif isinstance(d, tuple) and len(d) == 3:
            stack.extend(d[2])
    shown = [_Shown(_aval_text(x)) for x in leaves] if leaves is not None else [
        _Shown("*")] * count
    try:
        return repr(tree_unflatten(treedef, shown))
    except Exception:
        return repr(treedef)


# ---- operands and running ------------------------------------------------------------------


def _operands(traced: Sequence[_Traced]) -> tuple[list[Node], list[Any]]:
    """The outer nodes the traced functions read (all of them, in order) and what each
    stands for outside: a node of an enclosing trace, an eager array or a random key."""
    outer: dict[Node, Any] = {}
    for t in traced:
        # (what is computed from the body's own eager arrays and keys stays in the body)
        lifted: dict[Node, Any] = {node: array for array, node in t.state.lifted.values()}
        lifted.update((k, _KEY) for k in t.state.random_keys)
        reached = set(toposort(t.nodes))
        for n, source in lifted.items():
            if n in reached and n not in outer:
                outer[n] = source
        for n in outer_nodes(t.inputs + list(lifted), t.nodes):
            outer.setdefault(n, n)
    return list(outer), list(outer.values())


_KEY = object()  # (an operand that is a fresh random key)


class _StepKeys:
    """An operand of `length` fresh random keys, one per step of a scan."""

    def __init__(self, length: int):
        self.length = length

    def resolve(self, traced: bool) -> Any:
        shape = (self.length, 2)
        if traced:
            return apply("random_bits", random_key_input(), shape=shape)
        return default_array_class()._wrap(eager_bits(next_key_value(), shape))


def _resolve(sources: Sequence[Any], traced: bool) -> list[Any]:
    """The loop's closed-over operands in the caller's world: nodes (traced) or arrays."""
    out: list[Any] = []
    for s in sources:
        if isinstance(s, Node):
            if not traced:
                raise AssertionError("a traced value outside any trace")
            out.append(s)
        elif isinstance(s, _StepKeys):
            out.append(s.resolve(traced))
        elif s is _KEY:
            out.append(random_key_input() if traced
                       else default_array_class()._wrap(next_key_value()))
        else:
            out.append(lift(s) if traced else s)
    return out


#: Eager loops' programs by (primitive, attributes, results, recording, operand shapes).
MAX_EAGER_PROGRAMS = 256
_eager: OrderedDict[Any, tuple[Program, list[int]]] = OrderedDict()
_lock = threading.Lock()


def _apply(op: str, operands: Sequence[Any], attrs: dict[str, Any], n_results: int,
           classes: Sequence[Any]) -> list[Any]:
    """The results of the loop `op(*operands, **attrs)`: traced nodes when any operand is a
    node, else computed now (and recorded on the tape when recording)."""
    if any(isinstance(o, Node) for o in operands):
        nodes = [o if isinstance(o, Node) else lift(o) for o in operands]
        return [c._traced(apply(op, *nodes, index=i, **attrs))
                for i, c in zip(range(n_results), classes)]
    arrays: list[Array] = list(operands)
    buffers = [_contiguous(_as_buffer(a)) for a in arrays]
    recording = bool(tape.recording_threads and tape.is_recording()
                     and any(a._rec is not None for a in arrays))
    frozen = tuple(sorted(attrs.items()))
    key = (op, frozen, n_results, recording, tuple((b.shape, b.dtype) for b in buffers))
    with _lock:
        entry = _eager.get(key)
        if entry is not None:
            _eager.move_to_end(key)
    if entry is None:
        vs = [var(b.shape, b.dtype) for b in buffers]
        nodes = [apply(op, *vs, index=i, **attrs) for i in range(n_results)]
        extra = scan_backward_reads(nodes[0]) if recording and op == "scan" else []
        nodes += [apply(op, *vs, index=i, **attrs) for i in extra]
        program = lower_graph(nodes, vs, [Layout.contiguous(b.shape) for b in buffers])
        entry = (program, extra)
        with _lock:
            _eager[key] = entry
            if len(_eager) > MAX_EAGER_PROGRAMS:
                _eager.popitem(last=False)
    program, extra = entry
    outs = program.run(buffers)
    results = [c._wrap(o) for c, o in zip(classes, outs)]
    if recording:
        wanted = list(range(n_results)) + extra

        def build(*nodes: Node) -> list[Node]:
            return [apply(op, *nodes, index=i, **attrs) for i in wanted]

        tape.record_call(results, build, arrays, (op, frozen, tuple(wanted)), outs[n_results:])
    return results


# ---- scan ------------------------------------------------------------------------------------


def scan(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None,
         length: int | None = None, reverse: bool = False) -> tuple[Any, Any]:
    """Loop `f(carry, x) -> (carry, y)` over the leading axis of `xs`: returns the final
    carry and the `y`s stacked along a new leading axis (JAX's `lax.scan`). `init` and `xs`
    are pytrees of arrays; `xs` None scans `length` steps with `x` None; `reverse` runs from
    the last row to the first (the `y`s keep the rows' order). `f` is traced once and
    compiled once, whatever the length; gradients flow to `init`, `xs` and every array `f`
    reads.

    >>> step = lambda h, x: (mx.nd.tanh(h + x), h)
    >>> h, hs = mx.lax.scan(step, mx.nd.zeros(3), mx.nd.ones((100, 3)))  # doctest: +SKIP
    """
    return scan_as("scan", f, init, xs, length, reverse)


def scan_as(what: str, f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None,
            length: int | None = None, reverse: bool = False) -> tuple[Any, Any]:
    """`scan`, its errors naming `what` (the operator built on it: MXNet's foreach).

    >>> step = lambda c, x: (c + x, c)
    >>> scan_as("foreach", step, mx.nd.zeros(2), mx.nd.ones((3, 2)))  # doctest: +SKIP
    """
    if not callable(f):
        raise ArgumentError(f"{what}: f must be a function, got {type(f).__name__}")
    init_leaves, init_tree = _flatten(init, f"{what}: init")
    x_leaves, x_tree = _flatten(xs, f"{what}: xs")
    steps = _scan_length(x_leaves, length, what)
    x_shapes = [x.shape[1:] for x in x_leaves]
    traced = _Traced(lambda c, x: f(c, x), [(init_tree, init_leaves), (
        x_tree if xs is not None else None, x_leaves)],
        [[a.shape for a in init_leaves], x_shapes], what)
    out = traced.out
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise ControlFlowError(f"{what}: f must return a pair (carry, y), got "
                               f"{type(out).__name__}")
    c_nodes, c_tree, c_classes = traced.flat(out[0], f"{what}: f's carry",
                                             init_leaves)
    _check_carry(what, init_leaves, init_tree, c_nodes, c_tree)
    y_nodes, y_tree, y_classes = traced.flat(out[1], f"{what}: f's y")
    traced.nodes = c_nodes + y_nodes
    outer, sources = _operands([traced])
    # a random draw in the body reads a key per step (one more xs): each step draws anew
    keys = [n for n, src in zip(outer, sources) if src is _KEY]
    rest = [(n, src) for n, src in zip(outer, sources) if src is not _KEY]
    body = make_body(traced.inputs + keys + [n for n, _ in rest], c_nodes + y_nodes)
    operands = _caller_operands(init_leaves + x_leaves,
                                [_StepKeys(steps)] * len(keys) + [src for _, src in rest])
    attrs = dict(body=body, n_carry=len(init_leaves), n_xs=len(x_leaves) + len(keys),
                 length=steps, reverse=bool(reverse))
    results = _apply("scan", operands, attrs, len(c_nodes) + len(y_nodes),
                     c_classes + y_classes)
    return (tree_unflatten(c_tree, results[:len(c_nodes)]),
            tree_unflatten(y_tree, results[len(c_nodes):]))


def _caller_operands(leaves: Sequence[Array], sources: Sequence[Any]) -> list[Any]:
    """A loop's operands where it is called: its arguments' leaves, then what its functions
    closed over; nodes inside a trace, else eager arrays."""
    traced = (current_trace() is not None or any(a._node is not None for a in leaves)
              or any(isinstance(s, Node) for s in sources))
    if not traced:
        return list(leaves) + _resolve(sources, False)
    return [a._node if a._node is not None else lift(a) for a in leaves] + _resolve(sources,
                                                                                   True)


def _scan_length(x_leaves: Sequence[Array], length: int | None, what: str) -> int:
    for x in x_leaves:
        if x.ndim == 0:
            raise ControlFlowError(f"{what}: the arrays of xs need a leading axis to scan "
                                   f"over; one is 0-d")
    lengths = sorted({x.shape[0] for x in x_leaves})
    if len(lengths) > 1:
        raise ControlFlowError(f"{what}: the arrays of xs differ in length: "
                               f"{[x.shape[0] for x in x_leaves]}")
    if length is not None:
        if not isinstance(length, (int, np.integer)) or length < 0:
            raise ParamError(f"{what}: length must be a whole number >= 0, got {length!r}")
        if lengths and lengths[0] != length:
            raise ControlFlowError(f"{what}: length={length} but xs has {lengths[0]} rows")
        return int(length)
    if not lengths:
        raise ParamError(f"{what}: give xs or length (the number of steps)")
    return lengths[0]


# ---- fori_loop, while_loop ---------------------------------------------------------------------


def fori_loop(lower: int | Any, upper: int | Any, body_fun: Callable[[Any, Any], Any],
              init_val: Any) -> Any:
    """`val = body_fun(i, val)` for i from `lower` to `upper - 1`; returns the last `val`
    (JAX's `lax.fori_loop`). With Python int bounds it is a `scan` (reverse-differentiable);
    with traced bounds a `while_loop` (not). `i` is an int32 0-d array.

    >>> mx.lax.fori_loop(0, 10, lambda i, v: v * 2, mx.nd.ones(2))  # doctest: +SKIP
    [1024. 1024.]
    """
    bounds = [_static_int(b) for b in (lower, upper)]
    if bounds[0] is not None and bounds[1] is not None:
        lo, hi = bounds
        start = default_array_class()._wrap(np.asarray(lo, np.int32))

        def step(carry: Any, _: Any) -> tuple[Any, None]:
            i, val = carry
            return (i + 1, body_fun(i, val)), None

        (_, val), _ = scan(step, (start, init_val), None, length=max(hi - lo, 0))  # type: ignore
        return val
    i0, end = (bind("reshape", bind("cast", _leaf_array(b, "fori_loop: a bound"),
                                     dtype=np.dtype(np.int32)), shape=())
               for b in (lower, upper))
    _, _, val = while_loop(lambda c: bind("lt", c[0], c[1]),
                           lambda c: (bind("add", c[0], _one_like(c[0])), c[1],
                                      body_fun(c[0], c[2])), (i0, end, init_val))
    return val


def _one_like(i: Array) -> Array:
    return i._result_class._wrap(np.ones((), i._dtype)) if i._node is None else \
        i._result_class._traced(fill(1, i._node.aval))


def _static_int(b: Any) -> int | None:
    """A loop bound known now (a Python int or an eager one-element array), else None."""
    if isinstance(b, (int, np.integer)) and not isinstance(b, bool):
        return int(b)
    if isinstance(b, Array) and b._node is None and b.size == 1:
        return int(b.asscalar())
    if isinstance(b, Array):
        return None
    raise ArgumentError(f"fori_loop: bounds must be ints or integer arrays, got "
                        f"{type(b).__name__}")


def while_loop(cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any],
               init_val: Any) -> Any:
    """`val = body_fun(val)` while `cond_fun(val)` is true; returns the last `val` (JAX's
    `lax.while_loop`). Both functions are traced once; `cond_fun` must return one boolean
    (a one-element array). Not reverse-differentiable, as in JAX: for gradients use `scan`,
    `fori_loop` with int bounds, or `mx.nd.contrib.while_loop` (max_iterations).

    >>> mx.lax.while_loop(lambda v: v.sum() < 100, lambda v: v * 2, mx.nd.ones(2))  # doctest: +SKIP
    [64. 64.]
    """
    what = "while_loop"
    for fn, name in ((cond_fun, "cond_fun"), (body_fun, "body_fun")):
        if not callable(fn):
            raise ArgumentError(f"{what}: {name} must be a function, got {type(fn).__name__}")
    leaves, treedef = _flatten(init_val, f"{what}: init_val")
    shapes = [[a.shape for a in leaves]]
    tc = _Traced(cond_fun, [(treedef, leaves)], shapes, what)
    pred = _predicate(tc, tc.out, f"{what}: cond_fun")
    tc.nodes = [pred]
    tb = _Traced(body_fun, [(treedef, leaves)], shapes, what)
    nodes, tree, classes = tb.flat(tb.out, f"{what}: body_fun's result", leaves)
    _check_carry(what, leaves, treedef, nodes, tree, "the loop value")
    tb.nodes = nodes
    outer, sources = _operands([tc, tb])
    cond = make_body(tc.inputs + outer, [pred])
    body = make_body(tb.inputs + outer, nodes)
    attrs = dict(cond=cond, body=body, n_carry=len(leaves))
    results = _apply("while_loop", _caller_operands(leaves, sources), attrs, len(leaves),
                     classes)
    return tree_unflatten(tree, results)


def _predicate(traced: _Traced, value: Any, what: str) -> Node:
    """A traced condition as a 0-d boolean node."""
    if isinstance(value, (bool, np.bool_, int, float)):
        value = np.asarray(bool(value))
    a = _leaf_array(value, f"{what}'s result")
    if a.size != 1:
        raise ControlFlowError(f"{what} must return one boolean (a one-element array), got "
                               f"shape {a.shape}")
    n = apply("reshape", _node(a, traced.state), shape=())
    if n.dtype.kind != "b":
        n = apply("ne", n, fill(0, n.aval))
    return n


# ---- cond, switch ----------------------------------------------------------------------------


def cond(pred: Any, true_fun: Callable[..., Any], false_fun: Callable[..., Any],
         *operands: Any) -> Any:
    """`true_fun(*operands)` if `pred` (one boolean or number) is true, else
    `false_fun(*operands)` (JAX's `lax.cond`). Both are traced (they must return the same
    structure, shapes and dtypes); only the branch chosen runs, inside compiled code too.
    Under `vmap` with a batched `pred`, both run and each example's result is selected.

    >>> mx.lax.cond(x.sum() > 0, lambda v: v * 2, lambda v: -v, x)  # doctest: +SKIP
    """
    return switch_as("cond", pred, [false_fun, true_fun], operands, ("false_fun", "true_fun"))


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """`branches[index](*operands)`, `index` clipped to the branches (JAX's `lax.switch`).

    >>> mx.lax.switch(k, [lambda v: v, lambda v: v * 2, lambda v: v * 3], x)  # doctest: +SKIP
    """
    branches = list(branches)
    if not branches:
        raise ParamError("switch: give at least one branch")
    return switch_as("switch", index, branches, operands,
                     tuple(f"branch {k}" for k in range(len(branches))))


def switch_as(what: str, pred: Any, fns: Sequence[Callable[..., Any]], operands: tuple,
              names: tuple[str, ...]) -> Any:
    """`switch`, its errors naming `what` and the branches `names` (MXNet's cond).

    >>> names = ("else_func", "then_func")
    >>> switch_as("cond", p, [lambda: b, lambda: a], (), names)  # doctest: +SKIP
    """
    for fn, name in zip(fns, names):
        if not callable(fn):
            raise ArgumentError(f"{what}: {name} must be a function, got {type(fn).__name__}")
    p = _leaf_array(pred, f"{what}: the predicate")
    if p.size != 1:
        raise ControlFlowError(f"{what}: the predicate must be one boolean or number (a "
                               f"one-element array), got shape {p.shape}")
    leaves, treedef = _flatten(list(operands), f"{what}: the operands")
    shapes = [[a.shape for a in leaves]]
    traced = [_Traced(lambda ops, fn=fn: fn(*ops), [(treedef, leaves)], shapes, what)
              for fn in fns]
    flat = [t.flat(t.out, f"{what}: {name}'s result") for t, name in zip(traced, names)]
    nodes0, tree0, classes = flat[0]
    for (nodes, tree, _), name in zip(flat[1:], names[1:]):
        if tree != tree0 or [_aval_text(n) for n in nodes] != [_aval_text(n) for n in nodes0]:
            raise ControlFlowError(
                f"{what}: the branches' results must match (the same structure of arrays, "
                f"shapes and dtypes): {name} gives {_structure_text(tree, nodes)}, "
                f"{names[0]} gives {_structure_text(tree0, nodes0)}")
    for t, (nodes, _, _) in zip(traced, flat):
        t.nodes = nodes
    outer, sources = _operands(traced)
    bodies = tuple(make_body(t.inputs + outer, nodes) for t, (nodes, _, _) in zip(traced, flat))
    ops = _caller_operands([p] + leaves, sources)
    ops[0] = _pick(ops[0])
    results = _apply("cond", ops, dict(branches=bodies), len(nodes0), classes)
    return tree_unflatten(tree0, results)


def _pick(p: Any) -> Any:
    """The predicate (a node or an eager array) as the 0-d bool or int32 that picks a
    branch."""
    if isinstance(p, Node):
        n = apply("reshape", p, shape=())
        if n.dtype.kind == "f":
            n = apply("ne", n, fill(0, n.aval))
        elif n.dtype.kind in "iu" and n.dtype != np.int32:
            n = apply("cast", n, dtype=np.dtype(np.int32))
        return n
    v = np.asarray(p._buffer()).reshape(())
    v = v != 0 if v.dtype.kind == "f" else v.astype(np.int32) if v.dtype.kind in "iu" else v
    return default_array_class()._wrap(_contiguous(v))


__all__ = ["scan", "fori_loop", "while_loop", "cond", "switch"]
