"""Every error mxjit raises to its users, in one place.

`MXNetError` subclasses `RuntimeError`, as in MXNet, so `except RuntimeError` keeps
working; each specific error also subclasses the Python built-in that fits it
(`ShapeError` is a `ValueError`, `DTypeError` a `TypeError`, ...), so callers can catch
either way.

    >>> try:
    ...     raise ShapeError("add: shapes (2,) and (3,) differ")
    ... except ValueError as e:
    ...     print(type(e).__name__)
    ShapeError
"""
from __future__ import annotations

import os as _os
from typing import Any as _Any

import numpy as _np

__all__ = [
    "MXNetError", "ShapeError", "DTypeError", "ParamError", "ArgumentError",
    "MXNetIndexError", "UnsupportedError", "TracerError", "ConcreteValueError", "GradientError",
    "AutogradError",
    "ControlFlowError", "RandomParameterError", "DeviceError", "CompileForbiddenError",
    "CublasError", "SparseFormatError", "NDArrayFormatError", "NDArraySaveError",
    "MissingFileError", "FilePermissionError", "DeferredInitializationError", "MXNetKeyError",
    "NotOverriddenError", "MXNetUserWarning", "MXNetDeprecationWarning", "WorkerTraceback",
    "MXNetImportError", "NotImplementedForSymbol", "ConstraintError",
]


class MXNetError(RuntimeError):
    """Base of every error mxjit raises to its users (MXNet's name and base class)."""


class NotImplementedForSymbol(MXNetError, TypeError):
    """What an NDArray-only method (asnumpy, +=, bool) raises on a Symbol, in MXNet's words.

    >>> str(NotImplementedForSymbol('asnumpy', None))
    'Function asnumpy is not implemented for Symbol and only available in NDArray.'
    """

    def __init__(self, function: _Any, alias: str | None, *args: _Any):
        super().__init__()
        self.function = function if isinstance(function, str) else function.__name__
        self.alias = alias
        self.args = tuple(str(type(a)) for a in args)

    def __str__(self) -> str:
        msg = f"Function {self.function}"
        if self.alias:
            msg += f' (namely operator "{self.alias}")'
        if self.args:
            msg += f" with arguments ({', '.join(self.args)})"
        return msg + " is not implemented for Symbol and only available in NDArray."


# ---- MXNet's base helpers that libraries import (`from mxnet.base import string_types`) ----
# (values, not errors: kept out of __all__, which lists the error classes)

mx_real_t = _np.float32  # (MXNet's default real type)
string_types = (str,)
numeric_types = (float, int, _np.generic)
integer_types = (int, _np.int32, _np.int64)


def py_str(raw: bytes | str) -> str:
    """A UTF-8 byte string from C as a Python str (MXNet's helper; mxjit's callbacks give
    names as str already, which pass through).

    >>> py_str(b'cpu')
    'cpu'
    """
    return raw if isinstance(raw, str) else raw.decode("utf-8")


def _as_list(obj: _Any) -> list:
    """`obj` itself when it is a list, else `[obj]` (MXNet's helper, which libraries and
    its tests import)."""
    return obj if isinstance(obj, list) else [obj]


def data_dir_default() -> str:
    """Where MXNet keeps data sets and model files unless `MXNET_HOME` says otherwise.

    >>> data_dir_default().endswith('.mxnet')
    True
    """
    return _os.path.join(_os.path.expanduser("~"), ".mxnet")


def data_dir() -> str:
    """`$MXNET_HOME`, else `~/.mxnet`: the root of `datasets/` and `models/`.

    >>> data_dir()  # doctest: +SKIP
    '/home/me/.mxnet'
    """
    return _os.getenv("MXNET_HOME", data_dir_default())


# ---- operands and parameters ---------------------------------------------------------------


class ShapeError(MXNetError, ValueError):
    """Operands whose shapes do not fit the operator."""


class DTypeError(MXNetError, TypeError):
    """An unsupported or mismatched dtype."""


