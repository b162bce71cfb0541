"""`mx.nd`: the imperative NDArray API (eager, over the same compiled kernels as `jit`).

The operators are generated from the operator table (`mxjit.core.operators`), each with
MXNet's signature and `out=`; the rest (creation, save/load, contexts) is written here.

    >>> mx.nd.exp(mx.nd.zeros((2,)))  # doctest: +SKIP
"""
from collections.abc import Callable as _Callable
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from .. import context as _context
from ..base import ArgumentError as _ArgumentError
from ..context import Context, cpu, current_context, gpu, num_gpus
from ..ops.contrib_math import onehot_encode
from ..ops.creation import full_like
from ..ops.data_dependent import histogram
from ..ops.mixed_precision import keeping_failures as _keeping_failures
from ..ops.shape import moveaxis as _moveaxis
from . import _internal, contrib, image, linalg, ndarray, random, sparse  # noqa: F401
from . import serialization as _serialization
from .creation import arange, array, empty, eye, full, linspace, ones, zeros
from .interop import from_dlpack, from_numpy, to_dlpack_for_read, to_dlpack_for_write
from .methods import add_methods as _add_methods
from .methods import fluent as _fluent
from .namespace import functions as _functions
from .ndarray import NDArray
from .ndarray import finish as _finish
from .sparse_operators import eager_form_functions as _eager_form_functions
from .sparse_operators import nd_storage_functions as _nd_storage_functions
from .sparse_storage import from_payload as _from_payload
from .sparse_storage import sparse_aware as _sparse_aware
from .sparse_storage import to_payload as _to_payload

_made = _functions("")
_made.update(_keeping_failures(_made))
_add_methods(NDArray, _made)
NDArray.to_dlpack_for_read = _fluent("to_dlpack_for_read", to_dlpack_for_read)  # type: ignore
NDArray.to_dlpack_for_write = _fluent("to_dlpack_for_write", to_dlpack_for_write)  # type: ignore
# An operator MXNet computes on sparse storage gives, from mx.nd too, the storage type that
# mx.nd.sparse's gives (`mx.nd.abs(csr)` is CSR); creation and the Python-level arithmetic
# functions differ between the two namespaces and stay apart.
_made.update(_sparse_aware(_made, {n: getattr(sparse, n) for n in sparse.__all__},
                           apart=("array", "empty", "zeros", "add", "subtract", "multiply",
                                  "divide")))
_made.update(_eager_form_functions(""))  # (cast_storage: dense data cast to csr too)
_made.update(_nd_storage_functions())
globals().update(_made)


def moveaxis(tensor: NDArray, source: int | tuple, destination: int | tuple) -> NDArray:
    """Move axes to new positions, the others keeping their order (NumPy's `moveaxis`).

    >>> mx.nd.moveaxis(mx.nd.ones((2, 3, 4)), 0, -1).shape  # doctest: +SKIP
    (3, 4, 2)
    """
    return _finish(_moveaxis(tensor, source, destination), (tensor,), None)  # type: ignore


def waitall() -> None:
    """Wait for all pending work (CPU kernels run synchronously; GPUs are waited for).

    >>> mx.nd.waitall()  # doctest: +SKIP
    """
    _context.synchronize()


def save(fname: str, data: NDArray | list | dict) -> None:
    """Save an NDArray, a list or a dict of them in MXNet's binary format.

    >>> mx.nd.save('/tmp/x.nd', {'w': mx.nd.ones(2)})  # doctest: +SKIP
    """
    if isinstance(data, dict):
        _serialization.save(fname, {k: _to_payload(v) for k, v in data.items()})
    else:
        arrays = [data] if isinstance(data, NDArray) else data
        _serialization.save(fname, [_to_payload(v) for v in arrays])


def load(fname: str) -> list | dict:
    """Load what `save` (or real MXNet) wrote: a list or a dict of NDArrays. A file that is
    not a valid NDArray file (or holds an MXNet "none" array) raises NDArrayFormatError
    naming the file and the array.

    >>> mx.nd.load('/tmp/x.nd')['w']  # doctest: +SKIP
    """
    return _arrays_of(_serialization.load(fname, allow_none=False))


def load_frombuffer(buf: bytes | bytearray | memoryview) -> list | dict:
    """`load` from the bytes of a saved file (e.g. read from a network or a zip archive).

    >>> mx.nd.load_frombuffer(open('/tmp/x.nd', 'rb').read())  # doctest: +SKIP
    """
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise _ArgumentError(f"load_frombuffer: expected bytes, got {type(buf).__name__}")
    return _arrays_of(_serialization.loads(buf, allow_none=False))


def _arrays_of(got: list | dict) -> list | dict:
    if isinstance(got, dict):
        return {k: _from_payload(v) for k, v in got.items()}
    return [_from_payload(v) for v in got]


def concatenate(arrays: list, axis: int = 0, always_copy: bool = True) -> NDArray:
    """Join arrays of one dtype along `axis` (deprecated in MXNet: use `concat`). With
    `always_copy=False` a list of one array returns that array itself.

    >>> mx.nd.concatenate([mx.nd.ones((1, 2)), mx.nd.zeros((2, 2))]).shape  # doctest: +SKIP
    (3, 2)
    """
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise _ArgumentError("concatenate: expected a non-empty list of NDArrays")
    if not always_copy and len(arrays) == 1:
        return arrays[0]  # type: ignore[no-any-return]
    return concat(*arrays, dim=axis)  # type: ignore[name-defined,no-any-return]  # noqa: F821


__all__ = sorted(["Context", "cpu", "current_context", "gpu", "num_gpus", "histogram",
                  "moveaxis", "contrib", "image", "linalg", "ndarray", "random", "sparse",
                  "arange", "array", "empty", "eye", "full", "full_like", "linspace", "ones",
                  "zeros", "NDArray", "waitall", "save", "load", "load_frombuffer",
                  "concatenate", "from_dlpack", "from_numpy", "to_dlpack_for_read",
                  "to_dlpack_for_write",
                  "onehot_encode", *_made])
del _functions, _eager_form_functions, _made


def _register_numpy_namespaces(np: _Any, npx: _Any) -> None:
    """Make `mx.nd.np`/`mx.nd.npx` (MXNet's `F.np`/`F.npx` inside `hybrid_forward`) the
    `mx.np`/`mx.npx` modules; they live above this layer and register themselves here."""
    globals().update(np=np, npx=npx, numpy=np, numpy_extension=npx)
    __all__.extend(n for n in ("np", "npx", "numpy", "numpy_extension") if n not in __all__)


# (the modules behind the namespace are not part of it)
del creation, formatting, interop, methods, namespace, serialization, sparse_storage  # type: ignore[name-defined]  # noqa: F821
del sparse_dot, sparse_elementwise, sparse_layout, sparse_operators  # type: ignore[name-defined]  # noqa: F821
del sparse_graph, sparse_optimizers, sparse_structure  # type: ignore[name-defined]  # noqa: F821

if _TYPE_CHECKING:
    # (the operators are generated at import: type checkers see them as this, and
    # cast_storage, which other modules import, with its eager form's signature)
    cast_storage: _Callable[[NDArray, str], NDArray]

    def __getattr__(name: str) -> _Any: ...
