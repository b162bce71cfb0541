"""VGG ("Very Deep Convolutional Networks for Large-Scale Image Recognition", Simonyan and
Zisserman 2014), with and without BatchNorm, as in MXNet 1.9.1 (its initialisers too).

    >>> net = vgg11(classes=10); net.initialize()  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ....base import ParamError
from ....context import Context
from ....initializer import Xavier
from ... import nn
from ...block import HybridBlock
from ..model_store import DEFAULT_CTX, DEFAULT_ROOT, load_pretrained

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
           "vgg19_bn", "get_vgg"]



def __dir__() -> list[str]:
    return __all__


class VGG(HybridBlock):
    """Blocks of 3x3 relu convolutions (`layers[i]` of them with `filters[i]` channels, each
    followed by BatchNorm when `batch_norm`), a max-pool after each block, two 4096-wide
    Dense layers with dropout, and the output.

    >>> net = VGG([1, 1, 2, 2, 2], [64, 128, 256, 512, 512])  # doctest: +SKIP
    """

    def __init__(self, layers: list[int], filters: list[int], classes: int = 1000,
                 batch_norm: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise ParamError(f"VGG needs one filter count per block; got layers={layers} "
                             f"and filters={filters}")
        with self.name_scope():
            self.features = _make_features(layers, filters, batch_norm)
            for _ in range(2):
                self.features.add(nn.Dense(4096, activation="relu", weight_initializer="normal",
                                           bias_initializer="zeros"),
                                  nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer="normal",
                                   bias_initializer="zeros")

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def _make_features(layers: list[int], filters: list[int], batch_norm: bool
                   ) -> nn.HybridSequential:
    features = nn.HybridSequential(prefix="")
    for num, channels in zip(layers, filters):
        for _ in range(num):
            features.add(nn.Conv2D(channels, kernel_size=3, padding=1,
                                   weight_initializer=Xavier(rnd_type="gaussian",
                                                             factor_type="out", magnitude=2),
                                   bias_initializer="zeros"))
            if batch_norm:
                features.add(nn.BatchNorm())
            features.add(nn.Activation("relu"))
        features.add(nn.MaxPool2D(strides=2))
    return features


#: Depth -> (convolutions per block, channels per block).
VGG_SPEC = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
            13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
            16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
            19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers: int, pretrained: bool = False, ctx: Context = DEFAULT_CTX,
            root: str = DEFAULT_ROOT, **kwargs: Any) -> VGG:
    """VGG with `num_layers` layers (11, 13, 16, 19); `pretrained` loads `vgg<n>` (or
    `vgg<n>_bn` with `batch_norm=True`) from `root`.

    >>> net = get_vgg(11, batch_norm=True)  # doctest: +SKIP
    """
    if num_layers not in VGG_SPEC:
        raise ParamError(f"Invalid number of layers: {num_layers}. Options are "
                         f"{list(VGG_SPEC)}")
    layers, filters = VGG_SPEC[num_layers]
    net = VGG(layers, filters, **kwargs)
    if pretrained:
        suffix = "_bn" if kwargs.get("batch_norm") else ""
        load_pretrained(net, f"vgg{num_layers}{suffix}", ctx, root)
    return net


def vgg11(**kwargs: Any) -> VGG:
    """VGG-11 (`pretrained`, `ctx`, `root` as in `get_vgg`).

    >>> net = vgg11()  # doctest: +SKIP
    """
    return get_vgg(11, **kwargs)


def vgg13(**kwargs: Any) -> VGG:
    """VGG-13.

    >>> net = vgg13()  # doctest: +SKIP
    """
    return get_vgg(13, **kwargs)


def vgg16(**kwargs: Any) -> VGG:
    """VGG-16.

    >>> net = vgg16()  # doctest: +SKIP
    """
    return get_vgg(16, **kwargs)


def vgg19(**kwargs: Any) -> VGG:
    """VGG-19.

    >>> net = vgg19()  # doctest: +SKIP
    """
    return get_vgg(19, **kwargs)


def vgg11_bn(**kwargs: Any) -> VGG:
    """VGG-11 with BatchNorm after each convolution.

    >>> net = vgg11_bn()  # doctest: +SKIP
    """
    return get_vgg(11, **{**kwargs, "batch_norm": True})


def vgg13_bn(**kwargs: Any) -> VGG:
    """VGG-13 with BatchNorm.

    >>> net = vgg13_bn()  # doctest: +SKIP
    """
    return get_vgg(13, **{**kwargs, "batch_norm": True})


def vgg16_bn(**kwargs: Any) -> VGG:
    """VGG-16 with BatchNorm.

    >>> net = vgg16_bn()  # doctest: +SKIP
    """
    return get_vgg(16, **{**kwargs, "batch_norm": True})


def vgg19_bn(**kwargs: Any) -> VGG:
    """VGG-19 with BatchNorm.

    >>> net = vgg19_bn()  # doctest: +SKIP
    """
    return get_vgg(19, **{**kwargs, "batch_norm": True})
