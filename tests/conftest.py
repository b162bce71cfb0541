"""Shared test set-up: a private kernel cache per test session."""
import os
import tempfile

import pytest

_CACHE = tempfile.mkdtemp(prefix="mxjit-test-cache-")
os.environ.setdefault("MXJIT_CACHE_DIR", _CACHE)


@pytest.fixture
def cache_dir() -> str:
    """The kernel cache directory the tests write to."""
    return os.environ["MXJIT_CACHE_DIR"]
