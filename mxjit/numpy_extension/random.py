"""`mx.npx.random`: MXNet's NumPy-extension samplers (`bernoulli`, `normal_n`,
`uniform_n`) over mx.np.random's, and `seed`.

    >>> npx.random.bernoulli(0.3, size=(4,))  # doctest: +SKIP
    array([0., 1., 0., 0.])
"""
from typing import Any as _Any

import numpy as _onp

from ..base import ParamError as _ParamError
from ..context import Context as _Context
from ..core import Array as _Array
from ..core.random import seed as _seed
from ..numpy import random as _np_random
from ..numpy.adapter import finish as _finish
from ..numpy.adapter import operands as _operands
from ..numpy.adapter import operator as _operator
from ..numpy.arithmetic import binary as _binary
from ..numpy.arithmetic import broadcast_shapes as _broadcast_shapes
from ..ops.indexing import concrete as _concrete
from ..ops.operands import as_dtype as _as_dtype
from ..ops.operands import ints as _ints


def seed(seed: int, ctx: _Any = "all") -> None:  # noqa: A001
    """Seed the random streams (MXNet's `npx.random.seed`; all devices share them).

    >>> npx.random.seed(42)  # doctest: +SKIP
    """
    _seed(seed, ctx)


def bernoulli(prob: _Any = None, logit: _Any = None, size: _Any = None, dtype: _Any = None,
              ctx: _Context | None = None, out: _Any = None) -> _Any:
    """Samples that are 1 with probability `prob` (or sigmoid(`logit`)), else 0; float32
    unless `dtype` says otherwise.

    >>> npx.random.bernoulli(logit=mx.np.zeros(3))  # doctest: +SKIP
    """
    if (prob is None) == (logit is None):
        raise _ParamError(f"Either `prob` or `logit` must be specified, but not both. "
                          f"Received prob={prob}, logit={logit}")
    if logit is not None:
        x = _operands("npx.random.bernoulli", logit)[0]
        prob = _operator("sigmoid")(x if x._dtype.kind == "f" else _as_dtype(x, "float32"))
    else:
        _check_probability(prob)
    u = _np_random.uniform(size=size if size is not None else _shape_of(prob), ctx=ctx)
    hits = _binary("lt", u, prob)
    return _finish(_as_dtype(hits, "float32" if dtype is None else dtype), out)


def _check_probability(prob: _Any) -> None:
    """MXNet's ValueError for a probability outside [0, 1] (eager values; a traced one
    gives samples as its value says)."""
    values = _concrete(prob) if isinstance(prob, _Array) else _onp.asarray(prob)
    if values is not None and ((values < 0) | (values > 1)).any():
        raise _ParamError(f"bernoulli: prob must be in [0, 1], got {prob}")


def _shape_of(value: _Any) -> tuple:
    return tuple(getattr(value, "shape", ()))


def normal_n(loc: _Any = 0.0, scale: _Any = 1.0, batch_shape: _Any = None, dtype: _Any = None,
             ctx: _Context | None = None) -> _Any:
    """Normal samples of shape batch_shape + the broadcast shape of loc and scale.

    >>> npx.random.normal_n(mx.np.zeros(2), 1.0, batch_shape=(3,)).shape  # doctest: +SKIP
    (3, 2)
    """
    size = _ints(batch_shape, "normal_n: batch_shape") + _broadcast_shapes(
        "normal_n", _shape_of(loc), _shape_of(scale))
    return _np_random.normal(loc, scale, size, dtype, ctx)


def uniform_n(low: _Any = 0.0, high: _Any = 1.0, batch_shape: _Any = None, dtype: _Any = None,
              ctx: _Context | None = None) -> _Any:
    """Uniform samples of shape batch_shape + the broadcast shape of low and high.

    >>> npx.random.uniform_n(0, 1, batch_shape=(3, 4)).shape  # doctest: +SKIP
    (3, 4)
    """
    size = _ints(batch_shape, "uniform_n: batch_shape") + _broadcast_shapes(
        "uniform_n", _shape_of(low), _shape_of(high))
    return _np_random.uniform(low, high, size, dtype, ctx)


__all__ = ["seed", "bernoulli", "normal_n", "uniform_n"]
