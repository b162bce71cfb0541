"""DenseNet ("Densely Connected Convolutional Networks", Huang et al. 2016), as in MXNet
1.9.1: each dense layer's output is concatenated to its input along the channels.

    >>> net = densenet121(classes=10); net.initialize()  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ....base import ParamError
from ....context import Context
from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent, Identity
from ..model_store import DEFAULT_CTX, DEFAULT_ROOT, load_pretrained

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]



def __dir__() -> list[str]:
    return __all__


def _make_dense_layer(growth_rate: int, bn_size: int, dropout: float) -> HybridConcurrent:
    """[x, BN-relu-1x1 conv-BN-relu-3x3 conv(x)] joined on the channel axis."""
    new_features = nn.HybridSequential(prefix="")
    new_features.add(nn.BatchNorm(), nn.Activation("relu"),
                     nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False),
                     nn.BatchNorm(), nn.Activation("relu"),
                     nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new_features.add(nn.Dropout(dropout))
    out = HybridConcurrent(axis=1, prefix="")
    out.add(Identity(), new_features)
    return out


def _make_dense_block(num_layers: int, bn_size: int, growth_rate: int, dropout: float,
                      stage_index: int) -> nn.HybridSequential:
    out = nn.HybridSequential(prefix=f"stage{stage_index}_")
    with out.name_scope():
        for _ in range(num_layers):
            out.add(_make_dense_layer(growth_rate, bn_size, dropout))
    return out


def _make_transition(num_output_features: int) -> nn.HybridSequential:
    """BN-relu-1x1 conv to `num_output_features` channels, then 2x2 average pooling."""
    out = nn.HybridSequential(prefix="")
    out.add(nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(num_output_features, kernel_size=1, use_bias=False),
            nn.AvgPool2D(pool_size=2, strides=2))
    return out


class DenseNet(HybridBlock):
    """A 7x7 stem with `num_init_features` channels, dense blocks of `block_config[i]`
    layers each adding `growth_rate` channels (bottleneck width `bn_size * growth_rate`,
    `dropout` after each), transitions halving the channels between them, BN-relu, 7x7
    average pooling and the output (so 224x224 inputs).

    >>> net = DenseNet(64, 32, [6, 12, 24, 16])  # doctest: +SKIP
    """

    def __init__(self, num_init_features: int, growth_rate: int, block_config: list[int],
                 bn_size: int = 4, dropout: float = 0, classes: int = 1000, **kwargs: Any):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(num_init_features, kernel_size=7, strides=2,
                                        padding=3, use_bias=False),
                              nn.BatchNorm(), nn.Activation("relu"),
                              nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            num_features = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(_make_dense_block(num_layers, bn_size, growth_rate, dropout,
                                                    i + 1))
                num_features += num_layers * growth_rate
                if i != len(block_config) - 1:
                    num_features //= 2
                    self.features.add(_make_transition(num_features))
            self.features.add(nn.BatchNorm(), nn.Activation("relu"), nn.AvgPool2D(pool_size=7),
                              nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


#: Depth -> (stem channels, growth rate, layers per dense block).
DENSENET_SPEC = {121: (64, 32, [6, 12, 24, 16]),
                 161: (96, 48, [6, 12, 36, 24]),
                 169: (64, 32, [6, 12, 32, 32]),
                 201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers: int, pretrained: bool = False, ctx: Context = DEFAULT_CTX,
                 root: str = DEFAULT_ROOT, **kwargs: Any) -> DenseNet:
    """DenseNet with `num_layers` layers (121, 161, 169, 201); `pretrained` loads
    `densenet<n>` from `root`.

    >>> net = get_densenet(121, classes=10)  # doctest: +SKIP
    """
    if num_layers not in DENSENET_SPEC:
        raise ParamError(f"Invalid number of layers: {num_layers}. Options are "
                         f"{list(DENSENET_SPEC)}")
    num_init_features, growth_rate, block_config = DENSENET_SPEC[num_layers]
    net = DenseNet(num_init_features, growth_rate, block_config, **kwargs)
    if pretrained:
        load_pretrained(net, f"densenet{num_layers}", ctx, root)
    return net


def densenet121(**kwargs: Any) -> DenseNet:
    """DenseNet-121 (`pretrained`, `ctx`, `root` as in `get_densenet`).

    >>> net = densenet121()  # doctest: +SKIP
    """
    return get_densenet(121, **kwargs)


def densenet161(**kwargs: Any) -> DenseNet:
    """DenseNet-161.

    >>> net = densenet161()  # doctest: +SKIP
    """
    return get_densenet(161, **kwargs)


def densenet169(**kwargs: Any) -> DenseNet:
    """DenseNet-169.

    >>> net = densenet169()  # doctest: +SKIP
    """
    return get_densenet(169, **kwargs)


def densenet201(**kwargs: Any) -> DenseNet:
    """DenseNet-201.

    >>> net = densenet201()  # doctest: +SKIP
    """
    return get_densenet(201, **kwargs)
