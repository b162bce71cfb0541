"""The file iterators MXNet implements in C++: `CSVIter`, `LibSVMIter` and `MNISTIter`
(`ImageRecordIter` is in image_record.py), here over NumPy, with MXNet's batching.

Like MXNet's, they read their first batch when made (to learn `provide_data` and
`provide_label`), take keyword arguments only, and hand a label of shape (batch, 1, ...)
out as (batch,). Batches come from MXNet's batch loader: with `round_batch` the last batch
of a pass is filled from the start of the data (`pad` says how many), and the next pass
goes on from there; without it, the rest of the last batch keeps the previous batch's
examples. Reading is synchronous: `prefetch_buffer` and `ctx` are accepted and ignored, and,
as by MXNet's, so are parameters they do not know (MXNet's own `test_utils` passes
`input_shape` to MNISTIter).

    >>> it = mx.io.CSVIter(data_csv='x.csv', data_shape=(3,), batch_size=2)  # doctest: +SKIP
    >>> it.provide_data  # doctest: +SKIP
    [DataDesc[data,(2, 3),<class 'numpy.float32'>,NCHW]]
"""
from __future__ import annotations

import ast
import bisect
import logging
import os
import warnings
from typing import Any, NamedTuple

import numpy as np

from .. import nd
from ..base import (
    MissingFileError,
    MXNetError,
    NotOverriddenError,
    ParamError,
    ShapeError,
    UnsupportedError,
)
from .idx import read_idx
from .io import DataBatch, DataDesc, DataIter, gather_csr_rows

__all__ = ["MXDataIter", "CSVIter", "LibSVMIter", "MNISTIter"]

_log = logging.getLogger(__name__)
_DTYPES = ("float16", "float32", "float64", "int8", "uint8", "int32", "int64")


def __dir__() -> list[str]:
    return __all__


# ---- arguments ---------------------------------------------------------------------------

def shape_param(who: str, name: str, value: Any) -> tuple[int, ...]:
    """A shape argument: an int, a sequence of ints, or its string form '(3, 28, 28)'."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            raise ParamError(f"{who}: {name} must be a shape such as (3, 28, 28), got "
                             f"{value!r}") from None
    if isinstance(value, (int, np.integer)):
        value = (value,)
    try:
        shape = tuple(int(d) for d in value)
    except (TypeError, ValueError):
        raise ParamError(f"{who}: {name} must be a shape such as (3, 28, 28), got "
                         f"{value!r}") from None
    if not shape or any(d < 1 for d in shape):
        raise ParamError(f"{who}: {name} must hold positive sizes, got {shape}")
    return shape


def int_param(who: str, name: str, value: Any, low: int) -> int:
    """An integer argument of at least `low`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ParamError(f"{who}: {name} must be an int of at least {low}, got {value!r}")
    return int(value)


def dtype_param(who: str, dtype: Any) -> np.dtype:
    """The output dtype: float32 for None."""
    if dtype is None or dtype == "None":
        return np.dtype(np.float32)
    try:
        out = np.dtype(dtype)
    except TypeError:
        out = None
    if out is None or out.name not in _DTYPES:
        raise ParamError(f"{who}: dtype must be None or one of {', '.join(_DTYPES)}, got "
                         f"{dtype!r}")
    return out


def part_param(who: str, num_parts: Any, part_index: Any) -> tuple[int, int]:
    """Checked (num_parts, part_index)."""
    parts = int_param(who, "num_parts", num_parts, 1)
    index = int_param(who, "part_index", part_index, 0)
    if index >= parts:
        raise ParamError(f"{who}: part_index must be below num_parts ({parts}), got {index}")
    return parts, index


def input_files(who: str, name: str, path: Any) -> list[str]:
    """The files `path` names: itself, or the files in it when it is a directory."""
    path = os.fspath(path)
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path)
                       if os.path.isfile(os.path.join(path, f)))
        if not files:
            raise MissingFileError(f"{who}: {name} {path!r} is a directory with no files")
        return files
    if not os.path.isfile(path):
        raise MissingFileError(f"{who}: {name} {path!r}: no such file or directory")
    return [path]


