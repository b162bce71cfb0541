"""`Symbol`: a graph of MXNet operators, built by calling `mx.sym` functions on symbols.

A symbol is a list of outputs, each (node, output index) of the graph in `graph.py`. It
is what MXNet's Symbol API is: composed by calls (`mx.sym.FullyConnected(data=x, ...)`),
named automatically (`fullyconnected0`, its weight `fullyconnected0_weight`), inspected
(`list_arguments`, `get_internals`, `infer_shape`), saved as MXNet's JSON (`json_format`),
and bound to arrays (`executor.Executor`), which runs it as one compiled program.

    >>> x = mx.sym.var('data')  # doctest: +SKIP
    >>> y = mx.sym.FullyConnected(x, num_hidden=10, name='fc1')  # doctest: +SKIP
    >>> y.list_arguments()  # doctest: +SKIP
    ['data', 'fc1_weight', 'fc1_bias']
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import attribute, util
from .. import name as _name
from ..base import ArgumentError, MXNetIndexError, NotImplementedForSymbol, ParamError
from ..context import Context, cpu
from ..core.operators import Operator, lookup
from ..nd.serialization import STORAGE_TYPE_CODES
from .evaluate import CODE_OF, DTYPE_CODES, UNKNOWN, Partial, infer
from .executor import Executor
from .graph import (
    OUTPUT_DTYPE_RULES,
    OUTPUT_DTYPES,
    SEPARATE_INPUT_DTYPES,
    Node,
    check_input_count,
    fixed_input_dtypes,
    topological,
)
from .json_format import to_json

#: MXNet's fluent methods (`x.sum(axis=1)`): name -> the `mx.sym` function, which
#: `namespace.py` fills as it makes them.
FLUENT: dict[str, Any] = {}


#: The NumPy-semantics subclass (`numpy_namespace.NumpySymbol`), set where it is defined.
NUMPY_SYMBOL: list[type] = []


class Symbol:
    """Outputs of a graph of MXNet operators (see the module docstring).

    >>> net = mx.sym.Activation(mx.sym.var('x'), act_type='relu')  # doctest: +SKIP
    """

    __array_priority__ = 1000.0

    def __init__(self, outputs: list[tuple[Node, int]]):
        self._outputs = outputs

    # ---- identity and printing -------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The name of a single-output symbol's node (None for a group)."""
        return self._outputs[0][0].name if len(self._outputs) == 1 else None

    def __repr__(self) -> str:
        if len(self._outputs) == 1:
            return f"<Symbol {self.name}>"
        return f"<Symbol group [{', '.join(self.list_outputs())}]>"

    __str__ = __repr__

    def debug_str(self) -> str:
        """A listing of the graph's nodes, their operators, attributes and inputs."""
        lines = []
        for node in topological(self._outputs):
            if node.op is None:
                lines.append(f"Variable:{node.name}")
                continue
            lines.append("-" * 20)
            lines.append(f"Op:{node.op.name}, Name={node.name}")
            lines.append("Inputs:")
            for k, (src, idx) in enumerate(node.inputs):
                what = src.name if src.op is None else f"{src.name}_output{idx}"
                lines.append(f"\targ[{k}]={what}")
            if node.attrs:
                lines.append("Attrs:")
                lines += [f"\t{k}={v}" for k, v in sorted(node.attrs.items())]
        return "\n".join(lines)

    def __copy__(self) -> Symbol:
        return Symbol(list(self._outputs))

    def __deepcopy__(self, memo: dict) -> Symbol:
        return Symbol(_copy_outputs(self._outputs, {}))

    def __len__(self) -> int:
        return len(self._outputs)

    def __iter__(self) -> Iterator[Symbol]:
        return (Symbol([o]) for o in self._outputs)

    def __getitem__(self, index: int | str | slice) -> Symbol:
        if isinstance(index, str):
            names = self.list_outputs()
            matches = [k for k, n in enumerate(names) if n == index]
            if not matches:
                raise MXNetIndexError(f"Cannot find output that matches name {index!r}; the "
                                      f"outputs are {names}")
            if len(matches) > 1:
                raise ParamError(f"There are multiple outputs with name {index!r}")
            index = matches[0]
        if isinstance(index, slice):
            return Symbol(self._outputs[index])
        if not -len(self._outputs) <= index < len(self._outputs):
            raise MXNetIndexError(f"symbol index {index} is out of range for "
                                  f"{len(self._outputs)} outputs")
        return Symbol([self._outputs[index]])

    # ---- the graph's names -----------------------------------------------------------

    def _variables(self) -> tuple[list[Node], list[Node]]:
        """(argument variables, auxiliary-state variables) in MXNet's order."""
        aux_ids: set[int] = set()
        order = topological(self._outputs)
        for node in order:
            for k in node.aux_positions():
                src = node.inputs[k][0]
                if src.op is None:
                    aux_ids.add(id(src))
        variables = [n for n in order if n.op is None]
        return ([n for n in variables if id(n) not in aux_ids],
                [n for n in variables if id(n) in aux_ids])

    def list_arguments(self) -> list[str]:
        """The names of the inputs that are not auxiliary states.

        >>> mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2).list_arguments()  # doctest: +SKIP
        ['x', 'fullyconnected0_weight', 'fullyconnected0_bias']
        """
        return [n.name for n in self._variables()[0]]

    def list_auxiliary_states(self) -> list[str]:
        """The names of the auxiliary states (BatchNorm's moving statistics)."""
        return [n.name for n in self._variables()[1]]

    def list_inputs(self) -> list[str]:
        """Every variable's name, arguments and auxiliary states, in graph order."""
        return [n.name for n in topological(self._outputs) if n.op is None]

    def list_outputs(self) -> list[str]:
        """The outputs' names (`fc1_output`; a variable's own name).

        >>> mx.sym.split(mx.sym.var('x'), num_outputs=2).list_outputs()  # doctest: +SKIP
        ['split0_output0', 'split0_output1']
        """
        names = []
        for node, k in self._outputs:
            names.append(node.name if node.op is None else
                         f"{node.name}_{node.output_names()[k]}")
        return names

    def get_internals(self) -> Symbol:
        """Every output of every node of the graph, as one group.

        >>> net.get_internals()['fc1_output']  # doctest: +SKIP
        """
        return Symbol([(n, k) for n in topological(self._outputs) for k in
                       range(n.num_outputs())])

    def get_children(self) -> Symbol | None:
        """The inputs of this symbol's node (None for a variable)."""
        nodes = list({id(node): node for node, _ in self._outputs}.values())  # (once each)
        inputs = [i for node in nodes for i in node.inputs]
        return Symbol(inputs) if inputs else None

    # ---- attributes ------------------------------------------------------------------

    def attr(self, key: str) -> str | None:
        """The attribute `key` of this symbol's node (`__shape__`, `num_hidden`, ...).

        >>> mx.sym.var('w', lr_mult=2).attr('__lr_mult__')  # doctest: +SKIP
        '2'
        """
        if len(self._outputs) != 1:
            return None
        return self._outputs[0][0].attrs.get(stored_key(key))

    def list_attr(self, recursive: bool = False) -> dict[str, str]:
        """This node's attributes (with `recursive`, every node's, keyed `name$key`)."""
        if recursive:
            return {f"{n.name}${k}": v for n in topological(self._outputs)
                    for k, v in shown_attrs(n.attrs).items()}
        return shown_attrs(self._outputs[0][0].attrs) if len(self._outputs) == 1 else {}

    def attr_dict(self) -> dict[str, dict[str, str]]:
        """Every node's attributes by node name (nodes without any are left out)."""
        return {n.name: shown_attrs(n.attrs) for n in topological(self._outputs) if n.attrs}

    def _set_attr(self, **kwargs: str) -> None:
        """Set attributes of this symbol's node (values are strings)."""
        for k, v in kwargs.items():
            if not isinstance(v, str):
                raise ArgumentError(f"attribute {k}: the value must be a string")
            for node, _ in self._outputs:
                node.attrs[stored_key(k)] = v

    # ---- composition -----------------------------------------------------------------

    def __call__(self, *args: Symbol, **kwargs: Any) -> Symbol:
        """A copy with its free variables replaced: positional symbols in
        `list_arguments()` order, keywords by variable name.

        >>> net2 = net(data=mx.sym.var('x'))  # doctest: +SKIP
        """
        name = kwargs.pop("name", None)
        arguments = self.list_arguments()
        if args and kwargs:
            raise ArgumentError("compose takes positional or keyword symbols, not both")
        swap: dict[str, tuple[Node, int]] = {}
        for k, s in enumerate(args):
            if k >= len(arguments):
                raise ArgumentError(f"compose: {len(args)} symbols for {len(arguments)} "
                                    f"arguments")
            swap[arguments[k]] = _single(s, "compose")
        for key, s in kwargs.items():
            if key not in arguments:
                raise ArgumentError(f"compose: the symbol has no argument {key!r}; its "
                                    f"arguments are {arguments}")
            swap[key] = _single(s, "compose")
        out = _copy_outputs(self._outputs, swap)
        if name is not None and len(out) == 1 and out[0][0].op is not None:
            out[0][0].name = name
        return Symbol(out)

    # ---- arithmetic ------------------------------------------------------------------

    def _arith(self, other: Any, array_op: str, scalar_op: str, hints: tuple[str, str],
               reverse: bool = False) -> Symbol:
        if isinstance(other, Symbol):
            lhs, rhs = (other, self) if reverse else (self, other)
            return make_node(lookup(array_op), [lhs, rhs], {}, None, None, hints[0])
        if isinstance(other, (int, float, np.number, bool)):
            return make_node(lookup(scalar_op), [self], {"scalar": repr_scalar(other)}, None,
                             None, hints[1])
        return NotImplemented  # type: ignore[no-any-return]

    def __add__(self, o: Any) -> Symbol:
        return self._arith(o, "elemwise_add", "_plus_scalar", ("_plus", "_plusscalar"))

    def __radd__(self, o: Any) -> Symbol:
        return self.__add__(o)

    def __sub__(self, o: Any) -> Symbol:
        return self._arith(o, "elemwise_sub", "_minus_scalar", ("_minus", "_minusscalar"))

    def __rsub__(self, o: Any) -> Symbol:
        return self._arith(o, "elemwise_sub", "_rminus_scalar", ("_minus", "_rminusscalar"),
                           reverse=True)

    def __mul__(self, o: Any) -> Symbol:
        return self._arith(o, "elemwise_mul", "_mul_scalar", ("_mul", "_mulscalar"))

    def __rmul__(self, o: Any) -> Symbol:
        return self.__mul__(o)

    def __truediv__(self, o: Any) -> Symbol:
        return self._arith(o, "elemwise_div", "_div_scalar", ("_div", "_divscalar"))

    def __rtruediv__(self, o: Any) -> Symbol:
        return self._arith(o, "elemwise_div", "_rdiv_scalar", ("_div", "_rdivscalar"),
                           reverse=True)

    def __mod__(self, o: Any) -> Symbol:
        return self._arith(o, "_mod", "_mod_scalar", ("_mod", "_modscalar"))

    def __rmod__(self, o: Any) -> Symbol:
        return self._arith(o, "_mod", "_rmod_scalar", ("_mod", "_rmodscalar"), reverse=True)

    def __pow__(self, o: Any) -> Symbol:
        return self._arith(o, "_power", "_power_scalar", ("_power", "_powerscalar"))

    def __rpow__(self, o: Any) -> Symbol:
        return self._arith(o, "_power", "_rpower_scalar", ("_power", "_rpower_scalar"),
                           reverse=True)

    def __neg__(self) -> Symbol:
        return make_node(lookup("_mul_scalar"), [self], {"scalar": "-1.0"}, None, None,
                         "_mulscalar")

    def __abs__(self) -> Symbol:
        return make_node(lookup("abs"), [self], {}, None, None, "abs")

    def __eq__(self, o: Any) -> Symbol:  # type: ignore[override]
        return self._arith(o, "_equal", "_equal_scalar", ("_equal", "_equal_scalar"))

    def __ne__(self, o: Any) -> Symbol:  # type: ignore[override]
        return self._arith(o, "_not_equal", "_not_equal_scalar",
                           ("_not_equal", "_not_equal_scalar"))

    def __gt__(self, o: Any) -> Symbol:
        return self._arith(o, "_greater", "_greater_scalar", ("_greater", "_greater_scalar"))

    def __ge__(self, o: Any) -> Symbol:
        return self._arith(o, "_greater_equal", "_greater_equal_scalar",
                           ("_greater_equal", "_greater_equal_scalar"))

    def __lt__(self, o: Any) -> Symbol:
        return self._arith(o, "_lesser", "_lesser_scalar", ("_lesser", "_lesser_scalar"))

    def __le__(self, o: Any) -> Symbol:
        return self._arith(o, "_lesser_equal", "_lesser_equal_scalar",
                           ("_lesser_equal", "_lesser_equal_scalar"))

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise NotImplementedForSymbol(self.__bool__, "bool")

    # (what only arrays do: MXNet's Symbol refuses it with NotImplementedForSymbol)
    def __iadd__(self, other: Any) -> Symbol:
        raise NotImplementedForSymbol(self.__iadd__, "+=", other, 1)

    def __isub__(self, other: Any) -> Symbol:
        raise NotImplementedForSymbol(self.__isub__, "-=", other)

    def __imul__(self, other: Any) -> Symbol:
        raise NotImplementedForSymbol(self.__imul__, "*=", other)

    def __itruediv__(self, other: Any) -> Symbol:
        raise NotImplementedForSymbol(self.__itruediv__, "/=", other)

    def wait_to_read(self) -> None:
        """Refused: a Symbol holds no data (MXNet's NotImplementedForSymbol)."""
        raise NotImplementedForSymbol(self.wait_to_read, None)

    def asnumpy(self) -> Any:
        """Refused: a Symbol holds no data; bind or `eval` it (NotImplementedForSymbol)."""
        raise NotImplementedForSymbol(self.asnumpy, None)

    def asscalar(self) -> Any:
        """Refused: a Symbol holds no data (NotImplementedForSymbol)."""
        raise NotImplementedForSymbol(self.asscalar, None)

    def as_in_context(self, *args: Any) -> Any:
        """Refused: a Symbol is on no device (NotImplementedForSymbol)."""
        raise NotImplementedForSymbol(self.as_in_context, None)

    def detach(self) -> Any:
        """Refused: a Symbol records nothing (NotImplementedForSymbol)."""
        raise NotImplementedForSymbol(self.detach, None)

    def backward(self, *args: Any) -> Any:
        """Refused: bind the symbol and call the executor's backward."""
        raise NotImplementedForSymbol(self.backward, None)

    def __getattr__(self, name: str) -> Any:
        # (MXNet's fluent methods: x.sum(axis=1), x.reshape((2, -1)), x.astype('int32'))
        if name.startswith("_"):
            raise AttributeError(name)
        fn = FLUENT.get(name)
        if fn is None:
            raise AttributeError(f"'Symbol' object has no attribute {name!r}")
        return lambda *args, **kwargs: fn(self, *args, **kwargs)

    # ---- inference, saving, binding ----------------------------------------------------

    def _known(self, args: Sequence[Any], kwargs: dict[str, Any], what: str
               ) -> dict[str, Any]:
        names = self.list_arguments()
        if args and kwargs:
            raise ArgumentError(f"{what}: give the arguments by position or by name, not both")
        if len(args) > len(names):
            raise ArgumentError(f"{what}: {len(args)} values for {len(names)} arguments")
        known = dict(zip(names, args))
        inputs = set(self.list_inputs())
        for k, v in kwargs.items():
            if k not in inputs:
                raise ArgumentError(f"{what}: the symbol has no input {k!r}; its inputs are "
                                    f"{sorted(inputs)}")
            known[k] = v
        return {k: v for k, v in known.items() if v is not None}

    def _infer(self, shapes: dict[str, Any], dtypes: dict[str, Any]
               ) -> tuple[list[Any], list[Any], list[Any]]:
        """Traced values of (arguments, outputs, auxiliary states), None where unknown.
        An unknown size is 0 in the shapes given, or -1 under NumPy shape semantics (where
        0 is a zero-size axis), as in MXNet."""
        args, aux = self._variables()
        unknown = -1 if util.is_np_shape() else 0
        fixed = fixed_input_dtypes(self._outputs)
        known = {}
        for node in args + aux:
            shape = shapes.get(node.name)
            if shape is None and "__shape__" in node.attrs:
                shape = _parse_shape(node.attrs["__shape__"])
            dtype = dtypes.get(node.name)
            if dtype is None and "__dtype__" in node.attrs:
                dtype = DTYPE_CODES[int(node.attrs["__dtype__"])]
            known[id(node)] = (None if shape is None else
                               tuple(UNKNOWN if int(d) == unknown else int(d) for d in shape),
                               np.dtype(dtype or fixed.get(id(node), np.float32)))
        values, outs = infer(self._outputs, known)
        return ([values.get(id(n)) for n in args], outs, [values.get(id(n)) for n in aux])

    def infer_shape(self, *args: Any, **kwargs: Any) -> tuple[Any, Any, Any]:
        """(argument shapes, output shapes, auxiliary shapes) from the shapes given (by
        position in `list_arguments()` order, or by name); (None, None, None) when they do
        not determine every shape.

        >>> net.infer_shape(data=(2, 3))  # doctest: +SKIP
        """
        a, o, x = self._infer(self._known(args, kwargs, "infer_shape"), {})
        if any(v is None or isinstance(v, Partial) for v in a + o + x):
            return None, None, None
        return ([v.shape for v in a], [v.shape for v in o], [v.shape for v in x])

    def infer_shape_partial(self, *args: Any, **kwargs: Any) -> tuple[Any, Any, Any]:
        """`infer_shape` that gives what it can: 0 for each unknown size, () for a shape
        of which nothing is known; under NumPy shape semantics (`mx.np_shape()`), -1 and
        None, as in MXNet.

        >>> mx.sym.dot(x, y).infer_shape_partial(x=(0, 3, 4), y=(4, 5))[1]  # doctest: +SKIP
        [(0, 3, 5)]
        """
        a, o, x = self._infer(self._known(args, kwargs, "infer_shape_partial"), {})
        numpy_shapes = util.is_np_shape()
        unknown = -1 if numpy_shapes else 0
        nothing = None if numpy_shapes else ()

        def shown(v: Any) -> Any:
            if v is None:
                return nothing
            return tuple(unknown if d == UNKNOWN else int(d) for d in v.shape)

        return tuple([shown(v) for v in group]  # type: ignore
                     for group in (a, o, x))

    def infer_type(self, *args: Any, **kwargs: Any) -> tuple[Any, Any, Any]:
        """(argument dtypes, output dtypes, auxiliary dtypes) as NumPy types from the dtypes
        given. Arguments not given take their `__dtype__`, else the dtype of an operator
        input they feed that `graph.INPUT_DTYPES` fixes, else float32; an operator's
        output takes its `dtype` parameter where it has one, else its first input's dtype
        (what MXNet's operators do, shapes aside), unless `graph.OUTPUT_DTYPES` fixes it or
        `graph.OUTPUT_DTYPE_RULES` has its rule (Custom's property's `infer_type`).

        >>> net.infer_type(data='float32')  # doctest: +SKIP
        """
        given = {k: np.dtype(v) for k, v in self._known(args, kwargs, "infer_type").items()}
        a, o, x = self._partial_types(given)
        # (what nothing determines is float32, MXNet's default type, where MXNet gives None)
        return tuple([np.float32 if d is None else d for d in group]  # type: ignore
                     for group in (a, o, x))

    def infer_type_partial(self, *args: Any, **kwargs: Any) -> tuple[Any, Any, Any]:
        """`infer_type` that leaves an argument None where nothing says its dtype: neither
        given, nor `__dtype__`, nor an operator it feeds (whose inputs share their dtype,
        FullyConnected's weight its data's), as MXNet's.

        >>> net.infer_type_partial()  # doctest: +SKIP
        """
        given = {k: np.dtype(v) for k, v in
                 self._known(args, kwargs, "infer_type_partial").items()}
        return self._partial_types(given)

    def _partial_types(self, given: dict[str, np.dtype]) -> tuple[Any, Any, Any]:
        dtypes = self._dtypes(given)
        arguments, aux = self._variables()

        def shown(dtype: Any) -> Any:
            return None if dtype is None else dtype.type

        return ([shown(dtypes[id(n)][0]) for n in arguments],
                [shown(dtypes[id(n)][k]) for n, k in self._outputs],
                [shown(dtypes[id(n)][0]) for n in aux])

    def _dtypes(self, given: dict[str, np.dtype]) -> dict[int, list[Any]]:
        """Every node's output dtypes by id, None where unknown; variables not given and
        without `__dtype__` take the dtype of an operator input they feed that
        `graph.INPUT_DTYPES` fixes, or else start unknown and take the dtype of the operator
        inputs they meet (operators without a `dtype` parameter keep one dtype for their
        inputs)."""
        unknown = None
        fixed = fixed_input_dtypes(self._outputs)
        dtypes: dict[int, list[Any]] = {}
        for node in topological(self._outputs):
            if node.op is None:
                code = node.attrs.get("__dtype__")
                default = np.dtype(DTYPE_CODES[int(code)]) if code else fixed.get(id(node))
                dtypes[id(node)] = [given.get(node.name, default)]
                continue
            own = node.params().get("dtype")
            ins = [dtypes[id(n)][k] for n, k in node.inputs]
            common = next((d for d in ins if d is not None), None)
            if (own in (None, "None") and common is not None
                    and node.op.name not in SEPARATE_INPUT_DTYPES):
                names = node.input_names() if not node.op.variadic else []
                for j, (n, k) in enumerate(node.inputs):  # (MXNet's inference runs backwards)
                    if n.op is None and dtypes[id(n)][k] is None:
                        wide = (j > 0 and node.op.name in _FLOAT32_PARAMETERS
                                and common == np.float16 and names[j:j + 1] != ["data"])
                        dtypes[id(n)][k] = np.dtype(np.float32) if wide else common
                ins = [dtypes[id(n)][k] for n, k in node.inputs]
            first = ins[0] if ins else unknown
            out = np.dtype(own) if own not in (None, "None") else first
            fixed = OUTPUT_DTYPES.get(node.op.name, {})
            dtypes[id(node)] = [fixed.get(k, out) for k in range(node.num_outputs())]
            rule = OUTPUT_DTYPE_RULES.get(node.op.name)
            if rule is not None and all(d is not None for d in ins):
                dtypes[id(node)] = rule(node.params(), ins)
        return dtypes

    def as_np_ndarray(self) -> Symbol:
        """The same graph with NumPy semantics (operators broadcast, methods are mx.np's):
        MXNet's `_Symbol`, for `mx.sym.np`.

        >>> mx.sym.np.sum(mx.sym.var('x').as_np_ndarray())  # doctest: +SKIP
        """
        return NUMPY_SYMBOL[0](self._outputs)

    def as_nd_ndarray(self) -> Symbol:
        """The same graph with `mx.sym`'s semantics (see `as_np_ndarray`).

        >>> mx.sym.np.sum(mx.sym.var('x').as_np_ndarray()).as_nd_ndarray()  # doctest: +SKIP
        """
        return Symbol(self._outputs)

    def tojson(self, remove_amp_cast: bool = True) -> str:
        """The graph as MXNet 1.x's JSON.

        >>> text = net.tojson()  # doctest: +SKIP
        """
        return to_json(self._outputs)

    def save(self, fname: str, remove_amp_cast: bool = True) -> None:
        """Write `tojson()` to `fname` (MXNet's `*-symbol.json`)."""
        with open(fname, "w") as f:
            f.write(self.tojson())

    def bind(self, ctx: Context, args: Any, args_grad: Any = None, grad_req: Any = "write",
             aux_states: Any = None, group2ctx: Any = None, shared_exec: Any = None) -> Any:
        """An Executor over these arrays (lists in `list_arguments()` order, or dicts).

        >>> exe = net.bind(mx.cpu(), {'data': x, 'fc1_weight': w, 'fc1_bias': b})  # doctest: +SKIP
        """
        return Executor.bind(self, ctx, args, args_grad, grad_req, aux_states)

    def simple_bind(self, ctx: Context, grad_req: Any = "write", type_dict: Any = None,
                    stype_dict: Any = None, group2ctx: Any = None,
                    shared_arg_names: Any = None, shared_exec: Any = None,
                    shared_buffer: Any = None, **kwargs: Any) -> Any:
        """An Executor with zero-filled arrays of the shapes inferred from `kwargs` (and
        the storage types of `stype_dict` or the variables' `stype`). Keywords whose value
        is not a shape (a tuple or list) are ignored, as MXNet ignores them.

        >>> exe = net.simple_bind(mx.cpu(), data=(32, 100))  # doctest: +SKIP
        """
        shapes = {k: v for k, v in kwargs.items() if isinstance(v, (tuple, list))}
        return Executor.simple_bind(self, ctx, grad_req, type_dict or {}, shapes,
                                    shared_exec, stype_dict)

    def eval(self, ctx: Context | None = None, **kwargs: Any) -> list[Any]:
        """The outputs for the arrays given by name (no gradients).

        >>> (mx.sym.var('a') + 1).eval(a=mx.nd.ones((2,)))  # doctest: +SKIP
        """
        exe = self.bind(ctx or cpu(), kwargs, grad_req="null")
        return list(exe.forward())


