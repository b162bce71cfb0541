"""mxjit on a GPU against mxjit on the CPU: every operator, random programs, the NDArray API.

Every test takes the `gpu` fixture (tests/gpu/conftest.py): gpu(0) through pycuda, skipped
without pycuda or a GPU. `test_emulated_gpu.py` runs these same tests against a GPU emulated
on the host (the rendered CUDA C built by g++), with fewer random programs.

Results must be what the CPU computes: bit for bit for exact operations (integer arithmetic,
comparisons, casts, max/min/argmax, IEEE-exact float operations), within a few ulps for
transcendentals (CUDA's libm against the CPU's polynomials, both checked against float64),
within float tolerance for sums and composite programs (their rounding order differs).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit.lower import cuda_runtime as rt
from mxjit.lower.program import KernelStep
from mxjit.trace import PRIMITIVES
from tests import cuda_catalog as catalog

nd = mx.nd


def emulated(gpu: rt.Device) -> bool:
    """Whether `gpu` is the host emulation of test_emulated_gpu.py (slow: fewer programs)."""
    return type(gpu.driver).__name__ == "EmulatedDriver"


def on_gpu(a: np.ndarray) -> nd.NDArray:
    return nd.array(a, ctx=mx.gpu(0), dtype=a.dtype)


def same_bits(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """Equal bit for bit, except that any NaN equals any NaN."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, what
    if got.dtype.kind == "f":
        nan = np.isnan(got) & np.isnan(want)
        int_t = {2: np.uint16, 4: np.uint32, 8: np.uint64}[got.itemsize]
        differ = (got.view(int_t) != want.view(int_t)) & ~nan
    else:
        differ = got != want
    if differ.any():
        k = np.flatnonzero(differ.reshape(-1))[:6]
        raise AssertionError(f"{what}: {int(differ.sum())} of {got.size} differ from the CPU; "
                             f"at {k.tolist()} GPU {got.reshape(-1)[k]} CPU {want.reshape(-1)[k]}")


@pytest.fixture(scope="module")
def cases() -> list[catalog.Case]:
    return catalog.all_cases()


# ---- the device and NDArray API ------------------------------------------------------------


