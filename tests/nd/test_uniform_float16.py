"""float16 uniform draws: computed from 24-bit float32 values and rounded to nearest once, as
MXNet's are, so 0 almost never comes (an 11-bit draw gave 0 one time in 2048, which turned
0 / 0 into NaN in optimizers' tests) and no bucket between float16 values is favoured
(rounding the unit value to float16 first, then the sample again, was biased)."""
from __future__ import annotations

import numpy as np
import scipy.stats as ss

import mxjit as mx
from mxjit.ops.random import unit_uniform


def test_unit_values_keep_24_bits_below_one():
    mx.random.seed(4)
    (u,) = unit_uniform((1 << 20,), np.float16)
    v = u.asnumpy()
    assert v.dtype == np.float32 and v.max() < 1.0 and (v == 0).sum() == 0
    assert (v < 2.0**-11).sum() > 0  # (an 11-bit draw has nothing between 0 and 2**-11)


def test_buckets_between_float16_values_have_their_probabilities():
    """MXNet's test_uniform_generator: buckets whose edges are float16 values, over a range
    whose samples land between float16's values (1 + 2u in [2, 3) has half the resolution
    of 2u)."""
    mx.random.seed(7)
    low, high = 1.0, 3.0
    edges = np.linspace(low, high, 6).astype(np.float16).astype(np.float64)
    v = mx.nd.random.uniform(low, high, shape=(1 << 21,), dtype="float16").asnumpy()
    counts = np.histogram(v.astype(np.float64), bins=edges)[0]
    expected = v.size * np.diff(edges) / (high - low)
    _, pvalue = ss.chisquare(counts, expected * counts.sum() / expected.sum())
    assert pvalue > 1e-4


def test_unit_samples_keep_the_mean_and_almost_never_give_zero():
    mx.random.seed(1)
    v = mx.nd.random.uniform(0, 1, shape=(1 << 20,), dtype="float16").asnumpy()
    assert v.min() >= 0 and v.max() <= 1 and (v == 0).sum() <= 1
    assert abs(v.astype(np.float64).mean() - 0.5) < 0.002
    w = mx.nd.random.uniform(2, 4, shape=(1 << 16,), dtype="float16").asnumpy()
    assert w.min() >= 2 and w.max() <= 4
