"""MXNet's fused RNN operator: stacked, optionally bidirectional vanilla RNN (relu, tanh),
LSTM (with an optional projection, LSTMP) and GRU over (time, batch, feature) data.

The input-to-hidden products of all steps are one matrix product per layer and direction;
the time loop then runs one step at a time (a matrix product with the hidden-to-hidden
weights and a few elementwise gates). Where no GPU can be used, the loop is a `scan`: one
step is compiled once, whatever the length, and runs as a loop of the compiled program (its
gradient is a scan too). Loops do not run on GPUs yet, so on a machine with one the loop is
unrolled over the known length instead (each step's states kept in memory by
`materialize`): the program, and its compile time, then grow linearly with the steps.

The parameters are one flat vector in MXNet's layout: first every weight, layer by layer and
within a layer direction by direction (left to right, then right to left), each as the
input-to-hidden matrix (gates*H, input), the hidden-to-hidden matrix (gates*H, H or P) and,
with a projection, the projection matrix (P, H); then every bias in the same order, i2h then
h2h, each (gates*H,). Gates are stacked in MXNet's (cuDNN's) order: i, f, g, o for the LSTM
and r, z, n for the GRU, whose reset gate scales the hidden-to-hidden product after its bias:
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..context import num_gpus
from ..core import Array
from ..core.loops import scan
from ..core.operators import backward_shape_rule, input_shape_rule, register_operator
from .nn import Dropout
from .operands import check_shape, ew, full, int_param, materialize, reshape_exact
from .rnn_scan import Clip, advance, linear, row, scan_direction
from .shape import concat, concat_inputs, slice_ranges, stack

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


@dataclass(frozen=True)
class Layout:
    """The sizes of one RNN call."""

    mode: str
    layers: int
    directions: int
    inputs: int  # features of the data
    hidden: int  # H, the state size
    projection: int | None  # P (LSTM only)

    @property
    def gates(self) -> int:
        return _GATES[self.mode]

    @property
    def outputs(self) -> int:
        """Features of each direction's output and hidden state: P with a projection, else H."""
        return self.projection or self.hidden

    def layer_inputs(self, layer: int) -> int:
        return self.inputs if layer == 0 else self.directions * self.outputs

    def weight_shapes(self, layer: int) -> list[tuple[int, int]]:
        rows = self.gates * self.hidden
        shapes = [(rows, self.layer_inputs(layer)), (rows, self.outputs)]
        if self.projection:
            shapes.append((self.projection, self.hidden))
        return shapes

    def size(self) -> int:
        """The length of the flat parameter vector."""
        cells = [(layer, d) for layer in range(self.layers) for d in range(self.directions)]
        weights = sum(r * c for layer, _ in cells for r, c in self.weight_shapes(layer))
        return weights + len(cells) * 2 * self.gates * self.hidden


@dataclass(frozen=True)
class Cell:
    """The parameters of one layer in one direction."""

    i2h: Array
    h2h: Array
    proj: Array | None
    i2h_bias: Array
    h2h_bias: Array


@backward_shape_rule("_rnn_param_concat")
def _rnn_param_concat_inputs(out: tuple[int, ...], inputs: dict[str, tuple[int, ...] | None],
                             dim: int = 1, **params: Any) -> dict[str, tuple[int, ...]]:
    """As Concat's, but the first layer's two i2h weights (both directions) may share what
    the other parameters leave, as in MXNet's RNNParamConcatShape."""
    return concat_inputs(out, inputs, dim, sharing=2)


@register_operator("_rnn_param_concat", inputs=("data",))
def rnn_param_concat(*data: Array, dim: int = 1, num_args: int | None = None) -> Array:
    """`Concat` under the name Gluon's exported RNN graphs use to join the flattened
    per-gate parameters into `RNN`'s vector (MXNet registers it apart only so that its
    shape inference may complete an input's shape from the output's).

    >>> lookup('_rnn_param_concat').impl(mx.nd.ones(3), mx.nd.zeros(2), dim=0)  # doctest: +SKIP
    [1. 1. 1. 0. 0.]
    """
    return concat(*data, dim=dim, num_args=num_args)


@register_operator("RNN", inputs=("data", "parameters", "state", "state_cell",
                                  "sequence_length"))
