"""`mx.nd._internal`: MXNet's hidden operators (`_plus_scalar`, `_rnn_param_concat`, ...),
which MXNet's own Python code and tests call by these names; generated from the operator
table.

    >>> mx.nd._internal._plus_scalar(mx.nd.ones((2,)), scalar=1)  # doctest: +SKIP
"""
from .namespace import functions as _functions

_made = _functions("_internal")
globals().update(_made)
__all__ = sorted(_made)
del _functions, _made
