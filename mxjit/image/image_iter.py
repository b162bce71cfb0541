"""`ImageIter`: MXNet's Python image iterator, batches of (C, H, W) float32 images read
from a RecordIO file (`path_imgrec`, with `path_imgidx` for shuffling and parts) or from
image files (`path_imglist` or `imglist`, under `path_root`), each sent through a list of
augmenters (`CreateAugmenter`'s by default).

    >>> it = mx.image.ImageIter(4, (3, 224, 224), path_imgrec='train.rec',
    ...                         path_imgidx='train.idx', shuffle=True, resize=256)  # doctest: +SKIP
    >>> batch = it.next()  # doctest: +SKIP
"""
from __future__ import annotations

import os
from numbers import Number
from typing import Any

import numpy as np

from .. import nd, recordio
from ..base import MXNetError, ParamError, ShapeError
from ..data_iter import DataBatch, DataDesc, DataIter
from .augment import Augmenter, CreateAugmenter
from .decode import imdecode

_LABEL_DTYPES = ("int32", "float32", "int64", "float64")
_LAST_BATCH = ("pad", "discard", "roll_over")


def _imglist_labels(imglist: list, dtype: str) -> tuple[dict[Any, Any], list[Any]]:
    """`imglist`'s items ([label(s)..., path]) keyed '1', '2', ... as MXNet keys them."""
    result, keys = {}, []
    for index, item in enumerate(imglist, start=1):
        if len(item) > 2:
            label = nd.array(item[:-1], dtype=dtype)
        elif isinstance(item[0], Number):
            label = nd.array([item[0]], dtype=dtype)
        else:
            label = nd.array(item[0], dtype=dtype)
        result[str(index)] = (label, item[-1])
        keys.append(str(index))
    return result, keys


def _read_imglist(path: str, dtype: str) -> tuple[dict[Any, Any], list[Any]]:
    """A .lst file: tab-separated lines of index, label(s) and path."""
    result, keys = {}, []
    with open(path) as fin:
        for line in fin:
            fields = line.strip().split("\t")
            key = int(fields[0])
            result[key] = (nd.array([float(v) for v in fields[1:-1]], dtype=dtype), fields[-1])
            keys.append(key)
    return result, keys


