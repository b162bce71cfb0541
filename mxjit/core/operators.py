"""The operator table: each MXNet operator registered once, for every front end.

An `Operator` is MXNet's registry entry: its name as symbol JSON writes it
(`FullyConnected`, `_contrib_box_nms`, `broadcast_add`), its aliases, its array inputs,
its parameters with kinds, defaults and JSON string forms, and its implementation over
primitives (a Python function of arrays of any front end, in `mxjit.ops`). Front ends
generate their namespaces from the table (`make_function`): `mx.nd` now, `mx.sym` and
`mx.np` later, each function with a real signature and a generated docstring.

Namespaces follow MXNet's naming rule: `_contrib_X` is `contrib.X`, `_linalg_X` is
`linalg.X`, `_image_X` is `image.X`, `_random_X_like`/`_sample_X` are `random.X_like`/
`random.X` (other `_random_X` are internal: MXNet's `mx.nd.random` functions are Python
functions), other names with a leading underscore are internal, the rest are top-level.

    >>> op = OPERATORS['FullyConnected']  # doctest: +SKIP
    >>> op.param('num_hidden').format(10), op.param('no_bias').parse('False')  # doctest: +SKIP
    ('10', False)
"""
from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..base import ArgumentError, DeferredInitializationError, NotOverriddenError, ParamError
from . import tape
from .array import Array
from .eager_compiled import CompiledEagerly
from .history import note_operator

F = TypeVar("F", bound=Callable[..., Any])


class _Required:
    """The default of a parameter the operator needs (MXNet's `required`)."""

    def __repr__(self) -> str:
        return "<required>"


REQUIRED: Any = _Required()

#: Parameter kinds and how their values read in MXNet's JSON attributes.
KINDS = ("int", "float", "bool", "str", "dtype", "shape", "any")


@dataclass(frozen=True)
class Param:
    """One parameter of an operator: name, kind (one of `KINDS`) and default."""

    name: str
    kind: str
    default: Any

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def format(self, value: Any) -> str:
        """The string MXNet writes for `value` in symbol JSON (`(3, 3)`, `True`, `1e-05`).

        >>> Param('kernel', 'shape', REQUIRED).format([3, 3])
        '(3, 3)'
        """
        if value is None:
            return "None"
        if self.kind == "dtype":
            return np.dtype(value).name
        if self.kind == "shape" or isinstance(value, (list, tuple)):
            return str(tuple(int(v) if isinstance(v, (int, np.integer)) else v for v in
                             (value if isinstance(value, (list, tuple)) else (value,))))
        if isinstance(value, (bool, np.bool_)):
            return "True" if value else "False"
        if isinstance(value, (float, np.floating)):
            return repr(float(value))
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        return str(value)

    def parse(self, text: str) -> Any:
        """The value of MXNet's string form `text` (as symbol JSON holds it).

        >>> Param('no_bias', 'bool', False).parse('1'), Param('pad', 'shape', ()).parse('2')
        (True, (2,))
        """
        text = text.strip()
        if text == "None":
            return None
        try:
            if self.kind == "bool":
                return text.lower() in ("true", "1")
            if self.kind == "int":
                return int(text)
            if self.kind == "float":
                return float(text)
            if self.kind in ("str", "dtype"):
                return text
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            if self.kind in ("shape", "any"):
                if self.kind == "any":
                    return text  # a plain word ('relu', 'float32')
            raise ParamError(f"parameter {self.name}: cannot read {text!r} as {self.kind}"
                             ) from None
        if self.kind == "shape":
            return tuple(value) if isinstance(value, (list, tuple)) else (value,)
        return value


