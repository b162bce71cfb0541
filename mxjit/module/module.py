"""`Module`: a symbol bound on one or more devices, trained with an optimizer.

Each context gets one `Executor` (one compiled program for the forward pass; with
`is_train` the tape's compiled backward program gives the gradients) over its slice of
the batch, split along the batch axis in proportion to `work_load_list`. `update` hands
every trainable parameter of a device to the optimizer's updater in one call, which the
built-in optimizers run as one fused program. With several devices and a local kvstore,
the gradients are summed (as MXNet's local KVStore does), the first device's weights are
updated and copied to the others; with `kvstore=None` every device updates from its own
gradient, as in MXNet. A distributed store ('dist_sync', 'dist_async', 'horovod' or a
store object) is chosen by MXNet's `_create_kvstore` rules (`kvstore/choose.py`): it
starts from rank 0's parameters, sums every gradient over the devices and workers in one
`pushpull` and, when it runs the optimizer (`update_on_kvstore`), gives every device the
updated weights; with `dist_sync` the gradients are scaled by 1/(batch size x workers).

The module keeps its own copy of the parameters (`get_params`), refreshed from the
devices when it is asked for after an update. A batch of new shapes binds executors for
them that share the parameters, kept per shape so alternating shapes compile once.

    >>> mod = mx.mod.Module(net, context=mx.cpu())  # doctest: +SKIP
    >>> mod.bind(data_shapes=train_iter.provide_data,  # doctest: +SKIP
    ...          label_shapes=train_iter.provide_label)
    >>> mod.init_params(); mod.init_optimizer(optimizer='sgd')  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

from .. import nd
from .. import optimizer as opt
from ..base import ArgumentError, MissingFileError, ParamError, ShapeError, UnsupportedError
from ..context import Context, cpu
from ..initializer import InitDesc, Initializer
from ..io import DataDesc
from ..kvstore import Horovod, KVStore, KVStoreBase
from ..kvstore.choose import create_kvstore
from ..model import load_checkpoint, params_file
from .base_module import (
    DEFAULT_INITIALIZER,
    BaseModule,
    check_input_names,
    parse_data_desc,
    require,
)

__all__ = ["Module"]


def __dir__() -> list[str]:
    return __all__


#: The default context (MXNet's `cpu()`).
CPU = cpu()


def split_batch(batch_size: int, work_load_list: Sequence[float]) -> list[slice]:
    """The slice of a batch each device takes, in proportion to its work load.

    >>> split_batch(10, [1, 1])  # doctest: +SKIP
    [slice(0, 5, None), slice(5, 10, None)]
    """
    total = sum(work_load_list)
    sizes = [round(w * batch_size / total) for w in work_load_list]
    sizes[-1] += batch_size - sum(sizes)
    slices, end = [], 0
    for size in sizes:
        begin = min(end, batch_size)
        end = min(begin + size, batch_size)
        if begin >= end:
            raise ParamError(f"Too many slices: a batch of {batch_size} cannot be split over "
                             f"{len(work_load_list)} devices with work loads "
                             f"{list(work_load_list)} without an empty split")
        slices.append(slice(begin, end))
    return slices


def _check_groups(group2ctxs: Any) -> None:
    """MXNet's model parallelism places groups of operators (`ctx_group`) on devices. A
    bound symbol here is one compiled program on one device, so groups placed on the CPU
    compute what MXNet computes and are accepted; other devices are refused."""
    groups = group2ctxs if isinstance(group2ctxs, (list, tuple)) else [group2ctxs]
    for mapping in groups:
        if mapping is None:
            continue
        if not isinstance(mapping, dict):
            raise ArgumentError(f"Module: group2ctxs must map group names to contexts (one "
                                f"dict, or one per device), got {mapping!r}")
        for name, ctx in mapping.items():
            places = ctx if isinstance(ctx, (list, tuple)) else [ctx]
            if any(not isinstance(c, Context) or c.device_type != "cpu" for c in places):
                raise UnsupportedError(f"Module: group2ctxs places group {name!r} on {ctx!r}: "
                                       f"model parallelism across devices is not supported "
                                       f"(a bound symbol runs as one program on one device)")


def _distributed(kv: KVStoreBase | None) -> bool:
    """Whether `kv` reaches other workers (a store of this process sums on the devices)."""
    return kv is not None and not (isinstance(kv, KVStore) and "dist" not in kv.type)


class Module(BaseModule):
    """A symbol bound to data (`data_names`) and labels (`label_names`) on `context` (one
    Context or a list); `fixed_param_names` are not updated; `state_names` are inputs
    kept between batches (set with `set_states`).

    >>> mod = mx.mod.Module(net, data_names=['data'],  # doctest: +SKIP
    ...                     label_names=['softmax_label'])
    """

    def __init__(self, symbol: Any, data_names: Sequence[str] | None = ("data",),
                 label_names: Sequence[str] | None = ("softmax_label",), logger: Any = logging,
                 context: Context | Sequence[Context] = CPU,
                 work_load_list: Sequence[float] | None = None,
                 fixed_param_names: Sequence[str] | None = None,
                 state_names: Sequence[str] | None = None, group2ctxs: Any = None,
                 compression_params: Any = None):
        super().__init__(logger=logger)
        contexts = [context] if isinstance(context, Context) else list(context)
        if not contexts or not all(isinstance(c, Context) for c in contexts):
            raise ArgumentError(f"Module: context must be a Context or a list of them, got "
                                f"{context!r}")
        _check_groups(group2ctxs)
        self._compression_params = compression_params
        self._context = contexts
        self._work_load_list = list(work_load_list or [1] * len(contexts))
        if len(self._work_load_list) != len(contexts):
            raise ParamError(f"Module: work_load_list has {len(self._work_load_list)} "
                             f"entries for {len(contexts)} contexts")
        self._symbol = symbol
        self._data_names = list(data_names or [])
        self._label_names = list(label_names or [])
        self._state_names = list(state_names or [])
        self._fixed_param_names = list(fixed_param_names or [])
        check_input_names(symbol, self._data_names, "data", True)
        check_input_names(symbol, self._label_names, "label", False)
        check_input_names(symbol, self._state_names, "state", True)
        check_input_names(symbol, self._fixed_param_names, "fixed_param", True)
        inputs = set(self._data_names + self._label_names + self._state_names)
        self._arg_names = symbol.list_arguments()
        self._param_names = [n for n in self._arg_names if n not in inputs]
        self._aux_names = symbol.list_auxiliary_states()
        self._output_names = symbol.list_outputs()
        self._output_axes = [DataDesc.get_batch_axis(symbol[k].attr("__layout__"))
                             for k in range(len(self._output_names))]
        self._arg_params: dict[str, Any] | None = None
        self._aux_params: dict[str, Any] | None = None
        self._params_dirty = False
        self._optimizer: Any = None
        #: the store gradients go through (None: each device on its own, or one device)
        self._kvstore: KVStoreBase | None = None
        self._update_on_kvstore = False
        self._updater: Any = None
        self._preload_opt_states: str | None = None
        self._monitor: Any = None
        self._reset_bind()

    def _reset_bind(self) -> None:
        self.binded = False
        self._execs: list[Any] = []
        self._exec_cache: dict[tuple, list[Any]] = {}
        self._data_shapes: list[DataDesc] | None = None
        self._label_shapes: list[DataDesc] | None = None
        self._output_shapes: list[tuple[str, tuple[int, ...]]] = []
        self._slices: list[slice] = []
        self._batch_size = 0
        self._grad_req: dict[str, str] = {}

    # ---- checkpoints ---------------------------------------------------------------------

    @staticmethod
    def load(prefix: str, epoch: int, load_optimizer_states: bool = False, **kwargs: Any
             ) -> Module:
        """A module of the checkpoint `prefix`, `epoch` (its parameters are set at bind;
        the optimizer states at `init_optimizer` with `load_optimizer_states`).

        >>> mod = mx.mod.Module.load('mlp', 3, load_optimizer_states=True)  # doctest: +SKIP
        """
        symbol, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=symbol, **kwargs)
        mod._arg_params = args
        mod._aux_params = auxs
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = f"{prefix}-{epoch:04d}.states"
        return mod

    def save_checkpoint(self, prefix: str, epoch: int, save_optimizer_states: bool = False,
                        remove_amp_cast: bool = True) -> None:
        """Save `prefix-symbol.json`, `prefix-%04d.params` (and the optimizer states to
        `prefix-%04d.states`), which real MXNet loads too.

        >>> mod.save_checkpoint('mlp', 3)  # doctest: +SKIP
        """
        self._symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
        fname = params_file(prefix, epoch)
        self.save_params(fname)
        logging.info('Saved checkpoint to "%s"', fname)
        if save_optimizer_states:
            state_name = f"{prefix}-{epoch:04d}.states"
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    # ---- names and shapes ----------------------------------------------------------------

    @property
    def data_names(self) -> list[str]:
        """The names of the data inputs."""
        return self._data_names

    @property
    def label_names(self) -> list[str]:
        """The names of the label inputs."""
        return self._label_names

    @property
    def output_names(self) -> list[str]:
        """The names of the symbol's outputs."""
        return self._output_names  # type: ignore[no-any-return]

    @property
    def data_shapes(self) -> list[DataDesc]:
        """The bound data inputs as `DataDesc`s."""
        require(self.binded, "data_shapes: call bind() first")
        assert self._data_shapes is not None
        return self._data_shapes

    @property
    def label_shapes(self) -> list[DataDesc] | None:
        """The bound label inputs as `DataDesc`s (None when bound without labels)."""
        require(self.binded, "label_shapes: call bind() first")
        return self._label_shapes

    @property
    def output_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """(name, shape) of each output for the whole batch."""
        require(self.binded, "output_shapes: call bind() first")
        return self._output_shapes

    # ---- parameters ----------------------------------------------------------------------

    def get_params(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(arg_params, aux_params): the module's copies of the parameters, brought up to
        date with the devices' values.

        >>> arg_params, aux_params = mod.get_params()  # doctest: +SKIP
        """
        require(self.params_initialized, "get_params: call init_params() first")
        if self._params_dirty:
            self._sync_params_from_devices()
        assert self._arg_params is not None and self._aux_params is not None
        return self._arg_params, self._aux_params

    def init_params(self, initializer: Initializer | None = DEFAULT_INITIALIZER,
                    arg_params: dict[str, Any] | None = None,
                    aux_params: dict[str, Any] | None = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        """Initialise each parameter (in name order): copied from `arg_params`/
        `aux_params` when they hold it, else drawn by `initializer`; a parameter missing
        from given dicts is an error unless `allow_missing`.

        >>> mod.init_params(mx.init.Xavier(magnitude=2.24))  # doctest: +SKIP
        """
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "init_params call ignored.", stacklevel=2)
            return
        require(self.binded, "call bind before initializing the parameters")
        assert self._arg_params is not None and self._aux_params is not None
        attrs = self._symbol.attr_dict()
        for own, given in ((self._arg_params, arg_params), (self._aux_params, aux_params)):
            for name, arr in sorted(own.items()):
                desc = InitDesc(name, attrs.get(name, None))
                if given is not None and name in given:
                    _copy_checked(given[name], arr, name)
                elif given is not None and not allow_missing:
                    raise ParamError(f"{name} is not presented: the parameters given have no "
                                     f"{name!r} (pass allow_missing=True to initialize it)")
                elif initializer is not None:
                    initializer(desc, arr)
        self.params_initialized = True
        self._params_dirty = False
        self._copy_params_to_devices(self._arg_params, self._aux_params, allow_extra)

    def set_params(self, arg_params: dict[str, Any], aux_params: dict[str, Any],
                   allow_missing: bool = False, force_init: bool = True,
                   allow_extra: bool = False) -> None:
        """Assign the parameters' values (missing ones keep theirs with `allow_missing`;
        unknown names are an error unless `allow_extra`).

        >>> mod.set_params(arg_params, aux_params)  # doctest: +SKIP
        """
        if self._set_params_by_init(arg_params, aux_params, allow_missing, force_init,
                                    allow_extra):
            return
        require(self.binded, "set_params: call bind() first")
        self._copy_params_to_devices(arg_params, aux_params or {}, allow_extra)
        self._params_dirty = True  # (the module's own copy has not seen these values)
        self.params_initialized = True

    def _copy_params_to_devices(self, arg_params: dict[str, Any], aux_params: dict[str, Any],
                                allow_extra: bool) -> None:
        for exe in self._execs:
            for params, own in ((arg_params, exe.arg_dict), (aux_params, exe.aux_dict)):
                for name, value in params.items():
                    if name in own:
                        _copy_checked(value, own[name], name)
                    elif not allow_extra:
                        raise ParamError(f"Find name {name!r} that is not in the arguments "
                                         f"or auxiliary states of the symbol (pass "
                                         f"allow_extra=True to ignore it)")

    def _sync_params_from_devices(self) -> None:
        assert self._arg_params is not None and self._aux_params is not None
        for own, device_dicts in ((self._arg_params, [e.arg_dict for e in self._execs]),
                                  (self._aux_params, [e.aux_dict for e in self._execs])):
            for name, target in own.items():
                copies = [d[name] for d in device_dicts]
                value = copies[0]
                if len(copies) > 1:
                    value = sum(c.as_in_context(target.context) for c in copies) / len(copies)
                target[:] = value
        self._params_dirty = False

    # ---- binding -------------------------------------------------------------------------

    def bind(self, data_shapes: Any, label_shapes: Any = None, for_training: bool = True,
             inputs_need_grad: bool = False, force_rebind: bool = False,
             shared_module: Any = None, grad_req: Any = "write") -> None:
        """Bind one executor per context for inputs of these shapes ((name, shape) pairs or
        `DataDesc`s). `shared_module` (bound, initialised) lends its parameter arrays.

        >>> mod.bind(data_shapes=[('data', (32, 784))],  # doctest: +SKIP
        ...          label_shapes=[('softmax_label', (32,))])
        """
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        require(for_training or not inputs_need_grad,
                "bind: inputs_need_grad=True needs for_training=True")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        data, labels = parse_data_desc(self._data_names, self._label_names, data_shapes,
                                       label_shapes)
        shared_execs: list[Any] = [None] * len(self._context)
        if shared_module is not None:
            require(isinstance(shared_module, Module) and shared_module.binded
                    and shared_module.params_initialized,
                    "bind: shared_module must be a bound Module with initialized parameters")
            require(len(shared_module._execs) >= len(self._context),
                    "bind: shared_module has fewer devices than this module")
            shared_execs = shared_module._execs
        self._grad_req = self._grad_reqs(grad_req, [d.name for d in data])
        self._set_shapes(data, labels)
        self._execs = [self._bind_exec(k, shared_execs[k]) for k in range(len(self._context))]
        self._exec_cache[self._shapes_key(data, labels)] = self._execs
        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            assert self._arg_params is not None and self._aux_params is not None
            self._copy_params_to_devices(self._arg_params, self._aux_params, False)
        else:
            exe = self._execs[0]
            self._arg_params = {n: nd.zeros(exe.arg_dict[n].shape, dtype=exe.arg_dict[n].dtype)
                                for n in self._param_names}
            self._aux_params = {n: nd.zeros(a.shape, dtype=a.dtype)
                                for n, a in exe.aux_dict.items()}
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)
        self.binded = True

    def _grad_reqs(self, grad_req: Any, data_names: list[str]) -> dict[str, str]:
        """grad_req per argument: parameters learn (unless fixed), data only with
        `inputs_need_grad`, labels and states never; nothing without for_training."""
        if isinstance(grad_req, (list, tuple)):
            if len(grad_req) != len(self._arg_names):
                raise ParamError(f"bind: grad_req has {len(grad_req)} entries for the "
                                 f"{len(self._arg_names)} arguments {self._arg_names}")
            reqs = dict(zip(self._arg_names, grad_req))
        elif isinstance(grad_req, (str, dict)):
            default = grad_req if isinstance(grad_req, str) else "write"
            reqs = {}
            for name in self._arg_names:
                if name in self._param_names:
                    reqs[name] = "null" if name in self._fixed_param_names else default
                elif name in data_names:
                    reqs[name] = default if self.inputs_need_grad else "null"
                else:
                    reqs[name] = "null"
            if isinstance(grad_req, dict):
                reqs.update(grad_req)
        else:
            raise ParamError("grad_req must be one of str, list, tuple, or dict.")
        if not self.for_training:
            reqs = dict.fromkeys(self._arg_names, "null")
        return reqs

    def _set_shapes(self, data: list[DataDesc], labels: list[DataDesc] | None) -> None:
        """Record the bound shapes, the batch size and each device's slice of it."""
        batch_size = None
        for desc in data + (labels or []):
            axis = DataDesc.get_batch_axis(desc.layout)
            if axis < 0:
                continue
            if batch_size is not None and desc.shape[axis] != batch_size:
                raise ShapeError(f"all data must have the same batch size: batch_size = "
                                 f"{batch_size}, but {desc.name} has shape {desc.shape}")
            batch_size = desc.shape[axis]
        self._data_shapes, self._label_shapes = data, labels
        self._batch_size = batch_size or 0
        if batch_size is None:  # (no batch axis: each device takes a whole copy)
            self._slices = [slice(k, k + 1) for k in range(len(self._context))]
        else:
            self._slices = split_batch(batch_size, self._work_load_list)
        full = {d.name: tuple(d.shape) for d in self._inputs(data, labels)}
        _, out_shapes, _ = self._symbol.infer_shape(**full)
        if out_shapes is None:
            partial = self._symbol.infer_shape_partial(**full)[0]
            unknown = [n for n, shape in zip(self._arg_names, partial)
                       if not shape or 0 in shape]
            raise ShapeError(f"bind: the input shapes {full} do not determine the shapes of "
                             f"{unknown}; give them a shape (mx.sym.var(name, shape=...)) or "
                             f"bind them as data")
        self._output_shapes = list(zip(self._output_names, [tuple(s) for s in out_shapes]))

    def _inputs(self, data: list[DataDesc], labels: list[DataDesc] | None) -> list[DataDesc]:
        """The descriptions of the inputs the symbol has (a label it lacks is left out)."""
        return [d for d in data + (labels or []) if d.name in self._arg_names]

    def _device_shapes(self, k: int) -> dict[str, tuple[int, ...]]:
        assert self._data_shapes is not None
        shapes = {}
        for desc in self._inputs(self._data_shapes, self._label_shapes):
            shape = list(desc.shape)
            axis = DataDesc.get_batch_axis(desc.layout)
            if axis >= 0:
                shape[axis] = self._slices[k].stop - self._slices[k].start
            shapes[desc.name] = tuple(shape)
        return shapes

    def _bind_exec(self, k: int, shared_exec: Any) -> Any:
        assert self._data_shapes is not None
        types = {d.name: d.dtype for d in self._inputs(self._data_shapes, self._label_shapes)}
        attrs = self._symbol.attr_dict()
        for name in types:
            code = attrs.get(name, {}).get("__dtype__")
            if code is not None and code != "-1" and name in self._data_names:
                types.pop(name)  # (the variable's own dtype wins, as in MXNet)
        exe = self._symbol.simple_bind(self._context[k], grad_req=self._grad_req,
                                       type_dict=types, shared_exec=shared_exec,
                                       **self._device_shapes(k))
        if self._monitor is not None:
            self._monitor.install(exe)
        return exe

    @staticmethod
    def _shapes_key(data: list[DataDesc], labels: list[DataDesc] | None) -> tuple:
        return tuple((d.name, tuple(d.shape)) for d in data + (labels or []))

    def reshape(self, data_shapes: Any, label_shapes: Any = None) -> None:
        """Switch to inputs of new shapes (executors for them share the parameters; those
        of shapes seen before are reused).

        >>> mod.reshape(data_shapes=[('data', (16, 784))])  # doctest: +SKIP
        """
        require(self.binded, "reshape: call bind() first")
        data, labels = parse_data_desc(self._data_names, self._label_names, data_shapes,
                                       label_shapes)
        key = self._shapes_key(data, labels)
        before = (self._data_shapes, self._label_shapes, self._batch_size, self._slices,
                  self._output_shapes)
        try:
            self._set_shapes(data, labels)
            execs = self._exec_cache.get(key) or self._reshaped_execs()
        except ShapeError as e:
            (self._data_shapes, self._label_shapes, self._batch_size, self._slices,
             self._output_shapes) = before
            raise ShapeError(f"Module: inputs of shapes {dict(key)} do not fit the bound "
                             f"parameters: {e}") from None
        self._exec_cache[key] = self._execs = execs

    def _reshaped_execs(self) -> list[Any]:
        """Executors for the shapes just set, sharing the first-bound ones' parameters."""
        defaults = next(iter(self._exec_cache.values()))
        execs = [exe.reshape(allow_up_sizing=True, **self._device_shapes(k))
                 for k, exe in enumerate(defaults)]
        if self._monitor is not None:
            for exe in execs:
                self._monitor.install(exe)
        return execs

    # ---- the optimizer -------------------------------------------------------------------

    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """Install `optimizer` (a registered name with `optimizer_params`, whose
        `rescale_grad` defaults to 1/batch size, or an `Optimizer`).

        >>> mod.init_optimizer(optimizer='sgd',  # doctest: +SKIP
        ...                    optimizer_params=(('learning_rate', 0.1), ('momentum', 0.9)))
        """
        if self._keep_optimizer(force_init, "optimizer already initialized, ignoring..."):
            return
        if self._params_dirty:
            self._sync_params_from_devices()
        kv, update_on_kvstore = create_kvstore(kvstore, len(self._context),
                                               self._arg_params or {})
        batch_size = self._batch_size
        if kv is not None and "dist" in kv.type and "_sync" in kv.type:
            batch_size *= kv.num_workers
        rescale_grad = 1.0 / batch_size if batch_size else 1.0
        num_device = len(self._context)
        if (kv is not None and (update_on_kvstore or not _distributed(kv))) \
                or num_device == 1:
            idx2name = dict(enumerate(self._param_names))
        else:
            idx2name = {i * num_device + k: n for k in range(num_device)
                        for i, n in enumerate(self._param_names)}
        if isinstance(optimizer, str):
            params = dict(optimizer_params)
            params.setdefault("rescale_grad", rescale_grad)
            optimizer = opt.create(optimizer, sym=self._symbol, param_idx2name=idx2name,
                                   **params)
        elif isinstance(optimizer, opt.Optimizer):
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn("Optimizer created manually outside Module but rescale_grad is "
                              f"not normalized to 1.0/batch_size/num_workers "
                              f"({optimizer.rescale_grad} vs. {rescale_grad}). Is this "
                              "intended?", stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        else:
            raise ArgumentError(f"init_optimizer: optimizer must be a name or an Optimizer, "
                                f"got {type(optimizer).__name__}")
        self._optimizer = optimizer
        self._kvstore = kv
        self._update_on_kvstore = update_on_kvstore and _distributed(kv)
        self._updater = opt.get_updater(optimizer)
        if _distributed(kv):
            self._init_distributed_store(kv)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def _init_distributed_store(self, kv: Any) -> None:
        """Compression and optimizer on the store, then rank 0's parameters everywhere
        (MXNet's `_initialize_kvstore`)."""
        assert self._arg_params is not None
        if self._compression_params:
            kv.set_gradient_compression(self._compression_params)
        if self._update_on_kvstore:
            kv.set_optimizer(self._optimizer)
            self._updater = kv._updater
        for name in self._param_names:
            if self._update_on_kvstore:
                kv.broadcast(name, self._arg_params[name],
                             out=[exe.arg_dict[name] for exe in self._execs])
            else:
                kv.init(name, self._arg_params[name])

    def borrow_optimizer(self, shared_module: Module) -> None:
        """Use `shared_module`'s optimizer and updater (its states included).

        >>> mod2.borrow_optimizer(mod)  # doctest: +SKIP
        """
        require(shared_module.optimizer_initialized,
                "borrow_optimizer: the shared module has no optimizer yet")
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    def save_optimizer_states(self, fname: str) -> None:
        """Save the optimizer's states (momenta, ...) to `fname`.

        >>> mod.save_optimizer_states('mlp-0003.states')  # doctest: +SKIP
        """
        require(self.optimizer_initialized, "save_optimizer_states: call init_optimizer() "
                                            "first")
        with open(fname, "wb") as f:
            f.write(self._updater.get_states())

    def load_optimizer_states(self, fname: str) -> None:
        """Load optimizer states saved by `save_optimizer_states`.

        >>> mod.load_optimizer_states('mlp-0003.states')  # doctest: +SKIP
        """
        require(self.optimizer_initialized, "load_optimizer_states: call init_optimizer() "
                                            "first")
        try:
            with open(fname, "rb") as f:
                self._updater.set_states(f.read())
        except FileNotFoundError:
            raise MissingFileError(f"optimizer states file {fname!r} does not exist") from None

    # ---- computing -----------------------------------------------------------------------

    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        """Compute the outputs for `data_batch` (anything with a `.data` list of arrays,
        and `.label` for training; a list of batches gives each device its own). Inputs of
        new shapes switch the module to executors for them.

        >>> mod.forward(mx.io.DataBatch([x], [y]), is_train=True)  # doctest: +SKIP
        """
        self._require_ready("Module.forward")
        batches = data_batch if isinstance(data_batch, list) else [data_batch]
        new_shapes = self._batch_data_shapes(batches)
        assert self._data_shapes is not None
        if tuple(tuple(d.shape) for d in self._data_shapes) != new_shapes:
            self.reshape(*self._new_descs(data_batch, batches, new_shapes))
        if is_train is None:
            is_train = self.for_training
        if isinstance(data_batch, list):
            require(len(data_batch) == len(self._execs),
                    f"forward: a list of {len(data_batch)} batches for "
                    f"{len(self._execs)} devices")
            for exe, batch in zip(self._execs, data_batch):
                self._load_whole(exe, self._data_names, batch.data)
                if batch.label:
                    self._load_whole(exe, self._label_names, batch.label)
        else:
            self._load_split(self._data_shapes, data_batch.data)
            label = getattr(data_batch, "label", None)
            if label and self._label_shapes is not None:
                self._load_split(self._label_shapes, label)
        for exe in self._execs:
            exe.forward(is_train=is_train)

    def _batch_data_shapes(self, batches: list[Any]) -> tuple[tuple[int, ...], ...]:
        """The data shapes of the whole batch (a list of batches stacks along axis 0)."""
        shapes = []
        for i in range(len(batches[0].data)):
            shape = tuple(batches[0].data[i].shape)
            for b in batches[1:]:
                if tuple(b.data[i].shape) != shape:
                    raise ShapeError("forward: all data batches in a list need to have the "
                                     "same shape")
            shapes.append((len(batches) * shape[0],) + shape[1:] if len(batches) > 1
                          else shape)
        return tuple(shapes)

    def _new_descs(self, data_batch: Any, batches: list[Any], shapes: tuple
                   ) -> tuple[list[DataDesc], list[DataDesc] | None]:
        assert self._data_shapes is not None
        provided = getattr(data_batch, "provide_data", None)
        if provided:
            data = provided
        else:
            data = [DataDesc(d.name, s, d.dtype, d.layout)
                    for d, s in zip(self._data_shapes, shapes)]
        labels = getattr(data_batch, "provide_label", None)
        if labels or self._label_shapes is None:
            return data, labels or None
        label = getattr(batches[0], "label", None)
        if label:
            return data, [DataDesc(d.name, tuple(a.shape), d.dtype, d.layout)
                          for d, a in zip(self._label_shapes, label)]
        # (a batch without labels, as predict gives: the labels follow the new batch size,
        # where MXNet stops with "Shape of unspecified arg: softmax_label changed")
        size = None
        for desc, shape in zip(self._data_shapes, shapes):
            axis = DataDesc.get_batch_axis(desc.layout)
            if axis >= 0:
                size = shape[axis]
                break
        return data, [DataDesc(d.name, _with_batch(d, size), d.dtype, d.layout)
                      for d in self._label_shapes]

    def _load_split(self, descs: list[DataDesc], arrays: Sequence[Any]) -> None:
        """Copy each input of the whole batch into the devices' arrays, each device its
        slice along the input's batch axis."""
        if len(arrays) != len(descs):
            raise ParamError(f"forward: the batch has {len(arrays)} arrays for the inputs "
                             f"{[d.name for d in descs]}")
        for desc, src in zip(descs, arrays):
            if desc.name not in self._arg_names:
                continue
            axis = DataDesc.get_batch_axis(desc.layout)
            for exe, part in zip(self._execs, self._slices):
                piece = src
                if len(self._execs) > 1 and axis >= 0:
                    piece = nd.slice_axis(_as_nd(src), axis=axis, begin=part.start,
                                          end=part.stop)
                _copy_checked(piece, exe.arg_dict[desc.name], desc.name)

    def _load_whole(self, exe: Any, names: list[str], arrays: Sequence[Any]) -> None:
        for name, src in zip(names, arrays):
            if name in exe.arg_dict:
                _copy_checked(src, exe.arg_dict[name], name)

    def backward(self, out_grads: Any = None) -> None:
        """Gradients of the last forward pass into the gradient arrays (`out_grads`, one
        per output for the whole batch, are the head gradients of outputs that are not
        losses).

        >>> mod.backward()  # doctest: +SKIP
        """
        self._require_ready("Module.backward")
        require(self.for_training, "re-bind with for_training=True to run backward")
        if out_grads is not None and not isinstance(out_grads, (list, tuple)):
            out_grads = [out_grads]
        for exe, ctx, part in zip(self._execs, self._context, self._slices):
            grads = None
            if out_grads:
                grads = [g if len(self._execs) == 1 or axis < 0 else
                         nd.slice_axis(g, axis=axis, begin=part.start, end=part.stop)
                         for g, axis in zip(out_grads, self._output_axes)]
                grads = [g.as_in_context(ctx) for g in grads]
            exe.backward(out_grads=grads)

    def update(self) -> None:
        """Update every trainable parameter from its gradient, all of a device's in one
        call of the optimizer's updater.

        >>> mod.forward_backward(batch); mod.update()  # doctest: +SKIP
        """
        self._require_ready("Module.update", optimizer=True)
        self._params_dirty = True
        trainable = [i for i, n in enumerate(self._param_names)
                     if self._grad_req.get(n, "null") != "null"]
        if not trainable:
            return
        names = [self._param_names[i] for i in trainable]
        execs = self._execs
        if _distributed(self._kvstore):
            self._update_distributed(trainable, names)
            return
        if len(execs) == 1:
            exe = execs[0]
            self._updater(trainable, [exe.grad_dict[n] for n in names],
                          [exe.arg_dict[n] for n in names])
            return
        if self._kvstore is None:  # (MXNet: without a kvstore no device sees another's)
            num = len(execs)
            for k, exe in enumerate(execs):
                self._updater([i * num + k for i in trainable],
                              [exe.grad_dict[n] for n in names],
                              [exe.arg_dict[n] for n in names])
            return
        first = execs[0]
        for n in names:
            total = first.grad_dict[n]
            for exe in execs[1:]:
                total += exe.grad_dict[n].as_in_context(total.context)
        self._updater(trainable, [first.grad_dict[n] for n in names],
                      [first.arg_dict[n] for n in names])
        for exe in execs[1:]:
            for n in names:
                exe.arg_dict[n][:] = first.arg_dict[n]

    def _update_distributed(self, trainable: list[int], names: list[str]) -> None:
        """Sum over devices and workers through the store; the store updates the weights
        (`update_on_kvstore`) or each device updates its own from the sum."""
        kv = self._kvstore
        assert kv is not None
        grads = [[exe.grad_dict[n] for exe in self._execs] for n in names]
        weights = [[exe.arg_dict[n] for exe in self._execs] for n in names]
        out = weights if self._update_on_kvstore else None
        if isinstance(kv, (KVStore, Horovod)):  # (one call: a few large messages)
            kv.pushpull(names, grads, out=out)
        else:
            for k, n in enumerate(names):
                kv.pushpull(n, grads[k], out=None if out is None else out[k],
                            priority=-trainable[k])
        if self._update_on_kvstore:
            return
        num = len(self._execs)
        for k, exe in enumerate(self._execs):
            indices = trainable if num == 1 else [i * num + k for i in trainable]
            self._updater(indices, [exe.grad_dict[n] for n in names],
                          [exe.arg_dict[n] for n in names])

    def get_outputs(self, merge_multi_context: bool = True) -> list[Any]:
        """The outputs of the last forward pass: one array per output (joined over the
        devices along the batch axis), or a list per output of each device's with
        `merge_multi_context=False`.

        >>> probs = mod.get_outputs()[0]  # doctest: +SKIP
        """
        self._require_ready("get_outputs")
        per_output = [[exe.outputs[i] for exe in self._execs]
                      for i in range(len(self._execs[0].outputs))]
        if not merge_multi_context:
            return per_output
        return _merge(per_output, self._output_axes)

    def get_input_grads(self, merge_multi_context: bool = True) -> list[Any]:
        """The gradients with respect to the data inputs from the last backward pass
        (bind with `inputs_need_grad=True`).

        >>> dx = mod.get_input_grads()[0]  # doctest: +SKIP
        """
        self._require_ready("get_input_grads")
        require(self.inputs_need_grad, "get_input_grads: bind with inputs_need_grad=True")
        assert self._data_shapes is not None
        names = [d.name for d in self._data_shapes if d.name in self._arg_names]
        # (an input bound with grad_req 'null' has no gradient: None, as in MXNet)
        per_input = [[exe.grad_dict.get(n) for exe in self._execs] for n in names]
        if not merge_multi_context:
            return per_input
        axes = [DataDesc.get_batch_axis(d.layout) for d in self._data_shapes
                if d.name in self._arg_names]
        return _merge(per_input, axes)

    def get_states(self, merge_multi_context: bool = True) -> list[Any]:
        """The state arrays (`state_names`), a list per state of each device's.

        >>> h = mod.get_states(merge_multi_context=False)  # doctest: +SKIP
        """
        self._require_ready("get_states")
        require(not merge_multi_context,
                "merge_multi_context=True is not supported for get_states yet.")
        return [[exe.arg_dict[n] for exe in self._execs] for n in self._state_names]

    def set_states(self, states: Any = None, value: Any = None) -> None:
        """Set the state arrays from `states` (as `get_states` gives them) or all to the
        scalar `value`.

        >>> mod.set_states(value=0)  # doctest: +SKIP
        """
        self._require_ready("set_states")
        require((states is None) != (value is None),
                "set_states: give exactly one of states and value")
        for k, name in enumerate(self._state_names):
            for d, exe in enumerate(self._execs):
                target = exe.arg_dict[name]
                if states is None:
                    target[:] = value
                else:
                    src = states[k]
                    _copy_checked(src[d] if isinstance(src, (list, tuple)) else src, target,
                                  name)

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Accumulate `eval_metric` on the last outputs against `labels` (the whole
        batch's, or with `pre_sliced` a list of each device's).

        >>> mod.update_metric(mx.metric.Accuracy(), batch.label)  # doctest: +SKIP
        """
        names = [d.name for d in self._label_shapes] if self._label_shapes else \
            self._label_names
        axes = [DataDesc.get_batch_axis(d.layout) for d in self._label_shapes] \
            if self._label_shapes else [0] * len(names)
        for k, (exe, part) in enumerate(zip(self._execs, self._slices)):
            if pre_sliced:
                mine = labels[k]
            elif len(self._execs) == 1:
                mine = labels
            else:
                mine = [label[part] if axis == 0 else
                        nd.slice_axis(label, axis=axis, begin=part.start, end=part.stop)
                        if axis > 0 else label for label, axis in zip(labels, axes)]
            eval_metric.update_dict(dict(zip(names, mine)),
                                    dict(zip(self._output_names, exe.outputs)))

    def install_monitor(self, mon: Any) -> None:
        """Install `mon` on every device's executor (and on those bound later for new
        shapes).

        >>> mod.install_monitor(mx.monitor.Monitor(10))  # doctest: +SKIP
        """
        require(self.binded, "install_monitor: call bind() first")
        self._monitor = mon
        for exe in self._execs:
            mon.install(exe)

    def prepare(self, data_batch: Any, sparse_row_id_fn: Any = None) -> None:
        """Nothing to prepare for dense parameters (`sparse_row_id_fn` is for parameters
        a distributed kvstore holds as row_sparse).

        >>> mod.prepare(batch)  # doctest: +SKIP
        """
        require(self.binded, "prepare: call bind() first")
        if sparse_row_id_fn is not None:
            warnings.warn(UserWarning("Parameters are not updated in the KVStore. No need to "
                                      "call sparse_row_id_fn."), stacklevel=2)


def _with_batch(desc: DataDesc, size: int | None) -> tuple[int, ...]:
    """`desc`'s shape with `size` examples along its batch axis (as it was without one)."""
    shape = list(desc.shape)
    axis = DataDesc.get_batch_axis(desc.layout)
    if size is not None and axis >= 0:
        shape[axis] = size
    return tuple(shape)


def _as_nd(value: Any) -> Any:
    return value if isinstance(value, nd.NDArray) else nd.array(value)


def _copy_checked(src: Any, dst: Any, name: str) -> None:
    """`dst[:] = src` for same-shaped arrays, with an error naming the input otherwise."""
    shape = tuple(getattr(src, "shape", ()))
    if shape != dst.shape:
        raise ShapeError(f"{name!r}: got an array of shape {shape}, but the module is bound "
                         f"with shape {dst.shape}")
    if src is not dst:
        dst[:] = src


def _merge(per_device: list[list[Any]], axes: Sequence[int]) -> list[Any]:
    """Each entry's device arrays joined along its batch axis (the first device's alone
    where there is no batch axis or one device)."""
    merged = []
    for arrays, axis in zip(per_device, axes):
        if len(arrays) == 1 or axis < 0 or arrays[0] is None:
            merged.append(arrays[0])
        else:
            ctx = arrays[0].context
            merged.append(nd.concat(*[a.as_in_context(ctx) for a in arrays], dim=axis))
    return merged
