"""Rearranging and resampling (N, C, H, W) feature maps: `depth_to_space`, `space_to_depth`,
`UpSampling` and the legacy `Crop`.

All are movement ops (reshape, transpose, broadcast, slice) except bilinear up-sampling,
which is MXNet's grouped `Deconvolution`; so they become index maps inside fused kernels.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import DTypeError, ParamError, ShapeError
from ..core import Array
from ..core.operators import input_shape_rule, register_operator
from .conv import Deconvolution
from .operands import ints, reshape_exact, variadic_arrays
from .shape import broadcast_exact, broadcast_new, concat, permute, slice_ranges


def _check_4d(op: str, data: Array, what: str = "data") -> None:
    if data.ndim != 4:
        raise ShapeError(f"{op}: {what} must be 4-D (batch, channel, height, width), got shape "
                         f"{data.shape}")


def _positive_int(op: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParamError(f"{op}: {name} must be a positive int, got {value!r}")
    return int(value)


# ---- depth <-> space ---------------------------------------------------------------------


@register_operator("depth_to_space")
def depth_to_space(data: Array, block_size: int) -> Array:
    """Move channel blocks into space: (N, C, H, W) -> (N, C / b**2, H * b, W * b), where
    out[n, c, h*b + i, w*b + j] = data[n, (i*b + j) * C / b**2 + c, h, w].

    >>> mx.nd.depth_to_space(mx.nd.ones((1, 4, 2, 3)), 2).shape  # doctest: +SKIP
    (1, 1, 4, 6)
    """
    _check_4d("depth_to_space", data)
    b = _positive_int("depth_to_space", "block_size", block_size)
    n, c, h, w = data.shape
    if c % (b * b):
        raise ShapeError(f"depth_to_space: the {c} channels of {data.shape} are not divisible "
                         f"by block_size ** 2 = {b * b}")
    x = reshape_exact(data, (n, b, b, c // (b * b), h, w))
    x = permute(x, (0, 3, 4, 1, 5, 2))
    y = reshape_exact(x, (n, c // (b * b), h * b, w * b))
    return broadcast_new(y, y.shape) if b == 1 else y  # never a view of data


@register_operator("space_to_depth")
def space_to_depth(data: Array, block_size: int) -> Array:
    """Move spatial blocks into channels, the inverse of `depth_to_space`:
    (N, C, H, W) -> (N, C * b**2, H / b, W / b).

    >>> mx.nd.space_to_depth(mx.nd.ones((1, 1, 4, 6)), 2).shape  # doctest: +SKIP
    (1, 4, 2, 3)
    """
    _check_4d("space_to_depth", data)
    b = _positive_int("space_to_depth", "block_size", block_size)
    n, c, h, w = data.shape
    if h % b or w % b:
        raise ShapeError(f"space_to_depth: height {h} and width {w} of {data.shape} must be "
                         f"divisible by block_size {b}")
    x = reshape_exact(data, (n, c, h // b, b, w // b, b))
    x = permute(x, (0, 3, 5, 1, 2, 4))
    y = reshape_exact(x, (n, c * b * b, h // b, w // b))
    return broadcast_new(y, y.shape) if b == 1 else y


# ---- up-sampling -------------------------------------------------------------------------


def _nearest(x: Array, scale: int) -> Array:
    """Each pixel repeated scale x scale times: one broadcast between two reshapes."""
    n, c, h, w = x.shape
    grid = broadcast_exact(reshape_exact(x, (n, c, h, 1, w, 1)), (n, c, h, scale, w, scale))
    return reshape_exact(grid, (n, c, h * scale, w * scale))


def _upsample_nearest(data: tuple[Array, ...], scale: int, mode: str) -> Array:
    for k, x in enumerate(data):
        _check_4d("UpSampling", x, f"input {k}")
    first = data[0]
    height, width = first.shape[2] * scale, first.shape[3] * scale
    maps = [_nearest(first, scale)]
    for k, x in enumerate(data[1:], 1):  # each scaled to the first one's output size
        h, w = x.shape[2:]
        if x.shape[0] != first.shape[0] or not h or not w or height % h or width % w or \
                height // h != width // w:
            raise ShapeError(f"UpSampling: input {k} of shape {x.shape} cannot be scaled to the "
                             f"output size {first.shape[0]} x {height} x {width} by one integer "
                             "factor")
        maps.append(_nearest(x, height // h))
    if mode == "concat":
        return maps[0] if len(maps) == 1 else concat(*maps, dim=1)
    if any(m.shape != maps[0].shape for m in maps):
        raise ShapeError(f"UpSampling: multi_input_mode='sum' needs inputs with equal channels, "
                         f"got {[x.shape for x in data]}")
    total = maps[0]
    for m in maps[1:]:
        total = total + m
    return total


def _upsample_bilinear(data: tuple[Array, ...], scale: int, num_filter: int) -> Array:
    """MXNet's bilinear up-sampling: a grouped Deconvolution with the given (C, 1, k, k)
    weight (usually from `mx.init.Bilinear`), k = 2 * scale - scale % 2."""
    if len(data) != 2:
        raise ParamError(f"UpSampling: sample_type='bilinear' takes two arrays (data, weight), "
                         f"got {len(data)}")
    x, weight = data
    _check_4d("UpSampling", x)
    channels = x.shape[1]
    if num_filter != channels:
        raise ParamError(f"UpSampling: bilinear needs num_filter equal to the data's {channels} "
                         f"channels, got {num_filter}")
    kernel = 2 * scale - scale % 2
    pad = math.ceil((scale - 1) / 2)
    return Deconvolution(x, weight, kernel=(kernel, kernel), stride=(scale, scale),
                         pad=(pad, pad), num_filter=channels, num_group=channels, no_bias=True)


def _upsampling_signature(params: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """UpSampling's inputs by name, as MXNet lists them: bilinear's `data` and `weight`
    (a variable `<name>_weight` when not given), nearest's `arg0`, `arg1`, ..."""
    if params.get("sample_type", "nearest") == "bilinear":
        return ["data", "weight"], [], ["output"]
    return [f"arg{k}" for k in range(params.get("num_args") or 1)], [], ["output"]


