"""MXNet's detection augmenters: callables from (image, label) to (image, label), where the
label is a NumPy array of one row per object, [class id, xmin, ymin, xmax, ymax, ...] with
the corners as fractions of the image's width and height. `DetBorrowAug` lends a
classification augmenter (one that leaves the boxes as they are); the random crop and pad
move the boxes with the image. `CreateDetAugmenter` builds MXNet's standard list of them.

The random ones draw from mxjit's random streams, so `mx.random.seed` makes them repeat
(MXNet draws from Python's `random`).

    >>> augs = mx.image.CreateDetAugmenter((3, 300, 300), rand_crop=0.5,
    ...                                    rand_mirror=True)  # doctest: +SKIP
    >>> for aug in augs: img, label = aug(img, label)  # doctest: +SKIP
"""
from __future__ import annotations

import math
import warnings
from numbers import Number
from typing import Any

import numpy as np

from .. import nd
from ..base import ArgumentError, NotOverriddenError, ParamError
from .augment import (
    _EIGVAL,
    _EIGVEC,
    Augmenter,
    CastAug,
    ColorJitterAug,
    ColorNormalizeAug,
    DumpsArguments,
    ForceResizeAug,
    HueJitterAug,
    LightingAug,
    RandomGrayAug,
    ResizeAug,
    _channel_stats,
    _uniform,
)
from .preprocess import _randint, _unit_uniform, copyMakeBorder, fixed_crop


def _chance() -> float:
    """A draw from [0, 1) (Python's `random.random()` in MXNet)."""
    return float(_unit_uniform(1)[0])


def _as_range(value: Any, name: str, owner: str) -> tuple[Any, Any]:
    """A (low, high) pair; a single number stands for (number, number)."""
    if isinstance(value, (tuple, list)):
        return value[0], value[1]
    if not isinstance(value, Number):
        raise ParamError(f"{owner}: {name} must be a number or a (low, high) pair, got "
                         f"{value!r}")
    return value, value


def _ranges_valid(name: str, area_range: tuple[float, float], least_area: float,
                  aspect_ratio_range: tuple[float, float]) -> bool:
    """Whether a crop or pad augmenter's ranges can be drawn from (the area's upper end
    above `least_area`); a warning says which is not, and the augmenter does nothing (MXNet
    means to warn, but passes the range as the warning's category and raises TypeError)."""
    if area_range[1] <= least_area or area_range[0] > area_range[1]:
        warnings.warn(f"Skip {name} due to invalid area_range: {area_range}", stacklevel=3)
        return False
    if aspect_ratio_range[0] <= 0 or aspect_ratio_range[0] > aspect_ratio_range[1]:
        warnings.warn(f"Skip {name} due to invalid aspect_ratio_range: {aspect_ratio_range}",
                      stacklevel=3)
        return False
    return True


class DetAugmenter(DumpsArguments):
    """The base of the detection augmenters: a subclass keeps its arguments for `dumps`
    and defines `__call__(src, label)` (not an `Augmenter`, as in MXNet).

    >>> mx.image.DetHorizontalFlipAug(0.5).dumps()  # doctest: +SKIP
    '["dethorizontalflipaug", {"p": 0.5}]'
    """

    def __call__(self, src: nd.NDArray, label: np.ndarray) -> tuple[nd.NDArray, np.ndarray]:
        raise NotOverriddenError(f"{type(self).__name__} does not define __call__")


class DetBorrowAug(DetAugmenter):
    """A classification augmenter applied to the image alone (the boxes stay).

    >>> aug = mx.image.DetBorrowAug(mx.image.CastAug())  # doctest: +SKIP
    """

    def __init__(self, augmenter: Augmenter):
        if not isinstance(augmenter, Augmenter):
            raise ArgumentError(f"DetBorrowAug borrows an mx.image.Augmenter, got "
                                f"{type(augmenter).__name__}")
        super().__init__(augmenter=augmenter.dumps())
        self.augmenter = augmenter

    def dumps(self) -> Any:
        return [type(self).__name__.lower(), self.augmenter.dumps()]

    def __call__(self, src: nd.NDArray, label: np.ndarray) -> tuple[nd.NDArray, np.ndarray]:
        return self.augmenter(src), label


