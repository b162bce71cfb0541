"""Windowed operators over NC(D)HW data: Convolution, Deconvolution and Pooling.

Windows are index maps (`window_slices`, see trace/windows.py): nothing copies them.
A convolution whose outputs each sum few products (depthwise, one input channel) is one
fused kernel of the windows times the weights; any other is the `conv` library primitive
(im2col and BLAS a chunk of the batch at a time, kernels/convolution.py), and
Deconvolution is its data gradient, `conv_data_grad`. Pooling reduces over the windows in
one kernel; max pooling's gradient goes to each window's first maximum, as in MXNet.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import ParamError, ShapeError
from ..core import Array, bind, custom_vjp, jit, scalar_operand
from ..core.operators import input_shape_rule, register_operator
from ..trace.windows import first_max
from . import reduce
from .elementwise import binary
from .operands import check_shape, constant, ew, ints
from .reduce import mean
from .shape import broadcast_exact, reshape, transpose

_CHANNEL_LAST = {"NWC": 1, "NHWC": 2, "NDHWC": 3}
_CHANNEL_FIRST = {"NCW": 1, "NCHW": 2, "NCDHW": 3}


def spatial_param(op: str, name: str, value: Any, nd: int, default: int) -> tuple[int, ...]:
    """A window parameter (kernel, stride, dilate, pad) as one int per spatial axis: `()` or
    None gives `default` on every axis, an int is repeated.

    >>> spatial_param("Pooling", "stride", (), 2, 1)
    (1, 1)
    """
    if value is None or value == ():
        return (default,) * nd
    t = (int(value),) * nd if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)
    if len(t) != nd:
        raise ParamError(f"{op}: {name} {tuple(value)} must have {nd} entries, one per spatial "
                         "dimension")
    return t


def _layout(op: str, layout: str | None, data: Array, nd: int) -> bool:
    """Checks the data against `layout`; True when it is channel-last (NWC/NHWC/NDHWC)."""
    if data.ndim != nd + 2:
        raise ShapeError(f"{op}: a {nd}-D kernel needs {nd + 2}-D data (batch, channel, "
                         f"{nd} spatial), got shape {data.shape}")
    if layout is None:
        return False
    if _CHANNEL_FIRST.get(layout) == nd:
        return False
    if _CHANNEL_LAST.get(layout) == nd:
        return True
    raise ParamError(f"{op}: layout {layout!r} does not fit {nd}-D windows; use one of "
                     f"{[k for k, v in {**_CHANNEL_FIRST, **_CHANNEL_LAST}.items() if v == nd]}")


def _to_channel_first(x: Array) -> Array:
    return transpose(x, (0, x.ndim - 1) + tuple(range(1, x.ndim - 1)))


def _to_channel_last(x: Array) -> Array:
    return transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))


def _conv_setup(op: str, data: Array, weight: Array, kernel: Sequence[int],
                num_filter: int, num_group: int, layout: str | None,
                **spatial: Sequence[int] | None
                ) -> tuple[bool, Array, Array, list[tuple[int, ...]]]:
    """The checks Convolution and Deconvolution share: whether the layout is channel-last,
    data and weight in channel-first layout, and kernel then each of `spatial` (stride,
    dilate, pad, adj: 1 for stride and dilate, else 0 by default) as one int per axis."""
    kernel = ints(kernel, f"{op}: kernel")  # (a number is a 1-D kernel, as in MXNet)
    if not kernel:
        raise ParamError(f"{op}: kernel is required, e.g. kernel=(3, 3)")
    nd = len(kernel)
    if nd not in (1, 2, 3):
        raise ParamError(f"{op}: kernel {tuple(kernel)} must have 1, 2 or 3 entries")
    channel_last = _layout(op, layout, data, nd)
    x = _to_channel_first(data) if channel_last else data
    w = _to_channel_first(weight) if channel_last and weight.ndim == nd + 2 else weight
    params = [spatial_param(op, "kernel", kernel, nd, 1)]
    params += [spatial_param(op, name, value, nd, 1 if name in ("stride", "dilate") else 0)
               for name, value in spatial.items()]
    c, g = x.shape[1], num_group
    if g < 1 or c % g or num_filter % g:
        raise ParamError(f"{op}: num_group={g} must divide the {c} input channels and "
                         f"num_filter={num_filter}")
    return channel_last, x, w, params


_SPATIAL = {"kernel": "shape", "stride": "shape", "dilate": "shape", "pad": "shape"}


@register_operator("Convolution", inputs=("data", "weight", "bias"), kinds=_SPATIAL)
def Convolution(data: Array, weight: Array, bias: Array | None = None, *,
                kernel: Sequence[int], stride: Sequence[int] = (),
                dilate: Sequence[int] = (), pad: Sequence[int] = (),
                num_filter: int, num_group: int = 1, workspace: int = 1024,
                no_bias: bool = False, cudnn_tune: str | None = None, cudnn_off: bool = False,
                layout: str | None = None) -> Array:
    """1-D, 2-D or 3-D convolution (cross-correlation) of (N, C, *spatial) data with
    (num_filter, C / num_group, *kernel) weights, plus a (num_filter,) bias.

    >>> mx.nd.Convolution(x, w, b, kernel=(3, 3), num_filter=8, pad=(1, 1))  # doctest: +SKIP
    """
    channel_last, x, w, (kernel, stride, dilate, pad) = _conv_setup(
        "Convolution", data, weight, kernel, num_filter, num_group, layout,
        stride=stride, dilate=dilate, pad=pad)
    nd, c, g = len(kernel), x.shape[1], num_group
    check_shape("Convolution", "weight (num_filter, channels / num_group, *kernel)", w,
                 (num_filter, c // g) + tuple(kernel))
    out_size = tuple((d + 2 * p - dl * (k - 1) - 1) // s + 1
                     for d, p, dl, k, s in zip(x.shape[2:], pad, dilate, kernel, stride))
    if min(out_size) < 1 or min(stride + dilate) < 1:
        raise ShapeError(f"Convolution: kernel {kernel} (dilate {dilate}, stride {stride}) does "
                         f"not fit data {x.shape[2:]} padded by {pad}")
    y = _conv(x, w, kernel, stride, dilate, pad, out_size, g)
    if not no_bias:
        if bias is None:
            raise ParamError("Convolution: bias is required unless no_bias=True")
        check_shape("Convolution", "bias", bias, (num_filter,))
        y = y + reshape(bias, shape=(num_filter,) + (1,) * nd)
    return _to_channel_last(y) if channel_last else y


def _conv(x: Array, w: Array, kernel: Sequence[int], stride: Sequence[int],
          dilate: Sequence[int], pad: Sequence[int], out_size: Sequence[int], g: int
          ) -> Array:
    """The convolution by the strategy `conv_strategy` picks for these shapes."""
    if conv_strategy(x.shape[1], w.shape[0], g, kernel) == "direct":
        return _direct_program(tuple(stride), tuple(dilate), tuple(pad), tuple(out_size), g)(
            x, w)
    return bind("conv", x, w, out=tuple(out_size), stride=tuple(stride), dilate=tuple(dilate),
                pad=tuple(pad), groups=g)


#: Channels per group times taps up to which a grouped convolution is computed directly (one
#: generated kernel of multiply-adds over the windows) instead of im2col and a GEMM per
#: group: many groups of so short an inner dimension make many tiny GEMMs. Measured on the
#: 2-core host (benchmarks/conv.py): a depthwise 3x3 layer's forward and backward took 29 ms
#: directly against 70 ms by GEMMs; a one-group layer is one GEMM over all its filters, which
#: wins even at 9 products per output (a 1-channel 3x3 CNN step 22 ms against 27 directly).
DIRECT_MAX_DEPTH = 16


def conv_strategy(channels: int, filters: int, groups: int, kernel: Sequence[int]) -> str:
    """'direct' or 'gemm': how a convolution of these extents is computed. Direct for a
    grouped convolution whose outputs each sum at most `DIRECT_MAX_DEPTH` products
    (channels per group times taps: depthwise convolutions), im2col and GEMM otherwise.

    >>> conv_strategy(128, 128, 128, (3, 3)), conv_strategy(64, 64, 1, (3, 3))
    ('direct', 'gemm')
    """
    shallow = channels // groups * math.prod(kernel) <= DIRECT_MAX_DEPTH
    return "direct" if groups > 1 and shallow else "gemm"


def window_columns(x: Array, kernel: Sequence[int], stride: Sequence[int],
                   dilate: Sequence[int], pad: Sequence[int], out_size: Sequence[int],
                   fill: Any = 0) -> Array:
    """im2col as an index map: the (N, C, *spatial) data's windows as
    (N, C, *kernel, *out_size), `fill` where a window reads past the data."""
    n, c = x.shape[:2]
    nd = len(kernel)
    value = scalar_operand(fill, x)
    # Windows read a padded copy (the fuser keeps a pad under windows in memory): bounds
    # tests inside the window loops would make every read a gather.
    high = [max(0, (m - 1) * s + (k - 1) * d - p - size + 1)
            for m, s, k, d, p, size in zip(out_size, stride, kernel, dilate, pad, x.shape[2:])]
    if any(pad) or any(high):
        x = bind("pad", x, value, low=(0, 0) + tuple(max(p, 0) for p in pad),
                 high=(0, 0) + tuple(high))
        pad = tuple(min(p, 0) for p in pad)
    spread = broadcast_exact(reshape(x, shape=(n, c) + (1,) * nd + tuple(x.shape[2:])),
                             (n, c) + tuple(kernel) + tuple(x.shape[2:]))
    return bind("window_slices", spread, value, stride=tuple(stride),
                dilate=tuple(dilate), pad=tuple(pad), out=tuple(out_size))


def contract_columns(cols: Array, w: Array, g: int) -> Array:
    """(N, C, taps, *out) columns times (F, C / g, *kernel) weights in g groups: (N, F, *out)."""
    n, c, taps = cols.shape[:3]
    out_size = cols.shape[3:]
    f = w.shape[0]
    nd = len(out_size)
    cols = reshape(cols, shape=(n, g, c // g, taps) + tuple(out_size))
    wg = reshape(w, shape=(g, f // g, c // g, taps))
    y = bind("dot_general", wg, cols, contract=((2, 3), (2, 3)), batch=((0,), (1,)))
    # y: (G, F/G, N, *out) -> (N, F, *out)
    y = transpose(y, (2, 0, 1) + tuple(range(3, 3 + nd)))
    return reshape(y, shape=(n, f) + tuple(out_size))


@functools.lru_cache(maxsize=256)
def _direct_program(stride: tuple[int, ...], dilate: tuple[int, ...], pad: tuple[int, ...],
                    out_size: tuple[int, ...], g: int) -> Callable[[Array, Array], Array]:
    """`direct_conv` as one jitted function: eagerly one program (as pooling), not a
    materialised product of windows and weights. At stride 1 its data gradient is a direct
    convolution too (`direct_data_grad`); at other strides it is what differentiating the
    windows gives, a gather with a bounds test per tap."""
    def conv(x: Array, w: Array) -> Array:
        return direct_conv(x, w, stride, dilate, pad, out_size, g)

    if any(s != 1 for s in stride):
        return jit(conv)

    def forward(x: Array, w: Array) -> tuple[Array, tuple[Array, Array]]:
        return conv(x, w), (x, w)

    def backward(saved: tuple[Array, Array], gy: Array) -> tuple[Array, Array]:
        x, w = saved
        return (direct_data_grad(gy, w, dilate, pad, x.shape[2:], g),
                direct_weight_grad(x, gy, tuple(w.shape[2:]), dilate, pad, g))

    with_rule = custom_vjp(conv)
    with_rule.defvjp(forward, backward)
    return jit(with_rule)


def direct_data_grad(gy: Array, w: Array, dilate: Sequence[int], pad: Sequence[int],
                     size: Sequence[int], g: int) -> Array:
    """The data gradient of a stride-1 `direct_conv`: the cotangent convolved with the
    flipped weights (each group's in and out channels swapped), padded so that the result
    has the data's `size`: windows over a padded copy, where differentiating the windows
    would test every tap's bounds."""
    f, cg, kernel = w.shape[0], w.shape[1], tuple(w.shape[2:])
    nd = len(kernel)
    swapped = transpose(reshape(w, shape=(g, f // g, cg) + kernel), (0, 2, 1) + tuple(
        range(3, 3 + nd)))
    flipped = bind("flip", reshape(swapped, shape=(g * cg, f // g) + kernel),
                   axes=tuple(range(2, 2 + nd)))
    back_pad = tuple(d * (k - 1) - p for d, k, p in zip(dilate, kernel, pad))
    return direct_conv(gy, flipped, (1,) * nd, dilate, back_pad, size, g)


def direct_weight_grad(x: Array, gy: Array, kernel: tuple[int, ...], dilate: Sequence[int],
                       pad: Sequence[int], g: int) -> Array:
    """The weight gradient of a stride-1 `direct_conv`: each filter's cotangent times the
    windows it read, summed over the batch and the output positions."""
    n, c = x.shape[:2]
    f, out_size, nd = gy.shape[1], tuple(gy.shape[2:]), len(kernel)
    gyg = reshape(gy, shape=(n, g, f // g, 1, 1) + out_size)
    products = _window_products(x, gyg, kernel, (1,) * nd, dilate, pad, out_size, g, f)
    dw = reduce.sum(products, axis=(0,) + tuple(range(5, 5 + nd)))
    return reshape(dw, shape=(f, c // g) + kernel)


def direct_conv(x: Array, w: Array, stride: Sequence[int], dilate: Sequence[int],
                pad: Sequence[int], out_size: Sequence[int], g: int) -> Array:
    """Each output as the sum of its window times the weights: one fused reduction over
    the (channel-in-group, tap) axes, vectorised along the output rows."""
    n, c = x.shape[:2]
    f, kernel, nd = w.shape[0], tuple(w.shape[2:]), len(out_size)
    wg = reshape(w, shape=(1, g, f // g, c // g, math.prod(kernel)) + (1,) * nd)
    products = _window_products(x, wg, kernel, stride, dilate, pad, out_size, g, f)
    return reshape(reduce.sum(products, axis=(3, 4)), shape=(n, f) + tuple(out_size))


def _window_products(x: Array, other: Array, kernel: Sequence[int], stride: Sequence[int],
                     dilate: Sequence[int], pad: Sequence[int], out_size: Sequence[int],
                     g: int, f: int) -> Array:
    """The windows of (N, C, *spatial) data, grouped as (N, G, 1, C/G, taps, *out), times
    `other` broadcast with them to (N, G, F/G, C/G, taps, *out): what a direct convolution
    and its weight gradient reduce."""
    n, c = x.shape[:2]
    taps = math.prod(kernel)
    cols = reshape(window_columns(x, kernel, stride, dilate, pad, out_size),
                   shape=(n, g, 1, c // g, taps) + tuple(out_size))
    shape = (n, g, f // g, c // g, taps) + tuple(out_size)
    return broadcast_exact(cols, shape) * broadcast_exact(other, shape)


@input_shape_rule("Convolution")
def _convolution_inputs(shapes: dict[str, tuple[int, ...]], *, kernel: Sequence[int],
                        num_filter: int, num_group: int = 1, layout: str | None = None,
                        **_: Any) -> dict[str, tuple[int, ...]]:
    data = shapes["data"]
    k = tuple(kernel)
    if layout in _CHANNEL_LAST:
        return {"weight": (num_filter, *k, data[-1] // num_group), "bias": (num_filter,)}
    return {"weight": (num_filter, data[1] // num_group, *k), "bias": (num_filter,)}


@register_operator("Deconvolution", inputs=("data", "weight", "bias"),
                   kinds={**_SPATIAL, "adj": "shape", "target_shape": "shape"})
def Deconvolution(data: Array, weight: Array, bias: Array | None = None, *,
                  kernel: Sequence[int], stride: Sequence[int] = (),
                  dilate: Sequence[int] = (), pad: Sequence[int] = (),
                  adj: Sequence[int] = (), target_shape: Sequence[int] = (),
                  num_filter: int, num_group: int = 1, workspace: int = 512,
                  no_bias: bool = True, cudnn_tune: str | None = None, cudnn_off: bool = False,
                  layout: str | None = None) -> Array:
    """Transposed convolution (the gradient of Convolution w.r.t. its data) of
    (N, C, *spatial) data with (C, num_filter / num_group, *kernel) weights. The output is
    (in - 1) * stride - 2 * pad + dilate * (kernel - 1) + 1 + adj per spatial axis, or
    `target_shape` (which then decides pad and adj).

    >>> mx.nd.Deconvolution(x, w, kernel=(2, 2), stride=(2, 2), num_filter=4)  # doctest: +SKIP
    """
    channel_last, x, w, (kernel, stride, dilate, pad, adj) = _conv_setup(
        "Deconvolution", data, weight, kernel, num_filter, num_group, layout,
        stride=stride, dilate=dilate, pad=pad, adj=adj)
    nd, c, g = len(kernel), x.shape[1], num_group
    check_shape("Deconvolution", "weight (channels, num_filter / num_group, *kernel)", w,
                 (c, num_filter // g) + tuple(kernel))
    extent = [dl * (k - 1) + 1 for dl, k in zip(dilate, kernel)]
    if target_shape:
        target = spatial_param("Deconvolution", "target_shape", target_shape, nd, 0)
        pad_l, adj_l = [], []
        for d, s, e, t in zip(x.shape[2:], stride, extent, target):
            total = s * (d - 1) + e - t
            if total < 0:
                raise ShapeError(f"Deconvolution: target_shape {target} is too big for data "
                                 f"{x.shape[2:]} with stride {stride} and kernel {kernel}")
            pad_l.append((total + 1) // 2)
            adj_l.append(total % 2)
        pad, adj = tuple(pad_l), tuple(adj_l)
    if any(a >= max(s, dl) for a, s, dl in zip(adj, stride, dilate)):
        raise ParamError(f"Deconvolution: adj {adj} must be smaller than stride {stride} or "
                         f"dilate {dilate}")
    out_size = tuple((d - 1) * s - 2 * p + e + a
                     for d, s, p, e, a in zip(x.shape[2:], stride, pad, extent, adj))
    if min(out_size) < 1:
        raise ShapeError(f"Deconvolution: pad {pad} leaves no output for data {x.shape[2:]}")
    # the gradient of a convolution w.r.t. its data: (C, F/G, *K) weights read as a
    # convolution's (filters, channels per group, *kernel), data as its output gradient
    y = bind("conv_data_grad", x, w, size=tuple(out_size), stride=tuple(stride),
             dilate=tuple(dilate), pad=tuple(pad), groups=g)
    if not no_bias:
        if bias is None:
            raise ParamError("Deconvolution: bias is required when no_bias=False")
        check_shape("Deconvolution", "bias", bias, (num_filter,))
        y = y + reshape(bias, shape=(num_filter,) + (1,) * nd)
    return _to_channel_last(y) if channel_last else y


@input_shape_rule("Deconvolution")
def _deconvolution_inputs(shapes: dict[str, tuple[int, ...]], *, kernel: Sequence[int],
                          num_filter: int, num_group: int = 1, layout: str | None = None,
                          **_: Any) -> dict[str, tuple[int, ...]]:
    data = shapes["data"]
    k = tuple(kernel)
    if layout in _CHANNEL_LAST:
        return {"weight": (data[-1], *k, num_filter // num_group), "bias": (num_filter,)}
    return {"weight": (data[1], num_filter // num_group, *k), "bias": (num_filter,)}


def spread(x: Array, axis: int, step: int) -> Array:
    """Insert step - 1 zeros between neighbours along `axis` (none after the last one)."""
    shape = x.shape
    expanded = reshape(x, shape=shape[:axis + 1] + (1,) + shape[axis + 1:])
    high = tuple(step - 1 if k == axis + 1 else 0 for k in range(len(shape) + 1))
    padded = bind("pad", expanded, scalar_operand(0, x), low=(0,) * (len(shape) + 1), high=high)
    merged = reshape(padded, shape=shape[:axis] + (shape[axis] * step,) + shape[axis + 1:])
    stop = tuple((d - 1) * step + 1 if k == axis else d for k, d in enumerate(shape))
    return bind("slice", merged, start=(0,) * len(shape), stop=stop, step=(1,) * len(shape))


_POOL_TYPES = ("max", "avg", "sum", "lp")


@register_operator("Pooling", kinds=_SPATIAL)
def Pooling(data: Array, kernel: Sequence[int] = (), pool_type: str = "max",
            global_pool: bool = False, cudnn_off: bool = False,
            pooling_convention: str = "valid", stride: Sequence[int] = (),
            pad: Sequence[int] = (), p_value: int | None = None,
            count_include_pad: bool | None = None, layout: str | None = None) -> Array:
    """Max, average, sum or Lp pooling over 1-D, 2-D or 3-D windows of (N, C, *spatial)
    data. 'valid' output sizes are floor((in + 2 * pad - kernel) / stride) + 1, 'full'
    ones round up; 'same' (1-D only, no pad) gives ceil(in / stride) windows from the
    start, the last ones cut short by the data's end. Max pooling ignores padding, average
    pooling divides by the window size with padding (`count_include_pad`, the default) or
    without. A 'full'-convention window
    lying wholly past the data gives -inf for max and 0 for the others (MXNet's kernels
    give the lowest finite value and 0/0 there).

    >>> mx.nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='max')  # doctest: +SKIP
    """
    if pool_type not in _POOL_TYPES:
        raise ParamError(f"Pooling: pool_type must be one of {list(_POOL_TYPES)}, got "
                         f"{pool_type!r}")
    if pooling_convention not in ("valid", "full", "same"):
        raise ParamError(f"Pooling: pooling_convention must be 'valid', 'full' or 'same', "
                         f"got {pooling_convention!r}")
    if pool_type == "lp" and p_value not in (1, 2, 3):
        raise ParamError(f"Pooling: lp pooling needs p_value 1, 2 or 3, got {p_value!r}")
    kernel = ints(kernel, "Pooling: kernel")  # (a number is a 1-D kernel, as in MXNet)
    nd = len(kernel) if not global_pool else data.ndim - 2
    if nd not in (1, 2, 3):
        raise ParamError(f"Pooling: kernel {tuple(kernel)} must have 1, 2 or 3 entries")
    channel_last = _layout("Pooling", layout, data, nd)
    x = _to_channel_first(data) if channel_last else data
    spatial = x.shape[2:]
    if global_pool:
        y = _global_pool(x, pool_type, p_value)
        return _to_channel_last(y) if channel_last else y
    kernel = spatial_param("Pooling", "kernel", kernel, nd, 1)
    stride = spatial_param("Pooling", "stride", stride, nd, 1)
    pad = spatial_param("Pooling", "pad", pad, nd, 0)
    if min(stride) < 1 or min(kernel) < 1:
        raise ParamError(f"Pooling: kernel {kernel} and stride {stride} must be positive")
    if any(k > d + 2 * p for k, d, p in zip(kernel, spatial, pad)):
        raise ShapeError(f"Pooling: kernel {kernel} is larger than the data {spatial} padded "
                         f"by {pad}")
    if pooling_convention == "same":  # MXNet's: 1-D, no pad, ceil(in / stride) windows
        if nd != 1 or any(pad):
            raise ParamError("Pooling: the 'same' convention is for 1-D pooling of "
                             "(N, C, W) data without pad, as in MXNet")
        out_size = tuple(math.ceil(d / s) for d, s in zip(spatial, stride))
    else:
        round_up = pooling_convention == "full"
        out_size = tuple((math.ceil if round_up else math.floor)((d + 2 * p - k) / s) + 1
                         for d, p, k, s in zip(spatial, pad, kernel, stride))
    if pool_type == "max":
        lowest = -np.inf if x._dtype.kind == "f" else np.iinfo(x._dtype).min
        y = _pool_program("max", kernel, stride, pad, out_size, lowest)(x)
    else:
        power = p_value if pool_type == "lp" else None
        y = _pool_program("sum", kernel, stride, pad, out_size, 0, power)(x)
        if pool_type == "avg":
            include = True if count_include_pad is None else count_include_pad
            counts = _window_counts(spatial, kernel, stride, pad, out_size, include)
            y = y / broadcast_exact(constant(counts.astype(x._dtype), x), y.shape)
        elif pool_type == "lp" and p_value == 2:
            y = ew("sqrt", y)
        elif pool_type == "lp" and p_value == 3:
            y = binary("pow", y, 1 / 3)
    return _to_channel_last(y) if channel_last else y


@functools.lru_cache(maxsize=256)
def _pool_program(kind: str, kernel: tuple[int, ...], stride: tuple[int, ...],
                  pad: tuple[int, ...], out_size: tuple[int, ...], fill: Any,
                  p_value: int | None = None) -> Callable[[Array], Array]:
    """The windowed max or sum (of the data, its square or cube for Lp pooling) as one
    jitted function: eagerly one program over the windows, never a stack of them in memory;
    recorded on the tape as one call."""
    nd = len(kernel)

    def pool(x: Array) -> Array:
        if p_value in (2, 3):
            x = x * x if p_value == 2 else x * x * x
        cols = window_columns(x, kernel, stride, (1,) * nd, pad, out_size, fill)
        flat = reshape(cols, shape=x.shape[:2] + (math.prod(kernel),) + out_size)
        if kind == "sum":
            return bind("reduce_sum", flat, axes=(2,))
        # the max, whose gradient goes to the first maximal element of each window
        return bind("custom_derivative", bind("reduce_max", flat, axes=(2,)), flat,
                    rule=first_max(2), index=0)

    return jit(pool)


def _window_counts(spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                   pad: Sequence[int], out_size: Sequence[int], include_pad: bool
                   ) -> np.ndarray:
    """How many elements each average-pooling window divides by (MXNet's rule)."""
    per_axis = []
    for d, k, s, p, m in zip(spatial, kernel, stride, pad, out_size):
        start = np.arange(m) * s - p
        end = np.minimum(start + k, d + p)
        if not include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, d)
        per_axis.append(np.maximum(end - start, 1))
    counts = per_axis[0]
    for a in per_axis[1:]:
        counts = np.multiply.outer(counts, a)
    return counts.astype(np.float64)


def _global_pool(x: Array, pool_type: str, p_value: int | None) -> Array:
    axes = tuple(range(2, x.ndim))
    if pool_type == "max":
        return reduce.max(x, axis=axes, keepdims=True)
    if pool_type == "avg":
        return mean(x, axis=axes, keepdims=True)
    if pool_type == "sum":
        return reduce.sum(x, axis=axes, keepdims=True)
    powered = x if p_value == 1 else (x * x if p_value == 2 else x * x * x)
    total = reduce.sum(powered, axis=axes, keepdims=True)
    if p_value == 1:
        return total
    return ew("sqrt", total) if p_value == 2 else binary("pow", total, 1 / 3)
