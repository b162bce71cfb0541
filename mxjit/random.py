"""`mx.random`: the global seed and MXNet's samplers.

Streams are counter-based (Philox-4x32-10): every draw takes a fresh key derived from the
seed and a draw counter, so a seed reproduces the same numbers eagerly, inside `jit`, and
on any device (they differ from MXNet's own streams for the same seed).

    >>> mx.random.seed(42); mx.random.uniform(shape=(2,)).shape  # doctest: +SKIP
    (2,)
"""
from .core.random import seed
from .nd.random import (
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

__all__ = ["seed", "uniform", "normal", "randn", "poisson", "exponential", "gamma",
           "multinomial", "negative_binomial", "generalized_negative_binomial", "shuffle",
           "randint"]
