"""`mx.sym.random`: sampling operators as symbols. Numbers for the distribution's
parameters give `_random_<name>` nodes drawing `shape` samples; symbols give
`_sample_<name>` nodes drawing `shape` samples per parameter entry, as in MXNet. The
`*_like` samplers take their shape and dtype from a symbol. A bound symbol draws new
numbers on every forward pass; `mx.random.seed` makes them repeat.

    >>> noise = mx.sym.random.normal(0, 1, shape=(4, 5))  # doctest: +SKIP
"""
from collections.abc import Callable as _Callable
from typing import Any as _Any

from ..base import ArgumentError as _ArgumentError
from ..core.operators import lookup as _lookup
from .namespace import functions as _functions
from .namespace import make_function as _make_function
from .symbol import Symbol as _Symbol

#: distribution -> its parameters, with MXNet's defaults (ints, as MXNet writes them).
_PARAMS = {
    "uniform": (("low", 0), ("high", 1)),
    "normal": (("loc", 0), ("scale", 1)),
    "gamma": (("alpha", 1), ("beta", 1)),
    "exponential": (("scale", 1),),
    "poisson": (("lam", 1),),
    "negative_binomial": (("k", 1), ("p", 1)),
    "generalized_negative_binomial": (("mu", 1), ("alpha", 1)),
    "randint": (("low", None), ("high", None)),
}
#: How MXNet names a distribution's parameters on its `_random_` operators.
_RANDOM_NAMES = {"exponential": {"scale": "lam"}}
#: Distributions without a `_sample_` operator (their parameters are numbers only).
_NUMBERS_ONLY = ("randint",)


def _shape_attr(shape: _Any) -> dict[str, _Any]:
    """The `shape` keyword as MXNet writes it: a number as a tuple ("(2,)"), nothing for a
    shape not given, and () as "()" (randn's)."""
    if shape is None:
        return {}
    return {"shape": (shape,) if isinstance(shape, int) else shape}


def _draw(dist: str, values: dict[str, _Any], shape: _Any, dtype: _Any, name: str | None,
          attr: dict[str, str] | None, kwargs: dict[str, _Any]) -> _Symbol:
    """The node of `dist` for these parameter values (numbers or symbols)."""
    extra = _shape_attr(shape)
    if dtype is not None:
        extra["dtype"] = dtype
    extra.update(kwargs)
    rename = _RANDOM_NAMES.get(dist, {})
    if any(isinstance(v, _Symbol) for v in values.values()):
        if dist in _NUMBERS_ONLY:
            raise _ArgumentError(f"random.{dist}: the parameters must be numbers")
        fn = _make_function(_lookup(f"_sample_{dist}"), f"_sample_{dist}")
        # (a renamed parameter is the reciprocal: exponential's scale is 1 / lam, which
        # MXNet writes as an _rdiv_scalar node)
        return fn(*(1.0 / v if rename.get(k) else v for k, v in values.items()), name=name,
                  attr=attr, **extra)
    params = {rename.get(k, k): (1.0 / v if rename.get(k) else v) for k, v in values.items()}
    fn = _make_function(_lookup(f"_random_{dist}"), f"_random_{dist}")
    return fn(name=name, attr=attr, **params, **extra)


def _sampler(dist: str) -> _Callable[..., _Symbol]:
    names = [p for p, _ in _PARAMS[dist]]
    defaults = {p: d for p, d in _PARAMS[dist] if d is not None}

    def sample(*args: _Any, shape: _Any = None, dtype: _Any = None, ctx: _Any = None,
               name: str | None = None, attr: dict[str, str] | None = None,
               **kwargs: _Any) -> _Symbol:
        if len(args) > len(names):
            raise _ArgumentError(f"random.{dist}: too many positional arguments")
        values = dict(defaults)
        values.update(zip(names, args))
        values.update({k: v for k, v in kwargs.items() if k in names})
        rest = {k: v for k, v in kwargs.items() if k not in names}
        if rest:
            raise _ArgumentError(f"random.{dist}: unknown arguments {sorted(rest)}")
        missing = [n for n in names if n not in values]
        if missing:
            raise _ArgumentError(f"random.{dist}: the arguments {missing} are required")
        # (`ctx` is not written: the table's samplers take a Context, not MXNet's string;
        # a bound symbol runs where it is bound)
        return _draw(dist, values, shape, dtype, name, attr, {})

    sample.__name__ = sample.__qualname__ = dist
    sample.__doc__ = (f"Samples of the {dist} distribution as a symbol (see the module).\n\n"
                      f"    >>> mx.sym.random.{dist}({', '.join(map(str, range(len(names))))},"
                      f" shape=(2,))  # doctest: +SKIP\n    ")
    return sample


uniform = _sampler("uniform")
normal = _sampler("normal")
gamma = _sampler("gamma")
exponential = _sampler("exponential")
poisson = _sampler("poisson")
negative_binomial = _sampler("negative_binomial")
generalized_negative_binomial = _sampler("generalized_negative_binomial")
randint = _sampler("randint")


def randn(*shape: int, **kwargs: _Any) -> _Symbol:
    """Normal samples of the shape given by position (`loc`, `scale`, `dtype` as keywords).

    >>> mx.sym.random.randn(2, 3, loc=1, scale=2)  # doctest: +SKIP
    """
    values = {"loc": kwargs.pop("loc", 0), "scale": kwargs.pop("scale", 1)}
    dtype, name, attr = kwargs.pop("dtype", None), kwargs.pop("name", None), \
        kwargs.pop("attr", None)
    kwargs.pop("ctx", None)  # (not written, as for the other samplers)
    return _draw("normal", values, shape, dtype, name, attr, kwargs)


def multinomial(data: _Symbol, shape: _Any = None, get_prob: bool = True, dtype: _Any = "int32",
                **kwargs: _Any) -> _Symbol:
    """Indices drawn from the categorical distributions in the last axis of `data`, and
    with `get_prob` (MXNet's default for symbols) the log-likelihood of each draw.

    >>> draws, logp = mx.sym.random.multinomial(mx.sym.var('p'), shape=2)  # doctest: +SKIP
    """
    extra = _shape_attr(shape)
    fn = _make_function(_lookup("_sample_multinomial"), "_sample_multinomial")
    return fn(data, get_prob=get_prob, dtype=dtype, **extra, **kwargs)


def shuffle(data: _Symbol, **kwargs: _Any) -> _Symbol:
    """`data` with its first axis randomly permuted.

    >>> mx.sym.random.shuffle(mx.sym.var('x'))  # doctest: +SKIP
    """
    return _make_function(_lookup("_shuffle"), "_shuffle")(data, **kwargs)


#: (the table's random namespace also holds the `_sample_` operators under the
#: distributions' names: the functions above pick those)
_like = {name: f for name, f in _functions("random").items() if name.endswith("_like")}
globals().update(_like)
__all__ = sorted(["uniform", "normal", "gamma", "exponential", "poisson", "negative_binomial",
                  "generalized_negative_binomial", "randint", "randn", "multinomial", "shuffle",
                  *_like])
del _like