def test_num_gpus_and_contexts(gpu):
    assert mx.context.num_gpus() >= 1
    x = on_gpu(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert x.context == mx.gpu(0) and x.shape == (2, 3) and x.dtype == np.float32
    assert "@gpu(0)" in repr(x)
    np.testing.assert_array_equal(x.asnumpy(), np.arange(6).reshape(2, 3))
    host = x.as_in_context(mx.cpu())
    assert host.context == mx.cpu() and isinstance(host._data, np.ndarray)
    assert x.as_in_context(mx.gpu(0)) is x
    back = host.copyto(mx.gpu(0))
    assert back.context == mx.gpu(0)
    np.testing.assert_array_equal(back.asnumpy(), host.asnumpy())
    target = nd.zeros((2, 3), ctx=mx.gpu(0))
    host.copyto(target)
    np.testing.assert_array_equal(target.asnumpy(), host.asnumpy())
    cpu_target = nd.zeros((2, 3))
    x.copyto(cpu_target)
    np.testing.assert_array_equal(cpu_target.asnumpy(), x.asnumpy())
    assert nd.ones((3,), ctx=mx.gpu(0)).context == mx.gpu(0)
    assert float(on_gpu(np.array([2.5], np.float32)).asscalar()) == 2.5
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert nd.zeros_like(x).context == mx.gpu(0)
    with pytest.raises(mx.base.DeviceError, match="gpu"):
        nd.zeros((2,), ctx=mx.gpu(mx.context.num_gpus()))


def test_views_setitem_and_inplace_ops_stay_on_the_gpu(gpu):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = on_gpu(a)
    for got, want in [(x.T, a.T), (x.reshape((6, 4)), a.reshape(6, 4)), (x[1], a[1]),
                      (x[:, 1:, ::2], a[:, 1:, ::2]), (x[..., ::-1], a[..., ::-1]),
                      (x.transpose((1, 0, 2)).reshape((3, 8)), a.transpose(1, 0, 2).reshape(3, 8))]:
        assert got.context == mx.gpu(0)
        np.testing.assert_array_equal(got.asnumpy(), want)
    y = on_gpu(a)
    y[1] = 7.0
    y[:, 0, :] = on_gpu(np.full((2, 4), -1, np.float32))
    want = a.copy()
    want[1] = 7.0
    want[:, 0, :] = -1
    np.testing.assert_array_equal(y.asnumpy(), want)
    y += 1
    y *= on_gpu(np.full((2, 3, 4), 2, np.float32))
    np.testing.assert_array_equal(y.asnumpy(), (want + 1) * 2)
    assert y.context == mx.gpu(0)


def test_device_array_transposes_are_numpys(gpu):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = rt.to_device(a)
    for axes in [(), ((1, 0, 2),), (2, 0, 1), (-1, 0, 1), ([0, 2, 1],), (None,)]:
        got, want = x.transpose(*axes), a.transpose(*axes)
        assert got.strides == want.strides
        np.testing.assert_array_equal(got.get(), want)
    for bad, message in [((0, 0, 1), "repeated axis"), ((0, 1), "axes don't match"),
                         ((0, 1, 3), "out of bounds")]:
        with pytest.raises(ValueError, match=message):
            x.transpose(*bad)


def test_eager_ops_on_gpu_arrays_match_the_cpu(gpu):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((33, 70)).astype(np.float32)
    b = rng.standard_normal((33, 70)).astype(np.float32)
    w = rng.standard_normal((70, 9)).astype(np.float32)
    ops = [
        lambda x, y, v: nd.exp(x) * 2 + y,
        lambda x, y, v: x + 1,
        lambda x, y, v: 3 - x / (nd.abs(y) + 1),
        lambda x, y, v: (x > y) * 1.0,
        lambda x, y, v: x.sum(axis=1),
        lambda x, y, v: x.max(axis=0),
        lambda x, y, v: nd.argmax(x, axis=1),
        lambda x, y, v: nd.softmax(x),
        lambda x, y, v: nd.dot(x, v),
        lambda x, y, v: nd.dot(x.T, y),
        lambda x, y, v: nd.relu(x).mean(),
        lambda x, y, v: x.T[3:9, ::2] * nd.sigmoid(y.T[3:9, ::2]),
        lambda x, y, v: nd.cast(x * 100, "int32") % 7,
        lambda x, y, v: nd.one_hot(nd.argmax(x, axis=1), 70) * y,
    ]
    for k, f in enumerate(ops):
        want = f(nd.array(a), nd.array(b), nd.array(w))
        got = f(on_gpu(a), on_gpu(b), on_gpu(w))
        assert got.context == mx.gpu(0), f"op {k}"
        np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=2e-5, atol=2e-5,
                                   err_msg=f"op {k}")


def test_eager_elementwise_ops_compile_once_for_every_length(gpu):
    """Eager elementwise ops over contiguous GPU arrays run one kernel per (op, dtypes)
    that takes its length at launch: bit for bit the CPU's at every length (vector path,
    tails, empty), with no compile after the first length. Scalars are uploaded once."""
    rng = np.random.default_rng(3)
    ops = [
        lambda x, y: x + y,
        lambda x, y: x * 2.5,
        lambda x, y: 1 - x,
        lambda x, y: x > y,
        lambda x, y: nd.maximum(x, y) / y,
        lambda x, y: -x,
        lambda x, y: nd.cast(x * 100, "int32"),
    ]
    compiles = None
    for n in (5, 0, 1, 8, 33, 1000, 4099):
        if n == 0:
            compiles = gpu.compiles
        a = rng.standard_normal(n).astype(np.float32)
        b = rng.standard_normal(n).astype(np.float32)
        for k, f in enumerate(ops):
            want = f(nd.array(a), nd.array(b)).asnumpy()
            x, y = on_gpu(a), on_gpu(b)
            got = f(x, y)
            assert got.context == mx.gpu(0)
            same_bits(got.asnumpy(), want, f"op {k} over {n}")
            same_bits(f(x[1:], y[1:]).asnumpy(), f(nd.array(a[1:]), nd.array(b[1:])).asnumpy(),
                      f"op {k} over {n} from an unaligned start")
    assert gpu.compiles == compiles, "a new length compiled a kernel"
    one = np.ones((), np.float32)
    assert gpu.scalar(one) is gpu.scalar(np.ones((), np.float32))
    assert gpu.scalar(one) is not gpu.scalar(np.ones((), np.float64))
    np.testing.assert_array_equal(gpu.scalar(np.full((), 7, np.int32)).get(), 7)


