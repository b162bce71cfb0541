"""Gluon's convolution, transposed convolution, pooling and padding layers, each one call
of `mx.nd.Convolution`, `mx.nd.Deconvolution`, `mx.nd.Pooling` or `mx.nd.pad`.

    >>> net = mx.gluon.nn.HybridSequential()  # doctest: +SKIP
    >>> net.add(mx.gluon.nn.Conv2D(16, 3, padding=1), mx.gluon.nn.MaxPool2D(2))  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import nd
from ...base import ParamError, ShapeError
from ..block import HybridBlock
from .activations import Activation

#: The layouts a layer of each number of spatial dimensions takes: channels first (the
#: default) or last; the operators transpose channels-last data around their kernels.
_LAYOUTS = {1: ("NCW", "NWC"), 2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}

_Size = int | Sequence[int]


def _check_layout(layer: str, layout: str, n: int) -> None:
    if layout not in _LAYOUTS[n]:
        raise AssertionError(f"{layer}: layout must be one of {list(_LAYOUTS[n])} for "
                             f"{n}-D data, got {layout!r}")


def _check_rank(layer: str, x: Any, layout: str) -> None:
    if x.ndim != len(layout):
        raise ShapeError(f"{layer}: expects {len(layout)}-D input in layout {layout}, got "
                         f"shape {x.shape}")


def _ints(layer: str, what: str, value: _Size, n: int, error: type[Exception] = ParamError
          ) -> tuple[int, ...]:
    """`value` as one int per spatial dimension (an int is repeated)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    t = tuple(int(v) for v in value)
    if len(t) != n:
        raise error(f"{layer}: {what} must be a number or a list of {n} ints, got "
                    f"{tuple(value)}")
    return t


class _Conv(HybridBlock):
    """A convolution (or, with `_transposed`, a transposed convolution) over `_ndim`
    spatial dimensions."""

    _ndim: int
    _transposed = False

    def __init__(self, channels: int, kernel_size: _Size, strides: _Size, padding: _Size,
                 dilation: _Size, groups: int, layout: str, in_channels: int,
                 activation: str | None, use_bias: bool, weight_initializer: Any,
                 bias_initializer: Any, output_padding: _Size = 0, **kwargs: Any):
        super().__init__(**kwargs)
        n, name = self._ndim, type(self).__name__
        _check_layout(name, layout, n)
        kernel = _ints(name, "kernel_size", kernel_size, n, AssertionError)
        if channels < 1 or min(kernel) < 1:
            raise ParamError(f"{name}: channels ({channels}) and kernel_size {kernel} must be "
                             f"positive")
        if groups < 1 or channels % groups:
            raise ParamError(f"{name}: groups={groups} must divide channels ({channels})")
        if in_channels % groups:
            raise ParamError(f"{name}: groups={groups} must divide in_channels ({in_channels})")
        self._channels = channels
        self._layout = layout
        self._kwargs: dict[str, Any] = {
            "kernel": kernel, "stride": _ints(name, "strides", strides, n),
            "dilate": _ints(name, "dilation", dilation, n),
            "pad": _ints(name, "padding", padding, n), "num_filter": channels,
            "num_group": groups, "no_bias": not use_bias, "layout": layout}
        if self._transposed:
            self._kwargs["adj"] = _ints(name, "output_padding", output_padding, n,
                                        AssertionError)
        with self.name_scope():
            self.weight = self.params.get("weight", shape=self._weight_shape(in_channels),
                                          init=weight_initializer, allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(channels,), init=bias_initializer,
                                        allow_deferred_init=True) if use_bias else None
            self.act = Activation(activation, prefix=activation + "_") if activation else None

    def _alias(self) -> str:
        return "conv"

    def _weight_shape(self, in_channels: int) -> tuple[int, ...]:
        """(out, in / groups, *kernel) for a convolution, (in, out / groups, *kernel) for a
        transposed one; channels-last layouts put the second entry after the kernel."""
        groups = self._kwargs["num_group"]
        if self._transposed:
            first, per_group = in_channels, self._channels // groups
        else:
            first, per_group = self._channels, in_channels // groups
        kernel = self._kwargs["kernel"]
        if self._layout.endswith("C"):
            return (first, *kernel, per_group)
        return (first, per_group, *kernel)

    def infer_shape(self, x: Any, *args: Any) -> None:
        name = type(self).__name__
        _check_rank(name, x, self._layout)
        channels = x.shape[self._layout.find("C")]
        groups = self._kwargs["num_group"]
        if channels % groups:
            raise ParamError(f"{name}: groups={groups} must divide the {channels} input "
                             f"channels of shape {x.shape} ({self._layout})")
        self.weight.shape = self._weight_shape(channels)

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        op = F.Deconvolution if self._transposed else F.Convolution
        out = op(x, weight, bias=bias, name="fwd", **self._kwargs)
        return self.act(out) if self.act is not None else out

    def __repr__(self) -> str:
        k = self._kwargs
        n = len(k["kernel"])
        s = f"kernel_size={k['kernel']}, stride={k['stride']}"
        if k["pad"] != (0,) * n:
            s += f", padding={k['pad']}"
        if k["dilate"] != (1,) * n:
            s += f", dilation={k['dilate']}"
        if k["num_group"] != 1:
            s += f", groups={k['num_group']}"
        if self.bias is None:
            s += ", bias=False"
        if self.act is not None:
            s += f", {self.act}"
        # MXNet prints weight.shape[1] -> weight.shape[0] whatever the layout, which for
        # transposed and channels-last layers is not in -> out; kept so printouts match
        shape = self.weight.shape
        assert shape is not None
        return f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0]}, {s})"


