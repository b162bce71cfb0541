"""Datasets: indexable collections of samples, and the views `transform`, `filter`,
`shard`, `take` and `sample` make of them.

    >>> ds = ArrayDataset(np.arange(6.0), list('abcdef'))  # doctest: +SKIP
    >>> ds.transform_first(lambda x: x * 2).shard(2, 1)[0]  # doctest: +SKIP
    (6.0, 'd')
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from ... import recordio
from ...base import ArgumentError, NotOverriddenError, ParamError
from ...nd import NDArray
from .sampler import FilterSampler, Sampler, SequentialSampler

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset"]


def __dir__() -> list[str]:
    return __all__


class Dataset:
    """The base of the datasets: subclasses define `__getitem__` (the i-th sample) and
    `__len__`. A NumPy array, an NDArray or a list can stand for a dataset as well.

    >>> class Squares(Dataset):  # doctest: +SKIP
    ...     def __getitem__(self, i): return i * i
    ...     def __len__(self): return 10
    """

    def __getitem__(self, idx: int) -> Any:
        raise NotOverriddenError

    def __len__(self) -> int:
        raise NotOverriddenError

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]

    def filter(self, fn: Callable[[Any], bool]) -> Dataset:
        """The samples for which `fn(sample)` is true (`fn` runs over every sample now; a
        lazily transformed dataset transforms each sample again when it is read).

        >>> SimpleDataset([1, 2, 3, 4]).filter(lambda x: x > 2)[0]  # doctest: +SKIP
        3
        """
        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards: int, index: int) -> Dataset:
        """Shard `index` of `num_shards` contiguous pieces; when they do not divide evenly,
        the first `len % num_shards` shards hold one sample more.

        >>> len(SimpleDataset(list(range(10))).shard(3, 0))  # doctest: +SKIP
        4
        """
        if num_shards <= 0:
            raise ParamError(f"Number of shards must be greater than 0, got {num_shards}")
        if not 0 <= index < num_shards:
            raise ParamError(f"Shard index out of bounds: {index} out of {num_shards}")
        each, rest = divmod(len(self), num_shards)
        start = each * index + min(index, rest)
        return _SampledDataset(self, SequentialSampler(each + (index < rest), start))

    def take(self, count: int | None) -> Dataset:
        """The first `count` samples (all of them when `count` is None or too large).

        >>> len(SimpleDataset([1, 2, 3]).take(2))  # doctest: +SKIP
        2
        """
        if count is None or count > len(self):
            count = len(self)
        if count < 0:
            raise ParamError(f"take: count must not be negative, got {count}")
        return _SampledDataset(self, SequentialSampler(count))

    def sample(self, sampler: Sampler) -> Dataset:
        """The samples at the indices `sampler` yields (drawn once, now).

        >>> SimpleDataset('abc').sample(SequentialSampler(2, 1))[0]  # doctest: +SKIP
        'b'
        """
        if not isinstance(sampler, Sampler):
            raise ArgumentError(f"Invalid sampler type: {type(sampler)}. Expected "
                            f"gluon.data.Sampler instead.")
        return _SampledDataset(self, sampler)

    def transform(self, fn: Callable[..., Any], lazy: bool = True) -> Dataset:
        """Each sample passed through `fn` (a tuple sample as separate arguments): on
        every read when `lazy`, else once for all now, into a `SimpleDataset` (then a
        random `fn` gives the same result every epoch).

        >>> SimpleDataset([(1, 2)]).transform(lambda x, y: x + y)[0]  # doctest: +SKIP
        3
        """
        view = _LazyTransformDataset(self, fn)
        if lazy:
            return view
        return SimpleDataset([view[i] for i in range(len(view))])

    def transform_first(self, fn: Callable[[Any], Any], lazy: bool = True) -> Dataset:
        """`transform` of the first element of each sample only (the data, not the label).

        >>> ArrayDataset([1, 2], [0, 1]).transform_first(lambda x: x * 10)[1]  # doctest: +SKIP
        (20, 1)
        """
        return self.transform(_TransformFirst(fn), lazy)


class SimpleDataset(Dataset):
    """A dataset over anything with `len()` and `[]` (a list, a NumPy array, ...).

    >>> SimpleDataset([3, 1, 2])[1]  # doctest: +SKIP
    1
    """

    def __init__(self, data: Any):
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        return self._data[idx]


class ArrayDataset(Dataset):
    """Several equally long dataset-like objects side by side: sample i is
    `(x1[i], x2[i], ...)`, or `x1[i]` for one. A 1-D NDArray is read as a NumPy array
    (so its samples are numbers, not one-element NDArrays).

    >>> ArrayDataset(mx.nd.ones((3, 2)), [0, 1, 2])[2]  # doctest: +SKIP
    """

    def __init__(self, *args: Any):
        if not args:
            raise ParamError("ArrayDataset needs at least 1 array")
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise ParamError(f"All arrays must have the same length; array[0] has length "
                                 f"{self._length} while array[{i}] has {len(data)}.")
            if isinstance(data, NDArray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx: int) -> Any:
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self) -> int:
        return self._length


class RecordFileDataset(Dataset):
    """The records of a RecordIO file as raw bytes, read at random through its index
    (`filename` with the extension `.idx`).

    >>> ds = RecordFileDataset('train.rec')  # doctest: +SKIP
    >>> header, payload = mx.recordio.unpack(ds[0])  # doctest: +SKIP
    """

    def __init__(self, filename: str):
        self.idx_file = os.path.splitext(filename)[0] + ".idx"
        self.filename = filename
        self._record = recordio.MXIndexedRecordIO(self.idx_file, self.filename, "r")

    def __getitem__(self, idx: int) -> bytes:
        return self._record.read_idx(self._record.keys[idx])  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._record.keys)


class _LazyTransformDataset(Dataset):
    """`fn` of each sample of `data`, computed when the sample is read."""

    def __init__(self, data: Any, fn: Callable[..., Any]):
        self._data = data
        self._fn = fn

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirst:
    """`fn` applied to the first of its arguments (a class, not a closure, so that
    spawned DataLoader workers can unpickle it)."""

    def __init__(self, fn: Callable[[Any], Any]):
        self._fn = fn

    def __call__(self, x: Any, *args: Any) -> Any:
        if args:
            return (self._fn(x),) + args
        return self._fn(x)


class _SampledDataset(Dataset):
    """The samples of `dataset` at the indices `sampler` yielded when this view was made."""

    def __init__(self, dataset: Any, sampler: Sampler):
        self._dataset = dataset
        self._indices = list(sampler)

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, idx: int) -> Any:
        return self._dataset[self._indices[idx]]
