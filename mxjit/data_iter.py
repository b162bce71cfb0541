"""MXNet's data-iterator protocol: what every data iterator shares (`mx.io`'s and
`mx.image.ImageIter`). A `DataIter` hands out `DataBatch`es until `StopIteration`;
`provide_data`/`provide_label` describe the arrays as `DataDesc`s (name, shape, dtype,
layout), which is how a Module binds its inputs.

    >>> mx.io.DataDesc('data', (32, 3, 224, 224))  # doctest: +SKIP
    DataDesc[data,(32, 3, 224, 224),<class 'numpy.float32'>,NCHW]
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .base import ArgumentError

__all__ = ["DataDesc", "DataBatch", "DataIter"]


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """The name and shape of an input (a tuple of the two, as MXNet's), with its `dtype`
    and `layout` as attributes: 'N' in the layout marks the batch axis.

    >>> mx.io.DataDesc('data', (32, 3, 224, 224))  # doctest: +SKIP
    DataDesc[data,(32, 3, 224, 224),<class 'numpy.float32'>,NCHW]
    """

    dtype: Any
    layout: str

    def __new__(cls, name: str, shape: tuple[int, ...], dtype: Any = np.float32,
                layout: str = "NCHW") -> DataDesc:
        desc = super().__new__(cls, name, shape)
        desc.dtype = dtype
        desc.layout = layout
        return desc

    def __repr__(self) -> str:
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout: str | None) -> int:
        """The axis of `layout` that holds the examples of a batch ('N'; 0 without a
        layout, -1 when the layout has no 'N').

        >>> mx.io.DataDesc.get_batch_axis('TNC')  # doctest: +SKIP
        1
        """
        if layout is None:
            return 0
        return layout.find("N")

    @staticmethod
    def get_list(shapes: Any, types: Any) -> list[DataDesc]:
        """`DataDesc`s from (name, shape) pairs, their dtypes from (name, dtype) pairs
        (float32 without them).

        >>> mx.io.DataDesc.get_list([('data', (2, 3))], [('data', np.int32)])  # doctest: +SKIP
        [DataDesc[data,(2, 3),<class 'numpy.int32'>,NCHW]]
        """
        if types is None:
            return [DataDesc(name, shape) for name, shape in shapes]
        dtypes = dict(types)
        return [DataDesc(name, shape, dtypes[name]) for name, shape in shapes]


class DataBatch:
    """One batch: `data` and `label` (lists of arrays), `pad` (how many examples at the end
    only fill the batch up), `index` (the examples' indices, when the iterator knows them),
    `bucket_key`, and `provide_data`/`provide_label` (when the batch's shapes differ from
    the iterator's).

    >>> print(mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.zeros((2,))], pad=0))  # doctest: +SKIP
    DataBatch: data shapes: [(2, 3)] label shapes: [(2,)]
    """

    def __init__(self, data: Any, label: Any = None, pad: int | None = None,
                 index: Any = None, bucket_key: Any = None, provide_data: Any = None,
                 provide_label: Any = None):
        for what, value in (("data", data), ("label", label)):
            if value is not None and not isinstance(value, (list, tuple)):
                raise ArgumentError(f"DataBatch: {what} must be a list of NDArrays, got "
                                    f"{type(value).__name__}")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self) -> str:
        data_shapes = [d.shape for d in self.data]
        label_shapes = [a.shape for a in self.label] if self.label else None
        return (f"{type(self).__name__}: data shapes: {data_shapes} "
                f"label shapes: {label_shapes}")


class DataIter:
    """The base of the data iterators. A subclass defines `iter_next` (move to the next
    batch: is there one?) and `getdata`, `getlabel`, `getpad`, `getindex` (the current
    batch's parts), or overrides `next` itself; and `reset`.

    >>> for batch in it:  # doctest: +SKIP
    ...     train(batch.data[0], batch.label[0])
    >>> it.reset()  # doctest: +SKIP
    """

    def __init__(self, batch_size: int = 0):
        self.batch_size = batch_size

    def __iter__(self) -> DataIter:
        return self

    def reset(self) -> None:
        """Go back to the first batch."""

    def next(self) -> DataBatch:
        """The next batch; `StopIteration` at the end of the pass.

        >>> batch = it.next()  # doctest: +SKIP
        """
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                             index=self.getindex())
        raise StopIteration

    def __next__(self) -> DataBatch:
        return self.next()

    def iter_next(self) -> bool:
        """Move to the next batch; False at the end of the pass."""
        return False

    def getdata(self) -> Any:
        """The data arrays of the current batch."""
        return None

    def getlabel(self) -> Any:
        """The label arrays of the current batch."""
        return None

    def getindex(self) -> Any:
        """The indices of the current batch's examples (None: unknown)."""
        return None

    def getpad(self) -> Any:
        """How many examples at the end of the current batch are padding."""
        return None
