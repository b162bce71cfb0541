"""`gluon.data.vision` datasets: MNIST, FashionMNIST, CIFAR10/100 read from their standard
files under `root`, and images from RecordIO files, folders and list files.

mxjit does not download: a dataset whose files are missing raises `MissingFileError`
naming the files it looked for, the folder, and where MXNet fetches them from. The default
`root` is MXNet's, `$MXNET_HOME/datasets/<name>` (`MXNET_HOME` defaults to `~/.mxnet`).

    >>> train = mx.gluon.data.vision.MNIST(train=True)  # doctest: +SKIP
    >>> img, label = train[0]; img.shape, label  # doctest: +SKIP
    ((28, 28, 1), 5)
"""
from __future__ import annotations

import os
import tarfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .... import image, nd, recordio
from ....base import MissingFileError, MXNetError, NotOverriddenError, ParamError
from ....io.idx import read_idx
from ..dataset import Dataset, RecordFileDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageRecordDataset",
           "ImageFolderDataset", "ImageListDataset"]

#: Where MXNet downloads the datasets from (named in the missing-file errors).
_MXNET_REPO = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/dataset/"


def __dir__() -> list[str]:
    return __all__


def _data_dir() -> str:
    return os.getenv("MXNET_HOME", os.path.join(os.path.expanduser("~"), ".mxnet"))


def _missing(dataset: str, names: list[str], root: str, source: str, note: str = ""
             ) -> MissingFileError:
    files = ", ".join(names)
    return MissingFileError(
        f"{dataset}: {files} not found in {root}{note}. mxjit does not download datasets: "
        f"place the files there (MXNet fetches them from {source}), or pass root= the folder "
        f"that holds them")


class _LocalDataset(Dataset):
    """Samples (data[i], label[i]) of arrays that `_get_data` reads from files in `root`,
    passed through `transform(data, label)` when given."""

    _data: Any
    _label: Any

    def __init__(self, root: str, transform: Callable[..., Any] | None):
        self._root = os.path.expanduser(root)
        self._transform = transform
        self._get_data()

    def _get_data(self) -> None:
        raise NotOverriddenError

    def __getitem__(self, idx: int) -> Any:
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self) -> int:
        return len(self._label)


