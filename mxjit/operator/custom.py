"""MXNet's Python custom operators: `CustomOp` (forward, backward, assign), `CustomOpProp`
(names, shape and type inference, backward dependencies, operator creation) and `register`,
which makes the property class the `op_type` of `mx.nd.Custom` and `mx.sym.Custom`
(`ops/custom.py` runs them).

    >>> @mx.operator.register('sqr')  # doctest: +SKIP
    ... class SqrProp(mx.operator.CustomOp): ...
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from ..base import ParamError, ShapeError
from ..core import Array
from ..ops.custom import PROPERTIES, property_of
from ..symbol.graph import OUTPUT_DTYPE_RULES

P = TypeVar("P", bound=type)

#: The requests a CustomOp's `req` lists hold, as MXNet names them.
REQUESTS = ("null", "write", "inplace", "add")


class CustomOp:
    """Base class of operators written in Python: override `forward` and `backward`.

    >>> class Sqr(mx.operator.CustomOp):  # doctest: +SKIP
    ...     def forward(self, is_train, req, in_data, out_data, aux):
    ...         self.assign(out_data[0], req[0], in_data[0] * in_data[0])
    """

    #: (operator name, labels of the arrays being written by id) while forward or backward
    #: runs: what `assign`'s errors name
    _blob_labels: tuple[str, dict[int, str]] | None = None

    def forward(self, is_train: bool, req: list[str], in_data: list[Any],
                out_data: list[Any], aux: list[Any]) -> None:
        """Compute `out_data` from `in_data` (write each with `assign(out, req[k], value)`).

        >>> op.forward(True, ['write'], [x], [y], [])  # doctest: +SKIP
        """

    def backward(self, req: list[str], out_grad: list[Any], in_data: list[Any],
                 out_data: list[Any], in_grad: list[Any], aux: list[Any]) -> None:
        """Compute `in_grad` (write each with `assign(g, req[k], value)`; 'null': not needed).

        >>> op.backward(['write'], [dy], [x], [y], [dx], [])  # doctest: +SKIP
        """

    def assign(self, dst: Any, req: str, src: Any) -> None:
        """Write `src` into `dst` as `req` asks: 'null' nothing, 'write' and 'inplace'
        replace, 'add' adds. A `src` whose shape does not fit `dst` is a `ShapeError` naming
        the operator and the output or gradient, and nothing is written.

        >>> self.assign(out_data[0], req[0], in_data[0] * 2)  # doctest: +SKIP
        """
        if req not in REQUESTS:
            raise ParamError(f"assign: req must be one of {REQUESTS}, got {req!r}")
        if req == "null":
            return
        shape = tuple(src.shape) if isinstance(src, Array) else np.shape(src)
        try:
            fits = np.broadcast_shapes(shape, tuple(dst.shape)) == tuple(dst.shape)
        except ValueError:  # (shapes that do not broadcast at all)
            fits = False
        if not fits:
            name, labels = self._blob_labels or (type(self).__name__, {})
            what = labels.get(id(dst), "an array")
            raise ShapeError(f"{name}: {'forward' if 'output' in what else 'backward'} "
                             f"wrote {what} with shape {shape}, but its shape is "
                             f"{tuple(dst.shape)} (from infer_shape)")
        if req == "add":
            dst[:] += src
        else:
            dst[:] = src


class CustomOpProp:
    """Base class of a custom operator's properties: its inputs, outputs and auxiliary
    states by name, shape and type inference, backward dependencies, and the `CustomOp`
    it creates. Constructor arguments arrive as strings (the keywords of `mx.nd.Custom`).

    >>> class SqrProp(mx.operator.CustomOpProp):  # doctest: +SKIP
    ...     def create_operator(self, ctx, shapes, dtypes): return Sqr()
    """

    def __init__(self, need_top_grad: bool = True):
        self.need_top_grad_ = need_top_grad

    def infer_shape(self, in_shape: list[list[int]]) -> tuple:
        """(input shapes, output shapes[, aux shapes]): by default every output has the
        first input's shape.

        >>> prop.infer_shape([[2, 3]])  # doctest: +SKIP
        ([[2, 3]], ([2, 3],), ())
        """
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type: list[Any]) -> tuple:
        """(input types, output types, aux types): by default the first input's.

        >>> prop.infer_type([np.float32])  # doctest: +SKIP
        """
        return (in_type, [in_type[0]] * len(self.list_outputs()),
                [in_type[0]] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype: list[str]) -> tuple:
        """Storage types: dense ('default') everywhere.

        >>> prop.infer_storage_type(['default'])  # doctest: +SKIP
        """
        return (in_stype, ["default"] * len(self.list_outputs()),
                ["default"] * len(self.list_auxiliary_states()))

    def infer_storage_type_backward(self, ograd_stype: list[str], in_stype: list[str],
                                    out_stype: list[str], igrad_stype: list[str],
                                    aux_stype: list[str]) -> tuple:
        """Storage types of the backward pass: dense ('default') everywhere.

        >>> prop.infer_storage_type_backward(['default'], ['default'], ['default'],
        ...                                  ['default'], [])  # doctest: +SKIP
        """
        return tuple(["default"] * len(s) for s in (ograd_stype, in_stype, out_stype,
                                                    igrad_stype, aux_stype))

    def list_outputs(self) -> list[str]:
        """The outputs' names.

        >>> prop.list_outputs()  # doctest: +SKIP
        ['output']
        """
        return ["output"]

    def list_arguments(self) -> list[str]:
        """The arguments' names.

        >>> prop.list_arguments()  # doctest: +SKIP
        ['data']
        """
        return ["data"]

    def list_auxiliary_states(self) -> list[str]:
        """The auxiliary states' names.

        >>> prop.list_auxiliary_states()  # doctest: +SKIP
        []
        """
        return []

    def declare_backward_dependency(self, out_grad: list[int], in_data: list[int],
                                    out_data: list[int]) -> list[int]:
        """The ids of what backward reads: the output gradients (with `need_top_grad`),
        the inputs and the outputs.

        >>> prop.declare_backward_dependency([0], [1], [2])  # doctest: +SKIP
        [0, 1, 2]
        """
        deps = list(out_grad) if self.need_top_grad_ else []
        return deps + list(in_data) + list(out_data)

    def create_operator(self, ctx: Any, in_shapes: list[Any], in_dtypes: list[Any]) -> CustomOp:
        """The `CustomOp` that computes this operator (override it).

        >>> prop.create_operator(mx.cpu(), [(2, 3)], [np.float32])  # doctest: +SKIP
        """
        return CustomOp()


def _custom_dtypes(params: dict[str, Any], in_dtypes: list[np.dtype]) -> list[np.dtype]:
    """The output dtypes of a `Custom` node of a Symbol: its property's `infer_type`."""
    prop = property_of(params["op_type"], {k: v for k, v in params.items() if k != "op_type"})
    n_args = len(prop.list_arguments())
    return [np.dtype(t) for t in prop.infer_type([d.type for d in in_dtypes[:n_args]])[1]]


OUTPUT_DTYPE_RULES["Custom"] = _custom_dtypes


def register(reg_name: str) -> Callable[[P], P]:
    """Register a `CustomOpProp` subclass as the custom operator `reg_name` (its `op_type`).

    >>> @mx.operator.register('sqr')  # doctest: +SKIP
    ... class SqrProp(mx.operator.CustomOpProp): ...
    """
    def do_register(prop_cls: P) -> P:
        if not (isinstance(prop_cls, type) and issubclass(prop_cls, CustomOpProp)):
            raise ParamError(f"register({reg_name!r}): expected a CustomOpProp subclass, got "
                             f"{prop_cls!r}")
        PROPERTIES[reg_name] = prop_cls
        return prop_cls

    return do_register
