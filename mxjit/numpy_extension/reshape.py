"""`npx.reshape`: MXNet's NumPy-extension reshape codes, translated to the legacy codes of
the `Reshape` operator (`ops.shape.infer_reshape`), which computes the shape.

npx codes: -1 infers a dim, -2 copies an input dim, -3 drops an input dim of size 1, -4
copies all remaining input dims, -5 merges two input dims, -6 splits one input dim into
the two values after it (one may be -1). Legacy codes are 0, -1, -2, -3, -4 for copy,
infer, copy-rest, merge, split; -3 has no legacy code, so those dims are dropped first.

    >>> npx.reshape(mx.np.ones((2, 3, 4)), (-2, -1)).shape  # doctest: +SKIP
    (2, 12)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..base import ShapeError
from ..numpy.adapter import finish, operands
from ..ops.operands import ints, reshape_exact
from ..ops.shape import infer_reshape

#: npx code -> (legacy code, input dims it consumes; None: all the rest).
_CODES = {-1: (-1, 1), -2: (0, 1), -4: (-2, None), -5: (-3, 2)}


def _new_shape(shape: tuple[int, ...], codes: Sequence[int], shown: Sequence[int]
               ) -> tuple[int, ...]:
    """The shape npx's `codes` give an input of `shape` (read left to right)."""
    legacy: list[int] = []
    dropped: list[int] = []
    pos, k = 0, 0
    while k < len(codes):
        c = codes[k]
        if c == -6:
            if k + 2 >= len(codes):
                raise ShapeError(f"npx.reshape: -6 must be followed by the two dims to split "
                                 f"into, got {shown}")
            legacy += [-4, codes[k + 1], codes[k + 2]]
            pos, k = pos + 1, k + 3
            continue
        if c == -3:
            if pos >= len(shape) or shape[pos] != 1:
                raise ShapeError(f"npx.reshape: -3 at position {k} must name an input dim of "
                                 f"size 1 (shape {shape}, newshape {shown})")
            dropped.append(pos)
        elif c < -6 or c == 0:
            raise ShapeError(f"npx.reshape: invalid code {c} in {shown} (0-size axes are not "
                             "supported here; use mx.np.reshape)")
        else:
            code, consumed = _CODES.get(c, (c, 1))
            legacy.append(code)
            pos = len(shape) if consumed is None else pos + consumed
        pos, k = pos + (c == -3), k + 1
    kept = tuple(d for i, d in enumerate(shape) if i not in dropped)
    return tuple(infer_reshape(kept, legacy, False))


def reshape(a: Any, newshape: Any, reverse: bool = False, order: str = "C") -> Any:
    """`a` reshaped by npx's codes (see the module docstring); with `reverse`, the codes
    are read right to left against the input's dims (MXNet's rule: both reversed, the
    result reversed back).

    >>> npx.reshape(mx.np.ones((6, 4)), (-6, 2, 3, -2)).shape  # doctest: +SKIP
    (2, 3, 4)
    """
    x = operands("npx.reshape", a)[0]
    codes = ints(newshape, "npx.reshape: newshape")
    if reverse:
        shape = _new_shape(x.shape[::-1], codes[::-1], codes)[::-1]
    else:
        shape = _new_shape(x.shape, codes, codes)
    return finish(reshape_exact(x, shape))
