"""`mx.sym`'s operator functions, generated from the same operator table as `mx.nd`.

Each function takes the operator's inputs as symbols (by position or by name) and its
parameters, plus `name` and `attr`, and returns a symbol of one new node. Inputs left out
become variables named `<node name>_<input>` (`fc1_weight`), as in MXNet; optional inputs
exist only when the parameters call for them (`bias` unless `no_bias`). Parameters are
kept as the strings MXNet's JSON holds.

`mx.sym.sparse` holds the table operators of `mx.nd.sparse` (the same nodes; a bound
executor gives their outputs MXNet's storage types, `storage.py`). `maximum`, `minimum`,
`power`, `pow` and `hypot` are MXNet's Python-level functions, which take symbols or
numbers; so are `split_v2`, which writes NumPy's `indices_or_sections` as `_split_v2`'s
`indices` and `sections`, and `histogram`.

    >>> fc = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=4, name='fc1')  # doctest: +SKIP
"""
from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import name as _name
from .. import nd
from ..base import ArgumentError, ParamError
from ..core.operators import Operator, lookup, namespace
from ..nd.namespace import RENAMED, split_v2_arguments
from .graph import INPUT_INIT, PARSER_ATTRS, input_names
from .symbol import FLUENT, NUMPY_SYMBOL, Symbol, Variable, make_node, repr_scalar

#: MXNet's fluent methods of Symbol (`x.sum()`) and the function each calls.
FLUENT_NAMES = (
    "reshape", "reshape_like", "flatten", "expand_dims", "squeeze", "transpose", "swapaxes",
    "broadcast_to", "broadcast_like", "broadcast_axes", "tile", "repeat", "pad", "split",
    "slice", "slice_axis", "slice_like", "take", "pick", "one_hot", "sum", "nansum", "prod",
    "nanprod", "mean", "max", "min", "norm", "argmax", "argmin", "argmax_channel", "topk",
    "sort", "argsort", "abs", "sign", "round", "rint", "fix", "floor", "ceil", "trunc",
    "exp", "expm1", "log", "log10", "log2", "log1p", "sqrt", "rsqrt", "cbrt", "rcbrt",
    "square", "reciprocal", "relu", "sigmoid", "softmax", "log_softmax", "softmin", "sin",
    "cos", "tan", "arcsin", "arccos", "arctan", "degrees", "radians", "sinh", "cosh", "tanh",
    "arcsinh", "arccosh", "arctanh", "clip", "zeros_like", "ones_like", "diag", "flip",
    "depth_to_space", "space_to_depth", "shape_array", "size_array", "split_v2",
)


#: Keywords every operator takes as attributes of its node, as MXNet does.
_ATTRIBUTE_KEYWORDS = frozenset({"lr_mult", "wd_mult", "ctx_group", "force_mirroring"})


