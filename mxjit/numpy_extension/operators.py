"""`mx.npx`'s operators: MXNet's neural-network and extension operators under their
`npx` names, generated from the operator table (`core.operators.make_function`, as
`mx.nd`'s are) and returning `mx.np` arrays.

`NPX_OPERATORS` maps each `npx` name to the registered operator; `reshape` with
`npx`'s own special codes is written out in `reshape.py`.

    >>> mx.npx.relu(mx.np.array([-1., 2.]))  # doctest: +SKIP
    array([0., 2.])
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.operators import lookup, make_function
from ..nd.ndarray import finish as _nd_finish
from ..numpy.adapter import to_np

#: npx name -> MXNet operator (MXNet 1.9.1's `_npx_*` operators are these under new names).
NPX_OPERATORS = {
    "activation": "Activation", "relu": "relu", "sigmoid": "sigmoid", "softmax": "softmax",
    "log_softmax": "log_softmax", "batch_norm": "BatchNorm", "layer_norm": "LayerNorm",
    "fully_connected": "FullyConnected", "convolution": "Convolution",
    "deconvolution": "Deconvolution", "pooling": "Pooling", "dropout": "Dropout",
    "embedding": "Embedding", "one_hot": "one_hot", "pick": "pick", "topk": "topk",
    "batch_dot": "batch_dot", "gamma": "gamma", "gammaln": "gammaln", "erf": "erf",
    "erfinv": "erfinv", "sequence_mask": "SequenceMask", "leaky_relu": "LeakyReLU",
    "smooth_l1": "smooth_l1", "gather_nd": "gather_nd", "batch_flatten": "Flatten",
    "arange_like": "_contrib_arange_like", "reshape_like": "reshape_like",
    "shape_array": "shape_array", "slice": "slice", "cast": "Cast", "rnn": "RNN",
    "roi_pooling": "ROIPooling",
}


def finish(result: Any, operands: tuple, out: Any) -> Any:
    """MXNet's operator semantics (`mx.nd`'s `finish`: new arrays, `out=`), as np arrays."""
    return to_np(_nd_finish(result, operands, out))


def functions() -> dict[str, Callable[..., Any]]:
    """The `npx` operator functions by name."""
    return {name: make_function(lookup(op), name, finish, "ndarray", "mxjit.numpy_extension")
            for name, op in NPX_OPERATORS.items()}

