"""`python -m mxjit run script.py [args]`: run an unmodified MXNet script on mxjit.

The script runs as `__main__` with `sys.argv` = [script.py, args...] and its folder first
on `sys.path`, as `python script.py` would run it, after `install_as_mxnet()`: its
`import mxnet` is mxjit. Processes it starts with multiprocessing's 'spawn' or
'forkserver' methods re-import the script in a fresh interpreter: a stand-in `mxnet`
package on their path installs the alias there at their first `import mxnet` (this
process finds its alias first).

    $ python -m mxjit run train_mnist.py --epochs 2
"""
from __future__ import annotations

import argparse
import atexit
import os
import runpy
import shutil
import sys
import tempfile

from . import install_as_mxnet

#: The stand-in `mxnet` of child processes: it takes itself out of `sys.modules`, installs
#: mxjit's alias and hands the import the alias's `mxnet` (the import system returns what
#: `sys.modules` holds once the package has run).
_CHILD_MXNET = """\
import sys

import mxjit

del sys.modules["mxnet"]
mxjit.install_as_mxnet()
import mxnet as _alias  # noqa: E402

sys.modules["mxnet"] = _alias
"""


def _alias_in_child_processes() -> None:
    folder = tempfile.mkdtemp(prefix="mxjit-run-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.mkdir(os.path.join(folder, "mxnet"))
    with open(os.path.join(folder, "mxnet", "__init__.py"), "w") as f:
        f.write(_CHILD_MXNET)
    paths = [folder, os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)  # (new interpreters)
    sys.path.append(folder)  # (multiprocessing hands its children this process's sys.path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mxjit", description="Run MXNet code on mxjit.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="run a script written for MXNet (its `import mxnet` is mxjit)")
    run.add_argument("script", help="the Python script to run")
    run.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse `argv` (default: the command line) and run the command.

    >>> main(['run', 'train.py', '--epochs', '1'])  # doctest: +SKIP
    """
    parser = _parser()
    options = parser.parse_args(argv)
    script = options.script
    if not os.path.isfile(script):
        parser.error(f"run: no such script: {script!r}")
    install_as_mxnet()
    _alias_in_child_processes()
    sys.argv = [script, *options.args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
