"""NDArray's fluent methods: `x.sum(axis=1)` is `mx.nd.sum(x, axis=1)`, as in MXNet 1.x.

One table names the methods; each generated method looks its function up in `mx.nd` when
called, so a method works as soon as the function exists. The few methods with arguments
of their own (`inplace`) are written out below; `reshape` and `transpose` live on the class.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

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

_nd_module: ModuleType | None = None


def _nd() -> ModuleType:
    """`mxjit.nd`, imported on first use (it imports this module's class while loading)."""
    global _nd_module
    if _nd_module is None:
        from .. import nd

        _nd_module = nd
    return _nd_module


def _fluent(name: str) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        function = getattr(_nd(), name, None)
        if function is None:
            raise NotImplementedError(f"NDArray.{name}: mx.nd.{name} is not implemented yet")
        return function(self, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"NDArray.{name}"
    method.__doc__ = (f"`mx.nd.{name}` with this array as its first argument.\n\n"
                      f"    >>> x.{name}()  # doctest: +SKIP\n    ")
    return method


def flatten(self: Any, inplace: bool = False) -> Any:
    """`mx.nd.flatten(x)`: shape (d0, d1 * d2 * ...); `inplace=True` asks for a view.

    >>> mx.nd.ones((2, 3, 4)).flatten().shape  # doctest: +SKIP
    (2, 12)
    """
    return self.reshape((0, -1)) if inplace else _nd().flatten(self)


def expand_dims(self: Any, axis: int, inplace: bool = False) -> Any:
    """`mx.nd.expand_dims(x, axis)`; `inplace=True` asks for a view.

    >>> mx.nd.ones((2, 3)).expand_dims(1).shape  # doctest: +SKIP
    (2, 1, 3)
    """
    if not inplace:
        return _nd().expand_dims(self, axis=axis)
    from .shape_ops import _axis

    ax = _axis(axis, self.ndim + 1, "expand_dims")
    return self.reshape(self.shape[:ax] + (1,) + self.shape[ax:])


def squeeze(self: Any, axis: Any = None, inplace: bool = False) -> Any:
    """`mx.nd.squeeze(x, axis)`; `inplace=True` asks for a view.

    >>> mx.nd.ones((1, 3, 1)).squeeze().shape  # doctest: +SKIP
    (3,)
    """
    result = _nd().squeeze(self, axis=axis)
    return self.reshape(result.shape) if inplace else result


def as_nd_ndarray(self: Any) -> Any:
    """The array itself (Gluon code calls this on both NDArrays and `mx.np` arrays).

    >>> x.as_nd_ndarray() is x  # doctest: +SKIP
    True
    """
    return self


#: Methods with arguments of their own.
SPECIAL_METHODS = {"flatten": flatten, "expand_dims": expand_dims, "squeeze": squeeze,
                   "as_nd_ndarray": as_nd_ndarray}


def add_methods(cls: type) -> None:
    """Give `cls` the fluent methods (those it defines itself are kept)."""
    for name in FLUENT_METHODS:
        if name not in cls.__dict__:
            setattr(cls, name, _fluent(name))
    for name, method in SPECIAL_METHODS.items():
        if name not in cls.__dict__:
            method.__qualname__ = f"{cls.__name__}.{name}"
            setattr(cls, name, method)
