"""Every primitive has a batching rule, and each rule agrees with applying the primitive to
each example on its own.

The rules are checked without compiling anything: the batched graph is evaluated with the
primitives' NumPy meanings and compared with the stacked per-example results, for operands
batched along different axes or not at all (`dims`).
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import mxjit  # noqa: F401  (defines every primitive: trace, kernels, ops, autograd.Function)
from mxjit.base import UnsupportedError
from mxjit.trace import PRIMITIVES, apply, const_value, evaluate, toposort, var
from mxjit.trace.batching import BATCHING_RULES, LOOPED, batch_graph, move_axis

B = 3  # examples per batch
F32 = np.float32


def run(outputs, values):
    """The NumPy values of `outputs` given those of the graph's inputs."""
    got = dict(values)
    for n in toposort(list(outputs)):
        if n not in got:
            got[n] = (const_value(n) if n.op == "const"
                      else evaluate(n.op, [got[i] for i in n.inputs], dict(n.attrs)))
    return [got[o] for o in outputs]


def _u(lo, hi, shape=(2, 3), dtype=F32):
    return lambda r: r.uniform(lo, hi, shape).astype(dtype)


def _ints(lo, hi, shape):
    return lambda r: r.integers(lo, hi, shape).astype(np.int64)


def _bools(shape=(2, 3)):
    return lambda r: r.random(shape) < 0.5


def _spd(r):
    a = r.normal(size=(3, 3))
    return (a @ a.T + 3 * np.eye(3)).astype(F32)


def _key(r):
    return r.integers(0, 2**32, 2, dtype=np.uint64).astype(np.uint32)


def _boxes(r):
    rows = np.zeros((2, 4, 6), F32)
    rows[..., 0] = r.integers(0, 2, (2, 4))
    rows[..., 1] = r.uniform(0, 1, (2, 4))
    corner = r.uniform(0, 1, (2, 4, 2))
    rows[..., 2:4] = corner
    rows[..., 4:6] = corner + r.uniform(0.1, 0.5, (2, 4, 2))
    return rows


UNARY_RANGES = {"arccosh": (1.1, 3.0), "gamma": (0.5, 3.0), "gammaln": (0.5, 3.0),
                **{n: (0.1, 0.9) for n in ("log", "log2", "log10", "sqrt", "rsqrt")}}
UNARY = [n for n, p in PRIMITIVES.items() if p.kind == "elementwise"
         and p.shape_rule.__qualname__.startswith("_unary_rule")]
BINARY = [n for n, p in PRIMITIVES.items() if p.kind == "elementwise"
          and p.shape_rule.__qualname__.startswith("_binary_rule")]
LOGICAL = {"logical_and", "logical_or", "logical_xor"}
BITWISE = {"bitwise_and", "bitwise_or", "bitwise_xor"}

