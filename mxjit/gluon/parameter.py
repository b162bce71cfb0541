"""Gluon's `Parameter`, `Constant` and `ParameterDict`.

A `Parameter` holds one array per context it was initialised on, and (unless its
`grad_req` is 'null') a gradient array per context that `backward()` writes or adds to.
Its shape may have unknown dimensions (0) until a block's first call sets them: that is
deferred initialisation. While a hybridized block is being traced, `data()` returns the
traced value the block's program takes for this parameter (`bound`), so parameters are
inputs of the compiled program, never constants baked into it.

    >>> w = mx.gluon.Parameter('fc_weight', shape=(4, 3))  # doctest: +SKIP
    >>> w.initialize(mx.init.Xavier()); w.data().shape  # doctest: +SKIP
    (4, 3)
"""
from __future__ import annotations

import contextlib
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import autograd, initializer, nd, symbol, util
from ..base import (
    ArgumentError,
    DeferredInitializationError,
    MXNetError,
    MXNetKeyError,
    ParamError,
)
from ..context import Context, cpu, current_context
from ..core.operators import PendingInput
from ..core.trace_state import trace_stack
from ..nd import NDArray

#: mxjit's default dtype for parameters (MXNet's `mx_real_t`).
mx_real_t = np.float32
#: The storage types a parameter's data and gradient may have.
STORAGE_TYPES = ("default", "row_sparse", "csr")


class _Bound(threading.local):
    # (class defaults: `data()` reads `values` on every call, and a read this thread never
    # set would otherwise raise and catch AttributeError)
    values: dict[Any, Any] | None = None
    probing = False


_bound = _Bound()


def _in_mode(array: Any, made_as_np: bool = False) -> Any:
    """A parameter's array as the current semantics want it: an `mx.np.ndarray` view (same
    memory and autograd record) under `npx.set_np()` or when the parameter was initialised
    under it (MXNet keeps that class), else the NDArray itself."""
    if (made_as_np or util.is_np_array()) and isinstance(array, nd.NDArray):
        return array.as_np_ndarray()
    return array


@contextlib.contextmanager
def probing() -> Iterator[None]:
    """While a block is traced only to learn parameter shapes: a parameter whose shape is
    still unknown enters its block's `hybrid_forward` as a `PendingParameter`.

    >>> with probing(): net.forward(x)  # doctest: +SKIP
    """
    old = _bound.probing
    _bound.probing = True
    try:
        yield
    finally:
        _bound.probing = old


def is_probing() -> bool:
    """Whether `probing()` is on in this thread."""
    return bool(_bound.probing)


@contextlib.contextmanager
def bound(values: dict[Parameter, Any]) -> Iterator[None]:
    """While tracing a hybridized block: `Parameter.data()` returns these traced values.

    >>> with bound({w: traced_w}): net.forward(x)  # doctest: +SKIP
    """
    old = _bound.values
    _bound.values = values
    try:
        yield
    finally:
        _bound.values = old


@contextlib.contextmanager
def outside_traces() -> Iterator[None]:
    """Run eagerly and unrecorded even while a trace is in progress (how a parameter met
    first inside a traced call is initialised: its initializer draws real numbers).

    >>> with outside_traces(): arr[:] = mx.nd.random.uniform(shape=arr.shape)  # doctest: +SKIP
    """
    stack = trace_stack()
    saved = stack[:]
    stack.clear()
    old = _bound.values
    _bound.values = None
    try:
        with autograd.pause():
            yield
    finally:
        stack[:] = saved
        _bound.values = old


def _brief(names: Sequence[str], limit: int = 3) -> str:
    names = list(names)
    if len(names) > 2 * limit:
        return ", ".join(repr(n) for n in names[:limit]) + ", ..., " + ", ".join(
            repr(n) for n in names[-limit:])
    return ", ".join(repr(n) for n in names)


def _row_ids(row_id: Any) -> NDArray:
    """`row_id` checked to be an NDArray of row ids (what `row_sparse_data` takes)."""
    if not isinstance(row_id, NDArray):
        raise ArgumentError(f"row_id must have NDArray type, but {type(row_id)} is given")
    return row_id


def _known(shape: tuple[int, ...] | None) -> bool:
    return shape is not None and len(shape) > 0 and all(d > 0 for d in shape)


