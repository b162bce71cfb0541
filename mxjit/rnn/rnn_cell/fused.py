"""FusedRNNCell: a whole (stacked, maybe bidirectional) RNN as one `RNN` operator over
one packed parameter vector, and its unfused equivalent."""
from __future__ import annotations

import math
import warnings
from typing import Any

from ... import initializer, nd, symbol
from ...base import ParamError, ShapeError, UnsupportedError
from .base_cell import BaseRNNCell
from .cells import GRUCell, LSTMCell, RNNCell
from .containers import BidirectionalCell, DropoutCell, SequentialRNNCell
from .params import RNNParams
from .sequence import normalize_sequence

#: The gates of each mode, in the order the packed vector holds them.
GATES = {"rnn_relu": ("",), "rnn_tanh": ("",), "lstm": ("_i", "_f", "_c", "_o"),
         "gru": ("_r", "_z", "_o")}


class FusedRNNCell(BaseRNNCell):
    """`num_layers` layers of `mode` ('rnn_relu', 'rnn_tanh', 'lstm', 'gru') run by one
    `RNN` node named `prefix + 'rnn'`, whose weights are the one variable
    `prefix + 'parameters'`. It cannot step; `unfuse()` gives the same network as cells
    that can. `unpack_weights` names the pieces of the vector as the unfused cells do.

    >>> cell = mx.rnn.FusedRNNCell(64, num_layers=2, mode='lstm', bidirectional=True)
    >>> out, _ = cell.unroll(10, mx.sym.var('data'), layout='TNC', merge_outputs=True)
    """

    def __init__(self, num_hidden: int, num_layers: int = 1, mode: str = "lstm",
                 bidirectional: bool = False, dropout: float = 0.0,
                 get_next_state: bool = False, forget_bias: float = 1.0,
                 prefix: str | None = None, params: RNNParams | None = None) -> None:
        if mode not in GATES:
            raise ParamError(f"FusedRNNCell: mode must be one of {sorted(GATES)}, got {mode!r}")
        if prefix is None:
            prefix = f"{mode}_"
        super().__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._dropout = dropout
        self._get_next_state = get_next_state
        self._directions = ["l", "r"] if bidirectional else ["l"]
        init = initializer.FusedRNN(None, num_hidden, num_layers, mode, bidirectional,
                                    forget_bias)
        self._parameter = self.params.get("parameters", init=init)

    @property
    def state_info(self) -> list:
        shape = ((self._bidirectional + 1) * self._num_layers, 0, self._num_hidden)
        return [{"shape": shape, "__layout__": "LNC"}
                for _ in range((self._mode == "lstm") + 1)]

    @property
    def _gate_names(self) -> tuple[str, ...]:
        return GATES[self._mode]

    def _pieces(self, num_input: int) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of each piece of the packed vector, in order: every layer's
        and direction's weights, then every layer's and direction's biases."""
        h, b, p = self._num_hidden, len(self._directions), self._prefix
        weights: list[tuple[str, tuple[int, ...]]] = []
        biases: list[tuple[str, tuple[int, ...]]] = []
        for layer in range(self._num_layers):
            fan_in = num_input if layer == 0 else b * h
            for d in self._directions:
                for group, cols in (("i2h", fan_in), ("h2h", h)):
                    weights += [(f"{p}{d}{layer}_{group}{g}_weight", (h, cols))
                                for g in self._gate_names]
                for group in ("i2h", "h2h"):
                    biases += [(f"{p}{d}{layer}_{group}{g}_bias", (h,))
                               for g in self._gate_names]
        return weights + biases

    def unpack_weights(self, args: dict[str, nd.NDArray]) -> dict[str, nd.NDArray]:
        args = dict(args)
        arr = args.pop(str(self._parameter.name))
        b, m, h = len(self._directions), len(self._gate_names), self._num_hidden
        num_input = arr.size // b // h // m - (self._num_layers - 1) * (h + b * h + 2) - h - 2
        pieces = self._pieces(num_input)
        if num_input <= 0 or sum(math.prod(s) for _, s in pieces) != arr.size:
            raise ShapeError(f"Invalid parameters size for FusedRNNCell: {arr.size} values "
                             f"fit no input size of this {self._mode} cell")
        flat, offset = arr.reshape((-1,)), 0
        for name, shape in pieces:
            size = math.prod(shape)
            args[name] = flat[offset:offset + size].reshape(shape).copy()
            offset += size
        return args

    def pack_weights(self, args: dict[str, nd.NDArray]) -> dict[str, nd.NDArray]:
        args = dict(args)
        first = args[f"{self._prefix}l0_i2h{self._gate_names[0]}_weight"]
        parts = [args.pop(name).reshape((-1,)) for name, _ in self._pieces(first.shape[1])]
        args[str(self._parameter.name)] = nd.concatenate(parts)
        return args

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        raise UnsupportedError("FusedRNNCell cannot be stepped. Please use unroll")

    def unroll(self, length: int, inputs: Any, begin_state: list | None = None,
               layout: str = "NTC", merge_outputs: bool | None = None) -> tuple[Any, list]:
        self.reset()
        inputs, axis = normalize_sequence(length, inputs, layout, True)
        if axis == 1:
            warnings.warn("NTC layout detected. Consider using TNC for FusedRNNCell for "
                          "faster speed", stacklevel=2)
            inputs = symbol.swapaxes(inputs, dim1=0, dim2=1)
        elif axis != 0:
            raise ParamError(f"Unsupported layout {layout}")
        if begin_state is None:
            begin_state = self.begin_state()
        states = {"state": begin_state[0]}
        if self._mode == "lstm":
            states["state_cell"] = begin_state[1]
        rnn = symbol.RNN(data=inputs, parameters=self._parameter,
                         state_size=self._num_hidden, num_layers=self._num_layers,
                         bidirectional=self._bidirectional, p=self._dropout,
                         state_outputs=self._get_next_state, mode=self._mode,
                         name=self._prefix + "rnn", **states)
        if self._get_next_state:
            n_states = len(states)
            for i in range(1, n_states + 1):
                rnn[i]._set_attr(__layout__="LNC")
            outputs, next_states = rnn[0], [rnn[i] for i in range(1, n_states + 1)]
        else:
            outputs, next_states = rnn, []
        if axis == 1:
            outputs = symbol.swapaxes(outputs, dim1=0, dim2=1)
        outputs, _ = normalize_sequence(length, outputs, layout, merge_outputs)
        return outputs, next_states

    def unfuse(self) -> SequentialRNNCell:
        """The same network as a stack of stepping cells named as `unpack_weights`
        names the pieces (`prefix + 'l0_'`, `prefix + 'r0_'`, ...), with a DropoutCell
        between layers when `dropout` > 0.

        >>> stack = mx.rnn.FusedRNNCell(8, num_layers=2).unfuse()
        """
        def make(cell_prefix: str) -> BaseRNNCell:
            if self._mode == "lstm":
                return LSTMCell(self._num_hidden, prefix=cell_prefix)
            if self._mode == "gru":
                return GRUCell(self._num_hidden, prefix=cell_prefix)
            return RNNCell(self._num_hidden, activation=self._mode[len("rnn_"):],
                           prefix=cell_prefix)

        stack = SequentialRNNCell()
        for i in range(self._num_layers):
            if self._bidirectional:
                stack.add(BidirectionalCell(make(f"{self._prefix}l{i}_"),
                                            make(f"{self._prefix}r{i}_"),
                                            output_prefix=f"{self._prefix}bi_l{i}_"))
            else:
                stack.add(make(f"{self._prefix}l{i}_"))
            if self._dropout > 0 and i != self._num_layers - 1:
                stack.add(DropoutCell(self._dropout, prefix=f"{self._prefix}_dropout{i}_"))
        return stack
