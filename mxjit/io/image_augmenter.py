"""MXNet's default image augmenter (`aug_default`, what `ImageRecordIter` runs on each
decoded (H, W, C) uint8 image), step by step in its order and with its random draws:

1. resize the shorter edge to `resize`;
2. one affine warp for rotation (`rotate`, or up to `max_rotate_angle`), shear
   (`max_shear_ratio`), scale (`min/max_random_scale`, each side kept in
   [`min_img_size`, `max_img_size`]) and aspect ratio (`max_aspect_ratio`, or
   `min_aspect_ratio`..`max_aspect_ratio`), uncovered pixels `fill_value`;
3. pad by `pad` pixels of `fill_value`;
4. crop: a random area and aspect ratio resized to the output (`random_resized_crop`), or
   a square of a random size in [`min_crop_size`, `max_crop_size`] resized to the output,
   or else the output size (centre, or random with `rand_crop`) after scaling up an image
   smaller than it;
5. brightness, contrast, saturation (in a random order), random hue, lightness and
   saturation offsets in HLS (`random_h/s/l`), PCA lighting noise (`pca_noise`).

Resizing and warping interpolate bilinearly where MXNet's `inter_method` says 1 (its
default); OpenCV's fixed-point rounding is not reproduced bit for bit.

    >>> aug = DefaultAugmenter(params, np.random.RandomState(0))  # doctest: +SKIP
    >>> out = aug(pixels)  # doctest: +SKIP
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import image, nd
from ..base import ParamError
from ..image import augment

#: ImageNet's RGB principal components scaled by their eigenvalues (MXNet's `eigvec`).
_PCA = augment._EIGVEC * augment._EIGVAL[None, :]
_LUMA = augment._LUMA


@dataclass(frozen=True)
class AugmentParams:
    """The augmenter's arguments, with MXNet's defaults."""

    data_shape: tuple[int, int, int]
    resize: int = -1
    rand_crop: bool = False
    random_resized_crop: bool = False
    max_rotate_angle: int = 0
    rotate: int = -1
    max_aspect_ratio: float = 0.0
    min_aspect_ratio: float | None = None
    max_shear_ratio: float = 0.0
    max_crop_size: int = -1
    min_crop_size: int = -1
    max_random_scale: float = 1.0
    min_random_scale: float = 1.0
    max_random_area: float = 1.0
    min_random_area: float = 1.0
    max_img_size: float = 1e10
    min_img_size: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    pca_noise: float = 0.0
    random_h: int = 0
    random_s: int = 0
    random_l: int = 0
    fill_value: int = 255
    inter_method: int = 1
    pad: int = 0

    def aspect_range(self) -> tuple[float, float]:
        """(min, max) aspect ratio: `max_aspect_ratio` alone means 1 -/+ it."""
        if self.min_aspect_ratio is not None:
            return float(self.min_aspect_ratio), float(self.max_aspect_ratio)
        return 1 - self.max_aspect_ratio, 1 + self.max_aspect_ratio

    def check(self, who: str) -> None:
        """MXNet's checks of the combinations it refuses."""
        if self.inter_method not in (0, 1, 2, 3, 4, 9, 10):
            raise ParamError(f"{who}: invalid inter_method {self.inter_method}: valid values "
                             f"are 0-4, 9 and 10")
        if self.warps() and self.inter_method == 0:
            raise ParamError(f"{who}: rotation, shear, random scale, aspect ratio and image "
                             f"size limits warp the image, which takes inter_method 1-4, 9 or "
                             f"10, not 0")
        if self.random_resized_crop and (
                (self.min_random_scale, self.max_random_scale) != (1.0, 1.0)
                or self.min_crop_size != -1 or self.max_crop_size != -1 or self.rand_crop):
            raise ParamError(f"{who}: random_resized_crop conflicts with min_random_scale, "
                             f"max_random_scale, min_crop_size, max_crop_size and rand_crop")
        if (self.max_crop_size, self.min_crop_size) != (-1, -1) and not (
                0 < self.min_crop_size <= self.max_crop_size):
            raise ParamError(f"{who}: need 0 < min_crop_size <= max_crop_size, got "
                             f"{self.min_crop_size} and {self.max_crop_size}")
        low, high = self.aspect_range()
        if self.random_resized_crop and not 0 < low <= high:
            raise ParamError(f"{who}: need 0 < min_aspect_ratio <= max_aspect_ratio, got "
                             f"{low} and {high}")
        if self.min_random_area > self.max_random_area:
            raise ParamError(f"{who}: need min_random_area <= max_random_area, got "
                             f"{self.min_random_area} and {self.max_random_area}")
        if (self.brightness or self.contrast or self.saturation or self.pca_noise
                or self.random_h or self.random_s or self.random_l) and self.data_shape[0] != 3:
            raise ParamError(f"{who}: colour augmentations need RGB images (3 channels), "
                             f"data_shape is {self.data_shape}")

    def warps(self) -> bool:
        low, high = self.aspect_range()
        return bool(self.max_rotate_angle > 0 or self.max_shear_ratio > 0 or self.rotate > 0
                    or self.max_random_scale != 1 or self.min_random_scale != 1
                    or (not self.random_resized_crop and (low, high) != (1, 1))
                    or self.max_img_size != 1e10 or self.min_img_size != 0)


