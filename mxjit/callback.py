"""`mx.callback`: what `Module.fit` calls after each batch or epoch.

Batch-end callbacks receive a `BatchEndParam` (epoch, batch number, the metric, the
caller's locals); epoch-end callbacks receive `(epoch, symbol, arg_params, aux_params)`.
They log through the root logger with MXNet's line formats, so scripts that parse those
logs keep working.

    >>> mod.fit(train_iter, num_epoch=2,  # doctest: +SKIP
    ...         batch_end_callback=mx.callback.Speedometer(128, 50),
    ...         epoch_end_callback=mx.callback.do_checkpoint('mlp'))
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from .model import BatchEndParam, save_checkpoint

__all__ = ["module_checkpoint", "do_checkpoint", "log_train_metric", "Speedometer",
           "ProgressBar", "LogValidationMetricsCallback"]

EpochEndCallback = Callable[..., None]


def __dir__() -> list[str]:
    return __all__


def module_checkpoint(mod: Any, prefix: str, period: int = 1,
                      save_optimizer_states: bool = False) -> EpochEndCallback:
    """An epoch-end callback that saves `mod`'s checkpoint every `period` epochs (as
    epoch number `epoch + 1`, the number of epochs done).

    >>> cb = mx.callback.module_checkpoint(mod, 'mlp', period=2)  # doctest: +SKIP
    """
    period = int(max(1, period))

    def _callback(iter_no: int, sym: Any = None, arg: Any = None, aux: Any = None) -> None:
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)
    return _callback


def do_checkpoint(prefix: str, period: int = 1) -> EpochEndCallback:
    """An epoch-end callback that saves the symbol and parameters it is given every
    `period` epochs with `mx.model.save_checkpoint`.

    >>> cb = mx.callback.do_checkpoint('mlp')  # doctest: +SKIP
    """
    period = int(max(1, period))

    def _callback(iter_no: int, sym: Any, arg: dict[str, Any], aux: dict[str, Any]) -> None:
        if (iter_no + 1) % period == 0:
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)
    return _callback


def log_train_metric(period: int, auto_reset: bool = False
                     ) -> Callable[[BatchEndParam], None]:
    """A batch-end callback that logs the training metric every `period` batches
    (resetting its running value after each log with `auto_reset`).

    >>> cb = mx.callback.log_train_metric(10)  # doctest: +SKIP
    """
    def _callback(param: BatchEndParam) -> None:
        if param.nbatch % period == 0 and param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                logging.info("Iter[%d] Batch[%d] Train-%s=%f", param.epoch, param.nbatch,
                             name, value)
            if auto_reset:
                param.eval_metric.reset_local()
    return _callback


class Speedometer:
    """A batch-end callback that logs the training speed (samples per second over the
    last `frequent` batches) and the metric; with `auto_reset` the metric's running value
    restarts after each line, so each line shows the last `frequent` batches.

    >>> cb = mx.callback.Speedometer(batch_size=128, frequent=50)  # doctest: +SKIP
    """

    def __init__(self, batch_size: int, frequent: int = 50, auto_reset: bool = True):
        self.batch_size = batch_size
        self.frequent = frequent
        self.init = False
        self.tic = 0.0
        self.last_count = 0
        self.auto_reset = auto_reset

    def __call__(self, param: BatchEndParam) -> None:
        count = param.nbatch
        if self.last_count > count:  # (a new epoch began: start timing again)
            self.init = False
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent != 0:
            return
        elapsed = time.time() - self.tic
        speed = self.frequent * self.batch_size / elapsed if elapsed > 0 else float("inf")
        if param.eval_metric is None:
            logging.info("Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec", param.epoch, count,
                         speed)
        else:
            name_value = param.eval_metric.get_name_value()
            values = [x for pair in name_value for x in pair]
            if self.auto_reset:
                param.eval_metric.reset_local()
                msg = "Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec"
                msg += "\t%s=%f" * len(name_value)
                logging.info(msg, param.epoch, count - self.frequent, count, speed, *values)
            else:
                msg = "Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec"
                msg += "\t%s=%f" * len(name_value)
                logging.info(msg, param.epoch, count, speed, *values)
        self.tic = time.time()


class ProgressBar:
    """A batch-end callback that logs a text progress bar of `length` characters for an
    epoch of `total` batches.

    >>> cb = mx.callback.ProgressBar(total=469)  # doctest: +SKIP
    """

    def __init__(self, total: int, length: int = 80):
        self.bar_len = length
        self.total = total

    def __call__(self, param: BatchEndParam) -> None:
        count = param.nbatch
        filled = int(round(self.bar_len * count / float(self.total)))
        percents = math.ceil(100.0 * count / float(self.total))
        bar = "=" * filled + "-" * (self.bar_len - filled)
        logging.info("[%s] %s%s\r", bar, percents, "%")


class LogValidationMetricsCallback:
    """An evaluation-end callback that logs each validation metric.

    >>> mod.fit(..., eval_end_callback=mx.callback.LogValidationMetricsCallback())  # doctest: +SKIP
    """

    def __call__(self, param: BatchEndParam) -> None:
        if not param.eval_metric:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info("Epoch[%d] Validation-%s=%f", param.epoch, name, value)
