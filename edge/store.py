"""The count store: the only place that holds results, and the only module that speaks SQL.

It keeps anonymous aggregates only: counts per (camera, line, class, direction, time bin),
analysed seconds per (camera, time bin), one resume checkpoint per camera and, for parking, the
state of each space (its id, never a vehicle), space state changes, lot occupancy per time bin,
stay counts per duration band and, per lot, the kind of its empty-state reference and how many of
its spaces have learnt one (a count: the references themselves never leave the analytic). There
is no table, column or argument for a box, a track id, a position or an image.

One SQLite connection in WAL mode, guarded by a lock: camera threads write through
:meth:`Store.commit` (one transaction per flush, so a crash loses at most the unflushed tail),
API threads read through :meth:`Store.count_series`, :meth:`Store.totals`, :meth:`Store.lots`,
:meth:`Store.spaces` and :meth:`Store.occupancy_series`.

>>> import tempfile, os
>>> with Store(os.path.join(tempfile.mkdtemp(), "c.db")) as s:
...     s.register_lines("cam1", ["north"])
...     s.commit(Batch(counts={("cam1", "north", "car", "in", 120): 2}))
...     s.totals("cam1")["north"]["in"]["car"]
2
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import numpy as np

from edge.classes import CLASSES
from edge.errors import EdgeError

SCHEMA_VERSION = 4
DIRECTIONS: tuple[str, str] = ("in", "out")
SPACE_STATES: tuple[str, str, str] = ("occupied", "free", "unknown")
DEFAULT_UNKNOWN_AFTER_S = 60.0
REFERENCE_KINDS: tuple[str, str] = ("image", "learnt")  # a given empty-lot image, or learnt

# counts' key puts bin_start before class/direction so a time-range read for one line is a
# single index range instead of one scan per (class, direction).
_SCHEMA_V1 = """
CREATE TABLE meta(
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE counts(
    camera TEXT NOT NULL,
    line TEXT NOT NULL,
    class TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    bin_start INTEGER NOT NULL,
    n INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (camera, line, bin_start, class, direction)
) WITHOUT ROWID;
CREATE INDEX counts_by_time ON counts(bin_start);
CREATE TABLE coverage(
    camera TEXT NOT NULL,
    bin_start INTEGER NOT NULL,
    analysed_s REAL NOT NULL CHECK (analysed_s >= 0),
    PRIMARY KEY (camera, bin_start)
) WITHOUT ROWID;
CREATE TABLE lines(
    camera TEXT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (camera, line)
) WITHOUT ROWID;
CREATE TABLE checkpoints(
    camera TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    epoch_base REAL NOT NULL,
    media_pos REAL NOT NULL,
    updated_at REAL NOT NULL
);
"""

# Version 2: parking. ``lots.updated_at`` is the wall time of the lot's last analysis (null
# before the first); ``spaces.since`` when the evidence for the current state began.
_SCHEMA_V2 = """
CREATE TABLE lots(
    camera TEXT NOT NULL,
    lot TEXT NOT NULL,
    unknown_after_s REAL NOT NULL CHECK (unknown_after_s > 0),
    stay_bands TEXT NOT NULL,
    updated_at REAL,
    PRIMARY KEY (camera, lot)
) WITHOUT ROWID;
CREATE TABLE spaces(
    camera TEXT NOT NULL,
    lot TEXT NOT NULL,
    space TEXT NOT NULL,
    category TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('occupied', 'free', 'unknown')),
    since REAL,
    PRIMARY KEY (camera, lot, space)
) WITHOUT ROWID;
CREATE TABLE space_changes(
    camera TEXT NOT NULL,
    lot TEXT NOT NULL,
    space TEXT NOT NULL,
    old_state TEXT NOT NULL CHECK (old_state IN ('occupied', 'free', 'unknown')),
    new_state TEXT NOT NULL CHECK (new_state IN ('occupied', 'free', 'unknown')),
    ts REAL NOT NULL
);
CREATE INDEX space_changes_by_lot ON space_changes(camera, lot, ts);
CREATE TABLE occupancy(
    camera TEXT NOT NULL,
    lot TEXT NOT NULL,
    bin_start INTEGER NOT NULL,
    samples INTEGER NOT NULL CHECK (samples > 0),
    occupied_sum INTEGER NOT NULL CHECK (occupied_sum >= 0),
    free_sum INTEGER NOT NULL CHECK (free_sum >= 0),
    unknown_sum INTEGER NOT NULL CHECK (unknown_sum >= 0),
    occupied_min INTEGER NOT NULL CHECK (occupied_min >= 0),
    occupied_max INTEGER NOT NULL CHECK (occupied_max >= occupied_min),
    spaces INTEGER NOT NULL CHECK (spaces >= 0),
    PRIMARY KEY (camera, lot, bin_start)
) WITHOUT ROWID;
CREATE TABLE stays(
    camera TEXT NOT NULL,
    lot TEXT NOT NULL,
    bin_start INTEGER NOT NULL,
    band TEXT NOT NULL,
    n INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (camera, lot, bin_start, band)
) WITHOUT ROWID;
"""

# Version 3: drop-off alerts and the webhook outbox. An alert row holds no image, box or person
# data. The outbox keeps each notification's body until the receiver acknowledges it; it is
# signed when sent, so the secret is never stored.
_SCHEMA_V3 = """
CREATE TABLE dropoff_zones(
    camera TEXT NOT NULL,
    zone TEXT NOT NULL,
    dwell_s REAL NOT NULL CHECK (dwell_s > 0),
    PRIMARY KEY (camera, zone)
) WITHOUT ROWID;
CREATE TABLE alerts(
    id TEXT PRIMARY KEY,
    camera TEXT NOT NULL,
    zone TEXT NOT NULL,
    first_seen REAL NOT NULL,
    raised_at REAL NOT NULL,
    cleared_at REAL,
    size REAL NOT NULL CHECK (size >= 0 AND size <= 1),
    class TEXT NOT NULL
);
CREATE INDEX alerts_by_time ON alerts(raised_at);
CREATE TABLE outbox(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    delivered_at REAL,
    last_error TEXT,
    UNIQUE (webhook, key)
);
CREATE INDEX outbox_due ON outbox(delivered_at, next_at);
"""

# Version 4: a lot's empty-state reference, as aggregates only. ``lots.reference`` is its kind
# ('image': a configured empty-lot image, 'learnt': learnt from the stream), ``lots.learnt`` how
# many spaces had a learnt one at the last analysis; null: not known (older file, not analysed).
_SCHEMA_V4 = """
ALTER TABLE lots ADD COLUMN learnt INTEGER CHECK (learnt >= 0);
ALTER TABLE lots ADD COLUMN reference TEXT CHECK (reference IN ('image', 'learnt'))
"""

# What brings a file from version k-1 to version k.
_MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3, 4: _SCHEMA_V4}
ALERT_STATUSES: tuple[str, str] = ("open", "cleared")

CountKey = tuple[str, str, str, str, int]  # camera, line, class, direction, bin_start
CoverageKey = tuple[str, int]  # camera, bin_start
LotKey = tuple[str, str]  # camera, lot
OccupancyKey = tuple[str, str, int]  # camera, lot, bin_start
StayKey = tuple[str, str, str, int]  # camera, lot, band, bin_start


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where a camera's analysis stands: ``media_pos`` seconds into ``source`` are in the store.

    ``epoch_base`` is the Unix time of media position 0, so a resumed run keeps the same bins.
    """

    camera: str
    source: str
    epoch_base: float
    media_pos: float


