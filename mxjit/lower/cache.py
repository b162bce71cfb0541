"""Compiled-kernel cache: in memory for the process and on disk across processes.

A kernel's key is a hash of its canonical description, the target (CPU name and
features, llvmlite and LLVM versions) and `CACHE_VERSION`.

In memory, an LRU index keeps the `MXJIT_KERNEL_CACHE_SIZE` kernels used last. Leaving the
index frees nothing still in use: a kernel's machine code lives as long as any function
object that calls into it (`llvm.load_object`), so the programs, eager tables and jitted
functions holding a kernel keep it, and a kernel asked for again while held is found
through a weak index rather than loaded twice.

On disk (`cache_dir()`), `<key>.o` holds `MAGIC`, an HMAC-SHA256 of the key and the object
code under this user's secret (`SECRET_NAME`: 32 random bytes, 0600), then the object code.
The directory is used only if it is this user's and not writable by group or others;
only regular files of this user's, of at most `MAX_ENTRY_BYTES`, are read, without
following links or blocking; an entry whose MAC or symbol is wrong is compiled again and
replaced. So object code runs only if one of this user's processes wrote it (the threat
model is in docs/architecture.md). Writes are atomic (temporary file + rename); the entries
are kept under `MXJIT_DISK_CACHE_MB` by removing those loaded least recently.
`MXJIT_LOG_COMPILES=1` logs each compile; `MXJIT_FAIL_ON_COMPILE=1` turns any compile into
an error, so a test can prove that a warm path compiles nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import stat
import sys
import tempfile
import time
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..base import CompileForbiddenError, MXNetError
from ..context import process_lock
from . import llvm as backend
from .kernel import Kernel

#: Bump whenever generated code changes for the same kernel description.
CACHE_VERSION = "12"
DEFAULT_KERNEL_CACHE_SIZE = 512
DEFAULT_DISK_CACHE_MB = 256.0
#: Larger files in the cache directory are never read (kernels are a few KiB).
MAX_ENTRY_BYTES = 64 << 20
#: Temporary files older than this were left by a process that died while writing.
STALE_TEMP_SECONDS = 600
SECRET_NAME = "secret.key"
MAGIC = b"MXJITMAC"
_MAC_BYTES = 32
#: After going over its bound, the disk cache is trimmed to this fraction of it.
_TRIM_TO = 0.9


@dataclass
class CompiledKernel:
    kernel: Kernel
    symbol: str
    fn: Callable[..., None]  # takes data pointers
    call: Callable[..., None]  # takes the NumPy arrays themselves
    from_disk: bool


def cache_dir() -> Path:
    base = os.environ.get("MXJIT_CACHE_DIR")
    return Path(base) if base else Path.home() / ".cache" / "mxjit"


def log_compiles() -> bool:
    return os.environ.get("MXJIT_LOG_COMPILES", "") not in ("", "0")


def log(message: str) -> None:
    print(f"[mxjit] {message}", file=sys.stderr)


def env_size(name: str, default: float) -> float:
    """The non-negative number in environment variable `name`, else `default` (with a
    warning when the variable is set to something else)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        warnings.warn(f"{name}={text!r} is not a non-negative number; using {default:g}",
                      RuntimeWarning, stacklevel=3)
        return default
    return value


