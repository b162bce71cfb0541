"""`PythonModule` and `PythonLossModule`: modules written in Python rather than bound
from a symbol, typically the last stage of a `SequentialModule`.

A `PythonModule` has no parameters: its parameter and optimizer methods do nothing, and a
subclass writes `forward`, `backward`, `get_outputs`, `get_input_grads` and
`_compute_output_shapes`. `PythonLossModule` is one: its output is its input (the scores),
and its backward pass calls `grad_func(scores, labels)` for the gradient it hands back.

    >>> loss = mx.mod.PythonLossModule(grad_func=lambda s, y: s - y)  # doctest: +SKIP
    >>> seq = mx.mod.SequentialModule().add(net_mod).add(loss, take_labels=True)  # doctest: +SKIP
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from .. import nd
from ..base import ArgumentError, MXNetError, NotOverriddenError, ParamError
from ..initializer import Initializer
from .base_module import DEFAULT_INITIALIZER, BaseModule, require

__all__ = ["PythonModule", "PythonLossModule"]


def __dir__() -> list[str]:
    return __all__


class PythonModule(BaseModule):
    """A module without parameters whose computation a subclass writes in Python.

    >>> class Doubler(mx.mod.PythonModule):  # doctest: +SKIP
    ...     def _compute_output_shapes(self): return [('out', self._data_shapes[0][1])]
    """

    def __init__(self, data_names: Sequence[str], label_names: Sequence[str] | None,
                 output_names: Sequence[str], logger: Any = logging):
        super().__init__(logger=logger)
        self._data_names = list(data_names)
        self._label_names = list(label_names) if label_names is not None else None
        self._output_names = list(output_names)
        self._data_shapes: Any = None
        self._label_shapes: Any = None
        self._output_shapes: Any = None

    @property
    def data_names(self) -> list[str]:
        """The names of the data inputs."""
        return self._data_names

    @property
    def output_names(self) -> list[str]:
        """The names of the outputs."""
        return self._output_names

    @property
    def data_shapes(self) -> Any:
        """The bound data shapes, as given to `bind`."""
        return self._data_shapes

    @property
    def label_shapes(self) -> Any:
        """The bound label shapes, as given to `bind`."""
        return self._label_shapes

    @property
    def output_shapes(self) -> Any:
        """(name, shape) of each output (`_compute_output_shapes` at bind)."""
        return self._output_shapes

    def get_params(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """No parameters: `({}, {})`.

        >>> mod.get_params()  # doctest: +SKIP
        ({}, {})
        """
        return {}, {}

    def init_params(self, initializer: Initializer | None = DEFAULT_INITIALIZER,
                    arg_params: dict[str, Any] | None = None,
                    aux_params: dict[str, Any] | None = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        """Nothing to initialise; the module counts as initialised.

        >>> mod.init_params()  # doctest: +SKIP
        """
        self.params_initialized = True

    def update(self) -> None:
        """Nothing to update.

        >>> mod.update()  # doctest: +SKIP
        """

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Accumulate `eval_metric` on the outputs against `labels` (when bound with
        labels).

        >>> mod.update_metric(mx.metric.MSE(), batch.label)  # doctest: +SKIP
        """
        if self._label_shapes is None:
            return
        if pre_sliced:
            raise MXNetError("PythonModule does not support presliced labels")
        eval_metric.update(labels, self.get_outputs())

    def bind(self, data_shapes: Any, label_shapes: Any = None, for_training: bool = True,
             inputs_need_grad: bool = False, force_rebind: bool = False,
             shared_module: Any = None, grad_req: Any = "write") -> None:
        """Record the input shapes (their names must be `data_names`/`label_names`, in
        order) and compute the output shapes.

        >>> mod.bind(data_shapes=[('data', (32, 10))])  # doctest: +SKIP
        """
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        require(grad_req == "write", "Python module only support write gradient")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        names = [d[0] for d in data_shapes]
        if names != self._data_names:
            raise ParamError(f"bind: data shapes are named {names}, the module's data are "
                             f"{self._data_names}")
        self._data_shapes = data_shapes
        self._label_shapes = label_shapes
        if label_shapes is not None:
            names = [d[0] for d in label_shapes]
            if names != self._label_names:
                raise ParamError(f"bind: label shapes are named {names}, the module's "
                                 f"labels are {self._label_names}")
        self._output_shapes = self._compute_output_shapes()
        self.binded = True

    def _compute_output_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of each output, from the bound `_data_shapes`/`_label_shapes`."""
        raise NotOverriddenError("_compute_output_shapes")

    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """No optimizer is needed; the module counts as having one.

        >>> mod.init_optimizer()  # doctest: +SKIP
        """
        self.optimizer_initialized = True


class PythonLossModule(PythonModule):
    """A loss stage written in Python: it outputs its input scores, and its backward pass
    hands back `grad_func(scores, labels)` (an NDArray or anything `mx.nd.array` takes)
    as the gradient of the scores.

    >>> loss = mx.mod.PythonLossModule(  # doctest: +SKIP
    ...     grad_func=lambda scores, labels: scores - labels)
    """

    def __init__(self, name: str = "pyloss", data_names: Sequence[str] = ("data",),
                 label_names: Sequence[str] = ("softmax_label",), logger: Any = logging,
                 grad_func: Callable[[Any, Any], Any] | None = None):
        super().__init__(data_names, label_names, [name + "_output"], logger=logger)
        self._name = name
        require(len(data_names) == 1, "PythonLossModule takes one data input")
        require(len(label_names) == 1, "PythonLossModule takes one label input")
        if grad_func is not None and not callable(grad_func):
            raise ArgumentError(f"PythonLossModule: grad_func must be callable, got "
                                f"{type(grad_func).__name__}")
        self._grad_func = grad_func
        self._scores: Any = None
        self._labels: Any = None
        self._scores_grad: Any = None

    def _compute_output_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        return [(self._name + "_output", tuple(self._data_shapes[0][1]))]

    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        """Take the batch's scores (and, in training, its labels).

        >>> loss.forward(mx.io.DataBatch([scores], [labels]), is_train=True)  # doctest: +SKIP
        """
        self._scores = data_batch.data[0]
        if is_train is None:
            is_train = self.for_training
        if is_train:
            self._labels = data_batch.label[0]

    def get_outputs(self, merge_multi_context: bool = True) -> list[Any]:
        """The scores of the last forward pass.

        >>> loss.get_outputs()[0]  # doctest: +SKIP
        """
        require(merge_multi_context, "PythonLossModule: merge_multi_context must be True")
        return [self._scores]

    def backward(self, out_grads: Any = None) -> None:
        """Compute the gradient of the scores with `grad_func`.

        >>> loss.backward()  # doctest: +SKIP
        """
        require(out_grads is None, "For a loss module, out_grads should be None")
        require(self.for_training, "PythonLossModule.backward: bind with for_training=True")
        self._backward_impl()

    def _backward_impl(self) -> None:
        """The gradient of the scores; a subclass without `grad_func` overrides this."""
        if self._grad_func is None:
            raise NotOverriddenError("PythonLossModule: give grad_func or override "
                                     "_backward_impl")
        grad = self._grad_func(self._scores, self._labels)
        self._scores_grad = grad if isinstance(grad, nd.NDArray) else nd.array(grad)

    def get_input_grads(self, merge_multi_context: bool = True) -> list[Any]:
        """The gradient of the scores from the last backward pass.

        >>> dscores = loss.get_input_grads()[0]  # doctest: +SKIP
        """
        require(merge_multi_context, "PythonLossModule: merge_multi_context must be True")
        return [self._scores_grad]

    def install_monitor(self, mon: Any) -> None:
        """A Python loss has no executor to watch.

        >>> loss.install_monitor(mon)  # doctest: +SKIP
        """
        raise NotOverriddenError("PythonLossModule has no executor for a monitor")
