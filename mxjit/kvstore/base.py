"""`KVStoreBase`, the interface every store implements, its registry of Python stores, and
MXNet's `TestStore` (a store without an optimizer, which its unit tests create as
'teststore').

    >>> @mx.kv.KVStoreBase.register  # doctest: +SKIP
    ... class MyStore(mx.kv.KVStoreBase): ...
    >>> mx.kv.create('mystore')  # doctest: +SKIP
"""
from __future__ import annotations

import warnings
from typing import Any, ClassVar

from ..base import NotOverriddenError, ParamError
from ..nd import NDArray

__all__ = ["KVStoreBase", "TestStore"]

Class = type  # (inside KVStoreBase, `type` is the store's type-name property)


def _abstract(what: str) -> NotOverriddenError:
    return NotOverriddenError(f"KVStore: {what} is not implemented by this store")


class KVStoreBase:
    """An abstract key-value store for data-parallel training (MXNet's interface).

    >>> kv = mx.kv.create('local'); isinstance(kv, mx.kv.KVStoreBase)  # doctest: +SKIP
    True
    """

    OPTIMIZER = "optimizer"
    kv_registry: ClassVar[dict[str, Class]] = {}

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        """Broadcast rank 0's `value` to every rank and store it in `out`.

        >>> kv.broadcast('w', mx.nd.ones((2,)), out=w)  # doctest: +SKIP
        """
        raise _abstract("broadcast")

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """Push `value` (summed over devices and workers) and pull the result into `out`
        (into `value` when `out` is None).

        >>> kv.pushpull('w', grads)  # doctest: +SKIP
        """
        raise _abstract("pushpull")

    def set_optimizer(self, optimizer: Any) -> None:
        """Run `optimizer` on every push, where the store keeps the weights.

        >>> kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))  # doctest: +SKIP
        """
        raise _abstract("set_optimizer")

    def is_capable(self, capability: str) -> bool:
        """Whether the store supports `capability` ('optimizer').

        >>> kv.is_capable('optimizer')  # doctest: +SKIP
        True
        """
        raise _abstract("is_capable")

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        """Save the updater's states (and the optimizer with `dump_optimizer`) to `fname`.

        >>> kv.save_optimizer_states('kv.states')  # doctest: +SKIP
        """
        raise _abstract("save_optimizer_states")

    def load_optimizer_states(self, fname: str) -> None:
        """Load updater states saved by `save_optimizer_states`.

        >>> kv.load_optimizer_states('kv.states')  # doctest: +SKIP
        """
        raise _abstract("load_optimizer_states")

    @property
    def type(self) -> str:
        """The store's type name ('local', 'dist_sync', ...)."""
        raise _abstract("type")

    @property
    def rank(self) -> int:
        """This worker's rank, in [0, num_workers)."""
        raise _abstract("rank")

    @property
    def num_workers(self) -> int:
        """The number of workers."""
        raise _abstract("num_workers")

    @staticmethod
    def register(klass: Class) -> Class:
        """Register a store class under its lower-case name, for `mx.kv.create`.

        >>> mx.kv.KVStoreBase.register(MyStore)  # doctest: +SKIP
        """
        if not isinstance(klass, Class):
            raise ParamError(f"KVStoreBase.register: expected a class, got "
                             f"{type(klass).__name__}")
        name = klass.__name__.lower()
        if name in KVStoreBase.kv_registry:
            old = KVStoreBase.kv_registry[name]
            warnings.warn(f"WARNING: New kvstore {klass.__module__}.{klass.__name__} is "
                          f"overriding existing kvstore {old.__module__}.{old.__name__}",
                          stacklevel=2)
        KVStoreBase.kv_registry[name] = klass
        return klass


def capability_is_optimizer(capability: str) -> bool:
    """True for 'optimizer' (any case); any other capability is an error, as in MXNet.

    >>> capability_is_optimizer('Optimizer')
    True
    """
    if capability.lower() == KVStoreBase.OPTIMIZER:
        return True
    raise ParamError(f"Unknown capability: {capability}")


@KVStoreBase.register
class TestStore(KVStoreBase):
    """A one-process store without an optimizer (MXNet's 'teststore').

    >>> kv = mx.kv.create('teststore')  # doctest: +SKIP
    """

    __test__ = False  # (not a pytest class)

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        for o in out if isinstance(out, list) else [out]:
            o[:] = value

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        if isinstance(value, NDArray):
            if out is not None:
                for o in out if isinstance(out, list) else [out]:
                    o[:] = value
            return
        ctx = value[0].context
        total = value[0].as_in_context(ctx).copy()
        for v in value[1:]:
            total += v.as_in_context(ctx)
        for o in value if out is None else out if isinstance(out, list) else [out]:
            o[:] = total

    @staticmethod
    def is_capable(capability: str) -> bool:  # type: ignore[override]
        """A TestStore has no optimizer."""
        capability_is_optimizer(capability)
        return False

    @property
    def type(self) -> str:
        return "teststore"

    @property
    def rank(self) -> int:
        return 0

    @property
    def num_workers(self) -> int:
        return 1
