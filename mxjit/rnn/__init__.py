"""mx.rnn: MXNet's legacy symbolic RNN API — cells that unroll into mx.sym graphs
(rnn_cell), the bucketing sentence iterator (io) and RNN checkpoints (rnn).

    >>> cell = mx.rnn.LSTMCell(200, prefix='lstm_')
    >>> outputs, states = cell.unroll(35, mx.sym.var('data'), merge_outputs=True)
"""
from . import io, rnn, rnn_cell
from .io import BucketSentenceIter, encode_sentences
from .rnn import do_rnn_checkpoint, load_rnn_checkpoint, save_rnn_checkpoint
from .rnn_cell import (
    BaseConvRNNCell,
    BaseRNNCell,
    BidirectionalCell,
    ConvGRUCell,
    ConvLSTMCell,
    ConvRNNCell,
    DropoutCell,
    FusedRNNCell,
    GRUCell,
    LSTMCell,
    ModifierCell,
    ResidualCell,
    RNNCell,
    RNNParams,
    SequentialRNNCell,
    ZoneoutCell,
)

__all__ = ["io", "rnn", "rnn_cell", "BucketSentenceIter", "encode_sentences",
           "save_rnn_checkpoint", "load_rnn_checkpoint", "do_rnn_checkpoint",
           *rnn_cell.__all__]
