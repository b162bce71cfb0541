"""SqueezeNet 1.0 ("SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
<0.5MB model size", Iandola et al. 2016) and 1.1 (the official repository's cheaper
variant), as in MXNet 1.9.1.

    >>> net = squeezenet1_1(classes=10); net.initialize()  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ....base import ParamError
from ....context import Context
from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent
from ..model_store import DEFAULT_CTX, DEFAULT_ROOT, load_pretrained

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1"]

_POOL = "pool"
#: Version -> (stem channels, stem kernel, then fire modules as (squeeze, expand) channels
#: with `_POOL` where a 3x3 stride-2 ceil-mode max-pool goes).
_LAYOUT: dict[str, tuple[int, int, list[Any]]] = {
    "1.0": (96, 7, [(16, 64), (16, 64), (32, 128), _POOL, (32, 128), (48, 192), (48, 192),
                    (64, 256), _POOL, (64, 256)]),
    "1.1": (64, 3, [(16, 64), (16, 64), _POOL, (32, 128), (32, 128), _POOL, (48, 192),
                    (48, 192), (64, 256), (64, 256)]),
}


def __dir__() -> list[str]:
    return __all__


def _make_fire_conv(channels: int, kernel_size: int, padding: int = 0
                    ) -> nn.HybridSequential:
    out = nn.HybridSequential(prefix="")
    out.add(nn.Conv2D(channels, kernel_size, padding=padding), nn.Activation("relu"))
    return out


def _make_fire(squeeze_channels: int, expand_channels: int) -> nn.HybridSequential:
    """A 1x1 squeeze, then 1x1 and 3x3 expansions joined on the channel axis."""
    out = nn.HybridSequential(prefix="")
    out.add(_make_fire_conv(squeeze_channels, 1))
    paths = HybridConcurrent(axis=1, prefix="")
    paths.add(_make_fire_conv(expand_channels, 1), _make_fire_conv(expand_channels, 3, 1))
    out.add(paths)
    return out


class SqueezeNet(HybridBlock):
    """SqueezeNet `version` ('1.0' or '1.1'): a strided stem, fire modules between
    max-pools, dropout, and a 1x1 convolution to `classes` averaged over 13x13 (so
    224x224 inputs).

    >>> net = SqueezeNet('1.1', classes=10)  # doctest: +SKIP
    """

    def __init__(self, version: str, classes: int = 1000, **kwargs: Any):
        super().__init__(**kwargs)
        if version not in _LAYOUT:
            raise ParamError(f"Unsupported SqueezeNet version {version}:1.0 or 1.1 expected")
        stem_channels, stem_kernel, fires = _LAYOUT[version]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(stem_channels, kernel_size=stem_kernel, strides=2),
                              nn.Activation("relu"))
            for fire in [_POOL, *fires]:
                self.features.add(nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)
                                  if fire == _POOL else _make_fire(*fire))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix="")
            self.output.add(nn.Conv2D(classes, kernel_size=1), nn.Activation("relu"),
                            nn.AvgPool2D(13), nn.Flatten())

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def get_squeezenet(version: str, pretrained: bool = False, ctx: Context = DEFAULT_CTX,
                   root: str = DEFAULT_ROOT, **kwargs: Any) -> SqueezeNet:
    """SqueezeNet `version` ('1.0' or '1.1'); `pretrained` loads `squeezenet<version>`
    from `root`.

    >>> net = get_squeezenet('1.0')  # doctest: +SKIP
    """
    net = SqueezeNet(version, **kwargs)
    if pretrained:
        load_pretrained(net, f"squeezenet{version}", ctx, root)
    return net


def squeezenet1_0(**kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.0 (`pretrained`, `ctx`, `root` as in `get_squeezenet`).

    >>> net = squeezenet1_0()  # doctest: +SKIP
    """
    return get_squeezenet("1.0", **kwargs)


def squeezenet1_1(**kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.1.

    >>> net = squeezenet1_1()  # doctest: +SKIP
    """
    return get_squeezenet("1.1", **kwargs)
