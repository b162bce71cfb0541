"""A program run again and again runs as one generated Python function (lower/runner.py):
it computes what the step loop of `Program.run` computes, for kernels, library calls on
transposed views, constants, pooled and empty buffers, outputs that are views and kernels
large enough for the thread pool; programs with loops keep the step loop. A program is
compiled so once it has run a few times, more for a long one."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit  # noqa: F401  (defines every primitive)
from mxjit.lower import Layout, lower_graph
from mxjit.lower import program as program_module
from mxjit.lower.runner import compile_runner, runs_before_compiling
from mxjit.trace import apply, const, var
from mxjit.trace.control import make_body

F32 = np.dtype("float32")


def _compile(program):  # type: ignore[no-untyped-def]
    return compile_runner(program, program_module.KernelStep, program_module.LibraryStep,
                          program_module.launch, program_module._apply_views,
                          program_module.PARALLEL_MIN_WORK)


def _loop_run(program, arrays):  # type: ignore[no-untyped-def]
    """What the step loop computes (a fresh program object never compiles a runner)."""
    fresh = lower_graph(program.outputs, program.inputs, [Layout.of(a) for a in arrays])
    return fresh.run(arrays)


def _dense_program():  # type: ignore[no-untyped-def]
    """relu(x @ w.T + b) * 2, its transpose (a view output) and a constant output."""
    x, w, b = var((4, 5), F32), var((3, 5), F32), var((3,), F32)
    wt = apply("transpose", w, perm=(1, 0))
    dot = apply("dot_general", x, wt, contract=((1,), (0,)), batch=((), ()))
    y = apply("mul", apply("maximum", apply("add", dot, apply("broadcast_to", b, shape=(4, 3))),
                           const(np.zeros((4, 3), F32))), const(np.full((4, 3), 2, F32)))
    outputs = [y, apply("transpose", y, perm=(1, 0)), const(np.arange(3, dtype=F32))]
    return outputs, [x, w, b]


def test_the_runner_computes_what_the_step_loop_does() -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(F32) for s in ((4, 5), (3, 5), (3,))]
    outputs, inputs = _dense_program()
    program = lower_graph(outputs, inputs, [Layout.of(a) for a in arrays])
    run = _compile(program)
    assert run is not None
    got, want = run(arrays), _loop_run(program, arrays)
    assert len(got) == len(want) == 3
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    x, w, b = arrays
    np.testing.assert_allclose(got[0], np.maximum(x @ w.T + b, 0) * 2, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got[1], got[0].T)


def test_a_program_compiles_its_runner_on_a_later_run_and_keeps_it() -> None:
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(F32) for s in ((4, 5), (3, 5), (3,))]
    outputs, inputs = _dense_program()
    program = lower_graph(outputs, inputs, [Layout.of(a) for a in arrays])
    first = program.run(arrays)
    for _ in range(runs_before_compiling(len(program.steps)) - 2):
        program.run(arrays)
    assert program._runner is None  # (a program that runs a few times never pays for it)
    again = program.run(arrays)
    runner = program._runner
    assert runner is not None
    for g, w in zip(again, first):
        np.testing.assert_array_equal(g, w)
    # new values, the same compiled function
    arrays = [a + 1 for a in arrays]
    got = program.run(arrays)
    assert program._runner is runner
    for g, w in zip(got, _loop_run(program, arrays)):
        np.testing.assert_array_equal(g, w)


def test_each_run_writes_new_buffers() -> None:
    x = var((3,), F32)
    program = lower_graph([apply("exp", x)], [x], [Layout.contiguous((3,))])
    run = _compile(program)
    a, b = run([np.zeros(3, F32)]), run([np.ones(3, F32)])
    assert a[0].tolist() == [1, 1, 1] and not np.shares_memory(a[0], b[0])


def test_empty_kernels_are_skipped_and_empty_results_made() -> None:
    x = var((0, 4), F32)
    program = lower_graph([apply("exp", x), apply("neg", x)], [x], [Layout.contiguous((0, 4))])
    got = _compile(program)([np.zeros((0, 4), F32)])
    assert [g.shape for g in got] == [(0, 4), (0, 4)]


def test_a_kernel_large_enough_for_the_pool_goes_through_launch(monkeypatch) -> None:
    n = program_module.PARALLEL_MIN_WORK + 3
    x = var((n,), F32)
    program = lower_graph([apply("add", x, x)], [x], [Layout.contiguous((n,))])
    calls = []

    def counting(fn, ptrs, extent, work, outer_split=True):  # type: ignore[no-untyped-def]
        calls.append(extent)
        program_module.launch(fn, ptrs, extent, work, outer_split)

    run = compile_runner(program, program_module.KernelStep, program_module.LibraryStep,
                         counting, program_module._apply_views,
                         program_module.PARALLEL_MIN_WORK)
    data = np.arange(n, dtype=F32)
    (got,) = run([data])
    assert calls == [n]
    np.testing.assert_array_equal(got, data * 2)


def test_a_program_with_a_loop_keeps_the_step_loop() -> None:
    c, k = var((2,), F32), var((2,), F32)
    body = make_body([c, k], [apply("add", c, k)])
    vc, vk = var((2,), F32), var((2,), F32)
    scan = apply("scan", vc, vk, index=0, body=body, n_carry=1, n_xs=0, length=3,
                 reverse=False)
    arrays = [np.zeros(2, F32), np.ones(2, F32)]
    program = lower_graph([scan], [vc, vk], [Layout.of(a) for a in arrays])
    assert _compile(program) is None
    for _ in range(runs_before_compiling(len(program.steps)) + 2):
        (got,) = program.run(arrays)
        assert got.tolist() == [3, 3]
    assert program._runner is None


@pytest.mark.parametrize("count", [1, 3])
def test_a_runner_refuses_the_wrong_number_of_inputs(count: int) -> None:
    x, y = var((2,), F32), var((2,), F32)
    program = lower_graph([apply("add", x, y)], [x, y], [Layout.contiguous((2,))] * 2)
    with pytest.raises(ValueError):
        _compile(program)([np.zeros(2, F32)] * count)


def test_a_long_program_runs_longer_in_the_loop_before_it_is_compiled() -> None:
    assert runs_before_compiling(1) >= 2  # (one run never compiles)
    assert runs_before_compiling(3000) > runs_before_compiling(10)
