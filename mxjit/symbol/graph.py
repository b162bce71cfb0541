"""The graph a Symbol is: nodes of MXNet operators with their MXNet attributes.

A node is a variable (`op` None) or one call of an operator of the table, with its
attributes as MXNet writes them (strings: the operator's parameters that were given, and
`__shape__`-style attributes of variables and scopes), its inputs as (node, output
index) pairs and, for control flow, its subgraphs (each a graph's outputs). How many
outputs a node has, and their names, follow MXNet's operator definitions
(`OUTPUT_NAMES`); `HIDDEN_OUTPUTS` counts outputs MXNet keeps but does not show
(BatchNorm's saved mean and variance), which its JSON's `node_row_ptr` counts.

    >>> node = Node(None, 'data', {}, [])  # doctest: +SKIP
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..base import DTypeError, ParamError
from ..core.operators import Operator


class Node:
    """A variable (op None) or an operator call of a symbol graph."""

    __slots__ = ("op", "name", "attrs", "inputs", "total_outputs", "versions", "subgraphs")

    def __init__(self, op: Operator | None, name: str, attrs: dict[str, str],
                 inputs: list[tuple[Node, int]], total_outputs: int | None = None,
                 versions: list[int] | None = None,
                 subgraphs: list[list[tuple[Node, int]]] | None = None):
        self.op = op
        self.name = name
        self.attrs = attrs
        self.inputs = inputs
        #: outputs including hidden ones, as read from a JSON file (None: from the table)
        self.total_outputs = total_outputs
        #: the version of each input as read from a JSON file (None: from the table)
        self.versions = versions
        #: the outputs of each graph the operator runs (a control-flow operator's bodies:
        #: separate graphs, whose variables are the body's inputs)
        self.subgraphs = subgraphs or []

    def __repr__(self) -> str:
        return f"<Node {self.op.name if self.op else 'null'} {self.name}>"

    @property
    def is_variable(self) -> bool:
        return self.op is None

    def params(self) -> dict[str, Any]:
        """The operator's parameters, read from their string attributes."""
        assert self.op is not None
        names = {p.name for p in self.op.params}
        out: dict[str, Any] = {}
        for key, text in self.attrs.items():
            if key in names:
                out[key] = self.op.param(key).parse(text)
            elif self.op.open and not key.startswith("__"):  # (Custom's: strings)
                out[key] = text
        return out

    def output_names(self) -> list[str]:
        """The names of the visible outputs (`output`, or MXNet's own list)."""
        if self.op is None:
            return [self.name]
        if self.op.signature is not None:
            return self.op.signature(self.params())[2]
        rule = OUTPUT_NAMES.get(self.op.name)
        return rule(self.params()) if rule else ["output"]

    def num_outputs(self) -> int:
        return len(self.output_names())

    def all_outputs(self) -> int:
        """Outputs counting hidden ones (what MXNet's JSON node_row_ptr counts)."""
        if self.total_outputs is not None:
            return self.total_outputs
        if self.op is None:
            return 1
        rule = HIDDEN_OUTPUTS.get(self.op.name)
        return max(rule(self.params()) if rule else 0, self.num_outputs())

    def input_names(self) -> list[str]:
        """The operator's input names this node has, in order (optional ones only when
        its parameters call for them, as MXNet lists them)."""
        assert self.op is not None
        return input_names(self.op, self.params(), len(self.inputs))

    def aux_positions(self) -> tuple[int, ...]:
        """Which inputs are auxiliary states (updated by the operator, not differentiated)."""
        if self.op is None:
            return ()
        if self.op.signature is not None:
            arguments, aux, _ = self.op.signature(self.params())
            return tuple(range(len(arguments), len(arguments) + len(aux)))
        names = AUX_INPUTS.get(self.op.name, ())
        return tuple(k for k, n in enumerate(self.input_names()) if n in names)


def input_names(op: Operator, params: dict[str, Any], given: int | None = None) -> list[str]:
    """The inputs a call of `op` with `params` takes (`given`: how many a variadic one got)."""
    if op.signature is not None:
        arguments, aux, _ = op.signature(params)
        return arguments + aux
    if op.variadic:
        count = given if given is not None else int(params.get("num_args", 1))
        return [f"arg{k}" for k in range(count)]
    rule = PRESENT_INPUTS.get(op.name)
    if rule is not None:
        return [n for n in op.inputs if rule(n, params)]
    required = [n for n in op.inputs if n not in _optional_inputs(op)]
    if given is not None and given > len(required):
        return list(op.inputs[:given])
    return required


_OPTIONAL: dict[str, frozenset[str]] = {}


