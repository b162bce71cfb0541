"""MXNet's classic augmenters: callables from one (H, W, C) image to the next, built on
`mx.image`'s resizing and cropping, with `dumps` for their JSON description, and
`CreateAugmenter`, the standard list of them.

The random ones draw from mxjit's random streams, so `mx.random.seed` makes them repeat
(MXNet draws from Python's `random` and NumPy's). The colour augmenters work in place on
float images, as MXNet's do.

    >>> augs = mx.image.CreateAugmenter((3, 224, 224), resize=256)  # doctest: +SKIP
    >>> for aug in augs: img = aug(img)  # doctest: +SKIP
"""
from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from .. import nd
from ..base import NotOverriddenError, ParamError
from .preprocess import (
    _interp_method,
    _unit_uniform,
    center_crop,
    color_normalize,
    imresize,
    random_crop,
    random_size_crop,
    resize_short,
)

_LUMA = np.array([0.299, 0.587, 0.114])  # the gray of (R, G, B) the jitters use, as MXNet
_EIGVAL = np.array([55.46, 4.794, 1.148])  # ImageNet's RGB principal components (AlexNet)
_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                    [-0.5836, -0.6948, 0.4203]])
_TYIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]])
_ITYIQ = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]])


def _uniform(low: float, high: float) -> float:
    return low + (high - low) * float(_unit_uniform(1)[0])


