"""The stepping cells: RNNCell, LSTMCell and GRUCell, each step a few symbol nodes."""
from __future__ import annotations

from typing import Any

from ... import initializer, symbol
from .base_cell import BaseRNNCell
from .params import RNNParams


class _OneStateCell(BaseRNNCell):
    """A cell of one (batch, num_hidden) state whose steps read MXNet's i2h and h2h weights
    and biases, made in that order (RNNCell's and GRUCell's)."""

    def __init__(self, num_hidden: int, prefix: str, params: RNNParams | None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._iW = self.params.get("i2h_weight")
        self._iB = self.params.get("i2h_bias")
        self._hW = self.params.get("h2h_weight")
        self._hB = self.params.get("h2h_bias")

    @property
    def state_info(self) -> list:
        return [{"shape": (0, self._num_hidden), "__layout__": "NC"}]


class RNNCell(_OneStateCell):
    """An Elman cell: `h' = activation(W_i x + b_i + W_h h + b_h)`.

    >>> cell = mx.rnn.RNNCell(100, activation='relu', prefix='rnn_')
    """

    def __init__(self, num_hidden: int, activation: Any = "tanh", prefix: str = "rnn_",
                 params: RNNParams | None = None) -> None:
        super().__init__(num_hidden, prefix=prefix, params=params)
        self._activation = activation

    @property
    def _gate_names(self) -> tuple[str, ...]:
        return ("",)

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        name = self._next_step_name()
        i2h = symbol.FullyConnected(data=inputs, weight=self._iW, bias=self._iB,
                                    num_hidden=self._num_hidden, name=f"{name}i2h")
        h2h = symbol.FullyConnected(data=states[0], weight=self._hW, bias=self._hB,
                                    num_hidden=self._num_hidden, name=f"{name}h2h")
        output = self._get_activation(i2h + h2h, self._activation, name=f"{name}out")
        return output, [output]


class LSTMCell(BaseRNNCell):
    """A long short-term memory cell; its gates are stacked i, f, c, o in one
    `i2h`/`h2h` pair of FullyConnected layers, and `forget_bias` starts the forget
    gate's part of `i2h_bias` (through `mx.init.LSTMBias`).

    >>> cell = mx.rnn.LSTMCell(100, prefix='lstm_', forget_bias=2.0)
    """

    def __init__(self, num_hidden: int, prefix: str = "lstm_",
                 params: RNNParams | None = None, forget_bias: float = 1.0) -> None:
        super().__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._iW = self.params.get("i2h_weight")
        self._hW = self.params.get("h2h_weight")
        self._iB = self.params.get("i2h_bias",
                                   init=initializer.LSTMBias(forget_bias=forget_bias))
        self._hB = self.params.get("h2h_bias")

    @property
    def state_info(self) -> list:
        return [{"shape": (0, self._num_hidden), "__layout__": "NC"},
                {"shape": (0, self._num_hidden), "__layout__": "NC"}]

    @property
    def _gate_names(self) -> tuple[str, ...]:
        return ("_i", "_f", "_c", "_o")

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        name = self._next_step_name()
        h = self._num_hidden
        i2h = symbol.FullyConnected(data=inputs, weight=self._iW, bias=self._iB,
                                    num_hidden=h * 4, name=f"{name}i2h")
        h2h = symbol.FullyConnected(data=states[0], weight=self._hW, bias=self._hB,
                                    num_hidden=h * 4, name=f"{name}h2h")
        return lstm_step(self, i2h + h2h, states[1], name, "tanh")


def lstm_step(cell: BaseRNNCell, summed: symbol.Symbol, prev_c: symbol.Symbol, name: str,
              activation: Any, **slice_axis: int) -> tuple[Any, list]:
    """An LSTM step from its summed i2h and h2h products, with MXNet's node names: gates
    i, f, c (through `activation`), o, sliced from `summed` (along `slice_axis` when
    given); the new cell state and the output.

    >>> h, (h, c) = lstm_step(cell, i2h + h2h, c_prev, 'lstm_t0_', 'tanh')  # doctest: +SKIP
    """
    gates = symbol.SliceChannel(summed, num_outputs=4, name=f"{name}slice", **slice_axis)
    in_gate = symbol.Activation(gates[0], act_type="sigmoid", name=f"{name}i")
    forget_gate = symbol.Activation(gates[1], act_type="sigmoid", name=f"{name}f")
    in_transform = cell._get_activation(gates[2], activation, name=f"{name}c")
    out_gate = symbol.Activation(gates[3], act_type="sigmoid", name=f"{name}o")
    next_c = symbol._internal._plus(forget_gate * prev_c, in_gate * in_transform,
                                    name=f"{name}state")
    next_h = symbol._internal._mul(out_gate, cell._get_activation(next_c, activation),
                                   name=f"{name}out")
    return next_h, [next_h, next_c]


class GRUCell(_OneStateCell):
    """A gated recurrent unit in cuDNN's form (the reset gate scales `h2h`'s candidate
    part after the product): gates r, z, then the candidate, stacked in one `i2h`/`h2h`.

    >>> cell = mx.rnn.GRUCell(100, prefix='gru_')
    """

    def __init__(self, num_hidden: int, prefix: str = "gru_",
                 params: RNNParams | None = None) -> None:
        super().__init__(num_hidden, prefix=prefix, params=params)

    @property
    def _gate_names(self) -> tuple[str, ...]:
        return ("_r", "_z", "_o")

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        name = self._next_step_name()
        prev_h = states[0]
        i2h = symbol.FullyConnected(data=inputs, weight=self._iW, bias=self._iB,
                                    num_hidden=self._num_hidden * 3, name=f"{name}_i2h")
        h2h = symbol.FullyConnected(data=prev_h, weight=self._hW, bias=self._hB,
                                    num_hidden=self._num_hidden * 3, name=f"{name}_h2h")
        i2h_r, i2h_z, i2h = symbol.SliceChannel(i2h, num_outputs=3, name=f"{name}_i2h_slice")
        h2h_r, h2h_z, h2h = symbol.SliceChannel(h2h, num_outputs=3, name=f"{name}_h2h_slice")
        reset_gate = symbol.Activation(i2h_r + h2h_r, act_type="sigmoid",
                                       name=f"{name}_r_act")
        update_gate = symbol.Activation(i2h_z + h2h_z, act_type="sigmoid",
                                        name=f"{name}_z_act")
        candidate = symbol.Activation(i2h + reset_gate * h2h, act_type="tanh",
                                      name=f"{name}_h_act")
        next_h = symbol._internal._plus((1.0 - update_gate) * candidate,
                                        update_gate * prev_h, name=f"{name}out")
        return next_h, [next_h]
