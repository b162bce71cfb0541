"""Sparse weights, states and gradients in the fused update (see fused.py): such a
parameter is updated through dense temporaries that hold the rows to update, and the new
rows are written back into every array in its own storage type.

Which rows follow MXNet's sparse update operators: a row_sparse gradient updates only the
rows it stores (a lazy update: the other rows of the weight and of the states keep their
values, weight decay and momentum included) where the optimizer's sparse kernel is lazy
for these storage types (`FusedOptimizer._lazy`); everywhere else every row is updated,
with the gradient read densely (MXNet's standard update, and its storage fallback for
operators without a sparse form, which is how a csr weight is updated).

    >>> job = RowJob(weight, grad, None, (mom,), lazy=True)  # doctest: +SKIP
    >>> job.write_back()  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import nd
from ..nd import NDArray
from ..nd.sparse import RowSparseNDArray

#: One parameter to update: weight, gradient, float32 master copy or None, state arrays.
Job = tuple[NDArray, NDArray, "NDArray | None", tuple[NDArray, ...]]


def is_dense(*arrays: NDArray | None) -> bool:
    """Whether none of `arrays` (Nones skipped) is sparse."""
    for a in arrays:  # (a loop: this runs for every parameter of every step)
        if a is not None and a.stype != "default":
            return False
    return True


class RowJob:
    """One parameter with sparse parts: `job` is its update over dense temporaries (the
    rows a lazy update touches, or all rows), `write_back()` stores the results."""

    def __init__(self, weight: NDArray, grad: NDArray, master: NDArray | None,
                 states: tuple[NDArray, ...], lazy: bool) -> None:
        sparse_grad = grad if lazy and isinstance(grad, RowSparseNDArray) else None
        #: the rows updated (None: all of them)
        self.rows: np.ndarray | None = (None if sparse_grad is None
                                        else sparse_grad.indices.asnumpy())
        self._targets = [a for a in (weight, master, *states) if a is not None]
        self._temps = [self._gather(a) for a in self._targets]
        if sparse_grad is not None:
            dense_grad = sparse_grad.data
        elif grad.stype == "default":
            dense_grad = grad
        else:
            dense_grad = nd.cast_storage(grad, "default")
        temps = iter(self._temps)
        self.job: Job = (next(temps), dense_grad, next(temps) if master is not None else None,
                         tuple(temps))

    @property
    def empty(self) -> bool:
        """Nothing to update: a lazy update by a gradient that stores no rows."""
        return self.rows is not None and self.rows.size == 0

    def _gather(self, a: NDArray) -> NDArray:
        if self.rows is None and a.stype == "default":
            return a  # (every row of a dense array: the fused update writes it in place)
        values = a.asnumpy()
        if self.rows is not None:
            values = values[self.rows]
        return nd.array(values, ctx=a.context, dtype=a.dtype)  # type: ignore[no-any-return]

    def write_back(self) -> None:
        """Store the updated rows into the weight, master copy and states given."""
        for target, temp in zip(self._targets, self._temps):
            if temp is target:
                continue
            if self.rows is None:
                target[:] = temp
                continue
            whole: Any = target.asnumpy()
            whole[self.rows] = temp.asnumpy()
            target[:] = whole
