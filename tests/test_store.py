"""The count store: upserts, coverage, zero-filled aggregation, checkpoints, reopening."""

from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest

from edge.classes import CLASSES
from edge.errors import EdgeError
from edge.store import Batch, Checkpoint, Store

T0 = 1_700_000_000 - 1_700_000_000 % 3600  # an hour boundary


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "counts.db") as s:
        yield s


def series_map(series):
    return {(s.camera, s.line): s for s in series}


def test_round_trip_and_totals(store):
    store.register_lines("cam1", ["north", "south"])
    store.commit(Batch(counts={("cam1", "north", "car", "in", T0): 3,
                               ("cam1", "north", "bus", "out", T0 + 60): 1}))
    totals = store.totals("cam1")
    assert set(totals) == {"north", "south"}
    assert totals["north"]["in"] == {**dict.fromkeys(CLASSES, 0), "car": 3}
    assert totals["north"]["out"] == {**dict.fromkeys(CLASSES, 0), "bus": 1}
    assert totals["south"] == {"in": dict.fromkeys(CLASSES, 0), "out": dict.fromkeys(CLASSES, 0)}
    assert store.totals("unknown") == {}


def test_upserts_accumulate(store):
    key = ("cam1", "north", "car", "in", T0)
    for n in (2, 5, 1):
        store.commit(Batch(counts={key: n}))
    assert store.totals("cam1")["north"]["in"]["car"] == 8
    (s,) = store.count_series(camera="cam1", line=None, start=T0, end=T0 + 60, interval_s=60,
                              classes=None)
    assert s.buckets[0].in_["car"] == 8 and s.buckets[0].total == 8


def test_wal_mode_is_on(store, tmp_path):
    assert store.journal_mode() == "wal"
    store.commit(Batch(counts={("c", "l", "car", "in", T0): 1}))
    other = sqlite3.connect(tmp_path / "counts.db")
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("SELECT SUM(n) FROM counts").fetchone()[0] == 1
    finally:
        other.close()


def test_coverage_is_capped_at_bin_length(store):
    store.register_lines("cam1", ["l"])
    store.commit(Batch(coverage={("cam1", T0): 50.0, ("cam1", T0 + 60): 90.0}))
    store.commit(Batch(coverage={("cam1", T0): 30.0, ("cam1", T0 + 120): 15.0}))
    (s,) = store.count_series(camera="cam1", line="l", start=T0, end=T0 + 240, interval_s=60,
                              classes=None)
    assert [b.coverage for b in s.buckets] == [1.0, 1.0, 0.25, 0.0]
    (s,) = store.count_series(camera="cam1", line="l", start=T0, end=T0 + 240, interval_s=240,
                              classes=None)
    assert s.buckets[0].coverage == pytest.approx((60 + 60 + 15) / 240, abs=1e-4)


def test_zero_filling_across_an_empty_range(store):
    store.register_lines("cam1", ["north", "south"])
    store.register_lines("cam2", ["gate"])
    series = store.count_series(camera=None, line=None, start=T0 + 10, end=T0 + 3 * 3600 - 5,
                                interval_s=900, classes=None)
    assert [(s.camera, s.line) for s in series] == [("cam1", "north"), ("cam1", "south"),
                                                   ("cam2", "gate")]
    for s in series:
        assert [b.start for b in s.buckets] == list(range(T0, T0 + 3 * 3600, 900))
        assert all(b.end - b.start == 900 for b in s.buckets)
        assert all(b.total == 0 and b.coverage == 0.0 for b in s.buckets)
        assert all(b.in_ == dict.fromkeys(CLASSES, 0) == b.out for b in s.buckets)


def test_range_edges_start_inclusive_end_exclusive(store):
    store.commit(Batch(counts={("c", "l", "car", "in", T0 - 60): 1, ("c", "l", "car", "in", T0): 2,
                               ("c", "l", "car", "in", T0 + 540): 4,
                               ("c", "l", "car", "in", T0 + 600): 8}))
    (s,) = store.count_series(camera="c", line="l", start=T0, end=T0 + 600, interval_s=60,
                              classes=["car"])
    assert sum(b.total for b in s.buckets) == 2 + 4
    assert len(s.buckets) == 10


