"""MXNet's private Gluon helpers that libraries import (GluonCV): the loss helpers
`_apply_weighting` / `_reshape_like` and the DataLoader's `_MultiWorkerIter`."""
from __future__ import annotations

import multiprocessing.pool
import pickle

import numpy as np
import pytest

import mxjit as mx
from mxjit.gluon.data.dataloader import _MultiWorkerIter, default_batchify_fn
from mxjit.gluon.loss import _apply_weighting, _reshape_like


def test_apply_weighting_multiplies_by_sample_weight_and_weight():
    loss = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    got = _apply_weighting(mx.nd, loss, 0.5, mx.nd.array([[1.0], [2.0]]))
    np.testing.assert_allclose(got.asnumpy(), [[0.5, 1.0], [3.0, 4.0]])
    assert _apply_weighting(mx.nd, loss) is loss
    with pytest.raises(mx.base.ParamError, match="weight must be a number, got 'x'"):
        _apply_weighting(mx.nd, loss, "x")


def test_reshape_like_takes_the_other_arrays_shape():
    assert _reshape_like(mx.nd, mx.nd.ones(6), mx.nd.ones((2, 3))).shape == (2, 3)
    x, y = mx.sym.var("x"), mx.sym.var("y")
    assert _reshape_like(mx.sym, x, y).list_arguments() == ["x", "y"]


def _batch_in_worker(indices, batchify_fn, dataset):
    return batchify_fn([dataset[i] for i in indices])


def _pickled_batch(indices, batchify_fn, dataset):
    return pickle.dumps([int(i) * 10 for i in indices])


def test_multi_worker_iter_yields_the_batches_in_order():
    data = np.arange(10, dtype=np.float32)
    sampler = mx.gluon.data.BatchSampler(mx.gluon.data.SequentialSampler(10), 4, "keep")
    with multiprocessing.pool.ThreadPool(2) as pool:
        it = _MultiWorkerIter(pool, default_batchify_fn, sampler,
                              worker_fn=_batch_in_worker, prefetch=2, dataset=data)
        assert len(it) == 3
        got = [b.asnumpy().tolist() for b in it]
        # without a dataset, a worker sends the batch pickled
        pickled = list(_MultiWorkerIter(pool, None, [[1, 2]], worker_fn=_pickled_batch))
    assert got == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert pickled == [[10, 20]]


def _failing(indices, batchify_fn, dataset):
    raise mx.base.ParamError("bad sample")


def test_multi_worker_iter_raises_a_workers_error_and_stops_the_pool():
    pool = multiprocessing.pool.ThreadPool(1)
    it = _MultiWorkerIter(pool, None, [[0]], worker_fn=_failing, dataset=[0])
    with pytest.raises(mx.base.ParamError, match="bad sample"):
        next(it)
    with pytest.raises(ValueError, match="Pool not running"):
        pool.apply_async(len, ([],))
