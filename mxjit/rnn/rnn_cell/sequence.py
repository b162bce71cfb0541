"""The two forms of a sequence an unroll takes and gives: one symbol with a time axis,
or a list of one symbol per step."""
from __future__ import annotations

from typing import Any

from ... import symbol
from ...base import ArgumentError


def normalize_sequence(length: int | None, inputs: Any, layout: str, merge: bool | None,
                       in_layout: str | None = None) -> tuple[Any, int]:
    """`inputs` as one symbol (`merge` True), a list of steps (`merge` False) or as it
    is (`merge` None), with the time axis of `layout`; returns it and that axis."""
    if inputs is None:
        raise ArgumentError("unroll(inputs=None) has been deprecated. Please create input "
                            "variables outside unroll.")
    axis = layout.find("T")
    in_axis = in_layout.find("T") if in_layout is not None else axis
    if isinstance(inputs, symbol.Symbol):
        if merge is False:
            if len(inputs.list_outputs()) != 1:
                raise ArgumentError("unroll doesn't allow grouped symbol as input. Please "
                                    "convert to list with list(inputs) first or let unroll "
                                    "handle splitting.")
            inputs = list(symbol.split(inputs, axis=in_axis, num_outputs=length,
                                       squeeze_axis=1))
    else:
        if length is not None and len(inputs) != length:
            raise ArgumentError(f"unroll: got {len(inputs)} input steps for length={length}")
        if merge is True:
            inputs = symbol.Concat(*[symbol.expand_dims(i, axis=axis) for i in inputs],
                                   dim=axis)
            in_axis = axis
    if isinstance(inputs, symbol.Symbol) and axis != in_axis:
        inputs = symbol.swapaxes(inputs, dim0=axis, dim1=in_axis)
    return inputs, axis
