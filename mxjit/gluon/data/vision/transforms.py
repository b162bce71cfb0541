"""`gluon.data.vision.transforms`: image transforms as blocks, each calling the
`mx.nd.image` operator (or the `mx.image` function) of the same meaning.

Images are (H, W, C) as decoded (uint8, values in [0, 255]) until `ToTensor` makes them
(C, H, W) float32 in [0, 1]; `Resize`, `CropResize` and `ToTensor` also take batches (N, H,
W, C). The random transforms draw from mxjit's random streams: `mx.random.seed` repeats
them, eagerly and hybridized alike.

    >>> tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224),
    ...                          transforms.ToTensor(),
    ...                          transforms.Normalize(0.45, 0.225)])  # doctest: +SKIP
    >>> tf(mx.image.imread('cat.jpg')).shape  # doctest: +SKIP
    (3, 224, 224)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .... import image, nd
from ...block import Block, HybridBlock
from ...nn import HybridSequential, Sequential

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "RandomResizedCrop", "CropResize",
           "CenterCrop", "Resize", "RandomFlipLeftRight", "RandomFlipTopBottom",
           "RandomBrightness", "RandomContrast", "RandomSaturation", "RandomHue",
           "RandomColorJitter", "RandomLighting", "RandomApply"]


def __dir__() -> list[str]:
    return __all__


def _pair(size: Any) -> tuple[int, int]:
    """A size given as one number is square."""
    if isinstance(size, (int, float)):
        return int(size), int(size)
    w, h = size
    return int(w), int(h)


class Compose(Sequential):
    """Transforms applied one after the other. Each run of consecutive HybridBlocks
    becomes one hybridized HybridSequential (one compiled program per input shape), as in
    MXNet.

    >>> tf = transforms.Compose([transforms.Resize(32), transforms.ToTensor()])  # doctest: +SKIP
    """

    def __init__(self, transforms: Sequence[Block]):
        super().__init__()
        run: list[Block] = []
        for t in [*transforms, None]:
            if isinstance(t, HybridBlock):
                run.append(t)
                continue
            if len(run) == 1:
                self.add(run[0])
            elif run:
                group = HybridSequential()
                group.add(*run)
                group.hybridize()
                self.add(group)
            run = []
            if t is not None:
                self.add(t)


class Cast(HybridBlock):
    """Cast the input to `dtype`.

    >>> transforms.Cast('float32')(mx.nd.ones((2, 2, 3), dtype='uint8')).dtype  # doctest: +SKIP
    <class 'numpy.float32'>
    """

    def __init__(self, dtype: Any = "float32"):
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.cast(x, self._dtype)


class ToTensor(HybridBlock):
    """(H, W, C) or (N, H, W, C) images with values in [0, 255] to float32 (C, H, W) or (N,
    C, H, W) tensors with values in [0, 1].

    >>> transforms.ToTensor()(mx.nd.ones((4, 2, 3), dtype='uint8')).shape  # doctest: +SKIP
    (3, 4, 2)
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.image.to_tensor(x)


class Normalize(HybridBlock):
    """(x - mean[c]) / std[c] per channel of (C, H, W) or (N, C, H, W) tensors; one number
    serves every channel.

    >>> transforms.Normalize((0.5, 0.5, 0.5), 0.25)(mx.nd.ones((3, 2, 2)))  # doctest: +SKIP
    """

    def __init__(self, mean: Any = 0.0, std: Any = 1.0):
        super().__init__()
        self._mean = mean
        self._std = std

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.image.normalize(x, self._mean, self._std)


class RandomResizedCrop(Block):
    """A random window of an (H, W, C) image covering a fraction in `scale` of its area,
    with aspect ratio (w/h) drawn log-uniformly from `ratio`, resized to `size` (w, h; one
    number for a square).

    >>> transforms.RandomResizedCrop(224)(mx.image.imread('cat.jpg')).shape  # doctest: +SKIP
    (224, 224, 3)
    """

    def __init__(self, size: Any, scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0), interpolation: int = 1):
        super().__init__()
        self._args = (_pair(size), scale, ratio, interpolation)

    def forward(self, x: Any) -> Any:
        return image.random_size_crop(x, *self._args)[0]


class CropResize(HybridBlock):
    """The `width` x `height` window at column `x`, row `y` of (H, W, C) or (N, H, W, C)
    images, resized to `size` (w, h; one number for a square) when given.

    >>> transforms.CropResize(0, 0, 100, 80, size=(50, 40))(img).shape  # doctest: +SKIP
    (40, 50, 3)
    """

    def __init__(self, x: int, y: int, width: int, height: int, size: Any = None,
                 interpolation: int | None = None):
        super().__init__()
        self._x = x
        self._y = y
        self._width = width
        self._height = height
        self._size = size
        self._interpolation = 1 if interpolation is None else interpolation

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        out = F.image.crop(x, self._x, self._y, self._width, self._height)
        if self._size:
            out = F.image.resize(out, self._size, False, self._interpolation)
        return out


