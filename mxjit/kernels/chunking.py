"""How many images a chunk of the batch takes: what the convolution plans (im2col's columns,
Winograd's tiles) share."""
from __future__ import annotations


def even_chunk(n: int, most: int) -> int:
    """The size of the fewest chunks of at most `most` (at least 1) that cover n, evened
    out: 14 + 2 images become 8 + 8.

    >>> even_chunk(16, 14), even_chunk(32, 7), even_chunk(5, 0)
    (8, 7, 1)
    """
    most = max(1, min(n, most))
    return -(-n // -(-n // most))