def _memory_of(ctx: Context) -> tuple[int, int]:
    """The device a context's arrays live on: pinned and shared CPU memory are the CPU's,
    so a parameter on cpu(0) serves a batch on cpu_pinned(0) (MXNet matches them so)."""
    return ctx.device_typeid & 1, ctx.device_id


class Parameter:
    """A weight of a block: data and gradient per context, init, lr/wd multipliers.

    >>> p = Parameter('w', shape=(2, 3)); p.initialize(mx.init.One())  # doctest: +SKIP
    >>> p.data().asnumpy().sum()  # doctest: +SKIP
    6.0
    """

    def __init__(self, name: str, grad_req: str = "write", shape: int | Sequence[int] | None
                 = None, dtype: Any = mx_real_t, lr_mult: float = 1.0, wd_mult: float = 1.0,
                 init: Any = None, allow_deferred_init: bool = False,
                 differentiable: bool = True, stype: str = "default",
                 grad_stype: str = "default"):
        self._data: list[Any] | None = None
        self._grad: list[Any] | None = None
        self._var: Any = None
        self._ctx_list: list[Context] = []
        self._deferred_init: tuple = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = "null"
        self._trainer: Any = None
        self.name = name
        self._shape = (shape,) if isinstance(shape, int) else (
            None if shape is None else tuple(shape))
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.init = init
        for what, value in (("grad_stype", grad_stype), ("stype", stype)):
            if value not in STORAGE_TYPES:
                raise AssertionError(f"{what} for Parameter '{name}' must be one of "
                                     f"'default', 'row_sparse', or 'csr', but got '{value}'")
        self._stype = stype
        self._made_as_np = False
        self._grad_stype = grad_stype
        self.grad_req = grad_req

    def __repr__(self) -> str:
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype})"

    # ---- attributes ------------------------------------------------------------------

    @property
    def grad_req(self) -> str:
        """'write', 'add' or 'null'; setting it after initialisation attaches or drops the
        gradient arrays."""
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in ("write", "add", "null"):
            raise AssertionError(f"grad_req must be 'write', 'add' or 'null', got {req!r}")
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == "null" and self._grad is not None:
            self._grad = None
            assert self._data is not None
            self._data = [d.detach() for d in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self) -> Any:
        """The dtype as it was given ('float32' or numpy.float32: MXNet prints either)."""
        return self._dtype

    @dtype.setter
    def dtype(self, dtype: Any) -> None:
        self.cast(dtype)

    @property
    def shape(self) -> tuple[int, ...] | None:
        """The shape; 0 marks a dimension the first forward pass will set."""
        return self._shape

    @shape.setter
    def shape(self, new_shape: Sequence[int]) -> None:
        new = tuple(new_shape)
        if self._shape is not None and (len(new) != len(self._shape) or any(
                old not in (0, -1, n) for n, old in zip(new, self._shape))):
            raise AssertionError(f"Parameter {self.name!r}: shape {new} does not fit the "
                                 f"expected shape {self._shape}")
        self._shape = new

    @property
    def stype(self) -> str:
        return self._stype

    def _set_trainer(self, trainer: Any) -> None:
        """Remember the Trainer updating this parameter (a sparse parameter takes one)."""
        if self._stype != "default" and self._trainer is not None and trainer is not None \
                and self._trainer is not trainer:
            raise MXNetError(f"Failed to set the trainer for Parameter {self.name!r} because "
                             f"it was already set. More than one trainer for a "
                             f"{self._stype} Parameter is not supported.")
        self._trainer = trainer

    # ---- initialisation --------------------------------------------------------------

    def initialize(self, init: Any = None, ctx: Context | Sequence[Context] | None = None,
                   default_init: Any = None, force_reinit: bool = False) -> None:
        """Allocate and fill the data on each context (`init`, else the parameter's own
        init, else `default_init`, Uniform by default); deferred while the shape has
        unknown dimensions and `allow_deferred_init` is set.

        >>> p.initialize(mx.init.Xavier(), ctx=[mx.cpu(0), mx.cpu(1)])  # doctest: +SKIP
        """
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter {self.name!r} is already initialized, ignoring. Set "
                          f"force_reinit=True to re-initialize.", stacklevel=2)
            return
        self._data = self._grad = None
        ctxs = [current_context()] if ctx is None else (
            [ctx] if isinstance(ctx, Context) else list(ctx))
        if default_init is None:
            default_init = initializer.Uniform()
        if init is None:
            init = default_init if self.init is None else self.init
        self._deferred_init = (init, ctxs, default_init, None)
        if not _known(self._shape):
            if self._allow_deferred_init:
                return
            self._deferred_init = ()
            raise ParamError(f"Cannot initialize Parameter {self.name!r}: its shape "
                             f"{self._shape} has unknown dimensions")
        self._finish_deferred_init()

    def _finish_deferred_init(self) -> None:
        """Initialise now that the shape is known (called at a block's first forward)."""
        if not self._deferred_init:
            return
        init, ctxs, default_init, data = self._deferred_init
        if not _known(self._shape):
            raise ParamError(f"Cannot initialize Parameter {self.name!r} because its shape "
                             f"{self._shape} is still unknown: give in_units, in_channels etc. "
                             f"to the layer, or call the block on data first")
        self._deferred_init = ()
        with outside_traces():
            if data is None:
                assert self._shape is not None
                data = nd.zeros(self._shape, dtype=self._dtype, ctx=cpu())
                initializer.create(default_init)(
                    initializer.InitDesc(self.name, {"__init__": init}), data)
            self._init_impl(data, ctxs)

    def _init_impl(self, data: Any, ctxs: Sequence[Context]) -> None:
        self._ctx_list = list(ctxs)
        self._made_as_np = util.is_np_array()
        self._check_np_storage(self._stype)
        with outside_traces():
            # (initializers and loaded files give dense values; MXNet keeps the
            # parameter's own storage type, storing the non-zero rows of a sparse one)
            if data.stype != self._stype:
                data = data.tostype(self._stype)
            self._data = [data.copyto(c) for c in self._ctx_list]
        self._init_grad()

    def _init_grad(self) -> None:
        if self._grad_req == "null":
            self._grad = None
            return
        assert self._data is not None
        self._check_np_storage(self._grad_stype)
        with outside_traces():
            self._grad = [nd.zeros(d.shape, dtype=d.dtype, ctx=d.context,
                                   stype=self._grad_stype) for d in self._data]
        autograd.mark_variables(self._data, self._grad, self._grad_req)

    def _check_np_storage(self, stype: str) -> None:
        """mx.np arrays are dense: under `npx.set_np()` a sparse parameter cannot be made
        (MXNet's refusal, in its words)."""
        if stype != "default" and self._made_as_np:
            raise ParamError(f"mxnet.numpy.zeros does not support stype = {stype}")

    def _load_init(self, data: Any, ctx: Context | Sequence[Context] | None,
                   cast_dtype: bool = False, dtype_source: str = "current") -> None:
        """Set the data from a loaded array, checking shape and dtype (`load_parameters`)."""
        if dtype_source not in ("current", "saved"):
            raise ParamError(f"dtype_source must be 'current' or 'saved', got "
                             f"{dtype_source!r}")
        if self._shape:
            if len(self._shape) != len(data.shape) or any(
                    d not in (0, -1, s) for d, s in zip(self._shape, data.shape)):
                raise AssertionError(f"Failed loading Parameter {self.name!r}: its shape "
                                     f"{self._shape} and the saved shape {data.shape} differ")
        self._shape = tuple(data.shape)
        if np.dtype(self._dtype) != data.dtype:
            if not cast_dtype:
                raise AssertionError(
                    f"Failed loading Parameter {self.name!r}: its dtype "
                    f"{np.dtype(self._dtype).name} and the saved dtype {np.dtype(data.dtype).name} "
                    f"differ; set cast_dtype=True to cast")
            if dtype_source == "current":
                data = data.astype(self._dtype)
            else:  # (the saved dtype: arrays already made change to it, as in MXNet)
                self.cast(data.dtype)
        ctxs = None if ctx is None else ([ctx] if isinstance(ctx, Context) else list(ctx))
        if self._data is None:
            if self._deferred_init:
                if ctxs is not None and set(ctxs) != set(self._deferred_init[1]):
                    raise AssertionError(f"Failed to load Parameter {self.name!r} on {ctxs}: it "
                                         f"was initialized on {self._deferred_init[1]}")
                ctxs = self._deferred_init[1]
            self._init_impl(data, ctxs or [cpu()])
        else:
            if ctxs is not None and set(ctxs) != set(self._ctx_list):
                raise AssertionError(f"Failed to load Parameter {self.name!r} on {ctxs}: it "
                                     f"was initialized on {self._ctx_list}")
            self.set_data(data)
        self._deferred_init = ()

    # ---- data and gradients ----------------------------------------------------------

    def _check_and_get(self, arrays: list[Any] | None, ctx: Any) -> Any:
        if arrays is not None:
            if ctx is list:
                return arrays
            if ctx is None:
                if len(arrays) == 1:
                    return arrays[0]
                ctx = current_context()
            for c, a in zip(self._ctx_list, arrays):
                if _memory_of(c) == _memory_of(ctx):
                    return a
            raise MXNetError(f"Parameter {self.name!r} was not initialized on context "
                               f"{ctx}; it was only initialized on {self._ctx_list}")
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter {self.name!r} has not been initialized yet: its initialization "
                f"was deferred to the first forward pass, which sets its shape. Pass one batch "
                f"through the network first, or give in_units, in_channels etc. to its layer")
        raise MXNetError(
            f"Parameter {self.name!r} has not been initialized. Call initialize() on it or "
            f"on its block (collect_params() includes the parameters of child blocks; "
            f"Block.params does not)")

    def data(self, ctx: Context | None = None) -> Any:
        """This parameter's array on `ctx` (the only one, or the current context's).

        >>> net.weight.data().shape  # doctest: +SKIP
        """
        if self._stype != "default":
            raise MXNetError(f"Cannot return a copy of Parameter '{self.name}' on ctx {ctx} "
                             f"via data() because its storage type is {self._stype}. Please "
                             f"use row_sparse_data() instead.")
        values = _bound.values
        if values is not None and self in values:
            return _in_mode(values[self])
        return _in_mode(self._check_and_get(self._data, ctx), self._made_as_np)

    def list_data(self) -> list[Any]:
        """The arrays on every context, in the order they were initialised (a sparse
        parameter's are read with `list_row_sparse_data`).

        >>> [a.context for a in p.list_data()]  # doctest: +SKIP
        [cpu(0), cpu(1)]
        """
        if self._stype != "default":
            raise MXNetError(f"Cannot return copies of Parameter '{self.name}' on all "
                             f"contexts via list_data() because its storage type is "
                             f"{self._stype}. Please use row_sparse_data() instead.")
        return self._check_and_get(self._data, list)

    def grad(self, ctx: Context | None = None) -> Any:
        """The gradient array on `ctx` (an error for grad_req 'null')."""
        if self._data is not None and self._grad is None:
            raise MXNetError(f"Cannot get the gradient of Parameter {self.name!r}: its "
                               f"grad_req is 'null'")
        return _in_mode(self._check_and_get(self._grad, ctx), self._made_as_np)

    def list_grad(self) -> list[Any]:
        """The gradient arrays on every context."""
        if self._data is not None and self._grad is None:
            raise MXNetError(f"Cannot get the gradient of Parameter {self.name!r}: its "
                               f"grad_req is 'null'")
        return self._check_and_get(self._grad, list)

    def list_ctx(self) -> list[Context]:
        """The contexts this parameter is (or will be, when deferred) initialised on."""
        if self._data is None:
            if self._deferred_init:
                return list(self._deferred_init[1])
            raise MXNetError(f"Parameter {self.name!r} has not been initialized")
        return list(self._ctx_list)

    def set_data(self, data: Any) -> None:
        """Write `data` into the array on every context (kept for the deferred init when
        the parameter is not initialised yet).

        >>> p.set_data(mx.nd.ones(p.shape))  # doctest: +SKIP
        """
        self.shape = tuple(data.shape)
        if self._data is None:
            if not self._deferred_init:
                raise AssertionError(f"Parameter {self.name!r} has not been initialized")
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        trainer = self._trainer
        if trainer is not None and trainer._kv_initialized and trainer._update_on_kvstore \
                and self not in trainer._params_to_init:
            trainer._reset_kvstore()  # (the store's copy is stale: MXNet makes a new one)
        with outside_traces():
            for arr in self._data:
                arr[:] = data

    def row_sparse_data(self, row_id: NDArray) -> Any:
        """The array of a row_sparse parameter on `row_id`'s context, its rows `row_id`
        pulled from the Trainer's store (the store holds the weights the Trainer updates;
        the array keeps only those rows until the next pull).

        >>> w = mx.gluon.Parameter('w', shape=(4, 2), stype='row_sparse')  # doctest: +SKIP
        >>> w.initialize(); trainer = mx.gluon.Trainer([w], 'sgd')  # doctest: +SKIP
        >>> w.row_sparse_data(mx.nd.array([0, 2])).indices  # doctest: +SKIP
        """
        if self._stype != "row_sparse":
            raise MXNetError(f"Cannot return a copy of Parameter {self.name} via "
                             f"row_sparse_data() because its storage type is {self._stype}. "
                             f"Please use data() instead.")
        return self._get_row_sparse(_row_ids(row_id).context, row_id)

    def list_row_sparse_data(self, row_id: NDArray) -> list[Any]:
        """`row_sparse_data` on every context, in the order they were initialised.

        >>> [a.context for a in w.list_row_sparse_data(mx.nd.array([1]))]  # doctest: +SKIP
        [cpu(0), cpu(1)]
        """
        if self._stype != "row_sparse":
            raise MXNetError(f"Cannot return copies of Parameter '{self.name}' on all "
                             f"contexts via list_row_sparse_data() because its storage type "
                             f"is {self._stype}. Please use data() instead.")
        return self._get_row_sparse(list, _row_ids(row_id))  # type: ignore[no-any-return]

    def _get_row_sparse(self, ctx: Any, row_id: NDArray) -> Any:
        """The arrays of `ctx` (a context, or `list` for all) with the rows `row_id` pulled
        into them from the Trainer's store."""
        if self._trainer is None:
            raise MXNetError(f"Cannot get row_sparse data for Parameter '{self.name}' when "
                             f"no Trainer is created with it.")
        arrays = self._check_and_get(self._data, ctx)
        self._trainer._row_sparse_pull(self, arrays, row_id)
        return arrays

    def zero_grad(self) -> None:
        """Set the gradient arrays to zero (needed between steps with grad_req 'add')."""
        if self._grad is None:
            return
        with outside_traces():
            for g in self._grad:
                g[:] = 0

    def reset_ctx(self, ctx: Context | Sequence[Context]) -> None:
        """Move the data (and gradients) to other contexts.

        >>> p.reset_ctx(mx.cpu(1))  # doctest: +SKIP
        """
        ctxs = [ctx] if isinstance(ctx, Context) else list(ctx)
        if self._data is not None:
            with outside_traces():
                # (a sparse parameter's weights are those its Trainer's store holds)
                data = self._reduce() if self._stype != "default" \
                    else self._data[0].copyto(cpu())
            self._init_impl(data, ctxs)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctxs, default_init, data)
        else:
            raise ParamError(f"Cannot reset context for Parameter {self.name!r} because it "
                             f"has not been initialized")

    def cast(self, dtype: Any) -> None:
        """Cast the data and gradients to `dtype`.

        >>> p.cast('float16')  # doctest: +SKIP
        """
        self._dtype = dtype
        if self._data is None:
            return
        with outside_traces():
            self._data = [d.astype(dtype) for d in self._data]
            if self._grad is None:
                return
            self._grad = [g.astype(dtype) for g in self._grad]
        autograd.mark_variables(self._data, self._grad, self._grad_req)

    def var(self) -> Any:
        """The variable symbol of this parameter, with its shape (0 for dimensions not
        known yet), dtype, multipliers, own initializer and storage type as attributes.
        Made once, as in MXNet: a block hybridized before its first call keeps the
        shapes it had then, and exports them so.

        >>> mx.gluon.nn.Dense(4).weight.var().attr('__shape__')  # doctest: +SKIP
        '(4, 0)'
        """
        if self._var is None:
            self._var = symbol.var(self.name, shape=self.shape, dtype=self.dtype,
                                   lr_mult=self.lr_mult, wd_mult=self.wd_mult, init=self.init,
                                   stype=self._stype)
        return self._var

    def _reduce(self) -> Any:
        """The data averaged over the contexts, on the CPU (what save_parameters writes);
        a sparse parameter's from its Trainer's store, which holds its updated weights."""
        if self._stype != "default" and self._trainer is not None:
            assert self._shape is not None
            whole = nd.sparse.zeros(self._stype, self._shape, ctx=cpu(), dtype=self._dtype)
            every_row = nd.arange(0, self._shape[0], dtype="int64", ctx=cpu())
            self._trainer._row_sparse_pull(self, whole, every_row, full_idx=True)
            return whole
        arrays = self._check_and_get(self._data, list)
        with outside_traces():
            total = arrays[0].copyto(cpu())
            for a in arrays[1:]:
                total = total + a.copyto(cpu())
            return total / len(arrays) if len(arrays) > 1 else total


