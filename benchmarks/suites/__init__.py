"""Benchmark suites: each scores one run (a tool x model x setting x clip) in its own way.

A suite is a plug-in: a class with ``name``, ``applies(run)`` and ``score(run) -> dict`` (flat,
JSON-ready), listed in :data:`SUITES`. The parking and dumping issues add theirs here.
"""

from __future__ import annotations

from benchmarks.suites.base import Run, Suite
from benchmarks.suites.cost import CostSuite
from benchmarks.suites.counting import CountingSuite
from benchmarks.suites.detection import DetectionSuite
from benchmarks.suites.dumping import DumpingSuite
from benchmarks.suites.parking import ParkingSuite
from benchmarks.suites.tracking import TrackingSuite

SUITES: dict[str, Suite] = {s.name: s for s in (CountingSuite(), TrackingSuite(),
                                                  DetectionSuite(), CostSuite(), ParkingSuite(),
                                                  DumpingSuite())}

__all__ = ["SUITES", "Run", "Suite"]
