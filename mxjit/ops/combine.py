"""Operators that combine any number of arrays: `add_n` (`ElementWiseSum`) and
`khatri_rao`. Inside `mx.jit` each is one fused kernel."""
from __future__ import annotations

from collections.abc import Sequence

from ..base import ArgumentError, DTypeError, ShapeError
from ..core import Array
from ..core.operators import register_operator
from .elementwise import binary
from .operands import reshape_exact, variadic_arrays
from .shape import broadcast_new


def _arrays(op: str, args: Sequence[Array], num_args: int | None = None
            ) -> tuple[Array, ...]:
    """The operands (see `variadic_arrays`), all NDArrays."""
    arrays = variadic_arrays(op, args, num_args)
    for k, a in enumerate(arrays):
        if not isinstance(a, Array):
            raise ArgumentError(f"{op}: argument {k} must be an array, got {type(a).__name__}")
    return arrays


@register_operator("add_n", inputs=("args",), aliases=("ElementWiseSum",))
def add_n(*args: Array, num_args: int | None = None) -> Array:
    """The elementwise sum of arrays of one shape and dtype (no broadcasting, as in MXNet).

    >>> mx.nd.add_n(mx.nd.ones((2,)), mx.nd.ones((2,)), mx.nd.ones((2,)))  # doctest: +SKIP
    [3. 3.]
    """
    arrays = _arrays("add_n", args, num_args)
    first = arrays[0]
    if any(a.shape != first.shape for a in arrays):
        raise ShapeError(f"add_n: all arrays need the same shape, got {[a.shape for a in arrays]}")
    if any(a._dtype != first._dtype for a in arrays):
        raise DTypeError(f"add_n: all arrays need the same dtype, got "
                         f"{[str(a._dtype) for a in arrays]}")
    total = broadcast_new(first, first.shape) if len(arrays) == 1 else first
    for a in arrays[1:]:
        total = binary("add", total, a)
    return total




@register_operator("khatri_rao", inputs=("args",))
def khatri_rao(*args: Array
               ) -> Array:
    """The column-wise Khatri-Rao product of matrices (M_k, N): shape (M_1 * ... * M_n, N),
    column j being the Kronecker product of the matrices' columns j.

    >>> mx.nd.khatri_rao(mx.nd.array([[1, -1], [2, -3]]), mx.nd.ones((3, 2))).shape
    ... # doctest: +SKIP
    (6, 2)
    """
    arrays = _arrays("khatri_rao", args)
    columns = arrays[0].shape[-1] if arrays[0].ndim == 2 else -1
    if any(a.ndim != 2 or a.shape[1] != columns for a in arrays):
        raise ShapeError(f"khatri_rao: needs matrices with the same number of columns, got "
                         f"shapes {[a.shape for a in arrays]}")
    product = arrays[0]
    if len(arrays) == 1:
        product = broadcast_new(product, product.shape)
    for a in arrays[1:]:
        rows = product.shape[0] * a.shape[0]
        outer = binary("mul", reshape_exact(product, (product.shape[0], 1, columns)),
                       reshape_exact(a, (1, a.shape[0], columns)))
        product = reshape_exact(outer, (rows, columns))
    return product
