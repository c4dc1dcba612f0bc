"""Builders for synthetic detections and frames (unit tests only; never an acceptance proof)."""

from __future__ import annotations

import threading
import time

import numpy as np

from edge.classes import CLASS_INDEX
from edge.detectors.onnx_model import DetectClock
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


class Stamp:
    """Returns one box whose score is the image's first pixel / 255 (so results name their
    frame); sleeps longer on even pixels so that later frames can finish first."""

    def __init__(self, barrier: threading.Barrier | None = None, fail_on: int = -1) -> None:
        self.clock = DetectClock()
        self.barrier, self.fail_on = barrier, fail_on
        self.threads: set[str] = set()

    def replica(self) -> Stamp:
        twin = Stamp(self.barrier, self.fail_on)
        twin.threads = self.threads  # shared record of where detection ran
        return twin

    def detect(self, image: np.ndarray) -> Detections:
        self.threads.add(threading.current_thread().name)
        value = int(image[0, 0, 0])
        if self.barrier is not None:
            self.barrier.wait(timeout=5)  # only passes when every replica runs at once
        time.sleep(0.02 if value % 2 == 0 else 0.0)
        if value == self.fail_on:
            raise RuntimeError(f"model hiccup on {value}")
        self.clock.inference += 0.001
        self.clock.frames += 1
        return dets((0, 0, 10, 10, value / 255, "car"))
