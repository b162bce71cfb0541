"""Gluon's `Block` and `HybridBlock`.

A `Block` owns parameters and child blocks, registered by attribute assignment, and names
them MXNet's way: a top-level block takes `<class name><count>_` as its prefix from the
process-wide counters of `mx.name`, a block created inside a parent's `name_scope()` takes
the parent's prefix plus its own per-parent count (`hybridsequential0_dense1_`), and its
parameters are `prefix + name` (`..._weight`).

A `HybridBlock` computes with `hybrid_forward(F, x, *args, **params)`, `F` being `mx.nd`,
or `mx.sym` when the block is called on symbols (then the parameters are their `var()`s
and the nodes are named inside the block's `name_scope()`: `dense0_fwd`).
`hybridize()` makes each later call run one compiled program for the whole block (see
`hybrid.py`); `export` writes the block as MXNet's symbol JSON and parameter file.
Parameters whose shapes have unknown dimensions are initialised at the block's first
call: a layer's `infer_shape(x, *args)` sets its own from its inputs.

    >>> class Net(mx.gluon.HybridBlock):  # doctest: +SKIP
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         with self.name_scope():
    ...             self.fc = mx.gluon.nn.Dense(10)
    ...     def hybrid_forward(self, F, x):
    ...         return F.relu(self.fc(x))
"""
from __future__ import annotations

import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from .. import initializer, nd, symbol
from .. import name as _name
from ..base import (
    ArgumentError,
    ConcreteValueError,
    MXNetError,
    NotOverriddenError,
    ParamError,
    UnsupportedError,
)
from ..context import Context
from ..core.array import Array
from ..core.trace_state import trace_stack
from ..numpy import ndarray as numpy_ndarray
from ..symbol import Symbol
from ..symbol.numpy_namespace import NumpySymbol
from ..util import is_np_array
from .hybrid import HybridProgram, all_arrays, trace_once
from .parameter import (
    DeferredInitializationError,
    Parameter,
    ParameterDict,
    PendingParameter,
    _brief,
    _known,
    is_probing,
)
from .summary import print_summary


class _BlockScope:
    """The naming scope a block's `name_scope()` opens for the blocks created inside it."""

    _current = threading.local()

    def __init__(self, block: Block):
        self._block = block
        self._counter: dict[str, int] = {}
        self._old_scope: _BlockScope | None = None
        self._name_scope: _name.Prefix | None = None

    @staticmethod
    def create(prefix: str | None, params: ParameterDict | None, hint: str
               ) -> tuple[str, ParameterDict]:
        """The prefix and parameter dict of a new block (see the module docstring)."""
        current = getattr(_BlockScope._current, "value", None)
        if current is None:
            if prefix is None:
                prefix = _name.NameManager.current().get(None, hint) + "_"
            params = ParameterDict(prefix) if params is None else ParameterDict(
                params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = f"{hint}{count}_"
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self) -> _BlockScope:
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, "value", None)
        _BlockScope._current.value = self
        self._name_scope = _name.Prefix(self._block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._block._empty_prefix:
            return
        assert self._name_scope is not None
        self._name_scope.__exit__(*exc)
        self._name_scope = None
        _BlockScope._current.value = self._old_scope


class HookHandle:
    """What `register_forward_hook` returns: `detach()` (or leaving a `with`) removes it.

    >>> h = net.register_forward_hook(lambda blk, x, y: print(y.shape))  # doctest: +SKIP
    >>> h.detach()  # doctest: +SKIP
    """

    def __init__(self, hooks: OrderedDict, hook: Callable) -> None:
        self._hooks = hooks
        self._id = id(hook)
        hooks[self._id] = hook

    def detach(self) -> None:
        self._hooks.pop(self._id, None)

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.detach()


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return "\n".join(lines[:1] + [" " * spaces + line for line in lines[1:]])


def _flat(value: Any) -> list[Any]:
    """The leaves of a block's inputs or outputs, looking into lists and tuples (MXNet's
    `_flatten`)."""
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _flat(v)]
    return [value]


