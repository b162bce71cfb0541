"""Fixtures of the lowering tests."""
import pytest

from mxjit.lower import cache as kcache


@pytest.fixture
def private_cache_dir(tmp_path, monkeypatch):
    """A private, empty kernel cache directory (not yet created), with this process's
    disk-cache state forgotten before and after the test."""
    where = tmp_path / "kernels"
    monkeypatch.setenv("MXJIT_CACHE_DIR", str(where))
    monkeypatch.delenv("MXJIT_DISK_CACHE_MB", raising=False)
    kcache.forget_disk_state()
    yield where
    kcache.forget_disk_state()
