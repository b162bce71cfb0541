"""mx.nd.random.multinomial with many categories (prefix sums, not a k x k matrix; indices
exact in every result dtype or refused) and MXNet's `_sample_unique_zipfian` (distinct
log-uniform classes and the draws they took), against NumPy references."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as ss

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, ParamError, ShapeError

R = mx.nd.random
zipfian = mx.nd._internal._sample_unique_zipfian


def test_many_categories_sample_without_a_quadratic_table():
    k = 1 << 17  # (a float32 k x k cumulative table would take 64 GiB)
    probs = np.zeros(k, np.float32)
    probs[[5, k - 1]] = [0.25, 0.75]
    draws = R.multinomial(mx.nd.array(probs), shape=4000).asnumpy()
    assert set(np.unique(draws)) == {5, k - 1}
    assert abs((draws == 5).mean() - 0.25) < 0.03


def test_indices_beyond_float32s_exact_integers_stay_exact():
    k = (1 << 24) + 2  # (k - 1 is not a float32)
    probs = np.zeros(k, np.float32)
    probs[-1] = 1.0
    draws = R.multinomial(mx.nd.array(probs), shape=3, dtype="int64").asnumpy()
    np.testing.assert_array_equal(draws, [k - 1] * 3)


@pytest.mark.parametrize("dtype, largest", [("uint8", 255), ("float16", 2048)])
def test_a_dtype_too_narrow_for_the_indices_is_refused(dtype, largest):
    fits = R.multinomial(mx.nd.ones(largest + 1) / (largest + 1), shape=50, dtype=dtype)
    assert fits.dtype == np.dtype(dtype) and fits.asnumpy().max() <= largest
    with pytest.raises(DTypeError, match=f"multinomial: dtype {dtype} cannot hold the indices "
                                         f"of {largest + 2} categories"):
        R.multinomial(mx.nd.ones(largest + 2), dtype=dtype)


def test_frequencies_follow_the_probabilities_in_every_row():
    probs = np.array([[0.0, 0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1, 0.0]], np.float32)
    mx.random.seed(11)
    draws = R.multinomial(mx.nd.array(probs), shape=20000).asnumpy().astype(int)
    for row, p in zip(draws, probs):
        counts = np.bincount(row, minlength=5)
        assert counts[p == 0].sum() == 0
        seen = p > 0
        _, pvalue = ss.chisquare(counts[seen], 20000 * p[seen] / p[seen].sum())
        assert pvalue > 1e-4


def zipfian_first_draw_probs(range_max: int) -> np.ndarray:
    """P(class) of one draw round(exp(u log range_max)) - 1 (MXNet's kernel)."""
    edges = np.clip(np.arange(range_max + 1) + 0.5, 1, range_max)
    return np.diff(np.log(edges)) / math.log(range_max)


def test_unique_zipfian_classes_are_distinct_in_range_and_int64():
    mx.random.seed(5)
    classes, trials = zipfian(1000, shape=(6, 50))
    assert classes.shape == (6, 50) and trials.shape == (6,)
    assert classes.dtype == np.int64 and trials.dtype == np.int64
    c, t = classes.asnumpy(), trials.asnumpy()
    for row in c:
        assert np.unique(row).size == 50
    assert c.min() >= 0 and c.max() < 1000 and (t >= 50).all()
    mx.random.seed(5)
    again, _ = zipfian(1000, shape=(6, 50))
    np.testing.assert_array_equal(again.asnumpy(), c)


def test_unique_zipfian_first_class_follows_the_log_uniform_law():
    range_max = 12
    probs = zipfian_first_draw_probs(range_max)
    assert probs.sum() == pytest.approx(1.0)
    mx.random.seed(2)
    first = zipfian(range_max, shape=(20000, 1))[0].asnumpy()[:, 0]
    counts = np.bincount(first, minlength=range_max)
    _, pvalue = ss.chisquare(counts, 20000 * probs)
    assert pvalue > 1e-4


def test_unique_zipfian_trials_match_a_numpy_simulation():
    range_max, wanted = 5000, 200
    probs = zipfian_first_draw_probs(range_max)
    rng = np.random.default_rng(0)
    simulated = []
    for _ in range(200):  # (the draw at which the wanted-th distinct class first appears)
        stream = rng.choice(range_max, size=4 * wanted, p=probs)
        firsts = np.sort(np.unique(stream, return_index=True)[1])
        simulated.append(firsts[wanted - 1] + 1)
    mx.random.seed(8)
    trials = zipfian(range_max, shape=(200, wanted))[1].asnumpy()
    assert abs(trials.mean() - np.mean(simulated)) < 4 * np.std(simulated) / math.sqrt(200)


def test_unique_zipfian_under_jit_and_as_a_symbol():
    f = mx.jit(lambda: zipfian(100, shape=(2, 30)))
    a, b = f()[0].asnumpy(), f()[0].asnumpy()
    assert a.shape == (2, 30) and not np.array_equal(a, b)
    sym = mx.sym._internal._sample_unique_zipfian(range_max=100, shape=(2, 3))
    assert len(sym.list_outputs()) == 2
    assert sym.infer_shape()[1] == [(2, 3), (2,)]
    exe = sym.bind(mx.cpu(), {})
    exe.forward()
    assert [o.shape for o in exe.outputs] == [(2, 3), (2,)]


def test_unique_zipfian_errors():
    with pytest.raises(ShapeError, match="shape must be 2-D"):
        zipfian(10, shape=(4,))
    with pytest.raises(ParamError, match="number of samples 5 cannot exceed the number of "
                                         "possible classes range_max=4"):
        zipfian(4, shape=(1, 5))
    with pytest.raises(ArgumentError, match="range_max must be an int, got float"):
        zipfian(4.5, shape=(1, 2))


def test_the_sample_operators_are_internal_as_in_mxnet():
    mu, sigma = mx.nd.array([0.0, 10.0]), mx.nd.array([1.0, 0.1])
    draws = mx.nd._internal._sample_normal(mu, sigma, shape=(500,)).asnumpy()
    np.testing.assert_allclose(draws.mean(axis=1), [0.0, 10.0], atol=0.2)
    assert not hasattr(mx.nd.random, "unique_zipfian")
