"""Which MXNet operator call produced each recorded array: what `autograd.get_symbol` shows.

The tape (`tape.py`) records primitives, not MXNet's operators, so while recording, a
front-end call of an operator (`operators.make_function`'s functions, NDArray's
arithmetic) also leaves a `Note` on its results' records: the operator's name, the
parameters it was given as MXNet's strings, and its operands (their records; a constant,
which has none, by a weak reference, so that nothing the tape would drop is kept).
The symbol layer builds the Symbol (`symbol/recorded.py`, registered with
`register_symbol_builder`, since `core` may not import it). Results are named as MXNet's
imperative graph names them: `node_0`, `node_1`, ... in recording order; variables are
`var0`, `var1`, ... in `attach_grad` order (`tape.py`).

    >>> with mx.autograd.record(): y = mx.nd.exp(x)  # doctest: +SKIP
    >>> note, index = y._rec.origin; note.op, note.operands  # doctest: +SKIP
    ('exp', [<Rec of x>])
"""
from __future__ import annotations

import functools
import itertools
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from ..base import MXNetError
from . import tape
from .array import Array

_node_numbers = itertools.count()


class Note:
    """One recorded call of an MXNet operator (see the module docstring); its results'
    records hold `(note, output index)` as their `origin`."""

    __slots__ = ("op", "_attrs", "operands", "number")

    def __init__(self, op: str, attrs: dict[str, str] | Callable[[], dict[str, str]],
                 operands: list[Any]):
        self.op, self._attrs, self.operands = op, attrs, operands
        self.number = next(_node_numbers)  # (MXNet's node_<n>, in recording order)

    @property
    def attrs(self) -> dict[str, str]:
        """The parameters as MXNet's strings (written when first asked for: recording
        only keeps the values, as it runs on every recorded call)."""
        if callable(self._attrs):
            self._attrs = self._attrs()
        return self._attrs


def note_call(op: str, attrs: dict[str, str] | Callable[[], dict[str, str]],
              operands: Sequence[Any], results: Any) -> Any:
    """Note on each recorded result that `op(*operands, **attrs)` produced it; gives
    `results` back. Nothing happens outside `record()`, when nothing was recorded, or
    when an operand is a number or is given back (it keeps its own origin).

    >>> y = note_call('exp', {}, (x,), mx.nd.exp(x))  # doctest: +SKIP
    """
    if isinstance(results, Array):
        if results._rec is None:
            return results
        recs: tuple[Any, ...] = (results._rec,)
    else:
        recs = tuple(r._rec if isinstance(r, Array) else None for r in results)
    if not tape.is_recording():
        return results
    noted = []
    for a in operands:
        if a is None:
            continue  # (an optional input left out)
        if not isinstance(a, Array):
            return results
        rec = a._rec
        if rec is None:  # a constant: a weak reference, the same object for each use
            noted.append(weakref.ref(a))
        elif rec in recs:
            return results
        else:
            noted.append(rec)
    note = Note(op, attrs, noted)
    for k, rec in enumerate(recs):
        if rec is not None and rec.array is None:
            rec.origin = (note, k)
    return results


def note_operator(op: Any, params: dict[str, Any], operands: Sequence[Any], results: Any
                  ) -> Any:
    """`note_call` for a front-end function of the `Operator` `op`: the parameters that
    differ from their defaults, written as MXNet writes them (MXNet writes those the caller
    passed, which a Python signature cannot tell apart from defaults passed explicitly)."""
    flat = operands[0] if (op.variadic and len(operands) == 1
                           and isinstance(operands[0], (list, tuple))) else operands
    return note_call(op.name, functools.partial(_operator_attrs, op, params, len(flat)),
                     flat, results)


def _operator_attrs(op: Any, params: dict[str, Any], count: int) -> dict[str, str]:
    """`note_operator`'s parameters as MXNet writes them (`count`: the operands)."""
    attrs = {}
    for p in op.params:
        value = params.get(p.name, p.default)
        if not _is_default(value, p.default):
            attrs[p.name] = _attr_text(p, value)
    if op.variadic and any(p.name == "num_args" for p in op.params):
        attrs["num_args"] = str(count)  # (MXNet's front end passes it for any count)
    for key, value in params.items():  # (an open operator's further keywords: Custom's)
        if not any(p.name == key for p in op.params) and value is not None:
            attrs[key] = str(value)
    return attrs


def _is_default(value: Any, default: Any) -> bool:
    if value is default:
        return True
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):
        return False


def _attr_text(param: Any, value: Any) -> str:
    """A parameter's string as MXNet's Python front end writes it: a number given for a
    shape stays a number (`sum(x, axis=0)`: `"0"`)."""
    if param.kind == "shape" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return param.format(value)  # type: ignore[no-any-return]


#: NDArray's arithmetic as MXNet's NDArray methods call it: primitive -> (the operator of
#: two arrays, of an array and a number, of a number and an array).
ARITHMETIC: dict[str, tuple[str, str, str]] = {
    "add": ("broadcast_add", "_plus_scalar", "_plus_scalar"),
    "sub": ("broadcast_sub", "_minus_scalar", "_rminus_scalar"),
    "mul": ("broadcast_mul", "_mul_scalar", "_mul_scalar"),
    "div": ("broadcast_div", "_div_scalar", "_rdiv_scalar"),
    "mod": ("broadcast_mod", "_mod_scalar", "_rmod_scalar"),
    "pow": ("broadcast_power", "_power_scalar", "_rpower_scalar"),
    "eq": ("broadcast_equal", "_equal_scalar", "_equal_scalar"),
    "ne": ("broadcast_not_equal", "_not_equal_scalar", "_not_equal_scalar"),
    "lt": ("broadcast_lesser", "_lesser_scalar", "_greater_scalar"),
    "le": ("broadcast_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar"),
    "gt": ("broadcast_greater", "_greater_scalar", "_lesser_scalar"),
    "ge": ("broadcast_greater_equal", "_greater_equal_scalar", "_lesser_equal_scalar"),
}


def note_arithmetic(op: str, lhs: Any, rhs: Any, result: Any) -> Any:
    """`note_call` for `lhs op rhs` (NDArray's `__add__` and kin, either side a number) as
    MXNet's NDArray methods record it: `broadcast_add`, `_plus_scalar`, `_rminus_scalar`, ...
    with the number as a float (`scalar="2.0"`).

    >>> y = note_arithmetic('sub', 1, x, 1 - x)  # doctest: +SKIP
    """
    if result._rec is None:
        return result
    of_arrays, array_number, number_array = ARITHMETIC[op]
    if isinstance(lhs, Array) and isinstance(rhs, Array):
        return note_call(of_arrays, {}, (lhs, rhs), result)
    if isinstance(lhs, Array):
        return note_call(array_number, {"scalar": repr(float(rhs))}, (lhs,), result)
    return note_call(number_array, {"scalar": repr(float(lhs))}, (rhs,), result)


#: What builds the Symbol of a recorded array: the symbol layer's, once it is imported.
_symbol_builder: list[Callable[[Any], Any]] = []


def register_symbol_builder(build: Callable[[Any], Any]) -> None:
    """Set the function `symbol_of` calls (mx.sym registers `recorded.symbol_of`)."""
    _symbol_builder[:] = [build]


def symbol_of(x: Any) -> Any:
    """The recorded history of `x` as a Symbol (through the registered builder).

    >>> symbol_of(y).list_arguments()  # doctest: +SKIP
    ['var0']
    """
    if not _symbol_builder:
        raise MXNetError("autograd.get_symbol needs mxjit.symbol, which is not imported")
    return _symbol_builder[0](x)
