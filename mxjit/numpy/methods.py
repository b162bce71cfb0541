"""`mx.np.ndarray`'s fluent methods: `x.sum(axis=1)` is `mx.np.sum(x, axis=1)`.

One table names the methods; each calls the `mx.np` function of the same name with the
array as its first argument. `flatten` (a copy, as NumPy's) is written out.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..nd.methods import fluent

#: NumPy's ndarray methods that are its functions with the array first.
FLUENT_METHODS: tuple[str, ...] = (
    "sum", "prod", "mean", "max", "min", "argmax", "argmin", "std", "var", "all", "any",
    "cumsum", "round", "sort", "argsort", "take", "dot", "ravel", "squeeze",
    "repeat", "tile", "swapaxes", "nonzero", "ptp", "flip", "diag", "expand_dims",
    "broadcast_to", "split", "moveaxis",
)


def add_methods(cls: type, functions: dict[str, Callable[..., Any]]) -> None:
    """Give `cls` the fluent methods over the `mx.np` functions `functions`."""
    for name in FLUENT_METHODS:
        setattr(cls, name, fluent(name, functions[name], "ndarray", "mx.np"))

    def flatten(self: Any, order: str = "C") -> Any:
        """A copy of the array as one dimension (NumPy's `flatten`).

        >>> mx.np.ones((2, 3)).flatten().shape  # doctest: +SKIP
        (6,)
        """
        flat = functions["reshape"](self, (-1,), order)
        return flat.copy()

    def clip(self: Any, min: Any = None, max: Any = None, out: Any = None) -> Any:  # noqa: A002
        """Values limited to [min, max] (MXNet's and NumPy's method names).

        >>> mx.np.arange(5).clip(1, 3)  # doctest: +SKIP
        array([1., 1., 2., 3., 3.])
        """
        return functions["clip"](self, min, max, out)

    flatten.__qualname__ = "ndarray.flatten"
    clip.__qualname__ = "ndarray.clip"
    cls.flatten = flatten  # type: ignore[attr-defined]
    cls.clip = clip  # type: ignore[attr-defined]