def _single(s: Any, what: str) -> tuple[Node, int]:
    if not isinstance(s, Symbol):
        raise ArgumentError(f"{what}: expected a Symbol, got {type(s).__name__}")
    if len(s._outputs) != 1:
        raise ArgumentError(f"{what}: expected a single-output Symbol, got a group of "
                            f"{len(s._outputs)}")
    return s._outputs[0]


def _copy_outputs(outputs: list[tuple[Node, int]], swap: dict[str, tuple[Node, int]]
                  ) -> list[tuple[Node, int]]:
    """A copy of the graph with variables named in `swap` replaced."""
    made: dict[int, Node] = {}
    for node in topological(outputs):
        if node.op is None and node.name in swap:
            continue
        new = Node(node.op, node.name, dict(node.attrs), [], node.total_outputs,
                   node.versions, node.subgraphs)
        for src, k in node.inputs:
            if src.op is None and src.name in swap:
                new.inputs.append(swap[src.name])
            else:
                new.inputs.append((made[id(src)], k))
        made[id(node)] = new
    return [swap[n.name] if n.op is None and n.name in swap else (made[id(n)], k)
            for n, k in outputs]


def _parse_shape(text: str) -> tuple[int, ...]:
    inner = text.strip().strip("()[]")
    return tuple(int(p) for p in inner.split(",") if p.strip())


