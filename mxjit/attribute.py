"""`mx.AttrScope`: attributes every symbol created inside a `with` block gets.

    >>> with mx.AttrScope(ctx_group='stage1', lr_mult='0.5'):  # doctest: +SKIP
    ...     fc = mx.sym.FullyConnected(x, num_hidden=10)
    >>> fc.attr('lr_mult')  # doctest: +SKIP
    '0.5'
"""
from __future__ import annotations

import threading
from typing import Any

from .base import ArgumentError


class AttrScope:
    """Attributes (strings) for the symbols made inside the scope; nested scopes add to
    the outer ones.

    >>> AttrScope(group='a').get({'lr_mult': '2'}) == {'group': 'a', 'lr_mult': '2'}
    True
    """

    _current = threading.local()

    def __init__(self, **kwargs: str):
        for k, v in kwargs.items():
            if not isinstance(v, str):
                raise ArgumentError(f"AttrScope: attribute {k} must be a string, got "
                                    f"{type(v).__name__}")
        self._attr = dict(kwargs)
        self._old: AttrScope | None = None

    def get(self, attr: dict[str, Any] | None) -> dict[str, str]:
        """This scope's attributes updated with `attr` (a new dict)."""
        out = dict(self._attr)
        if attr:
            out.update({k: str(v) for k, v in attr.items()})
        return out

    def __enter__(self) -> AttrScope:
        self._old = AttrScope.current()
        merged = dict(self._old._attr)
        merged.update(self._attr)
        self._attr = merged
        AttrScope._current.value = self
        return self

    def __exit__(self, *exc: Any) -> None:
        AttrScope._current.value = self._old

    @staticmethod
    def current() -> AttrScope:
        """The scope in effect on this thread (an empty one outside any)."""
        value = getattr(AttrScope._current, "value", None)
        if value is None:
            value = AttrScope._current.value = AttrScope()
        return value


__all__ = ["AttrScope"]