#: name -> (makers of each operand of one example, attributes)
SAMPLES: dict[str, tuple[list, dict]] = {
    **{n: ([_u(*UNARY_RANGES.get(n, (-0.9, 0.9)))], {}) for n in UNARY},
    **{n: ([_bools(), _bools()] if n in LOGICAL else [_ints(-9, 9, (2, 3)), _ints(-9, 9, (2, 3))]
           if n in BITWISE else [_u(0.5, 2), _u(0.5, 2)], {}) for n in BINARY},
    "logical_not": ([_bools()], {}),
    "invert": ([_ints(-9, 9, (2, 3))], {}),
    "isnan": ([_u(-1, 1)], {}),
    "mark": ([_u(-1, 1)], {"id": ("test", 0)}),
    "stop_gradient": ([_u(-1, 1)], {}),
    "loss_output": ([_u(-1, 1), _u(-1, 1), _u(-1, 1)], {"head": True}),
    "where": ([_bools(), _u(-1, 1), _u(-1, 1)], {}),
    "cast": ([_u(-3, 3)], {"dtype": np.dtype(np.int32)}),
    "reduce_sum": ([_u(-1, 1)], {"axes": (1,)}),
    "reduce_prod": ([_u(-1, 1)], {"axes": (0, 1)}),
    "reduce_max": ([_u(-1, 1)], {"axes": (0,)}),
    "reduce_min": ([_u(-1, 1)], {"axes": (1,)}),
    "argmax": ([_u(-1, 1)], {"axis": 1}),
    "argmin": ([_u(-1, 1)], {"axis": 0}),
    "reshape": ([_u(-1, 1)], {"shape": (3, 1, 2)}),
    "broadcast_to": ([_u(-1, 1, (3, 1))], {"shape": (2, 3, 4)}),
    "transpose": ([_u(-1, 1, (2, 3, 4))], {"perm": (2, 0, 1)}),
    "slice": ([_u(-1, 1)], {"start": (1, 2), "stop": (2, 0), "step": (1, -1)}),
    "flip": ([_u(-1, 1)], {"axes": (1,)}),
    "pad": ([_u(-1, 1), _u(-1, 1, ())], {"low": (1, 0), "high": (0, 2)}),
    "concat": ([_u(-1, 1), _u(-1, 1, (2, 1))], {"axis": 1}),
    "take": ([_u(-1, 1, (4, 3)), _ints(-2, 6, (2, 2))], {"axis": 0, "mode": "clip"}),
    "take/wrap": ([_u(-1, 1, (3, 4)), _ints(-5, 9, (2,))], {"axis": 1, "mode": "wrap"}),
    "scatter_add": ([_u(-1, 1, (2, 3)), _ints(-1, 5, (2,))],
                    {"axis": 0, "mode": "clip", "size": 4}),
    "scatter_add/wrap": ([_u(-1, 1, (3, 2, 2)), _ints(-3, 7, (2, 2))],
                         {"axis": 1, "mode": "wrap", "size": 3}),
    "check_index": ([_ints(0, 4, (3,))], {"low": 0, "high": 3, "what": "index"}),
    "dot_general": ([_u(-1, 1, (2, 3)), _u(-1, 1, (3, 4))],
                    {"contract": ((1,), (0,)), "batch": ((), ())}),
    "dot_general/batch": ([_u(-1, 1, (2, 3, 4)), _u(-1, 1, (4, 2, 5))],
                          {"contract": ((2,), (0,)), "batch": ((0,), (1,))}),
    "dot_general/outer": ([_u(-1, 1, (3,)), _u(-1, 1, (4,))],
                          {"contract": ((), ()), "batch": ((), ())}),
    "random_bits": ([_key], {"shape": (3,)}),
    "cholesky": ([_spd], {}),
    "triangular_solve": ([_spd, _u(-1, 1, (3, 2))],
                         {"lower": True, "transpose": False, "rightside": False}),
    "inverse": ([_spd], {}),
    "det": ([_spd], {}),
    "logabsdet": ([_spd], {}),
    "slogdet_sign": ([_u(-1, 1, (3, 3))], {}),
    "syevd": ([_spd], {}),
    "gelqf": ([_u(-1, 1, (2, 3))], {}),
    "argsort": ([_u(-1, 1)], {"axis": 1, "is_ascend": False, "k": 2}),
    "random_gamma": ([_key, _u(0.5, 2, (3,))], {"shape": (3,)}),
    "random_poisson": ([_key, _u(0.5, 2, (3,))], {"shape": (3,)}),
    "random_permutation": ([_key], {"n": 5}),
    "random_unique_zipfian": ([_key], {"range_max": 50, "shape": (2, 4)}),
    "box_nms_order": ([_boxes], {"overlap_thresh": 0.5, "valid_thresh": 0.1, "topk": -1,
                                 "coord_start": 2, "score_index": 1, "id_index": 0,
                                 "background_id": -1, "force_suppress": False,
                                 "in_format": "corner"}),
    "bipartite_matching": ([_u(0, 1, (2, 3, 4))], {"is_ascend": False, "threshold": 0.2,
                                                    "topk": -1}),
    "custom_derivative": ([_u(-1, 1), _u(-1, 1, (4,))], {"rule": None, "index": 0}),
    "window_slices": ([_u(-1, 1, (2, 3, 5)), _u(-1, 1, ())],
                      {"stride": (2,), "dilate": (1,), "pad": (1,), "out": (3,)}),
    "window_spread": ([_u(-1, 1, (2, 3, 3))],
                      {"stride": (2,), "dilate": (1,), "pad": (1,), "size": (5,)}),
    "conv": ([_u(-1, 1, (2, 2, 5)), _u(-1, 1, (4, 1, 3))],
             {"stride": (2,), "dilate": (1,), "pad": (1,), "groups": 2, "out": (3,)}),
    "conv_data_grad": ([_u(-1, 1, (2, 4, 3)), _u(-1, 1, (4, 1, 3))],
                       {"stride": (2,), "dilate": (1,), "pad": (1,), "groups": 2,
                        "size": (5,)}),
    "conv_weight_grad": ([_u(-1, 1, (2, 2, 5)), _u(-1, 1, (2, 4, 3))],
                         {"stride": (2,), "dilate": (1,), "pad": (1,), "groups": 2,
                          "kernel": (3,)}),
}
#: Primitives whose rules are checked elsewhere, and why.
ELSEWHERE = {
    "iota": "has no operands, so it is never batched",
    "host_call": "a host call (CustomOp): tests/test_custom_op.py (the loop fallback)",
    "host_vjp": "a host call's backward: tests/test_custom_op.py",
    "multibox_target": "the loop fallback, checked on the samplers here; end to end in "
                       "tests/core/test_vmap.py",
    "multibox_detection": "the loop fallback (see multibox_target)",
    "rpn_proposals": "the loop fallback (see multibox_target)",
    "roi_pool_argmax": "the loop fallback; ROIPooling end to end in tests/core/test_vmap.py",
    "rroi_align": "the loop fallback (see roi_pool_argmax)",
    **{name: "control flow: its rules batch the loop bodies (trace/control.py, tested there)"
       for name in ("scan", "while_loop", "cond")},
}


