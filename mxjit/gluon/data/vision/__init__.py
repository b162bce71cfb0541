"""`gluon.data.vision`: the image datasets (MNIST, FashionMNIST, CIFAR10/100, RecordIO,
folders, lists) and `transforms`, the image transforms as blocks.

    >>> ds = mx.gluon.data.vision.MNIST(train=False)  # doctest: +SKIP
    >>> ds = ds.transform_first(mx.gluon.data.vision.transforms.ToTensor())  # doctest: +SKIP
"""
from . import datasets, transforms
from .datasets import (
    CIFAR10,
    CIFAR100,
    MNIST,
    FashionMNIST,
    ImageFolderDataset,
    ImageListDataset,
    ImageRecordDataset,
)

__all__ = ["datasets", "transforms", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100",
           "ImageRecordDataset", "ImageFolderDataset", "ImageListDataset"]
