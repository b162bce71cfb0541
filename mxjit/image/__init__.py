"""`mx.image`: decoding image files (through Pillow), MXNet's resizing, cropping, padding,
rotating and normalising functions for decoded (H, W, C) images (decode.py, preprocess.py,
rotate.py), the classic augmenters with `CreateAugmenter` (augment.py), and `ImageIter`
(image_iter.py).

    >>> img = mx.image.resize_short(mx.image.imread('cat.jpg'), 256)  # doctest: +SKIP
    >>> crop, rect = mx.image.center_crop(img, (224, 224))  # doctest: +SKIP
"""
from . import image  # (MXNet's mx.image.image module, which defines the same names)
from .image import *  # noqa: F403

__all__ = [*image.__all__, "image"]
del augment, decode, image_iter, preprocess, rotate  # type: ignore[name-defined]  # noqa: F821
