"""`mx.gluon.nn`: neural network layers.

    >>> net = mx.gluon.nn.HybridSequential()  # doctest: +SKIP
"""
from ..block import Block, HybridBlock
from .activations import ELU, GELU, SELU, Activation, LeakyReLU, PReLU, Swish
from .basic_layers import (
    BatchNorm,
    BatchNormReLU,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GroupNorm,
    HybridLambda,
    HybridSequential,
    InstanceNorm,
    Lambda,
    LayerNorm,
    Sequential,
)

__all__ = ["Block", "HybridBlock", "Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU",
           "Swish", "BatchNorm", "BatchNormReLU", "Dense", "Dropout", "Embedding", "Flatten",
           "GroupNorm", "HybridLambda", "HybridSequential", "InstanceNorm", "Lambda",
           "LayerNorm", "Sequential"]
