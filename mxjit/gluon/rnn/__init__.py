"""`mx.gluon.rnn`: the fused recurrent layers (RNN, LSTM, GRU: one `nd.RNN` call over the
whole sequence) and the recurrent cells (one step per call, `unroll` over a sequence).

    >>> layer = mx.gluon.rnn.LSTM(64, num_layers=2, layout='NTC')  # doctest: +SKIP
"""
from . import rnn_cell, rnn_layer
from .rnn_cell import (
    BidirectionalCell,
    DropoutCell,
    GRUCell,
    HybridRecurrentCell,
    HybridSequentialRNNCell,
    LSTMCell,
    ModifierCell,
    RecurrentCell,
    ResidualCell,
    RNNCell,
    SequentialRNNCell,
    ZoneoutCell,
)
from .rnn_layer import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU", "RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell",
           "GRUCell", "SequentialRNNCell", "HybridSequentialRNNCell", "DropoutCell",
           "ModifierCell", "ZoneoutCell", "ResidualCell", "BidirectionalCell", "rnn_cell",
           "rnn_layer"]
