"""`mx.test_utils.check_gluon_hybridize_consistency`: a HybridBlock gives the same outputs
and input gradients eagerly and hybridized (and, optionally, the same outputs as NumPy).

    >>> check_gluon_hybridize_consistency(lambda prefix: mx.gluon.nn.Dense(3, prefix=prefix),
    ...                                   [mx.np.ones((2, 4))])  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.testing as npt

from . import autograd
from .initializer import Initializer


class _SavedParameters(Initializer):
    """Initializes each parameter with the values the first network drew, by name."""

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        super().__init__()
        self._values = values

    def __call__(self, name: Any, arr: Any) -> None:  # (every parameter by name, not suffix)
        arr[()] = self._values[str(name)]


def check_gluon_hybridize_consistency(net_builder: Callable[..., Any], data_l: Sequence[Any],
                                      numpy_func: Callable[..., Any] | None = None,
                                      test_grad: bool = True, rtol: float = 1e-4,
                                      atol: float = 1e-4) -> None:
    """Build the block with `net_builder(prefix='net_')` four times (eager and hybridized,
    each with and without autograd), all with the first build's parameter values, and
    check that outputs (and with `test_grad`, the inputs' gradients for a head gradient
    equal to the output) agree; `numpy_func`, when given, must give the same output from
    the inputs as NumPy arrays. The network must not draw random numbers.

    >>> check_gluon_hybridize_consistency(
    ...     lambda prefix: mx.gluon.nn.Dense(3, prefix=prefix), [mx.np.ones((2, 4))],
    ...     numpy_func=None)  # doctest: +SKIP
    """
    saved_out: np.ndarray | None = None
    saved_grads: list[np.ndarray] | None = None
    initializer: Initializer | None = None
    for hybridize in (False, True):
        for use_autograd in ((False, True) if test_grad else (False,)):
            net = net_builder(prefix="net_")
            net.initialize(initializer)
            if hybridize:
                net.hybridize()
            inputs = [x.copy() for x in data_l]
            if use_autograd:
                for x in inputs:
                    x.attach_grad()
                with autograd.record():
                    out = net(*inputs)
                out.backward(out)
            else:
                out = net(*inputs)
            if initializer is None:
                initializer = _SavedParameters(
                    {k: v.data().asnumpy() for k, v in net.collect_params().items()})
            if saved_out is None:
                saved_out = out.asnumpy()
            else:
                npt.assert_allclose(out.asnumpy(), saved_out, rtol=rtol, atol=atol)
            if use_autograd:
                grads = [x.grad.asnumpy() for x in inputs]
                if saved_grads is None:
                    saved_grads = grads
                for got, expected in zip(grads, saved_grads):
                    npt.assert_allclose(got, expected, rtol=rtol, atol=atol)
    if numpy_func is not None and saved_out is not None:
        expected_out = numpy_func(*[x.asnumpy() for x in data_l])
        npt.assert_allclose(saved_out, expected_out, rtol=rtol, atol=atol)
