"""The data helpers of MXNet's `test_utils`: downloads (MNIST, CIFAR-10, models, zip and
bz2 archives), the MNIST iterators and `DummyIter`, for scripts that call them as
`mx.test_utils.get_mnist()`. Each reads files already present (in the working folder, as
MXNet's do) before downloading; without network a missing file is an MXNetError naming
the URL.

    >>> mnist = mx.test_utils.get_mnist()  # doctest: +SKIP
    >>> mnist['train_data'].shape  # doctest: +SKIP
    (60000, 1, 28, 28)
"""
from __future__ import annotations

import bz2
import gzip
import os
import struct
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import MissingFileError
from .data_iter import DataBatch, DataIter
from .download import fetch
from .io import MNISTIter

#: Where MXNet's test data and models are served from.
DATA_URL = "http://data.mxnet.io/"
MODEL_URL = DATA_URL + "models/"
#: MXNet's table of `download_model` names: (symbol file, parameter file) under MODEL_URL.
MODELS = {
    "imagenet1k-inception-bn": ("imagenet/inception-bn/Inception-BN-symbol.json",
                                "imagenet/inception-bn/Inception-BN-0126.params"),
    **{f"imagenet1k-resnet-{d}": (f"imagenet/resnet/{d}-layers/resnet-{d}-symbol.json",
                                  f"imagenet/resnet/{d}-layers/resnet-{d}-0000.params")
       for d in (18, 34, 50, 101, 152)},
    **{f"imagenet1k-resnext-{d}": (f"imagenet/resnext/{d}-layers/resnext-{d}-symbol.json",
                                   f"imagenet/resnext/{d}-layers/resnext-{d}-0000.params")
       for d in (50, 101)},
    "imagenet1k-resnext-101-64x4d": (
        "imagenet/resnext/101-layers/resnext-101-64x4d-symbol.json",
        "imagenet/resnext/101-layers/resnext-101-64x4d-0000.params"),
    "imagenet11k-resnet-152": ("imagenet-11k/resnet-152/resnet-152-symbol.json",
                               "imagenet-11k/resnet-152/resnet-152-0000.params"),
    **{f"imagenet11k-place365ch-resnet-{d}": (
        f"imagenet-11k-place365-ch/resnet-{d}-symbol.json",
        f"imagenet-11k-place365-ch/resnet-{d}-0000.params") for d in (50, 152)},
}
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def download(url: str, fname: str | None = None, dirname: str | None = None,
             overwrite: bool = False, retries: int = 5) -> str:
    """Download `url` to `fname` (default: the URL's last part) in `dirname` (default:
    fname's folder), unless it is there and not `overwrite`; returns the file's path.

    >>> mx.test_utils.download('http://data.mxnet.io/data/mnist/t10k-labels-idx1-ubyte.gz'
    ...                        )  # doctest: +SKIP
    't10k-labels-idx1-ubyte.gz'
    """
    if fname is None:
        fname = url.split("/")[-1]
    if dirname is not None:
        fname = os.path.join(dirname, fname)
    if not overwrite and os.path.exists(fname):
        return fname
    return fetch(url, fname, retries)


def download_model(model_name: str, dst_dir: str = "./",
                   meta_info: dict[str, dict[str, str]] | None = None) -> tuple[str | None, int]:
    """Download a model's symbol and epoch-0 parameters (MXNet's table of names, or
    `meta_info` {name: {'symbol': url, 'params': url}}) into `dst_dir`; returns the path
    prefix and epoch for `mx.model.load_checkpoint`, or (None, 0) for an unknown name.

    >>> mx.test_utils.download_model('imagenet1k-resnet-18', 'models')  # doctest: +SKIP
    ('models/imagenet1k-resnet-18', 0)
    """
    table = meta_info if meta_info is not None else {
        k: {"symbol": MODEL_URL + s, "params": MODEL_URL + p} for k, (s, p) in MODELS.items()}
    if model_name not in table:
        return None, 0
    os.makedirs(dst_dir, exist_ok=True)
    prefix = os.path.join(dst_dir, model_name)
    download(table[model_name]["symbol"], prefix + "-symbol.json")
    download(table[model_name]["params"], prefix + "-0000.params")
    return prefix, 0


def _read_idx(labels: str, images: str) -> tuple[np.ndarray, np.ndarray]:
    """(labels as int8, images as float32 (N, 1, 28, 28) in [0, 1]) of a gzipped idx pair."""
    with gzip.open(labels) as f:
        struct.unpack(">II", f.read(8))
        label = np.frombuffer(f.read(), dtype=np.int8)
    with gzip.open(images) as f:
        _, _, rows, cols = struct.unpack(">IIII", f.read(16))
        image = np.frombuffer(f.read(), dtype=np.uint8).reshape(len(label), 1, rows, cols)
    return label, image.astype(np.float32) / 255


def get_mnist() -> dict[str, np.ndarray]:
    """MNIST as NumPy arrays: 'train_data', 'train_label', 'test_data', 'test_label'
    (images (N, 1, 28, 28) float32 in [0, 1], labels int8), from the gzipped idx files in
    the working folder, downloaded there first when missing.

    >>> mx.test_utils.get_mnist()['test_label'][:3]  # doctest: +SKIP
    array([7, 2, 1], dtype=int8)
    """
    path = DATA_URL + "data/mnist/"
    train = _read_idx(download(path + "train-labels-idx1-ubyte.gz"),
                      download(path + "train-images-idx3-ubyte.gz"))
    test = _read_idx(download(path + "t10k-labels-idx1-ubyte.gz"),
                     download(path + "t10k-images-idx3-ubyte.gz"))
    return {"train_data": train[1], "train_label": train[0], "test_data": test[1],
            "test_label": test[0]}


