"""`mx.kv` / `mx.kvstore`: key-value stores that sum gradients over devices and workers.

`local.py` is the store of one process, `dist_sync.py` and `dist_async.py` the stores
over MPI (`mpi.py`), `horovod_store.py` the 'horovod' allreduce store; `create.py` picks
one by name; `compression.py` is MXNet's 2-bit gradient compression.

    >>> kv = mx.kv.create('local')
"""
from .base import KVStoreBase, TestStore
from .create import create
from .dist_async import DistAsyncKVStore
from .dist_sync import DistSyncKVStore
from .horovod_store import Horovod  # (registers 'horovod')
from .local import KVStore

__all__ = ["KVStoreBase", "KVStore", "TestStore", "Horovod", "DistSyncKVStore",
           "DistAsyncKVStore", "create"]


def __dir__() -> list[str]:
    return __all__
