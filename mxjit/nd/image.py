"""`mx.nd.image`: MXNet's image operators (HWC and NHWC layouts), generated from the
operator table.

    >>> mx.nd.image.to_tensor(mx.nd.zeros((4, 4, 3))).shape  # doctest: +SKIP
"""
from .namespace import functions as _functions

_made = _functions("image")
globals().update(_made)
__all__ = sorted(_made)
del _functions, _made
