"""NDArray: MXNet's n-dimensional array, holding a NumPy buffer (eager) or a graph node (traced).

Inside `mx.jit` and `mx.grad` the same class carries a node of the trace instead of
data, so user code runs unchanged in both modes; asking a traced array for its value
raises an error that says why. What every front end's array shares is in
`mxjit.core.array.Array`; this class adds MXNet 1.x's operators, methods and printed form.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ArgumentError, ParamError, ShapeError
from ..context import Context, check_context
from ..core import Array, bind, same_shape_binary, scalar_binary, set_default_array_class, tape
from ..core.history import note_arithmetic, note_call
from ..ops import indexing
from ..ops.elementwise import COMPARISONS, abs, binary, cast, negative
from ..ops.operands import write_out, write_outs
from ..ops.shape import reshape, transpose
from ..trace import canonical_dtype
from .formatting import format_values
from .serialization import STORAGE_TYPE_CODES, dumps_record, loads_record

#: MXNet's private names of the storage type codes, which its tests and libraries import
#: (`from mxnet.ndarray.ndarray import _STORAGE_TYPE_STR_TO_ID`).
_STORAGE_TYPE_STR_TO_ID = dict(STORAGE_TYPE_CODES)
_STORAGE_TYPE_ID_TO_STR = {v: k for k, v in STORAGE_TYPE_CODES.items()}
#: MXNet's ndarray.py name for the built-in `slice`, which its `slice` operator shadows
#: there (MXNet's test_ndarray imports it)
py_slice = slice


class NDArray(Array):
    """An array on a device (MXNet's `mx.nd.NDArray`).

    >>> x = mx.nd.array([[1, 2], [3, 4]]); x.shape  # doctest: +SKIP
    (2, 2)
    """

    __slots__ = ()

    @property
    def dtype(self) -> type:
        """The NumPy scalar type of the elements (e.g. `numpy.float32`), as in MXNet."""
        return self._dtype.type

    @property
    def stype(self) -> str:
        return "default"

    @property
    def T(self) -> NDArray:
        return note_call("transpose", {}, (self,), finish(transpose(self), (self,), None))

    # ---- conversion ------------------------------------------------------------------

    def copy(self) -> NDArray:
        """A copy on the same context.

        >>> y = x.copy()  # doctest: +SKIP
        """
        if self._data is None or self._rec is not None:
            # traced, or recorded by autograd: a recorded identity (a cast to its own dtype)
            result = bind("cast", self, dtype=self._dtype)
            result._ctx = self._ctx
            return result
        return NDArray._wrap(np.array(self._data, copy=True), self._ctx)

    def copyto(self, other: NDArray | Context) -> NDArray:
        """Copy into the array `other` (same shape) or onto the context `other`."""
        if isinstance(other, Context):
            return NDArray._wrap(np.array(self._buffer(), copy=True), check_context(other))
        if other is self:
            return other
        if not isinstance(other, NDArray):
            raise ArgumentError(f"copyto: expected an NDArray or a Context, got "
                                f"{type(other).__name__}")
        if other.shape != self.shape:
            raise ShapeError(f"copyto: shape {self.shape} does not match the target "
                             f"{other.shape}")
        if other.stype != "default":  # (converted to the target's storage type, as MXNet)
            other[:] = self
            return other
        other._buffer()[...] = self._buffer()
        return other

    def _zero_gradient(self, stype: str | None) -> NDArray:
        zeros = super()._zero_gradient(stype)
        if stype in (None, "default"):
            return zeros  # type: ignore[no-any-return]
        return zeros.tostype(stype)  # type: ignore[attr-defined,no-any-return]

    def as_in_context(self, context: Context) -> NDArray:
        """This array on `context`: itself when already there, else a copy."""
        if context == self.context:
            return self
        return self.copyto(context)

    def astype(self, dtype: Any, copy: bool = True) -> NDArray:
        """The data converted to `dtype` (itself when `copy=False` and already that dtype)."""
        if not copy and canonical_dtype(dtype) == self._dtype:
            return self
        return cast(self, dtype)  # type: ignore[return-value]

    def __getitem__(self, key: Any) -> NDArray:
        """x[key]: ints, slices, None, Ellipsis and index arrays, with MXNet 1.x semantics
        (a view for contiguous basic keys; see `mxjit.nd.indexing`).

        >>> mx.nd.arange(6).reshape((2, 3))[1, ::2]  # doctest: +SKIP
        """
        return indexing.getitem(self, key)  # type: ignore[return-value]

    def __setitem__(self, key: Any, value: Any) -> None:
        """x[key] = value: write into this array's memory (eager only).

        >>> x = mx.nd.zeros((2, 3)); x[:, 1:] = 5  # doctest: +SKIP
        """
        indexing.setitem(self, key, value)

    def __bool__(self) -> bool:
        """An array of no elements is False, of one its value's truth, as in MXNet (more
        elements are ambiguous: an error)."""
        if self._node is None and self.size == 0:
            return False
        return Array.__bool__(self)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled as MXNet pickles: the array's record of MXNet's binary format."""
        # (np.ascontiguousarray would make a 0-d array 1-d)
        return {"handle": bytearray(dumps_record(np.require(self.asnumpy(), requirements="C")))}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle MXNet's state (an array saved on a GPU comes back on the CPU)."""
        handle = state.get("handle") if isinstance(state, dict) else None
        if handle is None:
            raise ArgumentError("NDArray.__setstate__: expected MXNet's {'handle': bytes}")
        self._data, self._node, self._ctx = loads_record(bytes(handle)), None, None
        self._rec = self._grad = None

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.shape))
        if self._node is not None:
            return f"<NDArray {shape} traced {self._dtype}>"
        return f"\n{format_values(self.asnumpy())}\n<NDArray {shape} @{self.context}>"

    __str__ = __repr__

    # ---- operators (the arithmetic dunders are Array's, over `_binary`) ----------------

    _binary = staticmethod(binary)  # (MXNet's rules: see ops.elementwise.binary)

    @staticmethod
    def _unary(op: str, x: Any) -> Any:
        if op == "neg":  # (MXNet's NDArray records -x as x * -1, for get_symbol)
            return note_call("_mul_scalar", {"scalar": "-1.0"}, (x,), negative(x))
        return note_call("abs", {}, (x,), abs(x))

    def _inplace(self, op: str, other: Any) -> NDArray:
        """x op= y: the result is written into this array's memory (views included)."""
        result = binary(op, self, other)
        if result.shape != self.shape:
            raise ParamError(f"in-place {op}: the result's shape {result.shape} differs from "
                             f"the array's {self.shape}")
        if self._node is not None:
            self._node = result._node
            return self
        tape.overwriting(self._buffer())  # (recorded values in this memory go stale)
        self._buffer()[...] = result._buffer()
        if result._rec is not None:
            self._rec = result._rec
        return self

    def __iadd__(self, o: Any) -> NDArray:
        return self._inplace("add", o)

    def __isub__(self, o: Any) -> NDArray:
        return self._inplace("sub", o)

    def __imul__(self, o: Any) -> NDArray:
        return self._inplace("mul", o)

    def __itruediv__(self, o: Any) -> NDArray:
        return self._inplace("div", o)

    def __imod__(self, o: Any) -> NDArray:
        return self._inplace("mod", o)

    def __ipow__(self, o: Any) -> NDArray:
        return self._inplace("pow", o)

    # ---- methods mirroring mx.nd functions (the rest come from nd/methods.py) ----------

    def reshape(self, *shape: Any, **kwargs: Any) -> NDArray:
        """A new shape, with MXNet's codes (0, -1, -2, -3, -4; see `mx.nd.reshape`): as ints,
        one tuple or `shape=`; `reverse=True` matches the codes from the right. Eagerly a
        view of the same memory.

        >>> mx.nd.arange(6).reshape(2, 3).shape  # doctest: +SKIP
        (2, 3)
        """
        unknown = sorted(set(kwargs) - {"shape", "reverse"})
        if unknown:
            raise ArgumentError(f"reshape: unknown keyword arguments {unknown}; the accepted ones "
                            "are 'shape' and 'reverse'")
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        if not shape and "shape" in kwargs:
            shape = kwargs["shape"]
        # MXNet's NDArray.reshape shares memory (mx.nd.reshape copies): the view form
        result = reshape(self, shape=shape, reverse=kwargs.get("reverse", False))
        if tape.recording_threads:  # (MXNet records the shape it resolved, as C++ prints it)
            note_call("Reshape", {"shape": f"[{','.join(map(str, result.shape))}]"}, (self,),
                      result)
        return result  # type: ignore[return-value]

    def transpose(self, *axes: Any, **kwargs: Any) -> NDArray:
        """The axes permuted: `x.transpose(1, 0)`, `x.transpose((1, 0))` or
        `x.transpose(axes=(1, 0))`; reversed when none are given.

        >>> mx.nd.ones((2, 3)).transpose().shape  # doctest: +SKIP
        (3, 2)
        """
        unknown = sorted(set(kwargs) - {"axes"})
        if unknown or (axes and kwargs):
            raise ArgumentError(f"transpose: give the axes positionally or as axes=, got "
                            f"{axes} and {kwargs}")
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = tuple(axes[0])
        given = kwargs.get("axes") or axes or None
        result = finish(transpose(self, axes=given), (self,), None)
        return note_call("transpose", {} if given is None else {"axes": str(tuple(given))},
                         (self,), result)

    def as_np_ndarray(self) -> Any:
        """This array as an `mx.np.ndarray` over the same memory and autograd record (no
        copy; MXNet's zero-copy conversion).

        >>> type(mx.nd.ones(2).as_np_ndarray()).__name__  # doctest: +SKIP
        'ndarray'
        """
        return view_as(_np_class[0], self)


