"""The disk kernel cache runs only object code this user's own processes wrote (issue #11).

Every check is made with a fresh `KernelCache` (the process's own in-memory cache is left
alone) over a private directory. What would hang or exhaust memory before the fix (a FIFO,
a link to /dev/zero) runs in a child process with a time and an address-space limit.
"""
import hashlib
import hmac
import os
import resource
import shutil
import stat
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

from mxjit.lower import Layout, lower_graph
from mxjit.lower import cache as kcache
from mxjit.lower import llvm as backend
from mxjit.trace import apply, const, var

F32 = np.dtype("float32")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def kernel_of(scale: float, n: int = 16):
    """The kernel description of `x * scale + 1` over `n` float32 values."""
    x = var((n,), F32)
    c = apply("broadcast_to", const(np.asarray(scale, F32)), shape=(n,))
    one = apply("broadcast_to", const(np.asarray(1, F32)), shape=(n,))
    out = apply("add", apply("mul", x, c), one)
    program = lower_graph([out], [x], [Layout.contiguous((n,))], compile=lambda k: k)
    return program.steps[0].compiled


def run(compiled, n: int = 16) -> np.ndarray:
    x = np.arange(n, dtype=F32)
    out = np.empty(n, F32)
    compiled.call(x, out, 0, n)
    return out


def expect(scale: float, n: int = 16) -> np.ndarray:
    return np.arange(n, dtype=F32) * np.float32(scale) + 1


@pytest.fixture
def cache(private_cache_dir):
    """A private, empty cache directory (not yet created) and a fresh kernel cache over it."""
    return private_cache_dir, kcache.KernelCache()


def entry_path(where, kernel):
    return where / f"{kcache.KernelCache().key(kernel)}.o"


def other_symbol_object(kernel, scale: float) -> bytes:
    """Object code that is `kernel`'s symbol but computes `x * scale + 1`: a forgery."""
    symbol = f"mxk_{kcache.KernelCache().key(kernel)[:24]}"
    return backend.emit_object(backend.render_llvm(kernel_of(scale), symbol))


def test_directory_and_parents_are_created_private_whatever_the_umask(tmp_path, monkeypatch):
    where = tmp_path / "a" / "b" / "kernels"
    monkeypatch.setenv("MXJIT_CACHE_DIR", str(where))
    kcache.forget_disk_state()
    old = os.umask(0)
    try:
        compiled = kcache.KernelCache().get(kernel_of(2.5))
    finally:
        os.umask(old)
    np.testing.assert_array_equal(run(compiled), expect(2.5))
    for d in (tmp_path / "a", tmp_path / "a" / "b", where):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    secret = where / kcache.SECRET_NAME
    st = os.lstat(secret)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_size == 32
    for p in where.iterdir():
        assert stat.S_IMODE(os.lstat(p).st_mode) & 0o077 == 0, p


