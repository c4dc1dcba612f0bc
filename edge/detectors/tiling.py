"""Detection on overlapping tiles of a region: small, distant objects reach the model larger.

A 40-px car in a 1280x720 frame is 13 px at a 416 input, below what nano models find; on a
208-px tile it is 80 px. The tiles cover the region's bounding box (clipped to the frame) with
the given overlap; boxes come back in frame pixels and duplicates from neighbouring tiles are
merged by class-aware NMS. An object cut by a tile's inner edge is seen whole by the neighbour
(given an overlap larger than the object), and the cut copy loses to it in NMS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from edge.detectors.base import Detector
from edge.detectors.nms import nms
from edge.types import Detections


@dataclass(frozen=True, slots=True)
class TileGrid:
    """Square tiles of side ``size`` px at ``origins`` (k, 2) top-left corners, in frame pixels."""

    origins: np.ndarray
    size: int

    def __len__(self) -> int:
        return len(self.origins)

    @classmethod
    def cover(cls, region: tuple[float, float, float, float], frame: tuple[int, int], size: int,
              overlap: float) -> TileGrid:
        """The fewest tiles with at least ``overlap`` between neighbours that cover ``region``
        (x0, y0, x1, y1), inside a ``frame`` of (width, height). A frame smaller than ``size``
        gets one tile of the frame's size."""
        width, height = frame
        size = int(min(size, width, height))
        x0, y0 = max(0.0, region[0]), max(0.0, region[1])
        x1, y1 = min(float(width), region[2]), min(float(height), region[3])
        if x1 <= x0 or y1 <= y0:
            raise ValueError(f"region {region} is outside the {width}x{height} frame")
        xs = _starts(x0, x1, size, overlap, width)
        ys = _starts(y0, y1, size, overlap, height)
        origins = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
        return cls(origins.astype(np.int64), size)


    def touching(self, shapes: np.ndarray) -> TileGrid:
        """Only the tiles that intersect one of ``shapes`` (shapely geometries): a lot drawn as a
        V or an L leaves tiles of its bounding box with nothing to look at."""
        x, y = self.origins[:, 0], self.origins[:, 1]
        tiles = shapely.box(x, y, x + self.size, y + self.size)
        hit = shapely.intersects(tiles[:, None], np.asarray(shapes)[None, :]).any(axis=1)
        return TileGrid(self.origins[hit], self.size)


def _starts(lo: float, hi: float, size: int, overlap: float, limit: int) -> np.ndarray:
    span = hi - lo
    n = 1 if span <= size else math.ceil((span - size) / (size * (1 - overlap))) + 1
    if n == 1:
        start = np.array([lo + (span - size) / 2])
    else:  # evenly spread, first and last flush with the region
        start = np.linspace(lo, hi - size, n)
    return np.clip(np.round(start), 0, limit - size).astype(np.int64)


class TiledDetector:
    """Runs ``detector`` on each tile of ``grid``; same interface as any :class:`Detector`."""

    def __init__(self, detector: Detector, grid: TileGrid, nms_iou: float = 0.5) -> None:
        self.detector = detector
        self.grid = grid
        self.nms_iou = nms_iou

    def detect(self, image: np.ndarray) -> Detections:
        s = self.grid.size
        tiles = [image[y:y + s, x:x + s] for x, y in self.grid.origins]
        many = getattr(self.detector, "detect_many", None)  # a pool runs tiles side by side
        found = many(tiles) if many else [self.detector.detect(t) for t in tiles]
        parts = []
        for (x, y), det in zip(self.grid.origins, found, strict=True):
            if len(det):
                offset = np.array([x, y, x, y], np.float32)
                parts.append(Detections(det.xyxy + offset, det.scores, det.classes))
        if not parts:
            return Detections.empty()
        merged = Detections(*(np.concatenate(a) for a in zip(
            *((d.xyxy, d.scores, d.classes) for d in parts), strict=True)))
        return merged[nms(merged.xyxy, merged.scores, merged.classes, self.nms_iou)]
