"""mx.operator: operators users write themselves. MXNet's Python custom operators
(`CustomOp`, `CustomOpProp`, `register`: custom.py), run by `mx.nd.Custom`/`mx.sym.Custom`
as host calls; native operators declared by their formula (`define`: native.py), which fuse.

    >>> @mx.operator.register('sqr')  # doctest: +SKIP
    ... class SqrProp(mx.operator.CustomOpProp): ...
"""
from .custom import CustomOp, CustomOpProp, register
from .listing import OperatorArguments, get_all_registered_operators, get_operator_arguments
from .native import define

__all__ = ["CustomOp", "CustomOpProp", "register", "define", "get_all_registered_operators",
           "get_operator_arguments", "OperatorArguments"]