@dataclass(frozen=True)
class Operator:
    """An MXNet operator: see the module docstring."""

    name: str
    inputs: tuple[str, ...]
    variadic: bool  # inputs is one name for any number of arrays (concat, add_n, ...)
    params: tuple[Param, ...]
    impl: Callable[..., Any]
    doc: str
    aliases: tuple[str, ...] = ()
    #: its results are always new arrays, never an operand nor a view of one (front ends
    #: that promise new arrays need not check; elementwise ops and reductions are)
    fresh: bool = False
    #: it takes any further keyword parameters (`**kwargs`: MXNet's `Custom`, which hands
    #: them to its property class as strings); front ends pass them through as given
    open: bool = False
    #: its inputs, auxiliary states and outputs by name, from its parameters, where they
    #: depend on them (MXNet's `Custom`: its property class lists them); else None
    signature: Callable[[dict[str, Any]], tuple[list[str], list[str], list[str]]] | None = None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise ParamError(f"{self.name} has no parameter {name!r}; its parameters are "
                         f"{[p.name for p in self.params]}")

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # (a pickled symbol names its operators: the registered one is found again)
        return lookup, (self.name,)

    def public_names(self) -> list[tuple[str, str]]:
        """(namespace, name) for the name and each alias, by MXNet's naming rule."""
        return [split_namespace(n) for n in (self.name, *self.aliases)]


#: MXNet's `_OP_NAME_PREFIX_LIST`: the `_sample_*` operators are not in it, so they stay in
#: `_internal` (where mx.sym.random finds `_sample_uniform`, ...).
_PREFIXES = (("_contrib_", "contrib"), ("_linalg_", "linalg"), ("_image_", "image"),
             ("_random_", "random"), ("_sparse_", "sparse"))


def split_namespace(name: str) -> tuple[str, str]:
    """(namespace, name in it) of a registry name: '' is top-level, '_internal' hidden.

    >>> split_namespace('_contrib_box_nms'), split_namespace('_plus_scalar')
    (('contrib', 'box_nms'), ('_internal', '_plus_scalar'))
    """
    for prefix, namespace in _PREFIXES:
        if name.startswith(prefix):
            if prefix == "_random_" and not name.endswith("_like"):
                break  # (MXNet's rule: mx.nd.random's samplers are Python functions)
            return namespace, name[len(prefix):]
    return ("_internal", name) if name.startswith("_") else ("", name)


OPERATORS: dict[str, Operator] = {}
_BY_ALIAS: dict[str, str] = {}


def _kind_of(name: str, annotation: str, default: Any) -> str:
    """A parameter's kind from its annotation (as a string) and default."""
    if name == "dtype":
        return "dtype"
    text = annotation.replace(" ", "")
    if text.startswith(("Sequence[int]", "tuple[int")):
        return "shape"
    for kind in ("bool", "float", "int", "str"):
        if text.split("|")[0] == kind:
            return kind
    if isinstance(default, bool):
        return "bool"
    return "any"


def register_operator(name: str, *, inputs: Sequence[str] | None = None,
                      aliases: Sequence[str] = (), kinds: dict[str, str] | None = None,
                      fresh: bool = False, compiled: bool = False,
                      signature: Callable[[dict[str, Any]],
                                          tuple[list[str], list[str], list[str]]] | None = None
                      ) -> Callable[[F], F]:
    """Register the decorated implementation as the operator `name`.

    The implementation's signature gives the rest: `inputs` (default: its first
    parameter; a `*args` parameter is a variadic input) are the arrays, every other
    parameter is an operator parameter, its kind read from its annotation (or `kinds`)
    and its default from the signature (none: required); a `**kwargs` parameter takes any
    further keywords (`Operator.open`). `fresh`, `signature`: see `Operator`. With
    `compiled`, an implementation over several primitives runs eagerly as one compiled
    program per signature (`eager_compiled.py`).

    >>> @register_operator('my_scale')  # doctest: +SKIP
    ... def my_scale(data: Array, factor: float = 2.0) -> Array:
    ...     return data * factor
    """
    def decorate(impl: F) -> F:
        sig = inspect.signature(impl)
        names = list(sig.parameters)
        variadic = any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values())
        array_names = tuple(inputs) if inputs is not None else tuple(names[:1])
        if tuple(names[:len(array_names)]) != array_names:
            raise ParamError(f"operator {name}: the inputs {array_names} must be the first "
                             f"parameters of its implementation, got {names}")
        params = []
        is_open = False
        for pname, p in sig.parameters.items():
            if pname in array_names:
                continue
            if p.kind is p.VAR_KEYWORD:
                is_open = True
                continue
            if p.kind is p.VAR_POSITIONAL:
                raise ParamError(f"operator {name}: parameter *{pname} must be an input")
            default = REQUIRED if p.default is p.empty else p.default
            annotation = p.annotation if isinstance(p.annotation, str) else str(p.annotation)
            kind = (kinds or {}).get(pname) or _kind_of(pname, annotation, default)
            params.append(Param(pname, kind, default))
        for key in (name, *aliases):
            if key in OPERATORS or key in _BY_ALIAS:
                raise ParamError(f"operator {key!r} is already registered")
        run = CompiledEagerly(impl) if compiled else impl
        op = Operator(name, array_names, variadic, tuple(params), run,
                      inspect.getdoc(impl) or "", tuple(aliases), fresh, is_open, signature)
        OPERATORS[name] = op
        for alias in aliases:
            _BY_ALIAS[alias] = name
        return impl

    return decorate


