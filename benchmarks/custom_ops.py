"""Operators users write themselves, per training step (record the forward, backward):
the guide's custom sigmoid as an `autograd.Function`, as a `CustomOp` (`mx.nd.Custom`) and
as a native operator (`mx.operator.define`), beside the built-in `mx.nd.sigmoid` and the
Function's own forward written inline (its four eager ops recorded: what the Function's
user code costs before any of its machinery).

The Function's backward program is compiled once and reused for every step with the same
recorded structure (issue #21 asks for within 2x of the built-in). Prints one Markdown
table of medians from one run. Run: python benchmarks/custom_ops.py
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import interleaved, table  # noqa: E402

import mxjit as mx  # noqa: E402

nd = mx.nd


class Sigmoid(mx.autograd.Function):
    """The guide's custom sigmoid."""

    def forward(self, x):
        y = 1 / (1 + nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * y * (1 - y)


class SigmoidOp(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], 1 / (1 + nd.exp(-in_data[0])))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        y = out_data[0]
        self.assign(in_grad[0], req[0], out_grad[0] * y * (1 - y))


@mx.operator.register("bench_sigmoid")
class SigmoidProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        return SigmoidOp()


@mx.operator.define("bench_native_sigmoid")
def native_sigmoid(data):
    return 1 / (1 + nd.exp(-data))


def step(apply):
    def run():
        with mx.autograd.record():
            y = apply(X)
        y.backward()
        return X.grad
    return run


X = nd.array(np.random.RandomState(0).randn(10).astype(np.float32))
X.attach_grad()


def main() -> None:
    rows = []
    for shape in ((10,), (256, 256)):
        global X
        X = nd.array(np.random.RandomState(0).randn(*shape).astype(np.float32))
        X.attach_grad()
        got = interleaved({
            "built-in sigmoid": step(nd.sigmoid),
            "inline ops": step(lambda x: 1 / (1 + nd.exp(-x))),
            "autograd.Function": step(lambda x: Sigmoid()(x)),
            "CustomOp": step(lambda x: nd.Custom(x, op_type="bench_sigmoid")),
            "native (define)": step(nd.bench_native_sigmoid),
        }, rounds=300)
        rows.append((f"sigmoid step {shape}", got))
    columns = ["built-in sigmoid", "inline ops", "autograd.Function", "CustomOp",
               "native (define)"]
    print(table("custom sigmoid per step (ms, median of one run)", columns, rows))
    for name, cells in rows:
        base = cells["built-in sigmoid"]
        print(f"{name}: " + ", ".join(f"{c} {cells[c] / base:.2f}x" for c in columns[1:]))


if __name__ == "__main__":
    main()
