"""benchmarks.dumping.score on hand-made ground truth and alerts."""

from __future__ import annotations

import pytest

from benchmarks.dumping.score import combine, score
from edge.errors import EdgeError

# 10 fps, 100 s. Zone a: a box 10-50 s, then a bag 70 s to the end. Zone b: a brief bag at
# 20-24 s (no alert due). Zone c: nothing dumped, people walk there.
TRUTH = {
    "name": "t", "fps": 10.0, "frames": 1000, "dwell_s": 10.0,
    "zones": [{"id": z, "polygon": [[0, 0], [9, 0], [9, 9]]} for z in "abc"],
    "events": [
        {"zone": "a", "kind": "dump", "object": "box", "appear_frame": 100, "remove_frame": 500},
        {"zone": "a", "kind": "dump", "object": "bag", "appear_frame": 700, "remove_frame": None},
    ],
    "negatives": [
        {"zone": "b", "kind": "brief", "object": "bag", "appear_frame": 200, "remove_frame": 240},
        {"zone": "b", "kind": "people"}, {"zone": "c", "kind": "people"},
    ],
}


def alert(zone: str, raised: float, cleared: float | None, cls: str = "box") -> dict:
    return {"zone": zone, "raised_at_s": raised, "cleared_at_s": cleared, "class": cls}


GOOD = [alert("a", 21.0, 55.0), alert("a", 81.5, None, "bag")]


def test_perfect_alerts_pass() -> None:
    r = score(GOOD, TRUTH)
    assert (r["events"], r["detected"], r["recall"]) == (2, 2, 1.0)
    assert r["raise_delay_s"] == [11.0, 11.5] and r["raise_delay_max"] == 11.5
    assert r["clear_delay_s"] == [5.0] and r["clear_delay_max"] == 5.0
    assert r["false_alerts"] == r["duplicates"] == r["missed_clears"] == r["early_clears"] == 0
    assert r["classes"] == {"bag": 1, "box": 1}
    assert r["pass"] == {"recall": True, "false_alerts": True, "raise_delay": True,
                         "clear_delay": True, "duplicates": True, "all": True}


def test_a_missed_event_fails_recall() -> None:
    r = score(GOOD[:1], TRUTH)
    assert r["detected"] == 1 and r["recall"] == 0.5
    assert not r["pass"]["recall"] and not r["pass"]["all"]
    assert r["per_event"][1]["alerts"] == 0 and r["per_event"][1]["raise_delay_s"] is None


def test_two_alerts_for_one_object_are_a_duplicate() -> None:
    r = score([alert("a", 21.0, 30.0), alert("a", 33.0, 52.0), GOOD[1]], TRUTH)
    assert r["duplicates"] == 1 and r["false_alerts"] == 0 and not r["pass"]["duplicates"]
    # the first alert went while the box was still there, which shows as the duplicate; the
    # raise delay is the first alert's, the clear delay the last one's
    assert r["early_clears"] == 0 and r["per_event"][0]["raise_delay_s"] == 11.0
    assert r["clear_delay_s"] == [2.0]


def test_false_alerts_are_filed_by_cause() -> None:
    extra = [alert("b", 31.0, 33.0), alert("c", 40.0, 41.0), alert("a", 60.0, 61.0),
             alert("z", 5.0, None), alert("a", 51.5, 52.0)]
    r = score(GOOD + extra, TRUTH)
    assert r["false_alerts"] == 5
    assert r["false_by"] == {"brief": 1, "other": 2, "people": 1, "unknown_zone": 1}
    assert not r["pass"]["false_alerts"]
    assert score(GOOD + extra[:1], TRUTH)["pass"]["false_alerts"]   # one is tolerated


def test_window_ends_one_second_after_removal() -> None:
    r = score([alert("a", 50.9, 52.0), GOOD[1]], TRUTH)
    assert r["detected"] == 2 and r["false_alerts"] == 0
    r = score([alert("a", 9.9, 52.0), GOOD[1]], TRUTH)        # before the box appeared
    assert r["detected"] == 1 and r["false_by"] == {"other": 1}


def test_late_raise_fails() -> None:
    r = score([alert("a", 25.1, 55.0), GOOD[1]], TRUTH)     # 15.1 s > dwell + 5 s
    assert r["raise_late"] == 1 and not r["pass"]["raise_delay"]
    assert score([alert("a", 25.0, 55.0), GOOD[1]], TRUTH)["pass"]["raise_delay"]


@pytest.mark.parametrize("cleared, field", [(60.5, "clear_delay"), (None, "missed_clears"),
                                            (45.0, "early_clears")])
def test_clearing_faults(cleared: float | None, field: str) -> None:
    r = score([alert("a", 21.0, cleared), GOOD[1]], TRUTH)
    assert not r["pass"]["clear_delay"]
    if field == "clear_delay":
        assert r["clear_delay_max"] == 10.5
    else:
        assert r[field] == 1 and r["clear_delay_s"] == []


def test_an_object_left_to_the_end_may_be_closed_at_the_end_only() -> None:
    assert score([GOOD[0], alert("a", 81.5, 99.5)], TRUTH)["pass"]["all"]
    r = score([GOOD[0], alert("a", 81.5, 90.0)], TRUTH)
    assert r["early_clears"] == 1 and not r["pass"]["clear_delay"]


def test_combine_sums_clips_and_judges_the_whole() -> None:
    one = score(GOOD, TRUTH)
    two = score(GOOD[:1] + [alert("c", 3.0, 4.0)], TRUTH)
    c = combine([one, two])
    assert (c["clips"], c["events"], c["detected"], c["false_alerts"]) == (2, 4, 3, 1)
    assert c["recall"] == 0.75 and not c["pass"]["recall"] and c["pass"]["false_alerts"]
    assert c["raise_delay_s"] == [11.0, 11.5, 11.0] and c["raise_delay_max"] == 11.5
    assert combine([one, one])["pass"]["all"]


def test_no_events_no_alerts_is_a_pass() -> None:
    quiet = dict(TRUTH, events=[])
    r = score([], quiet)
    assert r["recall"] is None and r["pass"]["all"]


@pytest.mark.parametrize("bad, message", [
    ([{"zone": "a"}], "alert 0: raised_at_s"),
    ([{"zone": 3, "raised_at_s": 1.0}], "alert 0: zone"),
    ([GOOD[0], {"zone": "a", "raised_at_s": 5.0, "cleared_at_s": 4.0}], "alert 1: cleared_at_s"),
    (["x"], "alert 0: expected an object"),
])
def test_bad_alerts_are_one_line_errors(bad: list, message: str) -> None:
    with pytest.raises(EdgeError, match=message):
        score(bad, TRUTH)


def test_bad_truth_is_an_error() -> None:
    with pytest.raises(EdgeError, match="ground truth 't'"):
        score([], {k: v for k, v in TRUTH.items() if k != "fps"})
