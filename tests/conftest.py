"""Shared test set-up: a private kernel cache per test session, removed at exit."""
import atexit
import os
import shutil
import tempfile

import pytest

if "MXJIT_CACHE_DIR" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="mxjit-test-cache-")
    os.environ["MXJIT_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
# (the end-of-session PTX check reads every kernel compiled: keep them all in memory)
os.environ.setdefault("MXJIT_KERNEL_CACHE_SIZE", "1000000")


@pytest.fixture
def cache_dir() -> str:
    """The kernel cache directory the tests write to."""
    return os.environ["MXJIT_CACHE_DIR"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `run_last` run after all others (they look at what the session did; with
    pytest-xdist, after all others sent to the same process)."""
    items.sort(key=lambda item: item.get_closest_marker("run_last") is not None)
