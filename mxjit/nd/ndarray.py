"""NDArray: MXNet's n-dimensional array, holding a NumPy buffer (eager) or a graph node (traced).

Inside `mx.jit` and `mx.grad` the same class carries a node of the trace instead of
data, so user code runs unchanged in both modes; asking a traced array for its value
raises an error that says why.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import context as _context
from ..context import Context, current_context
from ..trace.graph import Node
from ..trace.tracer import concrete_error


class NDArray:
    """An array on a device (MXNet's `mx.nd.NDArray`).

    >>> x = mx.nd.array([[1, 2], [3, 4]]); x.shape  # doctest: +SKIP
    (2, 2)
    """

    __slots__ = ("_data", "_node", "_ctx", "_rec", "_grad", "_grad_req", "_freed",
                 "__weakref__")
    __array_priority__ = 1000.0

    _data: np.ndarray | None
    _node: Node | None

    @staticmethod
    def _wrap(data: np.ndarray, ctx: Context | None = None) -> NDArray:
        if ctx is None:
            if type(data) is _context.active_array_type:  # device memory: on that device
                ctx = data.context  # type: ignore[attr-defined]
        elif ctx.device_type == "gpu" and type(data) is not _context.active_array_type:
            data = _context.to_device(data, ctx)
        a = object.__new__(NDArray)
        a._data, a._node, a._ctx = data, None, ctx
        a._rec = a._grad = None
        return a

    @staticmethod
    def _traced(node: Node) -> NDArray:
        a = object.__new__(NDArray)
        a._data, a._node, a._ctx = None, node, None
        a._rec = a._grad = None
        return a

    def _buffer(self) -> np.ndarray:
        if self._data is None:
            raise concrete_error("reading a traced array")
        return self._data

    # ---- attributes ------------------------------------------------------------------

    @property
    def _dtype(self) -> np.dtype:
        return self._data.dtype if self._data is not None else self._node.dtype  # type: ignore

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape if self._data is not None else self._node.shape  # type: ignore

    @property
    def dtype(self) -> type:
        """The NumPy scalar type of the elements (e.g. `numpy.float32`), as in MXNet."""
        return self._dtype.type

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def context(self) -> Context:
        if self._data is None:
            return current_context()
        return self._ctx or Context("cpu", 0)

    ctx = context

    @property
    def stype(self) -> str:
        return "default"

    def tostype(self, stype: str) -> NDArray:
        """A copy with storage type `stype`: 'default', 'csr' (2-D) or 'row_sparse'.

        >>> mx.nd.eye(3).tostype('csr')  # doctest: +SKIP
        """
        from .sparse import cast_storage

        return cast_storage(self, stype)

    @property
    def T(self) -> NDArray:
        return ops.transpose(self)

    # ---- conversion ------------------------------------------------------------------

    def asnumpy(self) -> np.ndarray:
        """A NumPy copy of the data (blocks until it is computed)."""
        return np.array(self._buffer(), copy=True)

    def asscalar(self) -> Any:
        if self.size != 1:
            raise ValueError(f"asscalar: the array has {self.size} elements, not 1")
        return self._buffer().reshape(-1)[0]

    def tolist(self) -> list:
        """The data as nested Python lists."""
        return self._buffer().tolist()

    def copy(self) -> NDArray:
        """A copy on the same context.

        >>> y = x.copy()  # doctest: +SKIP
        """
        if self._data is None or self._rec is not None:
            # traced, or recorded by autograd: a recorded identity (a cast to its own dtype)
            result = ops.bind("cast", self, dtype=self._dtype)
            result._ctx = self._ctx
            return result
        return NDArray._wrap(np.array(self._data, copy=True), self._ctx)

    def copyto(self, other: NDArray | Context) -> NDArray:
        """Copy into the array `other` (same shape) or onto the context `other`."""
        from ..context import check_context

        if isinstance(other, Context):
            return NDArray._wrap(np.array(self._buffer(), copy=True), check_context(other))
        if other is self:
            return other
        if other.shape != self.shape:
            raise ValueError(f"copyto: shape {self.shape} does not match the target "
                             f"{other.shape}")
        other._buffer()[...] = self._buffer()
        return other

    def as_in_context(self, context: Context) -> NDArray:
        """This array on `context`: itself when already there, else a copy."""
        if context == self.context:
            return self
        return self.copyto(context)

    def wait_to_read(self) -> None:
        """Block until the data is computed (CPU kernels run synchronously; on a GPU this
        waits for the device)."""
        data = self._buffer()
        if type(data) is _context.active_array_type:
            data.device.synchronize()  # type: ignore[attr-defined]

    def astype(self, dtype: Any, copy: bool = True) -> NDArray:
        """The data converted to `dtype` (itself when `copy=False` and already that dtype)."""
        from ..trace.dtypes import canonical_dtype

        if not copy and canonical_dtype(dtype) == self._dtype:
            return self
        return ops.cast(self, dtype)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self._buffer()
        if type(a) is not np.ndarray:
            a = np.asarray(a)  # (GPU memory: a host copy)
        return a.astype(dtype) if dtype is not None else a

    def __bool__(self) -> bool:
        if self._node is not None:
            raise concrete_error("bool() of a traced array")
        if self.size != 1:
            raise ValueError("The truth value of an NDArray with more than one element is "
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
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __getitem__(self, key: Any) -> NDArray:
        """x[key]: ints, slices, None, Ellipsis and index arrays, with MXNet 1.x semantics
        (a view for contiguous basic keys; see `mxjit.nd.indexing`).

        >>> mx.nd.arange(6).reshape((2, 3))[1, ::2]  # doctest: +SKIP
        """
        from . import indexing

        return indexing.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        """x[key] = value: write into this array's memory (eager only).

        >>> x = mx.nd.zeros((2, 3)); x[:, 1:] = 5  # doctest: +SKIP
        """
        from . import indexing

        indexing.setitem(self, key, value)

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.shape))
        if self._node is not None:
            return f"<NDArray {shape} traced {self._dtype}>"
        return f"\n{self._buffer()}\n<NDArray {shape} @{self.context}>"

    __str__ = __repr__

    # ---- autograd ----------------------------------------------------------------------

    def attach_grad(self, grad_req: str = "write", stype: str | None = None) -> None:
        """Make this array a variable: `backward()` writes its gradient to `.grad`.

        >>> x = mx.nd.ones((2,)); x.attach_grad()  # doctest: +SKIP
        """
        from .. import autograd

        zeros = NDArray._wrap(np.zeros(self.shape, self._dtype), self._ctx)
        autograd.mark_variables([self], [zeros], grad_req)

    @property
    def grad(self) -> NDArray | None:
        """The gradient buffer attached by `attach_grad` (None before)."""
        return self._grad

    def backward(self, out_grad: NDArray | None = None, retain_graph: bool = False,
                 train_mode: bool = True) -> None:
        """Gradients of this array w.r.t. the variables it was computed from."""
        from .. import autograd

        autograd.backward([self], None if out_grad is None else [out_grad], retain_graph,
                          train_mode)

    def detach(self) -> NDArray:
        """The same data, cut off from the recorded graph."""
        return NDArray._wrap(self._buffer(), self._ctx)

    # ---- operators -------------------------------------------------------------------

    def __add__(self, o: Any) -> NDArray:
        return ops.binary("add", self, o)

    def __radd__(self, o: Any) -> NDArray:
        return ops.binary("add", o, self)

    def __sub__(self, o: Any) -> NDArray:
        return ops.binary("sub", self, o)

    def __rsub__(self, o: Any) -> NDArray:
        return ops.binary("sub", o, self)

    def __mul__(self, o: Any) -> NDArray:
        return ops.binary("mul", self, o)

    def __rmul__(self, o: Any) -> NDArray:
        return ops.binary("mul", o, self)

    def __truediv__(self, o: Any) -> NDArray:
        return ops.binary("div", self, o)

    def __rtruediv__(self, o: Any) -> NDArray:
        return ops.binary("div", o, self)

    def __mod__(self, o: Any) -> NDArray:
        return ops.binary("mod", self, o)

    def __rmod__(self, o: Any) -> NDArray:
        return ops.binary("mod", o, self)

    def __pow__(self, o: Any) -> NDArray:
        return ops.binary("pow", self, o)

    def __rpow__(self, o: Any) -> NDArray:
        return ops.binary("pow", o, self)

    def _inplace(self, op: str, other: Any) -> NDArray:
        """x op= y: the result is written into this array's memory (views included)."""
        result = ops.binary(op, self, other)
        if result.shape != self.shape:
            raise ValueError(f"in-place {op}: the result's shape {result.shape} differs from "
                             f"the array's {self.shape}")
        if self._node is not None:
            self._node = result._node
            return self
        from .. import autograd

        autograd.overwriting(self._buffer())  # (recorded values in this memory go stale)
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

    def __neg__(self) -> NDArray:
        return ops.negative(self)

    def __abs__(self) -> NDArray:
        return ops.abs(self)

    def __eq__(self, o: Any) -> NDArray:  # type: ignore[override]
        return ops.binary("eq", self, o)

    def __ne__(self, o: Any) -> NDArray:  # type: ignore[override]
        return ops.binary("ne", self, o)

    def __lt__(self, o: Any) -> NDArray:
        return ops.binary("lt", self, o)

    def __le__(self, o: Any) -> NDArray:
        return ops.binary("le", self, o)

    def __gt__(self, o: Any) -> NDArray:
        return ops.binary("gt", self, o)

    def __ge__(self, o: Any) -> NDArray:
        return ops.binary("ge", self, o)

    __hash__ = object.__hash__

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
            raise TypeError(f"reshape: unknown keyword arguments {unknown}; the accepted ones "
                            "are 'shape' and 'reverse'")
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        if not shape and "shape" in kwargs:
            shape = kwargs["shape"]
        # MXNet's NDArray.reshape shares memory (mx.nd.reshape copies): the view form
        view_reshape = ops.reshape.__wrapped__  # type: ignore[attr-defined]
        return view_reshape(self, shape=shape, reverse=kwargs.get("reverse", False))

    def transpose(self, *axes: Any, **kwargs: Any) -> NDArray:
        """The axes permuted: `x.transpose(1, 0)`, `x.transpose((1, 0))` or
        `x.transpose(axes=(1, 0))`; reversed when none are given.

        >>> mx.nd.ones((2, 3)).transpose().shape  # doctest: +SKIP
        (3, 2)
        """
        unknown = sorted(set(kwargs) - {"axes"})
        if unknown or (axes and kwargs):
            raise TypeError(f"transpose: give the axes positionally or as axes=, got "
                            f"{axes} and {kwargs}")
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = tuple(axes[0])
        return ops.transpose(self, axes=kwargs.get("axes") or axes or None)


from . import ops  # noqa: E402  (ops builds on NDArray; methods call into it)
from .methods import add_methods  # noqa: E402

add_methods(NDArray)
