"""The `mx.np` functions that symbol nodes may call (`_np_call`, built by `mx.sym.np`),
by qualified name ('sum', 'linalg.det', 'npx.relu'), and how many arrays each returns.
`mx.np` fills the table; `mx.sym.np` reads it (so the symbol layer needs no mx.np import).

    >>> result_count('split', (x, [1, 3]), {})  # doctest: +SKIP
    3
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..base import UnsupportedError

#: The functions a node may call, by qualified name.
FUNCTIONS: dict[str, Callable[..., Any]] = {}


def register_functions(prefix: str, table: dict[str, Callable[..., Any]]) -> None:
    """Make `table`'s functions callable from symbol nodes as `prefix + name`.

    >>> register_functions('linalg.', {'det': det})  # doctest: +SKIP
    """
    FUNCTIONS.update({prefix + name: f for name, f in table.items()})


def _sections(v: dict[str, Any]) -> int:
    parts = v["indices_or_sections"]
    return int(parts) if isinstance(parts, int) else len(parts) + 1


def _positional(name: str) -> Callable[[dict[str, Any]], int]:
    return lambda v: len(v.get(name, ()))


def _one_per_axis(function: str) -> Callable[[dict[str, Any]], int]:
    """The rule of a function giving one array per axis of its input: a symbol does not
    know how many axes it has, so the call is refused (rather than keep only the first)."""
    def refuse(v: dict[str, Any]) -> int:
        raise UnsupportedError(f"np.{function} on symbols: it returns one array per axis of "
                               f"its input, and a symbol does not know how many axes it has; "
                               f"npx.nonzero gives the indices as one array of rows")
    return refuse


#: Functions that return a list even of one array.
SPLITS = ("split", "array_split", "hsplit", "vsplit", "dsplit")
#: Functions of several results -> their number, from the arguments by parameter name (for
#: functions taking `*args, **kwargs`, the positional ones are under 'args').
RESULT_COUNTS: dict[str, Callable[[dict[str, Any]], int]] = {
    **{f: _sections for f in SPLITS},
    "linalg.svd": lambda v: 3, "linalg.eigh": lambda v: 2, "linalg.eig": lambda v: 2,
    "linalg.slogdet": lambda v: 2, "linalg.lstsq": lambda v: 4,
    "linalg.qr": lambda v: 1 if v.get("mode") == "r" else 2,
    "histogram": lambda v: 2, "modf": lambda v: 2, "frexp": lambda v: 2, "divmod": lambda v: 2,
    "unique": lambda v: 1 + sum(bool(v.get(k)) for k in
                                ("return_index", "return_inverse", "return_counts")),
    "meshgrid": _positional("xi"), "broadcast_arrays": _positional("args"),
    "ix_": _positional("args"), "unravel_index": lambda v: len(v["shape"]),
    **{f"atleast_{d}d": _positional("arys") for d in (1, 2, 3)},
    "npx.topk": lambda v: 2 if v.get("ret_typ") == "both" else 1,
    "nonzero": _one_per_axis("nonzero"), "diag_indices_from": _one_per_axis("diag_indices_from"),
    "where": lambda v: 1 if "x" in v or "y" in v else _one_per_axis("where")(v),
    "tril_indices_from": lambda v: 2, "triu_indices_from": lambda v: 2,
}


def result_count(fn: str, args: tuple, kwargs: dict[str, Any]) -> int:
    """How many arrays `fn` returns for these arguments (1 for most functions).

    >>> result_count('sum', (x,), {'axis': 1})  # doctest: +SKIP
    1
    """
    rule = RESULT_COUNTS.get(fn)
    if rule is None or fn not in FUNCTIONS:
        return 1
    try:
        return rule(inspect.signature(FUNCTIONS[fn]).bind_partial(*args, **kwargs).arguments)
    except (TypeError, KeyError) as e:
        raise UnsupportedError(f"np.{fn} on symbols: the number of its results must follow "
                               f"from its arguments as literals ({e})") from None
