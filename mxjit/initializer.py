"""`mx.init` (also `mx.initializer`): how parameters get their first values.

An initializer is called with a parameter's descriptor (`InitDesc`: its name and
attributes) and the NDArray to fill in place. It fills by the name's suffix (`_weight`,
`_bias`, `_gamma`, `_beta`, ...) unless the parameter names its own initializer in its
`__init__` attribute. Initializers are registered by lower-case class name, so
`create('xavier')` and `create(init.dumps())` rebuild them; random ones draw from
`mx.random`'s streams, so `mx.random.seed` makes them reproducible.

    >>> w = mx.nd.zeros((4, 3))  # doctest: +SKIP
    >>> mx.init.Xavier()(mx.init.InitDesc('fc_weight'), w)  # doctest: +SKIP
"""
from __future__ import annotations

import json
import logging
import math
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from . import nd, random
from .base import ArgumentError, NotOverriddenError, ParamError, ShapeError
from .nd import NDArray
from .registry import Registry

__all__ = [
    "InitDesc", "Initializer", "register", "alias", "create", "Load", "Mixed", "Zero", "One",
    "Constant", "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu", "Bilinear",
    "LSTMBias", "FusedRNN",
]


def __dir__() -> list[str]:
    return __all__


class InitDesc(str):
    """A parameter's name (the string itself) with its attributes and the global
    initializer that parameters without their own fall back to.

    >>> desc = mx.init.InitDesc('fc_weight', attrs={'__init__': 'ones'})  # doctest: +SKIP
    >>> desc, desc.attrs  # doctest: +SKIP
    ('fc_weight', {'__init__': 'ones'})
    """

    attrs: dict[str, Any]
    global_init: Initializer | None

    def __new__(cls, name: str, attrs: dict[str, Any] | None = None,
                global_init: Initializer | None = None) -> InitDesc:
        desc = super().__new__(cls, name)
        desc.attrs = attrs or {}
        desc.global_init = global_init
        return desc


#: (suffix, method): the first suffix the name ends with wins.
_SUFFIX_RULES: tuple[tuple[str, str], ...] = (
    ("weight", "_init_weight"),
    ("bias", "_init_bias"),
    ("gamma", "_init_gamma"),
    ("beta", "_init_beta"),
    ("min", "_init_zero"),
    ("max", "_init_one"),
    ("weight_quantize", "_init_quantized_weight"),
    ("bias_quantize", "_init_quantized_bias"),
)
#: (prefix, suffix, method) for the deprecated call with a plain `str` name, which also
#: knows the moving statistics of BatchNorm and the spatial transformer's localisation.
_LEGACY_RULES: tuple[tuple[str, str, str], ...] = (
    ("upsampling", "", "_init_bilinear"),
    ("stn_loc", "weight", "_init_zero"),
    ("stn_loc", "bias", "_init_loc_bias"),
    ("", "bias", "_init_bias"),
    ("", "gamma", "_init_gamma"),
    ("", "beta", "_init_beta"),
    ("", "weight", "_init_weight"),
    ("", "moving_mean", "_init_zero"),
    ("", "moving_var", "_init_one"),
    ("", "moving_inv_var", "_init_zero"),
    ("", "moving_avg", "_init_zero"),
    ("", "min", "_init_zero"),
    ("", "max", "_init_one"),
)


