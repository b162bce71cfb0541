"""`Executor`: a symbol bound to arrays, run as one compiled program.

The bound graph is one `jit` function of the argument and auxiliary arrays, which calls
each node's operator on traced values (`evaluate.py`). `forward(is_train=True)` runs it
under `autograd.record()` with the arguments that have gradient buffers marked as
variables, so `backward()` is the tape's one compiled backward program, writing (or
adding, per `grad_req`) into those buffers. Auxiliary states that the forward pass changes
(BatchNorm's moving statistics) come back as extra outputs and are written into the
auxiliary arrays when the backward pass runs, as MXNet does.

Sparse arrays (CSR, row_sparse) are bound as MXNet binds them, but the program is dense:
a sparse argument is read through a dense copy refreshed before each pass, an output that
MXNet types as sparse (`storage.py`: `cast_storage(x, 'csr')`, `retain`, ...) is handed
back as a sparse array, and a gradient array keeps its storage type (`simple_bind` gives
each the type MXNet would, from `stype_dict` and the variables' `stype`). The DGL graph
operators, whose values a dense copy of a CSR graph cannot give, run before the program
on the bound arrays themselves (`eager_stage.py`); the program reads their results as
extra inputs, and outputs that are their results are handed back as they gave them.

    >>> exe = net.simple_bind(mx.cpu(), data=(4, 3))  # doctest: +SKIP
    >>> exe.forward(is_train=True, data=x); exe.backward()  # doctest: +SKIP
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import autograd, nd
from ..base import ArgumentError, GradientError, MXNetError, ParamError, ShapeError
from ..context import Context
from ..core import jit, tape
from ..nd.serialization import STORAGE_TYPE_CODES
from ..nd.sparse_storage import BaseSparseNDArray, cast_storage, store_into
from .eager_stage import EagerStage
from .evaluate import Partial, evaluate
from .graph import Node, topological
from .storage import DEFAULT, gradient_storage, output_storage

_REQS = ("write", "add", "null")


class Executor:
    """A bound symbol (see the module docstring); made by `Symbol.bind`/`simple_bind`."""

    def __init__(self, symbol: Any, ctx: Context, arg_arrays: list[Any],
                 grad_arrays: list[Any], grad_reqs: list[str], aux_arrays: list[Any]):
        self._symbol = symbol
        self._ctx = ctx
        self._arg_nodes, self._aux_nodes = symbol._variables()
        self.arg_arrays = arg_arrays
        self.grad_arrays = grad_arrays
        self.aux_arrays = aux_arrays
        self._grad_reqs = grad_reqs
        names = symbol.list_arguments()
        self.arg_dict = dict(zip(names, arg_arrays))
        self.grad_dict = {n: g for n, g in zip(names, grad_arrays) if g is not None}
        self.aux_dict = dict(zip(symbol.list_auxiliary_states(), aux_arrays))
        #: what the program reads: each sparse array's dense copy, the others themselves
        self._dense_args = [_dense_copy(a) for a in arg_arrays]
        self._dense_aux = [_dense_copy(a) for a in aux_arrays]
        self._out_stypes = output_storage(symbol._outputs, {
            id(n): a.stype for n, a in zip(self._arg_nodes + self._aux_nodes,
                                           arg_arrays + aux_arrays) if a is not None})
        self._outputs: list[Any] | None = None  # (None: no forward pass yet)
        #: the last forward pass's outputs as the program gave them (dense, recorded)
        self._heads: list[Any] = []
        #: whether any argument has a gradient array to write: forward records, and
        #: backward computes, only then
        self._differentiable = any(r != "null" and g is not None
                                   for r, g in zip(grad_reqs, grad_arrays))
        self._stage = EagerStage(symbol._outputs)
        if self._differentiable and self._stage.nodes:
            _refuse_gradients(self._stage.nodes[0], names, grad_reqs, grad_arrays)
        #: the outputs the program computes (the others are the eager stage's results)
        self._program_heads = [h for h in symbol._outputs if not self._stage.computes(h)]
        #: the eager stage's results of the last forward pass, by node id
        self._computed: dict[int, list[Any]] = {}
        self._monitor: Callable[[str, Any], None] | None = None
        self._monitor_all = False
        self._monitor_active: Callable[[], bool] = lambda: True
        self._fn = jit(self._run)
        self._internals_fn = jit(self._run_internals)
        self._fn.__name__ = f"executor of {symbol!r}"
        for a, g, r in zip(self._dense_args, grad_arrays, grad_reqs):
            if r != "null" and g is not None:
                autograd.mark_variables([a], [g], r)  # (a sparse g takes its own type)

    @property
    def outputs(self) -> list[Any]:
        """The outputs of the last forward pass; before any, zero arrays of their inferred
        shapes and dtypes, which MXNet's executor holds from the moment it is bound (none
        where the arguments leave them unknown)."""
        if self._outputs is None:
            self._outputs = _allocated_outputs(self._symbol, list(self.arg_dict),
                                               self.arg_arrays, self._out_stypes)
        return self._outputs

    @outputs.setter
    def outputs(self, values: list[Any]) -> None:
        self._outputs = values

    def _feeds(self, args: list[Any], aux: list[Any]) -> dict[int, Any]:
        """The arrays of the variable nodes, by node id."""
        feeds = {id(n): v for n, v in zip(self._arg_nodes, args)}
        feeds.update({id(n): v for n, v in zip(self._aux_nodes, aux)})
        return feeds

    def _run(self, args: list[Any], aux: list[Any], fed: list[Any]) -> Any:
        return evaluate_with_states(self._program_heads, self._feeds(args, aux), aux,
                                    self._stage.given(fed))

    @functools.cached_property
    def _internals(self) -> Any:
        """Every output of every node (what a monitor sees), made once when first needed."""
        return self._symbol.get_internals()

    def _run_internals(self, args: list[Any], aux: list[Any], fed: list[Any]) -> Any:
        heads = [e for e in self._internals._outputs if not self._stage.computes(e)]
        return evaluate(heads, self._feeds(args, aux), self._stage.given(fed))

    def _report_internals(self, is_train: bool) -> None:
        """Give the monitor every operator's outputs (`<node>_output`, as MXNet names them)
        and, with `monitor_all`, each operator's inputs (`<node>_<input>`) and the variables:
        computed by a second program, from the arrays the forward pass just used."""
        assert self._monitor is not None
        internals = self._internals
        with autograd.pause(train_mode=is_train):
            values = self._internals_fn(self._dense_args, self._dense_aux,
                                        self._stage.program_inputs(self._computed))
        values = self._stage.merge(internals._outputs, values, self._computed)
        by_entry = {(id(n), k): v for (n, k), v in zip(internals._outputs, values)}
        names = dict(zip([(id(n), k) for n, k in internals._outputs],
                         internals.list_outputs()))
        reported: set[int] = set()
        for node in topological(self._symbol._outputs):
            if node.op is None:
                continue
            if self._monitor_all:
                for (src, k), input_name in zip(node.inputs, _input_labels(node)):
                    if src.op is None and id(src) not in reported:
                        reported.add(id(src))
                        self._monitor(src.name, by_entry[(id(src), k)])
                    self._monitor(f"{node.name}_{input_name}", by_entry[(id(src), k)])
            for k in range(node.num_outputs()):
                if (id(node), k) in by_entry:
                    self._monitor(names[(id(node), k)], by_entry[(id(node), k)])

    @property
    def output_dict(self) -> dict[str, Any]:
        """The outputs of the last forward pass by output name."""
        return dict(zip(self._symbol.list_outputs(), self.outputs))

    def forward(self, is_train: bool = False, **kwargs: Any) -> list[Any]:
        """Copy the arrays given by name into the bound arguments, then compute the
        outputs (in training mode with `is_train`, recording for `backward`).

        >>> exe.forward(is_train=False, data=mx.nd.ones((4, 3)))  # doctest: +SKIP
        """
        for name, value in kwargs.items():
            if name not in self.arg_dict:
                raise ArgumentError(f"forward: {name!r} is not an argument of the bound "
                                    f"symbol; its arguments are {list(self.arg_dict)}")
            target = self.arg_dict[name]
            shape = tuple(getattr(value, "shape", ()))
            if shape != target.shape:
                raise ShapeError(f"forward: {name!r} was bound with shape {target.shape}, got "
                                 f"{shape}; use reshape() for new shapes")
            target[:] = value
        self._refresh_dense_args()
        self._computed = self._stage.run(self._bound()) if self._stage.nodes else {}
        fed = self._stage.program_inputs(self._computed)
        recording = is_train and self._differentiable
        if recording:
            with autograd.record(train_mode=True):
                outs, changed, new = self._fn(self._dense_args, self._dense_aux, fed)
        elif self._program_heads:
            with autograd.train_mode() if is_train else autograd.predict_mode():
                outs, changed, new = self._fn(self._dense_args, self._dense_aux, fed)
        else:  # (every output is the eager stage's: nothing for a program to compute)
            outs, changed, new = [], (), []
        self.outputs = self._written(self._stage.merge(self._symbol._outputs, list(outs),
                                                       self._computed))
        if changed:
            write_states(self._heads[0] if recording else None,
                         [self.aux_arrays[k] for k in changed], new)
        if self._monitor is not None and self._monitor_active():
            self._report_internals(is_train)
        return self.outputs

    def _bound(self) -> dict[int, Any]:
        """The bound arguments and auxiliary states themselves, by variable node id."""
        return {id(n): a for n, a in zip(self._arg_nodes + self._aux_nodes,
                                         self.arg_arrays + self.aux_arrays)}

    def _refresh_dense_args(self) -> None:
        """Copy each sparse argument's and auxiliary state's values into the dense array
        the program reads."""
        for a, dense in zip(self.arg_arrays + self.aux_arrays,
                            self._dense_args + self._dense_aux):
            if a is not dense:
                tape.overwriting(dense._buffer())
                dense._buffer()[...] = a.asnumpy()

    def _written(self, results: list[Any]) -> list[Any]:
        """The new outputs, written into the output arrays the executor already holds where
        they fit (MXNet's outputs are fixed arrays: one held from before a forward pass, or
        shared with the executor it was reshaped from, sees the new values). An array that
        shares memory with an argument or auxiliary state is not written into. Outputs of
        a sparse storage type are handed back as sparse arrays (`self._heads` keeps the
        dense ones, which backward starts from)."""
        held = self._outputs
        if not held or len(held) != len(results):
            held = [None] * len(results)
        bound = [a._buffer() for a in self._dense_args + self._dense_aux if a is not None]
        out = []
        for old, new, stype in zip(held, results, self._out_stypes):
            if stype != DEFAULT:
                out.append(_sparse_output(old, new, stype))
                continue
            if (old is None or old is new or type(old) is not type(new)
                    or old.shape != new.shape or old.dtype != new.dtype or old._data is None
                    or new._data is None or old.stype != "default" or any(
                        np.may_share_memory(old._buffer(), b) for b in bound)):
                out.append(new)
                continue
            tape.overwriting(old._buffer())
            old._buffer()[...] = new._buffer()
            old._rec = new._rec  # (backward starts from the held array)
            old._freed = getattr(new, "_freed", False)
            out.append(old)
        self._heads = [o if s == DEFAULT else r
                       for o, r, s in zip(out, results, self._out_stypes)]
        return out

    def backward(self, out_grads: Any = None, is_train: bool = True) -> None:
        """Gradients of the outputs (with head gradients `out_grads`, ones by default; loss
        outputs such as SoftmaxOutput ignore them) into the gradient arrays.

        >>> exe.backward()  # doctest: +SKIP
        """
        if not self._differentiable:
            return  # (no gradient array to write: MXNet does nothing either)
        if all(o._rec is None for o in self._heads):
            # (MXNet differentiates a forward pass made with is_train=False too, or none
            # yet: run it, recorded, still in prediction mode)
            self._refresh_dense_args()
            with autograd.record(train_mode=False):
                outs, _, _ = self._fn(self._dense_args, self._dense_aux, [])
            self.outputs = self._written(list(outs))
        grads = out_grads
        if grads is not None and not isinstance(grads, (list, tuple)):
            grads = [grads]
        if grads is not None:
            # (MXNet copies head gradients into arrays of its outputs' dtypes, and ignores
            # any beyond its outputs: MXNet's own test_prelu passes one too many; a sparse
            # one is read densely)
            grads = [_dense_head(g, o.dtype) for g, o in zip(grads, self._heads)]
        autograd.backward(self._heads, grads, retain_graph=False, train_mode=is_train)

    def set_monitor_callback(self, callback: Callable[[str, Any], None],
                             monitor_all: bool = False) -> None:
        """Call `callback(name, array)` on every operator's outputs after each forward pass
        (with `monitor_all`, on their inputs too), as MXNet does. The bound program has no
        per-operator arrays, so a second program computes them; for a `Monitor`'s callback
        it runs only in the batches the monitor watches.

        >>> exe.set_monitor_callback(lambda name, arr: print(name, arr.shape))  # doctest: +SKIP
        """
        self._monitor = callback
        self._monitor_all = bool(monitor_all)
        watcher: Any = getattr(callback, "__self__", None)
        self._monitor_active = ((lambda: bool(watcher.activated))
                                if hasattr(watcher, "activated") else (lambda: True))

    def copy_params_from(self, arg_params: dict[str, Any], aux_params: dict[str, Any] | None
                         = None, allow_extra_params: bool = False) -> None:
        """Copy arrays into the bound arguments and auxiliary states by name.

        >>> exe.copy_params_from(arg_params, aux_params)  # doctest: +SKIP
        """
        for group, params, what in ((self.arg_dict, arg_params, "arguments"),
                                    (self.aux_dict, aux_params or {}, "auxiliary states")):
            for name, value in params.items():
                if name in group:
                    group[name][:] = value.astype(group[name].dtype)
                elif not allow_extra_params:
                    raise ParamError(f"Find name {name!r} that is not in the {what}")

    def reshape(self, partial_shaping: bool = False, allow_up_sizing: bool = False,
                **kwargs: Any) -> Executor:
        """An executor for new input shapes. As MXNet's, it shares the arrays whose shapes
        stay, and an array that shrinks is a view of the first elements of the old one; one
        that grows is new, and needs `allow_up_sizing`.

        >>> exe2 = exe.reshape(data=(8, 3))  # doctest: +SKIP
        """
        shapes = {n: a.shape for n, a in self.arg_dict.items()}
        shapes.update({k: tuple(v) for k, v in kwargs.items()})
        arg_shapes, out_shapes, aux_shapes = self._symbol.infer_shape(
            **{k: shapes[k] for k in kwargs})
        if arg_shapes is None:
            raise ShapeError(f"reshape: cannot infer every shape from {kwargs}")
        names = self._symbol.list_arguments()
        args, grads = [], []
        for name, shape, a, g in zip(names, arg_shapes, self.arg_arrays, self.grad_arrays):
            if tuple(shape) == a.shape:
                args.append(a)
                grads.append(g)
                continue
            if name not in kwargs and not partial_shaping:
                raise ShapeError(f"reshape: argument {name!r} would change shape from "
                                 f"{a.shape} to {tuple(shape)}; set partial_shaping=True")
            args.append(self._resized(name, a, tuple(shape), allow_up_sizing))
            grads.append(None if g is None else
                         self._resized(name, g, tuple(shape), allow_up_sizing))
        aux = [self._resized(n, a, tuple(s), allow_up_sizing) for n, s, a in
               zip(self._symbol.list_auxiliary_states(), aux_shapes, self.aux_arrays)]
        reshaped = Executor(self._symbol, self._ctx, args, grads, list(self._grad_reqs), aux)
        if out_shapes and len(out_shapes) == len(self.outputs) and all(
                int(np.prod(s)) <= o.size for s, o in zip(out_shapes, self.outputs)):
            # (outputs that shrink are views of this executor's, as MXNet's share memory)
            reshaped.outputs = [self._resized(f"output {k}", o, tuple(s), False)
                                for k, (s, o) in enumerate(zip(out_shapes, self.outputs))]
        return reshaped

    def _resized(self, name: str, array: Any, shape: tuple[int, ...], up_sizing: bool) -> Any:
        """`array` for a new `shape`: itself, a view of its first elements, or a new one."""
        if shape == array.shape:
            return array
        size = int(np.prod(shape))
        if size <= array.size:
            return array.reshape(-1)[:size].reshape(shape)
        if not up_sizing:
            raise ShapeError(f"reshape: {name!r} would grow from {array.shape} to {shape}; "
                             f"set allow_up_sizing=True")
        return nd.zeros(shape, ctx=self._ctx, dtype=array.dtype)

    def debug_str(self) -> str:
        """The bound graph's listing (`Symbol.debug_str`)."""
        return str(self._symbol.debug_str())

    # ---- construction ----------------------------------------------------------------

    @staticmethod
    def bind(symbol: Any, ctx: Context, args: Any, args_grad: Any, grad_req: Any,
             aux_states: Any) -> Executor:
        """`Symbol.bind`: arrays by list (in `list_arguments()` order) or by name."""
        names = symbol.list_arguments()
        aux_names = symbol.list_auxiliary_states()
        arg_arrays = _by_name(args, names, "args", required=True)
        grads = _by_name(args_grad, names, "args_grad", required=False)
        reqs = _reqs(grad_req, names)
        reqs = [r if g is not None else "null" for r, g in zip(reqs, grads)]
        aux = _by_name(aux_states, aux_names, "aux_states", required=True)
        return Executor(symbol, ctx, arg_arrays, grads, reqs, aux)

    @staticmethod
    def simple_bind(symbol: Any, ctx: Context, grad_req: Any, type_dict: dict[str, Any],
                    shapes: dict[str, Any], shared_exec: Executor | None,
                    stype_dict: dict[str, str] | None = None) -> Executor:
        """`Symbol.simple_bind`: zero-filled arrays of the inferred shapes and dtypes, each
        argument of the storage type `stype_dict` or its variable's `stype` gives, each
        gradient of the type MXNet's backward pass would give it."""
        arg_shapes, _, aux_shapes = symbol.infer_shape(**shapes)
        if arg_shapes is None:
            values = symbol._infer(shapes, {})[0]
            unknown = [n for n, v in zip(symbol.list_arguments(), values)
                       if v is None or isinstance(v, Partial)]
            raise ShapeError(f"simple_bind: the shapes given ({shapes}) do not determine the "
                             f"shapes of {unknown}")
        arg_types, _, aux_types = symbol.infer_type(**type_dict)
        names = symbol.list_arguments()
        if arg_types is None:
            arg_types = [type_dict.get(n, "float32") for n in names]
            aux_types = ["float32"] * len(aux_shapes)
        reqs = _reqs(grad_req, names)
        arg_nodes = symbol._variables()[0]
        stypes = _declared_stypes(arg_nodes, stype_dict or {})
        grad_stypes = gradient_storage(symbol._outputs, {
            id(n): st for n, st in zip(arg_nodes, stypes)})
        shared = shared_exec.arg_dict if shared_exec is not None else {}
        shared_grads = shared_exec.grad_dict if shared_exec is not None else {}
        args, grads = [], []
        for node, shape, dtype, req, stype in zip(arg_nodes, arg_shapes, arg_types, reqs,
                                                  stypes):
            name = node.name
            if name in shared and shared[name].shape == tuple(shape):
                args.append(shared[name])
                grads.append(shared_grads.get(name) if req != "null" else None)
                continue
            args.append(nd.zeros(shape, ctx=ctx, dtype=dtype, stype=stype))
            grads.append(nd.zeros(shape, ctx=ctx, dtype=dtype, stype=grad_stypes[id(node)])
                         if req != "null" else None)
        aux = [nd.zeros(s, ctx=ctx, dtype=t) for s, t in zip(aux_shapes, aux_types)]
        return Executor(symbol, ctx, args, grads, reqs, aux)


