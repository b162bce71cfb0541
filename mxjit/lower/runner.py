"""A program as one straight-line Python function, for the programs that run again and again.

`Program.run`'s loop pays, for every step of every run, for what never changes between
runs: which kind of step it is, the list of its buffers, whether the kernel is large
enough for the thread pool. A training step runs a few dozen steps in four programs, and
that bookkeeping cost about as much as the small kernels themselves. The runner decides
all of it once and writes the steps out as Python source, buffers as local variables:

    def run(arrays):
        b0, b1, b2 = arrays
        b3 = alloc3(shape3, dtype3)
        k0(b0, b1, b3, 0, 32768)
        b4 = c_array(l1(b3, b2))
        return [b4]

A program is written out once it has run a few times (`runs_before_compiling`), and only
the CPU's plain path is written so: a program with loops (`CallStep`, whose steps
read and write a list of buffers) keeps the loop, as do runs watched step by step and
runs on a device.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from .memory import empty


def runs_before_compiling(n_steps: int) -> int:
    """How many runs of a program of `n_steps` steps go through `Program.run`'s loop before
    it is compiled: writing and compiling the source costs about what nine runs of the
    loop save (310 us against 34 us a run for ten steps, 37 us a step for thousands), and
    many programs run only a few times.

    >>> runs_before_compiling(10), runs_before_compiling(3000)
    (8, 195)
    """
    return 8 + n_steps // 16


def compile_runner(program: Any, kernel_step: type[Any], library_step: type[Any],
                   launch: Callable[..., None], apply_views: Callable[..., np.ndarray],
                   parallel_min_work: int) -> Callable[[list[np.ndarray]], list[Any]] | None:
    """`program` (a `Program` whose steps are kernel and library steps) as one function of
    its input arrays returning its outputs, as `Program.run` computes them; None when a
    step is of another kind.

    >>> run = compile_runner(p, KernelStep, LibraryStep, launch, views, 1 << 20)  # doctest: +SKIP
    >>> run([x, y]) == p.run([x, y])  # doctest: +SKIP
    """
    env: dict[str, Any] = {"c_array": partial(np.asarray, order="C"), "launch": launch,
                           "views": apply_views}
    n_in = len(program.inputs)
    lines = ["def run(arrays):"]
    if n_in:
        lines.append(f"    {''.join(f'b{k}, ' for k in range(n_in))}= arrays")
    for k, value in program.constants.items():
        env[f"c{k}"] = value
        lines.append(f"    b{k} = c{k}")
    for k, shape, dtype in program.allocations:
        env[f"alloc{k}"] = empty if k in program.pooled else np.empty
        env[f"shape{k}"], env[f"dtype{k}"] = shape, dtype
        lines.append(f"    b{k} = alloc{k}(shape{k}, dtype{k})")

    def operand(b: int, ops: list[Any], name: str) -> str:
        if not ops:
            return f"b{b}"
        env[name] = ops
        return f"views(b{b}, {name})"

    for i, step in enumerate(program.steps):
        if isinstance(step, kernel_step):
            if step.extent <= 0:
                continue
            env[f"k{i}"] = step.compiled.call
            args = "".join(f"b{a}, " for a in step.args)
            if step.work >= parallel_min_work:  # (the pool's turn: `launch` decides)
                lines.append(f"    launch(k{i}, [{args}], {step.extent}, {step.work}, "
                             f"{step.outer_split})")
            else:
                lines.append(f"    k{i}({args}0, {step.extent})")
        elif isinstance(step, library_step):
            env[f"l{i}"] = step.call if step.call is not None else partial(step.fn,
                                                                           **step.attrs)
            args = ", ".join(operand(b, ops, f"v{i}_{j}") for j, (b, ops) in
                             enumerate(step.args))
            lines.append(f"    b{step.out} = c_array(l{i}({args}))")
        else:
            return None
    outs = ", ".join(operand(b, ops, f"o{k}") for k, (b, ops) in
                     enumerate(program.output_ids))
    lines.append(f"    return [{outs}]")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), "<mxjit program>", "exec"), env, namespace)
    run = namespace["run"]
    if any(isinstance(s, library_step) for s in program.steps):
        # (library calls run with floating-point warnings off, as in the step loop: once
        # per run, as a decorator, which keeps its state per thread)
        run = np.errstate(all="ignore")(run)
    return run  # type: ignore[no-any-return]
