"""`mx.gluon.contrib.estimator`: the Fit API. `Estimator` trains and evaluates a network;
event handlers (logging, checkpoints, early stopping, validation, a progress bar) react
to the events of training.

    >>> est = mx.gluon.contrib.estimator.Estimator(net, loss, trainer=trainer)  # doctest: +SKIP
    >>> est.fit(train_loader, val_data=test_loader, epochs=5)  # doctest: +SKIP
"""
from . import batch_processor, estimator, event_handler, progress_bar
from .batch_processor import BatchProcessor
from .estimator import Estimator
from .event_handler import (
    BatchBegin,
    BatchEnd,
    CheckpointHandler,
    EarlyStoppingHandler,
    EpochBegin,
    EpochEnd,
    GradientUpdateHandler,
    LoggingHandler,
    MetricHandler,
    StoppingHandler,
    TrainBegin,
    TrainEnd,
    ValidationHandler,
)
from .progress_bar import ProgressBarHandler

__all__ = ["Estimator", "BatchProcessor", "TrainBegin", "TrainEnd", "EpochBegin", "EpochEnd",
           "BatchBegin", "BatchEnd", "StoppingHandler", "MetricHandler", "ValidationHandler",
           "LoggingHandler", "CheckpointHandler", "EarlyStoppingHandler",
           "GradientUpdateHandler", "ProgressBarHandler", "batch_processor", "estimator",
           "event_handler", "progress_bar"]
