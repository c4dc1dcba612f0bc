"""Left objects of one zone, from candidate to alert to cleared: pure logic, no pixels read.

A *candidate* is a static region that is not a ghost. It becomes an *alert* once it has been
there *unattended* for the dwell time: counted from when it first changed (its static time is
backdated), paused while a tracked person is with it (beside it, or over it). A candidate first
found with a person beside it (set down by its owner) starts its clock then, not backdated: the
dwell time counts from the moment its owner walks away. Until it is raised, a candidate's region
is its pixels that are still static: the part of a person standing by it that was taken for it
falls away when they go. It is *cleared* once the zone has looked like its reference over the
object's region for ``clear_s``.
While most of the region is hidden (a person in front), nothing changes: occlusion neither clears
nor duplicates. A candidate that goes before the dwell time (brought and taken away) is dropped.
New static pixels that touch a known object join it rather than start another one.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_PRESENT = 0.35       # share of the region's visible pixels still static: the object is there
_VISIBLE = 0.3        # below this share of the region in view, the look tells nothing
_GRACE_S = 2.0        # a candidate may vanish this long (a flicker) before it is dropped
_JOIN = 0.2           # a new region overlapping an object this much (of itself) is part of it
_TOUCH = np.ones((7, 7), np.uint8)  # or closer than 3 px (model pixels) to it


@dataclass(slots=True, eq=False)  # identity: two objects are never "equal"
class LeftObject:
    region: np.ndarray           # bool (h, w) in the zone model's pixels
    first_seen: float            # media seconds, backdated to when its pixels changed
    attended_s: float = 0.0      # seconds a person was with it since first_seen (not counted)
    absent_since: float | None = None
    raised_at: float | None = None
    size: float = 0.0            # share of the zone's area
    cls: str = "unknown_object"
    alert: str | None = None     # the alert's id, once raised
    first_seen_wall: float | None = None  # wall times, fixed when raised (a clock step later
    raised_wall: float | None = None      # must not change what the clear reports)


@dataclass(frozen=True, slots=True)
class Transition:
    obj: LeftObject
    status: str                  # "raised" | "cleared"
    at: float                    # media seconds


class ZoneObjects:
    """The objects of one zone. ``step`` takes the static regions of one look."""

    def __init__(self, *, dwell_s: float, clear_s: float, zone_area: int,
                 min_area: float) -> None:
        self.dwell_s, self.clear_s = dwell_s, clear_s
        self.zone_area, self.min_area = zone_area, min_area
        self.objects: list[LeftObject] = []

    def join(self, region: np.ndarray) -> bool:
        """Add ``region`` to the object it overlaps or touches, if any (True when it did): an
        object seen piece by piece between passers-by is one object."""
        area = int(region.sum())
        near = cv2.dilate(region.astype(np.uint8), _TOUCH).astype(bool)
        host = next((o for o in self.objects
                     if (o.region & region).sum() > _JOIN * area or (o.region & near).any()),
                    None)
        if host is None:
            return False
        host.region |= region
        self._merge_into(host)
        return True

    def _merge_into(self, host: LeftObject) -> None:
        """Objects that ``host`` now touches are the same object: one alert, the earliest start.
        Two raised alerts are never merged (each was announced)."""
        near = cv2.dilate(host.region.astype(np.uint8), _TOUCH).astype(bool)
        for other in [o for o in self.objects if o is not host and (o.region & near).any()]:
            if host.raised_at is not None and other.raised_at is not None:
                continue
            keep, gone = (other, host) if other.raised_at is not None else (host, other)
            keep.region |= gone.region
            keep.first_seen = min(keep.first_seen, gone.first_seen)
            self.objects.remove(gone)
            host = keep
        host.size = float(host.region.sum()) / self.zone_area

    def add(self, region: np.ndarray, since: float) -> bool:
        """A new candidate (False when it is smaller than the zone's minimum object)."""
        area = int(region.sum())
        if area < self.min_area:
            return False
        self.objects.append(LeftObject(region.copy(), since, size=area / self.zone_area))
        return True

    def postpone(self, obj: LeftObject, t: float) -> None:
        """Not an alert yet after all (a person is there): the dwell time starts again."""
        obj.raised_at, obj.first_seen, obj.attended_s = None, t, 0.0

    def attended(self, obj: LeftObject, people: np.ndarray) -> bool:
        """Whether a person (``people``: bool mask of their grown boxes) is with ``obj``."""
        return bool((obj.region & people).any())

    def step(self, t: float, static: np.ndarray, visible: np.ndarray,
             people: np.ndarray | None = None, dt: float = 0.0) -> list[Transition]:
        """One look at time ``t`` (``dt`` seconds after the last), after new regions were
        joined or added: each object is present, hidden or gone. ``people``: where tracked
        people are (bool mask), for the attended time of candidates."""
        out: list[Transition] = []
        for obj in list(self.objects):
            seen = obj.region & visible
            if seen.sum() < _VISIBLE * obj.region.sum():
                continue  # hidden: hold
            present = (static & seen).sum() >= _PRESENT * seen.sum()
            if obj.raised_at is None:
                still = obj.region & (static | ~visible)
                if still.sum() >= self.min_area:  # the person's part falls away when they go
                    obj.region, present = still, True
                    obj.size = float(still.sum()) / self.zone_area
                if people is not None and self.attended(obj, people):
                    obj.attended_s += dt
            if present:
                obj.absent_since = None
                if obj.raised_at is None and \
                        t - obj.first_seen - obj.attended_s >= self.dwell_s:
                    obj.raised_at = t
                    out.append(Transition(obj, "raised", t))
                continue
            if obj.absent_since is None:
                obj.absent_since = t
            if obj.raised_at is None:
                if t - obj.absent_since >= _GRACE_S:
                    self.objects.remove(obj)  # brought and taken away before the dwell time
            elif t - obj.absent_since >= self.clear_s:
                self.objects.remove(obj)
                out.append(Transition(obj, "cleared", t))
        return out
