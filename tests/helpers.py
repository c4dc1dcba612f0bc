"""Builders for synthetic detections and frames (unit tests only; never an acceptance proof)."""

from __future__ import annotations

import numpy as np

from edge.classes import CLASS_INDEX
from edge.types import Detections, Frame

BLANK = np.zeros((4, 4, 3), np.uint8)


def dets(*boxes: tuple[float, float, float, float, float, str]) -> Detections:
    """Detections from (x1, y1, x2, y2, score, class name) tuples."""
    if not boxes:
        return Detections.empty()
    arr = np.array([b[:5] for b in boxes], np.float32)
    cls = np.array([CLASS_INDEX[b[5]] for b in boxes], np.int16)
    return Detections(arr[:, :4], arr[:, 4], cls)


def person_at(x: float, y: float, score: float = 0.9, cls: str = "pedestrian",
              w: float = 20, h: float = 60) -> tuple:
    """A box whose bottom-centre anchor is at (x, y)."""
    return (x - w / 2, y - h, x + w / 2, y, score, cls)


def frame(i: int, fps: float = 10.0) -> Frame:
    return Frame(BLANK, i, i / fps, 1_700_000_000 + i / fps)
