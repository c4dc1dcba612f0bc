"""Tracking quality on clips with box ground truth (PETS): HOTA, MOTA, IDF1, ID switches,
computed by TrackEval (see benchmarks/metrics)."""

from __future__ import annotations

from benchmarks.metrics.ground_truth import load_mot
from benchmarks.suites.base import Run

CLASS = "pedestrian"  # the box ground truth we have annotates people only


class TrackingSuite:
    name = "tracking"

    def applies(self, run: Run) -> bool:
        return run.truth.mot is not None and run.capture is not None

    def score(self, run: Run) -> dict:
        from benchmarks.metrics.tracking import tracking_metrics

        assert run.truth.mot is not None and run.capture is not None
        m = tracking_metrics(load_mot(run.truth.mot), run.capture.tracks(CLASS))
        return {k: m[k] for k in ("HOTA", "DetA", "AssA", "MOTA", "IDF1", "IDSW") if k in m}
