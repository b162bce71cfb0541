"""`mx.sym.np` and `mx.sym.npx`: each function of `mx.np`/`mx.npx` (and `linalg`,
`random`) on symbols, as one `_np_call` node (see mxjit/numpy/symbolic.py) that calls the
same function when the symbol is bound.

    >>> y = mx.sym.np.tanh(mx.sym.var('x').as_np_ndarray() @ mx.sym.var('w'))  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from ..base import ArgumentError
from ..core.literals import marked
from ..core.np_functions import SPLITS, result_count
from ..core.operators import lookup
from .namespace import make_function
from .symbol import NUMPY_SYMBOL, Symbol

#: Sub-namespaces of mx.np whose functions run on symbols too.
SUBMODULES = ("linalg", "random")


class NumpyNamespace:
    """The functions of one namespace (`prefix`: '', 'linalg.', 'npx.') on symbols."""

    def __init__(self, prefix: str):
        self._prefix = prefix
        self._shown = "npx" if prefix == "npx." else "np" + ("." + prefix[:-1] if prefix else "")

    def __getattr__(self, name: str) -> Any:
        if name == "_Symbol" and not self._prefix:
            return NumpySymbol  # (MXNet's name of the class)
        if name.startswith("_"):
            raise AttributeError(name)
        if not self._prefix and name in SUBMODULES:
            return NumpyNamespace(name + ".")
        qualified = self._prefix + name

        def function(*args: Any, name: str | None = None, **kwargs: Any) -> Symbol:
            return call(qualified, args, kwargs, name)

        function.__name__ = function.__qualname__ = name
        function.__doc__ = f"mx.np's {qualified} on symbols (one `_np_call` node)."
        return function

    def __repr__(self) -> str:
        return f"<namespace mx.sym.{self._shown}>"


def call(fn: str, args: tuple, kwargs: dict[str, Any], name: str | None = None
         ) -> Any:
    """A `_np_call` node of `fn` over the symbols among `args` and `kwargs`: its symbol,
    or for a function of several results a list of one symbol per result (as MXNet's
    `mx.sym.np.split`).

    >>> call('sum', (mx.sym.var('x'),), {'axis': 1})  # doctest: +SKIP
    """
    inputs: list[Symbol] = []

    def is_symbol(value: Any) -> bool:
        return isinstance(value, Symbol)

    positional = marked(tuple(args), is_symbol, inputs)
    named = marked(dict(kwargs), is_symbol, inputs)
    count = result_count(fn, args, kwargs)
    node = make_function(lookup("_np_call"), "_np_call", hint=fn.split(".")[-1])
    made = node(*inputs, fn=fn, args=repr(positional), kwargs=repr(named), num_args=len(inputs),
                num_outputs=count, name=name)
    if count == 1 and fn not in SPLITS:
        return NumpySymbol(made._outputs)
    return [NumpySymbol([output]) for output in made._outputs]


def _binary(fn: str, reverse: bool = False) -> Any:
    def method(self: NumpySymbol, other: Any) -> NumpySymbol:
        return call(fn, (other, self) if reverse else (self, other), {})
    method.__name__ = fn
    return method


class NumpySymbol(Symbol):
    """A symbol with NumPy semantics (MXNet's `_Symbol`, from `as_np_ndarray()` and every
    `mx.sym.np` function): its operators broadcast as mx.np's do and its methods are
    mx.np's functions (`x.sum(axis=1)`, `x.reshape((2, -1))`)."""

    __add__, __radd__ = _binary("add"), _binary("add", True)
    __sub__, __rsub__ = _binary("subtract"), _binary("subtract", True)
    __mul__, __rmul__ = _binary("multiply"), _binary("multiply", True)
    __truediv__, __rtruediv__ = _binary("true_divide"), _binary("true_divide", True)
    __floordiv__, __rfloordiv__ = _binary("floor_divide"), _binary("floor_divide", True)
    __mod__, __rmod__ = _binary("mod"), _binary("mod", True)
    __pow__, __rpow__ = _binary("power"), _binary("power", True)
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", True)
    __eq__, __ne__ = _binary("equal"), _binary("not_equal")  # type: ignore[assignment]
    __lt__, __le__ = _binary("less"), _binary("less_equal")  # type: ignore[assignment]
    __gt__, __ge__ = _binary("greater"), _binary("greater_equal")  # type: ignore[assignment]
    __hash__ = Symbol.__hash__

    def __neg__(self) -> NumpySymbol:
        return call("negative", (self,), {})

    def __abs__(self) -> NumpySymbol:
        return call("absolute", (self,), {})

    @property
    def T(self) -> NumpySymbol:  # noqa: N802  (NumPy's name)
        return call("transpose", (self,), {})

    def as_np_ndarray(self) -> NumpySymbol:
        return self

    def __getitem__(self, key: Any) -> NumpySymbol:  # type: ignore[override]
        """An output of a group (int or slice), else NumPy indexing of the one output.

        >>> mx.sym.var('x').as_np_ndarray()[:, -1]  # doctest: +SKIP
        """
        if len(self._outputs) > 1:
            if not isinstance(key, (int, slice)):
                raise ArgumentError(f"indices of symbol group must be integers or slices, not "
                                f"{type(key)}")
            return NumpySymbol(Symbol.__getitem__(self, key)._outputs)
        return call("_getitem", (self, key), {})  # type: ignore[no-any-return]

    def as_nd_ndarray(self) -> Symbol:
        return Symbol(self._outputs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: call(name, (self, *args), kwargs)


NUMPY_SYMBOL.append(NumpySymbol)
