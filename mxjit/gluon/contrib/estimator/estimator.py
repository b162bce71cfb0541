"""Gluon's Fit API: `Estimator` trains and evaluates a network, with event handlers.

`fit` loops over epochs and batches; at each event (train, epoch and batch begin and end)
it calls the handlers that react to it (`event_handler.py`), in order of priority. It adds
the handlers MXNet 1.9.1 adds when the user has not given one of their kind: stopping,
gradient update, metrics, validation (when `val_data` is given) and logging, and mxjit
adds a progress bar. What one batch does is the `BatchProcessor`'s.

    >>> est = Estimator(net, gluon.loss.L2Loss(), trainer=trainer)  # doctest: +SKIP
    >>> est.fit(train_loader, val_data=test_loader, epochs=5)  # doctest: +SKIP
"""
from __future__ import annotations

import copy
import logging
import sys
import warnings
from collections.abc import Iterable, Sized
from typing import Any

import numpy as np

from ....base import ParamError
from ....context import Context, cpu, gpu, num_gpus
from ....io import DataIter
from ....metric import Accuracy, EvalMetric
from ....metric import Loss as LossMetric
from ....nd import NDArray
from ...block import Block
from ...loss import Loss, SoftmaxCrossEntropyLoss
from ...trainer import Trainer
from .batch_processor import BatchProcessor
from .event_handler import (
    BatchBegin,
    BatchEnd,
    EpochBegin,
    EpochEnd,
    EventHandler,
    GradientUpdateHandler,
    LoggingHandler,
    MetricHandler,
    StoppingHandler,
    TrainBegin,
    TrainEnd,
    ValidationHandler,
    _check_event_handlers,
    _check_metrics,
)
from .progress_bar import BarAwareStreamHandler, ProgressBarHandler

__all__ = ["Estimator"]


def __dir__() -> list[str]:
    return __all__


def _check_data(data: Any, what: str) -> None:
    # MXNet takes only a DataLoader; any re-iterable source of (data, label) batches works,
    # but not an mx.io iterator (DataBatch objects) or a list of bare arrays, which MXNet
    # refuses too
    bare = isinstance(data, (list, tuple)) and any(isinstance(b, NDArray) for b in data)
    if (isinstance(data, (NDArray, np.ndarray, DataIter)) or bare
            or not isinstance(data, Iterable)):
        raise ParamError(f"Estimator: {what} must be a gluon.data.DataLoader or another "
                         f"iterable of (data, label) batches, got {type(data).__name__} "
                         f"(Estimator only support input as Gluon DataLoader)")


def _check_handler_metric_ref(handler: EventHandler, known: list[EvalMetric]) -> None:
    """Refuse a handler whose metrics (or monitor) are not the estimator's: nothing would
    update them."""
    for attribute, value in vars(handler).items():
        if "metric" not in attribute and "monitor" not in attribute:
            continue
        for metric in value if isinstance(value, list) else [value]:
            if isinstance(metric, EvalMetric) and not any(metric is k for k in known):
                raise ParamError(
                    f"{type(handler).__name__} refers to the metric {metric}, which is none "
                    f"of the estimator's: use those of estimator.train_metrics and "
                    f"estimator.val_metrics")


