"""`ImageRecordIter`: batches of the images of a RecordIO file (made with `mx.recordio`
or im2rec), decoded and augmented as MXNet's C++ iterator does it: resize the shorter edge
(`resize`), pad, scale by a random factor (`min_random_scale`..`max_random_scale`, each side
kept in [`min_img_size`, `max_img_size`]), rotate (`rotate` or a random angle up to
`max_rotate_angle`, corners filled with `fill_value`), scale up what is smaller than
`data_shape`, crop (centre, or random with `rand_crop`), jitter the colours (`brightness`,
`contrast`, `saturation`, `pca_noise`), then normalise ((pixel - mean) * scale / std per
RGB(A) channel) and mirror.

The records are read into memory, in file order, when the iterator is made (an index
file, `path_imgidx`, is checked to exist but not needed); decoding goes through `mx.image`.
MXNet's other augmentations (aspect ratio, shear, random crop sizes and areas, HSL jitter,
`mean_img`) are not supported and raise `UnsupportedError` when asked for.

    >>> it = mx.io.ImageRecordIter(path_imgrec='train.rec', data_shape=(3, 224, 224),
    ...                            batch_size=32, resize=256)  # doctest: +SKIP
    >>> it.provide_data  # doctest: +SKIP
    [DataDesc[data,(32, 3, 224, 224),<class 'numpy.float32'>,NCHW]]
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import image, nd, recordio
from ..base import ArgumentError, ParamError, ShapeError, UnsupportedError
from ..image import augment
from .native import (
    BatchLoader,
    Examples,
    MXDataIter,
    NativeBatch,
    dtype_param,
    input_files,
    int_param,
    label_array,
    part_param,
    shape_param,
)

__all__ = ["ImageRecordIter", "ImageRecordUInt8Iter", "ImageRecordInt8Iter"]

#: MXNet's augmentation arguments that mxjit does not implement, with their defaults.
UNSUPPORTED = {
    "path_imglist": "", "mean_img": "", "random_resized_crop": False,
    "max_aspect_ratio": 0.0, "min_aspect_ratio": None, "max_shear_ratio": 0.0,
    "max_crop_size": -1, "min_crop_size": -1, "max_random_area": 1.0, "min_random_area": 1.0,
    "random_h": 0, "random_s": 0, "random_l": 0,
}
#: ImageNet's RGB principal components (AlexNet's lighting noise, as `mx.image`'s).
_EIGVAL, _EIGVEC = augment._EIGVAL, augment._EIGVEC
_LUMA = augment._LUMA
#: Accepted for MXNet's sake and without effect here (threads, devices, chunked reading).
IGNORED = ("preprocess_threads", "prefetch_buffer", "verbose", "ctx", "device_id",
           "shuffle_chunk_size", "shuffle_chunk_seed", "aug_seq")


def __dir__() -> list[str]:
    return __all__


def _read_records(who: str, path: str, num_parts: int, part_index: int) -> list[bytes]:
    """The records of part `part_index` of the record file(s): dmlc splits the bytes into
    equal ranges and gives each the records that start in it."""
    records, starts, total = [], [], 0
    for file in input_files(who, "path_imgrec", path):
        reader = recordio.MXRecordIO(file, "r")
        while (record := reader.read()) is not None:
            records.append(record)
            starts.append(total)
            total += 8 + ((len(record) + 3) & ~3)  # (its header and padded bytes)
        reader.close()
    step = -(-total // num_parts)
    step = (step + 3) & ~3
    return [r for r, s in zip(records, starts)
            if step * part_index <= s < step * (part_index + 1)]


def _round_half_away(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.floor(np.abs(values) + 0.5)


class ImageRecordIter(MXDataIter):
    """Batches of the images of `path_imgrec` (a .rec file or a directory of them) as
    (batch, channels, height, width) = (batch_size,) + `data_shape` arrays (1 channel:
    gray, 3: RGB, 4: RGBA), with their labels (`label_width` per image; (batch,) for 1).
    `dtype` 'uint8' or 'int8' gives raw pixels (int8: minus the rounded mean) instead of
    normalised float32. `shuffle` draws a new order every pass from `seed`; `num_parts`
    and `part_index` read one part of the file.

    >>> it = mx.io.ImageRecordIter(path_imgrec='val.rec', data_shape=(3, 32, 32), batch_size=8,
    ...                            mean_r=125.3, std_r=63.0)  # doctest: +SKIP
    >>> it.next().label[0].shape  # doctest: +SKIP
    (8,)
    """

    def __init__(self, *, path_imgrec: str, data_shape: Any, batch_size: int,
                 path_imgidx: str = "", label_width: int = 1, shuffle: bool = False,
                 seed: int = 0, round_batch: bool = True, num_parts: int = 1,
                 part_index: int = 0, resize: int = -1, rand_crop: bool = False,
                 pad: int = 0, fill_value: int = 255, inter_method: int = 1,
                 mirror: bool = False, rand_mirror: bool = False, mean_r: float = 0.0,
                 mean_g: float = 0.0, mean_b: float = 0.0, mean_a: float = 0.0,
                 std_r: float = 1.0, std_g: float = 1.0, std_b: float = 1.0,
                 std_a: float = 1.0, scale: float = 1.0, max_random_contrast: float = 0.0,
                 max_random_illumination: float = 0.0, max_rotate_angle: int = 0,
                 rotate: int = -1, min_random_scale: float = 1.0,
                 max_random_scale: float = 1.0, min_img_size: float = 0.0,
                 max_img_size: float = 1e10, brightness: float = 0.0, contrast: float = 0.0,
                 saturation: float = 0.0, pca_noise: float = 0.0, seed_aug: int | None = None,
                 dtype: Any = None, data_name: str = "data",
                 label_name: str = "softmax_label", **kwargs: Any):
        who = type(self).__name__
        for name, value in kwargs.items():
            if name in UNSUPPORTED:
                if value != UNSUPPORTED[name]:
                    raise UnsupportedError(f"{who}: {name}={value!r} is not supported (of "
                                           f"MXNet's augmentations mxjit implements resize, "
                                           f"pad, rand_crop, mirror, rand_mirror, "
                                           f"max_random_contrast, max_random_illumination, "
                                           f"rotate, max_rotate_angle, min/max_random_scale, "
                                           f"min/max_img_size, brightness, contrast, "
                                           f"saturation and pca_noise)")
            elif name not in IGNORED:
                raise ArgumentError(f"{who}: unknown argument {name!r}")
        self._shape = shape_param(who, "data_shape", data_shape)
        if len(self._shape) != 3 or self._shape[0] not in (1, 3, 4):
            raise ParamError(f"{who}: data_shape must be (channels, height, width) with 1, 3 "
                             f"or 4 channels, got {self._shape}")
        batch_size = int_param(who, "batch_size", batch_size, 1)
        self._label_width = int_param(who, "label_width", label_width, 1)
        self._resize = int(resize)
        self._pad = int_param(who, "pad", pad, 0)
        self._fill_value = fill_value
        self._interp = int(inter_method)
        self._rand_crop, self._mirror, self._rand_mirror = rand_crop, mirror, rand_mirror
        self._mean = np.array([mean_r, mean_g, mean_b, mean_a], np.float32)[:self._shape[0]]
        self._std = np.array([std_r, std_g, std_b, std_a], np.float32)[:self._shape[0]]
        self._scale = scale
        self._contrast, self._illumination = max_random_contrast, max_random_illumination
        self._rotate, self._max_rotate = int(rotate), int(max_rotate_angle)
        self._scale_range = (float(min_random_scale), float(max_random_scale))
        self._img_size = (float(min_img_size), float(max_img_size))
        if not 0 < self._scale_range[0] <= self._scale_range[1]:
            raise ParamError(f"{who}: need 0 < min_random_scale <= max_random_scale, got "
                             f"{self._scale_range}")
        self._jitter = (float(brightness), float(contrast), float(saturation))
        self._pca_noise = float(pca_noise)
        if self._pca_noise or any(self._jitter):
            if self._shape[0] != 3:
                raise ParamError(f"{who}: brightness, contrast, saturation and pca_noise "
                                 f"need RGB images (3 channels), data_shape is {self._shape}")
        self._dtype = dtype_param(who, dtype)
        if self._dtype.name not in ("float32", "uint8", "int8"):
            raise ParamError(f"{who}: dtype must be float32, uint8 or int8, got "
                             f"{self._dtype.name}")
        if path_imgidx:
            input_files(who, "path_imgidx", path_imgidx)
        self._records = _read_records(who, path_imgrec, *part_param(who, num_parts,
                                                                    part_index))
        self._rng = np.random.RandomState(0 if seed_aug is None else seed_aug)
        examples = Examples(len(self._records),
                            np.random.RandomState(seed) if shuffle else None)
        self._loader = BatchLoader(who, examples, batch_size, bool(round_batch))
        super().__init__(data_name, label_name)

    def _before_first(self) -> None:
        self._loader.before_first()

    def _next_batch(self) -> NativeBatch | None:
        got = self._loader.next()
        if got is None:
            return None
        slots, pad = got
        data = np.zeros((len(slots),) + self._shape, dtype=self._dtype)
        label = np.zeros((len(slots), self._label_width), dtype=np.float32)
        for k, example in enumerate(slots):
            if example is not None:
                data[k], label[k] = self._example(example)
        return NativeBatch(nd.array(data, dtype=self._dtype), label_array(label, np.float32),
                           pad, np.zeros(len(slots), dtype=np.uint64))

    def _example(self, number: int) -> tuple[np.ndarray, np.ndarray]:
        header, payload = recordio.unpack(self._records[number])
        return self._pixels(self._decode(number, payload)), self._label(header, number)

    def _label(self, header: recordio.IRHeader, number: int) -> np.ndarray:
        labels = np.atleast_1d(np.asarray(header.label, dtype=np.float32))
        if header.flag > 0 and labels.size != self._label_width:
            raise ShapeError(f"{type(self).__name__}: record {number} holds {labels.size} "
                             f"labels but label_width is {self._label_width}")
        if header.flag == 0 and self._label_width != 1:
            raise ShapeError(f"{type(self).__name__}: record {number} holds one label; "
                             f"label_width must be 1 unless the records hold label arrays")
        return labels

    def _decode(self, number: int, payload: bytes) -> nd.NDArray:
        channels = self._shape[0]
        if channels < 4:
            return image.imdecode(payload, flag=1 if channels == 3 else 0)
        _, bgra = recordio.unpack_img(self._records[number], iscolor=-1)
        if bgra.ndim != 3 or bgra.shape[2] != 4:
            raise ShapeError(f"{type(self).__name__}: image {number} has "
                             f"{1 if bgra.ndim == 2 else bgra.shape[2]} channels, "
                             f"data_shape asks for 4")
        return nd.array(bgra[..., [2, 1, 0, 3]], dtype=np.uint8)

    def _pixels(self, img: nd.NDArray) -> np.ndarray:
        height, width = self._shape[1:]
        if self._resize > 0:
            img = image.resize_short(img, self._resize, interp=self._interp)
        if self._pad:
            img = nd.array(np.pad(img.asnumpy(), [(self._pad,) * 2, (self._pad,) * 2, (0, 0)],
                                  constant_values=self._fill_value), dtype=np.uint8)
        img = self._random_scale(img)
        angle = self._rotate if self._rotate > 0 else (
            self._rng.randint(-self._max_rotate, self._max_rotate + 1) if self._max_rotate else 0)
        if angle:
            img = self._rotated(img, angle)
        rows, cols = img.shape[:2]
        if rows < height or cols < width:
            # scaled up until the crop fits, keeping the aspect ratio (MXNet's rule)
            if height * cols >= width * rows:
                rows, cols = height, cols * height // rows
            else:
                rows, cols = rows * width // cols, width
            img = image.imresize(img, cols, rows, interp=self._interp)
        spare_y, spare_x = rows - height, cols - width
        if self._rand_crop:
            y, x = self._rng.randint(0, spare_y + 1), self._rng.randint(0, spare_x + 1)
        else:
            y, x = spare_y // 2, spare_x // 2
        pixels = img.asnumpy()[y:y + height, x:x + width].transpose(2, 0, 1)
        if self._pca_noise or any(self._jitter):
            pixels = np.clip(np.rint(self._colour_jitter(pixels.astype(np.float64))), 0,
                             255).astype(np.uint8)
        mirrored = (self._rand_mirror and self._rng.rand() < 0.5) or self._mirror
        if self._dtype == np.uint8:
            out = pixels
        elif self._dtype == np.int8:
            shifted = pixels.astype(np.int16) - _round_half_away(self._mean)[:, None, None]
            out = np.clip(shifted, -128, 127).astype(np.int8)
        else:
            out = self._normalize(pixels)
        return out[:, :, ::-1] if mirrored else out

    def _random_scale(self, img: nd.NDArray) -> nd.NDArray:
        """Resize by a factor from `min_random_scale`..`max_random_scale`, each side then
        kept in [min_img_size, max_img_size]."""
        low, high = self._scale_range
        if (low, high) == (1.0, 1.0) and self._img_size == (0.0, 1e10):
            return img
        factor = self._rng.uniform(low, high) if high > low else low
        rows, cols = (int(min(max(side * factor, self._img_size[0]), self._img_size[1]))
                      for side in img.shape[:2])
        if (rows, cols) == tuple(img.shape[:2]):
            return img
        return image.imresize(img, max(cols, 1), max(rows, 1), interp=self._interp)

    def _rotated(self, img: nd.NDArray, angle: int) -> nd.NDArray:
        """`img` (H, W, C uint8) turned `angle` degrees about its centre; the corners it
        uncovers hold `fill_value` (rotating img - fill_value, whose outside reads 0)."""
        fill = np.float32(self._fill_value)
        chw = nd.array(img.asnumpy().transpose(2, 0, 1).astype(np.float32) - fill)
        turned = image.imrotate(chw, angle).asnumpy() + fill
        return nd.array(np.clip(np.rint(turned), 0, 255).astype(np.uint8).transpose(1, 2, 0),
                        dtype=np.uint8)

    def _colour_jitter(self, rgb: np.ndarray) -> np.ndarray:
        """Brightness, contrast and saturation (as `mx.image`'s jitter augmenters, in a
        random order) and PCA lighting noise on (3, H, W) float pixels."""
        steps = [k for k, v in enumerate(self._jitter) if v > 0]
        for k in self._rng.permutation(steps):
            limit = self._jitter[k]
            alpha = 1.0 + self._rng.uniform(-limit, limit)
            gray = np.tensordot(_LUMA, rgb, axes=1)
            if k == 0:
                rgb = rgb * alpha
            elif k == 1:
                rgb = rgb * alpha + (1.0 - alpha) * gray.mean()
            else:
                rgb = rgb * alpha + (1.0 - alpha) * gray[None]
        if self._pca_noise:
            weights = self._rng.normal(0.0, self._pca_noise, size=3)
            rgb = rgb + (_EIGVEC @ (weights * _EIGVAL))[:, None, None]
        return rgb

    def _normalize(self, pixels: np.ndarray) -> np.ndarray:
        contrast = (self._rng.rand() * self._contrast * 2 - self._contrast + 1) * self._scale
        light = (self._rng.rand() * self._illumination * 2 - self._illumination) * self._scale
        mult = np.float32(contrast) / self._std
        bias = np.float32(light) / self._std
        centred = pixels.astype(np.float32) - self._mean[:, None, None]
        return centred * mult[:, None, None] + bias[:, None, None]


class ImageRecordUInt8Iter(ImageRecordIter):
    """`ImageRecordIter(dtype='uint8')`: raw pixels (MXNet's deprecated name).

    >>> it = mx.io.ImageRecordUInt8Iter(path_imgrec='val.rec', data_shape=(3, 32, 32),
    ...                                 batch_size=8)  # doctest: +SKIP
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**{**kwargs, "dtype": "uint8"})


class ImageRecordInt8Iter(ImageRecordIter):
    """`ImageRecordIter(dtype='int8')`: pixels minus the rounded mean, saturated to int8
    (MXNet's deprecated name).

    >>> it = mx.io.ImageRecordInt8Iter(path_imgrec='val.rec', data_shape=(3, 32, 32),
    ...                                batch_size=8)  # doctest: +SKIP
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**{**kwargs, "dtype": "int8"})
