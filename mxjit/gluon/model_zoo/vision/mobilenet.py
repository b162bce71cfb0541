"""MobileNet ("MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications", Howard et al. 2017) and MobileNetV2 ("Inverted Residuals and Linear
Bottlenecks", Sandler et al. 2018) with width multipliers, as in MXNet 1.9.1.

    >>> net = mobilenet0_25(classes=10); net.initialize()  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ....context import Context
from ... import nn
from ...block import HybridBlock
from ..model_store import DEFAULT_CTX, DEFAULT_ROOT, load_pretrained

__all__ = ["MobileNet", "MobileNetV2", "mobilenet1_0", "mobilenet_v2_1_0", "mobilenet0_75",
           "mobilenet_v2_0_75", "mobilenet0_5", "mobilenet_v2_0_5", "mobilenet0_25",
           "mobilenet_v2_0_25", "get_mobilenet", "get_mobilenet_v2"]

#: MobileNet's depthwise-separable layers: (depthwise channels, pointwise channels, stride).
_V1_LAYERS = list(zip([32, 64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024],
                      [64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024] * 2,
                      [1, 2] * 3 + [1] * 5 + [2, 1]))
#: MobileNetV2's bottlenecks: (input channels, output channels, expansion, stride).
_V2_LAYERS = list(zip([32] + [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3,
                      [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3 + [320],
                      [1] + [6] * 16,
                      [1, 2] * 2 + [1, 1, 2] + [1] * 6 + [2] + [1] * 3))


def __dir__() -> list[str]:
    return __all__


class RELU6(HybridBlock):
    """min(max(x, 0), 6).

    >>> RELU6()(mx.nd.array([-1, 3, 9]))  # doctest: +SKIP
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.clip(x, 0, 6, name="relu6")


def _add_conv(out: nn.HybridSequential, channels: int = 1, kernel: int = 1, stride: int = 1,
              pad: int = 0, num_group: int = 1, active: bool = True, relu6: bool = False
              ) -> None:
    """Convolution without bias, BatchNorm, and relu (or relu6) when `active`."""
    out.add(nn.Conv2D(channels, kernel, stride, pad, groups=num_group, use_bias=False),
            nn.BatchNorm(scale=True))
    if active:
        out.add(RELU6() if relu6 else nn.Activation("relu"))


def _add_conv_dw(out: nn.HybridSequential, dw_channels: int, channels: int, stride: int,
                 relu6: bool = False) -> None:
    """A depthwise 3x3 convolution, then a pointwise one to `channels`."""
    _add_conv(out, channels=dw_channels, kernel=3, stride=stride, pad=1,
              num_group=dw_channels, relu6=relu6)
    _add_conv(out, channels=channels, relu6=relu6)


class LinearBottleneck(HybridBlock):
    """MobileNetV2's inverted residual: 1x1 expansion by `t`, depthwise 3x3 with `stride`,
    linear 1x1 projection to `channels`, plus the input when the shapes agree.

    >>> LinearBottleneck(16, 16, 6, 1)  # doctest: +SKIP
    """

    def __init__(self, in_channels: int, channels: int, t: int, stride: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        with self.name_scope():
            self.out = nn.HybridSequential()
            _add_conv(self.out, in_channels * t, relu6=True)
            _add_conv(self.out, in_channels * t, kernel=3, stride=stride, pad=1,
                      num_group=in_channels * t, relu6=True)
            _add_conv(self.out, channels, active=False, relu6=True)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        out = self.out(x)
        return F.elemwise_add(out, x) if self.use_shortcut else out


class MobileNet(HybridBlock):
    """MobileNet v1 with every width scaled by `multiplier` (0.25 and above).

    >>> net = MobileNet(0.5, classes=10)  # doctest: +SKIP
    """

    def __init__(self, multiplier: float = 1.0, classes: int = 1000, **kwargs: Any):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                _add_conv(self.features, channels=int(32 * multiplier), kernel=3, pad=1,
                          stride=2)
                for dw, pw, stride in _V1_LAYERS:
                    _add_conv_dw(self.features, dw_channels=int(dw * multiplier),
                                 channels=int(pw * multiplier), stride=stride)
                self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


class MobileNetV2(HybridBlock):
    """MobileNetV2 with widths scaled by `multiplier` (the last 1280 only grows).

    >>> net = MobileNetV2(0.5, classes=10)  # doctest: +SKIP
    """

    def __init__(self, multiplier: float = 1.0, classes: int = 1000, **kwargs: Any):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="features_")
            with self.features.name_scope():
                _add_conv(self.features, int(32 * multiplier), kernel=3, stride=2, pad=1,
                          relu6=True)
                for in_c, c, t, s in _V2_LAYERS:
                    self.features.add(LinearBottleneck(in_channels=int(in_c * multiplier),
                                                       channels=int(c * multiplier), t=t,
                                                       stride=s))
                last_channels = int(1280 * multiplier) if multiplier > 1.0 else 1280
                _add_conv(self.features, last_channels, relu6=True)
                self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.HybridSequential(prefix="output_")
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False, prefix="pred_"),
                                nn.Flatten())

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def _zoo_suffix(multiplier: float) -> str:
    """The multiplier as the model store names it: '1.0', '0.75', '0.5', '0.25'."""
    suffix = f"{multiplier:.2f}"
    return suffix[:-1] if suffix in ("1.00", "0.50") else suffix


