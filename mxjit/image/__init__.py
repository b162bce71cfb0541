"""`mx.image`: decoding image files (through Pillow), MXNet's resizing, cropping, padding,
rotating and normalising functions for decoded (H, W, C) images (decode.py, preprocess.py,
rotate.py), the classic augmenters with `CreateAugmenter` (augment.py), `ImageIter`
(image_iter.py), and for object detection the augmenters of (image, boxes) pairs with
`CreateDetAugmenter` (det_augment.py) and `ImageDetIter` (det_iter.py, det_draw.py).

    >>> img = mx.image.resize_short(mx.image.imread('cat.jpg'), 256)  # doctest: +SKIP
    >>> crop, rect = mx.image.center_crop(img, (224, 224))  # doctest: +SKIP
"""
from . import detection, image  # (MXNet's mx.image.image and mx.image.detection modules)
from . import detection as det
from .detection import *  # noqa: F403
from .image import *  # noqa: F403

__all__ = [*image.__all__, *detection.__all__, "image", "detection", "det"]
del augment, decode, image_iter, preprocess, rotate  # type: ignore[name-defined]  # noqa: F821
del det_augment, det_draw, det_iter  # type: ignore[name-defined]  # noqa: F821
