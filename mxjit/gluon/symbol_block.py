"""`SymbolBlock`: a symbol graph as a Gluon block, e.g. a model MXNet or `export` wrote.

Its parameters are the graph's arguments that are not inputs and its auxiliary states
(grad_req 'null'), named as in the graph. Called on arrays it evaluates the graph node by
node with the parameters' data (`symbol.evaluate`), so `hybridize()` compiles it into one
program like any block; called on symbols it is the graph composed with them.

    >>> net = mx.gluon.SymbolBlock.imports('cnn-symbol.json', ['data'],
    ...                                    'cnn-0000.params')  # doctest: +SKIP
    >>> y = net(mx.nd.ones((2, 3, 16, 16)))  # doctest: +SKIP
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import nd, symbol
from ..base import ArgumentError, ParamError
from ..context import Context
from ..core.array import Array
from ..symbol import Symbol
from ..symbol.evaluate import DTYPE_CODES, evaluate
from ..symbol.graph import topological
from .block import HybridBlock, _flat, _has_symbols
from .hybrid import HybridProgram
from .parameter import ParameterDict, mx_real_t


def _output_format(outputs: Any) -> Any:
    """How to hand the graph's outputs back: per symbol its output count, in the lists
    the outputs were given in."""
    if isinstance(outputs, (list, tuple)):
        return [_output_format(o) for o in outputs]
    return len(outputs)


def _regroup_outputs(fmt: Any, values: Iterator[Any]) -> Any:
    """The outputs in the shape of `fmt`: a symbol of several outputs gives a list."""
    if isinstance(fmt, list):
        return [_regroup_outputs(f, values) for f in fmt]
    return next(values) if fmt == 1 else [next(values) for _ in range(fmt)]


class SymbolBlock(HybridBlock):
    """A block that runs the graph `outputs` (a Symbol or a list of them) on the variables
    `inputs`; `params` (a ParameterDict, e.g. another block's `collect_params()`) provides
    parameters to share by name.

    >>> x = mx.sym.var('data')  # doctest: +SKIP
    >>> internals = net(x).get_internals()  # doctest: +SKIP
    >>> features = mx.gluon.SymbolBlock(internals['dense0_fwd_output'], x,
    ...                                 params=net.collect_params())  # doctest: +SKIP
    """

    def __init__(self, outputs: Symbol | Sequence[Any], inputs: Symbol | Sequence[Symbol],
                 params: ParameterDict | None = None):
        super().__init__(prefix=None, params=None)
        self._prefix = ""
        self._params = ParameterDict("", params)
        if isinstance(inputs, Symbol) and len(inputs) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        variables = _flat(inputs)
        for v in variables:
            if not (isinstance(v, Symbol) and len(v) == 1 and v._outputs[0][0].op is None):
                raise ParamError(f"Input symbols must be variable, but {v} is an output of "
                                 f"operators")
        nodes = [v._outputs[0][0] for v in variables]
        self._input_names = [n.name for n in nodes]
        self._out_format = _output_format(outputs)
        flat_outputs = _flat(outputs)
        self._output = flat_outputs[0] if len(flat_outputs) == 1 else symbol.Group(
            flat_outputs)
        for node in topological(self._output._outputs):
            if node.attrs.get("__storage_type__") == "1":
                # (MXNet's assertion: a row_sparse variable, input or parameter, is refused;
                # CSR inputs are read by the operators that take them)
                raise AssertionError(f"SymbolBlock doesn't support Parameter "
                                     f"'{node.name}' because its storage type is "
                                     f"'row_sparse'.")
        self._graph_inputs = tuple(variables)
        self._declare_params({n.name: n.attrs.get("__dtype__") for n in nodes})
        common = len(os.path.commonprefix(list(self._params.keys())))
        self._reg_params = {k[common:]: v for k, v in self._params.items()}

    def _declare_params(self, input_dtypes: dict[str, str | None]) -> None:
        """A parameter for every argument that is not an input and every auxiliary state,
        of the dtype the inputs' dtypes (MXNet's codes) give it (float32 where they say
        nothing)."""
        out = self._output
        known = set(out.list_inputs())
        arg_types, _, aux_types = out.infer_type(**{
            name: DTYPE_CODES[int(code)] if code else mx_real_t
            for name, code in input_dtypes.items() if name in known})
        inputs = set(self._input_names)
        for name, dtype in zip(out.list_arguments(), arg_types):
            if name not in inputs:
                self.params.get(name, allow_deferred_init=True, dtype=dtype)
        for name, dtype in zip(out.list_auxiliary_states(), aux_types):
            if name not in inputs:
                self.params.get(name, grad_req="null", allow_deferred_init=True, dtype=dtype)

    @staticmethod
    def imports(symbol_file: str, input_names: str | Sequence[str],
                param_file: str | None = None, ctx: Context | list[Context] | None = None,
                allow_missing: bool = False, ignore_extra: bool = False) -> SymbolBlock:
        """The model in `symbol_file` (a `*-symbol.json` of `export` or MXNet's
        `save_checkpoint`) with the inputs `input_names`, its parameters loaded from
        `param_file` (names with or without `arg:`/`aux:`, dtypes as saved) onto `ctx`.

        >>> net = mx.gluon.SymbolBlock.imports('net-symbol.json', ['data'],
        ...                                    'net-0000.params')  # doctest: +SKIP
        """
        graph = symbol.load(symbol_file)
        names = [input_names] if isinstance(input_names, str) else list(input_names)
        # (without parameters to say their dtypes, float32 inputs give them theirs)
        inputs = [symbol.var(n, dtype=mx_real_t if param_file is None else None)
                  for n in names]
        block = SymbolBlock(graph, inputs)
        if param_file is not None:
            block.collect_params().load(param_file, ctx, allow_missing=allow_missing,
                                        ignore_extra=ignore_extra, cast_dtype=True,
                                        dtype_source="saved")
        return block

    def __repr__(self) -> str:
        outputs = len(self._output.list_outputs())
        return (f"{type(self).__name__}(\n{self._output} : {len(self._input_names)} -> "
                f"{outputs}\n)")

    def _clear_cached_op(self) -> None:
        # (the graph is this block's own, not a trace of a call: it stays)
        self._program = None

    def _start_program(self, args: tuple[Any, ...]) -> None:
        self._program = HybridProgram(self)

    def forward(self, x: Any, *args: Any) -> Any:
        """The graph's outputs for these inputs (arrays or symbols, in the order of
        `inputs`): one value per output, a list for a symbol of several.

        >>> y = net(mx.nd.ones((1, 3, 32, 32)))  # doctest: +SKIP
        """
        given = _flat((x, *args))
        if len(given) != len(self._input_names):
            raise ArgumentError(f"Invalid input format: this SymbolBlock takes "
                                f"{len(self._input_names)} inputs {self._input_names}, got "
                                f"{len(given)}")
        if _has_symbols((x, *args)):
            arguments = set(self._output.list_arguments())
            composed = self._output(**{n: s for n, s in zip(self._input_names, given)
                                       if n in arguments})
            return _regroup_outputs(self._out_format, iter(composed))
        ctx = x.context if isinstance(x, nd.NDArray) and x._data is not None else None
        values = dict(zip(self._input_names, given))
        feeds = {}
        for node in topological(self._output._outputs):
            if node.op is None:
                feeds[id(node)] = values[node.name] if node.name in values else \
                    self._params[node.name].data(ctx)
        outputs = evaluate(self._output._outputs, feeds)
        return _regroup_outputs(self._out_format, iter(outputs))

    def infer_shape(self, *args: Any) -> None:
        """Set the parameters' shapes from the inputs' by the graph's shape inference.

        >>> net.infer_shape(mx.nd.ones((2, 3, 16, 16)))  # doctest: +SKIP
        """
        known = set(self._output.list_inputs())
        shapes = {n: a.shape for n, a in zip(self._input_names, _flat(args))
                  if isinstance(a, Array) and n in known}
        arg_shapes, _, aux_shapes = self._output.infer_shape_partial(**shapes)
        names = self._output.list_arguments() + self._output.list_auxiliary_states()
        for name, shape in zip(names, list(arg_shapes) + list(aux_shapes)):
            if name in self._params and shape and 0 not in shape:
                self._params[name].shape = shape

    def cast(self, dtype: Any) -> None:
        super().cast(dtype)
        if np.dtype(dtype) != np.float16:
            return
        # (BatchNorm keeps its statistics, scale and shift in float32, as in MXNet)
        inputs = set(self._output.list_inputs())
        for name in inputs:
            for stat in ("running_var", "moving_var"):
                if name.endswith(stat):
                    base = name[:-len(stat)]
                    family = [name] + [base + t for t in (stat[:-3] + "mean", "gamma", "beta")]
                    if all(f in inputs for f in family):
                        for f in family:
                            self._params[f].cast("float32")
