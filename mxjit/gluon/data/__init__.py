"""`mx.gluon.data`: datasets (dataset.py), samplers (sampler.py), the DataLoader that
batches them in this process or in workers (dataloader.py, worker_pool.py), and `vision`,
the image datasets and transforms.

    >>> ds = mx.gluon.data.ArrayDataset(X, y)  # doctest: +SKIP
    >>> loader = mx.gluon.data.DataLoader(ds, batch_size=8, shuffle=True)  # doctest: +SKIP
"""
from . import dataloader, dataset, sampler, vision
from .dataloader import DataLoader
from .dataset import ArrayDataset, Dataset, RecordFileDataset, SimpleDataset
from .sampler import (
    BatchSampler,
    FilterSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SplitSampler,
)

__all__ = ["dataloader", "dataset", "sampler", "vision", "DataLoader", "ArrayDataset", "Dataset",
           "RecordFileDataset", "SimpleDataset", "BatchSampler", "FilterSampler",
           "RandomSampler", "Sampler", "SequentialSampler", "SplitSampler"]


def __dir__() -> list[str]:
    return __all__