def make_function(op: Operator, public_name: str, hint: str | None = None) -> Callable[..., Any]:
    """The `mx.sym` function of `op` (see the module docstring).

    >>> relu = make_function(lookup('relu'), 'relu')  # doctest: +SKIP
    """
    param_names = [p.name for p in op.params]
    positional = [] if op.variadic else list(op.inputs) + param_names
    node_hint = hint or public_name.lower()

    def function(*args: Any, name: str | None = None, attr: dict[str, str] | None = None,
                 out: Any = None, **kwargs: Any) -> Symbol:
        symbols: dict[str, Symbol] = {}
        values: dict[str, Any] = {}
        if op.variadic:
            items = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) \
                else list(args)
            for a in items:
                if not isinstance(a, Symbol):
                    raise ArgumentError(f"{public_name}: inputs must be Symbols, got "
                                        f"{type(a).__name__}")
            variadic = items
        else:
            variadic = []
            if len(args) > len(positional):
                raise ArgumentError(f"{public_name}: too many positional arguments")
            for key, a in zip(positional, args):
                if key in op.inputs:
                    if a is not None:  # (an optional input given as None is left out)
                        symbols[key] = a
                else:
                    values[key] = a
        for key, v in kwargs.items():
            if key in op.inputs and not op.variadic:
                if v is not None:
                    symbols[key] = v
            elif key in param_names:
                values[key] = v
            elif key in _ATTRIBUTE_KEYWORDS or (key.startswith("__") and key.endswith("__")):
                # (MXNet keeps these as the node's attribute `__lr_mult__` and gives them to
                # the variables it creates, so the parameters get the multiplier)
                attr = {**(attr or {}), key if key.startswith("__") else f"__{key}__": str(v)}
            elif op.open:  # (Custom: inputs by the names its property lists, or strings)
                if isinstance(v, Symbol):
                    symbols[key] = v
                else:
                    values[key] = v
            elif not op.params and not isinstance(v, Symbol):
                # (an operator without parameters keeps any keyword, unread, in MXNet: its
                # JSON lists it among the node's attributes)
                attr = {**(attr or {}), key: str(v)}
            elif not op.inputs and isinstance(v, Symbol):
                # (MXNet's compose drops a symbol given to an operator without inputs:
                # `sym.random.randn(data=x)` takes its shape from its consumer, not from x)
                continue
            else:
                raise ArgumentError(f"{public_name}: unknown argument {key!r}; its inputs are "
                                    f"{list(op.inputs)} and its parameters {param_names}")
        for key, v in symbols.items():
            if not isinstance(v, Symbol):
                raise ArgumentError(f"{public_name}: input {key} must be a Symbol, got "
                                    f"{type(v).__name__}")
        if op.variadic and "num_args" in param_names and "num_args" not in values:
            values["num_args"] = len(variadic)
        attrs = {k: _attr_text(op, k, v) if k in param_names else str(v)
                 for k, v in values.items()}
        attrs.update(PARSER_ATTRS.get(op.name, {}))
        params = {k: op.param(k).parse(t) if k in param_names else t for k, t in attrs.items()}
        node_name = _name.NameManager.current().get(name, node_hint)
        inputs = variadic
        # (a variable made for a missing input gets the node's attributes, as in MXNet)
        made = {**(attr or {}), **attrs}
        inits = INPUT_INIT.get(op.name, {})

        def made_variable(n: str) -> Symbol:
            return Variable(f"{node_name}_{n}", attr={**made, **(
                {"__init__": inits[n]} if n in inits else {})})

        if op.signature is not None:  # (inputs given in order, then by name, else variables)
            names = input_names(op, params)[len(variadic):]
            inputs = variadic + [symbols[n] if n in symbols else made_variable(n)
                                 for n in names]
        elif not op.variadic:
            names = input_names(op, params)
            extra = [n for n in symbols if n not in names]
            if extra:  # (optional inputs given: the ones before them exist too)
                names = list(op.inputs[:max(op.inputs.index(n) for n in extra) + 1])
            inputs = [symbols[n] if n in symbols else made_variable(n) for n in names]
        result = make_node(op, inputs, attrs, node_name, attr, None)
        if NUMPY_SYMBOL and any(isinstance(v, NUMPY_SYMBOL[0])
                                for v in (*variadic, *symbols.values())):
            # (an operator on NumPy-semantics symbols gives one too, as on mx.np arrays)
            return NUMPY_SYMBOL[0](result._outputs)  # type: ignore[no-any-return]
        return result

    function.__name__ = function.__qualname__ = public_name
    function.__doc__ = f"Symbol of the `{op.name}` operator.\n\n" + (op.doc or "")
    return function


def _two_operands(name: str, array_op: str, scalar_op: str, rscalar_op: str,
                  numbers_fn: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    """MXNet's Python-level function `name` of two symbols (`array_op`, same shapes), a
    symbol and a number (`scalar_op`, or `rscalar_op` with the number first) or two
    numbers (`numbers_fn`)."""
    def function(left: Any, right: Any) -> Any:
        left_sym, right_sym = isinstance(left, Symbol), isinstance(right, Symbol)
        if left_sym and right_sym:
            return make_node(lookup(array_op), [left, right], {}, None, None, array_op)
        if left_sym and isinstance(right, numbers.Number):
            return make_node(lookup(scalar_op), [left], {"scalar": repr_scalar(right)}, None,
                             None, scalar_op.replace("_scalar", "scalar"))
        if right_sym and isinstance(left, numbers.Number):
            return make_node(lookup(rscalar_op), [right], {"scalar": repr_scalar(left)},
                             None, None, rscalar_op.replace("_scalar", "scalar"))
        if isinstance(left, numbers.Number) and isinstance(right, numbers.Number):
            return numbers_fn(left, right)
        raise ArgumentError(f"{name}: expected Symbols or numbers, got "
                            f"{type(left).__name__} and {type(right).__name__}")

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"Elementwise {name} of two symbols of one shape, or of a symbol and "
                        f"a number (two numbers give a number).\n\n"
                        f"    >>> mx.sym.{name}(mx.sym.var('x'), 2)  # doctest: +SKIP\n    ")
    return function