@pytest.mark.parametrize("interval_s", [900, 3600])
def test_aggregates_minute_bins_into_longer_intervals(store, interval_s):
    rng = np.random.default_rng(interval_s)
    minutes = 3 * 60
    grid = rng.poisson(0.7, size=(minutes, 2, len(CLASSES)))  # (minute, direction, class)
    cover = rng.uniform(0, 60, size=minutes)
    counts = {("cam1", "north", cls, d, T0 + 60 * m): int(grid[m, di, ci])
              for m in range(minutes) for di, d in enumerate(("in", "out"))
              for ci, cls in enumerate(CLASSES)}
    store.register_lines("cam1", ["north"])
    store.commit(Batch(counts=counts, coverage={("cam1", T0 + 60 * m): float(cover[m])
                                                for m in range(minutes)}))
    (s,) = store.count_series(camera="cam1", line="north", start=T0, end=T0 + minutes * 60,
                              interval_s=interval_s, classes=None)
    per = interval_s // 60
    expected = grid.reshape(minutes // per, per, 2, len(CLASSES)).sum(axis=1)
    got = np.array([[[b.in_[c] for c in CLASSES], [b.out[c] for c in CLASSES]]
                    for b in s.buckets])
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal([b.total for b in s.buckets], expected.sum(axis=(1, 2)))
    np.testing.assert_allclose([b.coverage for b in s.buckets],
                               cover.reshape(-1, per).sum(axis=1) / interval_s, atol=1e-4)


def test_class_filter(store):
    store.commit(Batch(counts={("c", "l", "car", "in", T0): 2, ("c", "l", "bus", "out", T0): 1,
                               ("c", "l", "pedestrian", "in", T0): 7}))
    (s,) = store.count_series(camera="c", line="l", start=T0, end=T0 + 60, interval_s=60,
                              classes=["bus", "car", "car"])
    (b,) = s.buckets
    assert list(b.in_) == ["car", "bus"]  # product order, no duplicates
    assert b.in_ == {"car": 2, "bus": 0} and b.out == {"car": 0, "bus": 1}
    assert b.total == 3
    with pytest.raises(ValueError, match="unknown class 'dog'"):
        store.count_series(camera="c", line="l", start=T0, end=T0 + 60, interval_s=60,
                           classes=["dog"])


def test_camera_and_line_filters_and_unregistered_lines(store):
    store.register_lines("a", ["l1"])
    store.commit(Batch(counts={("a", "l2", "car", "in", T0): 1, ("b", "l1", "car", "in", T0): 5}))
    everything = series_map(store.count_series(camera=None, line=None, start=T0, end=T0 + 60,
                                               interval_s=60, classes=None))
    assert set(everything) == {("a", "l1"), ("a", "l2"), ("b", "l1")}
    only_l1 = series_map(store.count_series(camera=None, line="l1", start=T0, end=T0 + 60,
                                            interval_s=60, classes=None))
    assert set(only_l1) == {("a", "l1"), ("b", "l1")}
    assert only_l1[("b", "l1")].buckets[0].total == 5
    assert only_l1[("a", "l1")].buckets[0].total == 0


def test_coverage_is_per_camera_and_shared_by_its_lines(store):
    store.register_lines("a", ["l1", "l2"])
    store.register_lines("b", ["l1"])
    store.commit(Batch(coverage={("a", T0): 30.0}))
    got = series_map(store.count_series(camera=None, line=None, start=T0, end=T0 + 60,
                                        interval_s=60, classes=None))
    assert [got[k].buckets[0].coverage for k in (("a", "l1"), ("a", "l2"), ("b", "l1"))] == \
        [0.5, 0.5, 0.0]


def test_checkpoint_round_trip(store):
    assert store.checkpoint("cam1") is None
    cp = Checkpoint("cam1", "footage/a.mp4", 1_700_000_000.5, 12.25)
    store.commit(Batch(checkpoint=cp))
    assert store.checkpoint("cam1") == cp
    newer = Checkpoint("cam1", "footage/a.mp4", 1_700_000_000.5, 40.0)
    store.commit(Batch(counts={("cam1", "l", "car", "in", T0): 1}, checkpoint=newer))
    assert store.checkpoint("cam1") == newer
    assert store.checkpoint("cam2") is None


def test_reopen_keeps_everything(tmp_path):
    path = tmp_path / "sub" / "counts.db"
    cp = Checkpoint("cam1", "rtsp-stream-1", 1.0, 99.5)
    with Store(path) as s:
        s.register_lines("cam1", ["north", "empty"])
        s.commit(Batch(counts={("cam1", "north", "truck", "out", T0 + 120): 4},
                       coverage={("cam1", T0 + 120): 42.0}, checkpoint=cp))
        before = s.count_series(camera=None, line=None, start=T0, end=T0 + 3600, interval_s=900,
                                classes=None)
    with Store(path) as s:
        assert s.checkpoint("cam1") == cp
        assert s.count_series(camera=None, line=None, start=T0, end=T0 + 3600, interval_s=900,
                              classes=None) == before
        assert s.totals("cam1")["north"]["out"]["truck"] == 4
        assert "empty" in s.totals("cam1")
    assert before[0].buckets[0].coverage == pytest.approx(42 / 900, abs=1e-4)


def test_reopen_with_other_bin_size_is_refused(tmp_path):
    Store(tmp_path / "c.db", bin_seconds=60).close()
    with pytest.raises(EdgeError, match="bins of 60 s"):
        Store(tmp_path / "c.db", bin_seconds=300)


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "c.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(EdgeError, match="c.db"):
        Store(bad)


def test_newer_schema_is_refused(tmp_path):
    db = sqlite3.connect(tmp_path / "c.db")
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(EdgeError, match="schema version 99"):
        Store(tmp_path / "c.db")


@pytest.mark.parametrize("batch", [
    Batch(counts={("c", "l", "car", "in", T0): 1, ("c", "l", "dog", "in", T0): 1}),
    Batch(counts={("c", "l", "car", "in", T0): 1, ("c", "l", "car", "up", T0): 1}),
    Batch(counts={("c", "l", "car", "in", T0): 1, ("c", "l", "car", "in", T0 + 30): 1}),
    Batch(counts={("c", "l", "car", "in", T0): 1, ("c", "l", "car", "out", T0): -1}),
    Batch(counts={("c", "l", "car", "in", T0): 1}, coverage={("c", T0): -5.0}),
])
def test_a_bad_batch_writes_nothing(store, batch):
    batch.checkpoint = Checkpoint("c", "s", 0.0, 1.0)
    with pytest.raises(ValueError):
        store.commit(batch)
    assert store.totals("c") == {}
    assert store.checkpoint("c") is None


def test_bad_query_arguments(store):
    with pytest.raises(ValueError, match="multiple of 60"):
        store.count_series(camera=None, line=None, start=T0, end=T0 + 60, interval_s=90,
                           classes=None)
    with pytest.raises(ValueError, match="after start"):
        store.count_series(camera=None, line=None, start=T0, end=T0, interval_s=60, classes=None)


def test_concurrent_writers_and_readers(store):
    store.register_lines("cam", ["l"])
    errors: list[BaseException] = []

    def write(camera: str) -> None:
        try:
            for i in range(100):
                store.commit(Batch(counts={(camera, "l", "car", "in", T0 + 60 * (i % 5)): 1},
                                   coverage={(camera, T0): 0.1}))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(50):
                store.count_series(camera=None, line=None, start=T0, end=T0 + 300, interval_s=60,
                                   classes=None)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"c{i}",)) for i in range(4)]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [store.totals(f"c{i}")["l"]["in"]["car"] for i in range(4)] == [100] * 4