class DumpsArguments:
    """Keeps an augmenter's arguments (NDArrays and NumPy arrays as lists) for `dumps`:
    what MXNet's image and detection augmenter bases share.

    >>> mx.image.ResizeAug(256).dumps()  # doctest: +SKIP
    '["resizeaug", {"size": 256, "interp": 2}]'
    """

    def __init__(self, **kwargs: Any):
        self._kwargs = {k: v.asnumpy().tolist() if isinstance(v, nd.NDArray)
                        else v.tolist() if isinstance(v, np.ndarray) else v
                        for k, v in kwargs.items()}

    def dumps(self) -> Any:
        """The augmenter as JSON: its lower-case class name and arguments."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])


class Augmenter(DumpsArguments):
    """The base of the augmenters: a subclass keeps its arguments for `dumps` and defines
    `__call__`.

    >>> mx.image.ResizeAug(256).dumps()  # doctest: +SKIP
    '["resizeaug", {"size": 256, "interp": 2}]'
    """

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        raise NotOverriddenError(f"{type(self).__name__} does not define __call__")


class SequentialAug(Augmenter):
    """The augmenters `ts`, one after the other.

    >>> aug = mx.image.SequentialAug([mx.image.ResizeAug(256),
    ...                               mx.image.CastAug()])  # doctest: +SKIP
    """

    def __init__(self, ts: list[Augmenter]):
        super().__init__()
        self.ts = ts

    def dumps(self) -> Any:
        return [type(self).__name__.lower(), [t.dumps() for t in self.ts]]

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        for aug in self.ts:
            src = aug(src)
        return src


class RandomOrderAug(SequentialAug):
    """The augmenters `ts` in a new random order every call (`ts` is shuffled in place).

    >>> aug = mx.image.RandomOrderAug([mx.image.BrightnessJitterAug(0.1),
    ...                                mx.image.ContrastJitterAug(0.1)])  # doctest: +SKIP
    """

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        order = nd.random.shuffle(nd.arange(len(self.ts))).asnumpy().astype(int)
        self.ts[:] = [self.ts[k] for k in order]
        return super().__call__(src)


class ResizeAug(Augmenter):
    """`resize_short(src, size, interp)`.

    >>> mx.image.ResizeAug(256)(img).shape  # doctest: +SKIP
    """

    def __init__(self, size: int, interp: int = 2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        return resize_short(src, self.size, self.interp)


class ForceResizeAug(Augmenter):
    """`imresize` to `size` (w, h), ignoring the aspect ratio.

    >>> mx.image.ForceResizeAug((224, 224))(img).shape  # doctest: +SKIP
    (224, 224, 3)
    """

    def __init__(self, size: tuple[int, int], interp: int = 2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        sizes = (int(src.shape[0]), int(src.shape[1]), int(self.size[1]), int(self.size[0]))
        return imresize(src, *self.size, interp=_interp_method(self.interp, sizes))


class RandomCropAug(Augmenter):
    """`random_crop(src, size, interp)`'s crop.

    >>> mx.image.RandomCropAug((224, 224))(img).shape  # doctest: +SKIP
    (224, 224, 3)
    """

    def __init__(self, size: tuple[int, int], interp: int = 2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        return random_crop(src, self.size, self.interp)[0]


class RandomSizedCropAug(Augmenter):
    """`random_size_crop(src, size, area, ratio, interp)`'s crop.

    >>> mx.image.RandomSizedCropAug((224, 224), 0.08, (3 / 4, 4 / 3))(img)  # doctest: +SKIP
    """

    def __init__(self, size: tuple[int, int], area: Any, ratio: tuple[float, float],
                 interp: int = 2):
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        self.size, self.area, self.ratio, self.interp = size, area, ratio, interp

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        return random_size_crop(src, self.size, self.area, self.ratio, self.interp)[0]


class CenterCropAug(Augmenter):
    """`center_crop(src, size, interp)`'s crop.

    >>> mx.image.CenterCropAug((224, 224))(img).shape  # doctest: +SKIP
    (224, 224, 3)
    """

    def __init__(self, size: tuple[int, int], interp: int = 2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        return center_crop(src, self.size, self.interp)[0]


class BrightnessJitterAug(Augmenter):
    """Scale a float image by 1 + a draw from [-brightness, brightness], in place.

    >>> mx.image.BrightnessJitterAug(0.3)(img.astype('float32'))  # doctest: +SKIP
    """

    def __init__(self, brightness: float):
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        src *= 1.0 + _uniform(-self.brightness, self.brightness)
        return src


class ContrastJitterAug(Augmenter):
    """Blend a float image with its mean gray level: alpha * src + (1 - alpha) * gray,
    alpha = 1 + a draw from [-contrast, contrast], in place.

    >>> mx.image.ContrastJitterAug(0.3)(img.astype('float32'))  # doctest: +SKIP
    """

    def __init__(self, contrast: float):
        super().__init__(contrast=contrast)
        self.contrast = contrast

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        alpha = 1.0 + _uniform(-self.contrast, self.contrast)
        gray = src * nd.array(_LUMA[None, None], dtype=src.dtype)
        mean = 3.0 * (1.0 - alpha) / gray.size * float(nd.sum(gray).asscalar())
        src *= alpha
        src += mean
        return src


class SaturationJitterAug(Augmenter):
    """Blend a float image with its per-pixel gray: alpha * src + (1 - alpha) * gray,
    alpha = 1 + a draw from [-saturation, saturation], in place.

    >>> mx.image.SaturationJitterAug(0.3)(img.astype('float32'))  # doctest: +SKIP
    """

    def __init__(self, saturation: float):
        super().__init__(saturation=saturation)
        self.saturation = saturation

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        alpha = 1.0 + _uniform(-self.saturation, self.saturation)
        gray = nd.sum(src * nd.array(_LUMA[None, None], dtype=src.dtype), axis=2,
                      keepdims=True)
        gray *= 1.0 - alpha
        src *= alpha
        src += gray
        return src


class HueJitterAug(Augmenter):
    """Rotate the hue of an RGB image by a draw from [-hue, hue] (in half turns) in YIQ
    space: the colour matrix is applied with `nd.dot`.

    >>> mx.image.HueJitterAug(0.1)(img.astype('float32'))  # doctest: +SKIP
    """

    def __init__(self, hue: float):
        super().__init__(hue=hue)
        self.hue = hue

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        alpha = _uniform(-self.hue, self.hue)
        u, w = math.cos(alpha * math.pi), math.sin(alpha * math.pi)
        turn = np.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
        return nd.dot(src, nd.array((_ITYIQ @ turn @ _TYIQ).T, dtype=src.dtype))


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter (those above 0), in a random order.

    >>> mx.image.ColorJitterAug(0.1, 0.1, 0.1)(img.astype('float32'))  # doctest: +SKIP
    """

    def __init__(self, brightness: float, contrast: float, saturation: float):
        ts: list[Augmenter] = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(Augmenter):
    """AlexNet's PCA lighting noise: add eigvec @ (alpha * eigval) to every pixel, alpha
    drawn from N(0, alphastd) per component, in place.

    >>> mx.image.LightingAug(0.1, eigval, eigvec)(img.astype('float32'))  # doctest: +SKIP
    """

    def __init__(self, alphastd: float, eigval: Any, eigvec: Any):
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd, self.eigval, self.eigvec = alphastd, eigval, eigvec

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        # a standard draw scaled, so that alphastd=0 (no noise) is allowed, as in NumPy
        alpha = self.alphastd * nd.random.normal(0, 1, shape=(3,), dtype="float64").asnumpy()
        rgb = np.dot(np.asarray(self.eigvec) * alpha, np.asarray(self.eigval))
        src += nd.array(rgb, dtype=src.dtype)
        return src


