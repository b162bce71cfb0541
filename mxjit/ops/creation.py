"""Arrays filled with one value in the shape of another: zeros_like, ones_like and
full_like. Traced, each is one broadcast scalar (no constant of the full size)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Array
from ..core.operators import register_operator
from ..trace import apply, canonical_dtype, const


def full_like(data: Array, fill_value: Any, dtype: Any = None) -> Array:
    """`fill_value` everywhere, with the shape (and dtype) of `data`.

    >>> mx.nd.full_like(mx.nd.zeros((2, 3)), 7)  # doctest: +SKIP
    """
    d = canonical_dtype(dtype) if dtype is not None else data._dtype
    cls = data._result_class
    if data._node is not None:
        node = apply("broadcast_to", const(np.array(fill_value, dtype=d)), shape=data.shape)
        return cls._traced(node)  # type: ignore[no-any-return]
    return cls._wrap(np.full(data.shape, fill_value, dtype=d), data._ctx)  # type: ignore


@register_operator("zeros_like")
def zeros_like(data: Array, dtype: Any = None) -> Array:
    """Zeros with the shape (and dtype) of `data`.

    >>> mx.nd.zeros_like(mx.nd.ones((2, 3)))  # doctest: +SKIP
    """
    return full_like(data, 0, dtype)


@register_operator("ones_like")
def ones_like(data: Array, dtype: Any = None) -> Array:
    """Ones with the shape (and dtype) of `data`.

    >>> mx.nd.ones_like(mx.nd.zeros((2, 3)))  # doctest: +SKIP
    """
    return full_like(data, 1, dtype)
