"""`mx.gluon`: MXNet's imperative-first neural network library, on mxjit's compiler.

    >>> net = mx.gluon.nn.Dense(10); net.initialize()  # doctest: +SKIP
    >>> net.hybridize(); y = net(mx.nd.ones((2, 5)))  # doctest: +SKIP
"""
from . import contrib, data, loss, model_zoo, nn, rnn, utils
from .block import Block, HybridBlock
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict
from .symbol_block import SymbolBlock
from .trainer import Trainer

__all__ = ["contrib", "data", "loss", "model_zoo", "nn", "rnn", "Block", "HybridBlock",
           "Constant", "DeferredInitializationError", "Parameter", "ParameterDict", "SymbolBlock",
           "Trainer", "utils"]
