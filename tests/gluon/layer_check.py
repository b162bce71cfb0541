"""Run a Gluon block eagerly and hybridized on the same inputs and parameters, forward
and backward, and check both agree: what every layer's test starts from."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import mxjit as mx
from mxjit import autograd, gluon


def run_block(net: gluon.Block, inputs: list[np.ndarray], train: bool, head: np.ndarray | None
              ) -> tuple[list[np.ndarray], dict[str, np.ndarray], list[np.ndarray]]:
    """(outputs, parameter gradients by structural name, input gradients) of one
    forward + backward pass (backward with head gradient `head`, ones by default)."""
    xs = [mx.nd.array(x, dtype=x.dtype) for x in inputs]
    for x in xs:
        if np.issubdtype(x.dtype, np.floating):
            x.attach_grad()
    with autograd.record(train_mode=train):
        out = net(*xs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    heads = [mx.nd.array(head if head is not None else np.ones(o.shape), dtype=o.dtype)
             for o in outs]
    autograd.backward(outs, heads)
    params = net._collect_params_with_prefix()
    grads = {k: p.grad().asnumpy() for k, p in params.items() if p.grad_req != "null"}
    in_grads = [x.grad.asnumpy() if x.grad is not None else None for x in xs]
    return [o.asnumpy() for o in outs], grads, in_grads


def eager_and_hybrid(make: Callable[[], gluon.HybridBlock], inputs: list[np.ndarray],
                     train: bool = True, head: np.ndarray | None = None, rtol: float = 1e-5,
                     atol: float = 1e-6, init: Any = None) -> tuple[list[np.ndarray],
                                                                    dict[str, np.ndarray]]:
    """Build the block twice with the same parameters, run one eagerly and one
    hybridized, assert outputs, parameter and input gradients and parameters after the
    pass (running statistics) agree; return the eager outputs and parameter gradients."""
    mx.random.seed(7)
    eager = make()
    eager.initialize(init if init is not None else mx.init.Xavier())
    eager(*[mx.nd.array(x, dtype=x.dtype) for x in inputs])  # (finishes deferred shapes)
    hybrid = make()
    hybrid.initialize()
    hybrid(*[mx.nd.array(x, dtype=x.dtype) for x in inputs])
    src = eager._collect_params_with_prefix()
    for k, p in hybrid._collect_params_with_prefix().items():
        p.set_data(src[k].data())
    hybrid.hybridize()
    mx.random.seed(11)
    out_e, grads_e, in_e = run_block(eager, inputs, train, head)
    mx.random.seed(11)
    out_h, grads_h, in_h = run_block(hybrid, inputs, train, head)
    for a, b in zip(out_e, out_h):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)
    assert grads_e.keys() == grads_h.keys()
    for k in grads_e:
        np.testing.assert_allclose(grads_h[k], grads_e[k], rtol=rtol, atol=atol, err_msg=k)
    for a, b in zip(in_e, in_h):
        if a is not None:
            np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)
    after = hybrid._collect_params_with_prefix()
    for k, p in eager._collect_params_with_prefix().items():
        np.testing.assert_allclose(after[k].data().asnumpy(), p.data().asnumpy(), rtol=rtol,
                                   atol=atol, err_msg=k)
    return out_e, grads_e
