"""Fetching a URL to a file that appears whole or not at all: what `gluon.utils.download`
and `test_utils.download` share.

    >>> fetch('https://example.com/data.csv', 'data/data.csv', retries=2)  # doctest: +SKIP
"""
from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable

from .base import MXNetError

#: Seconds a connection may stay silent before a try fails.
TIMEOUT = 60


def fetch(url: str, fname: str, retries: int = 5,
          verify: Callable[[str], None] | None = None) -> str:
    """Download `url` to `fname` (its folder created), trying `retries` + 1 times; written
    beside it and renamed, so a failed or interrupted download leaves no partial file.
    `verify(path)` may raise OSError or UserWarning to reject a download (a try that
    fails). Returns `fname`; raises MXNetError naming the URL and the last failure.

    >>> fetch('https://example.com/data.csv', 'data.csv')  # doctest: +SKIP
    'data.csv'
    """
    if retries < 0:
        raise AssertionError("Number of retries should be at least 0")
    folder = os.path.dirname(os.path.abspath(fname))
    os.makedirs(folder, exist_ok=True)
    error: Exception | None = None
    for _ in range(retries + 1):
        tmp = None
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response, \
                    tempfile.NamedTemporaryFile(dir=folder, delete=False) as out:
                tmp = out.name
                shutil.copyfileobj(response, out)
            if verify is not None:
                verify(tmp)
            os.replace(tmp, fname)
            return fname
        except (OSError, UserWarning, ValueError) as e:  # (ValueError: a malformed URL)
            error = e
            if tmp is not None and os.path.exists(tmp):
                os.remove(tmp)
    raise MXNetError(f"download of {url} failed after {retries + 1} tries: {error}")
