"""`mx.npx`: MXNet's NumPy extensions: the switches of NumPy semantics (`set_np`,
`reset_np`, `use_np`), the neural-network operators under their npx names (generated
from the operator table, returning `mx.np` arrays), `reshape` with MXNet's codes, and
devices, `waitall`, `seed`, `save`/`load`.

    >>> from mxjit import npx; npx.set_np(); npx.relu(mx.np.array([-1., 2.]))  # doctest: +SKIP
"""
import sys as _sys
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from .. import nd as _nd
from .. import numpy as _np
from ..context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus
from ..core.np_functions import register_functions as _register_symbolic
from ..core.random import seed
from ..numpy.adapter import to_np as _to_np
from ..util import (
    is_np_array,
    is_np_shape,
    reset_np,
    set_np,
    use_np,
    use_np_array,
    use_np_shape,
)
from . import random
from .constraint import constraint_check
from .operators import functions as _functions
from .reshape import reshape

_made = _functions()
globals().update(_made)


def nonzero(a: _Any) -> _Any:
    """The int64 indices of the non-zero elements, one row of `a.ndim` indices (1 for a 0-d
    array) per element (MXNet's `npx.nonzero`; `mx.np.nonzero` gives one array per axis).

    >>> npx.nonzero(mx.np.array([[1, 0], [0, 2]]))  # doctest: +SKIP
    array([[0, 0],
           [1, 1]], dtype=int64)
    """
    return _np.argwhere(_np.atleast_1d(a))


def waitall() -> None:
    """Wait for all pending work (MXNet's `npx.waitall`).

    >>> npx.waitall()  # doctest: +SKIP
    """
    _nd.waitall()


def save(file: str, arr: _Any) -> None:
    """Save an array, a list or a dict of `mx.np` arrays in MXNet's binary format.

    >>> npx.save('/tmp/x.npx', {'w': mx.np.ones(2)})  # doctest: +SKIP
    """
    _nd.save(file, arr)


def load(file: str) -> _Any:
    """Load what `save` wrote, as `mx.np` arrays (a list or a dict).

    >>> npx.load('/tmp/x.npx')['w']  # doctest: +SKIP
    """
    loaded = _nd.load(file)
    if isinstance(loaded, dict):
        return {k: _to_np(v) for k, v in loaded.items()}
    return _to_np(loaded)


__all__ = sorted(["random", "Context", "cpu", "cpu_pinned", "current_context", "gpu", "num_gpus",
                  "seed", "is_np_array", "is_np_shape", "reset_np", "set_np", "use_np",
                  "use_np_array", "use_np_shape", "reshape", "nonzero", "waitall", "save", "load",
                  "constraint_check",
                  *_made])
del _made
_nd._register_numpy_namespaces(_np, _sys.modules[__name__])
_register_symbolic("npx.", {n: globals()[n] for n in __all__ if callable(globals()[n])})
del operators, constraint  # type: ignore[name-defined]  # noqa: F821

if _TYPE_CHECKING:
    def __getattr__(name: str) -> _Any: ...
