"""`ImageRecordIter`: batches of the images of a RecordIO file (made with `mx.recordio`
or im2rec), decoded and augmented as MXNet's C++ iterator does it: MXNet's default
augmenter (`image_augmenter.py`: resize, one affine warp for rotation, shear, scale and
aspect ratio, pad, the crops, colour jitter, HLS offsets, PCA noise), then normalised
((pixel - mean) * contrast * scale / std + illumination * scale / std per RGB(A) channel,
the mean a per-pixel image with `mean_img`) and mirrored.

The records are read into memory, in file order, when the iterator is made (an index
file, `path_imgidx`, is checked to exist but not needed); decoding goes through `mx.image`.
`path_imglist` (an im2rec .lst file) gives the labels by image index instead of the
records. A `mean_img` file that does not exist is computed over one pass of the data and
saved there (`nd.save` with the key 'mean_img'), as MXNet does.

    >>> it = mx.io.ImageRecordIter(path_imgrec='train.rec', data_shape=(3, 224, 224),
    ...                            batch_size=32, resize=256)  # doctest: +SKIP
    >>> it.provide_data  # doctest: +SKIP
    [DataDesc[data,(32, 3, 224, 224),<class 'numpy.float32'>,NCHW]]
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from .. import image, nd, recordio
from ..base import ArgumentError, MXNetError, ParamError, ShapeError
from .image_augmenter import AugmentParams, DefaultAugmenter
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

#: The augmenter's arguments ImageRecordIter takes by keyword (see `AugmentParams`).
AUGMENT_ARGS = ("random_resized_crop", "max_aspect_ratio", "min_aspect_ratio",
                "max_shear_ratio", "max_crop_size", "min_crop_size", "max_random_area",
                "min_random_area", "random_h", "random_s", "random_l")
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
        extra = {}
        for name, value in kwargs.items():
            if name in AUGMENT_ARGS:
                extra[name] = value
            elif name not in IGNORED and name not in ("path_imglist", "mean_img"):
                raise ArgumentError(f"{who}: unknown argument {name!r}")
        self._shape = shape_param(who, "data_shape", data_shape)
        if len(self._shape) != 3 or self._shape[0] not in (1, 3, 4):
            raise ParamError(f"{who}: data_shape must be (channels, height, width) with 1, 3 "
                             f"or 4 channels, got {self._shape}")
        batch_size = int_param(who, "batch_size", batch_size, 1)
        self._label_width = int_param(who, "label_width", label_width, 1)
        self._mirror, self._rand_mirror = mirror, rand_mirror
        self._mean = np.array([mean_r, mean_g, mean_b, mean_a], np.float32)[:self._shape[0]]
        self._std = np.array([std_r, std_g, std_b, std_a], np.float32)[:self._shape[0]]
        self._scale = scale
        self._contrast, self._illumination = max_random_contrast, max_random_illumination
        if not 0 < float(min_random_scale) <= float(max_random_scale):
            raise ParamError(f"{who}: need 0 < min_random_scale <= max_random_scale, got "
                             f"{(min_random_scale, max_random_scale)}")
        params = AugmentParams(
            self._shape, resize=int(resize), rand_crop=bool(rand_crop),
            max_rotate_angle=int(max_rotate_angle), rotate=int(rotate),
            max_random_scale=float(max_random_scale), min_random_scale=float(min_random_scale),
            max_img_size=float(max_img_size), min_img_size=float(min_img_size),
            brightness=float(brightness), contrast=float(contrast),
            saturation=float(saturation), pca_noise=float(pca_noise),
            fill_value=int(fill_value), inter_method=int(inter_method),
            pad=int_param(who, "pad", pad, 0), **extra)
        params.check(who)
        self._dtype = dtype_param(who, dtype)
        if self._dtype.name not in ("float32", "uint8", "int8"):
            raise ParamError(f"{who}: dtype must be float32, uint8 or int8, got "
                             f"{self._dtype.name}")
        if path_imgidx:
            input_files(who, "path_imgidx", path_imgidx)
        self._records = _read_records(who, path_imgrec, *part_param(who, num_parts,
                                                                    part_index))
        self._rng = np.random.RandomState(0 if seed_aug is None else seed_aug)
        self._augment = DefaultAugmenter(params, self._rng)
        self._labels = (_read_label_list(who, kwargs["path_imglist"], self._label_width)
                        if kwargs.get("path_imglist") else None)
        examples = Examples(len(self._records),
                            np.random.RandomState(seed) if shuffle else None)
        self._loader = BatchLoader(who, examples, batch_size, bool(round_batch))
        self._mean_img: np.ndarray | None = None
        if kwargs.get("mean_img") and self._dtype == np.float32:
            self._mean_img = self._mean_image(who, kwargs["mean_img"])
        super().__init__(data_name, label_name)

    def _mean_image(self, who: str, path: str) -> np.ndarray:
        """The per-pixel mean image of `path` (an `nd.save` file of one (C, H, W) array),
        or, when there is no such file, the mean of one pass over the data (the augmented,
        normalised images), saved there."""
        if os.path.exists(path):
            try:
                loaded = nd.load(path)
            except MXNetError as e:
                raise MXNetError(f"{who}: mean_img {path!r} is not an NDArray file: {e}"
                                 ) from None
            arrays = list(loaded.values()) if isinstance(loaded, dict) else list(loaded)
            if len(arrays) != 1 or tuple(arrays[0].shape) != self._shape:
                raise ShapeError(f"{who}: mean_img {path!r} must hold one array of shape "
                                 f"{self._shape}, got "
                                 f"{[tuple(a.shape) for a in arrays]}")
            return arrays[0].asnumpy().astype(np.float32)  # type: ignore[no-any-return]
        total = np.zeros(self._shape, np.float64)
        for number in range(len(self._records)):
            total += self._example(number)[0]
        mean = (total / max(len(self._records), 1)).astype(np.float32)
        nd.save(path, {"mean_img": nd.array(mean)})
        return mean

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
        label = self._label(header, number)  # (before augmenting, as MXNet)
        return self._pixels(self._decode(number, payload)), label

    def _label(self, header: recordio.IRHeader, number: int) -> np.ndarray:
        if self._labels is not None:
            if int(header.id) not in self._labels:
                raise MXNetError(f"{type(self).__name__}: image index {int(header.id)} "
                                 f"(record {number}) is not in path_imglist")
            return self._labels[int(header.id)]
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
        pixels = self._augment(img.asnumpy()).transpose(2, 0, 1)
        mirrored = (self._rand_mirror and self._rng.rand() < 0.5) or self._mirror
        if self._dtype == np.uint8:
            out = pixels
        elif self._dtype == np.int8:
            shifted = pixels.astype(np.int16) - _round_half_away(self._mean)[:, None, None]
            out = np.clip(shifted, -128, 127).astype(np.int8)
        else:
            out = self._normalize(pixels)
        return out[:, :, ::-1] if mirrored else out

    def _normalize(self, pixels: np.ndarray) -> np.ndarray:
        contrast = (self._rng.rand() * self._contrast * 2 - self._contrast + 1) * self._scale
        light = (self._rng.rand() * self._illumination * 2 - self._illumination) * self._scale
        mult = np.float32(contrast) / self._std
        bias = np.float32(light) / self._std
        mean = self._mean_img if self._mean_img is not None else self._mean[:, None, None]
        centred = pixels.astype(np.float32) - mean
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


def _read_label_list(who: str, path: str, width: int) -> dict[int, np.ndarray]:
    """Image index -> its `width` labels, from an im2rec list file (index, labels..., path
    per line, tab-separated)."""
    (file,) = input_files(who, "path_imglist", path)
    labels: dict[int, np.ndarray] = {}
    with open(file) as f:
        for line_number, line in enumerate(f, 1):
            fields = line.rstrip("\n").split("\t")
            if not line.strip():
                continue
            try:
                values = np.array([float(v) for v in fields[1:1 + width]], np.float32)
                index = int(float(fields[0]))
            except ValueError:
                values, index = np.zeros(0, np.float32), -1
            if len(fields) < width + 2 or values.size != width:
                raise MXNetError(f"{who}: line {line_number} of path_imglist {path!r} must be "
                                 f"'index<TAB>{width} label(s)<TAB>path', got {line.strip()!r}")
            labels[index] = values
    return labels
