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
