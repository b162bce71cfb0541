"""Samplers: the order in which a DataLoader visits a dataset's indices, and how
`BatchSampler` groups them into mini-batches (`last_batch` 'keep', 'discard' or
'rollover').

    >>> list(BatchSampler(SequentialSampler(5), 2, 'keep'))  # doctest: +SKIP
    [[0, 1], [2, 3], [4]]
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ...base import NotOverriddenError, ParamError

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "FilterSampler", "BatchSampler",
           "IntervalSampler", "SplitSampler"]

LAST_BATCH_MODES = ("keep", "discard", "rollover")


def __dir__() -> list[str]:
    return __all__


class Sampler:
    """The base of the samplers: subclasses define `__iter__` (the indices) and `__len__`.

    >>> class Evens(Sampler):  # doctest: +SKIP
    ...     def __iter__(self): return iter(range(0, 10, 2))
    ...     def __len__(self): return 5
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotOverriddenError

    def __len__(self) -> int:
        raise NotOverriddenError


class SequentialSampler(Sampler):
    """The indices `start, start + 1, ..., start + length - 1` in order.

    >>> list(SequentialSampler(3, start=2))  # doctest: +SKIP
    [2, 3, 4]
    """

    def __init__(self, length: int, start: int = 0):
        self._length = length
        self._start = start

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._start, self._start + self._length))

    def __len__(self) -> int:
        return self._length


class RandomSampler(Sampler):
    """A new permutation of `range(length)` for every pass, drawn from NumPy's global
    generator (so `np.random.seed` fixes it, as in MXNet; `mx.random.seed` does not).

    >>> np.random.seed(0); list(RandomSampler(4))  # doctest: +SKIP
    [2, 3, 1, 0]
    """

    def __init__(self, length: int):
        self._length = length

    def __iter__(self) -> Iterator[int]:
        indices = np.arange(self._length)
        np.random.shuffle(indices)
        return iter(indices.tolist())

    def __len__(self) -> int:
        return self._length


class SplitSampler(Sampler):
    """Part `part_index` of `num_parts` equal, contiguous parts of `range(length)`
    (`length // num_parts` indices each, the remainder left out so that every worker
    takes as many batches), shuffled for each pass with `shuffle`: the sampler of MXNet's
    distributed-training examples, one part per worker (`kv.rank`, `kv.num_workers`).

    >>> list(SplitSampler(10, num_parts=3, part_index=1, shuffle=False))  # doctest: +SKIP
    [3, 4, 5]
    """

    def __init__(self, length: int, num_parts: int = 1, part_index: int = 0,
                 shuffle: bool = True):
        if num_parts <= 0 or not 0 <= part_index < num_parts:
            raise ParamError(f"SplitSampler: part_index must be in [0, num_parts), got "
                             f"part {part_index} of {num_parts}")
        self._part_len = length // num_parts
        self._start = self._part_len * part_index
        self._shuffle = shuffle

    def __iter__(self) -> Iterator[int]:
        indices = np.arange(self._start, self._start + self._part_len)
        if self._shuffle:
            np.random.shuffle(indices)
        return iter(indices.tolist())

    def __len__(self) -> int:
        return self._part_len


class FilterSampler(Sampler):
    """The indices of the samples of `dataset` for which `fn(sample)` is true (`fn` runs
    over the whole dataset once, when the sampler is made).

    >>> list(FilterSampler(lambda x: x % 2 == 0, [1, 2, 3, 4]))  # doctest: +SKIP
    [1, 3]
    """

    def __init__(self, fn: Callable[[Any], bool], dataset: Any):
        self._fn = fn
        self._dataset = dataset
        self._indices = [i for i in range(len(dataset)) if fn(dataset[i])]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)


class BatchSampler(Sampler):
    """Lists of `batch_size` indices from `sampler`. An incomplete last batch is yielded
    ('keep'), dropped ('discard'), or carried to the front of the next pass ('rollover').

    >>> list(BatchSampler(SequentialSampler(5), 2, 'rollover'))  # doctest: +SKIP
    [[0, 1], [2, 3]]
    """

    def __init__(self, sampler: Sampler, batch_size: int, last_batch: str = "keep"):
        if last_batch not in LAST_BATCH_MODES:
            raise ParamError(f"last_batch must be one of 'keep', 'discard', or 'rollover', "
                             f"but got {last_batch!r}")
        if batch_size <= 0:
            raise ParamError(f"batch_size must be a positive integer, got {batch_size!r}")
        self._sampler = sampler
        self._batch_size = batch_size
        self._last_batch = last_batch
        self._prev: list[Any] = []

    def __iter__(self) -> Iterator[list[Any]]:
        batch, self._prev = self._prev, []
        for i in self._sampler:
            batch.append(i)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch

    def __len__(self) -> int:
        if self._last_batch == "keep":
            return (len(self._sampler) + self._batch_size - 1) // self._batch_size
        if self._last_batch == "discard":
            return len(self._sampler) // self._batch_size
        return (len(self._prev) + len(self._sampler)) // self._batch_size


class IntervalSampler(Sampler):
    """Every `interval`-th index of `range(length)`: 0, interval, 2 * interval, ...; with
    `rollover`, then 1, 1 + interval, ... until every index was visited once.
    (MXNet's `gluon.contrib.data.IntervalSampler`.)

    >>> list(IntervalSampler(7, 3))  # doctest: +SKIP
    [0, 3, 6, 1, 4, 2, 5]
    """

    def __init__(self, length: int, interval: int, rollover: bool = True):
        if not 0 < interval <= length:
            raise ParamError(f"Interval {interval} must be positive and smaller than or "
                             f"equal to length {length}")
        self._length = length
        self._interval = interval
        self._rollover = rollover

    def __iter__(self) -> Iterator[int]:
        for first in range(self._interval if self._rollover else 1):
            yield from range(first, self._length, self._interval)

    def __len__(self) -> int:
        # (MXNet says `length` even without rollover, where fewer indices come out)
        if self._rollover:
            return self._length
        return (self._length + self._interval - 1) // self._interval
