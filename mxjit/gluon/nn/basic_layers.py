"""Gluon's basic layers: containers, Dense, Dropout, the normalisations, Embedding,
Flatten and the lambdas. Each calls the `mx.nd` operator of the same meaning.

    >>> net = mx.gluon.nn.HybridSequential()  # doctest: +SKIP
    >>> with net.name_scope():  # doctest: +SKIP
    ...     net.add(mx.gluon.nn.Dense(64, activation='relu'), mx.gluon.nn.Dense(10))
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import nd
from ...base import ParamError
from ..block import Block, HybridBlock, _indent
from .activations import Activation


def _children_repr(block: Block) -> str:
    body = "\n".join(f"  ({key}): {_indent(repr(child), 2)}"
                     for key, child in block._children.items())
    return f"{type(block).__name__}(\n{body}\n)"


def _kwargs_repr(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


class _Stack:
    """What the two sequential containers share: adding, indexing, slicing."""

    _children: Any
    _is_container = True  # (summary() lists what they hold, not them)

    def add(self, *blocks: Block) -> None:
        """Append blocks, in order.

        >>> net.add(mx.gluon.nn.Dense(10), mx.gluon.nn.Dense(2))  # doctest: +SKIP
        """
        for block in blocks:
            self.register_child(block)  # type: ignore[attr-defined]

    def __getitem__(self, key: int | slice) -> Any:
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)  # type: ignore[attr-defined,call-arg]
            with net.name_scope():  # type: ignore[attr-defined]
                net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)

    def __repr__(self) -> str:
        return _children_repr(self)  # type: ignore[arg-type]

    def _run(self, x: Any, *args: Any) -> Any:
        for block in self._children.values():
            x = block(x, *args)
            args = ()
            if isinstance(x, (tuple, list)):
                args, x = tuple(x[1:]), x[0]
        return (x, *args) if args else x


class Sequential(_Stack, Block):
    """Blocks called one after the other, each on the previous one's output.

    >>> net = mx.gluon.nn.Sequential(); net.add(mx.gluon.nn.Dense(3))  # doctest: +SKIP
    """

    def forward(self, x: Any, *args: Any) -> Any:
        return self._run(x, *args)

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn(f"All children of this Sequential layer {self.prefix!r} are "
                          f"HybridBlocks. Consider using HybridSequential for the best "
                          f"performance.", stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(_Stack, HybridBlock):
    """A Sequential of HybridBlocks that hybridizes as one program.

    >>> net = mx.gluon.nn.HybridSequential(); net.add(mx.gluon.nn.Dense(3))  # doctest: +SKIP
    >>> net.hybridize()  # doctest: +SKIP
    """

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        # (through HybridBlock.forward, so on symbols the children's nodes are named inside
        # this block's name scope, as MXNet's are: `resnetv10_stage1__plus0`)
        return self._run(x, *args)


class Dense(HybridBlock):
    """A fully connected layer: `activation(dot(x, weight.T) + bias)`; the input is
    flattened to 2-D unless `flatten=False` (then it applies to the last axis).

    >>> layer = mx.gluon.nn.Dense(10, activation='relu', in_units=20)  # doctest: +SKIP
    """

    def __init__(self, units: int, activation: str | None = None, use_bias: bool = True,
                 flatten: bool = True, dtype: Any = "float32", weight_initializer: Any = None,
                 bias_initializer: Any = "zeros", in_units: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get("weight", shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), init=bias_initializer,
                                        dtype=dtype, allow_deferred_init=True
                                        ) if use_bias else None
            self.act = Activation(activation, prefix=activation + "_") if activation else None

    def infer_shape(self, x: Any, *args: Any) -> None:
        in_units = int(np.prod(x.shape[1:])) if self._flatten else x.shape[-1]
        self.weight.shape = (self._units, in_units)

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        out = F.FullyConnected(x, weight, bias=bias, no_bias=bias is None,
                               num_hidden=self._units, flatten=self._flatten, name="fwd")
        return self.act(out) if self.act is not None else out

    def __repr__(self) -> str:
        shape = self.weight.shape
        assert shape is not None
        act = self.act if self.act is not None else "linear"
        return f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0]}, {act})"


class Dropout(HybridBlock):
    """Zero each element with probability `rate` in training mode (scaling the rest by
    1/(1-rate)); `axes` shares one draw along those axes. The identity when predicting.

    >>> mx.gluon.nn.Dropout(0.5, axes=(1,))  # doctest: +SKIP
    """

    def __init__(self, rate: float, axes: tuple[int, ...] = (), **kwargs: Any):
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, name="fwd", cudnn_off=False)
        return F.identity(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p = {self._rate}, axes={self._axes})"


class _Norm(HybridBlock):
    """A normalisation with per-channel gamma and beta along `self._axis`."""

    _axis: int
    _kwargs: dict[str, Any]

    def _scale_shift(self, in_channels: int, center: bool, scale: bool, gamma_init: Any,
                     beta_init: Any, size: int | None = None) -> None:
        n = in_channels if size is None else size
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(n,), init=gamma_init, allow_deferred_init=True,
                                     differentiable=scale)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(n,), init=beta_init, allow_deferred_init=True,
                                    differentiable=center)

    def _channel_params(self) -> list[Any]:
        return [self.gamma, self.beta]

    def infer_shape(self, x: Any, *args: Any) -> None:
        channels = x.shape[self._axis]
        for p in self._channel_params():
            p.shape = (channels,)

    def __repr__(self) -> str:
        channels = self.gamma.shape[0] if self.gamma.shape else 0
        return f"{type(self).__name__}({_kwargs_repr(self._kwargs)}, in_channels={channels})"


class _BatchNorm(_Norm):
    def __init__(self, axis: int = 1, momentum: float = 0.9, epsilon: float = 1e-5,
                 center: bool = True, scale: bool = True, use_global_stats: bool = False,
                 fuse_relu: bool = False, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", running_mean_initializer: Any = "zeros",
                 running_variance_initializer: Any = "ones", in_channels: int = 0,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self._axis = axis
        self._kwargs = {"axis": axis, "eps": epsilon, "momentum": momentum,
                        "fix_gamma": not scale, "use_global_stats": use_global_stats}
        self.fuse_relu = fuse_relu
        if in_channels != 0:
            self.in_channels = in_channels
        self._scale_shift(in_channels, center, scale, gamma_initializer, beta_initializer)
        self.running_mean = self.params.get("running_mean", grad_req="null",
                                            shape=(in_channels,),
                                            init=running_mean_initializer,
                                            allow_deferred_init=True, differentiable=False)
        self.running_var = self.params.get("running_var", grad_req="null",
                                           shape=(in_channels,),
                                           init=running_variance_initializer,
                                           allow_deferred_init=True, differentiable=False)

    def _channel_params(self) -> list[Any]:
        return [self.gamma, self.beta, self.running_mean, self.running_var]

    def cast(self, dtype: Any) -> None:
        # (float16 networks keep their batch statistics in float32, as MXNet does)
        super().cast("float32" if np.dtype(dtype) == np.float16 else dtype)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any,
                       running_var: Any) -> Any:
        op = F.contrib.BatchNormWithReLU if self.fuse_relu else F.BatchNorm
        return op(x, gamma, beta, running_mean, running_var, name="fwd", **self._kwargs)

    def __repr__(self) -> str:
        channels = self.gamma.shape[0] if self.gamma.shape else 0
        return (f"{type(self).__name__}({_kwargs_repr(self._kwargs)}, "
                f"in_channels={channels if channels else None})")


class BatchNorm(_BatchNorm):
    """Batch normalisation over every axis but `axis`; in training mode it uses the
    batch's statistics and moves the running ones (at the backward pass, as MXNet).

    >>> mx.gluon.nn.BatchNorm(momentum=0.9, in_channels=16)  # doctest: +SKIP
    """

    def __init__(self, axis: int = 1, momentum: float = 0.9, epsilon: float = 1e-5,
                 center: bool = True, scale: bool = True, use_global_stats: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 running_mean_initializer: Any = "zeros",
                 running_variance_initializer: Any = "ones", in_channels: int = 0,
                 **kwargs: Any):
        super().__init__(axis, momentum, epsilon, center, scale, use_global_stats, False,
                         beta_initializer, gamma_initializer, running_mean_initializer,
                         running_variance_initializer, in_channels, **kwargs)


class BatchNormReLU(_BatchNorm):
    """BatchNorm followed by relu (fused into the same kernels by the compiler).

    >>> mx.gluon.nn.BatchNormReLU(in_channels=16)  # doctest: +SKIP
    """

    def __init__(self, axis: int = 1, momentum: float = 0.9, epsilon: float = 1e-5,
                 center: bool = True, scale: bool = True, use_global_stats: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 running_mean_initializer: Any = "zeros",
                 running_variance_initializer: Any = "ones", in_channels: int = 0,
                 **kwargs: Any):
        super().__init__(axis, momentum, epsilon, center, scale, use_global_stats, True,
                         beta_initializer, gamma_initializer, running_mean_initializer,
                         running_variance_initializer, in_channels, **kwargs)


class InstanceNorm(_Norm):
    """Normalise each (sample, channel) over the remaining axes, then scale and shift.

    >>> mx.gluon.nn.InstanceNorm(scale=True, in_channels=3)  # doctest: +SKIP
    """

    def __init__(self, axis: int = 1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = False, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", in_channels: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        self._scale_shift(in_channels, center, scale, gamma_initializer, beta_initializer)

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any) -> Any:
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, name="fwd", eps=self._epsilon)
        x = F.swapaxes(x, 1, self._axis)
        return F.swapaxes(F.InstanceNorm(x, gamma, beta, name="fwd", eps=self._epsilon), 1,
                          self._axis)


class LayerNorm(_Norm):
    """Normalise over `axis` (the last by default), then scale and shift along it.

    >>> mx.gluon.nn.LayerNorm(in_channels=10)  # doctest: +SKIP
    """

    def __init__(self, axis: int = -1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", in_channels: int = 0, prefix: str | None = None,
                 params: Any = None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        self._scale_shift(in_channels, center, scale, gamma_initializer, beta_initializer)

    def hybrid_forward(self, F: Any, data: Any, gamma: Any, beta: Any) -> Any:
        return F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon)


class GroupNorm(_Norm):
    """Normalise each sample over groups of channels; gamma and beta per group.

    >>> mx.gluon.nn.GroupNorm(num_groups=4)  # doctest: +SKIP
    """

    def __init__(self, num_groups: int = 1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", prefix: str | None = None, params: Any = None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center,
                        "scale": scale}
        self._num_groups = num_groups
        self._epsilon = epsilon
        self._scale_shift(0, center, scale, gamma_initializer, beta_initializer, num_groups)

    def hybrid_forward(self, F: Any, data: Any, gamma: Any, beta: Any) -> Any:
        return F.GroupNorm(data, gamma=gamma, beta=beta, num_groups=self._num_groups,
                           eps=self._epsilon)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_kwargs_repr(self._kwargs)})"


class Embedding(HybridBlock):
    """Rows of a (input_dim, output_dim) weight picked by integer indices.

    >>> mx.gluon.nn.Embedding(1000, 64)  # doctest: +SKIP
    """

    def __init__(self, input_dim: int, output_dim: int, dtype: Any = "float32",
                 weight_initializer: Any = None, sparse_grad: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": sparse_grad}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      allow_deferred_init=True,
                                      grad_stype="row_sparse" if sparse_grad else "default")

    def hybrid_forward(self, F: Any, x: Any, weight: Any) -> Any:
        return F.Embedding(x, weight, name="fwd", **self._kwargs)

    def __repr__(self) -> str:
        k = self._kwargs
        return f"{type(self).__name__}({k['input_dim']} -> {k['output_dim']}, {k['dtype']})"


class Flatten(HybridBlock):
    """Reshape to (batch, everything else).

    >>> mx.gluon.nn.Flatten()(mx.nd.ones((2, 3, 4))).shape  # doctest: +SKIP
    (2, 12)
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.flatten(x)

    def __repr__(self) -> str:
        return type(self).__name__


