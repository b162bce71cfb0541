"""Gluon's convolution, pooling and padding layers: eager equals hybridized (forward and
gradients), the forward pass against NumPy in float64, parameter names and shapes, the
printed forms MXNet 1.9.1 prints, deferred in_channels, every error a user can hit, and
the CNN whose parameters MXNet saved."""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import mxjit as mx
from mxjit import autograd, nd
from mxjit.base import MXNetError
from mxjit.gluon import nn

from .layer_check import eager_and_hybrid

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mxnet-1.9.1"


# ---- NumPy references (checked once against MXNet 1.9.1's operators) ----------------------


def _tap_slices(kernel, dilate, stride, count):
    """Per kernel tap, the strided slices (one per spatial axis) it reads or writes."""
    return [(tap, tuple(slice(t * d, t * d + s * (m - 1) + 1, s)
                        for t, d, s, m in zip(tap, dilate, stride, count)))
            for tap in np.ndindex(*kernel)]


def np_conv(x, w, b, stride, pad, dilate, groups):
    """Channel-first convolution: for each tap, a shifted strided slice of the padded input
    times that tap's weights."""
    nsp = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    kernel = w.shape[2:]
    out_size = [(xp.shape[2 + i] - dilate[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                for i in range(nsp)]
    cg, fg = x.shape[1] // groups, w.shape[0] // groups
    out = np.zeros((x.shape[0], w.shape[0], *out_size))
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        for tap, sl in _tap_slices(kernel, dilate, stride, out_size):
            wt = w[(slice(g * fg, (g + 1) * fg), slice(None)) + tap]
            out[:, g * fg:(g + 1) * fg] += np.einsum("nc...,fc->nf...", xs[(..., *sl)], wt)
    return out if b is None else out + b.reshape((1, -1) + (1,) * nsp)


def np_deconv(x, w, b, stride, pad, dilate, adj, groups):
    """Channel-first transposed convolution: each input scattered through each tap, then
    `pad` cut from both ends (`adj` extends the far end)."""
    nsp = x.ndim - 2
    kernel, fg, cg = w.shape[2:], w.shape[1], x.shape[1] // groups
    full = [(x.shape[2 + i] - 1) * stride[i] + dilate[i] * (kernel[i] - 1) + 1 + adj[i]
            for i in range(nsp)]
    out = np.zeros((x.shape[0], fg * groups, *full))
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        for tap, sl in _tap_slices(kernel, dilate, stride, x.shape[2:]):
            wt = w[(slice(g * cg, (g + 1) * cg), slice(None)) + tap]
            out[(slice(None), slice(g * fg, (g + 1) * fg), *sl)] += np.einsum(
                "nc...,cf->nf...", xs, wt)
    out = out[(slice(None), slice(None)) + tuple(slice(p, f - p) for p, f in zip(pad, full))]
    return out if b is None else out + b.reshape((1, -1) + (1,) * nsp)


def np_pool(x, kernel, stride, pad, pool_type, ceil_mode=False, count_include_pad=True):
    """Channel-first max or average pooling, one output position at a time: a window is
    clipped to the padded data; an average divides by that clipped size, or by the part
    inside the data without count_include_pad."""
    spatial, axes = x.shape[2:], tuple(range(2, x.ndim))
    rnd = math.ceil if ceil_mode else math.floor
    out_size = [rnd((d + 2 * p - k) / s) + 1 for d, p, k, s in zip(spatial, pad, kernel, stride)]
    out = np.zeros(x.shape[:2] + tuple(out_size))
    for pos in np.ndindex(*out_size):
        lo = [o * s - p for o, s, p in zip(pos, stride, pad)]
        hi = [min(low + k, d + p) for low, k, d, p in zip(lo, kernel, spatial, pad)]
        window = x[(..., *(slice(max(low, 0), min(h, d)) for low, h, d in zip(lo, hi, spatial)))]
        if pool_type == "max":
            out[(..., *pos)] = window.max(axis=axes)
        else:
            count = math.prod(h - low for low, h in zip(lo, hi)) if count_include_pad else \
                window[0, 0].size
            out[(..., *pos)] = window.sum(axis=axes) / count
    return out


def first(x):
    """Channels-last to channels-first (data or weights)."""
    return np.moveaxis(x, -1, 1)


def last(x):
    return np.moveaxis(x, 1, -1)


def check_layer(make: Callable[[], nn.HybridBlock], shape: tuple[int, ...],
                reference: Callable[[np.ndarray, dict], np.ndarray], train: bool = True
                ) -> dict[str, np.ndarray]:
    """Eager against hybridized (forward and backward), then the eager output against
    `reference(x, params)` in float64; returns the parameter gradients."""
    x = np.random.RandomState(0).randn(*shape).astype(np.float32)
    built: list[nn.HybridBlock] = []

    def build() -> nn.HybridBlock:
        built.append(make())
        return built[-1]

    out, grads = eager_and_hybrid(build, [x], train=train)
    params = {k: p.data().asnumpy().astype(np.float64)
              for k, p in built[0]._collect_params_with_prefix().items()}
    expected = reference(x.astype(np.float64), params)
    assert out[0].shape == expected.shape
    np.testing.assert_allclose(out[0], expected, rtol=1e-4, atol=1e-5)
    return grads


# ---- convolutions ------------------------------------------------------------------------

CONV_CASES = {
    "1d strided dilated grouped": (
        lambda: nn.Conv1D(6, 3, strides=2, padding=1, dilation=2, groups=2), (2, 4, 9),
        lambda x, p: np_conv(x, p["weight"], p["bias"], (2,), (1,), (2,), 2)),
    "1d channels last": (
        lambda: nn.Conv1D(3, 2, padding=1, layout="NWC"), (2, 5, 4),
        lambda x, p: last(np_conv(first(x), first(p["weight"]), p["bias"], (1,), (1,),
                                  (1,), 1))),
    "2d mixed sizes with relu": (
        lambda: nn.Conv2D(4, (3, 2), strides=(2, 1), padding=(1, 0), dilation=(1, 2),
                          activation="relu"), (2, 3, 7, 6),
        lambda x, p: np.maximum(np_conv(x, p["weight"], p["bias"], (2, 1), (1, 0), (1, 2),
                                        1), 0)),
    "2d depthwise without bias": (
        lambda: nn.Conv2D(4, 3, padding=1, groups=4, use_bias=False), (1, 4, 5, 5),
        lambda x, p: np_conv(x, p["weight"], None, (1, 1), (1, 1), (1, 1), 4)),
    "2d channels last": (
        lambda: nn.Conv2D(4, 3, strides=2, padding=1, layout="NHWC"), (2, 6, 5, 3),
        lambda x, p: last(np_conv(first(x), first(p["weight"]), p["bias"], (2, 2), (1, 1),
                                  (1, 1), 1))),
    "3d grouped": (
        lambda: nn.Conv3D(4, (2, 3, 2), strides=(1, 2, 1), padding=(1, 1, 0), groups=2),
        (1, 2, 4, 5, 4),
        lambda x, p: np_conv(x, p["weight"], p["bias"], (1, 2, 1), (1, 1, 0), (1, 1, 1), 2)),
    "3d channels last": (
        lambda: nn.Conv3D(2, 2, dilation=(1, 2, 1), layout="NDHWC"), (1, 3, 5, 4, 3),
        lambda x, p: last(np_conv(first(x), first(p["weight"]), p["bias"], (1, 1, 1),
                                  (0, 0, 0), (1, 2, 1), 1))),
    "1d transposed grouped": (
        lambda: nn.Conv1DTranspose(6, 3, strides=2, padding=1, output_padding=1, groups=2),
        (2, 4, 5),
        lambda x, p: np_deconv(x, p["weight"], p["bias"], (2,), (1,), (1,), (1,), 2)),
    "2d transposed dilated grouped": (
        lambda: nn.Conv2DTranspose(4, (3, 2), strides=(2, 3), padding=(1, 0),
                                   output_padding=(1, 2), dilation=(1, 2), groups=2),
        (1, 4, 3, 4),
        lambda x, p: np_deconv(x, p["weight"], p["bias"], (2, 3), (1, 0), (1, 2), (1, 2), 2)),
    "2d transposed channels last with tanh": (
        lambda: nn.Conv2DTranspose(3, 2, strides=2, layout="NHWC", activation="tanh"),
        (2, 3, 2, 4),
        lambda x, p: np.tanh(last(np_deconv(first(x), first(p["weight"]), p["bias"], (2, 2),
                                            (0, 0), (1, 1), (0, 0), 1)))),
    "3d transposed": (
        lambda: nn.Conv3DTranspose(2, (2, 3, 2), strides=(2, 1, 2), padding=(0, 1, 0),
                                   output_padding=(1, 0, 1)), (1, 2, 2, 3, 2),
        lambda x, p: np_deconv(x, p["weight"], p["bias"], (2, 1, 2), (0, 1, 0), (1, 1, 1),
                               (1, 0, 1), 1)),
}


@pytest.mark.parametrize("case", list(CONV_CASES))
def test_convolutions_match_numpy_and_hybridize(case):
    make, shape, reference = CONV_CASES[case]
    grads = check_layer(make, shape, reference)
    assert sorted(grads) == (["weight"] if "without bias" in case else ["bias", "weight"])


# What MXNet 1.9.1 printed: the layer before its first call, its parameters' shapes then,
# the input, the output shape, the layer after and its parameters' shapes after.
MXNET_CONVS = [
    (lambda: nn.Conv2D(8, 3, padding=1),
     "Conv2D(None -> 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
     [(8, 0, 3, 3), (8,)], (1, 3, 5, 5), (1, 8, 5, 5),
     "Conv2D(3 -> 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
     [(8, 3, 3, 3), (8,)]),
    (lambda: nn.Conv2D(8, (3, 2), strides=2, padding=(1, 0), dilation=(2, 1), groups=2,
                       use_bias=False, activation="relu"),
     "Conv2D(None -> 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 0), dilation=(2, 1), "
     "groups=2, bias=False, Activation(relu))",
     [(8, 0, 3, 2)], (1, 4, 9, 9), (1, 8, 4, 4),
     "Conv2D(2 -> 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 0), dilation=(2, 1), "
     "groups=2, bias=False, Activation(relu))",
     [(8, 2, 3, 2)]),
    # (MXNet prints weight.shape[1] as the input side: the kernel height for NHWC)
    (lambda: nn.Conv2D(8, 3, layout="NHWC"),
     "Conv2D(3 -> 8, kernel_size=(3, 3), stride=(1, 1))", [(8, 3, 3, 0), (8,)],
     (1, 5, 5, 3), (1, 3, 3, 8), "Conv2D(3 -> 8, kernel_size=(3, 3), stride=(1, 1))",
     [(8, 3, 3, 3), (8,)]),
    (lambda: nn.Conv1D(4, 3, strides=2, dilation=2),
     "Conv1D(None -> 4, kernel_size=(3,), stride=(2,), dilation=(2,))", [(4, 0, 3), (4,)],
     (2, 3, 10), (2, 4, 3), "Conv1D(3 -> 4, kernel_size=(3,), stride=(2,), dilation=(2,))",
     [(4, 3, 3), (4,)]),
    (lambda: nn.Conv3D(4, 2, padding=1, groups=2),
     "Conv3D(None -> 4, kernel_size=(2, 2, 2), stride=(1, 1, 1), padding=(1, 1, 1), groups=2)",
     [(4, 0, 2, 2, 2), (4,)], (1, 2, 3, 3, 3), (1, 4, 4, 4, 4),
     "Conv3D(1 -> 4, kernel_size=(2, 2, 2), stride=(1, 1, 1), padding=(1, 1, 1), groups=2)",
     [(4, 1, 2, 2, 2), (4,)]),
    (lambda: nn.Conv3D(4, 2, layout="NDHWC"),
     "Conv3D(2 -> 4, kernel_size=(2, 2, 2), stride=(1, 1, 1))", [(4, 2, 2, 2, 0), (4,)],
     (1, 3, 3, 3, 2), (1, 2, 2, 2, 4), "Conv3D(2 -> 4, kernel_size=(2, 2, 2), stride=(1, 1, 1))",
     [(4, 2, 2, 2, 2), (4,)]),
    # (transposed: MXNet prints weight.shape[1] -> weight.shape[0], i.e. out -> in, and
    # never output_padding)
    (lambda: nn.Conv1DTranspose(4, 3, strides=2, output_padding=1),
     "Conv1DTranspose(4 -> 0, kernel_size=(3,), stride=(2,))", [(0, 4, 3), (4,)],
     (2, 3, 5), (2, 4, 12), "Conv1DTranspose(4 -> 3, kernel_size=(3,), stride=(2,))",
     [(3, 4, 3), (4,)]),
    (lambda: nn.Conv2DTranspose(4, 3, strides=2, padding=1, output_padding=1, groups=2,
                                in_channels=6),
     "Conv2DTranspose(2 -> 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2)",
     [(6, 2, 3, 3), (4,)], (1, 6, 4, 4), (1, 4, 8, 8),
     "Conv2DTranspose(2 -> 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2)",
     [(6, 2, 3, 3), (4,)]),
    (lambda: nn.Conv2DTranspose(4, 3, layout="NHWC"),
     "Conv2DTranspose(3 -> 0, kernel_size=(3, 3), stride=(1, 1))", [(0, 3, 3, 4), (4,)],
     (1, 4, 4, 6), (1, 6, 6, 4), "Conv2DTranspose(3 -> 6, kernel_size=(3, 3), stride=(1, 1))",
     [(6, 3, 3, 4), (4,)]),
    (lambda: nn.Conv3DTranspose(4, 2, strides=2, activation="tanh", use_bias=False),
     "Conv3DTranspose(4 -> 0, kernel_size=(2, 2, 2), stride=(2, 2, 2), bias=False, "
     "Activation(tanh))", [(0, 4, 2, 2, 2)], (1, 2, 2, 2, 2), (1, 4, 4, 4, 4),
     "Conv3DTranspose(4 -> 2, kernel_size=(2, 2, 2), stride=(2, 2, 2), bias=False, "
     "Activation(tanh))", [(2, 4, 2, 2, 2)]),
]


@pytest.mark.parametrize("make, before, shapes, x_shape, y_shape, after, shapes_after",
                         MXNET_CONVS)
def test_conv_parameters_repr_and_deferred_in_channels_as_mxnet(make, before, shapes, x_shape,
                                                                y_shape, after, shapes_after):
    with mx.name.NameManager():
        layer = make()
    names = ["conv0_weight", "conv0_bias"][:len(shapes)]
    assert list(layer.collect_params().keys()) == names
    assert repr(layer) == before
    assert [p.shape for p in layer.collect_params().values()] == shapes
    layer.initialize()
    assert layer(nd.ones(x_shape)).shape == y_shape
    assert repr(layer) == after
    assert [p.shape for p in layer.collect_params().values()] == shapes_after


def test_conv_with_in_channels_is_initialised_at_once():
    layer = nn.Conv2DTranspose(4, 3, in_channels=5)
    assert repr(layer) == "Conv2DTranspose(4 -> 5, kernel_size=(3, 3), stride=(1, 1))"
    layer.initialize()
    assert layer.weight.data().shape == (5, 4, 3, 3)


def test_conv_activation_is_a_child_named_after_it():
    with mx.name.NameManager():
        layer = nn.Conv2D(2, 1, activation="relu")
    assert layer.act.prefix == "conv0_relu_"
    assert layer.bias.name == "conv0_bias"


def test_deferred_shapes_are_set_when_the_first_call_is_hybridized():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1), nn.Conv2DTranspose(6, 2, strides=2, groups=2),
                nn.GlobalMaxPool2D())
    net.initialize()
    net.hybridize()
    assert net(nd.ones((2, 3, 5, 5))).shape == (2, 6, 1, 1)
    assert net[0].weight.shape == (4, 3, 3, 3)
    assert net[1].weight.shape == (4, 3, 2, 2)