class Conv1D(_Conv):
    """1-D convolution over (batch, channels, width) data: `channels` filters of
    `kernel_size` taps; `in_channels` is set at the first call when 0.

    >>> mx.gluon.nn.Conv1D(16, 3, padding=1, in_channels=8)  # doctest: +SKIP
    """

    _ndim = 1

    def __init__(self, channels: int, kernel_size: _Size, strides: _Size = 1, padding: _Size = 0,
                 dilation: _Size = 1, groups: int = 1, layout: str = "NCW",
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, **kwargs)


class Conv2D(_Conv):
    """2-D convolution over (batch, channels, height, width) data (or NHWC).

    >>> mx.gluon.nn.Conv2D(64, kernel_size=3, strides=2, padding=1)  # doctest: +SKIP
    """

    _ndim = 2

    def __init__(self, channels: int, kernel_size: _Size, strides: _Size = (1, 1),
                 padding: _Size = (0, 0), dilation: _Size = (1, 1), groups: int = 1,
                 layout: str = "NCHW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, **kwargs)


class Conv3D(_Conv):
    """3-D convolution over (batch, channels, depth, height, width) data (or NDHWC).

    >>> mx.gluon.nn.Conv3D(8, kernel_size=(1, 3, 3), padding=(0, 1, 1))  # doctest: +SKIP
    """

    _ndim = 3

    def __init__(self, channels: int, kernel_size: _Size, strides: _Size = (1, 1, 1),
                 padding: _Size = (0, 0, 0), dilation: _Size = (1, 1, 1), groups: int = 1,
                 layout: str = "NCDHW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, **kwargs)


class Conv1DTranspose(_Conv):
    """Transposed 1-D convolution (the gradient of Conv1D w.r.t. its input): the width
    grows to (w - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1 + output_padding.

    >>> mx.gluon.nn.Conv1DTranspose(8, 4, strides=2, padding=1)  # doctest: +SKIP
    """

    _ndim = 1
    _transposed = True

    def __init__(self, channels: int, kernel_size: _Size, strides: _Size = 1, padding: _Size = 0,
                 output_padding: _Size = 0, dilation: _Size = 1, groups: int = 1,
                 layout: str = "NCW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, output_padding, **kwargs)


class Conv2DTranspose(_Conv):
    """Transposed 2-D convolution, e.g. to upsample feature maps by `strides`.

    >>> mx.gluon.nn.Conv2DTranspose(32, 4, strides=2, padding=1)  # doctest: +SKIP
    """

    _ndim = 2
    _transposed = True

    def __init__(self, channels: int, kernel_size: _Size, strides: _Size = (1, 1),
                 padding: _Size = (0, 0), output_padding: _Size = (0, 0),
                 dilation: _Size = (1, 1), groups: int = 1, layout: str = "NCHW",
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, output_padding, **kwargs)


class Conv3DTranspose(_Conv):
    """Transposed 3-D convolution.

    >>> mx.gluon.nn.Conv3DTranspose(8, 2, strides=2)  # doctest: +SKIP
    """

    _ndim = 3
    _transposed = True

    def __init__(self, channels: int, kernel_size: _Size, strides: _Size = (1, 1, 1),
                 padding: _Size = (0, 0, 0), output_padding: _Size = (0, 0, 0),
                 dilation: _Size = (1, 1, 1), groups: int = 1, layout: str = "NCDHW",
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, output_padding, **kwargs)


class _Pooling(HybridBlock):
    """Max or average pooling over `_ndim` spatial dimensions, or over all of them
    (`global_pool`)."""

    _ndim: int

    def __init__(self, pool_size: _Size, strides: _Size | None, padding: _Size, ceil_mode: bool,
                 global_pool: bool, pool_type: str, layout: str,
                 count_include_pad: bool | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        n, name = self._ndim, type(self).__name__
        _check_layout(name, layout, n)
        kernel = _ints(name, "pool_size", pool_size, n, AssertionError)
        self._kwargs: dict[str, Any] = {
            "kernel": kernel,
            "stride": kernel if strides is None else _ints(name, "strides", strides, n),
            "pad": _ints(name, "padding", padding, n), "global_pool": global_pool,
            "pool_type": pool_type, "layout": layout,
            "pooling_convention": "full" if ceil_mode else "valid"}
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad

    def _alias(self) -> str:
        return "pool"

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if F is nd:  # (a symbol has no shape to check)
            _check_rank(type(self).__name__, x, self._kwargs["layout"])
        return F.Pooling(x, name="fwd", **self._kwargs)

    def __repr__(self) -> str:
        k = self._kwargs
        return (f"{type(self).__name__}(size={k['kernel']}, stride={k['stride']}, "
                f"padding={k['pad']}, ceil_mode={k['pooling_convention'] == 'full'}, "
                f"global_pool={k['global_pool']}, pool_type={k['pool_type']}, "
                f"layout={k['layout']})")


class MaxPool1D(_Pooling):
    """The maximum of each window of `pool_size` along the width (strides default to
    `pool_size`; `ceil_mode` keeps a last partial window).

    >>> mx.gluon.nn.MaxPool1D(2)(mx.nd.ones((1, 3, 8))).shape  # doctest: +SKIP
    (1, 3, 4)
    """

    _ndim = 1

    def __init__(self, pool_size: _Size = 2, strides: _Size | None = None, padding: _Size = 0,
                 layout: str = "NCW", ceil_mode: bool = False, **kwargs: Any):
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout,
                         **kwargs)


class MaxPool2D(_Pooling):
    """The maximum of each `pool_size` window of an image.

    >>> mx.gluon.nn.MaxPool2D(3, strides=2, padding=1)  # doctest: +SKIP
    """

    _ndim = 2

    def __init__(self, pool_size: _Size = (2, 2), strides: _Size | None = None,
                 padding: _Size = 0, layout: str = "NCHW", ceil_mode: bool = False,
                 **kwargs: Any):
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout,
                         **kwargs)


class MaxPool3D(_Pooling):
    """The maximum of each `pool_size` window of a volume.

    >>> mx.gluon.nn.MaxPool3D((1, 2, 2))  # doctest: +SKIP
    """

    _ndim = 3

    def __init__(self, pool_size: _Size = (2, 2, 2), strides: _Size | None = None,
                 padding: _Size = 0, ceil_mode: bool = False, layout: str = "NCDHW",
                 **kwargs: Any):
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout,
                         **kwargs)


class AvgPool1D(_Pooling):
    """The mean of each window along the width; padding counts towards the window size
    unless `count_include_pad=False`.

    >>> mx.gluon.nn.AvgPool1D(3, strides=1, padding=1)  # doctest: +SKIP
    """

    _ndim = 1

    def __init__(self, pool_size: _Size = 2, strides: _Size | None = None, padding: _Size = 0,
                 layout: str = "NCW", ceil_mode: bool = False, count_include_pad: bool = True,
                 **kwargs: Any):
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout,
                         count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    """The mean of each `pool_size` window of an image.

    >>> mx.gluon.nn.AvgPool2D(2, count_include_pad=False)  # doctest: +SKIP
    """

    _ndim = 2

    def __init__(self, pool_size: _Size = (2, 2), strides: _Size | None = None,
                 padding: _Size = 0, ceil_mode: bool = False, layout: str = "NCHW",
                 count_include_pad: bool = True, **kwargs: Any):
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout,
                         count_include_pad, **kwargs)