class KernelCache:
    """Kernels by content: memory first, then disk, then the compiler."""

    def __init__(self, capacity: int | None = None) -> None:
        #: how many kernels the LRU index keeps (0: none; held kernels are still shared)
        self.capacity = (int(env_size("MXJIT_KERNEL_CACHE_SIZE", DEFAULT_KERNEL_CACHE_SIZE))
                         if capacity is None else capacity)
        self._memory: OrderedDict[str, CompiledKernel] = OrderedDict()
        self._alive: weakref.WeakValueDictionary[str, CompiledKernel] = \
            weakref.WeakValueDictionary()
        self._lock = process_lock()
        self.compiles = 0
        self.disk_loads = 0

    def key(self, kernel: Kernel) -> str:
        text = f"{CACHE_VERSION}\n{backend.target_id()}\n{kernel.key_text()}"
        return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()

    def get(self, kernel: Kernel) -> CompiledKernel:
        key = self.key(kernel)
        got = self._memory.get(key)
        if got is not None:
            try:
                self._memory.move_to_end(key)
            except KeyError:  # (evicted by another thread meanwhile)
                pass
            return got
        with self._lock:
            got = self._memory.get(key) or self._alive.get(key)
            if got is None:
                got = self._load_or_compile(kernel, key)
                self._alive[key] = got
            if self.capacity > 0:
                self._memory[key] = got
                self._memory.move_to_end(key)
            while len(self._memory) > max(self.capacity, 0):
                self._memory.popitem(last=False)
        return got

    def _load_or_compile(self, kernel: Kernel, key: str) -> CompiledKernel:
        symbol = f"mxk_{key[:24]}"
        disk = open_disk_cache()
        obj = disk.read(key) if disk is not None else None
        if obj is not None:
            try:
                fn, call = backend.load_object(obj, symbol, len(kernel.buffers))
            except MXNetError as e:  # authentic, yet not this kernel's: compile, replace
                if log_compiles():
                    log(f"{e} (cache entry {key}.o); compiling it again")
            else:
                self.disk_loads += 1
                return CompiledKernel(kernel, symbol, fn, call, True)
        if os.environ.get("MXJIT_FAIL_ON_COMPILE", "") not in ("", "0"):
            raise CompileForbiddenError(
                f"kernel {kernel.name} ({symbol}) is not cached and MXJIT_FAIL_ON_COMPILE "
                "is set")
        t0 = time.perf_counter()
        obj = backend.emit_object(backend.render_llvm(kernel, symbol))
        self.compiles += 1
        if log_compiles():
            log(f"compiled kernel {kernel.name} ({symbol}) in "
                f"{(time.perf_counter() - t0) * 1e3:.1f} ms")
        if disk is not None:
            disk.write(key, obj)
        fn, call = backend.load_object(obj, symbol, len(kernel.buffers))
        return CompiledKernel(kernel, symbol, fn, call, False)


# ---- the disk cache ----------------------------------------------------------------------


def seal(secret: bytes, key: str, obj: bytes) -> bytes:
    """The file contents of `key`'s entry: `MAGIC`, the MAC of key and code, the code."""
    return MAGIC + hmac.new(secret, key.encode() + obj, hashlib.sha256).digest() + obj


def unseal(secret: bytes, key: str, data: bytes) -> bytes | None:
    """The object code of an entry of `key` sealed with `secret`, else None."""
    n = len(MAGIC)
    head, mac, obj = data[:n], data[n:n + _MAC_BYTES], data[n + _MAC_BYTES:]
    if head != MAGIC or not obj:
        return None
    want = hmac.new(secret, key.encode() + obj, hashlib.sha256).digest()
    return obj if hmac.compare_digest(mac, want) else None