class DetRandomSelectAug(DetAugmenter):
    """With probability `skip_prob` leave (image, label) alone, else apply one of
    `aug_list` chosen at random (the list is shuffled in place, as MXNet's). An empty list
    always skips.

    >>> aug = mx.image.DetRandomSelectAug([mx.image.DetRandomCropAug()],
    ...                                   skip_prob=0.5)  # doctest: +SKIP
    """

    def __init__(self, aug_list: Any, skip_prob: float = 0):
        super().__init__(skip_prob=skip_prob)
        if not isinstance(aug_list, (list, tuple)):
            aug_list = [aug_list]
        for aug in aug_list:
            if not isinstance(aug, DetAugmenter):
                raise ArgumentError(f"DetRandomSelectAug takes DetAugmenters only, got "
                                    f"{type(aug).__name__}")
        self.aug_list = aug_list
        self.skip_prob = skip_prob if aug_list else 1

    def dumps(self) -> Any:
        return [type(self).__name__.lower(), [aug.dumps() for aug in self.aug_list]]

    def __call__(self, src: nd.NDArray, label: np.ndarray) -> tuple[nd.NDArray, np.ndarray]:
        if _chance() < self.skip_prob:
            return src, label
        order = nd.random.shuffle(nd.arange(len(self.aug_list))).asnumpy().astype(int)
        self.aug_list[:] = [self.aug_list[k] for k in order]
        return self.aug_list[0](src, label)


class DetHorizontalFlipAug(DetAugmenter):
    """With probability `p`, mirror the image left to right and the boxes with it (the
    label is changed in place).

    >>> img, label = mx.image.DetHorizontalFlipAug(0.5)(img, label)  # doctest: +SKIP
    """

    def __init__(self, p: float):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src: nd.NDArray, label: np.ndarray) -> tuple[nd.NDArray, np.ndarray]:
        if _chance() < self.p:
            src = nd.flip(src, axis=1)
            self._flip_label(label)
        return src, label

    @staticmethod
    def _flip_label(label: np.ndarray) -> None:
        xmin = 1.0 - label[:, 3]
        label[:, 3] = 1.0 - label[:, 1]
        label[:, 1] = xmin


def _areas(boxes: np.ndarray) -> np.ndarray:
    """The areas of (xmin, ymin, xmax, ymax) rows (0 for an inverted box)."""
    return np.maximum(0, boxes[:, 3] - boxes[:, 1]) * np.maximum(0, boxes[:, 2] - boxes[:, 0])


def _intersect(boxes: np.ndarray, xmin: float, ymin: float, xmax: float,
               ymax: float) -> np.ndarray:
    """The boxes clipped to a window; rows left empty become zeros."""
    out = boxes.copy()
    out[:, 0] = np.maximum(boxes[:, 0], xmin)
    out[:, 1] = np.maximum(boxes[:, 1], ymin)
    out[:, 2] = np.minimum(boxes[:, 2], xmax)
    out[:, 3] = np.minimum(boxes[:, 3], ymax)
    out[(out[:, 0] >= out[:, 2]) | (out[:, 1] >= out[:, 3]), :] = 0
    return out


