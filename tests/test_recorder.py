"""Recorder: bins, coverage split, flush timing, crash and resume without loss or double count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass

import pytest

from edge.analytics.base import Event, LineCrossing
from edge.recorder import Recorder
from edge.store import Store

T0 = 1_700_000_000 - 1_700_000_000 % 3600  # an hour boundary


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@dataclass(frozen=True, slots=True)
class Parked(Event):  # an event type the recorder does not store yet
    zone: str


def crossing(wall_ts: float, line: str = "north", cls: str = "car", direction: str = "in",
             camera: str = "cam1") -> LineCrossing:
    return LineCrossing(camera, wall_ts, wall_ts - T0, line, cls, direction)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "counts.db") as s:
        s.register_lines("cam1", ["north"])
        yield s


def minute_counts(store: Store, minutes: int = 5, cls: str = "car", direction: str = "in"):
    (s,) = store.count_series(camera="cam1", line="north", start=T0, end=T0 + 60 * minutes,
                              interval_s=60, classes=None)
    return [(b.in_ if direction == "in" else b.out)[cls] for b in s.buckets]


def coverage(store: Store, minutes: int = 5):
    (s,) = store.count_series(camera="cam1", line="north", start=T0, end=T0 + 60 * minutes,
                              interval_s=60, classes=None)
    return [b.coverage * 60 for b in s.buckets]


def test_flushes_only_when_due(store):
    clock = FakeClock()
    rec = Recorder(store, "cam1", "a.mp4", T0, flush_seconds=2.0, clock=clock)
    rec.add([crossing(T0 + 1)])
    clock.t += 1.9
    assert rec.maybe_flush(media_pos=1.0) is False
    assert minute_counts(store)[0] == 0 and store.checkpoint("cam1") is None
    clock.t += 0.1
    assert rec.maybe_flush(media_pos=2.0) is True
    assert minute_counts(store)[0] == 1 and store.checkpoint("cam1").media_pos == 2.0
    rec.add([crossing(T0 + 3)])
    clock.t += 1.0
    assert rec.maybe_flush(media_pos=3.0) is False  # the timer restarted at the last flush
    clock.t += 1.0
    assert rec.maybe_flush(media_pos=4.0) is True
    assert minute_counts(store)[0] == 2 and store.checkpoint("cam1").media_pos == 4.0


def test_bin_boundaries(store):
    rec = Recorder(store, "cam1", "a.mp4", T0, clock=FakeClock())
    rec.add([crossing(T0 + 59.999), crossing(T0 + 60.0), crossing(T0 + 119.5),
             crossing(T0 + 120.0)])
    rec.flush(media_pos=121.0)
    assert minute_counts(store) == [1, 2, 1, 0, 0]
    assert rec.bin_of(T0 - 0.5) == T0 - 60


def test_events_in_two_bins_lines_classes_directions(store):
    rec = Recorder(store, "cam1", "a.mp4", T0, clock=FakeClock())
    rec.add([crossing(T0 + 10), crossing(T0 + 20), crossing(T0 + 70, cls="bicycle"),
             crossing(T0 + 75, direction="out"), crossing(T0 + 80, line="south")])
    assert rec.pending == 4
    rec.flush(media_pos=80.0)
    assert rec.pending == 0
    assert minute_counts(store) == [2, 0, 0, 0, 0]
    assert minute_counts(store, cls="bicycle") == [0, 1, 0, 0, 0]
    assert minute_counts(store, direction="out") == [0, 1, 0, 0, 0]
    assert store.totals("cam1")["south"]["in"]["car"] == 1


def test_coverage_split_at_bin_boundaries(store):
    rec = Recorder(store, "cam1", "a.mp4", T0, clock=FakeClock())
    rec.covered(T0 + 50, 20.0)  # 10 s in the first minute, 10 s in the second
    rec.covered(T0 + 110, 135.0)  # 10 s, then 60, 60 and 5
    rec.flush(media_pos=None)
    assert coverage(store) == pytest.approx([10, 20, 60, 60, 5], abs=0.01)
    assert store.checkpoint("cam1") is None  # no position given: no checkpoint


def test_other_event_types_are_ignored_and_cameras_checked(store):
    rec = Recorder(store, "cam1", "a.mp4", T0, clock=FakeClock())
    rec.add([Parked("cam1", T0 + 1, 1.0, "zone-a"), crossing(T0 + 2)])
    assert rec.pending == 1
    with pytest.raises(ValueError, match="cam2"):
        rec.add([crossing(T0 + 3, camera="cam2")])
    with pytest.raises(ValueError, match="analysed seconds"):
        rec.covered(T0, -1.0)


def test_bin_size_must_match_the_store(store):
    with pytest.raises(ValueError, match="differ"):
        Recorder(store, "cam1", "a.mp4", T0, bin_seconds=300)
    assert Recorder(store, "cam1", "a.mp4", T0).bin_seconds == store.bin_seconds


def test_failed_commit_keeps_the_buffer(store, monkeypatch):
    rec = Recorder(store, "cam1", "a.mp4", T0, clock=FakeClock())
    rec.add([crossing(T0 + 1)])
    real_commit = store.commit

    def broken(batch):
        raise OSError("disk full")

    monkeypatch.setattr(store, "commit", broken)
    with pytest.raises(OSError):
        rec.flush(media_pos=1.0)
    monkeypatch.setattr(store, "commit", real_commit)
    rec.flush(media_pos=1.0)
    assert minute_counts(store)[0] == 1


def run_with_crash(store: Store, events: list[LineCrossing], crash_after: int,
                   flush_every: int) -> None:
    """Feed events one 'frame' each, flushing every ``flush_every``; stop dead at crash_after."""
    clock = FakeClock()
    rec = Recorder(store, "cam1", "a.mp4", T0, flush_seconds=1.0, clock=clock)
    for i, ev in enumerate(events[:crash_after]):
        rec.add([ev])
        rec.covered(ev.wall_ts, 1.0)
        if (i + 1) % flush_every == 0:
            clock.t += 1.0
            rec.maybe_flush(media_pos=ev.media_ts + 1.0)
    # crash: the recorder is dropped without a flush


def test_crash_loses_only_the_unflushed_tail_and_resume_does_not_double_count(tmp_path):
    events = [crossing(T0 + 7.0 * i) for i in range(40)]  # one per 7 s over ~4.5 minutes
    path = tmp_path / "counts.db"
    with Store(path) as s:
        s.register_lines("cam1", ["north"])
        run_with_crash(s, events, crash_after=27, flush_every=5)  # last flush after event 25
    with Store(path) as s:  # restart
        assert s.totals("cam1")["north"]["in"]["car"] == 25
        cp = s.checkpoint("cam1")
        assert cp is not None and cp.media_pos == events[24].media_ts + 1.0
        assert (cp.source, cp.epoch_base) == ("a.mp4", T0)
        # Resume from the checkpoint: replay only what lies after it.
        rec = Recorder(s, "cam1", cp.source, cp.epoch_base, clock=FakeClock())
        for ev in events:
            if ev.media_ts >= cp.media_pos:
                rec.add([ev])
                rec.covered(ev.wall_ts, 1.0)
        rec.flush(media_pos=events[-1].media_ts + 1.0)
        got = minute_counts(s)
    with Store(tmp_path / "reference.db") as ref:
        ref.register_lines("cam1", ["north"])
        rec = Recorder(ref, "cam1", "a.mp4", T0, clock=FakeClock())
        rec.add(events)
        rec.flush(media_pos=events[-1].media_ts + 1.0)
        assert got == minute_counts(ref) and sum(got) == len(events)


_CHILD = textwrap.dedent("""
    import sys, time
    from edge.analytics.base import LineCrossing
    from edge.recorder import Recorder
    from edge.store import Store
    t0 = float(sys.argv[2])
    store = Store(sys.argv[1])
    rec = Recorder(store, "cam1", "a.mp4", t0, flush_seconds=1e9)
    rec.add([LineCrossing("cam1", t0 + i, float(i), "north", "car", "in") for i in range(30)])
    rec.flush(media_pos=30.0)
    rec.add([LineCrossing("cam1", t0 + 30 + i, 30.0 + i, "north", "car", "in") for i in range(9)])
    print("flushed", flush=True)
    time.sleep(60)
""")


def test_kill_9_after_a_flush_keeps_it(tmp_path):
    path = tmp_path / "counts.db"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), str(T0)],
                             stdout=subprocess.PIPE, text=True, env={**os.environ})
    try:
        assert child.stdout.readline().strip() == "flushed"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    with Store(path) as s:
        assert s.totals("cam1")["north"]["in"]["car"] == 30
        assert s.checkpoint("cam1").media_pos == 30.0