class Initializer:
    """Base class of initializers. A subclass implements `_init_weight(name, arr)` (and
    may override `_init_bias`, `_init_gamma`, ...); the keyword arguments given to this
    constructor are what `dumps()` records.

    >>> class Halves(mx.init.Initializer):  # doctest: +SKIP
    ...     def _init_weight(self, name, arr):
    ...         arr[:] = 0.5
    """

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._verbose = False
        self._print_func: Callable[[NDArray], str] | None = None

    def set_verbosity(self, verbose: bool = False,
                      print_func: Callable[[NDArray], str] | None = None) -> Initializer:
        """Log every initialised array with `print_func(arr)` (default: its root mean
        square) through `logging.info`.

        >>> init = mx.init.Uniform().set_verbosity(True)  # doctest: +SKIP
        """
        self._verbose = verbose
        self._print_func = print_func or _root_mean_square
        return self

    def _verbose_print(self, desc: str, init: Any, arr: NDArray) -> None:
        if self._verbose and self._print_func:
            logging.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def dumps(self) -> str:
        """The initializer as JSON, `[lower-case class name, constructor kwargs]`, which
        `create` turns back into an equal initializer.

        >>> mx.init.Normal(0.5).dumps()  # doctest: +SKIP
        '["normal", {"sigma": 0.5}]'
        """
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __call__(self, desc: str, arr: NDArray) -> None:
        """Fill `arr` in place for the parameter `desc` (an `InitDesc`).

        >>> mx.init.One()(mx.init.InitDesc('bn_gamma'), mx.nd.zeros(3))  # doctest: +SKIP
        """
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        own = desc.attrs.get("__init__", "")
        if own:
            create(own)._init_weight(desc, arr)
            self._verbose_print(desc, own, arr)
            return
        for suffix, method in _SUFFIX_RULES:
            if desc.endswith(suffix):
                getattr(self, method)(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name: Any, arr: Any) -> None:
        warnings.warn("Calling an initializer with init(str, NDArray) is deprecated: use "
                      "init(mx.init.InitDesc(...), NDArray)", DeprecationWarning, stacklevel=3)
        if not isinstance(name, str):
            raise ArgumentError(f"initializer: the name must be a str, got "
                                f"{type(name).__name__}")
        if not isinstance(arr, NDArray):
            raise ArgumentError(f"initializer: the array must be an NDArray, got "
                                f"{type(arr).__name__}")
        for prefix, suffix, method in _LEGACY_RULES:
            if name.startswith(prefix) and name.endswith(suffix):
                getattr(self, method)(name, arr)
                self._verbose_print(name, method[len("_init_"):], arr)
                return
        self._init_default(name, arr)

    def _init_bilinear(self, _: str, arr: NDArray) -> None:
        arr[:] = _bilinear_kernel(arr.shape)

    def _init_loc_bias(self, name: str, arr: NDArray) -> None:
        if arr.shape[0] != 6:
            raise ShapeError(f"{name}: a localisation bias has 6 entries (a 2x3 affine "
                             f"transform), got shape {arr.shape}")
        arr[:] = np.array([1.0, 0, 0, 0, 1.0, 0])

    def _init_zero(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_one(self, _: str, arr: NDArray) -> None:
        arr[:] = 1.0

    def _init_bias(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_quantized_bias(self, _: str, arr: NDArray) -> None:
        arr[:] = 0

    def _init_gamma(self, _: str, arr: NDArray) -> None:
        arr[:] = 1.0

    def _init_beta(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0

    def _init_weight(self, name: str, arr: NDArray) -> None:
        raise NotOverriddenError("Must override it")

    def _init_quantized_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = random.randint(-127, 127, shape=arr.shape, dtype="int32")

    def _init_default(self, name: str, _: NDArray) -> None:
        raise ParamError(
            f"Unknown initialization pattern for {name}. Default initialization is now "
            'limited to "weight", "bias", "gamma" (1.0), and "beta" (0.0). Give the '
            "parameter its own initializer (its init=mx.init.*) to set its pattern")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs


def _root_mean_square(x: NDArray) -> str:
    return str(np.float32(np.linalg.norm(x.asnumpy()) / math.sqrt(x.size)))


def _bilinear_kernel(shape: tuple[int, ...]) -> np.ndarray:
    """MXNet's up-sampling kernel: both axes use the factor of the last (width) axis."""
    if len(shape) != 4:
        raise ShapeError(f"Bilinear: the weight must be 4-d (out, in, height, width), "
                         f"got shape {shape}")
    f = math.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    x = np.arange(shape[3])
    y = np.arange(shape[2])
    kernel = np.outer(1 - np.abs(y / f - c), 1 - np.abs(x / f - c))
    return np.broadcast_to(kernel, shape).astype(np.float32)


# ---- the registry of initializers by name ----------------------------------------------------

_REGISTRY = Registry(Initializer, "initializer")
_I = TypeVar("_I", bound=type[Initializer])


def register(klass: _I) -> _I:
    """Register an `Initializer` subclass under its lower-case class name, so `create`
    and a parameter's `init='name'` find it. Use it as a class decorator.

    >>> @mx.init.register  # doctest: +SKIP
    ... class MyInit(mx.init.Initializer):
    ...     def _init_weight(self, name, arr): arr[:] = 0.1
    """
    return _REGISTRY.register(klass)


def alias(*aliases: str) -> Callable[[_I], _I]:
    """Class decorator registering an initializer under further names.

    >>> @mx.init.register  # doctest: +SKIP
    ... @mx.init.alias('myinit')
    ... class MyInit(mx.init.Initializer): ...
    """
    return _REGISTRY.alias(*aliases)


def create(*args: Any, **kwargs: Any) -> Initializer:
    """An initializer from a registered name (and constructor arguments), a `dumps()`
    string, a dict with the key `'initializer'`, or an initializer (returned as is).

    >>> mx.init.create('xavier', magnitude=2)  # doctest: +SKIP
    >>> mx.init.create('["normal", {"sigma": 0.5}]')  # doctest: +SKIP
    """
    if args:
        spec, args = args[0], args[1:]
    elif "initializer" in kwargs:
        spec = kwargs.pop("initializer")
    else:
        raise ArgumentError("create: name the initializer (first argument or initializer=)")
    if isinstance(spec, Initializer):
        if args or kwargs:
            raise ArgumentError("initializer is already an instance. Additional arguments "
                                "are invalid")
        return spec
    if isinstance(spec, dict):
        return create(**spec)
    if not isinstance(spec, str):
        raise ArgumentError(f"initializer must be of string type, got {type(spec).__name__}")
    if spec.startswith(("[", "{")):
        if args or kwargs:
            raise ArgumentError("create: a JSON initializer takes no further arguments")
        loaded = json.loads(spec)
        return create(loaded[0], **loaded[1]) if spec.startswith("[") else create(**loaded)
    return _REGISTRY.find(spec)(*args, **kwargs)


# ---- initializers over other initializers ----------------------------------------------------


class Load:
    """Fill parameters from a saved file or a dict of NDArrays (an `arg:`/`aux:` prefix of
    a saved name is dropped); names not found go to `default_init`.

    >>> init = mx.init.Load('model-0000.params', default_init=mx.init.Zero())  # doctest: +SKIP
    """

    def __init__(self, param: str | dict[str, NDArray], default_init: Any = None,
                 verbose: bool = False) -> None:
        loaded = nd.load(param) if isinstance(param, str) else param
        if not isinstance(loaded, dict):
            raise ArgumentError(f"Load: needs a dict of named arrays (or a file of them), "
                                f"got {type(loaded).__name__}")
        self.param = {(k[4:] if k.startswith(("arg:", "aux:")) else k): v
                      for k, v in loaded.items()}
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name: str, arr: NDArray) -> None:
        """Fill `arr` with the loaded array called `name`, or with the default initializer.

        >>> mx.init.Load({'w': mx.nd.ones(2)})('w', mx.nd.zeros(2))  # doctest: +SKIP
        """
        if name in self.param:
            if arr.shape != self.param[name].shape:
                raise ShapeError(f"Parameter {name} cannot be initialized from loading. Shape "
                                 f"mismatch, target {arr.shape} vs loaded "
                                 f"{self.param[name].shape}")
            arr[:] = self.param[name]
            if self.verbose:
                logging.info("Initialized %s by loading", name)
            return
        if self.default_init is None:
            raise ParamError(f"Cannot Initialize {name}. Not found in loaded param and no "
                             "default Initializer is provided.")
        self.default_init(name, arr)
        if self.verbose:
            logging.info("Initialized %s by default", name)


class Mixed:
    """Several initializers chosen by regular expressions on the parameter name: the first
    pattern that matches (at the start of the name) wins.

    >>> init = mx.init.Mixed(['.*bias', '.*'],  # doctest: +SKIP
    ...                      [mx.init.Zero(), mx.init.Uniform(0.1)])
    """

    def __init__(self, patterns: Sequence[str], initializers: Sequence[Any]) -> None:
        if len(patterns) != len(initializers):
            raise ArgumentError(f"Mixed: {len(patterns)} patterns but {len(initializers)} "
                                "initializers")
        self.map = [(re.compile(p), init) for p, init in zip(patterns, initializers)]

    def __call__(self, name: str, arr: NDArray) -> None:
        """Fill `arr` with the initializer of the first pattern matching `name`.

        >>> init = mx.init.Mixed(['.*'], [mx.init.One()])  # doctest: +SKIP
        >>> init(mx.init.InitDesc('w'), mx.nd.zeros(2))  # doctest: +SKIP
        """
        for pattern, init in self.map:
            if pattern.match(name):
                init(name, arr)
                return
        raise ParamError(f"Parameter name {name} did not match any pattern. Consider adding "
                         'a ".*" pattern at the end with a default Initializer.')


# ---- the initializers ------------------------------------------------------------------------


@register
@alias("zeros")
class Zero(Initializer):
    """Fills weights with zeros (registered as 'zero' and 'zeros').

    >>> mx.init.Zero()(mx.init.InitDesc('fc_weight'), w)  # doctest: +SKIP
    """

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = 0


@register
@alias("ones")
class One(Initializer):
    """Fills weights with ones (registered as 'one' and 'ones').

    >>> mx.init.One()(mx.init.InitDesc('fc_weight'), w)  # doctest: +SKIP
    """

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = 1


@register
class Constant(Initializer):
    """Fills weights with `value`: a number, or an array broadcast to the weight's shape.

    >>> mx.init.Constant(0.5).dumps()  # doctest: +SKIP
    '["constant", {"value": 0.5}]'
    """

    def __init__(self, value: Any) -> None:
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = self.value

    def dumps(self) -> str:
        """The initializer as JSON; an array value is written as nested lists.

        >>> mx.init.Constant(mx.nd.ones(2)).dumps()  # doctest: +SKIP
        '["constant", {"value": [1.0, 1.0]}]'
        """
        value = self.value
        if not np.isscalar(value):
            value = value.asnumpy().tolist() if isinstance(value, NDArray) else \
                np.asarray(value).tolist()
        # (MXNet keeps the list form in `_kwargs`, which user code compares against)
        self._kwargs["value"] = value
        return json.dumps([type(self).__name__.lower(), self._kwargs])


@register
class Uniform(Initializer):
    """Fills weights with samples of the uniform distribution on [-scale, scale].

    >>> mx.init.Uniform(0.1)(mx.init.InitDesc('fc_weight'), w)  # doctest: +SKIP
    """

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _: str, arr: NDArray) -> None:
        random.uniform(-self.scale, self.scale, arr.shape, out=arr)


@register
class Normal(Initializer):
    """Fills weights with samples of the normal distribution of mean 0 and deviation `sigma`.

    >>> mx.init.Normal(0.5)(mx.init.InitDesc('fc_weight'), w)  # doctest: +SKIP
    """

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _: str, arr: NDArray) -> None:
        random.normal(0, self.sigma, arr.shape, out=arr)