# ---- pooling and padding -----------------------------------------------------------------

POOL_CASES = {
    "max 1d": (lambda: nn.MaxPool1D(3, 2, 1), (2, 3, 8),
               lambda x: np_pool(x, (3,), (2,), (1,), "max")),
    "max 1d ceil channels last": (
        lambda: nn.MaxPool1D(2, layout="NWC", ceil_mode=True), (2, 7, 3),
        lambda x: last(np_pool(first(x), (2,), (2,), (0,), "max", ceil_mode=True))),
    "max 2d default": (lambda: nn.MaxPool2D(), (2, 3, 6, 5),
                       lambda x: np_pool(x, (2, 2), (2, 2), (0, 0), "max")),
    "max 2d ceil padded": (
        lambda: nn.MaxPool2D((3, 2), (2, 1), (1, 0), ceil_mode=True), (1, 2, 7, 6),
        lambda x: np_pool(x, (3, 2), (2, 1), (1, 0), "max", ceil_mode=True)),
    "max 2d channels last": (
        lambda: nn.MaxPool2D(3, 2, 1, layout="NHWC"), (1, 6, 5, 2),
        lambda x: last(np_pool(first(x), (3, 3), (2, 2), (1, 1), "max"))),
    "max 3d": (lambda: nn.MaxPool3D((2, 2, 3), (2, 1, 2), (1, 0, 1), ceil_mode=True),
               (1, 1, 6, 4, 5),
               lambda x: np_pool(x, (2, 2, 3), (2, 1, 2), (1, 0, 1), "max", ceil_mode=True)),
    "avg 1d": (lambda: nn.AvgPool1D(3, 2, 1), (2, 3, 7),
               lambda x: np_pool(x, (3,), (2,), (1,), "avg")),
    "avg 1d without pad": (
        lambda: nn.AvgPool1D(3, 2, 1, count_include_pad=False, ceil_mode=True), (2, 3, 7),
        lambda x: np_pool(x, (3,), (2,), (1,), "avg", True, False)),
    "avg 2d": (lambda: nn.AvgPool2D((3, 2), (2, 1), (1, 1), ceil_mode=True), (1, 2, 7, 6),
               lambda x: np_pool(x, (3, 2), (2, 1), (1, 1), "avg", ceil_mode=True)),
    "avg 2d without pad channels last": (
        lambda: nn.AvgPool2D(3, 1, 1, layout="NHWC", count_include_pad=False), (1, 4, 5, 3),
        lambda x: last(np_pool(first(x), (3, 3), (1, 1), (1, 1), "avg", False, False))),
    "avg 3d": (lambda: nn.AvgPool3D(2, padding=(1, 0, 0)), (1, 2, 3, 4, 4),
               lambda x: np_pool(x, (2, 2, 2), (2, 2, 2), (1, 0, 0), "avg")),
    "avg 3d channels last": (
        lambda: nn.AvgPool3D(layout="NDHWC"), (1, 4, 2, 4, 3),
        lambda x: last(np_pool(first(x), (2, 2, 2), (2, 2, 2), (0, 0, 0), "avg"))),
    "global max 1d": (lambda: nn.GlobalMaxPool1D(), (2, 3, 5),
                      lambda x: x.max(axis=2, keepdims=True)),
    "global max 2d channels last": (lambda: nn.GlobalMaxPool2D(layout="NHWC"), (2, 3, 4, 5),
                                    lambda x: x.max(axis=(1, 2), keepdims=True)),
    "global max 3d": (lambda: nn.GlobalMaxPool3D(), (1, 2, 3, 2, 3),
                      lambda x: x.max(axis=(2, 3, 4), keepdims=True)),
    "global avg 1d channels last": (lambda: nn.GlobalAvgPool1D(layout="NWC"), (2, 5, 3),
                                    lambda x: x.mean(axis=1, keepdims=True)),
    "global avg 2d": (lambda: nn.GlobalAvgPool2D(), (2, 3, 4, 5),
                      lambda x: x.mean(axis=(2, 3), keepdims=True)),
    "global avg 3d": (lambda: nn.GlobalAvgPool3D(), (1, 2, 3, 2, 3),
                      lambda x: x.mean(axis=(2, 3, 4), keepdims=True)),
    "reflection pad": (lambda: nn.ReflectionPad2D(2), (1, 2, 4, 5),
                       lambda x: np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), mode="reflect")),
    "reflection pad by axis": (
        lambda: nn.ReflectionPad2D((0, 0, 0, 0, 1, 2, 3, 0)), (1, 2, 4, 5),
        lambda x: np.pad(x, ((0, 0), (0, 0), (1, 2), (3, 0)), mode="reflect")),
}


