"""AlexNet ("One weird trick for parallelizing convolutional neural networks", Krizhevsky
2014), as in MXNet 1.9.1.

    >>> net = alexnet(classes=10); net.initialize()  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ....context import Context
from ... import nn
from ...block import HybridBlock
from ..model_store import DEFAULT_CTX, DEFAULT_ROOT, load_pretrained

__all__ = ["AlexNet", "alexnet"]

#: The convolutions: (channels, kernel, stride, padding, max-pool after).
_CONVS = [(64, 11, 4, 2, True), (192, 5, 1, 2, True), (384, 3, 1, 1, False),
          (256, 3, 1, 1, False), (256, 3, 1, 1, True)]


def __dir__() -> list[str]:
    return __all__


class AlexNet(HybridBlock):
    """Five relu convolutions with three max-pools, two 4096-wide relu Dense layers with
    dropout, and the `classes`-wide output.

    >>> net = AlexNet(classes=10)  # doctest: +SKIP
    """

    def __init__(self, classes: int = 1000, **kwargs: Any):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                for channels, kernel, stride, padding, pool in _CONVS:
                    self.features.add(nn.Conv2D(channels, kernel_size=kernel, strides=stride,
                                                padding=padding, activation="relu"))
                    if pool:
                        self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
                self.features.add(nn.Flatten())
                for _ in range(2):
                    self.features.add(nn.Dense(4096, activation="relu"), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def alexnet(pretrained: bool = False, ctx: Context = DEFAULT_CTX, root: str = DEFAULT_ROOT,
            **kwargs: Any) -> AlexNet:
    """AlexNet; `pretrained` loads `alexnet` from `root` (`$MXNET_HOME/models`).

    >>> net = alexnet(classes=10)  # doctest: +SKIP
    """
    net = AlexNet(**kwargs)
    if pretrained:
        load_pretrained(net, "alexnet", ctx, root)
    return net
