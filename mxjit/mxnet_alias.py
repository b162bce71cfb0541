"""`install_as_mxnet()`: from then on `import mxnet` is mxjit, so MXNet code and libraries
written against `import mxnet` (GluonCV, training scripts) run unchanged.

A finder at the front of `sys.meta_path` answers every `mxnet.<a>.<b>` import with the
mxjit module that `mxjit.<a>.<b>` names, whether it is a submodule or a module-valued
attribute (`mxnet.ndarray` is `mxjit.nd`): the very same module objects, so classes,
registries and isinstance checks are shared. Only the top-level `mxnet` is its own module,
forwarding every name to `mxjit` but reporting MXNet's version, the API level implemented
('1.9.1'), where `mxjit.__version__` stays mxjit's.

    >>> mx.install_as_mxnet()  # doctest: +SKIP
    >>> import mxnet; mxnet.__version__  # doctest: +SKIP
    '1.9.1'
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import Any

from . import libinfo
from .base import MXNetImportError

__all__ = ["install_as_mxnet"]


def __dir__() -> list[str]:  # (what tab completion offers: the public names)
    return __all__

ALIAS = "mxnet"
PACKAGE = __name__.rpartition(".")[0]


class MXNetModule(types.ModuleType):
    """The top-level `mxnet` under `install_as_mxnet()`: mxjit's names, MXNet's version."""

    def __getattr__(self, name: str) -> Any:
        return getattr(sys.modules[PACKAGE], name)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(sys.modules[PACKAGE])) | set(self.__dict__))


class _TopLoader(importlib.abc.Loader):
    """Makes the top-level `mxnet` module."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        real = importlib.import_module(PACKAGE)
        module = MXNetModule(ALIAS, real.__doc__)
        module.__version__ = libinfo.__version__  # type: ignore[attr-defined]
        module.__file__ = real.__file__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: every name comes from mxjit."""


class _AliasLoader(importlib.abc.Loader):
    """Answers `mxnet.<a>.<b>` with the mxjit module itself."""

    def __init__(self, real: str):
        self.real = real
        self._real_spec: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.real)
        self._real_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # the import system stamped the alias's spec on the shared module: give it back
        # its own, so reload() and pickling by module name keep working
        module.__spec__ = self._real_spec


def _real_name(alias: str) -> str | None:
    """The mxjit module `alias` ('mxnet.a.b') names, or None when there is none."""
    parent_alias, _, child = alias.rpartition(".")
    parent = sys.modules[PACKAGE] if parent_alias == ALIAS else sys.modules.get(parent_alias)
    if parent is None:
        return None
    attr = getattr(parent, child, None)
    # what `mxnet.a.b` gives as an attribute too; only mxjit's (a module's `np` is NumPy)
    if isinstance(attr, types.ModuleType) and attr.__name__.startswith(PACKAGE + "."):
        return attr.__name__
    candidate = f"{parent.__name__}.{child}"
    return candidate if importlib.util.find_spec(candidate) is not None else None


class MXNetFinder(importlib.abc.MetaPathFinder):
    """The `sys.meta_path` entry that maps `mxnet` and `mxnet.*` onto mxjit."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname == ALIAS:
            return importlib.machinery.ModuleSpec(ALIAS, _TopLoader(), is_package=True)
        if not fullname.startswith(ALIAS + "."):
            return None
        real = _real_name(fullname)
        if real is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(real))


def install_as_mxnet() -> None:
    """Make `import mxnet` (and every `mxnet.<submodule>`) import mxjit from now on.

    >>> mx.install_as_mxnet()  # doctest: +SKIP
    >>> from mxnet import gluon, nd, autograd  # doctest: +SKIP
    """
    existing = sys.modules.get(ALIAS)
    if existing is not None and not isinstance(existing, MXNetModule):
        where = getattr(existing, "__file__", None) or repr(existing)
        raise MXNetImportError(
            f"install_as_mxnet: a real mxnet is already imported (from {where}); call "
            "install_as_mxnet() before anything imports mxnet, or use that mxnet instead")
    if not any(isinstance(f, MXNetFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, MXNetFinder())