@register
class Orthogonal(Initializer):
    """Fills weights with `scale` times an orthogonal matrix (Saxe et al. 2013): the
    weight, flattened to (shape[0], rest), has orthonormal rows or columns. The random
    matrix decomposed is uniform on [-1, 1] or standard normal (`rand_type`).

    >>> mx.init.Orthogonal(scale=1.0)(mx.init.InitDesc('fc_weight'), w)  # doctest: +SKIP
    """

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _: str, arr: NDArray) -> None:
        shape = (arr.shape[0], math.prod(arr.shape[1:]))
        if self.rand_type == "uniform":
            draw = random.uniform(-1.0, 1.0, shape=shape)
        elif self.rand_type == "normal":
            draw = random.normal(0.0, 1.0, shape=shape)
        else:
            raise ParamError(f"Orthogonal: rand_type must be 'uniform' or 'normal', got "
                             f"{self.rand_type!r}")
        tmp = draw.asnumpy()
        u, _s, v = np.linalg.svd(tmp, full_matrices=False)
        arr[:] = self.scale * (u if u.shape == tmp.shape else v).reshape(arr.shape)


@register
class Xavier(Initializer):
    """Xavier/Glorot initialisation: samples of scale sqrt(magnitude / n), uniform on
    [-scale, scale] or normal with deviation scale (`rnd_type` 'uniform' or 'gaussian'),
    where n is fan_in, fan_out or their mean (`factor_type` 'in', 'out', 'avg'). For a
    weight of shape (out, in, *kernel), fan_in = in * prod(kernel), fan_out = out * prod(kernel).

    >>> mx.init.Xavier(factor_type='in', magnitude=2.34).dumps()  # doctest: +SKIP
    '["xavier", {"rnd_type": "uniform", "factor_type": "in", "magnitude": 2.34}]'
    """

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg",
                 magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name: str, arr: NDArray) -> None:
        shape = arr.shape
        if len(shape) < 2:
            raise ShapeError(f"Xavier initializer cannot be applied to vector {name}. It "
                             "requires at least 2D.")
        receptive = math.prod(shape[2:])
        fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
        factors = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}
        if self.factor_type not in factors:
            raise ParamError(f"Incorrect factor type {self.factor_type!r}: use 'avg', 'in' "
                             "or 'out'")
        scale = math.sqrt(self.magnitude / factors[self.factor_type])
        if self.rnd_type == "uniform":
            random.uniform(-scale, scale, arr.shape, out=arr)
        elif self.rnd_type == "gaussian":
            random.normal(0, scale, arr.shape, out=arr)
        else:
            raise ParamError(f"Unknown random type {self.rnd_type!r}: use 'uniform' or "
                             "'gaussian'")


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialisation for (P)ReLU networks (He et al. 2015): Gaussian Xavier with
    magnitude 2 / (1 + slope**2).

    >>> init = mx.init.MSRAPrelu(factor_type='in', slope=0.0)  # doctest: +SKIP
    >>> init(mx.init.InitDesc('conv_weight'), w)  # doctest: +SKIP
    """

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Bilinear(Initializer):
    """Fills a 4-d weight (out, in, height, width) with the bilinear up-sampling kernel,
    as used by `Deconvolution` layers that up-sample.

    >>> w = mx.nd.zeros((1, 1, 4, 4))  # doctest: +SKIP
    >>> mx.init.Bilinear()(mx.init.InitDesc('up_weight'), w)  # doctest: +SKIP
    """

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = _bilinear_kernel(arr.shape)


@register
class LSTMBias(Initializer):
    """An LSTM cell's bias: zeros except the forget gate (the second quarter), which gets
    `forget_bias` (Jozefowicz et al. 2015 recommend 1). Give it as the bias's own
    initializer (`i2h_bias_initializer=`): called by name, a `*_bias` gets zeros.

    >>> mx.gluon.rnn.LSTMCell(8, i2h_bias_initializer=mx.init.LSTMBias(1.0))  # doctest: +SKIP
    """

    def __init__(self, forget_bias: float = 1.0) -> None:
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, _: str, arr: NDArray) -> None:
        arr[:] = 0.0
        num_hidden = arr.shape[0] // 4
        arr[num_hidden:2 * num_hidden] = self.forget_bias


#: The gates of each fused RNN mode, in the order the packed parameter holds them.
_RNN_GATES = {"rnn_relu": ("",), "rnn_tanh": ("",), "lstm": ("_i", "_f", "_c", "_o"),
              "gru": ("_r", "_z", "_o")}


@register
class FusedRNN(Initializer):
    """Initialises the one packed parameter vector of a fused RNN layer (the `RNN`
    operator's `parameters`) piece by piece: each gate's weights and biases, unpacked as
    `l0_i2h_i_weight`, `r1_h2h_f_bias`, ..., go to `init` (or, when `init` is None, to the
    global initializer); LSTM forget-gate biases get `forget_bias`. The layer's input size
    is worked out from the vector's length.

    >>> init = mx.init.FusedRNN(mx.init.Xavier(), 8, 2, 'lstm')  # doctest: +SKIP
    """

    def __init__(self, init: Initializer | str | None, num_hidden: int, num_layers: int,
                 mode: str, bidirectional: bool = False, forget_bias: float = 1.0) -> None:
        if mode not in _RNN_GATES:
            raise ParamError(f"FusedRNN: mode must be one of {sorted(_RNN_GATES)}, got {mode!r}")
        if isinstance(init, str):
            init = create(init)
        super().__init__(init=init.dumps() if init is not None else None,
                         num_hidden=num_hidden, num_layers=num_layers, mode=mode,
                         bidirectional=bidirectional, forget_bias=forget_bias)
        self._init = init
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._forget_bias = forget_bias

    def _pieces(self, size: int) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of each piece of a packed vector of `size`, in packing order:
        every layer's and direction's weights first, then all the biases."""
        gates = _RNN_GATES[self._mode]
        directions = ("l", "r") if self._bidirectional else ("l",)
        b, h, layers = len(directions), self._num_hidden, self._num_layers
        num_input = size // b // h // len(gates) - (layers - 1) * (h + b * h + 2) - h - 2
        weights: list[tuple[str, tuple[int, ...]]] = []
        biases: list[tuple[str, tuple[int, ...]]] = []
        for layer in range(layers):
            for d in directions:
                fan_in = num_input if layer == 0 else b * h
                weights += [(f"{d}{layer}_i2h{g}_weight", (h, fan_in)) for g in gates]
                weights += [(f"{d}{layer}_h2h{g}_weight", (h, h)) for g in gates]
                biases += [(f"{d}{layer}_{kind}{g}_bias", (h,))
                           for kind in ("i2h", "h2h") for g in gates]
        pieces = weights + biases
        if num_input <= 0 or sum(math.prod(s) for _, s in pieces) != size:
            raise ShapeError(f"FusedRNN: {size} values are not the parameters of a "
                             f"{self._mode} layer with num_hidden={h}, num_layers={layers}, "
                             f"bidirectional={self._bidirectional} for any input size")
        return pieces

    def _init_weight(self, desc: str, arr: NDArray) -> None:
        global_init = getattr(desc, "global_init", None)
        init = self._init if self._init is not None else global_init
        if init is None:
            raise ParamError("FusedRNN(init=None) hands the pieces to the global "
                             "initializer: call it through one (as a parameter's init)")
        packed: np.ndarray = np.empty(arr.size, dtype=arr.dtype)
        offset = 0
        for name, shape in self._pieces(arr.size):
            piece = nd.zeros(shape, ctx=arr.context, dtype=arr.dtype)
            if self._mode == "lstm" and name.endswith("_f_bias"):
                piece[:] = self._forget_bias
            else:
                init(InitDesc(name, global_init=global_init), piece)
            packed[offset:offset + piece.size] = piece.asnumpy().ravel()
            offset += piece.size
        arr[:] = packed.reshape(arr.shape)
