"""`python -m mxjit.cache [--clear]`: where the kernel cache is, how many kernels
it holds and how much disk they take; `--clear` removes them.
"""
from __future__ import annotations

import argparse
import sys

from .lower import clear_disk_cache, disk_usage


def main(argv: list[str] | None = None) -> int:
    """Print the kernel cache's directory, entries and size; with `--clear`, empty it.

    >>> main([])  # doctest: +SKIP
    kernel cache: /home/me/.cache/mxjit
    """
    parser = argparse.ArgumentParser(prog="python -m mxjit.cache",
                                     description="Report on (or clear) mxjit's kernel cache.")
    parser.add_argument("--clear", action="store_true", help="remove every cached kernel")
    args = parser.parse_args(argv)
    usage = disk_usage()
    print(f"kernel cache: {usage.directory}")
    if usage.problem is not None:
        print(f"  not used: the directory {usage.problem}")
    print(f"  {usage.entries} kernel{'s' * (usage.entries != 1)}, {usage.bytes:,} bytes "
          f"({usage.bytes / 2**20:.1f} MiB) of at most {usage.limit / 2**20:g} MiB "
          "(MXJIT_DISK_CACHE_MB)")
    if args.clear:
        n, size = clear_disk_cache()
        print(f"  removed {n} kernel{'s' * (n != 1)}, {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
