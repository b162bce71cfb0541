"""encode_sentences, BucketSentenceIter and the RNN checkpoints."""
from __future__ import annotations

import numpy as np

import mxjit as mx


def test_encode_sentences_builds_or_extends_a_vocabulary():
    codes, vocab = mx.rnn.encode_sentences([["a", "b"], ["b", "c"]], start_label=-1)
    assert codes == [[0, 1], [1, 2]]  # (-1 is the invalid label: skipped)
    assert vocab == {"\n": -1, "a": 0, "b": 1, "c": 2}
    codes, vocab = mx.rnn.encode_sentences([["a", "z"]], vocab={"a": 1}, unknown_token="UNK")
    assert codes == [[1, 0]] and vocab == {"a": 1, "UNK": 0}


def test_bucket_iterator_pads_shifts_labels_and_keys_batches_by_length():
    sentences = [[1, 2], [3, 4], [5, 6, 7], [8, 9, 1], [1] * 9]
    it = mx.rnn.BucketSentenceIter(sentences, batch_size=2, buckets=[2, 4])
    assert it.buckets == [2, 4] and it.default_bucket_key == 4
    assert it.provide_data[0].shape == (2, 4) and it.provide_label[0].name == "softmax_label"
    batches = list(it)
    assert sorted(b.bucket_key for b in batches) == [2, 4]
    for batch in batches:
        data, label = batch.data[0].asnumpy(), batch.label[0].asnumpy()
        assert data.shape == (2, batch.bucket_key)
        np.testing.assert_array_equal(label[:, :-1], data[:, 1:])
        assert (label[:, -1] == -1).all()
        assert batch.provide_data[0].shape == data.shape
    long_rows = next(b for b in batches if b.bucket_key == 4).data[0].asnumpy()
    assert (long_rows[:, 3] == -1).all()
    it.reset()
    assert len(list(it)) == 2


def test_bucket_iterator_time_major_and_default_buckets():
    sentences = [[1, 2, 3]] * 4 + [[4]]
    it = mx.rnn.BucketSentenceIter(sentences, batch_size=2, layout="TN")
    assert it.buckets == [3] and it.provide_data[0].shape == (3, 2)
    assert [b.data[0].shape for b in it] == [(3, 2), (3, 2)]


def test_rnn_checkpoints_store_unpacked_weights(tmp_path):
    cell = mx.rnn.FusedRNNCell(2, mode="gru", prefix="g_")
    out, _ = cell.unroll(2, mx.sym.var("data"), layout="TNC", merge_outputs=True)
    packed = mx.nd.arange(1, 1 + (3 + 2 + 2) * 2 * 3)
    prefix = str(tmp_path / "lm")
    mx.rnn.save_rnn_checkpoint(cell, prefix, 3, out, {"g_parameters": packed}, {})
    _, saved, _ = mx.model.load_checkpoint(prefix, 3)
    assert "g_l0_i2h_z_weight" in saved and "g_parameters" not in saved
    sym, args, aux = mx.rnn.load_rnn_checkpoint([cell], prefix, 3)
    assert sym.list_arguments() == out.list_arguments() and aux == {}
    np.testing.assert_array_equal(args["g_parameters"].asnumpy(), packed.asnumpy())
    callback = mx.rnn.do_rnn_checkpoint(cell, prefix, period=2)
    callback(0, out, {"g_parameters": packed}, {})
    callback(1, out, {"g_parameters": packed}, {})
    assert not (tmp_path / "lm-0001.params").exists() and (tmp_path / "lm-0002.params").exists()
