"""Each misuse of the cells and iterators is refused with MXNet's message, as an
MXNetError that also subclasses the built-in code catches."""
from __future__ import annotations

import pytest

import mxjit as mx
from mxjit.base import (
    ArgumentError,
    MXNetKeyError,
    NotOverriddenError,
    ParamError,
    ShapeError,
    UnsupportedError,
)


def _wrapped() -> mx.rnn.RNNCell:
    base = mx.rnn.RNNCell(3)
    mx.rnn.ResidualCell(base)
    return base


def _bidirectional_stack() -> mx.rnn.SequentialRNNCell:
    stack = mx.rnn.SequentialRNNCell()
    stack.add(mx.rnn.BidirectionalCell(mx.rnn.RNNCell(2, prefix="a_"),
                                       mx.rnn.RNNCell(2, prefix="b_")))
    return stack


@pytest.mark.parametrize("call, error, match", [
    (lambda: mx.rnn.RNNCell(3).unroll(2, None), ArgumentError,
     r"unroll\(inputs=None\) has been deprecated"),
    (lambda: mx.rnn.RNNCell(3).unroll(2, [mx.sym.var("a")]), ArgumentError,
     "got 1 input steps for length=2"),
    (lambda: mx.rnn.RNNCell(3).unroll(2, mx.sym.Group([mx.sym.var("a"), mx.sym.var("b")])),
     ArgumentError, "doesn't allow grouped symbol as input"),
    (lambda: _wrapped().begin_state(), ArgumentError, "After applying modifier cells"),
    (lambda: mx.rnn.BaseRNNCell()(mx.sym.var("x"), []), NotOverriddenError,
     "does not define one step"),
    (lambda: mx.rnn.BaseRNNCell().state_info, NotOverriddenError, "does not define state_info"),
    (lambda: mx.rnn.ModifierCell(mx.rnn.RNNCell(2))(mx.sym.var("x"), []), NotOverriddenError,
     "ModifierCell does not define one step"),
    (lambda: mx.rnn.FusedRNNCell(3, mode="lstm2"), ParamError, "mode must be one of"),
    (lambda: mx.rnn.FusedRNNCell(3)(mx.sym.var("x"), []), UnsupportedError,
     "FusedRNNCell cannot be stepped"),
    (lambda: mx.rnn.FusedRNNCell(3).unroll(2, mx.sym.var("x"), layout="NCT"), ParamError,
     "Unsupported layout NCT"),
    (lambda: mx.rnn.FusedRNNCell(3, prefix="f_").unpack_weights(
        {"f_parameters": mx.nd.ones(7)}), ShapeError,
     "Invalid parameters size for FusedRNNCell"),
    (lambda: mx.rnn.BidirectionalCell(mx.rnn.RNNCell(2), mx.rnn.RNNCell(2))(
        mx.sym.var("x"), []), UnsupportedError, "Bidirectional cannot be stepped"),
    (lambda: _bidirectional_stack()(mx.sym.var("x"), []), UnsupportedError,
     "Bidirectional cannot be stepped"),
    (lambda: mx.rnn.SequentialRNNCell(params=mx.rnn.RNNParams("s_")).add(mx.rnn.RNNCell(2)),
     ArgumentError, "Either specify params for SequentialRNNCell or child cells, not both"),
    (lambda: mx.rnn.BidirectionalCell(mx.rnn.RNNCell(2), mx.rnn.RNNCell(2),
                                      params=mx.rnn.RNNParams()), ArgumentError,
     "Either specify params for BidirectionalCell"),
    (lambda: mx.rnn.DropoutCell("0.5"), ArgumentError, "dropout probability must be a number"),
    (lambda: mx.rnn.ZoneoutCell(mx.rnn.FusedRNNCell(2)), ArgumentError,
     "FusedRNNCell doesn't support zoneout"),
    (lambda: mx.rnn.ZoneoutCell(_bidirectional_stack()), ArgumentError,
     "Bidirectional cells don't support zoneout"),
    (lambda: mx.rnn.ConvRNNCell((1, 3, 8, 8), 4, h2h_kernel=(2, 3)), ParamError,
     "Only support odd number"),
    (lambda: mx.rnn.encode_sentences([["a", "q"]], vocab={"a": 0}), MXNetKeyError,
     "Unknown token q"),
    (lambda: mx.rnn.BucketSentenceIter([[1, 2]], 1, layout="NCT"), ParamError,
     "Invalid layout NCT"),
])
def test_misuse_is_refused_with_mxnets_message(call, error, match):
    with pytest.raises(error, match=match):
        call()
