"""Drop-off alerts: recall, false alerts, duplicates, raise and clear delays on a generated clip."""

from __future__ import annotations

from benchmarks.suites.base import Run


class DumpingSuite:
    name = "dumping"

    def applies(self, run: Run) -> bool:
        return run.dumping is not None

    def score(self, run: Run) -> dict:
        return dict(run.dumping or {})