class DetRandomCropAug(DetAugmenter):
    """Crop a random window of the image: its aspect ratio (w/h) from
    `aspect_ratio_range`, its area a fraction of the image's from `area_range`, and every
    box it touches covered at least `min_object_covered`. Boxes are clipped to the window;
    one left with less than `min_eject_coverage` of its area is dropped. After
    `max_attempts` windows that fail, the image is left as it is. Invalid ranges disable
    the augmenter with a warning.

    >>> img, label = mx.image.DetRandomCropAug(min_object_covered=0.5)(img, label)  # doctest: +SKIP
    """

    def __init__(self, min_object_covered: float = 0.1,
                 aspect_ratio_range: Any = (0.75, 1.33), area_range: Any = (0.05, 1.0),
                 min_eject_coverage: float = 0.3, max_attempts: int = 50):
        aspect_ratio_range = _as_range(aspect_ratio_range, "aspect_ratio_range",
                                       "DetRandomCropAug")
        area_range = _as_range(area_range, "area_range", "DetRandomCropAug")
        super().__init__(min_object_covered=min_object_covered,
                         aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         min_eject_coverage=min_eject_coverage, max_attempts=max_attempts)
        self.min_object_covered = min_object_covered
        self.min_eject_coverage = min_eject_coverage
        self.max_attempts = max_attempts
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.enabled = _ranges_valid("DetRandomCropAug", area_range, 0.0, aspect_ratio_range)

    def __call__(self, src: nd.NDArray, label: np.ndarray) -> tuple[nd.NDArray, np.ndarray]:
        crop = self._random_crop_proposal(label, int(src.shape[0]), int(src.shape[1]))
        if crop:
            x, y, w, h, label = crop
            src = fixed_crop(src, x, y, w, h, None)
        return src, label

    def _check_satisfy_constraints(self, label: np.ndarray, xmin: int, ymin: int, xmax: int,
                                   ymax: int, width: int, height: int) -> bool:
        """Does the window (in pixels) cover every box it touches enough?"""
        if (xmax - xmin) * (ymax - ymin) < 2:
            return False  # a single pixel
        x1, y1 = float(xmin) / width, float(ymin) / height
        x2, y2 = float(xmax) / width, float(ymax) / height
        object_areas = _areas(label[:, 1:])
        valid_objects = np.where(object_areas * width * height > 2)[0]
        if valid_objects.size < 1:
            return False
        intersects = _intersect(label[valid_objects, 1:], x1, y1, x2, y2)
        coverages = _areas(intersects) / object_areas[valid_objects]
        coverages = coverages[coverages > 0]
        return bool(coverages.size > 0 and np.amin(coverages) > self.min_object_covered)

    def _update_labels(self, label: np.ndarray, crop_box: tuple[int, int, int, int],
                       height: int, width: int) -> np.ndarray | None:
        """The boxes in the window's coordinates, those mostly cut away dropped (None
        when none is left)."""
        xmin, ymin = float(crop_box[0]) / width, float(crop_box[1]) / height
        w, h = float(crop_box[2]) / width, float(crop_box[3]) / height
        out = label.copy()
        out[:, (1, 3)] -= xmin
        out[:, (2, 4)] -= ymin
        out[:, (1, 3)] /= w
        out[:, (2, 4)] /= h
        out[:, 1:5] = np.clip(out[:, 1:5], 0, 1)
        coverage = _areas(out[:, 1:]) * w * h / _areas(label[:, 1:])
        valid = (out[:, 3] > out[:, 1]) & (out[:, 4] > out[:, 2]) & \
            (coverage > self.min_eject_coverage)
        if not valid.any():
            return None
        return out[valid, :]

    def _random_crop_proposal(self, label: np.ndarray, height: int, width: int) -> tuple:
        """(x, y, w, h, new label) of an acceptable window, or () after `max_attempts`."""
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = _uniform(*self.aspect_ratio_range)
            if ratio <= 0:
                continue
            h = int(round(math.sqrt(min_area / ratio)))
            max_h = int(round(math.sqrt(max_area / ratio)))
            if round(max_h * ratio) > width:
                max_h = int((width + 0.4999999) / ratio)  # the largest fitting the width
            max_h = min(max_h, height)
            h = min(h, max_h)
            if h < max_h:
                h = _randint(h, max_h)
            w = int(round(h * ratio))
            # (rounding can take the area just outside its range: one row more or less)
            area = w * h
            if area < min_area:
                h += 1
                w = int(round(h * ratio))
                area = w * h
            if area > max_area:
                h -= 1
                w = int(round(h * ratio))
                area = w * h
            if not (min_area <= area <= max_area and 0 <= w <= width and 0 <= h <= height):
                continue
            y = _randint(0, max(0, height - h))
            x = _randint(0, max(0, width - w))
            if self._check_satisfy_constraints(label, x, y, x + w, y + h, width, height):
                new_label = self._update_labels(label, (x, y, w, h), height, width)
                if new_label is not None:
                    return (x, y, w, h, new_label)
        return ()


