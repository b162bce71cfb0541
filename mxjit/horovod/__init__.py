"""`mxjit.horovod`: Horovod's MXNet API over MPI, so that `import mxjit.horovod as hvd`
replaces `import horovod.mxnet as hvd`. `ops.py` holds the collectives, `training.py`
the Gluon helpers (`broadcast_parameters`, `DistributedOptimizer`, `DistributedTrainer`).

    >>> import mxjit.horovod as hvd  # doctest: +SKIP
    >>> hvd.init(); hvd.rank(), hvd.size()  # doctest: +SKIP
"""
from .ops import (
    Adasum,
    Average,
    Max,
    Min,
    Product,
    Sum,
    allgather,
    allreduce,
    allreduce_,
    broadcast,
    broadcast_,
    gloo_built,
    gloo_enabled,
    grouped_allreduce,
    grouped_allreduce_,
    init,
    is_initialized,
    local_rank,
    local_size,
    mpi_built,
    mpi_enabled,
    mpi_threads_supported,
    nccl_built,
    rank,
    shutdown,
    size,
)
from .training import Compression, DistributedOptimizer, DistributedTrainer, broadcast_parameters

__all__ = ["Adasum", "Average", "Max", "Min", "Product", "Sum", "allgather", "allreduce",
           "allreduce_", "broadcast", "broadcast_", "gloo_built", "gloo_enabled",
           "grouped_allreduce", "grouped_allreduce_", "init", "is_initialized", "local_rank",
           "local_size", "mpi_built", "mpi_enabled", "mpi_threads_supported", "nccl_built",
           "rank", "shutdown", "size", "Compression", "DistributedOptimizer",
           "DistributedTrainer", "broadcast_parameters"]


def __dir__() -> list[str]:
    return __all__
