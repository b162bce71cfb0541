"""`mx.np`'s array creation: `array` from data, and NumPy's creation functions over MXNet's
creation operators (`_zeros`, `_full`, `_arange`, `_linspace`, `_eye`), float32 by default
as in MXNet 1.9.1 (NumPy's default is float64).

    >>> mx.np.zeros((2, 3)), mx.np.arange(3, dtype='int32')  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import ArgumentError, UnsupportedError
from ..context import Context, check_context, current_context
from ..core import Array
from ..nd import from_dlpack as _nd_from_dlpack
from ..ops.operands import as_dtype, ints
from .adapter import finish, make, operands, operator, to_np
from .arithmetic import binary, host_values
from .ndarray import ndarray
from .promotion import DEFAULT_FLOAT, user_dtype


def _dtype(dtype: Any, function: str) -> np.dtype:
    return DEFAULT_FLOAT if dtype is None else user_dtype(dtype, function)


def _ctx(ctx: Context | None) -> Context:
    return check_context(ctx or current_context())


def array(object: Any, dtype: Any = None, ctx: Context | None = None) -> ndarray:  # noqa: A002
    """An array copied from `object`: an mx.np or NumPy array keeps its dtype, other data
    is float32 unless `dtype` says otherwise (MXNet 1.9.1's rule).

    >>> mx.np.array([[1, 2], [3, 4]])  # doctest: +SKIP
    array([[1., 2.],
           [3., 4.]])
    """
    if isinstance(object, Array):
        values = np.array(object._buffer(), copy=True)
    else:
        values = np.array(host_values(object, "array"), copy=True)
    if dtype is not None:
        values = values.astype(user_dtype(dtype, "array"))
    else:
        values = values.astype(user_dtype(values.dtype, "array"), copy=False)
    return ndarray._wrap(values, _ctx(ctx))  # type: ignore[no-any-return]


def asarray(a: Any, dtype: Any = None, ctx: Context | None = None) -> ndarray:
    """`a` itself when it is an mx.np array of that dtype, else `array(a, dtype)`.

    >>> x = mx.np.ones(2); mx.np.asarray(x) is x  # doctest: +SKIP
    True
    """
    if isinstance(a, ndarray) and (dtype is None or np.dtype(dtype) == a._dtype):
        return a
    return array(a, dtype=dtype, ctx=ctx)


def _filled(function: str, op: str, **fixed: Any) -> Callable[..., Any]:
    def body(shape: Any, dtype: Any, order: str, ctx: Any) -> Any:
        if order != "C":
            raise UnsupportedError(f"{function}: only order='C' is supported, got {order!r}")
        return finish(operator(op)(shape=ints(shape, f"{function}: shape"),
                                   dtype=_dtype(dtype, function), ctx=_ctx(ctx), **fixed))

    return make(function, ["shape", ("dtype", None), ("order", "C"), ("ctx", None)], body,
                f"A new array of `shape` filled by `{op}` (float32 by default).",
                f"mx.np.{function}((2, 3))", op)


def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C",
         ctx: Context | None = None, out: Any = None) -> ndarray:
    """`fill_value` everywhere in `shape` (float32 by default; an array `fill_value` is
    broadcast).

    >>> mx.np.full((2,), 7)  # doctest: +SKIP
    array([7., 7.])
    """
    shape = ints(shape, "full: shape")
    if isinstance(fill_value, Array):
        filled = operator("broadcast_to")(fill_value, shape=shape)
        return finish(as_dtype(filled, _dtype(dtype, "full") if dtype else filled._dtype), out)
    return finish(operator("_full")(shape=shape, value=fill_value, dtype=_dtype(dtype, "full"),
                                    ctx=_ctx(ctx)), out)


def _like(function: str, value: Any) -> Callable[..., Any]:
    def body(a: Any, dtype: Any, order: str, ctx: Any, out: Any) -> Any:
        x = operands(function, a)[0]
        d = x._dtype if dtype is None else user_dtype(dtype, function)
        fill = value if value is not None else 0
        return finish(operator("_full")(shape=x.shape, value=fill, dtype=d,
                                        ctx=ctx or x.context), out)

    return make(function, ["a", ("dtype", None), ("order", "C"), ("ctx", None), ("out", None)],
                body, f"A new array of `a`'s shape and dtype filled with {value or 0}.",
                f"mx.np.{function}(mx.np.ones((2, 3)))", "_full")


def full_like(a: Any, fill_value: Any, dtype: Any = None, order: str = "C",
              ctx: Context | None = None, out: Any = None) -> ndarray:
    """`fill_value` everywhere in an array of `a`'s shape (and dtype, unless given).

    >>> mx.np.full_like(mx.np.ones(2), 3)  # doctest: +SKIP
    array([3., 3.])
    """
    x = operands("full_like", a)[0]
    d = x._dtype if dtype is None else user_dtype(dtype, "full_like")
    return finish(operator("_full")(shape=x.shape, value=fill_value, dtype=d,
                                    ctx=ctx or x.context), out)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None,
           ctx: Context | None = None) -> ndarray:
    """Evenly spaced values in [start, stop) (float32 by default, as in MXNet).

    >>> mx.np.arange(0, 1, 0.25)  # doctest: +SKIP
    array([0.  , 0.25, 0.5 , 0.75])
    """
    return finish(operator("_arange")(start=start, stop=stop, step=1 if step is None else step,
                                      dtype=_dtype(dtype, "arange"), ctx=_ctx(ctx)))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0,
             ctx: Context | None = None) -> Any:
    """`num` evenly spaced values from `start` to `stop` (the end included by default).

    >>> mx.np.linspace(0, 1, 5)  # doctest: +SKIP
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    if axis != 0:
        raise ArgumentError(f"linspace: only axis=0 is supported, got {axis}")
    values = finish(operator("_linspace")(start=start, stop=stop, num=num, endpoint=endpoint,
                                          dtype=_dtype(dtype, "linspace"), ctx=_ctx(ctx)))
    if retstep:
        return values, (stop - start) / max(num - 1 if endpoint else num, 1)
    return values


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             base: float = 10.0, dtype: Any = None, axis: int = 0,
             ctx: Context | None = None) -> ndarray:
    """`base ** linspace(start, stop, num)`.

    >>> mx.np.logspace(0, 2, 3)  # doctest: +SKIP
    array([  1.,  10., 100.])
    """
    exponents = linspace(start, stop, num, endpoint, dtype=np.float64, axis=axis, ctx=ctx)
    return as_dtype(binary("pow", float(base), exponents), _dtype(dtype, "logspace"))  # type: ignore


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None,  # noqa: N803
        ctx: Context | None = None) -> ndarray:
    """Ones on the k-th diagonal of an N x M array (M defaults to N).

    >>> mx.np.eye(2)  # doctest: +SKIP
    array([[1., 0.],
           [0., 1.]])
    """
    if M == 0:  # (NumPy's: no columns; MXNet's operator reads 0 as "square")
        return finish(operator("_zeros")(shape=(N, 0), dtype=_dtype(dtype, "eye"),
                                         ctx=_ctx(ctx)))
    return finish(operator("_eye")(N=N, M=M or 0, k=k, dtype=_dtype(dtype, "eye"),
                                   ctx=_ctx(ctx)))


