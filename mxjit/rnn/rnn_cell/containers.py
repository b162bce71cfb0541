"""Cells made of cells: SequentialRNNCell (a stack), BidirectionalCell (a forward and a
backward pass), and DropoutCell (dropout between stacked cells)."""
from __future__ import annotations

from numbers import Number
from typing import Any

from ... import symbol
from ...base import ArgumentError, UnsupportedError
from .base_cell import MODIFIED, BaseRNNCell
from .params import RNNParams
from .sequence import normalize_sequence


def _adopt_params(owner: BaseRNNCell, cells: list[BaseRNNCell], override: bool,
                  kind: str) -> None:
    """Share weights between a container and its cells: the container's own `params`
    (when given) go to the cells, and the cells' become the container's."""
    if override:
        if not all(cell._own_params for cell in cells):
            raise ArgumentError(f"Either specify params for {kind} or child cells, not both.")
        for cell in cells:
            cell.params._params.update(owner.params._params)
    for cell in cells:
        owner.params._params.update(cell.params._params)


def _split_states(cells: list[BaseRNNCell], states: list) -> list[list]:
    """`states` cut into each cell's share, in order."""
    shares, p = [], 0
    for cell in cells:
        n = len(cell.state_info)
        shares.append(states[p:p + n])
        p += n
    return shares


class _Stacked(BaseRNNCell):
    """A cell made of the cells in `_cells`: their states one after another, their weights
    packed and unpacked each by its own cell."""

    _cells: list[BaseRNNCell]

    @property
    def state_info(self) -> list:
        return [info for cell in self._cells for info in cell.state_info]

    def begin_state(self, **kwargs: Any) -> list:  # type: ignore[override]
        if self._modified:
            raise ArgumentError(MODIFIED)
        return [s for cell in self._cells for s in cell.begin_state(**kwargs)]

    def unpack_weights(self, args: dict) -> dict:
        for cell in self._cells:
            args = cell.unpack_weights(args)
        return args

    def pack_weights(self, args: dict) -> dict:
        for cell in self._cells:
            args = cell.pack_weights(args)
        return args


class SequentialRNNCell(_Stacked):
    """A stack of cells: each one's outputs are the next one's inputs; the states are
    all the cells' states in order.

    >>> stack = mx.rnn.SequentialRNNCell()
    >>> stack.add(mx.rnn.LSTMCell(8, prefix='l0_')); stack.add(mx.rnn.LSTMCell(8, prefix='l1_'))
    """

    def __init__(self, params: RNNParams | None = None) -> None:
        super().__init__(prefix="", params=params)
        self._override_cell_params = params is not None
        self._cells: list[BaseRNNCell] = []

    def add(self, cell: BaseRNNCell) -> None:
        """Put `cell` on top of the stack.

        >>> mx.rnn.SequentialRNNCell().add(mx.rnn.GRUCell(4))
        """
        _adopt_params(self, [cell], self._override_cell_params, "SequentialRNNCell")
        self._cells.append(cell)

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        self._counter += 1
        next_states: list = []
        for cell, state in zip(self._cells, _split_states(self._cells, states)):
            if isinstance(cell, BidirectionalCell):
                raise UnsupportedError("Bidirectional cannot be stepped. Please use unroll")
            inputs, state = cell(inputs, state)
            next_states.extend(state)
        return inputs, next_states

    def unroll(self, length: int, inputs: Any, begin_state: list | None = None,
               layout: str = "NTC", merge_outputs: bool | None = None) -> tuple[Any, list]:
        self.reset()
        if begin_state is None:
            begin_state = self.begin_state()
        last = len(self._cells) - 1
        next_states: list = []
        for i, (cell, states) in enumerate(zip(self._cells,
                                               _split_states(self._cells, begin_state))):
            # inner cells hand over whichever form is cheaper; only the last one's obeys
            inputs, states = cell.unroll(length, inputs=inputs, begin_state=states,
                                         layout=layout,
                                         merge_outputs=merge_outputs if i == last else None)
            next_states.extend(states)
        return inputs, next_states