def split_v2(ary: Symbol, indices_or_sections: Any, axis: int = 0, squeeze_axis: bool = False,
             name: str | None = None, attr: dict[str, str] | None = None) -> Symbol:
    """Split `ary` along `axis` (MXNet's `_split_v2` node): an int N gives N parts (near-equal
    when N does not divide the axis, as the operator does), a tuple the split points.

    >>> a, b = mx.sym.split_v2(mx.sym.var('x'), (2,), axis=1)  # doctest: +SKIP
    """
    if not isinstance(ary, Symbol):
        raise ArgumentError(f"split_v2: ary must be a Symbol, got {type(ary).__name__}")
    indices, sections = split_v2_arguments(indices_or_sections)
    # (as MXNet's Python front end writes them: the indices as a list, the rest with str)
    attrs = {"axis": str(axis), "indices": str(indices), "sections": str(sections),
             "squeeze_axis": str(squeeze_axis)}
    return make_node(lookup("_split_v2"), [ary], attrs, name, attr, "_split_v2")


def histogram(a: Symbol, bins: Any = 10, range: Any = None, name: str | None = None,
              attr: dict[str, str] | None = None) -> Symbol:
    """(counts, bin edges) of the flattened data (MXNet's `_histogram` node): over `bins`
    equal bins of `range` = (low, high), which a symbol needs, or over the edges of a
    symbol `bins`.

    >>> counts, edges = mx.sym.histogram(mx.sym.var('x'), bins=5, range=(0, 5))  # doctest: +SKIP
    """
    if not isinstance(a, Symbol):
        raise ArgumentError(f"histogram: a must be a Symbol, got {type(a).__name__}")
    op = lookup("_histogram")
    if isinstance(bins, Symbol):
        return make_node(op, [a, bins], {}, name, attr, "_histogram")
    if isinstance(bins, bool) or not isinstance(bins, numbers.Integral):
        raise ArgumentError(f"histogram: bins must be an int or a Symbol of edges, got "
                            f"{type(bins).__name__}")
    if range is None:
        raise ParamError("histogram: a symbol needs range= with an int bins (its bins cannot "
                         "come from values it does not have)")
    return make_node(op, [a], {"bin_cnt": str(bins), "range": str(range)}, name, attr,
                     "_histogram")


#: MXNet's Python-level functions of mx.sym with numbers allowed (they replace the
#: broadcasting RENAMED forms, which MXNet's mx.sym does not have under these names).
_PYTHON_LEVEL: dict[str, Callable[..., Any]] = {
    "maximum": _two_operands("maximum", "_maximum", "_maximum_scalar", "_maximum_scalar",
                             max),
    "minimum": _two_operands("minimum", "_minimum", "_minimum_scalar", "_minimum_scalar",
                             min),
    "power": _two_operands("power", "_power", "_power_scalar", "_rpower_scalar",
                           lambda a, b: a ** b),
    "pow": _two_operands("pow", "_power", "_power_scalar", "_rpower_scalar",
                         lambda a, b: a ** b),
    "hypot": _two_operands("hypot", "_hypot", "_hypot_scalar", "_hypot_scalar", np.hypot),
    "split_v2": split_v2,
    "histogram": histogram,
}


def _in_table(name: str) -> bool:
    try:
        lookup(name)
    except ParamError:
        return False
    return True


def _attr_text(op: Operator, key: str, value: Any) -> str:
    """A parameter's string as MXNet's Python front end writes it: a number given for a
    shape stays a number (`"-1"`), an explicit None is `"None"`."""
    param = op.param(key)
    if param.kind == "shape" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return param.format(value)


def functions(ns: str) -> dict[str, Callable[..., Any]]:
    """The `mx.sym` functions of namespace `ns` ('' for `mx.sym` itself, 'contrib', ...)."""
    made = {name: make_function(op, name) for name, op in namespace(ns).items()}
    for name, target in RENAMED.get(ns, {}).items():
        made[name] = make_function(lookup(target), name)
    if ns == "sparse":
        made.update({name: make_function(lookup(name), name) for name in nd.sparse.__all__
                     if _in_table(name)})
    if not ns:
        made.update(_PYTHON_LEVEL)
        FLUENT.update({n: made[n] for n in FLUENT_NAMES if n in made})
        if "Cast" in made:
            FLUENT["astype"] = lambda x, dtype, **kw: made["Cast"](x, dtype=dtype, **kw)
    return made