def _refuse_gradients(node: Node, names: list[str], reqs: list[str], grads: list[Any]
                      ) -> None:
    """MXNet builds no backward pass through a DGL graph operator, whatever reads it."""
    assert node.op is not None
    wanted = [n for n, r, g in zip(names, reqs, grads) if r != "null" and g is not None]
    raise GradientError(f"Operator {node.op.name} ({node.name!r}) is non-differentiable, and "
                        f"gradients were asked for {wanted}: bind with grad_req='null' (as "
                        f"MXNet, which refuses any backward pass of a graph holding it)")


def _dense_copy(array: Any) -> Any:
    """`array` itself if dense; a dense copy of a sparse one (which a program can read)."""
    if isinstance(array, BaseSparseNDArray):
        return cast_storage(array, DEFAULT)
    return array


def _sparse_output(held: Any, value: Any, stype: str) -> Any:
    """The dense output `value` in storage type `stype`: written into `held` when it is a
    sparse array of that type and value's shape and dtype (MXNet's fixed outputs), else
    a new array. It carries value's autograd record, so a backward pass can start from
    it as from the dense value."""
    fits = (isinstance(held, BaseSparseNDArray) and held.stype == stype
            and held.shape == value.shape and held.dtype == value.dtype)
    result: Any = store_into(value, held) if fits else cast_storage(value, stype)
    result._rec = value._rec
    return result