NDArray._result_class = NDArray
#: mx.np's ndarray, registered by mx.np (a layer above) for `as_np_ndarray`.
_np_class: list[type] = [NDArray]


def register_np_class(cls: type) -> None:
    """Name the class `NDArray.as_np_ndarray` gives (mx.np registers its ndarray)."""
    _np_class[0] = cls


def view_as(cls: type, x: Array) -> Any:
    """`x` as an array of class `cls` over the same memory, trace node and autograd record
    (MXNet's zero-copy `as_np_ndarray`/`as_nd_ndarray`).

    >>> type(view_as(NDArray, mx.np.ones(2))).__name__  # doctest: +SKIP
    'NDArray'
    """
    if type(x) is cls:
        return x
    y: Any = object.__new__(cls)
    for slot in ("_data", "_node", "_ctx", "_rec", "_grad", "_grad_req", "_fresh_grad"):
        if hasattr(x, slot):
            setattr(y, slot, getattr(x, slot))
    return y


def _operator(op: str, reflected: bool) -> Any:
    """NDArray's `__add__` and kin: `Array`'s over `_binary`, with the common case (two
    NDArrays of one shape and dtype, a small flat kernel already built) first, one call
    shorter: this is the hot path of eager code. While recording (when the fast paths
    step aside) the call is noted as MXNet's operator for `autograd.get_symbol`."""
    comparison = op in COMPARISONS

    def method(self: NDArray, o: Any) -> Any:
        if type(o) is NDArray:
            fast = same_shape_binary(op, o, self, comparison) if reflected else \
                same_shape_binary(op, self, o, comparison)
            if fast is not None:
                return fast
        elif type(o) is float or type(o) is int:
            fast = scalar_binary(op, self, o, reflected, comparison)
            if fast is not None:
                return fast
        if tape.recording_threads:
            return note_arithmetic(op, o, self, binary(op, o, self)) if reflected else \
                note_arithmetic(op, self, o, binary(op, self, o))
        return binary(op, o, self) if reflected else binary(op, self, o)

    return method


