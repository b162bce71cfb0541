"""`DataLoader`: mini-batches of a dataset, built in this process, in worker threads or
in worker processes, and the default way samples become a batch (`default_batchify_fn`).

A worker process builds whole batches and sends them back as NumPy arrays, which the
loader wraps as NDArrays: with the default batchify, a worker stacks samples with NumPy
and so creates no NDArray and compiles no kernel of its own (mxjit operators in the
dataset's transform still run there, on kernels the parent compiled before the fork or
from the shared kernel cache on disk).

    >>> loader = mx.gluon.data.DataLoader(dataset, batch_size=32, shuffle=True,  # doctest: +SKIP
    ...                                   num_workers=2)
    >>> for data, label in loader: ...  # doctest: +SKIP
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ... import nd
from ...base import ArgumentError, ParamError
from ...context import cpu_pinned
from ...nd import NDArray
from .multi_worker_iter import (
    _in_context,
    _MultiWorkerIter,  # noqa: F401  (GluonCV imports it here)
)
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .worker_pool import ProcessWorkers, ThreadWorkers

__all__ = ["DataLoader", "default_batchify_fn", "default_mp_batchify_fn"]


def __dir__() -> list[str]:
    return __all__


def _stack(data: Sequence[Any], leaf: Callable[[np.ndarray], Any]) -> Any:
    """The default batch of `data` with `leaf` applied to each stacked NumPy array."""
    first = data[0]
    if isinstance(first, tuple):
        return [_stack(column, leaf) for column in zip(*data)]
    try:
        arr = np.stack(data) if isinstance(first, NDArray) else np.asarray(data)
    except ValueError as e:
        shapes = sorted({np.shape(x) for x in data})
        raise ParamError(f"default_batchify_fn: cannot stack samples of shapes {shapes}; "
                         f"pad them to one shape or give the DataLoader a batchify_fn") from e
    if arr.dtype.kind not in "biuf":
        raise ArgumentError(f"default_batchify_fn: samples of type {type(first).__name__} are "
                        f"not numbers or arrays; give the DataLoader a batchify_fn")
    return leaf(arr)


def _to_ndarray(arr: np.ndarray) -> NDArray:
    return nd.array(arr, dtype=arr.dtype)


def default_batchify_fn(data: Sequence[Any]) -> Any:
    """The samples stacked along a new first axis into an NDArray of their dtype (NDArrays,
    NumPy arrays and numbers); tuple samples give a list with one batch per element.

    >>> default_batchify_fn([(np.ones(2), 0), (np.zeros(2), 1)])  # doctest: +SKIP
    [<NDArray 2x2 @cpu(0)>, <NDArray 2 @cpu(0)>]
    """
    return _stack(data, _to_ndarray)


def default_mp_batchify_fn(data: Sequence[Any]) -> Any:
    """What worker processes use by default: the same batch as `default_batchify_fn`
    (a worker builds it as NumPy arrays, wrapped as NDArrays by the caller).

    >>> default_mp_batchify_fn([1, 2, 3])  # doctest: +SKIP
    """
    return _stack(data, _to_ndarray)


_DEFAULT_BATCHIFY = (default_batchify_fn, default_mp_batchify_fn)


class _Shipped:
    """An NDArray on its way back from a worker process, as its NumPy data."""

    __slots__ = ("data",)

    def __init__(self, data: np.ndarray):
        self.data = data


def _ship(tree: Any) -> Any:
    if isinstance(tree, NDArray):
        return _Shipped(np.asarray(tree))
    if type(tree) in (list, tuple):
        return type(tree)(_ship(x) for x in tree)
    if type(tree) is dict:
        return {k: _ship(v) for k, v in tree.items()}
    return tree


def _unship(tree: Any) -> Any:
    if isinstance(tree, _Shipped):
        return _to_ndarray(tree.data)
    if type(tree) in (list, tuple):
        return type(tree)(_unship(x) for x in tree)
    if type(tree) is dict:
        return {k: _unship(v) for k, v in tree.items()}
    return tree


class _BatchTask:
    """Builds the batch of a list of indices (a class, so that spawned workers can
    unpickle it); `ship` marks the NDArrays of the result for the trip to the caller."""

    def __init__(self, dataset: Any, batchify_fn: Callable[[list[Any]], Any], ship: bool):
        self._dataset = dataset
        self._batchify_fn = batchify_fn
        self._ship = ship

    def __call__(self, indices: list[Any]) -> Any:
        samples = [self._dataset[i] for i in indices]
        if not self._ship:
            return self._batchify_fn(samples)
        if self._batchify_fn in _DEFAULT_BATCHIFY:
            return _stack(samples, _Shipped)
        return _ship(self._batchify_fn(samples))


class _WorkerBatches:
    """One pass over the batch sampler through `workers`, `prefetch` batches ahead."""

    def __init__(self, workers: ProcessWorkers | ThreadWorkers, batch_sampler: Sampler,
                 prefetch: int, timeout: float, finish: Callable[[Any], Any]):
        self._workers = workers
        self._batches = iter(batch_sampler)
        self._pending: deque[int] = deque()
        self._timeout = timeout
        self._finish = finish
        for _ in range(prefetch):
            self._push()

    def _push(self) -> None:
        indices = next(self._batches, None)
        if indices is not None:
            self._pending.append(self._workers.submit(indices))

    def __iter__(self) -> _WorkerBatches:
        return self

    def __next__(self) -> Any:
        self._push()
        if not self._pending:
            raise StopIteration
        try:
            return self._finish(self._workers.result(self._pending.popleft(), self._timeout))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Abandon the pass: results still to come are dropped."""
        self._workers.forget(self._pending)
        self._pending.clear()
        self._batches = iter(())

    def __del__(self) -> None:
        self.close()


