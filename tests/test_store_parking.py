"""Parking in the store: registration, space-state upserts, exact bin merging, staleness,
zero-filled occupancy series, the lots' reference kind and learnt count, all-or-nothing batches
and the upgrade of version-1 and version-3 files."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from edge.errors import EdgeError
from edge.store import (
    _SCHEMA_V1,
    _SCHEMA_V2,
    _SCHEMA_V3,
    SCHEMA_VERSION,
    Batch,
    Checkpoint,
    OccupancyBin,
    SpaceChangeRecord,
    Store,
)

T0 = 1_700_000_000 - 1_700_000_000 % 3600  # an hour boundary
SPACES = [("A1", "standard"), ("A2", "disabled"), ("A10", "ev")]


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "counts.db") as s:
        yield s


def change(space: str, old: str, new: str, ts: float, lot: str = "P1",
           camera: str = "cam1") -> SpaceChangeRecord:
    return SpaceChangeRecord(camera, lot, space, old, new, ts)


def states(store: Store, lot: str = "P1", now: float = T0) -> dict[str, tuple]:
    return {s.space: (s.state, s.since) for s in store.spaces("cam1", lot, now=now)}


# -- registration and current state ------------------------------------------------------------


def test_registered_lots_are_listed_unknown_before_any_analysis(store):
    store.register_lots("cam1", {"P1": SPACES, "P2": [("1", "standard")]},
                        unknown_after_s=90.0, stay_bands=["<15min", ">=15min"])
    lots = store.lots(now=T0)
    assert [(s.lot, s.camera, s.spaces, s.unknown, s.updated_at, s.stale) for s in lots] == [
        ("P1", "cam1", 3, 3, None, True), ("P2", "cam1", 1, 1, None, True)]
    assert lots[0].unknown_after_s == 90.0 and lots[0].stay_bands == ("<15min", ">=15min")
    spaces = store.spaces("cam1", "P1", now=T0)
    assert [(s.space, s.category, s.state, s.since) for s in spaces] == [
        ("A1", "standard", "unknown", None), ("A2", "disabled", "unknown", None),
        ("A10", "ev", "unknown", None)]  # natural order: A2 before A10
    assert store.lot_cameras("P1") == ["cam1"] and store.lot_cameras("nope") == []
    assert store.spaces("cam2", "P1", now=T0) == []


def test_reregistration_updates_settings_keeps_states_drops_removed_spaces(store):
    store.register_lots("cam1", {"P1": SPACES})
    store.commit(Batch(changes=[change("A1", "unknown", "occupied", T0 + 5),
                                change("A2", "unknown", "free", T0 + 6)],
                       lot_seen={("cam1", "P1"): T0 + 10}))
    store.register_lots("cam1", {"P1": [("A1", "delivery"), ("A3", "standard")]},
                        unknown_after_s=30.0)
    got = {s.space: (s.category, s.state, s.since) for s in store.spaces("cam1", "P1", now=T0)}
    assert got == {"A1": ("delivery", "occupied", T0 + 5), "A3": ("standard", "unknown", None)}
    (lot,) = store.lots(now=T0 + 41)
    assert lot.unknown_after_s == 30.0 and lot.stale and lot.updated_at == T0 + 10


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lots": {"P1": [("A1", "standard"), ("A1", "ev")]}}, "twice"),
    ({"lots": {"P1": SPACES}, "unknown_after_s": 0}, "unknown_after_s"),
])
def test_bad_registration_is_refused(store, kwargs, message):
    with pytest.raises(ValueError, match=message):
        store.register_lots("cam1", **kwargs)
    assert store.lots(now=T0) == []


def test_space_changes_upsert_the_current_state_and_are_kept_as_events(store):
    store.register_lots("cam1", {"P1": SPACES})
    store.commit(Batch(changes=[change("A1", "unknown", "occupied", T0 + 1),
                                change("A1", "occupied", "free", T0 + 50)]))
    store.commit(Batch(changes=[change("A1", "free", "occupied", T0 + 90),
                                change("B7", "unknown", "free", T0 + 95)],  # not registered
                       lot_seen={("cam1", "P1"): T0 + 96}))
    assert states(store, now=T0 + 100) == {"A1": ("occupied", T0 + 90), "A2": ("unknown", None),
                             "A10": ("unknown", None), "B7": ("free", T0 + 95)}
    rows = store._db.execute("SELECT space, old_state, new_state, ts FROM space_changes "
                             "ORDER BY ts").fetchall()  # white-box: the event log
    assert rows == [("A1", "unknown", "occupied", T0 + 1), ("A1", "occupied", "free", T0 + 50),
                    ("A1", "free", "occupied", T0 + 90), ("B7", "unknown", "free", T0 + 95)]


def test_lots_count_states_and_go_unknown_when_not_analysed(store):
    store.register_lots("cam1", {"P1": SPACES}, unknown_after_s=60.0)
    store.commit(Batch(changes=[change("A1", "unknown", "occupied", T0 + 1),
                                change("A2", "unknown", "free", T0 + 1)],
                       lot_seen={("cam1", "P1"): T0 + 100}))
    # A re-analysed (older) time does not move the last analysis back.
    store.commit(Batch(lot_seen={("cam1", "P1"): T0 + 40}))
    for now, expected in [(T0 + 100, (1, 1, 1, False)), (T0 + 160, (1, 1, 1, False)),
                          (T0 + 160.5, (0, 0, 3, True))]:
        (lot,) = store.lots(now=now)
        assert (lot.occupied, lot.free, lot.unknown, lot.stale) == expected, now
        assert lot.updated_at == T0 + 100
    assert states(store, now=T0 + 161) == {sp: ("unknown", T0 + 100) for sp, _ in SPACES}


def test_lots_filters_and_unregistered_lots(store):
    store.register_lots("cam1", {"P1": SPACES})
    store.commit(Batch(occupancy={("cam2", "P1", T0): OccupancyBin.one(2, 3, 0)},
                       lot_seen={("cam2", "P1"): T0 + 1}))
    assert store.lot_cameras("P1") == ["cam1", "cam2"]
    assert [(s.camera, s.spaces) for s in store.lots(now=T0)] == [("cam1", 3), ("cam2", 0)]
    assert [s.camera for s in store.lots(now=T0, camera="cam2")] == ["cam2"]
    assert store.lots(now=T0, lot="P9") == []
    # An unregistered lot's size is the one its analyses reported.
    assert store.occupancy_series("cam2", "P1", T0, T0 + 60, 60).spaces == 5


# -- empty-state reference ---------------------------------------------------------------------


def test_reference_kind_and_learnt_count(store):
    store.register_lots("cam1", {"P1": SPACES}, reference="learnt")
    store.register_lots("cam2", {"P2": SPACES}, reference="image")
    assert [(s.lot, s.reference, s.learnt) for s in store.lots(now=T0)] == [
        ("P1", "learnt", None), ("P2", "image", None)]  # not analysed yet: count unknown
    store.commit(Batch(lot_seen={("cam1", "P1"): T0 + 10}, lot_learnt={("cam1", "P1"): 2}))
    store.commit(Batch(lot_learnt={("cam2", "P2"): 0}))
    assert [(s.reference, s.learnt) for s in store.lots(now=T0 + 11)] == [("learnt", 2),
                                                                          ("image", 0)]
    # Re-analysed (older) time still sets it: the count is the running analytic's state.
    store.commit(Batch(lot_seen={("cam1", "P1"): T0 + 5}, lot_learnt={("cam1", "P1"): 1}))
    (p1,) = store.lots(now=T0 + 11, lot="P1")
    assert (p1.learnt, p1.updated_at) == (1, T0 + 10)
    # A camera that starts again learns again: registration forgets the count, sets the kind.
    store.register_lots("cam1", {"P1": SPACES}, reference="image")
    (p1,) = store.lots(now=T0 + 11, lot="P1")
    assert (p1.reference, p1.learnt, p1.updated_at) == ("image", None, T0 + 10)


def test_an_unregistered_lot_has_a_learnt_count_but_no_kind(store):
    store.commit(Batch(lot_learnt={("cam1", "P9"): 3}))
    (lot,) = store.lots(now=T0)
    assert (lot.lot, lot.learnt, lot.reference, lot.spaces) == ("P9", 3, None, 0)


def test_only_counts_of_the_reference_are_stored(store):
    store.register_lots("cam1", {"P1": SPACES}, reference="image")
    store.commit(Batch(lot_learnt={("cam1", "P1"): 2}))
    columns = {r[1]: r[2] for r in store._db.execute("PRAGMA table_info(lots)")}
    assert (columns["learnt"], columns["reference"]) == ("INTEGER", "TEXT")
    assert store._db.execute("SELECT learnt, reference FROM lots").fetchall() == [(2, "image")]


@pytest.mark.parametrize("n", [-1, 1.5])
def test_a_bad_learnt_count_writes_nothing(store, n):
    with pytest.raises(ValueError, match="learnt spaces"):
        store.commit(Batch(lot_learnt={("cam1", "P1"): n},
                           checkpoint=Checkpoint("cam1", "s", 0.0, 1.0)))
    assert store.lots(now=T0) == [] and store.checkpoint("cam1") is None


def test_an_unknown_reference_kind_is_refused(store):
    with pytest.raises(ValueError, match="reference must be one of image, learnt"):
        store.register_lots("cam1", {"P1": SPACES}, reference="pixels")
    assert store.lots(now=T0) == []


# -- occupancy bins ----------------------------------------------------------------------------


def random_samples(seed: int, n: int = 400, spaces: int = 12) -> np.ndarray:
    """(wall ts, occupied, free, unknown) rows, one analysis every 3 s."""
    rng = np.random.default_rng(seed)
    occupied = rng.integers(0, spaces + 1, n)
    unknown = rng.integers(0, spaces + 1 - occupied)
    return np.column_stack([T0 + 3.0 * np.arange(n), occupied, spaces - occupied - unknown,
                            unknown])


def bins_of(rows: np.ndarray) -> dict:
    out: dict = {}
    for ts, occ, free, unk in rows:
        key = ("cam1", "P1", int(ts // 60 * 60))
        one = OccupancyBin.one(int(occ), int(free), int(unk))
        out[key] = out[key].merge(one) if key in out else one
    return out


def test_bins_merged_over_many_commits_equal_one_commit(tmp_path):
    rows = random_samples(1)
    with Store(tmp_path / "once.db") as once, Store(tmp_path / "split.db") as split:
        once.commit(Batch(occupancy=bins_of(rows)))
        for part in np.array_split(rows, 37):  # flush boundaries inside bins
            split.commit(Batch(occupancy=bins_of(part)))
        for interval in (60, 900, 3600):
            a = once.occupancy_series("cam1", "P1", T0, T0 + 3600, interval)
            b = split.occupancy_series("cam1", "P1", T0, T0 + 3600, interval)
            assert a == b
        got = split._db.execute("SELECT samples, occupied_sum, free_sum, unknown_sum, "
                                "occupied_min, occupied_max FROM occupancy ORDER BY bin_start")
        minute = (rows[:, 0] - T0) // 60
        want = [(int((minute == m).sum()), *(int(rows[minute == m, c].sum()) for c in (1, 2, 3)),
                 int(rows[minute == m, 1].min()), int(rows[minute == m, 1].max()))
                for m in np.unique(minute)]
        assert got.fetchall() == want


@pytest.mark.parametrize("interval", [60, 900])
def test_occupancy_series_aggregates_and_zero_fills(store, interval):
    rows = random_samples(interval)  # 20 minutes of analyses from T0
    store.register_lots("cam1", {"P1": [(str(i), "standard") for i in range(12)]},
                        stay_bands=["<15min", "15-60min", ">=60min"])
    store.commit(Batch(occupancy=bins_of(rows), coverage={("cam1", T0 + 60 * m): 45.0
                                                          for m in range(20)},
                       stays={("cam1", "P1", ">=60min", T0 + 120): 2,
                              ("cam1", "P1", "<15min", T0 + 3000): 1,
                              ("cam1", "P1", "odd-band", T0 + 60): 1}))
    s = store.occupancy_series("cam1", "P1", T0 - interval, T0 + 3600, interval)
    assert (s.camera, s.lot, s.spaces) == ("cam1", "P1", 12)
    assert [b.start for b in s.buckets] == list(range(T0 - interval, T0 + 3600, interval))
    assert all(b.end - b.start == interval and b.spaces == 12 for b in s.buckets)
    k = ((rows[:, 0] - T0) // interval).astype(int) + 1  # bucket 0 lies before the data
    for i, b in enumerate(s.buckets):
        mine = rows[k == i]
        if not len(mine):
            assert (b.samples, b.mean_occupied, b.min_occupied, b.occupancy) == (0, None, None,
                                                                                 None)
            continue
        occ, free, unk = mine[:, 1], mine[:, 2], mine[:, 3]
        assert b.samples == len(mine)
        assert b.mean_occupied == pytest.approx(occ.mean(), abs=1e-3)
        assert b.mean_free == pytest.approx(free.mean(), abs=1e-3)
        assert b.mean_unknown == pytest.approx(unk.mean(), abs=1e-3)
        assert (b.min_occupied, b.max_occupied) == (occ.min(), occ.max())
        assert b.occupancy == pytest.approx(occ.sum() / (occ.sum() + free.sum()), abs=1e-4)
    covered = [45.0 * len({m for m in range(20)
                           if b.start <= T0 + 60 * m < b.end}) for b in s.buckets]
    assert [b.coverage_s for b in s.buckets] == pytest.approx(covered)
    # Registered bands first with zeros, in order; a band only the data knows after them.
    assert list(s.stays.items()) == [("<15min", 1), ("15-60min", 0), (">=60min", 2),
                                     ("odd-band", 1)]
    early = store.occupancy_series("cam1", "P1", T0, T0 + 900, 900)
    assert early.stays == {"<15min": 0, "15-60min": 0, ">=60min": 2, "odd-band": 1}


def test_bin_merge_is_exact():
    a = OccupancyBin.one(3, 5, 2)
    b = OccupancyBin(4, 10, 20, 10, 0, 5, 11)
    assert a.merge(b) == OccupancyBin(5, 13, 25, 12, 0, 5, 11)
    assert b.merge(a).spaces == 10  # the later sample's lot size


# -- batches -----------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [
    Batch(changes=[change("A1", "unknown", "occupied", T0), change("A2", "unknown", "parked",
                                                                   T0)]),
    Batch(occupancy={("cam1", "P1", T0 + 30): OccupancyBin.one(1, 1, 1)}),
    Batch(occupancy={("cam1", "P1", T0): OccupancyBin(0, 0, 0, 0, 0, 0, 3)}),
    Batch(occupancy={("cam1", "P1", T0): OccupancyBin(1, 4, 0, 0, 4, 4, 3)}),
    Batch(stays={("cam1", "P1", "<15min", T0): -1}),
    Batch(stays={("cam1", "P1", "", T0): 1}),
])
def test_a_bad_parking_batch_writes_nothing(store, batch):
    batch.counts = {("cam1", "north", "car", "in", T0): 1}
    batch.lot_seen = {("cam1", "P1"): T0}
    batch.checkpoint = Checkpoint("cam1", "s", 0.0, 1.0)
    with pytest.raises(ValueError):
        store.commit(batch)
    assert store.totals("cam1") == {} and store.checkpoint("cam1") is None
    assert store.lots(now=T0) == []


@pytest.mark.parametrize("table", ["counts", "space_changes", "occupancy", "stays",
                                   "checkpoints"])
def test_a_failure_inside_the_transaction_rolls_back_everything(store, table):
    # White-box: make one of the writes fail in SQLite itself, whatever order they run in.
    store._db.execute(f"CREATE TRIGGER fail BEFORE INSERT ON {table} "
                      "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    with pytest.raises(sqlite3.DatabaseError, match="disk I/O"):
        store.commit(Batch(counts={("cam1", "north", "car", "in", T0): 1},
                           occupancy={("cam1", "P1", T0): OccupancyBin.one(1, 0, 0)},
                           stays={("cam1", "P1", "<15min", T0): 1},
                           changes=[change("A1", "unknown", "occupied", T0)],
                           lot_seen={("cam1", "P1"): T0},
                           checkpoint=Checkpoint("cam1", "s", 0.0, 1.0)))
    assert store.totals("cam1") == {} and store.checkpoint("cam1") is None
    assert store.lots(now=T0) == []
    for other in ("occupancy", "stays", "space_changes", "spaces"):
        assert store._db.execute(f"SELECT count(*) FROM {other}").fetchone()[0] == 0


def test_empty_parking_batch_is_empty():
    assert Batch().is_empty()
    assert not Batch(lot_seen={("c", "l"): 1.0}).is_empty()
    assert not Batch(lot_learnt={("c", "l"): 0}).is_empty()
    assert not Batch(changes=[change("A1", "free", "occupied", T0)]).is_empty()


# -- schema ------------------------------------------------------------------------------------


def test_a_version_1_file_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA_V1 + ";INSERT INTO meta VALUES ('bin_seconds', '60');"
                     f"INSERT INTO counts VALUES ('cam1', 'north', 'car', 'in', {T0}, 7);"
                     "PRAGMA user_version=1;")
    db.close()
    with Store(path) as s:
        assert s.totals("cam1")["north"]["in"]["car"] == 7
        s.register_lots("cam1", {"P1": SPACES})
        s.commit(Batch(occupancy={("cam1", "P1", T0): OccupancyBin.one(1, 2, 0)}))
        assert s.occupancy_series("cam1", "P1", T0, T0 + 60, 60).buckets[0].samples == 1
    with Store(path) as s:  # reopening a current file changes nothing
        assert s._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert [x.lot for x in s.lots(now=T0)] == ["P1"]
        assert s.alerts() == [] and s.outbox_backlog() == {}  # version 3 tables came too
        assert [(x.learnt, x.reference) for x in s.lots(now=T0)] == [(None, None)]  # and v4
    with pytest.raises(EdgeError, match="bins of 60 s"):
        Store(path, bin_seconds=300)


def test_a_version_3_file_keeps_its_lots_and_gains_the_reference_columns(tmp_path):
    """A file written by the version-3 schema, with the rows that version wrote (a lot without
    the reference columns), reads back as before; the new columns start unknown."""
    path = tmp_path / "v3.db"
    db = sqlite3.connect(path)
    db.executescript(
        _SCHEMA_V1 + ";" + _SCHEMA_V2 + ";" + _SCHEMA_V3 +
        ";INSERT INTO meta VALUES ('bin_seconds', '60');"
        f"INSERT INTO lots VALUES ('cam1', 'P1', 90.0, '[\"<15min\"]', {T0 + 30});"
        f"INSERT INTO spaces VALUES ('cam1', 'P1', 'A1', 'ev', 'occupied', {T0 + 5});"
        "INSERT INTO spaces VALUES ('cam1', 'P1', 'A2', 'standard', 'free', NULL);"
        f"INSERT INTO occupancy VALUES ('cam1', 'P1', {T0}, 2, 2, 2, 0, 1, 1, 2);"
        "PRAGMA user_version=3;")
    db.close()
    with Store(path) as s:
        (lot,) = s.lots(now=T0 + 60)
        assert (lot.camera, lot.lot, lot.spaces, lot.occupied, lot.free, lot.updated_at,
                lot.unknown_after_s, lot.stay_bands) == ("cam1", "P1", 2, 1, 1, T0 + 30, 90.0,
                                                         ("<15min",))
        assert (lot.learnt, lot.reference) == (None, None)
        assert [(x.space, x.category, x.state) for x in s.spaces("cam1", "P1", now=T0 + 60)] == [
            ("A1", "ev", "occupied"), ("A2", "standard", "free")]
        assert s.occupancy_series("cam1", "P1", T0, T0 + 60, 60).buckets[0].samples == 2
        # The running version writes the new columns into the old rows.
        s.register_lots("cam1", {"P1": [("A1", "ev"), ("A2", "standard")]}, reference="learnt")
        s.commit(Batch(lot_seen={("cam1", "P1"): T0 + 61}, lot_learnt={("cam1", "P1"): 1}))
    with Store(path) as s:
        assert s._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (lot,) = s.lots(now=T0 + 61)
        assert (lot.reference, lot.learnt, lot.updated_at) == ("learnt", 1, T0 + 61)
        assert lot.occupied == 1  # the states the old file held
