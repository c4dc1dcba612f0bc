"""Recorder for parking events: current state, occupancy bins, stays, learnt-reference counts,
and the same no-loss / no-double-count guarantee as counts (results and checkpoint in one
transaction)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from edge.analytics.base import Event, LineCrossing, LotOccupancy, SpaceChange, StayEnded
from edge.recorder import Recorder
from edge.store import Store

T0 = 1_700_000_000 - 1_700_000_000 % 3600  # an hour boundary
STEP = 2.5  # seconds between two occupancy analyses
STATES = ("occupied", "free")


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def analysis_events(n: int = 150) -> list[list[Event]]:
    """What a parking analytic emits per analysis over ~6 minutes: the lot's counts each time
    (one more space learnt every 20 analyses), a space change every 7th analysis, a stay every
    11th."""
    out = []
    for i in range(n):
        media = STEP * i
        wall = T0 + media
        occupied = i % 6
        events: list[Event] = [LotOccupancy("cam1", wall, media, "P1", occupied, 6 - occupied,
                                            0, learnt=min(i // 20, 6))]
        if i % 7 == 3:
            space = f"S{i % 6}"
            old, new = STATES[(i // 7) % 2], STATES[(i // 7 + 1) % 2]
            events.insert(0, SpaceChange("cam1", wall - 1.0, media - 1.0, "P1", space, old, new))
        if i % 11 == 5:
            events.append(StayEnded("cam1", wall, media, "P1", ("<15min", "15-60min")[i % 2]))
        out.append(events)
    return out


def snapshot(store: Store) -> tuple:
    """Everything the store holds about P1, in comparable form."""
    series = store.occupancy_series("cam1", "P1", T0, T0 + 600, 60)
    changes = store._db.execute("SELECT space, old_state, new_state, ts FROM space_changes "
                                "ORDER BY ts, space").fetchall()
    (lot,) = store.lots(now=T0 + 10_000, lot="P1")
    return series, changes, store.spaces("cam1", "P1", now=0.0), lot.updated_at, lot.learnt


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "counts.db") as s:
        s.register_lots("cam1", {"P1": [(f"S{i}", "standard") for i in range(6)]},
                        stay_bands=["<15min", "15-60min"])
        yield s


def test_each_parking_event_lands_where_it_belongs(store):
    rec = Recorder(store, "cam1", "a.mp4", T0, clock=FakeClock())
    rec.add([
        SpaceChange("cam1", T0 + 10.0, 10.0, "P1", "S1", "unknown", "occupied"),
        LotOccupancy("cam1", T0 + 30.0, 30.0, "P1", 1, 4, 1),
        LotOccupancy("cam1", T0 + 59.0, 59.0, "P1", 3, 3, 0),
        LotOccupancy("cam1", T0 + 61.0, 61.0, "P1", 2, 4, 0),
        StayEnded("cam1", T0 + 61.0, 61.0, "P1", "15-60min"),
        LineCrossing("cam1", T0 + 2.0, 2.0, "north", "car", "in"),
    ])
    assert rec.pending == 1 + 2 + 1 + 1  # a change, two bins, a stay, a count
    rec.flush(media_pos=62.0)
    assert rec.pending == 0
    (lot,) = store.lots(now=T0 + 62.0)
    assert (lot.updated_at, lot.occupied, lot.unknown) == (T0 + 61.0, 1, 5)
    assert [(s.space, s.state, s.since) for s in store.spaces("cam1", "P1", now=T0 + 62.0)
            if s.state != "unknown"] == [("S1", "occupied", T0 + 10.0)]
    first, second = store.occupancy_series("cam1", "P1", T0, T0 + 120, 60).buckets
    assert (first.samples, first.mean_occupied, first.min_occupied, first.max_occupied,
            first.mean_unknown) == (2, 2.0, 1, 3, 0.5)
    assert (second.samples, second.mean_occupied) == (1, 2.0)
    assert store.occupancy_series("cam1", "P1", T0, T0 + 120, 60).stays == {"<15min": 0,
                                                                           "15-60min": 1}
    assert store.totals("cam1")["north"]["in"]["car"] == 1
    assert store.checkpoint("cam1").media_pos == 62.0


def test_the_learnt_count_of_the_latest_analysis_is_stored(store):
    rec = Recorder(store, "cam1", "a.mp4", T0, clock=FakeClock())
    rec.add([LotOccupancy("cam1", T0 + 1.0, 1.0, "P1", 0, 6, 0, learnt=1),
             LotOccupancy("cam1", T0 + 2.0, 2.0, "P1", 0, 6, 0, learnt=3)])
    assert rec.pending == 1  # one occupancy bin; the count is not a cell of its own
    rec.flush(media_pos=3.0)
    (lot,) = store.lots(now=T0 + 3.0)
    assert (lot.learnt, lot.reference) == (3, None)
    # A view change makes the spaces learn again: the count goes down, and so does the store's.
    rec.add([LotOccupancy("cam1", T0 + 4.0, 4.0, "P1", 0, 6, 0, learnt=0)])
    rec.flush(media_pos=5.0)
    assert store.lots(now=T0 + 5.0)[0].learnt == 0
    rec.flush(media_pos=6.0)  # a flush without an analysis keeps it
    assert store.lots(now=T0 + 6.0)[0].learnt == 0


def test_many_flushes_store_what_one_flush_stores(store, tmp_path):
    rec = Recorder(store, "cam1", "a.mp4", T0, clock=FakeClock())
    for i, events in enumerate(analysis_events()):
        rec.add(events)
        if i % 4 == 0:  # flushes fall inside minute bins
            rec.flush(media_pos=STEP * (i + 1))
    rec.flush(media_pos=STEP * 150)
    with Store(tmp_path / "reference.db") as ref:
        ref.register_lots("cam1", {"P1": [(f"S{i}", "standard") for i in range(6)]},
                          stay_bands=["<15min", "15-60min"])
        once = Recorder(ref, "cam1", "a.mp4", T0, clock=FakeClock())
        once.add([e for events in analysis_events() for e in events])
        once.flush(media_pos=STEP * 150)
        assert snapshot(store) == snapshot(ref)
    series = snapshot(store)[0]
    assert snapshot(store)[-1] == 6  # the last analysis' learnt count
    assert sum(b.samples for b in series.buckets) == 150
    assert sum(series.stays.values()) == len([i for i in range(150) if i % 11 == 5])


def test_failed_commit_keeps_the_parking_buffer(store, monkeypatch):
    rec = Recorder(store, "cam1", "a.mp4", T0, clock=FakeClock())
    for events in analysis_events(20):
        rec.add(events)
    pending = rec.pending

    def broken(batch):
        raise OSError("disk full")

    monkeypatch.setattr(store, "commit", broken)
    with pytest.raises(OSError):
        rec.flush(media_pos=50.0)
    assert rec.pending == pending
    monkeypatch.undo()
    rec.flush(media_pos=50.0)
    assert sum(b.samples for b in snapshot(store)[0].buckets) == 20


def run_with_crash(store: Store, crash_after: int, flush_every: int) -> None:
    """Feed one analysis per 'frame', flushing every ``flush_every``; stop dead at crash_after."""
    clock = FakeClock()
    rec = Recorder(store, "cam1", "a.mp4", T0, flush_seconds=1.0, clock=clock)
    for i, events in enumerate(analysis_events()[:crash_after]):
        rec.add(events)
        if (i + 1) % flush_every == 0:
            clock.t += 1.0
            rec.maybe_flush(media_pos=STEP * (i + 1))
    # crash: the recorder is dropped without a flush


def test_crash_and_resume_neither_lose_nor_double_parking_results(tmp_path, store):
    run_with_crash(store, crash_after=97, flush_every=8)  # last flush after analysis 96
    cp = store.checkpoint("cam1")
    assert cp is not None and cp.media_pos == STEP * 96
    stored = snapshot(store)[0]
    assert sum(b.samples for b in stored.buckets) == 96  # exactly what the checkpoint covers
    assert sum(stored.stays.values()) == len([i for i in range(96) if i % 11 == 5])
    # Resume from the checkpoint: re-analyse only the frames after it (as the runner does; a
    # change's own time may lie before the frame that confirmed it).
    rec = Recorder(store, cp.camera, cp.source, cp.epoch_base, clock=FakeClock())
    for i, events in enumerate(analysis_events()):
        if STEP * i >= cp.media_pos:
            rec.add(events)
    rec.flush(media_pos=STEP * 150)
    with Store(tmp_path / "reference.db") as ref:
        ref.register_lots("cam1", {"P1": [(f"S{i}", "standard") for i in range(6)]},
                          stay_bands=["<15min", "15-60min"])
        once = Recorder(ref, "cam1", "a.mp4", T0, clock=FakeClock())
        once.add([e for events in analysis_events() for e in events])
        once.flush(media_pos=STEP * 150)
        assert snapshot(store) == snapshot(ref)


_CHILD = textwrap.dedent("""
    import sys, time
    from edge.analytics.base import LotOccupancy, SpaceChange, StayEnded
    from edge.recorder import Recorder
    from edge.store import Store
    t0 = float(sys.argv[2])
    rec = Recorder(Store(sys.argv[1]), "cam1", "a.mp4", t0, flush_seconds=1e9)
    rec.add([LotOccupancy("cam1", t0 + i, float(i), "P1", 2, 1, 0) for i in range(30)])
    rec.add([SpaceChange("cam1", t0 + 3, 3.0, "P1", "S1", "unknown", "occupied"),
             StayEnded("cam1", t0 + 20, 20.0, "P1", "<15min")])
    rec.flush(media_pos=30.0)
    rec.add([LotOccupancy("cam1", t0 + 30 + i, 30.0 + i, "P1", 3, 0, 0) for i in range(9)])
    rec.add([StayEnded("cam1", t0 + 31, 31.0, "P1", "<15min")])
    print("flushed", flush=True)
    time.sleep(60)
""")


def test_kill_9_after_a_flush_keeps_parking_results(tmp_path):
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
        assert s.checkpoint("cam1").media_pos == 30.0
        series = s.occupancy_series("cam1", "P1", T0, T0 + 60, 60)
        (b,) = series.buckets
        assert (b.samples, b.mean_occupied, b.max_occupied) == (30, 2.0, 2)
        assert series.stays == {"<15min": 1}
        assert [(x.space, x.state) for x in s.spaces("cam1", "P1", now=T0 + 30)] == [
            ("S1", "occupied")]

