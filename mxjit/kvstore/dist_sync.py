"""`dist_sync` (and `dist_device_sync`, `dist_sync_device`): every worker keeps a replica of
the store, kept equal by MPI collectives in place of MXNet's parameter servers.

`init` stores rank 0's values on every worker (a broadcast); a push sums each key over
this process's devices, then over the workers (an allreduce in buckets, see `mpi.py`),
and every worker applies the same sum with the same updater to the same stored value, so
the replicas stay equal: what MXNet's servers compute, with the pull served locally.
With 2-bit compression each worker quantizes its sum (a residual per key), the packed
codes are allgathered (1/16 of the bytes) and every worker adds up everyone's
dequantized values. Every collective first checks that all workers pass the same keys
and shapes, and names the key when they do not.

    >>> kv = mx.kv.create('dist_sync')  # under mpiexec  # doctest: +SKIP
    >>> kv.rank, kv.num_workers  # doctest: +SKIP
    (0, 2)
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import mpi
from .keys import Key
from .local import KVStore

__all__ = ["DistSyncKVStore"]


class DistSyncKVStore(mpi.WorldMember, KVStore):
    """A synchronous store over the MPI world: all workers hold the same values after
    every push.

    >>> kv = mx.kv.create('dist_sync')  # doctest: +SKIP
    """

    _sums_rows = False  # (workers' sums travel dense)

    def __init__(self, name: str = "dist_sync") -> None:
        super().__init__(name)
        self._comm = mpi.world()
        self._sums: dict[Key, np.ndarray] = {}
        self._presummed = False

    def _initial_values(self, items: list[tuple[Key, np.ndarray]]) -> list[np.ndarray]:
        mpi.check_agreement(self._comm, "init", _signature(items))
        return mpi.broadcast(self._comm, [v for _, v in items])

    @contextmanager
    def summed_already(self) -> Iterator[None]:
        """Pushes inside are already summed over the workers (a Trainer's gradients summed
        while the backward pass ran, `overlap.py`): they are applied as they are.

        >>> with kv.summed_already(): kv.pushpull(keys, sums, out=weights)  # doctest: +SKIP
        """
        self._presummed = True
        try:
            yield
        finally:
            self._presummed = False

    def _reduce(self, merged: list[tuple[Key, np.ndarray]]
                ) -> tuple[list[tuple[Key, np.ndarray]], bool]:
        if self._presummed:
            return merged, False
        mpi.check_agreement(self._comm, "push", _signature(merged))
        keys = [k for k, _ in merged]
        if self._compression is not None:
            return list(zip(keys, self._reduce_compressed(merged))), False
        # the sums go straight into the stored values when they are simply assigned,
        # else into buffers kept per key (no new memory, no page faults, per push)
        assign = self._updater is None
        outs = [self._target(k, m, assign) for k, m in merged]
        # (the updater reads the sums at once: views of the bucket buffers will do)
        sums = mpi.allreduce(self._comm, [m for _, m in merged], outs=outs, views=not assign)
        return list(zip(keys, sums)), assign and all(
            o is self._store[k]._buffer() for k, o in zip(keys, outs))

    def _target(self, key: Key, merged: np.ndarray, assign: bool) -> np.ndarray:
        if assign:
            stored = self._store[key]._buffer()
            if isinstance(stored, np.ndarray) and stored.dtype == merged.dtype \
                    and stored.flags.c_contiguous:
                return stored
        buf = self._sums.get(key)
        if buf is None or buf.dtype != merged.dtype or buf.shape != merged.shape:
            buf = self._sums[key] = np.empty(merged.shape, merged.dtype)
        return buf

    def _reduce_compressed(self, merged: list[tuple[Key, np.ndarray]]) -> list[np.ndarray]:
        gc = self._compression
        assert gc is not None
        packed = [gc.quantize(k, m) for k, m in merged]
        mine = np.concatenate(packed)
        everyone = np.empty(mine.size * self.num_workers, np.uint8)
        self._comm.Allgather(mine, everyone)
        per_worker = everyone.reshape(self.num_workers, mine.size)
        sums, offset = [], 0
        for (_, m), p in zip(merged, packed):
            total = np.zeros(m.size, np.float32)
            for codes in per_worker[:, offset:offset + p.size]:
                total += gc.dequantize(codes, m.size)
            sums.append(total.reshape(m.shape).astype(m.dtype, copy=False))
            offset += p.size
        return sums


def _signature(items: list[tuple[Key, Any]]) -> list[tuple[Key, tuple[int, ...], str]]:
    return [(k, tuple(v.shape), str(v.dtype)) for k, v in items]
