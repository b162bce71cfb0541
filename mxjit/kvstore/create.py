"""`mx.kv.create(name)`: a registered Python store by its lower-case class name, else one
of MXNet's built-in types, chosen by what the name contains as MXNet's C++ factory does
('dist' and 'async': `dist_async`; 'dist': `dist_sync`; anything else: a store of this
process, whose `type` is the name given).

    >>> mx.kv.create('local').type
    'local'
"""
from __future__ import annotations

from ..base import ArgumentError
from .base import KVStoreBase
from .dist_async import DistAsyncKVStore
from .dist_sync import DistSyncKVStore
from .local import KVStore

__all__ = ["create"]

#: built-in store classes by the parts their type name contains (the first that matches;
#: names matching none are stores of this process)
BUILT_IN: tuple[tuple[tuple[str, ...], type[KVStore]], ...] = (
    (("dist", "async"), DistAsyncKVStore),
    (("dist",), DistSyncKVStore),
)


def create(name: str = "local") -> KVStoreBase:
    """A new KVStore: 'local', 'device', 'dist_sync', 'dist_device_sync', 'dist_async',
    'horovod', or a store registered with `KVStoreBase.register`.

    >>> kv = mx.kv.create('device')
    """
    if not isinstance(name, str):
        raise ArgumentError(f"name must be a string, got {type(name).__name__}")
    name = name.lower()
    if name in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[name]()  # type: ignore[no-any-return]
    for parts, cls in BUILT_IN:
        if all(p in name for p in parts):
            return cls(name)
    return KVStore(name)
