"""`mx.image`: decoding image files (through Pillow) and MXNet's resizing, cropping and
normalising functions for decoded (H, W, C) images.

    >>> img = mx.image.resize_short(mx.image.imread('cat.jpg'), 256)  # doctest: +SKIP
    >>> crop, rect = mx.image.center_crop(img, (224, 224))  # doctest: +SKIP
"""
from .decode import imdecode, imread
from .preprocess import (
    center_crop,
    color_normalize,
    fixed_crop,
    imresize,
    random_crop,
    random_size_crop,
    resize_short,
    scale_down,
)

__all__ = ["imdecode", "imread", "imresize", "scale_down", "resize_short", "fixed_crop",
           "random_crop", "center_crop", "random_size_crop", "color_normalize"]
del decode, preprocess  # type: ignore[name-defined]  # noqa: F821
