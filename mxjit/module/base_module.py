"""`BaseModule`: the module interface and what every module does through it.

A module binds to input shapes (`bind`), owns parameters (`init_params`, `get_params`,
`set_params`), runs `forward`/`backward`, and updates with an optimizer
(`init_optimizer`, `update`). Subclasses implement those; this class builds on them the
loops users call: `fit` (training epochs with metrics, callbacks and validation), `score`,
`predict` and `iter_predict`, and parameter files (`save_params`/`load_params`).

    >>> mod = mx.mod.Module(net)  # doctest: +SKIP
    >>> mod.fit(train_iter, eval_data=val_iter, num_epoch=5)  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import metric as _metric
from .. import nd
from ..base import NotOverriddenError, ParamError
from ..initializer import Initializer, Uniform
from ..io import DataBatch, DataDesc, DataIter
from ..model import BatchEndParam, save_params_dict, split_params_dict

__all__ = ["BaseModule"]


def __dir__() -> list[str]:
    return __all__


#: The initializer `fit` and `init_params` use unless told otherwise (MXNet's default).
DEFAULT_INITIALIZER = Uniform(0.01)


def require(condition: Any, message: str) -> None:
    """MXNet asserts these; raised explicitly so `python -O` keeps them.

    >>> require(mod.binded, "call bind() first")  # doctest: +SKIP
    """
    if not condition:
        raise AssertionError(message)


def as_list(obj: Any) -> list[Any]:
    """`obj` as a list: itself when it is one, else `[obj]`.

    >>> as_list(callback)  # doctest: +SKIP
    [callback]
    """
    return obj if isinstance(obj, list) else [obj]


def check_input_names(symbol: Any, names: Sequence[str], typename: str, throw: bool) -> None:
    """Each of `names` must be an argument of `symbol`: an error for data, states and
    fixed parameters, a warning for labels (a symbol without a loss has no label).

    >>> check_input_names(net, ['data'], 'data', throw=True)  # doctest: +SKIP
    """
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [a for a in args if not a.endswith(("_weight", "_bias", "_gamma",
                                                          "_beta"))]
        msg = (f"You created Module with Module(..., {typename}_names={list(names)}) but "
               f"input with name '{name}' is not found in symbol.list_arguments(). Did you "
               f"mean one of:\n\t" + "\n\t".join(candidates))
        if throw:
            raise ParamError(msg)
        warnings.warn(msg, stacklevel=3)


def _check_names_match(names: Sequence[str], descs: Sequence[DataDesc], kind: str,
                       throw: bool) -> None:
    actual = [d.name for d in descs]
    if sorted(names) != sorted(actual):
        msg = (f"Data provided by {kind}_shapes don't match names specified by {kind}_names "
               f"({list(descs)} vs. {list(names)})")
        if throw:
            raise ParamError(msg)
        warnings.warn(msg, stacklevel=4)


def parse_data_desc(data_names: Sequence[str], label_names: Sequence[str], data_shapes: Any,
                    label_shapes: Any) -> tuple[list[DataDesc], list[DataDesc] | None]:
    """`DataDesc`s of the (name, shape) pairs given, checked against the module's names:
    data must match exactly; labels that do not match only warn.

    >>> parse_data_desc(['data'], [], [('data', (2, 3))], None)  # doctest: +SKIP
    ([DataDesc[data,(2, 3),<class 'numpy.float32'>,NCHW]], None)
    """
    data = [d if isinstance(d, DataDesc) else DataDesc(*d) for d in data_shapes]
    _check_names_match(data_names, data, "data", True)
    labels = None
    if label_shapes is not None:
        labels = [d if isinstance(d, DataDesc) else DataDesc(*d) for d in label_shapes]
    _check_names_match(label_names, labels or [], "label", False)
    return data, labels


class BaseModule:
    """The interface every module implements, and `fit`/`score`/`predict` over it.

    >>> isinstance(mx.mod.Module(net), mx.mod.BaseModule)  # doctest: +SKIP
    True
    """

    def __init__(self, logger: Any = logging):
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol: Any = None

    def _require_ready(self, what: str, optimizer: bool = False) -> None:
        require(self.binded, f"{what}: call bind() first")
        require(self.params_initialized, f"{what}: call init_params() (or set_params) first")
        if optimizer:
            require(self.optimizer_initialized, f"{what}: call init_optimizer() first")

    def _keep_optimizer(self, force_init: bool,
                        warning: str = "optimizer already initialized, ignoring.") -> bool:
        """The shared start of `init_optimizer`: True (after logging `warning`) when an
        optimizer is installed and `force_init` is off, so the call does nothing."""
        self._require_ready("init_optimizer")
        if self.optimizer_initialized and not force_init:
            self.logger.warning(warning)
            return True
        return False

    def _set_params_by_init(self, arg_params: dict[str, Any], aux_params: dict[str, Any],
                            allow_missing: bool, force_init: bool, allow_extra: bool) -> bool:
        """The shared start of an overridden `set_params`, as in MXNet: without
        `allow_missing` it is `init_params`, and set parameters stay unless `force_init`.
        True when that settled the call."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return True
        if self.params_initialized and not force_init:
            # (stacklevel 3: the warning names the caller of set_params)
            warnings.warn("Parameters already initialized and force_init=False. "
                          "set_params call ignored.", stacklevel=3)
            return True
        return False

    # ---- high-level loops --------------------------------------------------------------

    def forward_backward(self, data_batch: Any) -> None:
        """`forward(data_batch, is_train=True)` then `backward()`.

        >>> mod.forward_backward(batch); mod.update()  # doctest: +SKIP
        """
        self.forward(data_batch, is_train=True)
        self.backward()

    def score(self, eval_data: Any, eval_metric: Any, num_batch: int | None = None,
              batch_end_callback: Any = None, score_end_callback: Any = None,
              reset: bool = True, epoch: int = 0, sparse_row_id_fn: Any = None
              ) -> list[tuple[str, Any]]:
        """Run prediction over `eval_data` (the first `num_batch` batches) and return
        `eval_metric`'s (name, value) pairs.

        >>> mod.score(val_iter, ['mse', 'acc'])  # doctest: +SKIP
        [('mse', 0.1), ('accuracy', 0.9)]
        """
        self._require_ready("score")
        if reset:
            eval_data.reset()
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)
        eval_metric.reset()
        actual_num_batch = 0
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            self._update_metric_of(eval_metric, eval_batch)
            if batch_end_callback is not None:
                params = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric,
                                       locals=locals())
                for callback in as_list(batch_end_callback):
                    callback(params)
            actual_num_batch += 1
        if score_end_callback:
            params = BatchEndParam(epoch=epoch, nbatch=actual_num_batch,
                                   eval_metric=eval_metric, locals=locals())
            for callback in as_list(score_end_callback):
                callback(params)
        return eval_metric.get_name_value()  # type: ignore[no-any-return]

    def _update_metric_of(self, eval_metric: Any, batch: Any) -> None:
        if isinstance(batch, list):
            self.update_metric(eval_metric, [b.label for b in batch], pre_sliced=True)
        else:
            self.update_metric(eval_metric, batch.label)

    def iter_predict(self, eval_data: Any, num_batch: int | None = None, reset: bool = True,
                     sparse_row_id_fn: Any = None) -> Iterator[tuple[list[Any], int, Any]]:
        """Yield `(outputs, batch number, batch)` for each batch of `eval_data`, the
        outputs without the batch's padding.

        >>> for outputs, i, batch in mod.iter_predict(val_iter): ...  # doctest: +SKIP
        """
        self._require_ready("iter_predict")
        if reset:
            eval_data.reset()
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            pad = eval_batch.pad or 0
            outputs = [out[0:out.shape[0] - pad] for out in self.get_outputs()]
            yield outputs, nbatch, eval_batch

    def predict(self, eval_data: Any, num_batch: int | None = None, merge_batches: bool = True,
                reset: bool = True, always_output_list: bool = False,
                sparse_row_id_fn: Any = None) -> Any:
        """The outputs over `eval_data` (a DataIter, or one NDArray/NumPy batch), padding
        removed. With `merge_batches` each output is concatenated over the batches (a
        single output is returned alone unless `always_output_list`); else a list per
        batch of its outputs.

        >>> probs = mod.predict(val_iter)  # doctest: +SKIP
        """
        self._require_ready("predict")
        if isinstance(eval_data, (nd.NDArray, np.ndarray)):
            if isinstance(eval_data, np.ndarray):
                eval_data = nd.array(eval_data)
            self.forward(DataBatch([eval_data]))
            return self.get_outputs()[0]
        if not isinstance(eval_data, DataIter):
            raise ParamError(f"eval_data must be of type NDArray or DataIter, got "
                             f"{type(eval_data).__name__}")
        if reset:
            eval_data.reset()
        output_list = []
        for nbatch, eval_batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(eval_batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(eval_batch, is_train=False)
            pad = eval_batch.pad or 0
            output_list.append([out[0:out.shape[0] - pad].copy()
                                for out in self.get_outputs()])
        if not output_list or not merge_batches:
            return output_list
        num_outputs = len(output_list[0])
        require(all(len(out) == num_outputs for out in output_list),
                "Cannot merge batches, as num of outputs is not the same in mini-batches. "
                "Maybe bucketing is used?")
        merged = [nd.concat(*[out[i] for out in output_list], dim=0)
                  for i in range(num_outputs)]
        if num_outputs == 1 and not always_output_list:
            return merged[0]
        return merged

    def fit(self, train_data: Any, eval_data: Any = None, eval_metric: Any = "acc",
            epoch_end_callback: Any = None, batch_end_callback: Any = None,
            kvstore: Any = "local", optimizer: Any = "sgd",
            optimizer_params: Any = (("learning_rate", 0.01),), eval_end_callback: Any = None,
            eval_batch_end_callback: Any = None,
            initializer: Initializer | None = DEFAULT_INITIALIZER, arg_params: Any = None,
            aux_params: Any = None, allow_missing: bool = False, force_rebind: bool = False,
            force_init: bool = False, begin_epoch: int = 0, num_epoch: int | None = None,
            validation_metric: Any = None, monitor: Any = None,
            sparse_row_id_fn: Any = None) -> None:
        """Train on `train_data` for epochs `begin_epoch` to `num_epoch - 1`: bind,
        initialise the parameters and the optimizer, then per batch forward, backward,
        update and the metric; per epoch log `Epoch[k] Train-<metric>=...` and the time,
        call `epoch_end_callback(epoch, symbol, arg_params, aux_params)`, and score
        `eval_data` (logging `Epoch[k] Validation-<metric>=...`).

        >>> mod.fit(train_iter, num_epoch=10, optimizer='adam',  # doctest: +SKIP
        ...         optimizer_params={'learning_rate': 1e-3})
        """
        if num_epoch is None:
            raise AssertionError("fit: please specify number of epochs (num_epoch)")
        self.bind(data_shapes=train_data.provide_data, label_shapes=train_data.provide_label,
                  for_training=True, force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params,
                         aux_params=aux_params, allow_missing=allow_missing,
                         force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                            optimizer_params=optimizer_params)
        if validation_metric is None:
            validation_metric = eval_metric
        if not isinstance(eval_metric, _metric.EvalMetric):
            eval_metric = _metric.create(eval_metric)
        for epoch in range(begin_epoch, num_epoch):
            tic = time.time()
            eval_metric.reset()
            name_values = self._fit_epoch(train_data, epoch, eval_metric, batch_end_callback,
                                          monitor, sparse_row_id_fn)
            for name, val in name_values:
                self.logger.info("Epoch[%d] Train-%s=%f", epoch, name, val)
            self.logger.info("Epoch[%d] Time cost=%.3f", epoch, time.time() - tic)
            # (copies the trained values from the devices; set_params hands them back
            # so every device and the saved copy agree)
            arg_params, aux_params = self.get_params()
            self.set_params(arg_params, aux_params)
            for callback in as_list(epoch_end_callback or []):
                callback(epoch, self.symbol, arg_params, aux_params)
            if eval_data is not None:
                res = self.score(eval_data, validation_metric,
                                 score_end_callback=eval_end_callback,
                                 batch_end_callback=eval_batch_end_callback, epoch=epoch)
                for name, val in res:
                    self.logger.info("Epoch[%d] Validation-%s=%f", epoch, name, val)
            train_data.reset()

    def _fit_epoch(self, train_data: Any, epoch: int, eval_metric: Any,
                   batch_end_callback: Any, monitor: Any, sparse_row_id_fn: Any
                   ) -> list[tuple[str, Any]]:
        """One pass over `train_data`; the metric's global (name, value) pairs at its end.
        The next batch is fetched (and `prepare`d) before the callbacks of this one run,
        so they know whether it was the last."""
        data_iter = iter(train_data)
        try:
            next_batch = next(data_iter)
        except StopIteration:
            raise ParamError(f"fit: train_data gave no batch in epoch {epoch} (was it "
                             f"reset?)") from None
        name_values: list[tuple[str, Any]] = []
        nbatch = 0
        end_of_batch = False
        while not end_of_batch:
            data_batch = next_batch
            if monitor is not None:
                monitor.tic()
            self.forward_backward(data_batch)
            self.update()
            self._update_metric_of(eval_metric, data_batch)
            try:
                next_batch = next(data_iter)
                self.prepare(next_batch, sparse_row_id_fn=sparse_row_id_fn)
            except StopIteration:
                end_of_batch = True
            if monitor is not None:
                monitor.toc_print()
            if end_of_batch:
                name_values = eval_metric.get_global_name_value()
            if batch_end_callback is not None:
                params = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric,
                                       locals=locals())
                for callback in as_list(batch_end_callback):
                    callback(params)
            nbatch += 1
        return name_values

    # ---- parameters ----------------------------------------------------------------------

    def set_params(self, arg_params: dict[str, Any], aux_params: dict[str, Any],
                   allow_missing: bool = False, force_init: bool = True,
                   allow_extra: bool = False) -> None:
        """Assign parameter and auxiliary-state values (copied into the devices' arrays).

        >>> mod.set_params(arg_params, aux_params)  # doctest: +SKIP
        """
        self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init,
                         allow_extra=allow_extra)

    def save_params(self, fname: str) -> None:
        """Save the parameters to `fname` in MXNet's format (`arg:`/`aux:` names).

        >>> mod.save_params('mlp-0001.params')  # doctest: +SKIP
        """
        arg_params, aux_params = self.get_params()
        save_params_dict(fname, arg_params, aux_params)

    def load_params(self, fname: str) -> None:
        """Load parameters saved by `save_params` (or `save_checkpoint`, or MXNet).

        >>> mod.load_params('mlp-0001.params')  # doctest: +SKIP
        """
        arg_params, aux_params = split_params_dict(fname, nd.load(fname))
        self.set_params(arg_params, aux_params)

    def get_states(self, merge_multi_context: bool = True) -> list[Any]:
        """The state arrays (`state_names`) of each device; none in a plain module.

        >>> mod.get_states(merge_multi_context=False)  # doctest: +SKIP
        """
        self._require_ready("get_states")
        require(not merge_multi_context, "get_states: merge_multi_context=True is not "
                                         "supported")
        return []

    def set_states(self, states: Any = None, value: Any = None) -> None:
        """Set the state arrays from `states` or to the scalar `value`.

        >>> mod.set_states(value=0)  # doctest: +SKIP
        """
        self._require_ready("set_states")
        require(not states and not value, "set_states: this module has no states")

    def prepare(self, data_batch: Any, sparse_row_id_fn: Callable[..., Any] | None = None
                ) -> None:
        """Get ready for `data_batch` before its forward pass (switch bucket, reshape).

        >>> mod.prepare(batch)  # doctest: +SKIP
        """
        if sparse_row_id_fn is not None:
            warnings.warn(UserWarning("sparse_row_id_fn is not invoked for BaseModule."),
                          stacklevel=2)

    # ---- what subclasses implement -----------------------------------------------------

    @property
    def symbol(self) -> Any:
        """The symbol this module computes."""
        return self._symbol

    @property
    def data_names(self) -> list[str]:
        """The names of the data inputs."""
        raise NotOverriddenError("data_names")

    @property
    def output_names(self) -> list[str]:
        """The names of the outputs."""
        raise NotOverriddenError("output_names")

    @property
    def data_shapes(self) -> list[DataDesc]:
        """The bound data inputs as `DataDesc`s."""
        raise NotOverriddenError("data_shapes")

    @property
    def label_shapes(self) -> list[DataDesc] | None:
        """The bound label inputs as `DataDesc`s (None without labels)."""
        raise NotOverriddenError("label_shapes")

    @property
    def output_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of each output."""
        raise NotOverriddenError("output_shapes")

    def get_params(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(arg_params, aux_params): copies of the parameters the devices hold.

        >>> arg_params, aux_params = mod.get_params()  # doctest: +SKIP
        """
        raise NotOverriddenError("get_params")

    def init_params(self, initializer: Initializer | None = DEFAULT_INITIALIZER,
                    arg_params: dict[str, Any] | None = None,
                    aux_params: dict[str, Any] | None = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        """Initialise the parameters: from `arg_params`/`aux_params` where given, else
        with `initializer` (missing ones are an error unless `allow_missing`).

        >>> mod.init_params(mx.init.Xavier())  # doctest: +SKIP
        """
        raise NotOverriddenError("init_params")

    def install_monitor(self, mon: Any) -> None:
        """Install `mon` (an `mx.monitor.Monitor`) on the module's executors.

        >>> mod.install_monitor(mx.monitor.Monitor(1))  # doctest: +SKIP
        """
        raise NotOverriddenError("install_monitor")

    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        """Compute the outputs for `data_batch` (training mode when `is_train`, by default
        when bound for training).

        >>> mod.forward(mx.io.DataBatch([x]), is_train=False)  # doctest: +SKIP
        """
        raise NotOverriddenError("forward")

    def backward(self, out_grads: Any = None) -> None:
        """Gradients of the last forward pass (head gradients `out_grads` for outputs
        that are not losses).

        >>> mod.backward()  # doctest: +SKIP
        """
        raise NotOverriddenError("backward")

    def get_outputs(self, merge_multi_context: bool = True) -> list[Any]:
        """The outputs of the last forward pass (merged over devices by default).

        >>> mod.get_outputs()[0]  # doctest: +SKIP
        """
        raise NotOverriddenError("get_outputs")

    def get_input_grads(self, merge_multi_context: bool = True) -> list[Any]:
        """The gradients with respect to the data inputs (bind with
        `inputs_need_grad=True`).

        >>> mod.get_input_grads()[0]  # doctest: +SKIP
        """
        raise NotOverriddenError("get_input_grads")

    def update(self) -> None:
        """Update the parameters with the optimizer and the last gradients.

        >>> mod.update()  # doctest: +SKIP
        """
        raise NotOverriddenError("update")

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Accumulate `eval_metric` over the last outputs against `labels`.

        >>> mod.update_metric(metric, batch.label)  # doctest: +SKIP
        """
        raise NotOverriddenError("update_metric")

    def bind(self, data_shapes: Any, label_shapes: Any = None, for_training: bool = True,
             inputs_need_grad: bool = False, force_rebind: bool = False,
             shared_module: Any = None, grad_req: Any = "write") -> None:
        """Allocate the arrays for inputs of these shapes ((name, shape) pairs or
        `DataDesc`s); needed before computing.

        >>> mod.bind(data_shapes=[('data', (32, 784))],  # doctest: +SKIP
        ...          label_shapes=[('softmax_label', (32,))])
        """
        raise NotOverriddenError("bind")

    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """Install the optimizer (a name and its parameters, or an `Optimizer`).

        >>> mod.init_optimizer(optimizer='adam',  # doctest: +SKIP
        ...                    optimizer_params={'learning_rate': 1e-3})
        """
        raise NotOverriddenError("init_optimizer")