def repr_scalar(value: Any) -> str:
    """A scalar attribute as MXNet writes it: ints as ints (`2`), floats as Python does."""
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return repr(float(value))


#: Operators whose parameters stay float32 for float16 data (MXNet's BatchNorm keeps its
#: scale, shift and statistics in float32).
_FLOAT32_PARAMETERS = frozenset({"BatchNorm", "_contrib_SyncBatchNorm", "CuDNNBatchNorm"})
#: Attributes MXNet keeps as `__key__` however they are given (its C API's hidden keys);
#: `attr` finds them under either name, `list_attr` shows both.
HIDDEN_KEYS = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage",
               "profiler_scope")


def stored_key(key: str) -> str:
    """The name an attribute is kept under (`lr_mult` -> `__lr_mult__`)."""
    return f"__{key}__" if key in HIDDEN_KEYS else key


def hide_keys(attrs: dict[str, str]) -> dict[str, str]:
    """`attrs` with the hidden keys under their stored names."""
    return {stored_key(k): v for k, v in attrs.items()}


def shown_attrs(attrs: dict[str, str]) -> dict[str, str]:
    """A node's attributes as MXNet lists them: each hidden one also under its plain name."""
    out = dict(attrs)
    out.update({k: attrs[f"__{k}__"] for k in HIDDEN_KEYS if f"__{k}__" in attrs})
    return out