class DataLoader:
    """Mini-batches of `dataset` (a Dataset, or an array or list standing for one).

    Batches are `batch_size` samples in order, or shuffled (`shuffle`), or in the order of
    `sampler`; `last_batch` says what happens to an incomplete last batch ('keep',
    'discard', or 'rollover' into the next epoch). `batch_sampler` gives the lists of
    indices directly instead. `batchify_fn` merges a list of samples into a batch
    (default: `default_batchify_fn`).

    With `num_workers` > 0, batches are built by that many worker processes (started
    now, forked where the platform allows, and kept for the loader's lifetime), or
    threads with `thread_pool=True`; `prefetch` batches (default `2 * num_workers`) are
    requested ahead of the one being read, and a batch slower than `timeout` seconds
    raises `multiprocessing.TimeoutError`. A worker's exception is raised by the loop
    with the worker's traceback as its cause. With `pin_memory`, batches are copied to
    `cpu_pinned(pin_device_id)`, as in MXNet (mxjit's GPU backend copies from any host
    array, so this only changes the batches' context).
    `auto_reload` starts the next epoch's prefetching as soon as one epoch ends.

    >>> loader = DataLoader(ArrayDataset(X, y), batch_size=4, shuffle=True)  # doctest: +SKIP
    >>> for data, label in loader: ...  # doctest: +SKIP
    """

    def __init__(self, dataset: Any, batch_size: int | None = None, shuffle: bool = False,
                 sampler: Sampler | None = None, last_batch: str | None = None,
                 batch_sampler: Sampler | None = None,
                 batchify_fn: Callable[[list[Any]], Any] | None = None, num_workers: int = 0,
                 pin_memory: bool = False, pin_device_id: int = 0, prefetch: int | None = None,
                 thread_pool: bool = False, timeout: float = 120, auto_reload: bool = False):
        self._workers: ProcessWorkers | ThreadWorkers | None = None
        if timeout <= 0:
            raise ParamError(f"timeout must be positive, given {timeout}")
        if batch_sampler is None:
            if batch_size is None:
                raise ParamError("batch_size must be specified unless batch_sampler is "
                                 "specified")
            if sampler is None:
                sampler = RandomSampler(len(dataset)) if shuffle else \
                    SequentialSampler(len(dataset))
            elif shuffle:
                raise ParamError("shuffle must not be specified if sampler is specified")
            batch_sampler = BatchSampler(sampler, batch_size, last_batch or "keep")
        elif batch_size is not None or shuffle or sampler is not None or \
                last_batch is not None:
            raise ParamError("batch_size, shuffle, sampler and last_batch must not be "
                             "specified if batch_sampler is specified.")
        self._dataset = dataset
        self._batch_sampler = batch_sampler
        self._num_workers = max(num_workers, 0)
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._thread_pool = thread_pool
        self._timeout = timeout
        self._prefetch = max(0, int(prefetch) if prefetch is not None
                             else 2 * self._num_workers)
        if batchify_fn is None:
            batchify_fn = default_mp_batchify_fn if self._num_workers else default_batchify_fn
        self._batchify_fn = batchify_fn
        if self._num_workers:
            task = _BatchTask(dataset, batchify_fn, ship=not thread_pool)
            self._workers = (ThreadWorkers(task, self._num_workers) if thread_pool
                             else ProcessWorkers(task, self._num_workers))
        self.auto_reload = auto_reload
        self._iter: Iterator[Any] | None = None
        if auto_reload:
            self.refresh()

    def __iter__(self) -> Iterator[Any]:
        batches = self._iter if self._iter is not None else self._new_pass()
        self._iter = None  # (a prefetched pass is used once)
        yield from batches
        if self._iter is None and self.auto_reload:
            self.refresh()

    def __len__(self) -> int:
        return len(self._batch_sampler)

    def refresh(self) -> None:
        """Start a new pass now (with workers: start prefetching its first batches).

        >>> loader.refresh()  # doctest: +SKIP
        """
        self._iter = self._new_pass()

    def clean(self) -> None:
        """Drop the prepared pass; the next `for` loop starts one.

        >>> loader.clean()  # doctest: +SKIP
        """
        self._iter = None

    def _new_pass(self) -> Iterator[Any]:
        if self._workers is None:
            return self._same_process_pass()
        unpack = (lambda batch: batch) if self._thread_pool else _unship
        return _WorkerBatches(self._workers, self._batch_sampler, self._prefetch,
                              self._timeout, lambda batch: self._place(unpack(batch)))

    def _same_process_pass(self) -> Iterator[Any]:
        for indices in self._batch_sampler:
            yield self._place(self._batchify_fn([self._dataset[i] for i in indices]))

    def _place(self, batch: Any) -> Any:
        """A batch where the loader hands it out: in pinned memory with `pin_memory`."""
        if not self._pin_memory:
            return batch
        return _in_context(batch, cpu_pinned(self._pin_device_id))

    def __del__(self) -> None:
        if self._workers is not None:
            self._workers.close()
