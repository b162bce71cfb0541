"""gluon.data datasets and samplers: every method and mode against MXNet 1.9.1's outputs
(hard-coded from runs of real MXNet)."""
from __future__ import annotations

import numpy as np
import pytest

import mxjit as mx
from mxjit.gluon.data import (
    ArrayDataset,
    BatchSampler,
    Dataset,
    FilterSampler,
    RandomSampler,
    RecordFileDataset,
    Sampler,
    SequentialSampler,
    SimpleDataset,
)
from mxjit.gluon.data.sampler import IntervalSampler

# ---- samplers -------------------------------------------------------------------------------


def test_sequential_sampler_counts_from_start():
    s = SequentialSampler(5, 3)
    assert list(s) == [3, 4, 5, 6, 7] and len(s) == 5


def test_random_sampler_follows_numpys_global_seed_as_mxnet():
    np.random.seed(0)
    s = RandomSampler(10)
    assert list(s) == [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
    assert list(s) == [3, 5, 1, 2, 9, 8, 0, 6, 7, 4]  # (a new permutation every pass)
    assert len(s) == 10


def test_filter_sampler_keeps_the_indices_of_matching_samples():
    s = FilterSampler(lambda x: x % 3 == 0, SimpleDataset(list(range(10))))
    assert list(s) == [0, 3, 6, 9] and len(s) == 4


@pytest.mark.parametrize("last_batch, epochs, lengths", [
    ("keep", [[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]] * 4, [4, 4, 4, 4]),
    ("discard", [[[0, 1, 2], [3, 4, 5], [6, 7, 8]]] * 4, [3, 3, 3, 3]),
    ("rollover", [[[0, 1, 2], [3, 4, 5], [6, 7, 8]],
                  [[9, 0, 1], [2, 3, 4], [5, 6, 7]],
                  [[8, 9, 0], [1, 2, 3], [4, 5, 6], [7, 8, 9]],
                  [[0, 1, 2], [3, 4, 5], [6, 7, 8]]], [3, 3, 4, 3]),
])
def test_batch_sampler_last_batch_modes(last_batch, epochs, lengths):
    b = BatchSampler(SequentialSampler(10), 3, last_batch)
    for expected, length in zip(epochs, lengths):
        assert len(b) == length
        assert list(b) == expected


def test_batch_sampler_rejects_an_unknown_mode_and_a_bad_size():
    with pytest.raises(ValueError, match="last_batch must be one of"):
        BatchSampler(SequentialSampler(10), 3, "bad")
    with pytest.raises(ValueError, match="batch_size must be a positive"):
        BatchSampler(SequentialSampler(10), 0)


def test_interval_sampler_with_and_without_rollover():
    assert list(IntervalSampler(13, 3)) == [0, 3, 6, 9, 12, 1, 4, 7, 10, 2, 5, 8, 11]
    assert len(IntervalSampler(13, 3)) == 13
    assert list(IntervalSampler(13, 3, rollover=False)) == [0, 3, 6, 9, 12]
    # (MXNet says 13 here; the length is what iteration gives)
    assert len(IntervalSampler(13, 3, rollover=False)) == 5
    assert list(IntervalSampler(5, 5)) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="Interval 6"):
        IntervalSampler(5, 6)


def test_a_sampler_subclass_needs_iter_and_len():
    with pytest.raises(NotImplementedError):
        iter(Sampler())

    class Evens(Sampler):
        def __iter__(self):
            return iter(range(0, 10, 2))

        def __len__(self):
            return 5

    assert list(BatchSampler(Evens(), 2)) == [[0, 2], [4, 6], [8]]


# ---- datasets -------------------------------------------------------------------------------

DIGITS = SimpleDataset(list(range(10)))


@pytest.mark.parametrize("num_shards, index, expected", [
    (3, 0, [0, 1, 2, 3]), (3, 1, [4, 5, 6]), (3, 2, [7, 8, 9]), (4, 3, [8, 9]), (11, 10, []),
])
def test_shard_gives_contiguous_pieces_the_first_ones_longer(num_shards, index, expected):
    shard = DIGITS.shard(num_shards, index)
    assert list(shard) == expected and len(shard) == len(expected)


