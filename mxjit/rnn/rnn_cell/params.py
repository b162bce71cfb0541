"""RNNParams: the variables of a cell, shared by name between the cells given one."""
from __future__ import annotations

from typing import Any

from ... import symbol


class RNNParams:
    """The container of a cell's weight variables: `get` makes each one once, named
    `prefix + name`, so cells handed the same container share their weights.

    >>> params = mx.rnn.RNNParams('lstm_')
    >>> params.get('i2h_weight') is params.get('i2h_weight')
    True
    """

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix
        self._params: dict[str, symbol.Symbol] = {}

    def get(self, name: str, **kwargs: Any) -> symbol.Symbol:
        """The variable `prefix + name`, made on first use (`kwargs` go to
        `mx.sym.Variable`: `init=`, `shape=`, ...).

        >>> mx.rnn.RNNParams('rnn_').get('h2h_bias').name
        'rnn_h2h_bias'
        """
        name = self._prefix + name
        if name not in self._params:
            self._params[name] = symbol.Variable(name, **kwargs)
        return self._params[name]
