"""`get_all_registered_operators` and `get_operator_arguments`: MXNet's view of its
operator registry, here over mxjit's operator table.

    >>> 'Activation' in mx.operator.get_all_registered_operators()
    True
"""
from __future__ import annotations

import collections

from ..core.operators import OPERATORS, Param, lookup

#: What MXNet returns: the number of arguments, their names and their type strings.
OperatorArguments = collections.namedtuple("OperatorArguments", ["narg", "names", "types"])

#: MXNet's words for parameter kinds in its type strings.
_KIND_WORDS = {"int": "int", "float": "float", "bool": "boolean", "str": "string",
               "dtype": "{None, 'float16', 'float32', 'float64', 'int32', 'int64', 'int8', "
                        "'uint8'}",
               "shape": "Shape(tuple)", "any": "string"}


def get_all_registered_operators() -> list[str]:
    """Every operator name the registry answers to (names and aliases).

    >>> 'FullyConnected' in mx.operator.get_all_registered_operators()
    True
    """
    names = set(OPERATORS)
    for op in OPERATORS.values():
        names.update(op.aliases)
    return sorted(names)


def _type_string(param: Param) -> str:
    word = _KIND_WORDS[param.kind]
    if param.required:
        return f"{word}, required"
    default = param.format(param.default) if param.default is not None else "None"
    return f"{word}, optional, default={default}"


def get_operator_arguments(op_name: str) -> OperatorArguments:
    """(narg, names, types) of an operator: its array inputs ('NDArray-or-Symbol', or
    'NDArray-or-Symbol[]' for any number) and then its parameters, with MXNet's words for
    their types ('int, required', 'float, optional, default=0.5'). The allowed values of a
    parameter (MXNet lists an enum's choices) are not recorded here: such a parameter reads
    'string'.

    >>> mx.operator.get_operator_arguments('Activation').names
    ['data', 'act_type']
    """
    op = lookup(op_name)
    array = "NDArray-or-Symbol[]" if op.variadic else "NDArray-or-Symbol"
    names = list(op.inputs) + [p.name for p in op.params]
    types = [array] * len(op.inputs) + [_type_string(p) for p in op.params]
    return OperatorArguments(len(names), names, types)
