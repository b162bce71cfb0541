"""`mx.jit`: tracing once per signature, static arguments, pytrees and tracing errors."""
import numpy as np
import pytest

import mxjit as mx
from mxjit.base import TracerError

nd = mx.nd


def _counting(fun):
    calls = []

    def traced(*args, **kwargs):
        calls.append(1)
        return fun(*args, **kwargs)

    return traced, calls


def test_traces_once_per_signature_and_reuses_the_program():
    f, calls = _counting(lambda x: nd.exp(x) + 1)
    jf = mx.jit(f)
    x = nd.array([1.0, 2.0])
    jf(x)
    jf(nd.array([3.0, 4.0]))
    assert len(calls) == 1
    jf(nd.array([1.0, 2.0, 3.0]))  # new shape
    jf(nd.array([1.0, 2.0], dtype="float64"))  # new dtype
    assert len(calls) == 3
    np.testing.assert_allclose(jf(x).asnumpy(), np.exp([1.0, 2.0]) + 1, rtol=1e-6)


def test_program_for_runs_a_compiled_signature_on_buffers():
    jf = mx.jit(lambda xs, y: [x * y + 1 for x in xs])
    a, b, y = nd.array([1.0, 2.0]), nd.array([3.0, 4.0]), nd.array([2.0, 2.0])
    assert jf.program_for([a, b], y) is None  # (not compiled yet)
    want = [r.asnumpy() for r in jf([a, b], y)]
    program = jf.program_for([a, b], y)
    got = program.run([a._data, b._data, y._data])
    assert [g.tolist() for g in got] == [w.tolist() for w in want] == [[3, 5], [7, 9]]
    assert jf.program_for([a, b, y], y) is None  # (another structure)
    assert jf.program_for([a, b], nd.array([1.0, 2.0, 3.0])) is None  # (another shape)
    noisy = mx.jit(lambda x: x + mx.nd.random.uniform(shape=(2,)))
    noisy(a)
    assert noisy.program_for(a) is None  # (it draws random keys the caller cannot pass)
    static = mx.jit(lambda x, n: x * n, static_argnums=(1,))
    static(a, 2)
    assert static.program_for(a, 2) is None


def test_static_argnums_and_argnames_are_part_of_the_signature():
    f, calls = _counting(lambda x, power: x ** power)
    jf = mx.jit(f, static_argnums=1)
    x = nd.array([2.0, 3.0])
    assert jf(x, 2).asnumpy().tolist() == [4.0, 9.0]
    assert jf(x, 3).asnumpy().tolist() == [8.0, 27.0]
    jf(x, 3)
    assert len(calls) == 2
    g, gcalls = _counting(lambda x, scale=1.0: x * scale)
    jg = mx.jit(g, static_argnames="scale")
    assert jg(x, scale=2.0).asnumpy().tolist() == [4.0, 6.0]
    jg(x, scale=2.0)
    assert len(gcalls) == 1


def test_list_tuple_structure_and_training_mode_are_part_of_the_signature():
    """(The fast path for arguments that are lists and tuples of arrays keys on the same.)"""
    f, calls = _counting(lambda xs: xs[0] * 2 + xs[1])
    jf = mx.jit(f)
    a, b = nd.array([1.0]), nd.array([2.0])
    assert jf([a, b]).asnumpy().tolist() == [4.0]
    assert jf([b, a]).asnumpy().tolist() == [5.0]
    assert len(calls) == 1
    jf((a, b))  # a tuple: another structure
    assert len(calls) == 2
    with mx.autograd.train_mode():
        jf([a, b])
    assert len(calls) == 3
    jf([a, nd.array([[2.0]])])  # another shape
    assert len(calls) == 4
    outer = mx.jit(lambda x: jf([x, x]) + 1)  # inside another trace, jf is inlined
    assert outer(a).asnumpy().tolist() == [4.0]


def test_nested_arguments_and_results():
    def f(params, batch):
        w, b = params["w"], params["b"]
        y = batch[0] * w + b
        return {"y": y, "pair": (y.sum(), batch[1])}

    params = {"w": nd.array([2.0]), "b": nd.array([1.0])}
    out = mx.jit(f)(params, [nd.array([1.0, 2.0]), nd.array([5.0])])
    assert out["y"].asnumpy().tolist() == [3.0, 5.0]
    assert out["pair"][0].asnumpy().tolist() == [8.0]
    assert out["pair"][1].asnumpy().tolist() == [5.0]


