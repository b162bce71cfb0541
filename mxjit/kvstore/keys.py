"""How a KVStore call's keys and values pair up, as MXNet's `_ctype_key_value` reads them.

A call takes one key with one array (or a list of per-device arrays), or a list of keys
with a list of values, each an array or a list of per-device arrays. `group` turns any of
these into `[(key, [arrays])]`, one entry per distinct key, in the store's key order
(ints by value; strings in the order the store first saw them, as MXNet's C++ store maps
them to ids), with the arrays of a key that appears more than once gathered together.

    >>> KeyOrder().group([5, 3], [a, [b, c]])  # doctest: +SKIP
    [(3, [b, c]), (5, [a])]
"""
from __future__ import annotations

from typing import Any

from ..base import ArgumentError
from ..nd import NDArray

Key = int | str


def _as_arrays(key: Key, value: Any, what: str) -> list[NDArray]:
    if isinstance(value, NDArray):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, NDArray)
                                                          for v in value):
        return list(value)
    raise ArgumentError(f"KVStore: the {what} of key {key!r} must be an NDArray or a "
                        f"non-empty list of NDArrays, got {type(value).__name__}")


def pairs(keys: Any, values: Any, what: str = "value") -> list[tuple[Key, list[NDArray]]]:
    """(key, arrays) in the order given, one entry per key of the call.

    >>> pairs([3, 5], [a, [b, c]])  # doctest: +SKIP
    [(3, [a]), (5, [b, c])]
    """
    if isinstance(keys, (list, tuple)):
        if not isinstance(values, (list, tuple)) or len(values) != len(keys):
            raise ArgumentError(f"KVStore: {len(keys)} keys need a list of {len(keys)} "
                                f"{what}s, got {type(values).__name__}"
                                + (f" of {len(values)}" if isinstance(values, (list, tuple))
                                   else ""))
        return [(_check_key(k), _as_arrays(k, v, what)) for k, v in zip(keys, values)]
    return [(_check_key(keys), _as_arrays(keys, values, what))]


def _check_key(key: Any) -> Key:
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise ArgumentError(f"KVStore: unexpected type for keys: {type(key).__name__} "
                            f"(keys are int or str)")
    return key


class KeyOrder:
    """The kind of key a store takes (the first call decides: int or str, never both)
    and the order in which its keys are processed."""

    def __init__(self) -> None:
        self.kind: type | None = None
        self._str_ids: dict[str, int] = {}

    def check(self, key: Key) -> None:
        """Fix the store's key kind on first use; a key of the other kind is an error.

        >>> order.check(3); order.check('a')  # doctest: +SKIP
        Traceback (most recent call last):
        ArgumentError: KVStore: mixed key types are not allowed ...
        """
        kind = str if isinstance(key, str) else int
        if self.kind is None:
            self.kind = kind
        elif kind is not self.kind:
            raise ArgumentError(f"KVStore: mixed key types are not allowed: this store "
                                f"holds {self.kind.__name__} keys, got {key!r}")
        if kind is str and key not in self._str_ids:
            self._str_ids[key] = len(self._str_ids)  # type: ignore[index]

    def rank(self, key: Key) -> int:
        """The position of `key` in the store's order (its value, or its string's id).

        >>> order.rank('b')  # doctest: +SKIP
        1
        """
        return self._str_ids[key] if isinstance(key, str) else key

    def group(self, keys: Any, values: Any, what: str = "value"
              ) -> list[tuple[Key, list[NDArray]]]:
        """One (key, arrays) per distinct key, in the store's key order.

        >>> order.group(['b', 'a'], [x, y])  # doctest: +SKIP
        """
        grouped: dict[Key, list[NDArray]] = {}
        for key, arrays in pairs(keys, values, what):
            self.check(key)
            grouped.setdefault(key, []).extend(arrays)
        return sorted(grouped.items(), key=lambda kv: self.rank(kv[0]))