# ---- the batching shared by the native iterators ----------------------------------------

class NativeBatch(NamedTuple):
    """A batch as the native iterators make it: one data and one label array."""
    data: Any
    label: Any
    pad: int
    indices: np.ndarray


class Examples:
    """The example numbers 0..count-1 of a pass, in order, or with `rng` in a new random
    order every pass: the instance iterator under MXNet's batch loader."""

    def __init__(self, count: int, rng: np.random.RandomState | None = None):
        self.count = count
        self.rng = rng
        self.order = np.arange(count)
        self.pos = 0
        self.before_first()

    def before_first(self) -> None:
        self.pos = 0
        if self.rng is not None:
            self.order = self.rng.permutation(self.count)

    def next_example(self) -> int | None:
        if self.pos >= self.count:
            return None
        self.pos += 1
        return int(self.order[self.pos - 1])


class BatchLoader:
    """MXNet's batch loader over `examples`: each batch is a list of `batch_size` example
    numbers (None where nothing was ever put) and its padding."""

    def __init__(self, who: str, examples: Examples, batch_size: int, round_batch: bool):
        self.who = who
        self.examples = examples
        self.batch_size = batch_size
        self.round_batch = round_batch
        self.overflow = 0
        # the slots of the batch buffer: without round_batch, a short last batch keeps the
        # previous batch's examples after its own, as MXNet's reused buffer does
        self.slots: list[int | None] = [None] * batch_size

    def before_first(self) -> None:
        if not self.round_batch or self.overflow == 0:
            self.examples.before_first()
        else:
            # the wrapped-around examples of the last batch were this pass's first ones
            self.overflow = 0

    def next(self) -> tuple[list[int | None], int] | None:
        if self.overflow:
            return None
        top = self._fill(0)
        if top == self.batch_size:
            return list(self.slots), 0
        if top == 0:
            return None
        if not self.round_batch:
            return list(self.slots), self.batch_size - top
        self.examples.before_first()
        filled = self._fill(top)
        if filled < self.batch_size:
            raise ParamError(f"{self.who}: batch_size {self.batch_size} is too large: "
                             f"the {self.examples.count} examples cannot fill the last "
                             f"batch (number of input must be bigger than batch size)")
        self.overflow = self.batch_size - top
        return list(self.slots), self.overflow

    def _fill(self, top: int) -> int:
        while top < self.batch_size:
            example = self.examples.next_example()
            if example is None:
                break
            self.slots[top] = example
            top += 1
        return top


def label_array(label: np.ndarray, dtype: Any) -> nd.NDArray:
    """The label NDArray of a batch: MXNet's prefetcher hands a (batch, 1, ...) label out
    as (batch,), the first `batch` values of its buffer."""
    if label.ndim >= 2 and label.shape[1] == 1:
        label = label.reshape(-1)[: label.shape[0]]
    return nd.array(label, dtype=dtype)