def _dense_head(grad: Any, dtype: Any) -> Any:
    """A head gradient as the dense array of the output's dtype the program takes."""
    dense = cast_storage(grad, DEFAULT) if isinstance(grad, BaseSparseNDArray) else grad
    if isinstance(dense, nd.NDArray) and dense.dtype != dtype:
        return dense.astype(dtype)
    return dense


_STYPE_OF_CODE = {str(code): name for name, code in STORAGE_TYPE_CODES.items() if code >= 0}


def _declared_stypes(nodes: list[Node], stype_dict: dict[str, str]) -> list[str]:
    """Each argument's storage type: `stype_dict`'s, else its variable's `stype` (the
    `__storage_type__` attribute), else dense."""
    found = []
    for node in nodes:
        stype = stype_dict.get(node.name) or _STYPE_OF_CODE.get(
            node.attrs.get("__storage_type__", ""), DEFAULT)
        if stype not in _STYPE_OF_CODE.values():
            raise ParamError(f"simple_bind: unknown storage type {stype!r} for {node.name!r}; "
                             "use 'default', 'csr' or 'row_sparse'")
        found.append(stype)
    return found


def evaluate_with_states(heads: Sequence[tuple[Node, int]], feeds: dict[int, Any],
                         states: Sequence[Any], computed: dict[int, list[Any]] | None = None
                         ) -> tuple[list[Any], tuple[int, ...], list[Any]]:
    """`evaluate`, and which of `states` (traced auxiliary arrays among the feeds) the graph
    rebinds, as BatchNorm rebinds its moving statistics: (the outputs, the indices of the
    changed states, their new values)."""
    before = [v._node for v in states]
    outs = evaluate(heads, feeds, computed)
    changed = tuple(k for k, (v, n) in enumerate(zip(states, before)) if v._node is not n)
    return outs, changed, [states[k] for k in changed]