def RNN(data: Array, parameters: Array, state: Array, state_cell: Array | None = None,
        sequence_length: Array | None = None, *, state_size: int, num_layers: int,
        bidirectional: bool = False, mode: str, p: float = 0.0, state_outputs: bool = False,
        projection_size: int | None = None, lstm_state_clip_min: float | None = None,
        lstm_state_clip_max: float | None = None, lstm_state_clip_nan: bool = False,
        use_sequence_length: bool = False) -> Any:
    """Recurrent layers over `data` (time, batch, features) with all weights and biases in
    the flat vector `parameters` (MXNet's layout, see the module docstring).

    `state` (layers * directions, batch, H or P) is the initial hidden state and, for the
    LSTM, `state_cell` (layers * directions, batch, H) the initial cell state. Returns the
    last layer's output (time, batch, directions * (H or P)) and, with `state_outputs`, the
    final hidden (and cell) states. `p` is the dropout rate on the outputs of every layer but
    the last, in training mode. `projection_size` gives an LSTMP; `lstm_state_clip_min/max`
    clip the LSTM's cell state at each step (with `lstm_state_clip_nan`, NaN becomes the
    minimum). With `use_sequence_length`, sequence b has `sequence_length[b]` steps: outputs
    after them are 0, the final states are those of its last step and the reverse
    direction starts from it (cuDNN's semantics).

    >>> out = mx.nd.RNN(x, params, h0, c0, state_size=8, num_layers=1,
    ...                 mode='lstm')  # doctest: +SKIP
    """
    layout, clip = _check(data, parameters, state, state_cell, sequence_length, state_size,
                          num_layers, bidirectional, mode, p, projection_size,
                          lstm_state_clip_min, lstm_state_clip_max, lstm_state_clip_nan,
                          use_sequence_length)
    valid = None
    if use_sequence_length:
        assert sequence_length is not None
        valid = [ew("gt", sequence_length, t) for t in range(data.shape[0])]
    return stacked_layers(data, unpack_parameters(parameters, layout), state, state_cell,
                          layout, clip=clip, p=p, valid=valid, state_outputs=state_outputs)


def stacked_layers(data: Array, cells: list[Cell], state: Array, state_cell: Array | None,
                   layout: Layout, *, clip: Clip | None = None, p: float = 0.0,
                   valid: list[Array] | None = None, state_outputs: bool = False,
                   round_state: Callable[[Array], Array] | None = None) -> Any:
    """RNN's computation on checked inputs, with the cells already cut from the parameters
    (see `RNN`): `valid[t]` says which sequences are still running at step t, and
    `round_state` maps each step's new hidden state before it is output and fed back (the
    quantized LSTM rounds it to its uint8 levels).

    >>> out = stacked_layers(x, unpack_parameters(w, layout), h0, c0, layout)  # doctest: +SKIP
    """
    x = data
    finals_h: list[Array] = []
    finals_c: list[Array] = []
    for layer in range(layout.layers):
        if layer and p > 0:
            x = Dropout(x, p=p)
        outputs = []
        for d in range(layout.directions):
            k = layer * layout.directions + d
            h0 = row(state, k)
            c0 = row(state_cell, k) if state_cell is not None else None
            ys, h, c = _direction(x, h0, c0, cells[k], layout, clip, d == 1, valid,
                                  round_state)
            outputs.append(ys)
            finals_h.append(h)
            if c is not None:
                finals_c.append(c)
        x = outputs[0] if len(outputs) == 1 else concat(*outputs, dim=2)
    if not state_outputs:
        return x
    result = [x, stack(*finals_h, axis=0)]
    if layout.mode == "lstm":
        result.append(stack(*finals_c, axis=0))
    return result


@input_shape_rule("RNN")
def _rnn_input_shapes(shapes: dict[str, tuple[int, ...]], state_size: int, num_layers: int,
                      bidirectional: bool = False, mode: str = "lstm",
                      projection_size: int | None = None, **params: Any
                      ) -> dict[str, tuple[int, ...]]:
    """The begin states and the parameter vector from the data (time, batch, features): a
    symbol's `zeros(shape=(layers, 0, H))` state gets its batch here, as in MXNet."""
    _, batch, features = shapes["data"]
    layout = Layout(mode, int(num_layers), 2 if bidirectional else 1, features,
                    int(state_size), int(projection_size) if projection_size else None)
    states = layout.layers * layout.directions
    return {"parameters": (layout.size(),), "state": (states, batch, layout.outputs),
            "state_cell": (states, batch, layout.hidden)}


def _check(data: Array, parameters: Array, state: Array, state_cell: Array | None,
           sequence_length: Array | None, state_size: int, num_layers: int,
           bidirectional: bool, mode: str, p: float, projection_size: int | None,
           clip_min: float | None, clip_max: float | None, clip_nan: bool,
           use_sequence_length: bool) -> tuple[Layout, Clip | None]:
    if mode not in _GATES:
        raise ParamError(f"RNN: mode must be one of {sorted(_GATES)}, got {mode!r}")
    hidden = int_param("RNN", "state_size", state_size)
    layers = int_param("RNN", "num_layers", num_layers)
    if hidden < 1 or layers < 1:
        raise ParamError(f"RNN: state_size and num_layers must be positive, got {hidden} and "
                         f"{layers}")
    if not 0 <= p < 1:
        raise ParamError(f"RNN: the dropout rate p must be in [0, 1), got {p}")
    projection = None
    if projection_size is not None:
        projection = int_param("RNN", "projection_size", projection_size)
        if mode != "lstm" or projection < 1:
            raise ParamError(f"RNN: projection_size must be a positive int and needs "
                             f"mode='lstm', got {projection_size!r} with mode={mode!r}")
    if data.ndim != 3:
        raise ShapeError(f"RNN: data must be (time, batch, features), got shape {data.shape}")
    if data._dtype.kind != "f":
        raise DTypeError(f"RNN: data must be floating point, got {data._dtype.name}")
    steps, batch, features = data.shape
    layout = Layout(mode, layers, 2 if bidirectional else 1, features, hidden, projection)
    check_shape("RNN", f"parameters (the flat vector of {mode} weights and biases)",
                parameters, (layout.size(),))
    states = layers * layout.directions
    check_shape("RNN", "state (layers * directions, batch, state size)", state,
                (states, batch, layout.outputs))
    if mode == "lstm":
        if state_cell is None:
            raise ParamError("RNN: mode='lstm' needs the initial cell state `state_cell`")
        check_shape("RNN", "state_cell (layers * directions, batch, state_size)", state_cell,
                    (states, batch, hidden))
    elif state_cell is not None:
        raise ParamError(f"RNN: state_cell is for mode='lstm' only, got mode={mode!r}")
    for what, arr in (("parameters", parameters), ("state", state), ("state_cell", state_cell)):
        if arr is not None and arr._dtype != data._dtype:
            raise DTypeError(f"RNN: {what} must have the data's dtype {data._dtype.name}, got "
                             f"{arr._dtype.name}")
    if use_sequence_length:
        if sequence_length is None:
            raise ParamError("RNN: use_sequence_length=True needs the `sequence_length` array")
        check_shape("RNN", "sequence_length (one length per sequence)", sequence_length,
                    (batch,))
    elif sequence_length is not None:
        raise ParamError("RNN: `sequence_length` given but use_sequence_length=False")
    return layout, _clip(mode, clip_min, clip_max, clip_nan)


