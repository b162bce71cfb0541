"""mx.engine: MXNet's bulk size is kept, reported and restored; results do not depend on it."""
from __future__ import annotations

import numpy as np

import mxjit as mx


def test_bulk_sets_and_restores_the_size_as_mxnet():
    start = mx.engine.set_bulk_size(0)
    try:
        assert mx.engine.set_bulk_size(5) == 0
        with mx.engine.bulk(10) as scope:
            assert isinstance(scope, object)
            assert mx.engine.set_bulk_size(10) == 10
        assert mx.engine.set_bulk_size(15) == 5
    finally:
        mx.engine.set_bulk_size(start)


def test_results_inside_a_bulk_scope_are_the_same():
    # (MXNet's test_bulk)
    with mx.engine.bulk(10):
        x = mx.nd.ones((10,))
        x *= 2
        x += 1
        x.wait_to_read()
        x += 1
        assert (x.asnumpy() == 4).all()
        for _ in range(100):
            x += 1
    np.testing.assert_array_equal(x.asnumpy(), np.full(10, 104.0))
