"""`npx.constraint_check`: a run-time check that every element of a boolean array is true.

Eagerly the check runs at once; inside a trace (`mx.jit`, a hybridized block) it is a host
call (trace/host.py) that the compiled program runs where the array is known, so a
violated constraint stops the program with the message. Its result is `True` as a 0-d
bool array: multiplying by it keeps the check in the graph, as MXNet's documentation says.

    >>> scale = mx.np.array([1., 2.])
    >>> scale * mx.npx.constraint_check(scale > 0, 'scale must be positive')  # doctest: +SKIP
    array([1., 2.])
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ArgumentError, ConstraintError, DTypeError, GradientError
from ..core.dispatch import lift
from ..numpy.adapter import operands
from ..numpy.ndarray import ndarray
from ..ops.indexing import concrete
from ..trace import AbstractValue, apply

_TRUE = AbstractValue((), np.dtype(bool))


class _Check:
    """The host function of a traced check (trace/host.py's HostFunction)."""

    def __init__(self, msg: str):
        self.name, self.msg = "npx.constraint_check", msg

    def forward(self, operands: Sequence[np.ndarray]) -> list[np.ndarray]:
        if not np.all(operands[0]):
            raise ConstraintError(self.msg)
        return [np.array(True)]

    def backward(self, operands: Any, results: Any, cotangents: Any, wanted: Any) -> Any:
        """Never called: a bool operand has no gradient."""
        raise GradientError("npx.constraint_check has no gradient")


def constraint_check(input: Any, msg: str = "Constraint violated.") -> ndarray:  # noqa: A002
    """`True` (a 0-d bool array) when every element of the bool array `input` is true;
    otherwise a ValueError (`ConstraintError`) with `msg`, when the value is known (at
    once eagerly, when the compiled program runs inside a trace).

    >>> mx.npx.constraint_check(mx.np.array([1., 2.]) > 0)  # doctest: +SKIP
    array(True)
    """
    if not isinstance(msg, str):
        raise ArgumentError(f"constraint_check: msg must be a string, got {type(msg).__name__}")
    x = operands("constraint_check", input)[0]
    if x._dtype != np.bool_:
        raise DTypeError(f"constraint_check: input must be a bool array, got {x._dtype}")
    values = concrete(x)
    if values is not None:
        return ndarray._wrap(_Check(msg).forward([values])[0])  # type: ignore[no-any-return]
    node = x._node if x._node is not None else lift(x)
    return ndarray._traced(apply("host_call", node, fn=_Check(msg), index=0,  # type: ignore
                                 avals=(_TRUE,)))
