"""`mx.name`: automatic names (`dense0`, `fullyconnected3`), counted per hint per process.

A `NameManager` hands out `hint` + a counter for each hint (MXNet's rule: the first
`Dense` is `dense0`, the next `dense1`); entering one as a context makes it current for
the thread. `Prefix` puts a fixed prefix before every name it hands out, which is how
`Block.name_scope()` names what is created inside a block.

    >>> with mx.name.Prefix('net_'):  # doctest: +SKIP
    ...     mx.name.NameManager.current().get(None, 'dense')
    'net_dense0'
"""
from __future__ import annotations

import threading
from typing import Any


class NameManager:
    """Hands out names: an explicit name as given, else `hint` + the count of that hint.

    >>> m = NameManager(); m.get(None, 'conv'), m.get(None, 'conv'), m.get('x', 'conv')
    ('conv0', 'conv1', 'x')
    """

    _current = threading.local()

    def __init__(self) -> None:
        self._counter: dict[str, int] = {}
        self._old: NameManager | None = None

    def get(self, name: str | None, hint: str) -> str:
        """`name` itself when given, else the next automatic name for `hint`."""
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return f"{hint}{count}"

    def __enter__(self) -> NameManager:
        self._old = NameManager.current()
        NameManager._current.value = self
        return self

    def __exit__(self, *exc: Any) -> None:
        NameManager._current.value = self._old

    @staticmethod
    def current() -> NameManager:
        """This thread's current manager (a process-wide default one at first).

        >>> NameManager.current().get('data', 'variable')
        'data'
        """
        value = getattr(NameManager._current, "value", None)
        if value is None:
            value = NameManager._current.value = _DEFAULT
        return value


class Prefix(NameManager):
    """A manager that puts `prefix` before every name, with counters of its own.

    >>> Prefix('mynet_').get(None, 'dense')
    'mynet_dense0'
    """

    def __init__(self, prefix: str):
        super().__init__()
        self._prefix = prefix

    def get(self, name: str | None, hint: str) -> str:
        return self._prefix + super().get(name, hint)


_DEFAULT = NameManager()

__all__ = ["NameManager", "Prefix"]
