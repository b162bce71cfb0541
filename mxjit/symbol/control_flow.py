"""`mx.sym.contrib.foreach`, `while_loop` and `cond`: MXNet's control flow over symbols.

Each calls the user's Python functions once, on placeholder variables (`data-0` for the
symbol `data`), inside an `AttrScope(__subgraph_name__=...)` that marks every node they
create. The marked graph becomes a subgraph of one `_foreach`, `_while_loop` or `_cond`
node; an edge into it from an unmarked node (the enclosing graph) is cut: a variable named
after that output takes its place in the subgraph, and the output becomes an input of the
node. Which input goes where in a body is in the node's `*_locs` attributes. All of it
follows MXNet's Python front end step by step, so the JSON is MXNet's (names, locations,
input order); running the node is `ops/control_flow.py`'s.

    >>> step = lambda x, states: (x + states[0], [states[0] * 2])
    >>> outs, states = mx.sym.contrib.foreach(step, mx.sym.var('data'),
    ...                                       [mx.sym.var('s')])  # doctest: +SKIP
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from ..attribute import AttrScope
from ..base import ArgumentError, ControlFlowError, ParamError
from ..core.operators import lookup
from ..core.pytree import flatten_nested, regroup_nested
from .graph import Node, topological
from .symbol import Group, Symbol, Variable, make_node

_SUBGRAPH = "__subgraph_name__"
#: How many subgraphs of each name this process made (MXNet keeps these in AttrScope).
_SUBGRAPH_NAMES: Counter[str] = Counter()


def _unique_name(name: str) -> str:
    """`name` numbered (`foreach0`), under the enclosing subgraph's name when nested."""
    outer = AttrScope.current().get(None).get(_SUBGRAPH, "")
    if outer:
        name = f"{outer}${name}"
    _SUBGRAPH_NAMES[name] += 1
    return f"{name}{_SUBGRAPH_NAMES[name] - 1}"


def _single_output(sym: Symbol, what: str) -> None:
    if len(sym) != 1:
        raise ArgumentError(f"{what}: a group of {len(sym)} outputs; pass the list of its "
                            f"outputs instead")


def _flatten(args: Any, what: str) -> tuple[list[Symbol], Any]:
    return flatten_nested(args, what, Symbol, "a Symbol or a (nested) list of Symbols",
                          _single_output)


def _placeholder_name(sym: Symbol) -> str:
    """The name of the variable standing for `sym` in a body: `<node name>-<output index>`."""
    node, index = sym._outputs[0]
    return f"{node.name}-{index}"


def _placeholder(sym: Symbol) -> Symbol:
    return Variable(_placeholder_name(sym))


def _marked(node: Node, name: str) -> bool:
    return node.attrs.get(_SUBGRAPH) == name


def _close(outputs: list[Symbol], name: str, apart: list[Symbol] | None = None) -> Symbol:
    """The body's graph: an output that is one of its inputs, or that the body did not
    make, goes through `identity` (so the subgraph's outputs are nodes of its own), as does
    an `apart` output (foreach's states) that is also one of `outputs`."""
    every = outputs + (apart or [])
    if not every:
        raise ControlFlowError("a control-flow body must return at least one Symbol")
    inputs = set(Group(every).list_inputs())
    output_names = {o.name for o in outputs}
    copy = lookup("_copy")
    closed = []
    for k, s in enumerate(every):
        node = s._outputs[0][0]
        again = k >= len(outputs) and s.name in output_names
        if s.name in inputs or again or not _marked(node, name):
            s = make_node(copy, [s], {}, None, None, "identity")
        closed.append(s)
    return Group(closed)


def _cut(graph: Symbol) -> dict[str, Symbol]:
    """Cut the body's graph from the enclosing one (MXNet's `CutSubgraph`): each output of
    an unmarked node that a marked node reads becomes one variable named after it; returns
    those outputs by that name."""
    name = graph._outputs[0][0].attrs.get(_SUBGRAPH)
    if name is None:
        return {}
    made: dict[tuple[int, int], Node] = {}
    cut: dict[str, Symbol] = {}
    for node in topological(graph._outputs):
        if not _marked(node, name):
            continue
        for k, (src, index) in enumerate(node.inputs):
            if _marked(src, name):
                continue
            if (id(src), index) not in made:
                outside = Symbol([(src, index)])
                var_name = outside.list_outputs()[0]
                made[(id(src), index)] = Node(None, var_name, {}, [])
                cut[var_name] = outside
            node.inputs[k] = (made[(id(src), index)], 0)
    return cut


def _inputs(graph: Symbol, what: str) -> tuple[list[str], dict[str, Node]]:
    """The body's input names in order (unique, as MXNet requires) and their variables."""
    names = graph.list_inputs()
    if len(set(names)) != len(names):
        raise ControlFlowError(f"{what}: the inputs of the body don't have unique names: "
                               f"{names}")
    return names, {n.name: n for n in topological(graph._outputs) if n.op is None}


def _copied(variable: Node) -> Symbol:
    """A variable the body made itself, as the node's own input (MXNet copies it)."""
    return Symbol([(Node(None, variable.name, dict(variable.attrs), []), 0)])


