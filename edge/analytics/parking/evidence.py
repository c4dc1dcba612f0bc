"""What one analysis sees in each space: a vehicle's ground footprint covering it, or not.

A vehicle's box from an elevated camera holds its roof and sides above the ground it stands on,
so its *footprint* is the lower ``footprint`` share of the box. A space is observed occupied when
a vehicle footprint covers at least ``min_cover`` of it, free otherwise, and not observed (none)
when a person or another object hides most of it with no vehicle evidence. With an empty-lot
reference, a space whose ground structure changed is occupied too (see :mod:`.appearance`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from edge.analytics.parking.config import LotConfig, ParkingConfig
from edge.analytics.parking.occupancy import FREE, NONE, OCCUPIED
from edge.classes import CLASSES
from edge.types import Detections

_HIDDEN = 0.5  # share of a space a non-vehicle must cover to hide it


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


class Evidence:
    """Observations for one lot from one frame's detections."""

    def __init__(self, cfg: ParkingConfig, geom: SpaceGeometry) -> None:
        self.cfg, self.geom = cfg, geom
        self._vehicles = np.array([CLASSES.index(c) for c in cfg.classes])

    def vehicle_score(self, det: Detections) -> np.ndarray:
        """Per space, the best score of a vehicle whose footprint covers it enough (0: none)."""
        veh = det[np.isin(det.classes, self._vehicles) & (det.scores >= self.cfg.min_score)]
        cover = self.geom.cover(footprints(veh.xyxy, self.cfg.footprint))
        hit = cover >= self.cfg.min_cover
        return np.where(hit, veh.scores[:, None], 0.0).max(axis=0, initial=0.0)

    def observe(self, det: Detections, similarity: np.ndarray | None = None) -> np.ndarray:
        """OCCUPIED / FREE / NONE per space. ``similarity`` (to the empty reference, see
        :mod:`.appearance`) adds the spaces whose ground has changed though no car was found."""
        score = self.vehicle_score(det)
        changed = similarity < self.cfg.min_similarity if similarity is not None else False
        obs = np.where((score > 0) | changed, OCCUPIED, FREE).astype(np.int8)
        others = det[~np.isin(det.classes, self._vehicles) & (det.scores >= self.cfg.min_score)]
        if len(others):
            hidden = self.geom.cover(others.xyxy).max(axis=0) >= _HIDDEN
            obs[hidden & (score == 0)] = NONE  # a person on a space: can't tell, keep the state
        return obs
