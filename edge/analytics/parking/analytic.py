"""The parking analytic: every ``every_s`` seconds, the occupancy of each lot's spaces.

Same plug-in interface as line counting: ``update(frame, tracks) -> events``. It looks at the
frame's pixels itself, through its own (tiled) detection of the parking area and each space's
appearance, because parked cars are small and still: the per-frame detector at its input size
misses them, and a tracker adds nothing for an object that does not move. Events carry lot and
space ids, states and counts only.

Per analysis and lot: cues (:mod:`.evidence`) -> odds of occupied (:mod:`.classifier`) ->
observations -> hysteresis (:mod:`.occupancy`) -> the learnt reference takes in the spaces that
are surely free (:mod:`.reference`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.analytics.base import Event, LotOccupancy, SpaceChange, StayEnded
from edge.analytics.parking.appearance import MARGIN, PATCH, Look, SpacePatches, gray
from edge.analytics.parking.classifier import DEFAULT_MODEL, SpaceModel
from edge.analytics.parking.config import LotConfig, ParkingConfig
from edge.analytics.parking.evidence import Cues, Evidence, Observation, SpaceGeometry
from edge.analytics.parking.occupancy import FREE, NAMES, Occupancy
from edge.analytics.parking.reference import ImageReference, LearntReference, ViewAlignment
from edge.detectors.base import Detector
from edge.detectors.tiling import TiledDetector, TileGrid
from edge.errors import EdgeError
from edge.types import Detections, Frame, Tracks

log = logging.getLogger(__name__)

_SURE_FREE = 0.2  # the reference-free odds of occupied below which a space is surely free
_VIEW_CHANGED = 0.5  # share of learnt spaces contradicting their reference at once: moved camera
_MIN_LEARNT = 4  # fewer learnt spaces than this tell nothing about the whole view


@dataclass(eq=False)
class _Lot:
    cfg: LotConfig
    geom: SpaceGeometry
    evidence: Evidence
    occupancy: Occupancy
    patches: SpacePatches
    image_ref: ImageReference | None
    learnt: LearntReference | None


class ParkingAnalytic:
    name = "parking"

    def __init__(self, camera: str, cfg: ParkingConfig, detector: Detector,
                 frame_size: tuple[int, int]) -> None:
        self.camera, self.cfg = camera, cfg
        self.model = SpaceModel.load(cfg.classifier or DEFAULT_MODEL)
        reference = self._read_reference(cfg.reference, frame_size) if cfg.reference else None
        self.lots = [self._lot(lot, reference) for lot in cfg.lots]
        self.detector = detector if cfg.tiling.tile_px is None else TiledDetector(
            detector, TileGrid.cover(self._region(cfg.tiling.margin_px), frame_size,
                                     cfg.tiling.tile_px, cfg.tiling.overlap
                                     ).touching(np.concatenate([g.geom.polygons
                                                                for g in self.lots])))
        self._registered_at: float | None = None
        self.view = ViewAlignment()  # the learnt references' view in the current frame
        self._bands = np.array(cfg.stay_bands_min) * 60.0
        self._band_names = cfg.band_labels()
        self._next_ts: float | None = None

    def _lot(self, lot: LotConfig, reference: np.ndarray | None) -> _Lot:
        geom = SpaceGeometry.of(lot)
        patches = SpacePatches([np.array(s.polygon) for s in lot.spaces])
        learnt = LearntReference(len(lot.spaces), PATCH - 2 * MARGIN,
                                 every_s=self.cfg.learn_every_s, samples=self.cfg.learn_samples,
                                 relearn_s=self.cfg.relearn_s) if self.cfg.learn_reference else None
        return _Lot(lot, geom, Evidence(self.cfg, geom),
                    Occupancy(len(lot.spaces), self.cfg.occupy_s, self.cfg.vacate_s,
                              self.cfg.unknown_after_s),
                    patches, ImageReference(reference, patches) if reference is not None else None,
                    learnt)

    @staticmethod
    def _read_reference(path: str, frame_size: tuple[int, int]) -> np.ndarray:
        image = cv2.imread(path) if Path(path).is_file() else None
        if image is None:
            raise EdgeError(f"parking reference image cannot be read: {path}")
        if (image.shape[1], image.shape[0]) != tuple(frame_size):
            raise EdgeError(f"parking reference image {path} is {image.shape[1]}x"
                            f"{image.shape[0]}, the camera's frames are "
                            f"{frame_size[0]}x{frame_size[1]}")
        return image

    @property
    def tiles(self) -> int:
        return len(self.detector.grid) if isinstance(self.detector, TiledDetector) else 1

    def _region(self, margin: float) -> tuple[float, float, float, float]:
        b = np.array([lot.geom.bounds() for lot in self.lots])
        return (b[:, 0].min() - margin, b[:, 1].min() - margin,
                b[:, 2].max() + margin, b[:, 3].max() + margin)

    def _register(self, frame: Frame) -> None:
        """Align the reference images to the view, at start-up and every register_every_s."""
        refs = [lot.image_ref for lot in self.lots if lot.image_ref is not None]
        if not refs or (self._registered_at is not None and
                        frame.media_ts - self._registered_at < self.cfg.register_every_s):
            return
        self._registered_at = frame.media_ts
        for ref in refs:
            ref.register(frame.image)

    def cues(self, frame: Frame) -> list[tuple[Cues, Look]]:
        """Every lot's cues in ``frame`` (and the look they came from): one detection of the
        parking area, one remap per lot. Also what the space model is fitted on."""
        det = self.detector.detect(frame.image)
        self._register(frame)
        g = gray(frame.image)
        anchored = self.view.to_anchor(g) if self.cfg.learn_reference else g
        return [self._lot_cues(lot, det, g, anchored) for lot in self.lots]

    @staticmethod
    def _lot_cues(lot: _Lot, det: Detections, g: np.ndarray,
                  anchored: np.ndarray) -> tuple[Cues, Look]:
        """The cues of one lot, and its look from the learnt references' view (what they
        learn from)."""
        look = lot.patches.look(g)
        learnt_look = look if anchored is g else lot.patches.look(anchored)
        vehicle = lot.evidence.vehicle_score(det)
        sim = np.full(lot.patches.n, np.nan)
        if lot.image_ref is not None:
            sim = lot.image_ref.similarity(look)
        if lot.learnt is not None:  # a space's own learnt reference is fresher than the image
            learnt = lot.learnt.similarity(learnt_look)
            sim = np.where(np.isnan(learnt), sim, learnt)
        return Cues(vehicle, look.texture, sim, lot.evidence.hidden(det, vehicle)), learnt_look

    def update(self, frame: Frame, tracks: Tracks) -> list[Event]:
        if self._next_ts is not None and frame.media_ts < self._next_ts:
            return []
        self._next_ts = frame.media_ts + self.cfg.every_s
        events: list[Event] = []
        for lot, (cues, look) in zip(self.lots, self.cues(frame), strict=True):
            seen = Evidence.observe(cues, self.model)
            for ch in lot.occupancy.update(seen.obs, frame.media_ts):
                wall = frame.wall_ts - (frame.media_ts - ch.since)
                events.append(SpaceChange(self.camera, wall, ch.since, lot.cfg.id,
                                          lot.cfg.spaces[ch.space].id, NAMES[ch.old],
                                          NAMES[ch.new]))
                if ch.stay_s is not None:
                    band = self._band_names[int(np.searchsorted(self._bands, ch.stay_s,
                                                                side="right"))]
                    events.append(StayEnded(self.camera, wall, ch.since, lot.cfg.id, band))
            learnt = self._learn(lot, look, cues, seen, frame.media_ts)
            events.append(LotOccupancy(self.camera, frame.wall_ts, frame.media_ts, lot.cfg.id,
                                       *lot.occupancy.counts(), learnt=learnt))
        return events

    def _learn(self, lot: _Lot, look: Look, cues: Cues, seen: Observation, ts: float) -> int:
        """Feed the learnt reference; returns how many spaces have one."""
        ref = lot.learnt
        if ref is None:
            return 0
        sure_free = (seen.p_still < _SURE_FREE) & ~cues.hidden
        disagree = sure_free & (seen.p >= 0.5)  # the still cues: free; the reference: changed
        ready = ref.ready
        if ready.sum() >= _MIN_LEARNT and (disagree & ready).sum() >= _VIEW_CHANGED * ready.sum():
            log.warning("camera %s: lot %s no longer looks like its learnt empty state (camera "
                        "moved?): learning it again", self.camera, lot.cfg.id)
            ref.forget()
            self.view.anchor = None  # the next look is the new view
        else:
            ref.doubt(disagree, ts)
        ref.learn(look, sure_free & (seen.obs == FREE) & (lot.occupancy.state == FREE), ts)
        return int(ref.ready.sum())

    def states(self) -> dict[str, dict[str, str]]:
        """Committed state of every space, per lot (for ``edge analyze``'s JSON)."""
        return {lot.cfg.id: {s.id: NAMES[int(v)]
                             for s, v in zip(lot.cfg.spaces, lot.occupancy.state, strict=True)}
                for lot in self.lots}

    def learnt(self) -> dict[str, int]:
        """Per lot, how many spaces have a learnt empty-state reference."""
        return {lot.cfg.id: int(lot.learnt.ready.sum()) if lot.learnt is not None else 0
                for lot in self.lots}
