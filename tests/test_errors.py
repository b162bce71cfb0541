"""Every error a user can hit is an `MXNetError` (which is a `RuntimeError`, as in MXNet),
defined in `mxjit/base.py`; the specific ones also subclass the matching built-in."""
from __future__ import annotations

import ast
import builtins
import inspect
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import base

ROOT = Path(__file__).resolve().parent.parent / "mxjit"
#: Built-in exceptions raised on purpose, where no user input can reach them: (file,
#: exception) -> why.
INTERNAL = {
    ("lower/cuda_runtime.py", "NotImplementedError"): "the Driver interface's abstract methods",
    ("nd/sparse_storage.py", "NotImplementedError"): "an abstract method of the storage base",
    ("trace/graph.py", "KeyError"): "Node.attr, an internal look-up",
    ("lower/llvm_math.py", "TypeError"): "the math library's checks of its own callers",
    ("lower/llvm_math.py", "ValueError"): "the math library's checks of its own callers",
    ("gluon/data/dataloader.py", "StopIteration"): "the end of an epoch (the iterator "
                                                   "protocol, not an error)",
    ("symbol/symbol.py", "AttributeError"): "Symbol.__getattr__ on a name that is no fluent "
                                            "method (Python's attribute protocol)",
    ("symbol/numpy_namespace.py", "AttributeError"): "mx.sym.np's __getattr__ on a private "
                                                     "name (Python's attribute protocol)",
    ("test_utils.py", "AttributeError"): "the module's __getattr__ on a name it lacks "
                                         "(Python's attribute protocol)",
    ("io/io.py", "StopIteration"): "the end of a pass (the iterator protocol, not an error)",
    ("data_iter.py", "StopIteration"): "the end of a pass (the iterator protocol, not an "
                                       "error)",
    ("image/image_iter.py", "StopIteration"): "the end of a pass (the iterator protocol, "
                                               "not an error)",
    ("io/native.py", "StopIteration"): "the end of a pass (the iterator protocol, not an "
                                       "error)",
    ("rnn/io.py", "StopIteration"): "the end of a pass (the iterator protocol, not an "
                                    "error)",
    ("gluon/data/multi_worker_iter.py", "StopIteration"): "the end of a pass (the iterator "
                                                          "protocol, not an error)",
    ("lower/emit.py", "NotImplementedError"): "a primitive without an index-map rule (the "
                                              "primitive-record test catches it first)",
}
_BUILTIN = {n for n, v in vars(builtins).items()
            if isinstance(v, type) and issubclass(v, BaseException)}


def _raised_builtins(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id in _BUILTIN:
                found.append((exc.id, node.lineno))
    return found


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_raised_errors_are_mxnet_errors(path: Path):
    rel = str(path.relative_to(ROOT))
    for name, line in _raised_builtins(path):
        if name == "AssertionError":
            continue  # (an internal invariant: a bug in mxjit if it fires, not a user error)
        assert (rel, name) in INTERNAL, (
            f"{rel}:{line} raises the built-in {name}; raise an MXNetError subclass from "
            "mxjit/base.py (one that also subclasses the matching built-in)")


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_error_classes_are_defined_in_base(path: Path):
    if path == ROOT / "base.py":
        return
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef):
            bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
            assert not bases & (_BUILTIN | set(base.__all__)), (
                f"{path.relative_to(ROOT)} defines the error class {node.name}: define it in "
                "mxjit/base.py")


def test_every_error_is_an_mxnet_error_and_a_runtime_error():
    assert issubclass(mx.MXNetError, RuntimeError)
    for name in base.__all__:
        cls = getattr(base, name)
        assert issubclass(cls, mx.MXNetError), name
    assert issubclass(base.ShapeError, ValueError) and issubclass(base.DTypeError, TypeError)
    assert issubclass(base.MXNetIndexError, IndexError)
    assert issubclass(base.UnsupportedError, NotImplementedError)
    documented = [c for _, c in inspect.getmembers(base, inspect.isclass)
                  if c.__doc__ and c.__module__ == base.__name__]  # (not mx_real_t's float32)
    assert len(documented) == len(base.__all__)


def test_user_errors_can_be_caught_as_runtime_errors():
    with pytest.raises(RuntimeError, match="broadcast"):
        mx.nd.ones((2,)) + mx.nd.ones((3,))
    with pytest.raises(RuntimeError, match="the argument 'num_hidden' is required"):
        mx.nd.FullyConnected(mx.nd.ones((2, 3)), mx.nd.ones((4, 3)), no_bias=True)
    with pytest.raises(base.ArgumentError, match="len"):
        len(mx.nd.array(1.0).reshape(()))


