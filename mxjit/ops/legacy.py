"""MXNet's legacy *_v1 operators (`BatchNorm_v1`, `Convolution_v1`, `Pooling_v1`), kept for
old symbol files: each checks its own parameter list and MXNet 1.x's limits for it, then
runs the current operator with the parameters adapted.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array, bind, scalar_operand, tape
from ..core.operators import register_operator
from .conv import Convolution, Pooling, spatial_param
from .nn import BatchNorm, mean_and_variance
from .operands import as_dtype
from .shape import reshape

_SPATIAL = {"kernel": "shape", "stride": "shape", "dilate": "shape", "pad": "shape"}


@register_operator("BatchNorm_v1", inputs=("data", "gamma", "beta", "moving_mean", "moving_var"))
def BatchNorm_v1(data: Array, gamma: Array, beta: Array, moving_mean: Array, moving_var: Array,
                 eps: float = 1e-3, momentum: float = 0.9, fix_gamma: bool = True,
                 use_global_stats: bool = False, output_mean_var: bool = False) -> Any:
    """The legacy batch normalisation of (N, C) or (N, C, H, W) data over every axis but
    the channels (axis 1), as `BatchNorm`; `output_mean_var` also returns the mean and the
    (biased) variance used, not the inverse standard deviation. The moving statistics are
    inputs here (MXNet's auxiliary states, which its mx.nd.BatchNorm_v1 cannot be given)
    and are updated by the backward pass in training mode, as by `BatchNorm`.

    >>> mx.nd.BatchNorm_v1(x, gamma, beta, moving_mean, moving_var)  # doctest: +SKIP
    """
    if data.ndim not in (2, 4):
        raise ShapeError(f"BatchNorm_v1: data must be (N, C) or (N, C, H, W), got shape "
                         f"{data.shape}")
    training = tape.is_training() and not use_global_stats
    if output_mean_var and training:
        axes = (0,) if data.ndim == 2 else (0, 2, 3)
        mean, var = mean_and_variance(as_dtype(data, gamma._dtype), axes)
        stats = [reshape(mean, shape=(-1,)), reshape(var, shape=(-1,))]
    elif output_mean_var:
        stats = [moving_mean, moving_var]  # (the front ends return copies of operands)
    out = BatchNorm(data, gamma, beta, moving_mean, moving_var, eps=eps, momentum=momentum,
                    fix_gamma=fix_gamma, use_global_stats=use_global_stats, axis=1)
    return [out, *stats] if output_mean_var else out


@register_operator("Convolution_v1", inputs=("data", "weight", "bias"), kinds=_SPATIAL)
def Convolution_v1(data: Array, weight: Array, bias: Array | None = None, *,
                   kernel: Sequence[int], stride: Sequence[int] = (),
                   dilate: Sequence[int] = (), pad: Sequence[int] = (), num_filter: int,
                   num_group: int = 1, workspace: int = 1024, no_bias: bool = False,
                   cudnn_tune: str | None = None, cudnn_off: bool = False,
                   layout: str | None = None) -> Array:
    """The legacy 2-D convolution of (N, C, H, W) data with (num_filter, C / num_group,
    kh, kw) weights plus a (num_filter,) bias: `Convolution` limited to what MXNet's
    Convolution_v1 runs (2-D kernels, NCHW layout).

    >>> mx.nd.Convolution_v1(x, w, b, kernel=(3, 3), num_filter=8)  # doctest: +SKIP
    """
    if not isinstance(kernel, (tuple, list)) or len(kernel) != 2:
        raise ParamError(f"Convolution_v1: kernel must be (height, width) (MXNet's legacy "
                         f"convolution is 2-D only), got {kernel!r}")
    if layout not in (None, "NCHW"):
        raise ParamError(f"Convolution_v1: layout must be 'NCHW' (or None), got {layout!r}")
    return Convolution(data, weight, bias, kernel=kernel, stride=stride, dilate=dilate,
                       pad=pad, num_filter=num_filter, num_group=num_group,
                       no_bias=no_bias)


@register_operator("Pooling_v1", kinds=_SPATIAL)
def Pooling_v1(data: Array, kernel: Sequence[int] = (), pool_type: str = "max",
               global_pool: bool = False, pooling_convention: str = "valid",
               stride: Sequence[int] = (), pad: Sequence[int] = ()) -> Array:
    """The legacy 2-D max, average or sum pooling of (N, C, H, W) data. Unlike `Pooling`,
    padding is zeros for every pool type (max pooling sees them) and average pooling
    always divides by the kernel's area (windows cut by the padding or, with the 'full'
    convention, by the data's end included).

    >>> mx.nd.Pooling_v1(x, kernel=(2, 2), stride=(2, 2), pool_type='avg')  # doctest: +SKIP
    """
    if pool_type not in ("max", "avg", "sum"):
        raise ParamError(f"Pooling_v1: pool_type must be 'max', 'avg' or 'sum', got "
                         f"{pool_type!r}")
    if pooling_convention not in ("valid", "full"):
        raise ParamError(f"Pooling_v1: pooling_convention must be 'valid' or 'full', got "
                         f"{pooling_convention!r}")
    if data.ndim != 4:
        raise ShapeError(f"Pooling_v1: data must be 4-D (batch, channel, height, width), got "
                         f"shape {data.shape}")
    if data._dtype.kind != "f":
        raise DTypeError(f"Pooling_v1: needs floating-point data (as MXNet), got "
                         f"{data._dtype.name}")
    if global_pool:
        return Pooling(data, pool_type=pool_type, global_pool=True)
    if not isinstance(kernel, (tuple, list)) or len(kernel) != 2:
        raise ParamError(f"Pooling_v1: kernel must be (height, width) (MXNet's legacy pooling "
                         f"is 2-D only), got {kernel!r}")
    kernel = spatial_param("Pooling_v1", "kernel", kernel, 2, 1)
    pad = spatial_param("Pooling_v1", "pad", pad, 2, 0)
    if pool_type == "max" and any(pad):
        zero = scalar_operand(0, data)
        data = bind("pad", data, zero, low=(0, 0) + pad, high=(0, 0) + pad)
        pad = (0, 0)
    pooled = Pooling(data, kernel=kernel, pool_type="sum" if pool_type == "avg" else pool_type,
                     pooling_convention=pooling_convention, stride=stride, pad=pad)
    return pooled / float(np.prod(kernel)) if pool_type == "avg" else pooled
