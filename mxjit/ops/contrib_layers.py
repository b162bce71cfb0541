"""Layers of mx.nd.contrib that are an `nn` layer under another name or with a twist:
`SyncBatchNorm` (BatchNorm whose statistics MXNet averages over devices; on one device it is
BatchNorm), `BatchNormWithReLU` (BatchNorm then relu, which MXNet fuses with MKL-DNN) and
`SparseEmbedding` (Embedding, whose weight gradient MXNet stores row-sparse)."""
from __future__ import annotations

from typing import Any

from ..base import ArgumentError, ParamError, UnsupportedError
from ..core import Array, tape
from ..core.operators import register_operator
from .elementwise import relu
from .nn import BatchNorm, Embedding, mean_and_variance
from .operands import as_dtype, check_shape, int_param, reshape_exact

_BN_INPUTS = ("data", "gamma", "beta", "moving_mean", "moving_var")


@register_operator("_contrib_SyncBatchNorm", inputs=_BN_INPUTS)
def SyncBatchNorm(data: Array, gamma: Array, beta: Array, moving_mean: Array,
                  moving_var: Array, eps: float = 1e-3, momentum: float = 0.9,
                  fix_gamma: bool = True, use_global_stats: bool = False,
                  output_mean_var: bool = False, ndev: int = 1, *, key: str) -> Any:
    """Batch normalisation over the channels (axis 1) with the statistics of the batch on
    all `ndev` devices that share the hash `key`; with one device (`ndev=1`, all mxjit
    runs on) it is `BatchNorm` with axis 1. `output_mean_var` also returns the mean and
    the (biased) variance used, as MXNet's SyncBatchNorm does (BatchNorm returns the
    inverse standard deviation instead).

    >>> y = mx.nd.contrib.SyncBatchNorm(x, gamma, beta, mean, var, key='bn0')  # doctest: +SKIP
    """
    if not isinstance(key, str):
        raise ArgumentError(f"SyncBatchNorm: key must be a string (the layer's hash key, "
                            f"e.g. its prefix), got {type(key).__name__}")
    devices = int_param("SyncBatchNorm", "ndev", ndev)
    if devices < 1:
        raise ParamError(f"SyncBatchNorm: ndev must be at least 1, got {ndev}")
    if devices > 1:
        raise UnsupportedError(f"SyncBatchNorm: ndev={ndev} needs statistics shared across "
                               "devices running in parallel, which mxjit does not do; use "
                               "ndev=1 (plain BatchNorm)")
    training = tape.is_training() and not use_global_stats
    y = BatchNorm(data, gamma, beta, moving_mean, moving_var, eps=eps, momentum=momentum,
                  fix_gamma=fix_gamma, use_global_stats=use_global_stats, axis=1)
    if not output_mean_var:
        return y
    if not training:
        return [y, moving_mean, moving_var]
    axes = tuple(k for k in range(data.ndim) if k != 1)
    mean, var = mean_and_variance(as_dtype(data, gamma._dtype), axes)
    c = data.shape[1]
    return [y, reshape_exact(mean, (c,)), reshape_exact(var, (c,))]


@register_operator("_contrib_BatchNormWithReLU", inputs=_BN_INPUTS)
def BatchNormWithReLU(data: Array, gamma: Array, beta: Array, moving_mean: Array,
                      moving_var: Array, eps: float = 1e-3, momentum: float = 0.9,
                      fix_gamma: bool = True, use_global_stats: bool = False,
                      output_mean_var: bool = False, axis: int = 1, cudnn_off: bool = False,
                      min_calib_range: float | None = None,
                      max_calib_range: float | None = None) -> Any:
    """`BatchNorm` followed by relu (max(y, 0); its gradient is 0 at 0). With
    `output_mean_var`, the mean and inverse standard deviation are BatchNorm's.

    >>> y = mx.nd.contrib.BatchNormWithReLU(x, gamma, beta, mean, var)  # doctest: +SKIP
    """
    result = BatchNorm(data, gamma, beta, moving_mean, moving_var, eps=eps, momentum=momentum,
                       fix_gamma=fix_gamma, use_global_stats=use_global_stats,
                       output_mean_var=output_mean_var, axis=axis, cudnn_off=cudnn_off,
                       min_calib_range=min_calib_range, max_calib_range=max_calib_range)
    if output_mean_var:
        return [relu(result[0]), *result[1:]]
    return relu(result)


@register_operator("_contrib_SparseEmbedding", inputs=("data", "weight"))
def SparseEmbedding(data: Array, weight: Array, *, input_dim: int, output_dim: int,
                    dtype: Any = "float32", sparse_grad: bool = False) -> Array:
    """`Embedding` (deprecated in MXNet in its favour): rows of `weight` (input_dim,
    output_dim) at the indices in `data`, clipped to range. MXNet gives the weight a
    row-sparse gradient; here it is the dense gradient (the same values, zero rows
    included).

    >>> mx.nd.contrib.SparseEmbedding(mx.nd.array([0, 2]), mx.nd.ones((3, 4)),
    ...                               input_dim=3, output_dim=4).shape  # doctest: +SKIP
    (2, 4)
    """
    check_shape("SparseEmbedding", "weight (input_dim, output_dim)", weight,
                (input_dim, output_dim))
    return Embedding(data, weight, input_dim=input_dim, output_dim=output_dim, dtype=dtype,
                     sparse_grad=sparse_grad)
