"""`mx.np.ndarray`: MXNet's NumPy-compatible array, a subclass of `mx.nd.NDArray` (as in
MXNet) with NumPy's arithmetic, promotion, indexing and printed form.

It holds data or a traced node like every array (`core.array.Array`), so `mx.jit`,
`mx.grad` and autograd take and return it unchanged. `as_nd_ndarray`/`as_np_ndarray`
give the other class over the same memory and the same autograd identity (no copy).

    >>> x = mx.np.array([[1, 2], [3, 4]]); x  # doctest: +SKIP
    array([[1., 2.],
           [3., 4.]])
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import ArgumentError, DTypeError, MXNetIndexError, ShapeError, UnsupportedError
from ..context import Context, check_context
from ..core import Array, bind, same_shape_binary, tape
from ..nd import NDArray
from ..nd.formatting import _LEGACY
from ..nd.ndarray import BINARY_METHODS, register_np_class, view_as
from ..ops.elementwise import abs as _abs
from ..ops.elementwise import cast, negative
from ..ops.operands import as_dtype, reshape_exact
from ..ops.shape import transpose
from . import indexing
from .arithmetic import binary, set_np_class
from .promotion import user_dtype


class ndarray(NDArray):  # noqa: N801  (NumPy's and MXNet's name)
    """An array of `mx.np` (MXNet's `mxnet.numpy.ndarray`).

    >>> mx.np.ones((2, 3)).sum(axis=1)  # doctest: +SKIP
    array([3., 3.])
    """

    __slots__ = ()
    _promotes_dtypes = True

    @property
    def dtype(self) -> np.dtype:  # type: ignore[override]
        """The NumPy dtype of the elements (`dtype('float32')`: MXNet's mx.np gives the
        dtype object, where mx.nd gives its scalar type)."""
        return self._dtype

    # ---- printed form (MXNet's: NumPy's repr, float32 without its dtype) --------------

    def __repr__(self) -> str:
        if self._node is not None:
            return f"<ndarray {self.shape} traced {self._dtype}>"
        with np.printoptions(legacy=_LEGACY):  # type: ignore[arg-type]
            text = repr(self.asnumpy())
        dtype = self._dtype
        if "dtype=" in text:
            if dtype == np.float32:
                text = text[:text.rindex(",")] + ")"
        elif dtype not in (np.float32, np.bool_):
            text = text[:-1] + f", dtype={dtype})"
        if self.context.device_type != "cpu":
            text = text[:-1] + f", ctx={self.context})"
        return text

    def __str__(self) -> str:
        if self._node is not None:
            return repr(self)
        with np.printoptions(legacy=_LEGACY):  # type: ignore[arg-type]
            text = str(self.asnumpy())
        if self.context.device_type == "cpu" or self.ndim == 0:
            return text
        return f"{text} @{self.context}"

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self.item(), spec)
        if not spec:
            return str(self)
        raise ArgumentError("Cannot format mxnet.numpy.ndarray with format_spec")

    # ---- conversions -------------------------------------------------------------------

    def item(self, *args: Any) -> Any:
        """The element (of a one-element array, or at `args`) as a Python number.

        >>> mx.np.array([5]).item()  # doctest: +SKIP
        5.0
        """
        return self._buffer().item(*args)

    def as_nd_ndarray(self) -> NDArray:
        """This array as an `mx.nd.NDArray` over the same memory (no copy).

        >>> type(mx.np.ones(2).as_nd_ndarray()).__name__  # doctest: +SKIP
        'NDArray'
        """
        return view_as(NDArray, self)  # type: ignore[no-any-return]

    def as_np_ndarray(self) -> ndarray:
        """The array itself (it is one already).

        >>> x.as_np_ndarray() is x  # doctest: +SKIP
        True
        """
        return self

    def copy(self, order: str = "C") -> ndarray:
        """A copy on the same device.

        >>> y = mx.np.ones(2).copy()  # doctest: +SKIP
        """
        if order != "C":
            raise UnsupportedError(f"copy: only order='C' is supported, got {order!r}")
        if self._data is None or self._rec is not None:
            result = bind("cast", self, dtype=self._dtype)
            result._ctx = self._ctx
            return result  # type: ignore[no-any-return]
        return ndarray._wrap(np.array(self._data, copy=True), self._ctx)  # type: ignore

    def copyto(self, other: Any) -> Any:
        """Copy into the array `other` (same shape) or onto the device `other`.

        >>> mx.np.ones(2).copyto(mx.cpu(1))  # doctest: +SKIP
        """
        if isinstance(other, Context):
            return ndarray._wrap(np.array(self._buffer(), copy=True), check_context(other))
        return super().copyto(other)

    def as_in_ctx(self, ctx: Context) -> ndarray:
        """This array on device `ctx`: itself when it is there already, else a copy.

        >>> mx.np.ones(2).as_in_ctx(mx.cpu())  # doctest: +SKIP
        """
        return self if ctx == self.context else self.copyto(ctx)  # type: ignore

    as_in_context = as_in_ctx  # type: ignore[assignment]

    def astype(self, dtype: Any, order: str = "K", casting: str = "unsafe",  # type: ignore
               subok: bool = True, copy: bool = True) -> ndarray:
        """The values converted to `dtype` (itself when `copy=False` and already that dtype).

        >>> mx.np.array([1.7]).astype('int32')  # doctest: +SKIP
        array([1], dtype=int32)
        """
        d = user_dtype(dtype, "astype")
        if not copy and d == self._dtype:
            return self
        return cast(self, d)  # type: ignore[return-value]

    @property
    def grad(self) -> Any:
        """The gradient buffer attached by `attach_grad` (None before, and for
        grad_req='null', as MXNet's mx.np)."""
        if self._grad is not None and getattr(self, "_grad_req", None) == "null":
            return None
        return view_as(ndarray, self._grad) if self._grad is not None else None

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return super().__array__(dtype, copy)

    def __dlpack__(self, stream: Any = None, **kwargs: Any) -> Any:
        """A DLPack capsule over this array's memory (NumPy, PyTorch and JAX read it
        without a copy).

        >>> numpy.from_dlpack(mx.np.ones(3))  # doctest: +SKIP
        """
        if self.context.device_type != "cpu":
            raise UnsupportedError(f"__dlpack__: arrays on {self.context} cannot be shared yet; "
                             "copy to the CPU first (x.as_in_ctx(mx.cpu()))")
        return self._buffer().__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)

    # ---- shape -------------------------------------------------------------------------

    @property
    def T(self) -> ndarray:
        return transpose(self)  # type: ignore[return-value]

    def reshape(self, *shape: Any, order: str = "C") -> ndarray:  # type: ignore[override]
        """A new shape (NumPy's: one -1 is inferred, 0 is a zero-length axis); a view of
        the same memory where NumPy gives one.

        >>> mx.np.arange(6).reshape(2, -1).shape  # doctest: +SKIP
        (2, 3)
        """
        if order != "C":
            raise ArgumentError(f"reshape: only order='C' is supported, got {order!r}")
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        return reshape_exact(self, numpy_shape(self.shape, shape, "reshape"))  # type: ignore

    def transpose(self, *axes: Any) -> ndarray:  # type: ignore[override]
        """The axes permuted (reversed when none are given), as NumPy's `transpose`.

        >>> mx.np.ones((2, 3)).transpose().shape  # doctest: +SKIP
        (3, 2)
        """
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)) or axes == (None,):
            axes = tuple(axes[0] or ())
        return transpose(self, axes=axes or None)  # type: ignore[return-value]

    # ---- indexing ----------------------------------------------------------------------

    def __getitem__(self, key: Any) -> ndarray:
        """x[key] with NumPy's rules: basic, advanced and boolean-mask indexing.

        >>> x = mx.np.arange(6); x[x > 3]  # doctest: +SKIP
        array([4., 5.])
        """
        data = self._data
        if type(key) is int and type(data) is np.ndarray and data.ndim and \
                -data.shape[0] <= key < data.shape[0] and not tape.recording_threads:
            view = ndarray._wrap_host(data[key, ...])  # (the hot path: a view of one entry)
            view._ctx = self._ctx
            return view  # type: ignore[no-any-return]
        return indexing.getitem(self, key)  # type: ignore[no-any-return]

    def __setitem__(self, key: Any, value: Any) -> None:
        """x[key] = value, masks included (eager only).

        >>> x = mx.np.zeros(3); x[x == 0] = 2  # doctest: +SKIP
        """
        indexing.setitem(self, key, value)

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise MXNetIndexError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    # ---- arithmetic (NumPy's promotion: see arithmetic.py) -----------------------------

    _binary = staticmethod(binary)

    @staticmethod
    def _unary(op: str, x: Any) -> Any:
        return negative(x) if op == "neg" else _abs(x)

    def _inplace(self, op: str, other: Any) -> ndarray:
        """x op= y: the result, cast back to x's dtype, written into x's memory."""
        result = binary(op, self, other)
        if result.shape != self.shape:
            raise ShapeError(f"in-place {op}: the result's shape {result.shape} cannot be "
                             f"written into an array of shape {self.shape}")
        if result._dtype != self._dtype:
            if result._dtype.kind == "f" and self._dtype.kind in "biu":
                raise DTypeError(f"in-place {op}: cannot cast the {result._dtype} result to "
                                 f"the array's {self._dtype} (NumPy's same_kind rule)")
            result = as_dtype(result, self._dtype)
        if self._node is not None:
            self._node = result._node
            return self
        tape.overwriting(self._buffer())
        self._buffer()[...] = result._buffer()
        if result._rec is not None:
            self._rec = result._rec
        return self

    def __matmul__(self, o: Any) -> Any:
        return _matmul[0](self, o)

    def __rmatmul__(self, o: Any) -> Any:
        return _matmul[0](o, self)

    def __floordiv__(self, o: Any) -> Any:
        return _floor_divide[0](self, o)

    def __rfloordiv__(self, o: Any) -> Any:
        return _floor_divide[0](o, self)

    def __invert__(self) -> Any:
        if self._dtype.kind not in "iub":
            raise DTypeError(f"invert: needs an integer or bool array, got {self._dtype}")
        return bind("invert", self)

    def __and__(self, o: Any) -> Any:
        return _logical("logical_and", self, o)

    def __rand__(self, o: Any) -> Any:
        return _logical("logical_and", o, self)

    def __or__(self, o: Any) -> Any:
        return _logical("logical_or", self, o)

    def __ror__(self, o: Any) -> Any:
        return _logical("logical_or", o, self)

    def __xor__(self, o: Any) -> Any:
        return _logical("logical_xor", self, o)

    def __rxor__(self, o: Any) -> Any:
        return _logical("logical_xor", o, self)

    def __pos__(self) -> ndarray:
        return self.copy()

    __hash__ = None  # type: ignore[assignment]  # (NumPy's arrays are unhashable)