def _pair(result: Any, what: str) -> tuple[Any, Any]:
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        raise ControlFlowError(f"{what} must return a pair (outputs, states)")
    return result[0], result[1]


def foreach(body: Callable[..., Any], data: Any, init_states: Any, name: str = "foreach"
            ) -> tuple[Any, Any]:
    """Run `body(data_row, states) -> (outputs, new_states)` over the first axis of
    `data` (a symbol or a nested list of them): the outputs stacked, and the final states
    (MXNet's `_foreach` node, `body` kept as its subgraph).

    >>> step = lambda x, states: (x + states[0], [states[0] * 2])
    >>> outs, states = mx.sym.contrib.foreach(step, mx.sym.var('data'),
    ...                                       [mx.sym.var('s')])  # doctest: +SKIP
    """
    flat_data, data_fmt = _flatten(data, "foreach: data")
    flat_states, state_fmt = _flatten(init_states, "foreach: init_states")
    name = _unique_name(name)
    with AttrScope(**{_SUBGRAPH: name}):
        rows = regroup_nested([_placeholder(d) for d in flat_data], data_fmt)[0]
        states = regroup_nested([_placeholder(s) for s in flat_states], state_fmt)[0]
        outs, new_states = _pair(body(rows, states), "foreach: body")
        sym_out, out_fmt = _flatten(outs, "foreach: the body's outputs")
        sym_states, new_fmt = _flatten(new_states, "foreach: the body's states")
        if new_fmt != state_fmt:
            raise ControlFlowError("foreach: the body's states must have the structure of "
                                   "init_states")
        graph = _close(sym_out, name, sym_states)
    cut = _cut(graph)
    names, variables = _inputs(graph, "foreach")
    data_names = [_placeholder_name(d) for d in flat_data]
    state_names = [_placeholder_name(s) for s in flat_states]
    for what, wanted in (("data arrays", data_names), ("states", state_names)):
        if any(n not in names for n in wanted):
            raise ControlFlowError(f"foreach: the {what} have to be used in the loop body")
    ordered = flat_data + flat_states
    remain_locs = []
    for k, in_name in enumerate(names):
        if in_name in cut:
            ordered.append(cut[in_name])
        elif in_name in data_names or in_name in state_names:
            continue
        else:
            ordered.append(_copied(variables[in_name]))
        remain_locs.append(k)
    num_out_data, num_outputs = len(sym_out), len(sym_out) + len(sym_states)
    attrs = {"in_data_locs": str([names.index(n) for n in data_names]),
             "in_state_locs": str([names.index(n) for n in state_names]),
             "num_args": str(len(ordered) + 1), "num_out_data": str(num_out_data),
             "num_outputs": str(num_outputs), "remain_locs": str(remain_locs)}
    node = make_node(lookup("_foreach"), ordered, attrs, None, None, "_foreach",
                     [graph._outputs])
    return (regroup_nested([node[k] for k in range(num_out_data)], out_fmt)[0],
            regroup_nested([node[k] for k in range(num_out_data, num_outputs)], state_fmt)[0])


def _body_graph(variables: list[Symbol], fmt: Any, fn: Callable[[Any], tuple[list, list, Any]],
                subgraph_name: str) -> tuple[Symbol, int, Any]:
    """A body of `while_loop` or `cond`: its graph over placeholders of `variables`, how
    many of its outputs are step outputs, and their format."""
    name = _unique_name(subgraph_name)
    with AttrScope(**{_SUBGRAPH: name}):
        placeholders = regroup_nested([_placeholder(v) for v in variables], fmt)[0]
        outputs, states, out_fmt = fn(placeholders)
        graph = _close(outputs + states, name)
    return graph, len(outputs), out_fmt


