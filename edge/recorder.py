"""Per-camera buffer between the analytics and the store.

A camera's analysis thread owns one :class:`Recorder`. It sums events and analysed time per time
bin in memory and writes them, with the media position reached, in one :meth:`Store.commit`
at least every ``flush_seconds``. Counts, parking results and checkpoint land in the same
transaction, so after a crash (even ``kill -9``) a restart from :meth:`Store.checkpoint` neither
loses a flushed bin nor counts an event twice: everything before the checkpoint is stored,
nothing after it is.

>>> import tempfile, os
>>> from edge.store import Store
>>> from edge.analytics.base import LineCrossing
>>> store = Store(os.path.join(tempfile.mkdtemp(), "c.db"))
>>> rec = Recorder(store, "cam1", source="a.mp4", epoch_base=1_700_000_000.0)
>>> rec.add([LineCrossing("cam1", 1_700_000_030.0, 30.0, "north", "car", "in")])
>>> rec.covered(1_700_000_000.0, 31.0)
>>> rec.flush(media_pos=31.0)
>>> store.totals("cam1")["north"]["in"]["car"], store.checkpoint("cam1").media_pos
(1, 31.0)
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable

from edge.analytics.base import (
    DumpingAlert,
    Event,
    LineCrossing,
    LotOccupancy,
    SpaceChange,
    StayEnded,
)
from edge.publish.payload import record_of
from edge.store import (
    AlertRecord,
    Batch,
    Checkpoint,
    CountKey,
    LotKey,
    Notification,
    OccupancyBin,
    OccupancyKey,
    SpaceChangeRecord,
    StayKey,
    Store,
)


class Recorder:
    """Accumulates one camera's aggregates and flushes them to the store with a checkpoint.

    Not thread-safe: one recorder per camera, used by that camera's thread only.
    ``bin_seconds`` defaults to the store's; ``clock`` is monotonic seconds (injectable for tests).
    """

    def __init__(self, store: Store, camera: str, source: str, epoch_base: float, *,
                 bin_seconds: int | None = None, flush_seconds: float = 2.0,
                 clock: Callable[[], float] = time.monotonic,
                 notify: Callable[[DumpingAlert], list[Notification]] | None = None) -> None:
        bin_seconds = store.bin_seconds if bin_seconds is None else bin_seconds
        if bin_seconds != store.bin_seconds:
            raise ValueError(f"recorder bins ({bin_seconds} s) differ from the store's "
                             f"({store.bin_seconds} s)")
        if flush_seconds <= 0:
            raise ValueError(f"flush_seconds must be > 0, got {flush_seconds}")
        self.store = store
        self.camera = camera
        self.source = source
        self.epoch_base = float(epoch_base)
        self.bin_seconds = int(bin_seconds)
        self.flush_seconds = float(flush_seconds)
        self._clock = clock
        self._last_flush = clock()
        self._counts: Counter[CountKey] = Counter()
        self._coverage: dict[int, float] = {}
        self._occupancy: dict[OccupancyKey, OccupancyBin] = {}
        self._stays: Counter[StayKey] = Counter()
        self._changes: list[SpaceChangeRecord] = []
        self._lot_seen: dict[LotKey, float] = {}
        self._lot_learnt: dict[LotKey, int] = {}
        self._alerts: list[AlertRecord] = []
        self._notes: list[Notification] = []
        self._notify = notify
        self._urgent = False  # an alert is flushed at once: its webhook must not wait
        # One handler per event type; each use case adds its own (and its Batch fields).
        self._handlers: dict[type[Event], Callable[[Event], None]] = {
            LineCrossing: self._on_crossing,  # type: ignore[dict-item]
            SpaceChange: self._on_space_change,  # type: ignore[dict-item]
            LotOccupancy: self._on_lot_occupancy,  # type: ignore[dict-item]
            StayEnded: self._on_stay_ended,  # type: ignore[dict-item]
            DumpingAlert: self._on_alert,  # type: ignore[dict-item]
        }

    def bin_of(self, wall_ts: float) -> int:
        return math.floor(wall_ts / self.bin_seconds) * self.bin_seconds

    def add(self, events: Iterable[Event]) -> None:
        """Count events; types with no handler yet are ignored."""
        for event in events:
            if event.camera != self.camera:
                raise ValueError(f"event of camera {event.camera!r} given to the recorder of "
                                 f"{self.camera!r}")
            handler = self._handlers.get(type(event))
            if handler is not None:
                handler(event)

    def _on_crossing(self, event: LineCrossing) -> None:
        key = (self.camera, event.line, event.cls, event.direction, self.bin_of(event.wall_ts))
        self._counts[key] += 1

    def _on_space_change(self, event: SpaceChange) -> None:
        # The store derives the space's current state from the change (kept in order).
        self._changes.append(SpaceChangeRecord(self.camera, event.lot, event.space, event.old,
                                               event.new, event.wall_ts))

    def _on_lot_occupancy(self, event: LotOccupancy) -> None:
        key = (self.camera, event.lot, self.bin_of(event.wall_ts))
        sample = OccupancyBin.one(event.occupied, event.free, event.unknown)
        held = self._occupancy.get(key)
        self._occupancy[key] = sample if held is None else held.merge(sample)
        lot = (self.camera, event.lot)
        self._lot_seen[lot] = max(event.wall_ts, self._lot_seen.get(lot, event.wall_ts))
        self._lot_learnt[lot] = event.learnt  # events come in analysis order: the last is now

    def _on_stay_ended(self, event: StayEnded) -> None:
        self._stays[(self.camera, event.lot, event.band, self.bin_of(event.wall_ts))] += 1

    def _on_alert(self, event: DumpingAlert) -> None:
        self._alerts.append(record_of(event))
        if self._notify is not None:
            self._notes.extend(self._notify(event))
        self._urgent = True

    def covered(self, wall_ts: float, seconds: float) -> None:
        """Record that ``[wall_ts, wall_ts + seconds)`` was analysed, split at bin boundaries."""
        if seconds < 0:
            raise ValueError(f"analysed seconds must be >= 0, got {seconds}")
        t, end = float(wall_ts), float(wall_ts) + float(seconds)
        while t < end:
            b = self.bin_of(t)
            step = min(end, b + self.bin_seconds) - t
            self._coverage[b] = self._coverage.get(b, 0.0) + step
            t += step

    def maybe_flush(self, media_pos: float) -> bool:
        """Flush if ``flush_seconds`` have passed since the last flush; True when it did."""
        if not self._urgent and self._clock() - self._last_flush < self.flush_seconds:
            return False
        self.flush(media_pos)
        return True

    def flush(self, media_pos: float | None = None) -> None:
        """Write what is buffered (and the checkpoint, when ``media_pos`` is given) now.

        ``media_pos`` must be the media position up to which every event has been added.
        On a store error the buffer is kept, so the next flush retries it.
        """
        checkpoint = None if media_pos is None else Checkpoint(
            self.camera, self.source, self.epoch_base, float(media_pos))
        batch = Batch(counts=dict(self._counts),
                      coverage={(self.camera, b): s for b, s in self._coverage.items()},
                      checkpoint=checkpoint, occupancy=dict(self._occupancy),
                      stays=dict(self._stays), changes=list(self._changes),
                      lot_seen=dict(self._lot_seen), lot_learnt=dict(self._lot_learnt),
                      alerts=list(self._alerts), notifications=list(self._notes))
        self.store.commit(batch)
        for buffer in (self._counts, self._coverage, self._occupancy, self._stays,
                       self._changes, self._lot_seen, self._lot_learnt, self._alerts, self._notes):
            buffer.clear()
        self._last_flush = self._clock()
        self._urgent = False

    @property
    def pending(self) -> int:
        """Number of buffered cells: counts, occupancy bins, stays, space changes, alerts (for
        tests and diagnostics)."""
        return len(self._counts) + len(self._occupancy) + len(self._stays) + \
            len(self._changes) + len(self._alerts)
