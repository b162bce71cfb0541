"""`mx.nd.random`: sampling from distributions, over the counter-based `random_bits`
primitive (see `mxjit.ops.random`).

Parameters follow MXNet: numbers give `shape` samples, arrays (all of one shape) give
`params.shape + shape`. `mx.random.seed(s)` reproduces the same samples eagerly and under
`jit`; the streams are Philox and differ from MXNet's own for the same seed.

    >>> mx.nd.random.uniform(0, 1, shape=(2,)).shape  # doctest: +SKIP
    (2,)
"""
from ..ops.random import (  # noqa: F401  (re-exported)
    exponential,
    gamma,
    generalized_negative_binomial,
    multinomial,
    negative_binomial,
    normal,
    poisson,
    randint,
    randn,
    shuffle,
    uniform,
)
from .namespace import functions as _functions

_like = {name: f for name, f in _functions("random").items() if name.endswith("_like")}
globals().update(_like)
__all__ = sorted(["exponential", "gamma", "generalized_negative_binomial", "multinomial",
                  "negative_binomial", "normal", "poisson", "randint", "randn", "shuffle",
                  "uniform", *_like])
del _functions, _like
