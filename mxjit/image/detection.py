"""`mx.image.detection` (also `mx.image.det`): the module MXNet defines its detection
augmenters and `ImageDetIter` in, under that name, for code that imports from it
directly. The names are `mx.image`'s.

    >>> from mxjit.image.detection import CreateDetAugmenter  # doctest: +SKIP
    >>> augs = CreateDetAugmenter((3, 300, 300), rand_crop=0.5)  # doctest: +SKIP
"""
from __future__ import annotations

from .det_augment import (
    CreateDetAugmenter,
    CreateMultiRandCropAugmenter,
    DetAugmenter,
    DetBorrowAug,
    DetHorizontalFlipAug,
    DetRandomCropAug,
    DetRandomPadAug,
    DetRandomSelectAug,
)
from .det_iter import ImageDetIter

__all__ = ["DetAugmenter", "DetBorrowAug", "DetRandomSelectAug", "DetHorizontalFlipAug",
           "DetRandomCropAug", "DetRandomPadAug", "CreateMultiRandCropAugmenter",
           "CreateDetAugmenter", "ImageDetIter"]


def __dir__() -> list[str]:  # (what tab completion offers: the public names)
    return __all__