def test_jit_and_autograd_on_gpu_arrays(gpu):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((8, 16)).astype(np.float32)
    w = rng.standard_normal((16, 4)).astype(np.float32)

    @mx.jit
    def f(x, v):
        return nd.softmax(nd.relu(nd.dot(x, v)) + 1).sum(axis=0)

    want = f(nd.array(a), nd.array(w))
    got = f(on_gpu(a), on_gpu(w))
    assert got.context == mx.gpu(0)
    np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-5, atol=1e-6)

    grads = []
    for make in (nd.array, on_gpu):
        x = make(a)
        x.attach_grad()
        with mx.autograd.record():
            y = (nd.tanh(x) * x).sum()
        y.backward()
        assert x.grad.context == x.context
        grads.append(x.grad.asnumpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-5, atol=1e-6)


def test_compiled_operators_run_as_one_program_on_gpu_arrays(gpu, monkeypatch, capsys):
    """Composite operators (core/eager_compiled.py) compile on GPU arrays as on the CPU:
    from the second call, one program, with the CPU's results and gradients."""
    monkeypatch.setenv("MXJIT_LOG_COMPILES", "1")
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 7)).astype(np.float32)  # (a shape no other test compiles)
    gamma, beta = (rng.standard_normal(7).astype(np.float32) for _ in range(2))
    label = np.array([0, 6, 2, 3, 1], np.float32)
    calls = [
        ("log_softmax", lambda a, g, b, y: nd.log_softmax(a, axis=1)),
        ("LayerNorm", lambda a, g, b, y: nd.LayerNorm(a, g, b)),
        ("softmax_cross_entropy", lambda a, g, b, y: nd.softmax_cross_entropy(a, y)),
    ]
    for name, f in calls:
        results = []
        for make in (on_gpu, nd.array):  # (the GPU first: its second call compiles)
            for _ in range(3):
                a, g, b, y = make(x), make(gamma), make(beta), make(label)
                a.attach_grad()
                with mx.autograd.record():
                    out = f(a, g, b, y)
                out.backward()
            results.append((out.asnumpy(), a.grad.asnumpy()))
            assert out.context == a.context == a.grad.context
            if make is on_gpu:
                assert f"jit: tracing {name}" in capsys.readouterr().err
        for got, want in zip(results[0], results[1]):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)


_CACHED_RUN = """
import numpy as np, mxjit as mx
from mxjit.lower import cuda_runtime as rt
x = mx.nd.array(np.arange(1000, dtype=np.float32) / 100, ctx=mx.gpu(0))
y = mx.jit(lambda v: mx.nd.tanh(v) * 3 + mx.nd.exp(-v))(x)
compiles = rt.device(0).compiles
z = mx.jit(lambda v: mx.nd.tanh(v) * 3 + mx.nd.exp(-v))(x)  # (an equal function: no compile)
assert rt.device(0).compiles == compiles and (z == y).asnumpy().all()
print(repr(float(y.sum().asscalar())))
"""


def test_the_kernel_caches_serve_equal_kernels_and_a_second_process(gpu, tmp_path):
    """In memory, kernels are kept by content; on disk (`$MXJIT_CACHE_DIR/cuda`), nvcc's
    modules serve the next process, which compiles nothing: the files are not rewritten."""
    if emulated(gpu):
        pytest.skip("the disk cache is pycuda's nvcc cache: a real GPU's")
    env = {**os.environ, "MXJIT_CACHE_DIR": str(tmp_path)}
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))

    def run() -> str:
        return subprocess.run([sys.executable, "-c", _CACHED_RUN], env=env, check=True,
                              capture_output=True, text=True, timeout=300).stdout

    first = run()
    kept = {p: p.stat().st_mtime_ns for p in (tmp_path / "cuda").rglob("*") if p.is_file()}
    assert kept, "nothing was kept in the CUDA disk cache"
    assert run() == first
    assert {p: p.stat().st_mtime_ns for p in kept} == kept


