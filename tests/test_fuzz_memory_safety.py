"""The generated code's memory safety, fuzzed: random gathers (advanced indexing, take in each
mode, gather_nd, pick, Embedding, one_hot, batch_take), scatters (scatter_nd, take's
gradient), basic slices, reductions and broadcasts, over random layouts (slices with steps,
negative strides, transposes, broadcast views, empty and size-1 axes) and random indices
(negative, out of range, fractional, NaN, extreme, uint8).

Each case runs in a process of its own, so a crash shows as a negative return code (the
signal) instead of killing pytest: a driver process (`python -m
tests.test_fuzz_memory_safety SEED COUNT`) imports mxjit once and forks one child per case.
A child runs its case eagerly and under `mx.jit` and compares both with a NumPy reference of
the documented rule (docs/indexing.md): the same values, or the same error.
"""
from __future__ import annotations

import faulthandler
import functools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import MXNetError, MXNetIndexError

nd = mx.nd
ROOT = Path(__file__).resolve().parents[1]
#: A child running longer than this is killed (SIGALRM) and reported as a hang.
CASE_SECONDS = 60
INT64_MIN = np.iinfo(np.int64).min
SIZES = [0, 1, 1, 2, 3, 3, 4, 5, 7, 17, 33]
DTYPES = ["float32", "float64", "int32", "int64", "uint8", "float16"]


# ---- the pytest side ---------------------------------------------------------------------


def _run_driver(seed: int, count: int, timeout: float) -> list[dict[str, Any]]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "tests.test_fuzz_memory_safety", str(seed),
                           str(count)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _assert_all_ok(results: list[dict[str, Any]], count: int) -> None:
    assert len(results) == count, f"{len(results)} results for {count} cases"
    crashed = [r for r in results if r["rc"] != 0]
    wrong = [r for r in results if r["rc"] == 0 and r["outcome"] != "ok"]
    report = "\n".join(f"case {r['case']} rc={r['rc']}: {r['spec']}\n    {r['outcome']}"
                       for r in crashed + wrong)
    assert not crashed and not wrong, report


def test_fuzz_quick() -> None:
    """20 cases (the slow variant runs 1000)."""
    _assert_all_ok(_run_driver(seed=11, count=20, timeout=240), 20)


@pytest.mark.slow
def test_fuzz_memory_safety() -> None:
    _assert_all_ok(_run_driver(seed=2026, count=1000, timeout=900), 1000)


def test_a_crash_shows_as_a_negative_return_code() -> None:
    """The driver's own check: a child killed by a signal is reported, not lost."""
    def crash() -> str:
        faulthandler.disable()  # (pytest's handler would print a traceback first)
        os.kill(os.getpid(), signal.SIGSEGV)
        return "not reached"

    assert _fork_case(crash)[0] == -signal.SIGSEGV
    assert _fork_case(lambda: "ok") == (0, "ok")


# ---- the driver: one forked child per case -----------------------------------------------


