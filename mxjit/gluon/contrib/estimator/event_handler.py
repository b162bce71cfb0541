"""The events of `Estimator.fit` and `evaluate`, and the handlers MXNet 1.9.1 ships.

A handler subclasses the events it reacts to (`TrainBegin`, `EpochBegin`, `BatchBegin`,
`BatchEnd`, `EpochEnd`, `TrainEnd`); the estimator calls the handlers of each event in
ascending `priority` (0 unless set): gradient update -2000, metrics and validation -1000,
user handlers 0, the progress bar 1000, logging last. A `batch_end` or `epoch_end` that
returns True ends the epoch, or the training.

    >>> class Count(BatchEnd):  # doctest: +SKIP
    ...     def batch_end(self, estimator, *args, **kwargs):
    ...         self.n = getattr(self, 'n', 0) + 1
"""
from __future__ import annotations

import math
import os
import re
import time
import warnings
from typing import Any

from ....base import MissingFileError, ParamError
from ....metric import CompositeEvalMetric, EvalMetric
from ....metric import Loss as LossMetric
from ....symbol import Group
from ...block import HybridBlock

__all__ = ["TrainBegin", "TrainEnd", "EpochBegin", "EpochEnd", "BatchBegin", "BatchEnd",
           "StoppingHandler", "MetricHandler", "ValidationHandler", "LoggingHandler",
           "CheckpointHandler", "EarlyStoppingHandler", "GradientUpdateHandler"]


def __dir__() -> list[str]:
    return __all__


class EventHandler:
    """The base of every event class; `Estimator.fit` accepts only its instances."""


def _check_event_handlers(handlers: Any) -> list[EventHandler]:
    """`handlers` (one handler, a list, or None) as a new list, refusing anything else."""
    if isinstance(handlers, EventHandler):
        return [handlers]
    handlers = list(handlers or [])
    if not all(isinstance(h, EventHandler) for h in handlers):
        raise ParamError(f"event_handlers must be an EventHandler or a list of them (classes "
                         f"of gluon.contrib.estimator), got {handlers}")
    return handlers


def _check_metrics(metrics: Any) -> list[EvalMetric]:
    """`metrics` (one metric, a composite, a list, or None) as a new flat list."""
    if isinstance(metrics, CompositeEvalMetric):
        return [m for child in metrics.metrics for m in _check_metrics(child)]
    if isinstance(metrics, EvalMetric):
        return [metrics]
    metrics = list(metrics or [])
    if not all(isinstance(m, EvalMetric) for m in metrics):
        raise ParamError(f"metrics must be an mx.metric.EvalMetric or a list of them, got "
                         f"{metrics}")
    return metrics


def _metric_text(metrics: list[EvalMetric]) -> str:
    """MXNet's `name: value, ...` text of LoggingHandler's lines."""
    return ", ".join(f"{name}: {value:.4f}" for m in metrics for name, value in
                     m.get_name_value())


