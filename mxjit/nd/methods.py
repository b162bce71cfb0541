"""NDArray's fluent methods: `x.sum(axis=1)` is `mx.nd.sum(x, axis=1)`, as in MXNet 1.x.

One table names the methods; each calls the `mx.nd` function of the same name with the
array as its first argument. The few methods with arguments of their own (`inplace`) and
`tostype` are written out below; `reshape` and `transpose` live on the class.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ops.operands import axis_index
from .sparse_storage import cast_storage

#: MXNet 1.x's fluent methods (python/mxnet/ndarray/ndarray.py): each calls the `mx.nd`
#: function of the same name with the array as its first argument.
FLUENT_METHODS: tuple[str, ...] = (
    # creation and shape
    "zeros_like", "ones_like", "reshape_like", "broadcast_to", "broadcast_like",
    "broadcast_axes", "repeat", "tile", "pad", "swapaxes", "flip", "split", "split_v2",
    "slice", "slice_axis", "slice_like", "diag", "shape_array", "size_array",
    "depth_to_space", "space_to_depth",
    # indexing
    "take", "pick", "one_hot",
    # sorting and searching
    "sort", "argsort", "topk", "argmax", "argmax_channel", "argmin",
    # reductions
    "sum", "nansum", "prod", "nanprod", "mean", "max", "min", "norm",
    # rounding and sign
    "clip", "abs", "sign", "round", "rint", "fix", "floor", "ceil", "trunc",
    # exponents, logarithms and powers
    "exp", "expm1", "log", "log10", "log2", "log1p", "sqrt", "rsqrt", "cbrt", "rcbrt",
    "square", "reciprocal",
    # trigonometry
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "degrees", "radians",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
    # activations
    "relu", "sigmoid", "softmax", "log_softmax", "softmin",
)


#: Methods with arguments of their own (see `_special_methods`).
SPECIAL_METHODS = ("flatten", "expand_dims", "squeeze", "as_nd_ndarray", "tostype")


def fluent(name: str, function: Callable[..., Any], owner: str = "NDArray",
           namespace: str = "mx.nd") -> Any:
    """The method `owner.name` that calls `function` (`namespace.name`) with its array
    first (mx.np's array class makes its own with `owner="ndarray"`)."""
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return function(self, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"{owner}.{name}"
    method.__doc__ = (f"`{namespace}.{name}` with this array as its first argument.\n\n"
                      f"    >>> x.{name}()  # doctest: +SKIP\n    ")
    return method


def _special_methods(nd: dict[str, Callable[..., Any]]) -> dict[str, Any]:
    """The methods with arguments of their own, over the `mx.nd` functions `nd`."""
    def flatten(self: Any, inplace: bool = False) -> Any:
        """`mx.nd.flatten(x)`: shape (d0, d1 * d2 * ...); `inplace=True` asks for a view.

        >>> mx.nd.ones((2, 3, 4)).flatten().shape  # doctest: +SKIP
        (2, 12)
        """
        return self.reshape((0, -1)) if inplace else nd["flatten"](self)

    def expand_dims(self: Any, axis: int, inplace: bool = False) -> Any:
        """`mx.nd.expand_dims(x, axis)`; `inplace=True` asks for a view.

        >>> mx.nd.ones((2, 3)).expand_dims(1).shape  # doctest: +SKIP
        (2, 1, 3)
        """
        if not inplace:
            return nd["expand_dims"](self, axis=axis)
        ax = axis_index(axis, self.ndim + 1, "expand_dims")
        return self.reshape(self.shape[:ax] + (1,) + self.shape[ax:])

    def squeeze(self: Any, axis: Any = None, inplace: bool = False) -> Any:
        """`mx.nd.squeeze(x, axis)`; `inplace=True` asks for a view.

        >>> mx.nd.ones((1, 3, 1)).squeeze().shape  # doctest: +SKIP
        (3,)
        """
        result = nd["squeeze"](self, axis=axis)
        return self.reshape(result.shape) if inplace else result

    def as_nd_ndarray(self: Any) -> Any:
        """The array itself (Gluon code calls this on both NDArrays and `mx.np` arrays).

        >>> x.as_nd_ndarray() is x  # doctest: +SKIP
        True
        """
        return self

    def tostype(self: Any, stype: str) -> Any:
        """A copy with storage type `stype`: 'default', 'csr' (2-D) or 'row_sparse'.

        >>> mx.nd.eye(3).tostype('csr')  # doctest: +SKIP
        """
        return cast_storage(self, stype)

    return {"flatten": flatten, "expand_dims": expand_dims, "squeeze": squeeze,
            "as_nd_ndarray": as_nd_ndarray, "tostype": tostype}


def add_methods(cls: type, nd: dict[str, Callable[..., Any]]) -> None:
    """Give `cls` the fluent methods over the `mx.nd` functions `nd` (those it defines
    itself are kept)."""
    for name in FLUENT_METHODS:
        if name not in cls.__dict__:
            setattr(cls, name, fluent(name, nd[name]))
    for name, method in _special_methods(nd).items():
        if name not in cls.__dict__:
            method.__qualname__ = f"{cls.__name__}.{name}"
            setattr(cls, name, method)
