"""The array base class every front end builds on: it holds either data or a traced node.

An `Array` is eager (a NumPy buffer, or device memory, in `_data`) or traced (a graph
node of the trace in progress, in `_node`), so the same user code runs both ways. Front
ends subclass it (`mx.nd.NDArray`, later `mx.np.ndarray`) with their own operators and
printed forms; what all of them share lives here: shape and dtype, conversion to NumPy,
the refusal to give a traced array's value, and the autograd variable methods.

Results take their class from their operands: an operator applied to arrays of one class
returns that class's `_result_class` (a sparse NDArray's is the dense NDArray). Arrays
made from nothing (random keys, NumPy arguments of a jitted function) are of the default
class, which the main front end registers (`set_default_array_class`).

    >>> a = Array._wrap(np.ones(3)); a.shape  # doctest: +SKIP
    (3,)
"""
from __future__ import annotations

import math
import sys
from typing import Any, cast

import numpy as np

from .. import context as _context
from ..base import ArgumentError, ConcreteValueError, ParamError, UnsupportedError
from ..context import Context, current_context
from ..lower import owns_memory
from ..trace import Node
from . import tape


def concrete_error(what: str) -> ConcreteValueError:
    """The error for asking a traced array for its value (a hybridized block meeting it
    while tracing runs eagerly instead).

    >>> concrete_error("bool() of a traced array")  # doctest: +SKIP
    """
    return ConcreteValueError(
        f"{what} needs the array's value, which is not known while tracing (inside mx.jit, "
        "mx.grad or a hybridized block). Use mx.nd.where (or mx.nd.contrib.cond) for "
        "data-dependent choices, mark the argument static (static_argnums), or call the "
        "function without jit."
    )


