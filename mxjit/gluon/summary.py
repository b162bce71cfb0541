"""`Block.summary`: each layer's output shape and parameter count for one call.

    >>> net.summary(mx.nd.ones((2, 3)))  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any


def _shape_text(value: Any) -> str:
    def shapes(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [shapes(x) for x in v]
        return getattr(v, "shape", v)

    s = shapes(value)
    text = str(s)[1:-1] if isinstance(s, list) else str(s)
    return text


def print_summary(block: Any, inputs: tuple) -> None:
    """Run `block(*inputs)` with a hook on every non-container descendant and print
    MXNet's table: layer, output shape, parameters (shared ones counted once)."""
    rows: list[tuple[str, str, int, int, int]] = [("Input", _shape_text(inputs), 0, 0, 0)]
    seen: set[int] = set()
    handles = []

    def hook(layer: Any, _: Any, out: Any) -> None:
        total = trainable = shared = 0
        for p in layer.params.values():
            size = p.data().size
            total += size
            trainable += 0 if p.grad_req == "null" else size
            if id(p) in seen:
                shared += size
            seen.add(id(p))
        rows.append((f"{type(layer).__name__}-{len(rows)}", _shape_text(out), total,
                     trainable, shared))

    def attach(layer: Any) -> None:
        if getattr(layer, "_active", False):
            raise AssertionError(f'"{layer.name}" must not be hybridized to print summary.')
        if not getattr(layer, "_is_container", False):  # (Sequential, HybridSequential)
            handles.append(layer.register_forward_hook(hook))

    try:
        block.apply(attach)
        block(*inputs)
        line = "{:>20}  {:>42} {:>15}"
        print("-" * 80)
        print(line.format("Layer (type)", "Output Shape", "Param #"))
        print("=" * 80)
        for name, shape, total, _, _ in rows:
            print(line.format(name, shape, total))
        total = sum(r[2] for r in rows)
        trainable = sum(r[3] for r in rows)
        shared = sum(r[4] for r in rows)
        print("=" * 80)
        print("Parameters in forward computation graph, duplicate included")
        print(f"   Total params: {total}")
        print(f"   Trainable params: {trainable}")
        print(f"   Non-trainable params: {total - trainable}")
        print(f"Shared params in forward computation graph: {shared}")
        print(f"Unique parameters in model: {total - shared}")
        print("-" * 80)
    finally:
        for h in handles:
            h.detach()