ndarray._result_class = ndarray
set_np_class(ndarray)
register_np_class(ndarray)

#: `matmul` and `floor_divide`, which the function modules define (they import this one).
_matmul: list[Any] = []
_floor_divide: list[Any] = []


def set_operator_functions(matmul: Any, floor_divide: Any) -> None:
    """Give `@` and `//` their functions (`mx.np.matmul`, `mx.np.floor_divide`)."""
    _matmul[:] = [matmul]
    _floor_divide[:] = [floor_divide]


def _logical(op: str, lhs: Any, rhs: Any) -> Any:
    """`&`, `|`, `^`: bitwise of integer arrays, logical of bool ones."""
    name = f"bitwise_{op[8:]}"
    for x in (lhs, rhs):
        if isinstance(x, Array) and x._dtype.kind not in "iub":
            raise DTypeError(f"{name}: needs integer or bool operands, got {x._dtype}")
    return binary(name, lhs, rhs)


def _binary_operator(op: str, reflected: bool) -> Any:
    """ndarray's `__add__` and kin, with the hot path first: two arrays of one shape and
    (float) dtype whose small flat kernel exists; everything else through `binary`."""
    def method(self: ndarray, o: Any) -> Any:
        if type(o) is ndarray and (op != "div" or self._dtype.kind == "f"):
            fast = same_shape_binary(op, o, self, False) if reflected else \
                same_shape_binary(op, self, o, False)
            if fast is not None:
                return fast
        return binary(op, o, self) if reflected else binary(op, self, o)

    return method


for _name, _op, _reflected in BINARY_METHODS:
    _method = _binary_operator(_op, _reflected)
    _method.__name__ = _method.__qualname__ = _name
    setattr(ndarray, _name, _method)


def numpy_shape(src: tuple[int, ...], shape: Any, function: str) -> tuple[int, ...]:
    """A NumPy `newshape` (ints, one -1) for an array of shape `src`, or NumPy's error.

    >>> numpy_shape((2, 3), (-1,), 'reshape')
    (6,)
    """
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    dims = tuple(int(d) for d in shape)
    if sum(d == -1 for d in dims) > 1 or any(d < -1 for d in dims):
        raise ShapeError(f"{function}: can only specify one unknown dimension (-1), and no "
                         f"other negative ones, got {dims}")
    size = int(np.prod(src, dtype=np.int64))
    known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
    if -1 in dims:
        if known == 0 or size % known:
            raise ShapeError(f"{function}: cannot reshape array of size {size} into shape "
                             f"{dims}")
        dims = tuple(size // known if d == -1 else d for d in dims)
    elif known != size:
        raise ShapeError(f"{function}: cannot reshape array of size {size} into shape {dims}")
    return dims


__all__ = ["ndarray", "view_as", "numpy_shape", "set_operator_functions"]