def _regroup(value: Any, leaves: Iterator[Any]) -> Any:
    """`value`'s lists and tuples with its leaves replaced by the next of `leaves`."""
    if isinstance(value, (list, tuple)):
        return type(value)(_regroup(v, leaves) for v in value)
    return next(leaves)


def _has_symbols(args: tuple[Any, ...]) -> bool:
    """Whether the inputs are symbols; mixed with arrays is MXNet's error."""
    if all_arrays(args):
        return False
    leaves = _flat(args)
    if not any(isinstance(a, Symbol) for a in leaves):
        return False
    if any(isinstance(a, Array) for a in leaves):
        raise ParamError("In HybridBlock, we do not support mixed NDArrays and Symbols types "
                         "for the input. Please check the type of the args.")
    return True


def _data_variables(args: tuple[Any, ...]) -> Any:
    """The inputs as MXNet's export names them: each array becomes the variable `data`
    (one input) or `data0`, `data1`, ... in order, an mx.np array a NumPy-semantics one;
    the rest stays."""
    leaves = _flat(args)
    count = sum(isinstance(a, Array) for a in leaves)
    names = iter(["data"] if count == 1 else [f"data{k}" for k in range(count)])

    def variable(a: Array) -> Symbol:
        v = symbol.var(next(names))
        return v.as_np_ndarray() if isinstance(a, numpy_ndarray) else v

    return _regroup(args, iter([variable(a) if isinstance(a, Array) else a for a in leaves]))