def identity(n: int, dtype: Any = None, ctx: Context | None = None) -> ndarray:
    """The n x n identity matrix.

    >>> mx.np.identity(2)  # doctest: +SKIP
    """
    return eye(n, dtype=dtype, ctx=ctx)


def from_dlpack(x: Any) -> ndarray:
    """An array over the memory of `x` (an object with `__dlpack__`, such as a NumPy array
    or a PyTorch CPU tensor, or a DLPack capsule): shared, not copied.

    >>> mx.np.from_dlpack(numpy.ones(3, dtype='float32'))  # doctest: +SKIP
    array([1., 1., 1.])
    """
    return to_np(_nd_from_dlpack(x))  # type: ignore[no-any-return]


def functions() -> dict[str, Callable[..., Any]]:
    """The creation functions by NumPy name."""
    made: dict[str, Callable[..., Any]] = {
        "array": array, "asarray": asarray, "full": full, "full_like": full_like,
        "arange": arange, "linspace": linspace, "logspace": logspace, "eye": eye,
        "identity": identity, "from_dlpack": from_dlpack,
        "zeros": _filled("zeros", "_zeros"), "ones": _filled("ones", "_ones"),
        "empty": _filled("empty", "_zeros"),
        "zeros_like": _like("zeros_like", 0), "ones_like": _like("ones_like", 1),
        "empty_like": _like("empty_like", 0),
    }
    return made