@pytest.mark.parametrize("call, builtin, match", [
    # where MXNet 1.9.1 raises a plain TypeError or ValueError, so does mxjit (an MXNetError
    # that subclasses it); where it raises MXNetError, a more precise built-in is a base too
    (lambda: mx.nd.ones(2) + "a", TypeError, "expected an array or a number, got str"),
    (lambda: mx.nd.array(["a", "b"]), TypeError, "must hold numbers, not strings"),
    (lambda: mx.nd.ones(2) * [1j, 2], TypeError, "got list of complex numbers"),
    (lambda: mx.nd.ones(2).copyto(5), TypeError, "expected an NDArray or a Context"),
    (lambda: mx.nd.ones(2).astype("foo"), TypeError, "unknown dtype 'foo'"),
    (lambda: mx.nd.ones(2).asscalar(), ValueError, "2 elements"),
    (lambda: mx.nd.ones(6).reshape((4,)), ValueError, "target size 4"),
    (lambda: bool(mx.nd.ones(2)), ValueError, "ambiguous"),
    (lambda: mx.nd.ones((2, 2)).__setitem__(0, mx.nd.ones(3)), ValueError, "broadcast"),
    (lambda: mx.nd.ones(2)[5], IndexError, "out of bounds"),
    (lambda: mx.nd.save("/tmp/never-written.nd", [1, 2]), TypeError, "expected NDArrays"),
    (lambda: mx.nd.load("/nonexistent/x.nd"), FileNotFoundError, "no such file"),
])
def test_errors_are_the_builtin_python_code_catches_and_mxnet_errors(call, builtin, match):
    with pytest.raises(builtin, match=match) as info:
        call()
    assert isinstance(info.value, mx.MXNetError)


@pytest.mark.parametrize("call, error, match", [
    # (issue #11: each used to raise AttributeError, ZeroDivisionError or NumPy's message)
    (lambda: mx.nd.exp([1.0, 2.0]), base.ArgumentError,
     r"exp: data must be an array \(NDArray\), got list; convert it first"),
    (lambda: mx.nd.sum([1.0, 2.0]), base.ArgumentError, "sum: data must be an array"),
    (lambda: mx.nd.dot([1.0], mx.nd.ones(1)), base.ArgumentError, "dot: lhs must be an array"),
    (lambda: mx.nd.broadcast_add(mx.nd.ones(2), [1, 2]), base.ArgumentError,
     "broadcast_add: rhs must be an array"),
    (lambda: mx.nd.concat(mx.nd.ones(2), [1.0]), base.ArgumentError,
     "concat: data must be an array"),
    (lambda: mx.nd.take(mx.nd.ones(3), "a"), base.ArgumentError,
     "take: indices must be an array"),
    (lambda: mx.nd.arange(0, 5, 0), base.ParamError, "step must be a finite non-zero"),
    (lambda: mx.nd.arange(0, 5, repeat=0), base.ParamError, "repeat must be at least 1"),
    (lambda: mx.nd.arange("a"), base.ArgumentError, "stop must be a number"),
    (lambda: mx.nd.linspace(0, 1, -1), base.ParamError, "num must be non-negative"),
    (lambda: mx.nd.eye(-1), base.ParamError, "N and M must be non-negative"),
    (lambda: mx.nd.full((2,), "a"), base.ArgumentError, "val must be a number"),
    (lambda: mx.nd.ones(2, ctx="cpu"), base.ArgumentError, "ctx must be a Context"),
    (lambda: mx.nd.array([1], ctx="gpu"), base.ArgumentError, "ctx must be a Context"),
    (lambda: mx.nd.exp(mx.nd.ones(2), out=np.zeros(2)), base.ArgumentError,
     "out= must be an array"),
    (lambda: mx.nd.softmax(mx.nd.ones(2), axis="x"), base.ArgumentError,
     "softmax: axis must be an int"),
    (lambda: mx.grad(lambda x: (x * x).sum())("a"), base.GradientError,
     "argument 0 is a str, which holds no array"),
    (lambda: mx.nd.one_hot(mx.nd.array([0, 1]), depth=-1), base.ParamError,
     "one_hot: depth must be non-negative, got -1"),
    (lambda: mx.nd.ones(3)[mx.nd.array([float("nan")])], base.MXNetIndexError,
     "index: nan cannot index an axis"),
    (lambda: mx.nd.ones(3)[[1.0, float("-inf")]], base.MXNetIndexError,
     "index: -inf cannot index an axis"),
])
def test_unclear_errors_name_the_operator_the_argument_and_what_is_allowed(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_arange_without_stop_counts_from_zero_by_step():
    assert mx.nd.arange(5, step=2).asnumpy().tolist() == [0, 2, 4]
    assert mx.nd.arange(2, 5).asnumpy().tolist() == [2, 3, 4]
    assert mx.nd.add(2, mx.nd.ones(2)).asnumpy().tolist() == [3, 3]  # (Python-level: numbers)
    assert mx.nd.maximum(mx.nd.ones(2), 3).asnumpy().tolist() == [3, 3]


def test_mxnets_base_helpers_libraries_import():
    assert base._as_list(1) == [1] and base._as_list([1, 2]) == [1, 2]
    assert base.mx_real_t is np.float32
