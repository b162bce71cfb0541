"""ResNet v1 ("Deep Residual Learning for Image Recognition", He et al. 2015) and v2
("Identity Mappings in Deep Residual Networks", 2016): MXNet 1.9.1's blocks, names and
defaults (v1's bottleneck keeps MXNet's biased 1x1 convolutions).

    >>> net = resnet18_v1(classes=10); net.initialize()  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ....base import ParamError
from ....context import Context
from ... import nn
from ...block import HybridBlock
from ..model_store import DEFAULT_CTX, DEFAULT_ROOT, load_pretrained

__all__ = ["ResNetV1", "ResNetV2", "BasicBlockV1", "BasicBlockV2", "BottleneckV1",
           "BottleneckV2", "resnet18_v1", "resnet34_v1", "resnet50_v1", "resnet101_v1",
           "resnet152_v1", "resnet18_v2", "resnet34_v2", "resnet50_v2", "resnet101_v2",
           "resnet152_v2", "get_resnet"]



def __dir__() -> list[str]:
    return __all__


def _conv3x3(channels: int, stride: int, in_channels: int) -> nn.Conv2D:
    return nn.Conv2D(channels, kernel_size=3, strides=stride, padding=1, use_bias=False,
                     in_channels=in_channels)


def _projection(channels: int, stride: int, in_channels: int, with_norm: bool
                ) -> HybridBlock:
    """The 1x1 strided convolution that brings the shortcut to the body's shape."""
    conv = nn.Conv2D(channels, kernel_size=1, strides=stride, use_bias=False,
                     in_channels=in_channels)
    if not with_norm:
        return conv
    out = nn.HybridSequential(prefix="")
    out.add(conv, nn.BatchNorm())
    return out


class _ResidualV1(HybridBlock):
    """v1: relu(body(x) + shortcut(x)), the body ending in BatchNorm (the sum's operands in
    each block's order in MXNet, so exported graphs are MXNet's)."""

    _shortcut_first = False

    def __init__(self, body: list[HybridBlock], channels: int, stride: int, downsample: bool,
                 in_channels: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix="")
        self.body.add(*body)
        self.downsample = (_projection(channels, stride, in_channels, True)
                           if downsample else None)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        shortcut = x
        x = self.body(x)
        if self.downsample:
            shortcut = self.downsample(shortcut)
        total = shortcut + x if self._shortcut_first else x + shortcut
        return F.Activation(total, act_type="relu")


class BasicBlockV1(_ResidualV1):
    """Two 3x3 convolutions (ResNet-18/34 v1).

    >>> BasicBlockV1(64, 1)  # doctest: +SKIP
    """

    _shortcut_first = True

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any):
        body = [_conv3x3(channels, stride, in_channels), nn.BatchNorm(), nn.Activation("relu"),
                _conv3x3(channels, 1, channels), nn.BatchNorm()]
        super().__init__(body, channels, stride, downsample, in_channels, **kwargs)


class BottleneckV1(_ResidualV1):
    """1x1 reduce, 3x3, 1x1 expand to `channels` (ResNet-50/101/152 v1).

    >>> BottleneckV1(256, 1, True, 64)  # doctest: +SKIP
    """

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any):
        width = channels // 4
        body = [nn.Conv2D(width, kernel_size=1, strides=stride), nn.BatchNorm(),
                nn.Activation("relu"), _conv3x3(width, 1, width), nn.BatchNorm(),
                nn.Activation("relu"), nn.Conv2D(channels, kernel_size=1, strides=1),
                nn.BatchNorm()]
        super().__init__(body, channels, stride, downsample, in_channels, **kwargs)


class BasicBlockV2(HybridBlock):
    """Pre-activation basic block (ResNet-18/34 v2): BN-relu-conv twice plus shortcut.

    >>> BasicBlockV2(64, 1)  # doctest: +SKIP
    """

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self.downsample = (_projection(channels, stride, in_channels, False)
                           if downsample else None)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        x, shortcut = _preactivate(F, self.bn1, self.downsample, x)
        x = F.Activation(self.bn2(self.conv1(x)), act_type="relu")
        return self.conv2(x) + shortcut


