"""Horovod's training helpers for Gluon: `broadcast_parameters` (rank 0's weights to
every worker, also for parameters initialized later), `DistributedOptimizer` (allreduces
each gradient inside `update`) and `DistributedTrainer` (a Gluon `Trainer` that
allreduces all gradients in a few bucketed messages and divides by the workers, so
`step(batch_size)` takes the per-worker batch size).

    >>> trainer = hvd.DistributedTrainer(net.collect_params(), 'sgd',  # doctest: +SKIP
    ...                                  {'learning_rate': 0.1})
"""
from __future__ import annotations

import types
import warnings
from collections import OrderedDict
from typing import Any

from .. import optimizer as opt
from ..base import DeferredInitializationError, ParamError
from ..gluon import Parameter, ParameterDict, Trainer
from ..kvstore.overlap import OverlappedAllreduce
from ..nd import NDArray
from .ops import _world, allreduce_, broadcast_, grouped_allreduce_, size

__all__ = ["Compression", "broadcast_parameters", "DistributedOptimizer",
           "DistributedTrainer"]


class NoneCompressor:
    """Sends gradients as they are."""

    @staticmethod
    def compress(tensor: NDArray) -> tuple[NDArray, Any]:
        """(the array to send, what `decompress` needs).

        >>> hvd.Compression.none.compress(grad)  # doctest: +SKIP
        """
        return tensor, None

    @staticmethod
    def decompress(tensor: NDArray, ctx: Any) -> NDArray:
        """The received array as the gradient.

        >>> hvd.Compression.none.decompress(sent, None)  # doctest: +SKIP
        """
        return tensor


class FP16Compressor:
    """Sends float gradients as float16 (half the bytes)."""

    @staticmethod
    def compress(tensor: NDArray) -> tuple[NDArray, Any]:
        """(the array as float16, its dtype), or (itself, None) when not a wider float.

        >>> hvd.Compression.fp16.compress(grad)[0].dtype  # doctest: +SKIP
        <class 'numpy.float16'>
        """
        if tensor.dtype.__name__.startswith("float") and tensor.dtype.__name__ != "float16":
            return tensor.astype("float16"), tensor.dtype
        return tensor, None

    @staticmethod
    def decompress(tensor: NDArray, ctx: Any) -> NDArray:
        """The float16 array back in its dtype `ctx`.

        >>> hvd.Compression.fp16.decompress(sent, np.float32)  # doctest: +SKIP
        """
        return tensor if ctx is None else tensor.astype(ctx)


class Compression:
    """Gradient compression of `DistributedTrainer` (Horovod's `none` and `fp16`)."""

    none = NoneCompressor
    fp16 = FP16Compressor


def broadcast_parameters(params: Any, root_rank: int = 0, prefix: str | None = None) -> None:
    """Overwrite every worker's parameters with `root_rank`'s (a dict of NDArrays or of
    Parameters, or a ParameterDict); a parameter whose initialization is deferred is
    broadcast right after it is initialized.

    >>> hvd.broadcast_parameters(net.collect_params(), root_rank=0)  # doctest: +SKIP
    """
    if size() == 1:
        return
    if prefix is not None and not isinstance(prefix, str):
        raise ParamError(f"broadcast_parameters: prefix must be a str, got "
                         f"{type(prefix).__name__}")
    if not isinstance(params, (dict, ParameterDict)):
        raise ParamError(f"invalid params of type: {type(params)}")
    prefix = prefix or ""
    for name, p in sorted(params.items()):
        if not isinstance(p, Parameter):
            broadcast_(p, root_rank, name=prefix + str(name))
            continue
        try:
            arrays = p.list_data()
        except DeferredInitializationError:
            _broadcast_after_init(p, root_rank, prefix + str(name))
            continue
        for a in arrays:
            broadcast_(a, root_rank, name=prefix + str(name))


def _broadcast_after_init(param: Parameter, root_rank: int, name: str) -> None:
    init_impl = param._init_impl

    def _init_then_broadcast(self: Parameter, data: Any, ctxs: Any) -> None:
        init_impl(data, ctxs)
        for a in self.list_data():
            broadcast_(a, root_rank, name=name)

    param._init_impl = types.MethodType(_init_then_broadcast, param)  # type: ignore[method-assign]


#: the attributes a DistributedOptimizer keeps itself (the rest are its optimizer's)
_OWN = ("_optimizer", "_gradient_predivide_factor", "_num_groups")