@pytest.mark.parametrize("case", list(POOL_CASES))
def test_pooling_and_padding_match_numpy_and_hybridize(case):
    make, shape, reference = POOL_CASES[case]
    assert check_layer(make, shape, lambda x, p: reference(x)) == {}


def test_max_pooling_gradient_goes_to_each_windows_maximum():
    x = nd.array([[[1.0, 5.0, 2.0, 2.0, 7.0, 3.0]]])
    x.attach_grad()
    with autograd.record():
        y = nn.MaxPool1D(2)(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[[0, 1, 1, 0, 1, 0]]])


MXNET_POOLS = [
    (nn.MaxPool1D, "MaxPool1D(size=(2,), stride=(2,), padding=(0,), ceil_mode=False, "
                   "global_pool=False, pool_type=max, layout=NCW)"),
    (nn.MaxPool2D, "MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, "
                   "global_pool=False, pool_type=max, layout=NCHW)"),
    (nn.MaxPool3D, "MaxPool3D(size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0), "
                   "ceil_mode=False, global_pool=False, pool_type=max, layout=NCDHW)"),
    (nn.AvgPool1D, "AvgPool1D(size=(2,), stride=(2,), padding=(0,), ceil_mode=False, "
                   "global_pool=False, pool_type=avg, layout=NCW)"),
    (nn.AvgPool2D, "AvgPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, "
                   "global_pool=False, pool_type=avg, layout=NCHW)"),
    (nn.AvgPool3D, "AvgPool3D(size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0), "
                   "ceil_mode=False, global_pool=False, pool_type=avg, layout=NCDHW)"),
    (nn.GlobalMaxPool1D, "GlobalMaxPool1D(size=(1,), stride=(1,), padding=(0,), "
                         "ceil_mode=True, global_pool=True, pool_type=max, layout=NCW)"),
    (nn.GlobalMaxPool2D, "GlobalMaxPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), "
                         "ceil_mode=True, global_pool=True, pool_type=max, layout=NCHW)"),
    (nn.GlobalMaxPool3D, "GlobalMaxPool3D(size=(1, 1, 1), stride=(1, 1, 1), padding=(0, 0, 0),"
                         " ceil_mode=True, global_pool=True, pool_type=max, layout=NCDHW)"),
    (nn.GlobalAvgPool1D, "GlobalAvgPool1D(size=(1,), stride=(1,), padding=(0,), "
                         "ceil_mode=True, global_pool=True, pool_type=avg, layout=NCW)"),
    (nn.GlobalAvgPool2D, "GlobalAvgPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), "
                         "ceil_mode=True, global_pool=True, pool_type=avg, layout=NCHW)"),
    (nn.GlobalAvgPool3D, "GlobalAvgPool3D(size=(1, 1, 1), stride=(1, 1, 1), padding=(0, 0, 0),"
                         " ceil_mode=True, global_pool=True, pool_type=avg, layout=NCDHW)"),
    (lambda: nn.MaxPool2D(3, 2, 1, ceil_mode=True, layout="NHWC"),
     "MaxPool2D(size=(3, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True, "
     "global_pool=False, pool_type=max, layout=NHWC)"),
    (lambda: nn.AvgPool2D(3, 1, 1, count_include_pad=False),
     "AvgPool2D(size=(3, 3), stride=(1, 1), padding=(1, 1), ceil_mode=False, "
     "global_pool=False, pool_type=avg, layout=NCHW)"),
    (lambda: nn.AvgPool1D((3,), (2,), (1,)),
     "AvgPool1D(size=(3,), stride=(2,), padding=(1,), ceil_mode=False, global_pool=False, "
     "pool_type=avg, layout=NCW)"),
    (lambda: nn.ReflectionPad2D(2), "ReflectionPad2D(\n\n)"),
]


