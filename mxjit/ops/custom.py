"""MXNet's `Custom` operator: a user's Python operator (`mx.operator.CustomOp` with its
`CustomOpProp`), registered by name in `PROPERTIES` and run as a host call.

Eagerly it runs the user's `forward` now on NDArrays and, while recording, is recorded as one
host call (`tape.record_host`), whose backward pass runs the user's `backward`. Traced (under
`jit`, a hybridized block, a bound Symbol) it is a `host_call` node (`trace/host.py`) whose
result shapes and dtypes come from the property's `infer_shape` and `infer_type`, so the
program around it is planned and fused as usual and the step calls the user's code.
Keyword arguments other than `op_type` reach the property's constructor as strings, as in
MXNet.

    >>> y = mx.nd.Custom(x, op_type='sqr')  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import MXNetError, ParamError, ShapeError
from ..core import Array, default_array_class, tape
from ..core.dispatch import lift
from ..core.operators import input_shape_rule, register_operator
from ..trace import AbstractValue, apply
from ..trace.host import check_results

#: MXNet's dtype codes, which `create_operator` receives (as MXNet's mshadow numbers them).
_TYPE_CODES = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5,
               "int64": 6, "bool": 7}
#: The property classes of the registered custom operators, by `op_type`.
PROPERTIES: dict[str, type] = {}
_props: dict[tuple, Any] = {}


def property_of(op_type: str, kwargs: dict[str, Any]) -> Any:
    """The property object of `op_type` made with `kwargs` (as strings), kept per arguments.

    >>> property_of('sqr', {}).list_outputs()  # doctest: +SKIP
    ['output']
    """
    cls = PROPERTIES.get(op_type)
    if cls is None:
        raise ParamError(f"Custom: no operator registered as op_type={op_type!r}; register "
                         f"its CustomOpProp with @mx.operator.register({op_type!r}) "
                         f"(registered: {sorted(PROPERTIES)})")
    texts = {k: str(v) for k, v in kwargs.items()}
    key = (op_type, cls, tuple(sorted(texts.items())))
    prop = _props.get(key)
    if prop is None:
        try:
            prop = _props[key] = cls(**texts)
        except TypeError as e:  # (the keywords do not fit the user's constructor)
            raise ParamError(f"Custom operator {op_type!r}: {cls.__name__} does not take the "
                             f"keywords {sorted(texts)}: {e}") from e
    return prop


def _signature(params: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    extra = {k: v for k, v in params.items() if k != "op_type"}
    prop = property_of(params["op_type"], extra)
    return (list(prop.list_arguments()), list(prop.list_auxiliary_states()),
            list(prop.list_outputs()))


def _inferred(op_type: str, prop: Any, args: Sequence[Any]
              ) -> tuple[list[AbstractValue], list[tuple[int, ...]]]:
    """The outputs' shapes and dtypes, and the aux states' shapes, from the property."""
    shapes = prop.infer_shape([list(a.shape) for a in args])
    if len(shapes) not in (2, 3):
        raise ShapeError(f"Custom operator {op_type!r}: infer_shape must return (in_shape, "
                         f"out_shape[, aux_shape]), got {len(shapes)} lists")
    out_shapes = [tuple(int(d) for d in s) for s in shapes[1]]
    aux_shapes = [tuple(int(d) for d in s) for s in (shapes[2] if len(shapes) == 3 else ())]
    types = prop.infer_type([a._dtype.type for a in args])
    out_types = [np.dtype(t) for t in types[1]]
    names = prop.list_outputs()
    if not len(out_shapes) == len(out_types) == len(names):
        raise ShapeError(f"Custom operator {op_type!r}: infer_shape/infer_type give "
                         f"{len(out_shapes)} shapes and {len(out_types)} types for the "
                         f"outputs {names}")
    return [AbstractValue(s, t) for s, t in zip(out_shapes, out_types)], aux_shapes


class CustomCall:
    """One application of a user's operator as a host function (`trace/host.py`): its
    results are the outputs, then the auxiliary states as forward left them."""

    def __init__(self, op_type: str, prop: Any, op: Any, n_args: int,
                 avals: list[AbstractValue], is_train: bool, array_class: Any):
        self.name = f"Custom operator {op_type!r}"
        self.op, self.prop, self.n_args, self.n_out = op, prop, n_args, len(avals)
        self.is_train, self.array_class = is_train, array_class
        aux_names = list(prop.list_auxiliary_states())
        self.input_names = list(prop.list_arguments()) + aux_names
        self.output_names = list(prop.list_outputs()) + [f"aux {n}" for n in aux_names]
        self.avals = avals
        self.aux: list[Any] | None = None  # (what forward left in the aux states)

    def _run(self, what: str, call: Callable[[], Any], labels: dict[int, str]) -> None:
        self.op._blob_labels = (self.name, labels)  # (CustomOp.assign names what it writes)
        try:
            with tape.pause(train_mode=self.is_train):
                call()
        except MXNetError as e:
            if self.name in str(e):
                raise
            raise MXNetError(f"{self.name}: {what} failed: {e}") from e
        except Exception as e:  # (the user's code: any error, named and chained)
            raise MXNetError(f"{self.name}: {what} raised {type(e).__name__}: {e}") from e
        finally:
            self.op._blob_labels = None

    def forward(self, operands: Sequence[np.ndarray]) -> list[np.ndarray]:
        wrap = self.array_class._wrap
        in_data = [wrap(a) for a in operands[:self.n_args]]
        out_data = [wrap(np.zeros(a.shape, a.dtype)) for a in self.avals[:self.n_out]]
        aux = [wrap(np.array(a, copy=True)) for a in operands[self.n_args:]]
        labels = {id(o): f"output {n!r}" for o, n in zip(out_data, self.output_names)}
        self._run("forward", lambda: self.op.forward(
            self.is_train, ["write"] * len(out_data), in_data, out_data, aux), labels)
        self.aux = aux
        return [o._buffer() for o in out_data + aux]

    def backward(self, operands: Sequence[np.ndarray], results: Sequence[np.ndarray],
                 cotangents: Sequence[np.ndarray], wanted: Sequence[int]) -> list[Any]:
        wrap = self.array_class._wrap
        args = operands[:self.n_args]
        in_grad = [wrap(np.zeros(a.shape, a.dtype)) for a in args]
        aux = self.aux if self.aux is not None else [
            wrap(np.array(a, copy=True)) for a in operands[self.n_args:]]
        req = ["write" if k in wanted else "null" for k in range(self.n_args)]
        labels = {id(g): f"in_grad of {n!r}" for g, n in zip(in_grad, self.input_names)}
        self._run("backward", lambda: self.op.backward(
            req, [wrap(c) for c in cotangents[:self.n_out]], [wrap(a) for a in args],
            [wrap(r) for r in results[:self.n_out]], in_grad, aux), labels)
        grads: list[Any] = [g._buffer() for g in in_grad]
        return grads + [np.zeros_like(a) for a in operands[self.n_args:]]


@input_shape_rule("Custom")
def _input_shapes(shapes: dict[str, tuple[int, ...]], op_type: str, **kwargs: Any
                  ) -> dict[str, tuple[int, ...]]:
    """The shapes the property's `infer_shape` gives the inputs not known yet (MXNet passes
    an unknown shape as an empty list)."""
    prop = property_of(op_type, kwargs)
    arguments, aux = list(prop.list_arguments()), list(prop.list_auxiliary_states())
    got = prop.infer_shape([list(shapes.get(n, ())) for n in arguments])
    found = dict(zip(arguments, got[0]))
    found.update(zip(aux, got[2] if len(got) == 3 else ()))
    return {n: tuple(int(d) for d in s) for n, s in found.items() if n not in shapes and s}


@register_operator("Custom", inputs=("data",), signature=_signature)
def custom(*data: Array, op_type: str, **kwargs: Any) -> Any:
    """Apply the custom operator registered as `op_type` (`mx.operator.register`) to its
    arguments and auxiliary states, in the order its property lists them (or by those names
    as keywords); the other keywords go to its property as strings. One output is returned
    as an array, several as a list.

    >>> y = mx.nd.Custom(x, op_type='sqr')  # doctest: +SKIP
    """
    named = {k: v for k, v in kwargs.items() if isinstance(v, Array)}
    extra = {k: str(v) for k, v in kwargs.items() if k not in named}
    prop = property_of(op_type, extra)
    arg_names, aux_names = list(prop.list_arguments()), list(prop.list_auxiliary_states())
    names = arg_names + aux_names
    inputs = list(data) + [named.pop(n) for n in names[len(data):] if n in named]
    if named or len(inputs) != len(names):
        raise ParamError(f"Custom operator {op_type!r} takes the inputs {names} "
                         f"(arguments, then auxiliary states), got {len(data)} by position"
                         + (f" and {sorted(named)} by name" if named else ""))
    args = inputs[:len(arg_names)]
    avals, aux_shapes = _inferred(op_type, prop, args)
    for name, a, shape in zip(aux_names, inputs[len(arg_names):], aux_shapes):
        if tuple(a.shape) != shape:
            raise ShapeError(f"Custom operator {op_type!r}: auxiliary state {name!r} has "
                             f"shape {a.shape}, infer_shape says {shape}")
    cls = inputs[0]._result_class if inputs else default_array_class()
    ctx = inputs[0].context if inputs else None
    op = prop.create_operator(ctx, [list(a.shape) for a in args],
                              [_TYPE_CODES.get(a._dtype.name, -1) for a in args])
    call = CustomCall(op_type, prop, op, len(args), avals, tape.is_training(), cls)
    aux = inputs[len(args):]
    results = tuple(avals) + tuple(AbstractValue(tuple(a.shape), a._dtype) for a in aux)
    if any(a._node is not None for a in inputs):
        nodes = [a._node if a._node is not None else lift(a) for a in inputs]
        got = [cls._traced(apply("host_call", *nodes, fn=call, index=k, avals=results))
               for k in range(len(results))]
        for a, new in zip(aux, got[len(avals):]):  # (rebound: the trace returns its value)
            if a._node is not None:
                a._node = new._node
    else:
        got = [cls._wrap(g) for g in check_results(
            call, "forward", call.forward([a._buffer() for a in inputs]), results,
            call.output_names)]
        for a, new in zip(aux, got[len(avals):]):  # (written once all of forward worked)
            tape.overwriting(a._buffer())
            a._store_values(new._buffer(), add=False)  # (a sparse aux keeps its storage)
        if tape.is_recording():
            tape.record_host(got, call, inputs, (op_type, type(op), call.is_train,
                                                 tuple(sorted(extra.items()))))
    outs = got[:len(avals)]
    return outs[0] if len(outs) == 1 else outs
