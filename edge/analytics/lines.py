"""Directional line counting with a hysteresis band.

For a line p1->p2 a track's anchor (bottom-centre of its box) has a signed distance s to the line
(see :meth:`edge.geometry.Segment.side`). A track's side is only updated while its anchor is
farther than ``band_px`` from the line, so jitter on the line never counts; it counts when the
committed side flips and the move from the last point on the old side to the first point on the
new side crosses the segment itself (not its extension). The side survives detection gaps for as
long as the tracker keeps the track (an occluder on the line loses nothing), and is dropped when
the track is removed. Crossings of tentative tracks wait until the track is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from edge.analytics.base import Event, LineCrossing
from edge.classes import CLASSES, parse_classes
from edge.types import Frame, Tracks


class LineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    p1: tuple[float, float]
    p2: tuple[float, float]
    classes: list[str] | None = Field(None, description="count only these classes (default all)")
    band_px: float = Field(6.0, ge=0, description="hysteresis half-width around the line, px")
    anchor: Literal["bottom_center", "center"] = Field(
        "bottom_center", description="the point of a box that crosses: where it touches the "
        "ground (side views), or its centre (cameras looking straight down)")

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, v: list[str] | None) -> list[str] | None:
        parse_classes(v)
        return v

    @field_validator("p2")
    @classmethod
    def _not_degenerate(cls, v: tuple[float, float], info) -> tuple[float, float]:  # noqa: ANN001
        if info.data.get("p1") == v:
            raise ValueError("p1 and p2 are the same point")
        return v


@dataclass
class _TrackSides:
    """Per-track committed side (-1, 0 unknown, +1) and last point outside the band, per line."""

    ids: np.ndarray
    side: np.ndarray   # (m, L) int8
    ref: np.ndarray    # (m, L, 2) float
    pending: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


class LineCounter:
    """Analytic plug-in: tracks -> :class:`LineCrossing` events.

    >>> import numpy as np
    >>> from edge.types import Frame, Tracks
    >>> lc = LineCounter("cam", [LineConfig(id="L", p1=(50, 0), p2=(50, 100))])
    >>> def at(x, i):
    ...     t = Tracks(np.array([[x - 5, 40, x + 5, 60]], np.float32), np.ones(1, np.float32),
    ...                np.zeros(1, np.int16), np.array([7]), np.ones(1, bool), np.ones(1, bool),
    ...                np.zeros(0, np.int64))
    ...     return lc.update(Frame(np.zeros((1, 1, 3), np.uint8), i, i / 10, i / 10), t)
    >>> [e.direction for i, x in enumerate([80, 70, 30, 20]) for e in at(x, i)]
    ['in']
    """

    name = "lines"

    def __init__(self, camera: str, lines: list[LineConfig]) -> None:
        self.camera = camera
        self.lines = lines
        p = np.array([[ln.p1, ln.p2] for ln in lines], dtype=np.float64).reshape(-1, 2, 2)
        self._p1 = p[:, 0]                                   # (L, 2)
        self._d = p[:, 1] - p[:, 0]                          # (L, 2)
        self._len = np.maximum(np.hypot(self._d[:, 0], self._d[:, 1]), 1e-9)
        self._band = np.array([ln.band_px for ln in lines])
        self._centre = np.array([ln.anchor == "center" for ln in lines])
        n_cls = len(CLASSES)
        self._allowed = np.ones((len(lines), n_cls), bool)  # (L, C)
        for i, ln in enumerate(lines):
            sel = parse_classes(ln.classes)
            if sel is not None:
                self._allowed[i] = np.isin(np.arange(n_cls), sel)
        self._st = _TrackSides(np.zeros(0, np.int64), np.zeros((0, len(lines)), np.int8),
                               np.zeros((0, len(lines), 2)))

    def update(self, frame: Frame, tracks: Tracks) -> list[Event]:
        self._forget(tracks.removed_ids)
        obs = tracks[tracks.observed]
        if len(obs) == 0 or not self.lines:
            return []
        rows = self._rows_for(obs.ids)
        q = self._anchor_points(obs)                         # (n, L, 2)
        rel = q - self._p1[None]
        s = (self._d[None, :, 0] * rel[..., 1] - self._d[None, :, 1] * rel[..., 0]) / self._len
        zone = np.where(np.abs(s) > self._band, np.sign(s), 0).astype(np.int8)
        prev, ref = self._st.side[rows], self._st.ref[rows]
        flip = (prev != 0) & (zone != 0) & (zone != prev)
        flip &= self._on_segment(ref, q)
        events = self._emit(frame, obs, np.argwhere(flip), zone)
        out = zone != 0
        self._st.side[rows] = np.where(out, zone, prev)
        self._st.ref[rows] = np.where(out[..., None], q, ref)
        return events

    def _anchor_points(self, obs: Tracks) -> np.ndarray:
        foot = obs.anchors().astype(np.float64)
        if not self._centre.any():
            return np.broadcast_to(foot[:, None, :], (len(obs), len(self.lines), 2))
        centre = foot.copy()
        centre[:, 1] = (obs.xyxy[:, 1] + obs.xyxy[:, 3]) * 0.5
        return np.where(self._centre[None, :, None], centre[:, None, :], foot[:, None, :])

    def _on_segment(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether each move a (n,L,2) -> b (n,L,2) meets line l within its segment."""
        m = b - a
        rel = a - self._p1[None]
        denom = m[..., 0] * self._d[None, :, 1] - m[..., 1] * self._d[None, :, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (m[..., 0] * rel[..., 1] - m[..., 1] * rel[..., 0]) / denom
        return (t >= 0) & (t <= 1)

    def _emit(self, frame: Frame, obs: Tracks, hits: np.ndarray, zone: np.ndarray
              ) -> list[Event]:
        events: list[Event] = []
        for i, li in hits:  # crossings are rare: a loop over events, not over tracks
            tid, cls = int(obs.ids[i]), int(obs.classes[i])
            if not obs.confirmed[i]:
                self._st.pending.setdefault(tid, []).append((int(li), int(zone[i, li])))
                continue
            events.extend(self._event(frame, li, zone[i, li], cls))
        if self._st.pending:
            for i in np.flatnonzero(obs.confirmed & np.isin(obs.ids, list(self._st.pending))):
                for li, z in self._st.pending.pop(int(obs.ids[i])):
                    events.extend(self._event(frame, li, z, int(obs.classes[i])))
        return events

    def _event(self, frame: Frame, li: int, zone: int, cls: int) -> list[Event]:
        if not self._allowed[li, cls]:
            return []
        return [LineCrossing(camera=self.camera, wall_ts=frame.wall_ts, media_ts=frame.media_ts,
                             line=self.lines[li].id, cls=CLASSES[cls],
                             direction="in" if zone > 0 else "out")]

    def _rows_for(self, ids: np.ndarray) -> np.ndarray:
        st = self._st
        new = ids[~np.isin(ids, st.ids)]
        if len(new):
            n_lines = len(self.lines)
            st.ids = np.concatenate([st.ids, new])
            st.side = np.concatenate([st.side, np.zeros((len(new), n_lines), np.int8)])
            st.ref = np.concatenate([st.ref, np.zeros((len(new), n_lines, 2))])
        order = np.argsort(st.ids)
        return order[np.searchsorted(st.ids, ids, sorter=order)]

    def _forget(self, removed: np.ndarray) -> None:
        if len(removed) == 0:
            return
        st = self._st
        keep = ~np.isin(st.ids, removed)
        st.ids, st.side, st.ref = st.ids[keep], st.side[keep], st.ref[keep]
        for tid in removed:
            st.pending.pop(int(tid), None)
