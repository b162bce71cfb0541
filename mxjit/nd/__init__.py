"""`mx.nd`: the imperative NDArray API (eager, over the same compiled kernels as `jit`)."""
from ..base import MXNetIndexError
from ..context import Context, cpu, current_context, gpu, num_gpus
from . import contrib, image, linalg, random, serialization, sparse
from .arith import *  # noqa: F403  (the broadcast_*/elemwise_* families, generated)
from .channel_norms import LRN, GroupNorm
from .combine import ElementWiseSum, add_n, khatri_rao
from .conv import Convolution, Deconvolution, Pooling
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
from .data_dependent import histogram
from .feature_maps import Crop, UpSampling, depth_to_space, space_to_depth
from .indexing import (
    batch_take,
    gather_nd,
    pick,
    ravel_multi_index,
    scatter_nd,
    take,
    unravel_index,
)
from .ndarray import NDArray
from .nn import (
    Activation,
    BatchNorm,
    BlockGrad,
    Dropout,
    Embedding,
    FullyConnected,
    InstanceNorm,
    L2Normalization,
    LayerNorm,
    LeakyReLU,
    LinearRegressionOutput,
    LogisticRegressionOutput,
    MAERegressionOutput,
    MakeLoss,
    Softmax,
    SoftmaxOutput,
    log_softmax,
    make_loss,
    smooth_l1,
    softmax,
    softmax_cross_entropy,
    softmin,
    stop_gradient,
)
from .ops import (
    Cast,
    abs,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctanh,
    argmax,
    argmin,
    batch_dot,
    cast,
    cbrt,
    ceil,
    clip,
    cos,
    cosh,
    degrees,
    dot,
    erf,
    erfinv,
    exp,
    expm1,
    fix,
    floor,
    gamma,
    gammaln,
    hard_sigmoid,
    log,
    log1p,
    log2,
    log10,
    logical_not,
    max,
    maximum,
    mean,
    min,
    minimum,
    negative,
    one_hot,
    power,
    prod,
    radians,
    rcbrt,
    reciprocal,
    relu,
    rint,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sinh,
    softsign,
    sqrt,
    square,
    sum,
    tan,
    tanh,
    transpose,
    trunc,
    where,
)
from .ordering import argsort, sort, topk
from .random import (
    random_exponential,
    random_gamma,
    random_generalized_negative_binomial,
    random_negative_binomial,
    random_normal,
    random_poisson,
    random_randint,
    random_uniform,
    sample_exponential,
    sample_gamma,
    sample_generalized_negative_binomial,
    sample_multinomial,
    sample_negative_binomial,
    sample_normal,
    sample_poisson,
    sample_uniform,
)
from .reduce import argmax_channel, moments, nanprod, nansum, norm
from .sequence import SequenceLast, SequenceMask, SequenceReverse
from .shape_ops import (
    Concat,
    Flatten,
    Pad,
    SliceChannel,
    SwapAxis,
    broadcast_axes,
    broadcast_axis,
    broadcast_like,
    broadcast_to,
    concat,
    diag,
    expand_dims,
    flatten,
    flip,
    moveaxis,
    pad,
    repeat,
    reshape,
    reshape_like,
    reverse,
    shape_array,
    size_array,
    slice,
    slice_axis,
    slice_like,
    split,
    split_v2,
    squeeze,
    stack,
    swapaxes,
    tile,
)
from .sparse import cast_storage
from .spatial import BilinearSampler, GridGenerator


def waitall() -> None:
    """Wait for all pending work (CPU kernels run synchronously; GPUs are waited for)."""
    from ..context import synchronize

    synchronize()


def save(fname: str, data) -> None:  # type: ignore[no-untyped-def]
    """Save an NDArray, a list or a dict of them in MXNet's binary format."""
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        payload = {k: sparse.to_payload(v) for k, v in data.items()}
    else:
        payload = [sparse.to_payload(v) for v in data]
    serialization.save(fname, payload)


def load(fname: str):  # type: ignore[no-untyped-def]
    """Load what `save` (or real MXNet) wrote: a list or a dict of NDArrays."""
    got = serialization.load(fname)
    if isinstance(got, dict):
        return {k: sparse.from_payload(v) for k, v in got.items()}
    return [sparse.from_payload(v) for v in got]