def lookup(name: str) -> Operator:
    """The operator registered as `name` or under the alias `name`.

    >>> lookup('concat').name  # doctest: +SKIP
    'Concat'
    """
    op = OPERATORS.get(name) or OPERATORS.get(_BY_ALIAS.get(name, ""))
    if op is None:
        raise ParamError(f"unknown operator {name!r}")
    return op


def namespace(ns: str) -> dict[str, Operator]:
    """The operators of namespace `ns` ('' for top-level, 'contrib', 'linalg', ...) by the
    name they have there."""
    found: dict[str, Operator] = {}
    for op in OPERATORS.values():
        for where, public in op.public_names():
            if where == ns:
                found[public] = op
    return found


# ---- inputs whose shape comes from the others -------------------------------------------------


class PendingInput:
    """An operator input whose shape is not known yet (a Gluon parameter waiting for its
    deferred initialisation): the operator's input-shape rule (`input_shape_rule`) says
    what it must be from the other inputs, and `resolve(shape)` gives the array then. This
    is MXNet's backward shape inference (FullyConnected's weight from its data), for the
    operators that have a rule.

    >>> class Pending(PendingInput):  # doctest: +SKIP
    ...     def resolve(self, shape): return mx.nd.zeros(shape)
    """

    def resolve(self, shape: tuple[int, ...]) -> Any:
        raise NotOverriddenError("PendingInput.resolve must be defined by a subclass")

    def describe(self) -> str:
        """What this input stands for, in error messages."""
        return "an input of unknown shape"

    def known_shape(self) -> tuple[int, ...] | None:
        """The shape known so far (0 for each unknown size), or None when not even the
        number of axes is known."""
        return None


#: Operator name -> rule(shapes of the inputs known so far by name, the operator's
#: parameters as keywords) -> shapes of the other inputs by name.
INPUT_SHAPE_RULES: dict[str, Callable[..., dict[str, tuple[int, ...]]]] = {}


#: Operator name -> the inputs whose shape its (first) output always has: shape inference
#: hands a shape that a consumer needs for the output back to those inputs (a weight seen
#: only through a Cast), as MXNet's same-shape operators infer backwards. The generated
#: elementwise families add theirs where they are made.
SAME_SHAPE_INPUTS: dict[str, tuple[str, ...]] = {
    **{name: ("data",) for name in (
        "Cast", "amp_cast", "BlockGrad", "_copy", "relu", "square", "reciprocal", "degrees",
        "radians", "rcbrt", "softsign", "hard_sigmoid", "logical_not", "clip", "rint",
        "Activation", "LeakyReLU", "Dropout", "softmax", "log_softmax", "softmin", "MakeLoss",
        "make_loss", "smooth_l1", "L2Normalization")},
    "_identity_with_attr_like_rhs": ("lhs", "rhs"),
}


#: Operator name -> rule(the shape its first output must have; its inputs' shapes known so
#: far by name, None where not even the rank is; its parameters as keywords) -> what that
#: says of the inputs' shapes by name, for operators that are not in SAME_SHAPE_INPUTS
#: (`Concat`'s other axes). -1 stands for an unknown size throughout.
BACKWARD_SHAPE_RULES: dict[str, Callable[..., dict[str, tuple[int, ...]]]] = {}


