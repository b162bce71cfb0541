"""MXNet 1.9.1's `_MultiWorkerIter`: one pass over a batch sampler through a
`multiprocessing` pool's `apply_async`, `prefetch` batches ahead.

mxjit's own `DataLoader` runs its workers differently (`_WorkerBatches`); this class is
MXNet's private one kept because libraries subclass it (GluonCV's
`RandomTransformDataLoader` overrides `_push_next` and reads its attributes), so its
constructor, attributes and protocol are MXNet's. `worker_fn(indices, batchify_fn,
dataset)` builds a batch in a worker; without a `dataset` its result is a pickled batch.

    >>> pool = multiprocessing.pool.ThreadPool(2)  # doctest: +SKIP
    >>> it = _MultiWorkerIter(pool, batchify, batch_sampler, worker_fn=fn, prefetch=2,
    ...                       dataset=data)  # doctest: +SKIP
"""
from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable, Iterable
from typing import Any

from ...context import cpu_pinned

__all__: list[str] = []


class _MultiWorkerIter:
    """Internal multi-worker iterator for DataLoader (MXNet's)."""

    def __init__(self, worker_pool: Any, batchify_fn: Callable[[list[Any]], Any],
                 batch_sampler: Iterable[Any], pin_memory: bool = False,
                 pin_device_id: int = 0, worker_fn: Callable[..., Any] | None = None,
                 prefetch: int = 0, dataset: Any = None, data_loader: Any = None,
                 timeout: float = 120):
        self._worker_pool = worker_pool
        self._batchify_fn = batchify_fn
        self._batch_sampler = batch_sampler
        self._data_buffer: dict[int, Any] = {}
        self._rcvd_idx = 0
        self._sent_idx = 0
        self._iter = iter(self._batch_sampler)
        self._worker_fn = worker_fn
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._dataset = dataset
        self._data_loader = data_loader
        self._timeout = timeout
        for _ in range(prefetch):
            self._push_next()

    def __len__(self) -> int:
        return len(self._batch_sampler)  # type: ignore[arg-type]

    def _push_next(self) -> None:
        """Hand the next batch's indices to the pool."""
        r = next(self._iter, None)
        if r is None:
            return
        self._data_buffer[self._sent_idx] = self._worker_pool.apply_async(
            self._worker_fn, (r, self._batchify_fn, self._dataset))
        self._sent_idx += 1

    def __next__(self) -> Any:
        self._push_next()
        if self._rcvd_idx == self._sent_idx:
            raise StopIteration
        ret = self._data_buffer.pop(self._rcvd_idx)
        try:
            got = ret.get(self._timeout)
        except multiprocessing.TimeoutError:
            raise
        except Exception:
            self._worker_pool.terminate()
            raise
        batch = pickle.loads(got) if self._dataset is None else got
        if self._pin_memory:
            batch = _in_context(batch, cpu_pinned(self._pin_device_id))
        self._rcvd_idx += 1
        return batch

    def next(self) -> Any:
        return self.__next__()

    def __iter__(self) -> _MultiWorkerIter:
        return self


def _in_context(batch: Any, ctx: Any) -> Any:
    if isinstance(batch, (list, tuple)):
        return type(batch)(_in_context(b, ctx) for b in batch)
    return batch.as_in_context(ctx) if hasattr(batch, "as_in_context") else batch