def get_mnist_pkl() -> None:
    """Download MNIST as `data/mnist.pkl.gz` (under the working folder) unless it is there.

    >>> mx.test_utils.get_mnist_pkl()  # doctest: +SKIP
    """
    download("http://deeplearning.net/data/mnist/mnist.pkl.gz", dirname="data")


def _unzipped(url: str, folder: str, expected: Sequence[str]) -> None:
    """Download the zip at `url` into `folder` and extract it there, unless every file of
    `expected` (paths under `folder`) is present."""
    if not all(os.path.exists(os.path.join(folder, f)) for f in expected):
        _extracted(url, folder)


def _extracted(url: str, folder: str) -> None:
    """Download the zip at `url` into `folder` (unless it is there) and extract it there."""
    os.makedirs(folder, exist_ok=True)
    with zipfile.ZipFile(download(url, dirname=folder)) as archive:
        archive.extractall(folder)


def get_mnist_ubyte() -> None:
    """The four MNIST idx files (uncompressed) under `data/` of the working folder,
    downloaded and extracted there when missing.

    >>> mx.test_utils.get_mnist_ubyte()  # doctest: +SKIP
    """
    _unzipped(DATA_URL + "mxnet/data/mnist.zip", "data", MNIST_FILES)


def get_cifar10() -> None:
    """CIFAR-10 as record files under `data/cifar/` of the working folder (train.rec,
    test.rec and their .lst), downloaded and extracted when missing.

    >>> mx.test_utils.get_cifar10()  # doctest: +SKIP
    """
    _unzipped(DATA_URL + "mxnet/data/cifar10.zip", "data",
              [f"cifar/{s}.{e}" for s in ("train", "test") for e in ("rec", "lst")])


def get_mnist_iterator(batch_size: int, input_shape: Sequence[int], num_parts: int = 1,
                       part_index: int = 0) -> tuple[MNISTIter, MNISTIter]:
    """(train, validation) `MNISTIter`s over `get_mnist_ubyte`'s files; images flat unless
    `input_shape` has three axes; the training one shuffles.

    >>> train, val = mx.test_utils.get_mnist_iterator(64, (1, 28, 28))  # doctest: +SKIP
    """
    get_mnist_ubyte()
    flat = len(input_shape) != 3
    common: dict[str, Any] = {"input_shape": tuple(input_shape), "batch_size": batch_size,
                              "flat": flat, "num_parts": num_parts, "part_index": part_index}
    train = MNISTIter(image="data/train-images-idx3-ubyte",
                      label="data/train-labels-idx1-ubyte", shuffle=True, **common)
    val = MNISTIter(image="data/t10k-images-idx3-ubyte", label="data/t10k-labels-idx1-ubyte",
                    **common)
    return train, val


def get_zip_data(data_dir: str, url: str, data_origin_name: str) -> None:
    """Download the zip `url` as `data_dir/data_origin_name` and extract it into
    `data_dir`, unless that file is there.

    >>> mx.test_utils.get_zip_data('data', 'http://example.com/ml-10m.zip', 'ml-10m.zip'
    ...                            )  # doctest: +SKIP
    """
    if not os.path.exists(os.path.join(data_dir, data_origin_name)):
        _extracted(url, data_dir)


def get_bz2_data(data_dir: str, data_name: str, url: str, data_origin_name: str) -> None:
    """Download the bz2 `url` and decompress it to `data_dir/data_name` (the archive is
    removed after), unless that file is there.

    >>> mx.test_utils.get_bz2_data('data', 'kdda.t', 'http://example.com/kdda.t.bz2',
    ...                            'kdda.t.bz2')  # doctest: +SKIP
    """
    target = os.path.join(data_dir, data_name)
    if os.path.exists(target):
        return
    archive = download(url, fname=data_origin_name, dirname=data_dir)
    with bz2.BZ2File(archive, "rb") as src, open(target + ".part", "wb") as out:
        for block in iter(lambda: src.read(1 << 20), b""):
            out.write(block)
    os.replace(target + ".part", target)
    os.remove(archive)


def get_im2rec_path(home_env: str = "MXNET_HOME") -> str:
    """The path of MXNet's `tools/im2rec.py` under the folder `home_env` names: mxjit
    ships no copy of that script, so without the variable (or the file) this is a
    MissingFileError (an OSError, as MXNet's is when it finds none).

    >>> mx.test_utils.get_im2rec_path()  # doctest: +SKIP
    """
    home = os.environ.get(home_env)
    for candidate in ([os.path.join(home, "tools", "im2rec.py"),
                       os.path.join(home, "..", "..", "tools", "im2rec.py")] if home else []):
        if os.path.isfile(candidate):
            return candidate
    raise MissingFileError("Could not find path to tools/im2rec.py")


class DummyIter(DataIter):
    """An iterator that returns the first batch of `real_iter` forever (for timing).

    >>> it = mx.test_utils.DummyIter(mx.io.NDArrayIter(np.ones((4, 2)), batch_size=2))
    >>> it.next() is it.next()
    True
    """

    def __init__(self, real_iter: Any) -> None:  # (any iterator with provide_data/label)
        super().__init__(real_iter.batch_size)
        self.real_iter = real_iter
        self.provide_data = real_iter.provide_data
        self.provide_label = real_iter.provide_label
        self.the_batch = next(real_iter)

    def next(self) -> DataBatch:
        """The first batch of the real iterator, again (never StopIteration)."""
        return self.the_batch
