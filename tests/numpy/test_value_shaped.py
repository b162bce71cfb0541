"""mx.np functions whose results' shapes come from the values (bincount, nonzero, boolean
masks), against NumPy and MXNet 1.9.1's dtypes and 0-d rules."""
from __future__ import annotations

import numpy as onp
import pytest

import mxjit as mx
from mxjit import np, npx
from mxjit.base import ConcreteValueError

DATA = onp.array([1, 0, 3, 1], dtype="int8")


@pytest.mark.parametrize("weights", [None, "int32", "int64", "float16", "float32", "float64"])
def test_bincount_has_mxnets_dtype_the_weights_or_the_datas(weights):
    w = None if weights is None else onp.array([1, 2, 3, 4], dtype=weights)
    got = np.bincount(np.array(DATA), None if w is None else np.array(w), 6)
    want = onp.bincount(DATA, w, 6)
    assert got.dtype == (w.dtype if w is not None else DATA.dtype)
    onp.testing.assert_allclose(got.asnumpy(), want)


@pytest.mark.parametrize("value", [onp.array(3.0), onp.array(0.0), onp.zeros((1, 0)),
                                   onp.array([[1, 0, 2]], dtype="int32")])
def test_nonzero_counts_a_0d_array_as_1d_and_npx_gives_rows(value):
    want = onp.nonzero(onp.atleast_1d(value))
    got = np.nonzero(np.array(value, dtype=value.dtype))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        onp.testing.assert_array_equal(g.asnumpy(), w)
    rows = npx.nonzero(np.array(value, dtype=value.dtype))
    assert rows.dtype == onp.int64 and rows.shape == (want[0].size, max(value.ndim, 1))
    onp.testing.assert_array_equal(rows.asnumpy(), onp.argwhere(onp.atleast_1d(value)))


def test_a_0d_mask_selects_all_or_nothing_and_needs_its_value_in_a_trace():
    for keep in (True, False):
        for shape in ((), (2,)):
            x, want = np.zeros(shape), onp.zeros(shape)
            x[np.array(keep, dtype=bool)] = 4.0
            want[onp.array(keep)] = 4.0
            onp.testing.assert_array_equal(x.asnumpy(), want)
            picked = np.ones(shape)[(np.array(keep, dtype=bool),)]
            assert picked.shape == onp.ones(shape)[(onp.array(keep),)].shape
    with pytest.raises(ConcreteValueError, match=r"boolean mask of shape \(\)"):
        mx.jit(lambda v: v[v.sum() > 0])(np.ones(2))


@pytest.mark.parametrize("start_axis,mask_shape", [(0, (2, 3)), (1, (3, 4)), (2, (4,))])
def test_internal_boolean_mask_assignments_write_like_numpy(start_axis, mask_shape):
    rng = onp.random.default_rng(0)
    data = rng.standard_normal((2, 3, 4)).astype("float32")
    mask = rng.random(mask_shape) > 0.4
    key = (slice(None),) * start_axis + (mask,)
    want = data.copy()
    want[key] = 7.0
    a = np.array(data)
    out = np._internal.boolean_mask_assign_scalar(a, np.array(mask), 7.0,
                                                  start_axis=start_axis, out=a)
    assert out is a
    onp.testing.assert_array_equal(a.asnumpy(), want)
    values = rng.standard_normal(data[key].shape).astype("float32")
    want = data.copy()
    want[key] = values
    copy = np._internal.boolean_mask_assign_tensor(np.array(data), np.array(mask),
                                                   np.array(values), start_axis=start_axis)
    onp.testing.assert_array_equal(copy.asnumpy(), want)