class CenterCrop(Block):
    """The central `size` (w, h; one number for a square) window of an (H, W, C) image;
    an image smaller than that is cropped to the largest window of that aspect ratio and
    resized up.

    >>> transforms.CenterCrop((100, 50))(mx.nd.zeros((80, 120, 3))).shape  # doctest: +SKIP
    (50, 100, 3)
    """

    def __init__(self, size: Any, interpolation: int = 1):
        super().__init__()
        self._args = (_pair(size), interpolation)

    def forward(self, x: Any) -> Any:
        return image.center_crop(x, *self._args)[0]


class Resize(HybridBlock):
    """Resize (H, W, C) or (N, H, W, C) images to `size` (w, h), or to a square of `size`
    pixels, or with `keep_ratio` so that the shorter side is `size`.

    >>> transforms.Resize((100, 50))(mx.nd.zeros((80, 120, 3))).shape  # doctest: +SKIP
    (50, 100, 3)
    """

    def __init__(self, size: Any, keep_ratio: bool = False, interpolation: int = 1):
        super().__init__()
        self._size = size
        self._keep = keep_ratio
        self._interpolation = interpolation

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.image.resize(x, self._size, self._keep, self._interpolation)


class RandomFlipLeftRight(HybridBlock):
    """Mirror an (H, W, C) image left to right with probability 1/2.

    >>> transforms.RandomFlipLeftRight()(img)  # doctest: +SKIP
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.image.random_flip_left_right(x)


class RandomFlipTopBottom(HybridBlock):
    """Mirror an (H, W, C) image top to bottom with probability 1/2.

    >>> transforms.RandomFlipTopBottom()(img)  # doctest: +SKIP
    """

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.image.random_flip_top_bottom(x)


class _RandomFactor(HybridBlock):
    """A colour transform by a factor drawn from [max(0, 1 - amount), 1 + amount]."""

    _operator: str

    def __init__(self, amount: float):
        super().__init__()
        self._args = (max(0.0, 1.0 - amount), 1.0 + amount)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return getattr(F.image, self._operator)(x, *self._args)


class RandomBrightness(_RandomFactor):
    """Scale an (H, W, C) image by a factor drawn from [max(0, 1 - brightness), 1 +
    brightness].

    >>> transforms.RandomBrightness(0.3)(img)  # doctest: +SKIP
    """

    _operator = "random_brightness"

    def __init__(self, brightness: float):
        super().__init__(brightness)


class RandomContrast(_RandomFactor):
    """Blend an (H, W, C) image with its mean gray level by a factor drawn from [max(0, 1 -
    contrast), 1 + contrast].

    >>> transforms.RandomContrast(0.3)(img)  # doctest: +SKIP
    """

    _operator = "random_contrast"

    def __init__(self, contrast: float):
        super().__init__(contrast)


class RandomSaturation(_RandomFactor):
    """Blend each pixel of an (H, W, 3) image with its gray level by a factor drawn from
    [max(0, 1 - saturation), 1 + saturation].

    >>> transforms.RandomSaturation(0.3)(img)  # doctest: +SKIP
    """

    _operator = "random_saturation"

    def __init__(self, saturation: float):
        super().__init__(saturation)


class RandomHue(_RandomFactor):
    """Rotate the hue of an (H, W, 3) image by a factor drawn from [max(0, 1 - hue), 1 +
    hue] times 360 degrees (so by at most hue * 360 degrees either way).

    >>> transforms.RandomHue(0.1)(img)  # doctest: +SKIP
    """

    _operator = "random_hue"

    def __init__(self, hue: float):
        super().__init__(hue)


class RandomColorJitter(HybridBlock):
    """Brightness, contrast and saturation changes (factors from [1 - x, 1 + x]) and a hue
    rotation (by up to hue * 360 degrees), in a random order, each only where its amount
    is positive.

    >>> transforms.RandomColorJitter(0.4, 0.4, 0.4, 0.1)(img)  # doctest: +SKIP
    """

    def __init__(self, brightness: float = 0, contrast: float = 0, saturation: float = 0,
                 hue: float = 0):
        super().__init__()
        self._args = (brightness, contrast, saturation, hue)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.image.random_color_jitter(x, *self._args)


class RandomLighting(HybridBlock):
    """AlexNet's PCA lighting noise on an (H, W, 3) image, its three weights drawn from
    N(0, alpha**2).

    >>> transforms.RandomLighting(0.1)(img)  # doctest: +SKIP
    """

    def __init__(self, alpha: float):
        super().__init__()
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.image.random_lighting(x, self._alpha)


class RandomApply(Sequential):
    """Apply `transforms` (a block) with probability `p`, else pass the input through.

    >>> transforms.RandomApply(transforms.RandomBrightness(0.5), p=0.3)(img)  # doctest: +SKIP
    """

    def __init__(self, transforms: Block, p: float = 0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x: Any) -> Any:
        if self.p < float(nd.random.uniform(0.0, 1.0, shape=(1,)).asscalar()):
            return x
        return self.transforms(x)
