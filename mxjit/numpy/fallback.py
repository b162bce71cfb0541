"""The `mx.np` functions MXNet 1.9.1 itself runs on official NumPy (its `fallback.py` and
`fallback_linalg.py`): the arguments' values are copied to the host, NumPy computes, and
array results come back as `mx.np` arrays. Like MXNet's, they are eager only (inside a
trace an argument's value is unknown: the error says so) and have no gradient.

    >>> mx.np.digitize(mx.np.array([0.5, 2.5]), mx.np.array([1., 2.]))  # doctest: +SKIP
    array([0, 2], dtype=int64)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as onp

from ..core import Array, concrete_error
from ..ops.indexing import concrete
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
            "unpackbits", "unwrap", "bincount", "delete", "insert", "diag_indices_from",
            "diagflat", "lcm", "histogram", "set_printoptions")
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


def _to_device(x: Any) -> Any:
    if isinstance(x, onp.ndarray) and x.dtype.kind in "biuf":
        return ndarray._wrap(onp.array(x.astype(user_dtype(x.dtype, "fallback")
                                                if x.dtype != onp.uint64 else onp.int64)))
    if isinstance(x, (list, tuple)) and any(isinstance(v, onp.ndarray) for v in x):
        return type(x)(_to_device(v) for v in x)
    return x


def fallback(name: str, numpy_function: Callable[..., Any], where: str = "mx.np"
             ) -> Callable[..., Any]:
    """`numpy_function` over mx.np arrays: values to the host, results back as mx.np."""
    def function(*args: Any, **kwargs: Any) -> Any:
        host_args = [_to_host(a, name) for a in args]
        host_kwargs = {k: _to_host(v, name) for k, v in kwargs.items()}
        return _to_device(numpy_function(*host_args, **host_kwargs))

    function.__name__ = function.__qualname__ = name
    function.__module__ = "mxjit.numpy"
    function.__doc__ = (f"NumPy's `{numpy_function.__name__}`, computed by NumPy on the host "
                        f"(as MXNet 1.9.1 does; eager only, no gradient).\n\n"
                        f"    >>> {where}.{name}(...)  # doctest: +SKIP\n")
    return function


def functions() -> dict[str, Callable[..., Any]]:
    """The fallback functions of mx.np by name."""
    made = {n: fallback(n, getattr(onp, n)) for n in FALLBACK if hasattr(onp, n)}
    made.update({n: fallback(n, getattr(onp, target)) for n, target in RENAMED.items()})
    return made


def linalg_functions() -> dict[str, Callable[..., Any]]:
    """The fallback functions of mx.np.linalg by name."""
    return {n: fallback(n, getattr(onp.linalg, n), "mx.np.linalg") for n in LINALG_FALLBACK}
