"""`ImageDetIter`: MXNet's image iterator for object detection. An image's raw label is
[header width n, object width k, (n - 2 more header values), then k values per object:
class id, xmin, ymin, xmax, ymax, ...], the corners as fractions of the image's size.
Batches hold (C, H, W) float32 images and labels of shape (batch, objects, k): the most
objects any image has, rows past an image's objects filled with -1.

    >>> it = mx.image.ImageDetIter(8, (3, 300, 300), path_imgrec='train.rec',
    ...                            rand_crop=0.5, rand_mirror=True)  # doctest: +SKIP
    >>> it.next().label[0].shape  # doctest: +SKIP
    (8, 42, 5)
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import nd
from ..base import ArgumentError, MXNetError, ShapeError, UnsupportedError
from ..data_iter import DataDesc
from .det_augment import CreateDetAugmenter, DetAugmenter
from .det_draw import draw_boxes
from .image_iter import ImageIter

_IMAGENET_MEAN = np.array([123.68, 116.28, 103.53])
_IMAGENET_STD = np.array([58.395, 57.12, 57.375])


class ImageDetIter(ImageIter):
    """Batches of `batch_size` images of `data_shape` (3, H, W) with their boxes, from
    `path_imgrec` (and `path_imgidx`), `path_imglist` or `imglist` (items [raw label
    values..., path]) with files under `path_root`, as `ImageIter` reads them. `aug_list`
    (default `CreateDetAugmenter(data_shape, **kwargs)`) takes each (image, label) pair
    to one of `data_shape`'s size. Images without a valid box are skipped.
    `last_batch_handle` is 'pad', 'discard' or 'roll_over', as for `ImageIter`.

    >>> it = mx.image.ImageDetIter(2, (3, 64, 64), imglist=[[2, 5, 0, .1, .1, .5, .5, 'a.jpg']],
    ...                            path_root='imgs')  # doctest: +SKIP
    >>> it.label_shape  # doctest: +SKIP
    (1, 5)
    """

    def __init__(self, batch_size: int, data_shape: tuple[int, int, int],
                 path_imgrec: str | None = None, path_imglist: str | None = None,
                 path_root: str | None = None, path_imgidx: str | None = None,
                 shuffle: bool = False, part_index: int = 0, num_parts: int = 1,
                 aug_list: list[DetAugmenter] | None = None, imglist: list | None = None,
                 data_name: str = "data", label_name: str = "label",
                 last_batch_handle: str = "pad", **kwargs: Any):
        super().__init__(batch_size, data_shape, path_imgrec=path_imgrec,
                         path_imglist=path_imglist, path_root=path_root,
                         path_imgidx=path_imgidx, shuffle=shuffle, part_index=part_index,
                         num_parts=num_parts, aug_list=[], imglist=imglist,
                         data_name=data_name, label_name=label_name,
                         last_batch_handle=last_batch_handle)
        self.auglist = CreateDetAugmenter(data_shape, **kwargs) if aug_list is None \
            else aug_list
        self.label_shape = self._estimate_label_shape()
        self.provide_label = [DataDesc(label_name, (batch_size,) + self.label_shape)]

    def _estimate_label_shape(self) -> tuple[int, int]:
        """(the most objects of any image, the object width), reading every label."""
        max_count, width = 0, None
        self.reset()
        try:
            while True:
                label = self._parse_label(self.next_sample()[0])
                max_count, width = max(max_count, label.shape[0]), label.shape[1]
        except StopIteration:
            pass
        self.reset()
        if width is None:
            raise MXNetError("ImageDetIter: there are no images to read")
        return max_count, width

    def _parse_label(self, label: Any) -> np.ndarray:
        """A raw label as one row per object, those with empty boxes dropped.

        >>> it._parse_label([2, 5, 0, .1, .1, .5, .5])  # doctest: +SKIP
        array([[0. , 0.1, 0.1, 0.5, 0.5]])
        """
        raw = np.asarray(label.asnumpy() if isinstance(label, nd.NDArray) else label).ravel()
        if not np.issubdtype(raw.dtype, np.floating):  # (float32 labels stay float32)
            raw = raw.astype(np.float64)
        if raw.size < 7:
            raise ShapeError(f"ImageDetIter: a label needs a header of 2 and an object of 5 "
                             f"values at least, got {raw.size} values")
        header_width, obj_width = int(raw[0]), int(raw[1])
        if header_width < 2 or obj_width < 5 or header_width > raw.size \
                or (raw.size - header_width) % obj_width:
            raise ShapeError(f"ImageDetIter: a label of {raw.size} values does not hold a "
                             f"header of {header_width} and objects of {obj_width} values "
                             f"(5 or more)")
        out = raw[header_width:].reshape(-1, obj_width)
        valid = (out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2])
        if not valid.any():
            raise MXNetError("ImageDetIter: the image has no valid box (xmax > xmin and "
                             "ymax > ymin)")
        return out[valid, :]

    def _check_valid_label(self, label: np.ndarray) -> None:
        """Raise unless an augmented label has a valid object left."""
        if label.ndim != 2 or label.shape[1] < 5:
            raise ShapeError(f"ImageDetIter: a label must have shape (objects, 5 or more), "
                             f"got {label.shape}")
        valid = (label[:, 0] >= 0) & (label[:, 3] > label[:, 1]) & (label[:, 4] > label[:, 2])
        if not valid.any():
            raise MXNetError("ImageDetIter: the augmented label has no valid object")

    def _new_batch(self) -> tuple[np.ndarray, np.ndarray]:
        data = np.zeros((self.batch_size,) + tuple(self.data_shape), dtype=np.float32)
        return data, np.full(self.provide_label[0].shape, -1.0, dtype=np.float32)

    def _next_valid(self) -> tuple[Any, np.ndarray]:
        """The next image and its parsed label, skipping (and logging) those that are not
        valid; StopIteration at the end."""
        while True:
            raw_label, raw = self.next_sample()
            img = self.imdecode(raw)
            try:
                self.check_valid_image([img])
                return img, self._parse_label(raw_label)
            except MXNetError as err:
                logging.debug("ImageDetIter: skipping an image: %s", err)

    def _batchify(self, data: np.ndarray, label: np.ndarray, start: int = 0) -> int:
        """Fill `data` and `label` from row `start` on, skipping images whose label has no
        valid object (before or after augmentation); how many rows are filled."""
        i = start
        try:
            while i < self.batch_size:
                img, objects = self._next_valid()
                # (an augmenter's own error is raised: MXNet skips the image silently)
                img, objects = self.augmentation_transform(img, objects)
                try:
                    self._check_valid_label(objects)
                except MXNetError as err:
                    logging.debug("ImageDetIter: skipping an image: %s", err)
                    continue
                if objects.shape[0] > label.shape[1] or objects.shape[1] != label.shape[2]:
                    raise ShapeError(f"ImageDetIter: an image has {objects.shape[0]} objects "
                                     f"of {objects.shape[1]} values, more than the label "
                                     f"shape {tuple(label.shape[1:])} holds")
                data[i] = self.postprocess_data(img).asnumpy()
                label[i, :objects.shape[0]] = objects
                label[i, objects.shape[0]:] = -1
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def augmentation_transform(self, data: nd.NDArray,  # type: ignore[override]
                               label: np.ndarray) -> tuple[nd.NDArray, np.ndarray]:
        """(image, label) through every augmenter of `auglist` in turn."""
        for aug in self.auglist:
            data, label = aug(data, label)
        return data, label

    def reshape(self, data_shape: tuple[int, int, int] | None = None,
                label_shape: tuple[int, int] | None = None) -> None:
        """Change the batches' image shape and/or label shape (objects, width): the
        object count may only grow.

        >>> it.reshape(label_shape=(50, 5))  # doctest: +SKIP
        """
        if data_shape is not None:
            self.check_data_shape(data_shape)
            self.data_shape = tuple(data_shape)  # type: ignore[assignment]
            self.provide_data = [DataDesc(self.provide_data[0].name,
                                          (self.batch_size,) + tuple(data_shape))]
        if label_shape is not None:
            self.check_label_shape(label_shape)
            self.label_shape = tuple(label_shape)  # type: ignore[assignment]
            self.provide_label = [DataDesc(self.provide_label[0].name,
                                           (self.batch_size,) + tuple(label_shape))]

    def check_label_shape(self, label_shape: Any) -> None:
        """Raise `ShapeError` unless `label_shape` is (objects, width) with no fewer objects
        than now and the same width."""
        if len(label_shape) != 2:
            raise ShapeError(f"ImageDetIter: label_shape must be (objects, width), got "
                             f"{label_shape}")
        if label_shape[0] < self.label_shape[0]:
            raise ShapeError(f"ImageDetIter: attempts to reduce label count from "
                             f"{self.label_shape[0]} to {label_shape[0]}, not allowed")
        if label_shape[1] != self.provide_label[0].shape[2]:
            raise ShapeError(f"ImageDetIter: label_shape object width inconsistent: "
                             f"{self.provide_label[0].shape[2]} vs {label_shape[1]}")

    def sync_label_shape(self, it: ImageDetIter, verbose: bool = False) -> ImageDetIter:
        """Give this iterator and `it` (say training and validation) the same label shape,
        the larger object count of the two; returns `it`.

        >>> val_iter = train_iter.sync_label_shape(val_iter)  # doctest: +SKIP
        """
        if not isinstance(it, ImageDetIter):
            raise ArgumentError(f"ImageDetIter.sync_label_shape: synchronize with an "
                                f"ImageDetIter, got {type(it).__name__}")
        mine, theirs = self.label_shape, it.label_shape
        if mine[1] != theirs[1]:
            raise ShapeError(f"ImageDetIter.sync_label_shape: object width mismatch: "
                             f"{mine[1]} vs {theirs[1]}")
        max_count = max(mine[0], theirs[0])
        if max_count > mine[0]:
            self.reshape(None, (max_count, mine[1]))
        if max_count > theirs[0]:
            it.reshape(None, (max_count, theirs[1]))
        if verbose and max_count > min(mine[0], theirs[0]):
            logging.info("Resized label_shape to (%d, %d).", max_count, mine[1])
        return it

    def draw_next(self, color: Any = None, thickness: int = 2, mean: Any = None,
                  std: Any = None, clip: bool = True, waitKey: int | None = None,  # noqa: N803
                  window_name: str = "draw_next", id2labels: dict | None = None
                  ) -> Iterator[np.ndarray]:
        """The next images, augmented, with their boxes drawn: (H, W, 3) uint8 arrays in
        BGR order (OpenCV's, as MXNet yields them). `mean`/`std` (True: ImageNet's) undo
        a normalisation; `color` is the boxes' RGB colour (random per box without one);
        `id2labels` maps class ids to names written on the boxes. mxjit cannot open
        windows: `waitKey` must be None (MXNet shows each image with OpenCV).

        >>> for image in it.draw_next(id2labels={0: 'cat'}): ...  # doctest: +SKIP
        """
        if waitKey is not None:
            raise UnsupportedError(f"ImageDetIter.draw_next: mxjit has no OpenCV to show "
                                   f"window {window_name!r}; leave waitKey None and show "
                                   f"the images it yields")
        std = _IMAGENET_STD if std is True else std
        mean = _IMAGENET_MEAN if mean is True else mean
        while True:
            try:
                img, objects = self._next_valid()
            except StopIteration:
                return
            img, objects = self.augmentation_transform(img, objects)
            image = img.asnumpy().astype(np.float64)
            if std is not None:
                image *= np.asarray(std)
            if mean is not None:
                image += np.asarray(mean)
            image = image[:, :, ::-1]  # RGB to BGR
            if clip:
                image = np.clip(image, 0, 255)
            bgr = None if color is None else tuple(color)[::-1]
            yield draw_boxes(image.astype(np.uint8), objects, bgr, thickness, id2labels)
