"""MXNet's `Optimizer` base class, its registry (`register`, `create`) and the `Updater`.

An optimizer keeps the per-parameter learning-rate and weight-decay multipliers, counts
updates per parameter (`num_update` drives the `lr_scheduler`), and updates a weight in
place from its gradient and a state it created (`create_state`). The `Updater` is what a
kvstore or a Gluon Trainer calls: it creates each parameter's state on first sight and
pickles the states (`get_states`/`set_states`).

A user's optimizer subclasses `Optimizer`, defines `create_state` and `update(index,
weight, grad, state)` (called once per parameter, as in MXNet) and registers itself:

    >>> @mx.optimizer.register  # doctest: +SKIP
    ... class MySGD(mx.optimizer.Optimizer):
    ...     def update(self, index, weight, grad, state):
    ...         weight[:] -= self._get_lr(index) * grad
    >>> mx.optimizer.create("mysgd", learning_rate=0.1)  # doctest: +SKIP
"""
from __future__ import annotations

import pickle
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import nd
from ..base import MXNetDeprecationWarning, MXNetUserWarning, NotOverriddenError, ParamError
from ..nd import NDArray
from ..util import is_np_array

__all__ = ["Optimizer", "Updater", "create", "get_updater", "register", "NDabs"]

#: MXNet's `mx.optimizer` re-exports `mx.nd.abs` under this name (it is in its __all__).
NDabs = nd.abs


def require(condition: bool, message: str) -> None:
    """MXNet checks these with `assert`; raised explicitly so `python -O` keeps them."""
    if not condition:
        raise AssertionError(message)


def warn_low_precision(optimizer: str = "") -> None:
    warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy or slow "
                  "convergence. Consider using multi_precision=True option of the "
                  f"{optimizer + ' ' if optimizer else ''}optimizer", stacklevel=3)


