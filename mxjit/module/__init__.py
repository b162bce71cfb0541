"""`mx.mod` (`mx.module`): MXNet's Module API. base_module.py holds the interface and the
`fit`/`score`/`predict` loops; module.py the Module over bound symbols;
bucketing_module.py, sequential_module.py and python_module.py the other modules.

    >>> mod = mx.mod.Module(net, context=mx.cpu())  # doctest: +SKIP
    >>> mod.fit(train_iter, num_epoch=5)  # doctest: +SKIP
"""
from . import base_module, bucketing_module, module, python_module, sequential_module
from .base_module import BaseModule
from .bucketing_module import BucketingModule
from .module import Module
from .python_module import PythonLossModule, PythonModule
from .sequential_module import SequentialModule

__all__ = ["BaseModule", "Module", "BucketingModule", "SequentialModule", "PythonModule",
           "PythonLossModule", "base_module", "module", "bucketing_module",
           "sequential_module", "python_module"]
