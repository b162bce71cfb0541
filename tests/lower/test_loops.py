"""The loops' steps in compiled programs (lower/loops.py) against the primitives' NumPy
meaning (trace/control.py): scan forward and reversed over strided operands, results that
alias operands, while_loop, cond, the body compiled once and kept, the plan listing, and the
backward scan reading the forward loop's saved stacks."""
from __future__ import annotations

import types

import numpy as np
import pytest

import mxjit  # noqa: F401  (defines every primitive)
from mxjit.base import ShapeError, UnsupportedError
from mxjit.lower import KERNELS, Layout, lower_graph
from mxjit.lower.loops import ScanStep, body_program
from mxjit.lower.program import CallStep
from mxjit.trace import apply, backward, const, full_like, ones_like, var
from mxjit.trace.control import (
    branch_index,
    cond_numpy,
    make_body,
    outer_nodes,
    run_body,
    scan_numpy,
    scan_saved,
    while_numpy,
)

F32 = np.dtype("float32")


def _rnn_body(hidden: int = 3):  # type: ignore[no-untyped-def]
    """h' = tanh(W h + x); y = h' * 2: carry h, xs x, constant W."""
    h, x, w = var((hidden,), F32), var((hidden,), F32), var((hidden, hidden), F32)
    dot = apply("dot_general", w, h, contract=((1,), (0,)), batch=((), ()))
    new = apply("tanh", apply("add", dot, x))
    return make_body([h, x, w], [new, apply("mul", new, full_like(new, 2))])


def _scan(body, operands, length, reverse=False, n_xs=1):  # type: ignore[no-untyped-def]
    attrs = dict(body=body, n_carry=1, n_xs=n_xs, length=length, reverse=reverse)
    return [apply("scan", *operands, index=i, **attrs) for i in range(len(body.outputs))], attrs


def _lower(outputs, inputs, arrays):  # type: ignore[no-untyped-def]
    program = lower_graph(outputs, inputs, [Layout.of(a) for a in arrays])
    return program, program.run(arrays)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_step_matches_numpy_over_strided_operands(reverse: bool) -> None:
    rng = np.random.default_rng(0)
    body = _rnn_body()
    h0 = rng.standard_normal(3).astype(F32)
    xs_t = rng.standard_normal((3, 6)).astype(F32)  # xs is its transpose: a strided view
    w = rng.standard_normal((3, 3)).astype(F32)
    vh, vx, vw = var((3,), F32), var((3, 6), F32), var((3, 3), F32)
    xs = apply("transpose", vx, perm=(1, 0))
    nodes, attrs = _scan(body, [vh, xs, vw], 6, reverse)
    program, got = _lower(nodes, [vh, vx, vw], [h0, xs_t, w])
    want = scan_numpy([h0, xs_t.T, w], **attrs, saved=False)
    for g, r in zip(got, want):
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-6)
    assert sum(isinstance(s, CallStep) for s in program.steps) == 1  # both results: one loop
    text = "\n".join(program.plan_text)
    assert f"scan {'reversed ' if reverse else ''}x6" in text and "its body:" in text


def test_results_that_alias_operands_are_copies() -> None:
    c, k = var((2,), F32), var((2,), F32)
    body = make_body([c, k], [c, k])  # the carry passes through; the output is the constant
    vc, vk = var((2,), F32), var((2,), F32)
    for length in (0, 3):
        nodes, _ = _scan(body, [vc, vk], length, n_xs=0)
        init, konst = np.ones(2, F32), np.full(2, 5, F32)
        _, (final, ys) = _lower(nodes, [vc, vk], [init, konst])
        assert final.tolist() == [1, 1] and ys.shape == (length, 2)
        assert not np.shares_memory(final, init)
        final[...] = 7
        assert init.tolist() == [1, 1]


def test_the_body_is_compiled_once_whatever_the_length() -> None:
    body = _rnn_body(hidden=5)
    outs = list(body.outputs)
    assert body_program(body, outs) is body_program(body, outs)  # kept
    compiled = KERNELS.compiles
    for length in (1, 10, 100):
        vh, vx, vw = var((5,), F32), var((length, 5), F32), var((5, 5), F32)
        nodes, _ = _scan(body, [vh, vx, vw], length)
        lower_graph(nodes, [vh, vx, vw], [Layout.contiguous(v.shape) for v in (vh, vx, vw)])
    assert KERNELS.compiles == compiled


