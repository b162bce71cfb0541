"""The 'horovod' store (MXNet 2.0's `Horovod` KVStore): allreduce without a store, over
MPI here instead of Horovod's library. `pushpull` sums over this process's devices and
the workers; `broadcast` copies rank 0's value; it has no optimizer, so a Gluon `Trainer`
over it updates the weights itself.

    >>> kv = mx.kv.create('horovod')  # doctest: +SKIP
    >>> kv.pushpull('g', grad)  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import mpi
from .base import KVStoreBase, capability_is_optimizer
from .keys import pairs
from .local import host, own_buffer, write

__all__ = ["Horovod"]


@KVStoreBase.register
class Horovod(KVStoreBase):
    """Allreduce and broadcast over the MPI world, Horovod's way (no stored values).

    >>> kv = mx.kv.create('horovod')  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._comm = mpi.world()

    @property
    def type(self) -> str:
        return "horovod"

    @property
    def rank(self) -> int:
        return int(self._comm.Get_rank())

    @property
    def local_rank(self) -> int:
        """This worker's rank among the workers of its machine."""
        return int(mpi.local_comm().Get_rank())

    @property
    def num_workers(self) -> int:
        return int(self._comm.Get_size())

    @staticmethod
    def is_capable(capability: str) -> bool:  # type: ignore[override]
        """The horovod store has no optimizer."""
        capability_is_optimizer(capability)
        return False

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        values = pairs(key, value)
        outs = pairs(key, out, "out")
        mpi.check_agreement(self._comm, "broadcast",
                            [(k, a[0].shape, str(a[0].dtype)) for k, a in values])
        sent = mpi.broadcast(self._comm, [host(a[0]) for _, a in values])
        for (k, os), v in zip(outs, sent):
            for o in os:
                write(o, v, k, "broadcast")

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        values = pairs(key, value)
        merged = []
        for _, arrays in values:
            total = host(arrays[0])
            for a in arrays[1:]:
                total = total + host(a)
            merged.append(total)
        mpi.check_agreement(self._comm, "pushpull",
                            [(k, m.shape, str(m.dtype)) for (k, _), m in zip(values, merged)])
        targets = values if out is None else pairs(key, out, "out")
        # (the sum goes straight into the first output of each key when it can)
        direct = [own_buffer(os[0], m.dtype) for (_, os), m in zip(targets, merged)]
        outs = [d if d is not None and d.shape == m.shape else np.empty_like(m)
                for d, m in zip(direct, merged)]
        sums = mpi.allreduce(self._comm, merged, outs=outs)
        for (k, os), s, d in zip(targets, sums, direct):
            for o in os[1:] if s is d else os:
                write(o, s, k, "pushpull")

    def set_optimizer(self, optimizer: Any) -> None:
        """Nothing to do: the horovod store keeps no weights (as in MXNet 2.0)."""

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        """Nothing to save: the horovod store keeps no optimizer (as in MXNet 2.0)."""

    def load_optimizer_states(self, fname: str) -> None:
        """Nothing to load: the horovod store keeps no optimizer (as in MXNet 2.0)."""

