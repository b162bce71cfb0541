"""`autograd.Function`: a function with a hand-written backward (MXNet's), compiled.

A call traces the user's `forward` and `backward` once per class, instance attributes and
input signature into one `custom_vjp` under `jit`: the forward is one compiled program (its
ops fused), recorded as one call, and a backward pass differentiates it with the user's
`backward` inside the tape's compiled backward program, as it does a built-in operator.
Python code in `forward` and `backward` therefore runs when they are traced, not on every
call, as in a hybridized block.

A Function that cannot be traced runs eagerly, as MXNet runs every Function, recorded as
one host call (`trace/host.py`) whose `backward` runs once per backward pass: one whose
code needs values (`asnumpy()`, a Python `if` on an array) or writes into arrays, that
keeps arrays on `self` other than through `save_for_backward`, whose attributes are arrays
or cannot be compared, or whose class sets `traced = False`; and a class's attribute
values beyond the first `FORMS_PER_CLASS` (so that an attribute changing on every call
does not compile on every call). Both methods are traced (on
abstract values) before the first compiled call of a signature, so such a Function is
found then; the decision is kept per class, attributes and signature.

    >>> class Sigmoid(mx.autograd.Function):  # doctest: +SKIP
    ...     def forward(self, x):
    ...         y = 1 / (1 + mx.nd.exp(-x)); self.save_for_backward(y); return y
    ...     def backward(self, dy):
    ...         y, = self.saved_tensors; return dy * y * (1 - y)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..base import AutogradError, UnsupportedError
from ..trace import backward as backward_graph
from ..trace import var
from . import tape
from .array import Array
from .custom import custom_vjp
from .jit import JitFunction, jit
from .trace_state import TraceState, trace_stack

#: Attributes of the Function machinery itself, not the user's.
_OWN = frozenset({"_saved", "_array_class"})


class Function:
    """A function with a hand-written backward (MXNet's `autograd.Function`): see the
    module docstring for how it is compiled, and when it runs eagerly instead.

    >>> class Sigmoid(mx.autograd.Function):  # doctest: +SKIP
    ...     def forward(self, x):
    ...         y = 1 / (1 + mx.nd.exp(-x)); self.save_for_backward(y); return y
    ...     def backward(self, dy):
    ...         y, = self.saved_tensors; return dy * y * (1 - y)
    """

    #: False: run `forward` and `backward` eagerly on every call (their Python side
    #: effects too), as MXNet does, instead of compiling them.
    traced: bool = True

    def __init__(self) -> None:
        self._saved: tuple = ()
        self._array_class: Any = None  # (the class of the arrays it was called with)

    def save_for_backward(self, *args: Any) -> None:
        self._saved = args

    @property
    def saved_tensors(self) -> tuple:
        return self._saved

    def forward(self, *inputs: Any) -> Any:
        raise UnsupportedError(f"{type(self).__name__} must define forward()")

    def backward(self, *output_grads: Any) -> Any:
        raise UnsupportedError(f"{type(self).__name__} must define backward()")

    def __call__(self, *inputs: Any) -> Any:
        form = _compiled_form(self, inputs)
        if form is not None:
            return form.fn(*inputs)
        recording = tape.is_recording()
        with tape.pause(train_mode=tape.is_training()):
            outputs = self.forward(*inputs)
        outs = tape.as_list(outputs)
        self._array_class = outs[0]._result_class
        if recording:
            tape.record_host(outs, _FunctionHost(self), inputs, (type(self), len(inputs)))
        return outputs


class _Traced:
    """A Function class's compiled form for one set of attribute values: `jit` of a
    `custom_vjp` whose rules call a template instance's (the first one called) `forward`
    and `backward`; `checked` and `eager` hold the signatures whose tracing did or did not
    succeed."""

    def __init__(self, template: Function):
        self.template = template
        self.checked: set[Any] = set()
        self.eager: set[Any] = set()
        self.n_inputs = 0

        def run(*inputs: Any) -> Any:
            return self.forward(*inputs)[0]

        vjp = custom_vjp(run)
        vjp.defvjp(self.forward, self.backward)
        self.fn: JitFunction = jit(vjp)
        self.fn.__name__ = f"{type(template).__name__} (an autograd.Function)"

    def forward(self, *inputs: Any) -> tuple[Any, tuple]:
        fn = self.template
        fn._saved = ()
        outputs = fn.forward(*inputs)
        stored = [k for k, v in vars(fn).items() if k not in _OWN and _holds_array(v)]
        if stored:
            raise AutogradError(f"{type(fn).__name__}.forward keeps arrays on self "
                                f"({', '.join(stored)}): it runs eagerly")
        self.n_inputs = len(inputs)
        return outputs, tuple(fn._saved)

    def backward(self, saved: tuple, cotangents: Any) -> tuple:
        fn = self.template
        fn._saved = saved
        grads = tape.as_list(fn.backward(*tape.as_list(cotangents)))
        _check_count(fn, grads, self.n_inputs)
        return tuple(grads)

    def traces(self, inputs: tuple) -> bool:
        """Whether `forward` and `backward` trace for inputs of these classes, shapes and
        dtypes in this mode (found once for each, on abstract values)."""
        signature = (tape.is_training(), *((type(x), x.shape, x._dtype) for x in inputs))
        if signature in self.checked:
            return True
        if signature in self.eager:
            return False
        state = TraceState()
        stack = trace_stack()
        stack.append(state)
        try:
            with tape.pause(train_mode=tape.is_training()):
                traced = [x._result_class._traced(var(x.shape, x._dtype)) for x in inputs]
                outs = [o for o in tape.as_list(self.fn(*traced)) if isinstance(o, Array)]
                heads = [(o._node, o) for o in outs if o._dtype.kind == "f"
                         and o._node is not None]
                backward_graph([n for n, _ in heads], [var(o.shape, o._dtype) for _, o in heads],
                               [x._node for x in traced])
        except Exception:  # (anything that stops a trace: the eager path says it plainly)
            self.eager.add(signature)
            return False
        finally:
            stack.pop()
        self.checked.add(signature)
        return True


class _FunctionHost:
    """An eagerly run `autograd.Function` call as a host function (`trace/host.py`)."""

    def __init__(self, fn: Function):
        self.fn = fn
        self.name = f"{type(fn).__name__} (an autograd.Function)"

    def forward(self, operands: Sequence[np.ndarray]) -> list[np.ndarray]:
        cls = self.fn._array_class
        with tape.pause():
            outs = tape.as_list(self.fn.forward(*(cls._wrap(a) for a in operands)))
        return [o._buffer() for o in outs]

    def backward(self, operands: Sequence[np.ndarray], results: Sequence[np.ndarray],
                 cotangents: Sequence[np.ndarray], wanted: Sequence[int]) -> list[Any]:
        cls = self.fn._array_class
        with tape.pause():
            grads = tape.as_list(self.fn.backward(*(cls._wrap(c) for c in cotangents)))
        _check_count(self.fn, grads, len(operands))
        return [None if g is None else g._buffer() for g in grads]


#: Compiled forms by (class, attribute values).
_FORMS: dict[Any, _Traced] = {}
#: At most this many attribute values of one class are compiled; others run eagerly (an
#: attribute that changes every call, a schedule's scale, would compile every call).
FORMS_PER_CLASS = 8
_form_counts: dict[type, int] = {}


def _compiled_form(fn: Function, inputs: tuple) -> _Traced | None:
    """The compiled form to call `fn` on `inputs` through, or None to run it eagerly."""
    if not type(fn).traced or not inputs or not all(isinstance(x, Array) for x in inputs):
        return None
    key = _attributes_key(fn)
    if key is None:
        return None
    form = _FORMS.get(key)
    if form is None:
        count = _form_counts.get(type(fn), 0)
        if count >= FORMS_PER_CLASS:
            return None
        _form_counts[type(fn)] = count + 1
        form = _FORMS[key] = _Traced(fn)
    if any(x._node is not None for x in inputs):  # (inside a trace: inlined, or it fails)
        return form
    return form if form.traces(inputs) else None


def _attributes_key(fn: Function) -> Any:
    """(class, the user's attributes) when they are all hashable values that are not
    arrays, else None."""
    attributes = vars(fn)
    if _OWN.issuperset(attributes):  # (the common case: no attributes of the user's)
        return type(fn)
    items = tuple(sorted((k, v) for k, v in attributes.items() if k not in _OWN))
    if any(_holds_array(v) for _, v in items):
        return None
    try:
        hash(items)
    except TypeError:
        return None
    return type(fn), items


def _holds_array(value: Any) -> bool:
    if isinstance(value, (Array, np.ndarray)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_array(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_array(v) for v in value.values())
    return False


def _check_count(fn: Function, grads: list[Any], inputs: int) -> None:
    if len(grads) != inputs:
        raise AutogradError(f"{type(fn).__name__}.backward returned {len(grads)} gradients "
                            f"for {inputs} inputs")
