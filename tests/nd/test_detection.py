"""mx.nd.contrib's detection operators against NumPy references written here (float64
loops in the order MXNet 1.9.1's kernels work), eagerly and under `mx.jit`, their gradients
and their errors. A few expected values are copied from real MXNet output (said where)."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError
from tests.helpers import check_grads

C = mx.nd.contrib
TOL = {"float16": 2e-2, "float32": 1e-5, "float64": 1e-10}


def _close(got: mx.nd.NDArray, want: np.ndarray, dtype: str = "float32") -> None:
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    np.testing.assert_allclose(got.asnumpy().astype(np.float64), want, rtol=TOL[dtype],
                               atol=TOL[dtype])


def _eager_and_jit(f, *args, jit: bool = True):  # type: ignore[no-untyped-def]
    """f(*args) eagerly, checked against the same call under mx.jit (fused kernels may
    round the last bit differently); `jit=False` skips the check (to save compiles)."""
    eager = f(*args)
    if not jit:
        return eager
    traced = mx.jit(f)(*args)
    for e, t in zip(eager if isinstance(eager, list) else [eager],
                    traced if isinstance(traced, (list, tuple)) else [traced]):
        assert e.shape == t.shape and e.dtype == t.dtype
        np.testing.assert_allclose(e.asnumpy(), t.asnumpy(), rtol=1e-6, atol=1e-6)
    return eager


def _boxes(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    corner = rng.uniform(0, 1, shape + (2,))
    return np.concatenate([corner, corner + rng.uniform(0.05, 0.5, shape + (2,))], axis=-1)


# ---- references ------------------------------------------------------------------------------


def _ref_iou(a: np.ndarray, b: np.ndarray, fmt: str) -> float:
    if fmt == "center":
        a = np.array([a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2])
        b = np.array([b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2])
    w = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    h = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    inter = w * h
    if inter <= 0:
        return 0.0
    area = [max(x[2] - x[0], 0) * max(x[3] - x[1], 0) for x in (a, b)]
    return float(inter / (area[0] + area[1] - inter))


def _ref_nms(data: np.ndarray, thresh: float = 0.5, valid: float = 0.0, topk: int = -1,
             cs: int = 2, si: int = 1, ii: int = -1, bg: int = -1, force: bool = False,
             fin: str = "corner", fout: str = "corner") -> np.ndarray:
    n, width = data.shape[-2:]
    rows = data.reshape(-1, n, width).astype(np.float64)
    out = -np.ones_like(rows)
    for b, batch in enumerate(rows):
        cand = [i for i in range(n) if batch[i, si] > valid and (ii < 0 or batch[i, ii] != bg)]
        cand = sorted(cand, key=lambda i: -batch[i, si])[:n if topk < 0 else topk]
        kept: list[int] = []
        for i in cand:
            if all(_ref_iou(batch[k, cs:cs + 4], batch[i, cs:cs + 4], fin) <= thresh
                   or (ii >= 0 and not force and int(batch[k, ii]) != int(batch[i, ii]))
                   for k in kept):
                kept.append(i)
        for slot, i in enumerate(kept):
            out[b, slot] = batch[i]
            x1, y1, x2, y2 = batch[i, cs:cs + 4]
            if fin == "corner" and fout == "center":
                out[b, slot, cs:cs + 4] = [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]
            elif fin == "center" and fout == "corner":
                out[b, slot, cs:cs + 4] = [x1 - x2 / 2, y1 - y2 / 2, x1 + x2 / 2, y1 + y2 / 2]
    return out.reshape(data.shape)


def _ref_matching(scores: np.ndarray, thresh: float, ascend: bool = False, topk: int = -1
                  ) -> tuple[np.ndarray, np.ndarray]:
    n, m = scores.shape[-2:]
    flat = scores.reshape(-1, n, m)
    rows, cols = -np.ones(flat.shape[:2]), -np.ones((flat.shape[0], m))
    for b, s in enumerate(flat):
        order = sorted(range(n * m), key=lambda j: s.flat[j] if ascend else -s.flat[j])
        count = 0
        for j in order:
            r, c = divmod(j, m)
            if rows[b, r] >= 0 or cols[b, c] >= 0:
                continue
            if (s.flat[j] >= thresh) if ascend else (s.flat[j] <= thresh):
                break
            rows[b, r], cols[b, c] = c, r
            count += 1
            if 0 < topk < count:  # (MXNet's kernel: topk + 1 matches)
                break
    return rows.reshape(scores.shape[:-1]), cols.reshape(scores.shape[:-2] + (m,))


def _center(box: np.ndarray) -> tuple[np.ndarray, ...]:
    w, h = box[..., 2] - box[..., 0], box[..., 3] - box[..., 1]
    return box[..., 0] + w / 2, box[..., 1] + h / 2, w, h


def _ref_decode(d: np.ndarray, anchors: np.ndarray, stds: tuple[float, ...], clip: float,
                fmt: str) -> np.ndarray:
    ax, ay, aw, ah = _center(anchors) if fmt == "corner" else np.moveaxis(anchors, -1, 0)
    ox, oy = d[..., 0] * stds[0] * aw + ax, d[..., 1] * stds[1] * ah + ay
    dw, dh = d[..., 2] * stds[2], d[..., 3] * stds[3]
    if clip > 0:
        dw, dh = np.minimum(dw, clip), np.minimum(dh, clip)
    ow, oh = np.exp(dw) * aw / 2, np.exp(dh) * ah / 2
    return np.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1)


# ---- box_iou, box_encode, box_decode ---------------------------------------------------------


def test_box_iou_matches_mxnet_example_and_numpy() -> None:
    x = mx.nd.array([[0.5, 0.5, 1.0, 1.0], [0.0, 0.0, 0.5, 0.5]])
    got = C.box_iou(x, mx.nd.array([[0.25, 0.25, 0.75, 0.75]]))
    np.testing.assert_allclose(got.asnumpy(), [[0.14285715], [0.14285715]])  # (MXNet 1.9.1)
    rng = np.random.default_rng(0)
    a, b = _boxes(rng, (2, 3)), _boxes(rng, (5,))
    b[0] = [0.9, 0.9, 0.8, 0.95]  # a box with a negative side has no area
    for fmt, dtypes in (("corner", ("float16", "float32", "float64")), ("center", ("float32",))):
        want = np.array([[_ref_iou(p, q, fmt) for q in b] for p in a.reshape(-1, 4)])
        for dtype in dtypes:
            f = lambda u, v, fmt=fmt: C.box_iou(u, v, format=fmt)  # noqa: E731
            got = _eager_and_jit(f, mx.nd.array(a, dtype=dtype), mx.nd.array(b, dtype=dtype),
                                 jit=dtype == "float32")
            assert got.shape == (2, 3, 5)
            _close(got, want.reshape(2, 3, 5), dtype)


def test_box_iou_encode_decode_have_zero_gradients_as_in_mxnet() -> None:
    a, b = mx.nd.array(_boxes(np.random.default_rng(1), (3,))), mx.nd.ones((2, 4))
    ga, gb = mx.grad(lambda u, v: C.box_iou(u, v).sum(), argnums=(0, 1))(a, b)
    assert not ga.asnumpy().any() and not gb.asnumpy().any()
    d = mx.nd.ones((1, 3, 4))
    g = mx.grad(lambda v: C.box_decode(v, a.reshape((1, 3, 4))).sum())(d)
    assert not g.asnumpy().any()


def test_box_encode_matches_numpy_and_clips_bad_matches() -> None:
    rng = np.random.default_rng(2)
    samples = np.array([[1, -1, 0, 1, 1], [0, 1, 1, -1, 1]], np.float32)
    matches = np.array([[0, 2, 1, 3, 7], [1, 0, 2, 2, -3]], np.float32)  # 7, -3: clipped
    anchors, refs = _boxes(rng, (2, 5)), _boxes(rng, (2, 4))
    means, stds = np.array([0, 0.1, 0, 0.2]), np.array([0.1, 0.1, 0.2, 0.2])
    ref = np.take_along_axis(refs, np.clip(matches, 0, 3).astype(int)[..., None], axis=1)
    (rx, ry, rw, rh), (ax, ay, aw, ah) = _center(ref), _center(anchors)
    raw = np.stack([(rx - ax) / aw, (ry - ay) / ah, np.log(rw / aw), np.log(rh / ah)], -1)
    positive = (samples > 0.5)[..., None]
    want = np.where(positive, (raw - means) / stds, 0)
    args = [mx.nd.array(v) for v in (samples, matches, anchors, refs, means, stds)]
    targets, masks = _eager_and_jit(C.box_encode, *args)
    _close(targets, want)
    _close(masks, np.broadcast_to(positive, want.shape).astype(np.float64))


@pytest.mark.parametrize("fmt", ["center", "corner"])
def test_box_decode_matches_numpy(fmt: str) -> None:
    rng = np.random.default_rng(3)
    d = rng.normal(0, 0.5, (2, 4, 4))
    anchors = _boxes(rng, (1, 4))
    for stds, clip in (((1.0,) * 4, -1.0), ((0.1, 0.2, 0.3, 0.4), 0.1)):
        f = lambda v, a, s=stds, c=clip: C.box_decode(  # noqa: E731
            v, a, std0=s[0], std1=s[1], std2=s[2], std3=s[3], clip=c, format=fmt)
        got = _eager_and_jit(f, mx.nd.array(d, dtype="float64"),
                             mx.nd.array(anchors, dtype="float64"))
        _close(got, _ref_decode(d, anchors, stds, clip, fmt), "float64")


@pytest.mark.parametrize("call, error, match", [
    (lambda: C.box_iou(mx.nd.ones((2, 3)), mx.nd.ones((2, 4))), ShapeError, "lhs must be"),
    (lambda: C.box_iou(mx.nd.ones((2, 4)), mx.nd.ones((2, 4)), format="xywh"), ParamError,
     "corner"),
    (lambda: C.box_iou(mx.nd.ones((2, 4)), mx.nd.ones((2, 4), dtype="float64")), DTypeError,
     "one floating-point dtype"),
    (lambda: C.box_encode(*[mx.nd.ones(s) for s in ((1, 2), (1, 2), (1, 2, 4), (1, 3, 4),
                                                     (4,), (3,))]), ShapeError, "stds"),
    (lambda: C.box_encode(*[mx.nd.ones(s) for s in ((1, 2), (1, 2), (1, 2, 4), (2, 3, 4),
                                                     (4,), (4,))]), ShapeError, "refs"),
    (lambda: C.box_decode(mx.nd.ones((1, 2, 4)), mx.nd.ones((2, 2, 4))), ShapeError,
     r"\(1, 2, 4\)"),
])
def test_box_geometry_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


# ---- box_nms -----------------------------------------------------------------------------------

_DOC_EXAMPLE = [[0, 0.5, 0.1, 0.1, 0.2, 0.2], [1, 0.4, 0.1, 0.1, 0.2, 0.2],
                [0, 0.3, 0.1, 0.1, 0.14, 0.14], [2, 0.6, 0.5, 0.5, 0.7, 0.8]]


def test_box_nms_matches_mxnet_documented_example_and_its_gradient() -> None:
    x = mx.nd.array(_DOC_EXAMPLE)
    x.attach_grad()
    with mx.autograd.record():
        y = C.box_nms(x, overlap_thresh=0.1, coord_start=2, score_index=1, id_index=0,
                      force_suppress=True)
    # (expected values and gradient from MXNet 1.9.1's documentation, checked against it)
    np.testing.assert_allclose(y.asnumpy(), [[2, 0.6, 0.5, 0.5, 0.7, 0.8],
                                             [0, 0.5, 0.1, 0.1, 0.2, 0.2], [-1] * 6, [-1] * 6])
    y.backward(mx.nd.array([[0.1] * 6, [0.2] * 6, [0.3] * 6, [0.4] * 6]))
    np.testing.assert_allclose(x.grad.asnumpy(), [[0.2] * 6, [0] * 6, [0] * 6, [0.1] * 6])
    alias = C.box_non_maximum_suppression(x, overlap_thresh=0.1, id_index=0)
    np.testing.assert_allclose(alias.asnumpy()[2], [1, 0.4, 0.1, 0.1, 0.2, 0.2])


def _nms_rows(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    ids = rng.integers(0, 3, shape + (1,)).astype(np.float64)
    return np.concatenate([ids, rng.uniform(0, 1, shape + (1,)), _boxes(rng, shape),
                           rng.uniform(0, 1, shape + (1,))], axis=-1)


@pytest.mark.parametrize("params", [
    dict(thresh=0.3), dict(thresh=0.3, ii=0), dict(thresh=0.2, ii=0, force=True, topk=4),
    dict(thresh=0.5, valid=0.4, ii=0, bg=1), dict(thresh=0.3, fin="center"),
    dict(thresh=0.3, fout="center"), dict(thresh=0.4, cs=3, si=0, ii=2),
])
def test_box_nms_matches_numpy(params: dict) -> None:
    rng = np.random.default_rng(4)
    data = _nms_rows(rng, (2, 3, 9))
    if params.get("cs") == 3:  # [score, extra, id, coordinates]
        data = data[..., [1, 6, 0, 2, 3, 4, 5]]
    names = dict(thresh="overlap_thresh", valid="valid_thresh", topk="topk", cs="coord_start",
                 si="score_index", ii="id_index", bg="background_id", force="force_suppress",
                 fin="in_format", fout="out_format")
    kwargs = {names[k]: v for k, v in params.items()}
    want = _ref_nms(data, **params)
    for dtype in ("float32", "float64"):
        got = _eager_and_jit(lambda v: C.box_nms(v, **kwargs), mx.nd.array(data, dtype=dtype))
        _close(got, want, dtype)


def test_box_nms_filters_nan_scores_keeps_empty_and_topk_zero() -> None:
    data = _nms_rows(np.random.default_rng(5), (6,))
    data[1, 1] = np.nan
    got = C.box_nms(mx.nd.array(data), overlap_thresh=0.3)
    _close(got, _ref_nms(np.where(np.isnan(data), -1.0, data), thresh=0.3))
    same = C.box_nms(mx.nd.array(data), topk=0)  # (MXNet: topk < 1 returns the data)
    np.testing.assert_array_equal(same.asnumpy(), data.astype(np.float32))
    assert C.box_nms(mx.nd.zeros((2, 0, 6))).shape == (2, 0, 6)
    one = C.box_nms(mx.nd.array(data[:1]), overlap_thresh=0.3)
    np.testing.assert_array_equal(one.asnumpy(), data[:1].astype(np.float32))
    none = C.box_nms(mx.nd.array(data), valid_thresh=2.0)
    assert (none.asnumpy() == -1).all()


def test_box_nms_gradient_follows_the_kept_rows() -> None:
    data = _nms_rows(np.random.default_rng(6), (1, 5))
    check_grads(lambda v: C.box_nms(v, overlap_thresh=0.3, out_format="center") * v[0, 0, 1],
                [data], order=2)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(shape=(4,)), ShapeError, "at least 2 dims"),
    (dict(shape=(3, 4)), ShapeError, "at least 5 values"),
    (dict(shape=(3, 6), id_index=0), None, None),
    (dict(shape=(3, 5), id_index=0), ShapeError, "at least 6 values"),
    (dict(shape=(3, 6), coord_start=3), ParamError, "out of range"),
    (dict(shape=(3, 6), score_index=7), ParamError, "score_index=7 out of range"),
    (dict(shape=(3, 6), score_index=3), ParamError, "conflicts with the coordinates"),
    (dict(shape=(3, 6), id_index=2), ParamError, "id_index=2 conflicts"),
    (dict(shape=(3, 6), id_index=1), ParamError, "both 1"),
    (dict(shape=(3, 6), in_format="xyxy"), ParamError, "in_format"),
    (dict(shape=(3, 6), dtype="int32"), DTypeError, "floating-point"),
])
def test_box_nms_errors(kwargs: dict, error, match) -> None:  # type: ignore[no-untyped-def]
    shape, dtype = kwargs.pop("shape"), kwargs.pop("dtype", "float32")
    call = lambda: C.box_nms(mx.nd.ones(shape, dtype=dtype), **kwargs)  # noqa: E731
    if error is None:
        assert call().shape == shape
        return
    with pytest.raises(error, match=match):
        call()


# ---- bipartite_matching ----------------------------------------------------------------------


def test_bipartite_matching_matches_mxnet_example_and_numpy() -> None:
    s = mx.nd.array([[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]])
    rows, cols = C.bipartite_matching(s, threshold=1e-12)
    assert rows.asnumpy().tolist() == [1, -1, 0] and cols.asnumpy().tolist() == [2, 0]
    rng = np.random.default_rng(7)
    scores = rng.uniform(0, 1, (2, 3, 5, 4))
    for kwargs in (dict(threshold=0.1), dict(threshold=0.6, is_ascend=True),
                   dict(threshold=0.05, topk=1), dict(threshold=0.05, topk=2)):
        want = _ref_matching(scores, kwargs["threshold"], kwargs.get("is_ascend", False),
                             kwargs.get("topk", -1))
        for dtype in ("float32", "float64"):
            got = _eager_and_jit(lambda v, kw=kwargs: C.bipartite_matching(v, **kw),
                                 mx.nd.array(scores, dtype=dtype))
            _close(got[0], want[0], dtype)
            _close(got[1], want[1], dtype)
    empty = C.bipartite_matching(mx.nd.zeros((2, 0, 3)), threshold=0.5)
    assert empty[0].shape == (2, 0) and empty[1].asnumpy().tolist() == [[-1] * 3] * 2


def test_bipartite_matching_errors() -> None:
    with pytest.raises(ParamError, match="'threshold' is required"):
        C.bipartite_matching(mx.nd.ones((2, 2)))
    with pytest.raises(ShapeError, match="score matrix"):
        C.bipartite_matching(mx.nd.ones((3,)), threshold=0.5)
    with pytest.raises(DTypeError, match="floating-point"):
        C.bipartite_matching(mx.nd.ones((2, 2), dtype="int64"), threshold=0.5)


# ---- MultiBoxPrior -------------------------------------------------------------------------


def _ref_prior(h: int, w: int, sizes: tuple, ratios: tuple, steps: tuple = (-1, -1),
               offsets: tuple = (0.5, 0.5), clip: bool = False) -> np.ndarray:
    sy, sx = steps if steps[0] > 0 else (1 / h, 1 / w)
    shapes = [(s, np.sqrt(ratios[0])) for s in sizes] + [(sizes[0], np.sqrt(r))
                                                          for r in ratios[1:]]
    out = []
    for r in range(h):
        for c in range(w):
            cy, cx = (r + offsets[0]) * sy, (c + offsets[1]) * sx
            for size, ratio in shapes:
                hw, hh = size * h / w * ratio / 2, size / ratio / 2
                out.append([cx - hw, cy - hh, cx + hw, cy + hh])
    boxes = np.array(out)[None]
    return np.clip(boxes, 0, 1) if clip else boxes


def test_multibox_prior_matches_mxnet_values_and_numpy() -> None:
    got = C.MultiBoxPrior(mx.nd.ones((1, 1, 1, 2)), sizes=(0.5,), ratios=(1, 4))
    np.testing.assert_allclose(got.asnumpy(), [[[0.125, 0.25, 0.375, 0.75],  # (MXNet 1.9.1)
                                                [0.0, 0.375, 0.5, 0.625],
                                                [0.625, 0.25, 0.875, 0.75],
                                                [0.5, 0.375, 1.0, 0.625]]], rtol=1e-6)
    data = mx.nd.ones((2, 3, 3, 4))
    for kwargs in (dict(), dict(sizes=(0.5, 0.25), ratios=(1, 2, 0.5)),
                   dict(sizes=(0.3,), ratios=(1, 3), clip=True, steps=(0.2, 0.1),
                        offsets=(0.2, 0.7))):
        got = _eager_and_jit(lambda v, kw=kwargs: C.MultiBoxPrior(v, **kw), data)
        want = _ref_prior(3, 4, kwargs.get("sizes", (1,)), kwargs.get("ratios", (1,)),
                          kwargs.get("steps", (-1, -1)), kwargs.get("offsets", (0.5, 0.5)),
                          kwargs.get("clip", False))
        _close(got, want)
    assert not mx.grad(lambda v: C.MultiBoxPrior(v).sum())(data).asnumpy().any()


@pytest.mark.parametrize("call, error, match", [
    (lambda: C.MultiBoxPrior(mx.nd.ones((1, 1, 2, 2), dtype="float64")), DTypeError,
     "float32"),
    (lambda: C.MultiBoxPrior(mx.nd.ones((1, 2, 2))), ShapeError, "height, width"),
    (lambda: C.MultiBoxPrior(mx.nd.ones((1, 1, 2, 2)), sizes=()), ParamError, "sizes"),
    (lambda: C.MultiBoxPrior(mx.nd.ones((1, 1, 2, 2)), sizes=("a",)), ParamError, "sizes"),
    (lambda: C.MultiBoxPrior(mx.nd.ones((1, 1, 2, 2)), steps=(0.1, -1)), ParamError,
     "step_y"),
    (lambda: C.MultiBoxPrior(mx.nd.ones((1, 1, 2, 2)), offsets=(0.5, 1.5)), ParamError,
     r"\[0, 1\]"),
])
def test_multibox_prior_errors(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


# ---- MultiBoxTarget ------------------------------------------------------------------------


def _ref_target(anchors: np.ndarray, labels: np.ndarray, preds: np.ndarray,
                overlap: float = 0.5, ignore: float = -1, ratio: float = -1,
                neg_thresh: float = 0.5, var: tuple = (0.1, 0.1, 0.2, 0.2)) -> list:
    a_n = anchors.shape[0]
    loc, mask = np.zeros((labels.shape[0], a_n, 4)), np.zeros((labels.shape[0], a_n, 4))
    cls = np.full((labels.shape[0], a_n), float(ignore))
    for b, lab in enumerate(labels):
        gts = [g for g in lab[:next((i for i, g in enumerate(lab) if g[0] == -1), len(lab))]]
        if not gts:
            continue
        iou = np.array([[_ref_iou(a, g[1:5], "corner") for g in gts] for a in anchors])
        flag, match, best = -np.ones(a_n), -np.ones(a_n, int), -np.ones(a_n)
        free = iou.copy()
        while True:  # each ground truth takes its best free anchor, best pair first
            j, k = np.unravel_index(np.argmax(free), free.shape)
            if free[j, k] <= 1e-6:
                break
            flag[j], match[j], best[j] = 1, k, free[j, k]
            free[j, :], free[:, k] = -1, -1
        for j in range(a_n):
            if flag[j] != 1 and overlap > 0:
                match[j], best[j] = int(np.argmax(iou[j])), iou[j].max()
                flag[j] = 1 if best[j] > overlap else flag[j]
        positives = int((flag == 1).sum())
        if ratio > 0:
            wanted = min(int(positives * ratio), a_n - positives)
            pool = [j for j in range(a_n) if flag[j] != 1 and iou[j].max() < neg_thresh]
            p = np.exp(preds[b] - preds[b].max(axis=0))
            prob = p[0] / p.sum(axis=0)
            for j in sorted(pool, key=lambda j: prob[j])[:max(wanted, 0)]:
                flag[j] = 0
        else:
            flag[flag != 1] = 0
        for j in range(a_n):
            if flag[j] == 0:
                cls[b, j] = 0
            elif flag[j] == 1:
                g = gts[match[j]]
                cls[b, j], mask[b, j] = g[0] + 1, 1
                (gx, gy, gw, gh), (ax, ay, aw, ah) = _center(g[1:5]), _center(anchors[j])
                loc[b, j] = [(gx - ax) / aw / var[0], (gy - ay) / ah / var[1],
                             np.log(gw / aw) / var[2], np.log(gh / ah) / var[3]]
    return [loc.reshape(len(labels), -1), mask.reshape(len(labels), -1), cls]


def test_multibox_target_matches_numpy() -> None:
    rng = np.random.default_rng(8)
    anchors = _boxes(rng, (1, 24)).astype(np.float32)
    labels = np.full((3, 4, 6), -1.0, np.float32)
    for b, n in enumerate((3, 1, 0)):
        labels[b, :n, 0] = rng.integers(0, 5, n)
        labels[b, :n, 1:5] = _boxes(rng, (n,))
        labels[b, :n, 5] = 7
    preds = rng.normal(0, 1, (3, 4, 24)).astype(np.float32)
    for kwargs, ref in ((dict(), dict()), (dict(overlap_threshold=0.3), dict(overlap=0.3)),
                        (dict(negative_mining_ratio=2, negative_mining_thresh=0.4,
                              ignore_label=-2, variances=(0.2, 0.2, 0.1, 0.1)),
                         dict(ratio=2, neg_thresh=0.4, ignore=-2, var=(0.2, 0.2, 0.1, 0.1)))):
        got = _eager_and_jit(lambda *v, kw=kwargs: C.MultiBoxTarget(*v, **kw),
                             *(mx.nd.array(v) for v in (anchors, labels, preds)))
        want = _ref_target(anchors[0].astype(np.float64), labels.astype(np.float64),
                           preds.astype(np.float64), **ref)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.asnumpy(), w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shapes, kwargs, error, match", [
    (((1, 5, 3), (1, 2, 5), (1, 3, 5)), {}, ShapeError, "anchor must be"),
    (((1, 5, 4), (1, 2, 4), (1, 3, 5)), {}, ShapeError, "label must be"),
    (((1, 5, 4), (1, 2, 5), (1, 3, 6)), {}, ShapeError, "cls_pred must be"),
    (((1, 5, 4), (1, 2, 5), (1, 3, 5)), dict(variances=(0.1, 0.2)), ParamError, "variances"),
])
def test_multibox_target_errors(shapes, kwargs, error, match) -> None:  # type: ignore
    with pytest.raises(error, match=match):
        C.MultiBoxTarget(*(mx.nd.ones(s) for s in shapes), **kwargs)
    with pytest.raises(DTypeError, match="float32"):
        C.MultiBoxTarget(*(mx.nd.ones(s, dtype="float64") for s in shapes))


# ---- MultiBoxDetection ---------------------------------------------------------------------


def _ref_detection(prob: np.ndarray, loc: np.ndarray, anchors: np.ndarray, clip: bool = True,
                   threshold: float = 0.01, nms: float = 0.5, force: bool = False,
                   var: tuple = (0.1, 0.1, 0.2, 0.2), topk: int = -1) -> np.ndarray:
    batches, classes, a_n = prob.shape
    out = -np.ones((batches, a_n, 6))
    boxes = _ref_decode(loc.reshape(batches, a_n, 4), anchors, var, -1, "corner")
    if clip:
        boxes = np.clip(boxes, 0, 1)
    for b in range(batches):
        rows = []
        for j in range(a_n):
            fg = prob[b, 1:, j]
            if fg.size and fg.max() >= threshold:
                rows.append([int(np.argmax(fg)), fg.max(), *boxes[b, j]])
        out[b, :len(rows)] = rows if rows else out[b, :0]
        if not rows or not 0 < nms <= 1:
            continue
        keep = len(rows) if topk <= 0 else min(topk, len(rows))
        out[b, keep:len(rows), 0] = -1
        top = sorted(rows, key=lambda r: -r[1])[:keep]
        for i in range(keep):
            if top[i][0] < 0:
                continue
            for j in range(i + 1, keep):
                if top[j][0] >= 0 and (force or top[j][0] == top[i][0]) and \
                        _ref_iou(np.array(top[i][2:]), np.array(top[j][2:]), "corner") >= nms:
                    top[j][0] = -1
        out[b, :keep] = top
    return out


def test_multibox_detection_matches_numpy() -> None:
    rng = np.random.default_rng(9)
    anchors = _boxes(rng, (1, 30)).astype(np.float32)
    loc = rng.normal(0, 0.3, (2, 120)).astype(np.float32)
    for classes in (1, 4):
        prob = rng.uniform(0, 1, (2, classes, 30)).astype(np.float32)
        prob /= prob.sum(axis=1, keepdims=True)
        for kwargs, ref in ((dict(), dict()), (dict(threshold=0.3), dict(threshold=0.3)),
                            (dict(nms_threshold=0.3, force_suppress=True, nms_topk=8),
                             dict(nms=0.3, force=True, topk=8)),
                            (dict(clip=False, nms_threshold=1.5, variances=(0.2, 0.2, 0.1, 0.3)),
                             dict(clip=False, nms=1.5, var=(0.2, 0.2, 0.1, 0.3)))):
            got = _eager_and_jit(lambda *v, kw=kwargs: C.MultiBoxDetection(*v, **kw),
                                 *(mx.nd.array(v) for v in (prob, loc, anchors)),
                                 jit=not kwargs)
            want = _ref_detection(prob.astype(np.float64), loc.astype(np.float64),
                                  anchors[0].astype(np.float64), **ref)
            np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-5)


def test_multibox_detection_errors() -> None:
    with pytest.raises(ShapeError, match="3-D, 2-D and 3-D"):
        C.MultiBoxDetection(mx.nd.ones((1, 2, 3)), mx.nd.ones((1, 12, 1)), mx.nd.ones((1, 3, 4)))
    with pytest.raises(ShapeError, match=r"loc_pred \(1, 12\)"):
        C.MultiBoxDetection(mx.nd.ones((1, 2, 3)), mx.nd.ones((1, 8)), mx.nd.ones((1, 3, 4)))
    with pytest.raises(ParamError, match="variances"):
        C.MultiBoxDetection(mx.nd.ones((1, 2, 3)), mx.nd.ones((1, 12)), mx.nd.ones((1, 3, 4)),
                            variances=(1, 2, 3))
    with pytest.raises(DTypeError, match="float32"):
        C.MultiBoxDetection(mx.nd.ones((1, 2, 3), dtype="float16"), mx.nd.ones((1, 12)),
                            mx.nd.ones((1, 3, 4)))


# ---- Proposal, MultiProposal ---------------------------------------------------------------


def _ref_proposal(cls: np.ndarray, bbox: np.ndarray, info: np.ndarray, pre: int = 6000,
                  post: int = 300, thresh: float = 0.7, min_size: int = 16,
                  scales: tuple = (4, 8, 16, 32), ratios: tuple = (0.5, 1, 2), stride: int = 16,
                  iou_loss: bool = False) -> tuple[np.ndarray, np.ndarray]:
    batches, channels, h, w = cls.shape
    a_n = channels // 2
    base = []
    for ratio in ratios:
        for scale in scales:
            ws = np.floor(np.sqrt(np.floor(stride * stride / ratio)) + 0.5) * scale
            hs = np.floor(ws / scale * ratio + 0.5) * scale
            c = (stride - 1) / 2
            base.append([c - (ws - 1) / 2, c - (hs - 1) / 2, c + (ws - 1) / 2, c + (hs - 1) / 2])
    rois, scores = [], []
    for b in range(batches):
        props = []
        for y in range(h):
            for x in range(w):
                for a in range(a_n):
                    x1, y1, x2, y2 = np.array(base[a]) + [x * stride, y * stride] * 2
                    d = bbox[b, 4 * a:4 * a + 4, y, x]
                    if iou_loss:
                        box = [x1 + d[0], y1 + d[1], x2 + d[2], y2 + d[3]]
                    else:
                        bw, bh = x2 - x1 + 1, y2 - y1 + 1
                        cx, cy = x1 + (bw - 1) / 2 + d[0] * bw, y1 + (bh - 1) / 2 + d[1] * bh
                        pw, ph = np.exp(d[2]) * bw, np.exp(d[3]) * bh
                        box = [cx - (pw - 1) / 2, cy - (ph - 1) / 2, cx + (pw - 1) / 2,
                               cy + (ph - 1) / 2]
                    box = [min(max(v, 0), info[b, 1 - k % 2] - 1) for k, v in enumerate(box)]
                    score = cls[b, a_n + a, y, x]
                    if y >= int(info[b, 0] / stride) or x >= int(info[b, 1] / stride):
                        score = -1
                    least = min_size * info[b, 2]
                    if box[2] - box[0] + 1 < least or box[3] - box[1] + 1 < least:
                        box = [box[0] - least / 2, box[1] - least / 2, box[2] + least / 2,
                               box[3] + least / 2]
                        score = -1
                    props.append(box + [score])
        order = sorted(props, key=lambda p: -p[4])[:min(pre if pre > 0 else len(props),
                                                        len(props))]
        kept: list[list[float]] = []
        for p in order:
            if len(kept) >= min(post, len(order)):
                break
            if all(_pixel_iou(p, k) <= thresh for k in kept):
                kept.append(p)
        for i in range(post):
            k = kept[i % len(kept)]
            rois.append([b] + k[:4])
            scores.append([k[4]])
    return np.array(rois), np.array(scores)


def _pixel_iou(a: list[float], b: list[float]) -> float:
    w = max(min(a[2], b[2]) - max(a[0], b[0]) + 1, 0)
    h = max(min(a[3], b[3]) - max(a[1], b[1]) + 1, 0)
    area = [(x[2] - x[0] + 1) * (x[3] - x[1] + 1) for x in (a, b)]
    return w * h / (area[0] + area[1] - w * h)


@pytest.mark.parametrize("batches", [1, 2])
def test_proposal_and_multi_proposal_match_numpy(batches: int) -> None:
    rng = np.random.default_rng(10 + batches)
    cls = rng.uniform(0, 1, (batches, 12, 4, 5)).astype(np.float32)
    bbox = rng.normal(0, 0.2, (batches, 24, 4, 5)).astype(np.float32)
    info = np.array([[60, 75, 1.0], [50, 80, 0.5]], np.float32)[:batches]
    common = dict(scales=(2, 4), ratios=(0.5, 1, 2), feature_stride=16)
    for kwargs, ref in ((dict(rpn_pre_nms_top_n=50, rpn_post_nms_top_n=10, rpn_min_size=4),
                         dict(pre=50, post=10, min_size=4)),
                        (dict(rpn_pre_nms_top_n=8, rpn_post_nms_top_n=12, threshold=0.5),
                         dict(pre=8, post=12, thresh=0.5)),
                        (dict(rpn_post_nms_top_n=6, iou_loss=True, threshold=0.3),
                         dict(post=6, iou_loss=True, thresh=0.3))):
        ops = [C.MultiProposal] + ([C.Proposal] if batches == 1 else [])
        for op in ops:
            args = [mx.nd.array(v) for v in (cls, bbox, info)]
            got = _eager_and_jit(lambda *v, op=op, kw=kwargs: op(
                *v, output_score=True, **common, **kw), *args,
                                 jit=kwargs.get("rpn_pre_nms_top_n") == 50)
            rois, scores = _ref_proposal(cls.astype(np.float64), bbox.astype(np.float64),
                                         info.astype(np.float64), scales=(2, 4), **ref)
            np.testing.assert_allclose(got[0].asnumpy(), rois, rtol=1e-5, atol=1e-3)
            np.testing.assert_allclose(got[1].asnumpy(), scores, rtol=1e-6)
            alone = op(*args, **common, **kwargs)
            np.testing.assert_array_equal(alone.asnumpy(), got[0].asnumpy())


@pytest.mark.parametrize("shapes, kwargs, error, match", [
    (((2, 4, 2, 2), (2, 8, 2, 2), (2, 3)), {}, ShapeError, "batch 1"),
    (((1, 5, 2, 2), (1, 10, 2, 2), (1, 3)), {}, ShapeError, "2 \\* anchors"),
    (((1, 6, 2, 2), (1, 12, 2, 2), (1, 3)), {}, ShapeError, "scales x ratios give 2"),
    (((1, 4, 2, 2), (1, 4, 2, 2), (1, 3)), {}, ShapeError, "bbox_pred must be"),
    (((1, 4, 0, 2), (1, 8, 0, 2), (1, 3)), {}, ShapeError, "empty"),
    (((1, 4, 2, 2), (1, 8, 2, 2), (1, 3)), dict(rpn_post_nms_top_n=-1), ParamError,
     "rpn_post_nms_top_n"),
    (((1, 4, 2, 2), (1, 8, 2, 2), (1, 3)), dict(scales=()), ParamError, "scales"),
])
def test_proposal_errors(shapes, kwargs, error, match) -> None:  # type: ignore
    kwargs = dict(dict(scales=(8,), ratios=(0.5, 1)), **kwargs)
    with pytest.raises(error, match=match):
        C.Proposal(*(mx.nd.ones(s) for s in shapes), **kwargs)
    with pytest.raises(DTypeError, match="float32"):
        C.MultiProposal(*(mx.nd.ones(s, dtype="float64") for s in shapes), **kwargs)


def test_host_computed_operators_have_zero_gradients_as_in_mxnet() -> None:
    prob = mx.nd.array(np.random.default_rng(12).uniform(0, 1, (1, 2, 4)))
    anchors = C.MultiBoxPrior(mx.nd.ones((1, 1, 2, 2)))
    grads = mx.grad(lambda p, v: C.MultiBoxDetection(p, v, anchors).sum() +
                    C.MultiBoxTarget(anchors, mx.nd.array([[[0, 0.1, 0.1, 0.5, 0.5]]]),
                                     p)[0].sum() +
                    C.bipartite_matching(p, threshold=0.1)[1].sum(), argnums=(0, 1))(
        prob, mx.nd.ones((1, 16)))
    assert all(not g.asnumpy().any() for g in grads)
    cls, bbox = mx.nd.ones((1, 2, 2, 2)), mx.nd.zeros((1, 4, 2, 2))
    g = mx.grad(lambda c: C.Proposal(c, bbox, mx.nd.array([[32, 32, 1]]), scales=(1,),
                                     ratios=(1,), rpn_post_nms_top_n=2).sum())(cls)
    assert not g.asnumpy().any()