def test_results_never_share_a_programs_constants_or_kept_scalars(gpu):
    """A jitted function may return a constant it captured or a Python number it was
    given: writing into that result must not change the next call's."""
    c = nd.array([1.0, 2.0])
    f = mx.jit(lambda x, s: (x * s, c * 1, s))
    x = on_gpu(np.ones(2, np.float32))
    for _ in range(2):
        y, const, scalar = f(x, 2.0)
        np.testing.assert_array_equal(const.asnumpy(), [1, 2])
        assert scalar.context == const.context == mx.gpu(0) and float(scalar.asnumpy()) == 2
        const[:] = 7.0
        scalar += 5
    np.testing.assert_array_equal((x * 2.0).asnumpy(), [2, 2])


def test_philox_streams_are_the_same_on_cpu_and_gpu(gpu):
    f = mx.jit(lambda x: x + nd.random.uniform(shape=x.shape) * nd.random.normal(shape=x.shape))
    outs = []
    for make in (nd.array, on_gpu):
        mx.random.seed(1234)
        outs.append(f(make(np.zeros((4, 1000), np.float32))).asnumpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-6, atol=1e-6)
    mx.random.seed(99)
    cpu = nd.random.uniform(shape=(3, 5)).asnumpy()
    mx.random.seed(99)
    gpu_draw = nd.random.uniform(shape=(3, 5), ctx=mx.gpu(0))
    assert gpu_draw.context == mx.gpu(0)
    np.testing.assert_array_equal(gpu_draw.asnumpy(), cpu)


def test_gemm_layouts_and_dtypes(gpu):
    rng = np.random.default_rng(2)
    for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-12), (np.float16, 2e-2)):
        a = rng.standard_normal((2, 6, 5)).astype(dtype)
        b = rng.standard_normal((2, 5, 7)).astype(dtype)
        for f in (lambda x, y: nd.batch_dot(x, y),
                  lambda x, y: nd.batch_dot(y, x, transpose_a=True, transpose_b=True),
                  lambda x, y: nd.dot(x[0], y[1]),
                  lambda x, y: nd.dot(x[1].T, x[0]),
                  lambda x, y: nd.dot(x[0][:, ::-1], y[0][::-1])):
            want = f(nd.array(a, dtype=dtype), nd.array(b, dtype=dtype)).asnumpy()
            got = f(on_gpu(a), on_gpu(b)).asnumpy()
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    ints = rng.integers(-5, 5, (4, 3)).astype(np.int32)
    np.testing.assert_array_equal(nd.dot(on_gpu(ints), on_gpu(ints.T)).asnumpy(),
                                  ints @ ints.T)


# ---- every operator ------------------------------------------------------------------------


def test_the_catalog_covers_every_primitive(cases):
    """Every primitive but the identities and the opaque library ops (which all run on the
    host the same way as the two the catalog has: scatter_add and argsort)."""
    used, seen, stack = set(), set(), [n for c in cases for n in c.outputs]
    while stack:
        n = stack.pop()
        if id(n) not in seen:
            seen.add(id(n))
            used.add(n.op)
            stack.extend(n.inputs)
    wanted = {p for p, prim in PRIMITIVES.items() if prim.kind != "opaque"}
    wanted |= {"scatter_add", "argsort"}
    assert wanted - used - {"mark", "stop_gradient", "loss_output"} == set()


@pytest.mark.parametrize("group", ["elementwise", "cast", "reduce", "movement", "program"])
def test_every_operator_matches_the_cpu(gpu, cases, group):
    if emulated(gpu) and group in ("elementwise", "cast"):
        pytest.skip("emulated: tests/lower/test_cuda_render.py runs these kernels already")
    chosen = [c for c in cases if c.group == group]
    programs = [c.lower() for c in chosen]
    # (compiled together, in parallel batches; a GPU runs the portable plan, not CPU chains)
    gpu.compiled([s.compiled.kernel for p in programs for s in (p.portable or p).steps
                  if isinstance(s, KernelStep)])
    for case, program in zip(chosen, programs):
        cpu = program.run(list(case.arrays))
        got = [np.asarray(o) for o in program.run([rt.to_device(a) for a in case.arrays])]
        catalog.check_case(case, got, what="GPU: ")
        if case.check == "exact":
            for g, c in zip(got, cpu):
                same_bits(g, np.asarray(c), f"GPU vs CPU: {case.name}")


# ---- random programs -----------------------------------------------------------------------

UNARY = [nd.exp, nd.tanh, nd.sigmoid, nd.relu, nd.abs, nd.negative, lambda x: x * x,
         lambda x: nd.log1p(nd.abs(x)), lambda x: nd.sqrt(nd.abs(x) + 1), nd.sin]