def _fork_case(run: Callable[[], str]) -> tuple[int, str]:
    """Run `run` in a forked child; (its return code, the outcome it reported)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the outcome through the pipe, never return
        try:
            os.close(read_end)
            signal.alarm(CASE_SECONDS)
            outcome = run()
        except BaseException as e:  # noqa: BLE001  (an unexpected error is an outcome)
            outcome = f"driver error: {type(e).__name__}: {e}"
        try:
            os.write(write_end, outcome[:3000].encode())
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as pipe:
        while chunk := pipe.read(4096):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(errors="replace")


def drive(seed: int, count: int) -> None:
    """Print one JSON line per case: its number, spec, return code and outcome (mxjit is
    imported once, before forking, so each child starts warm)."""
    for k in range(count):
        spec = make_spec(np.random.default_rng([seed, k]))
        rc, outcome = _fork_case(functools.partial(run_case, spec))
        print(json.dumps({"case": k, "spec": repr(spec), "rc": rc, "outcome": outcome}),
              flush=True)


# ---- cases: random layouts and indices ---------------------------------------------------


def _values(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    if dtype.startswith("float"):
        return (rng.standard_normal(shape) * 4).astype(dtype)
    return rng.integers(0 if dtype == "uint8" else -9, 10, shape).astype(dtype)


def random_view(rng: np.random.Generator, ndim: int, dtype: str) -> dict[str, Any]:
    """A recipe for a view of a larger base array: steps (negative ones give negative
    strides), an offset, maybe a transpose, maybe a broadcast (a stride-0 axis). One in 40 is
    about a million elements, which the kernels split across threads."""
    if ndim >= 2 and rng.random() < 0.025:
        dims = [int(rng.integers(1000, 1100)), int(rng.integers(1000, 1100))] + [1] * (ndim - 2)
    else:
        dims = [int(rng.choice(SIZES)) for _ in range(ndim)]
    steps = [int(rng.choice([1, 1, 2, -1, -2, 3])) for _ in range(ndim)]
    starts = [int(rng.integers(0, 3)) for _ in range(ndim)]
    perm = [int(p) for p in rng.permutation(ndim)] if rng.random() < 0.4 else None
    broadcast = int(rng.integers(1, 4)) if rng.random() < 0.15 else None
    return {"dims": dims, "steps": steps, "starts": starts, "perm": perm,
            "broadcast": broadcast, "dtype": dtype, "seed": int(rng.integers(1 << 30))}


def build_view(recipe: dict[str, Any]) -> np.ndarray:
    rng = np.random.default_rng(recipe["seed"])
    dims, steps, starts = recipe["dims"], recipe["steps"], recipe["starts"]
    base_shape = tuple(st + d * abs(s) + 1 for d, s, st in zip(dims, steps, starts))
    base = _values(rng, base_shape, recipe["dtype"])
    key = []
    for d, s, st in zip(dims, steps, starts):
        first = st if s > 0 else st + max(d - 1, 0) * -s
        key.append(slice(first, None, s))
    view = base[tuple(key)][tuple(slice(0, d) for d in dims)]
    assert view.shape == tuple(dims)
    if recipe["perm"] is not None:
        view = view.transpose(recipe["perm"])
    if recipe["broadcast"] is not None:
        view = np.broadcast_to(view[None], (recipe["broadcast"],) + view.shape)
    return view


def random_index(rng: np.random.Generator, shape: tuple[int, ...], dim: int,
                 kinds: tuple[str, ...] = ("in", "in", "neg", "out", "float", "nan",
                                           "extreme", "uint8")) -> np.ndarray:
    kind = str(rng.choice(kinds))
    span = max(dim, 1)
    if kind == "in":
        return rng.integers(0, span, shape).astype(np.int64) if dim else np.zeros(shape, np.int64)
    ints = rng.integers(-2 * span - 2, 2 * span + 3, shape)
    if kind == "neg":
        return np.clip(ints, -dim, dim - 1).astype(np.int32) if dim else ints.astype(np.int32)
    if kind == "out":
        return ints.astype(np.int64)
    if kind in ("float", "nan"):
        v = (ints + rng.uniform(-0.95, 0.95, shape)).astype(np.float32)
        if kind == "nan" and v.size:
            v.reshape(-1)[rng.integers(0, v.size)] = rng.choice([np.nan, np.inf, -np.inf])
        return v
    if kind == "extreme":
        v = ints.astype(np.int64)
        if v.size:
            v.reshape(-1)[rng.integers(0, v.size)] = rng.choice(
                [INT64_MIN, np.iinfo(np.int64).max, 2**31, -(2**31) - 1])
        return v
    return np.clip(ints, 0, 255).astype(np.uint8)


def _index_shape(rng: np.random.Generator) -> tuple[int, ...]:
    return tuple(int(rng.choice([0, 1, 2, 3])) for _ in range(int(rng.integers(1, 3))))


def make_spec(rng: np.random.Generator) -> dict[str, Any]:
    """A random case: an operation, its operand's layout, and its parameters."""
    op = str(rng.choice(["take", "getitem", "gather_nd", "pick", "embedding", "one_hot",
                         "batch_take", "scatter_nd", "slice", "reduce", "broadcast",
                         "take_grad"]))
    ndim = int(rng.integers(1, 4))
    dtype = str(rng.choice(DTYPES))
    if op == "reduce":
        dtype = str(rng.choice(["float32", "float64", "int32", "int64"]))
    elif op == "take_grad":
        dtype = str(rng.choice(["float32", "float64"]))
    if op in ("embedding", "batch_take"):
        ndim = 2 if op == "embedding" else max(ndim, 2)
    view = random_view(rng, ndim, dtype)
    if op == "embedding":
        view["broadcast"] = None  # (the weight stays 2-D)
    shape = build_view(view).shape
    spec: dict[str, Any] = {"op": op, "view": view, "flip": bool(rng.random() < 0.3)}
    if not shape:
        return spec
    axis = int(rng.integers(0, len(shape)))
    spec["axis"] = axis
    d = shape[axis]
    if op in ("take", "take_grad"):
        spec["mode"] = str(rng.choice(["clip", "wrap", "raise"] if op == "take"
                                      else ["clip", "wrap"]))
        spec["index"] = random_index(rng, _index_shape(rng), d)
    elif op == "getitem":
        count = int(rng.integers(1, min(2, len(shape)) + 1))
        ishape = _index_shape(rng)
        spec["indices"] = [random_index(rng, ishape, shape[a], ("in", "neg", "out", "float",
                                                                "uint8"))
                           for a in range(count)]
        spec["lead_slice"] = bool(rng.random() < 0.3) and len(shape) > count
    elif op in ("gather_nd", "scatter_nd"):
        m = int(rng.integers(1, len(shape) + 1))
        y = _index_shape(rng)
        kind = str(rng.choice(["in", "neg", "out", "float", "nan"]))  # (one dtype for all)
        spec["index"] = np.stack([random_index(rng, y, shape[j], (kind,)) for j in range(m)])
    elif op == "pick":
        spec["mode"] = str(rng.choice(["clip", "wrap"]))
        spec["index"] = random_index(rng, shape[:axis] + shape[axis + 1:], d)
    elif op == "embedding":
        spec["index"] = random_index(rng, _index_shape(rng), shape[0])
    elif op == "one_hot":
        spec["depth"] = int(rng.integers(0, 5))
        spec["index"] = random_index(rng, _index_shape(rng), spec["depth"])
    elif op == "batch_take":
        spec["index"] = random_index(rng, (int(np.prod(shape[:-1])),), shape[-1])
    elif op == "slice":
        key: list[Any] = []
        for n in shape:
            if n and rng.random() < 0.25:
                key.append(int(rng.integers(-n - 1, n + 1)))  # maybe out of range
            else:
                bound = lambda: None if rng.random() < 0.3 else int(rng.integers(-9, 10))  # noqa: E731
                key.append(slice(bound(), bound(), int(rng.choice([1, 2, 3, -1, -2]))))
        spec["key"] = tuple(key)
    elif op == "reduce":
        spec["reducer"] = str(rng.choice(["sum", "max", "min", "prod", "argmax", "argmin"]))
        spec["keepdims"] = bool(rng.random() < 0.5)
    elif op == "broadcast":
        spec["target"] = tuple(n if n != 1 else int(rng.choice([1, 3])) for n in shape)
    return spec


