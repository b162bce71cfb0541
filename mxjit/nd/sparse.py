"""`mx.nd.sparse`: CSR and row-sparse arrays (held as NumPy arrays on the host), their
constructors and conversions, and `dot` with sparse operands.

    >>> a = mx.nd.sparse.csr_matrix(([1, 2, 3], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 3))
    >>> a.shape  # doctest: +SKIP
    (3, 3)
"""
from .sparse_storage import (
    BaseSparseNDArray,
    CSRNDArray,
    RowSparseNDArray,
    array,
    cast_storage,
    csr_matrix,
    dot,
    empty,
    row_sparse_array,
    zeros,
)

__all__ = ["BaseSparseNDArray", "CSRNDArray", "RowSparseNDArray", "array", "cast_storage",
           "csr_matrix", "dot", "empty", "row_sparse_array", "zeros"]
