"""mx.nd.CTCLoss (and its aliases) against a float64 NumPy reference written here: blank
first or last, padding conventions, data and label lengths, sequences no alignment fits,
eager and under mx.jit, the alpha-beta gradient by central differences, and every user
error. Shapes stay tiny: each new shape compiles kernels."""
import numpy as np
import pytest

import mxjit as mx
from mxjit.base import DTypeError, ParamError, ShapeError
from tests.helpers import check_grads

nd = mx.nd


def log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def ctc_nll(logits, labels, blank):
    """-log p(labels | logits) of one sequence by the alpha recursion (float64); 0 when no
    alignment fits the frames (MXNet's warp-ctc convention)."""
    frames, n = logits.shape[0], len(labels)
    if n + sum(labels[i] == labels[i - 1] for i in range(1, n)) > frames:
        return 0.0
    logp = log_softmax(logits.astype(np.float64))
    ext = [blank]
    for label in labels:
        ext += [label, blank]
    alpha = np.full(len(ext), -np.inf)
    alpha[0] = 0.0  # before the first frame
    for t in range(frames):
        new = np.full(len(ext), -np.inf)
        for s in range(len(ext)):
            terms = [alpha[s]] + ([alpha[s - 1]] if s else [])
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                terms.append(alpha[s - 2])
            new[s] = np.logaddexp.reduce(terms) + logp[t, ext[s]]
        alpha = new
    return -np.logaddexp.reduce(alpha[-2:] if len(ext) > 1 else alpha)


def ctc_np(data, label, blank_label="first", data_lengths=None, label_lengths=None):
    frames, batch, alphabet = data.shape
    blank, pad = (0, 0) if blank_label == "first" else (alphabet - 1, -1)
    out = np.zeros(batch)
    for b in range(batch):
        row = [int(v) for v in label[b]]
        if label_lengths is not None:
            row = row[:int(label_lengths[b])]
        elif pad in row:
            row = row[:row.index(pad)]
        t = frames if data_lengths is None else int(data_lengths[b])
        out[b] = ctc_nll(data[:t, b], row, blank)
    return out


DATA = np.random.RandomState(0).randn(6, 4, 5).astype(np.float32)
LABEL_FIRST = np.array([[1, 2, 0], [3, 3, 0], [1, 2, 3], [0, 0, 0]], dtype=np.float32)
LABEL_LAST = np.array([[0, 1, -1], [2, 2, -1], [0, 1, 2], [-1, -1, -1]], dtype=np.float32)


def test_ctc_loss_matches_mxnet_and_numpy():
    got = nd.CTCLoss(nd.array(DATA), nd.array(LABEL_FIRST)).asnumpy()
    # printed by MXNet 1.9.1 for these inputs (np.random.RandomState(0) data)
    np.testing.assert_allclose(got, [8.662222, 6.976366, 3.5520873, 10.21714], rtol=1e-6)
    np.testing.assert_allclose(got, ctc_np(DATA, LABEL_FIRST), rtol=1e-5)


def test_blank_last_pads_with_minus_one():
    got = nd.CTCLoss(nd.array(DATA), nd.array(LABEL_LAST), blank_label="last")
    np.testing.assert_allclose(got.asnumpy(), ctc_np(DATA, LABEL_LAST, "last"), rtol=1e-5)


def test_data_and_label_lengths():
    frames, lengths = np.array([6, 3, 4, 2.0]), np.array([2, 1, 3, 0.0])
    got = nd.CTCLoss(nd.array(DATA), nd.array(LABEL_FIRST), nd.array(frames),
                     nd.array(lengths), use_data_lengths=True, use_label_lengths=True)
    np.testing.assert_allclose(got.asnumpy(), ctc_np(DATA, LABEL_FIRST, "first", frames,
                                                     lengths), rtol=1e-5)
    # label lengths count padding values as labels; int labels read the same
    label = np.array([[1, 0, 2], [3, 3, 3], [1, 2, 3], [2, 0, 0]])
    got = nd.ctc_loss(nd.array(DATA), nd.array(label, dtype="int32"),
                      label_lengths=nd.array([3, 3, 3, 2]), use_label_lengths=True)
    np.testing.assert_allclose(got.asnumpy(), ctc_np(DATA, label, "first", None,
                                                     [3, 3, 3, 2]), rtol=1e-5)


def test_lengths_and_labels_out_of_range_are_clipped():
    label = np.array([[7, 2, 0], [3, -3, 0], [1, 2, 3], [0, 0, 0]], dtype=np.float32)
    got = nd.CTCLoss(nd.array(DATA), nd.array(label), nd.array([9, -1, 6, 6]),
                     nd.array([5, 2, 3, 0]), use_data_lengths=True, use_label_lengths=True)
    want = ctc_np(DATA, np.clip(label, 0, 4), "first", [6, 0, 6, 6], [3, 2, 3, 0])
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5)


def test_sequences_no_alignment_fits_have_zero_loss_and_gradient():
    x = nd.array(DATA[:4, :2])
    x.attach_grad()
    with mx.autograd.record():  # 3, 3, 3 needs 5 frames (blanks between repeats)
        loss = nd.CTCLoss(x, nd.array([[3, 3, 3], [1, 2, 0]]))
    loss.backward()
    assert loss.asnumpy()[0] == 0 and not x.grad.asnumpy()[:, 0].any()
    assert loss.asnumpy()[1] > 0 and x.grad.asnumpy()[:, 1].any()


