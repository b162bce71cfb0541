"""`mx.image.image`: the module MXNet defines its image functions, augmenters and
`ImageIter` in, under that name, for code that imports from it directly (GluonCV's
`from mxnet.image.image import _get_interp_method`). The names are `mx.image`'s.

    >>> from mxjit.image.image import _get_interp_method  # doctest: +SKIP
    >>> _get_interp_method(9, (100, 100, 50, 50))  # doctest: +SKIP
    3
"""
from __future__ import annotations

from .augment import (
    Augmenter,
    BrightnessJitterAug,
    CastAug,
    CenterCropAug,
    ColorJitterAug,
    ColorNormalizeAug,
    ContrastJitterAug,
    CreateAugmenter,
    ForceResizeAug,
    HorizontalFlipAug,
    HueJitterAug,
    LightingAug,
    RandomCropAug,
    RandomGrayAug,
    RandomOrderAug,
    RandomSizedCropAug,
    ResizeAug,
    SaturationJitterAug,
    SequentialAug,
)
from .decode import imdecode, imread
from .image_iter import ImageIter
from .preprocess import (
    _interp_method,
    center_crop,
    color_normalize,
    copyMakeBorder,
    fixed_crop,
    imresize,
    random_crop,
    random_size_crop,
    resize_short,
    scale_down,
)
from .rotate import imrotate, random_rotate

__all__ = ["imread", "imresize", "imdecode", "scale_down", "copyMakeBorder", "resize_short",
           "fixed_crop", "random_crop", "center_crop", "color_normalize", "random_size_crop",
           "imrotate", "random_rotate", "Augmenter", "SequentialAug", "ResizeAug",
           "ForceResizeAug", "RandomCropAug", "RandomSizedCropAug", "CenterCropAug",
           "RandomOrderAug", "BrightnessJitterAug", "ContrastJitterAug", "SaturationJitterAug",
           "HueJitterAug", "ColorJitterAug", "LightingAug", "ColorNormalizeAug",
           "RandomGrayAug", "HorizontalFlipAug", "CastAug", "CreateAugmenter", "ImageIter"]


def __dir__() -> list[str]:  # (what tab completion offers: the public names)
    return __all__


def _get_interp_method(interp: int, sizes: tuple[int, ...] = ()) -> int:
    """MXNet's interpolation code made concrete: 9 picks by direction from `sizes` (old h,
    old w, new h, new w; bicubic without them), 10 picks at random.

    >>> _get_interp_method(9)  # doctest: +SKIP
    2
    """
    if interp == 9 and not sizes:
        return 2
    return _interp_method(interp, sizes)  # type: ignore[arg-type]
