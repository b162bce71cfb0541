"""Checkpoints of models built from cells, saved with each cell's weights unpacked
(one array per gate, the same for fused and unfused cells) and packed again on loading."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import model
from .rnn_cell import BaseRNNCell


def _cell_list(cells: BaseRNNCell | list[BaseRNNCell]) -> list[BaseRNNCell]:
    return [cells] if isinstance(cells, BaseRNNCell) else list(cells)


def save_rnn_checkpoint(cells: BaseRNNCell | list[BaseRNNCell], prefix: str, epoch: int,
                        symbol: Any, arg_params: dict, aux_params: dict) -> None:
    """`mx.model.save_checkpoint` with `cells`' weights unpacked first.

    >>> mx.rnn.save_rnn_checkpoint(cell, 'lm', 3, net, arg, aux)  # doctest: +SKIP
    """
    for cell in _cell_list(cells):
        arg_params = cell.unpack_weights(arg_params)
    model.save_checkpoint(prefix, epoch, symbol, arg_params, aux_params)


def load_rnn_checkpoint(cells: BaseRNNCell | list[BaseRNNCell], prefix: str,
                        epoch: int) -> tuple[Any, dict, dict]:
    """`mx.model.load_checkpoint` with `cells`' weights packed again: (symbol,
    arg_params, aux_params).

    >>> net, arg, aux = mx.rnn.load_rnn_checkpoint(cell, 'lm', 3)  # doctest: +SKIP
    """
    symbol, arg_params, aux_params = model.load_checkpoint(prefix, epoch)
    for cell in _cell_list(cells):
        arg_params = cell.pack_weights(arg_params)
    return symbol, arg_params, aux_params


def do_rnn_checkpoint(cells: BaseRNNCell | list[BaseRNNCell], prefix: str,
                      period: int = 1) -> Callable[..., None]:
    """An epoch-end callback for `Module.fit` that saves an RNN checkpoint every
    `period` epochs.

    >>> mod.fit(it, epoch_end_callback=mx.rnn.do_rnn_checkpoint(cell, 'lm'))  # doctest: +SKIP
    """
    period = int(max(1, period))

    def _callback(iter_no: int, sym: Any = None, arg: Any = None, aux: Any = None) -> None:
        if (iter_no + 1) % period == 0:
            save_rnn_checkpoint(cells, prefix, iter_no + 1, sym, arg, aux)
    return _callback
