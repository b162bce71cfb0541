"""`mx.monitor.Monitor`: statistics of a bound symbol's arrays every few batches.

Installed on executors (`Module.install_monitor`, `fit(monitor=...)`), it records a
statistic (by default the root mean square, `norm(x) / sqrt(x.size)`) of every operator's
outputs (`fc1_output`; with `monitor_all`, their inputs too) during a batch that `tic`
opened, and, at `toc`, of every argument and auxiliary state; names are filtered by the
regular expression `pattern`. A bound symbol runs as one compiled program, so the
executor computes the operators' arrays with a second program, only in watched batches.

    >>> mon = mx.monitor.Monitor(interval=10, pattern='.*weight')  # doctest: +SKIP
    >>> mod.fit(train_iter, num_epoch=1, monitor=mon)  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from math import sqrt
from typing import Any

from . import nd
from .nd import NDArray

__all__ = ["Monitor"]


def __dir__() -> list[str]:
    return __all__


def root_mean_square(x: NDArray) -> NDArray:
    """MXNet's default monitor statistic: `norm(x) / sqrt(x.size)`.

    >>> root_mean_square(mx.nd.ones((2, 3)))  # doctest: +SKIP
    [1.]
    """
    return nd.norm(x) / sqrt(x.size)  # type: ignore[no-any-return]


class Monitor:
    """Collects `stat_func(array)` of the arrays whose names match `pattern` on every
    `interval`-th batch; `sort` orders the results by name.

    >>> mon = mx.monitor.Monitor(1, stat_func=lambda x: x.abs().max())  # doctest: +SKIP
    """

    def __init__(self, interval: int, stat_func: Callable[[NDArray], Any] | None = None,
                 pattern: str = ".*", sort: bool = False, monitor_all: bool = False):
        self.stat_func = stat_func or root_mean_square
        self.interval = interval
        self.activated = False
        self.queue: list[tuple[int, str, Any]] = []
        self.step = 0
        self.exes: list[Any] = []
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_all = monitor_all

    def stat_helper(self, name: str, array: NDArray) -> None:
        """The executors' callback: record `array`'s statistic while a batch is watched.

        >>> exe.set_monitor_callback(mon.stat_helper)  # doctest: +SKIP
        """
        if self.activated and self.re_prog.match(name):
            self.queue.append((self.step, name, self.stat_func(array)))

    def install(self, exe: Any) -> None:
        """Watch the executor `exe`.

        >>> mon.install(exe)  # doctest: +SKIP
        """
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def tic(self) -> None:
        """Start a batch: every `interval`-th one is watched.

        >>> mon.tic()  # doctest: +SKIP
        """
        if self.step % self.interval == 0:
            self.queue = []
            self.activated = True
        self.step += 1

    def toc(self) -> list[tuple[int, str, str]]:
        """End a batch: (step, name, statistic as text) for the outputs seen and every
        matching argument and auxiliary state; empty for an unwatched batch.

        >>> for step, name, value in mon.toc(): print(name, value)  # doctest: +SKIP
        """
        if not self.activated:
            return []
        for exe in self.exes:
            for name, array in [*exe.arg_dict.items(), *exe.aux_dict.items()]:
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(array)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda entry: entry[1])
        res = [(step, name, _as_text(values)) for step, name, values in self.queue]
        self.queue = []
        return res

    def toc_print(self) -> None:
        """`toc`, logged one line per array: `Batch:       1 fc1_weight   0.0123`.

        >>> mon.toc_print()  # doctest: +SKIP
        """
        for step, name, text in self.toc():
            logging.info("Batch: %7d %-30s %s", step, name, text)


def _as_text(values: Any) -> str:
    """A statistic (an array or a list of arrays) as MXNet prints it: each value followed
    by a tab, one-element arrays as their number."""
    text = ""
    for v in values if isinstance(values, list) else [values]:
        text += (str(v.asscalar()) if v.shape == (1,) else str(v.asnumpy())) + "\t"
    return text
