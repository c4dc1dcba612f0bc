"""Parking: per mode (a still, a still with an empty image of another day, the stream), the
per-space accuracy and lot-count error with the shipped space model (tuning) and the one fitted
leave-one-camera-out (check), and the cost of one tiled analysis (benchmarks/parking.py)."""

from __future__ import annotations

from benchmarks.suites.base import Run


class ParkingSuite:
    name = "parking"

    def applies(self, run: Run) -> bool:
        return run.parking is not None

    def score(self, run: Run) -> dict:
        return dict(run.parking or {})
