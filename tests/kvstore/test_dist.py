"""Distributed training over MPI, on this machine: each test starts 2 or 4 processes with
`mpiexec` (loopback) running a script of `workers/`, with a timeout, so a hang fails the
test instead of stalling the suite."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py")

from mxjit.tools.launch import find_mpiexec  # noqa: E402

from .workers import train_equivalence  # noqa: E402

WORKERS = Path(__file__).parent / "workers"
ROOT = Path(__file__).resolve().parents[2]


def run(command: list[str], cwd: Path, timeout: float = 90, **env: str
        ) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(command, cwd=cwd, env=environ, capture_output=True, text=True,
                          timeout=timeout)


def mpi(n: int, script: str, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return run([find_mpiexec(), "-n", str(n), sys.executable, str(WORKERS / script), *args],
               cwd, **env)


def test_kvstore_semantics_on_two_workers_match_one_store_fed_with_every_workers_values(
        tmp_path):
    # (tiny buckets: the 40 keys travel in many messages, the bucketing path)
    done = mpi(2, "kv_semantics.py", "2", cwd=tmp_path, MXJIT_KVSTORE_BUCKET_MB="0.0002")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(done.stdout.split("\n")[:2]) == ["OK 0", "OK 1"], done.stdout


def test_five_steps_on_two_workers_equal_one_process_on_the_combined_batch(tmp_path):
    done = mpi(2, "train_equivalence.py", str(tmp_path / "w.npz"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    got = np.load(tmp_path / "w.npz")
    single, module = train_equivalence.train_single(), train_equivalence.module_single()
    routes = {key.split("/")[0] for key in got.files} - {"different_seeds"}
    assert routes == {"dist_sync", "dist_sync_local_update", "horovod_store", "hvd_trainer",
                      "module"}
    for key in got.files:
        route, name = key.split("/")
        if route != "different_seeds":
            want = (module if route == "module" else single)[name]
            np.testing.assert_allclose(got[key], want, rtol=1e-5, atol=1e-6, err_msg=key)


def test_gradients_summed_while_the_backward_pass_runs_give_the_weights_of_summing_at_step(
        tmp_path):
    # (tiny buckets: the gradients travel in many buckets, the first started while the
    # backward pass still runs; see the worker for the cases)
    done = run([find_mpiexec(), "-n", "2", sys.executable, str(WORKERS / "overlap_cases.py")],
               tmp_path, timeout=300, MXJIT_KVSTORE_FIRST_BUCKET_MB="0.0002",
               MXJIT_KVSTORE_BUCKET_MB="0.0002")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(done.stdout.split("\n")[:2]) == ["OK 0 120", "OK 1 120"], done.stdout


def test_horovod_api_on_four_workers(tmp_path):
    done = mpi(4, "hvd_api.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(line for line in done.stdout.split("\n") if line) == \
        [f"OK {r}" for r in range(4)]


def test_the_launcher_starts_every_worker_through_mpiexec(tmp_path):
    code = ("import os, sys, mxjit as mx; kv = mx.kv.create('dist_sync'); "
            "sys.stdout.write(f'worker {kv.rank} of {kv.num_workers} "
            "{os.environ[\"MXJIT_TEST_FLAG\"]}\\n')")
    done = run([sys.executable, "-m", "mxjit.tools.launch", "-n", "2", "--launcher", "local",
                "--env-worker", "MXJIT_TEST_FLAG:on", sys.executable, "-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split("\n")[:2]) == ["worker 0 of 2 on", "worker 1 of 2 on"]


@pytest.mark.parametrize("how,says", [("kill", "Killed (signal 9)"),
                                      ("raise", "aborting all 2 workers (MPI_Abort)")])
def test_a_dead_worker_ends_the_others_within_seconds(tmp_path, how, says):
    start = time.perf_counter()
    done = mpi(2, "failing_worker.py", how, cwd=tmp_path)
    assert time.perf_counter() - start < 60
    assert done.returncode != 0
    assert says in done.stdout + done.stderr
    assert "was not stopped" not in done.stdout