def write_states(head: Any, targets: Sequence[Any], values: Sequence[Any]) -> None:
    """Write new auxiliary states into `targets`: when the backward pass runs if `head` is a
    recorded output (its recorded graph reads the old values until then), else now."""
    if head is not None and head._rec is not None:
        tape.on_backward(head, lambda: write_values(targets, values))
    else:
        write_values(targets, values)


def write_values(targets: Sequence[Any], values: Sequence[Any]) -> None:
    """Write each value into its target's memory (auxiliary states after a pass; a sparse
    one takes the values in its own storage type)."""
    for t, v in zip(targets, values):
        if isinstance(t, BaseSparseNDArray):
            store_into(v, t)
        else:
            t._buffer()[...] = v._buffer()


def _by_name(given: Any, names: list[str], what: str, required: bool) -> list[Any]:
    if given is None:
        if required and names:
            raise MXNetError(f"bind: {what} must give {names}")
        return [None] * len(names)
    if isinstance(given, dict):
        missing = [n for n in names if n not in given]
        if required and missing:
            raise MXNetError(f"bind: {what} has no array for {missing}")
        return [given.get(n) for n in names]  # (others are ignored, as MXNet ignores them)
    given = list(given)
    if len(given) != len(names):
        raise ArgumentError(f"bind: {what} has {len(given)} arrays for the {len(names)} "
                            f"names {names}")
    return given


