"""The package's layers import downward only, without circles, and at module level.

    base <- context <- trace <- lower <- kernels <- core <- ops <- front ends (nd,
    autograd, random, the package itself)

`lower` imports only `trace`, `base` and `context`; `kernels` may also use `lower`'s
package API (convolution lowers its im2col kernels), and `core` hands the kernels to the
backends; `core` imports no front end and reaches `lower`
through its package API only; the operator library (`ops`) and the front ends never touch
`lower` or `kernels`. Read from the source with `ast`, so a violation fails here before
anyone trips over it.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "mxjit"

#: What each layer may import from mxjit (besides itself). `lower` means the package's
#: public API (`mxjit.lower`); `lower.*` its modules too.
ALLOWED: dict[str, set[str]] = {
    "base": set(),
    "context": {"base"},
    "trace": {"base"},
    "lower": {"base", "context", "trace"},
    "kernels": {"base", "context", "trace", "lower"},
    "core": {"base", "context", "trace", "lower", "kernels"},
    "ops": {"base", "context", "trace", "core"},
    "nd": {"base", "context", "trace", "core", "ops"},
    "autograd": {"core"},
    "lax": {"core"},
    "random": {"core", "nd"},
    "demo": {"__init__", "gluon"},
    "demo_kernel": {"nd", "core", "__init__"},
    "test_utils": {"base", "context", "nd", "autograd", "util", "symbol", "test_data",
                   "test_gluon_utils"},
    "test_gluon_utils": {"autograd", "initializer"},
    "test_data": {"base", "download", "data_iter", "io"},
    "download": {"base"},
    "cache": {"lower"},
    "name": set(),
    "engine": set(),
    "attribute": {"base"},
    "symbol": {"base", "context", "trace", "core", "nd", "autograd", "name", "attribute",
               "util"},
    "visualization": {"base", "symbol"},
    "registry": {"base"},
    "initializer": {"base", "nd", "random", "registry"},
    "metric": {"base", "nd", "registry"},
    "lr_scheduler": {"base"},
    "optimizer": {"base", "context", "core", "nd", "lr_scheduler", "util"},
    "data_iter": {"base", "nd"},
    "image": {"base", "nd", "recordio", "data_iter"},
    "recordio": {"base"},
    "io": {"base", "nd", "image", "recordio", "data_iter"},
    "model": {"base", "context", "nd", "symbol", "kvstore"},
    "callback": {"model"},
    "monitor": {"nd"},
    "module": {"base", "context", "nd", "symbol", "optimizer", "initializer", "metric", "io",
               "model", "name", "kvstore"},
    "util": {"base"},
    "libinfo": {"base"},
    "runtime": {"base", "context", "libinfo"},
    "numpy": {"base", "context", "trace", "core", "ops", "nd", "autograd", "random", "util"},
    "numpy_extension": {"base", "context", "trace", "core", "ops", "nd", "autograd", "random",
                        "util", "numpy"},
    "kvstore": {"base", "context", "core", "nd", "optimizer"},
    "kvstore_server": {"base", "kvstore"},
    "operator": {"base", "context", "trace", "core", "ops", "nd", "autograd", "symbol", "util"},
    "gluon": {"base", "context", "core", "nd", "autograd", "initializer", "name", "optimizer",
              "image", "metric", "recordio", "io", "symbol", "kvstore", "util", "numpy",
              "download"},
    "horovod": {"base", "context", "nd", "kvstore", "optimizer", "gluon"},
    "contrib": {"base", "nd", "autograd", "symbol"},
    "rnn": {"base", "nd", "symbol", "initializer", "data_iter", "model"},
    "tools": {"base"},
    "__main__": {"__init__", "base"},
    "mxnet_alias": {"base", "libinfo"},
    "__init__": {"autograd", "base", "context", "nd", "lax", "random", "core", "test_utils",
                 "name", "initializer", "metric", "lr_scheduler", "optimizer", "gluon", "image",
                 "recordio", "symbol", "attribute", "visualization", "io", "model", "module",
                 "callback", "monitor", "util", "libinfo", "runtime", "numpy",
                 "numpy_extension", "kvstore", "kvstore_server", "operator", "horovod",
                 "tools", "mxnet_alias", "contrib", "engine", "rnn"},
}
#: Optional dependencies imported where they are first needed (a GPU, SciPy, Graphviz, MPI),
#: and those only image decoding and progress bars use (`import mxjit` loads neither).
LAZY_OK = ("pycuda", "scipy", "graphviz", "mpi4py", "PIL", "tqdm")


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py"))


def _name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """(absolute module imported, at module level?, line) for every import of `path`."""
    tree = ast.parse(path.read_text())
    package = _name(path) if path.name == "__init__.py" else _name(path).rpartition(".")[0]
    top_level = set(id(n) for n in tree.body)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base)
                mod = f"{prefix}.{node.module}" if node.module else prefix
            else:
                mod = node.module or ""
            # `from pkg import sub` imports the submodule `pkg.sub` when there is one
            targets = [f"{mod}.{a.name}" if _is_module(f"{mod}.{a.name}") else mod
                       for a in node.names]
        else:
            continue
        for t in targets:
            found.append((t, id(node) in top_level, node.lineno))
    return found


def _is_module(name: str) -> bool:
    if not name.startswith("mxjit"):
        return False
    path = ROOT.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


@pytest.mark.parametrize("path", _modules(), ids=lambda p: _name(p))
def test_imports_run_downward(path: Path):
    me = _name(path)
    layer = _layer(me)
    allowed = ALLOWED[layer] | {layer}
    for target, _, line in _imports(path):
        if not target.startswith("mxjit"):
            continue
        their = _layer(target)
        assert their in allowed, f"{me}:{line} imports {target} ({layer} may import {allowed})"
        if their == "lower" and layer != "lower":
            assert target == "mxjit.lower", (
                f"{me}:{line} imports {target}: use the mxjit.lower package API")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: _name(p))
def test_imports_sit_at_module_level(path: Path):
    for target, top, line in _imports(path):
        if not top:
            assert target.split(".")[0] in LAZY_OK or target in ("typing",), (
                f"{_name(path)}:{line} imports {target} inside a function")


def test_no_import_circles():
    graph: dict[str, set[str]] = {}
    modules = _modules()
    names = {_name(p) for p in modules}
    for path in modules:
        me = _name(path)
        deps = set()
        for target, top, _ in _imports(path):
            while target and target not in names:
                target = target.rpartition(".")[0]
            if target and target != me and top and not me.startswith(target + "."):
                deps.add(target)
        graph[me] = deps
    # a package importing its own submodules is how packages load; cycles among the rest fail
    cycles = _cycles({m: {d for d in ds if not d.startswith(m + ".")} for m, ds in graph.items()})
    assert cycles == [], f"import circles: {cycles}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        component.append(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in graph:
                continue
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found