def _clip(mode: str, low: float | None, high: float | None, nan: bool) -> Clip | None:
    if low is None and high is None:
        return None
    if low is None or high is None or low > high:
        raise ParamError(f"RNN: lstm_state_clip_min and lstm_state_clip_max go together, with "
                         f"min <= max; got {low} and {high}")
    return Clip(float(low), float(high), bool(nan)) if mode == "lstm" else None


def unpack_parameters(parameters: Array, layout: Layout) -> list[Cell]:
    """Each (layer, direction)'s matrices and biases, cut from the flat vector.

    >>> cells = unpack_parameters(w, layout)  # doctest: +SKIP
    """
    offset = 0

    def take(shape: tuple[int, ...]) -> Array:
        nonlocal offset
        size = int(np.prod(shape))
        piece = slice_ranges(parameters, (offset,), (offset + size,), (1,))
        offset += size
        return reshape_exact(piece, shape)

    weights = []
    for layer in range(layout.layers):
        for _ in range(layout.directions):
            weights.append([take(shape) for shape in layout.weight_shapes(layer)])
    bias = (layout.gates * layout.hidden,)
    cells = []
    for w in weights:
        i2h_bias, h2h_bias = take(bias), take(bias)
        cells.append(Cell(w[0], w[1], w[2] if layout.projection else None, i2h_bias, h2h_bias))
    return cells


def _direction(x: Array, h: Array, c: Array | None, cell: Cell, layout: Layout,
               clip: Clip | None, reverse: bool, valid: list[Array] | None,
               round_state: Callable[[Array], Array] | None
               ) -> tuple[Array, Array, Array | None]:
    """One layer in one direction: its outputs (time, batch, features) and final states.
    Past a sequence's length (`valid[t]` false) the states stay and the output is 0."""
    steps, batch = x.shape[:2]
    if steps == 0:
        return full(0, h, (0, batch, h.shape[1])), h, c
    projected = linear(x, cell.i2h, cell.i2h_bias)  # every step's input product at once
    mode, hidden = layout.mode, layout.hidden

    proj = cell.proj

    def finish(h: Array) -> Array:
        """A step's new hidden state as it is output: projected (an LSTMP's), rounded."""
        if proj is not None:
            h = linear(h, proj, None)
        return h if round_state is None else round_state(h)

    project = None if proj is None and round_state is None else finish

    def advance_from(h: Array, c: Array | None, x_t: Array, keep: Array | None
                     ) -> tuple[Array, Array | None, Array]:
        """(new h, new c, output) of one step."""
        h, c, out, _ = advance(mode, hidden, clip, x_t, linear(h, cell.h2h, cell.h2h_bias),
                               h, c, keep, project)
        return h, c, out

    if num_gpus() == 0:
        keep = None if valid is None else stack(*valid, axis=0)
        if project is None and clip is None:  # (a backward pass of its own: rnn_scan.py)
            return scan_direction(projected, h, c, cell.h2h, cell.h2h_bias, keep, mode, hidden,
                                  reverse)

        def body(carry: tuple[Array, Array | None], xs: tuple[Array, Array | None]) -> Any:
            h, c, out = advance_from(*carry, *xs)
            return (h, c), out

        (h, c), ys = scan(body, (h, c), (projected, keep), reverse=reverse)
        return ys, h, c
    outputs: list[Array] = [h] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        h_new, c_new, outputs[t] = advance_from(h, c, row(projected, t),
                                                None if valid is None else valid[t])
        # (one step per kernel: else each step's kernels would inline all earlier steps)
        h = materialize(h_new)
        c = None if c_new is None else materialize(c_new)
        if valid is None:
            outputs[t] = h
    return stack(*outputs, axis=0), h, c
