"""Metrics of the integrators' benchmark: tracking (HOTA, CLEAR MOT, identity; computed by
TrackEval) and detection recall/precision against box ground truth, plus the ground-truth readers.

>>> from benchmarks.metrics import load_mot, tracking_metrics   # doctest: +SKIP
>>> tracking_metrics(load_mot("gt.txt"), load_mot("tracker.txt"))["HOTA"]   # doctest: +SKIP
"""

from benchmarks.metrics.ground_truth import (
    CrossingTruth,
    TruthCrossing,
    TruthLine,
    load_crossings,
    load_mot,
)
from benchmarks.metrics.tracking import (
    detection_metrics,
    trackeval_data,
    tracking_metrics,
    tracking_metrics_many,
)

__all__ = [
    "CrossingTruth",
    "TruthCrossing",
    "TruthLine",
    "detection_metrics",
    "load_crossings",
    "load_mot",
    "trackeval_data",
    "tracking_metrics",
    "tracking_metrics_many",
]