class DetRandomPadAug(DetAugmenter):
    """Place the image at a random spot of a larger canvas filled with `pad_val` (per
    channel, or one value for all): the canvas's aspect ratio from `aspect_ratio_range`,
    its area a multiple of the image's from `area_range`; the boxes shrink with it. After
    `max_attempts` canvases that fail, the image is left as it is. Invalid ranges disable
    the augmenter with a warning.

    >>> img, label = mx.image.DetRandomPadAug(area_range=(1.0, 2.0))(img, label)  # doctest: +SKIP
    """

    def __init__(self, aspect_ratio_range: Any = (0.75, 1.33), area_range: Any = (1.0, 3.0),
                 max_attempts: int = 50, pad_val: Any = (128, 128, 128)):
        if not isinstance(pad_val, (list, tuple, Number)):
            raise ParamError(f"DetRandomPadAug: pad_val must be a number or one per "
                             f"channel, got {pad_val!r}")
        aspect_ratio_range = _as_range(aspect_ratio_range, "aspect_ratio_range",
                                       "DetRandomPadAug")
        area_range = _as_range(area_range, "area_range", "DetRandomPadAug")
        super().__init__(aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         max_attempts=max_attempts, pad_val=pad_val)
        self.pad_val = pad_val
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.max_attempts = max_attempts
        self.enabled = _ranges_valid("DetRandomPadAug", area_range, 1.0, aspect_ratio_range)

    def __call__(self, src: nd.NDArray, label: np.ndarray) -> tuple[nd.NDArray, np.ndarray]:
        height, width = int(src.shape[0]), int(src.shape[1])
        pad = self._random_pad_proposal(label, height, width)
        if pad:
            x, y, w, h, label = pad
            src = copyMakeBorder(src, y, h - y - height, x, w - x - width, 0,
                                 values=self.pad_val)
        return src, label

    @staticmethod
    def _update_labels(label: np.ndarray, pad_box: tuple[int, int, int, int], height: int,
                       width: int) -> np.ndarray:
        out = label.copy()
        out[:, (1, 3)] = (out[:, (1, 3)] * width + pad_box[0]) / pad_box[2]
        out[:, (2, 4)] = (out[:, (2, 4)] * height + pad_box[1]) / pad_box[3]
        return out

    def _random_pad_proposal(self, label: np.ndarray, height: int, width: int) -> tuple:
        """(x, y, w, h, new label) of the canvas, or () after `max_attempts`."""
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = _uniform(*self.aspect_ratio_range)
            if ratio <= 0:
                continue
            h = int(round(math.sqrt(min_area / ratio)))
            max_h = int(round(math.sqrt(max_area / ratio)))
            if round(h * ratio) < width:
                h = int((width + 0.499999) / ratio)
            h = min(max(h, height), max_h)
            if h < max_h:
                h = _randint(h, max_h)
            w = int(round(h * ratio))
            if (h - height) < 2 or (w - width) < 2:
                continue  # a margin of a pixel does not help
            y = _randint(0, max(0, h - height))
            x = _randint(0, max(0, w - width))
            return (x, y, w, h, self._update_labels(label, (x, y, w, h), height, width))
        return ()


def _aligned(params: list[Any]) -> list[list[Any]]:
    """Parameters given as lists (one per augmenter) or single values, as lists of one
    length."""
    lists = [p if isinstance(p, list) else [p] for p in params]
    num = max(len(p) for p in lists)
    for p in lists:
        if len(p) not in (1, num):
            raise ParamError(f"CreateMultiRandCropAugmenter: parameter lists must have one "
                             f"value or {num}, got {p!r}")
    return [p * num if len(p) == 1 else p for p in lists]


