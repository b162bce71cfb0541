"""The trace in progress on this thread: what a trace collects besides the function's
arguments (the random keys it draws), shared by `jit` and the random streams."""
from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ..trace import Node, const, var


class TraceState:
    """The random keys a trace draws (each becomes an input of its program), and how an
    eager array that traced code reads enters the graph (`lift`)."""

    def __init__(self) -> None:
        self.random_keys: list[Node] = []

    def lift(self, array: Any) -> Node:
        """The node of an eager array read by traced code: a constant of its value (a loop
        body's trace makes it an operand instead: `core/loops.py`)."""
        return const(array._data)


class _Tracing(threading.local):
    # (a class default: a thread that never traced reads None without raising and catching
    # AttributeError, on every eager op)
    stack: list[TraceState] | None = None


_tracing = _Tracing()


def current_trace() -> TraceState | None:
    """The innermost trace in progress on this thread, or None when running eagerly.

    >>> current_trace() is None
    True
    """
    stack = _tracing.stack
    return stack[-1] if stack else None


def trace_stack() -> list[TraceState]:
    """This thread's traces in progress, innermost last (`jit` pushes and pops)."""
    stack: list[TraceState] = _tracing.__dict__.setdefault("stack", [])
    return stack


def random_key_input() -> Node:
    """A fresh key input of the current trace; each call of the program gets new key values."""
    state = current_trace()
    assert state is not None
    node = var((2,), np.dtype(np.uint32))
    state.random_keys.append(node)
    return node
