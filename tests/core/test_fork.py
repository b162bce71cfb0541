"""fork(): a child process runs mxjit as its parent did (the worker pool, locks and the GPU
are reset in the child). Each scenario runs in a fresh interpreter with a timeout, so a
hang fails the test instead of stopping the suite."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX-only")

ROOT = Path(__file__).resolve().parents[2]

#: Work that starts the kernel thread pool (a kernel over more than PARALLEL_MIN_WORK
#: elements), then jit, eager ops and autograd.
WORK = """
import numpy as np
import mxjit as mx

def work(seed):
    x = mx.nd.ones((2048, 1024))
    assert float((x * 2).sum().asscalar()) == 2 * 2048 * 1024
    f = mx.jit(lambda a, b: mx.nd.relu(a * b + 1))
    got = f(x, mx.nd.full((2048, 1024), seed)).asnumpy()
    assert np.all(got == max(seed + 1, 0))
    w = mx.nd.array(np.arange(4.0))
    w.attach_grad()
    with mx.autograd.record():
        y = (w * w).sum()
    y.backward()
    assert w.grad.asnumpy().tolist() == [0.0, 2.0, 4.0, 6.0]
    return seed
"""


def run_script(body: str, tmp_path: Path, timeout: float = 120) -> str:
    script = tmp_path / "scenario.py"
    script.write_text(WORK + textwrap.dedent(body))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    try:
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=tmp_path)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the scenario hung for {timeout} s:\n{e.stdout}\n{e.stderr}")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_forked_child_runs_large_kernels_jit_and_autograd(tmp_path):
    out = run_script("""
        import os
        work(1)  # the parent's large kernels start the thread pool
        pid = os.fork()
        if pid == 0:
            try:
                work(2)
                os._exit(0)
            except BaseException:
                import traceback
                traceback.print_exc()
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        work(3)  # and the parent goes on
        print("done")
    """, tmp_path)
    assert "done" in out


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_pools_run_mxjit_workers(method, tmp_path):
    out = run_script(f"""
        import multiprocessing as mp
        if __name__ == "__main__":
            work(0)
            with mp.get_context("{method}").Pool(2) as pool:
                print(sorted(pool.map(work, [1, 2, 3])))
    """, tmp_path)
    assert "[1, 2, 3]" in out


def test_a_lock_held_by_another_thread_at_fork_is_free_in_the_child(tmp_path):
    out = run_script("""
        import os, threading
        from mxjit.core import random as core_random
        held, release = threading.Event(), threading.Event()

        def hold():
            with core_random._lock:  # (the random streams' lock, as a draw holds it)
                held.set()
                release.wait()

        t = threading.Thread(target=hold)
        t.start()
        held.wait()
        pid = os.fork()
        if pid == 0:
            mx.random.seed(1)  # takes that lock
            os._exit(0 if mx.nd.random.uniform(shape=(3,)).shape == (3,) else 1)
        _, status = os.waitpid(pid, 0)
        release.set()
        t.join()
        print("child", os.waitstatus_to_exitcode(status))
    """, tmp_path, timeout=60)
    assert "child 0" in out


def test_a_forked_child_draws_its_own_random_numbers():
    """Two children forked from one seeded parent (DataLoader workers) must not repeat each
    other's or the parent's draws."""
    code = textwrap.dedent("""
        import os
        import numpy as np
        import mxjit as mx
        mx.random.seed(3)
        draws = []
        for _ in range(2):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.write(w, mx.nd.random.uniform(shape=(4,)).asnumpy().tobytes())
                os._exit(0)
            os.waitpid(pid, 0)
            draws.append(np.frombuffer(os.read(r, 16), np.float32))
        draws.append(mx.nd.random.uniform(shape=(4,)).asnumpy())
        assert not np.array_equal(draws[0], draws[1]), draws
        assert not np.array_equal(draws[0], draws[2]) and not np.array_equal(draws[1], draws[2])
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
