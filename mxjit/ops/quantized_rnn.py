"""MXNet's quantized LSTM, `_contrib_quantized_rnn`: the fused RNN operator (ops/rnn.py) on
uint8 data, computed as MXNet 1.9.1 computes it with oneDNN's int8 LSTM.

* The data are the uint8 levels of an affine quantization, x = (q - shift) / scale, with
  the scale and shift as inputs (what `quantize_asym` gives).
* The float32 weights are quantized inside the operator, on every call: each gate row
  (i, f, g, o of one hidden unit) has one int8 scale, 127 / max |w|, shared by every layer
  and direction, the maximum taken over the weights MXNet reads (`_row_maxima`); a weight
  is rounded to a level (halves to even) and saturates at -128 and 127.
* The hidden state is quantized with the data's scale and shift (halves to even, saturated
  to [0, 255]) at the start and after every step; the outputs and the final hidden state
  are those levels dequantized. The cell state and the biases stay float32.
* The products of levels accumulate exactly in int32 and are scaled back to float32 before
  the gates (oneDNN on CPUs without AVX512-VNNI saturates pairs of them in int16 instead:
  docs/differences.md).

A product of levels scaled back is the float product of the values the levels stand for,
so the operator is `RNN` on the dequantized data with each weight rounded to its int8 level
and each new hidden state rounded to its uint8 level (`stacked_layers` with `round_state`).
The two computations differ by float rounding only, which can move a hidden state across a
rounding boundary: one uint8 level, in rare places. The operator computes no gradient.

    >>> q, scale, shift = mx.nd.contrib.quantize_asym(x)  # doctest: +SKIP
    >>> out = mx.nd.contrib.quantized_rnn(q, params, h0, c0, scale, shift, state_size=8,
    ...                                   num_layers=1, mode='lstm')  # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array
from ..core.operators import input_shape_rule, register_operator
from . import reduce
from .nn import BlockGrad
from .operands import as_dtype, check_shape, ew, full, int_param, reshape_exact, select
from .rnn import Layout, stacked_layers, unpack_parameters
from .shape import concat, expand_dims, slice_ranges

_OP = "quantized_rnn"
_F32, _UINT8 = np.dtype(np.float32), np.dtype(np.uint8)


@register_operator("_contrib_quantized_rnn",
                   inputs=("data", "parameters", "state", "state_cell", "min_data", "max_data"))
def quantized_rnn(data: Array, parameters: Array, state: Array, state_cell: Array,
                  min_data: Array, max_data: Array, *, state_size: int, num_layers: int,
                  bidirectional: bool = False, mode: str, p: float = 0.0,
                  state_outputs: bool = False, projection_size: int | None = None,
                  lstm_state_clip_min: float | None = None,
                  lstm_state_clip_max: float | None = None, lstm_state_clip_nan: bool = False,
                  use_sequence_length: bool = False) -> Any:
    """An LSTM (`RNN` with mode='lstm') over uint8 `data` (time, batch, features), whose
    values are (data - shift) / scale: `min_data` is the scale and `max_data` the shift, each
    of shape (1,) (MXNet's input names; its documentation calls them data_scale and
    data_shift). `parameters` (float32, RNN's flat layout) are quantized to int8 inside the
    operator, and the hidden state to uint8 with the data's scale and shift at every step
    (see the module docstring). `state` and `state_cell` are the float32 initial states.
    Returns the float32 output (time, batch, directions * state_size) and, with
    `state_outputs`, the final hidden and cell states. As in MXNet, the dropout rate `p`
    and the cell-state clipping are not applied (the oneDNN kernel has neither).

    >>> out = mx.nd.contrib.quantized_rnn(q, params, h0, c0, scale, shift, state_size=8,
    ...                                   num_layers=1, mode='lstm')  # doctest: +SKIP
    """
    layout = _check(data, parameters, state, state_cell, min_data, max_data, state_size,
                    num_layers, bidirectional, mode, projection_size, use_sequence_length)
    scale, shift = reshape_exact(min_data, ()), reshape_exact(max_data, ())

    def round_state(h: Array) -> Array:
        """h rounded to its uint8 level and dequantized, as oneDNN keeps hidden states."""
        level = ew("minimum", ew("maximum", h * scale + shift, 0.0), 255.0)
        return (ew("rint", level) - shift) / scale

    maxima = _row_maxima(parameters, layout)
    cells = [replace(cell, i2h=_int8_levels(cell.i2h, maxima),
                     h2h=_int8_levels(cell.h2h, maxima))
             for cell in unpack_parameters(parameters, layout)]
    x = (as_dtype(data, _F32) - shift) / scale
    out = stacked_layers(x, cells, round_state(state), state_cell, layout,
                         state_outputs=state_outputs, round_state=round_state)
    return [BlockGrad(o) for o in out] if state_outputs else BlockGrad(out)


@input_shape_rule("_contrib_quantized_rnn")
def _input_shapes(shapes: dict[str, tuple[int, ...]], state_size: int, num_layers: int,
                  bidirectional: bool = False, **params: Any) -> dict[str, tuple[int, ...]]:
    """The parameter vector, the begin states and the (1,)-shaped scale and shift from the
    data (time, batch, features), as MXNet infers them."""
    _, batch, features = shapes["data"]
    layout = Layout("lstm", int(num_layers), 2 if bidirectional else 1, features,
                    int(state_size), None)
    states = (layout.layers * layout.directions, batch, layout.hidden)
    return {"parameters": (layout.size(),), "state": states, "state_cell": states,
            "min_data": (1,), "max_data": (1,)}


def _check(data: Array, parameters: Array, state: Array, state_cell: Array, min_data: Array,
           max_data: Array, state_size: int, num_layers: int, bidirectional: bool, mode: str,
           projection_size: int | None, use_sequence_length: bool) -> Layout:
    if mode != "lstm":
        raise ParamError(f"{_OP}: only mode='lstm' is supported (MXNet: \"Quantized recurrent "
                         f"neural network only supports LSTM operator on CPU.\"), got {mode!r}")
    hidden = int_param(_OP, "state_size", state_size)
    layers = int_param(_OP, "num_layers", num_layers)
    if hidden < 1 or layers < 1:
        raise ParamError(f"{_OP}: state_size and num_layers must be positive, got {hidden} and "
                         f"{layers}")
    if projection_size is not None:
        raise ParamError(f"{_OP}: projection_size is not supported (oneDNN's int8 LSTM has no "
                         f"projection; MXNet's shape inference refuses it), got "
                         f"{projection_size!r}")
    if use_sequence_length:
        raise ParamError(f"{_OP}: use_sequence_length is not supported (oneDNN's int8 LSTM "
                         "takes no sequence lengths; MXNet 1.9.1 crashes)")
    if data._dtype != _UINT8:
        raise DTypeError(f"{_OP}: data must be uint8 (MXNet: \"Quantized RNN operator only "
                         f"supports uint8 input\"), got {data._dtype.name}")
    if data.ndim != 3:
        raise ShapeError(f"{_OP}: data must be (time, batch, features), got shape "
                         f"{data.shape}")
    _, batch, features = data.shape
    layout = Layout("lstm", layers, 2 if bidirectional else 1, features, hidden, None)
    states = (layers * layout.directions, batch, hidden)
    for name, arr, shape in (("parameters", parameters, (layout.size(),)),
                             ("state", state, states), ("state_cell", state_cell, states),
                             ("min_data (the data's scale)", min_data, (1,)),
                             ("max_data (the data's shift)", max_data, (1,))):
        if arr._dtype != _F32:
            raise DTypeError(f"{_OP}: {name} must be float32, got {arr._dtype.name}")
        check_shape(_OP, name, arr, shape)
    return layout


def _int8_levels(weight: Array, maxima: Array) -> Array:
    """`weight` (gate rows, columns) rounded to the int8 levels of its row's scale
    127 / maxima[row], as values (a row whose maximum is 0 has no scale: oneDNN scales its
    products back by 0)."""
    top = expand_dims(maxima, 1)
    scale = ew("div", 127.0, top)
    rounded = ew("rint", ew("minimum", ew("maximum", weight * scale, -128.0), 127.0))
    return select(ew("eq", top, 0.0), 0.0, rounded / scale)


def _row_maxima(parameters: Array, layout: Layout) -> Array:
    """max |w| of each gate row as MXNet 1.9.1 takes it for the int8 scales
    (GetMKLDNNRnnWeightsQParams), over the oneDNN layer groups it runs (`_later_groups`).

    The first group's rows are read right: its i2h and h2h rows, of both directions. Of each
    later group MXNet reads two blocks of (gate rows, H) values, one at the group's start
    and one further on (the first group's i2h size past it, then H rows of H), taking the
    k-th H values of each block as row k: for stacked layers of one direction and equal
    sizes no later weight is read at all, and elsewhere the blocks need not be the rows they
    scale. A weight above its row's maximum saturates at +-127. Values MXNet reads past the
    end of `parameters` (its memory beyond them) count as 0 here."""
    rows, hidden, inputs = layout.gates * layout.hidden, layout.hidden, layout.inputs
    first = (inputs + hidden) * rows  # one direction of the first layer

    def block(start: int, columns: int) -> Array:
        """|w| of rows * columns values from `start`, as (rows, columns)."""
        size = rows * columns
        stop = min(start + size, parameters.size)
        parts = [slice_ranges(parameters, (start,), (stop,), (1,))] if stop > start else []
        if stop - start < size:
            parts.append(full(0.0, parameters, (size - max(stop - start, 0),)))
        values = parts[0] if len(parts) == 1 else concat(*parts, dim=0)
        return reshape_exact(ew("abs", values), (rows, columns))

    i2h, h2h = block(0, inputs), block(rows * inputs, hidden)
    if layout.directions == 2:
        i2h = ew("maximum", i2h, block(first, inputs))
        h2h = ew("maximum", h2h, block(first + rows * inputs, hidden))
    maxima = ew("maximum", reduce.max(i2h, axis=1), reduce.max(h2h, axis=1))
    start_x, start_h = first * layout.directions, rows * inputs + first * layout.directions
    for group_inputs in _later_groups(layout):
        both = ew("maximum", block(start_x, hidden), block(start_h, hidden))
        maxima = ew("maximum", maxima, reduce.max(both, axis=1))
        start_x += (group_inputs + hidden) * rows * layout.directions
        start_h = start_x + rows * hidden
    return maxima


def _later_groups(layout: Layout) -> list[int]:
    """The input size of each oneDNN layer group after the first, as MXNet splits the
    layers (MKLDNNRnnFullParamParser): bidirectional layers one by one; one direction's
    layers all in one group when the data has H features, else the first layer alone and
    the rest together."""
    hidden = layout.hidden
    if layout.directions == 2:
        return [2 * hidden] * (layout.layers - 1)
    if layout.inputs == hidden or layout.layers == 1:
        return []
    return [hidden]
