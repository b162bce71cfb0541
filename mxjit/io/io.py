"""MXNet's data-iterator protocol and the iterators written over it in Python.

A `DataIter` hands out `DataBatch`es (lists of arrays for the data and the label, and how
many examples at the end are padding) until `StopIteration`; `reset()` starts the next
pass. `provide_data` and `provide_label` describe the arrays as `DataDesc`s (name, shape,
dtype, layout), which is how a Module binds its inputs. `NDArrayIter` batches arrays held in
memory; `ResizeIter` makes a pass a fixed number of batches; `PrefetchingIter` reads the
next batch of one or more iterators in background threads.

    >>> it = mx.io.NDArrayIter(np.ones((10, 3)), np.arange(10), batch_size=4)  # doctest: +SKIP
    >>> [batch.pad for batch in it]  # doctest: +SKIP
    [0, 0, 2]
"""
from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np

from .. import nd
from ..base import ArgumentError, MXNetError, ParamError, ShapeError, UnsupportedError
from ..data_iter import DataBatch, DataDesc, DataIter

__all__ = ["DataDesc", "DataBatch", "DataIter", "NDArrayIter", "ResizeIter", "PrefetchingIter"]

LAST_BATCH_MODES = ("pad", "discard", "roll_over")


def __dir__() -> list[str]:
    return __all__


class _BatchHoldingIter(DataIter):
    """An iterator whose `iter_next` makes a whole `DataBatch` (`current_batch`), which
    the getters take apart."""

    current_batch: DataBatch | None

    def _current(self) -> DataBatch:
        if self.current_batch is None:
            raise MXNetError(f"{type(self).__name__}: no current batch: call iter_next() first")
        return self.current_batch

    def getdata(self) -> Any:
        return self._current().data

    def getlabel(self) -> Any:
        return self._current().label

    def getindex(self) -> Any:
        return self._current().index

    def getpad(self) -> Any:
        return self._current().pad


class ResizeIter(_BatchHoldingIter):
    """`data_iter` cut or stretched to `size` batches a pass: it starts `data_iter` over
    when it runs out, and `reset` resets it only with `reset_internal`.

    >>> inner = mx.io.NDArrayIter(mx.nd.ones((100, 10)), batch_size=25)  # doctest: +SKIP
    >>> it = mx.io.ResizeIter(inner, 2)  # doctest: +SKIP
    >>> len(list(it))  # doctest: +SKIP
    2
    """

    def __init__(self, data_iter: DataIter, size: int, reset_internal: bool = True):
        super().__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch: DataBatch | None = None
        self.provide_data = data_iter.provide_data  # type: ignore[attr-defined]
        self.provide_label = data_iter.provide_label  # type: ignore[attr-defined]
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self) -> None:
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self) -> bool:
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True


class _Prefetch:
    """What the prefetching threads share with their PrefetchingIter. The threads hold
    this, not the iterator, so that dropping the iterator lets it be collected, and its
    finalizer stops them."""

    def __init__(self, iters: list[DataIter]):
        self.iters = iters
        self.running = True
        self.ready = [threading.Event() for _ in iters]
        self.taken = [threading.Event() for _ in iters]
        self.batches: list[DataBatch | None] = [None] * len(iters)
        self.errors: list[BaseException | None] = [None] * len(iters)
        for event in self.taken:
            event.set()
        self.threads = [threading.Thread(target=_prefetch_loop, args=(self, i), daemon=True,
                                         name=f"PrefetchingIter-{i}")
                        for i in range(len(iters))]
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.running = False
        for event in self.taken:
            event.set()
        for thread in self.threads:
            if thread is not threading.current_thread():
                thread.join()


def _prefetch_loop(state: _Prefetch, i: int) -> None:
    while True:
        state.taken[i].wait()
        # cleared before fetching, so that a stop() arriving during the fetch is not lost
        state.taken[i].clear()
        if not state.running:
            return
        try:
            state.batches[i] = state.iters[i].next()
        except StopIteration:
            state.batches[i] = None
        except Exception as err:  # (handed to the consumer, which raises it)
            state.batches[i] = None
            state.errors[i] = err
        state.ready[i].set()


