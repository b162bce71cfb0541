"""`mx.np.random`: NumPy's samplers over MXNet's (the functions live in sampling.py).

    >>> mx.np.random.seed(0); mx.np.random.uniform(size=(2, 3)).shape  # doctest: +SKIP
    (2, 3)
"""
from .sampling import (
    beta,
    chisquare,
    choice,
    exponential,
    gamma,
    gumbel,
    logistic,
    lognormal,
    multinomial,
    multivariate_normal,
    normal,
    pareto,
    permutation,
    poisson,
    power,
    rand,
    randint,
    randn,
    rayleigh,
    seed,
    shuffle,
    uniform,
    weibull,
)

__all__ = ["gumbel", "logistic", "rayleigh", "weibull", "pareto", "power", "lognormal",
           "chisquare", "beta", "multivariate_normal", "seed", "uniform", "normal", "randn",
           "rand", "randint", "exponential", "gamma", "poisson", "shuffle", "permutation",
           "choice", "multinomial"]
