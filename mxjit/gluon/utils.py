"""`mx.gluon.utils`: splitting a batch over contexts, clipping by global norm, files.

    >>> xs = mx.gluon.utils.split_and_load(batch, [mx.cpu(0), mx.cpu(1)])  # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import nd
from ..base import MXNetError, MXNetUserWarning, ParamError
from ..context import Context
from ..core import jit
from ..download import fetch


def split_data(data: Any, num_slice: int, batch_axis: int = 0, even_split: bool = True
               ) -> list[Any]:
    """Cut `data` into `num_slice` pieces along `batch_axis` (the first pieces one longer
    when it does not divide evenly and `even_split` is False).

    >>> [s.shape for s in split_data(mx.nd.ones((5, 2)), 2, even_split=False)]  # doctest: +SKIP
    [(3, 2), (2, 2)]
    """
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ParamError(f"data with shape {data.shape} cannot be evenly split into "
                         f"{num_slice} slices along axis {batch_axis}. Use a batch size "
                         f"that's multiple of {num_slice} or set even_split=False to allow "
                         f"uneven partitioning of data.")
    each, extra = divmod(size, num_slice)
    bounds = np.cumsum([0] + [each + 1] * extra + [each] * (num_slice - extra))
    if batch_axis == 0:  # (rows, as MXNet slices them: a CSR array gives CSR pieces)
        return [data[int(bounds[k]):int(bounds[k + 1])] for k in range(num_slice)]
    return [nd.slice_axis(data, axis=batch_axis, begin=int(bounds[k]), end=int(bounds[k + 1]))
            for k in range(num_slice)]


def split_and_load(data: Any, ctx_list: Sequence[Context], batch_axis: int = 0,
                   even_split: bool = True) -> list[Any]:
    """Split `data` along `batch_axis` and put one piece on each context.

    >>> split_and_load(mx.nd.ones((4, 3)), [mx.cpu(0), mx.cpu(1)])  # doctest: +SKIP
    """
    if not isinstance(data, nd.NDArray):
        data = nd.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    pieces = split_data(data, len(ctx_list), batch_axis, even_split)
    return [p.as_in_context(c) for p, c in zip(pieces, ctx_list)]


def clip_global_norm(arrays: Sequence[Any], max_norm: float, check_isfinite: bool = True
                     ) -> Any:
    """Scale `arrays` in place so that their joint 2-norm is at most `max_norm`; returns
    the norm before scaling (a float, or an NDArray when `check_isfinite` is False).

    >>> norm = clip_global_norm([p.grad() for p in params], 1.0)  # doctest: +SKIP
    """
    if len(arrays) == 0:
        raise AssertionError("clip_global_norm: no arrays given")
    ctx = arrays[0].context
    total = _global_norm([a.as_in_context(ctx) for a in arrays])
    if check_isfinite and not np.isfinite(total.asscalar()):
        warnings.warn(UserWarning("nan or inf is detected. Clipping results will be "
                                  "undefined."), stacklevel=2)
    scale = nd.minimum(max_norm / (total + 1e-8), 1.0)
    if scale.asscalar() == 1.0:  # (within the bound: scaling by 1 would change nothing)
        return total.asscalar() if check_isfinite else total
    dense = [a for a in arrays if a.stype == "default"]
    scaled = _scale_all([a.as_in_context(ctx) for a in dense], scale) if dense else []
    for a, new in zip(dense, scaled):
        a[:] = new.as_in_context(a.context)
    for a in arrays:
        if a.stype != "default":  # (a sparse array scales its stored values, as in MXNet)
            a *= scale.as_in_context(a.context).astype(a.dtype)
    return total.asscalar() if check_isfinite else total


@jit
def _global_norm(arrays: list[Any]) -> Any:
    """sqrt of the sum of every array's squares: one compiled program for all of them."""
    total = nd.sum(nd.square(arrays[0]))
    for a in arrays[1:]:
        total = total + nd.sum(nd.square(a))
    return nd.sqrt(total)


@jit
def _scale_all(arrays: list[Any], scale: Any) -> list[Any]:
    return [a * scale.astype(a.dtype) for a in arrays]


def replace_file(src: str, dst: str) -> None:
    """Move `src` onto `dst` in one step (an existing `dst` is replaced atomically); on
    failure `src` is removed and the error says to retry.

    >>> replace_file('model.params.tmp', 'model.params')  # doctest: +SKIP
    """
    try:
        os.replace(src, dst)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.remove(src)
        raise MXNetError(f"Moving the downloaded file {src} to {dst} failed ({e}); please "
                         f"retry the download.") from None


def check_sha1(filename: str, sha1_hash: str) -> bool:
    """Whether the file's SHA-1 digest is `sha1_hash`.

    >>> check_sha1('model.params', 'b33f...')  # doctest: +SKIP
    """
    digest = hashlib.sha1()
    with open(filename, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == sha1_hash


def download(url: str, path: str | None = None, overwrite: bool = False,
             sha1_hash: str | None = None, retries: int = 5, verify_ssl: bool = True) -> str:
    """Fetch `url` to `path` (a file, or a folder to put it in; the URL's file name in the
    working folder by default) unless a file with the right hash is there; returns the
    file's path. The file appears whole or not at all (written aside, then renamed).

    >>> download('https://example.com/data.csv', path='data/')  # doctest: +SKIP
    """
    name = url.split("/")[-1]
    if path is None:
        fname = name
    else:
        path = os.path.expanduser(path)
        fname = os.path.join(path, name) if os.path.isdir(path) or path.endswith("/") else path
    if not overwrite and os.path.exists(fname) and (
            sha1_hash is None or check_sha1(fname, sha1_hash)):
        return fname

    def matches(path: str) -> None:
        if sha1_hash and not check_sha1(path, sha1_hash):
            raise MXNetUserWarning(f"File {fname} is downloaded but the content hash does not "
                                   f"match. The repo may be outdated or download may be "
                                   f"incomplete.")

    return fetch(url, fname, retries, matches)
