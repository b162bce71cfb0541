"""The `mx.np` functions MXNet 1.9.1 itself runs on official NumPy (its `fallback.py` and
`fallback_linalg.py`): the arguments' values are copied to the host, NumPy computes, and
array results come back as `mx.np` arrays. They have no gradient.

Inside a trace (`mx.jit`, a hybridized block) such a call becomes a host call
(trace/host.py): the compiled program runs NumPy at that point. Its results' shapes and
dtypes are found by running the function once on zeros of the traced shapes. A function
whose result shape depends on the values (`VALUE_SHAPED`: `bincount`, the set functions,
..., and `histogram` with bins='auto'), one that cannot run on zeros and one that returns
no arrays are refused while tracing with a `ConcreteValueError` (so a hybridized block
runs eagerly); should another give other shapes when the program runs (`ix_` of a
boolean mask), it raises then, with the function's name. No gradient flows through the
call (its operands are constants of the gradient, as the eager call's results are).
NumPy's complex results (`eig` of a matrix with complex eigenvalues) are an error: mx.np
has no complex dtypes.

    >>> mx.np.digitize(mx.np.array([0.5, 2.5]), mx.np.array([1., 2.]))  # doctest: +SKIP
    array([0, 2], dtype=int64)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as onp

from ..base import DTypeError, GradientError, ShapeError, TracerError
from ..core import Array, concrete_error
from ..core.dispatch import lift
from ..ops.indexing import concrete
from ..trace import AbstractValue, apply
from .ndarray import ndarray
from .promotion import user_dtype

#: MXNet 1.9.1's fallback functions that mxjit also leaves to NumPy (the others of its
#: list are composed of operators in extra.py, math.py and shape.py): name -> NumPy's.
FALLBACK = ("apply_along_axis", "apply_over_axes", "argpartition", "array_equiv", "choose",
            "compress", "corrcoef", "correlate", "cov", "digitize", "divmod", "extract",
            "frexp", "histogram2d", "histogram_bin_edges", "histogramdd", "i0", "interp",
            "intersect1d", "isin", "ix_", "lexsort", "min_scalar_type", "modf",
            "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmedian",
            "nanpercentile", "nanquantile", "partition", "piecewise", "packbits", "poly",
            "polyadd", "polydiv", "polyfit", "polyint", "polymul", "polysub",
            "promote_types", "result_type", "roots", "select", "setdiff1d", "setxor1d",
            "spacing", "tril_indices_from", "trim_zeros", "triu_indices_from", "union1d",
            "unpackbits", "unwrap", "bincount", "insert", "diag_indices_from",
            "histogram", "set_printoptions")
#: Fallbacks whose results' shapes depend on the operands' values, not only their shapes:
#: inside a trace they need concrete operands.
VALUE_SHAPED = frozenset({"bincount", "compress", "extract", "intersect1d", "setdiff1d",
                          "setxor1d", "union1d", "trim_zeros", "roots", "polydiv"})
#: Names NumPy 2 removed, and what computes them there.
RENAMED = {"alltrue": "all", "sometrue": "any", "product": "prod", "trapz": "trapezoid",
           "in1d": "isin"}
LINALG_FALLBACK = ("cond", "eig", "eigvals")


def _to_host(x: Any, function: str) -> Any:
    if isinstance(x, Array):
        values = concrete(x)
        if values is None:
            raise concrete_error(f"mx.np.{function} (computed by NumPy on the host)")
        return values
    if isinstance(x, (list, tuple)):
        return type(x)(_to_host(v, function) for v in x)
    return x


def _to_device(x: Any, name: str) -> Any:
    if isinstance(x, onp.ndarray) and x.dtype.kind in "biufc":
        return ndarray._wrap(onp.array(_host_dtype(x, name)))
    if isinstance(x, (list, tuple)) and any(isinstance(v, onp.ndarray) for v in x):
        # (a plain list or tuple: NumPy 2's named results, EigResult, are not MXNet's)
        return (list if isinstance(x, list) else tuple)(_to_device(v, name) for v in x)
    return x


def _host_dtype(x: onp.ndarray, name: str) -> onp.ndarray:
    """A NumPy result in the dtype mx.np gives it (`_to_device`'s rule)."""
    if x.dtype.kind == "c":
        # (MXNet 1.9.1 refuses them too: "Complex eigvals is unsupported in linalg")
        raise DTypeError(f"mx.np.{name}: NumPy's result is complex ({x.dtype}), and mx.np "
                         f"arrays hold no complex numbers (nor do MXNet 1.9.1's)")
    return x.astype(user_dtype(x.dtype, "fallback") if x.dtype != onp.uint64 else onp.int64)


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> onp.ndarray:
    """NumPy's bincount in MXNet's dtype: the weights', else the data's (mx.np.bincount)."""
    counts = onp.bincount(x, weights, minlength)
    return counts.astype(onp.asarray(weights if weights is not None else x).dtype)


class _Slot:
    """Where the k-th traced operand goes in a call's arguments."""

    def __init__(self, k: int):
        self.k = k


def _slotted(x: Any, operands: list[Array]) -> Any:
    if isinstance(x, Array):
        operands.append(x)
        return _Slot(len(operands) - 1)
    if isinstance(x, (list, tuple)):
        return type(x)(_slotted(v, operands) for v in x)
    if isinstance(x, dict):
        return {k: _slotted(v, operands) for k, v in x.items()}
    return x


def _filled(x: Any, values: Any) -> Any:
    if isinstance(x, _Slot):
        return values[x.k]
    if isinstance(x, (list, tuple)):
        return type(x)(_filled(v, values) for v in x)
    if isinstance(x, dict):
        return {k: _filled(v, values) for k, v in x.items()}
    return x


class _NumpyCall:
    """A fallback call as a host function (trace/host.py's HostFunction)."""

    def __init__(self, name: str, numpy_function: Callable[..., Any], args: Any, kwargs: Any):
        self.name, self.short_name = f"mx.np.{name}", name
        self.numpy_function, self.args, self.kwargs = numpy_function, args, kwargs
        self.avals: tuple[AbstractValue, ...] = ()
        self.listed = False

    def results(self, operands: Any) -> list[onp.ndarray] | None:
        """The arrays the call returns on these operand values (None: not only arrays)."""
        out = self.numpy_function(*_filled(self.args, operands),
                                  **_filled(self.kwargs, operands))
        self.listed = isinstance(out, (list, tuple))
        items = list(out) if self.listed else [out]
        if not items or not all(isinstance(v, onp.ndarray) and v.dtype.kind in "biufc"
                                for v in items):
            return None
        return [_host_dtype(v, self.short_name) for v in items]

    def forward(self, operands: Any) -> list[onp.ndarray]:
        got = self.results(operands)
        shapes = [(v.shape, v.dtype) for v in got or ()]
        if shapes != [(a.shape, a.dtype) for a in self.avals]:
            raise ShapeError(
                f"{self.name} inside a compiled program: its results {shapes} differ from "
                f"those it gave on zeros of the same shapes while tracing "
                f"{[(a.shape, a.dtype) for a in self.avals]}; their shapes depend on the "
                f"values, so call it outside mx.jit or a hybridized block")
        return got  # type: ignore[return-value]

    def backward(self, operands: Any, results: Any, cotangents: Any, wanted: Any) -> Any:
        """Never called: the operands enter behind stop_gradient."""
        raise GradientError(f"{self.name} is computed by NumPy on the host and has no "
                            "gradient")


def _value_shaped(name: str, args: tuple, kwargs: dict[str, Any]) -> bool:
    """Whether the call's result shapes depend on its operands' values."""
    if name in VALUE_SHAPED:
        return True
    # (histogram with bins='auto', 'fd', ...: the number of bins comes from the values)
    bins = kwargs.get("bins", args[1] if len(args) > 1 else None)
    return name in ("histogram", "histogram_bin_edges") and isinstance(bins, str)


def _traced_call(name: str, numpy_function: Callable[..., Any], args: tuple,
                 kwargs: dict[str, Any]) -> Any:
    """The call as a host call in the trace in progress (see the module docstring)."""
    if _value_shaped(name, args, kwargs):
        raise concrete_error(f"mx.np.{name} (computed by NumPy on the host; the shape of its "
                             f"result depends on the values)")
    operands: list[Array] = []
    call = _NumpyCall(name, numpy_function, _slotted(args, operands),
                      _slotted(kwargs, operands))
    zeros = [onp.zeros(a.shape, a._dtype) for a in operands]
    try:
        example = call.results(zeros)
    except Exception as e:  # (the function refuses zeros: nothing to learn the shapes from)
        raise concrete_error(f"mx.np.{name} (computed by NumPy on the host)") from e
    if example is None:
        raise concrete_error(f"mx.np.{name} (computed by NumPy on the host)")
    call.avals = tuple(AbstractValue(v.shape, v.dtype) for v in example)
    # (no gradient flows through NumPy: the operands enter as constants of the gradient)
    nodes = [apply("stop_gradient", a._node if a._node is not None else lift(a))
             for a in operands]
    out = [ndarray._traced(apply("host_call", *nodes, fn=call, index=k, avals=call.avals))
           for k in range(len(call.avals))]
    return out if call.listed else out[0]


def fallback(name: str, numpy_function: Callable[..., Any], where: str = "mx.np"
             ) -> Callable[..., Any]:
    """`numpy_function` over mx.np arrays: values to the host, results back as mx.np (in a
    trace, a host call; see the module docstring)."""
    def function(*args: Any, **kwargs: Any) -> Any:
        try:
            host_args = [_to_host(a, name) for a in args]
            host_kwargs = {k: _to_host(v, name) for k, v in kwargs.items()}
        except TracerError:
            return _traced_call(name, numpy_function, args, kwargs)
        return _to_device(numpy_function(*host_args, **host_kwargs), name)

    function.__name__ = function.__qualname__ = name
    function.__module__ = "mxjit.numpy"
    function.__doc__ = (f"NumPy's `{numpy_function.__name__}`, computed by NumPy on the host "
                        f"(as MXNet 1.9.1 does; a host call inside a trace; no gradient)."
                        f"\n\n"
                        f"    >>> {where}.{name}(...)  # doctest: +SKIP\n")
    return function


def functions() -> dict[str, Callable[..., Any]]:
    """The fallback functions of mx.np by name."""
    made = {n: fallback(n, getattr(onp, n)) for n in FALLBACK if hasattr(onp, n)}
    made["bincount"] = fallback("bincount", bincount)
    made.update({n: fallback(n, getattr(onp, target)) for n, target in RENAMED.items()})
    return made


def linalg_functions() -> dict[str, Callable[..., Any]]:
    """The fallback functions of mx.np.linalg by name."""
    return {n: fallback(n, getattr(onp.linalg, n), "mx.np.linalg") for n in LINALG_FALLBACK}
