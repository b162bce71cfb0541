"""`mx.optimizer`: MXNet 1.x's optimizers, their registry and the Updater.

optimizer.py holds the base class, `register`/`create` and `Updater`; fused.py the
one-program update the built-in optimizers share (sparse_rows.py: sparse arrays in it);
sgd.py, adaptive.py and contrib.py the optimizers, family by family (GroupAdaGrad is
`mx.optimizer.contrib.GroupAdaGrad`).
"""
from . import contrib, optimizer
from .adaptive import FTML, LAMB, AdaDelta, AdaGrad, Adam, Adamax, Ftrl, Nadam, RMSProp
from .optimizer import NDabs, Optimizer, Updater, create, get_updater, register
from .sgd import DCASGD, LARS, LBSGD, NAG, SGD, SGLD, Signum, Test, ccSGD

__all__ = ["AdaDelta", "AdaGrad", "Adam", "Adamax", "DCASGD", "FTML", "Ftrl", "LARS", "LBSGD",
           "NAG", "NDabs", "Nadam", "Optimizer", "RMSProp", "SGD", "SGLD", "Signum", "LAMB",
           "Test", "Updater", "ccSGD", "create", "get_updater", "register", "contrib",
           "optimizer"]
# (the modules behind the namespace are not part of it)
del adaptive, fused, sgd, sparse_rows  # type: ignore[name-defined]  # noqa: F821