class MNIST(_LocalDataset):
    """MNIST's handwritten digits from the IDX files in `root` (gzipped or not): samples
    ((28, 28, 1) uint8 NDArray, int32 label).

    >>> img, label = mx.gluon.data.vision.MNIST(root='data/mnist', train=False)[0]  # doctest: +SKIP
    """

    _source = _MXNET_REPO + "mnist/"

    def __init__(self, root: str = os.path.join(_data_dir(), "datasets", "mnist"),
                 train: bool = True, transform: Callable[..., Any] | None = None):
        self._train = train
        super().__init__(root, transform)

    def _find(self, name: str) -> str | None:
        for candidate in (name + ".gz", name):
            path = os.path.join(self._root, candidate)
            if os.path.isfile(path):
                return path
        return None

    def _get_data(self) -> None:
        prefix = "train" if self._train else "t10k"
        names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
        paths = [self._find(name) for name in names]
        if None in paths:
            raise _missing(type(self).__name__, [n + ".gz" for n in names], self._root,
                           self._source, " (gzipped or not)")
        images_path, labels_path = paths
        assert images_path is not None and labels_path is not None
        label = read_idx(labels_path, 1).astype(np.int32)
        data = read_idx(images_path, 3)
        if len(data) != len(label):
            raise MXNetError(f"{type(self).__name__}: {images_path} holds {len(data)} images "
                             f"but {labels_path} {len(label)} labels")
        self._data = nd.array(data[:, :, :, None], dtype=np.uint8)
        self._label = label


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST, a drop-in replacement of MNIST (same files and samples).

    >>> img, label = mx.gluon.data.vision.FashionMNIST(train=False)[0]  # doctest: +SKIP
    """

    _source = _MXNET_REPO + "fashion-mnist/"

    def __init__(self, root: str = os.path.join(_data_dir(), "datasets", "fashion-mnist"),
                 train: bool = True, transform: Callable[..., Any] | None = None):
        super().__init__(root, train, transform)


class CIFAR10(_LocalDataset):
    """CIFAR-10 from its binary batches (`data_batch_1.bin` ... `data_batch_5.bin`,
    `test_batch.bin`) in `root`, in `root/cifar-10-batches-bin`, or inside
    `root/cifar-10-binary.tar.gz`: samples ((32, 32, 3) uint8 NDArray, int32 label).

    >>> img, label = mx.gluon.data.vision.CIFAR10(train=False)[0]  # doctest: +SKIP
    """

    _archive = "cifar-10-binary.tar.gz"
    _folder = "cifar-10-batches-bin"
    _train_files = [f"data_batch_{k}.bin" for k in range(1, 6)]
    _test_files = ["test_batch.bin"]
    _label_bytes = 1
    _source = _MXNET_REPO + "cifar10/"

    def __init__(self, root: str = os.path.join(_data_dir(), "datasets", "cifar10"),
                 train: bool = True, transform: Callable[..., Any] | None = None):
        self._train = train
        super().__init__(root, transform)

    def _label_column(self) -> int:
        return 0

    def _read_batches(self, names: list[str]) -> list[tuple[str, bytes]]:
        for folder in (self._root, os.path.join(self._root, self._folder)):
            paths = [os.path.join(folder, name) for name in names]
            if all(os.path.isfile(p) for p in paths):
                contents = []
                for p in paths:
                    with open(p, "rb") as f:
                        contents.append((p, f.read()))
                return contents
        archive = os.path.join(self._root, self._archive)
        if os.path.isfile(archive):
            with tarfile.open(archive) as tar:
                members = {os.path.basename(m.name): m for m in tar.getmembers() if m.isfile()}
                if all(name in members for name in names):
                    return [(f"{archive}:{members[n].name}",
                             tar.extractfile(members[n]).read())  # type: ignore[union-attr]
                            for n in names]
        raise _missing(type(self).__name__, names, self._root, self._source,
                       f" (nor in {self._folder}/ or {self._archive} there)")

    def _get_data(self) -> None:
        names = self._train_files if self._train else self._test_files
        record = self._label_bytes + 3 * 32 * 32
        data, label = [], []
        for where, content in self._read_batches(names):
            if len(content) % record:
                raise MXNetError(f"{type(self).__name__}: {where} holds {len(content)} bytes, "
                                 f"not a whole number of {record}-byte records")
            rows = np.frombuffer(content, np.uint8).reshape(-1, record)
            data.append(rows[:, self._label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            label.append(rows[:, self._label_column()].astype(np.int32))
        self._data = nd.array(np.concatenate(data), dtype=np.uint8)
        self._label = np.concatenate(label)


class CIFAR100(CIFAR10):
    """CIFAR-100 from its binary files (`train.bin`, `test.bin`) in `root`, in
    `root/cifar-100-binary`, or inside `root/cifar-100-binary.tar.gz`: samples ((32, 32, 3)
    uint8 NDArray, int32 label), the label one of the 20 coarse classes, or of the 100 fine
    ones with `fine_label=True`.

    >>> img, label = mx.gluon.data.vision.CIFAR100(fine_label=True)[0]  # doctest: +SKIP
    """

    _archive = "cifar-100-binary.tar.gz"
    _folder = "cifar-100-binary"
    _train_files = ["train.bin"]
    _test_files = ["test.bin"]
    _label_bytes = 2
    _source = _MXNET_REPO + "cifar100/"

    def __init__(self, root: str = os.path.join(_data_dir(), "datasets", "cifar100"),
                 fine_label: bool = False, train: bool = True,
                 transform: Callable[..., Any] | None = None):
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_column(self) -> int:
        return 1 if self._fine_label else 0


class ImageRecordDataset(RecordFileDataset):
    """Images and labels packed in a RecordIO file (with its `.idx` index beside it), as
    MXNet's im2rec writes them: samples (decoded (H, W, 3) uint8 NDArray, or (H, W, 1)
    with `flag=0`; the record header's label).

    >>> img, label = mx.gluon.data.vision.ImageRecordDataset('train.rec')[0]  # doctest: +SKIP
    """

    def __init__(self, filename: str, flag: int = 1,
                 transform: Callable[..., Any] | None = None):
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx: int) -> Any:
        header, img = recordio.unpack(super().__getitem__(idx))
        data = image.imdecode(img, self._flag)
        if self._transform is not None:
            return self._transform(data, header.label)
        return data, header.label


_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


class ImageFolderDataset(Dataset):
    """Images in class folders, `root/<class>/<image>.jpg|.jpeg|.png`: samples (decoded
    image NDArray, int label), the classes numbered in sorted order (`synsets[label]` is
    the folder's name); `items` lists (path, label).

    >>> ds = mx.gluon.data.vision.ImageFolderDataset('data/train')  # doctest: +SKIP
    >>> ds.synsets  # doctest: +SKIP
    ['bus', 'car']
    """

    def __init__(self, root: str, flag: int = 1, transform: Callable[..., Any] | None = None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = list(_IMAGE_EXTENSIONS)
        self._list_images(self._root)

    def _list_images(self, root: str) -> None:
        if not os.path.isdir(root):
            raise MissingFileError(f"ImageFolderDataset: the folder {root} does not exist; "
                                   f"it should hold one folder of images per class")
        self.synsets: list[str] = []
        self.items: list[tuple[str, int]] = []
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn(f"Ignoring {path}, which is not a directory.", stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                file_path = os.path.join(path, filename)
                ext = os.path.splitext(file_path)[1]
                if ext.lower() not in self._exts:
                    warnings.warn(f"Ignoring {file_path} of type {ext}. Only support "
                                  f"{', '.join(self._exts)}", stacklevel=3)
                    continue
                self.items.append((file_path, label))

    def __getitem__(self, idx: int) -> Any:
        path, label = self.items[idx]
        img = image.imread(path, self._flag)
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self) -> int:
        return len(self.items)


class ImageListDataset(Dataset):
    """Images named by a list: `imglist` is a `.lst` file under `root` (lines `index <tab>
    label(s) <tab> path`, as im2rec writes them) or a list of `[label(s), path]` entries;
    paths are relative to `root`. Samples (decoded image NDArray, float32 label NDArray of
    the entry's labels); `items` lists (path, label).

    >>> ds = mx.gluon.data.vision.ImageListDataset('data', 'train.lst')  # doctest: +SKIP
    """

    def __init__(self, root: str = ".", imglist: Any = None, flag: int = 1):
        self._root = os.path.expanduser(root)
        self._flag = flag
        if isinstance(imglist, str):
            entries = self._read_list(os.path.join(self._root, imglist))
        elif isinstance(imglist, (list, tuple)):
            entries = [self._entry(item) for item in imglist]
        else:
            raise ParamError(f"ImageListDataset: imglist must be the name of a .lst file or "
                             f"a list of [label(s), path] entries, got {type(imglist).__name__}")
        self.items = [(os.path.join(self._root, path), nd.array(labels, dtype=np.float32))
                      for labels, path in entries]

    @staticmethod
    def _read_list(path: str) -> list[tuple[list[float], str]]:
        if not os.path.isfile(path):
            raise MissingFileError(f"ImageListDataset: the list file {path} does not exist "
                                   f"(lines: index <tab> label(s) <tab> image path)")
        entries = []
        with open(path) as f:
            for number, line in enumerate(f, 1):
                fields = line.strip().split("\t")
                if fields == [""]:
                    continue
                if len(fields) < 3:
                    raise MXNetError(f"{path}:{number}: expected index <tab> label(s) <tab> "
                                     f"path, got {line.strip()!r}")
                entries.append(([float(v) for v in fields[1:-1]], fields[-1]))
        return entries

    @staticmethod
    def _entry(item: Any) -> tuple[list[float], str]:
        *labels, path = item
        if not isinstance(path, str) or not labels:
            raise ParamError(f"ImageListDataset: each entry must be [label(s), path], got "
                             f"{item!r}")
        flat = np.asarray(labels, np.float32).reshape(-1).tolist()
        return flat, path

    def __getitem__(self, idx: int) -> Any:
        path, label = self.items[idx]
        return image.imread(path, self._flag), label

    def __len__(self) -> int:
        return len(self.items)
