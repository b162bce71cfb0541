"""The array base class: any front end's array (here a minimal one defined by the test)
goes through dispatch, `jit`, the transforms and the tape, and results keep its class."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import TracerError
from mxjit.core import Array, bind, bind_elementwise, default_array_class, tape


class Toy(Array):
    """A front end of two operators, as `mx.np` will be one."""

    __slots__ = ()

    def __mul__(self, other: Toy) -> Toy:
        return bind_elementwise("mul", [self, other], self.shape)

    def sum(self) -> Toy:
        return bind("reduce_sum", self, axes=tuple(range(self.ndim)))


Toy._result_class = Toy


def toy(values) -> Toy:
    return Toy._wrap(np.asarray(values, np.float64))


def test_results_take_the_class_of_their_operands_eagerly_and_traced():
    a = toy([1.0, 2.0, 3.0])
    assert type(a * a) is Toy and type((a * a).sum()) is Toy
    out = mx.jit(lambda x: (x * x).sum())(a)
    assert type(out) is Toy and out.asnumpy().item() == 14.0
    g = mx.grad(lambda x: (x * x).sum())(a)
    assert type(g) is Toy
    np.testing.assert_array_equal(g.asnumpy(), [2.0, 4.0, 6.0])
    value, g2 = mx.value_and_grad(lambda x: (x * x * x).sum())(a)
    assert type(value) is Toy and type(g2) is Toy
    y, back = mx.vjp(lambda x: x * x, a)
    (ct,) = back(toy([1.0, 1.0, 1.0]))
    assert type(y) is Toy and type(ct) is Toy
    np.testing.assert_array_equal(ct.asnumpy(), [2.0, 4.0, 6.0])


def test_numpy_arguments_become_arrays_of_the_default_class():
    assert default_array_class() is mx.nd.NDArray
    out = mx.jit(lambda x: x * 2)(np.ones(3, np.float32))
    assert type(out) is mx.nd.NDArray
    g = mx.grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    assert type(g) is mx.nd.NDArray and g.asnumpy().tolist() == [2.0, 4.0]


def test_the_tape_records_any_front_end():
    a = toy([1.0, 2.0])
    a.attach_grad()
    assert type(a.grad) is Toy
    with tape.record():
        y = mx.jit(lambda x: (x * x).sum())(a)
    y.backward()
    np.testing.assert_array_equal(a.grad.asnumpy(), [2.0, 4.0])


def test_a_traced_array_refuses_to_give_its_value():
    def f(x):
        return float(x.sum())

    with pytest.raises(TracerError, match=r"float\(\) of a traced array"):
        mx.jit(f)(toy([1.0]))


def test_cpu_pinned_arrays_are_host_arrays_on_their_own_context():
    import mxjit as mx
    a = mx.nd.ones((2,), ctx=mx.cpu_pinned())
    assert a.context == mx.cpu_pinned(0) and repr(a.context) == "cpu_pinned(0)"
    assert (a + 1).asnumpy().tolist() == [2.0, 2.0]
    assert a.as_in_context(mx.cpu()).context == mx.cpu()


def test_results_of_pinned_or_shared_inputs_are_on_the_cpu():
    # (MXNet: "non-default context does not propagate")
    import mxjit as mx
    for memory in (mx.cpu_pinned(1), mx.Context("cpu_shared", 1)):
        a = mx.nd.ones((2, 3), ctx=memory)
        results = [a + 1, a * a, mx.nd.exp(a), a.sum(), mx.nd.dot(a, a.T)]
        assert {str(r.context) for r in results} == {"cpu(1)"}
        assert a.copy().context == memory