class MXDataIter(DataIter):
    """The base of the iterators MXNet implements in C++. It reads the first batch when
    made, to learn `provide_data` and `provide_label`; `getdata` and `getlabel` give one
    array each (a batch's `data` and `label` are lists of one). A subclass defines
    `_before_first` (start a pass) and `_next_batch` (a `NativeBatch`, or None at the end).

    >>> it = mx.io.CSVIter(data_csv='x.csv', data_shape=(3,), batch_size=2)  # doctest: +SKIP
    >>> isinstance(it, mx.io.MXDataIter), it.getdata().shape  # doctest: +SKIP
    (True, (2, 3))
    """

    def __init__(self, data_name: str = "data", label_name: str = "softmax_label"):
        super().__init__()
        self._current: NativeBatch | None = None
        self.first_batch: DataBatch | None = None
        try:
            first = self.next()
        except StopIteration:
            raise ParamError(f"{type(self).__name__}: the data does not fill one batch of "
                             f"the batch_size asked for") from None
        self.first_batch = first
        data, label = first.data[0], first.label[0]
        self.provide_data = [DataDesc(data_name, tuple(data.shape), data.dtype)]
        self.provide_label = [DataDesc(label_name, tuple(label.shape), label.dtype)]
        self.batch_size = data.shape[0]

    def _before_first(self) -> None:
        raise NotOverriddenError(f"{type(self).__name__} must define _before_first")

    def _next_batch(self) -> NativeBatch | None:
        raise NotOverriddenError(f"{type(self).__name__} must define _next_batch")

    def reset(self) -> None:
        self.first_batch = None
        self._before_first()

    def next(self) -> DataBatch:
        if self.first_batch is not None:
            batch, self.first_batch = self.first_batch, None
            return batch
        if self.iter_next():
            return DataBatch(data=[self.getdata()], label=[self.getlabel()],
                             pad=self.getpad(), index=self.getindex())
        raise StopIteration

    def iter_next(self) -> bool:
        if self.first_batch is not None:
            # (the current batch is the first one, read when the iterator was made)
            self.first_batch = None
            return True
        self._current = self._next_batch()
        return self._current is not None

    def _batch(self) -> NativeBatch:
        if self._current is None:
            raise MXNetError(f"{type(self).__name__}: no current batch: call iter_next() "
                             f"first")
        return self._current

    def getdata(self) -> Any:
        return self._batch().data

    def getlabel(self) -> Any:
        return self._batch().label

    def getindex(self) -> Any:
        return self._batch().indices

    def getpad(self) -> int:
        return self._batch().pad


# ---- CSVIter -------------------------------------------------------------------------------

def _read_csv(who: str, name: str, path: Any, row_size: int, shape_name: str,
              shape: tuple[int, ...]) -> np.ndarray:
    tables = []
    for file in input_files(who, name, path):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # (NumPy warns of an empty file)
                table = np.loadtxt(file, delimiter=",", dtype=np.float64, ndmin=2,
                                   comments=None)
        except ValueError as err:
            raise MXNetError(f"{who}: {file} is not rows of comma-separated numbers "
                             f"({err})") from None
        if table.size and table.shape[1] != row_size:
            raise ShapeError(f"{who}: the rows of {file} hold {table.shape[1]} values but "
                             f"{shape_name} {shape} needs {row_size} (the data size in CSV "
                             f"does not match the size of the shape)")
        tables.append(table.reshape(-1, row_size))
    return np.concatenate(tables)


class CSVIter(MXDataIter):
    """Batches of the rows of a CSV file of numbers (or of every file in a directory),
    each row reshaped to `data_shape`; labels from `label_csv` (rows of `label_shape`), or
    0 without it. `dtype` converts data and labels (float32 by default).

    >>> it = mx.io.CSVIter(data_csv='x.csv', data_shape=(3,), label_csv='y.csv',
    ...                    batch_size=2)  # doctest: +SKIP
    >>> batch = it.next(); batch.data[0].shape, batch.label[0].shape  # doctest: +SKIP
    ((2, 3), (2,))
    """

    def __init__(self, *, data_csv: str, data_shape: Any, batch_size: int,
                 label_csv: str | None = None, label_shape: Any = (1,),
                 round_batch: bool = True, prefetch_buffer: int = 4, ctx: str = "gpu",
                 dtype: Any = None, data_name: str = "data",
                 label_name: str = "softmax_label", **ignored: Any):
        who = "CSVIter"
        self._data_shape = shape_param(who, "data_shape", data_shape)
        label_shape = shape_param(who, "label_shape", label_shape)
        batch_size = int_param(who, "batch_size", batch_size, 1)
        self._dtype = dtype_param(who, dtype)
        self._rows = _read_csv(who, "data_csv", data_csv, int(np.prod(self._data_shape)),
                               "data_shape", self._data_shape)
        count = len(self._rows)
        if label_csv is None or label_csv == "NULL":
            self._labels = np.zeros((count, 1))
            self._label_shape: tuple[int, ...] = (1,)
        else:
            self._labels = _read_csv(who, "label_csv", label_csv, int(np.prod(label_shape)),
                                     "label_shape", label_shape)
            self._label_shape = label_shape
            if len(self._labels) < count:
                raise ShapeError(f"CSVIter: label_csv has {len(self._labels)} rows, fewer "
                                 f"than the {count} rows of data_csv")
        self._loader = BatchLoader(who, Examples(count), batch_size, bool(round_batch))
        super().__init__(data_name, label_name)

    def _before_first(self) -> None:
        self._loader.before_first()

    def _next_batch(self) -> NativeBatch | None:
        got = self._loader.next()
        if got is None:
            return None
        slots, pad = got
        size = len(slots)
        data = np.zeros((size,) + self._data_shape)
        label = np.zeros((size,) + self._label_shape)
        index = np.zeros(size, dtype=np.uint64)
        for k, example in enumerate(slots):
            if example is not None:
                data[k] = self._rows[example].reshape(self._data_shape)
                label[k] = self._labels[example].reshape(self._label_shape)
                index[k] = example
        return NativeBatch(nd.array(data, dtype=self._dtype), label_array(label, self._dtype),
                           pad, index)


