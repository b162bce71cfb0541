"""Inception v3 ("Rethinking the Inception Architecture for Computer Vision", Szegedy et
al. 2015), as in MXNet 1.9.1 (no auxiliary classifier; 299x299 inputs).

    >>> net = inception_v3(classes=10); net.initialize()  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ....context import Context
from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent
from ..model_store import DEFAULT_CTX, DEFAULT_ROOT, load_pretrained

__all__ = ["Inception3", "inception_v3"]

#: A convolution of a branch: (channels, kernel, strides, padding), None for the default.
Conv = tuple[int, Any, Any, Any]
_CONV_KEYS = ("channels", "kernel_size", "strides", "padding")


def __dir__() -> list[str]:
    return __all__


def _make_basic_conv(**kwargs: Any) -> nn.HybridSequential:
    """Convolution without bias, BatchNorm (epsilon 0.001), relu."""
    out = nn.HybridSequential(prefix="")
    out.add(nn.Conv2D(use_bias=False, **kwargs), nn.BatchNorm(epsilon=0.001),
            nn.Activation("relu"))
    return out


def _make_branch(pool: str | None, *convs: Conv) -> nn.HybridSequential:
    """An optional pool ('avg' 3x3 stride 1 or 'max' 3x3 stride 2), then basic convs."""
    out = nn.HybridSequential(prefix="")
    if pool == "avg":
        out.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
    elif pool == "max":
        out.add(nn.MaxPool2D(pool_size=3, strides=2))
    for conv in convs:
        out.add(_make_basic_conv(**{k: v for k, v in zip(_CONV_KEYS, conv) if v is not None}))
    return out


def _concurrent(prefix: str, *branches: tuple[Any, ...]) -> HybridConcurrent:
    """Branches (each `(pool, conv, conv, ...)`) joined on the channel axis, in the scope
    `prefix`."""
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        for pool, *convs in branches:
            out.add(_make_branch(pool, *convs))
    return out


def _make_A(pool_features: int, prefix: str) -> HybridConcurrent:
    return _concurrent(prefix,
                       (None, (64, 1, None, None)),
                       (None, (48, 1, None, None), (64, 5, None, 2)),
                       (None, (64, 1, None, None), (96, 3, None, 1), (96, 3, None, 1)),
                       ("avg", (pool_features, 1, None, None)))


def _make_B(prefix: str) -> HybridConcurrent:
    return _concurrent(prefix,
                       (None, (384, 3, 2, None)),
                       (None, (64, 1, None, None), (96, 3, None, 1), (96, 3, 2, None)),
                       ("max",))


def _make_C(channels_7x7: int, prefix: str) -> HybridConcurrent:
    c = channels_7x7
    return _concurrent(prefix,
                       (None, (192, 1, None, None)),
                       (None, (c, 1, None, None), (c, (1, 7), None, (0, 3)),
                        (192, (7, 1), None, (3, 0))),
                       (None, (c, 1, None, None), (c, (7, 1), None, (3, 0)),
                        (c, (1, 7), None, (0, 3)), (c, (7, 1), None, (3, 0)),
                        (192, (1, 7), None, (0, 3))),
                       ("avg", (192, 1, None, None)))


def _make_D(prefix: str) -> HybridConcurrent:
    return _concurrent(prefix,
                       (None, (192, 1, None, None), (320, 3, 2, None)),
                       (None, (192, 1, None, None), (192, (1, 7), None, (0, 3)),
                        (192, (7, 1), None, (3, 0)), (192, 3, 2, None)),
                       ("max",))


def _split_3x3(*lead: Conv) -> nn.HybridSequential:
    """Convs `lead`, then 1x3 and 3x1 convolutions side by side (E's widened branches)."""
    out = nn.HybridSequential(prefix="")
    out.add(_make_branch(None, *lead))
    split = HybridConcurrent(axis=1, prefix="")
    split.add(_make_branch(None, (384, (1, 3), None, (0, 1))),
              _make_branch(None, (384, (3, 1), None, (1, 0))))
    out.add(split)
    return out


def _make_E(prefix: str) -> HybridConcurrent:
    out = HybridConcurrent(axis=1, prefix=prefix)
    with out.name_scope():
        out.add(_make_branch(None, (320, 1, None, None)))
        out.add(_split_3x3((384, 1, None, None)))
        out.add(_split_3x3((448, 1, None, None), (384, 3, None, 1)))
        out.add(_make_branch("avg", (192, 1, None, None)))
    return out


class Inception3(HybridBlock):
    """The Inception v3 stem, modules A1-A3, B, C1-C4, D, E1-E2, 8x8 average pooling,
    dropout and the output.

    >>> net = Inception3(classes=10)  # doctest: +SKIP
    """

    def __init__(self, classes: int = 1000, **kwargs: Any):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(_make_basic_conv(channels=32, kernel_size=3, strides=2),
                              _make_basic_conv(channels=32, kernel_size=3),
                              _make_basic_conv(channels=64, kernel_size=3, padding=1),
                              nn.MaxPool2D(pool_size=3, strides=2),
                              _make_basic_conv(channels=80, kernel_size=1),
                              _make_basic_conv(channels=192, kernel_size=3),
                              nn.MaxPool2D(pool_size=3, strides=2),
                              _make_A(32, "A1_"), _make_A(64, "A2_"), _make_A(64, "A3_"),
                              _make_B("B_"),
                              _make_C(128, "C1_"), _make_C(160, "C2_"), _make_C(160, "C3_"),
                              _make_C(192, "C4_"),
                              _make_D("D_"), _make_E("E1_"), _make_E("E2_"),
                              nn.AvgPool2D(pool_size=8), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def inception_v3(pretrained: bool = False, ctx: Context = DEFAULT_CTX, root: str = DEFAULT_ROOT,
                 **kwargs: Any) -> Inception3:
    """Inception v3; `pretrained` loads `inceptionv3` from `root` (`$MXNET_HOME/models`).

    >>> net = inception_v3(classes=10)  # doctest: +SKIP
    """
    net = Inception3(**kwargs)
    if pretrained:
        load_pretrained(net, "inceptionv3", ctx, root)
    return net
