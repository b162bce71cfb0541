"""MXNet's engine properties: the bulk size.

MXNet's engine can bundle up to `size` operators into one scheduled unit ("bulk
execution") to save per-operator scheduling cost. mxjit runs an eager operator when it is
called and fuses whole functions under `jit` and `hybridize()`, so there is no scheduler
queue to bundle: the bulk size is kept, reported and restored as in MXNet, and results are
the same with any size, as they are in MXNet.

    >>> with mx.engine.bulk(10):
    ...     x = mx.nd.ones((3,)) * 2
"""
from __future__ import annotations

import threading
from types import TracebackType

__all__ = ["set_bulk_size", "bulk"]

_lock = threading.Lock()
_bulk_size = 0  # (MXNet's engine starts with no bulking)


def set_bulk_size(size: int) -> int:
    """Set the bulk size and return the previous one.

    >>> previous = mx.engine.set_bulk_size(16)
    """
    global _bulk_size
    with _lock:
        previous, _bulk_size = _bulk_size, int(size)
    return previous


class _BulkScope:
    """The bulk size `size` while the scope is entered, the previous one after."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._old_size: int | None = None

    def __enter__(self) -> _BulkScope:
        self._old_size = set_bulk_size(self._size)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> None:
        assert self._old_size is not None
        set_bulk_size(self._old_size)


def bulk(size: int) -> _BulkScope:
    """A scope with bulk size `size` (see the module docstring).

    >>> with mx.engine.bulk(10):
    ...     y = mx.nd.zeros((1,)) + 1
    """
    return _BulkScope(size)