class AvgPool3D(_Pooling):
    """The mean of each `pool_size` window of a volume.

    >>> mx.gluon.nn.AvgPool3D(2)  # doctest: +SKIP
    """

    _ndim = 3

    def __init__(self, pool_size: _Size = (2, 2, 2), strides: _Size | None = None,
                 padding: _Size = 0, ceil_mode: bool = False, layout: str = "NCDHW",
                 count_include_pad: bool = True, **kwargs: Any):
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout,
                         count_include_pad, **kwargs)


class _GlobalPooling(_Pooling):
    """`_pool_type` pooling over all `_ndim` spatial dimensions at once; `layout` defaults
    to channels first."""

    _pool_type: str

    def __init__(self, layout: str | None = None, **kwargs: Any):
        n = self._ndim
        super().__init__((1,) * n, None, 0, True, True, self._pool_type,
                         _LAYOUTS[n][0] if layout is None else layout, **kwargs)


class GlobalMaxPool1D(_GlobalPooling):
    """The maximum over the whole width: (N, C, W) -> (N, C, 1).

    >>> mx.gluon.nn.GlobalMaxPool1D()(mx.nd.ones((2, 3, 5))).shape  # doctest: +SKIP
    (2, 3, 1)
    """

    _ndim = 1
    _pool_type = "max"


