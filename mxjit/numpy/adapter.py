"""How `mx.np`'s functions are made from the operator table: NumPy's names, signatures and
dtype rules over MXNet's registered operators (one implementation per operator).

A function made here takes NumPy's arguments, turns array arguments into operands
(`operands`), calls the operator's implementation from the registry, and gives what NumPy
would: an `mx.np.ndarray` (`to_np`), written into `out=` when it is given (`finish`).
Its signature is NumPy's (`help(mx.np.sum)` shows it) and its docstring names the
operator it runs.

    >>> f = make('exp', ('x',), lambda x: lookup('exp').impl(x), 'Exponential.')  # doctest: +SKIP
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ..base import ArgumentError
from ..core import Array
from ..core.operators import PendingInput, lookup
from ..ops.operands import write_out, write_outs
from .arithmetic import as_array
from .ndarray import ndarray, view_as
from .pending import resolved_operands

_REQUIRED = inspect.Parameter.empty


def to_np(x: Any) -> Any:
    """An operator's result as `mx.np` arrays (lists and tuples of them kept as such)."""
    if isinstance(x, ndarray):
        return x
    if isinstance(x, Array):
        return view_as(ndarray, x)
    if isinstance(x, list):
        return [to_np(v) for v in x]
    if isinstance(x, tuple):
        return tuple(to_np(v) for v in x)
    return x


def finish(result: Any, out: Any = None) -> Any:
    """What a `mx.np` function returns: `result` as np arrays, written into `out=` if given.

    >>> finish(mx.nd.ones(2))  # doctest: +SKIP
    array([1., 1.])
    """
    if out is None and type(result) is ndarray:
        return result  # (the common case)
    result = to_np(result)
    if out is None:
        return result
    if isinstance(result, (list, tuple)):
        return write_outs(list(result), out)
    return write_out(result, out)


def operands(function: str, *xs: Any) -> list[Any]:
    """The array arguments of `function` as operands: arrays as they are, other data as
    `mx.np` arrays (float32 for Python data, a NumPy array's own dtype)."""
    like = next((x for x in xs if isinstance(x, Array)), None)
    try:
        return [as_array(x, function, like) for x in xs]
    except ArgumentError:
        if not any(isinstance(x, PendingInput) for x in xs):
            raise
    return [as_array(x, function, like) for x in resolved_operands(function, xs)]


def operator(name: str) -> Callable[..., Any]:
    """The implementation registered as operator `name` (the one implementation)."""
    return lookup(name).impl


def make(name: str, params: Sequence[tuple[str, Any] | str], body: Callable[..., Any],
         summary: str, example: str = "", source: str = "") -> Callable[..., Any]:
    """A public `mx.np` function `name` with NumPy's parameters `params` (a name, required,
    or (name, default)), running `body(*arguments)`; `summary` and `example` make its
    docstring, `source` names the operator behind it. The function is compiled from a
    generated `def` with a real signature (as `mx.nd`'s are): binding arguments costs
    nothing beyond Python's own call.

    >>> exp = make('exp', ['x', ('out', None)], lambda x, out: ..., 'e**x.')  # doctest: +SKIP
    """
    namespace: dict[str, Any] = {"_body": body}
    head, call = [], []
    for k, p in enumerate(params):
        pname, default = (p, _REQUIRED) if isinstance(p, str) else p
        if default is _REQUIRED:
            head.append(pname)
        else:
            namespace[f"_d{k}"] = default
            head.append(f"{pname}=_d{k}")
        call.append(pname)
    source_text = (f"def {name}({', '.join(head)}):\n"
                   f"    return _body({', '.join(call)})")
    exec(compile(source_text, f"<mxjit.numpy {name}>", "exec"), namespace)  # noqa: S102
    function = namespace[name]
    function.__module__ = "mxjit.numpy"
    lines = [summary, ""]
    if source:
        lines += [f"(NumPy's `{name}` over MXNet's operator `{source}`.)", ""]
    lines.append(f"    >>> {example or f'mx.np.{name}(mx.np.ones((2, 3)))'}  # doctest: +SKIP")
    function.__doc__ = "\n".join(lines)
    return function  # type: ignore[no-any-return]
