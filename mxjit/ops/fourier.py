"""Fourier transforms and the count sketch of mx.nd.contrib (`fft`, `ifft`, `count_sketch`,
the pieces of compact bilinear pooling).

MXNet has them only on the GPU (cuFFT and atomic adds); here they run on every device over
primitives. A transform of length n = p * q is the four-step (Cooley-Tukey) FFT: p-point
transforms, a twiddle product, q-point transforms, each factor split again, down to lengths
of at most 64, which are products with the constant DFT matrix; a longer prime length is a
convolution with a chirp done by power-of-two transforms (Bluestein). So the cost is
O(n log n)-like, the constants stay small, and the gradients are the transposed products:
what MXNet's backward computes (the inverse transform for fft, the forward one for ifft).
The count sketch is a product with a signed one-hot matrix built from the hash arrays.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array, bind, scalar_operand
from ..core.operators import register_operator
from .elementwise import cast
from .operands import as_dtype, constant, ew, iota, reshape_exact
from .shape import broadcast_exact, slice_ranges, stack, transpose

#: transforms this long or shorter are one product with the dense DFT matrix
_DENSE = 64

Complex = tuple[Array, Array | None]  # (real, imaginary); None: an imaginary part of zeros


def _check_signal(op: str, data: Array) -> None:
    if data.ndim not in (2, 4):
        raise ShapeError(f"{op}: data must have shape (N, d) or (N1, N2, N3, d), got "
                         f"{data.shape}")
    if data._dtype.kind != "f":
        raise DTypeError(f"{op}: needs floating-point data, got {data._dtype.name}")


def _turns(rows: int, cols: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of 2 pi j k / n for j < rows, k < cols; the angle is reduced mod n first,
    and multiples of a quarter turn give exact 0 and ±1 (sin(pi) is 1.2e-16 in float64)."""
    n = max(n, 1)  # (an empty transform has empty matrices)
    turns = np.outer(np.arange(rows), np.arange(cols)) % n
    angle = 2 * np.pi * turns / n
    cos, sin = np.cos(angle), np.sin(angle)
    quarter = (4 * turns) % n == 0
    return np.where(quarter, np.round(cos), cos), np.where(quarter, np.round(sin), sin)


def _split(n: int) -> int:
    """The factor p of n = p * q nearest sqrt(n) from below (1 for a prime)."""
    return next(p for p in range(math.isqrt(n), 0, -1) if n % p == 0)


def _matmul(x: Array, matrix: np.ndarray) -> Array:
    """x @ matrix over the last axis."""
    return bind("dot_general", x, constant(matrix.astype(x._dtype), x),  # type: ignore
                contract=((x.ndim - 1,), (0,)), batch=((), ()))


def _times(z: Complex, cos: np.ndarray, sin: np.ndarray, elementwise: bool) -> Complex:
    """z times exp(-i angle), the angle given by its cos and sin: a matrix product over the
    last axis, or elementwise (broadcast over the leading axes)."""
    re, im = z

    def by(x: Array, m: np.ndarray) -> Array:
        return ew("mul", x, constant(m.astype(x._dtype), x)) if elementwise else _matmul(x, m)
    if im is None:
        return by(re, cos), -by(re, sin)
    return by(re, cos) + by(im, sin), by(im, cos) - by(re, sin)


def _map(z: Complex, f: Callable[[Array], Array]) -> Complex:
    """f applied to both parts of z (an imaginary part of zeros stays so)."""
    return f(z[0]), None if z[1] is None else f(z[1])


def _swap_last(x: Array) -> Array:
    return transpose(x, tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2))


def _dft(z: Complex, n: int) -> Complex:
    """The unnormalised DFT, sum_j z[j] exp(-2 pi i j k / n), along the last axis."""
    if n <= _DENSE:
        return _times(z, *_turns(n, n, n), elementwise=False)
    p = _split(n)
    if p == 1:
        return _bluestein(z, n)
    q = n // p
    lead = z[0].shape[:-1]
    # j = q * j1 + j2: transform over j1 (moved last), twiddle by exp(-2 pi i j2 k1 / n),
    # transform over j2; output k = k1 + p * k2
    grid = _map(z, lambda x: _swap_last(reshape_exact(x, lead + (p, q))))
    inner = _times(_dft(grid, p), *_turns(q, p, n), elementwise=True)  # (..., j2, k1)
    outer = _dft(_map(inner, _swap_last), q)  # (..., k1, k2)
    return _map(outer, lambda x: reshape_exact(_swap_last(x), lead + (n,)))


def _by_constant(z: Complex, w: np.ndarray) -> Complex:
    """z times the complex constant w (broadcast over the leading axes)."""
    return _times(z, w.real, -w.imag, elementwise=True)


def _bluestein(z: Complex, n: int) -> Complex:
    """A DFT of prime length n as a convolution with a chirp (Bluestein): j k = (j^2 + k^2 -
    (k - j)^2) / 2, and the convolution is done by transforms of a power-of-two length."""
    m = 1 << (2 * n - 2).bit_length()  # (>= 2n - 1: the circular convolution is linear)
    j = np.arange(n)
    chirp = np.exp(-1j * np.pi * ((j * j) % (2 * n)) / n)
    kernel = np.zeros(m, complex)
    kernel[:n] = chirp.conj()
    kernel[m - n + 1:] = chirp.conj()[1:][::-1]

    def pad(x: Array) -> Array:
        return bind("pad", x, scalar_operand(0, x), low=(0,) * x.ndim,
                    high=(0,) * (x.ndim - 1) + (m - n,))

    def head(x: Array) -> Array:
        return slice_ranges(x, (0,) * x.ndim, x.shape[:-1] + (n,), (1,) * x.ndim)

    spectrum = _by_constant(_dft(_map(_by_constant(z, chirp), pad), m), np.fft.fft(kernel) / m)
    # back by the inverse transform: conj(DFT(conj(y)))
    return _by_constant(_map(_conj(_dft(_conj(spectrum), m)), head), chirp)


