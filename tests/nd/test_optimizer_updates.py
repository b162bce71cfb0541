"""mx.nd's optimizer update operators: each against a NumPy reference of MXNet's kernel
(float64), eagerly (out=weight, states written in place) and under mx.jit (states rebound and
returned), the multi-tensor and mixed-precision forms, MXNet's optimizer runs
(optimizers.json, written by MXNet 1.9.1), gradients (none flow through an update) and every
error."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mxjit as mx
from mxjit.base import ArgumentError, DTypeError, ParamError, ShapeError, TracerError

nd = mx.nd
C = mx.nd.contrib
SHAPE = (3, 4)
TOL = {"float16": dict(rtol=1e-2, atol=1e-2), "float32": dict(rtol=1e-5, atol=1e-6),
       "float64": dict(rtol=1e-12, atol=1e-12)}


# ---- NumPy references of MXNet's kernels (float64) ------------------------------------------


def clip(x: np.ndarray, bound: float) -> np.ndarray:
    return x if bound < 0 else np.clip(x, -bound, bound)


def sign(x: np.ndarray) -> np.ndarray:
    return (x > 0).astype(x.dtype) - (x < 0)


def ref_sgd(weight, grad, lr, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, **_):
    return (1 - lr * wd) * weight - lr * clip(rescale_grad * grad, clip_gradient), {}


def ref_sgd_mom(weight, grad, mom, lr, momentum=0.0, wd=0.0, rescale_grad=1.0,
                clip_gradient=-1.0, **_):
    mom = momentum * mom - lr * wd * weight - lr * clip(rescale_grad * grad, clip_gradient)
    return weight + mom, {"mom": mom}


def ref_nag(weight, grad, mom, lr, momentum=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    g = clip(rescale_grad * grad, clip_gradient)
    m = momentum * mom
    new = weight - m + (momentum + 1) * (m - lr * (g + wd * weight))
    # MXNet's kernels decay the momentum with the weight just written (out=weight, weight32)
    return new, {"mom": m - lr * (g + wd * new)}


def ref_signsgd(weight, grad, lr, wd=0.0, **_):
    return (1 - lr * wd) * weight - lr * sign(grad), {}


def ref_signum(weight, grad, mom, lr, momentum=0.0, wd=0.0, rescale_grad=1.0,
               clip_gradient=-1.0, wd_lh=0.0):
    mom = momentum * mom - (1 - momentum) * (wd * weight + clip(rescale_grad * grad,
                                                                 clip_gradient))
    return (1 - lr * wd_lh) * weight + lr * sign(mom), {"mom": mom}


def ref_adam(weight, grad, mean, var, lr, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0,
             rescale_grad=1.0, clip_gradient=-1.0, **_):
    g = clip(rescale_grad * grad + wd * weight, clip_gradient)
    mean = beta1 * mean + (1 - beta1) * g
    var = beta2 * var + (1 - beta2) * g * g
    return weight - lr * mean / (np.sqrt(var) + epsilon), {"mean": mean, "var": var}


def ref_rmsprop(weight, grad, n, lr, gamma1=0.95, epsilon=1e-8, wd=0.0, rescale_grad=1.0,
                clip_gradient=-1.0, clip_weights=-1.0):
    g = clip(rescale_grad * grad + wd * weight, clip_gradient)
    n = (1 - gamma1) * g * g + gamma1 * n
    return clip(weight - lr * g / np.sqrt(n + epsilon), clip_weights), {"n": n}


def ref_rmspropalex(weight, grad, n, g, delta, lr, gamma1=0.95, gamma2=0.9, epsilon=1e-8,
                    wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, clip_weights=-1.0):
    gr = clip(rescale_grad * grad + wd * weight, clip_gradient)
    n = (1 - gamma1) * gr * gr + gamma1 * n
    g = (1 - gamma1) * gr + gamma1 * g
    delta = gamma2 * delta - lr * gr / np.sqrt(n - g * g + epsilon)
    return clip(weight + delta, clip_weights), {"n": n, "g": g, "delta": delta}


def ref_ftrl(weight, grad, z, n, lr, lamda1=0.01, beta=1.0, wd=0.0, rescale_grad=1.0,
             clip_gradient=-1.0):
    g = clip(rescale_grad * grad, clip_gradient)
    z = z + g - (np.sqrt(n + g * g) - np.sqrt(n)) * weight / lr
    n = n + g * g
    out = (sign(z) * lamda1 - z) / ((beta + np.sqrt(n)) / lr + wd) * (np.abs(z) > lamda1)
    return out, {"z": z, "n": n}


def ref_ftml(weight, grad, d, v, z, lr, t, beta1=0.6, beta2=0.999, epsilon=1e-8, wd=0.0,
             rescale_grad=1.0, clip_grad=-1.0):
    g = clip(rescale_grad * grad + wd * weight, clip_grad)
    v = beta2 * v + (1 - beta2) * g * g
    d_t = (1 - beta1 ** t) / lr * (np.sqrt(v / (1 - beta2 ** t)) + epsilon)
    z = beta1 * z + (1 - beta1) * g - (d_t - beta1 * d) * weight
    return -z / d_t, {"d": d_t, "v": v, "z": z}


def ref_lamb1(weight, grad, mean, var, t, wd, beta1=0.9, beta2=0.999, epsilon=1e-6,
              bias_correction=True, rescale_grad=1.0, clip_gradient=-1.0):
    g = clip(rescale_grad * grad, clip_gradient)
    mean = beta1 * mean + (1 - beta1) * g
    var = beta2 * var + (1 - beta2) * g * g
    m, v = (mean / (1 - beta1 ** t), var / (1 - beta2 ** t)) if bias_correction else (mean, var)
    return m / (np.sqrt(v) + epsilon) + wd * weight, {"mean": mean, "var": var}


def trust_ratio(r1, r2, lower_bound=-1.0, upper_bound=-1.0):
    if lower_bound >= 0:
        r1 = max(r1, lower_bound)
    if upper_bound >= 0:
        r1 = min(r1, upper_bound)
    return 1.0 if r1 == 0 or r2 == 0 else r1 / r2


def ref_lamb2(weight, g, r1, r2, lr, lower_bound=-1.0, upper_bound=-1.0):
    return weight - lr * trust_ratio(r1.item(), r2.item(), lower_bound, upper_bound) * g, {}


def ref_adamw(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999,
              epsilon=1e-8, wd=0.0, clip_gradient=-1.0):
    g = clip(rescale_grad * grad, clip_gradient)
    mean = beta1 * mean + (1 - beta1) * g
    var = beta2 * var + (1 - beta2) * g * g
    new = weight - eta * (lr * mean / (np.sqrt(var) + epsilon) + wd * weight)
    return new, {"mean": mean, "var": var, "grad": g}


def ref_group_adagrad(weight, grad, history, lr, rescale_grad=1.0, clip_gradient=-1.0,
                      epsilon=1e-5):
    g = clip(rescale_grad * grad, clip_gradient)
    rows = weight.shape[0]
    h = history.reshape(rows) + (g * g).reshape(rows, -1).mean(axis=1)
    per_row = h.reshape((rows,) + (1,) * (weight.ndim - 1))
    return weight - lr * g / np.sqrt(per_row + epsilon), {"history": h.reshape(history.shape)}


# ---- single-weight operators: eagerly, in place and under jit ---------------------------------

#: name -> (array inputs, states written in place, parameters, reference)
CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...], dict, Any]] = {
    "sgd_update": (("weight", "grad"), (), dict(lr=0.1, wd=0.01, rescale_grad=0.5,
                                               clip_gradient=0.3), ref_sgd),
    "sgd_mom_update": (("weight", "grad", "mom"), ("mom",),
                       dict(lr=0.1, momentum=0.9, wd=0.02, rescale_grad=2.0), ref_sgd_mom),
    "nag_mom_update": (("weight", "grad", "mom"), ("mom",),
                       dict(lr=0.1, momentum=0.9, wd=0.05, clip_gradient=0.5), ref_nag),
    "signsgd_update": (("weight", "grad"), (), dict(lr=0.1, wd=0.1, rescale_grad=-3.0,
                                                   clip_gradient=0.0), ref_signsgd),
    "signum_update": (("weight", "grad", "mom"), ("mom",),
                      dict(lr=0.01, momentum=0.9, wd=0.1, wd_lh=0.05, clip_gradient=0.4),
                      ref_signum),
    "adam_update": (("weight", "grad", "mean", "var"), ("mean", "var"),
                    dict(lr=0.01, wd=0.1, rescale_grad=0.7, clip_gradient=0.8), ref_adam),
    "rmsprop_update": (("weight", "grad", "n"), ("n",),
                       dict(lr=0.05, gamma1=0.8, wd=0.1, clip_weights=0.9), ref_rmsprop),
    "rmspropalex_update": (("weight", "grad", "n", "g", "delta"), ("n", "g", "delta"),
                           dict(lr=0.05, wd=0.01, clip_gradient=1.0, clip_weights=1.2),
                           ref_rmspropalex),
    "ftrl_update": (("weight", "grad", "z", "n"), ("z", "n"),
                    dict(lr=0.1, lamda1=0.2, beta=0.5, wd=0.1, rescale_grad=1.5), ref_ftrl),
    "ftml_update": (("weight", "grad", "d", "v", "z"), ("d", "v", "z"),
                    dict(lr=0.01, t=3, wd=0.1, clip_grad=0.9), ref_ftml),
    "lamb_update_phase1": (("weight", "grad", "mean", "var"), ("mean", "var"),
                           dict(t=2, wd=0.01, rescale_grad=0.5, clip_gradient=0.6), ref_lamb1),
}
#: inputs that must be non-negative (second moments, squared sums)
POSITIVE = {"var", "n", "v", "d", "history"}


def make_inputs(names: tuple[str, ...], shape: tuple[int, ...] = SHAPE, seed: int = 0
                ) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    made = {k: (rng.uniform(0.5, 1.5, shape) if k in POSITIVE else rng.standard_normal(shape))
            for k in names}
    if "delta" in names:  # (rmspropalex: keep n - g ** 2 positive)
        made["g"] *= 0.1
    return made


def check_case(name: str, dtype: str, shape: tuple[int, ...] = SHAPE, **override: Any
               ) -> None:
    inputs, states, params, ref = CASES[name]
    params = {**params, **override}
    values = make_inputs(inputs, shape)
    arrays = {k: nd.array(v, dtype=dtype) for k, v in values.items()}
    exact = {k: a.asnumpy().astype(np.float64) for k, a in arrays.items()}
    result = getattr(nd, name)(**arrays, **params)
    want, want_states = ref(**exact, **params)
    assert result.dtype == np.dtype(dtype) and result.shape == shape
    np.testing.assert_allclose(result.asnumpy(), want, **TOL[dtype])
    for s in states:
        np.testing.assert_allclose(arrays[s].asnumpy(), want_states[s], **TOL[dtype],
                                   err_msg=s)
    np.testing.assert_array_equal(arrays["grad"].asnumpy(), values["grad"].astype(dtype))


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_update_matches_numpy_and_writes_states_in_place(name: str, dtype: str) -> None:
    check_case(name, dtype)


@pytest.mark.parametrize("name", sorted(CASES))
def test_update_writes_out_and_handles_edge_shapes(name: str) -> None:
    inputs, states, params, _ = CASES[name]
    arrays = {k: nd.array(v) for k, v in make_inputs(inputs).items()}
    weight = arrays["weight"]
    got = getattr(nd, name)(**arrays, **params, out=weight)
    assert got is weight
    for shape in [(1,), (0, 3), (2, 1, 3)]:
        check_case(name, "float32", shape)


@pytest.mark.parametrize("name", sorted(CASES))
def test_jitted_update_returns_what_the_eager_one_computes(name: str) -> None:
    inputs, states, params, _ = CASES[name]
    values = make_inputs(inputs, seed=3)

    def step(*arrays):  # type: ignore[no-untyped-def]
        named = dict(zip(inputs, arrays))
        new = getattr(nd, name)(**named, **params)
        return [new] + [named[s] for s in states]

    eager_args = [nd.array(values[k]) for k in inputs]
    eager = step(*eager_args)
    jit_args = [nd.array(values[k]) for k in inputs]
    traced = mx.jit(step)(*jit_args)
    for e, t in zip(eager, traced):
        np.testing.assert_allclose(t.asnumpy(), e.asnumpy(), rtol=1e-6, atol=1e-7)
    for a, k in zip(jit_args, inputs):  # (the caller's arrays are not written)
        np.testing.assert_array_equal(a.asnumpy(), values[k].astype(np.float32))


@settings(max_examples=12, deadline=None)
@given(name=st.sampled_from(["sgd_mom_update", "adam_update", "ftrl_update", "signum_update"]),
       rescale=st.sampled_from([0.5, 1.0, -2.0]), clip_at=st.sampled_from([-1.0, 0.0, 0.3]),
       wd=st.sampled_from([0.0, 0.1]), lr=st.floats(0.01, 1.0))
def test_update_parameters_match_numpy(name: str, rescale: float, clip_at: float, wd: float,
                                       lr: float) -> None:
    check_case(name, "float64", rescale_grad=rescale, clip_gradient=clip_at, wd=wd, lr=lr)


def test_clip_gradient_follows_mxnets_kernels() -> None:
    w, g = nd.array([1.0, 2.0]), nd.array([0.5, -3.0])
    # 0 clips to 0 (MXNet's kernels test >= 0; its docs say <= 0 is off); negative is off
    assert nd.sgd_update(w, g, lr=0.1, clip_gradient=0).asnumpy().tolist() == [1.0, 2.0]
    np.testing.assert_allclose(nd.sgd_update(w, g, lr=0.1, clip_gradient=-2).asnumpy(),
                               [0.95, 2.3], rtol=1e-6)
    got = nd.sgd_update(w, nd.array([np.nan, 1.0]), lr=0.1, clip_gradient=0.5).asnumpy()
    assert np.isnan(got[0]) and got[1] == pytest.approx(1.95)  # NaN passes through clipping


def test_signs_of_nan_are_zero_as_in_mxnets_kernels() -> None:
    got = nd.signsgd_update(nd.array([1.0, 1.0]), nd.array([np.nan, -2.0]), lr=0.5).asnumpy()
    assert got.tolist() == [1.0, 1.5]


def test_rmsprop_and_ftrl_edge_values() -> None:
    check_case("rmsprop_update", "float32", clip_weights=-1.0, clip_gradient=0.2)
    check_case("ftrl_update", "float32", lamda1=10.0)  # |z| <= lamda1 everywhere: weight 0
    weight_grad_z_n = nd.array([1.0]), nd.array([0.0]), nd.zeros(1), nd.zeros(1)
    assert nd.ftrl_update(*weight_grad_z_n, lr=0.1).asnumpy().tolist() == [0.0]
    check_case("lamb_update_phase1", "float32", bias_correction=False)
    check_case("ftml_update", "float32", t=1, rescale_grad=3.0)


# ---- mixed precision -------------------------------------------------------------------------


def mixed_inputs(seed: int = 1) -> tuple[nd.NDArray, nd.NDArray, nd.NDArray, np.ndarray]:
    """A float16 weight and gradient, and the float32 master copy the weight came from."""
    rng = np.random.default_rng(seed)
    w32 = rng.standard_normal(SHAPE).astype(np.float32)
    return (nd.array(w32, dtype="float16"), nd.array(rng.standard_normal(SHAPE), dtype="float16"),
            nd.array(w32), w32)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_mp_sgd_updates_run_in_float32_on_the_master_copy(momentum: float) -> None:
    w16, g16, w32, start = mixed_inputs()
    params = dict(lr=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=0.4)
    g = g16.asnumpy().astype(np.float64)
    if momentum:
        mom = nd.array(np.full(SHAPE, 0.1))
        got = nd.mp_sgd_mom_update(w16, g16, mom, w32, momentum=momentum, out=w16, **params)
        want, states = ref_sgd_mom(start.astype(np.float64), g, np.full(SHAPE, 0.1),
                                   momentum=momentum, **params)
        np.testing.assert_allclose(mom.asnumpy(), states["mom"], rtol=1e-5, atol=1e-6)
    else:
        got = nd.mp_sgd_update(w16, g16, w32, out=w16, **params)
        want, _ = ref_sgd(start.astype(np.float64), g, **params)
    assert got is w16 and got.dtype == np.float16
    np.testing.assert_allclose(w32.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(w16.asnumpy(), w32.asnumpy().astype(np.float16))


def test_mp_nag_matches_mxnets_kernel() -> None:
    w16, g16, w32, start = mixed_inputs()
    mom = nd.array(np.full(SHAPE, 0.2))
    params = dict(lr=0.1, momentum=0.9, wd=0.5, rescale_grad=2.0)
    got = nd.mp_nag_mom_update(w16, g16, mom, w32, **params)
    want, states = ref_nag(start.astype(np.float64), g16.asnumpy().astype(np.float64),
                           np.full(SHAPE, 0.2), **params)
    np.testing.assert_allclose(w32.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mom.asnumpy(), states["mom"], rtol=1e-5, atol=1e-6)
    assert got.dtype == np.float16
    # hard-coded from MXNet 1.9.1
    w32, mom = nd.array([1.0, -2.0]), nd.array([0.1, 0.2])
    nd.mp_nag_mom_update(w32.astype("float16"), nd.array([0.5, 0.25], dtype="float16"), mom,
                         w32, lr=0.1, momentum=0.9, wd=0.5)
    np.testing.assert_allclose(mom.asnumpy(), [-0.00455001, 0.239775], rtol=1e-5)
    np.testing.assert_allclose(w32.asnumpy(), [0.89100003, -1.6955001], rtol=1e-6)


def test_mp_lamb_phases_update_the_master_copy() -> None:
    w16, g16, w32, start = mixed_inputs()
    mean, var = nd.zeros(SHAPE), nd.zeros(SHAPE)
    g = nd.mp_lamb_update_phase1(w16, g16, mean, var, w32, t=1, wd=0.01)
    assert g.dtype == np.float32
    want_g, states = ref_lamb1(start.astype(np.float64), g16.asnumpy().astype(np.float64),
                               np.zeros(SHAPE), np.zeros(SHAPE), t=1, wd=0.01)
    np.testing.assert_allclose(g.asnumpy(), want_g, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(var.asnumpy(), states["var"], rtol=1e-5, atol=1e-7)
    r1, r2 = w32.norm(), g.norm()
    got = nd.mp_lamb_update_phase2(w16, g, r1, r2, w32, lr=0.1, lower_bound=0.5, out=w16)
    want, _ = ref_lamb2(start.astype(np.float64), g.asnumpy().astype(np.float64),
                        r1.asnumpy(), r2.asnumpy(), lr=0.1, lower_bound=0.5)
    assert got is w16
    np.testing.assert_allclose(w32.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(w16.asnumpy(), w32.asnumpy().astype(np.float16))


@pytest.mark.parametrize("bounds", [(-1, -1), (3, -1), (-1, 0.5), (0, 0)])
def test_lamb_phase2_trust_ratio_and_bounds(bounds: tuple[float, float]) -> None:
    w, g = nd.array([1.0, 2.0]), nd.array([0.5, 0.5])
    lower, upper = bounds
    got = nd.lamb_update_phase2(w, g, nd.array([2.0]), nd.array([4.0]), lr=0.1,
                                lower_bound=lower, upper_bound=upper).asnumpy()
    # hard-coded from MXNet 1.9.1
    want = {(-1, -1): [0.975, 1.975], (3, -1): [0.9625, 1.9625], (-1, 0.5): [0.99375, 1.99375],
            (0, 0): [0.95, 1.95]}[bounds]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    zero = nd.lamb_update_phase2(w, g, nd.array([2.0]), nd.array([0.0]), lr=0.1).asnumpy()
    np.testing.assert_allclose(zero, [0.95, 1.95], rtol=1e-6)


# ---- several weights in one call -------------------------------------------------------------


def weight_groups(names: tuple[str, ...], count: int = 2, dtype: str = "float32"
                  ) -> list[dict[str, nd.NDArray]]:
    shapes = [(2, 3), (4,), (1,)]
    groups = []
    for i in range(count):
        values = make_inputs(tuple(n for n in names if n != "weight32"), shapes[i], seed=i)
        group = {k: nd.array(v, dtype=dtype) for k, v in values.items()}
        if "weight32" in names:
            group = {k: (nd.array(v, dtype="float16") if k in ("weight", "grad") else
                         nd.array(v)) for k, v in values.items()}
            group["weight32"] = nd.array(group["weight"].asnumpy().astype(np.float32))
        groups.append(group)
    return groups


MULTI_SGD = {  # name -> (arrays per weight, preloaded)
    "multi_sgd_update": (("weight", "grad"), False),
    "multi_sgd_mom_update": (("weight", "grad", "mom"), False),
    "multi_mp_sgd_update": (("weight", "grad", "weight32"), False),
    "multi_mp_sgd_mom_update": (("weight", "grad", "mom", "weight32"), False),
    "preloaded_multi_sgd_update": (("weight", "grad"), True),
    "preloaded_multi_sgd_mom_update": (("weight", "grad", "mom"), True),
    "preloaded_multi_mp_sgd_update": (("weight", "grad", "weight32"), True),
    "preloaded_multi_mp_sgd_mom_update": (("weight", "grad", "mom", "weight32"), True),
}


@pytest.mark.parametrize("name", sorted(MULTI_SGD))
def test_multi_sgd_updates_each_weight_with_its_rate(name: str) -> None:
    names, preloaded = MULTI_SGD[name]
    groups = weight_groups(names)
    lrs, wds = (0.1, 0.3), (0.01, 0.0)
    params: dict[str, Any] = dict(rescale_grad=0.5, clip_gradient=0.6, num_weights=2)
    if "mom" in names:
        params["momentum"] = 0.9
    start = [{k: v.asnumpy().astype(np.float64) for k, v in g.items()} for g in groups]
    data = [g[k] for g in groups for k in names]
    if preloaded:
        data += [nd.array(lrs), nd.array(wds)]
    else:
        params.update(lrs=lrs, wds=wds)
    weights = [g["weight"] for g in groups]
    got = getattr(nd, name)(*data, out=weights, **params)
    assert got[0] is weights[0] and got[1] is weights[1]
    for group, before, lr, wd in zip(groups, start, lrs, wds):
        kw = dict(lr=lr, wd=wd, rescale_grad=0.5, clip_gradient=0.6)
        master = before.get("weight32", before["weight"])
        if "mom" in names:
            want, states = ref_sgd_mom(master, before["grad"], before["mom"], momentum=0.9, **kw)
            np.testing.assert_allclose(group["mom"].asnumpy(), states["mom"], rtol=1e-5,
                                       atol=1e-6)
        else:
            want, _ = ref_sgd(master, before["grad"], **kw)
        if "weight32" in names:
            np.testing.assert_allclose(group["weight32"].asnumpy(), want, rtol=1e-5, atol=1e-6)
            assert group["weight"].dtype == np.float16
        np.testing.assert_allclose(group["weight"].asnumpy(), want, **TOL[
            "float16" if "weight32" in names else "float32"])


def test_multi_sgd_takes_a_list_scalar_rates_and_jits() -> None:
    w, g = nd.array([1.0, 2.0]), nd.array([1.0, -1.0])
    got = nd.multi_sgd_update([w, g], lrs=0.5, wds=0.0)  # (MXNet accepts a bare number)
    assert isinstance(got, list) and got[0].asnumpy().tolist() == [0.5, 2.5]

    def step(w, g, mom):  # type: ignore[no-untyped-def]
        (new,) = nd.multi_sgd_mom_update(w, g, mom, lrs=(0.1,), wds=(0.0,), momentum=0.5)
        return new, mom

    args = [nd.array([1.0, 2.0]), nd.array([1.0, -1.0]), nd.array([0.2, 0.2])]
    new, mom = mx.jit(step)(*args)
    np.testing.assert_allclose(mom.asnumpy(), [0.0, 0.2], atol=1e-7)
    np.testing.assert_allclose(new.asnumpy(), [1.0, 2.2], rtol=1e-6)


def test_multi_sum_sq_and_multi_lars() -> None:
    a = np.arange(6.0).reshape(2, 3)
    got = nd.multi_sum_sq(nd.array(a), nd.array([3.0]), nd.zeros((0,)), num_arrays=3)
    assert got.dtype == np.float32 and got.asnumpy().tolist() == [55.0, 9.0, 0.0]
    half = nd.multi_sum_sq(nd.array([1.0, 2.0], dtype="float16"), num_arrays=1)
    assert half.dtype == np.float32 and half.asnumpy().tolist() == [5.0]
    lrs, wss, gss, wds = (nd.array(v) for v in ([0.1, 0.2, 0.3], [4.0, 0.0, 9.0],
                                                 [1.0, 1.0, 0.0], [0.01, 0.0, 0.0]))
    out = nd.multi_lars(lrs, wss, gss, wds, eta=0.5, eps=0.1, rescale_grad=2.0)
    # 0.1 * 0.5 * 2 / (1 * 2 + 0.01 * 2 + 0.1) where both norms are positive, else lrs
    # (MXNet 1.9.1 gives [0.04716982, 0.2, 0.3])
    np.testing.assert_allclose(out.asnumpy(), [0.1 / 2.12, 0.2, 0.3], rtol=1e-6)
    head = [x[0:2] for x in (lrs, wss, gss, wds)]  # (as MXNet's LARS writes a slice of lrs)
    nd.multi_lars(*head, eta=0.5, eps=0.1, rescale_grad=2.0, out=lrs[0:2])
    np.testing.assert_allclose(lrs.asnumpy(), [0.1 / 2.12, 0.2, 0.3], rtol=1e-6)


def test_reset_arrays_zeroes_in_place_and_rebinds_in_a_trace() -> None:
    a, b = nd.ones((2, 3)), nd.array([1, 2], dtype="int32")
    assert nd.reset_arrays(a, b, num_arrays=2) == []
    assert a.asnumpy().sum() == 0 and b.asnumpy().tolist() == [0, 0]

    def step(x, y):  # type: ignore[no-untyped-def]
        nd.reset_arrays(x, num_arrays=1)
        return x + y

    x = nd.ones(3)
    assert mx.jit(step)(x, nd.ones(3)).asnumpy().tolist() == [1.0, 1.0, 1.0]
    assert x.asnumpy().tolist() == [1.0, 1.0, 1.0]


# ---- contrib: AdamW, LAMB over several tensors, group AdaGrad --------------------------------


def test_adamw_update_writes_grad_and_skips_on_a_bad_rescale() -> None:
    values = make_inputs(("weight", "grad", "mean", "var"))
    arrays = {k: nd.array(v) for k, v in values.items()}
    params = dict(lr=0.01, eta=0.5, wd=0.1, clip_gradient=0.7)
    got = C.adamw_update(arrays["weight"], arrays["grad"], arrays["mean"], arrays["var"], 1.5,
                         out=arrays["weight"], **params)
    assert got is arrays["weight"]
    want, states = ref_adamw(**values, rescale_grad=1.5, **params)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    for k in ("mean", "var", "grad"):  # (MXNet leaves the clipped gradient in grad)
        np.testing.assert_allclose(arrays[k].asnumpy(), states[k], rtol=1e-5, atol=1e-7)
    for bad in (0.0, np.nan, np.inf):
        before = {k: a.asnumpy() for k, a in arrays.items()}
        rescale = nd.array([bad, 5.0])  # (an array: its first value is read)
        C.adamw_update(*(arrays[k] for k in ("weight", "grad", "mean", "var")), rescale,
                       out=arrays["weight"], **params)
        for k, a in arrays.items():
            np.testing.assert_array_equal(a.asnumpy(), before[k], err_msg=f"{bad} {k}")


def test_mp_and_multi_adamw() -> None:
    w16, g16, w32, start = mixed_inputs()
    mean, var = nd.zeros(SHAPE), nd.zeros(SHAPE)
    params = dict(lr=0.01, eta=0.5, wd=0.1)
    got = C.mp_adamw_update(w16, g16, mean, var, w32, nd.array([2.0]), out=w16, **params)
    want, states = ref_adamw(start.astype(np.float64), g16.asnumpy().astype(np.float64),
                             np.zeros(SHAPE), np.zeros(SHAPE), 2.0, **params)
    assert got is w16 and got.dtype == np.float16
    np.testing.assert_allclose(w32.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var.asnumpy(), states["var"], rtol=1e-5, atol=1e-9)
    # several weights, float32 and mixed precision; grads are left as they are
    for mixed in (False, True):
        names = ("weight", "grad", "mean", "var") + (("weight32",) if mixed else ())
        groups = weight_groups(names)
        before = [{k: v.asnumpy().astype(np.float64) for k, v in g.items()} for g in groups]
        lists = [[g[k] for g in groups] for k in names]
        fn = C.multi_mp_adamw_update if mixed else C.multi_adamw_update
        got = fn(*lists, 0.5, [0.01, 0.02], [0.0, 0.1], [1.0, 0.5], out=lists[0])
        assert got[1] is lists[0][1]
        for g, b, lr, wd, eta in zip(groups, before, (0.01, 0.02), (0.0, 0.1), (1.0, 0.5)):
            want, states = ref_adamw(b.get("weight32", b["weight"]), b["grad"], b["mean"],
                                     b["var"], 0.5, lr, eta, wd=wd)
            np.testing.assert_allclose(g.get("weight32", g["weight"]).asnumpy(), want,
                                       rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(g["mean"].asnumpy(), states["mean"], rtol=1e-5,
                                       atol=1e-7)
            np.testing.assert_array_equal(g["grad"].asnumpy(), b["grad"].astype(g["grad"].dtype))


def ref_multi_lamb(b: dict[str, np.ndarray], t: int, lr: float, wd: float, **kw: Any
                   ) -> tuple[np.ndarray, dict]:
    master = b.get("weight32", b["weight"])
    g, states = ref_lamb1(master, b["grad"], b["mean"], b["var"], t=t, wd=wd, **kw)
    ratio = trust_ratio(np.linalg.norm(b["weight"]), np.linalg.norm(g))
    return master - lr * ratio * g, states


@pytest.mark.parametrize("mixed", [False, True])
def test_multi_lamb_update(mixed: bool) -> None:
    names = ("weight", "grad", "mean", "var") + (("weight32",) if mixed else ())
    groups = weight_groups(names)
    before = [{k: v.asnumpy().astype(np.float64) for k, v in g.items()} for g in groups]
    lists = [[g[k] for g in groups] for k in names]
    fn = C.multi_mp_lamb_update if mixed else C.multi_lamb_update
    got = fn(*lists, [1, 3], [0.01, 0.02], [0.0, 0.1], out=lists[0], rescale_grad=0.5)
    assert got[0] is lists[0][0]
    for g, b, t, lr, wd in zip(groups, before, (1, 3), (0.01, 0.02), (0.0, 0.1)):
        want, states = ref_multi_lamb(b, t, lr, wd, rescale_grad=0.5)
        np.testing.assert_allclose(g.get("weight32", g["weight"]).asnumpy(), want, rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(g["var"].asnumpy(), states["var"], rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("shape, history", [((2, 3), (2, 1)), ((3,), (3,)), ((2, 2, 2), (2,))])
def test_group_adagrad_update(shape: tuple[int, ...], history: tuple[int, ...]) -> None:
    rng = np.random.default_rng(5)
    w, g, h = rng.standard_normal(shape), rng.standard_normal(shape), rng.uniform(0, 1, history)
    arrays = [nd.array(v) for v in (w, g, h)]
    got = C.group_adagrad_update(*arrays, lr=0.1, rescale_grad=2.0, clip_gradient=1.5,
                                 out=arrays[0])
    want, states = ref_group_adagrad(w, g, h, lr=0.1, rescale_grad=2.0, clip_gradient=1.5)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arrays[2].asnumpy(), states["history"], rtol=1e-5, atol=1e-6)
    # MXNet 1.9.1 (with the gradient as row_sparse) gives these for this input
    w2, h2 = nd.array([[1.0, 2.0], [3.0, 4.0]]), nd.zeros((2, 1))
    C.group_adagrad_update(w2, nd.array([[0.5, -1.0], [2.0, 0.1]]), h2, lr=0.1, out=w2)
    np.testing.assert_allclose(w2.asnumpy(), [[0.93675494, 2.12649], [2.8587554, 3.9929378]],
                               rtol=1e-6)
    np.testing.assert_allclose(h2.asnumpy(), [[0.625], [2.005]], rtol=1e-6)


JITTED = {  # name -> (step over arrays returning the new weight and the states, arrays)
    "mp_sgd_mom_update": (lambda w, g, m, w32: [nd.mp_sgd_mom_update(
        w, g, m, w32, lr=0.1, momentum=0.9, wd=0.1), m, w32], ("f16", "f16", "f32", "f32")),
    "preloaded_multi_mp_sgd_update": (lambda w, g, w32, lrs, wds: [
        *nd.preloaded_multi_mp_sgd_update(w, g, w32, lrs, wds, clip_gradient=0.5), w32],
        ("f16", "f16", "f32", "lr", "lr")),
    "adamw_update": (lambda w, g, m, v: [C.adamw_update(w, g, m, v, 0.5, lr=0.1, eta=0.5), g, m,
                                         v], ("f32", "f32", "f32", "pos")),
    "multi_mp_lamb_update": (lambda w, g, m, v, w32: [*C.multi_mp_lamb_update(
        [w], [g], [m], [v], [w32], [2], [0.1], [0.01]), m, v, w32],
        ("f16", "f16", "f32", "pos", "f32")),
    "lamb_phases": (lambda w, g, m, v: [nd.lamb_update_phase2(w, d := nd.lamb_update_phase1(
        w, g, m, v, t=1, wd=0.1), w.norm(), d.norm(), lr=0.1, upper_bound=2.0), m, v],
        ("f32", "f32", "f32", "pos")),
    "group_adagrad_update": (lambda w, g, h: [C.group_adagrad_update(w, g, h, lr=0.1), h],
                             ("f32", "f32", "row")),
}


@pytest.mark.parametrize("name", sorted(JITTED))
def test_jitted_mixed_multi_and_contrib_updates_match_eager(name: str) -> None:
    step, kinds = JITTED[name]
    rng = np.random.default_rng(7)
    make = {"f16": lambda: nd.array(rng.standard_normal(SHAPE), dtype="float16"),
            "f32": lambda: nd.array(rng.standard_normal(SHAPE)),
            "pos": lambda: nd.array(rng.uniform(0.5, 1, SHAPE)),
            "lr": lambda: nd.array([0.2]), "row": lambda: nd.array(rng.uniform(0, 1, (3, 1)))}
    eager_args = [make[k]() for k in kinds]
    jit_args = [a.copy() for a in eager_args]
    eager = step(*eager_args)
    for e, t in zip(eager, mx.jit(step)(*jit_args)):
        assert e.dtype == t.dtype
        np.testing.assert_allclose(t.asnumpy(), e.asnumpy(), rtol=1e-6, atol=1e-6)


# ---- MXNet's optimizers, run on these operators (fixtures written by MXNet 1.9.1) ------------


FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1" / "optimizers.json"


def _steps(run: str, weight: nd.NDArray, grads: list) -> list[np.ndarray]:
    """The weight after each update of MXNet's optimizer `run` (as optimizer.py calls the
    update operators; rescale_grad 1 and no clipping unless the run sets them)."""
    zeros = lambda: nd.zeros(weight.shape)  # noqa: E731
    state = [zeros() for _ in range(3)]
    lr_adam, seen = 0.01, []
    for t, g in enumerate(grads, start=1):
        g = nd.array(g)
        if run == "sgd":
            nd.multi_sgd_update(weight, g, lrs=[0.1], wds=[0.0], out=[weight])
        elif run == "sgd_momentum_wd":
            nd.multi_sgd_mom_update(weight, g, state[0], lrs=[0.1], wds=[0.01], momentum=0.9,
                                    out=[weight])
        elif run == "sgd_clip_rescale":
            nd.multi_sgd_mom_update(weight, g, state[0], lrs=[0.1], wds=[0.0], momentum=0.5,
                                    clip_gradient=0.5, rescale_grad=0.5, out=[weight])
        elif run == "nag":
            nd.nag_mom_update(weight, g, state[0], lr=0.1, wd=0.001, momentum=0.9, out=weight)
        elif run == "adam":  # (MXNet's Adam folds bias correction into lr)
            lr = lr_adam * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            nd.adam_update(weight, g, state[0], state[1], lr=lr, wd=0.01, out=weight)
        elif run == "rmsprop":
            nd.rmsprop_update(weight, g, state[0], lr=0.01, gamma1=0.9, out=weight)
        elif run == "rmsprop_centered":
            nd.rmspropalex_update(weight, g, *state, lr=0.01, gamma1=0.9, gamma2=0.9,
                                  clip_weights=0.5, out=weight)
        elif run == "ftrl":
            nd.ftrl_update(weight, g, state[0], state[1], lr=0.1, lamda1=0.01, beta=1.0,
                           out=weight)
        elif run == "ftml":
            nd.ftml_update(weight, g, *state, lr=0.01, t=t, out=weight)
        elif run == "signum":
            nd.signum_update(weight, g, state[0], lr=0.01, momentum=0.9, wd_lh=0.01,
                             out=weight)
        elif run == "lamb":
            C.multi_lamb_update([weight], [g], [state[0]], [state[1]], step_count=[t],
                                lrs=[0.01], wds=[0.01], out=[weight])
        elif run == "lamb_phases":  # (the single-tensor path of MXNet's LAMB)
            d = nd.lamb_update_phase1(weight, g, state[0], state[1], t=t, wd=0.01)
            nd.lamb_update_phase2(weight, d, weight.norm(), d.norm(), lr=0.01, out=weight)
        elif run == "lars":
            lrs, wds = nd.array([0.1]), nd.array([0.001])
            w_sq, g_sq = nd.multi_sum_sq(weight, num_arrays=1), nd.multi_sum_sq(g, num_arrays=1)
            nd.multi_lars(lrs, w_sq, g_sq, wds, eta=0.001, eps=0.0, out=lrs)
            nd.preloaded_multi_sgd_mom_update(weight, g, state[0], lrs, wds, momentum=0.9,
                                              out=[weight])
        seen.append(weight.asnumpy())
    return seen


RUNS = ["sgd", "sgd_momentum_wd", "sgd_clip_rescale", "nag", "adam", "rmsprop",
        "rmsprop_centered", "ftrl", "ftml", "signum", "lamb", "lamb_phases", "lars"]


@pytest.mark.parametrize("run", RUNS)
def test_mxnets_optimizers_reproduced_on_the_update_operators(run: str) -> None:
    fixture = json.loads(FIXTURE.read_text())
    expected = fixture["runs"]["lamb" if run == "lamb_phases" else run]
    weight = nd.array(np.array(fixture["w0"], dtype=np.float32))
    got = _steps(run, weight, fixture["grads"])
    for step, (g, want) in enumerate(zip(got, expected["weights_after_each_step"])):
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=2e-6, err_msg=f"step {step + 1}")


# ---- gradients: none flow through an update ---------------------------------------------------


def test_updates_under_autograd_pass_no_gradient() -> None:
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    mom = nd.zeros(2)
    with mx.autograd.record():
        w = x * 3
        new = nd.sgd_mom_update(w, w * 2, mom, lr=0.1, momentum=0.9)
        loss = (new * new + x).sum()
    loss.backward()
    assert x.grad.asnumpy().tolist() == [1.0, 1.0]  # (only through "+ x")
    np.testing.assert_allclose(mom.asnumpy(), [-0.6, -1.2], rtol=1e-6)
    weight = nd.array([1.0, 2.0])
    weight.attach_grad()  # (a Gluon parameter: updated in place while a variable)
    with mx.autograd.record():
        nd.sgd_update(weight, nd.ones(2), lr=0.5, out=weight)
    assert weight.asnumpy().tolist() == [0.5, 1.5]
    grads = mx.grad(lambda w: nd.adam_update(w, w, w * 0, w * 0 + 1, lr=0.1).sum())(
        nd.array([1.0, -1.0]))
    assert grads.asnumpy().tolist() == [0.0, 0.0]


# ---- signatures and errors --------------------------------------------------------------------

#: MXNet 1.9.1's parameters (help(mx.nd.X)) in order; "*" marks required ones.
SIGNATURES = {
    "sgd_update": "weight grad lr* wd rescale_grad clip_gradient lazy_update",
    "sgd_mom_update": "weight grad mom lr* momentum wd rescale_grad clip_gradient lazy_update",
    "mp_sgd_update": "weight grad weight32 lr* wd rescale_grad clip_gradient lazy_update",
    "mp_sgd_mom_update": "weight grad mom weight32 lr* momentum wd rescale_grad clip_gradient "
                         "lazy_update",
    "nag_mom_update": "weight grad mom lr* momentum wd rescale_grad clip_gradient",
    "mp_nag_mom_update": "weight grad mom weight32 lr* momentum wd rescale_grad clip_gradient",
    "adam_update": "weight grad mean var lr* beta1 beta2 epsilon wd rescale_grad clip_gradient "
                   "lazy_update",
    "rmsprop_update": "weight grad n lr* gamma1 epsilon wd rescale_grad clip_gradient "
                      "clip_weights",
    "rmspropalex_update": "weight grad n g delta lr* gamma1 gamma2 epsilon wd rescale_grad "
                          "clip_gradient clip_weights",
    "ftrl_update": "weight grad z n lr* lamda1 beta wd rescale_grad clip_gradient",
    "ftml_update": "weight grad d v z lr* beta1 beta2 epsilon t* wd rescale_grad clip_grad",
    "signsgd_update": "weight grad lr* wd rescale_grad clip_gradient",
    "signum_update": "weight grad mom lr* momentum wd rescale_grad clip_gradient wd_lh",
    "lamb_update_phase1": "weight grad mean var beta1 beta2 epsilon t* bias_correction wd* "
                          "rescale_grad clip_gradient",
    "lamb_update_phase2": "weight g r1 r2 lr* lower_bound upper_bound",
    "mp_lamb_update_phase1": "weight grad mean var weight32 beta1 beta2 epsilon t* "
                             "bias_correction wd* rescale_grad clip_gradient",
    "mp_lamb_update_phase2": "weight g r1 r2 weight32 lr* lower_bound upper_bound",
    "multi_sgd_update": "data lrs* wds* rescale_grad clip_gradient num_weights",
    "multi_sgd_mom_update": "data lrs* wds* momentum rescale_grad clip_gradient num_weights",
    "multi_mp_sgd_update": "data lrs* wds* rescale_grad clip_gradient num_weights",
    "multi_mp_sgd_mom_update": "data lrs* wds* momentum rescale_grad clip_gradient num_weights",
    "preloaded_multi_sgd_update": "data rescale_grad clip_gradient num_weights",
    "preloaded_multi_sgd_mom_update": "data momentum rescale_grad clip_gradient num_weights",
    "preloaded_multi_mp_sgd_update": "data rescale_grad clip_gradient num_weights",
    "preloaded_multi_mp_sgd_mom_update": "data momentum rescale_grad clip_gradient num_weights",
    "multi_sum_sq": "data num_arrays*",
    "multi_lars": "lrs weights_sum_sq grads_sum_sq wds eta* eps* rescale_grad",
    "reset_arrays": "data num_arrays*",
    "contrib.group_adagrad_update": "weight grad history lr* rescale_grad clip_gradient "
                                    "epsilon",
    # Python-level functions of mx.nd.contrib (their keyword arguments as MXNet's **kwargs)
    "contrib.adamw_update": "weight grad mean var rescale_grad lr eta beta1 beta2 epsilon wd "
                            "clip_gradient",
    "contrib.mp_adamw_update": "weight grad mean var weight32 rescale_grad lr eta beta1 beta2 "
                               "epsilon wd clip_gradient",
    "contrib.multi_adamw_update": "weights grads mean var rescale_grad lrs wds etas out name "
                                  "size",
    "contrib.multi_mp_adamw_update": "weights grads mean var weights32 rescale_grad lrs wds "
                                     "etas out name size",
    "contrib.multi_lamb_update": "weights grads mean var step_count lrs wds out num_tensors",
    "contrib.multi_mp_lamb_update": "weights grads mean var weights32 step_count lrs wds out "
                                    "num_tensors",
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signatures_follow_mxnet(name: str) -> None:
    import inspect

    fn = nd
    for part in name.split("."):
        fn = getattr(fn, part)
    params = inspect.signature(fn).parameters
    words = SIGNATURES[name].split()
    names = [w.rstrip("*") for w in words]
    assert list(params)[:len(names)] == names
    for w in words:
        if w.endswith("*"):
            assert repr(params[w[:-1]].default) == "<required>", w
    defaults = {"epsilon": {"adam_update": 1e-8, "lamb_update_phase1": 1e-6,
                            "contrib.group_adagrad_update": 1e-5},
                "gamma1": {"rmsprop_update": 0.95}, "beta1": {"ftml_update": 0.6},
                "lamda1": {"ftrl_update": 0.01}}
    for param, per_op in defaults.items():
        if name in per_op:
            assert params[param].default == per_op[name]


W2 = nd.ones((2, 3))

ERRORS = [
    (lambda: nd.sgd_update(np.ones(3), W2, lr=0.1), ArgumentError, "weight must be an array"),
    (lambda: nd.sgd_update(nd.ones(3, dtype="int32"), nd.ones(3, dtype="int32"), lr=0.1),
     DTypeError, "weight must be float16, float32 or float64, got int32"),
    (lambda: nd.sgd_update(W2, nd.ones(3), lr=0.1), ShapeError,
     r"grad must have the weight's shape \(2, 3\), got \(3,\)"),
    (lambda: nd.sgd_mom_update(W2, W2, nd.ones((2, 3), dtype="float64"), lr=0.1), DTypeError,
     r"mom must be float32 \(the weight's\), got float64"),
    (lambda: nd.mp_sgd_update(*(W2.astype("float16"),) * 3, lr=0.1), DTypeError,
     "weight32 must be float32 .a float32 master copy"),
    (lambda: nd.sgd_update(W2, W2), ParamError, "the argument 'lr' is required"),
    (lambda: nd.mp_lamb_update_phase1(W2, W2, W2, W2, W2, t=1, wd=0.0), DTypeError,
     "weight must be float16, got float32"),
    (lambda: nd.lamb_update_phase2(W2, W2, nd.ones(2), nd.ones(1), lr=0.1), ShapeError,
     r"r1 must hold one value, got shape \(2,\)"),
    (lambda: nd.mp_lamb_update_phase2(nd.ones(2, dtype="int32"), nd.ones(2), nd.ones(1),
                                      nd.ones(1), nd.ones(2), lr=0.1), DTypeError,
     "weight must be float16, float32 or float64, got int32"),
    (lambda: nd.mp_lamb_update_phase2(W2, W2, nd.ones(1, dtype="float64"), nd.ones(1), W2,
                                      lr=0.1), DTypeError, "r1 must be float32, got float64"),
    (lambda: nd.multi_sgd_update(W2, W2, W2, W2, lrs=(0.1, 0.1), wds=(0, 0)), ParamError,
     r"num_weights=1 needs 2 arrays \(weight, grad for each weight\), got 4"),
    (lambda: nd.multi_sgd_update(W2, W2, W2, W2, lrs=(0.1,), wds=(0, 0), num_weights=2),
     ParamError, "lrs has 1 values but num_weights=2"),
    (lambda: nd.multi_sgd_update(W2, W2, W2.astype("float64"), W2.astype("float64"), lrs=(1, 1),
                                 wds=(0, 0), num_weights=2), DTypeError,
     "the weights must share one dtype"),
    (lambda: nd.multi_sgd_update(lrs=(1,), wds=(0,)), ParamError, "needs at least one"),
    (lambda: nd.preloaded_multi_sgd_update(W2, W2, nd.ones(2), nd.ones(1)), ShapeError,
     r"lrs must be a float32 array of num_weights=1 values, got float32 of shape \(2,\)"),
    (lambda: nd.preloaded_multi_sgd_update(W2, W2, nd.ones(1)), ParamError,
     r"needs 4 arrays \(weight, grad for each weight, then lrs, wds\), got 3"),
    (lambda: nd.multi_sum_sq(W2, W2, num_arrays=3), ParamError, "num_arrays=3 but 2 arrays"),
    (lambda: nd.multi_sum_sq(W2, W2.astype("float16"), num_arrays=2), DTypeError,
     "share one floating dtype"),
    (lambda: nd.multi_lars(*(nd.ones(2, dtype="float64"),) * 4, eta=1, eps=0), DTypeError,
     "lrs must be float32"),
    (lambda: nd.multi_lars(nd.ones(2), nd.ones(2), nd.ones(3), nd.ones(2), eta=1, eps=0),
     ShapeError, r"grads_sum_sq must have the shape of lrs \(2,\), got \(3,\)"),
    (lambda: nd.reset_arrays(W2, num_arrays=2), ParamError, "num_arrays=2 but 1 arrays"),
    (lambda: C.adamw_update(W2, W2, W2, W2, nd.zeros((0,)), lr=0.1, eta=1), ShapeError,
     r"rescale_grad must hold a value, got shape \(0,\)"),
    (lambda: C.adamw_update(W2, W2, W2, W2, nd.ones(1, dtype="float64"), lr=0.1, eta=1),
     DTypeError, "rescale_grad must be float32"),
    (lambda: C.adamw_update(W2, W2, W2, W2, 1.0, lr=0.1, eta=1, out=[W2]), ArgumentError,
     "out= must be an array"),
    (lambda: C.multi_adamw_update([W2], [W2], [W2], [W2], 1.0, [0.1], [0], [1], out=W2),
     ArgumentError, "this operator returns 1 arrays; pass a list of 1"),
    (lambda: C.multi_adamw_update([], [], [], [], 1.0, [], [], []), ArgumentError,
     "weights must be a non-empty list"),
    (lambda: C.multi_lamb_update([W2], [W2], [W2], [W2], [1, 2], [0.1], [0.0]), ParamError,
     "step_count has 2 values but num_tensors=1"),
    (lambda: C.group_adagrad_update(W2, W2, nd.ones(3), lr=0.1), ShapeError,
     r"history must hold one value per row of the weight \(2, 3\)"),
    (lambda: C.group_adagrad_update(W2, W2, nd.ones((2, 1), dtype="float64"), lr=0.1),
     DTypeError, "history must be float32"),
    (lambda: C.group_adagrad_update(nd.array(1.0), nd.array(1.0), nd.ones(1), lr=0.1),
     ShapeError, "weight needs a first axis of rows"),
]


@pytest.mark.parametrize("call, error, match", ERRORS)
def test_errors(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_a_state_captured_by_a_jitted_function_is_an_error() -> None:
    mom = nd.zeros(2)
    step = mx.jit(lambda w, g: nd.sgd_mom_update(w, g, mom, lr=0.1, momentum=0.9))
    with pytest.raises(TracerError, match="mom is not an argument of the traced function"):
        step(nd.ones(2), nd.ones(2))
