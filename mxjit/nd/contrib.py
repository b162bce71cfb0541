"""`mx.nd.contrib`: control flow (foreach, while_loop, cond), index_copy, rand_zipfian,
isinf/isnan/isfinite, getnnz, arange_like and boolean_mask.

    >>> mx.nd.contrib.isnan(mx.nd.array([float('nan'), 1.0]))  # doctest: +SKIP
"""
from ..ops.contrib import (  # noqa: F401  (re-exported)
    cond,
    foreach,
    isfinite,
    isinf,
    isnan,
    rand_zipfian,
    while_loop,
)
from ..ops.optimizer_updates import (  # noqa: F401  (re-exported)
    adamw_update,
    mp_adamw_update,
    multi_adamw_update,
    multi_lamb_update,
    multi_mp_adamw_update,
    multi_mp_lamb_update,
)
from .namespace import functions as _functions
from .sparse_graph import (
    dgl_adjacency,
    dgl_csr_neighbor_non_uniform_sample,
    dgl_csr_neighbor_uniform_sample,
    dgl_graph_compact,
    dgl_subgraph,
)
from .sparse_operators import eager_form_functions as _eager_form_functions

_made = _functions("contrib")
_made.update(_eager_form_functions("contrib"))  # (getnnz, edge_id: CSR on NDArrays)
# (the DGL graph operators are their eager forms on CSR graphs; the table's implementations
# give only shapes and dtypes, for symbols)
_made.update({f.__name__: f for f in (
    dgl_adjacency, dgl_csr_neighbor_non_uniform_sample, dgl_csr_neighbor_uniform_sample,
    dgl_graph_compact, dgl_subgraph)})
globals().update(_made)
__all__ = sorted(["cond", "foreach", "isfinite", "isinf", "isnan", "rand_zipfian",
                  "while_loop", "adamw_update", "mp_adamw_update",
                  "multi_adamw_update", "multi_mp_adamw_update", "multi_lamb_update",
                  "multi_mp_lamb_update", *_made])
del _functions, _eager_form_functions, _made
