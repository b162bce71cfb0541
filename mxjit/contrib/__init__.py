"""`mx.contrib`: MXNet 1.9.1's experimental namespace: `autograd` (MXNet's first autograd
interface) and the contrib operators again as `nd`/`ndarray` (`mx.nd.contrib`) and
`sym`/`symbol` (`mx.sym.contrib`).

    >>> mx.contrib.nd.box_nms is mx.nd.contrib.box_nms
    True
"""
from ..nd import contrib as ndarray
from ..symbol import contrib as symbol
from . import autograd

nd = ndarray
sym = symbol

__all__ = ["autograd", "nd", "ndarray", "sym", "symbol"]
