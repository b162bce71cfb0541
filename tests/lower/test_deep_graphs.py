"""Deep graphs: no walk of tracing, simplification, fusion, emission, gradients or rendering
recurses per node, so chains far deeper than Python's recursion limit compile and run.

Each test runs under a recursion limit a little above the depth it starts at
(`shallow_stack`), so a walk that still recurses per node fails at once, at a depth of a
hundred or two, rather than only past Python's default of 1000.
"""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import numpy as np
import pytest

import mxjit as mx
from mxjit.lower import CompiledKernel, chain, fuse, lower_graph, program
from mxjit.lower import index as ix
from mxjit.lower.cuda import cuda_symbol, render_cuda
from mxjit.lower.emit import Layout
from mxjit.lower.fuse import MAX_KERNEL_BUFFERS, MAX_KERNEL_NODES
from mxjit.lower.kernel import Kernel, KernelChain, walk
from mxjit.lower.llvm import render_llvm
from mxjit.trace import apply, backward, const, format_graph, ones_like, substitute, toposort, var
from mxjit.trace.grad import residuals

nd = mx.nd
F32 = np.dtype(np.float32)
#: Frames a test may use above where it starts: enough for every call chain of the
#: package, far too few for a walk that recurses once per node.
HEADROOM = 150


def _depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


@contextlib.contextmanager
def shallow_stack(headroom: int = HEADROOM) -> Iterator[None]:
    """Lower the recursion limit to the current depth plus `headroom` frames."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(_depth() + headroom)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_shallow_stack_catches_recursion():
    def down(k: int) -> int:
        return 0 if k == 0 else 1 + down(k - 1)

    with shallow_stack(), pytest.raises(RecursionError):
        down(2 * HEADROOM)


# ---- jit of long elementwise chains ------------------------------------------------------


def _affine_chain(x, steps: int):
    for _ in range(steps):
        x = x * 0.999 + 0.1
    return x


def _numpy_affine_chain(x: np.ndarray, steps: int) -> np.ndarray:
    x = x.astype(np.float64)
    for _ in range(steps):
        x = x * 0.999 + 0.1
    return x


@pytest.mark.parametrize("steps", [2_000, 10_000])
def test_long_elementwise_chain(steps):
    x = np.linspace(-3, 3, 37, dtype=np.float32)
    f = mx.jit(lambda v: _affine_chain(v, steps))
    with shallow_stack():
        lowered = f.lower(nd.array(x))
        got = f(nd.array(x)).asnumpy()
    np.testing.assert_allclose(got, _numpy_affine_chain(x, steps), rtol=1e-4)
    # cut into kernels of at most MAX_KERNEL_NODES nodes (the loop vectoriser's time grows
    # with the square of a loop body), and no more kernels than that needs
    pieces = -(-2 * steps // MAX_KERNEL_NODES)
    assert pieces <= len(lowered.kernels) <= 2 * pieces


def test_the_failing_case_of_issue_12_compiles():
    """164 steps of x * 1.001 + 0.1 used to raise RecursionError from lower/emit.py."""
    x = np.ones(16, np.float32)

    def f(v):
        for _ in range(200):
            v = v * 1.001 + 0.1
        return v

    with shallow_stack():
        got = mx.jit(f)(nd.array(x)).asnumpy()
    want = x.astype(np.float64)
    for _ in range(200):
        want = want * 1.001 + 0.1
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_a_long_chain_of_softmaxes():
    x = np.random.default_rng(0).standard_normal((8, 33)).astype(np.float32)

    def f(v):
        for _ in range(300):
            v = nd.softmax(v * 3, axis=-1)
        return v

    with shallow_stack():
        got = mx.jit(f)(nd.array(x)).asnumpy()
    v = x.astype(np.float64)
    for _ in range(300):
        e = np.exp(3 * v - (3 * v).max(axis=-1, keepdims=True))
        v = e / e.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(got, v, rtol=1e-4, atol=1e-7)


def test_a_sum_of_many_inputs_reads_a_bounded_number_of_buffers():
    n = 3 * MAX_KERNEL_BUFFERS
    xs = [np.full(5, k, np.float32) for k in range(n)]
    f = mx.jit(lambda *vs: sum(vs[1:], vs[0]))
    with shallow_stack():
        lowered = f.lower(*xs)
        got = f(*xs).asnumpy()
    np.testing.assert_allclose(got, np.full(5, n * (n - 1) / 2))
    assert all(len(s.compiled.kernel.buffers) <= MAX_KERNEL_BUFFERS + 1
               for s in lowered.program.steps)


def test_a_long_chain_of_transposes_and_reshapes():
    """Each step composes the index map with a permutation that does not simplify: index
    forms nest as deep as the kernel's movements."""
    x = np.arange(24, dtype=np.float32).reshape(6, 4)

    def f(v):
        y = v
        for _ in range(300):
            y = y.T.reshape((6, 4)) + v
        return y

    with shallow_stack():
        got = mx.jit(f)(nd.array(x)).asnumpy()
    want = x.astype(np.float64)
    for _ in range(300):
        want = want.T.reshape(6, 4) + x
    np.testing.assert_allclose(got, want, rtol=1e-6)