def backward_shape_rule(name: str) -> Callable[[F], F]:
    """Register what operator `name`'s output shape says of its inputs' (see
    `BACKWARD_SHAPE_RULES`).

    >>> @backward_shape_rule('Concat')  # doctest: +SKIP
    ... def _(out, inputs, dim=1, **params):
    ...     return {n: tuple(-1 if k == dim else d for k, d in enumerate(out)) for n in inputs}
    """
    def decorate(rule: F) -> F:
        BACKWARD_SHAPE_RULES[name] = rule
        return rule

    return decorate


def input_shape_rule(name: str) -> Callable[[F], F]:
    """Register how operator `name` completes the shapes of inputs that are pending.

    >>> @input_shape_rule('FullyConnected')  # doctest: +SKIP
    ... def _(shapes, num_hidden, **params):
    ...     return {'weight': (num_hidden, shapes['data'][1]), 'bias': (num_hidden,)}
    """
    def decorate(rule: F) -> F:
        INPUT_SHAPE_RULES[name] = rule
        return rule

    return decorate


def _resolve(op: Operator, name: str, values: dict[str, Any]) -> Any:
    """The array for the pending input `name` of a call of `op` with these arguments."""
    pending = values[name]
    rule = INPUT_SHAPE_RULES.get(op.name)
    shapes = {n: tuple(values[n].shape) for n in op.inputs
              if isinstance(values.get(n), Array)}
    found = rule(shapes, **{p.name: values[p.name] for p in op.params}) if rule else {}
    if name not in found:
        raise DeferredInitializationError(
            f"{op.name} cannot infer the shape of its input {name!r} ({pending.describe()}) "
            f"from the others; give its full shape, or define infer_shape(self, x, *args) "
            f"on the block to set it")
    return pending.resolve(tuple(found[name]))


# ---- front-end functions --------------------------------------------------------------------


