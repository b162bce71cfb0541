"""`mx.sym`'s creation functions: zeros, ones, full, arange, linspace and eye as nodes of
MXNet's `_zeros`, `_ones`, `_full`, `_arange`, `_linspace` and `_eye` operators, with the
attributes MXNet 1.9.1 writes (its Python functions pass every parameter, and float32
unless `dtype` says otherwise).

    >>> idx = mx.sym.arange(0, 10, 2)  # doctest: +SKIP
    >>> idx.eval()[0].asnumpy()  # doctest: +SKIP
    array([0., 2., 4., 6., 8.], dtype=float32)
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.operators import lookup
from .symbol import Symbol, make_node


def _node(op_name: str, name: str | None, attr: dict[str, str] | None,
          **values: Any) -> Symbol:
    """A node of `op_name` without inputs; every value given is written (None as 'None',
    as MXNet writes an unset `stop`), and hidden attributes (`__layout__`) as they are.
    A symbol given by keyword is dropped, as MXNet's compose drops it for an operator
    without inputs."""
    op = lookup(op_name)
    attrs = {k: str(v) if k.startswith("__") and k.endswith("__") else op.param(k).format(v)
             for k, v in values.items() if not isinstance(v, Symbol)}
    return make_node(op, [], attrs, name, attr, op_name)


def zeros(shape: Any, dtype: Any = None, **kwargs: Any) -> Symbol:
    """A symbol of zeros of `shape` (`ctx`, `name`, `attr` as keywords).

    >>> mx.sym.zeros((2, 3)).eval()[0].shape  # doctest: +SKIP
    (2, 3)
    """
    name, attr = kwargs.pop("name", None), kwargs.pop("attr", None)
    return _node("_zeros", name, attr, shape=shape, dtype=dtype or np.float32, **kwargs)


def ones(shape: Any, dtype: Any = None, **kwargs: Any) -> Symbol:
    """A symbol of ones of `shape`.

    >>> mx.sym.ones((2,), dtype='int32').eval()[0].asnumpy()  # doctest: +SKIP
    array([1, 1], dtype=int32)
    """
    name, attr = kwargs.pop("name", None), kwargs.pop("attr", None)
    return _node("_ones", name, attr, shape=shape, dtype=dtype or np.float32, **kwargs)


def full(shape: Any, val: float, dtype: Any = None, **kwargs: Any) -> Symbol:
    """A symbol of `shape` with `val` everywhere.

    >>> mx.sym.full((2,), 7).eval()[0].asnumpy()  # doctest: +SKIP
    array([7., 7.], dtype=float32)
    """
    name, attr = kwargs.pop("name", None), kwargs.pop("attr", None)
    return _node("_full", name, attr, shape=shape, dtype=dtype or np.float32,
                 value=float(val), **kwargs)


def arange(start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1,
           infer_range: bool = False, name: str | None = None, dtype: Any = None) -> Symbol:
    """Evenly spaced values in [start, stop) (in [0, start) without `stop`), each repeated
    `repeat` times.

    >>> mx.sym.arange(0, 6, 2, repeat=2).eval()[0].asnumpy()  # doctest: +SKIP
    array([0., 0., 2., 2., 4., 4.], dtype=float32)
    """
    return _node("_arange", name, None, start=start, stop=stop, step=step, repeat=repeat,
                 infer_range=infer_range, dtype=dtype or np.float32)


def linspace(start: float, stop: float, num: int, endpoint: bool = True,
             name: str | None = None, dtype: Any = None) -> Symbol:
    """`num` evenly spaced values from start to stop (stop included with `endpoint`).

    >>> mx.sym.linspace(0, 1, 5).eval()[0].asnumpy()  # doctest: +SKIP
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return _node("_linspace", name, None, start=start, stop=stop, num=num, endpoint=endpoint,
                 dtype=dtype or np.float32)


def eye(N: int, M: int = 0, k: int = 0, dtype: Any = None, **kwargs: Any) -> Symbol:
    """A 2-D symbol with ones on the k-th diagonal, N x M (M=0: square).

    >>> mx.sym.eye(2, 3, k=1).eval()[0].asnumpy()  # doctest: +SKIP
    array([[0., 1., 0.], [0., 0., 1.]], dtype=float32)
    """
    name, attr = kwargs.pop("name", None), kwargs.pop("attr", None)
    return _node("_eye", name, attr, N=N, M=M, k=k, dtype=dtype or np.float32, **kwargs)
