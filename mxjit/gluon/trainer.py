"""Gluon's `Trainer`: applies an optimizer to a set of parameters after `backward()`.

`step(batch_size)` sums the gradients of parameters held on several contexts (as
MXNet's local KVStore does: every copy gets the sum), then updates every parameter of
each context with one call of the optimizer's updater, which the built-in optimizers run
as one compiled program. Distributed stores plug in here (`kvstore=`) with the KVStore
issue; until then 'device'/'local'/None are the stores this Trainer knows.

    >>> trainer = mx.gluon.Trainer(net.collect_params(), 'sgd',  # doctest: +SKIP
    ...                            {'learning_rate': 0.1})
    >>> with mx.autograd.record(): loss = loss_fn(net(x), y)  # doctest: +SKIP
    >>> loss.backward(); trainer.step(x.shape[0])  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import optimizer as opt
from ..base import MXNetUserWarning, ParamError, UnsupportedError
from .parameter import Parameter, ParameterDict, outside_traces

_LOCAL_STORES = ("device", "local", "local_update_cpu", "local_allreduce_cpu",
                 "local_allreduce_device")


class Trainer:
    """Updates `params` with `optimizer` (a name and its `optimizer_params`, or an
    `Optimizer`).

    >>> trainer = mx.gluon.Trainer(net.collect_params(), 'adam',  # doctest: +SKIP
    ...                            {'learning_rate': 1e-3})
    """

    def __init__(self, params: ParameterDict | dict[str, Parameter] | Sequence[Parameter],
                 optimizer: str | opt.Optimizer, optimizer_params: dict[str, Any] | None = None,
                 kvstore: Any = "device", compression_params: dict[str, Any] | None = None,
                 update_on_kvstore: bool | None = None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[k] for k in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ParamError(f"First argument must be a list or dict of Parameters, got "
                             f"{type(params)}.")
        self._params: list[Parameter] = []
        self._param2idx: dict[str, int] = {}
        for k, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise ParamError(f"First argument must be a list or dict of Parameters, got "
                                 f"list of {type(p)}.")
            self._param2idx[p.name] = k
            self._params.append(p)
            p._set_trainer(self)
        if kvstore not in (None, *_LOCAL_STORES):
            raise UnsupportedError(f"Trainer: kvstore {kvstore!r} is not available yet; use "
                                   f"'device', 'local' or None (distributed stores come with "
                                   f"mx.kv)")
        if compression_params:
            raise UnsupportedError("Trainer: gradient compression needs a distributed "
                                   "KVStore, which mxjit does not have yet")
        self._kvstore_type = kvstore
        #: the store gradients go through (None: this process's contexts are summed here;
        #: distributed stores come with the KVStore issue)
        self._kvstore: Any = None
        self._update_on_kvstore = update_on_kvstore
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad

    def _check_contexts(self) -> list[Any]:
        contexts = None
        for p in self._params:
            ctx = p.list_ctx()
            if contexts is not None and contexts != ctx:
                raise AssertionError(f"All Parameters must be initialized on the same set of "
                                     f"contexts, but Parameter {p.name} is initialized on "
                                     f"{ctx} while previous Parameters are initialized on "
                                     f"{contexts}.")
            contexts = ctx
        return contexts or []

    def _init_optimizer(self, optimizer: str | opt.Optimizer, params: dict[str, Any]) -> None:
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            if params:
                raise AssertionError("optimizer_params must be None if optimizer is an "
                                     "instance of Optimizer instead of str")
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **params)
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    @property
    def learning_rate(self) -> float:
        """The optimizer's current learning rate."""
        return self._optimizer.learning_rate

    @property
    def optimizer(self) -> opt.Optimizer:
        """The optimizer this trainer applies."""
        return self._optimizer

    def set_learning_rate(self, lr: float) -> None:
        """Set the optimizer's learning rate.

        >>> trainer.set_learning_rate(0.01)  # doctest: +SKIP
        """
        self._optimizer.set_learning_rate(lr)

    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Sum gradients over contexts, then update every parameter with gradients scaled
        by 1/batch_size.

        >>> trainer.step(64)  # doctest: +SKIP
        """
        self._optimizer.rescale_grad = self._scale / batch_size
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Sum each parameter's gradients over its contexts (every copy gets the sum): the
        first half of `step`, for clipping gradients in between.

        >>> trainer.allreduce_grads(); trainer.update(64)  # doctest: +SKIP
        """
        self._allreduce_grads()

    def update(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Update the parameters with their (already reduced) gradients: the second half
        of `step`.

        >>> trainer.update(64)  # doctest: +SKIP
        """
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def _allreduce_grads(self) -> None:
        if len(self._contexts) < 2:
            return
        with outside_traces():
            for p in self._params:
                if p.grad_req == "null":
                    continue
                grads = p.list_grad()
                total = grads[0].copyto(grads[0].context)
                for g in grads[1:]:
                    total = total + g.as_in_context(total.context)
                for g in grads:
                    g[:] = total.as_in_context(g.context)

    def _update(self, ignore_stale_grad: bool = False) -> None:
        updates: list[list[tuple[int, Any, Any]]] = [[] for _ in self._updaters]
        for k, p in enumerate(self._params):
            if p.grad_req == "null":
                continue
            arrays = p.list_data()
            if not ignore_stale_grad:
                for data in arrays:
                    if not getattr(data, "_fresh_grad", False):
                        raise MXNetUserWarning(
                            f"Gradient of Parameter `{p.name}` on context {data.context} has "
                            f"not been updated by backward since last `step`. This could "
                            f"mean a bug in your model that made it only use a subset of the "
                            f"Parameters (Blocks) for this iteration. If you are "
                            f"intentionally only using a subset, call step with "
                            f"ignore_stale_grad=True to suppress this warning and skip "
                            f"updating of Parameters with stale gradient")
            for todo, arr, grad in zip(updates, arrays, p.list_grad()):
                if not ignore_stale_grad or getattr(arr, "_fresh_grad", False):
                    todo.append((k, grad, arr))
                    arr._fresh_grad = False
        with outside_traces():
            for updater, todo in zip(self._updaters, updates):
                if todo:
                    indices, grads, weights = zip(*todo)
                    updater(list(indices), list(grads), list(weights))

    def save_states(self, fname: str) -> None:
        """Save the optimizer's states (momenta, ...) to `fname`.

        >>> trainer.save_states('trainer.states')  # doctest: +SKIP
        """
        with open(fname, "wb") as f:
            f.write(self._updaters[0].get_states(dump_optimizer=True))

    def load_states(self, fname: str) -> None:
        """Load states saved by `save_states` into every context's updater.

        >>> trainer.load_states('trainer.states')  # doctest: +SKIP
        """
        with open(fname, "rb") as f:
            states = f.read()
        for updater in self._updaters:
            updater.set_states(states)
            updater.optimizer = self._updaters[0].optimizer
        self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))
