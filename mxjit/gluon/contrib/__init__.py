"""`mx.gluon.contrib`: MXNet's contributed Gluon modules: `nn` holds its extra layers,
`estimator` the Fit API, `data` the IntervalSampler (MXNet's contrib `rnn` and `cnn` are
not here yet).

    >>> net = mx.gluon.contrib.nn.HybridConcurrent(axis=1)  # doctest: +SKIP
    >>> est = mx.gluon.contrib.estimator.Estimator(net, loss)  # doctest: +SKIP
"""
from . import data, estimator, nn

__all__ = ["data", "estimator", "nn"]