class ColorNormalizeAug(Augmenter):
    """`color_normalize(src, mean, std)`.

    >>> mx.image.ColorNormalizeAug([123.7, 116.3, 103.5], [58.4, 57.1, 57.4])  # doctest: +SKIP
    """

    def __init__(self, mean: Any, std: Any):
        super().__init__(mean=mean, std=std)
        self.mean = mean if mean is None or isinstance(mean, nd.NDArray) else nd.array(mean)
        self.std = std if std is None or isinstance(std, nd.NDArray) else nd.array(std)

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        return color_normalize(src, self.mean, self.std)


class RandomGrayAug(Augmenter):
    """With probability `p`, turn a float RGB image gray (0.21 R + 0.72 G + 0.07 B in
    every channel).

    >>> mx.image.RandomGrayAug(0.2)(img.astype('float32'))  # doctest: +SKIP
    """

    def __init__(self, p: float):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        if float(_unit_uniform(1)[0]) < self.p:
            mat = np.repeat(np.array([[0.21], [0.72], [0.07]]), 3, axis=1)
            src = nd.dot(src, nd.array(mat, dtype=src.dtype))
        return src


class HorizontalFlipAug(Augmenter):
    """With probability `p`, mirror an (H, W, C) image left to right.

    >>> mx.image.HorizontalFlipAug(0.5)(img)  # doctest: +SKIP
    """

    def __init__(self, p: float):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        if float(_unit_uniform(1)[0]) < self.p:
            src = nd.flip(src, axis=1)
        return src


class CastAug(Augmenter):
    """`src.astype(typ)`.

    >>> mx.image.CastAug()(img).dtype  # doctest: +SKIP
    <class 'numpy.float32'>
    """

    def __init__(self, typ: Any = "float32"):
        super().__init__(type=typ)
        self.typ = typ

    def __call__(self, src: nd.NDArray) -> nd.NDArray:
        return src.astype(self.typ)


def _channel_stats(owner: str, name: str, value: Any, default: Any) -> Any:
    """`mean` or `std` of an augmenter list: True is ImageNet's, `default`."""
    if value is True:
        return default
    if value is not None and (not isinstance(value, (np.ndarray, nd.NDArray))
                              or int(value.shape[0]) not in (1, 3)):
        raise ParamError(f"{owner}: {name} must be True, None or an array of 1 or 3 "
                         f"values, got {value!r}")
    return value


def CreateAugmenter(data_shape: tuple[int, int, int], resize: int = 0,  # noqa: N802
                    rand_crop: bool = False, rand_resize: bool = False,
                    rand_mirror: bool = False, mean: Any = None, std: Any = None,
                    brightness: float = 0, contrast: float = 0, saturation: float = 0,
                    hue: float = 0, pca_noise: float = 0, rand_gray: float = 0,
                    inter_method: int = 2) -> list[Augmenter]:
    """MXNet's standard augmenter list for images of `data_shape` (C, H, W): resize the
    short side, crop (random-sized, random or central), mirror, cast to float32, colour
    and hue jitter, PCA lighting, random gray, normalise (`mean`/`std` True: ImageNet's).

    >>> augs = mx.image.CreateAugmenter((3, 224, 224), resize=256, rand_crop=True,
    ...                                 rand_mirror=True, mean=True, std=True)  # doctest: +SKIP
    """
    augs: list[Augmenter] = []
    if resize > 0:
        augs.append(ResizeAug(resize, inter_method))
    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        if not rand_crop:
            raise ParamError("CreateAugmenter: rand_resize needs rand_crop=True")
        augs.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0), inter_method))
    elif rand_crop:
        augs.append(RandomCropAug(crop_size, inter_method))
    else:
        augs.append(CenterCropAug(crop_size, inter_method))
    if rand_mirror:
        augs.append(HorizontalFlipAug(0.5))
    augs.append(CastAug())
    if brightness or contrast or saturation:
        augs.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        augs.append(HueJitterAug(hue))
    if pca_noise > 0:
        augs.append(LightingAug(pca_noise, _EIGVAL, _EIGVEC))
    if rand_gray > 0:
        augs.append(RandomGrayAug(rand_gray))
    mean = _channel_stats("CreateAugmenter", "mean", mean,
                          nd.array([123.68, 116.28, 103.53]))
    std = _channel_stats("CreateAugmenter", "std", std, nd.array([58.395, 57.12, 57.375]))
    if mean is not None or std is not None:
        augs.append(ColorNormalizeAug(mean, std))
    return augs