class Array:
    """An array on a device, eager or traced; see the module docstring."""

    __slots__ = ("_data", "_node", "_ctx", "_rec", "_grad", "_grad_req", "_freed",
                 "_fresh_grad", "__weakref__")
    __array_priority__ = 1000.0

    _data: Any  # np.ndarray, or a device backend's array type
    _node: Node | None
    _ctx: Context | None
    _rec: Any  # its record on the autograd tape (core/tape.py), or None
    _grad: Any
    _grad_req: str
    _freed: bool
    #: A variable's: whether a backward pass wrote its gradient since an optimizer step
    #: last used it (Gluon's Trainer checks it, as MXNet does, to report stale gradients).
    _fresh_grad: bool
    #: The class of arrays computed from arrays of this class (set by each front end).
    _result_class: type[Array]
    #: Whether operands of two dtypes meet in their common dtype (NumPy's promotion, as
    #: mx.np will) or are an error (MXNet's mx.nd and Symbol).
    _promotes_dtypes: bool = False
    #: A traced Python scalar (a jitted function's float or int argument, or a literal):
    #: like the Python number it stands for, it takes the dtype of the arrays it meets.
    _weak: bool = False

    @classmethod
    def _wrap(cls, data: Any, ctx: Context | None = None) -> Any:
        """An eager array of this class over `data` (on `ctx`'s device when it is a GPU)."""
        if ctx is None:
            if type(data) is _context.active_array_type:  # device memory: on that device
                ctx = cast(Any, data).context
        elif ctx.device_type == "gpu" and type(data) is not _context.active_array_type:
            data = _context.to_device(data, ctx)
        a = object.__new__(cls)
        a._data, a._node, a._ctx = data, None, ctx
        a._rec = a._grad = None
        return a

    @classmethod
    def _wrap_host(cls, data: np.ndarray) -> Any:
        """`_wrap` for a NumPy buffer in host memory (the hot path of eager CPU ops)."""
        a = object.__new__(cls)
        a._data, a._node, a._ctx = data, None, None
        a._rec = a._grad = None
        return a

    @classmethod
    def _traced(cls, node: Node) -> Any:
        """A traced array of this class standing for `node`."""
        a = object.__new__(cls)
        a._data, a._node, a._ctx = None, node, None
        a._rec = a._grad = None
        return a

    def _buffer(self) -> Any:
        if self._data is None:
            raise concrete_error("reading a traced array")
        return self._data

    def _store_values(self, g: np.ndarray, add: bool, owned: bool = False) -> None:
        """Write (or, with `add`, add) values into this buffer: a gradient computed by
        `backward`, an operator's result for `out=` (a sparse array converts them to its
        own storage). `owned`: nothing else refers to g, so when nothing but this array
        refers to its buffer either (no view of it, no DLPack consumer), g becomes the
        buffer instead of being copied into it."""
        if owned and not add and _may_adopt(self._data, g):
            self._data = g
            return
        target = self._buffer()
        if add:
            target += g
        else:
            target[...] = g

    # ---- attributes ------------------------------------------------------------------

    @property
    def _dtype(self) -> np.dtype:
        return self._data.dtype if self._data is not None else self._node.dtype  # type: ignore

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape if self._data is not None else self._node.shape  # type: ignore

    @property
    def size(self) -> int:
        return int(math.prod(self.shape))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def context(self) -> Context:
        if self._data is None:
            return current_context()
        return self._ctx or Context("cpu", 0)

    ctx = context

    # ---- values ----------------------------------------------------------------------

    def asnumpy(self) -> np.ndarray:
        """A NumPy copy of the data (blocks until it is computed).

        >>> mx.nd.ones((2,)).asnumpy()  # doctest: +SKIP
        array([1., 1.], dtype=float32)
        """
        return np.array(self._buffer(), copy=True)

    def asscalar(self) -> Any:
        """The value of a one-element array as a NumPy scalar."""
        if self.size != 1:
            raise ParamError(f"asscalar: the array has {self.size} elements, not 1")
        return self._buffer().reshape(-1)[0]

    def tolist(self) -> list:
        """The data as nested Python lists."""
        return self._buffer().tolist()  # type: ignore[no-any-return]

    def wait_to_read(self) -> None:
        """Block until the data is computed (CPU kernels run synchronously; on a GPU this
        waits for the device)."""
        if type(self._buffer()) is _context.active_array_type:
            self._buffer().device.synchronize()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self._buffer()
        if type(a) is not np.ndarray:
            a = np.asarray(a)  # (device memory: a host copy)
        return a.astype(dtype) if dtype is not None else a

    def __bool__(self) -> bool:
        if self._node is not None:
            raise concrete_error("bool() of a traced array")
        if self.size != 1:
            raise ParamError("The truth value of an array with more than one element is "
                             "ambiguous.")
        return bool(self._buffer().reshape(-1)[0])

    def __float__(self) -> float:
        if self._node is not None:
            raise concrete_error("float() of a traced array")
        return float(self.asscalar())

    def __int__(self) -> int:
        if self._node is not None:
            raise concrete_error("int() of a traced array")
        return int(self.asscalar())

    def __len__(self) -> int:
        if not self.shape:
            raise ArgumentError("len() of a 0-d array")
        return self.shape[0]

    __hash__ = object.__hash__

    # ---- arithmetic: each front end's own rules (`_binary`, MXNet's or NumPy's) ------

    def _binary(self, op: str, lhs: Any, rhs: Any) -> Any:
        """`op` ('add', 'mul', 'lt', ...) between `lhs` and `rhs`, by this front end's rules
        of broadcasting and dtypes (`mx.nd.NDArray` defines MXNet's)."""
        raise UnsupportedError(f"{type(self).__name__} defines no arithmetic")

    def __add__(self, o: Any) -> Any:
        return self._binary("add", self, o)

    def __radd__(self, o: Any) -> Any:
        return self._binary("add", o, self)

    def __sub__(self, o: Any) -> Any:
        return self._binary("sub", self, o)

    def __rsub__(self, o: Any) -> Any:
        return self._binary("sub", o, self)

    def __mul__(self, o: Any) -> Any:
        return self._binary("mul", self, o)

    def __rmul__(self, o: Any) -> Any:
        return self._binary("mul", o, self)

    def __truediv__(self, o: Any) -> Any:
        return self._binary("div", self, o)

    def __rtruediv__(self, o: Any) -> Any:
        return self._binary("div", o, self)

    def __mod__(self, o: Any) -> Any:
        return self._binary("mod", self, o)

    def __rmod__(self, o: Any) -> Any:
        return self._binary("mod", o, self)

    def __pow__(self, o: Any) -> Any:
        return self._binary("pow", self, o)

    def __rpow__(self, o: Any) -> Any:
        return self._binary("pow", o, self)

    def _unary(self, op: str, x: Any) -> Any:
        """`op` ('neg' or 'abs') of `x` (the front end's operator)."""
        raise UnsupportedError(f"{type(self).__name__} defines no arithmetic")

    def __neg__(self) -> Any:
        return self._unary("neg", self)

    def __abs__(self) -> Any:
        return self._unary("abs", self)

    def __eq__(self, o: Any) -> Any:  # type: ignore[override]
        return self._binary("eq", self, o)

    def __ne__(self, o: Any) -> Any:  # type: ignore[override]
        return self._binary("ne", self, o)

    def __lt__(self, o: Any) -> Any:
        return self._binary("lt", self, o)

    def __le__(self, o: Any) -> Any:
        return self._binary("le", self, o)

    def __gt__(self, o: Any) -> Any:
        return self._binary("gt", self, o)

    def __ge__(self, o: Any) -> Any:
        return self._binary("ge", self, o)

    # ---- autograd ----------------------------------------------------------------------

    def attach_grad(self, grad_req: str = "write", stype: str | None = None) -> None:
        """Make this array a variable: `backward()` writes its gradient to `.grad`
        (in mx.nd, a buffer of storage type `stype`: 'csr' or 'row_sparse' are sparse).

        >>> x = mx.nd.ones((2,)); x.attach_grad()  # doctest: +SKIP
        """
        tape.mark_variables([self], [self._zero_gradient(stype)], grad_req)

    def _zero_gradient(self, stype: str | None) -> Any:
        """A zero gradient buffer for `attach_grad` (a front end with sparse storage gives
        one of storage type `stype`)."""
        return self._result_class._wrap(np.zeros(self.shape, self._dtype), self._ctx)

    @property
    def grad(self) -> Any:
        """The gradient buffer attached by `attach_grad` (None before)."""
        return self._grad

    def backward(self, out_grad: Any = None, retain_graph: bool = False,
                 train_mode: bool = True) -> None:
        """Gradients of this array w.r.t. the variables it was computed from.

        >>> with mx.autograd.record(): y = (x * x).sum()  # doctest: +SKIP
        >>> y.backward()  # doctest: +SKIP
        """
        tape.backward([self], None if out_grad is None else [out_grad], retain_graph,
                      train_mode)

    def detach(self) -> Any:
        """The same data, cut off from the recorded graph."""
        return self._result_class._wrap(self._buffer(), self._ctx)


