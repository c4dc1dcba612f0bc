"""What one analysis sees in each space, and the observation it makes of it.

Cues per space (:class:`Cues`):

* ``vehicle``: the best score of a detected vehicle whose *footprint* covers at least
  ``min_cover`` of the space. A vehicle's box from an elevated camera holds its roof and sides
  above the ground it stands on, so its footprint is the lower ``footprint`` share of the box;
* ``texture``: the space's own car-scale texture (:mod:`.appearance`), no reference needed;
* ``similarity``: the correlation of its gradients with its empty-state reference, NaN where it
  has none (:mod:`.reference`);
* ``hidden``: a person (or another non-vehicle) covers most of it and no vehicle does.

The observation is occupied when the space model (:mod:`.classifier`) gives it at least even
odds, free otherwise, and none (nothing usable) when it is hidden: the state machine then keeps
its state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from edge.analytics.parking.classifier import SpaceModel, probability
from edge.analytics.parking.config import LotConfig, ParkingConfig
from edge.analytics.parking.occupancy import FREE, NONE, OCCUPIED
from edge.classes import CLASSES
from edge.types import Detections

_HIDDEN = 0.5  # share of a space a non-vehicle must cover to hide it
_HIDER_SCORE = 0.3  # a person (or other non-vehicle) must be this sure to hide a space


@dataclass(frozen=True)
class SpaceGeometry:
    """A lot's spaces as a vectorised shapely array, built once."""

    ids: tuple[str, ...]
    polygons: np.ndarray  # shapely Polygons (n,)
    areas: np.ndarray

    @classmethod
    def of(cls, lot: LotConfig) -> SpaceGeometry:
        polys = shapely.polygons([s.polygon for s in lot.spaces])
        return cls(tuple(s.id for s in lot.spaces), polys, shapely.area(polys))

    def bounds(self) -> tuple[float, float, float, float]:
        b = shapely.bounds(self.polygons)
        return (float(b[:, 0].min()), float(b[:, 1].min()),
                float(b[:, 2].max()), float(b[:, 3].max()))

    def cover(self, xyxy: np.ndarray) -> np.ndarray:
        """(boxes, spaces): the share of each space that each box covers."""
        if len(xyxy) == 0:
            return np.zeros((0, len(self.ids)))
        boxes = shapely.box(xyxy[:, 0], xyxy[:, 1], xyxy[:, 2], xyxy[:, 3])
        inter = shapely.area(shapely.intersection(boxes[:, None], self.polygons[None, :]))
        return inter / self.areas[None, :]


def footprints(xyxy: np.ndarray, share: float) -> np.ndarray:
    top = xyxy[:, 3] - share * (xyxy[:, 3] - xyxy[:, 1])
    return np.stack([xyxy[:, 0], top, xyxy[:, 2], xyxy[:, 3]], axis=1)


@dataclass(frozen=True, slots=True)
class Cues:
    """One analysis of a lot, per space (all (n,) arrays; see the module doc)."""

    vehicle: np.ndarray
    texture: np.ndarray
    similarity: np.ndarray
    hidden: np.ndarray


@dataclass(frozen=True, slots=True)
class Observation:
    """OCCUPIED / FREE / NONE per space, with the odds behind it: ``p`` from every cue,
    ``p_still`` from the reference-free cues alone (what the learner trusts)."""

    obs: np.ndarray
    p: np.ndarray
    p_still: np.ndarray


class Evidence:
    """Cues and observations for one lot from one frame's detections."""

    def __init__(self, cfg: ParkingConfig, geom: SpaceGeometry) -> None:
        self.cfg, self.geom = cfg, geom
        self._vehicles = np.array([CLASSES.index(c) for c in cfg.classes])

    def vehicle_score(self, det: Detections) -> np.ndarray:
        """Per space, the best score of a vehicle whose footprint covers it enough (0: none)."""
        veh = det[np.isin(det.classes, self._vehicles) & (det.scores >= self.cfg.min_score)]
        cover = self.geom.cover(footprints(veh.xyxy, self.cfg.footprint))
        hit = cover >= self.cfg.min_cover
        return np.where(hit, veh.scores[:, None], 0.0).max(axis=0, initial=0.0)

    def hidden(self, det: Detections, vehicle: np.ndarray) -> np.ndarray:
        """Spaces mostly covered by a person or another non-vehicle, and by no vehicle."""
        others = det[~np.isin(det.classes, self._vehicles) & (det.scores >= _HIDER_SCORE)]
        if not len(others):
            return np.zeros(len(vehicle), bool)
        return (self.geom.cover(others.xyxy).max(axis=0) >= _HIDDEN) & (vehicle == 0)

    @staticmethod
    def observe(cues: Cues, model: SpaceModel) -> Observation:
        p = probability(model.logits(cues.vehicle, cues.texture, cues.similarity))
        p_still = probability(model.logits(cues.vehicle, cues.texture))
        obs = np.where(p >= 0.5, OCCUPIED, FREE).astype(np.int8)
        obs[cues.hidden] = NONE  # a person on a space: can't tell, keep the state
        return Observation(obs, p, p_still)
