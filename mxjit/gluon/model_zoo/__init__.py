"""`mx.gluon.model_zoo`: MXNet 1.9.1's predefined vision networks (`vision`) and the local
store of their pretrained parameter files (`model_store`).

    >>> net = mx.gluon.model_zoo.vision.get_model('resnet18_v1', classes=10)  # doctest: +SKIP
"""
from . import model_store, vision

__all__ = ["model_store", "vision"]
