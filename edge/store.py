"""The count store: the only place that holds results, and the only module that speaks SQL.

It keeps anonymous aggregates only: counts per (camera, line, class, direction, time bin),
analysed seconds per (camera, time bin), and one resume checkpoint per camera. There is no
table, column or argument for a box, a track id, a position or an image.

One SQLite connection in WAL mode, guarded by a lock: camera threads write through
:meth:`Store.commit` (one transaction per flush, so a crash loses at most the unflushed tail),
API threads read through :meth:`Store.count_series` and :meth:`Store.totals`.

>>> import tempfile, os
>>> with Store(os.path.join(tempfile.mkdtemp(), "c.db")) as s:
...     s.register_lines("cam1", ["north"])
...     s.commit(Batch(counts={("cam1", "north", "car", "in", 120): 2}))
...     s.totals("cam1")["north"]["in"]["car"]
2
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import numpy as np

from edge.classes import CLASSES
from edge.errors import EdgeError

SCHEMA_VERSION = 1
DIRECTIONS: tuple[str, str] = ("in", "out")

# counts' key puts bin_start before class/direction so a time-range read for one line is a
# single index range instead of one scan per (class, direction).
_SCHEMA = """
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

CountKey = tuple[str, str, str, str, int]  # camera, line, class, direction, bin_start
CoverageKey = tuple[str, int]  # camera, bin_start


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where a camera's analysis stands: ``media_pos`` seconds into ``source`` are in the store.

    ``epoch_base`` is the Unix time of media position 0, so a resumed run keeps the same bins.
    """

    camera: str
    source: str
    epoch_base: float
    media_pos: float


@dataclass(slots=True)
class Batch:
    """Deltas written in one transaction: counts to add, analysed seconds to add, a checkpoint."""

    counts: dict[CountKey, int] = field(default_factory=dict)
    coverage: dict[CoverageKey, float] = field(default_factory=dict)
    checkpoint: Checkpoint | None = None

    def is_empty(self) -> bool:
        return not self.counts and not self.coverage and self.checkpoint is None


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
            if version == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute("INSERT INTO meta VALUES ('bin_seconds', ?)",
                                 (str(self.bin_seconds),))
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

    def commit(self, batch: Batch) -> None:
        """Add a batch of deltas and store its checkpoint, all or nothing."""
        if batch.is_empty():
            return
        counts = [self._count_row(key, n) for key, n in batch.counts.items() if n]
        coverage = [self._coverage_row(key, s) for key, s in batch.coverage.items() if s]
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
            if cp is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?)",
                    (cp.camera, cp.source, float(cp.epoch_base), float(cp.media_pos), time.time()))

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

    # -- helpers -----------------------------------------------------------------------------

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