# ---- the NumPy references of the documented rules ----------------------------------------


class Expected(Exception):
    """The reference's verdict that the call is an error (of this mxjit class)."""


def truncate(v: np.ndarray) -> np.ndarray:
    """Indices as int64, floats truncated toward zero; NaN, inf and values beyond int64
    become INT64_MIN (the C cast on x86)."""
    if v.dtype.kind != "f":
        return v.astype(np.int64)
    w = v.astype(np.float64)
    good = np.isfinite(w) & (w < 2.0**63) & (w >= -(2.0**63))
    return np.where(good, np.trunc(np.where(good, w, 0)), 0).astype(np.int64) + np.where(
        good, 0, INT64_MIN).astype(np.int64)


def check(v: np.ndarray, low: int, high: int) -> None:
    with np.errstate(invalid="ignore"):
        if not ((v >= low) & (v <= high)).all():
            raise Expected("MXNetIndexError")


def nd_position(v: np.ndarray, d: int) -> np.ndarray:
    check(v, -d, d - 1)
    if v.dtype.kind != "f":
        return np.mod(v.astype(np.int64), d)
    work = np.float64 if v.dtype == np.float64 else np.float32
    total = v.astype(work) + work(d)
    if v.dtype == np.float16:
        total = total.astype(np.float16)
    return np.mod(truncate(total), d)


def scatter_updates(spec: dict[str, Any], x: np.ndarray) -> np.ndarray:
    idx = spec["index"]
    shape = idx.shape[1:] + x.shape[idx.shape[0]:]
    return (np.arange(int(np.prod(shape))).reshape(shape) % 7 - 3).astype(x.dtype)


def one_d(a: np.ndarray) -> np.ndarray:
    return a.reshape(1) if a.ndim == 0 else a  # MXNet 1.x has no 0-d arrays


