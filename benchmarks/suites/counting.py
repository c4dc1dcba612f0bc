"""Counting accuracy: per line, class and direction, the overall weighted error, and GEH."""

from __future__ import annotations

import math

from benchmarks.suites.base import Run

DIRECTIONS = ("in", "out")


def geh(model: float, truth: float) -> float:
    """GEH statistic (traffic engineering): sqrt(2 (M - C)^2 / (M + C)); 0 when both are 0."""
    return 0.0 if model + truth == 0 else math.sqrt(2 * (model - truth) ** 2 / (model + truth))


def _vans(want: dict[str, int], got: dict[str, int]) -> dict[str, int]:
    """Annotators mark vans; the product sees a car or a truck. Surplus cars and trucks (beyond
    their own truth) are credited to the true vans, up to their number."""
    vans = want.get("van", 0)
    if not vans:
        return got
    got = dict(got)
    for cls in ("car", "truck"):
        take = min(vans, max(got.get(cls, 0) - want.get(cls, 0), 0))
        got[cls] = got.get(cls, 0) - take
        got["van"] = got.get("van", 0) + take
        vans -= take
    return got


class CountingSuite:
    name = "counting"

    def applies(self, run: Run) -> bool:
        return bool(run.truth.crossings)

    def score(self, run: Run) -> dict:
        truth = run.truth.totals()
        rows, abs_sum, truth_sum, total_abs = [], 0, 0, 0
        for line, per_dir in truth.items():
            got_line = run.lines.get(line, {})
            for d in DIRECTIONS:
                want, got = per_dir.get(d, {}), _vans(per_dir.get(d, {}), got_line.get(d, {}))
                classes = sorted({*want, *(c for c, n in got.items() if n)})
                for c in classes:
                    n, t = got.get(c, 0), want.get(c, 0)
                    rows.append({"line": line, "direction": d, "class": c, "count": n,
                                 "truth": t, "abs_error": abs(n - t),
                                 "rel_error": abs(n - t) / t if t else None})
                    abs_sum += abs(n - t)
                    truth_sum += t
                total_abs += abs(sum(got.values()) - sum(want.values()))
        gehs = self._interval_geh(run)
        return {
            "rows": rows,
            "truth_total": truth_sum,
            "abs_error": abs_sum,
            # Class-aware: a car counted as a truck is two errors (one missing, one extra).
            "weighted_error": abs_sum / truth_sum if truth_sum else None,
            "total_error": total_abs / truth_sum if truth_sum else None,
            "geh_max": max(gehs) if gehs else None,
            "geh_under_5": sum(g < 5 for g in gehs) / len(gehs) if gehs else None,
        }

    def _interval_geh(self, run: Run) -> list[float]:
        """GEH per line, direction and interval (all classes), where intervals were recorded."""
        if not run.intervals:
            return []
        truth: dict[tuple[str, str, int], int] = {}
        for c in run.truth.crossings:
            k = (c.line, c.direction, int((c.frame - 1) / run.fps_video // run.interval_s))
            truth[k] = truth.get(k, 0) + 1
        out = []
        for line, per_dir in run.intervals.items():
            for d, counts in per_dir.items():
                for i, n in enumerate(counts):
                    out.append(geh(n, truth.get((line, d, i), 0)))
        return out