def _nested_form(depth: int, dims: dict[int, int]) -> ix.Lin:
    """The index of a (6, 4) array after `depth` transposes-and-reshapes, over one loop."""
    i = ix.var(0)
    for _ in range(depth):
        i = ix.add(ix.scale(ix.mod(i, 6, dims), 4), ix.mod(ix.floordiv(i, 6, dims), 4, dims))
    return i


def test_index_forms_nested_thousands_deep():
    dims = {0: 24}
    with shallow_stack():
        a, b = _nested_form(3_000, dims), _nested_form(3_000, dims)
        assert a is not b and a == b and hash(a) == hash(b)
        assert a != _nested_form(2_999, dims)
        assert len(repr(a)) <= 2 * ix.KEY_TEXT
        assert ix.value_range(a, dims) == (0, 23)
        assert ix.to_expr(a) is ix.to_expr(b)


# ---- gradients of long recurrences ---------------------------------------------------------


def _tanh_recurrence(w, x, steps: int):
    h = x
    for _ in range(steps):
        h = nd.tanh(h * w + x)
    return h.sum()


def _numpy_tanh_recurrence_grad(w: np.ndarray, x: np.ndarray, steps: int
                                ) -> tuple[np.ndarray, np.ndarray]:
    """d/dw and d/dx of sum(h_steps), h_0 = x, h_k = tanh(h_{k-1} * w + x), in float64."""
    w, x = w.astype(np.float64), x.astype(np.float64)
    hs = [x]
    for _ in range(steps):
        hs.append(np.tanh(hs[-1] * w + x))
    g = np.ones_like(x)
    dw, dx = np.zeros_like(w), np.zeros_like(x)
    for k in range(steps, 0, -1):
        gz = g * (1 - hs[k] ** 2)  # through tanh
        dw += gz * hs[k - 1]
        dx += gz
        g = gz * w  # to h_{k-1}
    return dw, dx + g  # (h_0 is x)


