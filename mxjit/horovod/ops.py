"""Horovod's collectives on NDArrays, over MPI (`mxjit.kvstore.mpi`): `allreduce` (sum or
average, with Horovod's pre- and post-scaling), `allgather`, `broadcast`, their in-place
`_` forms and `grouped_allreduce` (many arrays in a few bucketed messages).

Every worker must call a collective with arrays of the same shapes (the first axis may
differ for `allgather`) in the same order; a mismatch is an error naming the array.

    >>> hvd.allreduce(mx.nd.ones((2,)) * (hvd.rank() + 1), average=False)  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import ParamError, UnsupportedError
from ..kvstore import mpi
from ..kvstore.local import host, own_buffer, write
from ..nd import NDArray

__all__ = ["Average", "Sum", "Min", "Max", "Product", "Adasum", "init", "shutdown",
           "is_initialized", "rank", "size", "local_rank", "local_size", "allreduce",
           "allreduce_", "grouped_allreduce", "grouped_allreduce_", "allgather", "broadcast",
           "broadcast_", "mpi_enabled", "mpi_built", "mpi_threads_supported", "nccl_built",
           "gloo_enabled", "gloo_built"]

#: reduction ops (Horovod's names); Adasum is Horovod's adaptive summation, not offered
Average, Sum, Adasum, Min, Max, Product = "average", "sum", "adasum", "min", "max", "prod"

_state = {"initialized": False}


def init(comm: Any = None) -> None:
    """Start MPI (no-op when started): every later call runs over the MPI world.

    >>> hvd.init()  # doctest: +SKIP
    """
    if comm is not None:
        raise UnsupportedError("hvd.init: only the MPI world communicator is supported "
                               "(comm=None)")
    mpi.world()
    _state["initialized"] = True


def shutdown() -> None:
    """Forget `init` (MPI itself is finalized at exit).

    >>> hvd.shutdown()  # doctest: +SKIP
    """
    _state["initialized"] = False


def is_initialized() -> bool:
    """Whether `init` was called.

    >>> hvd.is_initialized()  # doctest: +SKIP
    True
    """
    return _state["initialized"]


def _world() -> Any:
    if not _state["initialized"]:
        raise ParamError("Horovod has not been initialized; use hvd.init().")
    return mpi.world()


def rank() -> int:
    """This worker's rank.

    >>> hvd.rank()  # doctest: +SKIP
    0
    """
    return int(_world().Get_rank())


def size() -> int:
    """The number of workers.

    >>> hvd.size()  # doctest: +SKIP
    2
    """
    return int(_world().Get_size())


def local_rank() -> int:
    """This worker's rank on its machine.

    >>> hvd.local_rank()  # doctest: +SKIP
    0
    """
    _world()
    return int(mpi.local_comm().Get_rank())


def local_size() -> int:
    """The number of workers on this machine.

    >>> hvd.local_size()  # doctest: +SKIP
    2
    """
    _world()
    return int(mpi.local_comm().Get_size())


def mpi_enabled() -> bool:
    """True: collectives run over MPI.

    >>> hvd.mpi_enabled()  # doctest: +SKIP
    True
    """
    return True


def mpi_built() -> bool:
    """True: collectives run over MPI.

    >>> hvd.mpi_built()  # doctest: +SKIP
    True
    """
    return True


def mpi_threads_supported() -> bool:
    """Whether MPI runs with MPI_THREAD_MULTIPLE.

    >>> hvd.mpi_threads_supported()  # doctest: +SKIP
    True
    """
    from mpi4py import MPI

    _world()
    return bool(MPI.Query_thread() == MPI.THREAD_MULTIPLE)


def nccl_built() -> bool:
    """False: no NCCL here.

    >>> hvd.nccl_built()  # doctest: +SKIP
    False
    """
    return False


def gloo_enabled() -> bool:
    """False: no Gloo here.

    >>> hvd.gloo_enabled()  # doctest: +SKIP
    False
    """
    return False


def gloo_built() -> bool:
    """False: no Gloo here.

    >>> hvd.gloo_built()  # doctest: +SKIP
    False
    """
    return False


def _op(op: str | None, average: bool | None) -> str:
    if op is not None and average is not None:
        raise ParamError("The op parameter supersedes average. Please provide only one of "
                         "them.")
    if op is None:
        op = Sum if average is False else Average
    if op == Adasum:
        raise UnsupportedError("hvd: Adasum is not supported by mxjit's MPI collectives")
    if op not in (Average, Sum, Min, Max, Product):
        raise ParamError(f"hvd: unknown reduction op {op!r}")
    return op


def grouped_allreduce_(tensors: Sequence[NDArray], average: bool | None = None,
                       name: str | None = None, priority: int = 0,
                       prescale_factor: float = 1.0, postscale_factor: float = 1.0,
                       op: str | None = None) -> list[NDArray]:
    """Allreduce every array of `tensors` in place, in a few bucketed messages.

    >>> hvd.grouped_allreduce_([g1, g2], average=False)  # doctest: +SKIP
    """
    op = _op(op, average)
    comm = _world()
    values = [host(t) * prescale_factor if prescale_factor != 1.0 else host(t)
              for t in tensors]
    label = name or "allreduce"
    mpi.check_agreement(comm, "allreduce", [(f"{label}[{k}]", v.shape, str(v.dtype))
                                            for k, v in enumerate(values)])
    # (in place in the tensors' own memory where they have it: no copies)
    direct = [own_buffer(t, v.dtype) for t, v in zip(tensors, values)]
    outs = [d if d is not None else np.empty_like(v) for d, v in zip(direct, values)]
    sums = mpi.allreduce(comm, values, "sum" if op == Average else op, outs=outs)
    post = postscale_factor / (comm.Get_size() if op == Average else 1)
    for t, s, d in zip(tensors, sums, direct):
        if post != 1.0:
            np.multiply(s, post, out=s, casting="unsafe")
        if s is not d:
            write(t, s, label, "allreduce")
    return list(tensors)


def grouped_allreduce(tensors: Sequence[NDArray], average: bool | None = None,
                      name: str | None = None, priority: int = 0,
                      prescale_factor: float = 1.0, postscale_factor: float = 1.0,
                      op: str | None = None) -> list[NDArray]:
    """New arrays: the allreduce of each of `tensors`.

    >>> total, = hvd.grouped_allreduce([g], average=False)  # doctest: +SKIP
    """
    copies = [t.copy() for t in tensors]
    return grouped_allreduce_(copies, average, name, priority, prescale_factor,
                              postscale_factor, op)


def allreduce_(tensor: NDArray, average: bool | None = None, name: str | None = None,
               priority: int = 0, prescale_factor: float = 1.0, postscale_factor: float = 1.0,
               op: str | None = None) -> NDArray:
    """Sum (or average, the default) `tensor` over the workers, in place.

    >>> hvd.allreduce_(grad, average=False)  # doctest: +SKIP
    """
    return grouped_allreduce_([tensor], average, name, priority, prescale_factor,
                              postscale_factor, op)[0]


def allreduce(tensor: NDArray, average: bool | None = None, name: str | None = None,
              priority: int = 0, prescale_factor: float = 1.0, postscale_factor: float = 1.0,
              op: str | None = None) -> NDArray:
    """A new array: `tensor` summed (or averaged, the default) over the workers, times
    `prescale_factor` before and `postscale_factor` after the reduction.

    >>> mean = hvd.allreduce(x)  # doctest: +SKIP
    """
    return allreduce_(tensor.copy(), average, name, priority, prescale_factor,
                      postscale_factor, op)


def allgather(tensor: NDArray, name: str | None = None, priority: int = 0) -> NDArray:
    """Every worker's `tensor` concatenated along the first axis, in rank order (the
    first axis may differ between workers, the others may not).

    >>> hvd.allgather(mx.nd.ones((1, 3)) * hvd.rank()).shape  # doctest: +SKIP
    (2, 3)
    """
    comm = _world()
    value = np.ascontiguousarray(host(tensor))
    if value.ndim == 0:
        value = value.reshape(1)
    label = name or "allgather"
    mpi.check_agreement(comm, "allgather", [(label, value.shape[1:], str(value.dtype))])
    rows = comm.allgather(value.shape[0])
    row_size = int(np.prod(value.shape[1:], dtype=np.int64))
    out = np.empty((sum(rows),) + value.shape[1:], value.dtype)
    counts = [r * row_size for r in rows]
    comm.Allgatherv(value, [out, counts])
    return NDArray._wrap(out, tensor.context)


def broadcast_(tensor: NDArray, root_rank: int, name: str | None = None,
               priority: int = 0) -> NDArray:
    """Overwrite `tensor` with `root_rank`'s, in place.

    >>> hvd.broadcast_(weight, root_rank=0)  # doctest: +SKIP
    """
    comm = _world()
    label = name or "broadcast"
    mpi.check_agreement(comm, "broadcast", [(label, tensor.shape, str(tensor.dtype))])
    write(tensor, mpi.broadcast(comm, [host(tensor)], root_rank)[0], label, "broadcast")
    return tensor


def broadcast(tensor: NDArray, root_rank: int, name: str | None = None,
              priority: int = 0) -> NDArray:
    """A new array holding `root_rank`'s `tensor`.

    >>> w = hvd.broadcast(w, root_rank=0)  # doctest: +SKIP
    """
    return broadcast_(tensor.copy(), root_rank, name, priority)