class GlobalMaxPool2D(_GlobalPooling):
    """The maximum over each whole feature map: (N, C, H, W) -> (N, C, 1, 1).

    >>> mx.gluon.nn.GlobalMaxPool2D()  # doctest: +SKIP
    """

    _ndim = 2
    _pool_type = "max"


class GlobalMaxPool3D(_GlobalPooling):
    """The maximum over each whole volume: (N, C, D, H, W) -> (N, C, 1, 1, 1).

    >>> mx.gluon.nn.GlobalMaxPool3D()  # doctest: +SKIP
    """

    _ndim = 3
    _pool_type = "max"


class GlobalAvgPool1D(_GlobalPooling):
    """The mean over the whole width: (N, C, W) -> (N, C, 1).

    >>> mx.gluon.nn.GlobalAvgPool1D()  # doctest: +SKIP
    """

    _ndim = 1
    _pool_type = "avg"


class GlobalAvgPool2D(_GlobalPooling):
    """The mean over each whole feature map: (N, C, H, W) -> (N, C, 1, 1).

    >>> mx.gluon.nn.GlobalAvgPool2D()(mx.nd.ones((2, 8, 7, 7))).shape  # doctest: +SKIP
    (2, 8, 1, 1)
    """

    _ndim = 2
    _pool_type = "avg"


class GlobalAvgPool3D(_GlobalPooling):
    """The mean over each whole volume: (N, C, D, H, W) -> (N, C, 1, 1, 1).

    >>> mx.gluon.nn.GlobalAvgPool3D()  # doctest: +SKIP
    """

    _ndim = 3
    _pool_type = "avg"


class ReflectionPad2D(HybridBlock):
    """Pad the height and width of (N, C, H, W) data by mirroring it at the borders
    (without repeating the border row): `padding` on every side, or the 8 widths
    (before, after) of each axis as `mx.nd.pad` takes them.

    >>> mx.gluon.nn.ReflectionPad2D(1)(mx.nd.ones((1, 3, 4, 4))).shape  # doctest: +SKIP
    (1, 3, 6, 6)
    """

    def __init__(self, padding: int | Sequence[int] = 0, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(padding, (int, np.integer)):
            padding = (0, 0, 0, 0, int(padding), int(padding), int(padding), int(padding))
        if len(padding) != 8:
            raise AssertionError(f"ReflectionPad2D: padding must be a number or 8 widths "
                                 f"(before, after for each of the 4 axes), got {padding}")
        self._padding = tuple(padding)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.pad(x, mode="reflect", pad_width=self._padding)