#: Python's binary operator methods: (method, primitive, operands reflected). mx.np's
#: array class defines the same methods with its own promotion rules.
BINARY_METHODS = (
    ("__add__", "add", False), ("__radd__", "add", True), ("__sub__", "sub", False),
    ("__rsub__", "sub", True), ("__mul__", "mul", False), ("__rmul__", "mul", True),
    ("__truediv__", "div", False), ("__rtruediv__", "div", True),
    ("__mod__", "mod", False), ("__rmod__", "mod", True), ("__pow__", "pow", False),
    ("__rpow__", "pow", True), ("__eq__", "eq", False), ("__ne__", "ne", False),
    ("__lt__", "lt", False), ("__le__", "le", False), ("__gt__", "gt", False),
    ("__ge__", "ge", False))
for _name, _op, _reflected in BINARY_METHODS:
    _method = _operator(_op, _reflected)
    _method.__name__ = _method.__qualname__ = _name
    setattr(NDArray, _name, _method)
set_default_array_class(NDArray)


def _unshared(result: Any, operands: tuple) -> Any:
    """`result` as a new array: a copy where it is an operand or shares its memory (the
    primitives give NumPy views for reshape, transpose, slice and no-op movements)."""
    if not isinstance(result, NDArray):
        return result
    data = result._data
    if data is None:
        return result
    for a in operands:
        if result is a:
            return bind("cast", result, dtype=result._dtype)  # a recorded identity: a copy
    if type(data) is np.ndarray and data.base is not None and any(
            isinstance(a, NDArray) and a._data is not None
            and np.may_share_memory(data, a._data) for a in operands):
        result._data = data.copy()
    return result


def finish(result: Any, operands: tuple, out: Any) -> Any:
    """What an `mx.nd` operator returns: MXNet's operators return new arrays (never an
    operand, nor a view of one), written into `out=` when it is given.

    >>> finish(result, (x,), None)  # doctest: +SKIP
    """
    if out is None and type(result) is NDArray and result._data is not None \
            and result._data.base is None:
        return result  # (the common case: a fresh array)
    if isinstance(result, (list, tuple)):
        return write_outs([_unshared(r, operands) for r in result], out)
    return write_out(_unshared(result, operands), out)
