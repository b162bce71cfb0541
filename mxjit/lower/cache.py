"""Compiled-kernel cache: in memory for the process and on disk across processes.

A kernel's key is a hash of its canonical description, the target (CPU name and
features, llvmlite and LLVM versions) and `CACHE_VERSION`. Object files are written
atomically (temporary file + rename), so a second process starts warm and never reads a
torn file. `MXJIT_LOG_COMPILES=1` logs each compile; `MXJIT_FAIL_ON_COMPILE=1` turns any
compile into an error, so a test can prove that a warm path compiles nothing.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..base import CompileForbiddenError
from . import llvm as backend
from .kernel import Kernel

#: Bump whenever generated code changes for the same kernel description.
CACHE_VERSION = "9"


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


class KernelCache:
    """Kernels by content: memory first, then disk, then the compiler."""

    def __init__(self) -> None:
        self._memory: dict[str, CompiledKernel] = {}
        self._lock = threading.Lock()
        self.compiles = 0
        self.disk_loads = 0

    def key(self, kernel: Kernel) -> str:
        text = f"{CACHE_VERSION}\n{backend.target_id()}\n{kernel.key_text()}"
        return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()

    def get(self, kernel: Kernel) -> CompiledKernel:
        key = self.key(kernel)
        got = self._memory.get(key)
        if got is not None:
            return got
        with self._lock:
            got = self._memory.get(key)
            if got is None:
                got = self._load_or_compile(kernel, key)
                self._memory[key] = got
        return got

    def _load_or_compile(self, kernel: Kernel, key: str) -> CompiledKernel:
        symbol = f"mxk_{key[:24]}"
        path = cache_dir() / f"{key}.o"
        obj = _read(path)
        from_disk = obj is not None
        if obj is None:
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
            _write_atomically(path, obj)
        else:
            self.disk_loads += 1
        fn, call = backend.load_object(obj, symbol, len(kernel.buffers))
        return CompiledKernel(kernel, symbol, fn, call, from_disk)


_MAGIC = b"MXJITOBJ"


def _read(path: Path) -> bytes | None:
    """The object code stored at `path`, or None when missing or damaged.

    Files carry a digest of their contents: LLVM aborts the process on a corrupt object,
    so nothing unverified is handed to it.
    """
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head, digest, obj = raw[:8], raw[8:24], raw[24:]
    if head != _MAGIC or hashlib.blake2b(obj, digest_size=16).digest() != digest:
        return None
    return obj


def _write_atomically(path: Path, obj: bytes) -> None:
    data = _MAGIC + hashlib.blake2b(obj, digest_size=16).digest() + obj
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".o")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:  # a read-only or full disk only costs recompiles later
        if log_compiles():
            log(f"could not write kernel cache {path}: {e}")


KERNELS = KernelCache()
