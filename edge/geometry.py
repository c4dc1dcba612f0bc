"""Geometry: frozen values built once from the config, and pure vectorised functions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely.geometry import Polygon
from shapely.validation import explain_validity


@dataclass(frozen=True, slots=True)
class Segment:
    """A counting line from ``p1`` to ``p2`` in image pixels (x right, y down)."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def length(self) -> float:
        return float(np.hypot(self.x2 - self.x1, self.y2 - self.y1))

    def side(self, points: np.ndarray) -> np.ndarray:
        """Signed distance (pixels) of each point (n,2) to the line through the segment.

        Positive where s(q) = (x2-x1)(qy-y1) - (y2-y1)(qx-x1) > 0: going from negative to
        positive is ``in``, from positive to negative ``out``.
        """
        dx, dy = self.x2 - self.x1, self.y2 - self.y1
        s = dx * (points[:, 1] - self.y1) - dy * (points[:, 0] - self.x1)
        return s / max(self.length, 1e-9)

    def crossing_param(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Where each movement a->b (n,2 each) meets the line, as a fraction along p1->p2.

        In [0, 1] when the movement crosses the segment itself; NaN for moves parallel to it.
        """
        d = np.array([self.x2 - self.x1, self.y2 - self.y1])
        p1 = np.array([self.x1, self.y1])
        m = b - a
        denom = m[:, 0] * d[1] - m[:, 1] * d[0]
        rel = a - p1
        with np.errstate(divide="ignore", invalid="ignore"):
            return (m[:, 0] * rel[:, 1] - m[:, 1] * rel[:, 0]) / denom


def polygon_area(points: list[tuple[float, float]]) -> float:
    """Area of a config polygon (px²); ValueError naming the defect when it is not simple."""
    poly = Polygon(points)
    if not poly.is_valid:
        raise ValueError(f"invalid polygon: {explain_validity(poly)}")
    return float(poly.area)