class ImageIter(DataIter):
    """Batches of `batch_size` images of `data_shape` (3, H, W) with `label_width` labels
    each, from `path_imgrec` (and `path_imgidx`), `path_imglist` or `imglist` (items
    [label(s)..., path]) with files under `path_root`. `aug_list` (default
    `CreateAugmenter(data_shape, **kwargs)`) turns each decoded (H, W, 3) image into one of
    `data_shape`'s size. `shuffle` (drawn from mx.random, so `mx.random.seed` repeats it)
    and `num_parts`/`part_index` need an index (a list or `path_imgidx`).
    `last_batch_handle` 'pad' fills the last batch from the start, 'discard' drops it,
    'roll_over' carries its images into the next pass. `dtype` is the labels' type as read.

    >>> it = mx.image.ImageIter(2, (3, 32, 32), imglist=[[0, 'a.png'], [1, 'b.png']],
    ...                         path_root='imgs', resize=32)  # doctest: +SKIP
    >>> it.next().data[0].shape  # doctest: +SKIP
    (2, 3, 32, 32)
    """

    def __init__(self, batch_size: int, data_shape: tuple[int, int, int],
                 label_width: int = 1, path_imgrec: str | None = None,
                 path_imglist: str | None = None, path_root: str | None = None,
                 path_imgidx: str | None = None, shuffle: bool = False, part_index: int = 0,
                 num_parts: int = 1, aug_list: list[Augmenter] | None = None,
                 imglist: list | None = None, data_name: str = "data",
                 label_name: str = "softmax_label", dtype: str = "float32",
                 last_batch_handle: str = "pad", **kwargs: Any):
        super().__init__(batch_size)
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise ParamError("ImageIter: give path_imgrec, path_imglist or imglist (a list)")
        if dtype not in _LABEL_DTYPES:
            raise ParamError(f"ImageIter: label dtype must be one of {_LABEL_DTYPES}, got "
                             f"{dtype!r}")
        if last_batch_handle not in _LAST_BATCH:
            raise ParamError(f"ImageIter: last_batch_handle must be one of {_LAST_BATCH}, "
                             f"got {last_batch_handle!r}")
        self.imgrec: recordio.MXRecordIO | None = None
        self.imgidx: list[Any] | None = None
        if path_imgrec and path_imgidx:
            self.imgrec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
            self.imgidx = list(self.imgrec.keys)
        elif path_imgrec:
            self.imgrec = recordio.MXRecordIO(path_imgrec, "r")
        keys: list[Any] = []
        self.imglist: dict[Any, Any] | None = None
        if path_imglist:
            self.imglist, keys = _read_imglist(path_imglist, dtype)
        elif isinstance(imglist, list):
            self.imglist, keys = _imglist_labels(imglist, dtype)
        self.path_root = path_root
        self.check_data_shape(data_shape)
        data_shape = tuple(data_shape)  # type: ignore[assignment]
        self.provide_data = [DataDesc(data_name, (batch_size,) + data_shape)]
        label_shape = (batch_size, label_width) if label_width > 1 else (batch_size,)
        self.provide_label = [DataDesc(label_name, label_shape)]
        self.data_shape, self.label_width, self.shuffle = data_shape, label_width, shuffle
        self.seq: list[Any] | None = None
        if self.imgrec is None:
            self.seq = keys
        elif shuffle or num_parts > 1 or path_imgidx:
            if self.imgidx is None:
                raise ParamError("ImageIter: shuffle and num_parts > 1 need path_imgidx "
                                 "with path_imgrec")
            self.seq = self.imgidx
        if num_parts > 1:
            if not 0 <= part_index < num_parts:
                raise ParamError(f"ImageIter: part_index must be in [0, {num_parts}), got "
                                 f"{part_index}")
            assert self.seq is not None
            size = len(self.seq) // num_parts
            self.seq = self.seq[part_index * size:(part_index + 1) * size]
        # (ImageDetIter keeps its detection augmenters, of (image, label), here)
        self.auglist: list[Any] = CreateAugmenter(data_shape, **kwargs) if aug_list is None \
            else aug_list
        self.cur = 0
        self._allow_read = True
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self._cache: tuple[np.ndarray, np.ndarray, int] | None = None
        self.reset()

    def _shuffle(self) -> None:
        if self.seq is not None and self.shuffle:
            order = nd.random.shuffle(nd.arange(len(self.seq))).asnumpy().astype(int)
            self.seq[:] = [self.seq[k] for k in order]

    def reset(self) -> None:
        """Go back to the first image (a rolled-over last batch is kept), reshuffling."""
        self._shuffle()
        if self.last_batch_handle != "roll_over" or self._cache is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def hard_reset(self) -> None:
        """Go back to the first image and drop any rolled-over images, reshuffling."""
        self._shuffle()
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._allow_read = True
        self._cache = None

    def next_sample(self) -> tuple[Any, bytes]:
        """The next image's label and encoded bytes; `StopIteration` at the end of a pass.

        >>> label, data = it.next_sample()  # doctest: +SKIP
        """
        if not self._allow_read:
            raise StopIteration
        if self.seq is None:
            assert self.imgrec is not None
            record = self.imgrec.read()
            if record is None:
                if self.last_batch_handle != "discard":
                    self.imgrec.reset()
                raise StopIteration
            header, img = recordio.unpack(record)
            return header.label, img
        if self.cur >= len(self.seq):
            if self.last_batch_handle != "discard":
                self.cur = 0
            raise StopIteration
        idx = self.seq[self.cur]
        self.cur += 1
        if self.imgrec is not None:
            assert isinstance(self.imgrec, recordio.MXIndexedRecordIO)
            record = self.imgrec.read_idx(idx)
            assert record is not None
            header, img = recordio.unpack(record)
            return (header.label if self.imglist is None else self.imglist[idx][0]), img
        assert self.imglist is not None
        label, fname = self.imglist[idx]
        return label, self.read_image(fname)

    def _label_row(self, label: Any) -> np.ndarray:
        values = np.asarray(label.asnumpy() if isinstance(label, nd.NDArray) else label,
                            dtype=np.float64).reshape(-1)
        if values.size != self.label_width:
            raise ShapeError(f"ImageIter: an image has {values.size} labels but label_width "
                             f"is {self.label_width}")
        return values if self.label_width > 1 else values[0]

    def _batchify(self, data: np.ndarray, label: np.ndarray, start: int = 0) -> int:
        """Fill `data` and `label` from row `start` on; how many rows are filled."""
        i = start
        try:
            while i < self.batch_size:
                sample_label, raw = self.next_sample()
                img = self.imdecode(raw)
                try:
                    self.check_valid_image(img)
                except MXNetError:
                    continue
                img = self.augmentation_transform(img)
                data[i] = self.postprocess_data(img).asnumpy()
                label[i] = self._label_row(sample_label)
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def _new_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The data and label arrays of a batch before it is filled."""
        data = np.zeros((self.batch_size,) + tuple(self.data_shape), dtype=np.float32)
        return data, np.zeros(self.provide_label[0].shape, dtype=np.float32)

    def next(self) -> DataBatch:
        """The next batch; `StopIteration` at the end of the pass.

        >>> batch = it.next()  # doctest: +SKIP
        """
        if self._cache is not None:
            data, label, i = self._cache
        else:
            data, label = self._new_batch()
            i = self._batchify(data, label)
        pad = self.batch_size - i
        if pad:
            if self.last_batch_handle == "discard":
                raise StopIteration
            if self.last_batch_handle == "roll_over" and self._cache is None:
                self._cache = (data, label, i)
                raise StopIteration
            self._batchify(data, label, i)
            if self.last_batch_handle == "pad":
                self._allow_read = False
            else:
                self._cache = None
        return DataBatch([nd.array(data)], [nd.array(label)], pad=pad)

    def check_data_shape(self, data_shape: Any) -> None:
        """Raise `ShapeError` unless `data_shape` is (3, height, width)."""
        if len(data_shape) != 3:
            raise ShapeError(f"ImageIter: data_shape must be (channels, height, width), got "
                             f"{data_shape}")
        if data_shape[0] != 3:
            raise ShapeError(f"ImageIter: images must have 3 channels, data_shape is "
                             f"{data_shape}")

    def check_valid_image(self, data: Any) -> None:
        """Raise `MXNetError` for an image with no pixels (the batch skips it)."""
        if len(data[0].shape) == 0:
            raise MXNetError("ImageIter: the image has no pixels")

    def imdecode(self, s: bytes) -> nd.NDArray:
        """`mx.image.imdecode(s)`, naming the image that fails to decode.

        >>> img = it.imdecode(open('cat.png', 'rb').read())  # doctest: +SKIP
        """
        try:
            return imdecode(s)
        except Exception as err:  # any decoder failure: say which image it was
            raise MXNetError(f"ImageIter: broken image {self._locate()}: {err}") from err

    def _locate(self) -> str:
        position = self.cur - 1
        if self.seq is None:
            return f"index: {position}"
        idx = self.seq[position % len(self.seq)]
        if self.imglist is not None and idx in self.imglist:
            return f"filename: {self.imglist[idx][1]}"
        return f"index: {idx}"

    def read_image(self, fname: str) -> bytes:
        """The bytes of the file `fname` under `path_root`.

        >>> raw = it.read_image('cat.jpg')  # doctest: +SKIP
        """
        with open(os.path.join(self.path_root or "", fname), "rb") as fin:
            return fin.read()

    def augmentation_transform(self, data: nd.NDArray) -> nd.NDArray:
        """`data` through every augmenter of `auglist` in turn."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum: nd.NDArray) -> nd.NDArray:
        """An augmented (H, W, C) image as the (C, H, W) the batch holds."""
        return nd.transpose(datum, axes=(2, 0, 1))
