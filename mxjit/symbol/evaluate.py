"""Running a symbol graph: each node calls its operator's implementation on the arrays of
its inputs (traced arrays when binding, so a bound symbol is one compiled program), and
shape and dtype inference by tracing the graph on abstract values.

Inference gives every variable whose shape is known a traced value and the others a
`PendingVariable`; an operator meeting a pending input completes its shape through its
input-shape rule (FullyConnected's weight from its data), as MXNet's backward shape
inference does. Sizes still unknown (`UNKNOWN` here: a variable given (0, 10), or (-1, 10)
under NumPy shape semantics, a `zeros((0, 4))`) are traced as sentinel sizes, and where a
later node's rule says what such an input must be (an elemwise operand is the other's
shape) the sizes are solved and the graph traced again. A shape that a consumer's rule
gives to the result of a shape-keeping operator (`SAME_SHAPE_INPUTS`: a Cast, an
elementwise function) is handed back to that operator's open inputs, as MXNet's
inference runs backwards too. What stays unknown is UNKNOWN in the `Partial` shapes
inference gives (the front end writes MXNet's 0, or -1 under NumPy shape semantics).

    >>> outs = evaluate(sym._outputs, {id(node): array for node, array in feeds})  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import MXNetError, NotOverriddenError, ShapeError
from ..core import default_array_class
from ..core.operators import (
    BACKWARD_SHAPE_RULES,
    INPUT_SHAPE_RULES,
    SAME_SHAPE_INPUTS,
    PendingInput,
)
from ..core.trace_state import TraceState, trace_stack
from ..nd import sparse_graph
from ..trace import var
from ..util import is_np_shape
from .graph import Node, topological

#: MXNet's dtype codes (the `__dtype__` attribute of variables).
DTYPE_CODES = {0: "float32", 1: "float64", 2: "float16", 3: "uint8", 4: "int32", 5: "int8",
               6: "int64", 7: "bool"}
CODE_OF = {np.dtype(v): k for k, v in DTYPE_CODES.items()}

#: An unknown size in the shapes inference works with (0 is a real size in here).
UNKNOWN = -1
#: The axis under which `found` records the rank found for an input of unknown rank.
RANK = -1


#: Operators whose values need their arrays' storage, with the eager forms that compute
#: them: DGL's graph operators read a CSR graph's stored edge ids (0 included), which
#: dense arrays lose. A node of one runs its eager form when no argument is traced; traced,
#: the table's implementation gives only the outputs' shapes and dtypes (ops/dgl_graph.py).
EAGER_FORMS: dict[str, Callable[..., Any]] = {
    "_contrib_dgl_csr_neighbor_uniform_sample": sparse_graph.dgl_csr_neighbor_uniform_sample,
    "_contrib_dgl_csr_neighbor_non_uniform_sample":
        sparse_graph.dgl_csr_neighbor_non_uniform_sample,
    "_contrib_dgl_subgraph": sparse_graph.dgl_subgraph,
    "_contrib_dgl_graph_compact": sparse_graph.dgl_graph_compact,
    "_contrib_dgl_adjacency": sparse_graph.dgl_adjacency,
}


def call_node(node: Node, args: Sequence[Any], **overrides: Any) -> list[Any]:
    """The outputs of `node`'s operator on `args` (with parameters in `overrides` replaced);
    an error names the node."""
    op = node.op
    assert op is not None
    params = {**node.params(), **overrides}
    if node.subgraphs:
        params["subgraphs"] = [subgraph_function(heads) for heads in node.subgraphs]
    impl = op.impl
    if op.name in EAGER_FORMS and all(getattr(a, "_node", None) is None for a in args):
        impl = EAGER_FORMS[op.name]
    try:
        names = [] if op.variadic else node.input_names()
        if op.variadic or list(op.inputs[:len(names)]) == names:
            out = impl(*args, **params)  # (some implementations take arrays by position only)
        else:
            out = impl(**dict(zip(names, args)), **params)
    except MXNetError as e:
        e.args = (f"{op.name} {node.name!r}: {e}",) + e.args[1:]
        raise
    return list(out) if isinstance(out, (list, tuple)) else [out]


def evaluate(outputs: Sequence[tuple[Node, int]], feeds: dict[int, Any],
             computed: dict[int, list[Any]] | None = None) -> list[Any]:
    """The values of `outputs` with each variable node (by id) given in `feeds`, and the
    outputs of the nodes in `computed` (by id) taken as they are there."""
    results: dict[int, list[Any]] = dict(computed or {})
    solved: dict[int, tuple[int, ...]] | None = None  # (open creations' shapes, when met)
    for node in topological(outputs):
        if id(node) in results:
            continue
        if node.op is None:
            if id(node) not in feeds:
                raise MXNetError(f"variable {node.name!r} has no value: give it when binding")
            results[id(node)] = [feeds[id(node)]]
        elif _is_open_creation(node):
            if solved is None:
                solved = _fixpoint(outputs, {i: (tuple(a.shape), a.dtype)
                                             for i, a in feeds.items()})[2]
            template = solved.get(id(node), _creation_template(node))
            results[id(node)] = ([call_node(node, [], shape=template)[0]]
                                 if template is not None and UNKNOWN not in template
                                 else [PendingCreation(node, template)])
        else:
            args = [_settled(results[id(n)][k]) for n, k in node.inputs]
            if not _complete(node, args):
                raise ShapeError(f"{node.op.name} {node.name!r}: cannot infer the shape of "
                                 f"{_pending_names(args)} from its other inputs")
            results[id(node)] = call_node(node, args)
    outs = [_settled(results[id(n)][k]) for n, k in outputs]
    if _pending_names(outs):
        raise ShapeError(f"the shape of {_pending_names(outs)} is never constrained: give "
                         f"its full shape")
    return outs


def subgraph_function(outputs: Sequence[tuple[Node, int]]) -> Any:
    """The graph with these outputs as a function of its variables' arrays (in
    `list_inputs()` order) that returns the list of its outputs: a control-flow body.

    >>> body = subgraph_function(node.subgraphs[0])  # doctest: +SKIP
    """
    variables = [n for n in topological(outputs) if n.op is None]

    def body(*arrays: Any) -> list[Any]:
        if len(arrays) != len(variables):
            raise MXNetError(f"a subgraph of inputs {[v.name for v in variables]} got "
                             f"{len(arrays)} arrays")
        return evaluate(outputs, {id(v): a for v, a in zip(variables, arrays)})

    return body


class _Open(PendingInput):
    """An input of (partly) unknown shape: a variable not given a full shape, or a
    creation operator (`zeros`, `ones`, `full`, the samplers) with a 0 in its `shape`,
    which, as in MXNet, is for shape inference to find (an RNN's begin state of batch 0).
    `template` is its shape so far, UNKNOWN where unknown; None when even the rank is.
    `deferred`: a node met it before its shape was found (another pass is then due)."""

    def __init__(self, node: Node, template: tuple[int, ...] | None):
        self.node = node
        self.template = template
        self.value: Any = None
        self.provisional: Any = None  # (its value with sentinel sizes, made once a pass)
        self.deferred = False

    def _make(self, shape: tuple[int, ...]) -> Any:
        raise NotOverriddenError

    def resolve(self, shape: tuple[int, ...]) -> Any:
        t = self.template
        if t is not None and (len(shape) != len(t)
                              or any(d != UNKNOWN and d != s for d, s in zip(t, shape))):
            raise ShapeError(f"{self.describe()} cannot take the shape {tuple(shape)} its "
                             f"consumer needs")
        if self.value is None:
            self.value = self._make(tuple(shape))
        return self.value

    def with_sentinels(self, sentinels: _Sentinels) -> Any:
        """Its value traced with a sentinel size for each unknown dimension (one value per
        pass, so that every consumer sees the same sentinels)."""
        assert self.template is not None
        if self.provisional is None:
            shape = tuple(sentinels.new(id(self.node), axis) if d == UNKNOWN else d
                          for axis, d in enumerate(self.template))
            self.provisional = self._make(shape)
        return self.provisional


class PendingVariable(_Open):
    """A variable whose shape inference has not found yet."""

    def __init__(self, node: Node, dtype: np.dtype, template: tuple[int, ...] | None = None):
        super().__init__(node, template)
        self.dtype = dtype

    def _make(self, shape: tuple[int, ...]) -> Any:
        return default_array_class()._traced(var(shape, self.dtype))

    def describe(self) -> str:
        return f"variable {self.node.name!r}"


class PendingCreation(_Open):
    """A creation node with dimensions left to infer (see `_Open`)."""

    def _make(self, shape: tuple[int, ...]) -> Any:
        return call_node(self.node, [], shape=shape)[0]

    def describe(self) -> str:
        op = self.node.op.name if self.node.op else "null"
        return f"{op} {self.node.name!r} of shape {self.template}"


class Partial:
    """What inference knows of a shape it could not complete: UNKNOWN for each unknown
    size."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = shape


class _Sentinels:
    """Sizes standing for unknown dimensions while a pass traces through them: primes
    below `start` that no real dimension of a graph is likely to have, each remembered as
    (the open node's id, axis). A size at least `FLOOR` that is not a sentinel is one made
    from sentinels (a flattened unknown batch): unknown too. Inference runs twice, from two
    starts, and keeps only what both runs agree on: a size made from sentinels (halved by
    a stride, say) differs between them, however small it came out."""

    FLOOR = 500_000
    STARTS = (999_983, 899_981)

    def __init__(self, start: int) -> None:
        self.where: dict[int, tuple[int, int]] = {}
        self._next = start

    def new(self, node_id: int, axis: int) -> int:
        n = self._next
        while any(n % p == 0 for p in range(2, int(n ** 0.5) + 1)):
            n -= 2
        self._next = n - 2
        self.where[n] = (node_id, axis)
        return n

    def unknown(self, size: int) -> bool:
        return size >= self.FLOOR

    def unify(self, mine: tuple[int, ...], expected: tuple[int, ...]
              ) -> dict[tuple[int, int], int]:
        """(open node id, axis) -> size, from two shapes that must be equal."""
        if len(mine) != len(expected):
            return {}
        found = {}
        for m, e in zip(mine, expected):
            if m in self.where and not self.unknown(e) and e >= 0:
                found[self.where[m]] = int(e)
            elif e in self.where and not self.unknown(m) and m >= 0:
                found[self.where[e]] = int(m)
        return found

    def partial(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(UNKNOWN if self.unknown(d) else int(d) for d in shape)


def _agreed(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """The sizes two inference runs (from different sentinels) agree on; UNKNOWN elsewhere."""
    return tuple(int(x) if x == y else UNKNOWN for x, y in zip(a, b))


class _Provisional:
    """A value traced with sentinel sizes (see `_Sentinels`)."""

    def __init__(self, value: Any):
        self.value = value


def _is_open_creation(node: Node) -> bool:
    """Whether `node` is a creation operator whose shape has dimensions left to infer: a 0
    in its `shape`, or (MXNet's legacy shapes, where () is "unknown") no shape at all, as
    `sym.random.uniform()` and `sym.zeros(shape=())`, which take their consumer's."""
    if node.inputs or node.op is None or not any(p.name == "shape" for p in node.op.params):
        return False
    shape = node.params().get("shape")
    if shape in (None, ()):
        return not is_np_shape()
    return isinstance(shape, tuple) and 0 in shape


def _creation_template(node: Node) -> tuple[int, ...] | None:
    """An open creation's shape with its 0s (the sizes to infer) as UNKNOWN; None when even
    its rank is unknown."""
    shape = node.params().get("shape")
    return tuple(UNKNOWN if d == 0 else d for d in shape) if shape else None


def _settled(value: Any) -> Any:
    """A pending value that has been resolved is its array."""
    return value.value if isinstance(value, _Open) and value.value is not None else value


def _pending_names(args: Sequence[Any]) -> list[str]:
    return [a.describe() for a in args if isinstance(a, PendingInput)]


def _complete(node: Node, args: list[Any]) -> bool:
    """Resolve the pending arguments of `node` in place through its operator's input-shape
    rule, from its known inputs; whether none is left pending."""
    if not any(isinstance(a, PendingInput) for a in args):
        return True
    found = _rule_shapes(node, args)
    for k, (n, a) in enumerate(zip(_input_names(node), args)):
        if isinstance(a, PendingInput) and n in found:
            args[k] = a.resolve(tuple(found[n]))
    return not any(isinstance(a, PendingInput) for a in args)


def infer(outputs: Sequence[tuple[Node, int]], known: dict[int, tuple[Any, Any]]
          ) -> tuple[dict[int, Any], list[Any]]:
    """Trace the graph on abstract values: (for each variable node by id, its traced value,
    or a `Partial` shape; for each output, its traced value, a `Partial` shape or None where
    nothing is known). `known` gives (shape or None, 0 for unknown sizes; dtype) per
    variable node id."""
    values, outs, _ = _fixpoint(outputs, known)
    return values, outs


def _fixpoint(outputs: Sequence[tuple[Node, int]], known: dict[int, tuple[Any, Any]]
              ) -> tuple[dict[int, Any], list[Any], dict[int, tuple[int, ...]]]:
    """Passes of inference until no unknown size is found any more: each pass that finds
    some fills at least one, so this ends. Also gives the open nodes' completed shapes."""
    order = topological(outputs)
    templates: dict[int, tuple[int, ...]] = {}  # (what is known of each open shape)
    for n in order:
        if n.op is None:
            shape = known[id(n)][0]
            if shape is not None and UNKNOWN in shape:
                templates[id(n)] = tuple(shape)
        elif _is_open_creation(n) and (template := _creation_template(n)) is not None:
            templates[id(n)] = template
    first, second = _Sentinels.STARTS
    values, outs, solved = _converge(order, outputs, known, templates, first)
    if not solved and not any(isinstance(o, Partial) for o in outs):
        return values, outs, solved
    _, outs_b, solved_b = _converge(order, outputs, known, templates, second)
    agreed = {i: _agreed(shape, solved_b.get(i) or templates.get(i) or (UNKNOWN,) * len(shape))
              for i, shape in solved.items()}
    if agreed != solved:  # (a size solved from another made of sentinels: unknown after all)
        values, outs = _infer_pass(order, outputs, known, agreed, {}, first)
        _, outs_b = _infer_pass(order, outputs, known, agreed, {}, second)
    outs = [Partial(_agreed(tuple(a.shape), tuple(b.shape)))
            if isinstance(a, Partial) and isinstance(b, Partial) else a
            for a, b in zip(outs, outs_b)]
    return values, outs, agreed


def _converge(order: list[Node], outputs: Sequence[tuple[Node, int]],
              known: dict[int, tuple[Any, Any]], templates: dict[int, tuple[int, ...]],
              start: int) -> tuple[dict[int, Any], list[Any], dict[int, tuple[int, ...]]]:
    """Passes with sentinels from `start` until no pass finds a size."""
    solved: dict[int, tuple[int, ...]] = {}
    while True:
        found: dict[tuple[int, int], int] = {}
        values, outs = _infer_pass(order, outputs, known, solved, found, start)
        if not found:
            return values, outs, solved
        for (node_id, axis), size in found.items():
            if axis == RANK:  # (an input of unknown rank that a consumer gave a shape)
                solved.setdefault(node_id, (UNKNOWN,) * size)
        for (node_id, axis), size in found.items():
            if axis == RANK:
                continue
            shape = list(solved.get(node_id, templates.get(node_id, ())))
            shape[axis] = size
            solved[node_id] = tuple(shape)


def _infer_pass(order: list[Node], outputs: Sequence[tuple[Node, int]],
                known: dict[int, tuple[Any, Any]], solved: dict[int, tuple[int, ...]],
                found: dict[tuple[int, int], int], start: int
                ) -> tuple[dict[int, Any], list[Any]]:
    """One tracing of the graph with the sizes found so far (`solved`); sizes it finds
    go to `found` (another pass is then due)."""
    state = TraceState()
    stack = trace_stack()
    stack.append(state)
    sentinels = _Sentinels(start)
    try:
        results: dict[int, list[Any] | None] = {}
        for node in order:
            if node.op is None:
                shape, dtype = known[id(node)]
                shape = solved.get(id(node), None if shape is None else tuple(shape))
                if shape is not None and UNKNOWN not in shape:
                    results[id(node)] = [default_array_class()._traced(
                        var(shape, np.dtype(dtype)))]
                else:
                    results[id(node)] = [PendingVariable(node, np.dtype(dtype), shape)]
            elif _is_open_creation(node):
                template = solved.get(id(node), _creation_template(node))
                results[id(node)] = ([call_node(node, [], shape=template)[0]]
                                     if template is not None and UNKNOWN not in template
                                     else [PendingCreation(node, template)])
            else:
                args = []
                for src, k in node.inputs:
                    got = results[id(src)]
                    args.append(None if got is None else _settled(got[k]))
                results[id(node)] = _infer_node(node, args, sentinels, found, results)
        for got in results.values():  # (shapes found after a node had to go without them)
            if got and isinstance(got[0], _Open) and got[0].deferred and got[0].value is not None:
                _record(got[0], tuple(got[0].value.shape), found)
        values = {}
        for n in order:
            if n.op is None and (r := results[id(n)]) is not None:
                v = _settled(r[0])
                if not isinstance(v, _Open):
                    values[id(n)] = v
                elif v.template is not None:
                    values[id(n)] = Partial(v.template)
        outs = []
        for n, k in outputs:
            got = results[id(n)]
            value = None if got is None else _settled(got[k])
            if isinstance(value, _Provisional):  # (raw: `_fixpoint` keeps what two runs agree on)
                value = Partial(tuple(value.value.shape))
            elif isinstance(value, _Open):
                value = None if value.template is None else Partial(value.template)
            outs.append(value)
        return values, outs
    finally:
        stack.pop()


def _infer_node(node: Node, args: list[Any], sentinels: _Sentinels,
                found: dict[tuple[int, int], int], results: dict[int, list[Any] | None]
                ) -> list[Any] | None:
    """The node's outputs traced; None when an input stays unknown; provisional values
    (traced with sentinel sizes) when sizes are still unknown, and what this node's
    input-shape rule says about them goes to `found`."""
    _hand_back(node, args, sentinels, found, results)
    if any(a is None for a in args) and not _stand_in_unknown(node, args):
        return None
    if node.op is not None and node.op.name == "_foreach" and node.subgraphs:
        for k, shape in _foreach_inputs(node, args).items():
            if not any(sentinels.unknown(d) for d in shape):
                args[k] = args[k].resolve(shape)
    if _complete(node, args) and not any(isinstance(a, _Provisional) for a in args):
        return call_node(node, args)
    args = [_Provisional(a.with_sentinels(sentinels))
            if isinstance(a, _Open) and a.template is not None else a for a in args]
    expected = _rule_shapes(node, [a.value if isinstance(a, _Provisional) else a for a in args])
    for k, (name, a) in enumerate(zip(_input_names(node), args)):
        # (an input of unknown rank takes the rule's shape: resolved when that needs no
        # unknown size, else provisional with the same unknown sizes, so that a weight
        # is (64, 0, 7, 7) where the data's channels are unknown, as in MXNet)
        if isinstance(a, _Open) and name in expected:
            shape = tuple(expected[name])
            if not any(sentinels.unknown(d) for d in shape):
                args[k] = a.resolve(shape)
            else:
                a.template = sentinels.partial(shape)
                a.provisional = a._make(shape)
                args[k] = _Provisional(a.provisional)
    if any(isinstance(a, _Open) for a in args):
        for a in args:
            if isinstance(a, _Open):
                a.deferred = True
        return None
    new = {}
    for name, a in zip(_input_names(node), args):
        if name in expected:  # (a known input may fix a size the rule took from another)
            shape = a.value.shape if isinstance(a, _Provisional) else a.shape
            new.update(sentinels.unify(tuple(shape), tuple(expected[name])))
    if new:
        found.update(new)
        return None
    try:
        outs = call_node(node, [a.value if isinstance(a, _Provisional) else a for a in args])
    except MXNetError:  # (the sentinel sizes do not fit this operator: unknown)
        shared = _with_shared_sentinels(node, args, sentinels)
        if shared is None:
            return None
        outs = shared
    return [_Provisional(out) for out in outs]


def _foreach_inputs(node: Node, args: list[Any]) -> dict[int, tuple[int, ...]]:
    """The shapes of a `_foreach` node's initial states and other inputs (the body's
    weights) that are still open, by argument position, as inference over its body finds
    them from the shapes of the inputs known (a data array's rows, states, weights): MXNet
    infers a state that a step adds to a row from that row, and a step's FullyConnected
    weights from the row and the state."""
    params = node.params()
    data_locs, state_locs = params["in_data_locs"], params["in_state_locs"]
    n_data, n_states = len(data_locs), len(state_locs)
    places = ([(loc, k) for k, loc in enumerate(data_locs)]
              + [(loc, n_data + k) for k, loc in enumerate(state_locs)]
              + [(loc, n_data + n_states + k) for k, loc in enumerate(params["remain_locs"])])
    body = node.subgraphs[0]
    variables = [n for n in topological(body) if n.op is None]
    known: dict[int, tuple[Any, Any]] = {id(v): (None, np.float32) for v in variables}
    for loc, k in places:
        shape, dtype = _known_shape(args[k])
        if shape is not None and k < n_data:
            shape = shape[1:]  # (the body sees a row: the unknown length does not matter)
        if loc < len(variables) and shape is not None and UNKNOWN not in shape:
            known[id(variables[loc])] = (shape, dtype)
    # (the states and what the body reads besides, its weights: a data array's rows are
    # all the body sees of it)
    open_inputs = {k: loc for loc, k in places
                   if k >= n_data and isinstance(args[k], _Open) and loc < len(variables)}
    if not open_inputs:
        return {}
    try:
        values, _ = infer(body, known)
    except MXNetError:  # (the body cannot be inferred from what is known: leave them)
        return {}
    found = {}
    for k, loc in open_inputs.items():
        value = values.get(id(variables[loc]))
        if value is not None and not isinstance(value, Partial):
            found[k] = tuple(value.shape)
    return found


def _known_shape(arg: Any) -> tuple[tuple[int, ...] | None, Any]:
    """(What is known of an argument's shape, UNKNOWN where unknown; its dtype)."""
    if isinstance(arg, _Provisional):
        return tuple(arg.value.shape), arg.value.dtype
    if isinstance(arg, _Open):
        return arg.template, getattr(arg, "dtype", np.float32)
    return (None, None) if arg is None else (tuple(arg.shape), arg.dtype)


def _hand_back(node: Node, args: list[Any], sentinels: _Sentinels,
               found: dict[tuple[int, int], int], results: dict[int, list[Any] | None]
               ) -> None:
    """Give the shapes `node`'s rule says its unknown or provisional inputs have back
    through the shape-keeping operators that made them (`SAME_SHAPE_INPUTS`) to the open
    inputs behind them: what is new goes to `found`."""
    values = [a.value if isinstance(a, _Provisional) else a for a in args]
    for k, (name, a) in enumerate(zip(_input_names(node), args)):
        if a is None or isinstance(a, _Provisional):
            # (from the other inputs: an elemwise operand's rule would give its own shape)
            expected = _rule_shapes(node, values[:k] + [None] + values[k + 1:])
            if name in expected:
                shape = sentinels.partial(tuple(expected[name]))
                _give(node.inputs[k], shape, found, results, set())


def _give(source: tuple[Node, int], shape: tuple[int, ...],
          found: dict[tuple[int, int], int], results: dict[int, list[Any] | None],
          seen: set[int]) -> None:
    node, k = source
    if id(node) in seen:
        return
    seen.add(id(node))
    got = results.get(id(node))
    if got and isinstance(got[0], _Open):
        if got[0].value is None:
            _record(got[0], shape, found)
        return
    if node.op is None or k != 0:
        return
    names = node.input_names()
    rule = BACKWARD_SHAPE_RULES.get(node.op.name)
    given = ({n: shape for n in SAME_SHAPE_INPUTS.get(node.op.name, ())} if rule is None
             else rule(shape, {n: _shape_so_far(results, src) for n, src in
                               zip(names, node.inputs)}, **node.params()))
    for name, src in zip(names, node.inputs):
        if name in given:
            _give(src, tuple(given[name]), found, results, seen)


def _shape_so_far(results: dict[int, list[Any] | None], source: tuple[Node, int]
                  ) -> tuple[int, ...] | None:
    """What this pass knows of an output's shape: UNKNOWN for sizes made of sentinels or
    still open; None when not even its rank is known."""
    got = results.get(id(source[0]))
    value = None if not got else _settled(got[source[1]])
    if isinstance(value, _Open):
        return value.template
    if isinstance(value, _Provisional):
        value = value.value
    if value is None:
        return None
    return tuple(UNKNOWN if d >= _Sentinels.FLOOR else int(d) for d in value.shape)


def _record(open_input: _Open, shape: tuple[int, ...],
            found: dict[tuple[int, int], int]) -> None:
    """What `shape` (UNKNOWN where unknown) tells of `open_input` that its template did
    not, into `found`."""
    node_id = id(open_input.node)
    template = open_input.template
    if template is None:
        found[(node_id, RANK)] = len(shape)
        template = (UNKNOWN,) * len(shape)
    if len(template) != len(shape):
        return  # (the operator will say what is wrong)
    for axis, (t, d) in enumerate(zip(template, shape)):
        if t == UNKNOWN and d != UNKNOWN:
            found[(node_id, axis)] = d


def _with_shared_sentinels(node: Node, args: list[Any], sentinels: _Sentinels
                           ) -> list[Any] | None:
    """The node's outputs when the unknown sizes its variable inputs have on the same axis
    are one size (MXNet unifies them: `pick(x, index)` with both batches unknown, an
    unknown batch of `batch_dot`'s two operands); None when that does not fit either."""
    shared: dict[int, int] = {}  # axis -> the first sentinel met there
    retried = []
    for a in args:
        value = a.value if isinstance(a, _Provisional) else a
        if isinstance(a, _Provisional) and value._node is not None and value._node.op == "var":
            shape = tuple(shared.setdefault(k, d) if d in sentinels.where else d
                          for k, d in enumerate(value.shape))
            value = value._result_class._traced(var(shape, value._dtype))
        retried.append(value)
    if not shared:
        return None
    try:
        return call_node(node, retried)  # type: ignore[no-any-return]
    except MXNetError:
        return None


def _stand_in_unknown(node: Node, args: list[Any]) -> bool:
    """Put in place of each wholly unknown input (None) a value of the shape the node's
    rule gives it from the known ones, when it gives one: an elemwise sum with one known
    operand has that operand's shape, as MXNet infers it. Whether none is left unknown."""
    known = [a for a in args if a is not None and not isinstance(a, (PendingInput,
                                                                     _Provisional))]
    if not known:
        return False
    expected = _rule_shapes(node, args)
    for k, name in enumerate(_input_names(node)):
        if args[k] is None and name in expected:
            args[k] = default_array_class()._traced(var(tuple(expected[name]),
                                                         known[0].dtype))
    return not any(a is None for a in args)


def _input_names(node: Node) -> list[str]:
    op = node.op
    assert op is not None
    return node.input_names() if not op.variadic or op.signature else []


def _rule_shapes(node: Node, args: list[Any]) -> dict[str, tuple[int, ...]]:
    """What the operator's input-shape rule says its inputs are, from the known ones."""
    assert node.op is not None
    names = _input_names(node)
    rule = INPUT_SHAPE_RULES.get(node.op.name)
    shapes = {n: tuple(a.shape) for n, a in zip(names, args)
              if a is not None and not isinstance(a, (PendingInput, _Provisional))}
    try:
        return rule(shapes, **node.params()) if rule is not None and names else {}
    except KeyError:  # (the rule needs an input that is unknown too)
        return {}
