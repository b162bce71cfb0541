"""A call's arguments as a Python literal with markers where its array inputs go: how a
`_np_call` node keeps an `mx.np` call (built by `mx.sym.np`, run by `mx.np`), so that the
call survives symbol JSON.

    >>> inputs = []
    >>> marked(('x', 1, {'axis': (0, 1)}), lambda v: v == 'x', inputs)
    ('__mxjit_input_0__', 1, {'axis': (0, 1)})
    >>> filled(('__mxjit_input_0__', 1), ['array'])
    ('array', 1)

Slices and `...` (index keys) have no literal form: they are written as a marked tuple and
a marker string.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

#: How the k-th input appears in the literal.
INPUT = "__mxjit_input_{}__"
_PREFIX, _SUFFIX = INPUT.split("{}")
SLICE = "__mxjit_slice__"
ELLIPSIS = "__mxjit_ellipsis__"


def marked(value: Any, is_input: Callable[[Any], bool], inputs: list[Any]) -> Any:
    """`value` as a literal: each input (`is_input`) appended to `inputs` and replaced by
    its marker (its position there); NumPy dtypes and scalar types as their names, NumPy
    scalars as Python numbers (literals NumPy functions take alike)."""
    if is_input(value):
        inputs.append(value)
        return INPUT.format(len(inputs) - 1)
    if isinstance(value, slice):
        return (SLICE, *marked((value.start, value.stop, value.step), is_input, inputs))
    if value is Ellipsis:
        return ELLIPSIS
    if isinstance(value, (list, tuple)):
        return type(value)(marked(v, is_input, inputs) for v in value)
    if isinstance(value, dict):
        return {k: marked(v, is_input, inputs) for k, v in value.items()}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if isinstance(value, np.generic):
        return value.item()
    return value


def filled(value: Any, inputs: Sequence[Any]) -> Any:
    """The literal `value` with each marker replaced by its input."""
    if isinstance(value, str) and value.startswith(_PREFIX) and value.endswith(_SUFFIX):
        return inputs[int(value[len(_PREFIX):-len(_SUFFIX)])]
    if isinstance(value, str) and value == ELLIPSIS:
        return Ellipsis
    if isinstance(value, tuple) and len(value) == 4 and value[0] == SLICE:
        return slice(*filled(value[1:], inputs))
    if isinstance(value, (list, tuple)):
        return type(value)(filled(v, inputs) for v in value)
    if isinstance(value, dict):
        return {k: filled(v, inputs) for k, v in value.items()}
    return value
