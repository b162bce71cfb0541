"""Cells that wrap another cell and change what it computes: ZoneoutCell, ResidualCell
(and their base, ModifierCell). Once wrapped, the base cell is used through the
wrapper only."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import symbol
from ...base import ArgumentError, NotOverriddenError
from .base_cell import MODIFIED, BaseRNNCell
from .containers import BidirectionalCell, SequentialRNNCell
from .fused import FusedRNNCell
from .params import RNNParams
from .sequence import normalize_sequence


class ModifierCell(BaseRNNCell):
    """The base of cells that modify `base_cell`: they share its weights and states,
    and the base cell refuses to be used directly afterwards.

    >>> class Twice(mx.rnn.ModifierCell): ...  # doctest: +SKIP
    """

    def __init__(self, base_cell: BaseRNNCell) -> None:
        super().__init__()
        base_cell._modified = True
        self.base_cell = base_cell

    @property
    def params(self) -> RNNParams:
        self._own_params = False
        return self.base_cell.params

    @property
    def state_info(self) -> list:
        return self.base_cell.state_info

    def begin_state(self, init_sym: Callable[..., symbol.Symbol] = symbol.zeros,  # type: ignore[override]
                    **kwargs: Any) -> list:
        if self._modified:
            raise ArgumentError(MODIFIED)
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(init_sym, **kwargs)
        finally:
            self.base_cell._modified = True

    def unpack_weights(self, args: dict) -> dict:
        return self.base_cell.unpack_weights(args)

    def pack_weights(self, args: dict) -> dict:
        return self.base_cell.pack_weights(args)

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        raise NotOverriddenError(f"{type(self).__name__} does not define one step "
                                 "(__call__)")


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al. 2016): in training, each unit of the output (and of each
    state) keeps its previous value with probability `zoneout_outputs`
    (`zoneout_states`) instead of taking the new one.

    >>> cell = mx.rnn.ZoneoutCell(mx.rnn.RNNCell(8), zoneout_outputs=0.5)
    """

    def __init__(self, base_cell: BaseRNNCell, zoneout_outputs: float = 0.0,
                 zoneout_states: float = 0.0) -> None:
        if isinstance(base_cell, FusedRNNCell):
            raise ArgumentError("FusedRNNCell doesn't support zoneout. Please unfuse first.")
        if isinstance(base_cell, BidirectionalCell) or (
                isinstance(base_cell, SequentialRNNCell)
                and any(isinstance(c, BidirectionalCell) for c in base_cell._cells)):
            raise ArgumentError("Bidirectional cells don't support zoneout since they can't "
                                "step. Please add ZoneoutCell to the cells underneath "
                                "instead.")
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self.prev_output: symbol.Symbol | None = None

    def reset(self) -> None:
        super().reset()
        self.prev_output = None

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p: float, like: symbol.Symbol) -> symbol.Symbol:
            # ones where the new value is kept: Dropout of ones, scaled 1/(1-p), is
            # non-zero exactly there in training and all ones in inference
            return symbol.Dropout(symbol.ones_like(like), p=p)

        # zeros of unknown shape: the first step's previous output, sized by inference
        prev_output = self.prev_output if self.prev_output is not None else \
            symbol.zeros((0, 0))
        output = next_output
        if self.zoneout_outputs != 0.0:
            output = symbol.where(keep_new(self.zoneout_outputs, next_output), next_output,
                                  prev_output)
        if self.zoneout_states != 0.0:
            next_states = [symbol.where(keep_new(self.zoneout_states, new), new, old)
                           for new, old in zip(next_states, states)]
        self.prev_output = output
        return output, next_states


class ResidualCell(ModifierCell):
    """A residual connection (Wu et al. 2016): the base cell's output plus its input,
    named `output.name + '_plus_residual'`.

    >>> cell = mx.rnn.ResidualCell(mx.rnn.GRUCell(50, prefix='rnn_'))
    """

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        output, states = self.base_cell(inputs, states)
        return (symbol.elemwise_add(output, inputs, name=f"{output.name}_plus_residual"),
                states)

    def unroll(self, length: int, inputs: Any, begin_state: list | None = None,
               layout: str = "NTC", merge_outputs: bool | None = None) -> tuple[Any, list]:
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs=inputs,
                                                    begin_state=begin_state, layout=layout,
                                                    merge_outputs=merge_outputs)
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = isinstance(outputs, symbol.Symbol)
        inputs, _ = normalize_sequence(length, inputs, layout, merge_outputs)
        if merge_outputs:
            return (symbol.elemwise_add(outputs, inputs,
                                        name=f"{outputs.name}_plus_residual"), states)
        return ([symbol.elemwise_add(o, i, name=f"{o.name}_plus_residual")
                 for o, i in zip(outputs, inputs)], states)
