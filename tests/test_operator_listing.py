"""mx.operator's view of the registry: every operator name, and an operator's arguments."""
import pytest

import mxjit as mx
from mxjit.base import MXNetError


def test_every_registered_name_and_alias_is_listed():
    names = mx.operator.get_all_registered_operators()
    assert isinstance(names, list) and names == sorted(set(names))
    for name in ("Activation", "FullyConnected", "Convolution", "broadcast_add", "_plus",
                 "elemwise_add", "_contrib_box_nms"):
        assert name in names, name


def test_operator_arguments_are_inputs_then_parameters_with_mxnets_type_words():
    args = mx.operator.get_operator_arguments("Activation")
    assert isinstance(args, mx.operator.OperatorArguments)
    assert args.narg == 2 and args.names == ["data", "act_type"]
    fc = mx.operator.get_operator_arguments("FullyConnected")
    assert fc.names[:3] == ["data", "weight", "bias"]
    assert fc.types[:3] == ["NDArray-or-Symbol"] * 3
    assert fc.types[fc.names.index("num_hidden")] == "int, required"
    assert fc.types[fc.names.index("no_bias")] == "boolean, optional, default=False"
    assert mx.operator.get_operator_arguments("add_n").types[0] == "NDArray-or-Symbol[]"


def test_an_unknown_operator_is_an_error_naming_it():
    with pytest.raises(MXNetError, match="no_such_op"):
        mx.operator.get_operator_arguments("no_such_op")