def _is_better(mode: str, monitor: EvalMetric, who: str) -> Any:
    """The comparison `mode` asks for: 'max' (greater is better), 'min', or 'auto', which
    guesses from the monitored metric's name and warns that it guessed."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{who}: mode {mode!r} is unknown, using 'auto' (one of 'auto', 'min', "
                      f"'max')", RuntimeWarning, stacklevel=3)
        mode = "auto"
    if mode == "auto":
        name = str(monitor.get()[0])
        # MXNet 1.9.1 tests `'acc' or 'f1' in name`, which is always true: every monitor,
        # losses included, was maximised. Scores are maximised here, everything else minimised.
        higher = any(s in name.lower() for s in ("acc", "f1", "mcc", "pearson", "pcc"))
        mode = "max" if higher else "min"
        warnings.warn(f"{who}: {name!r} is taken to improve when it gets "
                      f"{'greater' if higher else 'smaller'}; pass mode='max' or mode='min' "
                      f"to say so (and silence this warning)", stacklevel=3)
    return (lambda a, b: a > b) if mode == "max" else (lambda a, b: a < b)


class TrainBegin(EventHandler):
    """Called once before the first epoch of `fit`.

    >>> class Hello(TrainBegin):  # doctest: +SKIP
    ...     def train_begin(self, estimator, *args, **kwargs): print('start')
    """

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """React to the start of training."""


class TrainEnd(EventHandler):
    """Called once after the last epoch of `fit`.

    >>> class Bye(TrainEnd):  # doctest: +SKIP
    ...     def train_end(self, estimator, *args, **kwargs): print('done')
    """

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """React to the end of training."""


class EpochBegin(EventHandler):
    """Called before each epoch (of `fit`, and before the pass of `evaluate`).

    >>> class Tick(EpochBegin):  # doctest: +SKIP
    ...     def epoch_begin(self, estimator, *args, **kwargs): print('epoch')
    """

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """React to the start of an epoch."""


class EpochEnd(EventHandler):
    """Called after each epoch; returning True stops training.

    >>> class StopAtOnce(EpochEnd):  # doctest: +SKIP
    ...     def epoch_end(self, estimator, *args, **kwargs): return True
    """

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        """React to the end of an epoch; True stops training."""
        return False


class BatchBegin(EventHandler):
    """Called before each batch with `batch=` (the batch as the data gave it).

    >>> class Peek(BatchBegin):  # doctest: +SKIP
    ...     def batch_begin(self, estimator, *args, **kwargs): print(kwargs['batch'][0].shape)
    """

    def batch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        """React to the start of a batch."""


class BatchEnd(EventHandler):
    """Called after each batch with `batch=`, `pred=`, `label=`, `loss=` (lists of one
    array per context); returning True ends the epoch and training.

    >>> class Losses(BatchEnd):  # doctest: +SKIP
    ...     def batch_end(self, estimator, *args, **kwargs): print(kwargs['loss'][0].mean())
    """

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        """React to the end of a batch; True stops training."""
        return False


class StoppingHandler(TrainBegin, BatchEnd, EpochEnd):
    """Stops training after `max_epoch` epochs or `max_batch` batches (`fit` adds one and
    sets both from its `epochs` and `batches`).

    >>> StoppingHandler(max_epoch=3)  # doctest: +SKIP
    """

    def __init__(self, max_epoch: int | None = None, max_batch: int | None = None):
        self.max_epoch = max_epoch
        self.max_batch = max_batch
        self.current_batch = 0
        self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.max_epoch = estimator.max_epoch
        self.max_batch = estimator.max_batch
        self.current_batch = 0
        self.current_epoch = 0

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        self.current_batch += 1
        if self.current_batch == self.max_batch:
            self.stop_training = True
        return self.stop_training

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        self.current_epoch += 1
        if self.current_epoch == self.max_epoch:
            self.stop_training = True
        return self.stop_training


class MetricHandler(EpochBegin, BatchEnd):
    """Resets `metrics` at each epoch's start and updates them after each batch: an
    `mx.metric.Loss` with the batch's loss, any other metric with labels and predictions.

    >>> MetricHandler(est.train_metrics)  # doctest: +SKIP
    """

    def __init__(self, metrics: Any, priority: float = -1000):
        self.metrics = _check_metrics(metrics)
        self.priority = priority  # before any handler that reads the metrics

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        for metric in self.metrics:
            metric.reset()

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        for metric in self.metrics:
            if isinstance(metric, LossMetric):
                metric.update(0, kwargs["loss"])
            else:
                metric.update(kwargs["label"], kwargs["pred"])
        return False


class ValidationHandler(TrainBegin, BatchEnd, EpochEnd):
    """Runs `eval_fn(val_data=..., batch_axis=..., event_handlers=...)` (the estimator's
    `evaluate`) every `epoch_period` epochs and, when given, every `batch_period` batches.

    >>> ValidationHandler(val_loader, est.evaluate, epoch_period=2)  # doctest: +SKIP
    """

    def __init__(self, val_data: Any, eval_fn: Any, epoch_period: int | None = 1,
                 batch_period: int | None = None, priority: float = -1000,
                 event_handlers: Any = None):
        self.val_data = val_data
        self.eval_fn = eval_fn
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.current_batch = 0
        self.current_epoch = 0
        self.priority = priority  # validation metrics are ready for the handlers after it
        self.event_handlers = event_handlers

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_batch = 0
        self.current_epoch = 0

    def _validate(self, estimator: Any) -> None:
        self.eval_fn(val_data=self.val_data, batch_axis=estimator.batch_axis,
                     event_handlers=self.event_handlers)

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        self.current_batch += 1
        if self.batch_period and self.current_batch % self.batch_period == 0:
            self._validate(estimator)
        return False

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        self.current_epoch += 1
        if self.epoch_period and self.current_epoch % self.epoch_period == 0:
            self._validate(estimator)
        return False


class LoggingHandler(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    """Writes MXNet's training log to `estimator.logger`: the optimizer and learning rate
    at the start, each epoch's time and `metrics`, every `log_interval` batches when it is
    an int, and a summary at the end.

    >>> LoggingHandler(log_interval=10, metrics=est.train_metrics)  # doctest: +SKIP
    """

    def __init__(self, log_interval: int | str = "epoch", metrics: Any = None,
                 priority: float = math.inf):
        if not isinstance(log_interval, int) and log_interval != "epoch":
            raise ParamError(f"LoggingHandler: log_interval must be an int (every so many "
                             f"batches) or 'epoch', got {log_interval!r}")
        self.metrics = _check_metrics(metrics)
        self.log_interval = log_interval
        self.priority = priority  # last: it reports what the other handlers did
        self.batch_index = 0
        self.current_epoch = 0
        self.processed_samples = 0
        self.log_interval_time = 0.0
        self.train_start = self.epoch_start = self.batch_start = 0.0

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.train_start = time.time()
        trainer = estimator.trainer
        estimator.logger.info("Training begin: using optimizer %s with current learning "
                              "rate %.4f", type(trainer.optimizer).__name__,
                              trainer.learning_rate)
        if estimator.max_epoch:
            estimator.logger.info("Train for %d epochs.", estimator.max_epoch)
        else:
            estimator.logger.info("Train for %d batches.", estimator.max_batch)
        self.current_epoch = 0
        self.batch_index = 0
        self.processed_samples = 0
        self.log_interval_time = 0.0

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        seconds = int(time.time() - self.train_start)
        msg = f"Train finished using total {seconds}s with {self.current_epoch} epochs."
        text = _metric_text(self.metrics)
        estimator.logger.info(f"{msg} {text}" if text else msg)

    def batch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(self.log_interval, int):
            self.batch_start = time.time()

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        if isinstance(self.log_interval, int):
            self.log_interval_time += time.time() - self.batch_start
            self.processed_samples += kwargs["batch"][0].shape[0]
            if self.batch_index % self.log_interval == 0:
                msg = (f"[Epoch {self.current_epoch}][Batch {self.batch_index}][Samples "
                       f"{self.processed_samples}] time/interval: {self.log_interval_time:.3f}s")
                text = _metric_text(self.metrics)
                estimator.logger.info(f"{msg} {text}" if text else msg)
                self.log_interval_time = 0.0
        self.batch_index += 1
        return False

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.epoch_start = time.time()
        # the estimator names its metrics 'training ...' and 'validation ...'
        if any("training" in m.name for m in self.metrics):
            estimator.logger.info("[Epoch %d] Begin, current learning rate: %.4f",
                                  self.current_epoch, estimator.trainer.learning_rate)
        else:
            estimator.logger.info("Validation Begin")

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        msg = (f"[Epoch {self.current_epoch}] Finished in "
               f"{time.time() - self.epoch_start:.3f}s")
        text = _metric_text(self.metrics)
        estimator.logger.info(f"{msg}, {text}" if text else msg)
        self.current_epoch += 1
        self.batch_index = 0
        return False


#: A checkpoint's file names: `{prefix}-epoch{N}batch{M}.params` and `.states`.
_CHECKPOINT = "{}-epoch{}batch{}"


class CheckpointHandler(TrainBegin, BatchEnd, EpochEnd):
    """Saves the parameters (`.params`) and the trainer's states (`.states`) in
    `model_dir` as `{model_prefix}-epoch{N}batch{M}` every `epoch_period` epochs or
    `batch_period` batches, keeping the last `max_checkpoints`; with `save_best`, also
    `{model_prefix}-best` whenever `monitor` improves. With `resume_from_checkpoint`,
    `fit` starts from the latest checkpoint in `model_dir` and trains what remains of its
    `epochs` (or `batches`).

    >>> CheckpointHandler('ckpt', monitor=est.val_metrics[0], save_best=True)  # doctest: +SKIP
    """

    def __init__(self, model_dir: str, model_prefix: str = "model", monitor: Any = None,
                 verbose: int = 0, save_best: bool = False, mode: str = "auto",
                 epoch_period: int | None = 1, batch_period: int | None = None,
                 max_checkpoints: int = 5, resume_from_checkpoint: bool = False):
        if save_best and not isinstance(monitor, EvalMetric):
            raise ParamError("CheckpointHandler: save_best=True needs a monitor, one of the "
                             "metrics of estimator.train_metrics or estimator.val_metrics")
        os.makedirs(model_dir, exist_ok=True)
        self.model_dir = model_dir
        self.model_prefix = model_prefix
        self.monitor = monitor
        self.verbose = verbose
        self.save_best = save_best
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.max_checkpoints = max_checkpoints
        self.resume_from_checkpoint = resume_from_checkpoint
        self.current_batch = 0
        self.current_epoch = 0
        self.trained_epoch = -1
        self.trained_batch = -1
        self.saved_checkpoints: list[str] = []
        if save_best:
            self.monitor_op = _is_better(mode, monitor, "CheckpointHandler")
            self.best = self._worst()

    def _worst(self) -> float:
        return -math.inf if self.monitor_op(1, 0) else math.inf

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_epoch = 0
        self.current_batch = 0
        if self.save_best:
            self.best = self._worst()
        if self.resume_from_checkpoint:
            by_batches = bool(estimator.max_batch)
            if by_batches != bool(self.batch_period) or by_batches == bool(self.epoch_period):
                raise AssertionError(
                    "CheckpointHandler: to resume from a checkpoint, save by the unit you "
                    "train by: with fit(epochs=...), epoch_period set and batch_period=None; "
                    "with fit(batches=...), batch_period set and epoch_period=None")
            self._resume(estimator)

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        if self.current_batch == 0:  # (the architecture once, after the first batch)
            self._save_symbol(estimator)
        if self.batch_period and (self.current_batch + 1) % self.batch_period == 0:
            self._save_checkpoint(estimator)
        self.current_batch += 1
        return False

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        if self.epoch_period and (self.current_epoch + 1) % self.epoch_period == 0:
            self._save_checkpoint(estimator)
        self.current_epoch += 1
        return False

    def _save_symbol(self, estimator: Any) -> None:
        """Write the network's graph to `<prefix>-symbol.json`, as `export` does, when it is
        a hybridized block that has run; else say why not, as MXNet does."""
        path = os.path.join(self.model_dir, self.model_prefix + "-symbol.json")
        net = estimator.net
        if isinstance(net, HybridBlock) and net._graph_inputs is not None:
            Group(net._graph_outputs()).save(path)
            return
        estimator.logger.info(
            "Model architecture(symbol file) is not saved, please use HybridBlock to "
            "construct your model, and call net.hybridize() before passing to Estimator in "
            "order to save model architecture as %s.", path)

    def _save_checkpoint(self, estimator: Any) -> None:
        # MXNet's numbering: at epoch end `batch` counts the batches done, at batch end it
        # is the index of the batch just done; a resumed run continues the numbers (and a
        # run that found nothing to resume numbers as a fresh one, where MXNet 1.9.1 named
        # its epoch checkpoints one batch short)
        epoch, batch = self.current_epoch, self.current_batch
        if self.resume_from_checkpoint and self.trained_epoch >= 0:
            epoch += self.trained_epoch + 1
            batch += self.trained_batch + (0 if estimator.max_epoch else 1)
        prefix = _CHECKPOINT.format(self.model_prefix, epoch, batch)
        self._save(estimator, prefix)
        self.saved_checkpoints.append(prefix)
        while len(self.saved_checkpoints) > self.max_checkpoints:
            self._remove(self.saved_checkpoints.pop(0))
        if self.verbose > 0:
            estimator.logger.info("[Epoch %d] CheckpointHandler: trained total %d batches, "
                                  "saving model at %s with prefix: %s", self.current_epoch,
                                  self.current_batch + 1, self.model_dir, prefix)
        if self.save_best:
            self._save_if_best(estimator)

    def _save_if_best(self, estimator: Any) -> None:
        name, value = self.monitor.get()
        if math.isnan(value):
            warnings.warn(f"CheckpointHandler: not saving the best model: {name} has no value "
                          f"yet; the monitor must be one of estimator.train_metrics or "
                          f"estimator.val_metrics", RuntimeWarning, stacklevel=2)
            return
        if not self.monitor_op(value, self.best):
            if self.verbose > 0:
                estimator.logger.info("[Epoch %d] CheckpointHandler: %s did not improve from "
                                      "%0.5f, skipping updating best model",
                                      self.current_epoch, name, self.best)
            return
        prefix = self.model_prefix + "-best"
        self._save(estimator, prefix)
        if self.verbose > 0:
            estimator.logger.info("[Epoch %d] CheckpointHandler: %s improved from %0.5f to "
                                  "%0.5f, updating best model at %s with prefix: %s",
                                  self.current_epoch, name, self.best, value, self.model_dir,
                                  prefix)
        self.best = value

    def _save(self, estimator: Any, prefix: str) -> None:
        path = os.path.join(self.model_dir, prefix)
        estimator.net.save_parameters(path + ".params")
        estimator.trainer.save_states(path + ".states")

    def _remove(self, prefix: str) -> None:
        for ext in (".params", ".states"):
            path = os.path.join(self.model_dir, prefix + ext)
            if os.path.exists(path):
                os.remove(path)

    def _existing(self) -> list[tuple[int, int]]:
        """(epoch, batch) of every checkpoint of this prefix in `model_dir`, in order."""
        pattern = re.compile(re.escape(self.model_prefix) + r"-epoch(\d+)batch(\d+)\.params")
        found = [pattern.fullmatch(f) for f in os.listdir(self.model_dir)]
        return sorted((int(m[1]), int(m[2])) for m in found if m)

    def _resume(self, estimator: Any) -> None:
        existing = self._existing()
        if not existing:
            self.trained_epoch = self.trained_batch = -1
            todo = (f"{estimator.max_batch} batches" if estimator.max_batch
                    else f"{estimator.max_epoch} epochs")
            estimator.logger.info("CheckpointHandler: No checkpoint found, training from "
                                  "scratch for %s", todo)
            return
        # earlier checkpoints count towards max_checkpoints, oldest removed first
        self.saved_checkpoints = [_CHECKPOINT.format(self.model_prefix, e, b)
                                  for e, b in existing]
        self.trained_epoch, self.trained_batch = existing[-1]
        msg = (f"CheckpointHandler: Checkpoint resumed from epoch {self.trained_epoch} "
               f"batch {self.trained_batch}, continue to train for")
        if estimator.max_epoch:
            if self.trained_epoch >= estimator.max_epoch - 1:
                raise ParamError(f"CheckpointHandler: the checkpoint in {self.model_dir} "
                                 f"already has all {estimator.max_epoch} epochs; train from "
                                 f"scratch with resume_from_checkpoint=False (the default)")
            estimator.max_epoch -= self.trained_epoch + 1
            msg += f" {estimator.max_epoch} epochs"
        if estimator.max_batch:
            if self.trained_batch >= estimator.max_batch - 1:
                raise ParamError(f"CheckpointHandler: the checkpoint in {self.model_dir} "
                                 f"already has all {estimator.max_batch} batches; train from "
                                 f"scratch with resume_from_checkpoint=False (the default)")
            estimator.max_batch -= self.trained_batch + 1
            msg += f" {estimator.max_batch} batches"
        path = os.path.join(self.model_dir, self.saved_checkpoints[-1])
        if not os.path.exists(path + ".states"):
            raise MissingFileError(f"CheckpointHandler: cannot resume from {path}.params: "
                                    f"{path}.states (the trainer's states) is missing")
        estimator.net.load_parameters(path + ".params", ctx=estimator.context)
        estimator.trainer.load_states(path + ".states")
        estimator.logger.warning(msg)


class EarlyStoppingHandler(TrainBegin, EpochEnd, TrainEnd):
    """Stops training when `monitor` has not improved by more than `min_delta` for
    `patience` epochs (at the first epoch without improvement when `patience` is 0);
    `baseline` is the value to beat at the start.

    >>> EarlyStoppingHandler(est.val_metrics[1], patience=2, mode='min')  # doctest: +SKIP
    """

    def __init__(self, monitor: EvalMetric, min_delta: float = 0, patience: int = 0,
                 mode: str = "auto", baseline: float | None = None):
        if not isinstance(monitor, EvalMetric):
            raise ParamError("EarlyStoppingHandler: the monitor must be one of the metrics of "
                             "estimator.train_metrics or estimator.val_metrics")
        if isinstance(monitor, CompositeEvalMetric):
            raise ParamError("EarlyStoppingHandler: a CompositeEvalMetric cannot be "
                             "monitored; pass one of its metrics")
        self.monitor = monitor
        self.baseline = baseline
        self.patience = patience
        self.monitor_op = _is_better(mode, monitor, "EarlyStoppingHandler")
        # an improvement must beat the best by min_delta in the better direction
        self.min_delta = abs(min_delta) if self.monitor_op(1, 0) else -abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        self.best = math.nan

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = -math.inf if self.monitor_op(1, 0) else math.inf

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        name, value = self.monitor.get()
        if math.isnan(value):
            warnings.warn(f"EarlyStoppingHandler: {name} has no value; the monitor must be "
                          f"one of estimator.train_metrics or estimator.val_metrics",
                          RuntimeWarning, stacklevel=2)
        elif self.monitor_op(value - self.min_delta, self.best):
            self.best = value
            self.wait = 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = self.current_epoch
                self.stop_training = True
        self.current_epoch += 1
        return self.stop_training

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if self.stop_training:
            estimator.logger.info("[Epoch %d] EarlyStoppingHandler: early stopping due to %s "
                                  "not improving", self.stopped_epoch, self.monitor.get()[0])


class GradientUpdateHandler(BatchEnd):
    """Applies the gradients after each batch: `trainer.step` with the number of samples
    in the batch's losses. It runs first (priority -2000).

    >>> GradientUpdateHandler(priority=-2000)  # doctest: +SKIP
    """

    def __init__(self, priority: float = -2000):
        self.priority = priority

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        losses = kwargs["loss"]
        losses = losses if isinstance(losses, list) else [losses]
        estimator.trainer.step(sum(loss.shape[0] for loss in losses))
        return False