def _function(function: Any, where: str) -> tuple[Any, str]:
    if isinstance(function, str):
        if not hasattr(nd, function):
            raise AssertionError(f"Function name {function} is not found in {where}.")
        return getattr(nd, function), function
    if callable(function):
        return function, getattr(function, "__name__", type(function).__name__)
    raise ParamError(f"Unrecognized function in lambda: {function} of type {type(function)}")


class Lambda(Block):
    """A function (or the name of an `mx.nd` operator) as a Block.

    >>> mx.gluon.nn.Lambda(lambda x: x * 2)  # doctest: +SKIP
    """

    def __init__(self, function: Any, prefix: str | None = None):
        super().__init__(prefix=prefix)
        self._func_impl, self._func_name = _function(function, "ndarray")

    def forward(self, *args: Any) -> Any:
        return self._func_impl(*args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._func_name})"


class HybridLambda(HybridBlock):
    """A function `f(F, x, *args)` (or an operator name) as a HybridBlock.

    >>> mx.gluon.nn.HybridLambda(lambda F, x: F.LeakyReLU(x, slope=0.1))  # doctest: +SKIP
    """

    def __init__(self, function: Any, prefix: str | None = None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            _, self._func_name = _function(function, "symbol/ndarray")
            self._func = lambda F, *args: getattr(F, function)(*args)
        else:
            self._func, self._func_name = _function(function, "symbol/ndarray")

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        return self._func(F, x, *args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._func_name})"
