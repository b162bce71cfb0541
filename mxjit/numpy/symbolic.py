"""`_np_call`: a call of an `mx.np` (or `mx.npx`) function as one operator node, so that
symbols (`mx.sym.np`, `mx.sym.npx`, and `F.np` in a block exported on symbols) can hold
NumPy-interface calls and run them when bound, through the same functions as `mx.np`.

A node keeps the function's name and its arguments as Python literals in which the
symbol inputs stand as markers (`core.literals`), so the call survives symbol JSON. (MXNet writes
such calls as its internal `_npi_*` operators instead: files written here load here.)

    >>> mx.sym.np.sum(mx.sym.var('x').as_np_ndarray(), axis=1)  # doctest: +SKIP
    <Symbol _np_call0>
"""
from __future__ import annotations

import ast
from typing import Any

from ..base import ParamError, UnsupportedError
from ..core import Array
from ..core.literals import filled
from ..core.np_functions import FUNCTIONS
from ..core.operators import register_operator


def _getitem(x: Array, key: Any) -> Array:
    """`x[key]`: NumPy indexing of a symbol (mx.sym.np's `x[:, -1]`)."""
    return x[key]  # type: ignore[index]


FUNCTIONS["_getitem"] = _getitem


def _signature(params: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    count = int(params.get("num_outputs") or 1)
    outputs = ["output"] if count == 1 else [f"output{k}" for k in range(count)]
    return [f"arg{k}" for k in range(int(params.get("num_args") or 0))], [], outputs


@register_operator("_np_call", inputs=("data",), signature=_signature)
def np_call(*data: Array, fn: str, args: str = "()", kwargs: str = "{}",
            num_args: int = 0, num_outputs: int = 1) -> Array | list[Array]:
    """The mx.np function `fn` applied to `args` and `kwargs` (Python literals in which
    markers of `core.literals` stand for the arrays `data`): one array, or a list of
    `num_outputs` arrays for a function of several results (`split`, `linalg.svd`).

    >>> mx.nd._np_call(x, fn='sum', args="('__mxjit_input_0__',)", num_args=1)  # doctest: +SKIP
    """
    function = FUNCTIONS.get(fn)
    if function is None:
        raise ParamError(f"_np_call: mx.np has no function {fn!r}")
    try:
        positional, named = ast.literal_eval(args), ast.literal_eval(kwargs)
    except (ValueError, SyntaxError):
        raise ParamError(f"_np_call: the arguments of {fn} are not Python literals: {args!r}, "
                         f"{kwargs!r}") from None
    out = function(*filled(positional, data), **filled(named, data))
    if num_outputs == 1 and isinstance(out, Array):
        return out
    results = list(out) if isinstance(out, (list, tuple)) else [out]
    if len(results) != num_outputs or not all(isinstance(r, Array) for r in results):
        raise UnsupportedError(f"np.{fn} on symbols: it returns {type(out).__name__} of "
                               f"{len(results)} results where {num_outputs} array(s) were "
                               f"expected from its arguments")
    return results
