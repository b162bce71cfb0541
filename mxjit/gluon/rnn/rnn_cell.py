"""Recurrent cells: each call is one time step, `cell(x, states) -> (output, new_states)`,
and `unroll` runs a cell over a sequence with a Python loop (traced once under a
hybridized parent, so the whole sequence is still one program). Stacks, bidirectional
pairs and the modifiers (dropout, zoneout, residual) are cells too.

    >>> cell = mx.gluon.rnn.LSTMCell(20); cell.initialize()  # doctest: +SKIP
    >>> outputs, states = cell.unroll(5, mx.nd.ones((4, 5, 8)))  # doctest: +SKIP
"""
from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ... import nd, symbol
from ...base import NotOverriddenError
from ..block import Block, HybridBlock, _indent
from ..nn import LeakyReLU
from ..parameter import ParameterDict

_MODIFIED = ("After applying modifier cells (e.g. ZoneoutCell) the base cell cannot be "
             "called directly. Call the modifier cell instead.")
#: Activations given by name that are operators of their own (others go to Activation).
_NAMED_ACTIVATIONS = ("tanh", "relu", "sigmoid", "softsign")


def _namespace(x: Any) -> Any:
    """`mx.sym` for a symbol (or a list of them), else `mx.nd`: the F of the cells."""
    first = x[0] if isinstance(x, (list, tuple)) and x else x
    return symbol if isinstance(first, symbol.Symbol) else nd


def _split_steps(x: Any, axis: int, length: int | None = None) -> list[Any]:
    """The slices of x along `axis`, that axis dropped (`length` of them: a symbol's)."""
    F = _namespace(x)
    steps = x.shape[axis] if F is nd else length
    if steps is None:
        raise AssertionError("unroll: the length must be given to unroll a symbol")
    parts = F.split(x, num_outputs=steps, axis=axis, squeeze_axis=True)
    return list(parts) if steps > 1 or F is symbol else [parts]


def _format_sequence(length: int | None, inputs: Any, layout: str, merge: bool | None
                     ) -> tuple[Any, int, int]:
    """(the sequence as one array when `merge`, as a list of steps when not `merge`, as it
    is when None; the time axis of `layout`; the batch size, 0 for symbols)."""
    if "T" not in layout or "N" not in layout:
        raise AssertionError(f"unroll: layout must name the time (T) and batch (N) axes, "
                             f"e.g. 'NTC' or 'TNC', got {layout!r}")
    axis, batch_axis = layout.find("T"), layout.find("N")
    if isinstance(inputs, symbol.Symbol):
        batch = 0
        if merge is False:
            inputs = _split_steps(inputs, axis, length)
    elif isinstance(inputs, nd.NDArray):
        if length is not None and length != inputs.shape[axis]:
            raise AssertionError(f"unroll: length {length} differs from the input's "
                                 f"{inputs.shape[axis]} steps (shape {inputs.shape}, layout "
                                 f"{layout})")
        batch = inputs.shape[batch_axis]
        if merge is False:
            inputs = _split_steps(inputs, axis)
    else:
        if length is not None and length != len(inputs):
            raise AssertionError(f"unroll: length {length} differs from the {len(inputs)} "
                                 f"steps given")
        F = _namespace(inputs)
        batch = inputs[0].shape[0] if F is nd else 0
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
    return inputs, axis, batch


def _mask_sequence_variable_length(data: Any, valid_length: Any, axis: int, merge: bool,
                                   length: int | None = None) -> Any:
    """The steps past each sequence's valid length set to 0."""
    F = _namespace(data)
    if isinstance(data, (list, tuple)):
        length = len(data)
        data = F.stack(*data, axis=axis)
    out = F.SequenceMask(data, sequence_length=valid_length, use_sequence_length=True,
                         axis=axis)
    return out if merge else _split_steps(out, axis, length)