class PendingParameter(PendingInput):
    """A parameter of unknown shape as an operator input: the operator's input-shape rule
    gives its shape (FullyConnected's weight from the data), then it is initialised."""

    def __init__(self, param: Parameter):
        self.param = param

    def resolve(self, shape: tuple[int, ...]) -> Any:
        self.param.shape = shape
        self.param._finish_deferred_init()
        return self.param.data()

    def describe(self) -> str:
        return f"Parameter {self.param.name!r} of shape {self.param.shape}"

    def known_shape(self) -> tuple[int, ...] | None:
        return self.param.shape


class Constant(Parameter):
    """A parameter that training leaves alone (grad_req is always 'null').

    >>> c = Constant('const', [[1, 2], [3, 4]]); c.initialize()  # doctest: +SKIP
    """

    def __init__(self, name: str, value: Any):
        if not isinstance(value, nd.NDArray):
            value = nd.array(value)
        self.value = value
        super().__init__(name, grad_req="null", shape=value.shape, dtype=value.dtype,
                         init=_CopyValue(value))

    def __repr__(self) -> str:
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype})"

    @property
    def grad_req(self) -> str:
        return "null"

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req != "null":
            warnings.warn(f"Constant parameter {self.name!r} only has grad_req 'null'; "
                          f"{req!r} is ignored", stacklevel=2)
        self._grad_req = "null"


