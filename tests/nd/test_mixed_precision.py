"""AMP's operators: amp_cast and amp_multicast (MXNet's dtype rules, gradients cast back),
all_finite and multi_all_finite (including init_output=False into out=), and their errors."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ParamError

nd = mx.nd
VALUES = np.array([1.5, -2.25, 70000.0])


@pytest.mark.parametrize("src", ["float16", "float32", "float64", "int32", "uint8"])
@pytest.mark.parametrize("to", ["float16", "float32", "float64", "int32"])
def test_amp_cast_casts_only_low_precision_floats(src: str, to: str) -> None:
    with np.errstate(all="ignore"):
        data = VALUES.astype(src) if src != "uint8" else np.array([1, 254, 112], np.uint8)
    x = nd.array(data, dtype=src)
    got = nd.amp_cast(x, dtype=to)
    cast = src in ("float16", "float32")  # (MXNet: float64 and integers pass unchanged)
    assert got.dtype == np.dtype(to if cast else src)
    with np.errstate(all="ignore"):
        expect = data.astype(to) if cast and not (src == "float16" and to == "int32") else data
    if cast and src == "float16" and to == "int32":  # 70000 is inf in float16
        expect = np.array([1, -2, np.iinfo(np.int32).min])
    np.testing.assert_array_equal(got.asnumpy(), expect)
    assert got is not x
    np.testing.assert_array_equal(mx.jit(lambda v: nd.amp_cast(v, dtype=to))(x).asnumpy(),
                                  got.asnumpy())


def test_amp_cast_gradient_is_cast_back() -> None:
    a = nd.array([1.5, 2.5])
    a.attach_grad()
    with mx.autograd.record():
        y = nd.amp_cast(a, dtype="float16")
        z = y * y
    z.backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_allclose(a.grad.asnumpy(), [3.0, 5.0])
    g = mx.grad(lambda v: nd.amp_cast(v, dtype="float64").sum())(nd.array([1.0, 2.0]))
    assert g.dtype == np.float32 and g.asnumpy().tolist() == [1, 1]


@pytest.mark.parametrize("dtypes, narrow, expect", [
    (("float16", "float32"), False, ("float32", "float32")),
    (("float32", "float16"), True, ("float16", "float16")),
    (("float16", "float16"), False, ("float16", "float16")),
    (("float16", "float64"), False, ("float16", "float64")),
    (("float64", "float16"), False, ("float64", "float64")),  # (MXNet's rule, from the first)
    (("float64", "float16"), True, ("float64", "float16")),
    (("int32", "float16"), True, ("int32", "float16")),
    (("float16", "int32"), False, ("float16", "int32")),
    (("float16", "float32", "float64"), False, ("float32", "float32", "float64")),
    (("float16", "float32", "float64"), True, ("float16", "float16", "float64")),
])
def test_amp_multicast_follows_mxnets_type_rule(dtypes, narrow, expect) -> None:  # type: ignore
    arrays = [nd.array([1.5, 2.5], dtype=d) for d in dtypes]
    got = nd.amp_multicast(*arrays, num_outputs=len(arrays), cast_narrow=narrow)
    assert tuple(np.dtype(g.dtype).name for g in got) == expect
    for g in got:
        np.testing.assert_array_equal(g.asnumpy(), np.array([1.5, 2.5]).astype(g.dtype))
    assert all(g is not a for g, a in zip(got, arrays))


def test_amp_multicast_one_array_and_gradients() -> None:
    single = nd.amp_multicast(nd.ones(2, dtype="float16"), num_outputs=1)
    assert isinstance(single, nd.NDArray) and single.dtype == np.float16
    a, b = nd.array([1.5, 2.5], dtype="float16"), nd.array([1.5, 2.5])
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        x, y = nd.amp_multicast(a, b, num_outputs=2)
        z = x * 2 + y * 3
    z.backward()
    assert a.grad.dtype == np.float16 and a.grad.asnumpy().tolist() == [2, 2]
    assert b.grad.asnumpy().tolist() == [3, 3]
    traced = mx.jit(lambda u, v: nd.amp_multicast(u, v, num_outputs=2))(a, b)
    assert [t.dtype for t in traced] == [np.float32, np.float32]


@pytest.mark.parametrize("values, dtype, ok", [
    ([1.0, 2.0], "float32", 1), ([1.0, np.inf], "float32", 0), ([np.nan, 1.0], "float64", 0),
    ([-np.inf], "float16", 0), ([], "float32", 1), ([6e4, -6e4], "float16", 1),
    ([1e300], "float64", 1),  # (MXNet checks float64 values as float32: 0 there)
])
def test_all_finite(values, dtype, ok) -> None:  # type: ignore[no-untyped-def]
    x = nd.array(values, dtype=dtype)
    for f in (nd.all_finite, mx.jit(nd.all_finite)):
        got = f(x)
        assert got.dtype == np.float32 and got.shape == (1,)
        assert got.asnumpy().tolist() == [ok]
    assert nd.all_finite(nd.array(np.ones((2, 3)))).asnumpy().tolist() == [1]


def test_multi_all_finite() -> None:
    ok = nd.multi_all_finite(nd.ones(2), nd.zeros((2, 2), dtype="float16"), num_arrays=2)
    assert ok.asnumpy().tolist() == [1]
    bad = nd.multi_all_finite(nd.ones(2), nd.array([3, np.inf], dtype="float64"), num_arrays=2)
    assert bad.asnumpy().tolist() == [0]
    assert nd.multi_all_finite(nd.array([np.nan])).asnumpy().tolist() == [0]
    traced = mx.jit(lambda a, b: nd.multi_all_finite(a, b, num_arrays=2))
    assert traced(nd.ones(2), nd.array([np.nan])).asnumpy().tolist() == [0]


def test_init_output_false_keeps_a_failure_in_out() -> None:
    # AMP's loss scaler checks its gradients in chunks into one flag this way
    flag = nd.ones((1,))
    got = nd.multi_all_finite(nd.ones(2), nd.array([np.inf]), num_arrays=2, init_output=False,
                              out=flag)
    assert got is flag and flag.asnumpy().tolist() == [0]
    nd.multi_all_finite(nd.ones(2), num_arrays=1, init_output=False, out=flag)
    assert flag.asnumpy().tolist() == [0]  # (a later finite chunk leaves the failure)
    flag = nd.ones((1,))
    nd.all_finite(nd.ones(3), init_output=False, out=flag)
    assert flag.asnumpy().tolist() == [1]
    nd.all_finite(nd.ones(3), out=flag)
    assert flag.asnumpy().tolist() == [1]
    zero = nd.zeros((1,))
    nd.all_finite(nd.ones(3), out=zero)  # (init_output=True: overwritten)
    assert zero.asnumpy().tolist() == [1]
    assert nd.all_finite(nd.ones(3), init_output=False).asnumpy().tolist() == [1]


@pytest.mark.parametrize("call, error, match", [
    (lambda: nd.all_finite(nd.array([1, 2], dtype="int32")), DTypeError,
     "all_finite: checks floating-point arrays, got int32"),
    (lambda: nd.multi_all_finite(nd.ones(2), nd.ones(2), num_arrays=1), ParamError,
     "multi_all_finite: num_arrays=1 but 2 arrays given"),
    (lambda: nd.multi_all_finite(num_arrays=0), ParamError, "multi_all_finite: needs at least"),
    (lambda: nd.amp_multicast(nd.ones(2), nd.ones(2), num_outputs=1), ParamError,
     "amp_multicast: num_outputs=1 but 2 arrays given"),
    (lambda: nd.amp_multicast(nd.ones(2)), ParamError, "'num_outputs' is required"),
    (lambda: nd.amp_cast(nd.ones(2), dtype="bfloat16"), DTypeError, "amp_cast: unknown dtype"),
    (lambda: nd.amp_cast(nd.ones(2)), ParamError, "'dtype' is required"),
])
def test_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()
