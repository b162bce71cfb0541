"""BaseRNNCell: what every symbolic cell shares (states, unrolling, weight packing)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import nd, symbol
from ...base import ArgumentError, NotOverriddenError
from .params import RNNParams
from .sequence import normalize_sequence

MODIFIED = ("After applying modifier cells (e.g. DropoutCell) the base cell cannot be "
            "called directly. Call the modifier cell instead.")


class BaseRNNCell:
    """The base of MXNet's symbolic RNN cells: a subclass defines `state_info` and
    `__call__` (one step: `output, states = cell(inputs, states)`); `unroll` steps it
    over a sequence. Weights are variables of `params` (a fresh `RNNParams(prefix)` when
    None), and nodes of step t are named `prefix + 't%d_' % t + ...`.

    >>> cell = mx.rnn.RNNCell(8, prefix='rnn_')
    >>> outputs, states = cell.unroll(3, mx.sym.var('data'), merge_outputs=True)
    """

    def __init__(self, prefix: str = "", params: RNNParams | None = None) -> None:
        if params is None:
            params = RNNParams(prefix)
            self._own_params = True
        else:
            self._own_params = False
        self._prefix = prefix
        self._params = params
        self._modified = False
        self.reset()

    def reset(self) -> None:
        """Restart the step and state counters before building another graph.

        >>> cell = mx.rnn.GRUCell(4); cell.reset()
        """
        self._init_counter = -1
        self._counter = -1
        for cell in getattr(self, "_cells", ()):
            cell.reset()

    def _next_step_name(self) -> str:
        """Count one more step and give its node-name prefix, MXNet's `<prefix>t<n>_`."""
        self._counter += 1
        return f"{self._prefix}t{self._counter}_"

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        raise NotOverriddenError(f"{type(self).__name__} does not define one step "
                                 "(__call__)")

    @property
    def params(self) -> RNNParams:
        """The container of this cell's weights (once read, the cell no longer counts
        as owning it: a container cell may not then impose its own).

        >>> sorted(mx.rnn.RNNCell(4, prefix='r_').params._params)[0]
        'r_h2h_bias'
        """
        self._own_params = False
        return self._params

    @property
    def state_info(self) -> list:
        """Shape (0 for the batch) and `__layout__` of each state.

        >>> mx.rnn.LSTMCell(4).state_info[0]
        {'shape': (0, 4), '__layout__': 'NC'}
        """
        raise NotOverriddenError(f"{type(self).__name__} does not define state_info")

    @property
    def state_shape(self) -> list:
        """The shape of each state.

        >>> mx.rnn.GRUCell(4).state_shape
        [(0, 4)]
        """
        return [info["shape"] for info in self.state_info]

    @property
    def _gate_names(self) -> tuple[str, ...]:
        return ()

    def begin_state(self, func: Callable[..., symbol.Symbol] = symbol.zeros,
                    **kwargs: Any) -> list:
        """The initial states, each made by `func` (`mx.sym.zeros`, `mx.sym.Variable`,
        `mx.sym.uniform`, ...) named `prefix + 'begin_state_%d'`.

        >>> states = mx.rnn.LSTMCell(4, prefix='l_').begin_state(func=mx.sym.Variable)
        >>> [s.name for s in states]
        ['l_begin_state_0', 'l_begin_state_1']
        """
        if self._modified:
            raise ArgumentError(MODIFIED)
        states = []
        for info in self.state_info:
            self._init_counter += 1
            if info is not None:
                kwargs.update(info)
            states.append(func(name=f"{self._prefix}begin_state_{self._init_counter}",
                               **kwargs))
        return states

    def unpack_weights(self, args: dict[str, nd.NDArray]) -> dict[str, nd.NDArray]:
        """`args` with this cell's stacked `i2h`/`h2h` weights and biases split into
        one array per gate (`lstm_i2h_f_weight`, ...), as `Module.get_params` gives them.

        >>> args = mx.rnn.LSTMCell(2, prefix='l_').unpack_weights(args)  # doctest: +SKIP
        """
        args = dict(args)
        if not self._gate_names:
            return args
        h = self._num_hidden  # type: ignore[attr-defined]
        for group in ("i2h", "h2h"):
            weight = args.pop(f"{self._prefix}{group}_weight")
            bias = args.pop(f"{self._prefix}{group}_bias")
            for j, gate in enumerate(self._gate_names):
                args[f"{self._prefix}{group}{gate}_weight"] = weight[j * h:(j + 1) * h].copy()
                args[f"{self._prefix}{group}{gate}_bias"] = bias[j * h:(j + 1) * h].copy()
        return args

    def pack_weights(self, args: dict[str, nd.NDArray]) -> dict[str, nd.NDArray]:
        """The inverse of `unpack_weights`: the gates' arrays stacked back into one.

        >>> args = mx.rnn.LSTMCell(2, prefix='l_').pack_weights(args)  # doctest: +SKIP
        """
        args = dict(args)
        if not self._gate_names:
            return args
        for group in ("i2h", "h2h"):
            for kind in ("weight", "bias"):
                parts = [args.pop(f"{self._prefix}{group}{gate}_{kind}")
                         for gate in self._gate_names]
                args[f"{self._prefix}{group}_{kind}"] = nd.concatenate(parts)
        return args

    def unroll(self, length: int, inputs: Any, begin_state: list | None = None,
               layout: str = "NTC", merge_outputs: bool | None = None) -> tuple[Any, list]:
        """Step the cell `length` times. `inputs` is one symbol with the time axis of
        `layout` or a list of `length` steps; the outputs come back as one symbol
        (`merge_outputs` True), a list (False) or whichever is at hand (None), with the
        final states.

        >>> cell = mx.rnn.LSTMCell(8)
        >>> out, states = cell.unroll(5, mx.sym.var('data'), layout='TNC')
        """
        self.reset()
        inputs, _ = normalize_sequence(length, inputs, layout, False)
        states = self.begin_state() if begin_state is None else begin_state
        outputs = []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
        outputs, _ = normalize_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, inputs: symbol.Symbol, activation: Any,
                        **kwargs: Any) -> symbol.Symbol:
        """`activation` applied: an `Activation` act_type by name, else called."""
        if isinstance(activation, str):
            return symbol.Activation(inputs, act_type=activation, **kwargs)
        return activation(inputs, **kwargs)
