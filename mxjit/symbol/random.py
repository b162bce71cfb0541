"""`mx.sym.random`: sampling operators as symbols. Numbers for the distribution's
parameters give `_random_<name>` nodes drawing `shape` samples; symbols give
`_sample_<name>` nodes drawing `shape` samples per parameter entry, as in MXNet.

    >>> noise = mx.sym.random.normal(0, 1, shape=(4, 5))  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..base import ArgumentError
from ..core.operators import lookup
from .namespace import make_function
from .symbol import Symbol

#: distribution -> its parameters, with MXNet's defaults.
_PARAMS = {
    "uniform": (("low", 0.0), ("high", 1.0)),
    "normal": (("loc", 0.0), ("scale", 1.0)),
    "gamma": (("alpha", 1.0), ("beta", 1.0)),
    "exponential": (("scale", 1.0),),
    "poisson": (("lam", 1.0),),
    "negative_binomial": (("k", 1), ("p", 1.0)),
    "generalized_negative_binomial": (("mu", 1.0), ("alpha", 1.0)),
}
#: How MXNet names a distribution's parameters on its `_random_` operators.
_RANDOM_NAMES = {"exponential": {"scale": "lam"}}


def _sampler(dist: str) -> Callable[..., Symbol]:
    names = [p for p, _ in _PARAMS[dist]]
    defaults = dict(_PARAMS[dist])

    def sample(*args: Any, shape: Any = (), dtype: Any = None, ctx: Any = None,
               name: str | None = None, attr: dict[str, str] | None = None,
               **kwargs: Any) -> Symbol:
        if len(args) > len(names):
            raise ArgumentError(f"random.{dist}: too many positional arguments")
        values = dict(defaults)
        values.update(zip(names, args))
        values.update({k: v for k, v in kwargs.items() if k in names})
        rest = {k: v for k, v in kwargs.items() if k not in names}
        if rest:
            raise ArgumentError(f"random.{dist}: unknown arguments {sorted(rest)}")
        extra = {"shape": shape} if shape not in (None, ()) else {}
        if dtype is not None:
            extra["dtype"] = dtype
        if any(isinstance(v, Symbol) for v in values.values()):
            fn = make_function(lookup(f"_sample_{dist}"), f"_sample_{dist}")
            return fn(*[values[n] for n in names], name=name, attr=attr, **extra)
        rename = _RANDOM_NAMES.get(dist, {})
        params = {rename.get(k, k): (1.0 / v if rename.get(k) else v) for k, v in values.items()}
        fn = make_function(lookup(f"_random_{dist}"), f"_random_{dist}")
        return fn(name=name, attr=attr, **params, **extra)

    sample.__name__ = sample.__qualname__ = dist
    sample.__doc__ = f"Samples of the {dist} distribution as a symbol (see the module)."
    return sample


uniform = _sampler("uniform")
normal = _sampler("normal")
gamma = _sampler("gamma")
exponential = _sampler("exponential")
poisson = _sampler("poisson")
negative_binomial = _sampler("negative_binomial")
generalized_negative_binomial = _sampler("generalized_negative_binomial")

__all__ = ["uniform", "normal", "gamma", "exponential", "poisson", "negative_binomial",
           "generalized_negative_binomial"]