@dataclass(frozen=True, slots=True)
class OccupancyBin:
    """Occupancy analyses of one lot summed over (part of) a bin; :meth:`merge` is exact, so a
    bin written by several flushes holds the same as one written at once."""

    samples: int
    occupied_sum: int
    free_sum: int
    unknown_sum: int
    occupied_min: int
    occupied_max: int
    spaces: int  # the lot's size at the latest sample

    @classmethod
    def one(cls, occupied: int, free: int, unknown: int) -> OccupancyBin:
        """One analysis: ``occupied + free + unknown`` spaces."""
        return cls(1, occupied, free, unknown, occupied, occupied, occupied + free + unknown)

    def merge(self, later: OccupancyBin) -> OccupancyBin:
        return OccupancyBin(
            self.samples + later.samples, self.occupied_sum + later.occupied_sum,
            self.free_sum + later.free_sum, self.unknown_sum + later.unknown_sum,
            min(self.occupied_min, later.occupied_min), max(self.occupied_max, later.occupied_max),
            later.spaces)


@dataclass(frozen=True, slots=True)
class SpaceChangeRecord:
    """A space's committed state changed at ``ts`` (wall time the evidence for ``new`` began)."""

    camera: str
    lot: str
    space: str
    old: str
    new: str
    ts: float


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """A drop-off alert as stored and served: no image, box or person data."""

    id: str
    camera: str
    zone: str
    first_seen: float
    raised_at: float
    cleared_at: float | None
    size: float
    cls: str

    @property
    def status(self) -> str:
        return "open" if self.cleared_at is None else "cleared"


@dataclass(frozen=True, slots=True)
class Notification:
    """A webhook body waiting in the outbox. ``key`` is the idempotency key the receiver sees
    (the same on every retry); ``seq`` its row, once stored."""

    webhook: str
    key: str
    body: str
    attempts: int = 0
    seq: int | None = None


@dataclass(slots=True)
class Batch:
    """Deltas written in one transaction: counts to add, analysed seconds to add, parking
    occupancy bins to merge, stays to add, space changes (in order), the wall time of each lot's
    latest analysis and its count of spaces with a learnt reference, and a checkpoint."""

    counts: dict[CountKey, int] = field(default_factory=dict)
    coverage: dict[CoverageKey, float] = field(default_factory=dict)
    checkpoint: Checkpoint | None = None
    occupancy: dict[OccupancyKey, OccupancyBin] = field(default_factory=dict)
    stays: dict[StayKey, int] = field(default_factory=dict)
    changes: list[SpaceChangeRecord] = field(default_factory=list)
    lot_seen: dict[LotKey, float] = field(default_factory=dict)
    lot_learnt: dict[LotKey, int] = field(default_factory=dict)
    alerts: list[AlertRecord] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.counts or self.coverage or self.occupancy or self.stays or self.changes
                    or self.lot_seen or self.lot_learnt or self.alerts or self.notifications) \
            and self.checkpoint is None


