"""Text data for language models: encode_sentences (tokens to indices) and
BucketSentenceIter (batches of sentences padded to their bucket's length)."""
from __future__ import annotations

import bisect
import random
from typing import Any

import numpy as np

from .. import nd
from ..base import MXNetKeyError, ParamError
from ..data_iter import DataBatch, DataDesc, DataIter


def encode_sentences(sentences: list[list[str]], vocab: dict[str, int] | None = None,
                     invalid_label: int = -1, invalid_key: str = "\n", start_label: int = 0,
                     unknown_token: str | None = None) -> tuple[list[list[int]], dict[str, int]]:
    """Each sentence's tokens as indices, and the vocabulary. Without `vocab` a new one
    is built (`invalid_key` maps to `invalid_label`, new words count up from
    `start_label`, skipping `invalid_label`); with one, a word not in it is an error
    unless `unknown_token` names the entry it becomes.

    >>> mx.rnn.encode_sentences([['a', 'b'], ['b', 'c']])
    ([[0, 1], [1, 2]], {'\\n': -1, 'a': 0, 'b': 1, 'c': 2})
    """
    idx = start_label
    new_vocab = vocab is None
    if vocab is None:
        vocab = {invalid_key: invalid_label}
    encoded = []
    for sentence in sentences:
        codes = []
        for word in sentence:
            if word not in vocab:
                if not (new_vocab or unknown_token):
                    raise MXNetKeyError(f"Unknown token {word}")
                if idx == invalid_label:
                    idx += 1
                if unknown_token:
                    word = unknown_token
                vocab[word] = idx
                idx += 1
            codes.append(vocab[word])
        encoded.append(codes)
    return encoded, vocab


class BucketSentenceIter(DataIter):
    """Batches of encoded sentences for a bucketing language model: each sentence goes
    to the shortest bucket that holds it (padded with `invalid_label`; longer ones are
    dropped), batches are drawn from one bucket at a time in random order, and the
    label is the data shifted one step left. Each batch's `bucket_key` is its length.
    `buckets` defaults to every length at least `batch_size` sentences have.

    >>> it = mx.rnn.BucketSentenceIter(codes, 32, buckets=[10, 20, 40])  # doctest: +SKIP
    """

    def __init__(self, sentences: list[list[int]], batch_size: int,
                 buckets: list[int] | None = None, invalid_label: int = -1,
                 data_name: str = "data", label_name: str = "softmax_label",
                 dtype: Any = "float32", layout: str = "NT") -> None:
        super().__init__()
        if layout not in ("NT", "TN"):
            raise ParamError(f"Invalid layout {layout}: Must by NT (batch major) or TN "
                             "(time major)")
        if not buckets:
            counts = np.bincount([len(s) for s in sentences])
            buckets = [length for length, n in enumerate(counts) if n >= batch_size]
        buckets = sorted(buckets)
        rows: list[list[np.ndarray]] = [[] for _ in buckets]
        discarded = 0
        for sentence in sentences:
            b = bisect.bisect_left(buckets, len(sentence))
            if b == len(buckets):
                discarded += 1
                continue
            row = np.full((buckets[b],), invalid_label, dtype=dtype)
            row[:len(sentence)] = sentence
            rows[b].append(row)
        print(f"WARNING: discarded {discarded} sentences longer than the largest bucket.")
        # buckets no sentence fell into are dropped
        self.buckets = [length for length, r in zip(buckets, rows) if r]
        self.data = [np.asarray(r, dtype=dtype) for r in rows if r]
        self.batch_size = batch_size
        self.data_name = data_name
        self.label_name = label_name
        self.dtype = dtype
        self.invalid_label = invalid_label
        self.nddata: list[nd.NDArray] = []
        self.ndlabel: list[nd.NDArray] = []
        self.major_axis = layout.find("N")
        self.layout = layout
        self.default_bucket_key = max(self.buckets)
        shape = ((batch_size, self.default_bucket_key) if self.major_axis == 0
                 else (self.default_bucket_key, batch_size))
        self.provide_data = [DataDesc(name=data_name, shape=shape, layout=layout)]
        self.provide_label = [DataDesc(name=label_name, shape=shape, layout=layout)]
        self.idx = [(i, j) for i, bucket in enumerate(self.data)
                    for j in range(0, len(bucket) - batch_size + 1, batch_size)]
        self.curr_idx = 0
        self.reset()

    def reset(self) -> None:
        """Shuffle the batches' order and each bucket's sentences, and start over.

        >>> it.reset()  # doctest: +SKIP
        """
        self.curr_idx = 0
        random.shuffle(self.idx)
        for bucket in self.data:
            np.random.shuffle(bucket)
        self.nddata, self.ndlabel = [], []
        for bucket in self.data:
            label = np.empty_like(bucket)
            label[:, :-1] = bucket[:, 1:]
            label[:, -1] = self.invalid_label
            self.nddata.append(nd.array(bucket, dtype=self.dtype))
            self.ndlabel.append(nd.array(label, dtype=self.dtype))

    def next(self) -> DataBatch:
        """The next batch (`StopIteration` after the last).

        >>> batch = it.next(); batch.bucket_key  # doctest: +SKIP
        20
        """
        if self.curr_idx == len(self.idx):
            raise StopIteration
        i, j = self.idx[self.curr_idx]
        self.curr_idx += 1
        data = self.nddata[i][j:j + self.batch_size]
        label = self.ndlabel[i][j:j + self.batch_size]
        if self.major_axis == 1:
            data, label = data.T, label.T
        return DataBatch([data], [label], pad=0, bucket_key=self.buckets[i],
                         provide_data=[DataDesc(name=self.data_name, shape=data.shape,
                                                layout=self.layout)],
                         provide_label=[DataDesc(name=self.label_name, shape=label.shape,
                                                 layout=self.layout)])
