"""`mx.np`: MXNet's NumPy-compatible arrays and functions, over the same operator table as
`mx.nd` (NumPy's names, signatures and promotion are an adapter, not a second library).

`ndarray` (a subclass of `mx.nd.NDArray`) prints as `array(...)`; the functions come from
tables over the registered operators: math.py (elementwise and reductions), shape.py
(manipulation, joining, sorting, searching), creation.py, contraction.py (matmul, dot,
tensordot, einsum), linalg.py and random.py.

    >>> from mxjit import np
    >>> np.tanh(np.ones((2, 3)) @ np.ones((3, 4))).sum(axis=1)  # doctest: +SKIP
"""
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

import numpy as _onp

from ..core.np_functions import register_functions as _register_symbolic
from . import _internal, linalg, random  # (_internal: MXNet's F.np._internal)
from . import contraction as _contraction
from . import creation as _creation
from . import extra as _extra
from . import fallback as _fallback
from . import math as _math
from . import shape as _shape
from . import symbolic as _symbolic  # noqa: F401  (registers the _np_call operator)
from .methods import add_methods as _add_methods
from .ndarray import ndarray
from .ndarray import set_operator_functions as _set_operator_functions

_functions = {**_fallback.functions(), **_creation.functions(), **_math.functions(),
              **_shape.functions(), **_contraction.functions(), **_extra.functions()}
_add_methods(ndarray, _functions)
_set_operator_functions(_functions["matmul"], _functions["floor_divide"])
globals().update(_functions)
_register_symbolic("", _functions)
_register_symbolic("linalg.", {n: getattr(linalg, n) for n in linalg.__all__})
_register_symbolic("random.", {n: getattr(random, n) for n in random.__all__})
del symbolic  # type: ignore[name-defined]  # noqa: F821  (a submodule, not a name of mx.np)

#: NumPy's dtypes and constants, as MXNet's mx.np re-exports them.
float16, float32, float64 = _onp.float16, _onp.float32, _onp.float64
int8, uint8, int32, int64 = _onp.int8, _onp.uint8, _onp.int32, _onp.int64
bool_ = _onp.bool_
dtype = _onp.dtype
bool = _onp.bool_  # noqa: A001  (MXNet's name; NumPy 2's `bool` is this dtype)
pi, e, inf, nan, newaxis = _onp.pi, _onp.e, _onp.inf, _onp.nan, None
PZERO, NZERO, PINF, NINF, NAN, NaN = 0.0, -0.0, _onp.inf, -_onp.inf, _onp.nan, _onp.nan
finfo = _onp.finfo


def shape(a: _Any) -> tuple:
    """The shape of `a`.

    >>> mx.np.shape(mx.np.ones((2, 3)))  # doctest: +SKIP
    (2, 3)
    """
    return tuple(a.shape) if hasattr(a, "shape") else _onp.shape(a)


def ndim(a: _Any) -> int:
    """The number of dimensions of `a`.

    >>> mx.np.ndim(mx.np.ones((2, 3)))  # doctest: +SKIP
    2
    """
    return len(shape(a))


def size(a: _Any, axis: _Any = None) -> int:
    """The number of elements of `a` (along `axis`, when given).

    >>> mx.np.size(mx.np.ones((2, 3)))  # doctest: +SKIP
    6
    """
    dims = shape(a)
    return int(_onp.prod(dims)) if axis is None else dims[axis]


def may_share_memory(a: _Any, b: _Any, max_work: _Any = None) -> bool:
    """Whether the two arrays may share memory.

    >>> x = mx.np.ones(3); mx.np.may_share_memory(x, x[1:])  # doctest: +SKIP
    True
    """
    return bool(_onp.may_share_memory(a._buffer(), b._buffer()))


shares_memory = may_share_memory

__all__ = sorted(["ndarray", "linalg", "random", "float16", "float32", "float64", "int8",
                  "uint8", "int32", "int64", "bool_", "bool", "dtype", "pi", "e", "inf",
                  "nan", "newaxis", "PZERO", "NZERO", "PINF", "NINF", "NAN", "NaN", "finfo",
                  "shape", "ndim", "size", "may_share_memory",
                  "shares_memory", *_functions])
del contraction, creation, math, methods, adapter, arithmetic, indexing, promotion  # type: ignore[name-defined]  # noqa: F821
del extra, fallback, linear_algebra, sampling, pending  # type: ignore[name-defined]  # noqa: F821

if _TYPE_CHECKING:
    def __getattr__(name: str) -> _Any: ...
