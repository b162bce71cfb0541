"""`mx.viz` (`mx.visualization`): MXNet's views of a symbol graph, a printed table of its
layers (`print_summary`) and a Graphviz drawing (`plot_network`, which needs the optional
`graphviz` package: `pip install mxjit[viz]`).

Both read the graph as MXNet's JSON, as MXNet does, so rows, labels and colors are MXNet
1.9.1's for the same symbol.

    >>> mx.viz.print_summary(net, shape={'data': (1, 100)})  # doctest: +SKIP
    >>> mx.viz.plot_network(net, shape={'data': (1, 100)}).render('net')  # doctest: +SKIP
"""
import json as _json
import re as _re
import warnings as _warnings
from collections.abc import Mapping as _Mapping
from collections.abc import Sequence as _Sequence
from typing import Any as _Any

from .base import ArgumentError as _ArgumentError
from .base import ShapeError as _ShapeError
from .symbol import Symbol as _Symbol

__all__ = ["plot_network", "print_summary"]

#: The table's columns.
_COLUMNS = ("Layer (type)", "Output Shape", "Param #", "Previous Layer")
#: MXNet's fill colors: inputs, weighted layers, activations, batch norm, pooling,
#: reshaping, softmax, anything else.
_COLORS = ("#8dd3c7", "#fb8072", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69",
           "#fccde5")
#: Variable names `hide_weights` leaves out of the drawing.
_WEIGHT_SUFFIXES = ("_weight", "_bias", "_beta", "_gamma", "_moving_var", "_moving_mean",
                    "_running_var", "_running_mean")


def _numbers(text: str) -> list[str]:
    """The digits of a shape attribute: '(3, 3)' -> ['3', '3']."""
    return _re.findall(r"\d+", text)


def _dims(shape: _Sequence[_Any]) -> str:
    return "x".join(str(d) for d in shape)


def _check_symbol(symbol: _Any, what: str) -> None:
    if not isinstance(symbol, _Symbol):
        raise _ArgumentError(f"{what}: symbol must be a Symbol, got {type(symbol).__name__}")


def _internal_shapes(symbol: _Symbol, shape: _Mapping[str, _Any], what: str
                     ) -> dict[str, tuple[int, ...]]:
    """Every internal output's shape by output name (`fc1_output`, `data`), inferred once
    over the graph's variable nodes (two variables may share a name)."""
    internals = symbol.get_internals()
    _, out_shapes, _ = internals.infer_shape(**shape)
    if out_shapes is None:
        raise _ShapeError(f"{what}: the input shapes {dict(shape)} do not determine every "
                         f"shape of the graph (Input shape is incomplete)")
    return dict(zip(internals.list_outputs(), out_shapes))


# ---- print_summary -------------------------------------------------------------------------


def _row(fields: _Sequence[_Any], stops: _Sequence[int]) -> str:
    """Fields cut or padded so that field k ends at column stops[k]."""
    line = ""
    for field, stop in zip(fields, stops):
        line = (line + str(field))[:stop].ljust(stop)
    return line


def _layer_params(node: dict[str, _Any], fan_in: int, shapes: dict[str, _Any] | None) -> int:
    """The parameter count MXNet shows for a node: weighted layers from their attributes
    and `fan_in` (the channels of the inputs shown, 0 without shapes)."""
    op, attrs = node["op"], node.get("attrs", {})
    no_bias = attrs.get("no_bias", "False").lower() in ("true", "1")
    if op == "Convolution":
        filters = int(attrs["num_filter"])
        count = fan_in * filters // int(attrs.get("num_group", "1"))
        for k in _numbers(attrs["kernel"]):
            count *= int(k)
        return count + (0 if no_bias else filters)
    if op == "FullyConnected":
        return (fan_in + (0 if no_bias else 1)) * int(attrs["num_hidden"])
    if op == "BatchNorm" and shapes is not None:
        return 2 * int(shapes[node["name"] + "_output"][1])
    if op == "Embedding":
        return int(attrs["input_dim"]) * int(attrs["output_dim"])
    return 0


def print_summary(symbol: _Symbol, shape: _Mapping[str, _Any] | None = None,
                  line_length: int = 120,
                  positions: _Sequence[float] = (.44, .64, .74, 1.)) -> None:
    """Print MXNet's table of the layers: name (operator), output shape (without the batch
    axis, when `shape` gives the input shapes), parameter count and the layers it takes,
    then the total. `positions` are where the columns end (fractions of `line_length`, or
    columns).

    >>> mx.viz.print_summary(net, shape={'data': (1, 100)})  # doctest: +SKIP
    """
    _check_symbol(symbol, "print_summary")
    shapes = None if shape is None else _internal_shapes(symbol, shape, "print_summary")
    graph = _json.loads(symbol.tojson())
    nodes = graph["nodes"]
    # MXNet lists an input variable as a previous layer when its index is in the first
    # head's [node, output, version] triple: node 0 (the data) always is, the version
    # being 0. The table keeps that rule.
    heads = set(graph["heads"][0])
    stops = [int(line_length * p) if positions[-1] <= 1 else int(p) for p in positions]

    def shape_of(node: dict[str, _Any]) -> tuple[int, ...]:
        key = node["name"] if node["op"] == "null" else node["name"] + "_output"
        return tuple(shapes[key][1:]) if shapes is not None and key in shapes else ()

    print("_" * line_length)
    print(_row(_COLUMNS, stops))
    print("=" * line_length)
    total = 0
    for i, node in enumerate(nodes):
        if node["op"] == "null" and i > 0:
            continue
        previous, fan_in = [], 0
        for src, _, _ in node["inputs"]:
            if nodes[src]["op"] != "null" or src in heads:
                previous.append(nodes[src]["name"])
                dims = shape_of(nodes[src])
                fan_in += int(dims[0]) if dims else 0
        params = _layer_params(node, fan_in, shapes)
        total += params
        print(_row([f"{node['name']}({node['op']})", _dims(shape_of(node)), params,
                    previous[0] if previous else ""], stops))
        for name in previous[1:]:
            print(_row(["", "", "", name], stops))
        print(("=" if i == len(nodes) - 1 else "_") * line_length)
    print(f"Total params: {total}")
    print("_" * line_length)


