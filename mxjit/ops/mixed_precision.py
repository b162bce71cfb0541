"""Mixed-precision operators (AMP): `amp_cast` and `amp_multicast`, which cast between the
low-precision floats and float32 only, and the overflow checks `all_finite` and
`multi_all_finite`.

    >>> mx.nd.amp_cast(mx.nd.ones(2), dtype='float16').dtype  # doctest: +SKIP
    <class 'numpy.float16'>
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..base import DTypeError, ParamError
from ..core import Array, bind
from ..core.operators import register_operator
from ..trace import canonical_dtype
from .elementwise import abs, cast
from .operands import ew, reshape_exact, select, variadic_arrays, write_out

#: What AMP casts: the low-precision floats and float32 (NumPy has no bfloat16).
_AMP_FLOATS = (np.dtype(np.float16), np.dtype(np.float32))


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """Where float math on `dtype` runs: float32 for float16 (its special functions need
    the bits), float64 for integers and bool, else the dtype itself.

    >>> compute_dtype(np.dtype('float16')), compute_dtype(np.dtype('int32'))
    (dtype('float32'), dtype('float64'))
    """
    return np.dtype(np.float64) if dtype.kind in "iub" else np.promote_types(dtype, np.float32)


def _counted(op: str, data: tuple, what: str, count: int) -> tuple[Array, ...]:
    """The arrays of a variadic operator, as many as its parameter `what` says."""
    arrays = variadic_arrays(op, data, error=ParamError)
    if len(arrays) != int(count):
        raise ParamError(f"{op}: {what}={count} but {len(arrays)} arrays given")
    return arrays


@register_operator("amp_cast", kinds={"dtype": "dtype"})
def amp_cast(data: Array, dtype: Any) -> Array:
    """`data` cast to `dtype` if it is float16 or float32; other dtypes pass unchanged.
    The gradient is cast back to `data`'s dtype.

    >>> mx.nd.amp_cast(mx.nd.array([1.5]), dtype='float16')  # doctest: +SKIP
    """
    try:
        target = canonical_dtype(dtype)
    except DTypeError as e:
        raise DTypeError(f"amp_cast: {e}") from None
    return cast(data, target if data._dtype in _AMP_FLOATS else data._dtype)


@register_operator("amp_multicast", inputs=("data",))
def amp_multicast(*data: Array, num_outputs: int, cast_narrow: bool = False) -> Any:
    """The float16/float32 arrays among `data` cast to one type (float32 if any is float32,
    else the first array's dtype; with `cast_narrow`, float16 if any is float16, else
    float32); arrays of other dtypes pass unchanged. One array gives one array, not a list.

    >>> a, b = mx.nd.amp_multicast(mx.nd.ones(2, dtype='float16'), mx.nd.ones(2),
    ...                            num_outputs=2)  # doctest: +SKIP
    """
    arrays = _counted("amp_multicast", data, "num_outputs", num_outputs)
    dtypes = [a._dtype for a in arrays]
    # MXNet's rule (src/operator/tensor/amp_cast.h), including its start from the first
    # array's dtype: ('float64', 'float16') widens the float16 array to float64
    if cast_narrow:
        target = np.dtype(np.float16) if np.float16 in dtypes else np.dtype(np.float32)
    else:
        target = np.dtype(np.float32) if np.float32 in dtypes else dtypes[0]
    out = [cast(a, target if a._dtype in _AMP_FLOATS else a._dtype) for a in arrays]
    return out[0] if len(out) == 1 else out


def every(mask: Array) -> Array:
    """Whether every element of the bool array `mask` is true (a 0-d bool; true if empty).

    >>> every(mx.nd.array([1, 1]) > 0).asnumpy()  # doctest: +SKIP
    array(True)
    """
    misses = cast(bind("logical_not", mask), np.int64)
    return ew("eq", bind("reduce_sum", misses, axes=tuple(range(mask.ndim))), 0)


def _finite(op: str, data: Array) -> Array:
    """Whether every value of `data` is finite (a 0-d bool)."""
    if data._dtype.kind != "f":
        raise DTypeError(f"{op}: checks floating-point arrays, got {data._dtype}")
    return every(ew("lt", abs(data), np.inf))  # (NaN < inf is false)


def _flag(ok: Array) -> Array:
    """[1.0] or [0.0]: float32 of shape (1,), as MXNet's checks give."""
    return reshape_exact(cast(ok, np.float32), (1,))


@register_operator("all_finite")
def all_finite(data: Array, init_output: bool = True) -> Array:
    """[1.0] if every value of `data` is finite, else [0.0] (float32, shape (1,)).

    With `init_output=False` and `out=`, `out` keeps its value unless a value is not
    finite (MXNet's way to check many arrays into one flag).

    >>> mx.nd.all_finite(mx.nd.array([1, float('inf')]))  # doctest: +SKIP
    [0.]
    """
    return _flag(_finite("all_finite", data))


@register_operator("multi_all_finite", inputs=("data",))
def multi_all_finite(*data: Array, num_arrays: int = 1, init_output: bool = True) -> Array:
    """[1.0] if every value of every array is finite, else [0.0] (float32, shape (1,));
    `num_arrays` must be the number of arrays. `init_output` as for `all_finite`.

    >>> mx.nd.multi_all_finite(mx.nd.ones(2), mx.nd.zeros(3), num_arrays=2)  # doctest: +SKIP
    [1.]
    """
    arrays = _counted("multi_all_finite", data, "num_arrays", num_arrays)
    checks = [_finite("multi_all_finite", a) for a in arrays]
    return _flag(functools.reduce(lambda a, b: bind("logical_and", a, b), checks))


def _keep_failures(check: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(check)
    def keeping(*data: Any, init_output: bool = True, out: Any = None, **kwargs: Any) -> Any:
        if init_output or out is None:
            return check(*data, init_output=init_output, out=out, **kwargs)
        flag = check(*data, **kwargs)
        return write_out(select(ew("ne", flag, 0), out, 0), out)

    return keeping


def keeping_failures(made: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """A front end's generated `all_finite` and `multi_all_finite` (from `made`) with
    MXNet's `init_output=False`: `out=` is left as it was unless a value is not finite, so
    AMP's loss scaler can check its gradients in chunks into one flag.

    >>> nd_functions.update(keeping_failures(nd_functions))  # doctest: +SKIP
    """
    return {name: _keep_failures(made[name]) for name in ("all_finite", "multi_all_finite")}