def CreateMultiRandCropAugmenter(min_object_covered: Any = 0.1,  # noqa: N802
                                 aspect_ratio_range: Any = (0.75, 1.33),
                                 area_range: Any = (0.05, 1.0),
                                 min_eject_coverage: Any = 0.3, max_attempts: Any = 50,
                                 skip_prob: float = 0) -> DetRandomSelectAug:
    """A `DetRandomSelectAug` over `DetRandomCropAug`s, one per value of the parameters
    given as lists (the others shared).

    >>> aug = mx.image.CreateMultiRandCropAugmenter(
    ...     min_object_covered=[0.1, 0.5, 0.9])  # doctest: +SKIP
    >>> len(aug.aug_list)  # doctest: +SKIP
    3
    """
    params = _aligned([min_object_covered, aspect_ratio_range, area_range,
                       min_eject_coverage, max_attempts])
    augs: list[DetAugmenter] = [
        DetRandomCropAug(min_object_covered=moc, aspect_ratio_range=arr, area_range=ar,
                         min_eject_coverage=mec, max_attempts=ma)
        for moc, arr, ar, mec, ma in zip(*params)]
    return DetRandomSelectAug(augs, skip_prob=skip_prob)


def CreateDetAugmenter(data_shape: tuple[int, int, int], resize: int = 0,  # noqa: N802
                       rand_crop: float = 0, rand_pad: float = 0, rand_gray: float = 0,
                       rand_mirror: bool = False, mean: Any = None, std: Any = None,
                       brightness: float = 0, contrast: float = 0, saturation: float = 0,
                       pca_noise: float = 0, hue: float = 0, inter_method: int = 2,
                       min_object_covered: Any = 0.1, aspect_ratio_range: Any = (0.75, 1.33),
                       area_range: Any = (0.05, 3.0), min_eject_coverage: Any = 0.3,
                       max_attempts: Any = 50, pad_val: Any = (127, 127, 127)
                       ) -> list[DetAugmenter]:
    """MXNet's standard detection augmenters for images of `data_shape` (C, H, W): resize
    the short side, random crop (probability `rand_crop`), mirror, random pad (probability
    `rand_pad`), force the size, cast to float32, colour and hue jitter, PCA lighting,
    random gray, normalise (`mean`/`std` True: ImageNet's).

    >>> augs = mx.image.CreateDetAugmenter((3, 300, 300), rand_crop=0.5, rand_pad=0.5,
    ...                                    rand_mirror=True, mean=True)  # doctest: +SKIP
    """
    augs: list[DetAugmenter] = []
    if resize > 0:
        augs.append(DetBorrowAug(ResizeAug(resize, inter_method)))
    if rand_crop > 0:
        augs.append(CreateMultiRandCropAugmenter(min_object_covered, aspect_ratio_range,
                                                 area_range, min_eject_coverage,
                                                 max_attempts, skip_prob=1 - rand_crop))
    if rand_mirror > 0:
        augs.append(DetHorizontalFlipAug(0.5))
    if rand_pad > 0:  # (as late as possible: the canvas is larger than the image)
        pad = DetRandomPadAug(aspect_ratio_range, (1.0, area_range[1]), max_attempts, pad_val)
        augs.append(DetRandomSelectAug([pad], 1 - rand_pad))
    augs.append(DetBorrowAug(ForceResizeAug((data_shape[2], data_shape[1]), inter_method)))
    augs.append(DetBorrowAug(CastAug()))
    if brightness or contrast or saturation:
        augs.append(DetBorrowAug(ColorJitterAug(brightness, contrast, saturation)))
    if hue:
        augs.append(DetBorrowAug(HueJitterAug(hue)))
    if pca_noise > 0:
        augs.append(DetBorrowAug(LightingAug(pca_noise, _EIGVAL, _EIGVEC)))
    if rand_gray > 0:
        augs.append(DetBorrowAug(RandomGrayAug(rand_gray)))
    # (NumPy arrays, as MXNet's detection list has them: its dumps show float64 values)
    mean = _channel_stats("CreateDetAugmenter", "mean", mean,
                          np.array([123.68, 116.28, 103.53]))
    std = _channel_stats("CreateDetAugmenter", "std", std, np.array([58.395, 57.12, 57.375]))
    if mean is not None or std is not None:
        augs.append(DetBorrowAug(ColorNormalizeAug(mean, std)))
    return augs
