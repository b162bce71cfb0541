"""`mx.sym`'s operator functions, generated from the same operator table as `mx.nd`.

Each function takes the operator's inputs as symbols (by position or by name) and its
parameters, plus `name` and `attr`, and returns a symbol of one new node. Inputs left out
become variables named `<node name>_<input>` (`fc1_weight`), as in MXNet; optional inputs
exist only when the parameters call for them (`bias` unless `no_bias`). Parameters are
kept as the strings MXNet's JSON holds.

    >>> fc = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=4, name='fc1')  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import name as _name
from ..base import ArgumentError
from ..core.operators import Operator, lookup, namespace
from ..nd.namespace import NO_NUMBERS, RENAMED
from .graph import input_names
from .symbol import FLUENT, Symbol, Variable, make_node

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
                (symbols if key in op.inputs else values)[key] = a
        for key, v in kwargs.items():
            if key in op.inputs and not op.variadic:
                if v is not None:
                    symbols[key] = v
            elif key in param_names:
                values[key] = v
            else:
                raise ArgumentError(f"{public_name}: unknown argument {key!r}; its inputs are "
                                    f"{list(op.inputs)} and its parameters {param_names}")
        for key, v in symbols.items():
            if not isinstance(v, Symbol):
                raise ArgumentError(f"{public_name}: input {key} must be a Symbol, got "
                                    f"{type(v).__name__}")
        if op.variadic and "num_args" in param_names and "num_args" not in values:
            values["num_args"] = len(variadic)
        attrs = {k: op.param(k).format(v) for k, v in values.items() if v is not None}
        params = {k: op.param(k).parse(t) for k, t in attrs.items()}
        node_name = _name.NameManager.current().get(name, node_hint)
        inputs = variadic
        if not op.variadic:
            names = input_names(op, params)
            extra = [n for n in symbols if n not in names]
            if extra:  # (optional inputs given: the ones before them exist too)
                names = list(op.inputs[:max(op.inputs.index(n) for n in extra) + 1])
            inputs = [symbols[n] if n in symbols else Variable(f"{node_name}_{n}", attr=attr)
                      for n in names]
        return make_node(op, inputs, attrs, node_name, attr, None)

    function.__name__ = function.__qualname__ = public_name
    function.__doc__ = f"Symbol of the `{op.name}` operator.\n\n" + (op.doc or "")
    return function


def functions(ns: str) -> dict[str, Callable[..., Any]]:
    """The `mx.sym` functions of namespace `ns` ('' for `mx.sym` itself, 'contrib', ...)."""
    made = {name: make_function(op, name) for name, op in namespace(ns).items()}
    for name, target in RENAMED.get(ns, {}).items():
        if name not in NO_NUMBERS:
            made[name] = make_function(lookup(target), name)
    if not ns:
        FLUENT.update({n: made[n] for n in FLUENT_NAMES if n in made})
        if "Cast" in made:
            FLUENT["astype"] = lambda x, dtype, **kw: made["Cast"](x, dtype=dtype, **kw)
    return made
