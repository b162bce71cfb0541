"""Gradient watchers (`core/tape.py`): a backward pass tells them of each gradient as soon
as its program has computed it, before the program ends, with the final values."""
import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, gluon
from mxjit.core import tape


class Recorder:
    """Watches the variables given; records what it hears and when."""

    def __init__(self, variables, req="write"):
        self.slot_of = {id(v): s for s, v in enumerate(variables)}
        self.req = req
        self.events = []
        self.steps = 0

    def begin(self, variables):
        self.events.append(("begin", len(variables)))
        self.steps = 0
        return {k: self.slot_of[id(v)] for k, v in enumerate(variables)
                if id(v) in self.slot_of and v._grad_req == self.req}

    def final(self, slot, value):
        self.events.append(("final", slot, self.steps, np.array(value, copy=True)))

    def stepped(self):
        self.steps += 1

    def end(self):
        self.events.append(("end", self.steps))


@pytest.fixture
def watching():
    added = []

    def watch(variables, req="write"):
        r = Recorder(variables, req)
        tape.gradient_watchers.add(r)
        added.append(r)
        return r

    yield watch
    for r in added:
        tape.gradient_watchers.discard(r)


def mlp(hybridize):
    mx.random.seed(1)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(32, activation="relu", in_units=20),
            gluon.nn.Dense(16, activation="tanh", in_units=32), gluon.nn.Dense(4, in_units=16))
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize()
    return net


@pytest.mark.parametrize("hybridize", [False, True])
def test_a_watcher_hears_each_gradient_once_with_its_final_values_before_the_pass_ends(
        watching, hybridize):
    net = mlp(hybridize)
    params = list(net.collect_params().values())
    rec = watching([p.data() for p in params])
    x = mx.nd.array(np.random.RandomState(0).randn(8, 20))
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    kinds = [e[0] for e in rec.events]
    assert kinds[0] == "begin" and kinds[-1] == "end" and kinds.count("final") == len(params)
    heard = {e[1]: e for e in rec.events if e[0] == "final"}
    assert sorted(heard) == list(range(len(params)))
    for slot, p in enumerate(params):
        np.testing.assert_array_equal(heard[slot][3], p.grad().asnumpy())
    total = rec.events[-1][1]
    # (the last layer's gradients are final while the first layer's are still computed)
    last_weight = params.index(net[2].weight)
    first_weight = params.index(net[0].weight)
    assert heard[last_weight][2] < heard[first_weight][2] <= total
    assert heard[last_weight][2] < total - 1


def test_gradients_a_watcher_does_not_ask_for_are_not_told(watching):
    net = mlp(True)
    params = list(net.collect_params().values())
    rec = watching([params[0].data()])
    other = watching([p.data() for p in params], req="add")  # (asks for none: all 'write')
    x = mx.nd.ones((2, 20))
    with autograd.record():
        loss = net(x).sum()
    loss.backward()
    assert [e[1] for e in rec.events if e[0] == "final"] == [0]
    assert [e[0] for e in other.events] == ["begin"]  # (no pass of its own: no end)


def test_autograd_grad_tells_no_watcher(watching):
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    rec = watching([x])
    with autograd.record():
        y = (x * x).sum()
    g = autograd.grad(y, [x])[0]
    np.testing.assert_array_equal(g.asnumpy(), [2.0, 4.0])
    assert rec.events == []
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    assert [e[0] for e in rec.events] == ["begin", "final", "end"]