def _optional_inputs(op: Operator) -> frozenset[str]:
    """Inputs the implementation lets default to None (absent unless given)."""
    found = _OPTIONAL.get(op.name)
    if found is None:
        sig = inspect.signature(op.impl).parameters
        found = _OPTIONAL[op.name] = frozenset(
            n for n in op.inputs if n in sig and sig[n].default is None)
    return found


def _unless_no_bias(default: bool) -> Callable[[str, dict[str, Any]], bool]:
    return lambda n, p: n != "bias" or not p.get("no_bias", default)


#: Operators whose optional inputs exist or not by their parameters (MXNet's
#: FListInputNames): input name, parameters -> present.
PRESENT_INPUTS: dict[str, Callable[[str, dict[str, Any]], bool]] = {
    "FullyConnected": _unless_no_bias(False),
    "Convolution": _unless_no_bias(False),
    "Convolution_v1": _unless_no_bias(False),
    "Deconvolution": _unless_no_bias(True),
    "RNN": lambda n, p: (n != "state_cell" or p.get("mode") == "lstm") and (
        n != "sequence_length" or p.get("use_sequence_length", False)),
    "LeakyReLU": lambda n, p: n != "gamma" or p.get("act_type") == "prelu",
    "softmax": lambda n, p: n != "length" or p.get("use_length", False),
    "masked_softmax": lambda n, p: True,
    "SequenceMask": lambda n, p: n != "sequence_length" or p.get("use_sequence_length", False),
    "SequenceLast": lambda n, p: n != "sequence_length" or p.get("use_sequence_length", False),
    "SequenceReverse": lambda n, p: n != "sequence_length" or p.get("use_sequence_length",
                                                                     False),
    "CTCLoss": lambda n, p: (n != "data_lengths" or p.get("use_data_lengths", False)) and (
        n != "label_lengths" or p.get("use_label_lengths", False)),
    # (the ranges are inputs too; the bias's only with the bias)
    "_contrib_quantized_fully_connected": lambda n, p: not (
        p.get("no_bias", False) and n in ("bias", "min_bias", "max_bias")),
    "_contrib_quantized_conv": lambda n, p: not (
        p.get("no_bias", False) and n in ("bias", "min_bias", "max_bias")),
}
#: Inputs that are auxiliary states: updated by the operator, not arguments.
AUX_INPUTS: dict[str, tuple[str, ...]] = {
    "BatchNorm": ("moving_mean", "moving_var"),
    "BatchNorm_v1": ("moving_mean", "moving_var"),
    "_contrib_SyncBatchNorm": ("moving_mean", "moving_var"),
    "_contrib_BatchNormWithReLU": ("moving_mean", "moving_var"),
    "IdentityAttachKLSparseReg": ("moving_avg",),
    "_sparse_adagrad_update": ("history",),
    "_contrib_quantized_batch_norm": ("moving_mean", "moving_var"),
}


_STATS_INIT = {"moving_mean": '["zero", {}]', "moving_var": '["one", {}]'}
#: The `__init__` attribute MXNet gives the variables it creates for these inputs (its
#: FSetInputVariableAttrs): the moving statistics start at zero mean and unit variance.
INPUT_INIT: dict[str, dict[str, str]] = {
    "BatchNorm": _STATS_INIT, "BatchNorm_v1": _STATS_INIT,
    "_contrib_SyncBatchNorm": _STATS_INIT, "_contrib_BatchNormWithReLU": _STATS_INIT,
    "LeakyReLU": {"gamma": '["Constant", {"value": 0.25}]'},
    "UpSampling": {"weight": '["bilinear", {}]'},
}

#: Attributes MXNet's attribute parser adds to every node of the operator: its JSON, and
#: the variables made for missing inputs, carry them.
PARSER_ATTRS: dict[str, dict[str, str]] = {
    "_contrib_quantized_rnn": {"quantized": "true"},
}


def _numbered(count: int) -> list[str]:
    return [f"output{k}" for k in range(count)]


def _rnn_outputs(p: dict[str, Any]) -> list[str]:
    if not p.get("state_outputs", False):
        return ["output"]
    return (["output", "state_output", "statecell_output"] if p.get("mode") == "lstm"
            else ["output", "state_output"])


def _split_v2_count(p: dict[str, Any]) -> int:
    sections = int(p.get("sections", 0) or 0)
    return sections if sections > 0 else len(tuple(p.get("indices", ())))


def _num_outputs(p: dict[str, Any]) -> list[str]:
    count = int(p["num_outputs"])
    return _numbered(count) if count > 1 else ["output"]


