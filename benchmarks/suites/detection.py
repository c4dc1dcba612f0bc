"""Detection quality on clips with box ground truth: recall and precision at IoU 0.5."""

from __future__ import annotations

from benchmarks.metrics.ground_truth import load_mot
from benchmarks.suites.base import Run

CLASS = "pedestrian"
MIN_SCORE = 0.4  # the tracker's first-stage threshold: what the product treats as a detection


class DetectionSuite:
    name = "detection"

    def applies(self, run: Run) -> bool:
        return run.truth.mot is not None and run.capture is not None

    def score(self, run: Run) -> dict:
        from benchmarks.metrics.tracking import detection_metrics

        assert run.truth.mot is not None and run.capture is not None
        dets = run.capture.detections(CLASS)
        scores = run.capture.detection_scores(CLASS)
        m = detection_metrics(load_mot(run.truth.mot), dets[scores >= MIN_SCORE])
        return {"recall": m["recall"], "precision": m["precision"], "min_score": MIN_SCORE}