class Estimator:
    """Trains `net` on `loss` with `trainer` (SGD at learning rate 0.001 if not given),
    reporting `train_metrics` and `val_metrics` (accuracy for a softmax cross-entropy
    loss, plus the loss itself, when not given). `val_net` and `val_loss` stand in for
    `net` and `loss` in validation; `context` is one Context or a list (the first GPU if
    there is one, else the CPU); `initializer` initialises what is not initialised yet.

    >>> est = Estimator(net, loss, mx.metric.Accuracy(), trainer=trainer)  # doctest: +SKIP
    >>> est.logger.addHandler(logging.FileHandler('train.log'))  # doctest: +SKIP
    """

    #: Where the estimator and its handlers log: level INFO, to standard output. Its own
    #: logger (not registered with `logging`), so settings here change only this estimator.
    logger: logging.Logger

    def __init__(self, net: Block, loss: Loss, train_metrics: Any = None,
                 val_metrics: Any = None, initializer: Any = None,
                 trainer: Trainer | None = None, context: Context | list[Context] | None = None,
                 val_net: Block | None = None, val_loss: Loss | None = None,
                 batch_processor: Any = None):
        self.net = net
        self.loss = self._check_loss(loss)
        self._train_metrics = _check_metrics(train_metrics)
        self._val_metrics = _check_metrics(val_metrics)
        self._add_default_training_metrics()
        self._add_validation_metrics()
        self.val_loss = self._check_loss(val_loss) if val_loss is not None else self.loss
        self.val_net = val_net if val_net is not None else self.net
        self.logger = logging.Logger(name="Estimator", level=logging.INFO)
        self.logger.addHandler(BarAwareStreamHandler(sys.stdout))
        self.context = self._check_context(context)
        self._initialize(initializer)
        self.trainer = self._check_trainer(trainer)
        self.batch_processor = self._check_batch_processor(batch_processor)
        self.max_epoch: int | None = None
        self.max_batch: int | None = None
        self.batch_axis = 0

    @staticmethod
    def _check_loss(loss: Any) -> Loss:
        if not isinstance(loss, Loss):
            raise ParamError(f"Estimator: the loss must be a gluon.loss.Loss, got {loss!r}")
        return loss

    @staticmethod
    def _check_context(context: Any) -> list[Context]:
        gpus = [gpu(k) for k in range(num_gpus())]
        if not context:
            if len(gpus) > 1:
                warnings.warn("Estimator: several GPUs found; training on gpu(0) only. Pass "
                              "context=[mx.gpu(0), mx.gpu(1), ...] to use more", stacklevel=3)
            return gpus[:1] or [cpu()]
        if isinstance(context, Context):
            context = [context]
        if not isinstance(context, list) or not all(isinstance(c, Context) for c in context):
            raise ParamError(f"Estimator: context must be a Context or a list of Contexts "
                             f"(mx.cpu(), [mx.gpu(0), mx.gpu(1)]), got {context!r}")
        for ctx in context:
            if ctx.device_type != "cpu" and ctx not in gpus:
                raise AssertionError(f"Estimator: {ctx} is not available; use mx.cpu() or "
                                     f"one of {gpus}")
        return context

    @staticmethod
    def _check_batch_processor(batch_processor: Any) -> Any:
        if batch_processor is None:
            return BatchProcessor()
        if not (callable(getattr(batch_processor, "fit_batch", None))
                and callable(getattr(batch_processor, "evaluate_batch", None))):
            raise ParamError("Estimator: a batch_processor must have the methods fit_batch() "
                             "and evaluate_batch() (subclass BatchProcessor)")
        return batch_processor

    def _is_initialized(self) -> bool:
        params = self.net.collect_params()
        try:
            for name in params.keys():
                params[name].list_ctx()
        except RuntimeError:
            return False
        return True

    def _initialize(self, initializer: Any) -> None:
        if not self._is_initialized():
            self.net.initialize(init=initializer, ctx=self.context)
        elif initializer:
            warnings.warn("Network already fully initialized, skipping initialization. You "
                          "don't need to pass initializer if you already initialized your "
                          "net. You can use net.initialize(init=your_initializer, "
                          "force_reinit=True) to force re-initialize.", stacklevel=3)

    def _check_trainer(self, trainer: Any) -> Trainer:
        if trainer is None:
            warnings.warn("No trainer specified, default SGD optimizer with learning rate "
                          "0.001 is used.", stacklevel=3)
            return Trainer(self.net.collect_params(), "sgd", {"learning_rate": 0.001})
        if not isinstance(trainer, Trainer):
            raise ParamError(f"Estimator: trainer must be a gluon.Trainer, got {trainer!r}")
        return trainer

    def _add_default_training_metrics(self) -> None:
        if not self._train_metrics:
            if isinstance(self.loss, SoftmaxCrossEntropyLoss):
                self._train_metrics = [Accuracy()]
            self._train_metrics.append(LossMetric(self.loss.name.rstrip("0123456789")))
        # the prefixes tell training and validation metrics apart in the handlers
        for metric in self._train_metrics:
            metric.name = "training " + metric.name

    def _add_validation_metrics(self) -> None:
        if not self._val_metrics:
            self._val_metrics = [copy.deepcopy(m) for m in self._train_metrics]
        for metric in self._val_metrics:
            metric.name = (metric.name.replace("training", "validation")
                           if "training" in metric.name else "validation " + metric.name)

    @property
    def train_metrics(self) -> list[EvalMetric]:
        """The training metrics, named 'training ...'.

        >>> [m.name for m in est.train_metrics]  # doctest: +SKIP
        ['training accuracy', 'training softmaxcrossentropyloss']
        """
        return self._train_metrics

    @property
    def val_metrics(self) -> list[EvalMetric]:
        """The validation metrics, named 'validation ...'.

        >>> est.val_metrics[0].get()  # doctest: +SKIP
        ('validation accuracy', 0.97)
        """
        return self._val_metrics

    def evaluate(self, val_data: Any, batch_axis: int = 0, event_handlers: Any = None
                 ) -> None:
        """Run `val_data` through `val_net` and update `val_metrics` (reset first); a
        MetricHandler and a LoggingHandler are added unless given.

        >>> est.evaluate(test_loader); est.val_metrics[0].get()  # doctest: +SKIP
        """
        _check_data(val_data, "val_data")
        for metric in self.val_metrics:
            metric.reset()
        handlers = self._prepare_default_validation_handlers(event_handlers)
        _, epoch_begin, batch_begin, batch_end, epoch_end, _ = self._categorize_handlers(
            handlers)
        for handler in epoch_begin:
            handler.epoch_begin(self)
        for batch in val_data:
            for handler in batch_begin:
                handler.batch_begin(self, batch=batch)
            _, label, pred, loss = self.batch_processor.evaluate_batch(self, batch, batch_axis)
            for handler in batch_end:
                handler.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
        for handler in epoch_end:
            handler.epoch_end(self)

    def fit(self, train_data: Any, val_data: Any = None, epochs: int | None = None,
            event_handlers: Any = None, batches: int | None = None, batch_axis: int = 0,
            progress_bar: bool | None = None) -> None:
        """Train for `epochs` passes over `train_data`, or for `batches` batches (exactly
        one of the two), validating on `val_data` after each epoch when given.
        `event_handlers` add to (or replace, by kind) the default ones. A progress bar
        shows each epoch on a terminal (`progress_bar=None`), always (True) or never
        (False).

        >>> est.fit(train_loader, val_data=test_loader, epochs=10)  # doctest: +SKIP
        """
        _check_data(train_data, "train_data")
        if (not epochs) == (not batches):
            raise ParamError("Estimator.fit: give exactly one of epochs (to train for a "
                             "number of epochs) and batches (for a number of batches)")
        self.max_epoch = epochs
        self.max_batch = batches
        self.batch_axis = batch_axis
        handlers = self._prepare_default_handlers(val_data, event_handlers, train_data,
                                                  progress_bar)
        train_begin, epoch_begin, batch_begin, batch_end, epoch_end, train_end = \
            self._categorize_handlers(handlers)
        for handler in train_begin:
            handler.train_begin(self)
        epoch = 0
        while True:
            for handler in epoch_begin:
                handler.epoch_begin(self)
            seen = 0
            for batch in train_data:
                seen += 1
                for handler in batch_begin:
                    handler.batch_begin(self, batch=batch)
                _, label, pred, loss = self.batch_processor.fit_batch(self, batch, batch_axis)
                stop = [handler.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
                        for handler in batch_end]
                if any(stop):
                    break
            if seen == 0:
                # an exhausted iterator would otherwise loop for ever when training by batches
                raise ParamError(f"Estimator.fit: train_data gave no batches in epoch {epoch}; "
                                 f"it must give a new pass for each epoch (a DataLoader or a "
                                 f"list does, an iterator does not)")
            if any([handler.epoch_end(self) for handler in epoch_end]):
                break
            epoch += 1
        for handler in train_end:
            handler.train_end(self)

    def _prepare_default_handlers(self, val_data: Any, event_handlers: Any,
                                  train_data: Any = None, progress_bar: bool | None = False
                                  ) -> list[EventHandler]:
        # (MXNet's two arguments alone give MXNet's handlers: no progress bar)
        handlers = _check_event_handlers(event_handlers)
        added: list[EventHandler] = [StoppingHandler(self.max_epoch, self.max_batch)]
        if not any(isinstance(h, GradientUpdateHandler) for h in handlers):
            added.append(GradientUpdateHandler())
        if not any(isinstance(h, MetricHandler) for h in handlers):
            added.append(MetricHandler(metrics=self.train_metrics))
        if val_data is not None and not any(isinstance(h, ValidationHandler)
                                            for h in handlers):
            added.append(ValidationHandler(val_data=val_data, eval_fn=self.evaluate))
        if progress_bar is not False and not any(isinstance(h, ProgressBarHandler)
                                                 for h in handlers):
            total = len(train_data) if isinstance(train_data, Sized) else None
            added.append(ProgressBarHandler(self.train_metrics + self.val_metrics, total,
                                            disable=None if progress_bar is None else False))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            added.append(LoggingHandler(metrics=self.train_metrics))
        return self._merge(handlers, added, self.train_metrics + self.val_metrics)

    def _prepare_default_validation_handlers(self, event_handlers: Any) -> list[EventHandler]:
        handlers = _check_event_handlers(event_handlers)
        added: list[EventHandler] = []
        if not any(isinstance(h, MetricHandler) for h in handlers):
            added.append(MetricHandler(metrics=self.val_metrics))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            added.append(LoggingHandler(metrics=self.val_metrics))
        return self._merge(handlers, added, self.val_metrics)

    @staticmethod
    def _merge(handlers: list[EventHandler], added: list[EventHandler],
               known: list[EvalMetric]) -> list[EventHandler]:
        """The user's handlers then the defaults, in order of priority (a stable sort)."""
        if handlers and added:
            # the defaults update the estimator's metrics: a user handler must use the same
            for handler in handlers + added:
                _check_handler_metric_ref(handler, known)
        return sorted(handlers + added, key=lambda h: getattr(h, "priority", 0))

    @staticmethod
    def _categorize_handlers(handlers: list[EventHandler]) -> tuple[list[Any], ...]:
        """The handlers of each event: train begin, epoch begin, batch begin, batch end,
        epoch end, train end."""
        kinds = (TrainBegin, EpochBegin, BatchBegin, BatchEnd, EpochEnd, TrainEnd)
        return tuple([h for h in handlers if isinstance(h, kind)] for kind in kinds)
