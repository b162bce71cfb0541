"""`mx.random`: the global seed, and keys for counter-based (Philox-4x32-10) random streams.

Every draw takes a fresh 64-bit key derived from the seed and a draw counter; the bits
themselves come from the `random_bits` primitive (Philox over the element index), so a
seed reproduces the same numbers eagerly, inside `jit`, and on any device. Inside a trace
a draw becomes an input of the program that gets a new key on every call.
"""
from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .trace.generators import philox_numpy

_lock = threading.Lock()
_state: dict[str, Any] = {"key": np.array([0, 0], np.uint32), "counter": 0}


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Seed the global random streams (all contexts share them).

    >>> mx.random.seed(42)  # doctest: +SKIP
    """
    value = int(seed_state) & 0xFFFFFFFFFFFFFFFF
    with _lock:
        _state["key"] = np.array([value & 0xFFFFFFFF, value >> 32], np.uint32)
        _state["counter"] = 0


def next_key_value() -> np.ndarray:
    """The key of the next draw: Philox of the seed key at the draw counter."""
    with _lock:
        _state["counter"] += 1
        counter = _state["counter"]
        key = _state["key"]
    return philox_numpy(key, np.array([2 * counter, 2 * counter + 1], np.uint64))


def next_key() -> Any:
    """The key of the next draw as an NDArray (a program input when tracing)."""
    from .nd.ndarray import NDArray
    from .trace.tracer import current_trace, random_key_input

    if current_trace() is not None:
        return NDArray._traced(random_key_input())
    return NDArray._wrap(next_key_value())


# MXNet's mx.random.* samplers are mx.nd.random's (imported last: nd.random draws keys here).
from .nd.random import (  # noqa: E402
    exponential,
    gamma,
    generalized_negative_binomial,
    multinomial,
    negative_binomial,
    normal,
    poisson,
    randint,
    randn,
    shuffle,
    uniform,
)

__all__ = ["seed", "next_key", "next_key_value", "uniform", "normal", "randn", "poisson",
           "exponential", "gamma", "multinomial", "negative_binomial",
           "generalized_negative_binomial", "shuffle", "randint"]
