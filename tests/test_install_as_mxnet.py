"""`mx.install_as_mxnet()` and `python -m mxjit run`: `import mxnet` is mxjit afterwards.

Each check runs in a fresh interpreter, so the `mxnet` alias never reaches this session's
`sys.modules`.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mxjit.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "fixtures" / "scripts" / "train_mxnet_mlp.py"


def _python(code: str, *args: str, cwd: Path = ROOT, path: Path | None = None
            ) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(path) if path else ""}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_mxnet_and_its_submodules_are_mxjits_own_modules():
    out = _ok(_python("""
        import mxjit
        mxjit.install_as_mxnet()
        mxjit.install_as_mxnet()  # (twice is fine)
        import mxnet as mx
        from mxnet import autograd, gluon, nd
        import mxnet.ndarray.sparse
        import mxnet.gluon.data.vision
        from mxnet.ndarray import NDArray
        from mxnet.gluon.nn import HybridBlock
        from mxnet.base import MXNetError, string_types
        assert (gluon, nd, autograd) == (mxjit.gluon, mxjit.nd, mxjit.autograd)
        assert mx.ndarray is mxjit.nd and mx.ndarray.sparse is mxjit.nd.sparse
        assert mxnet.gluon.data.vision is mxjit.gluon.data.vision
        assert NDArray is mxjit.nd.NDArray and HybridBlock is mxjit.gluon.HybridBlock
        assert isinstance(mx.nd.ones(2), NDArray) and MXNetError is mxjit.MXNetError
        assert mx.cpu() == mxjit.cpu() and mx.context.num_gpus() == mxjit.context.num_gpus()
        assert mxjit.nd.__spec__.name == "mxjit.nd"  # (the shared module keeps its own spec)
        assert "gluon" in dir(mx) and mx.__name__ == "mxnet"
        import numpy
        mxjit.gluon.data.numpy_module = numpy
        for name in ("mxnet.no_such_module", "mxnet.gluon.data.numpy_module"):
            try:  # (a name mxjit lacks is no module; nor is another package's module)
                __import__(name)
            except ModuleNotFoundError as e:
                print(e)
        print(mx.__version__, mxjit.__version__, string_types)
    """))
    assert out.splitlines() == ["No module named 'mxnet.no_such_module'",
                                "No module named 'mxnet.gluon.data.numpy_module'",
                                "1.9.1 0.1.0 (<class 'str'>,)"]


@pytest.fixture
def real_mxnet(tmp_path: Path) -> Path:
    """A folder holding a package named `mxnet` (standing in for a real MXNet install)."""
    (tmp_path / "mxnet").mkdir()
    (tmp_path / "mxnet" / "__init__.py").write_text("__version__ = '1.9.1'\nREAL = True\n")
    return tmp_path


def test_an_already_imported_mxnet_is_an_error_that_says_so(real_mxnet: Path):
    result = _python("""
        import mxnet, mxjit
        try:
            mxjit.install_as_mxnet()
        except ImportError as e:
            assert isinstance(e, mxjit.MXNetError)
            print(e)
    """, path=real_mxnet)
    out = _ok(result)
    assert "install_as_mxnet: a real mxnet is already imported (from " in out
    assert str(real_mxnet / "mxnet" / "__init__.py") in out


def test_an_installed_but_not_imported_mxnet_is_shadowed(real_mxnet: Path):
    out = _ok(_python("""
        import mxjit
        mxjit.install_as_mxnet()
        import mxnet
        print(hasattr(mxnet, "REAL"), mxnet.nd is mxjit.nd)
    """, path=real_mxnet))
    assert out.split() == ["False", "True"]


def test_run_trains_an_unmodified_mxnet_script():
    result = subprocess.run([sys.executable, "-m", "mxjit", "run", str(SCRIPT), "--epochs",
                             "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = _ok(result).splitlines()
    assert [line.split()[:2] for line in lines[:2]] == [["epoch", "0"], ["epoch", "1"]]
    assert float(lines[1].split()[3]) < float(lines[0].split()[3])  # (the loss fell)
    assert lines[1].split()[4:] == ["accuracy", "1.000"]
    assert lines[2] == "mxnet 1.9.1 ndarray mxjit.nd.ndarray"


def test_run_passes_the_script_its_arguments_and_folder(tmp_path: Path):
    (tmp_path / "helper.py").write_text("VALUE = 42\n")
    script = tmp_path / "show.py"
    script.write_text("import sys, helper, mxnet\n"
                      "print(__name__, sys.argv, helper.VALUE, mxnet.__version__)\n")
    result = subprocess.run([sys.executable, "-m", "mxjit", "run", str(script), "-x", "1"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert _ok(result).strip() == f"__main__ {[str(script), '-x', '1']} 42 1.9.1"


@pytest.mark.parametrize("args, message", [
    (["run", "no_such_script.py"], "error: run: no such script: 'no_such_script.py'"),
    ([], "error: the following arguments are required: command"),
])
def test_run_usage_errors_say_what_is_wrong(args: list[str], message: str, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)  # (refused before anything is installed or run)
    assert info.value.code == 2 and message in capsys.readouterr().err
    assert "mxnet" not in sys.modules


def test_run_gives_spawned_worker_processes_the_alias_too(tmp_path: Path):
    script = tmp_path / "pool.py"
    script.write_text(textwrap.dedent("""
        import multiprocessing
        import mxnet as mx

        def work(i):
            return type(mx).__name__, float(mx.nd.ones(2).sum().asscalar()) + i

        if __name__ == "__main__":
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                print(pool.map(work, [1]))
    """))
    result = subprocess.run([sys.executable, "-m", "mxjit", "run", str(script)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert _ok(result).strip() == "[('MXNetModule', 3.0)]"