@dataclass(frozen=True, slots=True)
class Bucket:
    """One interval of a series: ``[start, end)`` in Unix seconds."""

    start: int
    end: int
    coverage: float  # analysed seconds / interval length, 0..1
    in_: dict[str, int]
    out: dict[str, int]
    total: int


@dataclass(frozen=True, slots=True)
class Series:
    camera: str
    line: str
    buckets: list[Bucket]


@dataclass(frozen=True, slots=True)
class LotStatus:
    """A lot's current state as seen at some ``now``: every space is counted as unknown when
    the last analysis is older than ``unknown_after_s`` (the camera is down)."""

    camera: str
    lot: str
    spaces: int
    occupied: int
    free: int
    unknown: int
    updated_at: float | None  # wall time of the last analysis; None before the first
    unknown_after_s: float
    stale: bool
    stay_bands: tuple[str, ...]
    learnt: int | None = None  # spaces with a learnt reference at the last analysis; None: unknown
    reference: str | None = None  # one of REFERENCE_KINDS; None: unknown (not registered)


@dataclass(frozen=True, slots=True)
class SpaceStatus:
    space: str
    category: str
    state: str  # one of SPACE_STATES
    since: float | None  # evidence start of ``state``; a stale lot's last analysis


@dataclass(frozen=True, slots=True)
class OccupancyBucket:
    """One interval of a lot's occupancy; the means and extremes are None without an analysis."""

    start: int
    end: int
    samples: int
    mean_occupied: float | None
    mean_free: float | None
    mean_unknown: float | None
    min_occupied: int | None
    max_occupied: int | None
    occupancy: float | None  # mean occupied / mean known (occupied + free) spaces, 0..1
    spaces: int
    coverage_s: float  # seconds of the interval the camera analysed


@dataclass(frozen=True, slots=True)
class OccupancySeries:
    camera: str
    lot: str
    spaces: int
    buckets: list[OccupancyBucket]
    stays: dict[str, int]  # stays ended in the range per duration band


