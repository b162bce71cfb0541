"""`make demo`: a hybridized CNN learns scikit-learn's handwritten digits through
`gluon.data.DataLoader` and the Fit API (`gluon.contrib.estimator`).

It prints what it trains, a progress bar per epoch (one line per epoch when standard output
is not a terminal), the test accuracy on a held-out quarter of the images, the time per
epoch and the throughput, then saves the parameters, loads them into a fresh network and
checks that it predicts the same. `python -m mxjit.demo_kernel` is the compiler's own demo.

    python -m mxjit.demo [--epochs N]
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import mxjit as mx
from mxjit.gluon import nn
from mxjit.gluon.contrib.estimator import BatchEnd, EpochBegin, EpochEnd, Estimator
from mxjit.gluon.data import ArrayDataset, DataLoader

EPOCHS = 10
BATCH_SIZE = 64


@dataclass
class DemoResult:
    """What `main` measured: test accuracy, seconds per epoch (the median after the first,
    which compiles), samples per second, and whether the reloaded network predicts the
    same."""

    accuracy: float
    seconds_per_epoch: float
    samples_per_second: float
    reload_matches: bool


def digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8x8 digits as (N, 1, 8, 8) float32 in [0, 1] and float32
    labels, split into three quarters for training and a held-out quarter for testing
    (stratified by class).

    >>> x_train, y_train, x_test, y_test = digits()  # doctest: +SKIP
    """
    data = load_digits()
    images = (data.images / 16.0).astype(np.float32)[:, None]
    labels = data.target.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.25, stratify=labels, random_state=seed)
    return x_train, y_train, x_test, y_test


def build_net() -> nn.HybridSequential:
    """The CNN: two 3x3 convolutions with batch norm, max pooling, a dense layer with
    dropout, and 10 class scores.

    >>> net = build_net(); net.initialize(mx.init.Xavier())  # doctest: +SKIP
    """
    net = nn.HybridSequential(prefix="digits_")
    with net.name_scope():
        net.add(nn.Conv2D(32, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
                nn.Conv2D(64, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
                nn.MaxPool2D(2),
                nn.Dense(128, activation="relu"), nn.Dropout(0.3),
                nn.Dense(10))
    return net


class EpochReport(EpochBegin, BatchEnd, EpochEnd):
    """Times each epoch's training (validation left out) and counts its samples; prints a
    line per epoch when `verbose` (when there is no progress bar).

    >>> report = EpochReport(verbose=True)  # doctest: +SKIP
    """

    def __init__(self, verbose: bool):
        self.verbose = verbose
        self.seconds: list[float] = []
        self.samples: list[int] = []
        self._start = self._last = 0.0
        self._count = 0

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self._start = self._last = time.perf_counter()
        self._count = 0

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        self._last = time.perf_counter()
        self._count += kwargs["batch"][0].shape[0]
        return False

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        seconds = self._last - self._start
        self.seconds.append(seconds)
        self.samples.append(self._count)
        if self.verbose:
            values = {m.name: m.get()[1] for m in estimator.train_metrics + estimator.val_metrics}
            print(f"[Epoch {len(self.seconds) - 1}] "
                  f"loss {values['training softmaxcrossentropyloss']:.4f}, "
                  f"train accuracy {values['training accuracy']:.4f}, "
                  f"test accuracy {values['validation accuracy']:.4f}, "
                  f"{seconds:.2f} s, {self._count / seconds:,.0f} samples/s", flush=True)
        return False


def predict(net: nn.HybridSequential, images: np.ndarray) -> np.ndarray:
    """The class scores `net` gives `images` (predict mode), as NumPy.

    >>> predict(net, x_test).argmax(axis=1)  # doctest: +SKIP
    """
    return net(mx.nd.array(images)).asnumpy()


def main(epochs: int = EPOCHS, seed: int = 0) -> DemoResult:
    """Train, test, save and reload; print as it goes and return the numbers.

    >>> main(epochs=2).accuracy > 0.9  # doctest: +SKIP
    """
    mx.random.seed(seed)  # initial weights and dropout masks
    np.random.seed(seed)  # the DataLoader's shuffling
    x_train, y_train, x_test, y_test = digits(seed)
    train_data = DataLoader(ArrayDataset(x_train, y_train), batch_size=BATCH_SIZE,
                            shuffle=True, last_batch="rollover")
    test_data = DataLoader(ArrayDataset(x_test, y_test), batch_size=len(x_test))

    net = build_net()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    trainer = mx.gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 1e-3})
    est = Estimator(net, mx.gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer)
    est.logger.setLevel(logging.WARNING)  # the bar (or the report) says it more briefly

    bar = sys.stdout.isatty()
    print(f"mxjit {mx.__version__}: a hybridized CNN learns scikit-learn's handwritten digits "
          f"(8x8 images, 10 classes)")
    print(f"  data: {len(x_train):,} training and {len(x_test):,} held-out test images, "
          f"batches of {BATCH_SIZE} through gluon.data.DataLoader")
    net(mx.nd.array(x_train[:1]))  # (sets the deferred parameter shapes, to count them)
    size = sum(int(np.prod(p.shape)) for p in net.collect_params().values())
    print(f"  model: Conv(32)-BN-ReLU, Conv(64)-BN-ReLU-MaxPool, Dense(128)-Dropout, "
          f"Dense(10): {size:,} parameters")
    print(f"  training: Adam (learning rate 0.001), {epochs} epochs with "
          f"gluon.contrib.estimator.Estimator.fit")

    report = EpochReport(verbose=not bar)
    est.fit(train_data, val_data=test_data, epochs=epochs, event_handlers=[report])

    scores = predict(net, x_test)
    accuracy = float((scores.argmax(axis=1) == y_test).mean())
    # the median of the epochs after the first (which compiles): a shared machine's
    # hiccups do not move it
    first = 1 if len(report.seconds) > 1 else 0
    seconds = float(np.median(report.seconds[first:]))
    throughput = float(np.median([n / t for n, t in zip(report.samples[first:],
                                                         report.seconds[first:])]))
    print(f"test accuracy: {accuracy:.2%} ({int(round(accuracy * len(y_test)))} of "
          f"{len(y_test)} held-out images)")
    print(f"time per epoch: {seconds:.2f} s (median), {throughput:,.0f} samples/s; the first "
          f"epoch, which compiles, took {report.seconds[0]:.2f} s")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "digits-cnn.params")
        net.save_parameters(path)
        kilobytes = os.path.getsize(path) / 1024
        fresh = build_net()
        fresh.load_parameters(path)
        fresh.hybridize()
        again = predict(fresh, x_test)
    same = bool(np.array_equal(again, scores))
    print(f"saved the parameters ({kilobytes:,.0f} KB), loaded them into a fresh network: "
          f"{'the same predictions' if same else 'DIFFERENT predictions'} on the test images "
          f"(largest difference {float(np.abs(again - scores).max()):.1e})")
    return DemoResult(accuracy, seconds, throughput, same)


if __name__ == "__main__":
    args = sys.argv[1:]
    result = main(epochs=int(args[args.index("--epochs") + 1]) if "--epochs" in args
                  else EPOCHS)
    sys.exit(0 if result.reload_matches else 1)