def read_entry(path: Path, key: str, secret: bytes, touch: bool = False) -> bytes | None:
    """The object code in `path` if it is a regular file of this user's, of at most
    `MAX_ENTRY_BYTES`, sealed for `key` with `secret`; else None. Never follows a link,
    never blocks (a FIFO), never reads more than the bound. `touch` marks it used."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid()
                or st.st_size > MAX_ENTRY_BYTES):
            return None
        data = _read_exactly(fd, st.st_size)
        obj = unseal(secret, key, data) if data is not None else None
        if obj is not None and touch:
            _touch(fd)
        return obj
    except OSError:
        return None
    finally:
        os.close(fd)


def _touch(fd: int) -> None:
    """Mark an entry used (its mtime orders the disk cache's LRU)."""
    try:
        os.utime(fd)
    except OSError:  # (a read-only disk: the order is only a little less exact)
        pass


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, got = [], 0
    while got <= size:
        chunk = os.read(fd, size + 1 - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks) if got == size else None  # (None: it changed meanwhile)


class DiskCache:
    """One checked cache directory and this user's secret in it (see `open_disk_cache`)."""

    def __init__(self, path: Path, secret: bytes, limit: int) -> None:
        self.path, self.secret, self.limit = path, secret, limit
        self._size: int | None = None  # bytes of entries, as counted last plus written since
        self._lock = process_lock()

    def read(self, key: str) -> bytes | None:
        return read_entry(self.path / f"{key}.o", key, self.secret, touch=True)

    def write(self, key: str, obj: bytes) -> None:
        data = seal(self.secret, key, obj)
        if not _write_atomically(self.path / f"{key}.o", data):
            return
        with self._lock:
            if self._size is None or self._size + len(data) > self.limit:
                self._size = tidy(self.path, self.limit)  # (first write, or over the bound)
            else:
                self._size += len(data)


def tidy(directory: Path, limit: int) -> int:
    """Remove stale temporary files and, when the entries take more than `limit` bytes, the
    least recently used down to `_TRIM_TO` of it; return the bytes of entries left."""
    now, entries = time.time(), []
    for name, st in _listing(directory):
        if name.startswith(".tmp-"):
            if st.st_uid == os.geteuid() and now - st.st_mtime > STALE_TEMP_SECONDS:
                _remove(directory / name)
        elif _is_entry(name):
            entries.append((st.st_mtime, st.st_size, name))
    total = sum(size for _, size, _ in entries)
    if total > limit:
        for _, size, name in sorted(entries):
            if total <= limit * _TRIM_TO:
                break
            if _remove(directory / name):
                total -= size
    return total


def _listing(directory: Path) -> list[tuple[str, os.stat_result]]:
    """(name, lstat) of the regular files in `directory`."""
    found = []
    try:
        with os.scandir(directory) as it:
            for e in it:
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    found.append((e.name, st))
    except OSError:
        pass
    return found


def _is_entry(name: str) -> bool:
    stem, _, ext = name.partition(".")
    return ext == "o" and len(stem) == 40 and all(c in "0123456789abcdef" for c in stem)


def _remove(path: Path) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False


def _write_atomically(path: Path, data: bytes) -> bool:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".o")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)  # (replaces whatever was there: a link, a FIFO, a forgery)
        except OSError:
            _remove(Path(tmp))
            raise
        return True
    except OSError as e:  # a read-only or full disk only costs recompiles later
        if log_compiles():
            log(f"could not write kernel cache {path}: {e}")
        return False


_disks: dict[tuple[str, int, int], DiskCache] = {}
_warned: set[tuple[str, str]] = set()
_disk_lock = process_lock()


def open_disk_cache() -> DiskCache | None:
    """The disk cache in `cache_dir()` (created 0700 with its parents when missing), or None
    when `MXJIT_DISK_CACHE_MB` is 0 or the directory or its secret are not safe to use
    (which is warned about once, never an error)."""
    limit_mb = env_size("MXJIT_DISK_CACHE_MB", DEFAULT_DISK_CACHE_MB)
    if limit_mb == 0:
        return None
    path = cache_dir()
    with _disk_lock:
        try:
            _make_private_dirs(path)
            st = os.stat(path)
        except OSError as e:
            _unusable(path, f"cannot be created or read ({e.strerror})")
            return None
        problem = directory_problem(st)
        if problem is not None:
            _unusable(path, problem)
            return None
        ident = (str(path), st.st_dev, st.st_ino)
        disk = _disks.get(ident)
        if disk is None:
            secret = _secret(path / SECRET_NAME)
            if isinstance(secret, str):
                _unusable(path, secret)
                return None
            disk = _disks[ident] = DiskCache(path, secret, 0)
        disk.limit = int(limit_mb * 2**20)
        return disk