def _dgl_outputs(op: str, fixed: int, per_array: int, mapping: bool = False,
                 required: tuple[str, ...] = ()) -> Callable[[dict[str, Any]], list[str]]:
    """The outputs of a DGL graph operator: `per_array` for each input past the `fixed`
    first ones (for each pair of inputs when `fixed` is 0: dgl_graph_compact's graphs and
    vertex ids), twice as many with `return_mapping` where `mapping`. The parameters its
    count needs are checked as MXNet's parser checks them, when the node is made."""
    def names(p: dict[str, Any]) -> list[str]:
        for key in ("num_args", *required):
            if key not in p:
                raise ParamError(f"{op}: the argument {key!r} is required")
        arrays = int(p["num_args"]) - fixed
        count = (arrays if fixed else arrays // 2) * per_array
        if count < 1:
            raise ParamError(f"{op}: num_args must be at least {fixed + 1 if fixed else 2}, "
                             f"got {p['num_args']}")
        count *= 2 if mapping and p["return_mapping"] else 1
        return _numbered(count) if count > 1 else ["output"]

    return names


#: Operators with other visible outputs than one named "output".
OUTPUT_NAMES: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "SliceChannel": lambda p: _numbered(int(p.get("num_outputs", 1))),
    "_split_v2": lambda p: _numbered(_split_v2_count(p)),
    "_histogram": lambda p: _numbered(2),
    "_foreach": _num_outputs, "_while_loop": _num_outputs, "_cond": _num_outputs,
    "BatchNorm": lambda p: ["output", "mean", "var"] if p.get("output_mean_var") else ["output"],
    "LayerNorm": lambda p: ["output", "mean", "std"] if p.get("output_mean_var") else ["output"],
    "GroupNorm": lambda p: ["output", "mean", "std"] if p.get("output_mean_var") else ["output"],
    "RNN": _rnn_outputs,
    "topk": lambda p: _numbered(2) if p.get("ret_typ") == "both" else ["output"],
    "moments": lambda p: ["mean", "var"],
    "_sample_multinomial": lambda p: _numbered(2) if p.get("get_prob") else ["output"],
    "_linalg_gelqf": lambda p: ["Q", "L"],
    "_linalg_syevd": lambda p: ["U", "L"],
    "_linalg_slogdet": lambda p: ["sign", "logdet"],
    **{name: lambda p: ["output", "mean", "var"] if p.get("output_mean_var") else ["output"]
       for name in ("BatchNorm_v1", "_contrib_SyncBatchNorm", "_contrib_BatchNormWithReLU")},
    **{name: lambda p: ["output", "score"] if p.get("output_score") else ["output"]
       for name in ("_contrib_Proposal", "_contrib_MultiProposal")},
    "_contrib_bipartite_matching": lambda p: _numbered(2),
    "_contrib_box_encode": lambda p: _numbered(2),
    "_contrib_hawkesll": lambda p: ["output", "state"],
    "_contrib_calibrate_entropy": lambda p: ["threshold", "divergence"],
    "amp_multicast": lambda p: _numbered(int(p.get("num_outputs", 1))),
    # (the multi-tensor updates give one new weight per weight)
    **{name: lambda p: _numbered(int(p.get("num_weights", 1))) for name in (
        "multi_sgd_update", "multi_sgd_mom_update", "multi_mp_sgd_update",
        "multi_mp_sgd_mom_update", "preloaded_multi_sgd_update",
        "preloaded_multi_sgd_mom_update", "preloaded_multi_mp_sgd_update",
        "preloaded_multi_mp_sgd_mom_update", "_multi_adamw_update", "_multi_mp_adamw_update",
        "_multi_lamb_update", "_multi_mp_lamb_update")},
    "_contrib_quantize": lambda p: ["output", "min_output", "max_output"],
    "_contrib_quantize_v2": lambda p: _numbered(3),
    "_contrib_requantize": lambda p: _numbered(3),
    "_contrib_quantize_asym": lambda p: ["output", "scale", "shift"],
    **{f"_contrib_quantized_{name}": lambda p: ["output", "min_output", "max_output"]
       for name in ("act", "flatten", "pooling", "embedding", "concat", "elemwise_add",
                    "elemwise_mul", "batch_norm", "fully_connected", "conv")},
    "MultiBoxTarget": lambda p: ["loc_target", "loc_mask", "cls_target"],
    "_contrib_MultiBoxTarget": lambda p: ["loc_target", "loc_mask", "cls_target"],
    # (MXNet's spelling)
    "_contrib_quantized_rnn": lambda p: (["output", "state_output", "statecell_ouput"]
                                         if p.get("state_outputs") else ["output"]),
    "_contrib_dgl_csr_neighbor_uniform_sample": _dgl_outputs(
        "dgl_csr_neighbor_uniform_sample", 1, 3),
    "_contrib_dgl_csr_neighbor_non_uniform_sample": _dgl_outputs(
        "dgl_csr_neighbor_non_uniform_sample", 2, 4),
    "_contrib_dgl_subgraph": _dgl_outputs("dgl_subgraph", 1, 1, True, ("return_mapping",)),
    "_contrib_dgl_graph_compact": _dgl_outputs("dgl_graph_compact", 0, 1, True,
                                               ("return_mapping", "graph_sizes")),
}