BINARY = [lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x - y,
          lambda x, y: nd.maximum(x, y), lambda x, y: x / (nd.abs(y) + 1),
          lambda x, y: nd.where(x > y, x, y)]


def random_program(rng: np.random.Generator) -> tuple[object, list[np.ndarray]]:
    """A random composition of elementwise ops, broadcasts, transposes, slices and one or
    two reductions over random float32 inputs."""
    shape = tuple(int(d) for d in rng.integers(2, 40, size=int(rng.integers(1, 4))))
    n_in = int(rng.integers(1, 4))
    arrays = [rng.standard_normal(shape).astype(np.float32) for _ in range(n_in)]
    plan = [(int(rng.integers(0, 4)), int(rng.integers(0, 100))) for _ in range(8)]
    axis = int(rng.integers(0, len(shape)))

    def f(*xs: nd.NDArray) -> nd.NDArray:
        vals = list(xs)
        for kind, r in plan:
            x = vals[r % len(vals)]
            if kind == 0:
                vals.append(UNARY[r % len(UNARY)](x))
            elif kind == 1:
                vals.append(BINARY[r % len(BINARY)](x, vals[(r // 7) % len(vals)]))
            elif kind == 2 and x.ndim > 1:
                vals.append(x.T.T * 0.5 + x.transpose(tuple(range(x.ndim))))
            else:
                vals.append(x - x.mean(axis=axis, keepdims=True))
        out = vals[-1]
        return [out, out.sum(axis=axis), nd.softmax(out, axis=axis)]

    return f, arrays


def test_random_programs_match_the_cpu(gpu):
    rng = np.random.default_rng(2024)
    count = 4 if emulated(gpu) else 40
    for k in range(count):
        f, arrays = random_program(rng)
        jf = mx.jit(f)
        want = jf(*[nd.array(a) for a in arrays])
        got = jf(*[on_gpu(a) for a in arrays])
        for g, w in zip(got, want):
            assert g.context == mx.gpu(0)
            np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-4, atol=1e-4,
                                       err_msg=f"random program {k}")


def test_multi_store_kernels_on_gpu(gpu):
    rng = np.random.default_rng(4)
    w, g, m = (rng.standard_normal(300_000).astype(np.float32) for _ in range(3))

    @mx.jit  # (one kernel storing both: large loops merge, lower/merge.py)
    def step(w, g, m):
        new_m = 0.9 * m - 0.1 * g
        return w + new_m, new_m

    want = step(*(nd.array(v) for v in (w, g, m)))
    got = step(*(on_gpu(v) for v in (w, g, m)))
    for a, b in zip(got, want):
        assert a.context == mx.gpu(0)
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-6, atol=1e-6)


# ---- Gluon -----------------------------------------------------------------------------------


def _layer_cases():
    nn, rnn = mx.gluon.nn, mx.gluon.rnn
    return [
        ("Dense", lambda: nn.Dense(5, activation="relu"), (4, 7)),
        ("Conv2D", lambda: nn.Conv2D(4, 3, padding=1, strides=2), (2, 3, 7, 7)),
        ("Conv2DTranspose", lambda: nn.Conv2DTranspose(2, 3), (1, 3, 4, 4)),
        ("MaxPool2D", lambda: nn.MaxPool2D(2), (2, 3, 6, 6)),
        ("AvgPool2D", lambda: nn.AvgPool2D(3, strides=2, padding=1), (2, 3, 6, 6)),
        ("BatchNorm", lambda: nn.BatchNorm(), (4, 3, 5)),
        ("LayerNorm", lambda: nn.LayerNorm(), (4, 6)),
        ("Embedding", lambda: nn.Embedding(10, 4), None),
        ("LSTM", lambda: rnn.LSTM(5, num_layers=2), (3, 2, 4)),
        ("GRU", lambda: rnn.GRU(5, bidirectional=True), (3, 2, 4)),
    ]


@pytest.mark.parametrize("name, make, shape", _layer_cases(), ids=[c[0] for c in _layer_cases()])
def test_gluon_layers_match_the_cpu(gpu, name, make, shape):
    """Each layer's output, input gradient and parameter gradients on the GPU equal the
    CPU's, from the same initial parameters."""
    rng = np.random.default_rng(5)
    data = (rng.integers(0, 10, (4, 3)).astype(np.float32) if shape is None
            else rng.standard_normal(shape).astype(np.float32))
    results = []
    for ctx in (mx.cpu(), mx.gpu(0)):
        mx.random.seed(7)
        block = make()
        block.initialize(mx.init.Xavier(), ctx=ctx)
        x = nd.array(data, ctx=ctx)
        x.attach_grad()
        with mx.autograd.record():
            y = block(x)
        y.backward()
        params = [p for p in block.collect_params().values() if p.grad_req != "null"]
        assert y.context == ctx and all(p.grad().context == ctx for p in params), name
        results.append([y.asnumpy(), x.grad.asnumpy(), *(p.grad().asnumpy() for p in params)])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=name)


def test_hybridized_training_on_the_gpu_matches_the_cpu(gpu):
    """A small CNN trained for a few steps on either device, eagerly and hybridized: each
    mode gives the same losses and final weights on both (its dropout masks too: the
    Philox streams are the same; eager and hybridized code draw theirs differently)."""
    rng = np.random.default_rng(6)
    data = rng.standard_normal((8, 1, 10, 10)).astype(np.float32)
    label = rng.integers(0, 5, 8).astype(np.float32)
    nn = mx.gluon.nn
    runs = {}
    for ctx in (mx.cpu(), mx.gpu(0)):
        for hybridize in (False, True):
            mx.random.seed(3)
            net = nn.HybridSequential()
            net.add(nn.Conv2D(4, 3, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(2),
                    nn.Flatten(), nn.Dense(16, activation="tanh"), nn.Dropout(0.3),
                    nn.Dense(5))
            net.initialize(mx.init.Xavier(), ctx=ctx)
            if hybridize:
                net.hybridize()
            trainer = mx.gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
            loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
            x, y = nd.array(data, ctx=ctx), nd.array(label, ctx=ctx)
            losses = []
            for _ in range(3):
                with mx.autograd.record():
                    loss = loss_fn(net(x), y)
                loss.backward()
                trainer.step(len(data))
                losses.append(loss.mean().asscalar())
            weights = [p.data().asnumpy() for p in net.collect_params().values()]
            assert all(p.data().context == ctx for p in net.collect_params().values())
            runs[ctx.device_type, hybridize] = (losses, weights)
    for hybridize in (False, True):
        (losses, weights), (want_losses, want_weights) = (runs["gpu", hybridize],
                                                          runs["cpu", hybridize])
        np.testing.assert_allclose(losses, want_losses, rtol=1e-5, err_msg=str(hybridize))
        for got, want in zip(weights, want_weights):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=str(hybridize))


def test_module_training_and_executors_on_the_gpu_match_the_cpu(gpu):
    """Symbol and Module over the same graph: `Module.fit` on gpu(0) gives the CPU's
    weights, and a bound executor keeps its outputs and gradients on the GPU."""
    sym = mx.sym
    net = sym.FullyConnected(sym.var("data"), num_hidden=8, name="fc1")
    net = sym.FullyConnected(sym.Activation(net, act_type="relu"), num_hidden=3, name="fc2")
    net = sym.SoftmaxOutput(net, sym.var("softmax_label"), name="softmax")
    rng = np.random.default_rng(9)
    x = rng.standard_normal((20, 5)).astype(np.float32)
    y = (np.arange(20) % 3).astype(np.float32)
    weights = []
    for ctx in (mx.cpu(), mx.gpu(0)):
        mx.random.seed(0)
        module = mx.mod.Module(net, context=ctx)
        module.fit(mx.io.NDArrayIter(x, y, batch_size=10), num_epoch=2, optimizer="sgd",
                   optimizer_params={"learning_rate": 0.1}, initializer=mx.init.Xavier())
        args, _ = module.get_params()
        weights.append({k: v.asnumpy() for k, v in args.items()})
    for name, want in weights[0].items():
        np.testing.assert_allclose(weights[1][name], want, rtol=1e-5, atol=1e-6, err_msg=name)
    executor = net.simple_bind(mx.gpu(0), data=(4, 5), softmax_label=(4,))
    executor.forward(is_train=True, data=on_gpu(x[:4]), softmax_label=on_gpu(y[:4]))
    executor.backward()
    assert executor.outputs[0].context == executor.grad_dict["fc1_weight"].context == mx.gpu(0)