class ParamError(MXNetError, ValueError):
    """An operator parameter outside what the operator accepts."""


class ArgumentError(MXNetError, TypeError):
    """An argument of the wrong kind: a list where an array is needed, a float where an
    int belongs, an unknown keyword."""


class MXNetIndexError(MXNetError, IndexError):
    """An index outside the array's bounds (MXNet's out-of-bounds check)."""


class UnsupportedError(MXNetError, NotImplementedError):
    """Something MXNet offers that mxjit does not (yet)."""


# ---- tracing and gradients -----------------------------------------------------------------


class TracerError(MXNetError, TypeError):
    """A traced array was used where a concrete value is needed."""


class ConcreteValueError(TracerError):
    """A traced array's values were needed: a result whose shape depends on them (`unique`,
    `x[mask]`) or a Python decision on them (`bool(x)`). A hybridized block whose trace
    raises it runs eagerly instead (gluon/hybrid.py); `mx.jit` raises it."""


class GradientError(MXNetError, TypeError):
    """A gradient that cannot be taken (integer inputs, non-differentiable outputs)."""


class AutogradError(MXNetError):
    """A gradient asked of a recorded graph that cannot give it."""


class ControlFlowError(MXNetError, ValueError, AssertionError):
    """Control-flow operator (foreach, while_loop, cond) misuse. An AssertionError
    too: MXNet checks these with `assert`, and code catches them so."""


class ConstraintError(MXNetError, ValueError):
    """A value check of `npx.constraint_check` failed (MXNet's ValueError)."""


class RandomParameterError(ParamError):
    """A distribution parameter outside its domain (e.g. a negative scale)."""


# ---- devices and compilation ---------------------------------------------------------------


class DeviceError(MXNetError):
    """A context that cannot hold arrays on this machine."""


class CompileForbiddenError(MXNetError):
    """A kernel had to be compiled while MXJIT_FAIL_ON_COMPILE was set."""


class CublasError(MXNetError):
    """cuBLAS could not be loaded or a call failed."""


# ---- files ---------------------------------------------------------------------------------


class SparseFormatError(ShapeError):
    """Sparse arrays whose index structure is inconsistent."""


class NDArrayFormatError(MXNetError, ValueError):
    """A file or buffer that is not a valid MXNet NDArray container."""


class MissingFileError(MXNetError, FileNotFoundError):
    """A file to load that does not exist (MXNet raises MXNetError; Python code expects
    FileNotFoundError: this is both)."""


class FilePermissionError(MXNetError, PermissionError):
    """A file `save` may not replace: read-only for this user (MXNet refuses it too)."""


class NDArraySaveError(MXNetError, TypeError, ValueError):
    """Something `save` cannot write in MXNet's format."""


# ---- Gluon and the Python-level API --------------------------------------------------------


class DeferredInitializationError(MXNetError):
    """A parameter's data was asked for before the first forward pass set its shape."""


class MXNetKeyError(MXNetError, KeyError):
    """A name that is not there (a constant, a registry entry)."""


class NotOverriddenError(MXNetError, NotImplementedError):
    """A method a subclass must define (Block.forward, Dataset.__getitem__, ...) was
    called on a class that does not define it."""


class MXNetUserWarning(MXNetError, UserWarning):
    """What MXNet raises as a UserWarning exception (a stale gradient in Trainer.step, a
    downloaded file whose hash does not match, ...)."""


class MXNetDeprecationWarning(MXNetError, DeprecationWarning):
    """A call of an API MXNet removed and answers with a DeprecationWarning exception."""


class MXNetImportError(MXNetError, ImportError):
    """`import mxnet` cannot be answered by mxjit (a real MXNet is already imported)."""


class WorkerTraceback(MXNetError):
    """The traceback text of an exception raised in a DataLoader worker process: the
    `__cause__` of the exception re-raised in the caller, so Python prints both."""

    def __str__(self) -> str:
        return str(self.args[0])
