"""A sum over the taps of windows that tile the data without overlap is a layout change
(`windows.summed_spread`): the same values as the spread summed tap by tap, compiled and
by NumPy, for every pad, size and rank; and max/avg pooling whose stride is its window
gets MXNet's gradients through it. Max pooling's gradient goes to each window's first
maximal element (`windows.FirstMax`), or its first NaN."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit import autograd, nd
from mxjit.lower import Layout, lower_graph
from mxjit.trace import PRIMITIVES, apply, var
from mxjit.trace.windows import _spread_impl


def spread_sum(h, stride, pad, size):
    nd_ = len(stride)
    lead = h.ndim - 2 * nd_
    spread = _spread_impl(h, stride=stride, dilate=(1,) * nd_, pad=pad, size=size)
    return spread.sum(axis=tuple(range(lead, lead + nd_)))


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_rewritten_sum_equals_the_spread_summed_over_its_taps(data):
    rank = data.draw(st.integers(1, 2))
    taps = tuple(data.draw(st.integers(1, 3)) for _ in range(rank))
    count = tuple(data.draw(st.integers(1, 4)) for _ in range(rank))
    pad = tuple(data.draw(st.integers(-2, 2)) for _ in range(rank))
    size = tuple(data.draw(st.integers(1, 9)) for _ in range(rank))
    lead = (2, 3)
    h = np.random.default_rng(0).standard_normal(lead + taps + count).astype(np.float32)
    node = var(h.shape, h.dtype)
    summed = apply("reduce_sum", apply("window_spread", node, stride=taps,
                                       dilate=(1,) * rank, pad=pad, size=size),
                   axes=tuple(range(2, 2 + rank)))
    want = spread_sum(h.astype(np.float64), taps, pad, size)
    program = lower_graph([summed], [node], [Layout.contiguous(h.shape)])
    np.testing.assert_allclose(program.run([h])[0], want, rtol=1e-6, atol=1e-6)


def test_overlapping_windows_keep_the_reduction():
    node = var((2, 3, 3, 4, 4), np.dtype(np.float32))
    spread = apply("window_spread", node, stride=(2, 2), dilate=(1, 1), pad=(0, 0),
                   size=(9, 9))
    assert apply("reduce_sum", spread, axes=(1, 2)).op == "reduce_sum"
    tiled = apply("window_spread", node, stride=(3, 3), dilate=(1, 1), pad=(0, 0),
                  size=(12, 12))
    assert apply("reduce_sum", tiled, axes=(1, 2)).op != "reduce_sum"
    assert "reduce_sum" in PRIMITIVES  # (the rule is reduce_sum's own simplification)


def first_max_cell(image, cells):
    """The cell of `cells` (positions in `image`) that max pooling's gradient goes to: the
    first NaN, else the first maximal element."""
    nans = [yz for yz in cells if np.isnan(image[yz])]
    return nans[0] if nans else max(cells, key=lambda yz: (image[yz], -cells.index(yz)))


def pooling_grads_numpy(x, kernel, pool_type, pad, convention):
    """d sum(pool(x) * w) / dx by a float64 loop, MXNet's first-max rule."""
    n, c, h, w = x.shape
    k, p = kernel, pad
    if convention == "valid":
        oh, ow = (h + 2 * p - k) // k + 1, (w + 2 * p - k) // k + 1
    else:
        oh, ow = -(-(h + 2 * p - k) // k) + 1, -(-(w + 2 * p - k) // k) + 1
    weights = np.arange(n * c * oh * ow, dtype=np.float64).reshape(n, c, oh, ow) % 7 - 3
    grad = np.zeros_like(x, dtype=np.float64)
    for b, ch, i, j in itertools.product(range(n), range(c), range(oh), range(ow)):
        cells = [(y, z) for y in range(i * k - p, i * k - p + k)
                 for z in range(j * k - p, j * k - p + k) if 0 <= y < h and 0 <= z < w]
        if pool_type == "max":
            first = first_max_cell(x[b, ch], cells)
            grad[b, ch, first[0], first[1]] += weights[b, ch, i, j]
        else:  # (count_include_pad: the window clipped to the padded data, as MXNet)
            area = ((min(i * k - p + k, h + p) - (i * k - p))
                    * (min(j * k - p + k, w + p) - (j * k - p)))
            for y, z in cells:
                grad[b, ch, y, z] += weights[b, ch, i, j] / area
    return grad, weights


@pytest.mark.parametrize("pool_type", ["max", "avg"])
@pytest.mark.parametrize("k,pad,convention,size", [(2, 0, "valid", 8), (2, 0, "valid", 7),
                                                   (2, 1, "valid", 7), (3, 1, "full", 10),
                                                   (3, 0, "full", 8)])
def test_pooling_with_its_window_as_stride_gets_the_loop_references_gradient(
        pool_type, k, pad, convention, size):
    x = np.random.default_rng(k + size).standard_normal((2, 3, size, size))
    want, weights = pooling_grads_numpy(x, k, pool_type, pad, convention)
    for hybrid in (False, True):
        data = nd.array(x.astype(np.float32))
        data.attach_grad()

        def f(v):
            return nd.Pooling(v, kernel=(k, k), stride=(k, k), pad=(pad, pad),
                              pool_type=pool_type, pooling_convention=convention,
                              count_include_pad=True)

        fn = mx.jit(f) if hybrid else f
        with autograd.record():
            y = fn(data)
            (y * nd.array(weights.astype(np.float32))).sum().backward()
        np.testing.assert_allclose(data.grad.asnumpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("k,stride", [(2, 2), (3, 2), (3, 1)])
def test_max_pooling_gives_ties_to_the_first_maximum_and_nan_windows_to_the_first_nan(k, stride):
    x = np.maximum(np.random.default_rng(k).standard_normal((2, 3, 8, 8)), 0)  # (tied zeros)
    x[0, 0, 0, 1] = x[1, 2, 5, 5] = x[1, 2, 4, 4] = np.nan
    x[0, 1, 2:5, 2:5] = 1.5  # (windows of equal maxima)
    n = (8 - k) // stride + 1
    weights = np.arange(2 * 3 * n * n, dtype=np.float64).reshape(2, 3, n, n) % 7 - 3
    want = np.zeros_like(x)
    for b, ch, i, j in itertools.product(range(2), range(3), range(n), range(n)):
        cells = [(y, z) for y in range(i * stride, i * stride + k)
                 for z in range(j * stride, j * stride + k)]
        first = first_max_cell(x[b, ch], cells)
        want[b, ch, first[0], first[1]] += weights[b, ch, i, j]
    for hybrid in (False, True):
        data = nd.array(x.astype(np.float32))
        data.attach_grad()

        def f(v):
            return nd.Pooling(v, kernel=(k, k), stride=(stride, stride), pool_type="max")

        fn = mx.jit(f) if hybrid else f
        with autograd.record():
            (fn(data) * nd.array(weights.astype(np.float32))).sum().backward()
        np.testing.assert_allclose(data.grad.asnumpy(), want, rtol=1e-6, atol=1e-6)
