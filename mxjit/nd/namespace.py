"""`mx.nd`'s operator functions, generated from the operator table.

Each registered operator becomes a function with MXNet's signature (its inputs and
parameters, then `out=None, name=None`) and a generated docstring, in the namespace MXNet
puts it (`mx.nd`, `mx.nd.contrib`, `mx.nd.linalg`, ...). What the functions share is
`finish`: MXNet's operators return new arrays (never an operand, nor a view of one) and
write into `out=` when it is given (`ndarray.finish`).

    >>> 'FullyConnected' in functions('')  # doctest: +SKIP
    True
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ops  # noqa: F401  (registers every operator)
from ..core.operators import lookup, make_function, namespace
from .ndarray import finish

#: MXNet's Python-level names that are another operator under a different name (they
#: broadcast, or pick the operator by their arguments, in MXNet; the operators here do).
RENAMED = {
    "": {"add": "broadcast_add", "subtract": "broadcast_sub", "multiply": "broadcast_mul",
         "divide": "broadcast_div", "modulo": "broadcast_mod", "power": "broadcast_power",
         "maximum": "broadcast_maximum", "minimum": "broadcast_minimum",
         "equal": "broadcast_equal", "not_equal": "broadcast_not_equal",
         "greater": "broadcast_greater", "greater_equal": "broadcast_greater_equal",
         "lesser": "broadcast_lesser", "lesser_equal": "broadcast_lesser_equal",
         "logical_and": "broadcast_logical_and", "logical_or": "broadcast_logical_or",
         "logical_xor": "broadcast_logical_xor", "split_v2": "_split_v2",
         "true_divide": "broadcast_div"},
}

#: The RENAMED functions that take arrays only (the others take Python numbers too).
NO_NUMBERS = frozenset({"split_v2"})


def functions(ns: str) -> dict[str, Callable[..., Any]]:
    """The `mx.nd` functions of namespace `ns` ('' for `mx.nd` itself, 'contrib', ...)."""
    module = "mxjit.nd" + (f".{ns}" if ns else "")
    made = {name: make_function(op, name, finish, "NDArray", module)
            for name, op in namespace(ns).items()}
    for name, target in RENAMED.get(ns, {}).items():
        made[name] = make_function(lookup(target), name, finish, "NDArray", module,
                                   numbers=name not in NO_NUMBERS)
    return made
