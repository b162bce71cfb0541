"""`SequentialModule`: modules chained so each one's outputs are the next one's data.

`forward` runs the modules in order, `backward` in reverse, handing each module the
gradients of its outputs (the next module's input gradients: every module after the
first is bound with `inputs_need_grad`). A module added with `take_labels=True` receives
the labels (and feeds the metric); `auto_wiring=True` renames the previous outputs to its
data names.

    >>> seq = mx.mod.SequentialModule()  # doctest: +SKIP
    >>> seq.add(mx.mod.Module(body, label_names=None)).add(  # doctest: +SKIP
    ...     mx.mod.Module(head), take_labels=True, auto_wiring=True)
"""
from __future__ import annotations

import copy
import logging
from typing import Any

from ..base import ParamError
from ..initializer import Initializer
from .base_module import DEFAULT_INITIALIZER, BaseModule, require

__all__ = ["SequentialModule"]


def __dir__() -> list[str]:
    return __all__


class SequentialModule(BaseModule):
    """A chain of modules run one after another (see the module docstring).

    >>> seq = mx.mod.SequentialModule().add(mod1).add(mod2, take_labels=True)  # doctest: +SKIP
    """

    META_TAKE_LABELS = "take_labels"
    META_AUTO_WIRING = "auto_wiring"

    def __init__(self, logger: Any = logging):
        super().__init__(logger=logger)
        self._modules: list[BaseModule] = []
        self._metas: list[dict[str, Any]] = []
        self._label_shapes: Any = None
        self._meta_keys = {self.META_TAKE_LABELS, self.META_AUTO_WIRING}

    def add(self, module: BaseModule, **kwargs: Any) -> SequentialModule:
        """Append `module` with its options (`take_labels`, `auto_wiring`); returns self,
        so calls chain. The chain must be bound and initialised again afterwards.

        >>> seq.add(mod, take_labels=True)  # doctest: +SKIP
        """
        for key in kwargs:
            if key not in self._meta_keys:
                raise ParamError(f'Unknown meta "{key}", a typo? The options are '
                                 f"{sorted(self._meta_keys)}")
        self._modules.append(module)
        self._metas.append(kwargs)
        self.binded = False
        self.params_initialized = False
        self.optimizer_initialized = False
        return self

    @property
    def data_names(self) -> list[str]:
        """The first module's data names."""
        return self._modules[0].data_names if self._modules else []

    @property
    def output_names(self) -> list[str]:
        """The last module's output names."""
        return self._modules[-1].output_names if self._modules else []

    @property
    def data_shapes(self) -> Any:
        """The first module's data shapes."""
        require(self.binded, "data_shapes: call bind() first")
        return self._modules[0].data_shapes

    @property
    def label_shapes(self) -> Any:
        """The label shapes bound (None when no module takes labels)."""
        require(self.binded, "label_shapes: call bind() first")
        return self._label_shapes

    @property
    def output_shapes(self) -> Any:
        """The last module's output shapes."""
        require(self.binded, "output_shapes: call bind() first")
        return self._modules[-1].output_shapes

    def get_params(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every module's parameters in one pair of dicts.

        >>> arg_params, aux_params = seq.get_params()  # doctest: +SKIP
        """
        self._require_ready("get_params")
        arg_params: dict[str, Any] = {}
        aux_params: dict[str, Any] = {}
        for module in self._modules:
            arg, aux = module.get_params()
            arg_params.update(arg)
            aux_params.update(aux)
        return arg_params, aux_params

    def init_params(self, initializer: Initializer | None = DEFAULT_INITIALIZER,
                    arg_params: dict[str, Any] | None = None,
                    aux_params: dict[str, Any] | None = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        """Initialise every module's parameters; two modules may not share a name.

        >>> seq.init_params(mx.init.Xavier())  # doctest: +SKIP
        """
        if self.params_initialized and not force_init:
            return
        require(self.binded, "call bind before initializing the parameters")
        for module in self._modules:
            module.init_params(initializer=initializer, arg_params=arg_params,
                               aux_params=aux_params, allow_missing=allow_missing,
                               force_init=force_init, allow_extra=allow_extra)
        arg_owner: dict[str, int] = {}
        aux_owner: dict[str, int] = {}
        for layer, module in enumerate(self._modules):
            arg, aux = module.get_params()
            for owner, names in ((arg_owner, arg), (aux_owner, aux)):
                for name in names:
                    if name in owner:
                        raise ParamError(
                            f'Duplicated parameter names: name "{name}" in layer {layer} '
                            f"({type(module).__name__}) is already used in layer "
                            f"{owner[name]} ({type(self._modules[owner[name]]).__name__}).")
                    owner[name] = layer
        self.params_initialized = True

    def bind(self, data_shapes: Any, label_shapes: Any = None, for_training: bool = True,
             inputs_need_grad: bool = False, force_rebind: bool = False,
             shared_module: Any = None, grad_req: Any = "write") -> None:
        """Bind each module to the previous one's output shapes.

        >>> seq.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)  # doctest: +SKIP
        """
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        require(for_training or not inputs_need_grad,
                "bind: inputs_need_grad=True needs for_training=True")
        require(shared_module is None, "Shared module is not supported")
        require(len(self._modules) > 0, "Attempting to bind an empty SequentialModule")
        self.binded = True
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._label_shapes = label_shapes
        shapes = data_shapes
        anybody_needs_label = False
        for layer, (module, meta) in enumerate(zip(self._modules, self._metas)):
            takes_labels = bool(meta.get(self.META_TAKE_LABELS, False))
            anybody_needs_label |= takes_labels
            if meta.get(self.META_AUTO_WIRING, False):
                names = module.data_names
                require(len(names) == len(shapes), f"auto_wiring: layer {layer} has "
                        f"{len(names)} data inputs for {len(shapes)} outputs")
                shapes = [(name, shape) for name, (_, shape) in zip(names, shapes)]
            module.bind(data_shapes=shapes, label_shapes=label_shapes if takes_labels else None,
                        for_training=for_training,
                        inputs_need_grad=bool(inputs_need_grad or (for_training and layer > 0)),
                        force_rebind=force_rebind, shared_module=None, grad_req=grad_req)
            shapes = module.output_shapes
        if not anybody_needs_label:
            self._label_shapes = None

    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """Install the optimizer in every module (each gets its own).

        >>> seq.init_optimizer(optimizer='sgd')  # doctest: +SKIP
        """
        if self._keep_optimizer(force_init):
            return
        for module in self._modules:
            module.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                                  optimizer_params=optimizer_params, force_init=force_init)
        self.optimizer_initialized = True

    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        """Run the modules in order, each on the previous one's outputs.

        >>> seq.forward(batch, is_train=True)  # doctest: +SKIP
        """
        self._require_ready("SequentialModule.forward")
        data_batch = copy.copy(data_batch)
        for layer, module in enumerate(self._modules):
            module.forward(data_batch, is_train=is_train)
            if layer + 1 == len(self._modules):
                break
            data_batch.data = module.get_outputs()
            if hasattr(data_batch, "provide_data"):
                names = [x[0] for x in module.output_shapes]
                data_batch.provide_data = [(name, x.shape) for name, x in
                                           zip(names, data_batch.data)]

    def backward(self, out_grads: Any = None) -> None:
        """Run the modules' backward passes in reverse order, each from the next one's
        input gradients.

        >>> seq.backward()  # doctest: +SKIP
        """
        self._require_ready("SequentialModule.backward")
        for layer in reversed(range(len(self._modules))):
            module = self._modules[layer]
            module.backward(out_grads=out_grads)
            if layer > 0:
                out_grads = module.get_input_grads()

    def update(self) -> None:
        """Update every module's parameters.

        >>> seq.update()  # doctest: +SKIP
        """
        self._require_ready("SequentialModule.update", optimizer=True)
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context: bool = True) -> list[Any]:
        """The last module's outputs.

        >>> seq.get_outputs()[0]  # doctest: +SKIP
        """
        self._require_ready("get_outputs")
        return self._modules[-1].get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context: bool = True) -> list[Any]:
        """The first module's input gradients (bind with `inputs_need_grad=True`).

        >>> seq.get_input_grads()[0]  # doctest: +SKIP
        """
        self._require_ready("get_input_grads")
        require(self.inputs_need_grad, "get_input_grads: bind with inputs_need_grad=True")
        return self._modules[0].get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Update `eval_metric` in each module that takes labels.

        >>> seq.update_metric(mx.metric.Accuracy(), batch.label)  # doctest: +SKIP
        """
        self._require_ready("update_metric")
        for meta, module in zip(self._metas, self._modules):
            if meta.get(self.META_TAKE_LABELS, False):
                module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon: Any) -> None:
        """Install `mon` in every module.

        >>> seq.install_monitor(mx.monitor.Monitor(1))  # doctest: +SKIP
        """
        require(self.binded, "install_monitor: call bind() first")
        for module in self._modules:
            module.install_monitor(mon)