class PrefetchingIter(_BatchHoldingIter):
    """One or more iterators read a batch ahead in background threads (one per iterator);
    their batches are joined into one (data and labels in order). `rename_data` and
    `rename_label` give, per iterator, a dict from its names to new ones. The threads stop
    when the iterator is garbage-collected.

    >>> it = mx.io.PrefetchingIter([it1, it2],
    ...                            rename_data=[{'data': 'a'}, {'data': 'b'}])  # doctest: +SKIP
    """

    def __init__(self, iters: DataIter | list[DataIter], rename_data: Any = None,
                 rename_label: Any = None):
        super().__init__()
        iters = list(iters) if isinstance(iters, (list, tuple)) else [iters]
        if not iters:
            raise ParamError("PrefetchingIter: give at least one iterator")
        self.n_iter = len(iters)
        self.iters = iters
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.current_batch: DataBatch | None = None
        self._prefetch = _Prefetch(iters)
        weakref.finalize(self, self._prefetch.stop)

    @staticmethod
    def _renamed(descs_per_iter: list[list[Any]], renames: Any, what: str) -> list[DataDesc]:
        if renames is None:
            return [d for descs in descs_per_iter for d in descs]
        out = []
        for descs, rename in zip(descs_per_iter, renames):
            for d in descs:
                name = d[0]
                if name not in rename:
                    raise ParamError(f"PrefetchingIter: {what} has no new name for {name!r} "
                                     f"(the dict is {rename})")
                dtype = getattr(d, "dtype", np.float32)
                out.append(DataDesc(rename[name], d[1], dtype, getattr(d, "layout", "NCHW")))
        return out

    @property
    def provide_data(self) -> list[DataDesc]:
        return self._renamed([i.provide_data for i in self.iters],  # type: ignore[attr-defined]
                             self.rename_data, "rename_data")

    @property
    def provide_label(self) -> list[DataDesc]:
        return self._renamed([i.provide_label for i in self.iters],  # type: ignore[attr-defined]
                             self.rename_label, "rename_label")

    def reset(self) -> None:
        state = self._prefetch
        for event in state.ready:
            event.wait()
        state.errors = [None] * self.n_iter
        for it in self.iters:
            it.reset()
        for event in state.ready:
            event.clear()
        for event in state.taken:
            event.set()

    def iter_next(self) -> bool:
        state = self._prefetch
        for event in state.ready:
            event.wait()
        for err in state.errors:
            if err is not None:
                raise err
        batches = state.batches
        if batches[0] is None:
            if any(b is not None for b in batches):
                raise ParamError("PrefetchingIter: the iterators ran out after different "
                                 "numbers of batches (number of entries mismatch)")
            return False
        first = batches[0]
        if any(b is None or b.pad != first.pad for b in batches):
            raise ParamError("PrefetchingIter: the iterators' batches differ in padding "
                             "(number of entries mismatch)")
        self.current_batch = DataBatch(
            [a for b in batches if b is not None for a in b.data],
            [a for b in batches if b is not None for a in (b.label or [])],
            first.pad, first.index, provide_data=self.provide_data,
            provide_label=self.provide_label)
        for event in state.ready:
            event.clear()
        for event in state.taken:
            event.set()
        return True

    def next(self) -> DataBatch:
        if self.iter_next():
            assert self.current_batch is not None
            return self.current_batch
        raise StopIteration


# ---- NDArrayIter -------------------------------------------------------------------------

def _is_scipy_sparse(value: Any) -> bool:
    return type(value).__module__.startswith("scipy.sparse")


def _as_array(name: str, value: Any) -> nd.NDArray:
    if isinstance(value, nd.NDArray):
        return value
    if _is_scipy_sparse(value):
        return nd.sparse.array(value)
    try:
        return nd.array(value)
    except (TypeError, ValueError) as err:
        raise ArgumentError(f"NDArrayIter: {name} must be an NDArray or a numpy.ndarray "
                            f"(or what converts to one), got {type(value).__name__}: "
                            f"{err}") from None


def _named_arrays(data: Any, default_name: str, required: bool) -> list[tuple[str, Any]]:
    """MXNet's canonical form of NDArrayIter's data or label: (name, NDArray) pairs sorted
    by name. One array is named `default_name`; a list of several `_<i>_<default_name>`."""
    if data is None:
        data = []
    if isinstance(data, (np.ndarray, nd.NDArray)) or _is_scipy_sparse(data):
        data = [data]
    if isinstance(data, list):
        if not data and required:
            raise ParamError("NDArrayIter: data is required (an array, a list or a dict "
                             "of arrays)")
        if len(data) == 1:
            data = {default_name: data[0]}
        else:
            data = {f"_{i}_{default_name}": d for i, d in enumerate(data)}
    if not isinstance(data, dict):
        raise ArgumentError(f"NDArrayIter: expected an NDArray, a numpy.ndarray, a list of "
                            f"them or a dict of names to them, got {type(data).__name__}")
    return sorted(((k, _as_array(k, v)) for k, v in data.items()), key=lambda kv: kv[0])