def make_function(op: Operator, public_name: str,
                  finish: Callable[[Any, tuple, Any], Any], array_type: str,
                  module: str, numbers: bool = False) -> Callable[..., Any]:
    """A front end's function for `op`: MXNet's signature (the inputs, the parameters, then
    `out=None, name=None`) as real Python parameters, and a generated docstring.
    An operator without parameters ignores any keywords, as MXNet's do.
    `finish(result, operands, out)` gives what the function returns (it writes `out=`); for
    a `fresh` operator called without `out=` the result is returned as it is. Inputs must
    be arrays (or Python numbers, with `numbers`, as MXNet's Python-level `maximum(x, 2)`).

    >>> exp = make_function(lookup('exp'), 'exp', finish, 'NDArray', 'm')  # doctest: +SKIP
    """
    namespace: dict[str, Any] = {"_impl": op.impl, "_finish": finish, "_REQUIRED": REQUIRED,
                                 "_missing": _missing, "_not_array": _not_array, "_op": op,
                                 "_Pending": PendingInput, "_resolve": _resolve,
                                 "_tape": tape, "_note": note_operator,
                                 "_Array": (Array, int, float, np.number) if numbers else Array}
    head, call, checks = [], [], []
    for pname, p in inspect.signature(op.impl).parameters.items():
        if pname not in op.inputs:
            break
        if p.kind is p.VAR_POSITIONAL:
            head.append(f"*{pname}")
            call.append(f"*{pname}")
            # (MXNet's variadic operators also take one list of arrays: concat([a, b]))
            checks.append(f"    for _a in ({pname}[0] if len({pname}) == 1 and "
                          f"isinstance({pname}[0], (list, tuple)) else {pname}):\n"
                          f"        if not isinstance(_a, _Array):\n"
                          f"            _not_array({public_name!r}, {pname!r}, _a, "
                          f"{array_type!r})")
            continue
        namespace[f"_d_{pname}"] = REQUIRED if p.default is p.empty else p.default
        head.append(f"{pname}=_d_{pname}")  # (MXNet's inputs are keywords with defaults)
        call.append(pname)
        if p.default is p.empty:
            checks.append(f"    if {pname} is _REQUIRED:\n"
                          f"        _missing({public_name!r}, {pname!r})")
        checks.append(f"    if not isinstance({pname}, _Array) and {pname} is not None:\n"
                      f"        if isinstance({pname}, _Pending):\n"
                      f"            {pname} = _resolve(_op, {pname!r}, locals())\n"
                      f"        else:\n"
                      f"            _not_array({public_name!r}, {pname!r}, {pname}, "
                      f"{array_type!r})")
    operands = f"({', '.join(call)},)" if call else "()"
    for param in op.params:
        namespace[f"_d_{param.name}"] = param.default
        head.append(f"{param.name}=_d_{param.name}")
        call.append(f"{param.name}={param.name}")
        if param.required:
            checks.append(f"    if {param.name} is _REQUIRED:\n"
                          f"        _missing({public_name!r}, {param.name!r})")
    extra = ["**_extra"] if op.open else []
    call += extra
    # MXNet's operators without parameters keep whatever keywords they are given, unread
    # (its own tests pass `axis=1` to broadcast_mul); those with parameters refuse them
    ignored = ["**_ignored"] if not op.params and not op.open else []
    head += ["out=None", "name=None"] + extra + ignored
    fast = [f"    if out is None:\n        return _impl({', '.join(call)})"] if op.fresh else []
    # (while recording, the call is noted for autograd.get_symbol: see history.py)
    given = "{" + ", ".join(f"{p.name!r}: {p.name}" for p in op.params) + "}"
    result = (f"_impl({', '.join(call)}) if out is None else " if op.fresh else "") + \
        f"_finish(_impl({', '.join(call)}), {operands}, out)"
    noted = [f"    if _tape.recording_threads:\n"
             f"        return _note(_op, {{**{given}{', **_extra' if op.open else ''}}}, "
             f"{operands}, {result})"]
    source = "\n".join([f"def {public_name}({', '.join(head)}):",
                        *checks, *noted, *fast,
                        f"    return _finish(_impl({', '.join(call)}), {operands}, out)"])
    exec(compile(source, f"<mxjit operator {op.name}>", "exec"), namespace)  # noqa: S102
    function = namespace[public_name]
    function.__module__ = module
    function.__qualname__ = public_name
    function.__doc__ = _docstring(op, array_type)
    annotations = {name: array_type for name in op.inputs}
    annotations.update({p.name: _annotation(p) for p in op.params})
    annotations.update({"out": f"{array_type} | None", "name": "str | None",
                        "return": array_type})
    function.__annotations__ = annotations
    return function  # type: ignore[no-any-return]


_ANNOTATIONS = {"int": "int", "float": "float", "bool": "bool", "str": "str",
                "dtype": "str | numpy.dtype", "shape": "tuple[int, ...]", "any": "Any"}


def _annotation(param: Param) -> str:
    kind = _ANNOTATIONS[param.kind]
    return f"{kind} | None" if param.default is None and kind != "Any" else kind


def _missing(function: str, param: str) -> None:
    raise ParamError(f"{function}: the argument {param!r} is required")


def _not_array(function: str, param: str, value: Any, array_type: str) -> None:
    hint = (f"; convert it first, e.g. mx.nd.array({param})"
            if isinstance(value, (list, tuple, np.ndarray)) else "")
    raise ArgumentError(f"{function}: {param} must be an array ({array_type}), got "
                        f"{type(value).__name__}{hint}")


def _docstring(op: Operator, array_type: str) -> str:
    lines = [op.doc, "", "Parameters", "----------"]
    for name in op.inputs:
        lines.append(f"{name} : {array_type}" + (" (any number)" if op.variadic else ""))
    for p in op.params:
        default = "required" if p.required else f"optional, default={p.default!r}"
        lines.append(f"{p.name} : {_annotation(p)}, {default}")
    lines += [f"out : {array_type}, optional",
              "    The array to write the result into (same shape and dtype).",
              "name : str, optional", "    Ignored (MXNet's name of the operator's node).",
              "", "Returns", "-------", array_type,
              "", f"(MXNet operator `{op.name}`"
              + (f", also {', '.join(a for a in op.aliases)}" if op.aliases else "") + ".)"]
    return "\n".join(lines)