class DefaultAugmenter:
    """MXNet's `aug_default` over (H, W, C) uint8 RGB(A) pixels, drawing from `rng`."""

    def __init__(self, params: AugmentParams, rng: np.random.RandomState):
        self.p = params
        self.rng = rng

    def __call__(self, img: np.ndarray) -> np.ndarray:
        p = self.p
        if p.resize > 0:
            rows, cols = img.shape[:2]
            size = ((p.resize * rows // cols, p.resize) if rows > cols
                    else (p.resize, p.resize * cols // rows))
            img = self._resize(img, size)
        if p.warps():
            img = self._warp(img)
        if p.pad > 0:
            img = np.pad(img, [(p.pad, p.pad), (p.pad, p.pad), (0, 0)],
                         constant_values=p.fill_value)
        img = self._crop(img)
        if p.brightness > 0 or p.contrast > 0 or p.saturation > 0:
            img = self._jitter(img)
        if p.random_h or p.random_s or p.random_l:
            img = self._hls(img)
        if p.pca_noise > 0:
            alpha = self.rng.normal(0, p.pca_noise, size=3).astype(np.float32)
            shift = (_PCA @ alpha).astype(np.float32)
            img = np.clip((img.astype(np.int32) + shift).astype(np.int32), 0, 255)
            img = img.astype(np.uint8)
        return img

    def _resize(self, img: np.ndarray, rows_cols: tuple[int, int]) -> np.ndarray:
        rows, cols = rows_cols
        if (rows, cols) == img.shape[:2]:
            return img
        out = image.imresize(nd.array(img, dtype=np.uint8), max(cols, 1), max(rows, 1),
                             interp=self.p.inter_method)
        return out.asnumpy()  # type: ignore[no-any-return]

    def _warp(self, img: np.ndarray) -> np.ndarray:
        p, rng = self.p, self.rng
        shear = rng.uniform() * p.max_shear_ratio * 2 - p.max_shear_ratio
        angle = rng.randint(-p.max_rotate_angle, p.max_rotate_angle + 1)
        if p.rotate > 0:
            angle = p.rotate
        a, b = math.cos(angle / 180 * math.pi), math.sin(angle / 180 * math.pi)
        scale = ratio = 1.0
        if not p.random_resized_crop:
            scale = rng.uniform() * (p.max_random_scale - p.min_random_scale) + p.min_random_scale
            low, high = p.aspect_range()
            ratio = rng.uniform() * (high - low) + low
        hs = 2 * scale / (1 + ratio)
        ws = ratio * hs
        rows, cols = img.shape[:2]
        width = int(max(p.min_img_size, min(p.max_img_size, scale * cols)))
        height = int(max(p.min_img_size, min(p.max_img_size, scale * rows)))
        m = np.array([[hs * a - shear * b * ws, hs * b + shear * a * ws, 0.0],
                      [-b * ws, a * ws, 0.0]])
        m[0, 2] = (width - (m[0, 0] * cols + m[0, 1] * rows)) / 2
        m[1, 2] = (height - (m[1, 0] * cols + m[1, 1] * rows)) / 2
        return warp_affine(img, m, (height, width), p.fill_value)

    def _crop(self, img: np.ndarray) -> np.ndarray:
        p, rng = self.p, self.rng
        height, width = p.data_shape[1:]
        rows, cols = img.shape[:2]
        low, high = p.aspect_range()
        if p.random_resized_crop:
            if (p.max_random_area, p.min_random_area, low, high) != (1, 1, 1, 1):
                for _ in range(10):
                    target = rows * cols * rng.uniform(p.min_random_area, p.max_random_area)
                    aspect = rng.uniform(low, high)
                    y_size = int(round(math.sqrt(target / aspect)))
                    x_size = int(round(math.sqrt(target * aspect)))
                    if rng.uniform() > 0.5:
                        y_size, x_size = x_size, y_size
                    if y_size <= rows and x_size <= cols:
                        y = rng.randint(0, rows - y_size + 1)
                        x = rng.randint(0, cols - x_size + 1)
                        return self._resize(img[y:y + y_size, x:x + x_size], (height, width))
        elif p.max_crop_size != -1 or p.min_crop_size != -1:
            if rows < p.max_crop_size or cols < p.max_crop_size:
                raise ParamError(f"ImageRecordIter: the image ({rows}x{cols} after the "
                                 f"augmentations before cropping) is smaller than "
                                 f"max_crop_size {p.max_crop_size}")
            size = rng.randint(p.min_crop_size, p.max_crop_size + 1)
            y, x = rows - size, cols - size
            if p.rand_crop:
                y, x = rng.randint(0, y + 1), rng.randint(0, x + 1)
            else:
                y, x = y // 2, x // 2
            return self._resize(img[y:y + size, x:x + size], (height, width))
        if rows < height:  # (scaled up until the crop fits, each side in turn, as MXNet)
            cols = int(np.float32(height) / np.float32(rows) * np.float32(cols))
            img, rows = self._resize(img, (height, cols)), height
        if cols < width:
            rows = int(np.float32(width) / np.float32(cols) * np.float32(rows))
            img, cols = self._resize(img, (rows, width)), width
        y, x = rows - height, cols - width
        if p.rand_crop:
            y, x = rng.randint(0, y + 1), rng.randint(0, x + 1)
        else:
            y, x = y // 2, x // 2
        return img[y:y + height, x:x + width]

    def _jitter(self, img: np.ndarray) -> np.ndarray:
        p, rng = self.p, self.rng
        alphas = [1 + rng.uniform(-v, v) for v in (p.brightness, p.contrast, p.saturation)]
        rgb = img.astype(np.float64)
        for k in rng.permutation(3):
            alpha = alphas[k]
            if k == 0:
                rgb = rgb * alpha
            elif k == 1:
                gray = np.clip(np.rint(rgb @ _LUMA), 0, 255)
                rgb = rgb * alpha + (1 - alpha) * gray.mean()
            else:
                gray = np.clip(np.rint(rgb @ _LUMA), 0, 255)
                rgb = rgb * alpha + (1 - alpha) * gray[..., None]
            rgb = np.clip(np.rint(rgb), 0, 255)  # (each step saturates to uint8, as OpenCV)
        return rgb.astype(np.uint8)

    def _hls(self, img: np.ndarray) -> np.ndarray:
        p, rng = self.p, self.rng
        draws = [(rng.uniform() + 4 * rng.uniform()) / 5 for _ in range(3)]
        offsets = [int(r * v * 2 - v) for r, v in zip(draws, (p.random_h, p.random_s,
                                                                p.random_l))]
        hls = rgb_to_hls(img).astype(np.int32)
        hls += np.array([offsets[0], offsets[2], offsets[1]], np.int32)  # (h, l, s)
        hls = np.clip(hls, 0, np.array([180, 255, 255], np.int32))
        return hls_to_rgb(hls.astype(np.uint8))


def warp_affine(img: np.ndarray, m: np.ndarray, size: tuple[int, int], fill: float
                ) -> np.ndarray:
    """(H, W, C) uint8 `img` mapped by the 2x3 matrix `m` (output position = m @ (x, y, 1))
    onto an image of `size` (rows, cols), sampled bilinearly, `fill` where the source is
    outside (OpenCV's warpAffine with a constant border).

    >>> warp_affine(img, np.array([[1., 0, 2], [0, 1, 0]]), (4, 4), 255)  # doctest: +SKIP
    """
    rows, cols = size
    inverse = np.linalg.inv(np.vstack([m, [0.0, 0.0, 1.0]]))[:2]
    ys, xs = np.mgrid[0:rows, 0:cols].astype(np.float64)
    sx = inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]
    sy = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]
    x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    h, w = img.shape[:2]
    padded = np.pad(img.astype(np.float64), [(1, 1), (1, 1), (0, 0)], constant_values=fill)

    def at(y: np.ndarray, x: np.ndarray) -> np.ndarray:
        return padded[np.clip(y + 1, 0, h + 1), np.clip(x + 1, 0, w + 1)]

    out = ((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1))
           + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)))
    outside = (sx < -1) | (sx > w) | (sy < -1) | (sy > h)
    out[outside] = fill
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def rgb_to_hls(rgb: np.ndarray) -> np.ndarray:
    """OpenCV's 8-bit RGB -> HLS: hue in [0, 180) (degrees halved), lightness and
    saturation in [0, 255]."""
    x = rgb.astype(np.float64) / 255
    high, low = x.max(-1), x.min(-1)
    light = (high + low) / 2
    diff = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        sat = np.where(diff == 0, 0, np.where(light < 0.5, diff / (high + low),
                                              diff / (2 - high - low)))
        r, g, b = x[..., 0], x[..., 1], x[..., 2]
        hue = np.where(high == r, 60 * (g - b) / diff,
                       np.where(high == g, 120 + 60 * (b - r) / diff, 240 + 60 * (r - g) / diff))
    hue = np.where(diff == 0, 0, hue)
    hue = np.where(hue < 0, hue + 360, hue)
    out = np.stack([hue / 2, light * 255, sat * 255], axis=-1)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def hls_to_rgb(hls: np.ndarray) -> np.ndarray:
    """OpenCV's 8-bit HLS -> RGB, the inverse of `rgb_to_hls`."""
    h = hls[..., 0].astype(np.float64) * 2
    light = hls[..., 1].astype(np.float64) / 255
    sat = hls[..., 2].astype(np.float64) / 255
    q = np.where(light <= 0.5, light * (1 + sat), light + sat - light * sat)
    p = 2 * light - q

    def channel(t: np.ndarray) -> np.ndarray:
        t = np.mod(t, 360)
        return np.where(t < 60, p + (q - p) * t / 60,
                        np.where(t < 180, q, np.where(t < 240, p + (q - p) * (240 - t) / 60, p)))

    rgb = np.stack([channel(h + 120), channel(h), channel(h - 120)], axis=-1)
    rgb = np.where(sat[..., None] == 0, light[..., None], rgb)
    return np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8)
