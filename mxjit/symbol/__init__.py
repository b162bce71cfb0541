"""`mx.sym` (`mx.symbol`): MXNet's symbolic API over the same operator table as `mx.nd`.

    >>> data = mx.sym.var('data')  # doctest: +SKIP
    >>> net = mx.sym.FullyConnected(data, num_hidden=10, name='fc1')  # doctest: +SKIP
    >>> exe = net.simple_bind(mx.cpu(), data=(4, 20))  # doctest: +SKIP
"""
from types import ModuleType as _ModuleType
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from ..base import MissingFileError as _MissingFileError
from ..base import MXNetError as _MXNetError
from ..core.history import register_symbol_builder as _register_symbol_builder
from . import contrib, executor, random
from .cached_op import CachedOp
from .creation import arange, eye, full, linspace, ones, zeros
from .executor import Executor
from .json_format import from_json as _from_json
from .namespace import functions as _functions
from .numpy_namespace import NumpyNamespace as _NumpyNamespace
from .recorded import symbol_of as _symbol_of
from .symbol import Group, Symbol, Variable, var

# (mx.autograd.get_symbol builds its Symbol here: autograd may not import this layer)
_register_symbol_builder(_symbol_of)

_made = _functions("")
globals().update(_made)


def _submodule(ns: str) -> _ModuleType:
    module = _ModuleType(f"mxjit.symbol.{ns}", f"`mx.sym.{ns}`: the {ns} operators as symbols.")
    made = _functions(ns)
    module.__dict__.update(made)
    module.__all__ = sorted(made)  # type: ignore[attr-defined]
    return module


linalg = _submodule("linalg")
image = _submodule("image")
sparse = _submodule("sparse")
_internal = _submodule("_internal")


def load_json(json_str: str) -> Symbol:
    """The symbol of MXNet's JSON text (what `tojson()` writes).

    >>> net = mx.sym.load_json(open('model-symbol.json').read())  # doctest: +SKIP
    """
    return Symbol(_from_json(json_str))


def load(fname: str) -> Symbol:
    """The symbol saved in `fname` (a `*-symbol.json`).

    >>> net = mx.sym.load('model-symbol.json')  # doctest: +SKIP
    """
    try:
        with open(fname) as f:
            text = f.read()
    except FileNotFoundError:
        raise _MissingFileError(f"symbol file {fname!r} does not exist") from None
    try:
        return load_json(text)
    except _MXNetError as e:
        raise _MXNetError(f"{fname}: {e}") from None


#: `mx.sym.np` and `mx.sym.npx`: mx.np's and mx.npx's functions on symbols
np = _NumpyNamespace("")
npx = _NumpyNamespace("npx.")

__all__ = sorted(["Symbol", "Variable", "var", "Group", "load", "load_json", "Executor", "np",
                  "npx", "executor", "contrib", "linalg", "image", "sparse", "random", "zeros",
                  "ones", "full", "arange", "linspace", "eye", *_made])
del _made

if _TYPE_CHECKING:
    # (the operators are generated at import: type checkers see them as this)
    def __getattr__(name: str) -> _Any: ...