# ---- LibSVMIter ----------------------------------------------------------------------------

def _boundary(contents: list[bytes], starts: list[int], offset: int) -> int:
    """Where dmlc's line splitter starts reading a part that begins at byte `offset` of the
    files read as one: past the end of the line `offset` falls in (and the blank lines
    after it), unless `offset` starts a file."""
    if offset in starts:
        return offset
    i = bisect.bisect_right(starts, offset) - 1
    content, pos = contents[i], offset - starts[i]
    while pos < len(content) and content[pos] not in b"\r\n":
        pos += 1
    while pos < len(content) and content[pos] in b"\r\n":
        pos += 1
    return starts[i] + pos


def part_lines(files: list[str], num_parts: int, part_index: int) -> list[bytes]:
    """The lines of part `part_index` of `num_parts` of the files read as one: dmlc's split
    into equal byte ranges, each moved forward to a line start."""
    contents = []
    for file in files:
        with open(file, "rb") as f:
            contents.append(f.read())
    starts = [0]
    for content in contents:
        starts.append(starts[-1] + len(content))
    step = -(-starts[-1] // num_parts)
    begin = _boundary(contents, starts, min(step * part_index, starts[-1]))
    end = _boundary(contents, starts, min(step * (part_index + 1), starts[-1]))
    lines = []
    for content, start, stop in zip(contents, starts, starts[1:]):
        low, high = max(begin, start), min(end, stop)
        if low < high:
            lines += content[low - start:high - start].splitlines()
    return lines


class _SparseRows(NamedTuple):
    labels: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray


def _parse_libsvm(who: str, lines: list[bytes], width: int, what: str) -> _SparseRows:
    labels, indptr, indices, values = [], [0], [], []
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        try:
            labels.append(float(fields[0].split(b":")[0]))
            pairs = [field.split(b":") for field in fields[1:]]
            columns = np.array([int(p[0]) for p in pairs], dtype=np.int64)
            entries = np.array([float(p[1]) for p in pairs], dtype=np.float64)
        except (ValueError, IndexError):
            raise MXNetError(f"{who}: line {number} of {what} is not 'label index:value "
                             f"...': {line[:80]!r}") from None
        outside = columns[(columns < 0) | (columns >= width)]
        if outside.size:
            raise ShapeError(f"{who}: line {number} of {what} has the column index "
                             f"{outside[0]}, outside the {width} columns of its shape "
                             f"(indices are zero-based)")
        order = np.argsort(columns, kind="stable")
        indices.append(columns[order])
        values.append(entries[order])
        indptr.append(indptr[-1] + columns.size)
    return _SparseRows(np.array(labels), np.array(indptr, dtype=np.int64),
                       np.concatenate(indices) if indices else np.zeros(0, np.int64),
                       np.concatenate(values) if values else np.zeros(0))


class LibSVMIter(MXDataIter):
    """Batches of the rows of a LibSVM file ('label index:value ...', zero-based and
    ascending column indices) as CSRNDArrays of `data_shape[0]` columns, and their labels
    (or, with `label_libsvm`, CSR labels of `label_shape[0]` columns from that file). Only
    `round_batch=True` is supported, as in MXNet; `num_parts` and `part_index` read one part
    of the file, split as MXNet splits it.

    >>> it = mx.io.LibSVMIter(data_libsvm='data.t', data_shape=(3,), batch_size=3)  # doctest: +SKIP
    >>> it.next().data[0]  # doctest: +SKIP
    <CSRNDArray 3x3 @cpu(0)>
    """

    def __init__(self, *, data_libsvm: str, data_shape: Any, batch_size: int,
                 label_libsvm: str | None = None, label_shape: Any = (1,),
                 num_parts: int = 1, part_index: int = 0, round_batch: bool = True,
                 prefetch_buffer: int = 4, ctx: str = "gpu", dtype: Any = None,
                 data_name: str = "data", label_name: str = "softmax_label",
                 **ignored: Any):
        who = "LibSVMIter"
        data_shape = shape_param(who, "data_shape", data_shape)
        label_shape = shape_param(who, "label_shape", label_shape)
        if len(data_shape) != 1 or len(label_shape) != 1:
            raise ParamError(f"LibSVMIter: data_shape and label_shape must be 1-D, got "
                             f"{data_shape} and {label_shape}")
        batch_size = int_param(who, "batch_size", batch_size, 1)
        if not round_batch:
            raise UnsupportedError("LibSVMIter: round_batch=False is not supported (MXNet's "
                                   "sparse batch loader does not support it either)")
        parts = part_param(who, num_parts, part_index)
        self._dtype = dtype_param(who, dtype)
        self._width = data_shape[0]
        self._rows = _parse_libsvm(who, part_lines(
            input_files(who, "data_libsvm", data_libsvm), *parts), self._width, "data_libsvm")
        self._label_rows: _SparseRows | None = None
        if label_libsvm is not None and label_libsvm != "NULL":
            self._label_width = label_shape[0]
            self._label_rows = _parse_libsvm(who, part_lines(
                input_files(who, "label_libsvm", label_libsvm), *parts), self._label_width,
                "label_libsvm")
            if len(self._label_rows.labels) < len(self._rows.labels):
                raise ShapeError(f"LibSVMIter: label_libsvm has {len(self._label_rows.labels)}"
                                 f" rows, fewer than the {len(self._rows.labels)} of "
                                 f"data_libsvm")
        self._loader = BatchLoader(who, Examples(len(self._rows.labels)), batch_size, True)
        super().__init__(data_name, label_name)

    def _before_first(self) -> None:
        self._loader.before_first()

    def _csr(self, rows: _SparseRows, picked: np.ndarray, width: int) -> Any:
        indptr, positions = gather_csr_rows(rows.indptr, picked)
        return nd.sparse.csr_matrix((rows.values[positions].astype(self._dtype),
                                     rows.indices[positions], indptr),
                                    shape=(len(picked), width), dtype=self._dtype)

    def _next_batch(self) -> NativeBatch | None:
        got = self._loader.next()
        if got is None:
            return None
        slots, pad = got
        # (round_batch always fills every slot)
        picked = np.array([s for s in slots if s is not None], dtype=np.int64)
        data = self._csr(self._rows, picked, self._width)
        if self._label_rows is None:
            label = nd.array(self._rows.labels[picked], dtype=self._dtype)
        else:
            label = self._csr(self._label_rows, picked, self._label_width)
        return NativeBatch(data, label, pad, picked.astype(np.uint64))


# ---- MNISTIter -----------------------------------------------------------------------------

def std_shuffle_order(count: int, seed: int) -> np.ndarray:
    """The order `std::shuffle` (libstdc++ before GCC 11, as MXNet 1.9.1 is built) leaves
    range(count) in with `std::mt19937(seed)`: NumPy's legacy MT19937 gives the same
    32-bit draws, and each position takes a draw by libstdc++'s downscaling rejection."""
    rng = np.random.RandomState(seed & 0xFFFFFFFF)
    order = list(range(count))
    draws: list[int] = []
    for i in range(1, count):
        scaling = 0xFFFFFFFF // (i + 1)
        limit = (i + 1) * scaling
        while True:
            if not draws:
                draws = rng.randint(0, 1 << 32, size=count, dtype=np.uint64).tolist()[::-1]
            draw = draws.pop()
            if draw < limit:
                break
        j = draw // scaling
        order[i], order[j] = order[j], order[i]
    return np.array(order, dtype=np.int64)


class MNISTIter(MXDataIter):
    """Batches of MNIST from its IDX files (`image`: N x rows x cols bytes, `label`: N
    bytes): images as float32 values / 256, (batch, 1, rows, cols) or with `flat`
    (batch, rows * cols); labels (batch,). `shuffle` (on by default) orders the examples
    once, as MXNet does for the same `seed`; a last batch that is not full is dropped.
    `num_parts` and `part_index` read one contiguous part.

    >>> it = mx.io.MNISTIter(image='t10k-images-idx3-ubyte', label='t10k-labels-idx1-ubyte',
    ...                      batch_size=100)  # doctest: +SKIP
    >>> it.provide_data  # doctest: +SKIP
    [DataDesc[data,(100, 1, 28, 28),<class 'numpy.float32'>,NCHW]]
    """

    def __init__(self, *, image: str = "./train-images-idx3-ubyte",
                 label: str = "./train-labels-idx1-ubyte", batch_size: int = 128,
                 shuffle: bool = True, flat: bool = False, seed: int = 0,
                 silent: bool = False, num_parts: int = 1, part_index: int = 0,
                 prefetch_buffer: int = 4, ctx: str = "gpu", dtype: Any = None,
                 data_name: str = "data", label_name: str = "softmax_label",
                 **ignored: Any):
        who = "MNISTIter"
        self._batch_size = int_param(who, "batch_size", batch_size, 1)
        parts, index = part_param(who, num_parts, part_index)
        self._dtype = dtype_param(who, dtype)
        images = read_idx(os.fspath(image), 3)
        labels = read_idx(os.fspath(label), 1)
        if len(images) != len(labels):
            raise ShapeError(f"MNISTIter: {image} holds {len(images)} images but {label} "
                             f"{len(labels)} labels")
        # (MXNet computes the part's bounds in double precision)
        begin = int(len(images) / parts * index)
        end = int(len(images) / parts * (index + 1))
        images, labels = images[begin:end], labels[begin:end]
        if shuffle:
            order = std_shuffle_order(len(images), int(seed))
            images, labels = images[order], labels[order]
        rows, cols = images.shape[1:]
        self._shape = (rows * cols,) if flat else (1, rows, cols)
        self._images = images.astype(np.float32) * np.float32(1 / 256)
        self._labels = labels.astype(np.float32)
        self._loc = 0
        if not silent:
            _log.info("MNISTIter: load %d images, shuffle=%d, shape=%s", len(images),
                      bool(shuffle), (self._batch_size,) + self._shape)
        super().__init__(data_name, label_name)

    def _before_first(self) -> None:
        self._loc = 0

    def _next_batch(self) -> NativeBatch | None:
        start, size = self._loc, self._batch_size
        if start + size > len(self._images):
            return None
        self._loc += size
        data = self._images[start:start + size].reshape((size,) + self._shape)
        return NativeBatch(nd.array(data, dtype=self._dtype),
                           nd.array(self._labels[start:start + size], dtype=self._dtype), 0,
                           np.zeros(size, dtype=np.uint64))
