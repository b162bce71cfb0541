"""`BucketingModule`: one `Module` per bucket key (a sequence length, say), all sharing
the parameters of the default bucket's module.

`sym_gen(bucket_key)` returns `(symbol, data_names, label_names)` for a key. Each batch's
`bucket_key` picks (or binds, sharing the default module's parameter arrays and
optimizer) the module that runs it, so buckets of different shapes train one set of
weights; each bucket's executor is a program compiled once for its shapes.

    >>> def sym_gen(seq_len):  # doctest: +SKIP
    ...     return make_net(seq_len), ('data',), ('softmax_label',)
    >>> mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=10)  # doctest: +SKIP
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nd
from .. import symbol as sym
from ..base import ArgumentError
from ..context import Context
from ..initializer import Initializer
from ..model import load_params, params_file
from ..name import NameManager
from .base_module import DEFAULT_INITIALIZER, BaseModule, check_input_names, require
from .module import CPU, Module

__all__ = ["BucketingModule"]


def __dir__() -> list[str]:
    return __all__


SymGen = Callable[[Any], tuple[Any, Any, Any]]


class BucketingModule(BaseModule):
    """Modules per bucket key sharing one set of parameters (see the module docstring).

    >>> mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=10,  # doctest: +SKIP
    ...                              context=mx.cpu())
    """

    def __init__(self, sym_gen: SymGen, default_bucket_key: Any = None, logger: Any = logging,
                 context: Context | list[Context] = CPU, work_load_list: Any = None,
                 fixed_param_names: Any = None, state_names: Any = None, group2ctxs: Any = None,
                 compression_params: Any = None):
        super().__init__(logger=logger)
        require(default_bucket_key is not None, "BucketingModule: default_bucket_key is "
                                                "required")
        if not callable(sym_gen):
            raise ArgumentError(f"BucketingModule: sym_gen must be callable, got "
                                f"{type(sym_gen).__name__}")
        self._default_bucket_key = default_bucket_key
        self._sym_gen = sym_gen
        symbol, data_names, label_names = self._call_sym_gen(default_bucket_key)
        self._fixed_param_names = list(fixed_param_names or [])
        self._state_names = list(state_names or [])
        check_input_names(symbol, list(data_names or []), "data", True)
        check_input_names(symbol, list(label_names or []), "label", False)
        check_input_names(symbol, self._state_names, "state", True)
        check_input_names(symbol, self._fixed_param_names, "fixed_param", True)
        self._module_kwargs = dict(logger=logger, context=context,
                                   work_load_list=work_load_list,
                                   fixed_param_names=self._fixed_param_names,
                                   state_names=self._state_names, group2ctxs=group2ctxs,
                                   compression_params=compression_params)
        self._buckets: dict[Any, Module] = {}
        self._curr_module: Module | None = None
        self._curr_bucket_key: Any = None
        self._params_dirty = False
        self._monitor: Any = None
        self._grad_req: Any = None

    def _reset_bind(self) -> None:
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    def _call_sym_gen(self, bucket_key: Any) -> tuple[Any, Any, Any]:
        # (a fresh name manager, so every bucket's symbol names its nodes alike and the
        # buckets' parameters share names)
        with NameManager():
            return self._sym_gen(bucket_key)

    def _module(self) -> Module:
        require(self._curr_module is not None, "BucketingModule: call bind() first")
        assert self._curr_module is not None
        return self._curr_module

    @property
    def data_names(self) -> list[str]:
        """The current bucket's data names (the default bucket's before binding)."""
        if self.binded:
            return self._module().data_names
        return list(self._call_sym_gen(self._default_bucket_key)[1])

    @property
    def output_names(self) -> list[str]:
        """The current bucket's output names (the default bucket's before binding)."""
        if self.binded:
            return self._module().output_names
        return list(self._call_sym_gen(self._default_bucket_key)[0].list_outputs())

    @property
    def data_shapes(self) -> Any:
        """The current bucket's data shapes."""
        require(self.binded, "data_shapes: call bind() first")
        return self._module().data_shapes

    @property
    def label_shapes(self) -> Any:
        """The current bucket's label shapes."""
        require(self.binded, "label_shapes: call bind() first")
        return self._module().label_shapes

    @property
    def output_shapes(self) -> Any:
        """The current bucket's output shapes."""
        require(self.binded, "output_shapes: call bind() first")
        return self._module().output_shapes

    @property
    def symbol(self) -> Any:
        """The current bucket's symbol."""
        require(self.binded, "symbol: call bind() first")
        return self._module().symbol

    def get_params(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The shared parameters (up to date with the devices).

        >>> arg_params, aux_params = mod.get_params()  # doctest: +SKIP
        """
        require(self.params_initialized, "get_params: call init_params() first")
        module = self._module()
        module._params_dirty = self._params_dirty
        params = module.get_params()
        self._params_dirty = False
        return params

    def set_params(self, arg_params: dict[str, Any], aux_params: dict[str, Any],
                   allow_missing: bool = False, force_init: bool = True,
                   allow_extra: bool = False) -> None:
        """Assign the shared parameters' values.

        >>> mod.set_params(arg_params, aux_params)  # doctest: +SKIP
        """
        if self._set_params_by_init(arg_params, aux_params, allow_missing, force_init,
                                    allow_extra):
            return
        self._module().set_params(arg_params, aux_params, allow_missing=allow_missing,
                                  force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def init_params(self, initializer: Initializer | None = DEFAULT_INITIALIZER,
                    arg_params: dict[str, Any] | None = None,
                    aux_params: dict[str, Any] | None = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        """Initialise the shared parameters (through the current bucket's module).

        >>> mod.init_params(mx.init.Xavier())  # doctest: +SKIP
        """
        if self.params_initialized and not force_init:
            return
        require(self.binded, "call bind before initializing the parameters")
        self._module().init_params(initializer=initializer, arg_params=arg_params,
                                   aux_params=aux_params, allow_missing=allow_missing,
                                   force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = False
        self.params_initialized = True

    def get_states(self, merge_multi_context: bool = True) -> list[Any]:
        """The current bucket's state arrays.

        >>> mod.get_states(merge_multi_context=False)  # doctest: +SKIP
        """
        self._require_ready("get_states")
        return self._module().get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states: Any = None, value: Any = None) -> None:
        """Set the current bucket's state arrays.

        >>> mod.set_states(value=0)  # doctest: +SKIP
        """
        self._require_ready("set_states")
        self._module().set_states(states, value)

    def bind(self, data_shapes: Any, label_shapes: Any = None, for_training: bool = True,
             inputs_need_grad: bool = False, force_rebind: bool = False,
             shared_module: Any = None, grad_req: Any = "write") -> None:
        """Bind the default bucket's module to these shapes (the other buckets bind as
        their keys first appear).

        >>> mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)  # doctest: +SKIP
        """
        params = self.get_params() if self.params_initialized else None
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        require(shared_module is None, "shared_module for BucketingModule is not supported")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.binded = True
        self._grad_req = grad_req
        module = self._buckets.get(self._default_bucket_key)
        if module is None:
            symbol, data_names, label_names = self._call_sym_gen(self._default_bucket_key)
            module = Module(symbol, data_names, label_names, **self._module_kwargs)
        module.bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                    force_rebind=False, shared_module=None, grad_req=grad_req)
        self._curr_module = module
        self._curr_bucket_key = self._default_bucket_key
        self._buckets[self._default_bucket_key] = module
        if params is not None:
            self.set_params(*params)

    def switch_bucket(self, bucket_key: Any, data_shapes: Any, label_shapes: Any = None
                      ) -> None:
        """Make `bucket_key`'s module current, binding it (sharing the default bucket's
        parameters) the first time.

        >>> mod.switch_bucket(20, [('data', (32, 20))],  # doctest: +SKIP
        ...                   [('softmax_label', (32, 20))])
        """
        require(self.binded, "call bind before switching bucket")
        current = self._module()
        module = self._buckets.get(bucket_key)
        if module is None:
            symbol, data_names, label_names = self._call_sym_gen(bucket_key)
            module = Module(symbol, data_names, label_names, **self._module_kwargs)
            self._buckets[bucket_key] = module
        if not module.binded:
            module.bind(data_shapes, label_shapes, current.for_training,
                        current.inputs_need_grad, force_rebind=False,
                        shared_module=self._buckets[self._default_bucket_key],
                        grad_req=self._grad_req)
            if self._monitor is not None:
                module.install_monitor(self._monitor)
        self._curr_module = module
        self._curr_bucket_key = bucket_key

    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """Install the optimizer in the current bucket's module; every bucket shares it.

        >>> mod.init_optimizer(optimizer='adam')  # doctest: +SKIP
        """
        if self._keep_optimizer(force_init):
            return
        current = self._module()
        current.init_optimizer(kvstore, optimizer, optimizer_params, force_init=force_init)
        for module in self._buckets.values():
            if module is not current:
                module.borrow_optimizer(current)
        self.optimizer_initialized = True

    def prepare(self, data_batch: Any, sparse_row_id_fn: Any = None) -> None:
        """Bind the module of the batch's bucket ahead of its forward pass.

        >>> mod.prepare(batch)  # doctest: +SKIP
        """
        self._require_ready("prepare")
        original = self._curr_bucket_key
        self.switch_bucket(data_batch.bucket_key, data_batch.provide_data,
                           data_batch.provide_label)
        self._module().prepare(data_batch, sparse_row_id_fn=sparse_row_id_fn)
        self.switch_bucket(original, None, None)

    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        """Switch to the batch's bucket (`data_batch.bucket_key`) and run it.

        >>> mod.forward(batch, is_train=True)  # doctest: +SKIP
        """
        self._require_ready("BucketingModule.forward")
        self.switch_bucket(data_batch.bucket_key, data_batch.provide_data,
                           data_batch.provide_label)
        self._module().forward(data_batch, is_train=is_train)

    def backward(self, out_grads: Any = None) -> None:
        """The current bucket's backward pass.

        >>> mod.backward()  # doctest: +SKIP
        """
        self._require_ready("BucketingModule.backward")
        self._module().backward(out_grads=out_grads)

    def update(self) -> None:
        """Update the shared parameters from the current bucket's gradients.

        >>> mod.update()  # doctest: +SKIP
        """
        self._require_ready("BucketingModule.update", optimizer=True)
        self._params_dirty = True
        self._module().update()

    def get_outputs(self, merge_multi_context: bool = True) -> list[Any]:
        """The current bucket's outputs.

        >>> mod.get_outputs()[0]  # doctest: +SKIP
        """
        self._require_ready("get_outputs")
        return self._module().get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context: bool = True) -> list[Any]:
        """The current bucket's input gradients (bind with `inputs_need_grad=True`).

        >>> mod.get_input_grads()[0]  # doctest: +SKIP
        """
        self._require_ready("get_input_grads")
        require(self.inputs_need_grad, "get_input_grads: bind with inputs_need_grad=True")
        return self._module().get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Update `eval_metric` with the current bucket's outputs.

        >>> mod.update_metric(mx.metric.Perplexity(None), batch.label)  # doctest: +SKIP
        """
        self._require_ready("update_metric")
        self._module().update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon: Any) -> None:
        """Install `mon` in every bucket's module (and those bound later).

        >>> mod.install_monitor(mx.monitor.Monitor(1))  # doctest: +SKIP
        """
        require(self.binded, "install_monitor: call bind() first")
        self._monitor = mon
        for module in self._buckets.values():
            module.install_monitor(mon)

    # ---- checkpoints ---------------------------------------------------------------------

    def save_checkpoint(self, prefix: str, epoch: int, remove_amp_cast: bool = False) -> None:
        """Save the shared parameters (`prefix-%04d.params`), each bucket's symbol
        (`prefix-<key>-symbol.json`) and the keys (`prefix.buckets`).

        >>> mod.save_checkpoint('lm', 3)  # doctest: +SKIP
        """
        require(len(self._buckets) > 0, "Empty BucketingModule cannot be saved")
        self.save_params(params_file(prefix, epoch))
        for key in self._buckets:
            symbol, _, _ = self._call_sym_gen(key)
            symbol.save(f"{prefix}-{key}-symbol.json", remove_amp_cast=remove_amp_cast)
        nd.save(f"{prefix}.buckets", nd.array(list(self._buckets), dtype=np.int32))

    @staticmethod
    def load(prefix: str, epoch: int, sym_gen: SymGen | None = None,
             default_bucket_key: Any = None, **kwargs: Any) -> BucketingModule:
        """A bucketing module of the checkpoint `save_checkpoint` wrote (integer keys).

        >>> mod = mx.mod.BucketingModule.load('lm', 3, sym_gen, 10)  # doctest: +SKIP
        """
        if sym_gen is None:
            raise AssertionError("sym_gen is required for loading BucketingModule")
        require(default_bucket_key is not None,
                "default_bucket_key is required for loading BucketingModule")
        keys = [int(k) for k in nd.load(f"{prefix}.buckets")[0].asnumpy()]
        symbols = {k: sym.load(f"{prefix}-{k}-symbol.json") for k in keys}
        arg_params, aux_params = load_params(prefix, epoch)
        return BucketingModule.load_dict(symbols, sym_gen, default_bucket_key, arg_params,
                                         aux_params, **kwargs)

    @staticmethod
    def load_dict(sym_dict: dict[Any, Any] | None = None, sym_gen: SymGen | None = None,
                  default_bucket_key: Any = None, arg_params: dict[str, Any] | None = None,
                  aux_params: dict[str, Any] | None = None, **kwargs: Any
                  ) -> BucketingModule:
        """A bucketing module of the symbols by bucket key in `sym_dict`, its parameters
        `arg_params`/`aux_params` (set at bind).

        >>> mod = mx.mod.BucketingModule.load_dict(  # doctest: +SKIP
        ...     symbols, sym_gen, 10, args, auxs)
        """
        if sym_dict is None or sym_gen is None:
            raise AssertionError("sym_dict and sym_gen need to be provided for "
                                 "BucketingModule.load_dict")
        require(arg_params is not None, "arg_params need to be provided for "
                                        "BucketingModule.load_dict")
        require(aux_params is not None, "aux_params need to be provided for "
                                        "BucketingModule.load_dict")
        require(default_bucket_key is not None, "default_bucket_key needs to be provided "
                                                "for BucketingModule.load_dict")
        mod = BucketingModule(sym_gen, default_bucket_key, **kwargs)
        for key, symbol in sym_dict.items():
            _, data_names, label_names = mod._call_sym_gen(key)
            mod._buckets[key] = Module(symbol, data_names, label_names, **mod._module_kwargs)
        require(default_bucket_key in mod._buckets,
                f"the default bucket key {default_bucket_key!r} has no symbol")
        mod._curr_module = mod._buckets[default_bucket_key]
        mod._curr_module._arg_params = arg_params
        mod._curr_module._aux_params = aux_params
        mod._curr_module.params_initialized = True
        mod.params_initialized = True
        return mod
