"""The kernel cache: in memory, on disk, atomic writes, and a warm second process."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import CompileForbiddenError
from mxjit.lower.cache import KERNELS, SECRET_NAME

nd = mx.nd

SCRIPT = textwrap.dedent("""
    import numpy as np, mxjit as mx
    nd = mx.nd
    f = mx.jit(lambda a, b, c, d: nd.relu(a * b + c) * nd.sigmoid(d) + nd.tanh(a))
    args = [nd.array(np.full((50,), v, np.float32)) for v in (0.5, 2.0, -1.0, 3.0)]
    out = f(*args).asnumpy()
    s = mx.jit(lambda x: nd.softmax(x))(nd.array(np.ones((4, 8), np.float32))).asnumpy()
    print(round(float(out[0]), 5), round(float(s.sum()), 4))
""")


def _run(env_extra, cache):
    env = {**os.environ, "MXJIT_CACHE_DIR": str(cache), **env_extra}
    return subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=120)


def test_second_process_runs_warm_from_disk_without_compiling(tmp_path):
    cold = _run({"MXJIT_LOG_COMPILES": "1"}, tmp_path)
    assert cold.returncode == 0, cold.stderr
    assert "compiled kernel" in cold.stderr
    assert any(p.suffix == ".o" for p in tmp_path.iterdir())
    warm = _run({"MXJIT_FAIL_ON_COMPILE": "1", "MXJIT_LOG_COMPILES": "1"}, tmp_path)
    assert warm.returncode == 0, warm.stderr
    assert "compiled kernel" not in warm.stderr
    assert warm.stdout == cold.stdout
    expected = 0.0 * (1 / (1 + np.exp(-3.0))) + np.tanh(0.5)
    assert abs(float(cold.stdout.split()[0]) - expected) < 1e-4
    assert cold.stdout.split()[1] == "4.0"


def test_fail_on_compile_raises_for_a_new_kernel(monkeypatch, tmp_path):
    monkeypatch.setenv("MXJIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("MXJIT_FAIL_ON_COMPILE", "1")
    with pytest.raises(CompileForbiddenError, match="MXJIT_FAIL_ON_COMPILE"):
        mx.jit(lambda x: x * 17.25 - 3.5)(nd.ones((3,)))


def test_memory_cache_shares_kernels_between_programs():
    before = KERNELS.compiles
    f = mx.jit(lambda x: nd.exp(x) * 0.125)
    g = mx.jit(lambda y: nd.exp(y) * 0.125)
    f(nd.ones((11,)))
    after_f = KERNELS.compiles
    g(nd.ones((11,)))
    assert KERNELS.compiles == after_f
    assert after_f - before <= 1


def test_no_temporary_files_are_left_behind(monkeypatch, tmp_path):
    monkeypatch.setenv("MXJIT_CACHE_DIR", str(tmp_path))
    mx.jit(lambda x: x * 3.75 + 0.5)(nd.ones((5,)))
    names = [p.name for p in tmp_path.iterdir() if p.name != SECRET_NAME]
    assert names and all(n.endswith(".o") and not n.startswith(".tmp") for n in names)


def test_corrupt_cache_file_is_recompiled(monkeypatch, tmp_path):
    monkeypatch.setenv("MXJIT_CACHE_DIR", str(tmp_path))
    fresh = mx.jit(lambda x: x * 9.5 - 1.25)
    fresh(nd.ones((5,)))
    del fresh
    for p in tmp_path.glob("*.o"):
        p.write_bytes(b"not an object file")
    KERNELS._memory.clear()
    again = mx.jit(lambda x: x * 9.5 - 1.25)
    assert again(nd.ones((5,))).asnumpy().tolist() == [8.25] * 5
