"""`mx.image`: decoding image files (through Pillow), MXNet's resizing, cropping, padding,
rotating and normalising functions for decoded (H, W, C) images (decode.py, preprocess.py,
rotate.py), the classic augmenters with `CreateAugmenter` (augment.py), and `ImageIter`
(image_iter.py).

    >>> img = mx.image.resize_short(mx.image.imread('cat.jpg'), 256)  # doctest: +SKIP
    >>> crop, rect = mx.image.center_crop(img, (224, 224))  # doctest: +SKIP
"""
from . import image  # (MXNet's mx.image.image module)
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

__all__ = [*image.__all__, "image"]  # (mx.image.image holds the same names)
del augment, decode, image_iter, preprocess, rotate  # type: ignore[name-defined]  # noqa: F821
