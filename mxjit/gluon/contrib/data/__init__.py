"""`mx.gluon.contrib.data`: MXNet's contributed data tools (its `IntervalSampler`).

    >>> list(mx.gluon.contrib.data.IntervalSampler(6, interval=3))  # doctest: +SKIP
    [0, 3, 1, 4, 2, 5]
"""
from ...data.sampler import IntervalSampler

__all__ = ["IntervalSampler"]
