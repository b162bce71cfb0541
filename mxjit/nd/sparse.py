"""`mx.nd.sparse`: CSR and row-sparse arrays (held as NumPy arrays on the host), their
constructors and conversions, and MXNet 1.9.1's operators with its storage-type rules.

Each operator here is the `mx.nd` operator of the same name (same signature, same dense
semantics) that gives a sparse result where MXNet does: `sparse.sqrt(csr)` is CSR,
`sparse.exp(csr)` dense (`sparse_operators.py` generates them; the storage rules are in
`sparse_elementwise.py`, `sparse_structure.py` and `sparse_optimizers.py`). `retain`,
`adagrad_update` and `cast_storage` are table operators too, whose eager forms keep
storage (inside a trace they have dense semantics). `add`, `subtract`, `multiply` and
`divide` are MXNet's Python-level functions. The operators of sparse arrays (`+`, `*`,
`>`, ...) follow MXNet's storage types too.

    >>> a = mx.nd.sparse.csr_matrix(([1, 2, 3], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 3))
    >>> mx.nd.sparse.sqrt(a).stype  # doctest: +SKIP
    'csr'
"""
from .sparse_dot import dot  # noqa: F401  (the public names are re-exported)
from .sparse_operators import add, divide, multiply, subtract  # noqa: F401
from .sparse_operators import functions as _functions
from .sparse_operators import install_methods as _install_methods
from .sparse_storage import (  # noqa: F401
    BaseSparseNDArray,
    CSRNDArray,
    RowSparseNDArray,
    array,
    csr_matrix,
    empty,
    row_sparse_array,
    zeros,
)

_made = _functions()
globals().update(_made)
_install_methods(BaseSparseNDArray, _made)

__all__ = sorted(["BaseSparseNDArray", "CSRNDArray", "RowSparseNDArray", "array",
                  "csr_matrix", "dot", "empty", "row_sparse_array", "zeros", "add",
                  "subtract", "multiply", "divide", *_made])
del _functions, _install_methods, _made