def _reverse_sequences(steps: list[Any], valid_length: Any) -> list[Any]:
    """The steps in reverse order; with `valid_length`, each sequence reversed within its
    valid part (the padding stays at the end)."""
    if valid_length is None:
        return list(reversed(steps))
    F = _namespace(steps)
    reverse = F.SequenceReverse(F.stack(*steps, axis=0), sequence_length=valid_length,
                                use_sequence_length=True)
    return _split_steps(reverse, 0, len(steps))


def _get_begin_state(cell: RecurrentCell, begin_state: Any, inputs: Any, batch: int) -> Any:
    if begin_state is not None:
        return begin_state
    first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    if isinstance(first, symbol.Symbol):  # (batch 0: shape inference finds it)
        return cell.begin_state(batch_size=batch, func=symbol.zeros)
    return cell.begin_state(batch_size=batch, func=nd.zeros, ctx=first.context,
                            dtype=first.dtype)


class RecurrentCell(Block):
    """The base of recurrent cells: `state_info`, `begin_state` and `unroll` over a
    `forward(inputs, states)` that subclasses define.

    >>> class Identity(mx.gluon.rnn.RecurrentCell):  # doctest: +SKIP
    ...     def state_info(self, batch_size=0): return []
    ...     def forward(self, x, states): return x, states
    """

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None):
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self) -> None:
        """Forget what earlier unrolls left (state counters, a zoneout's last output)."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            cell.reset()  # type: ignore[attr-defined]

    def forward(self, inputs: Any, states: list[Any]) -> Any:
        """One time step: (output, new states). Steps are counted, so that the nodes of
        step t on symbols are named `t<t>_...` as MXNet names them.

        >>> out, states = cell(mx.nd.ones((2, 3)), cell.begin_state(2))  # doctest: +SKIP
        """
        self._counter += 1
        return super().forward(inputs, states)

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """The shape and layout of each state (override it)."""
        raise NotOverriddenError

    def begin_state(self, batch_size: int = 0, func: Callable[..., Any] = nd.zeros,
                    **kwargs: Any) -> list[Any]:
        """The initial states for a batch of `batch_size`, made by `func` (zeros by
        default; keywords such as `ctx` or `dtype` go to `func`).

        >>> h, c = mx.gluon.rnn.LSTMCell(8).begin_state(batch_size=4)  # doctest: +SKIP
        """
        if self._modified:
            raise AssertionError(_MODIFIED)
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            states.append(func(name=f"{self._prefix}begin_state_{self._init_counter}",
                               **dict(info, **kwargs)))
        return states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: Any = None
               ) -> tuple[Any, list[Any]]:
        """Run the cell over `length` steps of `inputs` (one array in `layout`, or a list
        of (batch, ...) steps) from `begin_state` (zeros by default). Returns the outputs
        (one array in `layout` when `merge_outputs`, a list of steps when False, either
        when None) and the final states. With `valid_length` (batch,), outputs past each
        sequence's length are 0 and its states are those of its last valid step.

        >>> out, states = cell.unroll(3, mx.nd.ones((2, 3, 4)))  # doctest: +SKIP
        """
        self.reset()
        steps, axis, batch = _format_sequence(length, inputs, layout, False)
        states = _get_begin_state(self, begin_state, steps, batch)
        outputs, every_state = [], []
        for x in steps:
            out, states = self(x, states)
            outputs.append(out)
            if valid_length is not None:
                every_state.append(states)
        if valid_length is not None:
            F = _namespace(outputs)
            states = [F.SequenceLast(F.stack(*history, axis=0), sequence_length=valid_length,
                                     use_sequence_length=True, axis=0)
                      for history in zip(*every_state)]
            outputs = _mask_sequence_variable_length(outputs, valid_length, axis, True)
        outputs, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, F: Any, inputs: Any, activation: Any, **kwargs: Any) -> Any:
        """`activation` applied to `inputs`: a name, a LeakyReLU block or a callable
        (`kwargs`: the node's `name` on symbols)."""
        if isinstance(activation, str):
            if activation in _NAMED_ACTIVATIONS:
                return getattr(F, activation)(inputs, **kwargs)
            return F.Activation(inputs, act_type=activation, **kwargs)
        if isinstance(activation, LeakyReLU):
            return F.LeakyReLU(inputs, act_type="leaky", slope=activation._alpha, **kwargs)
        return activation(inputs, **kwargs)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A recurrent cell that computes with `hybrid_forward(F, inputs, states, **params)`
    and can be hybridized.

    >>> class Decay(mx.gluon.rnn.HybridRecurrentCell):  # doctest: +SKIP
    ...     def state_info(self, batch_size=0): return [{'shape': (batch_size, 4)}]
    ...     def hybrid_forward(self, F, x, states): return x, [states[0] * 0.5 + x]
    """


class _GatedCell(HybridRecurrentCell):
    """RNNCell, LSTMCell and GRUCell: `gates` blocks of `hidden_size` rows in the
    input-to-hidden and hidden-to-hidden weights and biases."""

    _gates = 1
    _states = 1

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any,
                 h2h_weight_initializer: Any, i2h_bias_initializer: Any,
                 h2h_bias_initializer: Any, input_size: int, prefix: str | None,
                 params: ParameterDict | None):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        rows = self._gates * hidden_size
        self.i2h_weight = self.params.get("i2h_weight", shape=(rows, input_size),
                                          init=i2h_weight_initializer,
                                          allow_deferred_init=True)
        self.h2h_weight = self.params.get("h2h_weight", shape=(rows, hidden_size),
                                          init=h2h_weight_initializer,
                                          allow_deferred_init=True)
        self.i2h_bias = self.params.get("i2h_bias", shape=(rows,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get("h2h_bias", shape=(rows,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}
                for _ in range(self._states)]

    def infer_shape(self, x: Any, *args: Any) -> None:
        self.i2h_weight.shape = (self._gates * self._hidden_size, int(np.prod(x.shape[1:])))

    def _mapping(self) -> str:
        shape = self.i2h_weight.shape
        assert shape is not None
        return f"{shape[1] if shape[1] else None} -> {shape[0]}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()})"

    def _products(self, F: Any, inputs: Any, h: Any, i2h_weight: Any, h2h_weight: Any,
                  i2h_bias: Any, h2h_bias: Any) -> tuple[Any, Any]:
        rows, t = self._gates * self._hidden_size, self._step()
        return (F.FullyConnected(inputs, i2h_weight, i2h_bias, num_hidden=rows, name=t + "i2h"),
                F.FullyConnected(h, h2h_weight, h2h_bias, num_hidden=rows, name=t + "h2h"))

    def _step(self) -> str:
        """The prefix of this step's node names (`t0_`)."""
        return f"t{self._counter}_"


class RNNCell(_GatedCell):
    """An Elman RNN cell: h' = activation(W_i x + b_i + W_h h + b_h), `activation` a
    name ('tanh', 'relu', ...), a LeakyReLU block or a callable.

    >>> cell = mx.gluon.rnn.RNNCell(10, activation='relu'); cell.initialize()  # doctest: +SKIP
    >>> out, [h] = cell(mx.nd.ones((2, 3)), cell.begin_state(batch_size=2))  # doctest: +SKIP
    """

    def __init__(self, hidden_size: int, activation: Any = "tanh",
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 input_size: int = 0, prefix: str | None = None,
                 params: ParameterDict | None = None):
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
                         params)
        self._activation = activation

    def _alias(self) -> str:
        return "rnn"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()}, {self._activation})"

    def hybrid_forward(self, F: Any, inputs: Any, states: list[Any], i2h_weight: Any,
                       h2h_weight: Any, i2h_bias: Any, h2h_bias: Any) -> Any:
        i2h, h2h = self._products(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                  h2h_bias)
        t = self._step()
        output = self._get_activation(F, F.elemwise_add(i2h, h2h, name=t + "plus0"),
                                      self._activation, name=t + "out")
        return output, [output]