def test_backward_scan_reads_the_forward_loops_saved_stacks() -> None:
    body = _rnn_body()
    vh, vx, vw = var((3,), F32), var((4, 3), F32), var((3, 3), F32)
    nodes, attrs = _scan(body, [vh, vx, vw], 4)
    loss = apply("reduce_sum", nodes[1], axes=(0, 1))
    grads = backward([loss], [ones_like(loss)], [vh, vx, vw])
    program, got = _lower(grads, [vh, vx, vw], [np.ones(3, F32), np.ones((4, 3), F32),
                                                 np.eye(3, dtype=F32) * 0.5])
    loops = [s for s in program.steps if isinstance(s, ScanStep)]
    assert [s.reverse for s in loops] == [False, True]  # one forward loop, one backward
    # its zero carries are made by the step: no kernel fills them
    assert "scan reversed x4 (fill, fill," in "\n".join(program.plan_text)
    assert not any("broadcast" in k.kernel.name for k in program.kernels)
    saved = scan_saved(body, 1, 1)
    assert body.inputs[0] in saved  # the carry each step starts from
    assert max(loops[0].indices) >= len(body.outputs)  # the forward loop stacks it


def test_while_and_cond_steps() -> None:
    c, lim = var((), F32), var((), F32)
    cond = make_body([c, lim], [apply("lt", c, lim)])
    step = make_body([c, lim], [apply("add", apply("mul", c, const(np.float32(2))),
                                       const(np.float32(1)))])
    vc, vl = var((), F32), var((), F32)
    node = apply("while_loop", vc, vl, cond=cond, body=step, n_carry=1, index=0)
    for start, limit in ((0.0, 100.0), (500.0, 100.0)):
        arrays = [np.asarray(start, F32), np.asarray(limit, F32)]
        _, (got,) = _lower([node], [vc, vl], arrays)
        assert got == while_numpy(arrays, cond=cond, body=step, n_carry=1)[0]
    x = var((2,), F32)
    branches = (make_body([x], [apply("neg", x)]), make_body([x], [apply("exp", x)]))
    vp, vx = var((), np.dtype(bool)), var((2,), F32)
    node = apply("cond", vp, vx, branches=branches, index=0)
    for p in (False, True):
        arrays = [np.asarray(p), np.array([0.0, 1.0], F32)]
        _, (got,) = _lower([node], [vp, vx], arrays)
        np.testing.assert_allclose(got, cond_numpy(arrays, branches=branches)[0], rtol=1e-6)
    assert [branch_index(v, 3) for v in (-2, 0, 1, 2, 9)] == [0, 0, 1, 2, 2]


def test_bodies_are_closed_and_named_by_position() -> None:
    x, w = var((2,), F32), var((2,), F32)
    y = apply("mul", x, w)
    assert outer_nodes([x], [y]) == [w]
    x2 = var((2,), F32)
    assert make_body([x, w], [y]) == make_body([x2, w], [apply("mul", x2, w)])
    with pytest.raises(AssertionError, match="reads a var it does not take"):
        make_body([x], [y])
    body = make_body([x, w], [y])
    assert run_body(body, [np.ones(2, F32), np.full(2, 3, F32)])[0].tolist() == [3, 3]


def test_shape_rules_check_the_body_signature() -> None:
    body = _rnn_body()
    with pytest.raises(ShapeError, match=r"operand 1 is float32\[4, 2\]; the body takes "
                                         r"float32\[4, 3\]"):
        _scan(body, [var((3,), F32), var((4, 2), F32), var((3, 3), F32)], 4)
    with pytest.raises(ShapeError, match="2 operands for a body of 3 inputs"):
        _scan(body, [var((3,), F32), var((4, 3), F32)], 4)
    x = var((2,), F32)
    branches = (make_body([x], [x]), make_body([x], [apply("reshape", x, shape=(2, 1))]))
    with pytest.raises(ShapeError, match="branch 1 gives"):
        apply("cond", var((), np.dtype(bool)), var((2,), F32), branches=branches, index=0)


def test_loops_refuse_gpu_arrays_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class DeviceArray(np.ndarray):
        pass

    ran = []
    backend = types.SimpleNamespace(array_type=DeviceArray, run=lambda *a: ran.append(a))
    monkeypatch.setattr(mxjit.context, "active_backend", backend)
    body = _rnn_body()
    vh, vx, vw = var((3,), F32), var((2, 3), F32), var((3, 3), F32)
    nodes, _ = _scan(body, [vh, vx, vw], 2)
    program = lower_graph(nodes, [vh, vx, vw], [Layout.contiguous(v.shape) for v in (vh, vx, vw)])
    arrays = [np.zeros(3, F32).view(DeviceArray), np.zeros((2, 3), F32), np.eye(3, dtype=F32)]
    with pytest.raises(UnsupportedError, match="run on the CPU only"):
        program.run(arrays)
    assert not ran