class Block:
    """The base of every layer and model: parameters, children, naming, saving.

    >>> class Model(mx.gluon.Block):  # doctest: +SKIP
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         with self.name_scope():
    ...             self.dense = mx.gluon.nn.Dense(4)
    ...     def forward(self, x):
    ...         return self.dense(x)
    """

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None):
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children: OrderedDict[str, Block] = OrderedDict()
        self._reg_params: dict[str, Parameter] = {}
        self._forward_hooks: OrderedDict = OrderedDict()
        self._forward_pre_hooks: OrderedDict = OrderedDict()

    def __repr__(self) -> str:
        body = "\n".join(f"  ({key}): {_indent(repr(block), 2)}" for key, block in
                         self.__dict__.items() if isinstance(block, Block))
        return f"{type(self).__name__}(\n{body}\n)"

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise ArgumentError(f"Changing attribute type for {name} from {type(existing)} to "
                                f"{type(value)} is not allowed.")
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params:
                raise AssertionError(f"Overriding Parameter attribute {name} is not allowed; "
                                     f"to share parameters between blocks, pass 'params' when "
                                     f"constructing the block")
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _alias(self) -> str:
        return type(self).__name__.lower()

    @property
    def prefix(self) -> str:
        """The prefix of this block's name and of its parameters' names."""
        return self._prefix

    @property
    def name(self) -> str:
        """The prefix without its trailing underscore."""
        return self._name

    def name_scope(self) -> _BlockScope:
        """A `with` scope in which new blocks become this block's children by name.

        >>> with self.name_scope(): self.fc = mx.gluon.nn.Dense(2)  # doctest: +SKIP
        """
        return self._scope

    @property
    def params(self) -> ParameterDict:
        """This block's own parameters (not its children's: see `collect_params`)."""
        return self._params

    def collect_params(self, select: str | None = None) -> ParameterDict:
        """This block's and every descendant's parameters, optionally only those whose
        names match the regular expression `select` (`re.match`, so from the start).

        >>> net.collect_params('.*weight|.*bias')  # doctest: +SKIP
        """
        self._warn_of_blocks_in_containers()
        out = ParameterDict(self._params.prefix)
        pattern = re.compile(select) if select else None
        for k, v in self._params.items():
            if pattern is None or pattern.match(k):
                out._params[k] = v
        for child in self._children.values():
            out.update(child.collect_params(select))
        return out

    def _warn_of_blocks_in_containers(self) -> None:
        """MXNet's warning for Blocks kept in a list, tuple or dict attribute: they are not
        registered children, so their parameters are not collected."""
        children = set(map(id, self._children.values()))

        def holds_unregistered(data: Any) -> bool:
            if isinstance(data, (list, tuple)):
                return any(holds_unregistered(e) for e in data)
            if isinstance(data, dict):
                return any(holds_unregistered(e) for e in data.values())
            return isinstance(data, Block) and id(data) not in children

        for k, v in self.__dict__.items():
            if isinstance(v, (list, tuple, dict)) and not (k.startswith("__")
                                                           or k == "_children"):
                if holds_unregistered(v):
                    warnings.warn(f'"{type(self).__name__}.{k}" is an unregistered container '
                                  f"with Blocks. Note that Blocks inside the list, tuple or "
                                  f"dict will not be registered automatically. Make sure to "
                                  f"register them using register_child() or switching to "
                                  f"nn.Sequential/nn.HybridSequential instead. ", stacklevel=3)

    def _collect_params_with_prefix(self, prefix: str = "") -> dict[str, Parameter]:
        """Parameters by structural name (`0.weight`, `features.1.bias`): the names
        `save_parameters` writes."""
        if prefix:
            prefix += "."
        out = {prefix + k: v for k, v in self._reg_params.items()}
        for name, child in self._children.items():
            out.update(child._collect_params_with_prefix(prefix + name))
        return out

    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """Save the parameters by structural name in MXNet's `.params` format
        (`deduplicate` saves a shared parameter once).

        >>> net.save_parameters('net.params')  # doctest: +SKIP
        """
        params = self._collect_params_with_prefix()
        if deduplicate:
            last = {v: k for k, v in params.items()}
            params = {k: v for v, k in last.items()}
        nd.save(filename, {k: v._reduce() for k, v in params.items()})

    def load_parameters(self, filename: str, ctx: Context | list[Context] | None = None,
                        allow_missing: bool = False, ignore_extra: bool = False,
                        cast_dtype: bool = False, dtype_source: str = "current") -> None:
        """Load parameters saved by `save_parameters` (or, for files of full names such as
        `ParameterDict.save` and `export` write, by this block's prefix).

        >>> net.load_parameters('net.params', ctx=mx.cpu())  # doctest: +SKIP
        """
        loaded = nd.load(filename)
        if not isinstance(loaded, dict):
            raise ParamError(f"{filename!r} holds a list of arrays, not named parameters")
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not any("." in k for k in loaded):
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra,
                                       self.prefix, cast_dtype, dtype_source)
            return
        if not allow_missing:
            names_of: dict[Parameter, list[str]] = {}
            for k, v in params.items():
                names_of.setdefault(v, []).append(k)
            for k, v in params.items():
                if not any(n in loaded for n in names_of[v]):
                    raise AssertionError(
                        f"Parameter {k!r} is missing in file {filename!r}, which holds "
                        f"{_brief(list(loaded))}; set allow_missing=True to ignore missing "
                        f"parameters")
        for k, value in loaded.items():
            if k not in params:
                if ignore_extra:
                    continue
                raise ParamError(f"Parameter {k!r} from file {filename!r} is not in this "
                                 f"block, which has {_brief(list(params))}; set "
                                 f"ignore_extra=True to ignore it")
            params[k]._load_init(value, ctx, cast_dtype, dtype_source)

    def save_params(self, filename: str) -> None:
        """Deprecated name of `save_parameters` (MXNet keeps it with a warning)."""
        warnings.warn("save_params is deprecated; use save_parameters", DeprecationWarning,
                      stacklevel=2)
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_params(self, filename: str, ctx: Context | list[Context] | None = None,
                    allow_missing: bool = False, ignore_extra: bool = False) -> None:
        """Deprecated name of `load_parameters`."""
        warnings.warn("load_params is deprecated; use load_parameters", DeprecationWarning,
                      stacklevel=2)
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    def register_child(self, block: Block, name: str | None = None) -> None:
        """Make `block` a child (named by its position when `name` is None).

        >>> net.register_child(mx.gluon.nn.Dense(2))  # doctest: +SKIP
        """
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook: Callable) -> HookHandle:
        """Call `hook(block, inputs)` before each forward call.

        >>> net.register_forward_pre_hook(lambda blk, x: print(len(x)))  # doctest: +SKIP
        """
        return HookHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable) -> HookHandle:
        """Call `hook(block, inputs, outputs)` after each forward call.

        >>> net.register_forward_hook(lambda blk, x, y: print(y.shape))  # doctest: +SKIP
        """
        return HookHandle(self._forward_hooks, hook)

    def apply(self, fn: Callable[[Block], Any]) -> Block:
        """Call `fn` on every descendant, then on this block; returns this block.

        >>> net.apply(lambda b: print(b.name))  # doctest: +SKIP
        """
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init: Any = None, ctx: Context | list[Context] | None = None,
                   verbose: bool = False, force_reinit: bool = False) -> None:
        """Initialise every parameter of this block and its descendants (Uniform by
        default; shapes still unknown wait for the first call).

        >>> net.initialize(mx.init.Xavier(), ctx=mx.cpu())  # doctest: +SKIP
        """
        self.collect_params().initialize(init if init is not None else initializer.Uniform(),
                                         ctx, verbose, force_reinit)

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Hybridize the hybrid descendants (a plain Block itself stays eager).

        >>> net.hybridize()  # doctest: +SKIP
        """
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype: Any) -> None:
        """Cast every parameter to `dtype`.

        >>> net.cast('float16')  # doctest: +SKIP
        """
        for child in self._children.values():
            child.cast(dtype)
        for param in self._params.values():
            param.cast(dtype)

    def zero_grad(self) -> None:
        """Zero the gradients of every parameter (needed with grad_req 'add')."""
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx: Context | list[Context]) -> None:
        """Move every parameter to `ctx`."""
        self.collect_params().reset_ctx(ctx)

    def __call__(self, *args: Any) -> Any:
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                hook(self, args)
        out = self._call(*args)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                hook(self, args, out)
        if is_np_array():
            _check_numpy_outputs(out)
        return out

    def _call(self, *args: Any) -> Any:
        return self.forward(*args)

    def forward(self, *args: Any) -> Any:
        """The computation over NDArrays: override it (positional arguments only)."""
        raise NotOverriddenError

    def register_op_hook(self, callback: Callable, monitor_all: bool = False) -> None:
        """MXNet's per-operator monitor: compiled programs have no per-operator outputs."""
        raise UnsupportedError("register_op_hook: mxjit compiles whole blocks into fused "
                               "kernels, so there are no per-operator outputs to monitor")

    def summary(self, *inputs: Any) -> None:
        """Print each layer's output shape and parameter count for a call on `inputs`.

        >>> net.summary(mx.nd.ones((2, 3)))  # doctest: +SKIP
        """
        print_summary(self, inputs)