#: Outputs whose dtype is fixed, whatever the inputs' (by output index).
OUTPUT_DTYPES: dict[str, dict[int, np.dtype]] = {
    "_histogram": {0: np.dtype(np.int64)},
    "_contrib_getnnz": {0: np.dtype(np.int64)},
    "shape_array": {0: np.dtype(np.int64)},
    "size_array": {0: np.dtype(np.int64)},
    "_contrib_index_array": {0: np.dtype(np.int64)},
    "_sample_unique_zipfian": dict.fromkeys(range(2), np.dtype(np.int64)),
    # (the quantized operators' ranges are float32; a product accumulates in int32)
    **{f"_contrib_quantized_{name}": {1: np.dtype(np.float32), 2: np.dtype(np.float32)}
       for name in ("act", "flatten", "pooling", "embedding", "concat", "elemwise_add",
                    "elemwise_mul", "batch_norm")},
    **{f"_contrib_quantized_{name}": {0: np.dtype(np.int32), 1: np.dtype(np.float32),
                                      2: np.dtype(np.float32)}
       for name in ("fully_connected", "conv")},
    "_contrib_requantize": {1: np.dtype(np.float32), 2: np.dtype(np.float32)},
    "_contrib_dequantize": {0: np.dtype(np.float32)},
    "_contrib_quantized_rnn": dict.fromkeys(range(3), np.dtype(np.float32)),
}

#: Inputs whose dtype is fixed, whatever the others' (by input name): a variable feeding one
#: takes that dtype when nothing else gives it one.
INPUT_DTYPES: dict[str, dict[str, np.dtype]] = {
    "_contrib_quantized_rnn": {
        "data": np.dtype(np.uint8),
        **dict.fromkeys(("parameters", "state", "state_cell", "min_data", "max_data"),
                        np.dtype(np.float32))},
}


def _quantized_input_dtypes(integers: tuple[str, ...], integer: Any = np.int8,
                            floats: tuple[str, ...] = ()) -> dict[str, np.dtype]:
    """A quantized operator's inputs: its quantized values `integer` (int8 where nothing
    says otherwise, so that shape inference, which runs the operator, gives it integers),
    its ranges and `floats` float32."""
    ranges = ("min_data", "max_data", "min_weight", "max_weight", "min_bias", "max_bias",
              "min_range", "max_range", "lhs_min", "lhs_max", "rhs_min", "rhs_max")
    return {**dict.fromkeys(ranges + floats, np.dtype(np.float32)),
            **dict.fromkeys(integers, np.dtype(integer))}


INPUT_DTYPES.update({
    **{f"_contrib_{name}": _quantized_input_dtypes(integers) for name, integers in {
        "quantized_act": ("data",), "quantized_flatten": ("data",),
        "quantized_pooling": ("data",), "quantized_embedding": ("weight",),
        "quantized_elemwise_add": ("lhs", "rhs"), "quantized_elemwise_mul": ("lhs", "rhs"),
        "quantized_fully_connected": ("data", "weight", "bias"),
        "quantized_conv": ("data", "weight", "bias"), "dequantize": ("data",)}.items()},
    "_contrib_requantize": _quantized_input_dtypes(("data",), np.int32),
    "_contrib_quantized_batch_norm": _quantized_input_dtypes(
        ("data",), np.int8, ("gamma", "beta", "moving_mean", "moving_var")),
})

DtypeRule = Callable[[dict[str, Any], list[np.dtype]], list[np.dtype]]


def _int64_from(op: str, start: int, what: str, rule: DtypeRule) -> DtypeRule:
    """`rule`, after MXNet's check that the inputs from position `start` on are int64."""
    def checked(p: dict[str, Any], ins: list[np.dtype]) -> list[np.dtype]:
        for d in ins[start:]:
            if np.dtype(d) != np.int64:
                raise DTypeError(f"{op}: {what} must be int64, got {np.dtype(d).name}")
        return rule(p, ins)

    return checked


def _mapped(p: dict[str, Any]) -> int:
    return 2 if p.get("return_mapping") else 1