def test_a_directory_writable_by_others_is_not_used_and_warned_about_once(cache):
    where, kernels = cache
    where.mkdir(mode=0o700)
    os.chmod(where, 0o777)
    with pytest.warns(RuntimeWarning, match="writable by group or others"):
        first = kernels.get(kernel_of(1.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = kernels.get(kernel_of(-4.0))  # (no second warning)
    np.testing.assert_array_equal(run(first), expect(1.5))
    np.testing.assert_array_equal(run(second), expect(-4.0))
    assert list(where.iterdir()) == []  # nothing read or written there


@pytest.mark.skipif(not IS_ROOT, reason="giving a directory to another user needs root")
def test_a_directory_owned_by_another_user_is_not_used(cache):
    where, kernels = cache
    where.mkdir(mode=0o700)
    os.chown(where, 54321, 54321)
    with pytest.warns(RuntimeWarning, match="owned by"):
        compiled = kernels.get(kernel_of(0.75))
    np.testing.assert_array_equal(run(compiled), expect(0.75))
    assert list(where.iterdir()) == []


def test_a_planted_file_with_a_valid_checksum_is_never_run(cache):
    where, kernels = cache
    kernel = kernel_of(3.0)
    np.testing.assert_array_equal(run(kernels.get(kernel)), expect(3.0))  # (sets up the dir)
    forged = other_symbol_object(kernel, 1000.0)
    path = entry_path(where, kernel)
    old_format = b"MXJITOBJ" + hashlib.blake2b(forged, digest_size=16).digest() + forged
    wrong_key = os.urandom(32)
    mac = hmac.new(wrong_key, kcache.KernelCache().key(kernel).encode() + forged,
                   hashlib.sha256).digest()
    for planted in (old_format, kcache.MAGIC + mac + forged):
        path.write_bytes(planted)
        fresh = kcache.KernelCache()
        compiled = fresh.get(kernel)
        np.testing.assert_array_equal(run(compiled), expect(3.0))
        assert not compiled.from_disk and fresh.compiles == 1
        assert path.read_bytes() != planted  # replaced by what was compiled
        again = kcache.KernelCache().get(kernel)
        assert again.from_disk
        np.testing.assert_array_equal(run(again), expect(3.0))


def test_a_valid_file_under_another_kernels_name_is_recompiled_and_replaced(cache):
    where, kernels = cache
    a, b = kernel_of(2.0), kernel_of(-3.0)
    kernels.get(a)
    shutil.copyfile(entry_path(where, a), entry_path(where, b))
    fresh = kcache.KernelCache()
    compiled = fresh.get(b)
    np.testing.assert_array_equal(run(compiled), expect(-3.0))
    assert not compiled.from_disk
    assert kcache.KernelCache().get(b).from_disk  # the entry was replaced


def test_an_authentic_entry_whose_symbol_is_missing_is_recompiled_and_replaced(cache):
    where, kernels = cache
    a, b = kernel_of(5.0), kernel_of(6.0)
    kernels.get(a)
    secret = (where / kcache.SECRET_NAME).read_bytes()
    obj = kcache.read_entry(entry_path(where, a), kcache.KernelCache().key(a), secret)
    assert obj is not None
    key_b = kcache.KernelCache().key(b)
    entry_path(where, b).write_bytes(kcache.seal(secret, key_b, obj))  # right MAC, wrong code
    compiled = kcache.KernelCache().get(b)
    np.testing.assert_array_equal(run(compiled), expect(6.0))
    assert not compiled.from_disk
    assert kcache.KernelCache().get(b).from_disk


@pytest.mark.skipif(not IS_ROOT, reason="giving a file to another user needs root")
def test_an_entry_owned_by_another_user_is_not_read(cache):
    where, kernels = cache
    kernel = kernel_of(7.0)
    kernels.get(kernel)
    os.chown(entry_path(where, kernel), 54321, 54321)
    compiled = kcache.KernelCache().get(kernel)
    assert not compiled.from_disk
    np.testing.assert_array_equal(run(compiled), expect(7.0))
    assert os.stat(entry_path(where, kernel)).st_uid == os.geteuid()  # replaced


def test_an_entry_over_the_size_bound_is_not_read(cache, monkeypatch):
    where, kernels = cache
    kernel = kernel_of(8.0)
    kernels.get(kernel)
    size = entry_path(where, kernel).stat().st_size
    monkeypatch.setattr(kcache, "MAX_ENTRY_BYTES", size - 1)
    assert not kcache.KernelCache().get(kernel).from_disk


def test_a_symlinked_entry_is_not_followed(cache, tmp_path):
    where, kernels = cache
    kernel = kernel_of(9.0)
    kernels.get(kernel)
    path = entry_path(where, kernel)
    elsewhere = tmp_path / "elsewhere.o"
    os.replace(path, elsewhere)  # an authentic entry, but reached through a link
    path.symlink_to(elsewhere)
    compiled = kcache.KernelCache().get(kernel)
    assert not compiled.from_disk
    assert not path.is_symlink()
    np.testing.assert_array_equal(run(compiled), expect(9.0))


def test_a_bad_secret_file_means_no_disk_cache(cache):
    where, kernels = cache
    kernels.get(kernel_of(10.0))
    secret = where / kcache.SECRET_NAME
    os.chmod(secret, 0o644)
    kcache.forget_disk_state()
    before = sorted(p.name for p in where.iterdir())
    with pytest.warns(RuntimeWarning, match="secret"):
        compiled = kcache.KernelCache().get(kernel_of(10.0))
    assert not compiled.from_disk
    kcache.KernelCache().get(kernel_of(11.0))
    assert sorted(p.name for p in where.iterdir()) == before  # nothing written either


def test_left_over_temporary_files_are_removed(cache):
    where, kernels = cache
    kernels.get(kernel_of(12.0))
    stale, fresh = where / ".tmp-stale.o", where / ".tmp-fresh.o"
    stale.write_bytes(b"half an object")
    fresh.write_bytes(b"being written now")
    old = time.time() - 2 * kcache.STALE_TEMP_SECONDS
    os.utime(stale, (old, old))
    kcache.forget_disk_state()
    kcache.KernelCache().get(kernel_of(13.0))  # (a write: the directory is tidied first)
    assert not stale.exists()
    assert fresh.exists()


CHILD = textwrap.dedent("""
    import os, sys, numpy as np
    sys.path.insert(0, {tests!r})
    from test_cache_security import entry_path, expect, kernel_of, run
    from mxjit.lower import cache as kcache
    where = kcache.cache_dir()
    kernel = kernel_of(4.5)
    kcache.KernelCache().get(kernel)
    path = entry_path(where, kernel)
    path.unlink()
    if sys.argv[1] == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    kcache.forget_disk_state()
    compiled = kcache.KernelCache().get(kernel)
    assert not compiled.from_disk
    assert (run(compiled) == expect(4.5)).all()
    print("ok")
""")


def _limit_memory() -> None:
    """4 GiB of address space: reading /dev/zero to the end fails fast, not the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


@pytest.mark.parametrize("planted", ["fifo", "dev-zero"])
def test_a_fifo_or_a_link_to_dev_zero_neither_hangs_nor_exhausts_memory(tmp_path, planted):
    script = CHILD.format(tests=os.path.dirname(__file__))
    env = {**os.environ, "MXJIT_CACHE_DIR": str(tmp_path / "kernels"),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # (few thread reservations)
    try:
        done = subprocess.run([sys.executable, "-c", script, planted], env=env, text=True,
                              capture_output=True, timeout=90, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading the cache hung on a {planted}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
