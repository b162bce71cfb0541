"""`mx.util`: the switches of MXNet's NumPy semantics, and small helpers.

Two flags decide how MXNet code behaves: NumPy *shape* semantics (shape `()` is a
scalar, a 0 in a shape is a zero-size axis) and NumPy *array* semantics (Gluon makes and
returns `mx.np.ndarray`s instead of `mx.nd.NDArray`s). `set_np()` turns both on for the
process, `reset_np()` off; `np_shape`/`np_array` scopes and the `use_np*` decorators turn
them on for a block of code in the current thread, as MXNet's do.

    >>> mx.util.set_np(); mx.util.is_np_array()  # doctest: +SKIP
    True
"""

import functools as _functools
import inspect as _inspect
import os as _os
import threading as _threading
from collections.abc import Callable as _Callable
from collections.abc import Iterator as _Iterator
from contextlib import contextmanager as _contextmanager
from typing import Any as _Any

from .base import ArgumentError as _ArgumentError
from .base import ParamError as _ParamError

#: The process-wide flags (`set_np`), and the current thread's scoped overrides.
_GLOBAL = {"shape": False, "array": False}


class _Scoped(_threading.local):
    # (class defaults: reading a flag this thread never scoped finds None here instead of
    # raising and catching AttributeError, which costs ten times as much, on every op)
    shape: list[bool] | None = None
    array: list[bool] | None = None


_scoped = _Scoped()


def _flag(name: str) -> bool:
    stack = getattr(_scoped, name)
    return stack[-1] if stack else _GLOBAL[name]


def is_np_shape() -> bool:
    """Whether NumPy shape semantics are on (`()` is a scalar's shape, 0 a zero-size axis).

    >>> mx.util.is_np_shape()  # doctest: +SKIP
    False
    """
    return _flag("shape")


def is_np_array() -> bool:
    """Whether NumPy array semantics are on (Gluon makes and returns `mx.np.ndarray`s).

    >>> mx.util.is_np_array()  # doctest: +SKIP
    False
    """
    return _flag("array")


def set_np_shape(active: bool) -> bool:
    """Turn NumPy shape semantics on or off for the process; returns the previous state.

    >>> prev = mx.util.set_np_shape(True)  # doctest: +SKIP
    """
    previous = is_np_shape()
    if not active and _GLOBAL["array"]:
        raise _ParamError("NumPy Shape semantics is required in using NumPy array semantics; "
                         "call reset_np() to turn both off")
    _GLOBAL["shape"] = bool(active)
    return previous


def set_np(shape: bool = True, array: bool = True) -> None:
    """Turn NumPy shape and array semantics on (or off) for the process, as
    `npx.set_np()` does.

    >>> from mxjit import npx; npx.set_np()  # doctest: +SKIP
    """
    if not shape and array:
        raise _ParamError("NumPy Shape semantics is required in using NumPy array semantics.")
    _GLOBAL["array"] = bool(array)
    _GLOBAL["shape"] = bool(shape)


def reset_np() -> None:
    """Turn NumPy shape and array semantics off (MXNet's legacy behaviour).

    >>> mx.util.reset_np()  # doctest: +SKIP
    """
    set_np(shape=False, array=False)


@_contextmanager
def _scope(name: str, active: bool) -> _Iterator[None]:
    stack = getattr(_scoped, name)
    if stack is None:
        stack = []
        setattr(_scoped, name, stack)
    stack.append(bool(active))
    try:
        yield
    finally:
        stack.pop()


def np_shape(active: bool = True) -> _Any:
    """A scope (`with`) in which NumPy shape semantics are `active`, in this thread.

    >>> with mx.util.np_shape(True): pass  # doctest: +SKIP
    """
    return _scope("shape", active)


def np_array(active: bool = True) -> _Any:
    """A scope (`with`) in which NumPy array semantics are `active`, in this thread.

    >>> with mx.util.np_array(True): pass  # doctest: +SKIP
    """
    return _scope("array", active)


def _decorator(name: str, scopes: tuple[str, ...]) -> _Callable[[_Any], _Any]:
    """MXNet's use_np_* decorators: a function runs inside the scopes; a class has every
    method (and property) wrapped, inherited ones included as in MXNet, so a Gluon block
    made and called from it (`__call__`'s output check too) is in them."""
    def decorate(func: _Any) -> _Any:
        if _inspect.isclass(func):
            for attr in dir(func):
                member = _inspect.getattr_static(func, attr)
                if isinstance(member, property):
                    setattr(func, attr, property(
                        decorate(member.fget) if member.fget else None, member.fset,
                        member.fdel, member.__doc__))
                elif _inspect.isfunction(member):
                    setattr(func, attr, decorate(member))
            return func
        if not callable(func):
            raise _ArgumentError(f"{name} can only decorate classes and callable objects, while "
                                f"received a {type(func)}")

        @_functools.wraps(func)
        def scoped(*args: _Any, **kwargs: _Any) -> _Any:
            with _scope(scopes[0], True):
                if len(scopes) == 1:
                    return func(*args, **kwargs)
                with _scope(scopes[1], True):
                    return func(*args, **kwargs)

        return scoped

    decorate.__name__ = decorate.__qualname__ = name
    return decorate


use_np_shape = _decorator("use_np_shape", ("shape",))
use_np_shape.__doc__ = """Run the decorated function (every method of a class) with NumPy
shape semantics on.

    >>> @mx.util.use_np_shape
    ... def f(): return mx.util.is_np_shape()
    """
use_np_array = _decorator("use_np_array", ("array",))
use_np_array.__doc__ = """Run the decorated function (every method of a class) with NumPy
array semantics on: Gluon blocks defined under it make and return `mx.np.ndarray`s.

    >>> @mx.util.use_np_array
    ... class Net(mx.gluon.HybridBlock): ...
    """
use_np = _decorator("use_np", ("shape", "array"))
use_np.__doc__ = """`use_np_shape` and `use_np_array` together (MXNet's `npx.use_np`).

    >>> @mx.util.use_np
    ... class Net(mx.gluon.HybridBlock): ...
    """


def makedirs(d: str) -> None:
    """Create directory `d` and its parents; no error when it exists.

    >>> mx.util.makedirs('/tmp/a/b')  # doctest: +SKIP
    """
    _os.makedirs(_os.path.expanduser(d), exist_ok=True)


def getenv(name: str) -> str | None:
    """The value of environment variable `name` (None when unset).

    >>> mx.util.getenv('HOME')  # doctest: +SKIP
    """
    return _os.environ.get(name)


def setenv(name: str, value: str | None) -> None:
    """Set environment variable `name` to `value` (None unsets it).

    >>> mx.util.setenv('MXNET_ENGINE_TYPE', 'NaiveEngine')  # doctest: +SKIP
    """
    if value is None:
        _os.environ.pop(name, None)
    else:
        _os.environ[name] = str(value)


__all__ = ["is_np_shape", "is_np_array", "set_np_shape", "set_np", "reset_np", "np_shape",
           "np_array", "use_np_shape", "use_np_array", "use_np", "makedirs", "getenv",
           "setenv"]