def _conj(z: Complex) -> Complex:
    return z[0], None if z[1] is None else -z[1]


def _in_float32(data: Array) -> Array:
    """float16 data is transformed in float32 (and the result rounded back)."""
    return as_dtype(data, np.float32) if data._dtype == np.float16 else data


@register_operator("_contrib_fft")
def fft(data: Array, compute_size: int = 128) -> Array:
    """The discrete Fourier transform of each row (the last axis, length d) of real
    (N, d) or (N1, N2, N3, d) data, unnormalised, as interleaved (real, imaginary) pairs:
    (..., 2 * d). `compute_size` (MXNet's sub-batch size on the GPU) does not change the
    result.

    >>> mx.nd.contrib.fft(mx.nd.array([[1, 0, 0, 0]]))  # doctest: +SKIP
    [[1. 0. 1. 0. 1. 0. 1. 0.]]
    """
    _check_signal("fft", data)
    d = data.shape[-1]
    re, im = _dft((_in_float32(data), None), d)
    assert im is not None
    pairs = stack(re, im, axis=data.ndim)  # (..., d, 2)
    return as_dtype(reshape_exact(pairs, data.shape[:-1] + (2 * d,)), data._dtype)


@register_operator("_contrib_ifft")
def ifft(data: Array, compute_size: int = 128) -> Array:
    """The real part of the unnormalised inverse DFT of each row of interleaved (real,
    imaginary) pairs, (..., 2 * d) -> (..., d), as MXNet (no division by d: ifft(fft(x))
    is d * x).

    >>> mx.nd.contrib.ifft(mx.nd.array([[1, 0, 1, 0, 1, 0, 1, 0]]))  # doctest: +SKIP
    [[4. 0. 0. 0.]]
    """
    _check_signal("ifft", data)
    if data.shape[-1] % 2:
        raise ShapeError(f"ifft: the last axis holds (real, imaginary) pairs and must be even, "
                         f"got shape {data.shape}")
    d = data.shape[-1] // 2
    lead = data.shape[:-1]
    pairs = reshape_exact(_in_float32(data), lead + (d, 2))
    re, im = (reshape_exact(slice_ranges(pairs, (0,) * len(lead) + (0, k), lead + (d, k + 1),
                                         (1,) * (len(lead) + 2)), lead + (d,)) for k in (0, 1))
    # the inverse transform is the conjugate of the forward one of the conjugate: its real
    # part is the real part of DFT(re - i im)
    out, _ = _dft(_conj((re, im)), d)
    return as_dtype(out, data._dtype)


@register_operator("_contrib_count_sketch", inputs=("data", "h", "s"))
def count_sketch(data: Array, h: Array, s: Array, out_dim: int,
                 processing_batch_size: int = 32) -> Array:
    """Count sketch of the rows (last axis, length d) of (N, d) or (N1, N2, N3, d) data:
    out[..., h[i]] += s[i] * data[..., i], with hash indices h (1, d) in [0, out_dim)
    and signs s (1, d) of ±1, both in data's dtype. Indices outside [0, out_dim) add
    nothing. `processing_batch_size` does not change the result.

    >>> x = mx.nd.array([[1.2, 2.5, 3.4], [3.2, 5.7, 6.6]])
    >>> h, s = mx.nd.array([[0, 3, 4]]), mx.nd.array([[1, -1, 1]])
    >>> mx.nd.contrib.count_sketch(x, h, s, out_dim=5)  # doctest: +SKIP
    [[ 1.2  0.   0.  -2.5  3.4]
     [ 3.2  0.   0.  -5.7  6.6]]
    """
    _check_signal("count_sketch", data)
    if isinstance(out_dim, bool) or not isinstance(out_dim, (int, np.integer)) or out_dim < 1:
        raise ParamError(f"count_sketch: out_dim must be a positive int, got {out_dim!r}")
    d = data.shape[-1]
    for name, table in (("h", h), ("s", s)):
        if table.shape != (1, d):
            raise ShapeError(f"count_sketch: {name} must have shape (1, {d}) for data of shape "
                             f"{data.shape}, got {table.shape}")
        if table._dtype != data._dtype:
            raise DTypeError(f"count_sketch: {name} must have data's dtype {data._dtype.name}, "
                             f"got {table._dtype.name}")
    # sketch[i, k] = s[i] where trunc(h[i]) == k: an index never read from memory, so an
    # out-of-range hash selects no column instead of writing out of bounds
    column = reshape_exact(cast(h, np.int64), (d, 1))
    hit = bind("eq", broadcast_exact(column, (d, out_dim)), iota((d, out_dim), 1, data))
    sketch = cast(hit, data._dtype) * broadcast_exact(reshape_exact(s, (d, 1)), (d, out_dim))
    return bind("dot_general", data, sketch, contract=((data.ndim - 1,), (0,)),  # type: ignore
                batch=((), ()))