def reference(spec: dict[str, Any], x: np.ndarray) -> Any:
    op = spec["op"]
    if spec["flip"] and x.ndim:
        x = np.flip(x, spec.get("axis", 0))
    if op in ("take", "take_grad"):
        axis, idx, d = spec["axis"], spec["index"], x.shape[spec["axis"]]
        if d == 0 and idx.size:
            raise Expected("MXNetError")
        if spec["mode"] == "raise":
            check(idx, 0, d - 1)
        v = truncate(idx)
        fixed = np.mod(v, d) if spec["mode"] == "wrap" and d else np.clip(v, 0, max(d - 1, 0))
        out = np.take(x, fixed, axis=axis)
        if op == "take":
            return out
        weights = np.arange(out.size, dtype=x.dtype).reshape(out.shape) % 5 - 2
        grad = np.zeros(np.moveaxis(x, axis, 0).shape, x.dtype)
        np.add.at(grad, fixed.reshape(-1), np.moveaxis(
            weights.reshape(x.shape[:axis] + (fixed.size,) + x.shape[axis + 1:]), axis, 0))
        return np.moveaxis(grad, 0, axis)
    if op == "getitem":
        cols = []
        for a, idx in enumerate(spec["indices"]):
            v = truncate(idx)
            d = x.shape[a + spec["lead_slice"]]
            check(v, -d, d - 1)
            cols.append(v)
        key = (slice(None),) * spec["lead_slice"] + tuple(cols)
        return one_d(x[key])
    if op == "gather_nd":
        idx = spec["index"]
        pos = tuple(nd_position(idx[j], x.shape[j]) for j in range(idx.shape[0]))
        return x[pos]
    if op == "scatter_nd":  # scatter_nd(updates, index, shape=x.shape) + x
        idx = spec["index"]
        pos = tuple(nd_position(idx[j], x.shape[j]) for j in range(idx.shape[0]))
        out = np.zeros(x.shape, x.dtype)
        np.add.at(out, pos, scatter_updates(spec, x))
        return out + x
    if op == "pick":
        axis, d = spec["axis"], x.shape[spec["axis"]]
        v = truncate(spec["index"])
        if d == 0:
            if v.size:
                raise Expected("MXNetError")
            return one_d(np.zeros(v.shape, x.dtype))
        fixed = np.mod(v, d) if spec["mode"] == "wrap" else np.clip(v, 0, d - 1)
        return one_d(np.take_along_axis(x, np.expand_dims(fixed, axis), axis).squeeze(axis))
    if op == "embedding":
        if x.shape[0] == 0 and spec["index"].size:
            raise Expected("MXNetError")
        return x[np.clip(truncate(spec["index"]), 0, x.shape[0] - 1)]
    if op == "one_hot":
        v = truncate(spec["index"])
        return (v[..., None] == np.arange(spec["depth"])).astype(np.float32)
    if op == "batch_take":
        width = x.shape[-1]
        rows = x.reshape(int(np.prod(x.shape[:-1])), width)
        if width == 0 and rows.shape[0]:
            raise Expected("MXNetError")
        v = np.clip(truncate(spec["index"]), 0, max(width - 1, 0))
        return rows[np.arange(rows.shape[0]), v] if rows.shape[0] else np.zeros(0, x.dtype)
    if op == "slice":
        for k, n in zip(spec["key"], x.shape):
            if isinstance(k, int) and not -n <= k < n:
                raise Expected("MXNetIndexError")
        return one_d(x[spec["key"]])
    if op == "reduce":
        name, axis = spec["reducer"], spec["axis"]
        fn = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min,
              "argmax": np.argmax, "argmin": np.argmin}[name]
        if x.shape[axis] == 0 and name not in ("sum", "prod"):
            raise Expected("any")  # (an empty max or argmax: eager and jit must agree)
        if name.startswith("arg"):
            out = fn(x, axis=axis, keepdims=spec["keepdims"]).astype(np.float32)
        else:
            out = fn(x, axis=axis, keepdims=spec["keepdims"], dtype=x.dtype) if name in (
                "sum", "prod") else fn(x, axis=axis, keepdims=spec["keepdims"])
        return one_d(np.asarray(out))
    if op == "broadcast":
        return np.broadcast_to(x, spec["target"]) + x.dtype.type(1)
    raise AssertionError(op)


# ---- running a case ----------------------------------------------------------------------