def while_loop(cond: Callable[..., Any], func: Callable[..., Any], loop_vars: Any,
               max_iterations: int | None = None, name: str = "while_loop"
               ) -> tuple[Any, Any]:
    """Run `func(*loop_vars) -> (step_output, new_loop_vars)` while `cond(*loop_vars)`,
    at most `max_iterations` times: the step outputs stacked to `max_iterations` rows (zero
    after the last step), and the final loop variables (MXNet's `_while_loop` node).

    >>> outs, final = mx.sym.contrib.while_loop(
    ...     lambda i, s: i <= 5, lambda i, s: ([i + s], [i + 1, s + i]),
    ...     [mx.sym.var('i'), mx.sym.var('s')], max_iterations=10)  # doctest: +SKIP
    """
    flat_vars, var_fmt = _flatten(loop_vars, "while_loop: loop_vars")
    if max_iterations is None:
        raise ParamError("while_loop: max_iterations should be specified")
    try:
        max_iterations = int(max_iterations)
    except (TypeError, ValueError):
        raise ParamError(f"while_loop: cannot convert max_iterations {max_iterations!r} to "
                         f"a Python int") from None

    def cond_body(variables: Any) -> tuple[list, list, Any]:
        result = cond(*variables)
        if not isinstance(result, Symbol):
            raise ControlFlowError("while_loop: the return of cond must be a Symbol")
        return [], [result], 0

    def func_body(variables: Any) -> tuple[list, list, Any]:
        outs, new_vars = _pair(func(*variables), "while_loop: func")
        flat_out, out_fmt = _flatten([] if outs is None else outs, "while_loop: step outputs")
        flat_new, _ = _flatten([] if new_vars is None else new_vars,
                               "while_loop: new loop_vars")
        if len(flat_new) != len(variables):
            raise ParamError("while_loop: the number of loop_vars should be consistent "
                             "during the loop")
        return flat_out, flat_new, out_fmt

    cond_graph, _, _ = _body_graph(flat_vars, var_fmt, cond_body, name + "_cond")
    func_graph, num_out_data, out_fmt = _body_graph(flat_vars, var_fmt, func_body,
                                                    name + "_func")
    num_outputs = len(func_graph)
    var_by_name = {_placeholder_name(v): k for k, v in enumerate(flat_vars)}
    inputs: list[Symbol] = []
    locs = []
    for graph in (cond_graph, func_graph):
        cut = _cut(graph)
        names, variables = _inputs(graph, "while_loop")
        input_locs: list[int] = []
        var_locs = [-1] * len(flat_vars)
        for in_name in names:
            if in_name in var_by_name:
                sym = flat_vars[var_by_name[in_name]]
                var_locs[var_by_name[in_name]] = len(input_locs)
            else:
                sym = cut[in_name] if in_name in cut else _copied(variables[in_name])
            input_locs.append(_location(inputs, sym))
        locs.append((input_locs, var_locs))
    (cond_locs, _), (func_locs, func_var_locs) = locs
    for k, loc in enumerate(func_var_locs, 1):
        if loc == -1:
            raise ControlFlowError(f"while_loop: the {k}-th loop_var doesn't involve into the "
                                   f"computation")
    attrs = {"cond_input_locs": str(cond_locs), "func_input_locs": str(func_locs),
             "func_var_locs": str(func_var_locs), "max_iterations": str(max_iterations),
             "num_args": str(len(inputs) + 2), "num_out_data": str(num_out_data),
             "num_outputs": str(num_outputs)}
    node = make_node(lookup("_while_loop"), inputs, attrs, None, None, "_while_loop",
                     [cond_graph._outputs, func_graph._outputs])
    return (regroup_nested([node[k] for k in range(num_out_data)], out_fmt)[0],
            regroup_nested([node[k] for k in range(num_out_data, num_outputs)], var_fmt)[0])


def _location(inputs: list[Symbol], sym: Symbol) -> int:
    """Where `sym` (this very object, as MXNet compares them) is among the node's inputs,
    appending it when new."""
    for k, known in enumerate(inputs):
        if known is sym:
            return k
    inputs.append(sym)
    return len(inputs) - 1


def cond(pred: Symbol, then_func: Callable[[], Any], else_func: Callable[[], Any],
         name: str = "cond") -> Any:
    """`then_func()`'s outputs where `pred` (a one-element symbol) is non-zero, else
    `else_func()`'s; both give the same number of outputs, shapes and dtypes (MXNet's
    `_cond` node, each function's graph kept as a subgraph).

    >>> a, b = mx.sym.var('a'), mx.sym.var('b')
    >>> out = mx.sym.contrib.cond(a * b < 5, lambda: (a + 5) * (b + 5),
    ...                           lambda: (a - 5) * (b - 5))  # doctest: +SKIP
    """
    def branch(fn: Callable[[], Any], what: str) -> Callable[[Any], tuple[list, list, Any]]:
        def made(_: Any) -> tuple[list, list, Any]:
            outs, fmt = _flatten(fn(), f"cond: {what}'s outputs")
            return outs, [], fmt
        return made

    pred_graph, count, _ = _body_graph([], [], branch(lambda: pred, "pred"), name + "_pred")
    if count != 1:
        raise ControlFlowError("cond: pred should always be a single output")
    then_graph, then_count, then_fmt = _body_graph([], [], branch(then_func, "then_func"),
                                                   name + "_then")
    else_graph, else_count, _ = _body_graph([], [], branch(else_func, "else_func"),
                                            name + "_else")
    if then_count != else_count:
        raise ControlFlowError(f"cond: then_func gives {then_count} outputs, else_func "
                               f"{else_count}; they must give as many")
    inputs: list[Symbol] = []
    locs = []
    for graph in (pred_graph, then_graph, else_graph):
        known = {s.name: s for s in inputs}
        cut = _cut(graph)
        names, variables = _inputs(graph, "cond")
        locs.append([_location(inputs, known[n] if n in known else cut[n] if n in cut
                               else _copied(variables[n])) for n in names])
    attrs = {"cond_input_locs": str(locs[0]), "else_input_locs": str(locs[2]),
             "num_args": str(len(inputs) + 3), "num_outputs": str(then_count),
             "then_input_locs": str(locs[1])}
    node = make_node(lookup("_cond"), inputs, attrs, None, None, "_cond",
                     [pred_graph._outputs, then_graph._outputs, else_graph._outputs])
    return regroup_nested([node[k] for k in range(then_count)], then_fmt)[0]
