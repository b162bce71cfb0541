"""`python -m mxjit.tools.launch -n 4 [--launcher local|ssh|mpi] [-H hostfile] python
train.py`: MXNet's launcher of distributed training, over MPI's `mpiexec`.

Every worker is one MPI process running the command; the distributed KVStores and
`mxjit.horovod` find each other through MPI, so there are no server or scheduler
processes (`-s` is accepted and ignored). The launchers:

* `local`: the workers on this machine (`mpiexec -n N command`);
* `mpi`: `mpiexec` with the hostfile given by `-H` (one host per line, `host:slots`);
* `ssh`: `mpiexec -launcher ssh -f hostfile`: MPICH's Hydra starts the remote workers
  over password-less ssh; the command must exist at the same path on every host.

Without `--launcher` the launcher is `ssh` when a hostfile is given, else `local` (MXNet's
default is `ssh` always). `--env NAME` passes this machine's value of NAME to every worker,
`--env-worker NAME:VALUE` a value. The exit status is `mpiexec`'s: when a worker fails,
MPI ends the others and the launcher exits non-zero.

    $ python -m mxjit.tools.launch -n 2 --launcher local python train.py
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence

from ..base import MissingFileError, ParamError

__all__ = ["mpiexec_command", "main"]


def find_mpiexec() -> str:
    """The `mpiexec` next to this Python (the `mxjit[dist]` extra installs it there),
    else the first on PATH.

    >>> find_mpiexec()  # doctest: +SKIP
    '/work/main/.venv/bin/mpiexec'
    """
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.exists(beside):
        return beside
    found = shutil.which("mpiexec")
    if found is None:
        raise MissingFileError("launch: mpiexec not found; pip install 'mxjit[dist]' (mpich) "
                               "or install an MPI")
    return found


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The launcher's arguments (MXNet's names), the command last.

    >>> parse_args(['-n', '2', 'python', 'train.py']).num_workers
    2
    """
    parser = argparse.ArgumentParser(prog="python -m mxjit.tools.launch",
                                     description="Launch a distributed training job over MPI")
    parser.add_argument("-n", "--num-workers", required=True, type=int,
                        help="number of worker processes")
    parser.add_argument("-s", "--num-servers", type=int,
                        help="ignored: the stores need no server processes over MPI")
    parser.add_argument("-H", "--hostfile", type=str,
                        help="hosts to run on, one a line (host or host:slots); needed by "
                             "the ssh and mpi launchers")
    parser.add_argument("--launcher", choices=["local", "ssh", "mpi"], default=None,
                        help="local: this machine; mpi/ssh: the hosts of --hostfile")
    parser.add_argument("--env", action="append", default=[],
                        help="NAME or NAME:VALUE passed to every worker")
    parser.add_argument("--env-worker", action="append", default=[],
                        help="NAME:VALUE set for every worker")
    parser.add_argument("--env-server", action="append", default=[],
                        help="ignored: there are no server processes")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="the command every worker runs")
    args = parser.parse_args(list(argv))
    if not args.command:
        parser.error("the command to launch is missing")
    if args.num_workers < 1:
        parser.error(f"--num-workers must be at least 1, got {args.num_workers}")
    return args


def mpiexec_command(args: argparse.Namespace, mpiexec: str = "mpiexec") -> list[str]:
    """The `mpiexec` command line that runs `args.command` on `args.num_workers` workers.

    >>> mpiexec_command(parse_args(['-n', '2', 'python', 't.py']))
    ['mpiexec', '-n', '2', 'python', 't.py']
    """
    launcher = args.launcher or ("ssh" if args.hostfile else "local")
    cmd = [mpiexec]
    if launcher in ("ssh", "mpi"):
        if not args.hostfile:
            raise ParamError(f"launch: the {launcher} launcher needs a hostfile (-H hosts)")
        if launcher == "ssh":
            cmd += ["-launcher", "ssh"]
        cmd += ["-f", args.hostfile]
    cmd += ["-n", str(args.num_workers)]
    for item in args.env + args.env_worker:
        name, sep, value = item.partition(":")
        if not sep:
            value = os.environ.get(name, "")
        cmd += ["-genv", name, value]
    return cmd + list(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the job; the exit status of `mpiexec`.

    >>> main(['-n', '2', 'python', 'train.py'])  # doctest: +SKIP
    0
    """
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return subprocess.call(mpiexec_command(args, find_mpiexec()))


if __name__ == "__main__":
    sys.exit(main())