def mx_function(spec: dict[str, Any]) -> Callable[..., Any]:
    """The case as a function of mx arrays (the operand, then the index if any)."""
    op = spec["op"]

    def f(x: Any, *index: Any) -> Any:
        if spec["flip"] and x.ndim:
            x = nd.flip(x, axis=spec.get("axis", 0))
        i = index[0] if index else None
        if op == "take":
            return nd.take(x, i, axis=spec["axis"], mode=spec["mode"])
        if op == "take_grad":
            def loss(a: Any) -> Any:
                out = nd.take(a, i, axis=spec["axis"], mode=spec["mode"])
                w = nd.array(np.arange(out.size).reshape(out.shape) % 5 - 2, dtype=a.dtype)
                return (out * w).sum()
            return mx.grad(loss)(x)
        if op == "getitem":
            lead = (slice(None),) * spec["lead_slice"]
            return x[lead + tuple(index)]
        if op == "gather_nd":
            return nd.gather_nd(x, i)
        if op == "scatter_nd":
            updates = nd.array(scatter_updates(spec, np.zeros(x.shape, x.dtype)), dtype=x.dtype)
            return nd.scatter_nd(updates, i, shape=x.shape) + x
        if op == "pick":
            return nd.pick(x, i, axis=spec["axis"], mode=spec["mode"])
        if op == "embedding":
            return nd.Embedding(i, x, input_dim=x.shape[0], output_dim=x.shape[1])
        if op == "one_hot":
            return nd.one_hot(i, spec["depth"])
        if op == "batch_take":
            return nd.batch_take(x, i)
        if op == "slice":
            return x[spec["key"]]
        if op == "reduce":
            return getattr(nd, spec["reducer"])(x, axis=spec["axis"], keepdims=spec["keepdims"])
        if op == "broadcast":
            return nd.broadcast_to(x, shape=spec["target"]) + 1
        raise AssertionError(op)

    return f


def _compare(got: Any, want: Any, what: str) -> str | None:
    got_np = got.asnumpy()
    want = np.asarray(want)
    if got_np.shape != want.shape:
        return f"{what}: shape {got_np.shape}, want {want.shape}"
    if want.dtype.kind == "f" or got_np.dtype.kind == "f":
        tol = 1e-2 if want.dtype == np.float16 else 1e-4
        ok = np.allclose(got_np.astype(np.float64), want.astype(np.float64), rtol=tol,
                         atol=tol, equal_nan=True)
    else:
        ok = np.array_equal(got_np.astype(np.int64), want.astype(np.int64))
    return None if ok else f"{what}: values differ\n got {got_np!r}\n want {want!r}"


def _attempt(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001  (compared with the reference's verdict)
        return None, e


def run_case(spec: dict[str, Any]) -> str:
    """'ok', or what went wrong: eager and jit against the reference (values or error)."""
    view = build_view(spec["view"])
    want, expected = _attempt(lambda: reference(spec, view))
    if expected is not None and not isinstance(expected, Expected):
        return f"reference failed: {type(expected).__name__}: {expected}"
    index = [spec["index"]] if "index" in spec else list(spec.get("indices", []))
    f = mx_function(spec)
    eager_x = mx.nd.NDArray._wrap(view)  # the strided view itself: eager kernels read it
    eager_index = [mx.nd.NDArray._wrap(np.ascontiguousarray(i)) for i in index]
    outcomes = {
        "eager": _attempt(lambda: f(eager_x, *eager_index)),
        "jit": _attempt(lambda: mx.jit(f)(view, *[np.ascontiguousarray(i) for i in index])),
    }
    if expected is not None and str(expected) == "any":  # eager and jit must agree
        (e_got, e_err), (j_got, j_err) = outcomes["eager"], outcomes["jit"]
        if type(e_err) is not type(j_err):
            return f"eager and jit disagree: {e_err!r} / {j_err!r}"
        return "ok" if e_err is not None else _compare(j_got, e_got.asnumpy(), "jit") or "ok"
    for what, (got, error) in outcomes.items():
        if expected is not None:
            kind = str(expected)
            if error is None:
                return f"{what}: no error, want {kind}"
            if kind == "MXNetIndexError" and not isinstance(error, MXNetIndexError):
                return f"{what}: {type(error).__name__}: {error}, want MXNetIndexError"
            if kind == "MXNetError" and not isinstance(error, MXNetError):
                return f"{what}: {type(error).__name__}: {error}, want an MXNetError"
            continue
        if error is not None:
            return f"{what}: {type(error).__name__}: {error}"
        problem = _compare(got, want, what)
        if problem:
            return problem
    return "ok"


if __name__ == "__main__":
    drive(int(sys.argv[1]), int(sys.argv[2]))
