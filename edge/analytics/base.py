"""The tiny interface every analytic implements, and the events they emit.

Events are already anonymous: a line id, a class, a direction and a time. They carry no track
id, box or position, so whatever consumes them cannot leak one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from edge.types import Frame, Tracks


@dataclass(frozen=True, slots=True)
class Event:
    camera: str
    wall_ts: float
    media_ts: float


@dataclass(frozen=True, slots=True)
class LineCrossing(Event):
    line: str
    cls: str
    direction: str  # "in" | "out"


class Analytic(Protocol):
    """A use case. ``update`` is called once per analysed frame, in order."""

    name: str

    def update(self, frame: Frame, tracks: Tracks) -> list[Event]: ...


@dataclass(frozen=True, slots=True)
class SpaceChange(Event):
    """A parking space's committed state changed (``old``/``new``: occupied, free, unknown);
    ``wall_ts`` is when the evidence for ``new`` began, not when the hysteresis confirmed it."""

    lot: str
    space: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class LotOccupancy(Event):
    """One occupancy analysis of a lot: how many of its spaces are in each state right now, and
    how many have a learnt empty-state reference."""

    lot: str
    occupied: int
    free: int
    unknown: int
    learnt: int = 0


@dataclass(frozen=True, slots=True)
class StayEnded(Event):
    """A vehicle left a space of ``lot`` after a stay in duration band ``band`` (e.g.
    ``"15-60min"``): only the band and the lot, never the space, the vehicle or the times."""

    lot: str
    band: str


@dataclass(frozen=True, slots=True)
class DumpingAlert(Event):
    """A bulky-waste alert of drop-off ``zone`` was ``status`` ("raised" or "cleared") at
    ``wall_ts``/``media_ts``. ``first_seen``/``raised_at``/``cleared_at`` are wall times;
    ``size`` is the object's share of the zone's area; ``cls`` a COCO class guess or
    ``unknown_object``. No image, box or person data: the id names the alert, not an object."""

    alert: str
    zone: str
    status: str
    first_seen: float
    raised_at: float
    cleared_at: float | None
    size: float
    cls: str
