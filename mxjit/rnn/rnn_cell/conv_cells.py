"""Convolutional RNN cells (Shi et al. 2015): the RNN, LSTM and GRU steps with
convolutions in place of the FullyConnected layers, over NCHW (or `conv_layout`) maps."""
from __future__ import annotations

import functools
from typing import Any

from ... import symbol
from ...base import ParamError
from .base_cell import BaseRNNCell
from .cells import lstm_step
from .params import RNNParams

_LEAKY: Any = functools.partial(symbol.LeakyReLU,  # type: ignore[misc]
                                act_type="leaky", slope=0.2)


class BaseConvRNNCell(BaseRNNCell):
    """What the convolutional cells share: the `i2h` convolution (any kernel, stride,
    pad, dilation) and the `h2h` one (an odd kernel, padded to keep the state's size);
    the state's shape is the `i2h` output's for `input_shape`.

    >>> cell = mx.rnn.ConvLSTMCell((1, 3, 16, 10), num_hidden=10)
    """

    def __init__(self, input_shape: tuple[int, ...], num_hidden: int,
                 h2h_kernel: tuple[int, int], h2h_dilate: tuple[int, int],
                 i2h_kernel: tuple[int, int], i2h_stride: tuple[int, int],
                 i2h_pad: tuple[int, int], i2h_dilate: tuple[int, int],
                 i2h_weight_initializer: Any, h2h_weight_initializer: Any,
                 i2h_bias_initializer: Any, h2h_bias_initializer: Any, activation: Any,
                 prefix: str = "", params: RNNParams | None = None,
                 conv_layout: str = "NCHW") -> None:
        super().__init__(prefix=prefix, params=params)
        if h2h_kernel[0] % 2 != 1 or h2h_kernel[1] % 2 != 1:
            raise ParamError(f"Only support odd number, get h2h_kernel= {h2h_kernel}")
        self._h2h_kernel = h2h_kernel
        self._h2h_pad = (h2h_dilate[0] * (h2h_kernel[0] - 1) // 2,
                         h2h_dilate[1] * (h2h_kernel[1] - 1) // 2)
        self._h2h_dilate = h2h_dilate
        self._i2h_kernel = i2h_kernel
        self._i2h_stride = i2h_stride
        self._i2h_pad = i2h_pad
        self._i2h_dilate = i2h_dilate
        self._num_hidden = num_hidden
        self._input_shape = input_shape
        self._conv_layout = conv_layout
        self._activation = activation
        probe = symbol.Convolution(data=symbol.Variable("data"), num_filter=num_hidden,
                                   kernel=i2h_kernel, stride=i2h_stride, pad=i2h_pad,
                                   dilate=i2h_dilate, layout=conv_layout)
        out_shape = probe.infer_shape(data=input_shape)[1][0]
        self._state_shape = (0,) + tuple(out_shape[1:])
        self._iW = self.params.get("i2h_weight", init=i2h_weight_initializer)
        self._hW = self.params.get("h2h_weight", init=h2h_weight_initializer)
        self._iB = self.params.get("i2h_bias", init=i2h_bias_initializer)
        self._hB = self.params.get("h2h_bias", init=h2h_bias_initializer)

    @property
    def _num_gates(self) -> int:
        return len(self._gate_names)

    @property
    def state_info(self) -> list:
        info = {"shape": self._state_shape, "__layout__": self._conv_layout}
        return [info, dict(info)]

    def _conv_forward(self, inputs: symbol.Symbol, states: list,
                      name: str) -> tuple[symbol.Symbol, symbol.Symbol]:
        filters = self._num_hidden * self._num_gates
        i2h = symbol.Convolution(name=f"{name}i2h", data=inputs, num_filter=filters,
                                 kernel=self._i2h_kernel, stride=self._i2h_stride,
                                 pad=self._i2h_pad, dilate=self._i2h_dilate,
                                 weight=self._iW, bias=self._iB, layout=self._conv_layout)
        h2h = symbol.Convolution(name=f"{name}h2h", data=states[0], num_filter=filters,
                                 kernel=self._h2h_kernel, dilate=self._h2h_dilate,
                                 pad=self._h2h_pad, stride=(1, 1), weight=self._hW,
                                 bias=self._hB, layout=self._conv_layout)
        return i2h, h2h


class ConvRNNCell(BaseConvRNNCell):
    """A convolutional Elman cell: `h' = activation(conv(x) + conv(h))`.

    >>> cell = mx.rnn.ConvRNNCell((1, 3, 16, 10), num_hidden=10, prefix='rnn_')
    """

    def __init__(self, input_shape: tuple[int, ...], num_hidden: int,
                 h2h_kernel: tuple[int, int] = (3, 3), h2h_dilate: tuple[int, int] = (1, 1),
                 i2h_kernel: tuple[int, int] = (3, 3), i2h_stride: tuple[int, int] = (1, 1),
                 i2h_pad: tuple[int, int] = (1, 1), i2h_dilate: tuple[int, int] = (1, 1),
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 activation: Any = _LEAKY, prefix: str = "ConvRNN_",
                 params: RNNParams | None = None, conv_layout: str = "NCHW") -> None:
        super().__init__(input_shape, num_hidden, h2h_kernel, h2h_dilate, i2h_kernel,
                         i2h_stride, i2h_pad, i2h_dilate, i2h_weight_initializer,
                         h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                         activation, prefix=prefix, params=params, conv_layout=conv_layout)

    @property
    def _gate_names(self) -> tuple[str, ...]:
        return ("",)

    @property
    def state_info(self) -> list:
        return [{"shape": self._state_shape, "__layout__": self._conv_layout}]

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        name = self._next_step_name()
        i2h, h2h = self._conv_forward(inputs, states, name)
        output = self._get_activation(i2h + h2h, self._activation, name=f"{name}out")
        return output, [output]


class ConvLSTMCell(BaseConvRNNCell):
    """A convolutional LSTM cell (gates i, f, c, o stacked on the channel axis;
    `activation` for the candidate and the cell's output).

    >>> cell = mx.rnn.ConvLSTMCell((1, 3, 16, 10), num_hidden=10, prefix='lstm_')
    """

    def __init__(self, input_shape: tuple[int, ...], num_hidden: int,
                 h2h_kernel: tuple[int, int] = (3, 3), h2h_dilate: tuple[int, int] = (1, 1),
                 i2h_kernel: tuple[int, int] = (3, 3), i2h_stride: tuple[int, int] = (1, 1),
                 i2h_pad: tuple[int, int] = (1, 1), i2h_dilate: tuple[int, int] = (1, 1),
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 activation: Any = _LEAKY, prefix: str = "ConvLSTM_",
                 params: RNNParams | None = None, conv_layout: str = "NCHW") -> None:
        super().__init__(input_shape, num_hidden, h2h_kernel, h2h_dilate, i2h_kernel,
                         i2h_stride, i2h_pad, i2h_dilate, i2h_weight_initializer,
                         h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                         activation, prefix=prefix, params=params, conv_layout=conv_layout)

    @property
    def _gate_names(self) -> tuple[str, ...]:
        return ("_i", "_f", "_c", "_o")

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        name = self._next_step_name()
        i2h, h2h = self._conv_forward(inputs, states, name)
        return lstm_step(self, i2h + h2h, states[1], name, self._activation,
                         axis=self._conv_layout.find("C"))


class ConvGRUCell(BaseConvRNNCell):
    """A convolutional GRU cell (gates r, z and the candidate stacked on the channel
    axis).

    >>> cell = mx.rnn.ConvGRUCell((1, 3, 16, 10), num_hidden=10, prefix='gru_')
    """

    def __init__(self, input_shape: tuple[int, ...], num_hidden: int,
                 h2h_kernel: tuple[int, int] = (3, 3), h2h_dilate: tuple[int, int] = (1, 1),
                 i2h_kernel: tuple[int, int] = (3, 3), i2h_stride: tuple[int, int] = (1, 1),
                 i2h_pad: tuple[int, int] = (1, 1), i2h_dilate: tuple[int, int] = (1, 1),
                 i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros",
                 activation: Any = _LEAKY, prefix: str = "ConvGRU_",
                 params: RNNParams | None = None, conv_layout: str = "NCHW") -> None:
        super().__init__(input_shape, num_hidden, h2h_kernel, h2h_dilate, i2h_kernel,
                         i2h_stride, i2h_pad, i2h_dilate, i2h_weight_initializer,
                         h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                         activation, prefix=prefix, params=params, conv_layout=conv_layout)

    @property
    def _gate_names(self) -> tuple[str, ...]:
        return ("_r", "_z", "_o")

    @property
    def state_info(self) -> list:
        return [{"shape": self._state_shape, "__layout__": self._conv_layout}]

    def __call__(self, inputs: symbol.Symbol, states: list) -> tuple[Any, list]:
        name = self._next_step_name()
        i2h, h2h = self._conv_forward(inputs, states, name)
        i2h_r, i2h_z, i2h = symbol.SliceChannel(i2h, num_outputs=3, name=f"{name}_i2h_slice")
        h2h_r, h2h_z, h2h = symbol.SliceChannel(h2h, num_outputs=3, name=f"{name}_h2h_slice")
        reset_gate = symbol.Activation(i2h_r + h2h_r, act_type="sigmoid",
                                       name=f"{name}_r_act")
        update_gate = symbol.Activation(i2h_z + h2h_z, act_type="sigmoid",
                                        name=f"{name}_z_act")
        candidate = self._get_activation(i2h + reset_gate * h2h, self._activation,
                                         name=f"{name}_h_act")
        next_h = symbol._internal._plus((1.0 - update_gate) * candidate,
                                        update_gate * states[0], name=f"{name}out")
        return next_h, [next_h]