def gather_csr_rows(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The indptr of the CSR matrix made of rows `rows` (in that order) of a CSR matrix
    with `indptr`, and the positions in the old data/indices arrays of the new ones."""
    counts = np.diff(indptr)[rows]
    new_indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    positions = np.repeat(indptr[:-1][rows] - new_indptr[:-1], counts) + \
        np.arange(int(new_indptr[-1]))
    return new_indptr, positions


def _csr_rows(arr: Any, rows: np.ndarray) -> Any:
    indptr, positions = gather_csr_rows(arr.indptr.asnumpy(), rows)
    return nd.sparse.csr_matrix(
        (arr.data.asnumpy()[positions], arr.indices.asnumpy()[positions], indptr),
        shape=arr.shape, dtype=arr.dtype, ctx=arr.context)


class NDArrayIter(DataIter):
    """Batches of arrays in memory: `data` and `label` are an array, a list of arrays or a
    dict of names to arrays (NumPy arrays become float32 NDArrays; a CSRNDArray stays
    sparse). Names: `data_name`/`label_name` for one array, `_0_data`, `_1_data`, ... for a
    list; a dict's keys, sorted. `shuffle` permutes the examples at every `reset` (with
    NumPy's global generator, as MXNet). The last, short batch: 'pad' fills it from the
    start of the data (and sets `pad`), 'discard' drops it, 'roll_over' keeps its examples
    for the first batch of the next pass.

    >>> it = mx.io.NDArrayIter(np.ones((5, 2)), np.arange(5), batch_size=2)  # doctest: +SKIP
    >>> [b.label[0].asnumpy().tolist() for b in it]  # doctest: +SKIP
    [[0.0, 1.0], [2.0, 3.0], [4.0, 0.0]]
    """

    def __init__(self, data: Any, label: Any = None, batch_size: int = 1,
                 shuffle: bool = False, last_batch_handle: str = "pad",
                 data_name: str = "data", label_name: str = "softmax_label",
                 layout: str = "NCHW"):
        super().__init__(batch_size)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ParamError(f"NDArrayIter: batch_size must be a positive int, got "
                             f"{batch_size!r}")
        if last_batch_handle not in LAST_BATCH_MODES:
            raise ParamError(f"NDArrayIter: last_batch_handle must be one of "
                             f"{LAST_BATCH_MODES}, got {last_batch_handle!r}")
        self.layout = layout
        self._axis = DataDesc.get_batch_axis(layout)
        if self._axis < 0:
            raise ParamError(f"NDArrayIter: the layout {layout!r} has no batch axis 'N'")
        self.data = _named_arrays(data, data_name, required=True)
        self.label = _named_arrays(label, label_name, required=False)
        sparse = [k for k, v in self.data + self.label if isinstance(v, nd.sparse.CSRNDArray)]
        if sparse and last_batch_handle != "discard":
            raise UnsupportedError(f"NDArrayIter: CSRNDArray inputs ({', '.join(sparse)}) "
                                   f"need last_batch_handle='discard', got "
                                   f"{last_batch_handle!r}")
        self.num_data = self._check_lengths()
        self.idx = np.arange(self.num_data)
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = int(batch_size)
        self.cursor = -self.batch_size
        self._cache_data: list[Any] | None = None
        self._cache_label: list[Any] | None = None
        self.reset()
        self.data_list = [v for _, v in self.data] + [v for _, v in self.label]
        self.num_source = len(self.data_list)

    def _check_lengths(self) -> int:
        axis = self._axis
        for name, value in self.data + self.label:
            if len(value.shape) <= axis:
                raise ShapeError(f"NDArrayIter: {name} has shape {tuple(value.shape)}, with no "
                                 f"batch axis {axis} (layout {self.layout!r})")
        first, count = self.data[0][0], self.data[0][1].shape[axis]
        for name, value in self.data + self.label:
            # (a longer array is read in its first `count` examples, as MXNet's)
            if value.shape[axis] < count:
                raise ShapeError(f"NDArrayIter: {name} holds {value.shape[axis]} examples "
                                 f"but {first} {count} (shapes {tuple(value.shape)} and "
                                 f"{tuple(self.data[0][1].shape)})")
        return int(count)

    def _descs(self, arrays: list[tuple[str, Any]]) -> list[DataDesc]:
        axis = self._axis
        return [DataDesc(k, tuple(v.shape[:axis]) + (self.batch_size,) +
                         tuple(v.shape[axis + 1:]), v.dtype, layout=self.layout)
                for k, v in arrays]

    @property
    def provide_data(self) -> list[DataDesc]:
        """A `DataDesc` for each data array: its name and the shape of a batch."""
        return self._descs(self.data)

    @property
    def provide_label(self) -> list[DataDesc]:
        """A `DataDesc` for each label array: its name and the shape of a batch."""
        return self._descs(self.label)

    def hard_reset(self) -> None:
        """Start the next pass from the first example, dropping rolled-over examples.

        >>> it.hard_reset()  # doctest: +SKIP
        """
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self) -> None:
        """Start the next pass (after the rolled-over examples, with 'roll_over')."""
        if self.shuffle:
            self._shuffle_data()
        if self.last_batch_handle == "roll_over" and \
                self.num_data - self.batch_size < self.cursor < self.num_data:
            # a negative cursor: how many cached examples open the next pass's first batch
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self) -> bool:
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self) -> DataBatch:
        if not self.iter_next():
            raise StopIteration
        data = self.getdata()
        label = self.getlabel()
        if data[0].shape[self._axis] != self.batch_size:
            # a short last batch ('discard', 'roll_over'): kept for the next pass's first
            self._cache_data = data
            self._cache_label = label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def _slice(self, source: list[tuple[str, Any]], start: int, end: int) -> list[Any]:
        out = []
        for _, value in source:
            if isinstance(value, nd.sparse.CSRNDArray):
                out.append(value[start:end])
            else:
                out.append(nd.slice_axis(value, axis=self._axis, begin=start, end=end))
        return out

    def _concat(self, first: list[Any], second: list[Any]) -> list[Any]:
        if not first or not second:
            return first if first else second
        return [nd.concat(a, b, dim=self._axis) for a, b in zip(first, second)]

    def _tile(self, arrays: list[Any], repeats: int) -> list[Any]:
        out = []
        for value in arrays:
            reps = [1] * len(value.shape)
            reps[self._axis] = repeats
            out.append(nd.tile(value, reps=tuple(reps)))
        return out

    def _batchify(self, source: list[tuple[str, Any]]) -> list[Any]:
        if self.cursor >= self.num_data:
            raise MXNetError("NDArrayIter: the pass is over; call reset()")
        n, size, cursor = self.num_data, self.batch_size, self.cursor
        if self.last_batch_handle == "roll_over" and -size < cursor < 0:
            # the first batch of a pass after 'roll_over': the cached examples, then the
            # first ones; getdata takes the data cache, getlabel the label cache
            cached: list[Any] | None
            if self._cache_data is not None:
                cached, self._cache_data = self._cache_data, None
            else:
                cached, self._cache_label = self._cache_label, None
            if cached is None:
                raise MXNetError("NDArrayIter: no rolled-over examples are cached")
            return self._concat(cached, self._slice(source, 0, cursor + size))
        if self.last_batch_handle == "pad" and cursor + size > n:
            pad = size - n + cursor
            first = self._slice(source, cursor, n)
            whole, rest = divmod(pad, n)
            second = self._tile(self._slice(source, 0, n), whole) if whole else []
            if rest:
                second = self._concat(second, self._slice(source, 0, rest))
            return self._concat(first, second)
        return self._slice(source, cursor, min(cursor + size, n))

    def getdata(self) -> list[Any]:
        return self._batchify(self.data)

    def getlabel(self) -> list[Any]:
        return self._batchify(self.label)

    def getpad(self) -> int:
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self) -> None:
        # MXNet permutes `idx` in place and reorders the already shuffled arrays by it, so
        # successive passes compose the permutations; kept, so that a seeded NumPy
        # generator gives MXNet's batches
        np.random.shuffle(self.idx)
        self.data = [(k, self._take(v)) for k, v in self.data]
        self.label = [(k, self._take(v)) for k, v in self.label]

    def _take(self, value: Any) -> Any:
        if isinstance(value, nd.sparse.CSRNDArray):
            return _csr_rows(value, self.idx)
        return nd.array(np.take(value.asnumpy(), self.idx, axis=self._axis), ctx=value.context)