class BottleneckV2(HybridBlock):
    """Pre-activation bottleneck (ResNet-50/101/152 v2).

    >>> BottleneckV2(256, 1, True, 64)  # doctest: +SKIP
    """

    def __init__(self, channels: int, stride: int, downsample: bool = False,
                 in_channels: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        width = channels // 4
        self.bn1 = nn.BatchNorm()
        self.conv1 = nn.Conv2D(width, kernel_size=1, strides=1, use_bias=False)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(width, stride, width)
        self.bn3 = nn.BatchNorm()
        self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=1, use_bias=False)
        self.downsample = (_projection(channels, stride, in_channels, False)
                           if downsample else None)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        x, shortcut = _preactivate(F, self.bn1, self.downsample, x)
        x = F.Activation(self.bn2(self.conv1(x)), act_type="relu")
        x = F.Activation(self.bn3(self.conv2(x)), act_type="relu")
        return self.conv3(x) + shortcut


def _preactivate(F: Any, bn: HybridBlock, downsample: HybridBlock | None, x: Any
                 ) -> tuple[Any, Any]:
    """v2's shared head: relu(bn(x)), and the shortcut (projected from it when needed)."""
    act = F.Activation(bn(x), act_type="relu")
    return act, (downsample(act) if downsample else x)


class _ResNet(HybridBlock):
    """The stem, one `stage<k>_` sequence of residual blocks per entry of `layers`, and the
    classifier; the stem and head here are v1's, v2 extends both."""

    def __init__(self, block: type, layers: list[int], channels: list[int], classes: int,
                 thumbnail: bool, **kwargs: Any):
        super().__init__(**kwargs)
        if len(layers) != len(channels) - 1:
            raise ParamError(f"ResNet needs one more channel count than layer counts; got "
                             f"layers={layers} and channels={channels}")
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self._add_stem(channels[0], thumbnail)
            for i, num_layer in enumerate(layers):
                self.features.add(_make_stage(block, num_layer, channels[i + 1],
                                              1 if i == 0 else 2, i + 1, channels[i]))
            self._add_head()
            self.output = nn.Dense(classes, in_units=channels[-1])

    def _add_stem(self, channels: int, thumbnail: bool) -> None:
        if thumbnail:
            self.features.add(_conv3x3(channels, 1, 0))
        else:
            self.features.add(nn.Conv2D(channels, 7, 2, 3, use_bias=False), nn.BatchNorm(),
                              nn.Activation("relu"), nn.MaxPool2D(3, 2, 1))

    def _add_head(self) -> None:
        self.features.add(nn.GlobalAvgPool2D())

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def _make_stage(block: type, num_layer: int, channels: int, stride: int, index: int,
                in_channels: int) -> nn.HybridSequential:
    stage = nn.HybridSequential(prefix=f"stage{index}_")
    with stage.name_scope():
        stage.add(block(channels, stride, channels != in_channels, in_channels=in_channels,
                        prefix=""))
        for _ in range(num_layer - 1):
            stage.add(block(channels, 1, False, in_channels=channels, prefix=""))
    return stage


class ResNetV1(_ResNet):
    """ResNet v1: conv-BN-relu-maxpool stem (a single 3x3 convolution with `thumbnail`),
    residual stages, global average pooling, Dense.

    >>> net = ResNetV1(BasicBlockV1, [2, 2, 2, 2], [64, 64, 128, 256, 512])  # doctest: +SKIP
    """

    def __init__(self, block: type, layers: list[int], channels: list[int],
                 classes: int = 1000, thumbnail: bool = False, **kwargs: Any):
        super().__init__(block, layers, channels, classes, thumbnail, **kwargs)


class ResNetV2(_ResNet):
    """ResNet v2: an input BatchNorm without scale or shift before the v1 stem,
    pre-activation stages, and BN-relu before the pooling.

    >>> net = ResNetV2(BasicBlockV2, [2, 2, 2, 2], [64, 64, 128, 256, 512])  # doctest: +SKIP
    """

    def __init__(self, block: type, layers: list[int], channels: list[int],
                 classes: int = 1000, thumbnail: bool = False, **kwargs: Any):
        super().__init__(block, layers, channels, classes, thumbnail, **kwargs)

    def _add_stem(self, channels: int, thumbnail: bool) -> None:
        self.features.add(nn.BatchNorm(scale=False, center=False))
        super()._add_stem(channels, thumbnail)

    def _add_head(self) -> None:
        self.features.add(nn.BatchNorm(), nn.Activation("relu"), nn.GlobalAvgPool2D(),
                          nn.Flatten())


