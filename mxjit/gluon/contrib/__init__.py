"""`mx.gluon.contrib`: MXNet's contributed Gluon modules; `nn` holds its extra layers
(MXNet's contrib `rnn`, `cnn`, `data` and `estimator` are not here yet).

    >>> net = mx.gluon.contrib.nn.HybridConcurrent(axis=1)  # doctest: +SKIP
"""
from . import nn

__all__ = ["nn"]