def make_node(op: Operator, inputs: Sequence[Symbol], attrs: dict[str, str], name: str | None,
              attr: dict[str, str] | None, hint: str | None,
              subgraphs: list[list[tuple[Node, int]]] | None = None) -> Symbol:
    """A new node of `op` over `inputs` (single-output symbols), named through the current
    `mx.name` manager from `name` or `hint` (with `hint` None, `name` is final), with the
    attributes of the current `mx.AttrScope` and `attr` added (and the `subgraphs` of a
    control-flow operator).

    >>> make_node(lookup('relu'), [x], {}, None, None, 'relu')  # doctest: +SKIP
    """
    full_attrs = hide_keys(attribute.AttrScope.current().get(attr))
    full_attrs.update(attrs)
    node_name = name if hint is None else _name.NameManager.current().get(name, hint)
    assert node_name is not None
    node = Node(op, node_name, full_attrs, [_single(s, op.name) for s in inputs],
                subgraphs=subgraphs)
    check_input_count(node)
    return Symbol([(node, k) for k in range(node.num_outputs())])


def Variable(name: str, attr: dict[str, str] | None = None, shape: Sequence[int] | None = None,
             lr_mult: float | None = None, wd_mult: float | None = None, dtype: Any = None,
             init: Any = None, stype: str | None = None, **kwargs: Any) -> Symbol:
    """A named input of a graph, with optional shape, dtype, learning-rate and weight-decay
    multipliers, initializer and storage type (kept as `__shape__`-style attributes).

    >>> w = mx.sym.Variable('w', shape=(10, 5), lr_mult=0.1)  # doctest: +SKIP
    """
    if not isinstance(name, str):
        raise ArgumentError(f"Variable: name must be a string, got {type(name).__name__}")
    attrs = hide_keys(attribute.AttrScope.current().get(attr))
    if shape is not None:
        attrs["__shape__"] = str(tuple(int(d) for d in shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        attrs["__dtype__"] = str(CODE_OF[np.dtype(dtype)])
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs["__storage_type__"] = str(STORAGE_TYPE_CODES[stype])
    for k, v in kwargs.items():
        if not (k.startswith("__") and k.endswith("__")):
            raise ParamError(f"Variable: extra attribute {k!r} must look like __{k}__")
        attrs[k] = str(v)
    return Symbol([(Node(None, name, attrs, []), 0)])


var = Variable


def Group(symbols: Sequence[Symbol]) -> Symbol:
    """One symbol with the outputs of all of `symbols`, in order.

    >>> g = mx.sym.Group([net1, net2])  # doctest: +SKIP
    """
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise ArgumentError("Group: expected a non-empty list of Symbols")
    return Symbol([o for s in symbols for o in s._outputs])