class LSTMCell(_GatedCell):
    """An LSTM cell: gates i, f, g, o from W_i x + b_i + W_h h + b_h (stacked in that
    order), c' = f c + i g and h' = o activation(c'). States [h, c].

    >>> cell = mx.gluon.rnn.LSTMCell(10); cell.initialize()  # doctest: +SKIP
    >>> out, [h, c] = cell(mx.nd.ones((2, 3)), cell.begin_state(batch_size=2))  # doctest: +SKIP
    """

    _gates = 4
    _states = 2

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: str | None = None, params: ParameterDict | None = None,
                 activation: Any = "tanh", recurrent_activation: Any = "sigmoid"):
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
                         params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def _alias(self) -> str:
        return "lstm"

    def hybrid_forward(self, F: Any, inputs: Any, states: list[Any], i2h_weight: Any,
                       h2h_weight: Any, i2h_bias: Any, h2h_bias: Any) -> Any:
        i2h, h2h = self._products(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                                  h2h_bias)
        t, gate = self._step(), self._recurrent_activation
        gates = F.SliceChannel(F.elemwise_add(i2h, h2h, name=t + "plus0"), num_outputs=4,
                               name=t + "slice")
        i = self._get_activation(F, gates[0], gate, name=t + "i")
        f = self._get_activation(F, gates[1], gate, name=t + "f")
        g = self._get_activation(F, gates[2], self._activation, name=t + "c")
        o = self._get_activation(F, gates[3], gate, name=t + "o")
        next_c = F.elemwise_add(F.elemwise_mul(f, states[1], name=t + "mul0"),
                                F.elemwise_mul(i, g, name=t + "mul1"), name=t + "state")
        # (MXNet applies the cell activation by Activation, whatever its name)
        squashed = (F.Activation(next_c, act_type=self._activation, name=t + "activation0")
                    if isinstance(self._activation, str) else
                    self._get_activation(F, next_c, self._activation, name=t + "activation0"))
        next_h = F.elemwise_mul(o, squashed, name=t + "out")
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    """A GRU cell in cuDNN's form: r, z = sigmoid(...), n = tanh(W_in x + b_in +
    r (W_hn h + b_hn)), h' = (1 - z) n + z h.

    >>> cell = mx.gluon.rnn.GRUCell(10); cell.initialize()  # doctest: +SKIP
    >>> out, [h] = cell(mx.nd.ones((2, 3)), cell.begin_state(batch_size=2))  # doctest: +SKIP
    """

    _gates = 3

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: str | None = None, params: ParameterDict | None = None):
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
                         params)

    def _alias(self) -> str:
        return "gru"

    def hybrid_forward(self, F: Any, inputs: Any, states: list[Any], i2h_weight: Any,
                       h2h_weight: Any, i2h_bias: Any, h2h_bias: Any) -> Any:
        h, t = states[0], self._step()
        i2h, h2h = self._products(F, inputs, h, i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        i2h_r, i2h_z, i2h_n = F.SliceChannel(i2h, num_outputs=3, name=t + "i2h_slice")
        h2h_r, h2h_z, h2h_n = F.SliceChannel(h2h, num_outputs=3, name=t + "h2h_slice")
        reset = F.Activation(F.elemwise_add(i2h_r, h2h_r, name=t + "plus0"),
                             act_type="sigmoid", name=t + "r_act")
        update = F.Activation(F.elemwise_add(i2h_z, h2h_z, name=t + "plus1"),
                              act_type="sigmoid", name=t + "z_act")
        new = F.Activation(F.elemwise_add(i2h_n, F.elemwise_mul(reset, h2h_n, name=t + "mul0"),
                                          name=t + "plus2"), act_type="tanh", name=t + "h_act")
        keep = F.elemwise_sub(F.ones_like(update, name=t + "ones_like0"), update,
                              name=t + "minus0")
        next_h = F.elemwise_add(F.elemwise_mul(keep, new, name=t + "mul1"),
                                F.elemwise_mul(update, h, name=t + "mul20"), name=t + "out")
        return next_h, [next_h]


def _cells_repr(block: Block) -> str:
    body = "\n".join(f"({key}): {_indent(repr(cell), 2)}"
                     for key, cell in block._children.items())
    return f"{type(block).__name__}(\n{body}\n)"


class _CellGroup:
    """Cells made of child cells, whose states are the children's states one after the
    other."""

    _children: Any
    _modified: bool

    def _cells(self) -> list[Any]:
        return list(self._children.values())

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return sum((c.state_info(batch_size) for c in self._cells()), [])

    def begin_state(self, batch_size: int = 0, func: Callable[..., Any] = nd.zeros,
                    **kwargs: Any) -> list[Any]:
        if self._modified:
            raise AssertionError(_MODIFIED)
        return sum((c.begin_state(batch_size=batch_size, func=func, **kwargs)
                    for c in self._cells()), [])


class _CellStack(_CellGroup):
    """What the two sequential cells share: each cell's output is the next one's input."""

    def add(self, cell: RecurrentCell) -> None:
        """Append a cell to the stack.

        >>> stack.add(mx.gluon.rnn.LSTMCell(10))  # doctest: +SKIP
        """
        self.register_child(cell)  # type: ignore[attr-defined]

    def _cells_with_states(self, states: list[Any]) -> Iterable[tuple[Any, list[Any]]]:
        """Each cell with its slice of `states`."""
        start = 0
        for cell in self._cells():
            n = len(cell.state_info())
            yield cell, states[start:start + n]
            start += n

    def forward(self, inputs: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        self._counter += 1  # type: ignore[attr-defined]
        if any(isinstance(cell, BidirectionalCell) for cell in self._cells()):
            raise AssertionError(f"{type(self).__name__}: a BidirectionalCell cannot be "
                                 f"stepped; call unroll instead")
        next_states: list[Any] = []
        for cell, own in self._cells_with_states(states):
            inputs, new = cell(inputs, own)
            next_states += new
        return inputs, next_states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: Any = None
               ) -> tuple[Any, list[Any]]:
        self.reset()  # type: ignore[attr-defined]
        inputs, _, batch = _format_sequence(length, inputs, layout, None)
        begin_state = _get_begin_state(self, begin_state, inputs,  # type: ignore[arg-type]
                                       batch)
        last = len(self._children) - 1
        next_states: list[Any] = []
        for k, (cell, own) in enumerate(self._cells_with_states(begin_state)):
            inputs, new = cell.unroll(length, inputs, own, layout,
                                      merge_outputs if k == last else None, valid_length)
            next_states += new
        return inputs, next_states

    def __getitem__(self, i: int) -> Any:
        return self._children[str(i)]

    def __len__(self) -> int:
        return len(self._children)

    def __repr__(self) -> str:
        return _cells_repr(self)  # type: ignore[arg-type]


class SequentialRNNCell(_CellStack, RecurrentCell):
    """Cells stacked: each cell's output is the next cell's input.

    >>> stack = mx.gluon.rnn.SequentialRNNCell()  # doctest: +SKIP
    >>> with stack.name_scope():  # doctest: +SKIP
    ...     stack.add(mx.gluon.rnn.LSTMCell(10)); stack.add(mx.gluon.rnn.GRUCell(10))
    """


class HybridSequentialRNNCell(_CellStack, HybridRecurrentCell):
    """Hybrid cells stacked; hybridizes as one program.

    >>> stack = mx.gluon.rnn.HybridSequentialRNNCell()  # doctest: +SKIP
    >>> stack.add(mx.gluon.rnn.LSTMCell(10)); stack.hybridize()  # doctest: +SKIP
    """


class DropoutCell(HybridRecurrentCell):
    """Dropout on the inputs, states passed through; the identity when predicting.

    >>> stack.add(mx.gluon.rnn.DropoutCell(0.5))  # doctest: +SKIP
    """

    def __init__(self, rate: float, axes: tuple[int, ...] = (), prefix: str | None = None,
                 params: ParameterDict | None = None):
        super().__init__(prefix, params)
        if not isinstance(rate, numbers.Number):
            raise AssertionError("rate must be a number")
        self._rate = rate
        self._axes = axes

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rate={self._rate}, axes={self._axes})"

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return []

    def _alias(self) -> str:
        return "dropout"

    def hybrid_forward(self, F: Any, inputs: Any, states: list[Any]) -> Any:
        if self._rate > 0:
            inputs = F.Dropout(inputs, p=self._rate, axes=self._axes,
                               name=f"t{self._counter}_fwd")
        return inputs, states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: Any = None
               ) -> tuple[Any, list[Any]]:
        self.reset()
        inputs, _, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if isinstance(inputs, (nd.NDArray, symbol.Symbol)):  # (one dropout for the sequence)
            return self(inputs, begin_state or [])
        return super().unroll(length, inputs, begin_state, layout, merge_outputs)


