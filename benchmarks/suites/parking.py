"""Parking: per-space accuracy, lot-count error and the cost of one tiled analysis."""

from __future__ import annotations

from benchmarks.suites.base import Run


class ParkingSuite:
    name = "parking"

    def applies(self, run: Run) -> bool:
        return run.parking is not None

    def score(self, run: Run) -> dict:
        return dict(run.parking or {})
