"""`mx.lax`: structured control flow, named after JAX's `jax.lax` (same names, signatures
and semantics), so JAX users find it where they expect it.

Loops and branches here are graph operations, not unrolled Python: a body is traced once,
compiled once and run as a loop in the compiled program, so a 1,000-step `scan` compiles
what one step compiles. Gradients flow through `scan` and `fori_loop` (with int bounds) and
`cond`/`switch`; `while_loop`, whose number of steps is known only when it runs, is
forward-only (as in JAX). They work eagerly, under `mx.jit`, `mx.grad`, `mx.vmap` and
`mx.autograd.record()`. MXNet's own `mx.nd.contrib.foreach`, `while_loop` and `cond` are
built on them.

    >>> import mxjit as mx
    >>> h, hs = mx.lax.scan(lambda h, x: (mx.nd.tanh(h + x), h), mx.nd.zeros(3),
    ...                     mx.nd.ones((10, 3)))  # doctest: +SKIP
"""
from .core.loops import cond, fori_loop, scan, switch, while_loop

__all__ = ["scan", "fori_loop", "while_loop", "cond", "switch"]