class Optimizer:
    """The base class of every optimizer: learning rate (or `lr_scheduler`), weight decay
    `wd`, `rescale_grad` and `clip_gradient` applied to gradients, per-parameter
    multipliers (`set_lr_mult`, `set_wd_mult`, or `param_dict`'s Gluon parameters) and
    `multi_precision` (float16 weights updated through a float32 master copy).

    >>> opt = mx.optimizer.SGD(learning_rate=0.1, wd=1e-4)  # doctest: +SKIP
    >>> opt.learning_rate  # doctest: +SKIP
    0.1
    """

    #: Registered optimizers by lower-case class name (what `create` looks up).
    opt_registry: dict[str, type[Optimizer]] = {}

    def __init__(self, rescale_grad: float = 1.0, param_idx2name: dict | None = None,
                 wd: float = 0.0, clip_gradient: float | None = None,
                 learning_rate: float | None = None, lr_scheduler: Any = None, sym: Any = None,
                 begin_num_update: int = 0, multi_precision: bool = False,
                 param_dict: dict | None = None) -> None:
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if self.lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if self.lr_scheduler is not None and learning_rate is not None \
                and self.lr_scheduler.base_lr != learning_rate:
            # (MXNet prints this UserWarning to stdout; a warning lets callers filter it)
            warnings.warn("learning rate from ``lr_scheduler`` has been overwritten by "
                          "``learning_rate`` in optimizer.", UserWarning, stacklevel=2)
            self.lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult: dict = {}
        self.wd_mult: dict = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts: dict[int, dict] = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        # (MXNet's record of the semantics it was made under; mxjit's updates take
        # mx.np and mx.nd arrays alike, so nothing reads it)
        self.allow_np_array = is_np_array()
        if param_idx2name is None:
            param_idx2name = {}
        require(isinstance(param_idx2name, dict),
                "param_idx2name should be a dict of param indexes to names.")
        self.idx2name = param_idx2name.copy()
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ---- the registry ------------------------------------------------------------------

    @staticmethod
    def register(klass: type[Optimizer]) -> type[Optimizer]:
        """Register an optimizer class under its lower-case name (a decorator).

        >>> @mx.optimizer.Optimizer.register  # doctest: +SKIP
        ... class MyOptimizer(mx.optimizer.Optimizer):
        ...     pass
        """
        require(isinstance(klass, type), f"register takes a class, got {klass!r}")
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            old = Optimizer.opt_registry[name]
            warnings.warn(f"WARNING: New optimizer {klass.__module__}.{klass.__name__} is "
                          f"overriding existing optimizer {old.__module__}.{old.__name__}",
                          stacklevel=2)
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> Optimizer:
        """An optimizer of the registered class `name` (any case) made with `kwargs`.

        >>> mx.optimizer.Optimizer.create_optimizer("adam", learning_rate=0.1)  # doctest: +SKIP
        """
        if name.lower() in Optimizer.opt_registry:
            return Optimizer.opt_registry[name.lower()](**kwargs)
        raise ParamError(f"Cannot find optimizer {name}")

    # ---- learning rate and multipliers -------------------------------------------------

    @property
    def learning_rate(self) -> float:
        """The current learning rate: the scheduler's at `num_update`, else `lr`."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)  # type: ignore[no-any-return]
        return self.lr  # type: ignore[return-value]

    def set_learning_rate(self, lr: float) -> None:
        """Set the learning rate (not allowed when an `lr_scheduler` decides it).

        >>> opt.set_learning_rate(0.05)  # doctest: +SKIP
        """
        if self.lr_scheduler is not None:
            raise MXNetUserWarning("LRScheduler of the optimizer has already been defined. Note "
                              "that set_learning_rate can mutate the value of the learning "
                              "rate of the optimizer only when the LRScheduler of the "
                              "optimizer is undefined.")
        self.lr = lr

    def set_lr_scale(self, args_lrscale: dict) -> None:
        """Deprecated in MXNet: raises DeprecationWarning; use `set_lr_mult`.

        >>> opt.set_lr_mult({0: 0.1})  # doctest: +SKIP
        """
        raise MXNetDeprecationWarning

    def set_lr_mult(self, args_lr_mult: dict) -> None:
        """Set learning-rate multipliers by parameter name or index (those of `sym`'s
        `__lr_mult__` attributes first, then these).

        >>> opt.set_lr_mult({"fc_bias": 2.0, 3: 0.1})  # doctest: +SKIP
        """
        self.lr_mult = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and "__lr_mult__" in attr[name]:
                    self.lr_mult[name] = float(attr[name]["__lr_mult__"])
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """Set weight-decay multipliers by parameter name or index. Named parameters
        (`param_idx2name`) that end neither in `_weight` nor in `_gamma` get 0.

        >>> opt.set_wd_mult({"fc_weight": 0.5})  # doctest: +SKIP
        """
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not self._decays(n):
                self.wd_mult[n] = 0.0
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and "__wd_mult__" in attr[name]:
                    self.wd_mult[name] = float(attr[name]["__wd_mult__"])
        self.wd_mult.update(args_wd_mult)

    def _decays(self, name: str) -> bool:
        """Whether the parameter `name` keeps weight decay by default."""
        return name.endswith("_weight") or name.endswith("_gamma")

    def _set_current_context(self, device_id: int) -> None:
        """Count updates separately per device (each has its copy of the weights)."""
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index: Any) -> None:
        """Count one more update of each index; `num_update` is the largest count."""
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _get_lrs(self, indices: Sequence[Any]) -> list[float]:
        lr = self.learning_rate
        return [lr * self._multiplier(index, "lr_mult") for index in indices]

    def _get_lr(self, index: Any) -> float:
        return self._get_lrs([index])[0]

    def _get_wds(self, indices: Sequence[Any]) -> list[float]:
        return [self.wd * self._multiplier(index, "wd_mult") for index in indices]

    def _get_wd(self, index: Any) -> float:
        return self._get_wds([index])[0]

    def _multiplier(self, index: Any, kind: str) -> float:
        """A parameter's lr_mult or wd_mult: its Gluon parameter's, else the one set by
        index, else by name (MXNet's order of precedence)."""
        if index in self.param_dict:
            return getattr(self.param_dict[index], kind)  # type: ignore[no-any-return]
        table = getattr(self, kind)
        if index in table:
            return table[index]  # type: ignore[no-any-return]
        if index in self.idx2name:
            return table.get(self.idx2name[index], 1.0)  # type: ignore[no-any-return]
        return 1.0

    # ---- states and updates ------------------------------------------------------------

    def create_state(self, index: Any, weight: NDArray) -> Any:
        """The state `update` keeps for a weight (momentum, moments, ...); None here.

        >>> state = opt.create_state(0, weight)  # doctest: +SKIP
        """
        return None

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        """`create_state`, with a float32 master copy first for a float16 weight when
        `multi_precision` is on: `(weight32, create_state(index, weight32))`.

        >>> state = opt.create_state_multi_precision(0, weight)  # doctest: +SKIP
        """
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (master, self.create_state(index, master))
        if weight.dtype == np.float16:
            warn_low_precision()
        return self.create_state(index, weight)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        """Update `weight` (an NDArray) in place from `grad` and `state` (which it may
        update too). The built-in optimizers also take lists of each.

        >>> opt.update(0, weight, grad, state)  # doctest: +SKIP
        """
        raise NotOverriddenError()

    def update_multi_precision(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        """`update`, run on the float32 master copy (then cast into the weight) for a
        float16 weight when `multi_precision` is on.

        >>> opt.update_multi_precision(0, weight, grad, state)  # doctest: +SKIP
        """
        if self.multi_precision and weight.dtype == np.float16:
            master, inner = state
            self.update(index, master, grad.astype(np.float32), inner)
            nd.cast(master, dtype=weight.dtype, out=weight)
        else:
            self.update(index, weight, grad, state)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["param_dict"]  # (Gluon parameters: the Trainer sets them again)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register
create = Optimizer.create_optimizer


class Updater:
    """Updates weights by index with an optimizer, creating each one's state when first
    seen: what a kvstore or a Gluon Trainer calls, `updater(index, grad, weight)` (lists
    of each too). A built-in optimizer updates all the weights of one dtype given in one
    call as one compiled program.

    >>> updater = mx.optimizer.get_updater(mx.optimizer.Adam())  # doctest: +SKIP
    >>> updater(0, grad, weight)  # doctest: +SKIP
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.states: dict[Any, Any] = {}
        self.states_synced: dict[Any, bool] = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        if isinstance(index, (list, tuple)):
            indices, grads, weights = list(index), list(grad), list(weight)
        else:
            indices, grads, weights = [index], [grad], [weight]
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):  # (names that came through C strings)
                indices[i] = idx = idx.decode()
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx], weights[i].context)
                self.states_synced[idx] = True
        if not self.aggregate_updates:
            for i, w, g in zip(indices, weights, grads):
                self.optimizer.update_multi_precision(i, w, g, self.states[i])
            return
        by_dtype: dict[Any, list[tuple[Any, NDArray, NDArray]]] = {}
        for i, w, g in zip(indices, weights, grads):
            by_dtype.setdefault(w.dtype, []).append((i, w, g))
        size = self.optimizer.aggregate_num
        for group in by_dtype.values():
            for start in range(0, len(group), size):
                chunk = group[start:start + size]
                self.optimizer.update_multi_precision(
                    [i for i, _, _ in chunk], [w for _, w, _ in chunk],
                    [g for _, _, g in chunk], [self.states[i] for i, _, _ in chunk])

    def sync_state_context(self, state: Any, context: Any) -> Any:
        """`state` (arrays, or tuples and lists of them) moved to `context`.

        >>> updater.sync_state_context(state, mx.cpu())  # doctest: +SKIP
        """
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(s, context) for s in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def set_states(self, states: bytes) -> None:
        """Load states pickled by `get_states` (with the optimizer, if it was dumped).

        >>> updater.set_states(saved)  # doctest: +SKIP
        """
        loaded = pickle.loads(states)
        if isinstance(loaded, tuple) and len(loaded) == 2:
            self.states, self.optimizer = loaded
        else:
            self.states = loaded
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        """The states pickled (and the optimizer, with its schedule and update counts,
        when `dump_optimizer`).

        >>> saved = updater.get_states(dump_optimizer=True)  # doctest: +SKIP
        """
        return pickle.dumps((self.states, self.optimizer) if dump_optimizer else self.states)


def get_updater(optimizer: Optimizer) -> Updater:
    """The `Updater` of `optimizer` (what a kvstore calls with index, grad, weight).

    >>> updater = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=0.1))  # doctest: +SKIP
    """
    return Updater(optimizer)