class Store:
    """All SQL of the product. Safe to share between threads.

    ``bin_seconds`` is the finest time resolution kept; it is fixed when the file is created.
    """

    def __init__(self, path: str | Path, bin_seconds: int = 60) -> None:
        if int(bin_seconds) != bin_seconds or bin_seconds <= 0:
            raise ValueError(f"bin_seconds must be a positive integer, got {bin_seconds!r}")
        self.path = Path(path)
        self.bin_seconds = int(bin_seconds)
        self._lock = threading.Lock()
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a batch is one transaction.
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise EdgeError(f"cannot open count store {path}: {exc}") from exc
        try:
            self._db.execute("PRAGMA busy_timeout=5000")  # another process may hold the file
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process crash
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise EdgeError(f"count store {path} is not a usable SQLite file: {exc}") from exc
        except BaseException:
            self._db.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    def _migrate(self) -> None:
        # IMMEDIATE: two processes opening a new file must not both create the schema.
        with _Transaction(self._db, "BEGIN IMMEDIATE"):
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise EdgeError(f"count store {self.path} has schema version {version}; this "
                                f"program knows up to {SCHEMA_VERSION}: upgrade it")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[step].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                if step == 1:
                    self._db.execute("INSERT INTO meta VALUES ('bin_seconds', ?)",
                                     (str(self.bin_seconds),))
            if version < SCHEMA_VERSION:
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        stored = int(self._db.execute(
            "SELECT value FROM meta WHERE key = 'bin_seconds'").fetchone()[0])
        if stored != self.bin_seconds:
            raise EdgeError(f"count store {self.path} uses bins of {stored} s, not "
                            f"{self.bin_seconds} s: use another file or bin_seconds={stored}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    # -- writes ------------------------------------------------------------------------------

    def register_lines(self, camera: str, lines: Iterable[str]) -> None:
        """Declare a camera's lines so they appear (with zeros) before anything crosses them."""
        rows = [(camera, line) for line in lines]
        with self._lock, self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO lines VALUES (?, ?)", rows)

    def register_lots(self, camera: str, lots: Mapping[str, Sequence[tuple[str, str]]], *,
                      unknown_after_s: float = DEFAULT_UNKNOWN_AFTER_S,
                      stay_bands: Sequence[str] = (), reference: str | None = None) -> None:
        """Declare a camera's parking lots as ``{lot: [(space, category), ...]}`` so they are
        listed (spaces unknown) before the first analysis.

        ``unknown_after_s``: a lot not analysed for longer reads as all unknown (camera down).
        ``stay_bands``: the stay-duration band labels, in order, so stays are reported with zeros.
        ``reference``: the lots' kind of empty-state reference (one of REFERENCE_KINDS; None:
        unknown).
        Registering again updates categories and settings, drops the spaces a lot no longer has
        and keeps the states of the others. It forgets the learnt count: a starting camera
        learns its references again, so the last run's count no longer holds.
        """
        if not unknown_after_s > 0:
            raise ValueError(f"unknown_after_s must be > 0, got {unknown_after_s!r}")
        if reference is not None and reference not in REFERENCE_KINDS:
            raise ValueError(f"reference must be one of {', '.join(REFERENCE_KINDS)}, "
                             f"got {reference!r}")
        bands = json.dumps([str(b) for b in stay_bands])
        for lot, spaces in lots.items():
            ids = [space for space, _ in spaces]
            if len(set(ids)) != len(ids):
                raise ValueError(f"lot {lot!r} of camera {camera!r} lists a space twice")
        with self._lock, self._transaction():
            for lot, spaces in lots.items():
                self._db.execute(
                    "INSERT INTO lots(camera, lot, unknown_after_s, stay_bands, reference) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                    "unknown_after_s = excluded.unknown_after_s, stay_bands = excluded.stay_bands, "
                    "reference = excluded.reference, learnt = NULL",
                    (camera, lot, float(unknown_after_s), bands, reference))
                known = {r[0] for r in self._db.execute(
                    "SELECT space FROM spaces WHERE camera = ? AND lot = ?", (camera, lot))}
                self._db.executemany(
                    "DELETE FROM spaces WHERE camera = ? AND lot = ? AND space = ?",
                    [(camera, lot, gone) for gone in sorted(known - {sp for sp, _ in spaces})])
                self._db.executemany(
                    "INSERT INTO spaces VALUES (?, ?, ?, ?, 'unknown', NULL) "
                    "ON CONFLICT DO UPDATE SET category = excluded.category",
                    [(camera, lot, space, category) for space, category in spaces])

    def commit(self, batch: Batch) -> None:
        """Add a batch of deltas and store its checkpoint, all or nothing."""
        if batch.is_empty():
            return
        counts = [self._count_row(key, n) for key, n in batch.counts.items() if n]
        coverage = [self._coverage_row(key, s) for key, s in batch.coverage.items() if s]
        occupancy = [self._occupancy_row(key, b) for key, b in batch.occupancy.items()]
        stays = [self._stay_row(key, n) for key, n in batch.stays.items() if n]
        changes = [self._change_row(c) for c in batch.changes]
        learnt = [self._learnt_row(key, n) for key, n in batch.lot_learnt.items()]
        # Every lot a batch mentions gets a row, so the API lists it even if never registered.
        lots = {(c, lot) for c, lot, *_ in occupancy} | {(c, lot) for c, lot, *_ in stays} | \
            {(c, lot) for c, lot, *_ in changes} | set(batch.lot_seen) | set(batch.lot_learnt)
        cp = batch.checkpoint
        with self._lock, self._transaction():
            self._db.executemany(
                "INSERT INTO counts VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO UPDATE SET n = n + excluded.n", counts)
            # A bin cannot hold more analysed time than it lasts (overlapping re-analysis).
            self._db.executemany(
                "INSERT INTO coverage VALUES (?, ?, min(?, ?)) "
                "ON CONFLICT DO UPDATE SET analysed_s = min(analysed_s + excluded.analysed_s, ?)",
                [(cam, b, s, self.bin_seconds, self.bin_seconds) for cam, b, s in coverage])
            if lots:
                self._write_parking(sorted(lots), occupancy, stays, changes, batch.lot_seen,
                                    learnt)
            if batch.alerts or batch.notifications:
                self._write_alerts(batch.alerts, batch.notifications)
            if cp is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?)",
                    (cp.camera, cp.source, float(cp.epoch_base), float(cp.media_pos), time.time()))

    def _write_parking(self, lots: list[LotKey], occupancy: list[tuple], stays: list[tuple],
                       changes: list[tuple], lot_seen: dict[LotKey, float],
                       learnt: list[tuple]) -> None:
        """The parking part of :meth:`commit`, inside its transaction."""
        self._db.executemany(
            "INSERT OR IGNORE INTO lots(camera, lot, unknown_after_s, stay_bands) "
            "VALUES (?, ?, ?, '[]')", [(cam, lot, DEFAULT_UNKNOWN_AFTER_S) for cam, lot in lots])
        # The count is the running analytic's state, not a time series: the last one written
        # wins, even from re-analysed time (a restarted camera learns again from none).
        self._db.executemany("UPDATE lots SET learnt = ? WHERE camera = ? AND lot = ?", learnt)
        # Re-analysed time must not move a lot's last analysis back.
        self._db.executemany(
            "UPDATE lots SET updated_at = max(coalesce(updated_at, ?), ?) "
            "WHERE camera = ? AND lot = ?",
            [(float(ts), float(ts), cam, lot) for (cam, lot), ts in lot_seen.items()])
        self._db.executemany("INSERT INTO space_changes VALUES (?, ?, ?, ?, ?, ?)", changes)
        # In batch order, so the last change of a space is its current state.
        self._db.executemany(
            "INSERT INTO spaces VALUES (?, ?, ?, 'standard', ?, ?) "
            "ON CONFLICT DO UPDATE SET state = excluded.state, since = excluded.since",
            [(cam, lot, space, new, ts) for cam, lot, space, _, new, ts in changes])
        self._db.executemany(
            "INSERT INTO occupancy VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "samples = samples + excluded.samples, "
            "occupied_sum = occupied_sum + excluded.occupied_sum, "
            "free_sum = free_sum + excluded.free_sum, "
            "unknown_sum = unknown_sum + excluded.unknown_sum, "
            "occupied_min = min(occupied_min, excluded.occupied_min), "
            "occupied_max = max(occupied_max, excluded.occupied_max), "
            "spaces = excluded.spaces", occupancy)
        self._db.executemany(
            "INSERT INTO stays VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
            stays)

    def _write_alerts(self, alerts: list[AlertRecord], notes: list[Notification]) -> None:
        """The alert part of :meth:`commit`: alerts (in order; a re-analysed alert keeps its
        first raise) and their notifications (a re-queued key is ignored)."""
        self._db.executemany(
            "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "cleared_at = coalesce(excluded.cleared_at, cleared_at), size = excluded.size, "
            "class = excluded.class",
            [(a.id, a.camera, a.zone, a.first_seen, a.raised_at, a.cleared_at,
              min(max(float(a.size), 0.0), 1.0), a.cls) for a in alerts])
        now = time.time()
        self._db.executemany(
            "INSERT OR IGNORE INTO outbox(webhook, key, body, created_at, next_at) "
            "VALUES (?, ?, ?, ?, ?)", [(n.webhook, n.key, n.body, now, now) for n in notes])

    def _count_row(self, key: CountKey, n: int) -> tuple[str, str, str, str, int, int]:
        camera, line, cls, direction, bin_start = key
        if cls not in CLASSES:
            raise ValueError(f"unknown class {cls!r} (expected one of {', '.join(CLASSES)})")
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'in' or 'out', got {direction!r}")
        if n < 0:
            raise ValueError(f"count delta must be >= 0, got {n} for {key}")
        return camera, line, cls, direction, self._check_bin(bin_start), int(n)

    def _coverage_row(self, key: CoverageKey, seconds: float) -> tuple[str, int, float]:
        camera, bin_start = key
        if seconds < 0:
            raise ValueError(f"coverage delta must be >= 0, got {seconds} for {key}")
        return camera, self._check_bin(bin_start), float(seconds)

    def _occupancy_row(self, key: OccupancyKey, b: OccupancyBin) -> tuple:
        camera, lot, bin_start = key
        values = (b.samples, b.occupied_sum, b.free_sum, b.unknown_sum, b.occupied_min,
                  b.occupied_max, b.spaces)
        if b.samples <= 0 or min(values) < 0 or b.occupied_min > b.occupied_max \
                or b.occupied_max > b.spaces:
            raise ValueError(f"inconsistent occupancy bin {b} for {key}")
        return camera, lot, self._check_bin(bin_start), *(int(v) for v in values)

    def _stay_row(self, key: StayKey, n: int) -> tuple[str, str, int, str, int]:
        camera, lot, band, bin_start = key
        if not band or n < 0:
            raise ValueError(f"stay count must be >= 0 with a band name, got {n} for {key}")
        return camera, lot, self._check_bin(bin_start), str(band), int(n)

    @staticmethod
    def _learnt_row(key: LotKey, n: int) -> tuple[int, str, str]:
        if int(n) != n or n < 0:
            raise ValueError(f"learnt spaces must be an integer >= 0, got {n!r} for {key}")
        return int(n), *key

    @staticmethod
    def _change_row(c: SpaceChangeRecord) -> tuple[str, str, str, str, str, float]:
        for state in (c.old, c.new):
            if state not in SPACE_STATES:
                raise ValueError(f"space state must be one of {', '.join(SPACE_STATES)}, "
                                 f"got {state!r} for {c.lot}/{c.space}")
        return c.camera, c.lot, c.space, c.old, c.new, float(c.ts)

    def _check_bin(self, bin_start: int) -> int:
        if int(bin_start) != bin_start or int(bin_start) % self.bin_seconds:
            raise ValueError(f"bin_start {bin_start} is not a multiple of {self.bin_seconds} s")
        return int(bin_start)

    # -- reads -------------------------------------------------------------------------------

    def checkpoint(self, camera: str) -> Checkpoint | None:
        with self._lock:
            row = self._db.execute(
                "SELECT camera, source, epoch_base, media_pos FROM checkpoints WHERE camera = ?",
                (camera,)).fetchone()
        return None if row is None else Checkpoint(*row)

    def count_series(self, *, camera: str | None, line: str | None, start: float, end: float,
                     interval_s: int, classes: Sequence[str] | None = None) -> list[Series]:
        """Zero-filled counts for every known (camera, line) matching the filters.

        Buckets are ``interval_s`` long, aligned to multiples of it, and cover ``[start, end)``
        (``start`` rounded down, ``end`` rounded up). ``coverage`` is the share of each bucket
        that was actually analysed: a 0 count with coverage 0 means "not looked", not "nobody".
        """
        t0, n_buckets = self._buckets(start, end, interval_s)
        names = self._classes(classes)
        where, args = _filters(camera, line)
        with self._lock, self._transaction():
            pairs = self._db.execute(
                f"SELECT camera, line FROM lines WHERE 1 {where} UNION "
                f"SELECT DISTINCT camera, line FROM counts WHERE bin_start >= ? AND bin_start < ? "
                f"{where} ORDER BY camera, line",
                (*args, t0, t0 + n_buckets * interval_s, *args)).fetchall()
            count_rows = self._db.execute(
                f"SELECT camera, line, class, direction, (bin_start - ?) / ? AS k, SUM(n) "
                f"FROM counts WHERE bin_start >= ? AND bin_start < ? {where} "
                f"AND class IN ({','.join('?' * len(names))}) "
                f"GROUP BY camera, line, class, direction, k",
                (t0, interval_s, t0, t0 + n_buckets * interval_s, *args, *names)).fetchall()
            cam_where, cam_args = _filters(camera, None)
            coverage_rows = self._db.execute(
                f"SELECT camera, (bin_start - ?) / ? AS k, SUM(analysed_s) FROM coverage "
                f"WHERE bin_start >= ? AND bin_start < ? {cam_where} GROUP BY camera, k",
                (t0, interval_s, t0, t0 + n_buckets * interval_s, *cam_args)).fetchall()
        return _assemble(pairs, count_rows, coverage_rows, names, t0, n_buckets, interval_s)

    def totals(self, camera: str) -> dict[str, dict[str, dict[str, int]]]:
        """All-time counts per line of one camera: ``{line: {"in": {cls: n}, "out": {...}}}``."""
        with self._lock, self._transaction():
            lines = [r[0] for r in self._db.execute(
                "SELECT line FROM lines WHERE camera = ? UNION "
                "SELECT DISTINCT line FROM counts WHERE camera = ? ORDER BY 1", (camera, camera))]
            rows = self._db.execute(
                "SELECT line, direction, class, SUM(n) FROM counts WHERE camera = ? "
                "GROUP BY line, direction, class", (camera,)).fetchall()
        out = {ln: {d: dict.fromkeys(CLASSES, 0) for d in DIRECTIONS} for ln in lines}
        for ln, direction, cls, n in rows:
            out[ln][direction][cls] = int(n)
        return out

    def lot_cameras(self, lot: str) -> list[str]:
        """The cameras that watch a lot with this id (usually one; none if the lot is unknown)."""
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT camera FROM lots WHERE lot = ? ORDER BY camera", (lot,))]

    def lots(self, *, now: float, camera: str | None = None,
             lot: str | None = None) -> list[LotStatus]:
        """Every known lot matching the filters, as seen at wall time ``now``."""
        where = "".join(f" AND l.{col} = ?" for col, v in (("camera", camera), ("lot", lot))
                        if v is not None)
        args = tuple(v for v in (camera, lot) if v is not None)
        with self._lock, self._transaction():
            rows = self._db.execute(
                "SELECT l.camera, l.lot, l.unknown_after_s, l.stay_bands, l.updated_at, "
                "l.learnt, l.reference, count(s.space), "
                "coalesce(sum(s.state = 'occupied'), 0), coalesce(sum(s.state = 'free'), 0) "
                "FROM lots l LEFT JOIN spaces s ON s.camera = l.camera AND s.lot = l.lot "
                f"WHERE 1{where} GROUP BY l.camera, l.lot", args).fetchall()
        out = []
        for cam, lot_id, after, bands, updated, learnt, ref, n, occupied, free in rows:
            stale = _stale(updated, after, now)
            if stale:
                occupied = free = 0
            out.append(LotStatus(cam, lot_id, n, occupied, free, n - occupied - free, updated,
                                 after, stale, tuple(json.loads(bands)), learnt, ref))
        return sorted(out, key=lambda s: (_natural(s.lot), s.camera))

    def spaces(self, camera: str, lot: str, *, now: float) -> list[SpaceStatus]:
        """The spaces of one lot as seen at wall time ``now`` (all unknown if it is stale)."""
        with self._lock, self._transaction():
            info = self._db.execute(
                "SELECT unknown_after_s, updated_at FROM lots WHERE camera = ? AND lot = ?",
                (camera, lot)).fetchone()
            rows = self._db.execute(
                "SELECT space, category, state, since FROM spaces WHERE camera = ? AND lot = ?",
                (camera, lot)).fetchall()
        if info is None:
            return []
        after, updated = info
        if _stale(updated, after, now):
            # Camera down: nothing is known since its last analysis.
            rows = [(space, category, "unknown", updated) for space, category, _, _ in rows]
        return sorted((SpaceStatus(*r) for r in rows), key=lambda s: _natural(s.space))

    def occupancy_series(self, camera: str, lot: str, start: float, end: float,
                         interval_s: int) -> OccupancySeries:
        """Zero-filled occupancy of one lot in buckets of ``interval_s`` over ``[start, end)``
        (aligned like :meth:`count_series`), with the stays that ended in the range per band.

        A bucket without an analysis has ``samples == 0`` and None for its means and extremes
        (no data, not an empty lot); ``coverage_s`` is what the camera analysed of it.
        """
        t0, n_buckets = self._buckets(start, end, interval_s)
        span = (t0, interval_s, t0, t0 + n_buckets * interval_s)
        with self._lock, self._transaction():
            info = self._db.execute(
                "SELECT stay_bands, (SELECT count(*) FROM spaces s WHERE s.camera = l.camera "
                "AND s.lot = l.lot) FROM lots l WHERE camera = ? AND lot = ?",
                (camera, lot)).fetchone()
            occupancy = {r[0]: r[1:] for r in self._db.execute(
                "SELECT (bin_start - ?) / ? AS k, sum(samples), sum(occupied_sum), "
                "sum(free_sum), sum(unknown_sum), min(occupied_min), max(occupied_max), "
                "max(spaces) FROM occupancy WHERE bin_start >= ? AND bin_start < ? "
                "AND camera = ? AND lot = ? GROUP BY k", (*span, camera, lot))}
            analysed = dict(self._db.execute(
                "SELECT (bin_start - ?) / ? AS k, sum(analysed_s) FROM coverage "
                "WHERE bin_start >= ? AND bin_start < ? AND camera = ? GROUP BY k",
                (*span, camera)).fetchall())
            stay_rows = self._db.execute(
                "SELECT band, sum(n) FROM stays WHERE bin_start >= ? AND bin_start < ? "
                "AND camera = ? AND lot = ? GROUP BY band", (*span[2:], camera, lot)).fetchall()
        bands, size = ([], 0) if info is None else (json.loads(info[0]), int(info[1]))
        if not size and occupancy:  # never registered: the lot's size as last analysed
            size = int(occupancy[max(occupancy)][-1])
        stays = dict.fromkeys(bands, 0) | {b: int(n) for b, n in sorted(stay_rows)}
        buckets = [_occupancy_bucket(t0 + k * interval_s, interval_s, occupancy.get(k), size,
                                     float(analysed.get(k, 0.0)))
                   for k in range(n_buckets)]
        return OccupancySeries(camera, lot, size, buckets, stays)

    # -- helpers -----------------------------------------------------------------------------

    def register_dropoffs(self, camera: str, zones: Mapping[str, float]) -> None:
        """Declare a camera's drop-off zones as ``{zone: dwell_s}``; the ones it no longer has
        are dropped (their alerts are kept)."""
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM dropoff_zones WHERE camera = ?", (camera,))
            self._db.executemany("INSERT INTO dropoff_zones VALUES (?, ?, ?)",
                                 [(camera, z, float(d)) for z, d in zones.items()])

    def dropoff_zones(self, camera: str | None = None) -> list[tuple[str, str, float]]:
        """``(camera, zone, dwell_s)`` of every declared drop-off zone."""
        where, args = _filters(camera, None)
        with self._lock:
            return [(c, z, float(d)) for c, z, d in self._db.execute(
                f"SELECT camera, zone, dwell_s FROM dropoff_zones WHERE 1 {where} "
                "ORDER BY camera, zone", args)]

    def alerts(self, *, camera: str | None = None, zone: str | None = None,
               status: str | None = None, start: float | None = None, end: float | None = None,
               limit: int = 1000) -> list[AlertRecord]:
        """Alerts matching the filters, newest raise first. ``start``/``end`` select alerts
        open at some time in ``[start, end)``: raised before ``end``, cleared after ``start``
        (an alert is open over ``[raised_at, cleared_at)``)."""
        if status is not None and status not in ALERT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(ALERT_STATUSES)}, got {status!r}")
        clauses, args = [], []
        for col, v in (("camera", camera), ("zone", zone)):
            if v is not None:
                clauses.append(f"{col} = ?")
                args.append(v)
        if status is not None:
            clauses.append("cleared_at IS NULL" if status == "open" else "cleared_at IS NOT NULL")
        if end is not None:
            clauses.append("raised_at < ?")
            args.append(float(end))
        if start is not None:
            clauses.append("(cleared_at IS NULL OR cleared_at > ?)")
            args.append(float(start))
        where = " AND ".join(clauses) or "1"
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, camera, zone, first_seen, raised_at, cleared_at, size, class "
                f"FROM alerts WHERE {where} ORDER BY raised_at DESC, id LIMIT ?",
                (*args, int(limit))).fetchall()
        return [AlertRecord(*r) for r in rows]

    def alert(self, alert_id: str) -> AlertRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, camera, zone, first_seen, raised_at, cleared_at, size, class "
                "FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return None if row is None else AlertRecord(*row)

    # -- the webhook outbox ------------------------------------------------------------------

    def due_notifications(self, now: float, limit: int = 50,
                          webhook: str | None = None) -> list[Notification]:
        """Undelivered notifications whose next attempt is due (of one webhook, or all),
        oldest first."""
        only = "" if webhook is None else "AND webhook = ? "
        with self._lock:
            rows = self._db.execute(
                "SELECT webhook, key, body, attempts, seq FROM outbox "
                f"WHERE delivered_at IS NULL AND next_at <= ? {only}ORDER BY seq LIMIT ?",
                (float(now), *(() if webhook is None else (webhook,)), int(limit))).fetchall()
        return [Notification(*r) for r in rows]

    def waiting_webhooks(self, now: float) -> list[str]:
        """The webhooks with a notification due now."""
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT DISTINCT webhook FROM outbox WHERE delivered_at IS NULL AND next_at <= ? "
                "ORDER BY webhook", (float(now),))]

    def next_notification_at(self) -> float | None:
        """When the earliest undelivered notification is due (None: the outbox is empty)."""
        with self._lock:
            row = self._db.execute(
                "SELECT min(next_at) FROM outbox WHERE delivered_at IS NULL").fetchone()
        return None if row[0] is None else float(row[0])

    def delivered(self, seq: int, now: float) -> None:
        with self._lock, self._transaction():
            self._db.execute("UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, "
                             "last_error = NULL WHERE seq = ?", (float(now), int(seq)))

    def retry_later(self, seq: int, next_at: float, error: str) -> None:
        with self._lock, self._transaction():
            self._db.execute("UPDATE outbox SET attempts = attempts + 1, next_at = ?, "
                             "last_error = ? WHERE seq = ?",
                             (float(next_at), error[:500], int(seq)))

    def outbox_backlog(self) -> dict[str, int]:
        """Undelivered notifications per webhook (for health and tests)."""
        with self._lock:
            return {w: int(n) for w, n in self._db.execute(
                "SELECT webhook, count(*) FROM outbox WHERE delivered_at IS NULL "
                "GROUP BY webhook ORDER BY webhook")}

    def _buckets(self, start: float, end: float, interval_s: int) -> tuple[int, int]:
        if int(interval_s) != interval_s or interval_s <= 0 or interval_s % self.bin_seconds:
            raise ValueError(f"interval_s must be a positive multiple of {self.bin_seconds} s, "
                             f"got {interval_s!r}")
        if not end > start:
            raise ValueError(f"end ({end}) must be after start ({start})")
        t0 = int(np.floor(start / interval_s)) * int(interval_s)
        t1 = int(np.ceil(end / interval_s)) * int(interval_s)
        return t0, (t1 - t0) // int(interval_s)

    @staticmethod
    def _classes(classes: Sequence[str] | None) -> list[str]:
        if classes is None:
            return list(CLASSES)
        unknown = [c for c in classes if c not in CLASSES]
        if unknown:
            raise ValueError(f"unknown class {unknown[0]!r} (expected one of {', '.join(CLASSES)})")
        return [c for c in CLASSES if c in set(classes)]  # product order, no duplicates

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN ... COMMIT, ROLLBACK on error. Reads use it too, for a consistent snapshot."""

    def __init__(self, db: sqlite3.Connection, begin: str = "BEGIN") -> None:
        self._db = db
        self._begin = begin

    def __enter__(self) -> None:
        self._db.execute(self._begin)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _filters(camera: str | None, line: str | None) -> tuple[str, tuple[str, ...]]:
    """SQL suffix and arguments for the optional camera/line filters (bound, never pasted)."""
    clauses, args = [], []
    if camera is not None:
        clauses.append("AND camera = ?")
        args.append(camera)
    if line is not None:
        clauses.append("AND line = ?")
        args.append(line)
    return " ".join(clauses), tuple(args)


def _stale(updated_at: float | None, unknown_after_s: float, now: float) -> bool:
    """No analysis of the lot for longer than ``unknown_after_s``: its states are unknown."""
    return updated_at is None or now - updated_at > unknown_after_s


def _natural(name: str) -> list[str | int]:
    """Sort key putting "P2" before "P10" (PKLot numbers its spaces 1..100), case aside."""
    parts = re.split(r"(\d+)", name.casefold())
    return [int(part) if i % 2 else part for i, part in enumerate(parts)]


def _occupancy_bucket(start: int, interval_s: int, row: tuple | None, size: int,
                      analysed_s: float) -> OccupancyBucket:
    """One bucket from the summed occupancy bins in it (``row``; None: no analysis)."""
    coverage_s = round(min(analysed_s, float(interval_s)), 3)
    if row is None:
        return OccupancyBucket(start, start + interval_s, 0, None, None, None, None, None, None,
                               size, coverage_s)
    samples, occupied, free, unknown, lo, hi, spaces = (int(v) for v in row)
    known = occupied + free
    return OccupancyBucket(
        start, start + interval_s, samples, round(occupied / samples, 3),
        round(free / samples, 3), round(unknown / samples, 3), lo, hi,
        round(occupied / known, 4) if known else None, spaces, coverage_s)


def _assemble(pairs: list[tuple[str, str]], count_rows: list[tuple], coverage_rows: list[tuple],
              names: list[str], t0: int, n_buckets: int, interval_s: int) -> list[Series]:
    """Scatter the grouped SQL rows into dense arrays, then build one Series per line."""
    series_index = {pair: i for i, pair in enumerate(pairs)}
    cls_index = {c: i for i, c in enumerate(names)}
    counts = np.zeros((len(pairs), len(DIRECTIONS), n_buckets, len(names)), np.int64)
    if count_rows:
        r_cam, r_line, r_cls, r_dir, r_k, r_n = zip(*count_rows, strict=True)
        counts[[series_index[p] for p in zip(r_cam, r_line, strict=True)],
               [DIRECTIONS.index(d) for d in r_dir], list(r_k),
               [cls_index[c] for c in r_cls]] = r_n
    cameras = sorted({c for c, _ in pairs})
    cam_index = {c: i for i, c in enumerate(cameras)}
    analysed = np.zeros((len(cameras), n_buckets))
    rows = [(cam_index[c], k, s) for c, k, s in coverage_rows if c in cam_index]
    if rows:
        c_idx, k_idx, seconds = zip(*rows, strict=True)
        analysed[list(c_idx), list(k_idx)] = seconds
    coverage = np.round(np.clip(analysed / interval_s, 0.0, 1.0), 4).tolist()
    totals = counts.sum(axis=(1, 3)).tolist()
    starts = (t0 + interval_s * np.arange(n_buckets)).tolist()

    out = []
    for (cam, ln), i in series_index.items():
        c_in, c_out = counts[i, 0].tolist(), counts[i, 1].tolist()
        cov, tot = coverage[cam_index[cam]], totals[i]
        buckets = [
            Bucket(start=s, end=s + interval_s, coverage=cov[k],
                   in_=dict(zip(names, c_in[k], strict=True)),
                   out=dict(zip(names, c_out[k], strict=True)), total=tot[k])
            for k, s in enumerate(starts)
        ]
        out.append(Series(camera=cam, line=ln, buckets=buckets))
    return out
