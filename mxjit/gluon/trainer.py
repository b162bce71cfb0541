"""Gluon's `Trainer`: applies an optimizer to a set of parameters after `backward()`.

`step(batch_size)` sums the gradients through a KVStore (`kvstore=`: a type name or a
store; chosen at the first step by MXNet 1.9.1's rules, see `kvstore/choose.py`), then
either the store updates the weights and every context pulls them
(`update_on_kvstore`), or every context updates its copy with one call of the
optimizer's updater, which the built-in optimizers run as one compiled program. With one
context and no 'dist' store there is no store and nothing to sum; with `kvstore=None`
each context updates from its own gradient, as in MXNet. A distributed store
(`dist_sync`, `horovod`) sums over the workers too: all parameters in one `pushpull`,
so the allreduce travels in a few large buckets. As in MXNet, `step(batch_size)` divides
by the batch size given, so with `dist_sync` pass the global batch size to train like one
process on the whole batch (`mxjit.horovod.DistributedTrainer` divides by the workers).

    >>> trainer = mx.gluon.Trainer(net.collect_params(), 'sgd',  # doctest: +SKIP
    ...                            {'learning_rate': 0.1})
    >>> with mx.autograd.record(): loss = loss_fn(net(x), y)  # doctest: +SKIP
    >>> loss.backward(); trainer.step(x.shape[0])  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import optimizer as opt
from ..base import MXNetError, MXNetUserWarning, ParamError
from ..kvstore import Horovod, KVStore, KVStoreBase, overlap
from ..kvstore.choose import create_kvstore, create_sparse_kvstore
from ..kvstore.dist_sync import DistSyncKVStore
from ..kvstore.overlap import OverlappedAllreduce
from ..nd import NDArray
from .parameter import Parameter, ParameterDict, outside_traces


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
        self._contains_sparse_weight = any(p._stype != "default" for p in self._params)
        self._contains_sparse_grad = any(p._grad_stype != "default" for p in self._params)
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._compression_params = compression_params
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        #: the store gradients go through (None: no store; chosen at the first step)
        self._kvstore: Any = None
        self._update_on_kvstore: bool | None = None
        self._distributed: bool | None = None
        self._kv_initialized = False
        self._params_to_init: list[Parameter] = []
        #: the allreduce that overlaps the backward pass (`kvstore/overlap.py`), when the
        #: store sums over workers; chosen with the store
        self._overlap: OverlappedAllreduce | None = None
        self._reset_kvstore()

    def _reset_kvstore(self) -> None:
        """Forget the store (new parameter values were set): the next step makes one
        from them. A distributed store cannot be forgotten."""
        if self._kvstore is not None and "dist" in self._kvstore.type:
            raise MXNetError("Cannot reset distributed KVStore.")
        self._kv_initialized = False
        self._kvstore = None
        self._distributed = None
        self._update_on_kvstore = None
        self._params_to_init = list(self._params)

    def _init_kvstore(self) -> None:
        """Choose the store and `update_on_kvstore` by MXNet 1.9.1's rules: sparse weights
        always update on a store, sparse gradients on a distributed one, dense parameters
        by `create_kvstore` (never `update_on_kvstore=False` in async mode)."""
        config = self._kvstore_params
        asked = config["update_on_kvstore"]
        kvstore: KVStoreBase | None
        if self._contains_sparse_weight:
            kvstore, update_on_kvstore = create_sparse_kvstore(config["kvstore"])
            self._distributed = "dist" in kvstore.type
            if asked is False:
                raise ParamError("Cannot set update_on_kvstore=False when sparse weights are "
                                 "present.")
        elif self._contains_sparse_grad:
            kvstore, _ = create_kvstore(config["kvstore"], len(self._contexts),
                                        {p.name: p for p in self._params})
            self._distributed = kvstore is not None and "dist" in kvstore.type
            update_on_kvstore = bool(self._distributed)
            if asked is not None:
                if asked is False and self._distributed:
                    raise ParamError("Cannot set update_on_kvstore=False on dist kvstore when "
                                     "sparse gradients are present.")
                update_on_kvstore = asked
            if kvstore is not None and not isinstance(kvstore, KVStore):
                raise ParamError(f"Cannot use {type(kvstore)} for multi-device training with "
                                 f"sparse gradients")
        else:
            kvstore, update_on_kvstore = create_kvstore(config["kvstore"], len(self._contexts),
                                                        {p.name: p for p in self._params})
            self._distributed = kvstore is not None and "dist" in kvstore.type
            if self._distributed and "async" in kvstore.type:  # type: ignore[union-attr]
                update_on_kvstore = True
                if asked is False:
                    raise ParamError("Please set update_on_kvstore=True when training in "
                                     "async mode.")
            if asked is not None:
                update_on_kvstore = asked
            if update_on_kvstore and kvstore is not None \
                    and not kvstore.is_capable("optimizer"):
                if asked:
                    raise ParamError(f"Please set update_on_kvstore=False when training with "
                                     f"{type(kvstore)}")
                update_on_kvstore = False
        if kvstore is not None:
            if self._compression_params:
                kvstore.set_gradient_compression(  # type: ignore[attr-defined]
                    self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            self._kvstore = kvstore
            self._update_on_kvstore = bool(update_on_kvstore)
        else:
            self._kvstore = None
            self._update_on_kvstore = None
        self._kv_initialized = True

    def _init_params(self) -> None:
        """Put each parameter into the store (rank 0's values, copied to every context)."""
        waiting = []
        with outside_traces():
            for p in self._params_to_init:
                if p._deferred_init:
                    waiting.append(p)
                elif self._kvstore is not None:
                    arrays = p._check_and_get(p._data, list)
                    if p._stype != "default":
                        self._kvstore.init(self._param2idx[p.name], arrays[0])
                    else:
                        self._kvstore.broadcast(self._param2idx[p.name], arrays[0], arrays)
        self._params_to_init = waiting

    def _row_sparse_pull(self, parameter: Parameter, out: Any, row_id: NDArray,
                         full_idx: bool = False) -> None:
        """Pull the rows `row_id` of `parameter`'s weights from the store into `out` (one
        row_sparse array or a list); `full_idx`: every row, which a plain pull gives where
        the store is local."""
        self._prepare_store()
        key = self._param2idx[parameter.name]
        with outside_traces():
            if full_idx and "dist" not in self._kvstore.type:
                self._kvstore.pull(key, out=out, priority=-key, ignore_sparse=False)
            else:
                self._kvstore.row_sparse_pull(key, out=out, row_ids=row_id, priority=-key)

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
        """Sum gradients over contexts (and workers), then update every parameter with
        gradients scaled by 1/batch_size.

        >>> trainer.step(64)  # doctest: +SKIP
        """
        self._check_and_rescale_grad(self._scale / batch_size)
        self._prepare_store()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Sum each parameter's gradients over its contexts and workers (every copy gets
        the sum): the first half of `step`, for clipping gradients in between.

        >>> trainer.allreduce_grads(); trainer.update(64)  # doctest: +SKIP
        """
        self._prepare_store()
        if self._kvstore is not None and self._update_on_kvstore:
            raise AssertionError("allreduce_grads() when parameters are updated on kvstore "
                                 "is not supported. Try setting `update_on_kvstore` to False "
                                 "when creating trainer.")
        self._allreduce_grads()

    def update(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Update the parameters with their (already reduced) gradients: the second half
        of `step`.

        >>> trainer.update(64)  # doctest: +SKIP
        """
        self._prepare_store()
        if self._kvstore is not None and self._update_on_kvstore:
            raise AssertionError("update() when parameters are updated on kvstore is not "
                                 "supported. Try setting `update_on_kvstore` to False when "
                                 "creating trainer.")
        self._check_and_rescale_grad(self._scale / batch_size)
        self._update(ignore_stale_grad)

    def _prepare_store(self) -> None:
        if not self._kv_initialized:
            self._init_kvstore()
            if self._overlap is None:
                self._overlap = self._make_overlap()
        if self._params_to_init:
            self._init_params()

    def _make_overlap(self) -> OverlappedAllreduce | None:
        """An overlapped allreduce when the store sums the gradients over several workers
        with a plain allreduce ('dist_sync' without compression, 'horovod')."""
        kv = self._kvstore
        plain = isinstance(kv, DistSyncKVStore) and kv._compression is None \
            or isinstance(kv, Horovod)
        return self._overlap_over(kv._comm) if plain and kv.num_workers > 1 else None

    def _overlap_over(self, comm: Any) -> OverlappedAllreduce | None:
        """An overlapped allreduce over the workers of `comm` of the dense gradients of
        one CPU context, where `overlap.wanted` says so (every worker calls it)."""
        if len(self._contexts) != 1 or self._contexts[0].device_type != "cpu" \
                or self._contains_sparse_grad or self._contains_sparse_weight \
                or not overlap.wanted(comm):
            return None
        return OverlappedAllreduce(comm, [p for p in self._params if p.grad_req != "null"])

    def _summed_early(self, params: list[Parameter]) -> list[Any] | None:
        """The sums over the workers of the gradients of `params` computed while the
        backward pass ran, or None (see `OverlappedAllreduce.finish`)."""
        return self._overlap.finish(params) if self._overlap is not None else None

    @staticmethod
    def _write_grads(params: list[Parameter], sums: list[Any]) -> None:
        for p, total in zip(params, sums):
            p.list_grad()[0]._store_values(total, False)

    def _check_and_rescale_grad(self, scale: float) -> None:
        if self._update_on_kvstore and self._distributed and self._kv_initialized \
                and self._optimizer.rescale_grad != scale:
            raise MXNetUserWarning("Possible change in the `batch_size` from previous `step` "
                                   "detected. Optimizer gradient normalizing factor will not "
                                   "change w.r.t new batch_size when update_on_kvstore=True "
                                   "and when distributed kvstore is used.")
        self._optimizer.rescale_grad = scale

    def _allreduce_grads(self) -> None:
        if self._kvstore is None:
            return
        trained = [(i, p) for i, p in enumerate(self._params) if p.grad_req != "null"]
        dense = [(i, p) for i, p in trained if p._grad_stype == p._stype == "default"]
        with outside_traces():
            for i, p in trained:
                if (i, p) not in dense:
                    self._push_sparse(i, p)
            if dense:
                self._pushpull_dense_grads(dense)

    def _push_sparse(self, key: int, param: Parameter) -> None:
        """Push the gradients of a parameter with sparse weights or gradients; a dense
        parameter then pulls its weights (updated on the store) or the summed gradients.
        A sparse parameter pulls nothing: its forward pass asks for the rows it needs
        (`row_sparse_data`)."""
        self._kvstore.push(key, param.list_grad(), priority=-key)
        if param._stype != "default":
            return
        into = param.list_data() if self._update_on_kvstore else param.list_grad()
        self._kvstore.pull(key, into, priority=-key, ignore_sparse=bool(self._distributed))

    def _pushpull_dense_grads(self, trained: list[tuple[int, Parameter]]) -> None:
        """Sum dense gradients (and update the weights, on the store)."""
        keys = [i for i, _ in trained]
        grads = [p.list_grad() for _, p in trained]
        outs = [p.list_data() for _, p in trained] if self._update_on_kvstore else None
        sums = self._summed_early([p for _, p in trained])
        if sums is not None:
            if not isinstance(self._kvstore, DistSyncKVStore):
                self._write_grads([p for _, p in trained], sums)
                return
            with self._kvstore.summed_already():  # (the store keeps the gradients local)
                self._kvstore.pushpull(keys, [[NDArray._wrap_host(t)] for t in sums],
                                       out=outs if outs is not None else grads)
            return
        if isinstance(self._kvstore, (KVStore, Horovod)):
            # (one call: the store sums every parameter in a few large messages)
            self._kvstore.pushpull(keys, grads, out=outs)
            return
        for n, i in enumerate(keys):
            self._kvstore.pushpull(i, grads[n], out=None if outs is None else outs[n],
                                   priority=-i)

    def _update(self, ignore_stale_grad: bool = False) -> None:
        updates: list[list[tuple[int, Any, Any]]] = [[] for _ in self._updaters]
        on_store = self._kvstore is not None and self._update_on_kvstore
        for k, p in enumerate(self._params):
            if p.grad_req == "null":
                continue
            arrays = p._check_and_get(p._data, list)
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
            if on_store:
                continue  # (the store updated it; MXNet keeps the fresh flags then too)
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
        """Save the optimizer's states (momenta, ...) to `fname` (the store's, when it
        runs the optimizer).

        >>> trainer.save_states('trainer.states')  # doctest: +SKIP
        """
        self._prepare_store()
        if self._update_on_kvstore:
            if self._params_to_init:
                raise ParamError("Cannot save trainer states when some parameters are not "
                                 "yet initialized in kvstore.")
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
            return
        with open(fname, "wb") as f:
            f.write(self._updaters[0].get_states(dump_optimizer=True))

    def load_states(self, fname: str) -> None:
        """Load states saved by `save_states` into every context's updater (or the
        store's).

        >>> trainer.load_states('trainer.states')  # doctest: +SKIP
        """
        self._prepare_store()
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            self._optimizer = self._kvstore._updater.optimizer
        else:
            with open(fname, "rb") as f:
                states = f.read()
            for updater in self._updaters:
                updater.set_states(states)
                updater.optimizer = self._updaters[0].optimizer
            self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))
