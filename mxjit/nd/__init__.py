"""`mx.nd`: the imperative NDArray API (eager, over the same compiled kernels as `jit`)."""
from . import serialization
from .arith import *  # noqa: F403  (the broadcast_*/elemwise_* families, generated)
from .context import Context, cpu, current_context, gpu, num_gpus
from .creation import (
    arange,
    array,
    empty,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from .ndarray import NDArray
from .ops import (
    Cast,
    abs,
    argmax,
    argmin,
    batch_dot,
    broadcast_to,
    cast,
    ceil,
    clip,
    concat,
    cos,
    dot,
    erf,
    exp,
    expand_dims,
    expm1,
    flip,
    floor,
    log,
    log1p,
    log_softmax,
    max,
    maximum,
    mean,
    min,
    minimum,
    negative,
    one_hot,
    power,
    prod,
    reciprocal,
    relu,
    reshape,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    softmax,
    sqrt,
    square,
    sum,
    take,
    tan,
    tanh,
    transpose,
    trunc,
    where,
)


def waitall() -> None:
    """Wait for all pending work (kernels run synchronously, so there is none)."""


def save(fname: str, data) -> None:  # type: ignore[no-untyped-def]
    """Save an NDArray, a list or a dict of them in MXNet's binary format."""
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        payload = {k: v.asnumpy() for k, v in data.items()}
    else:
        payload = [v.asnumpy() for v in data]
    serialization.save(fname, payload)


def load(fname: str):  # type: ignore[no-untyped-def]
    """Load what `save` (or real MXNet) wrote: a list or a dict of NDArrays."""
    got = serialization.load(fname)
    if isinstance(got, dict):
        return {k: NDArray._wrap(v) for k, v in got.items()}
    return [NDArray._wrap(v) for v in got]