class ModifierCell(HybridRecurrentCell):
    """The base of cells that wrap another cell and change what it computes; the wrapped
    cell is then used only through the modifier.

    >>> class Doubled(mx.gluon.rnn.ModifierCell):  # doctest: +SKIP
    ...     def hybrid_forward(self, F, x, states):
    ...         out, states = self.base_cell(x, states); return out * 2, states
    """

    def __init__(self, base_cell: RecurrentCell):
        if base_cell._modified:
            raise AssertionError(f"Cell {base_cell.name} is already modified. One cell cannot "
                                 f"be modified twice")
        super().__init__(prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell
        base_cell._modified = True

    @property
    def params(self) -> ParameterDict:
        return self.base_cell.params

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        return self.base_cell.state_info(batch_size)

    def begin_state(self, batch_size: int = 0, func: Callable[..., Any] = nd.zeros,
                    **kwargs: Any) -> list[Any]:
        if self._modified:
            raise AssertionError(_MODIFIED)
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(batch_size=batch_size, func=func, **kwargs)
        finally:
            self.base_cell._modified = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_cell!r})"


class ZoneoutCell(ModifierCell):
    """Zoneout: in training, each output (state) element keeps its previous value with
    probability `zoneout_outputs` (`zoneout_states`) instead of taking the new one.

    >>> cell = mx.gluon.rnn.ZoneoutCell(mx.gluon.rnn.LSTMCell(10), 0.2, 0.1)  # doctest: +SKIP
    """

    def __init__(self, base_cell: RecurrentCell, zoneout_outputs: float = 0.0,
                 zoneout_states: float = 0.0):
        if isinstance(base_cell, BidirectionalCell):
            raise AssertionError("BidirectionalCell doesn't support zoneout since it doesn't "
                                 "support step. Please add ZoneoutCell to the cells underneath "
                                 "instead.")
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p_out={self.zoneout_outputs}, "
                f"p_state={self.zoneout_states}, {self.base_cell!r})")

    def _alias(self) -> str:
        return "zoneout"

    def reset(self) -> None:
        super().reset()
        self._prev_output = None

    def hybrid_forward(self, F: Any, inputs: Any, states: list[Any]) -> Any:
        output, new_states = self.base_cell(inputs, states)

        def keep_new(p: float, like: Any) -> Any:
            # (Dropout of ones: nonzero where the new value is kept, all ones when predicting)
            return F.Dropout(F.ones_like(like), p=p)

        prev = self._prev_output if self._prev_output is not None else F.zeros_like(output)
        if self.zoneout_outputs != 0:
            output = F.where(keep_new(self.zoneout_outputs, output), output, prev)
        if self.zoneout_states != 0:
            new_states = [F.where(keep_new(self.zoneout_states, new), new, old)
                          for new, old in zip(new_states, states)]
        self._prev_output = output
        return output, new_states