#: The DGL graph operators' dtypes (MXNet's FInferType): a sampler's vertex ids and layers
#: take the first seed array's dtype, its graphs the graph's, its probabilities the
#: probability's; a subgraph the graph's; compaction int64; an adjacency matrix float32.
_DGL_DTYPE_RULES: dict[str, DtypeRule] = {
    "_contrib_dgl_csr_neighbor_uniform_sample":
        lambda p, ins: [t for t in (ins[1], ins[0], ins[1]) for _ in ins[1:]],
    "_contrib_dgl_csr_neighbor_non_uniform_sample":
        lambda p, ins: [t for t in (ins[2], ins[0], ins[1], ins[2]) for _ in ins[2:]],
    "_contrib_dgl_subgraph": _int64_from(
        "dgl_subgraph", 1, "each vertex array",
        lambda p, ins: [ins[0]] * ((len(ins) - 1) * _mapped(p))),
    "_contrib_dgl_graph_compact": _int64_from(
        "dgl_graph_compact", 0, "each graph and vertex-id array",
        lambda p, ins: [np.dtype(np.int64)] * (len(ins) // 2 * _mapped(p))),
    "_contrib_dgl_adjacency": _int64_from("dgl_adjacency", 0, "the graph",
                                          lambda p, ins: [np.dtype(np.float32)]),
}

#: Operators whose output dtypes follow a rule of their own: (parameters, input dtypes) ->
#: output dtypes (the DGL graph operators'; MXNet's `Custom`: its property's `infer_type`,
#: registered from above).
_F32 = np.dtype(np.float32)
OUTPUT_DTYPE_RULES: dict[str, DtypeRule] = {
    **_DGL_DTYPE_RULES,
    # (requantize gives its out_type, 'auto' meaning int8 here; the quantized embedding
    # its weight's dtype)
    "_contrib_requantize": lambda p, ins: [
        np.dtype(np.uint8) if p.get("out_type") == "uint8" else np.dtype(np.int8), _F32, _F32],
    "_contrib_quantized_embedding": lambda p, ins: [ins[1], _F32, _F32],
}

#: Operators whose inputs do not share one dtype (a DGL graph of int64 edge ids, float
#: probabilities): dtype inference gives an unknown input none from the others.
SEPARATE_INPUT_DTYPES = frozenset(_DGL_DTYPE_RULES)

#: Outputs MXNet 1.9.1 (its pip build, with MKLDNN) keeps beyond the visible ones.
HIDDEN_OUTPUTS: dict[str, Callable[[dict[str, Any]], int]] = {
    "BatchNorm": lambda p: 3,
    "Dropout": lambda p: 2,
    "Pooling": lambda p: 2 if p.get("pool_type", "max") == "max" and not p.get(
        "global_pool", False) else 1,
    "LRN": lambda p: 2,
    "LayerNorm": lambda p: 3,
}


def topological(outputs: Iterable[tuple[Node, int]]) -> list[Node]:
    """Every node the outputs depend on, inputs before users, in MXNet's order (a
    depth-first walk over inputs in order), without recursion.

    >>> [n.name for n in topological(sym._outputs)]  # doctest: +SKIP
    """
    order: list[Node] = []
    seen: set[int] = set()
    for head, _ in outputs:
        if id(head) in seen:
            continue
        stack: list[tuple[Node, int]] = [(head, 0)]
        seen.add(id(head))
        while stack:
            node, k = stack.pop()
            if k < len(node.inputs):
                stack.append((node, k + 1))
                child = node.inputs[k][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                order.append(node)
    return order


def fixed_input_dtypes(outputs: Iterable[tuple[Node, int]]) -> dict[int, np.dtype]:
    """The dtype of each variable (by id) that feeds an operator input of fixed dtype
    (`INPUT_DTYPES`).

    >>> fixed_input_dtypes(sym._outputs)  # doctest: +SKIP
    """
    found: dict[int, np.dtype] = {}
    for node in topological(outputs):
        fixed = INPUT_DTYPES.get(node.op.name, {}) if node.op is not None else {}
        for name, (source, _) in zip(node.input_names() if fixed else [], node.inputs):
            if source.op is None and name in fixed:
                found.setdefault(id(source), fixed[name])
    return found


def check_input_count(node: Node) -> None:
    """A loaded or composed node must have as many inputs as its operator takes."""
    if node.op is None or node.op.variadic:
        return
    names = node.input_names()
    if len(names) != len(node.inputs):
        raise ParamError(f"{node.op.name} {node.name!r}: it takes the inputs {names} with "
                         f"these attributes, but has {len(node.inputs)} inputs")