@input_shape_rule("UpSampling")
def _upsampling_inputs(shapes: dict[str, tuple[int, ...]], *, sample_type: str = "nearest",
                       scale: int | None = None, **_: Any) -> dict[str, tuple[int, ...]]:
    """Bilinear's weight from the data: (channels, 1, k, k), k = 2 * scale - scale % 2."""
    data = shapes.get("data")
    if sample_type != "bilinear" or data is None or len(data) != 4 or not scale:
        return {}
    kernel = 2 * scale - scale % 2
    return {"weight": (data[1], 1, kernel, kernel)}


@register_operator("UpSampling", inputs=("data",), signature=_upsampling_signature)
def UpSampling(*data: Array, scale: int | None = None, num_filter: int = 0,
               sample_type: str = "nearest", multi_input_mode: str = "concat",
               num_args: int | None = None, workspace: int = 512) -> Array:
    """Up-sample (N, C, H, W) maps by the integer `scale`.

    'nearest' repeats each pixel; several inputs are each scaled to the first one's output
    size (scale * H, scale * W), by the integer factor that takes them there, and joined
    along the channels ('concat') or added ('sum'). 'bilinear' takes (data, weight) with a
    (C, 1, k, k) weight, k = 2 * scale - scale % 2 (MXNet's `mx.init.Bilinear` fills it),
    and runs the grouped Deconvolution MXNet uses, with `num_filter` = C. (MXNet requires
    `sample_type`; here it defaults to 'nearest'.)

    >>> mx.nd.UpSampling(mx.nd.ones((1, 1, 2, 2)), scale=2, sample_type='nearest').shape
    ... # doctest: +SKIP
    (1, 1, 4, 4)
    """
    # (bilinear takes its data and weight whatever num_args says, as MXNet does)
    data = variadic_arrays("UpSampling", data, None if sample_type == "bilinear" else num_args,
                           ParamError, "input array")
    if any(x._dtype != data[0]._dtype for x in data):
        raise DTypeError(f"UpSampling: the inputs must share a dtype, got "
                         f"{[x._dtype.name for x in data]}")
    s = _positive_int("UpSampling", "scale", scale)
    if multi_input_mode not in ("concat", "sum"):
        raise ParamError(f"UpSampling: multi_input_mode must be 'concat' or 'sum', got "
                         f"{multi_input_mode!r}")
    if sample_type == "nearest":
        return _upsample_nearest(data, s, multi_input_mode)
    if sample_type == "bilinear":
        return _upsample_bilinear(data, s, num_filter)
    raise ParamError(f"UpSampling: sample_type must be 'nearest' or 'bilinear', got "
                     f"{sample_type!r}")


