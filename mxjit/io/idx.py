"""IDX files, the format of the MNIST data: a big-endian magic word 0x0000 08 <ndim> (8:
unsigned bytes), ndim big-endian uint32 sizes, then the values. Read by `MNISTIter` and by
`gluon.data.vision.MNIST`; gzipped files (.gz) are read too.

    >>> read_idx('train-labels-idx1-ubyte', 1).shape  # doctest: +SKIP
    (60000,)
"""
from __future__ import annotations

import gzip

import numpy as np

from ..base import MissingFileError, MXNetError

__all__ = ["read_idx"]


def read_idx(path: str, expected_ndim: int) -> np.ndarray:
    """The uint8 array an IDX file of `expected_ndim` dimensions holds.

    >>> images = read_idx('t10k-images-idx3-ubyte', 3)  # doctest: +SKIP
    """
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise MissingFileError(f"{path}: no such file (an IDX file of {expected_ndim}-D "
                               f"unsigned bytes was expected there)") from None
    magic = int.from_bytes(raw[:4], "big")
    ndim = magic & 0xFF
    if magic >> 8 != 0x08 or ndim != expected_ndim or len(raw) < 4 + 4 * ndim:
        raise MXNetError(f"{path} is not an IDX file of {expected_ndim}-D unsigned bytes "
                         f"(magic {magic:#010x}, expected {0x800 | expected_ndim:#010x})")
    shape = tuple(int.from_bytes(raw[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    values = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if values.size != int(np.prod(shape)):
        raise MXNetError(f"{path}: the header gives shape {shape} but the file holds "
                         f"{values.size} values")
    return values.reshape(shape)