#: Depth -> (block kind, blocks per stage, channels of the stem and of each stage).
RESNET_SPEC = {18: ("basic", [2, 2, 2, 2], [64, 64, 128, 256, 512]),
               34: ("basic", [3, 4, 6, 3], [64, 64, 128, 256, 512]),
               50: ("bottleneck", [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
               101: ("bottleneck", [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
               152: ("bottleneck", [3, 8, 36, 3], [64, 256, 512, 1024, 2048])}
#: Version -> (network class, block class by kind).
RESNET_VERSIONS: dict[int, tuple[type, dict[str, type]]] = {
    1: (ResNetV1, {"basic": BasicBlockV1, "bottleneck": BottleneckV1}),
    2: (ResNetV2, {"basic": BasicBlockV2, "bottleneck": BottleneckV2}),
}


def get_resnet(version: int, num_layers: int, pretrained: bool = False, ctx: Context = DEFAULT_CTX,
               root: str = DEFAULT_ROOT, **kwargs: Any) -> HybridBlock:
    """ResNet v`version` (1 or 2) with `num_layers` layers (18, 34, 50, 101, 152);
    `pretrained` loads `resnet<num_layers>_v<version>` from `root`.

    >>> net = get_resnet(1, 18, classes=10)  # doctest: +SKIP
    """
    if num_layers not in RESNET_SPEC:
        raise ParamError(f"Invalid number of layers: {num_layers}. Options are "
                         f"{list(RESNET_SPEC)}")
    if version not in RESNET_VERSIONS:
        raise ParamError(f"Invalid resnet version: {version}. Options are 1 and 2.")
    kind, layers, channels = RESNET_SPEC[num_layers]
    net_class, blocks = RESNET_VERSIONS[version]
    net = net_class(blocks[kind], layers, channels, **kwargs)
    if pretrained:
        load_pretrained(net, f"resnet{num_layers}_v{version}", ctx, root)
    return net


def resnet18_v1(**kwargs: Any) -> HybridBlock:
    """ResNet-18 v1 (`pretrained`, `ctx`, `root` as in `get_resnet`).

    >>> net = resnet18_v1(classes=10)  # doctest: +SKIP
    """
    return get_resnet(1, 18, **kwargs)


def resnet34_v1(**kwargs: Any) -> HybridBlock:
    """ResNet-34 v1.

    >>> net = resnet34_v1()  # doctest: +SKIP
    """
    return get_resnet(1, 34, **kwargs)


def resnet50_v1(**kwargs: Any) -> HybridBlock:
    """ResNet-50 v1.

    >>> net = resnet50_v1()  # doctest: +SKIP
    """
    return get_resnet(1, 50, **kwargs)


def resnet101_v1(**kwargs: Any) -> HybridBlock:
    """ResNet-101 v1.

    >>> net = resnet101_v1()  # doctest: +SKIP
    """
    return get_resnet(1, 101, **kwargs)


def resnet152_v1(**kwargs: Any) -> HybridBlock:
    """ResNet-152 v1.

    >>> net = resnet152_v1()  # doctest: +SKIP
    """
    return get_resnet(1, 152, **kwargs)


def resnet18_v2(**kwargs: Any) -> HybridBlock:
    """ResNet-18 v2.

    >>> net = resnet18_v2()  # doctest: +SKIP
    """
    return get_resnet(2, 18, **kwargs)


def resnet34_v2(**kwargs: Any) -> HybridBlock:
    """ResNet-34 v2.

    >>> net = resnet34_v2()  # doctest: +SKIP
    """
    return get_resnet(2, 34, **kwargs)


def resnet50_v2(**kwargs: Any) -> HybridBlock:
    """ResNet-50 v2.

    >>> net = resnet50_v2()  # doctest: +SKIP
    """
    return get_resnet(2, 50, **kwargs)


def resnet101_v2(**kwargs: Any) -> HybridBlock:
    """ResNet-101 v2.

    >>> net = resnet101_v2()  # doctest: +SKIP
    """
    return get_resnet(2, 101, **kwargs)


def resnet152_v2(**kwargs: Any) -> HybridBlock:
    """ResNet-152 v2.

    >>> net = resnet152_v2()  # doctest: +SKIP
    """
    return get_resnet(2, 152, **kwargs)