# ---- Crop --------------------------------------------------------------------------------


def _crop_offset(data_hw: tuple[int, int], crop_hw: tuple[int, int], offset: Any,
                 center_crop: bool) -> tuple[int, int]:
    if center_crop:
        return ((data_hw[0] - crop_hw[0]) // 2, (data_hw[1] - crop_hw[1]) // 2)
    off = ints(offset, "Crop: offset")
    if len(off) != 2:
        raise ParamError(f"Crop: offset must be (y, x), got {offset!r}")
    for k, what in enumerate(("height", "width")):
        if off[k] < 0 or off[k] + crop_hw[k] > data_hw[k]:
            raise ShapeError(f"Crop: offset {off} with crop size {crop_hw} runs outside the "
                             f"input's {what} {data_hw[k]}")
    return off  # type: ignore[return-value]


@register_operator("Crop", inputs=("data",), kinds={"offset": "shape", "h_w": "shape"})
def Crop(*data: Array, offset: Any = (0, 0), h_w: Any = (0, 0), center_crop: bool = False,
         num_args: int | None = None) -> Array:
    """Crop the spatial axes of (N, C, H, W) data to `h_w` = (height, width), or to the
    height and width of a second array (`crop_like`), at `offset` = (y, x) or centred.

    >>> mx.nd.Crop(mx.nd.ones((1, 1, 4, 4)), h_w=(2, 2), center_crop=True).shape
    ... # doctest: +SKIP
    (1, 1, 2, 2)
    """
    if len(data) == 1 and isinstance(data[0], (list, tuple)):
        data = tuple(data[0])
    if len(data) not in (1, 2):
        raise ParamError(f"Crop: takes the data and optionally an array to crop like, got "
                         f"{len(data)} arrays")
    if num_args is not None and num_args != len(data):
        raise ParamError(f"Crop: num_args={num_args} but {len(data)} arrays given")
    x = data[0]
    _check_4d("Crop", x)
    if len(data) == 2:
        _check_4d("Crop", data[1], "crop_like")
        crop_hw = data[1].shape[2:]
    else:
        crop_hw = ints(h_w, "Crop: h_w")
        if len(crop_hw) != 2 or min(crop_hw) < 1:
            raise ParamError(f"Crop: h_w must be a positive (height, width), or give a second "
                             f"array to crop like; got h_w={h_w!r}")
    data_hw = x.shape[2:]
    if crop_hw[0] > data_hw[0] or crop_hw[1] > data_hw[1]:
        raise ShapeError(f"Crop: the crop size {tuple(crop_hw)} exceeds the input's height and "
                         f"width {tuple(data_hw)}")
    top, left = _crop_offset(data_hw, tuple(crop_hw), offset, center_crop)  # type: ignore
    n, c = x.shape[:2]
    cropped = slice_ranges(x, (0, 0, top, left), (n, c, top + crop_hw[0], left + crop_hw[1]),
                     (1, 1, 1, 1))
    return broadcast_new(cropped, cropped.shape)  # (a copy, as in MXNet)