class ResidualCell(ModifierCell):
    """Adds the cell's input to its output (Wu et al., 2016).

    >>> cell = mx.gluon.rnn.ResidualCell(mx.gluon.rnn.GRUCell(8, input_size=8))  # doctest: +SKIP
    """

    def hybrid_forward(self, F: Any, inputs: Any, states: list[Any]) -> Any:
        output, states = self.base_cell(inputs, states)
        return F.elemwise_add(output, inputs, name=f"t{self._counter}_fwd"), states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: Any = None
               ) -> tuple[Any, list[Any]]:
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs, begin_state, layout,
                                                    merge_outputs, valid_length)
        finally:
            self.base_cell._modified = True
        merge = (isinstance(outputs, (nd.NDArray, symbol.Symbol)) if merge_outputs is None
                 else merge_outputs)
        inputs, axis, _ = _format_sequence(length, inputs, layout, merge)
        if valid_length is not None:
            inputs = _mask_sequence_variable_length(inputs, valid_length, axis, merge, length)
        F = _namespace(outputs)
        if merge:
            return F.elemwise_add(outputs, inputs), states
        return [F.elemwise_add(o, x) for o, x in zip(outputs, inputs)], states


class BidirectionalCell(_CellGroup, HybridRecurrentCell):
    """Two cells over a sequence, `l_cell` forward and `r_cell` backward, their outputs
    joined along the features; only `unroll` runs it (it has no single step).

    >>> bi = mx.gluon.rnn.BidirectionalCell(mx.gluon.rnn.LSTMCell(8),  # doctest: +SKIP
    ...                                     mx.gluon.rnn.LSTMCell(8))
    >>> out, states = bi.unroll(5, mx.nd.ones((2, 5, 3)), merge_outputs=True)  # doctest: +SKIP
    """

    def __init__(self, l_cell: RecurrentCell, r_cell: RecurrentCell,
                 output_prefix: str = "bi_"):
        super().__init__(prefix="", params=None)
        self._output_prefix = output_prefix  # (of the joined outputs' node names)
        self.register_child(l_cell, "l_cell")
        self.register_child(r_cell, "r_cell")

    def forward(self, inputs: Any, states: list[Any]) -> Any:
        raise NotOverriddenError("Bidirectional cannot be stepped. Please use unroll")

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(forward={self._children['l_cell']!r}, "
                f"backward={self._children['r_cell']!r})")

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: bool | None = None, valid_length: Any = None
               ) -> tuple[Any, list[Any]]:
        self.reset()
        steps, axis, batch = _format_sequence(length, inputs, layout, False)
        states = _get_begin_state(self, begin_state, steps, batch)
        l_cell, r_cell = self._cells()
        n = len(l_cell.state_info(batch))
        l_out, l_states = l_cell.unroll(length, steps, states[:n], layout, merge_outputs,
                                        valid_length)
        r_out, r_states = r_cell.unroll(length, _reverse_sequences(steps, valid_length),
                                        states[n:], layout, False, valid_length)
        merge = (isinstance(l_out, (nd.NDArray, symbol.Symbol)) if merge_outputs is None
                 else merge_outputs)
        l_out, _, _ = _format_sequence(None, l_out, layout, merge)
        r_out, _, _ = _format_sequence(None, _reverse_sequences(r_out, valid_length), layout,
                                       merge)
        F, prefix = _namespace(steps), self._output_prefix
        if merge:
            outputs = F.concat(l_out, r_out, dim=2, name=f"{prefix}out")
        else:
            outputs = [F.concat(a, b, dim=1, name=f"{prefix}t{k}")
                       for k, (a, b) in enumerate(zip(l_out, r_out))]
        if valid_length is not None:
            outputs = _mask_sequence_variable_length(outputs, valid_length, axis, merge, length)
        return outputs, l_states + r_states