class DropoutCell(BaseRNNCell):
    """Dropout with probability `dropout` on its inputs; it has no states.

    >>> stack = mx.rnn.SequentialRNNCell(); stack.add(mx.rnn.DropoutCell(0.5))
    """

    def __init__(self, dropout: float, prefix: str = "dropout_",
                 params: RNNParams | None = None) -> None:
        super().__init__(prefix, params)
        if not isinstance(dropout, Number):
            raise ArgumentError("dropout probability must be a number")
        self.dropout = dropout

    @property
    def state_info(self) -> list:
        return []

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        if self.dropout > 0:
            inputs = symbol.Dropout(data=inputs, p=self.dropout)
        return inputs, states

    def unroll(self, length: int, inputs: Any, begin_state: list | None = None,
               layout: str = "NTC", merge_outputs: bool | None = None) -> tuple[Any, list]:
        self.reset()
        inputs, _ = normalize_sequence(length, inputs, layout, merge_outputs)
        if isinstance(inputs, symbol.Symbol):
            return self(inputs, [])
        return super().unroll(length, inputs, begin_state=begin_state, layout=layout,
                              merge_outputs=merge_outputs)


class BidirectionalCell(_Stacked):
    """`l_cell` run forward and `r_cell` backward over the sequence, their outputs
    concatenated on the feature axis (named `output_prefix + 't%d'`, or
    `output_prefix + 'out'` when merged); the states are `[l_states, r_states]`.

    >>> bi = mx.rnn.BidirectionalCell(mx.rnn.LSTMCell(8, prefix='l_'),
    ...                               mx.rnn.LSTMCell(8, prefix='r_'))
    """

    def __init__(self, l_cell: BaseRNNCell, r_cell: BaseRNNCell,
                 params: RNNParams | None = None, output_prefix: str = "bi_") -> None:
        super().__init__("", params=params)
        self._output_prefix = output_prefix
        self._override_cell_params = params is not None
        _adopt_params(self, [l_cell, r_cell], self._override_cell_params, "BidirectionalCell")
        self._cells = [l_cell, r_cell]

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        raise UnsupportedError("Bidirectional cannot be stepped. Please use unroll")

    def unroll(self, length: int, inputs: Any, begin_state: list | None = None,
               layout: str = "NTC", merge_outputs: bool | None = None) -> tuple[Any, list]:
        self.reset()
        inputs, axis = normalize_sequence(length, inputs, layout, False)
        if begin_state is None:
            begin_state = self.begin_state()
        l_cell, r_cell = self._cells
        n_left = len(l_cell.state_info)
        l_outputs, l_states = l_cell.unroll(length, inputs=inputs,
                                            begin_state=begin_state[:n_left],
                                            layout=layout, merge_outputs=merge_outputs)
        r_outputs, r_states = r_cell.unroll(length, inputs=list(reversed(inputs)),
                                            begin_state=begin_state[n_left:],
                                            layout=layout, merge_outputs=merge_outputs)
        if merge_outputs is None:
            merge_outputs = (isinstance(l_outputs, symbol.Symbol)
                             and isinstance(r_outputs, symbol.Symbol))
            if not merge_outputs:
                l_outputs = _steps(l_outputs, axis, length)
                r_outputs = _steps(r_outputs, axis, length)
        if merge_outputs:
            l_outputs = [l_outputs]
            r_outputs = [symbol.reverse(r_outputs, axis=axis)]
        else:
            r_outputs = list(reversed(r_outputs))
        outputs = [symbol.Concat(l_o, r_o, dim=1 + merge_outputs,
                                 name=(f"{self._output_prefix}out" if merge_outputs
                                       else f"{self._output_prefix}t{i}"))
                   for i, (l_o, r_o) in enumerate(zip(l_outputs, r_outputs))]
        return (outputs[0] if merge_outputs else outputs), [l_states, r_states]


def _steps(outputs: Any, axis: int, length: int) -> list:
    """A merged output cut into its steps (a list stays as it is)."""
    if isinstance(outputs, symbol.Symbol):
        return list(symbol.SliceChannel(outputs, axis=axis, num_outputs=length,
                                        squeeze_axis=1))
    return outputs