def test_jit_grad_of_a_long_tanh_recurrence():
    steps = 2_000
    rng = np.random.default_rng(1)
    w = rng.uniform(-1.5, 1.5, 8).astype(np.float32)
    x = rng.uniform(-1, 1, 8).astype(np.float32)
    f = mx.jit(mx.grad(lambda w_, x_: _tanh_recurrence(w_, x_, steps), argnums=(0, 1)))
    with shallow_stack():
        dw, dx = f(nd.array(w), nd.array(x))
    want_dw, want_dx = _numpy_tanh_recurrence_grad(w, x, steps)
    np.testing.assert_allclose(dw.asnumpy(), want_dw, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(dx.asnumpy(), want_dx, rtol=1e-3, atol=1e-5)


def test_eager_autograd_of_a_long_tanh_recurrence_matches_jit_grad():
    rng = np.random.default_rng(2)
    w = nd.array(rng.uniform(-1.5, 1.5, 8).astype(np.float32))
    x = nd.array(rng.uniform(-1, 1, 8).astype(np.float32))
    w.attach_grad()
    with shallow_stack():
        with mx.autograd.record():
            loss = _tanh_recurrence(w, x, 500)
        loss.backward()
        dw = mx.jit(mx.grad(lambda w_, x_: _tanh_recurrence(w_, x_, 500)))(w, x)
    np.testing.assert_allclose(w.grad.asnumpy(), dw.asnumpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("depth", [20_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_eager_autograd_tape_of_depth(depth):
    x = nd.array(np.linspace(0.5, 2, 6, dtype=np.float32))
    x.attach_grad()
    with shallow_stack():
        with mx.autograd.record():
            y = x
            for _ in range(depth):
                y = y * 1.0001
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.full(6, 1.0001 ** depth), rtol=2e-3)
    np.testing.assert_allclose(y.asnumpy(), x.asnumpy() * 1.0001 ** depth, rtol=2e-3)


# ---- control flow -------------------------------------------------------------------------


def _counted_loop(i, s, limit: int):
    return nd.contrib.while_loop(lambda i_, s_: i_ < limit,
                                 lambda i_, s_: ([s_ * 2], [i_ + 1, s_ * 1.001 + 0.1]),
                                 [i, s], max_iterations=limit)


def test_while_loop_of_500_iterations_under_jit():
    i = nd.array([0.0])
    s = nd.array(np.linspace(-1, 1, 5, dtype=np.float32))
    with shallow_stack():
        (outs,), (i_end, s_end) = mx.jit(lambda i_, s_: _counted_loop(i_, s_, 500))(i, s)
    (want_outs,), (want_i, want_s) = _counted_loop(i, s, 500)
    assert outs.shape == (500, 5)
    np.testing.assert_allclose(i_end.asnumpy(), want_i.asnumpy())
    np.testing.assert_allclose(s_end.asnumpy(), want_s.asnumpy(), rtol=1e-5)
    np.testing.assert_allclose(outs.asnumpy(), want_outs.asnumpy(), rtol=1e-5, atol=1e-6)


# ---- the walks themselves, on graphs far deeper than any recursion limit -------------------


def _deep_graph(steps: int, unary: str = "tanh", shape: tuple[int, ...] = (4, 3)
                ) -> tuple[object, object]:
    """x, and y after `steps` steps of y = unary(y * x + c)."""
    x = var(shape, F32)
    y = x
    for k in range(steps):
        c = apply("broadcast_to", const(np.float32(k % 7)), shape=x.shape)
        y = apply(unary, apply("add", apply("mul", y, x), c))
    return x, y


def test_graph_walks_of_a_deep_graph():
    steps = 10_000
    with shallow_stack():
        x, y = _deep_graph(steps)
        order = toposort([y])
        assert order[0] is x and order[-1] is y and len(order) > 2 * steps
        x2 = var((4, 3), F32)
        (y2,) = substitute([y], {x: x2})
        assert y2 is not y and toposort([y2])[0] is x2
        text = format_graph([y], [x])
        assert text.count("\n") == len(order)
        loss = apply("reduce_sum", y, axes=(0, 1))
        (g,) = backward([loss], [ones_like(loss)], [x])
        assert g.shape == x.shape
        kept = residuals([y], [x])
        assert sum(n.op == "tanh" for n in kept) == steps - 1  # (y is at hand)


def _kernels_of(outputs: list, inputs: list) -> list[Kernel]:
    """The kernel descriptions a graph lowers to, compiled by no backend."""
    found: list[Kernel] = []

    def keep(kernel: Kernel) -> Kernel:
        found.append(kernel)
        return kernel

    lower_graph(outputs, inputs, [Layout.contiguous(i.shape) for i in inputs], compile=keep)
    return found


@pytest.fixture
def unbounded_kernels(monkeypatch):
    """Fuse without the bound on kernel size, so that one kernel's expressions are as deep
    as the graph."""
    monkeypatch.setattr(fuse, "MAX_KERNEL_NODES", 10 ** 9)
    monkeypatch.setattr(chain, "MAX_KERNEL_NODES", 10 ** 9)


def test_graphs_are_cut_into_kernels_of_bounded_size():
    with shallow_stack():
        x, y = _deep_graph(2_000)
        kernels = _kernels_of([y], [x])
    assert len(kernels) >= 3 * 2_000 // MAX_KERNEL_NODES
    for k in kernels:
        assert sum(e.op == "tanh" for e in walk([k.stores[0].value])) <= MAX_KERNEL_NODES


def test_kernel_key_and_renderings_of_a_deep_kernel(unbounded_kernels):
    steps = 2_000
    with shallow_stack():
        x, y = _deep_graph(steps)
        (kernel,) = _kernels_of([y], [x])
        assert kernel.key_text().count("tanh") == steps
        assert kernel.key() == _kernels_of([y], [x])[0].key()
        cuda = render_cuda(kernel, cuda_symbol(kernel))
        assert cuda.count("tanh") >= steps
        ir = render_llvm(kernel, "deep")
        assert ir.count("define ") == 2


def test_cuda_rendering_of_a_deep_reduction_and_its_gradient(unbounded_kernels):
    steps = 2_000  # (of cheap ops: a chain of expensive ones would be materialised)
    with shallow_stack():
        x, y = _deep_graph(steps, "abs")
        loss = apply("reduce_sum", y, axes=(1,))
        (g,) = backward([loss], [ones_like(loss)], [x])
        kernels = _kernels_of([loss, g], [x])
        sources = [render_cuda(k, cuda_symbol(k)) for k in kernels]
    assert len(kernels) == 2
    assert all(s.count("fabs") >= steps for s in sources)


def _never_called(*args: object) -> None:
    raise AssertionError("an uncompiled kernel ran")


class _NotCompiled:
    """Stands for the kernel cache: the CPU plan (row chains included), nothing compiled."""

    def get(self, kernel: Kernel | KernelChain) -> CompiledKernel:
        return CompiledKernel(kernel, "unused", _never_called, _never_called,  # type: ignore
                              False)


def test_row_chain_of_kernels_with_a_deep_prologue(unbounded_kernels, monkeypatch):
    """Softmax's three kernels, each evaluating a deep chain, run row by row as one: the
    chain rewrites the loads of its scratch buffers throughout their expressions."""
    monkeypatch.setattr(program, "KERNELS", _NotCompiled())
    steps = 2_000
    with shallow_stack():
        x, y = _deep_graph(steps, "abs", (4, 8))  # (rows of 8: chains take no shorter)
        m = apply("reduce_max", y, axes=(1,))
        e = apply("exp", apply("sub", y, apply("broadcast_to", apply(
            "reshape", m, shape=(4, 1)), shape=(4, 8))))
        s = apply("reduce_sum", e, axes=(1,))
        out = apply("div", e, apply("broadcast_to", apply("reshape", s, shape=(4, 1)),
                                    shape=(4, 8)))
        prog = lower_graph([out], [x], [Layout.contiguous(x.shape)])
        (step,) = prog.steps
        chained = step.compiled.kernel
        assert isinstance(chained, KernelChain) and chained.scratch
        ir = render_llvm(chained, "deep_chain")
    assert ir.count("define ") == 2