def test_every_primitive_has_a_batching_rule():
    missing = sorted(set(PRIMITIVES) - set(BATCHING_RULES))
    assert not missing, f"primitives without a batching rule (trace/batching.py): {missing}"
    assert set(BATCHING_RULES) <= set(PRIMITIVES), set(BATCHING_RULES) - set(PRIMITIVES)


def test_every_rule_is_checked_here_or_says_where():
    checked = {name.split("/")[0] for name in SAMPLES}
    assert set(PRIMITIVES) <= checked | set(ELSEWHERE), set(PRIMITIVES) - checked - set(
        ELSEWHERE)
    assert not checked & set(ELSEWHERE)


def test_the_loop_fallback_is_only_for_primitives_without_a_batched_form():
    assert LOOPED == {"random_bits", "random_gamma", "random_poisson", "random_permutation",
                      "random_unique_zipfian", "host_call", "host_vjp", "multibox_target",
                      "multibox_detection", "rpn_proposals", "roi_pool_argmax", "rroi_align"}


def _dims_to_try(operands):
    """Batch axes per operand: every operand batched first, each alone, the last axis."""
    n = len(operands)
    tries = [[0] * n, [a.ndim for a in operands]]
    if n > 1:
        tries += [[0 if k == j else None for k in range(n)] for j in range(n)]
    return tries


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_a_rule_agrees_with_applying_the_primitive_to_each_example(sample):
    name = sample.split("/")[0]
    makers, attrs = SAMPLES[sample]
    rng = np.random.default_rng(sorted(SAMPLES).index(sample))
    examples = [[m(rng) for m in makers] for _ in range(B)]
    for dims in _dims_to_try(examples[0]):
        operands, env, per_example_nodes = [], {}, []
        for k, d in enumerate(dims):
            x = examples[0][k]
            node = var(x.shape, x.dtype)
            per_example_nodes.append(node)
            if d is None:
                operands.append(x)
                continue
            stacked = np.stack([e[k] for e in examples], axis=d)
            env[node] = (var(stacked.shape, stacked.dtype), d)
            operands.append(stacked)
        out = apply(name, *per_example_nodes, **attrs)
        assert out.op == name, (out.op, name)
        (batched, d), = batch_graph([out], env, B)
        values = {n: (operands[k] if dims[k] is None else None)
                  for k, n in enumerate(per_example_nodes)}
        values = {n: v for n, v in values.items() if v is not None}
        values.update({env[n][0]: operands[k] for k, n in enumerate(per_example_nodes)
                       if n in env})
        got, = run([batched], values)
        got = np.moveaxis(got, d, 0) if d is not None else np.stack([got] * B)
        want = np.stack([evaluate(name, [e[k] if dims[k] is not None else examples[0][k]
                                         for k in range(len(dims))], attrs)
                         for e in examples])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{sample}, batch axes {dims}")


def test_batching_a_primitive_without_a_rule_is_an_error_that_names_it(monkeypatch):
    monkeypatch.delitem(BATCHING_RULES, "exp")
    x = var((2,), np.dtype(F32))
    with pytest.raises(UnsupportedError, match="exp has no batching rule"):
        batch_graph([apply("exp", x)], {x: (var((3, 2), np.dtype(F32)), 0)}, 3)


def test_nodes_that_depend_on_no_batched_value_are_kept_as_they_are():
    x, w = var((2,), np.dtype(F32)), var((2,), np.dtype(F32))
    unbatched = apply("exp", w)
    out = apply("mul", x, unbatched)
    (batched, d), = batch_graph([out], {x: (var((2, 4), np.dtype(F32)), 1)}, 4)
    assert d == 1 and unbatched in toposort([batched])


def test_move_axis_is_one_transpose():
    x = var((2, 3, 4), np.dtype(F32))
    for src, dst in itertools.product(range(3), range(3)):
        moved = move_axis(x, src, dst)
        want = np.moveaxis(np.zeros((2, 3, 4)), src, dst).shape
        assert moved.shape == want
