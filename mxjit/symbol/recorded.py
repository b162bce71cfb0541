"""The Symbol of an array's recorded history: what `mx.autograd.get_symbol` returns.

While recording, each MXNet operator call leaves a note on its results' tape records
(`core/history.py`); this walks the notes back from the array to the variables
(`var0`, ...) and constants (`null1`, ...) the history starts from and builds the graph
of those operator calls, named as MXNet's imperative graph names them (`node_3`).
The symbol layer registers `symbol_of` with the history (`core` may not import it), and
`mx.autograd.get_symbol` calls it there.

    >>> with mx.autograd.record(): y = mx.nd.exp(x * 2)  # doctest: +SKIP
    >>> symbol_of(y).list_arguments()  # doctest: +SKIP
    ['var0']
"""
from __future__ import annotations

import weakref
from typing import Any

from ..base import AutogradError
from ..core import tape
from ..core.operators import lookup
from .symbol import Symbol, Variable, make_node


def symbol_of(x: Any) -> Symbol:
    """The recorded computation history of the array `x` as a Symbol of MXNet operators.

    >>> with mx.autograd.record(): y = x * 2 + 1  # doctest: +SKIP
    >>> symbol_of(y).tojson()  # doctest: +SKIP
    """
    if x._rec is None:
        raise AutogradError("NDArray is not part of a computation graph. Did you forget to "
                            "turn on recording?")
    made: dict[int, Symbol] = {}
    stack: list[tuple[Any, bool]] = [(x._rec, False)]
    while stack:
        entry, ready = stack.pop()
        call = entry.origin[0] if isinstance(entry, tape.Rec) and isinstance(
            entry.origin, tuple) else None
        key = id(call if call is not None else entry)
        if key in made:
            continue
        if call is None:
            made[key] = _variable(entry)
        elif ready:
            inputs = [_output(made, e) for e in call.operands]
            made[key] = make_node(lookup(call.op), inputs, dict(call.attrs),
                                  f"node_{call.number}", None, None)
        else:
            stack.append((entry, True))
            stack.extend((e, False) for e in reversed(call.operands))
    return _output(made, x._rec)


def _output(made: dict[int, Symbol], entry: Any) -> Symbol:
    """The symbol of one operand: its call's output, or its variable."""
    origin = entry.origin if isinstance(entry, tape.Rec) else None
    if isinstance(origin, tuple):
        note, index = origin
        return made[id(note)][index]
    return made[id(entry)]


def _variable(entry: Any) -> Symbol:
    """The variable a history starts from: an array with `attach_grad` (named when it got
    it), or a constant (a weak reference: named here, `null<n>`, as MXNet numbers them)."""
    if isinstance(entry, weakref.ref):
        return Variable(f"null{next(tape.variable_numbers)}")
    if entry.array is not None:
        if entry.origin is None:
            entry.origin = f"var{next(tape.variable_numbers)}"
        return Variable(entry.origin)
    raise AutogradError(
        "autograd.get_symbol: the history of this array passes through a step recorded as "
        f"one call ({_describe(entry.key)}): a jitted function, a hybridized block, an "
        "autograd.Function, a CustomOp or an operation NDArray has no MXNet operator "
        "for, which get_symbol cannot show as MXNet operators")


def _describe(key: Any) -> str:
    while isinstance(key, tuple) and key:
        key = key[0]
    return f"recorded as {key!r}"
