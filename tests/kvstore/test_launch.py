"""`python -m mxjit.tools.launch`: the mpiexec command lines it builds (running them is in
test_dist.py)."""
from __future__ import annotations

import pytest

from mxjit.base import MissingFileError, ParamError
from mxjit.tools.launch import find_mpiexec, mpiexec_command, parse_args


def command(*argv: str) -> list[str]:
    return mpiexec_command(parse_args(argv), "mpiexec")


def test_local_mpi_and_ssh_launchers():
    assert command("-n", "4", "python", "train.py", "--lr", "0.1") == \
        ["mpiexec", "-n", "4", "python", "train.py", "--lr", "0.1"]
    assert command("-n", "2", "--launcher", "mpi", "-H", "hosts", "python", "t.py") == \
        ["mpiexec", "-f", "hosts", "-n", "2", "python", "t.py"]
    assert command("-n", "2", "-H", "hosts", "-s", "2", "python", "t.py") == \
        ["mpiexec", "-launcher", "ssh", "-f", "hosts", "-n", "2", "python", "t.py"]


def test_environment_is_passed_to_every_worker(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert command("-n", "1", "--env", "OMP_NUM_THREADS", "--env-worker", "A:b:c",
                   "python", "t.py") == \
        ["mpiexec", "-n", "1", "-genv", "OMP_NUM_THREADS", "1", "-genv", "A", "b:c",
         "python", "t.py"]


def test_errors():
    with pytest.raises(ParamError, match="the ssh launcher needs a hostfile"):
        command("-n", "2", "--launcher", "ssh", "python", "t.py")
    with pytest.raises(SystemExit):
        parse_args(["-n", "2"])
    with pytest.raises(SystemExit):
        parse_args(["-n", "0", "python"])


def test_a_missing_mpiexec_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingFileError, match="mpiexec not found"):
        find_mpiexec()
