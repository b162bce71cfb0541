"""float16 uniform draws: 24-bit draws rounded down onto float16's values, so every float16
in [0, 1) can come with its share of probability, 0 almost never and 1 never (an 11-bit
draw gave 0 one time in 2048, which turned 0 / 0 into NaN in optimizers' tests)."""
from __future__ import annotations

import numpy as np
import scipy.stats as ss

import mxjit as mx
from mxjit.ops.random import unit_uniform


def test_values_are_float16s_below_one_with_fine_resolution_near_zero():
    mx.random.seed(4)
    (u,) = unit_uniform((1 << 20,), np.float16)
    v = u.asnumpy()
    assert v.dtype == np.float32
    np.testing.assert_array_equal(v.astype(np.float16).astype(np.float32), v)
    assert v.max() < 1.0 and (v == 0).sum() == 0
    assert (v < 2.0**-11).sum() > 0  # (an 11-bit draw has nothing between 0 and 2**-11)
    assert np.unique(v).size > 8000


def test_binades_have_their_probabilities():
    mx.random.seed(9)
    v = mx.nd.random.uniform(shape=(1 << 20,), dtype="float16").asnumpy().astype(np.float64)
    # P(u in [2**-(j + 1), 2**-j)) = 2**-(j + 1), for j = 0..5, and the rest below
    edges = 2.0 ** -np.arange(7.0)
    counts = [((v >= lo) & (v < hi)).sum() for lo, hi in zip(edges[1:], edges[:-1])]
    counts.append((v < edges[-1]).sum())
    expected = v.size * np.append(edges[1:], edges[-1])
    _, pvalue = ss.chisquare(counts, expected)
    assert pvalue > 1e-4


def test_unit_samples_stay_below_one_and_keep_the_mean():
    mx.random.seed(1)
    v = mx.nd.random.uniform(0, 1, shape=(1 << 20,), dtype="float16").asnumpy()
    assert v.min() >= 0 and v.max() < 1
    assert abs(v.astype(np.float64).mean() - 0.5) < 0.002
    # (other ranges round low + (high - low) * u to nearest, as MXNet does)
    w = mx.nd.random.uniform(2, 4, shape=(1 << 16,), dtype="float16").asnumpy()
    assert w.min() >= 2 and w.max() <= 4
