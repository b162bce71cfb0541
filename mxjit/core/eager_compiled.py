"""Composite operators run eagerly as one compiled program, as MXNet runs one kernel each.

An operator written over several primitives (`log_softmax`: a max, a subtraction, an exp,
a sum, a log) costs one eager dispatch per primitive, and while recording one tape record
each: 10-20 us apiece, 0.2 ms for a `log_softmax` of a small batch. An operator registered
with `compiled=True` runs, when all its inputs are concrete dense arrays (in host or device
memory), as a `jit` of its implementation with its parameters fixed: one program with its
primitives fused, recorded on the tape as one call whose gradient is part of the compiled
backward pass.

A signature (the parameters, the inputs' shapes and dtypes) compiles on its second call:
the first runs primitive by primitive, so a parameter or shape that changes on every call
(a temperature swept by a loop) never pays for a compilation it would use once. Both
paths compute the same primitives, so they agree to rounding (a fused float reduction
may add in another order).

    >>> run = CompiledEagerly(log_softmax_impl)  # doctest: +SKIP
    >>> run(x, axis=-1)  # doctest: +SKIP
"""
from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import context as _context
from .array import Array
from .jit import JitFunction

#: Signatures remembered per operator (seen, so compiled on the next call), and parameter
#: sets with a compiled function (each keeps its own signatures: `jit`'s cache), per
#: operator; the least recently used go first.
SIGNATURES_KEPT = 256
PARAMETER_SETS_KEPT = 16


class CompiledEagerly:
    """`impl(*arrays, **params)`, run as one compiled program per signature when the arrays
    are concrete dense arrays (see the module docstring); otherwise `impl` itself (a trace
    inlines it, sparse arrays run it primitive by primitive).

    >>> run = CompiledEagerly(lambda x, power=2: x ** power + 1)  # doctest: +SKIP
    """

    def __init__(self, impl: Callable[..., Any]) -> None:
        self.impl = impl
        #: signatures seen (the next call of one compiles), most recent last
        self.seen: OrderedDict[Any, None] = OrderedDict()
        #: a jitted `impl` per set of parameters, most recent last
        self.programs: OrderedDict[Any, JitFunction] = OrderedDict()
        functools.update_wrapper(self, impl)

    def __call__(self, *args: Any, **params: Any) -> Any:
        key: list[Any] = []
        arrays = []
        nones = []  # (optional inputs not given: part of the key)
        for k, a in enumerate(args):
            if a is None:
                nones.append(k)
                continue
            data: Any = a._data if isinstance(a, Array) else None
            if data is None or type(data) not in (np.ndarray, _context.active_array_type):
                return self.impl(*args, **params)
            arrays.append(a)
            key.append(data.shape)
            key.append(data.dtype)
        # (with each value's type: 1, 1.0 and True are equal keys but not equal arguments)
        statics = (tuple([(k, type(v), v) for k, v in params.items()]), tuple(nones))
        signature = (statics, *key)
        try:
            known = signature in self.seen
        except TypeError:  # (an unhashable parameter: no program can be keyed by it)
            return self.impl(*args, **params)
        _use(self.seen, signature, None, SIGNATURES_KEPT)
        if not known:
            return self.impl(*args, **params)
        compiled = self.programs.get(statics)
        if compiled is None:
            compiled = JitFunction(_bound(self.impl, params, statics[1], len(args)))
            compiled.__name__ = getattr(self.impl, "__name__", "operator")
        _use(self.programs, statics, compiled, PARAMETER_SETS_KEPT)
        return compiled(*arrays)


def _bound(impl: Callable[..., Any], params: dict[str, Any], nones: tuple[int, ...],
           n_args: int) -> Callable[..., Any]:
    """`impl` with its parameters given and None at the positions `nones` of its inputs:
    a function of the other inputs."""
    def run(*arrays: Any) -> Any:
        given = iter(arrays)
        return impl(*(None if k in nones else next(given) for k in range(n_args)), **params)

    return run


def _use(table: OrderedDict, key: Any, value: Any, kept: int) -> None:
    """Set `table[key]`, most recently used, and drop the least recent beyond `kept`."""
    table[key] = value
    table.move_to_end(key)
    if len(table) > kept:
        table.popitem(last=False)