class DistributedOptimizer(opt.Optimizer):
    """Wraps `optimizer`: each `update` first sums the gradient over the workers, and the
    gradients are scaled by gradient_predivide_factor / size() (an average).

    >>> o = hvd.DistributedOptimizer(mx.optimizer.SGD(learning_rate=0.1))  # doctest: +SKIP
    """

    def __init__(self, optimizer: opt.Optimizer, gradient_predivide_factor: float = 1.0,
                 num_groups: int = 0) -> None:
        self._optimizer = optimizer
        self._optimizer.rescale_grad *= gradient_predivide_factor / size()
        self._gradient_predivide_factor = gradient_predivide_factor
        self._num_groups = num_groups

    def __getattr__(self, item: str) -> Any:
        return getattr(self._optimizer, item)

    def __setattr__(self, name: str, value: Any) -> None:
        # (a Trainer sets rescale_grad and param_dict: they belong to the wrapped optimizer)
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self._optimizer, name, value)

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        return self._optimizer.create_state_multi_precision(index, weight)

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return self._optimizer.create_state(index, weight)

    def _do_allreduce(self, index: Any, grad: Any) -> None:
        if size() == 1:
            return
        prescale = 1.0 / self._gradient_predivide_factor
        if isinstance(index, (tuple, list)):
            grouped_allreduce_(list(grad), average=False, name=str(index[0]),
                               prescale_factor=prescale)
        else:
            allreduce_(grad, average=False, name=str(index), prescale_factor=prescale)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._do_allreduce(index, grad)
        self._optimizer.update(index, weight, grad, state)

    def update_multi_precision(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._do_allreduce(index, grad)
        self._optimizer.update_multi_precision(index, weight, grad, state)

    def set_learning_rate(self, lr: float) -> None:
        self._optimizer.set_learning_rate(lr)

    def set_lr_mult(self, args_lr_mult: dict) -> None:
        self._optimizer.set_lr_mult(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        self._optimizer.set_wd_mult(args_wd_mult)


class DistributedTrainer(Trainer):
    """A Gluon `Trainer` whose `step(batch_size)` averages the gradients over the workers
    (allreduce in a few bucketed messages) before the update; `batch_size` is per worker.

    >>> trainer = hvd.DistributedTrainer(params, 'adam', {'learning_rate': 1e-3})  # doctest: +SKIP
    """

    def __init__(self, params: Any, optimizer: Any, optimizer_params: dict | None = None,
                 compression: Any = Compression.none, gradient_predivide_factor: float = 1.0,
                 prefix: str | None = None, num_groups: int = 0) -> None:
        self._compression = compression
        if isinstance(optimizer, DistributedOptimizer):
            optimizer = optimizer._optimizer
            warnings.warn("DistributedTrainer does not take DistributedOptimizer as its "
                          "optimizer. We have unwrapped it for you.", stacklevel=2)
        if isinstance(params, dict):
            params = OrderedDict(sorted(params.items()))
        super().__init__(params, optimizer, optimizer_params=optimizer_params, kvstore=None)
        # (dividing the scale by the workers is the average, without a division pass)
        self._scale *= gradient_predivide_factor / size()
        self._gradient_predivide_factor = gradient_predivide_factor
        if prefix is not None and not isinstance(prefix, str):
            raise ParamError(f"DistributedTrainer: prefix must be a str, got "
                             f"{type(prefix).__name__}")
        self._prefix = prefix or ""
        self._num_groups = num_groups

    def _make_overlap(self) -> OverlappedAllreduce | None:
        """The gradients are summed while the backward pass runs (`kvstore/overlap.py`),
        unless they are compressed or prescaled (and see `Trainer._overlap_over`)."""
        if size() == 1 or self._compression is not Compression.none \
                or self._gradient_predivide_factor != 1.0:
            return None
        return self._overlap_over(_world())

    def _allreduce_grads(self) -> None:
        if size() == 1:
            return
        trained = [p for p in self._params if p.grad_req != "null"]
        sums = self._summed_early(trained)
        if sums is not None:
            self._write_grads(trained, sums)
            return
        grads = [p.list_grad()[0] for p in trained]
        packed = [self._compression.compress(grad) for grad in grads]
        grouped_allreduce_([sent for sent, _ in packed], average=False,
                           name=self._prefix + "grads",
                           prescale_factor=1.0 / self._gradient_predivide_factor)
        if self._compression is not Compression.none:
            for grad, (sent, ctx) in zip(grads, packed):
                grad[:] = self._compression.decompress(sent, ctx)
