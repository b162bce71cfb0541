"""Large reductions to one value run in two stages (rows on every thread, then the rows)."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.lower import program
from mxjit.lower.reduce_split import ROWS, split_reductions
from mxjit.trace import apply
from mxjit.trace.graph import var

nd = mx.nd
BIG = 2 * program.PARALLEL_MIN_WORK
TOLERANCE = {"float32": 1e-5, "float64": 1e-12}


def _data(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype.startswith("int"):
        return rng.integers(-3, 4, shape).astype(dtype)
    return (rng.random(shape) + 0.5).astype(dtype)


def _product_data(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Ones, a few 2s, 0.5s and -1s (one of them last, where a tail is): the product is an
    exact power of two, so it tests the stages and not float32's rounding."""
    x = np.ones(int(np.prod(shape)), dtype)
    rng = np.random.default_rng(1)
    spots = rng.choice(x.size - 1, 90, replace=False)
    x[spots[:50]], x[spots[50:80]], x[spots[80:]] = 2, -1, 1 if dtype == "int32" else 0.5
    x[-1] = -1
    return x.reshape(shape)


@pytest.mark.skipif(program.THREADS < 2, reason="the split needs two threads")
@pytest.mark.parametrize("shape", [(BIG + 7,), (BIG,), (1, 4096, BIG // 4096, 1)])
@pytest.mark.parametrize("op", ["sum", "max", "min", "prod"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_large_full_reductions_match_numpy_jitted_and_eagerly(shape, op, dtype) -> None:
    x = _product_data(shape, dtype) if op == "prod" else _data(shape, dtype)
    # float64 references; integer ones wrap in int32 as the kernels do
    want = getattr(np, op)(x.astype(np.float64) if dtype != "int32" else x)
    if op in ("sum", "prod") and dtype == "int32":
        want = getattr(np, op)(x, dtype=np.int32)
    a = nd.array(x, dtype=dtype)
    fn = getattr(nd, op)
    for got in (fn(a), mx.jit(fn)(a)):
        assert got.shape == (1,) and got.dtype == np.dtype(dtype)
        if dtype == "int32":
            assert got.asscalar() == want
        else:
            np.testing.assert_allclose(got.asscalar(), want, rtol=TOLERANCE[dtype])


@pytest.mark.skipif(program.THREADS < 2, reason="the split needs two threads")
def test_the_split_plan_has_a_row_stage_and_nan_still_propagates() -> None:
    x = _data((4096, BIG // 4096), "float32")
    x[1234, 5] = np.nan
    f = mx.jit(lambda a: nd.max(nd.exp(a)))
    lowered = f.lower(nd.array(x))
    text = lowered.as_text()
    assert f"dims={x.shape}" in text and "dims=(4096,)" in text, text
    assert np.isnan(f(nd.array(x)).asscalar())
    assert np.isnan(nd.max(nd.array(x)).asscalar())


def test_small_float16_and_partial_reductions_are_left_alone() -> None:
    f32, f16 = np.dtype("float32"), np.dtype("float16")
    small = apply("reduce_sum", var((1000,), f32), axes=(0,))
    half = apply("reduce_sum", var((BIG,), f16), axes=(0,))
    rows = apply("reduce_sum", var((4096, BIG // 4096), f32), axes=(1,))
    assert split_reductions([small, half, rows], 2, BIG) == [small, half, rows]
    one_thread = apply("reduce_sum", var((BIG,), f32), axes=(0,))
    assert split_reductions([one_thread], 1, BIG) == [one_thread]
    [split] = split_reductions([one_thread], 2, BIG)
    assert split.op == "reduce_sum" and split.inputs[0].shape == (ROWS,)