def _check_numpy_outputs(out: Any) -> None:
    """Under NumPy semantics a block's outputs must be mx.np arrays or mx.sym.np symbols
    (MXNet's TypeError), in lists and tuples too."""
    if isinstance(out, (list, tuple)):
        for item in out:
            _check_numpy_outputs(item)
    elif isinstance(out, (Array, Symbol)) and not isinstance(out, (numpy_ndarray, NumpySymbol)):
        raise ArgumentError("Block's output ndarrays/symbols must be of type "
                        "`mxnet.numpy.ndarray` or `mxnet.symbol.numpy._Symbol`, while got "
                        f"output type {type(out)}")


class HybridBlock(Block):
    """A block that computes with `hybrid_forward(F, x, *args, **params)` and can be
    compiled whole by `hybridize()`.

    >>> class Scale(mx.gluon.HybridBlock):  # doctest: +SKIP
    ...     def hybrid_forward(self, F, x):
    ...         return x * 2
    """

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None):
        super().__init__(prefix, params)
        self._active = False
        self._flags: dict[str, Any] = {}
        self._program: Any = None
        self._graph_inputs: Any = None

    def register_child(self, block: Block, name: str | None = None) -> None:
        if not isinstance(block, HybridBlock):
            raise ParamError(f"Children of HybridBlock must also be HybridBlock, but {block} "
                             f"has type {type(block)}. If you are using Sequential, please "
                             f"try HybridSequential instead.")
        super().register_child(block, name)
        self._clear_cached_op()

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Compile each later call of this block into one program (per signature of its
        inputs and the training mode). `static_alloc`/`static_shape` are accepted: a
        compiled program already keeps its plan per shape.

        >>> net.hybridize(); y = net(x)  # doctest: +SKIP
        """
        self._active = active
        self._flags = dict(kwargs)
        self._clear_cached_op()
        if active and (self._forward_hooks or self._forward_pre_hooks):
            warnings.warn(f"{self.name!r} is being hybridized while it has forward hooks; if "
                          f"it is the child of a hybridized block, they run only when that "
                          f"block traces", stacklevel=2)
        super().hybridize(active, **kwargs)

    def cast(self, dtype: Any) -> None:
        self._clear_cached_op()
        super().cast(dtype)

    def _clear_cached_op(self) -> None:
        """Forget the compiled program and the graph's inputs (MXNet's cached graph), as
        a change of the block or of its hybridization requires."""
        self._program = None
        self._graph_inputs = None

    def _call(self, *args: Any) -> Any:
        if _has_symbols(args):
            return self.forward(*args)
        if self._active and not trace_stack():
            if self._program is None:
                self._start_program(args)
            return self._program(*args)
        self._ensure_params(*args)
        return self.forward(*args)

    def _start_program(self, args: tuple[Any, ...]) -> None:
        """The first call since `hybridize()`. MXNet builds the block's graph now, before
        deferred shapes are known, so its exported variables keep 0 for those dimensions:
        the parameters' `var()`s are made now for `export` to write the same."""
        self._program = HybridProgram(self)
        self._graph_inputs = _data_variables(args)
        for p in self.collect_params().values():
            p.var()

    def _ensure_params(self, *args: Any) -> None:
        """Finish the deferred initialisation of this block's own parameters, setting
        unknown dimensions from the inputs first (`infer_shape`)."""
        own = list(self._reg_params.values()) + [p for p in self._params.values()
                                                 if p not in self._reg_params.values()]
        pending = [p for p in own if p._data is None and p._deferred_init]
        if not pending:
            return
        if any(not _known(p.shape) for p in pending):
            if is_probing() and type(self).infer_shape is HybridBlock.infer_shape:
                # (the probe in progress passes them to the operators, whose input-shape
                # rules set them: see `forward`)
                pending = [p for p in pending if _known(p.shape)]
            else:
                self.infer_shape(*args)
        for p in pending:
            p._finish_deferred_init()

    def infer_shape(self, *args: Any) -> None:
        """Set the unknown dimensions of parameter shapes from the inputs. Layers with
        deferred shapes (Dense, Conv2D, BatchNorm, ...) override it to set their own. The
        default traces the block once without running it: each child sets its own as it is
        called, and a parameter of this block whose shape is unknown goes to the operators
        it feeds, whose input-shape rules set it (`F.FullyConnected(x, w, ...)` gives `w`
        the shape (num_hidden, x's width)), as MXNet's shape inference does.

        >>> net.infer_shape(mx.nd.ones((2, 3))); net[0].weight.shape  # doctest: +SKIP
        """
        failure: Exception | None = None
        try:
            trace_once(self, args)
        except Exception as e:  # (an operator without an input-shape rule met a pending one)
            failure = e
        unknown = [p.name for p in self._reg_params.values() if not _known(p.shape)]
        if unknown:
            raise DeferredInitializationError(
                f"{type(self).__name__} {self.name!r} cannot infer the shapes of its parameters "
                f"{unknown} from its inputs: give their full shapes, or define "
                f"infer_shape(self, x, *args) to set them (e.g. self.weight.shape = ...)"
            ) from failure
        if failure is not None and not isinstance(failure, ConcreteValueError):
            # (one that needs values comes again in the call itself, which runs eagerly)
            raise failure

    def infer_type(self, *args: Any) -> None:
        """Parameters take their dtypes as declared (cast with `cast`): nothing to infer."""

    def forward(self, x: Any, *args: Any) -> Any:
        """Call `hybrid_forward(mx.nd, x, *args, **params)` with this block's parameters,
        or on symbols `hybrid_forward(mx.sym, x, *args, **vars)` inside `name_scope()`.

        >>> net.forward(mx.nd.ones((2, 3)))  # doctest: +SKIP
        """
        flat = _flat((x, *args))
        if not any(isinstance(a, (nd.NDArray, Symbol)) for a in flat):
            raise ParamError("In HybridBlock, there must be one NDArray or one Symbol in the "
                             "input. Please check the type of the args.")
        if _has_symbols((x, *args)):
            variables = {k: v.var() for k, v in self._reg_params.items()}
            with self.name_scope():
                return self.hybrid_forward(symbol, x, *args, **variables)
        ctx = x.context if isinstance(x, nd.NDArray) and x._data is not None else None
        probe = is_probing()
        params = {k: PendingParameter(v) if probe and v._data is None and not _known(v.shape)
                  else v.data(ctx) for k, v in self._reg_params.items()}
        return self.hybrid_forward(nd, x, *args, **params)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation: override it. `F` is `mx.nd` (or `mx.sym` on symbols);
        parameters come as keywords."""
        raise NotOverriddenError

    def export(self, path: str, epoch: int = 0, remove_amp_cast: bool = True) -> None:
        """Write the block as MXNet does: its graph (inputs `data`, or `data0`, `data1`,
        ... for several) to `path-symbol.json` and its parameters, `arg:`/`aux:` before
        their names, to `path-%04d.params` % epoch; for `SymbolBlock.imports`, MXNet's
        Module or its C++ API. The block must have been hybridized and called once.

        >>> net.hybridize(); net(x); net.export('model', epoch=3)  # doctest: +SKIP
        """
        if self._graph_inputs is None:
            raise MXNetError("Please first call block.hybridize() and then run forward with "
                             "this block at least once before calling export.")
        out = symbol.Group(self._graph_outputs())
        out.save(f"{path}-symbol.json", remove_amp_cast=remove_amp_cast)
        data = {v.name for v in _flat(self._graph_inputs) if isinstance(v, Symbol)}
        params = {p.name: p for p in self.collect_params().values()}
        aux = set(out.list_auxiliary_states())
        saved = {}
        for name in out.list_inputs():
            if name in data:
                continue
            if name not in params:
                raise MXNetError(f"Unknown input to HybridBlock: {name}")
            saved[f"{'aux' if name in aux else 'arg'}:{name}"] = params.pop(name)._reduce()
        if params:
            warnings.warn(f"Parameter {', '.join(params)} is not used by any computation. "
                          f"Is this intended?", stacklevel=2)
        nd.save(f"{path}-{epoch:04d}.params", saved)

    def _graph_outputs(self) -> list[Symbol]:
        """The outputs of this block called on its graph inputs (what `export` writes)."""
        outputs = _flat(self._call(*self._graph_inputs))
        for o in outputs:
            if not isinstance(o, Symbol):
                raise ArgumentError(f"{type(self).__name__} {self.name!r}: on symbols, "
                                    f"hybrid_forward returned a {type(o).__name__}; it must "
                                    f"return symbols (nested in lists or tuples)")
        return outputs

    def optimize_for(self, x: Any, *args: Any, backend: str | None = None, **kwargs: Any
                     ) -> None:
        """MXNet's subgraph backends: mxjit always fuses; this hybridizes and runs once."""
        self.hybridize(True)
        self(x, *args)
