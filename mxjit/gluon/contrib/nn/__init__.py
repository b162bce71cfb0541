"""`mx.gluon.contrib.nn`: layers beyond `gluon.nn`: the concurrent containers, Identity,
pixel shuffles, SparseEmbedding and SyncBatchNorm.

    >>> mx.gluon.contrib.nn.PixelShuffle2D(2)  # doctest: +SKIP
"""
from .basic_layers import (
    Concurrent,
    HybridConcurrent,
    Identity,
    PixelShuffle1D,
    PixelShuffle2D,
    PixelShuffle3D,
    SparseEmbedding,
    SyncBatchNorm,
)

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "SparseEmbedding", "SyncBatchNorm",
           "PixelShuffle1D", "PixelShuffle2D", "PixelShuffle3D"]
