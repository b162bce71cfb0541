"""MXNet 1.x's symbol JSON: `nodes` (op, name, attrs, inputs as [node, output, version],
and a control-flow node's `subgraphs`, each a graph object of its own), `arg_nodes`,
`node_row_ptr` (each node's first output among all nodes' outputs, hidden ones counted),
`heads` and `attrs` with `mxnet_version`.

A graph read from a file keeps what MXNet wrote about its nodes (hidden output counts,
input versions), so writing it again gives the same JSON.

    >>> outputs = from_json(open('cnn-symbol.json').read())  # doctest: +SKIP
    >>> to_json(outputs) == open('cnn-symbol.json').read()  # doctest: +SKIP
"""
from __future__ import annotations

import json
from typing import Any

from ..base import MXNetError, ParamError
from ..core.operators import lookup
from ..util import is_np_shape
from .graph import Node, check_input_count, topological

#: What MXNet 1.9.1 writes as its version (1.9.1 = 10901).
MXNET_VERSION = 10901


def to_json(outputs: list[tuple[Node, int]]) -> str:
    """The JSON text of the graph with these outputs, byte for byte as MXNet lays it out."""
    graph = _graph_entry(outputs)
    graph["attrs"] = {"mxnet_version": ["int", MXNET_VERSION]}
    if is_np_shape():  # (MXNet records the shape semantics a graph was written under)
        graph["attrs"] = {"is_np_shape": ["int", 1], **graph["attrs"]}
    return _layout(graph, 0)


def _layout(value: Any, depth: int) -> str:
    """`value` as dmlc's JSON writer (which MXNet uses) breaks its lines: a map of one
    entry and a list of up to 10 numbers or entries take one line; nodes, graphs and
    longer lists a line per item."""
    if not isinstance(value, (dict, list)):
        return json.dumps(value)
    structs = isinstance(value, list) and any(isinstance(v, dict) for v in value)
    if len(value) <= (1 if isinstance(value, dict) else 10) and not structs:
        return json.dumps(value, separators=(", ", ": "))
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {_layout(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ", \n".join(items) + f"\n{pad}}}"
    items = [inner + _layout(v, depth + 1) for v in value]
    return "[\n" + ", \n".join(items) + f"\n{pad}]"


def _graph_entry(outputs: list[tuple[Node, int]]) -> dict[str, Any]:
    """A graph as MXNet's JSON object holds it (a control-flow node's subgraphs too)."""
    order = topological(outputs)
    index = {id(n): k for k, n in enumerate(order)}
    nodes, row_ptr = [], [0]
    for node in order:
        entry: dict[str, Any] = {"op": node.op.name if node.op else "null", "name": node.name}
        if node.attrs:
            entry["attrs"] = dict(sorted(node.attrs.items()))
        aux = set(node.aux_positions())
        versions = node.versions or [1 if k in aux else 0 for k in range(len(node.inputs))]
        entry["inputs"] = [[index[id(src)], k, v] for (src, k), v in
                           zip(node.inputs, versions)]
        if node.subgraphs:
            entry["subgraphs"] = [_graph_entry(heads) for heads in node.subgraphs]
        nodes.append(entry)
        row_ptr.append(row_ptr[-1] + node.all_outputs())
    return {"nodes": nodes,
            "arg_nodes": [k for k, n in enumerate(order) if n.op is None],
            "node_row_ptr": row_ptr,
            "heads": [[index[id(n)], k, 0] for n, k in outputs]}


def from_json(text: str) -> list[tuple[Node, int]]:
    """The outputs of the graph in MXNet's JSON `text`; an unknown operator, a dangling
    input or a malformed file is a clear error.

    >>> outputs = from_json(text)  # doctest: +SKIP
    """
    try:
        graph = json.loads(text)
    except ValueError as e:
        raise MXNetError(f"not an MXNet symbol JSON: {e}") from None
    # (a graph written without NumPy shape semantics, read with them on: its variables'
    # 0 sizes meant unknown, -1 now, as MXNet upgrades them)
    upgrade = is_np_shape() and "is_np_shape" not in (
        graph.get("attrs") or {} if isinstance(graph, dict) else {})
    return _read_graph(graph, "symbol JSON", upgrade)


def _legacy_shape(text: str) -> str:
    """A `__shape__` written without NumPy shape semantics, in their terms."""
    sizes = [p.strip() for p in text.strip().strip("()[]").split(",") if p.strip()]
    return "(" + ", ".join("-1" if p == "0" else p for p in sizes) + ")"


def _read_graph(graph: Any, where: str, upgrade: bool = False) -> list[tuple[Node, int]]:
    """The outputs of one graph object (the file's, or a node's subgraph); `upgrade`:
    rewrite variables' shapes for NumPy shape semantics (see `from_json`)."""
    try:
        raw_nodes = graph["nodes"]
        heads = graph["heads"]
    except (KeyError, TypeError) as e:
        raise MXNetError(f"not an MXNet symbol JSON: {e}") from None
    row_ptr = graph.get("node_row_ptr")
    nodes: list[Node] = []
    for k, raw in enumerate(raw_nodes):
        try:
            op_name, name = raw["op"], raw["name"]
            attrs = raw.get("attrs", raw.get("attr", raw.get("param", {}))) or {}
            inputs = raw.get("inputs", [])
            subgraphs = raw.get("subgraphs", [])
        except (KeyError, TypeError, AttributeError) as e:
            raise MXNetError(f"{where} node {k} is malformed: {e}") from None
        op = None if op_name == "null" else _operator(op_name, name)
        if upgrade and op is None and "__shape__" in attrs:
            attrs = {**attrs, "__shape__": _legacy_shape(str(attrs["__shape__"]))}
        links, versions = [], []
        for entry in inputs:
            if not (isinstance(entry, list) and 2 <= len(entry) <= 3 and
                    isinstance(entry[0], int) and 0 <= entry[0] < k):
                raise MXNetError(f"{where} node {k} ({name!r}) has a bad input {entry}")
            links.append((nodes[entry[0]], int(entry[1])))
            versions.append(int(entry[2]) if len(entry) == 3 else 0)
        total = None
        if isinstance(row_ptr, list) and len(row_ptr) == len(raw_nodes) + 1:
            total = int(row_ptr[k + 1]) - int(row_ptr[k])
        if not isinstance(subgraphs, list):
            raise MXNetError(f"{where} node {k} ({name!r}) has malformed subgraphs")
        node = Node(op, name, {str(a): str(v) for a, v in attrs.items()}, links, total,
                    versions, [_read_graph(sub, f"a subgraph of node {name!r}:", upgrade)
                               for sub in subgraphs])
        check_input_count(node)
        nodes.append(node)
    out = []
    for head in heads:
        if not (isinstance(head, list) and len(head) >= 2 and 0 <= head[0] < len(nodes)):
            raise MXNetError(f"{where} has a bad head {head}")
        out.append((nodes[head[0]], int(head[1])))
    return out


def _operator(op_name: str, node_name: str) -> Any:
    try:
        return lookup(op_name)
    except ParamError:
        raise MXNetError(f"symbol JSON node {node_name!r} uses the operator {op_name!r}, "
                         f"which mxjit does not have") from None
