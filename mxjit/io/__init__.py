"""`mx.io`: MXNet's data iterators. io.py holds the protocol (DataDesc, DataBatch, DataIter)
and the Python iterators (NDArrayIter, ResizeIter, PrefetchingIter); native.py and
image_record.py the file iterators MXNet writes in C++ (CSVIter, LibSVMIter, MNISTIter,
ImageRecordIter); idx.py reads MNIST's IDX files.

    >>> it = mx.io.NDArrayIter(np.ones((10, 3)), np.arange(10), batch_size=4)  # doctest: +SKIP
    >>> next(it).data[0].shape  # doctest: +SKIP
    (4, 3)
"""
from . import io, utils
from .image_record import ImageRecordInt8Iter, ImageRecordIter, ImageRecordUInt8Iter
from .io import DataBatch, DataDesc, DataIter, NDArrayIter, PrefetchingIter, ResizeIter
from .native import CSVIter, LibSVMIter, MNISTIter, MXDataIter
from .utils import _getdata_by_idx, _has_instance, _init_data

# MXNet's first C++ record iterators: the same parameters and batches as their successors
ImageRecordIter_v1 = ImageRecordIter
ImageRecordUInt8Iter_v1 = ImageRecordUInt8Iter

__all__ = ["io", "DataDesc", "DataBatch", "DataIter", "NDArrayIter", "ResizeIter",
           "PrefetchingIter", "MXDataIter", "CSVIter", "LibSVMIter", "MNISTIter",
           "ImageRecordIter", "ImageRecordUInt8Iter", "ImageRecordInt8Iter", "utils",
           "ImageRecordIter_v1", "ImageRecordUInt8Iter_v1"]


def __dir__() -> list[str]:
    return __all__
