"""`mx.libinfo`: which MXNet this is, and where its native library and headers are.

`__version__` is the MXNet API level mxjit implements ('1.9.1'): what `mxnet.__version__`
reports under `install_as_mxnet()`, so version checks of libraries written for MXNet 1.x
pass. mxjit's own release is `mxjit.__version__`. mxjit has no `libmxnet.so` and no C
headers (its kernels are compiled at run time), so the finders answer only with what
`MXNET_LIBRARY_PATH` / `MXNET_INCLUDE_PATH` name, as MXNet does, and otherwise raise
MXNet's error (a RuntimeError) saying why.

    >>> mx.libinfo.__version__
    '1.9.1'
"""
from __future__ import annotations

import os

from .base import MissingFileError

__all__ = ["find_lib_path", "find_include_path", "__version__"]


def __dir__() -> list[str]:  # (what tab completion offers: the public names)
    return __all__

__version__ = "1.9.1"

_NO_NATIVE = ("mxjit has no native MXNet library: it compiles its kernels at run time (LLVM "
              "on the CPU, CUDA C on GPUs), so C API extensions built against libmxnet "
              "cannot load into it")


def find_lib_path(prefix: str = "libmxnet") -> list[str]:
    """MXNet's native library files: the one `MXNET_LIBRARY_PATH` names, if it exists.

    >>> find_lib_path()  # doctest: +SKIP
    MissingFileError: cannot find the MXNet library (libmxnet): mxjit has no native ...
    """
    path = os.environ.get("MXNET_LIBRARY_PATH")
    if path and os.path.isfile(path):
        return [path]
    named = f" (MXNET_LIBRARY_PATH={path!r} is no file)" if path else ""
    raise MissingFileError(f"cannot find the MXNet library ({prefix}){named}: {_NO_NATIVE}")


def find_include_path() -> str:
    """MXNet's C header folder: the one `MXNET_INCLUDE_PATH` names, if it exists.

    >>> find_include_path()  # doctest: +SKIP
    MissingFileError: cannot find the MXNet include path: mxjit has no native ...
    """
    path = os.environ.get("MXNET_INCLUDE_PATH")
    if path and os.path.isdir(path):
        return path
    named = f" (MXNET_INCLUDE_PATH={path!r} is no folder)" if path else ""
    raise MissingFileError(f"cannot find the MXNet include path{named}: {_NO_NATIVE}")
