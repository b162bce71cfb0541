"""`mx.model`: checkpoints in MXNet's format and what a batch-end callback receives.

A checkpoint is two files that real MXNet reads too: `prefix-symbol.json` (the symbol as
MXNet's JSON) and `prefix-%04d.params` (an `mx.nd.save` dict whose keys say what each array
is: `arg:fc1_weight` for an argument, `aux:bn_moving_mean` for an auxiliary state).

    >>> mx.model.save_checkpoint('mlp', 3, net, arg_params, aux_params)  # doctest: +SKIP
    >>> sym, arg_params, aux_params = mx.model.load_checkpoint('mlp', 3)  # doctest: +SKIP
"""
from __future__ import annotations

import logging
from collections import namedtuple
from typing import Any

from . import nd
from . import symbol as sym
from .base import NDArrayFormatError
from .context import cpu

__all__ = ["BatchEndParam", "save_checkpoint", "load_params", "load_checkpoint"]

#: What `fit` and `score` pass to each batch-end callback (MXNet's type name, fields).
BatchEndParam = namedtuple("BatchEndParams",  # type: ignore[name-match]
                           ["epoch", "nbatch", "eval_metric", "locals"])


def __dir__() -> list[str]:
    return __all__


def params_file(prefix: str, epoch: int) -> str:
    """The name of the parameter file of `epoch`.

    >>> params_file('mlp', 3)  # doctest: +SKIP
    'mlp-0003.params'
    """
    return f"{prefix}-{epoch:04d}.params"


def save_params_dict(fname: str, arg_params: dict[str, Any], aux_params: dict[str, Any]
                     ) -> None:
    """Write arguments and auxiliary states to `fname` under `arg:`/`aux:` keys.

    >>> save_params_dict('mlp-0003.params', arg_params, aux_params)  # doctest: +SKIP
    """
    save_dict = {f"arg:{k}": v.as_in_context(cpu()) for k, v in arg_params.items()}
    save_dict.update({f"aux:{k}": v.as_in_context(cpu()) for k, v in aux_params.items()})
    nd.save(fname, save_dict)


def split_params_dict(fname: str, saved: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(arguments, auxiliary states) of a loaded `arg:`/`aux:` dict; any other key is an
    error, since the file is then not a parameter file.

    >>> arg_params, aux_params = split_params_dict(fname, mx.nd.load(fname))  # doctest: +SKIP
    """
    if not isinstance(saved, dict):
        raise NDArrayFormatError(f"{fname}: a parameter file holds a dict of named arrays "
                                 f"('arg:name', 'aux:name'), this one a list")
    arg_params: dict[str, Any] = {}
    aux_params: dict[str, Any] = {}
    for key, value in saved.items():
        kind, _, name = key.partition(":")
        if kind == "arg" and name:
            arg_params[name] = value
        elif kind == "aux" and name:
            aux_params[name] = value
        else:
            raise NDArrayFormatError(f"{fname}: the key {key!r} is neither 'arg:<name>' nor "
                                     f"'aux:<name>'")
    return arg_params, aux_params


def save_checkpoint(prefix: str, epoch: int, symbol: Any, arg_params: dict[str, Any],
                    aux_params: dict[str, Any], remove_amp_cast: bool = True) -> None:
    """Save `symbol` (when not None) to `prefix-symbol.json` and the parameters to
    `prefix-%04d.params`, in MXNet's formats.

    >>> mx.model.save_checkpoint('mlp', 1, net, arg_params, aux_params)  # doctest: +SKIP
    """
    if symbol is not None:
        symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
    fname = params_file(prefix, epoch)
    save_params_dict(fname, arg_params, aux_params)
    logging.info('Saved checkpoint to "%s"', fname)


def load_params(prefix: str, epoch: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(arg_params, aux_params) from `prefix-%04d.params`.

    >>> arg_params, aux_params = mx.model.load_params('mlp', 1)  # doctest: +SKIP
    """
    fname = params_file(prefix, epoch)
    saved = nd.load(fname)
    if not saved:
        logging.warning("Params file '%s' is empty", fname)
        return {}, {}
    return split_params_dict(fname, saved)


def load_checkpoint(prefix: str, epoch: int) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """(symbol, arg_params, aux_params) saved by `save_checkpoint` (or by real MXNet).

    >>> net, arg_params, aux_params = mx.model.load_checkpoint('mlp', 1)  # doctest: +SKIP
    """
    symbol = sym.load(f"{prefix}-symbol.json")
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params
