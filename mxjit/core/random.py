"""Random keys for counter-based (Philox-4x32-10) streams, and eager random bits.

Every draw takes a fresh 64-bit key derived from the seed and a draw counter; the bits
themselves are the `random_bits` primitive (Philox over the element index), so a seed
reproduces the same numbers eagerly, inside `jit`, and on any device. Inside a trace a
draw's key becomes an input of the program that gets a new value on every call.
"""
from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ..context import after_fork_in_child, process_lock
from ..lower import PARALLEL_MIN_WORK, KernelStep, Layout, launch, lower_graph
from ..trace import apply, var
from ..trace.generators import philox_numpy
from .array import default_array_class
from .trace_state import current_trace, random_key_input

_lock = process_lock()
_state: dict[str, Any] = {"key": np.array([0, 0], np.uint32), "counter": 0}


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Seed the global random streams (all contexts share them).

    >>> mx.random.seed(42)  # doctest: +SKIP
    """
    value = int(seed_state) & 0xFFFFFFFFFFFFFFFF
    with _lock:
        _state["key"] = np.array([value & 0xFFFFFFFF, value >> 32], np.uint32)
        _state["counter"] = 0


def _fork_stream() -> None:
    """In a forked child: a stream of its own, so worker processes (a DataLoader's) do not
    all draw their parent's next numbers (Python's `random` reseeds at fork the same way)."""
    pid = os.getpid()
    _state["key"] = philox_numpy(_state["key"], np.array([2 * pid + (1 << 62), 2 * pid + 1 +
                                                          (1 << 62)], np.uint64))


after_fork_in_child(_fork_stream)


def next_key_value() -> np.ndarray:
    """The key of the next draw: Philox of the seed key at the draw counter.

    >>> next_key_value().shape
    (2,)
    """
    with _lock:
        _state["counter"] += 1
        counter = _state["counter"]
        key = _state["key"]
    return philox_numpy(key, np.array([2 * counter, 2 * counter + 1], np.uint64))


def next_key() -> Any:
    """The key of the next draw as an array (a program input when tracing)."""
    if current_trace() is not None:
        return default_array_class()._traced(random_key_input())
    return default_array_class()._wrap(next_key_value())


#: Eager bits come from one `random_bits` kernel compiled for a nominal flat length and run
#: over the elements needed: a new shape does not compile a new (costly) Philox kernel. The
#: values are those of `random_bits(key, shape)`: Philox of the flat element index.
NOMINAL_LENGTH = 1 << 20
_bits_kernel: list[Any] = []


def eager_bits(key: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """`random_bits(key, shape)` computed now, by a kernel that serves every shape.

    >>> eager_bits(np.array([1, 2], np.uint32), (2, 3)).dtype
    dtype('uint32')
    """
    n = int(math.prod(shape))
    key = np.ascontiguousarray(key, np.uint32)
    if not _bits_kernel:
        k = var((2,), np.dtype(np.uint32))
        node = apply("random_bits", k, shape=(NOMINAL_LENGTH,))
        program = lower_graph([node], [k], [Layout.contiguous((2,))])
        step = program.steps[0] if len(program.steps) == 1 else None
        flat = (isinstance(step, KernelStep) and step.extent == NOMINAL_LENGTH
                and not program.constants)
        _bits_kernel.append(step.compiled.call if flat else None)  # type: ignore[union-attr]
    call = _bits_kernel[0]
    if call is None or n > NOMINAL_LENGTH * 4096:
        return philox_numpy(key, np.arange(n, dtype=np.uint64)).reshape(shape)
    out = np.empty(n, np.uint32)
    if n:
        if n < PARALLEL_MIN_WORK:
            call(key, out, 0, n)
        else:
            launch(call, [key, out], n, n)
    return out.reshape(shape)