class _CopyValue(initializer.Initializer):
    """The initializer of a `Constant`: its value."""

    def __init__(self, value: Any):
        super().__init__()
        self._value = value

    def _init_weight(self, name: Any, arr: Any) -> None:
        arr[:] = self._value

    def _init_default(self, name: Any, arr: Any) -> None:
        arr[:] = self._value


class ParameterDict:
    """Parameters by full name, with a prefix for new ones and a shared dict to look in.

    >>> d = ParameterDict('net_'); w = d.get('weight', shape=(2, 2)); w.name  # doctest: +SKIP
    'net_weight'
    """

    def __init__(self, prefix: str = "", shared: ParameterDict | None = None):
        self._prefix = prefix
        self._params: OrderedDict[str, Parameter] = OrderedDict()
        self._shared = shared

    def __repr__(self) -> str:
        name = self._prefix + " " if self._prefix else ""
        body = "\n".join("  " + repr(v) for v in self.values())
        return f"{name}(\n{body}\n)"

    def __getitem__(self, key: str) -> Parameter:
        return self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def items(self) -> Any:
        return self._params.items()

    def keys(self) -> Any:
        return self._params.keys()

    def values(self) -> Any:
        return self._params.values()

    @property
    def prefix(self) -> str:
        """What `get` puts before a name."""
        return self._prefix

    def _get_impl(self, name: str) -> Parameter | None:
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name: str, **kwargs: Any) -> Parameter:
        """The parameter `prefix + name`: found here or in the shared dict, else created
        with `kwargs`. A found one must agree with `kwargs` (a 0 dimension agrees with any).

        >>> w = net.params.get('weight', shape=(10, 0), allow_deferred_init=True)  # doctest: +SKIP
        """
        full = self._prefix + name
        param = self._get_impl(full)
        if param is None:
            param = Parameter(full, **kwargs)
            self._params[full] = param
            return param
        for k, v in kwargs.items():
            existing = getattr(param, k, None)
            if existing is None:
                setattr(param, k, v)
                continue
            if k == "shape" and v is not None:
                v = (v,) if isinstance(v, int) else tuple(v)
                if len(v) == len(existing) and all(
                        a == b or a <= 0 or b <= 0 for a, b in zip(v, existing)):
                    param._shape = tuple(b if a <= 0 else a for a, b in zip(v, existing))
                    continue
            elif k == "dtype" and np.dtype(v) == np.dtype(existing):
                continue
            if v is not None and v != existing:
                raise AssertionError(f"Cannot retrieve Parameter {full!r}: its {k} is "
                                     f"{existing!r}, not {v!r}")
        return param

    def get_constant(self, name: str, value: Any = None) -> Constant:
        """The constant `prefix + name`, created from `value` when it is new.

        >>> c = net.params.get_constant('scale', [1.0, 2.0])  # doctest: +SKIP
        """
        full = self._prefix + name
        param = self._get_impl(full)
        if param is None:
            if value is None:
                raise MXNetKeyError(f"No constant named {full!r}; give a value to create it")
            param = Constant(full, value)
            self._params[full] = param
        elif value is not None:
            if not isinstance(param, Constant):
                raise AssertionError(f"Parameter {full!r} exists and is not a Constant")
            if isinstance(value, nd.NDArray):
                value = value.asnumpy()
            if not np.array_equal(param.value.asnumpy(), np.asarray(value)):
                raise AssertionError(f"Constant {full!r} exists with another value")
        assert isinstance(param, Constant)
        return param

    def update(self, other: ParameterDict) -> None:
        """Add `other`'s parameters (the same name must be the same parameter)."""
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise ParamError(f"Cannot update self with other: they hold different "
                                 f"Parameters named {k!r}")
            self._params[k] = v

    def initialize(self, init: Any = None, ctx: Context | Sequence[Context] | None = None,
                   verbose: bool = False, force_reinit: bool = False) -> None:
        """Initialise every parameter (`init` is the default for those without their own).

        >>> net.collect_params().initialize(mx.init.Xavier(), ctx=mx.cpu())  # doctest: +SKIP
        """
        init = initializer.Uniform() if init is None else initializer.create(init)
        if verbose:
            init.set_verbosity(verbose=verbose)
        for v in self.values():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        """Zero every gradient."""
        for v in self.values():
            v.zero_grad()

    def reset_ctx(self, ctx: Context | Sequence[Context]) -> None:
        """Move every parameter to `ctx`."""
        for v in self.values():
            v.reset_ctx(ctx)

    def list_ctx(self) -> list[Context]:
        """Every context some parameter lives on."""
        out: list[Context] = []
        for v in self.values():
            out += [c for c in v.list_ctx() if c not in out]
        return out

    def setattr(self, name: str, value: Any) -> None:
        """Set an attribute on every parameter (`grad_req`, `lr_mult`, ...).

        >>> net.collect_params('.*bias').setattr('wd_mult', 0.0)  # doctest: +SKIP
        """
        for v in self.values():
            setattr(v, name, value)

    def save(self, filename: str, strip_prefix: str = "") -> None:
        """Save every parameter by its full name minus `strip_prefix` (MXNet's format)."""
        out = {}
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise ParamError(f"Prefix {strip_prefix!r} is to be stripped before saving, "
                                 f"but Parameter {param.name!r} does not start with it")
            out[param.name[len(strip_prefix):]] = param._reduce()
        nd.save(filename, out)

    def load(self, filename: str, ctx: Context | Sequence[Context] | None = None,
             allow_missing: bool = False, ignore_extra: bool = False, restore_prefix: str = "",
             cast_dtype: bool = False, dtype_source: str = "current") -> None:
        """Load parameters saved by `save` (names get `restore_prefix` back)."""
        loaded = nd.load(filename)
        if not isinstance(loaded, dict):
            raise ParamError(f"{filename!r} holds a list of arrays, not named parameters")
        arrays = {restore_prefix + k.split(":", 1)[-1]: v for k, v in loaded.items()}
        self.load_dict(arrays, ctx, allow_missing, ignore_extra, cast_dtype, dtype_source,
                       filename)

    def load_dict(self, param_dict: dict[str, Any], ctx: Context | Sequence[Context] | None =
                  None, allow_missing: bool = False, ignore_extra: bool = False,
                  cast_dtype: bool = False, dtype_source: str = "current",
                  source: str = "the dict") -> None:
        """Set parameters from `{full name: array}`."""
        if not allow_missing:
            for name in self.keys():
                if name not in param_dict:
                    raise AssertionError(
                        f"Parameter {name!r} is missing in {source}, which holds "
                        f"{_brief(list(param_dict))}; set allow_missing=True to ignore "
                        f"missing ones")
        for name, value in param_dict.items():
            if name not in self._params:
                if ignore_extra:
                    continue
                raise ParamError(f"Parameter {name!r} in {source} is not in this "
                                 f"ParameterDict, which holds {_brief(self.keys())}; set "
                                 f"ignore_extra=True to ignore it")
            self._params[name]._load_init(value, ctx, cast_dtype, dtype_source)

    def _select(self, select: str | None) -> ParameterDict:
        """The parameters whose names match the regular expression `select` (from the
        start of the name, as `re.match`)."""
        out = ParameterDict(self._prefix)
        pattern = re.compile(select) if select else None
        for k, v in self.items():
            if pattern is None or pattern.match(k):
                out._params[k] = v
        return out
