"""Drop-off acceptance, short subset, on real footage with the real detector.

There is no licensed footage of real dumping, so the clips are the real PETS S2L1 and Intel
car-aisle videos with procedurally drawn objects composited in at known frames
(benchmarks/dumping, generated into the cache on first use): the ground truth is exact. The whole
set (23 events, 27 negatives) runs in ``edge bench``'s dumping suite; here one clip per
background, each with a dump that is later taken away and brief objects that must raise nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.dumping.evaluate import run_clip
from benchmarks.dumping.generate import ensure
from benchmarks.dumping.scenarios import subset

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def short_clips(assets: Path) -> list[Path]:
    return ensure(subset("short"))


@pytest.mark.parametrize("index", [0, 1], ids=subset("short"))
def test_every_dump_raises_one_alert_in_time_and_nothing_else(short_clips: list[Path],
                                                              index: int) -> None:
    r = run_clip(short_clips[index], "yolox_nano", threads=2)
    assert r["events"] >= 1 and r["negatives"] >= 1
    assert r["detected"] == r["events"], r["alerts"]
    assert r["duplicates"] == 0 and r["false_alerts"] == 0, r["alerts"]
    assert max(r["raise_delay_s"]) <= r["dwell_s"] + 5.0
    assert r["clear_delay_s"] and max(r["clear_delay_s"]) <= 10.0
    assert r["missed_clears"] == 0 and r["early_clears"] == 0
    for alert in r["alerts"]:  # what the CLI prints: zone, times, class guess, size share
        assert set(alert) == {"zone", "first_seen_s", "raised_at_s", "cleared_at_s", "class",
                              "size"}
