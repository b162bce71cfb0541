"""Classes registered by lower-case name, one `Registry` per kind (initializers, metrics),
as MXNet's `mx.registry` keeps them: `register` warns when a name moves to another class,
and `find` names the registered ones when a name is unknown.

    >>> inits = Registry(object, "initializer")
    >>> inits.register(dict).__name__, inits.find("DICT").__name__
    ('dict', 'dict')
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Generic, TypeVar

from .base import ArgumentError, ParamError

_B = TypeVar("_B")
_K = TypeVar("_K", bound=type)


class Registry(Generic[_B]):
    """The subclasses of `base` by name; `nickname` is what the messages call them."""

    def __init__(self, base: type[_B], nickname: str) -> None:
        self.base = base
        self.nickname = nickname
        self.classes: dict[str, type[_B]] = {}

    def register(self, klass: _K, name: str | None = None, stacklevel: int = 2) -> _K:
        """Register `klass` under `name` (its class name by default), lower-cased;
        `stacklevel` is the warning's, counted from the caller of `register`."""
        if not self._accepts(klass):
            raise ArgumentError(f"Can only register subclass of {self.base.__name__}, got "
                                f"{klass!r}")
        key = (name or klass.__name__).lower()
        old = self.classes.get(key)
        if old is not None and old is not klass:
            warnings.warn(f"New {self.nickname} {klass.__module__}.{klass.__name__} "
                          f"registered with name {key} is overriding existing {self.nickname} "
                          f"{old.__module__}.{old.__name__}", UserWarning,
                          stacklevel=stacklevel + 1)
        self.classes[key] = klass
        return klass

    def alias(self, *aliases: str) -> Callable[[_K], _K]:
        """A class decorator registering its class under each of `aliases` too."""
        def decorate(klass: _K) -> _K:
            for name in aliases:
                self.register(klass, name)
            return klass
        return decorate

    def _accepts(self, klass: object) -> bool:
        # (a predicate apart, so that type checkers keep `klass`'s own type in `register`)
        return isinstance(klass, type) and issubclass(klass, self.base)

    def find(self, name: str) -> type[_B]:
        """The class registered under `name` (in any case)."""
        klass = self.classes.get(name.lower())
        if klass is None:
            raise ParamError(f"{name} is not registered. Please register with "
                             f"{self.nickname}.register first (registered: "
                             f"{', '.join(sorted(self.classes))})")
        return klass