def _reqs(grad_req: Any, names: list[str]) -> list[str]:
    if isinstance(grad_req, str):
        reqs = [grad_req] * len(names)
    elif isinstance(grad_req, dict):
        reqs = [grad_req.get(n, "null") for n in names]
    else:
        reqs = list(grad_req)
        if len(reqs) != len(names):
            raise ArgumentError(f"bind: grad_req has {len(reqs)} entries for {len(names)} "
                                f"arguments")
    for r in reqs:
        if r not in _REQS:
            raise ParamError(f"grad_req must be 'write', 'add' or 'null', got {r!r}")
    return reqs


def _input_labels(node: Node) -> list[str]:
    """The names of `node`'s inputs in monitor reports: its operator's input names, or
    `input0`, `input1`, ... for a variadic operator."""
    assert node.op is not None
    if node.op.variadic:
        return [f"input{k}" for k in range(len(node.inputs))]
    return node.input_names()


def _allocated_outputs(symbol: Any, names: list[str], arg_arrays: list[Any],
                       stypes: list[str]) -> list[Any]:
    """Zero arrays of the outputs' inferred shapes, dtypes and storage types (none where
    the arguments leave them unknown)."""
    try:
        _, shapes, _ = symbol.infer_shape(**{n: a.shape for n, a in zip(names, arg_arrays)})
        _, dtypes, _ = symbol.infer_type(**{n: a.dtype for n, a in zip(names, arg_arrays)})
    except MXNetError:
        return []
    if shapes is None or dtypes is None or any(s is None for s in shapes):
        return []
    return [nd.zeros(s, dtype=d, stype=st) for s, d, st in zip(shapes, dtypes, stypes)]