def get_mobilenet(multiplier: float, pretrained: bool = False, ctx: Context = DEFAULT_CTX,
                  root: str = DEFAULT_ROOT, **kwargs: Any) -> MobileNet:
    """MobileNet with width `multiplier`; `pretrained` loads `mobilenet<multiplier>`.

    >>> net = get_mobilenet(0.5)  # doctest: +SKIP
    """
    net = MobileNet(multiplier, **kwargs)
    if pretrained:
        load_pretrained(net, f"mobilenet{_zoo_suffix(multiplier)}", ctx, root)
    return net


def get_mobilenet_v2(multiplier: float, pretrained: bool = False, ctx: Context = DEFAULT_CTX,
                     root: str = DEFAULT_ROOT, **kwargs: Any) -> MobileNetV2:
    """MobileNetV2 with width `multiplier`; `pretrained` loads `mobilenetv2_<multiplier>`.

    >>> net = get_mobilenet_v2(0.5)  # doctest: +SKIP
    """
    net = MobileNetV2(multiplier, **kwargs)
    if pretrained:
        load_pretrained(net, f"mobilenetv2_{_zoo_suffix(multiplier)}", ctx, root)
    return net


def mobilenet1_0(**kwargs: Any) -> MobileNet:
    """MobileNet with multiplier 1.0 (`pretrained`, `ctx`, `root` as in `get_mobilenet`).

    >>> net = mobilenet1_0()  # doctest: +SKIP
    """
    return get_mobilenet(1.0, **kwargs)


def mobilenet0_75(**kwargs: Any) -> MobileNet:
    """MobileNet with multiplier 0.75.

    >>> net = mobilenet0_75()  # doctest: +SKIP
    """
    return get_mobilenet(0.75, **kwargs)


def mobilenet0_5(**kwargs: Any) -> MobileNet:
    """MobileNet with multiplier 0.5.

    >>> net = mobilenet0_5()  # doctest: +SKIP
    """
    return get_mobilenet(0.5, **kwargs)


def mobilenet0_25(**kwargs: Any) -> MobileNet:
    """MobileNet with multiplier 0.25.

    >>> net = mobilenet0_25()  # doctest: +SKIP
    """
    return get_mobilenet(0.25, **kwargs)


def mobilenet_v2_1_0(**kwargs: Any) -> MobileNetV2:
    """MobileNetV2 with multiplier 1.0 (as in `get_mobilenet_v2`).

    >>> net = mobilenet_v2_1_0()  # doctest: +SKIP
    """
    return get_mobilenet_v2(1.0, **kwargs)


def mobilenet_v2_0_75(**kwargs: Any) -> MobileNetV2:
    """MobileNetV2 with multiplier 0.75.

    >>> net = mobilenet_v2_0_75()  # doctest: +SKIP
    """
    return get_mobilenet_v2(0.75, **kwargs)


def mobilenet_v2_0_5(**kwargs: Any) -> MobileNetV2:
    """MobileNetV2 with multiplier 0.5.

    >>> net = mobilenet_v2_0_5()  # doctest: +SKIP
    """
    return get_mobilenet_v2(0.5, **kwargs)


def mobilenet_v2_0_25(**kwargs: Any) -> MobileNetV2:
    """MobileNetV2 with multiplier 0.25.

    >>> net = mobilenet_v2_0_25()  # doctest: +SKIP
    """
    return get_mobilenet_v2(0.25, **kwargs)