def test_eager_and_jit_agree_in_float64_and_float16():
    data = nd.array(DATA, dtype="float64")
    eager = nd.contrib.ctc_loss(data, nd.array(LABEL_LAST), blank_label="last")
    jitted = mx.jit(lambda d, l: nd.contrib.CTCLoss(d, l, blank_label="last"))
    np.testing.assert_allclose(eager.asnumpy(), jitted(data, nd.array(LABEL_LAST)).asnumpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(eager.asnumpy(), ctc_np(DATA, LABEL_LAST, "last"), rtol=1e-12)
    half = nd.CTCLoss(nd.array(DATA, dtype="float16"), nd.array(LABEL_LAST), blank_label="last")
    assert half.dtype == np.float16 and half.shape == (4,)  # (computed in float32)
    np.testing.assert_allclose(half.asnumpy(), ctc_np(DATA, LABEL_LAST, "last"), rtol=2e-3)


def test_gradient_is_the_alpha_beta_gradient_times_the_head():
    frames = np.array([4, 2, 3.0])
    label = nd.array([[1, 2], [2, 0], [1, 1]])

    def loss(x):
        return nd.CTCLoss(x, label, nd.array(frames, dtype="float64"), use_data_lengths=True)

    data = DATA[:4, :3, :3].astype(np.float64)
    check_grads(loss, [data], order=1)
    x = nd.array(data, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = loss(x)
    y.backward(nd.array([1.0, -2.0, 0.5], dtype="float64"))
    weighted = mx.grad(lambda x: (loss(x) * nd.array([1.0, -2.0, 0.5], dtype="float64")).sum())
    np.testing.assert_allclose(x.grad.asnumpy(), weighted(x).asnumpy(), rtol=1e-10)
    assert not x.grad.asnumpy()[2:, 1].any()  # frames past a sequence's length: 0
    # the gradient w.r.t. the activations is softmax minus the label posteriors: it sums
    # to 0 over the alphabet at every frame inside the sequence
    np.testing.assert_allclose(x.grad.asnumpy().sum(-1), 0, atol=1e-12)


def test_second_order_gradient():
    check_grads(lambda x: nd.CTCLoss(x, nd.array([[1, 1]], dtype="float64")),
                [DATA[:3, :1, :2].astype(np.float64)], order=2, rtol=1e-4, atol=1e-6)


def test_empty_batch_and_empty_labels():
    assert nd.CTCLoss(nd.ones((3, 0, 4)), nd.ones((0, 2))).shape == (0,)
    # no labels: every frame must be blank, p = (1/4)**3 for uniform activations
    np.testing.assert_allclose(nd.CTCLoss(nd.ones((3, 2, 4)), nd.ones((2, 0))).asnumpy(),
                               3 * np.log(4), rtol=1e-6)
    np.testing.assert_array_equal(nd.CTCLoss(nd.ones((0, 2, 4)), nd.ones((2, 0))).asnumpy(),
                                  0)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(blank_label="middle"), ParamError, "blank_label must be"),
    (dict(data=nd.ones((6, 4))), ShapeError, "data must be"),
    (dict(label=nd.ones((4,))), ShapeError, "label"),
    (dict(label=nd.ones((3, 2))), ShapeError, "differ in batch size"),
    (dict(label=nd.ones((4, 7))), ShapeError, "cannot fit 6 frames"),
    (dict(data=nd.ones((6, 4, 0)), label=nd.ones((4, 0))), ShapeError, "alphabet"),
    (dict(data=nd.ones((6, 4, 5), dtype="int32")), DTypeError, "floating point"),
    (dict(use_data_lengths=True), ParamError, "needs the `data_lengths` array"),
    (dict(label_lengths=nd.ones((4,))), ParamError, "use_label_lengths=False"),
    (dict(data_lengths=nd.ones((3,)), use_data_lengths=True), ShapeError, "data_lengths"),
])
def test_ctc_errors(kwargs, error, match):
    args = dict(data=nd.array(DATA), label=nd.array(LABEL_FIRST))
    args.update(kwargs)
    with pytest.raises(error, match=match):
        nd.CTCLoss(**args)


def test_frames_past_the_data_lengths_take_no_part_even_as_nan():
    # (MXNet's test_ctc_loss_grad pads with NaN: the loss and the other frames' gradients
    # are those of the unpadded data, and the padded frames' gradient is 0)
    rng = np.random.default_rng(0)
    data = rng.standard_normal((5, 2, 6)).astype(np.float32)
    labels = nd.array([[1, 2, 1, 0, 0], [1, 2, 0, 0, 0]])

    def loss_and_grad(x, **lengths):
        xs = nd.array(x)
        xs.attach_grad()
        with mx.autograd.record():
            loss = nd.CTCLoss(xs, labels, use_label_lengths=True,
                              label_lengths=nd.array([3, 2]), **lengths)
        loss.backward()
        return loss.asnumpy(), xs.grad.asnumpy()

    padded = np.concatenate([data, np.full((2, 2, 6), np.nan, np.float32)])
    loss, grad = loss_and_grad(padded, use_data_lengths=True, data_lengths=nd.array([5, 5]))
    want_loss, want_grad = loss_and_grad(data)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-6)
    np.testing.assert_allclose(grad[:5], want_grad, rtol=1e-5, atol=1e-7)
    assert (grad[5:] == 0).all()