# ---- plot_network --------------------------------------------------------------------------


def _look(node: dict[str, _Any]) -> tuple[str, str]:
    """(label, fill color) of an operator node, as MXNet draws it."""
    op, name, attrs = node["op"], node["name"], node.get("attrs", {})
    if op == "Convolution":
        stride = _dims(_numbers(attrs["stride"])) if "stride" in attrs else "1"
        return (f"Convolution\n{_dims(_numbers(attrs['kernel']))}/{stride}, "
                f"{attrs['num_filter']}", _COLORS[1])
    if op == "FullyConnected":
        return f"FullyConnected\n{attrs['num_hidden']}", _COLORS[1]
    if op == "BatchNorm":
        return name, _COLORS[3]
    if op == "Activation":
        return f"Activation\n{attrs['act_type']}", _COLORS[2]
    if op == "LeakyReLU":
        return f"LeakyReLU\n{attrs.get('act_type', 'Leaky')}", _COLORS[2]
    if op == "Pooling":
        kernel = _dims(_numbers(attrs["kernel"])) if "kernel" in attrs else "[]"
        stride = _dims(_numbers(attrs["stride"])) if "stride" in attrs else "1"
        return f"Pooling\n{attrs['pool_type']}, {kernel}/{stride}", _COLORS[4]
    if op in ("Concat", "Flatten", "Reshape"):
        return name, _COLORS[5]
    if op == "Softmax":
        return name, _COLORS[6]
    return (attrs["op_type"] if op == "Custom" else name), _COLORS[7]


def _output_names(symbol: _Symbol) -> dict[str, list[str]]:
    """Each node's output names (`split0` -> ['split0_output0', ...]), so that an edge's
    label is the shape of the output it carries."""
    found: dict[str, list[str]] = {}
    for out in symbol.get_internals():
        found.setdefault(out.name or "", []).append(out.list_outputs()[0])
    return found


def plot_network(symbol: _Symbol, title: str = "plot", save_format: str = "pdf",
                 shape: _Mapping[str, _Any] | None = None,
                 dtype: _Mapping[str, _Any] | None = None,
                 node_attrs: _Mapping[str, str] | None = None, hide_weights: bool = True) -> _Any:
    """A `graphviz.Digraph` of the graph as MXNet draws it: inputs as ovals, layers as
    colored boxes labelled with their settings, edges from each layer to its inputs,
    labelled with the shapes (`shape`: input shapes) and dtypes (`dtype`: input dtypes)
    without the batch axis. `node_attrs` overrides Graphviz node attributes;
    `hide_weights` leaves out weights, biases and BatchNorm statistics.

    >>> dot = mx.viz.plot_network(net, shape={'data': (1, 100)})  # doctest: +SKIP
    >>> dot.render('net')  # doctest: +SKIP
    """
    try:
        import graphviz
    except ImportError as e:  # (the import's own error, with the way to get the package)
        if hasattr(e, "add_note"):
            e.add_note("mx.viz.plot_network needs the graphviz Python package: "
                       "pip install graphviz (or mxjit[viz])")
        raise
    _check_symbol(symbol, "plot_network")
    shapes = None if shape is None else _internal_shapes(symbol, shape, "plot_network")
    types = None
    if dtype is not None:
        internals = symbol.get_internals()
        types = dict(zip(internals.list_outputs(), internals.infer_type(**dtype)[1]))
    outputs = _output_names(symbol)
    nodes = _json.loads(symbol.tojson())["nodes"]
    names = [n["name"] for n in nodes]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        _warnings.warn("There are multiple variables with the same name in your graph, this "
                      "may result in cyclic graph. Repeated names: " + ",".join(repeated),
                      RuntimeWarning, stacklevel=2)
    style = {"shape": "box", "fixedsize": "true", "width": "1.3", "height": "0.8034",
             "style": "filled", **(node_attrs or {})}
    dot = graphviz.Digraph(name=title, format=save_format)
    hidden = set()
    for node in nodes:
        name = node["name"]
        if node["op"] == "null":
            if name.endswith(_WEIGHT_SUFFIXES):
                # (shown weights get no box of their own: Graphviz draws the bare name)
                if hide_weights:
                    hidden.add(name)
                continue
            dot.node(name=name, label=name, **{**style, "shape": "oval",
                                                "fillcolor": _COLORS[0]})
            continue
        label, color = _look(node)
        dot.node(name=name, label=label, **{**style, "fillcolor": color})
    for node in nodes:
        if node["op"] == "null":
            continue
        inputs = node["inputs"][:1] if node["op"] == "_contrib_BilinearResize2D" \
            else node["inputs"]
        for src, k, _ in inputs:
            source = names[src]
            if source in hidden:
                continue
            key = outputs[source][k]
            label = _dims(shapes[key][1:]) if shapes is not None else ""
            if types is not None:
                label += f"({types[key].__name__})"
            dot.edge(tail_name=node["name"], head_name=source, label=label, dir="back",
                     arrowtail="open")
    return dot
