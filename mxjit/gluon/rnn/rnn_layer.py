"""The fused recurrent layers RNN, LSTM and GRU: each keeps MXNet's per-gate parameters
(`l0_i2h_weight`, ..., `r0_h2h_bias` for the reverse direction, `l0_h2r_weight` for an
LSTM's projection) and calls the one `mx.nd.RNN` operator over them, joined into the
operator's flat vector. Under `hybridize()` the whole sequence is one compiled program.
On symbols (and so in `export`) the layer is MXNet's graph: the parameters flattened and
joined by `_rnn_param_concat` into one `RNN` node, between two `SwapAxis` for 'NTC'.

    >>> layer = mx.gluon.rnn.LSTM(100, num_layers=2, layout='NTC')  # doctest: +SKIP
    >>> layer.initialize(); out = layer(mx.nd.ones((4, 35, 20)))  # doctest: +SKIP
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ... import nd, symbol
from ...base import MXNetKeyError, ShapeError, UnsupportedError
from ...core.operators import lookup
from ...symbol import Symbol
from ...symbol.namespace import make_function
from ..block import HybridBlock
from ..parameter import Parameter
from . import rnn_cell

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}
_PARAM_NAME = re.compile(r"(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z")
#: MXNet's `F._internal._rnn_param_concat` on symbols: the node exported graphs join the
#: flattened parameters with (on arrays, `concat` computes the same)
_rnn_param_concat = make_function(lookup("_rnn_param_concat"), "_rnn_param_concat")


class _RNNLayer(HybridBlock):
    """What RNN, LSTM and GRU share: parameters, states, layouts, the call of `nd.RNN`."""

    def __init__(self, hidden_size: int, num_layers: int, layout: str, dropout: float,
                 bidirectional: bool, input_size: int, i2h_weight_initializer: Any,
                 h2h_weight_initializer: Any, i2h_bias_initializer: Any,
                 h2h_bias_initializer: Any, mode: str, projection_size: int | None,
                 h2r_weight_initializer: Any, lstm_state_clip_min: float | None,
                 lstm_state_clip_max: float | None, lstm_state_clip_nan: bool, dtype: Any,
                 use_sequence_length: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if layout not in ("TNC", "NTC"):
            raise AssertionError(f"Invalid layout {layout}; must be one of ['TNC' or 'NTC']")
        if mode not in _GATES:
            raise MXNetKeyError(f"unknown recurrent mode {mode!r}: RNN's activation is 'relu' or "
                           f"'tanh'")
        self._hidden_size = hidden_size
        self._projection_size = projection_size or None
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._clip = (lstm_state_clip_min, lstm_state_clip_max, lstm_state_clip_nan)
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self._skip_states = False
        self._gates = _GATES[mode]
        self._input_size = input_size
        self._initializers = {"i2h_weight_initializer": i2h_weight_initializer,
                              "h2h_weight_initializer": h2h_weight_initializer,
                              "i2h_bias_initializer": i2h_bias_initializer,
                              "h2h_bias_initializer": h2h_bias_initializer}
        rows = self._gates * hidden_size
        state = self._projection_size or hidden_size
        inputs = input_size
        for layer in range(num_layers):
            for d in "lr"[:self._dir]:
                name = f"{d}{layer}_"
                self._register(name + "i2h_weight", (rows, inputs), i2h_weight_initializer)
                self._register(name + "h2h_weight", (rows, state), h2h_weight_initializer)
                self._register(name + "i2h_bias", (rows,), i2h_bias_initializer)
                self._register(name + "h2h_bias", (rows,), h2h_bias_initializer)
                if self._projection_size:
                    self._register(name + "h2r_weight", (state, hidden_size),
                                   h2r_weight_initializer)
            inputs = state * self._dir

    def _unfuse(self) -> Any:
        """This layer as a stack of cells over the same parameters (MXNet's `_unfuse`, with
        which MXNet's tests check a fused layer against its cells): cells `l0_`, `r0_`, ...
        in a HybridSequentialRNNCell, bidirectional layers as BidirectionalCells, dropout
        between layers as DropoutCells.

        >>> cells = mx.gluon.rnn.LSTM(4, num_layers=2)._unfuse()  # doctest: +SKIP
        >>> out, states = cells.unroll(3, x, layout='TNC', merge_outputs=True)  # doctest: +SKIP
        """
        if self._projection_size or self._clip[0] is not None or self._clip[1] is not None:
            raise UnsupportedError("_unfuse does not support a projection or state clipping "
                                   "(as in MXNet)")
        hidden = self._hidden_size

        def cell(**kwargs: Any) -> Any:
            if self._mode == "lstm":
                return rnn_cell.LSTMCell(hidden, **kwargs)
            if self._mode == "gru":
                return rnn_cell.GRUCell(hidden, **kwargs)
            return rnn_cell.RNNCell(hidden, activation=self._mode[4:], **kwargs)

        stack = rnn_cell.HybridSequentialRNNCell(prefix=self.prefix, params=self.params)
        with stack.name_scope():
            inputs = self._input_size
            for i in range(self._num_layers):
                kwargs = dict(input_size=inputs, **self._initializers)
                if self._dir == 2:
                    stack.add(rnn_cell.BidirectionalCell(cell(prefix=f"l{i}_", **kwargs),
                                                         cell(prefix=f"r{i}_", **kwargs)))
                else:
                    stack.add(cell(prefix=f"l{i}_", **kwargs))
                if self._dropout > 0 and i != self._num_layers - 1:
                    stack.add(rnn_cell.DropoutCell(self._dropout))
                inputs = hidden * self._dir
        return stack

    def _register(self, name: str, shape: tuple[int, ...], init: Any) -> None:
        setattr(self, name, self.params.get(name, shape=shape, init=init, dtype=self._dtype,
                                            allow_deferred_init=True))

    def __repr__(self) -> str:
        shape = self._reg_params["l0_i2h_weight"].shape
        assert shape is not None
        text = (f"{type(self).__name__}({shape[1] if shape[1] else None} -> "
                f"{shape[0] // self._gates}, {self._layout}")
        if self._num_layers != 1:
            text += f", num_layers={self._num_layers}"
        if self._dropout != 0:
            text += f", dropout={self._dropout}"
        if self._dir == 2:
            text += ", bidirectional"
        return text + ")"

    def _collect_params_with_prefix(self, prefix: str = "") -> dict[str, Parameter]:
        # MXNet saves these parameters under the names of the equivalent stack of cells
        # (`_unfused.0.l_cell.i2h_weight`), and its files are read back by those names.
        if prefix:
            prefix += "."
        out = {}
        for key, param in self._reg_params.items():
            match = _PARAM_NAME.match(key)
            assert match is not None, key
            d, layer, group, kind = match.groups()
            cell = f"{d}_cell." if self._dir == 2 else ""
            out[f"{prefix}_unfused.{layer}.{cell}{group}_{kind}"] = param
        return out

    def infer_shape(self, x: Any, *args: Any) -> None:
        for d in "lr"[:self._dir]:
            weight = getattr(self, f"{d}0_i2h_weight")
            weight.shape = (weight.shape[0], x.shape[2])

    def cast(self, dtype: Any) -> None:
        super().cast(dtype)
        self._dtype = dtype

    def state_info(self, batch_size: int = 0) -> list[dict[str, Any]]:
        """The shape, layout and dtype of each begin state (LSTM: hidden, then cell).

        >>> mx.gluon.rnn.GRU(8, num_layers=2).state_info(4)[0]['shape']  # doctest: +SKIP
        (2, 4, 8)
        """
        layers = self._num_layers * self._dir
        sizes = [self._projection_size or self._hidden_size]
        if self._mode == "lstm":
            sizes.append(self._hidden_size)
        return [{"shape": (layers, batch_size, size), "__layout__": "LNC",
                 "dtype": self._dtype} for size in sizes]

    def begin_state(self, batch_size: int = 0, func: Callable[..., Any] = nd.zeros,
                    **kwargs: Any) -> list[Any]:
        """The initial states for a batch of `batch_size`, made by `func` (zeros by
        default; keywords such as `ctx` or `dtype` go to `func`).

        >>> h0, c0 = lstm.begin_state(batch_size=4, func=mx.nd.ones)  # doctest: +SKIP
        """
        states = []
        for k, info in enumerate(self.state_info(batch_size)):
            info.update(kwargs)
            states.append(func(name=f"{self.prefix}h0_{k}", **info))
        return states

    def __call__(self, inputs: Any, states: Any = None, sequence_length: Any = None) -> Any:
        """The outputs for `inputs` alone when no `states` are given (zeros are used), else
        `(outputs, new_states)`; `sequence_length` is for `use_sequence_length=True`.
        """
        symbolic = isinstance(inputs, Symbol)
        if not symbolic and inputs.ndim != 3:
            raise ShapeError(f"{type(self).__name__}: the input must be 3-D ({self._layout}), "
                             f"got shape {inputs.shape}")
        self._skip_states = states is None
        if self._skip_states and symbolic:  # (batch 0: shape inference finds it from x)
            states = self.begin_state(0, func=symbol.zeros)
        elif self._skip_states:
            batch = inputs.shape[self._layout.find("N")]
            states = self.begin_state(batch, ctx=inputs.context, dtype=inputs.dtype)
        if isinstance(states, (nd.NDArray, Symbol)):
            states = [states]
        args: tuple[Any, ...] = (inputs, list(states))
        if self._use_sequence_length:
            args += (sequence_length,)
        return super().__call__(*args)

    def _call(self, *args: Any) -> Any:
        # (the states are dropped after the compiled program, which returns them either way,
        # so that one program serves calls with and without states; forward hooks see what
        # the caller gets, as in MXNet)
        out = super()._call(*args)
        return out[0] if self._skip_states else out

    def hybrid_forward(self, F: Any, x: Any, states: Any, sequence_length: Any = None,
                       **params: Any) -> Any:
        expected = len(self.state_info())
        if len(states) != expected:
            raise ShapeError(f"{type(self).__name__} takes {expected} state array(s), got "
                             f"{len(states)}")
        if F is nd:
            for state, info in zip(states, self.state_info(x.shape[self._layout.find("N")])):
                if state.shape != info["shape"]:
                    raise ShapeError(f"Invalid recurrent state shape. Expecting "
                                     f"{info['shape']}, got {state.shape}.")
        if self._layout == "NTC":
            x = F.swapaxes(x, dim1=0, dim2=1)
        # (inputs by keyword: a symbol function takes no None for an absent one)
        inputs = {"state": states[0]}
        if self._mode == "lstm":
            inputs["state_cell"] = states[1]
        if self._use_sequence_length:
            inputs["sequence_length"] = sequence_length
        out = F.RNN(x, self._flat_parameters(F, params), **inputs,
                    state_size=self._hidden_size, num_layers=self._num_layers,
                    bidirectional=self._dir == 2, mode=self._mode, p=self._dropout,
                    state_outputs=True, projection_size=self._projection_size,
                    lstm_state_clip_min=self._clip[0], lstm_state_clip_max=self._clip[1],
                    lstm_state_clip_nan=self._clip[2],
                    use_sequence_length=self._use_sequence_length)
        outputs, new_states = out[0], list(out[1:])
        if self._layout == "NTC":
            outputs = F.swapaxes(outputs, dim1=0, dim2=1)
        return outputs, new_states

    def _flat_parameters(self, F: Any, params: dict[str, Any]) -> Any:
        """The parameters in `nd.RNN`'s order: every weight (layer by layer, direction by
        direction: i2h, h2h, h2r), then every bias (i2h, h2h)."""
        groups = {"weight": ("i2h", "h2h", "h2r") if self._projection_size else ("i2h", "h2h"),
                  "bias": ("i2h", "h2h")}
        pieces = [F.reshape(params[f"{d}{layer}_{group}_{kind}"], shape=-1)
                  for kind in ("weight", "bias") for layer in range(self._num_layers)
                  for d in "lr"[:self._dir] for group in groups[kind]]
        concat = F.concat if F is nd else _rnn_param_concat
        return concat(*pieces, dim=0)


class RNN(_RNNLayer):
    """A stack of Elman RNN layers: h_t = activation(W_i x_t + b_i + W_h h_{t-1} + b_h),
    with `activation` 'relu' or 'tanh'. Input (T, N, C) for layout 'TNC' (default) or
    (N, T, C) for 'NTC'; `states` one array (layers * directions, N, hidden_size).

    >>> layer = mx.gluon.rnn.RNN(100, num_layers=3); layer.initialize()  # doctest: +SKIP
    >>> out, hn = layer(mx.nd.ones((5, 3, 10)), mx.nd.zeros((3, 3, 100)))  # doctest: +SKIP
    """

    def __init__(self, hidden_size: int, num_layers: int = 1, activation: str = "relu",
                 layout: str = "TNC", dropout: float = 0, bidirectional: bool = False,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 input_size: int = 0, dtype: Any = "float32", **kwargs: Any):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "rnn_" + activation,
                         None, None, None, None, False, dtype, **kwargs)


class LSTM(_RNNLayer):
    """A stack of LSTM layers (gates i, f, g, o; c_t = f c_{t-1} + i g, h_t = o tanh(c_t)).
    `states` is [h0, c0], each (layers * directions, N, hidden_size); with
    `projection_size` P, h is projected to P features by `h2r_weight` (LSTMP) and h0 is
    (layers * directions, N, P). `state_clip_min/max` clip the cell state at each step.

    >>> layer = mx.gluon.rnn.LSTM(100, num_layers=2, layout='NTC')  # doctest: +SKIP
    >>> layer.initialize(); out = layer(mx.nd.ones((3, 5, 10)))  # doctest: +SKIP
    """

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, input_size: int = 0,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 projection_size: int | None = None, h2r_weight_initializer: Any = None,
                 state_clip_min: float | None = None, state_clip_max: float | None = None,
                 state_clip_nan: bool = False, dtype: Any = "float32", **kwargs: Any):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "lstm", projection_size,
                         h2r_weight_initializer, state_clip_min, state_clip_max,
                         state_clip_nan, dtype, **kwargs)


class GRU(_RNNLayer):
    """A stack of GRU layers in cuDNN's form (the reset gate scales the recurrent product
    after its bias): n_t = tanh(W_in x_t + b_in + r_t (W_hn h_{t-1} + b_hn)),
    h_t = (1 - z_t) n_t + z_t h_{t-1}. `states` is one array.

    >>> layer = mx.gluon.rnn.GRU(100, bidirectional=True); layer.initialize()  # doctest: +SKIP
    >>> out = layer(mx.nd.ones((5, 3, 10)))  # doctest: +SKIP
    """

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, input_size: int = 0,
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 dtype: Any = "float32", **kwargs: Any):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, "gru", None, None, None,
                         None, False, dtype, **kwargs)