def test_shard_checks_its_arguments():
    with pytest.raises(ValueError, match="out of 3"):
        DIGITS.shard(3, 3)
    with pytest.raises(ValueError, match="greater than 0"):
        DIGITS.shard(0, 0)


def test_take_filter_and_sample():
    assert list(DIGITS.take(3)) == [0, 1, 2]
    assert len(DIGITS.take(None)) == 10 and len(DIGITS.take(20)) == 10
    assert list(DIGITS.filter(lambda x: x > 6)) == [7, 8, 9]
    assert list(DIGITS.sample(SequentialSampler(3, 2))) == [2, 3, 4]
    with pytest.raises(TypeError, match="Invalid sampler type"):
        DIGITS.sample([1, 2])
    with pytest.raises(ValueError, match="must not be negative"):
        DIGITS.take(-1)


def test_a_sampled_dataset_draws_its_random_order_once():
    np.random.seed(0)
    shuffled = DIGITS.sample(RandomSampler(10))
    assert list(shuffled) == [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
    assert list(shuffled) == [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]


def test_transform_is_lazy_by_default_and_eager_into_a_simple_dataset():
    calls = []

    def double(x):
        calls.append(x)
        return 2 * x

    lazy = DIGITS.transform(double)
    assert calls == [] and lazy[4] == 8 and calls == [4]
    assert type(lazy).__name__ == "_LazyTransformDataset"
    eager = DIGITS.transform(double, lazy=False)
    assert type(eager) is SimpleDataset and list(eager) == [2 * i for i in range(10)]
    assert len(calls) == 11
    eager[3]
    assert len(calls) == 11


def test_transform_unpacks_tuple_samples_and_transform_first_maps_the_first():
    a = ArrayDataset(list(range(4)), [str(i) for i in range(4)])
    assert a[1] == (1, "1")
    assert list(a.transform_first(lambda x: x * 10)) == [(0, "0"), (10, "1"), (20, "2"),
                                                         (30, "3")]
    assert list(a.transform(lambda x, y: (y, x))) == [("0", 0), ("1", 1), ("2", 2), ("3", 3)]
    assert list(SimpleDataset([(1, 2), (3, 4)]).transform_first(lambda x: -x)) == \
        [(-1, 2), (-3, 4)]
    assert list(SimpleDataset([1, 2]).transform_first(lambda x: -x)) == [-1, -2]
    assert list(a.transform_first(lambda x: x + 1, lazy=False)) == \
        [(1, "0"), (2, "1"), (3, "2"), (4, "3")]


def test_filter_of_a_lazy_transform_transforms_again_on_read():
    calls = []

    def square(x):
        calls.append(x)
        return x * x

    big = DIGITS.transform(square).filter(lambda v: v > 50)
    assert list(big) == [64, 81] and calls.count(8) == 2


def test_array_dataset_reads_1d_ndarrays_as_numpy():
    a = ArrayDataset(mx.nd.arange(3), mx.nd.ones((3, 2)))
    x, y = a[1]
    assert isinstance(x, np.floating) and x == 1.0
    assert isinstance(y, mx.nd.NDArray) and y.shape == (2,)
    assert ArrayDataset([1, 2])[0] == 1 and len(a) == 3
    with pytest.raises(ValueError, match=r"array\[0\] has length 2 while array\[1\] has 1"):
        ArrayDataset([1, 2], [1])
    with pytest.raises(ValueError, match="at least 1"):
        ArrayDataset()


def test_a_dataset_subclass_works_with_every_view():
    class Squares(Dataset):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 6

    sq = Squares()
    assert list(sq) == [0, 1, 4, 9, 16, 25]
    assert list(sq.shard(2, 1).transform(lambda v: v + 1).take(2)) == [10, 17]
    with pytest.raises(NotImplementedError):
        len(Dataset())


def test_record_file_dataset_reads_records_by_position(tmp_path):
    rec, idx = str(tmp_path / "d.rec"), str(tmp_path / "d.idx")
    writer = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
    for key in (5, 3, 9):
        writer.write_idx(key, b"record %d" % key)
    writer.close()
    ds = RecordFileDataset(rec)
    assert len(ds) == 3 and ds[1] == b"record 3" and list(ds)[2] == b"record 9"
    assert ds.idx_file == idx and ds.filename == rec
