"""`KVStore`: MXNet's store of one process ('local', 'device' and their variants), and the
frame its distributed subclasses fill in.

A push sums the values of each key over the devices given (with 2-bit compression each
device's value is quantized first, as MXNet's device store does), hands the sums to
`_reduce` (the identity here; an allreduce over the workers in `dist_sync`), then either
replaces the stored value (MXNet's default ASSIGN) or calls the updater
`updater(key, merged, stored)`, which changes `stored` in place: once per key, in key
order; an `Updater` of an optimizer gets all the keys of the push in one call, which the
built-in optimizers run as one compiled program (the numbers are those of one call per
key). String keys reach an updater as bytes, as through MXNet's C API.

    >>> kv = mx.kv.create('local')
    >>> kv.init(3, mx.nd.zeros((2, 2)))
    >>> kv.push(3, [mx.nd.ones((2, 2)), mx.nd.ones((2, 2))])
    >>> out = mx.nd.zeros((2, 2)); kv.pull(3, out=out); float(out.asnumpy()[0, 0])
    2.0
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import optimizer as opt
from ..base import MXNetKeyError, ParamError, ShapeError, UnsupportedError
from ..nd import NDArray, add_n, cast_storage
from ..nd import array as nd_array
from .base import KVStoreBase, capability_is_optimizer
from .compression import TwoBitCompression, parse_compression_params
from .keys import Key, KeyOrder, pairs

__all__ = ["KVStore"]

Updater = Callable[[Any, NDArray, NDArray], None]


def host(a: NDArray) -> np.ndarray:
    """The values of `a` as a NumPy array (its own buffer when it has one: do not write).

    >>> host(mx.nd.ones((2,)))  # doctest: +SKIP
    array([1., 1.], dtype=float32)
    """
    data = a._buffer() if a.stype == "default" else None
    return data if isinstance(data, np.ndarray) else a.asnumpy()


def own_buffer(a: NDArray, dtype: Any) -> np.ndarray | None:
    """`a`'s own C-contiguous NumPy buffer of `dtype` (None when it has none: sparse, on a
    device, another dtype), for collectives that write into it directly.

    >>> own_buffer(mx.nd.zeros((2,)), np.float32)  # doctest: +SKIP
    array([0., 0.], dtype=float32)
    """
    if a.stype != "default":
        return None
    buf = a._buffer()
    if isinstance(buf, np.ndarray) and buf.dtype == dtype and buf.flags.c_contiguous \
            and buf.flags.writeable:
        return buf
    return None


def as_ndarray(values: np.ndarray, ctx: Any) -> NDArray:
    """`values` as an NDArray on `ctx`: the same memory on a CPU, a copy on a device.

    >>> as_ndarray(np.ones(2, 'f'), mx.cpu())  # doctest: +SKIP
    """
    if ctx.device_type in ("cpu", "cpu_pinned", "cpu_shared"):
        return NDArray._wrap(values, ctx)
    return nd_array(values, ctx=ctx, dtype=values.dtype)  # type: ignore[no-any-return]


def write(out: NDArray, value: np.ndarray | NDArray, key: Key, call: str) -> None:
    """Copy `value` into `out` (any storage type), naming `key` when the shapes differ.

    >>> write(out, np.ones((2, 2), 'f'), 3, 'pull')  # doctest: +SKIP
    """
    if tuple(value.shape) != tuple(out.shape):
        raise ShapeError(f"KVStore.{call}: key {key!r} holds shape {tuple(value.shape)}, the "
                         f"array given has shape {tuple(out.shape)}")
    if out.stype != "default":
        dense = value if isinstance(value, NDArray) else NDArray._wrap(value)
        cast_storage(dense.astype(out.dtype), out.stype).copyto(out)  # type: ignore[attr-defined]
        return
    buf = out._buffer()
    if isinstance(buf, np.ndarray):
        np.copyto(buf, host(value) if isinstance(value, NDArray) else value, casting="unsafe")
    else:
        out[:] = value if isinstance(value, NDArray) else NDArray._wrap(value)


class KVStore(KVStoreBase):
    """A key-value store in this process: `type` is 'local', 'device', ... as given to
    `mx.kv.create`.

    >>> kv = mx.kv.create('device')  # doctest: +SKIP
    """

    def __init__(self, name: str = "local") -> None:
        self._type = name
        self._store: dict[Key, NDArray] = {}
        self._order = KeyOrder()
        self._updater: Any = None
        self._compression: TwoBitCompression | None = None

    # ---- the interface ------------------------------------------------------------------

    @property
    def type(self) -> str:
        return self._type

    @property
    def rank(self) -> int:
        return 0

    @property
    def num_workers(self) -> int:
        return 1

    def is_capable(self, capability: str) -> bool:
        return capability_is_optimizer(capability)

    def init(self, key: Any, value: Any) -> None:
        """Store the initial value of each key (rank 0's, when several workers init).

        >>> kv.init(['w', 'b'], [mx.nd.zeros((2, 3)), mx.nd.zeros((3,))])  # doctest: +SKIP
        """
        items = self._order.group(key, value)
        for k, arrays in items:
            check_first_init(k, self._store)
            if len(arrays) != 1:
                raise ParamError(f"KVStore.init: key {k!r} takes one initial value, got "
                                 f"{len(arrays)}")
        values = self._initial_values([(k, host(a[0])) for k, a in items])
        for (k, arrays), v in zip(items, values):
            self._store[k] = as_ndarray(np.array(v, dtype=arrays[0].dtype, copy=True),
                                        arrays[0].context)

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        """Push values: summed over devices (and workers), then assigned or given to the
        updater.

        >>> kv.push(3, [mx.nd.ones((2, 2), mx.cpu(i)) for i in range(2)])  # doctest: +SKIP
        """
        items = self._order.group(key, value)
        for k, arrays in items:
            self._stored(k, "push", arrays[0].shape)
        merged = [(k, self._merge(k, arrays)) for k, arrays in items]
        self._apply(*self._reduce(merged))

    def pull(self, key: Any, out: Any = None, priority: int = 0,
             ignore_sparse: bool = True) -> None:
        """Copy each key's stored value into `out` (one array, one per device, or a list
        of those for a list of keys); sparse outputs are skipped unless
        `ignore_sparse=False`.

        >>> kv.pull(3, out=[a, b])  # doctest: +SKIP
        """
        if out is None:
            raise ParamError("KVStore.pull: out= is required")
        for k, outs in self._order.group(key, out, "out"):
            stored = self._stored(k, "pull")
            for o in outs:
                if ignore_sparse and o.stype != "default":
                    continue
                write(o, stored, k, "pull")

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """Push `value`, then pull the result into `out` (into `value` without `out`).

        >>> kv.pushpull('w', grads, out=weights)  # doctest: +SKIP
        """
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        """Init each key with `value` (rank 0's), then pull it into `out`.

        >>> kv.broadcast('w', mx.nd.ones((2,)), out=[a, b])  # doctest: +SKIP
        """
        self.init(key, value)
        self.pull(key, out, priority)

    def row_sparse_pull(self, key: Any, out: Any = None, priority: int = 0,
                        row_ids: Any = None) -> None:
        """Pull the rows `row_ids` of each key into row_sparse arrays `out` (one row-id
        array for all outputs of a key, or one per output).

        >>> kv.row_sparse_pull('e', out=rsp, row_ids=mx.nd.array([0, 2]))  # doctest: +SKIP
        """
        if out is None or row_ids is None:
            raise ParamError("KVStore.row_sparse_pull: out= and row_ids= are required")
        if isinstance(row_ids, NDArray):
            row_ids = [row_ids]
        # (one row-id array for a list of outputs: pull into the first, copy to the rest)
        single = len(row_ids) == 1 and isinstance(out, list)
        outs = [(k, o) for k, os in pairs(key, [out[0]] if single else out, "out") for o in os]
        ids = [r for _, rs in pairs(key, row_ids, "row_ids") for r in rs]
        if len(ids) != len(outs):
            raise ParamError("KVStore.row_sparse_pull: the number of row_ids doesn't match "
                             "the number of values")
        for (k, o), rows in zip(outs, ids):
            self._order.check(k)
            if o.stype != "row_sparse":
                raise ParamError(f"KVStore.row_sparse_pull: Expected row_sparse storage type "
                                 f"for row_sparse_pull values of key {k!r}, but detected "
                                 f"storage type {o.stype}")
            stored = host(self._stored(k, "row_sparse_pull"))
            keep = np.unique(host(rows).astype(np.int64).ravel())
            picked = np.zeros_like(stored)
            picked[keep] = stored[keep]
            write(o, picked, k, "row_sparse_pull")
        if single:
            for o in out[1:]:
                out[0].copyto(o)

    def set_gradient_compression(self, compression_params: dict[str, Any]) -> None:
        """Quantize pushed gradients to 2 bits with error feedback ('device' and 'dist'
        stores): `{'type': '2bit', 'threshold': 0.5}`.

        >>> kv.set_gradient_compression({'type': '2bit', 'threshold': 0.5})  # doctest: +SKIP
        """
        if "device" not in self.type and "dist" not in self.type:
            raise UnsupportedError("Gradient compression is not supported for this type of "
                                   f"kvstore ({self.type!r}: use 'device' or a 'dist' store)")
        self._compression = TwoBitCompression(parse_compression_params(compression_params))

    def set_optimizer(self, optimizer: opt.Optimizer) -> None:
        """Update the stored weights with `optimizer` on every push.

        >>> kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))  # doctest: +SKIP
        """
        self._set_updater(opt.get_updater(optimizer))

    def _set_updater(self, updater: Updater) -> None:
        """Call `updater(key, merged, stored)` on each push instead of assigning.

        >>> kv._set_updater(lambda key, inp, stored: stored.__iadd__(inp))  # doctest: +SKIP
        """
        self._updater = updater

    set_updater = _set_updater

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        if not isinstance(self._updater, opt.Updater):
            raise ParamError("KVStore.save_optimizer_states: the store has no optimizer "
                             "(call set_optimizer first)")
        with open(fname, "wb") as f:
            f.write(self._updater.get_states(dump_optimizer))

    def load_optimizer_states(self, fname: str) -> None:
        if not isinstance(self._updater, opt.Updater):
            raise ParamError("KVStore.load_optimizer_states: the store has no optimizer "
                             "(call set_optimizer first)")
        with open(fname, "rb") as f:
            self._updater.set_states(f.read())

    def barrier(self) -> None:
        """Wait until every worker gets here (nothing to wait for in one process).

        >>> kv.barrier()  # doctest: +SKIP
        """

    _barrier = barrier

    # ---- what the distributed stores fill in ----------------------------------------------

    #: Whether a push of row_sparse values only keeps them row_sparse (a store in this
    #: process; the distributed ones sum over the workers densely).
    _sums_rows = True

    def _initial_values(self, items: list[tuple[Key, np.ndarray]]) -> list[np.ndarray]:
        """The value every worker stores for each key (here: the one given)."""
        return [v for _, v in items]

    def _reduce(self, merged: list[tuple[Key, np.ndarray]]
                ) -> tuple[list[tuple[Key, np.ndarray]], bool]:
        """The sums of `merged` over the workers (here: one worker), and whether they are
        already the stored values (assigned)."""
        return merged, False

    # ---- the pieces -----------------------------------------------------------------------

    def _stored(self, key: Key, call: str, shape: tuple[int, ...] | None = None) -> NDArray:
        stored = self._store.get(key)
        if stored is None:
            raise MXNetKeyError(f"KVStore.{call}: key {key!r} has not been inited (call "
                                f"kv.init first)")
        if shape is not None and tuple(shape) != stored.shape:
            raise ShapeError(f"KVStore.{call}: key {key!r} holds shape {stored.shape}, the "
                             f"pushed value has shape {tuple(shape)}")
        return stored

    def _merge(self, key: Key, arrays: list[NDArray]) -> np.ndarray:
        """The sum of a key's values over the devices of this process."""
        for a in arrays[1:]:
            if a.shape != arrays[0].shape:
                raise ShapeError(f"KVStore.push: the values of key {key!r} on different "
                                 f"devices have shapes {arrays[0].shape} and {a.shape}")
        if self._compression is not None and "dist" not in self.type:
            gc = self._compression
            parts = [gc.dequantize(gc.quantize((key, i), host(a)), a.size).reshape(a.shape)
                     for i, a in enumerate(arrays)]
            return np.sum(parts, axis=0, dtype=arrays[0].dtype) if len(parts) > 1 \
                else parts[0].astype(arrays[0].dtype)
        if self._sums_rows and all(a.stype == "row_sparse" for a in arrays):
            # (the rows pushed, summed: the updater then updates only those rows, lazily,
            # as MXNet's store does for row_sparse gradients)
            return arrays[0] if len(arrays) == 1 else add_n(*arrays)  # type: ignore
        if len(arrays) == 1:
            return host(arrays[0])
        total = np.array(host(arrays[0]), copy=True)
        for a in arrays[1:]:
            total += host(a)
        return total

    def _apply(self, merged: list[tuple[Key, np.ndarray]], stored_already: bool = False
               ) -> None:
        """Assign the sums (unless `_reduce` wrote them into the store), or hand them to
        the updater."""
        if self._updater is None:
            if not stored_already:
                for k, m in merged:
                    write(self._store[k], m, k, "push")
            return
        items = [(k, m if isinstance(m, NDArray) else as_ndarray(m, self._store[k].context))
                 for k, m in merged]
        if isinstance(self._updater, opt.Updater):
            self._updater([self._updater_key(k) for k, _ in items], [g for _, g in items],
                          [self._store[k] for k, _ in items])
            return
        for k, g in items:
            self._updater(self._updater_key(k), g, self._store[k])

    @staticmethod
    def _updater_key(key: Key) -> Any:
        return key.encode() if isinstance(key, str) else key


def check_first_init(key: Key, known: Any) -> None:
    """MXNet's error for a key `init`ed twice (`known`: the keys initialised so far)."""
    if key in known:
        raise ParamError(f"KVStore.init: duplicate init of key {key!r}. Please double check "
                         f"if you called kv.init or kv.broadcast with this key multiple times")
