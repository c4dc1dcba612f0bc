"""The parking analytic: every ``every_s`` seconds, the occupancy of each lot's spaces.

Same plug-in interface as line counting: ``update(frame, tracks) -> events``. It looks at the
frame's pixels itself, through its own (tiled) detection of the parking area, because parked cars
are small and still: the per-frame detector at its input size misses them, and a tracker adds
nothing for an object that does not move. Events carry lot and space ids and states only.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge.analytics.base import Event, LotOccupancy, SpaceChange, StayEnded
from edge.analytics.parking.appearance import EmptyReference
from edge.analytics.parking.config import ParkingConfig
from edge.analytics.parking.evidence import Evidence, SpaceGeometry
from edge.analytics.parking.occupancy import NAMES, Occupancy
from edge.detectors.base import Detector
from edge.detectors.tiling import TiledDetector, TileGrid
from edge.errors import EdgeError
from edge.types import Frame, Tracks


class ParkingAnalytic:
    name = "parking"

    def __init__(self, camera: str, cfg: ParkingConfig, detector: Detector,
                 frame_size: tuple[int, int]) -> None:
        self.camera, self.cfg = camera, cfg
        self.lots = [(lot, SpaceGeometry.of(lot)) for lot in cfg.lots]
        self.evidence = [Evidence(cfg, geom) for _, geom in self.lots]
        self.occupancy = [Occupancy(len(lot.spaces), cfg.occupy_s, cfg.vacate_s,
                                    cfg.unknown_after_s) for lot in cfg.lots]
        self.detector = detector if cfg.tiling.tile_px is None else TiledDetector(
            detector, TileGrid.cover(self._region(cfg.tiling.margin_px), frame_size,
                                     cfg.tiling.tile_px, cfg.tiling.overlap
                                     ).touching(np.concatenate([g.polygons for _, g in self.lots])))
        self.references = [self._reference(cfg.reference, lot, frame_size)
                           for lot, _ in self.lots] if cfg.reference else None
        self._registered_at: float | None = None
        self._bands = np.array(cfg.stay_bands_min) * 60.0
        self._band_names = cfg.band_labels()
        self._next_ts: float | None = None

    @staticmethod
    def _reference(path: str, lot, frame_size: tuple[int, int]) -> EmptyReference:  # noqa: ANN001
        image = cv2.imread(path) if Path(path).is_file() else None
        if image is None:
            raise EdgeError(f"parking reference image cannot be read: {path}")
        if (image.shape[1], image.shape[0]) != tuple(frame_size):
            raise EdgeError(f"parking reference image {path} is {image.shape[1]}x"
                            f"{image.shape[0]}, the camera's frames are "
                            f"{frame_size[0]}x{frame_size[1]}")
        return EmptyReference(image, [np.array(s.polygon) for s in lot.spaces])

    def _similarities(self, frame: Frame) -> list[np.ndarray | None]:
        if self.references is None:
            return [None] * len(self.lots)
        due = self._registered_at is None or \
            frame.media_ts - self._registered_at >= self.cfg.register_every_s
        if due:
            self._registered_at = frame.media_ts
            for ref in self.references:
                ref.register(frame.image)
        return [ref.similarity(frame.image) for ref in self.references]

    @property
    def tiles(self) -> int:
        return len(self.detector.grid) if isinstance(self.detector, TiledDetector) else 1

    def _region(self, margin: float) -> tuple[float, float, float, float]:
        b = np.array([geom.bounds() for _, geom in self.lots])
        return (b[:, 0].min() - margin, b[:, 1].min() - margin,
                b[:, 2].max() + margin, b[:, 3].max() + margin)

    def update(self, frame: Frame, tracks: Tracks) -> list[Event]:
        if self._next_ts is not None and frame.media_ts < self._next_ts:
            return []
        self._next_ts = frame.media_ts + self.cfg.every_s
        det = self.detector.detect(frame.image)
        sims = self._similarities(frame)
        events: list[Event] = []
        for (lot, _), evidence, occ, sim in zip(self.lots, self.evidence, self.occupancy, sims,
                                                strict=True):
            for ch in occ.update(evidence.observe(det, sim), frame.media_ts):
                wall = frame.wall_ts - (frame.media_ts - ch.since)
                events.append(SpaceChange(self.camera, wall, ch.since, lot.id,
                                          lot.spaces[ch.space].id, NAMES[ch.old], NAMES[ch.new]))
                if ch.stay_s is not None:
                    band = self._band_names[int(np.searchsorted(self._bands, ch.stay_s,
                                                                side="right"))]
                    events.append(StayEnded(self.camera, wall, ch.since, lot.id, band))
            events.append(LotOccupancy(self.camera, frame.wall_ts, frame.media_ts, lot.id,
                                       *occ.counts()))
        return events

    def states(self) -> dict[str, dict[str, str]]:
        """Committed state of every space, per lot (for ``edge analyze``'s JSON)."""
        return {lot.id: {s.id: NAMES[int(v)] for s, v in zip(lot.spaces, occ.state, strict=True)}
                for (lot, _), occ in zip(self.lots, self.occupancy, strict=True)}
