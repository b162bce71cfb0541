"""The layers of `mx.gluon.contrib.nn`: containers that run their children side by side,
Identity, the pixel shuffles, and the single-process forms of SparseEmbedding and
SyncBatchNorm.

    >>> block = mx.gluon.contrib.nn.HybridConcurrent(axis=1)  # doctest: +SKIP
    >>> block.add(mx.gluon.nn.Dense(4), mx.gluon.contrib.nn.Identity())  # doctest: +SKIP
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .... import nd
from ....base import ShapeError
from ...block import Block, HybridBlock
from ...nn import BatchNorm, HybridSequential, Sequential
from ...parameter import ParameterDict


class Concurrent(Sequential):
    """Calls every child on the same input and concatenates their outputs along `axis`.

    >>> net = mx.gluon.contrib.nn.Concurrent(axis=1)  # doctest: +SKIP
    >>> net.add(mx.gluon.nn.Dense(3), mx.gluon.nn.Dense(2))  # doctest: +SKIP
    """

    def __init__(self, axis: int = -1, prefix: str | None = None,
                 params: ParameterDict | None = None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return nd.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class HybridConcurrent(HybridSequential):
    """Concurrent for HybridBlocks: hybridizes as one program.

    >>> net = mx.gluon.contrib.nn.HybridConcurrent(axis=1)  # doctest: +SKIP
    >>> net.add(mx.gluon.nn.Conv2D(4, 1), mx.gluon.nn.Conv2D(4, 3, padding=1))  # doctest: +SKIP
    """

    def __init__(self, axis: int = -1, prefix: str | None = None,
                 params: ParameterDict | None = None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    # (HybridSequential chains its children in `forward`; this one computes in
    # hybrid_forward, as every other HybridBlock)
    forward = HybridBlock.forward

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """Returns its input: a placeholder branch in a Concurrent, e.g. a residual path.

    >>> mx.gluon.contrib.nn.Identity()(mx.nd.ones((2,)))  # doctest: +SKIP
    """

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x


class SparseEmbedding(Block):
    """Embedding with a row_sparse weight and gradient: each call pulls the rows it looks
    up from the Trainer's store (so a Trainer must exist first), and the gradient keeps
    the rows looked up. A Block, as in MXNet, so it does not hybridize.

    >>> emb = mx.gluon.contrib.nn.SparseEmbedding(10000, 64)  # doctest: +SKIP
    >>> emb.initialize(); trainer = mx.gluon.Trainer(emb.collect_params(), 'sgd')  # doctest: +SKIP
    >>> emb(mx.nd.array([3, 7])).shape  # doctest: +SKIP
    (2, 64)
    """

    def __init__(self, input_dim: int, output_dim: int, dtype: Any = "float32",
                 weight_initializer: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": True}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      grad_stype="row_sparse", stype="row_sparse")

    def forward(self, x: Any) -> Any:
        return nd.Embedding(x, self.weight.row_sparse_data(x), **self._kwargs)

    def __repr__(self) -> str:
        k = self._kwargs
        return f"{type(self).__name__}({k['input_dim']} -> {k['output_dim']}, {k['dtype']})"


class SyncBatchNorm(BatchNorm):
    """BatchNorm over axis 1 whose batch statistics MXNet averages across `num_devices`
    devices. mxjit runs one process that computes each call on one device, so this is
    BatchNorm with the statistics of the batch the call sees; `num_devices` (1 when
    None) is accepted and printed, not used.

    >>> bn = mx.gluon.contrib.nn.SyncBatchNorm(in_channels=16, num_devices=1)  # doctest: +SKIP
    """

    def __init__(self, in_channels: int = 0, num_devices: int | None = None,
                 momentum: float = 0.9, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, use_global_stats: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 running_mean_initializer: Any = "zeros",
                 running_variance_initializer: Any = "ones", **kwargs: Any):
        super().__init__(1, momentum, epsilon, center, scale, use_global_stats,
                         beta_initializer, gamma_initializer, running_mean_initializer,
                         running_variance_initializer, in_channels, **kwargs)
        self._kwargs = {"eps": epsilon, "momentum": momentum, "fix_gamma": not scale,
                        "use_global_stats": use_global_stats,
                        "ndev": 1 if num_devices is None else num_devices,
                        "key": self.prefix}

    def hybrid_forward(self, F: Any, x: Any, gamma: Any, beta: Any, running_mean: Any,
                       running_var: Any) -> Any:
        return F.contrib.SyncBatchNorm(x, gamma, beta, running_mean, running_var, name="fwd",
                                       **{**self._kwargs, "ndev": 1})


def _factors(name: str, factor: int | Sequence[int], n: int) -> tuple[int, ...]:
    if isinstance(factor, Sequence):
        factors = tuple(int(f) for f in factor)
        if len(factors) != n:
            raise AssertionError(f"{name}: factor needs {n} entries, got {len(factors)}")
        return factors
    return (int(factor),) * n


class _PixelShuffle(HybridBlock):
    """(N, C * prod(factors), *spatial) -> (N, C, *(spatial * factors)): the channels of
    each group become a factors-sized tile of the output."""

    _ndim: int

    def __init__(self, factor: int | Sequence[int]):
        super().__init__()
        self._factors = _factors(type(self).__name__, factor, self._ndim)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        n, factors = self._ndim, self._factors
        block = math.prod(factors)
        if F is nd and (x.ndim != n + 2 or x.shape[1] % block):
            raise ShapeError(f"{type(self).__name__}: expects {n + 2}-D input (N, C * "
                             f"{block}, ...) with channels divisible by {block}, got shape "
                             f"{x.shape}")
        # (N, C, f1, ..., fn, *spatial) by splitting the channels one factor at a time
        x = F.reshape(x, (0, -4, -1, block) + (0,) * n)
        for k, f in enumerate(factors[:-1]):
            x = F.reshape(x, (0,) * (2 + k) + (-4, f, -1) + (0,) * n)
        # interleave: (N, C, s1, f1, ..., sn, fn), then merge each pair
        x = F.transpose(x, (0, 1) + tuple(a for k in range(n) for a in (2 + n + k, 2 + k)))
        return F.reshape(x, (0, 0) + (-3,) * n)

    def __repr__(self) -> str:
        factors = self._factors[0] if self._ndim == 1 else self._factors
        return f"{type(self).__name__}({factors})"


class PixelShuffle1D(_PixelShuffle):
    """(N, C * f, W) -> (N, C, W * f): upsampling by moving channels into the width.

    >>> mx.gluon.contrib.nn.PixelShuffle1D(2)(mx.nd.ones((1, 4, 3))).shape  # doctest: +SKIP
    (1, 2, 6)
    """

    _ndim = 1


class PixelShuffle2D(_PixelShuffle):
    """(N, C * f1 * f2, H, W) -> (N, C, H * f1, W * f2) (sub-pixel convolution's upsampling).

    >>> x = mx.nd.ones((1, 12, 3, 5))  # doctest: +SKIP
    >>> mx.gluon.contrib.nn.PixelShuffle2D((2, 3))(x).shape  # doctest: +SKIP
    (1, 2, 6, 15)
    """

    _ndim = 2


class PixelShuffle3D(_PixelShuffle):
    """(N, C * f1 * f2 * f3, D, H, W) -> (N, C, D * f1, H * f2, W * f3).

    >>> mx.gluon.contrib.nn.PixelShuffle3D(2)(mx.nd.ones((1, 8, 2, 2, 2))).shape  # doctest: +SKIP
    (1, 1, 4, 4, 4)
    """

    _ndim = 3