def test_numpy_arrays_are_accepted_and_non_contiguous_views_work():
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    view = base[::2, ::-1].T
    got = mx.jit(lambda v: v * 2)(view)
    np.testing.assert_array_equal(got.asnumpy(), view * 2)


@pytest.mark.parametrize("use", [
    lambda x: bool(x),
    lambda x: float(x.sum()),
    lambda x: int(x.sum()),
    lambda x: x.asnumpy(),
    lambda x: x.asscalar(),
    lambda x: x if x.sum() > 0 else -x,
])
def test_reading_a_traced_value_raises_an_error_that_says_what_to_do(use):
    with pytest.raises(TracerError, match="not known while tracing.*nd.where"):
        mx.jit(use)(nd.array([1.0]))


def test_shapes_are_known_inside_a_trace():
    def f(x):
        assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6
        return x.reshape((x.shape[1], x.shape[0]))

    assert mx.jit(f)(nd.ones((2, 3))).shape == (3, 2)


def test_closure_arrays_become_constants():
    w = nd.array([1.0, 2.0, 3.0])
    got = mx.jit(lambda x: x * w)(nd.array([2.0, 2.0, 2.0]))
    assert got.asnumpy().tolist() == [2.0, 4.0, 6.0]


def test_constant_results_come_back_and_unhashable_ones_are_rejected():
    y, three = mx.jit(lambda x: (x * 2, 3))(nd.array([1.0]))
    assert three == 3 and y.asnumpy().tolist() == [2.0]
    with pytest.raises(TypeError, match="must return arrays, pytrees of arrays and hashable"):
        mx.jit(lambda x: (x, np.ones(2)))(nd.array([1.0]))


def test_unhashable_non_array_argument_is_rejected():
    with pytest.raises(TypeError, match="neither an array nor hashable"):
        mx.jit(lambda x, opts: x)(nd.array([1.0]), bytearray(b"ab"))


def test_jit_rejects_non_callables():
    with pytest.raises(TypeError, match="expected a function"):
        mx.jit(3)


def test_lower_cuda_renders_cuda_c_without_a_gpu():
    f = mx.jit(lambda x: x + 1)
    lowered = f.lower(nd.ones((2,)), backend="cuda")
    assert lowered.backend == "cuda" and len(lowered.kernels) == 1
    listing = lowered.kernels[0]
    assert f'extern "C" __global__ void {listing.symbol}(' in listing.source
    assert lowered.as_text() == f.lower(nd.ones((2,))).as_text()
    with pytest.raises(ValueError, match="unknown backend"):
        f.lower(nd.ones((2,)), backend="tpu")


def test_log_compiles_says_what_changed(monkeypatch, capsys):
    monkeypatch.setenv("MXJIT_LOG_COMPILES", "1")
    def step(x, lr, *, opts=None):
        return x * lr - 2

    f = mx.jit(step)
    f(nd.ones((3,)), 0.5)
    f(nd.ones((4,)), 0.5)
    f(nd.ones((4,)), 0.25)  # (a new float value: no retrace)
    f(nd.ones((4,)), 2)
    f(nd.ones((4,), dtype="float64"), 2)
    f(nd.ones((4,), dtype="float64"), 2, opts=nd.ones(1))
    g = mx.jit(lambda x, n: x * n, static_argnums=1)
    g(nd.ones(2), 2)
    g(nd.ones(2), 3)
    err = capsys.readouterr().err
    assert err.count("jit: tracing step") == 5 and "first call" in err
    assert "argument x: shape (3,) -> (4,)" in err
    assert "argument lr: type float -> int" in err
    assert "argument x: dtype float32 -> float64" in err
    assert "the structure of the arguments changed" in err
    assert "static argument n: 2 -> 3" in err


def test_like_creators_under_jit_are_broadcast_scalars_not_baked_arrays():
    f = mx.jit(lambda x: (x + mx.nd.ones_like(x)).astype("float64")
               + mx.nd.full_like(x, 3, dtype="float64"))
    x = mx.nd.ones((300, 400))
    text = f.lower(x).as_text()
    assert "float32[300,400] = const" not in text and "float64[300,400] = const" not in text
    got = f(x)
    assert got.dtype == np.float64 and np.all(got.asnumpy() == 5.0)
    z = mx.jit(lambda x: mx.nd.zeros_like(x, dtype="int32"))(x)
    assert z.dtype == np.int32 and z.shape == (300, 400) and not z.asnumpy().any()
