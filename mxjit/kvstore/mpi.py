"""MPI, as the distributed stores and `mxjit.horovod` use it: the world communicator
(mpi4py, imported on first use so that `import mxjit` never needs it), an abort of every
process when one fails, agreement checks, and allreduce in buckets.

A worker whose Python code raises would leave the others waiting in a collective forever;
`world()` installs an exception hook that prints the traceback and calls `MPI_Abort`, so
`mpiexec` ends every process (as `python -m mpi4py` does). A worker killed outright is
seen by `mpiexec`, which ends the others.

Many small arrays are summed in a few large messages: `allreduce` packs arrays of one
dtype into buckets of up to `MXJIT_KVSTORE_BUCKET_MB` (default 32) MB, one `Allreduce`
each; an array of `MXJIT_KVSTORE_ALONE_KB` (default 256) KB or more goes alone, without
a copy.

    >>> sums = allreduce(world(), [np.ones(3, 'f'), np.ones(2, 'f')])  # doctest: +SKIP
"""
from __future__ import annotations

import os
import pickle
import sys
import traceback
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ShapeError, UnsupportedError

#: bytes per allreduce bucket
BUCKET_BYTES = int(float(os.environ.get("MXJIT_KVSTORE_BUCKET_MB", "32")) * 2**20)
#: an array of at least this many bytes travels alone, in place where it may: copying it
#: into a bucket and out again costs more than the latency of a message of its own (on a
#: 2-core host, 100 arrays of 256 KB: 15.5 ms bucketed, 11.1 ms one message each)
ALONE_BYTES = int(float(os.environ.get("MXJIT_KVSTORE_ALONE_KB", "256")) * 2**10)

_hook_installed = False


def world() -> Any:
    """MPI's world communicator (mpi4py), with the abort-on-error hook installed.

    >>> world().Get_size()  # doctest: +SKIP
    2
    """
    try:
        from mpi4py import MPI  # (optional: pip install 'mxjit[dist]')
    except ImportError as e:
        raise UnsupportedError("distributed KVStores and mxjit.horovod need MPI: pip install "
                               "'mxjit[dist]' (mpi4py and mpich)") from e
    _install_abort_hook(MPI)
    return MPI.COMM_WORLD


def _install_abort_hook(mpi: Any) -> None:
    global _hook_installed
    if _hook_installed:
        return
    _hook_installed = True
    previous = sys.excepthook

    def _abort_all(kind: Any, value: Any, tb: Any) -> None:
        comm = mpi.COMM_WORLD
        if comm.Get_size() > 1:
            # (said before the traceback: the launcher may stop this process while a long
            # traceback is still being written, once another worker has gone)
            sys.stderr.write(f"mxjit: worker {comm.Get_rank()} failed with {kind.__name__}; "
                             f"aborting all {comm.Get_size()} workers (MPI_Abort)\n")
            sys.stderr.flush()
        previous(kind, value, tb)
        if comm.Get_size() > 1:
            sys.stderr.flush()
            comm.Abort(1)

    sys.excepthook = _abort_all


def mpi_op(name: str) -> Any:
    """The MPI reduction named `name` ('sum', 'min', 'max', 'prod').

    >>> mpi_op('sum')  # doctest: +SKIP
    <mpi4py.MPI.Op object at ...>
    """
    from mpi4py import MPI

    return {"sum": MPI.SUM, "min": MPI.MIN, "max": MPI.MAX, "prod": MPI.PROD}[name]


def check_agreement(comm: Any, call: str, signature: Sequence[tuple[Any, ...]]) -> None:
    """Raise on every worker, naming the first differing entry, unless all workers pass
    the same `signature` (e.g. (key, shape, dtype) per key). One 16-byte allreduce when
    they agree.

    >>> check_agreement(comm, 'push', [(3, (2, 2), 'float32')])  # doctest: +SKIP
    """
    if comm.Get_size() == 1:
        return
    digest = zlib.crc32(repr(list(signature)).encode())
    both = np.array([digest, -digest], np.int64)
    comm.Allreduce(in_place(), both, op=mpi_op("min"))
    if both[0] == -both[1]:
        return
    everyone = comm.allgather(list(signature))
    mine = everyone[0]
    for rank, theirs in enumerate(everyone[1:], start=1):
        for a, b in zip(mine, theirs):
            if a != b:
                raise ShapeError(f"KVStore.{call}: the workers disagree on key {a[0]!r}: rank 0 "
                                 f"has {a}, rank {rank} has {b}")
        if len(mine) != len(theirs):
            longer, n = (mine, 0) if len(mine) > len(theirs) else (theirs, rank)
            extra = longer[min(len(mine), len(theirs))]
            raise ShapeError(f"KVStore.{call}: key {extra[0]!r} is given on rank {n} only "
                             f"(rank 0 gives {len(mine)} keys, rank {rank} {len(theirs)})")


def in_place() -> Any:
    """MPI's IN_PLACE (the send buffer is the receive buffer).

    >>> comm.Allreduce(in_place(), buf)  # doctest: +SKIP
    """
    from mpi4py import MPI

    return MPI.IN_PLACE