@pytest.mark.parametrize("make, printed", MXNET_POOLS)
def test_pooling_repr_as_mxnet(make, printed):
    layer = make()
    assert repr(layer) == printed
    assert not layer.collect_params().keys()


def test_pooling_and_padding_names_as_mxnet():
    with mx.name.NameManager():
        names = [nn.MaxPool2D().name, nn.GlobalAvgPool2D().name, nn.ReflectionPad2D().name,
                 nn.Conv2DTranspose(2, 1).name]
    assert names == ["pool0", "pool1", "reflectionpad2d0", "conv0"]


# ---- errors ------------------------------------------------------------------------------


def called(layer: nn.HybridBlock, shape: tuple[int, ...]) -> None:
    layer.initialize()
    layer(nd.ones(shape))


ERRORS = [
    # (MXNet 1.9.1 raises AssertionError for these, at construction)
    (lambda: nn.Conv2D(8, 3, layout="NCW"), AssertionError, "layout must be one of"),
    (lambda: nn.Conv3DTranspose(8, 3, layout="NCHW"), AssertionError, "layout must be one of"),
    (lambda: nn.Conv2D(8, (3, 3, 3)), AssertionError, "kernel_size must be a number or a list "
                                                      "of 2 ints"),
    (lambda: nn.Conv2DTranspose(8, 3, output_padding=(1, 1, 1)), AssertionError,
     "output_padding must be"),
    (lambda: nn.MaxPool2D(layout="NCW"), AssertionError, "layout must be one of"),
    (lambda: nn.GlobalAvgPool3D(layout="NHWC"), AssertionError, "layout must be one of"),
    (lambda: nn.AvgPool1D((2, 2)), AssertionError, "pool_size must be"),
    (lambda: nn.ReflectionPad2D((1, 1)), AssertionError, "8 widths"),
    # (MXNetError in MXNet, from its shape inference at construction)
    (lambda: nn.Conv2D(8, 3, strides=(1, 1, 1)), MXNetError, "strides must be"),
    (lambda: nn.Conv1D(8, 3, padding=(1, 1)), MXNetError, "padding must be"),
    (lambda: nn.Conv2D(8, (3, 0)), MXNetError, "must be positive"),
    (lambda: nn.Conv2D(0, 3), MXNetError, "must be positive"),
    (lambda: nn.Conv2D(8, 3, groups=3), MXNetError, "groups=3 must divide channels"),
    (lambda: nn.Conv2D(8, 3, groups=2, in_channels=3), MXNetError,
     "groups=2 must divide in_channels"),
    # (at the first call: MXNet raises ValueError when shapes were deferred, else MXNetError;
    # ShapeError and ParamError are both)
    (lambda: called(nn.Conv2D(8, 3), (1, 3, 5)), ValueError, "expects 4-D input in layout NCHW"),
    (lambda: called(nn.Conv2D(8, 3, layout="NHWC"), (1, 3, 5)), MXNetError, "expects 4-D"),
    (lambda: called(nn.Conv2D(8, 3, in_channels=4), (1, 3, 5, 5)), MXNetError,
     r"must have shape \(8, 3, 3, 3\), got \(8, 4, 3, 3\)"),
    (lambda: called(nn.Conv2D(8, 7), (1, 3, 5, 5)), ValueError, "does not fit data"),
    (lambda: called(nn.Conv2D(8, 3, groups=2), (1, 3, 5, 5)), ValueError,
     "groups=2 must divide the 3 input channels"),
    (lambda: called(nn.Conv2DTranspose(4, 3, output_padding=1), (1, 2, 3, 3)), MXNetError,
     "must be smaller than stride"),
    (lambda: called(nn.MaxPool2D(), (1, 3, 5)), MXNetError, "expects 4-D input"),
    (lambda: called(nn.GlobalAvgPool2D(), (1, 3, 5)), MXNetError, "expects 4-D input"),
    (lambda: called(nn.MaxPool2D(7), (1, 3, 5, 5)), MXNetError, "larger than the data"),
    (lambda: called(nn.ReflectionPad2D(1), (1, 3, 5)), MXNetError, "pad_width needs"),
]


@pytest.mark.parametrize("fn, error, message", ERRORS)
def test_errors(fn, error, message):
    with pytest.raises(error, match=message):
        fn()


# ---- a network MXNet trained ---------------------------------------------------------


def test_load_mxnet_cnn_fixture_and_reproduce_its_output():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(8, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
                nn.MaxPool2D(2), nn.Conv2D(16, 3, strides=2), nn.LeakyReLU(0.1),
                nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dropout(0.5), nn.Dense(10))
    net.load_parameters(str(FIXTURES / "cnn.params"))
    x = nd.array(np.load(FIXTURES / "cnn_input.npy"))
    expected = np.load(FIXTURES / "cnn_output.npy")
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-4, atol=1e-5)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-4, atol=1e-5)
    assert repr(net[4]) == "Conv2D(8 -> 16, kernel_size=(3, 3), stride=(2, 2))"