Array._result_class = Array
_default: list[type[Array]] = [Array]
_weak_classes: dict[type, type] = {}


def weak_class(cls: type[Array]) -> type[Array]:
    """The class of `cls`'s weakly typed scalars: a subclass (so isinstance holds) whose
    `_weak` is set and whose results are plain `cls` arrays.

    >>> weak_class(Array)._weak, weak_class(Array)._result_class is Array
    (True, True)
    """
    if cls._weak:
        return cls
    weak = _weak_classes.get(cls)
    if weak is None:
        weak = _weak_classes[cls] = type(cls.__name__, (cls,), {
            "__slots__": (), "_weak": True, "__module__": cls.__module__,
            "__qualname__": cls.__qualname__, "_result_class": cls})
    return weak


def weakened(x: Array) -> Array:
    """A traced array as a weakly typed scalar of its class (see `weak_class`).

    >>> weakened(traced_float64_scalar)._weak  # doctest: +SKIP
    True
    """
    assert x._node is not None, "only traced values stand for Python numbers"
    return weak_class(x._result_class)._traced(x._node)  # type: ignore[no-any-return]


def set_default_array_class(cls: type[Array]) -> None:
    """The class of arrays made from nothing but NumPy data (mx.nd.NDArray by default).

    >>> set_default_array_class(mx.nd.NDArray)  # doctest: +SKIP
    """
    _default[0] = cls


def default_array_class() -> type[Array]:
    """See `set_default_array_class`."""
    return _default[0]


def is_array(x: Any) -> bool:
    """Whether `x` is an mxjit array of any front end."""
    return isinstance(x, Array)


def _may_adopt(old: Any, new: Any) -> bool:
    """Whether `new`, a fresh array, may replace `old` as an array's buffer: both NumPy
    arrays of one dtype and shape, `new` contiguous and alone over its memory, and `old`
    referred to only by its array. (A view or a DLPack consumer of `old` holds a reference
    to it, and must go on seeing the array's values: then the gradient is copied.)"""
    # (3: the array's own reference, this call's argument, getrefcount's argument)
    return (type(old) is np.ndarray and type(new) is np.ndarray and old.dtype == new.dtype
            and old.shape == new.shape and new.flags.c_contiguous and owns_memory(new)
            and new.flags.writeable and sys.getrefcount(old) <= 3)