def directory_problem(st: os.stat_result) -> str | None:
    """Why a directory with this status may not hold this user's kernels, if it may not."""
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if st.st_uid != os.geteuid():
        return f"is owned by user {st.st_uid}, not by this user ({os.geteuid()})"
    if st.st_mode & 0o022:
        return f"is writable by group or others (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _unusable(path: Path, problem: str) -> None:
    if (str(path), problem) not in _warned:
        _warned.add((str(path), problem))
        warnings.warn(f"mxjit: the kernel cache directory {path} {problem}; running without "
                      f"the disk cache (kernels compile in every process). Make it private "
                      f"(chmod 700) or point MXJIT_CACHE_DIR elsewhere.", RuntimeWarning,
                      stacklevel=2)


def _make_private_dirs(path: Path) -> None:
    """Create `path` and its missing parents with mode 0700, whatever the umask."""
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            pass


def _secret(path: Path) -> bytes | str:
    """The MAC key in `path` (made if missing), or what is wrong with it."""
    for _ in range(2):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            _create_secret(path)  # (or another process does: either way, read it next)
            continue
        except OSError as e:
            return f"has a secret file {path.name} that cannot be read ({e.strerror})"
        try:
            st = os.fstat(fd)
            ok = (stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid()
                  and stat.S_IMODE(st.st_mode) == 0o600 and st.st_size == _MAC_BYTES)
            data = os.read(fd, _MAC_BYTES + 1) if ok else b""
        finally:
            os.close(fd)
        if len(data) != _MAC_BYTES:
            return (f"has a secret file {path.name} that is not a regular 0600 file of "
                    f"{_MAC_BYTES} bytes owned by this user")
        return data
    return f"has no secret file {path.name} and one cannot be made there"


def _create_secret(path: Path) -> None:
    """Write 32 random bytes to `path` (0600) if nothing is there: complete or not at all,
    as a temporary file linked to its name."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-secret-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(os.urandom(_MAC_BYTES))
        os.link(tmp, path)
    except OSError:  # (FileExistsError: another process made it first)
        pass
    finally:
        _remove(Path(tmp))


def forget_disk_state() -> None:
    """Forget the directories checked, secrets read and warnings given (for tests that
    change a directory under a running process)."""
    with _disk_lock:
        _disks.clear()
        _warned.clear()


# ---- what `python -m mxjit.lower.cache_cli` reports ---------------------------------------


@dataclass
class DiskUsage:
    directory: Path
    entries: int
    bytes: int
    limit: int
    problem: str | None  # why the directory is not used, if it is not


def disk_usage() -> DiskUsage:
    """The kernel entries in `cache_dir()` and what they take (nothing is created)."""
    path = cache_dir()
    limit = int(env_size("MXJIT_DISK_CACHE_MB", DEFAULT_DISK_CACHE_MB) * 2**20)
    try:
        problem = directory_problem(os.stat(path))
    except FileNotFoundError:
        problem = "does not exist yet (the first compile makes it)"
    except OSError as e:
        problem = f"cannot be read ({e.strerror})"
    sizes = [st.st_size for name, st in _listing(path) if _is_entry(name)]
    if limit == 0 and problem is None:
        problem = "is turned off (MXJIT_DISK_CACHE_MB=0)"
    return DiskUsage(path, len(sizes), sum(sizes), limit, problem)


def clear_disk_cache() -> tuple[int, int]:
    """Remove every kernel entry and temporary file of `cache_dir()`: (entries, bytes)."""
    path, n, size = cache_dir(), 0, 0
    for name, st in _listing(path):
        if _is_entry(name) and _remove(path / name):
            n, size = n + 1, size + st.st_size
        elif name.startswith(".tmp-"):
            _remove(path / name)
    return n, size


KERNELS = KernelCache()