def buckets(arrays: Sequence[np.ndarray], limit: int = BUCKET_BYTES,
            alone: int = ALONE_BYTES) -> list[list[int]]:
    """Indices of `arrays` grouped into buckets of one dtype and at most `limit` bytes
    (an array of `alone` bytes or more, or larger than `limit`, is a bucket of its own).

    >>> buckets([np.ones(4, 'f'), np.ones(4, 'f')], limit=16)
    [[0], [1]]
    """
    planned: list[list[int]] = []
    open_: dict[Any, tuple[list[int], int]] = {}
    for i, a in enumerate(arrays):
        if a.nbytes >= min(alone, limit):
            planned.append([i])
            continue
        members, size = open_.get(a.dtype, ([], 0))
        if members and size + a.nbytes > limit:
            planned.append(members)
            members, size = [], 0
        members.append(i)
        open_[a.dtype] = (members, size + a.nbytes)
    planned.extend(m for m, _ in open_.values())
    return sorted(planned)


#: flat bucket buffers kept between calls, by (bucket number, dtype, elements): a fresh
#: buffer of many megabytes would be mapped anew and page-faulted on every call, and the
#: buckets of one call need buffers of their own (`views` hands them out)
_scratch: dict[tuple[int, Any, int], np.ndarray] = {}
SCRATCH_ENTRIES = 64


def _flat_buffer(number: int, dtype: Any, size: int) -> np.ndarray:
    key = (number, np.dtype(dtype), size)
    buf = _scratch.get(key)
    if buf is None:
        if len(_scratch) >= SCRATCH_ENTRIES:
            _scratch.clear()
        buf = _scratch[key] = np.empty(size, dtype)
    return buf


def allreduce(comm: Any, arrays: Sequence[np.ndarray], op: str = "sum",
              limit: int = BUCKET_BYTES, outs: Sequence[np.ndarray] | None = None,
              views: bool = False) -> list[np.ndarray]:
    """The elementwise `op` of each array over the workers, in buckets of up to `limit`
    bytes: written into `outs` (C-contiguous, same shapes and dtypes; an out may be its
    array itself: then in place) and returned, or into new arrays without `outs`. With
    `views`, an array that shared a bucket comes back as a view of the bucket's buffer
    instead (no copy; valid until the next call).

    >>> allreduce(comm, [np.ones(3, 'f')])[0]  # doctest: +SKIP
    array([2., 2., 2.], dtype=float32)
    """
    results = list(outs) if outs is not None else [np.empty_like(a) for a in arrays]
    mpi = mpi_op(op)
    for number, bucket in enumerate(buckets(arrays, limit)):
        if len(bucket) == 1:
            i = bucket[0]
            a, out = np.ascontiguousarray(arrays[i]), results[i]
            if a is out or np.may_share_memory(a, out):
                if a is not out:
                    np.copyto(out, a)
                comm.Allreduce(in_place(), out, op=mpi)
            else:
                comm.Allreduce(a, out, op=mpi)
            continue
        sizes = [arrays[i].size for i in bucket]
        flat = _flat_buffer(number, arrays[bucket[0]].dtype, sum(sizes))
        offset = 0
        for i, n in zip(bucket, sizes):
            flat[offset:offset + n] = np.ravel(arrays[i])
            offset += n
        comm.Allreduce(in_place(), flat, op=mpi)
        offset = 0
        for i, n in zip(bucket, sizes):
            piece = flat[offset:offset + n].reshape(arrays[i].shape)
            if views:
                results[i] = piece
            else:
                np.copyto(results[i], piece)
            offset += n
    return results


def broadcast(comm: Any, arrays: Sequence[np.ndarray], root: int = 0) -> list[np.ndarray]:
    """Copies of `root`'s arrays on every worker (the shapes must agree).

    >>> broadcast(comm, [np.ones(3, 'f')])  # doctest: +SKIP
    """
    results = []
    for a in arrays:
        buf = np.array(a, copy=True, order="C")
        comm.Bcast(buf, root=root)
        results.append(buf)
    return results


def broadcast_object(comm: Any, obj: Any, root: int = 0) -> Any:
    """`root`'s Python object on every worker (pickled).

    >>> broadcast_object(comm, {'lr': 0.1})  # doctest: +SKIP
    """
    return pickle.loads(comm.bcast(pickle.dumps(obj), root=root))


def print_traceback_and_abort(comm: Any) -> None:
    """Print the exception being handled and abort every worker (for server threads,
    which the exception hook does not see).

    >>> except Exception: print_traceback_and_abort(comm)  # doctest: +SKIP
    """
    traceback.print_exc()
    sys.stderr.flush()
    comm.Abort(1)


_local: list[Any] = []


def local_comm() -> Any:
    """The communicator of the workers on this machine (MPI's shared-memory split).

    >>> local_comm().Get_rank()  # doctest: +SKIP
    0
    """
    if not _local:
        from mpi4py import MPI

        _local.append(world().Split_type(MPI.COMM_TYPE_SHARED))
    return _local[0]


class WorldMember:
    """What a store of a worker among MPI workers answers from its communicator `_comm`:
    its rank, the number of workers, and the barrier."""

    _comm: Any

    @property
    def rank(self) -> int:
        return int(self._comm.Get_rank())

    @property
    def num_workers(self) -> int:
        return int(self._comm.Get_size())

    def barrier(self) -> None:
        """Wait until every worker gets here.

        >>> kv.barrier()  # doctest: +SKIP
        """
        self._comm.Barrier()

    _barrier = barrier
