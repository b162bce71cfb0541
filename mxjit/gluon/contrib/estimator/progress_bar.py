"""The progress bar of `Estimator.fit` (mxjit's addition: MXNet 1.9.1 only logs).

One tqdm bar per epoch counts the batches and shows the current loss and metrics; it is
drawn only on a terminal unless asked for. The estimator's log lines go through
`tqdm.write`, so they print above an open bar instead of through it.

    >>> est.fit(train_loader, epochs=5)                      # a bar on a terminal  # doctest: +SKIP
    >>> est.fit(train_loader, epochs=5, progress_bar=False)  # never  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, TextIO

from ....metric import EvalMetric
from ....metric import Loss as LossMetric
from .event_handler import BatchEnd, EpochBegin, EpochEnd, TrainBegin, TrainEnd, _check_metrics

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["ProgressBarHandler"]


def __dir__() -> list[str]:
    return __all__


class BarAwareStreamHandler(logging.StreamHandler):
    """A logging handler that writes through `tqdm.write`: lines appear above open bars."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm  # (imported when used: `import mxjit` needs no tqdm)

        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # logging's contract: report through handleError, never raise
            self.handleError(record)


def _short_name(metric: EvalMetric, name: str) -> str:
    """A name that fits in a bar: 'training softmaxcrossentropyloss' -> 'loss',
    'validation accuracy' -> 'val_acc', 'training mae' -> 'mae'."""
    stage, _, rest = name.partition(" ")
    if stage not in ("training", "validation"):
        stage, rest = "training", name
    if isinstance(metric, LossMetric):
        rest = "loss"
    elif rest == "accuracy":
        rest = "acc"
    return rest if stage == "training" else "val_" + rest


class ProgressBarHandler(TrainBegin, EpochBegin, BatchEnd, EpochEnd, TrainEnd):
    """A tqdm bar per epoch: batches done (of `total`, when known), their rate, and the
    values of `metrics` (those without a value yet are left out). `disable=None` draws it
    only when `file` (standard output by default) is a terminal. `fit` adds one unless
    told `progress_bar=False`.

    >>> ProgressBarHandler(est.train_metrics, total=len(train_loader))  # doctest: +SKIP
    """

    def __init__(self, metrics: Any = None, total: int | None = None,
                 disable: bool | None = None, file: TextIO | None = None,
                 priority: float = 1000):
        self.metrics = _check_metrics(metrics)
        self.total = total
        self.disable = disable
        self.file = file
        # after validation (-1000) and user handlers (0), before logging (inf)
        self.priority = priority
        self.current_epoch = 0
        self.bar: tqdm | None = None

    def _postfix(self) -> str:
        shown = [(_short_name(m, name), value) for m in self.metrics
                 for name, value in m.get_name_value() if value == value]
        return ", ".join(f"{name}={value:.3f}" for name, value in shown)

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_epoch = 0

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self._close()
        file = self.file or sys.stdout
        disable = self.disable if self.disable is not None else not _is_terminal(file)
        if not disable:
            from tqdm import tqdm  # (imported when used: `import mxjit` needs no tqdm)

            self.bar = tqdm(total=self.total, desc=f"[Epoch {self.current_epoch}]",
                            unit="batch", file=file, leave=True, dynamic_ncols=True)

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        if self.bar is not None:
            self.bar.set_postfix_str(self._postfix(), refresh=False)
            self.bar.update(1)
        return False

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        if self.bar is not None:
            self.bar.set_postfix_str(self._postfix(), refresh=False)
        self._close()
        self.current_epoch += 1
        return False

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _is_terminal(file: TextIO) -> bool:
    isatty = getattr(file, "isatty", None)
    return bool(isatty and isatty())
