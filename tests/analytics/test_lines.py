"""The crossing rule on synthetic tracks, driven through the real tracker frame by frame."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from edge.analytics.lines import LineConfig, LineCounter
from edge.tracking import ByteTracker, TrackerSettings
from tests.helpers import dets, frame, person_at

VERTICAL = dict(id="L", p1=(100, 0), p2=(100, 200))


def run(path_per_frame: list[list[tuple]], **line_kw) -> Counter:
    """Feed one list of boxes per frame; return Counter of (direction, class)."""
    tracker = ByteTracker(TrackerSettings())
    counter = LineCounter("cam", [LineConfig(**{**VERTICAL, **line_kw})])
    out: Counter = Counter()
    for i, boxes in enumerate(path_per_frame):
        tracks = tracker.update(dets(*boxes), frame(i).media_ts)
        for ev in counter.update(frame(i), tracks):
            out[(ev.direction, ev.cls)] += 1
    return out


def walk(xs, y=150.0, **kw) -> list[list[tuple]]:
    return [[person_at(x, y, **kw)] for x in xs]


def test_direction_convention_right_to_left_is_in():
    # Line (100,0)->(100,200): s = -200*(x-100) > 0 for x < 100, so moving leftwards is "in".
    assert run(walk(np.linspace(160, 40, 25))) == Counter({("in", "pedestrian"): 1})
    assert run(walk(np.linspace(40, 160, 25))) == Counter({("out", "pedestrian"): 1})


def test_jitter_on_the_line_counts_once():
    rng = np.random.default_rng(1)
    xs = list(np.linspace(160, 104, 10)) + list(100 + rng.uniform(-6, 6, 40)) + \
        list(np.linspace(96, 40, 10))
    assert run(walk(xs)) == Counter({("in", "pedestrian"): 1})


def test_jitter_that_never_leaves_the_band_counts_nothing():
    rng = np.random.default_rng(2)
    assert run(walk(100 + rng.uniform(-7, 7, 60))) == Counter()


def test_crossing_the_extension_outside_the_segment_is_not_counted():
    # Segment spans y in [0, 100]; the walker crosses x=100 at y=150, below its end.
    assert run(walk(np.linspace(160, 40, 25), y=150), p2=(100, 100)) == Counter()
    assert run(walk(np.linspace(160, 40, 25), y=80), p2=(100, 100)) == \
        Counter({("in", "pedestrian"): 1})


def test_back_and_forth_counts_each_real_crossing():
    xs = np.concatenate([np.linspace(160, 40, 20), np.linspace(40, 160, 20),
                         np.linspace(160, 40, 20)])
    assert run(walk(xs)) == Counter({("in", "pedestrian"): 2, ("out", "pedestrian"): 1})


def test_class_flicker_counts_once_under_majority_class():
    xs = np.linspace(160, 40, 30)
    frames = [[person_at(x, 150, cls="truck" if i % 4 == 0 else "car", w=60, h=40)]
              for i, x in enumerate(xs)]
    assert run(frames) == Counter({("in", "car"): 1})


def test_gap_at_the_line_keeps_the_side():
    # Detections vanish for 8 frames while the walker passes behind an occluder on the line.
    xs = np.linspace(160, 40, 30)
    frames = [[] if 11 <= i <= 18 else [person_at(x, 150)] for i, x in enumerate(xs)]
    assert run(frames) == Counter({("in", "pedestrian"): 1})


def test_class_filter_on_a_line():
    assert run(walk(np.linspace(160, 40, 25)), classes=["car"]) == Counter()


def test_two_walkers_opposite_directions():
    a, b = np.linspace(170, 30, 30), np.linspace(30, 170, 30)
    frames = [[person_at(x1, 150), person_at(x2, 60)] for x1, x2 in zip(a, b, strict=True)]
    assert run(frames) == Counter({("in", "pedestrian"): 1, ("out", "pedestrian"): 1})


def test_unconfirmed_noise_never_counts():
    # A one-frame false detection on each side never becomes a track.
    assert run([[person_at(140, 150)], [], [person_at(60, 150)], []]) == Counter()


def test_state_is_dropped_when_tracks_end():
    counter = LineCounter("cam", [LineConfig(**VERTICAL)])
    tracker = ByteTracker(TrackerSettings(lost_buffer_s=0.3))
    for i, x in enumerate(np.linspace(160, 130, 5)):
        counter.update(frame(i), tracker.update(dets(person_at(x, 150)), frame(i).media_ts))
    for i in range(5, 15):
        counter.update(frame(i), tracker.update(dets(), frame(i).media_ts))
    assert len(counter._st.ids) == 0


@pytest.mark.parametrize("bad", [dict(p1=(1, 1), p2=(1, 1)), dict(classes=["tram"])])
def test_invalid_line_config_is_rejected(bad):
    with pytest.raises(ValueError):
        LineConfig(**{**VERTICAL, **bad})


def test_cyclist_counts_once_as_bicycle_not_as_pedestrian():
    """A rider detected as person + bicycle, merged by the detector stage, then tracked."""
    from edge.detectors.riders import merge_riders

    tracker = ByteTracker(TrackerSettings())
    counter = LineCounter("cam", [LineConfig(**VERTICAL)])
    out: Counter = Counter()
    for i, x in enumerate(np.linspace(170, 30, 25)):
        rider = (x - 10, 90, x + 10, 140, 0.85, "pedestrian")
        bike = (x - 18, 115, x + 18, 150, 0.7, "bicycle")
        # The rider is missed on some frames, the bike on none: still one bicycle track.
        boxes = [bike] if i % 5 == 2 else [rider, bike]
        tracks = tracker.update(merge_riders(dets(*boxes)), frame(i).media_ts)
        for ev in counter.update(frame(i), tracks):
            out[(ev.direction, ev.cls)] += 1
    assert out == Counter({("in", "bicycle"): 1})


def test_pedestrian_beside_a_parked_bicycle_is_still_a_pedestrian():
    from edge.detectors.riders import merge_riders

    tracker = ByteTracker(TrackerSettings())
    counter = LineCounter("cam", [LineConfig(**VERTICAL)])
    out: Counter = Counter()
    for i, x in enumerate(np.linspace(170, 30, 25)):
        boxes = [person_at(x, 150), (90, 120, 126, 155, 0.8, "bicycle")]
        tracks = tracker.update(merge_riders(dets(*boxes)), frame(i).media_ts)
        for ev in counter.update(frame(i), tracks):
            out[(ev.direction, ev.cls)] += 1
    assert out == Counter({("in", "pedestrian"): 1})


def test_centre_anchor_for_top_down_views():
    # A tall box moving down: its bottom crosses y=100 before its centre does.
    tracker = ByteTracker(TrackerSettings())
    lines = [LineConfig(id="foot", p1=(0, 100), p2=(200, 100)),
             LineConfig(id="mid", p1=(0, 100), p2=(200, 100), anchor="center")]
    counter = LineCounter("cam", lines)
    first: dict[str, int] = {}
    for i, y in enumerate(np.arange(20, 200, 6)):
        tracks = tracker.update(dets((80, y - 60, 120, y, 0.9, "car")), frame(i).media_ts)
        for ev in counter.update(frame(i), tracks):
            first.setdefault(ev.line, i)
    assert set(first) == {"foot", "mid"} and first["mid"] - first["foot"] >= 4
