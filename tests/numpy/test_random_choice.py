"""mx.np.random.choice against NumPy's meaning: frequencies over many seeded draws within
a few standard deviations of the exact probabilities, distinct samples without
replacement, reproducible draws under one seed, and NumPy's checks of `a`, `size` and `p`."""
from __future__ import annotations

import collections
import itertools

import numpy as onp
import pytest

import mxjit as mx
from mxjit import np, npx
from mxjit.base import ParamError, ShapeError

P = onp.array([0.1, 0.2, 0.3, 0.4])


def _ordered_pair_probabilities(p: onp.ndarray) -> dict[tuple[int, int], float]:
    """P(first i, then j) drawing twice without replacement: p_i * p_j / (1 - p_i)."""
    return {(i, j): p[i] * p[j] / (1 - p[i])
            for i, j in itertools.permutations(range(len(p)), 2)}


def test_without_replacement_draws_each_next_one_from_what_is_left():
    np.random.seed(11)
    draws = 2000
    seen = collections.Counter(tuple(np.random.choice(4, 2, replace=False, p=P).tolist())
                               for _ in range(draws))
    assert all(i != j for i, j in seen)
    for pair, want in _ordered_pair_probabilities(P).items():
        # (4.5 standard deviations of a frequency near 0.2 over 2000 draws)
        assert abs(seen[pair] / draws - want) < 0.04, (pair, seen[pair] / draws, want)


def test_without_replacement_under_jit_takes_traced_probabilities():
    draw = mx.jit(lambda p: np.random.choice(4, 2, replace=False, p=p))
    probs = np.array(P)
    draws = 1000
    firsts = collections.Counter(draw(probs).tolist()[0] for _ in range(draws))
    onp.testing.assert_allclose([firsts[k] / draws for k in range(4)], P, atol=0.05)


def test_without_replacement_gives_distinct_rows_and_skips_zero_probabilities():
    np.random.seed(12)
    population = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0]])
    p = [0.5, 0.0, 0.25, 0.0, 0.25]
    for _ in range(20):
        rows = np.random.choice(population, size=(3,), replace=False, p=p)
        assert rows.shape == (3, 2)
        assert sorted(rows[:, 0].tolist()) == [0.0, 4.0, 8.0]
    every = np.random.choice(6, size=(2, 3), replace=False, p=onp.full(6, 1 / 6))
    assert every.shape == (2, 3) and sorted(every.reshape(-1).tolist()) == list(range(6))


def test_with_replacement_frequencies_follow_p():
    np.random.seed(13)
    draws = np.random.choice(4, size=(20000,), p=P).asnumpy()
    assert draws.dtype == onp.int64
    onp.testing.assert_allclose(onp.bincount(draws, minlength=4) / draws.size, P, atol=0.015)
    uniform = np.random.choice(5, size=(20000,)).asnumpy()
    onp.testing.assert_allclose(onp.bincount(uniform, minlength=5) / uniform.size, 0.2,
                                atol=0.015)


@pytest.mark.parametrize("seed", [np.random.seed, mx.random.seed, npx.seed])
def test_the_same_seed_gives_the_same_draws(seed):
    def draws() -> list:
        seed(21)
        return [np.random.choice(10, 4, replace=False, p=onp.arange(10) / 45).tolist(),
                np.random.choice(10, 4, replace=False).tolist(),
                np.random.choice(10, 4, p=onp.arange(10) / 45).tolist()]

    first = draws()
    assert first == draws()
    seed(22)
    assert np.random.choice(10, 4, replace=False, p=onp.arange(10) / 45).tolist() != first[0]


@pytest.mark.parametrize("a,size,replace,p,shape", [
    (5, None, False, [0.1, 0.2, 0.3, 0.4, 0.0], ()),
    (5, 0, False, [0.0, 0.0, 0.0, 0.0, 1.0], (0,)),
    (0, 0, True, None, (0,)),
    (np.ones((0, 2)), (0, 3), False, None, (0, 3, 2)),
    (3, (1, 3), False, [0.2, 0.3, 0.5], (1, 3))])
def test_sizes_and_empty_samples_as_numpy(a, size, replace, p, shape):
    got = np.random.choice(a, size, replace, p)
    assert got.shape == shape
    if isinstance(a, int):
        assert got.dtype == onp.int64
        assert onp.shape(onp.random.choice(a, size, replace, p)) == shape


@pytest.mark.parametrize("call,error,message", [
    (lambda: np.random.choice(3, 2, p=[0.5, 0.5, 0.5]), ParamError,
     "choice: p must sum to 1, got a sum of 1.5"),
    (lambda: np.random.choice(2, 2, replace=False, p=np.array([0.2, 0.7])), ParamError,
     "choice: p must sum to 1"),
    (lambda: np.random.choice(2, 2, p=[-0.5, 1.5]), ParamError, "choice: p must be non-neg"),
    (lambda: np.random.choice(2, 1, replace=False, p=[onp.nan, 1.0]), ParamError,
     "choice: p contains NaN"),
    (lambda: np.random.choice(3, 2, p=[0.5, 0.5]), ShapeError,
     r"choice: p must be 1-D with one probability per element \(3\), got shape \(2,\)"),
    (lambda: np.random.choice(4, 2, p=onp.full((2, 2), 0.25)), ShapeError,
     r"choice: p must be 1-D .* got shape \(2, 2\)"),
    (lambda: np.random.choice(3, 4, replace=False, p=[0.2, 0.3, 0.5]), ShapeError,
     r"choice: cannot take a larger sample \(4\) than the population \(3\)"),
    (lambda: np.random.choice(3, 3, replace=False, p=[0.0, 0.5, 0.5]), ParamError,
     r"choice: p has fewer non-zero entries \(2\) than the 3 samples"),
    (lambda: np.random.choice(0, 2), ParamError,
     "choice: a must be greater than 0 unless no samples are taken"),
    (lambda: np.random.choice(np.array(3.0)), ShapeError,
     "choice: a must be an int or an array of at least one dimension"),
    (lambda: np.random.choice(3, -1), ShapeError, "choice: size must not be negative")])
def test_bad_arguments_raise_numpys_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
