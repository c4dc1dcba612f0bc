"""What a benchmark run hands to the suites, and the suite interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from benchmarks.truth import Truth
from edge.classes import CLASSES
from edge.types import Detections, Frame, Tracks


class Capture:
    """A pipeline tap keeping each frame's detections and confirmed tracks, in memory only, as
    MOT-style rows ``frame (1-based), id, x, y, w, h, score, class`` for scoring against ground
    truth. Nothing of it is written to the report."""

    def __init__(self) -> None:
        self._dets: list[np.ndarray] = []
        self._tracks: list[np.ndarray] = []

    def __call__(self, frame: Frame, det: Detections, tracks: Tracks) -> None:
        keep = tracks.confirmed & tracks.observed
        self._dets.append(_rows(frame.index + 1, np.full(len(det), -1), det.xyxy, det.scores,
                                det.classes))
        self._tracks.append(_rows(frame.index + 1, tracks.ids[keep], tracks.xyxy[keep],
                                  tracks.scores[keep], tracks.classes[keep]))

    def detections(self, cls: str) -> np.ndarray:
        return _of_class(self._dets, cls)

    def detection_scores(self, cls: str) -> np.ndarray:
        rows = np.concatenate(self._dets) if self._dets else np.zeros((0, 8))
        return rows[rows[:, 7] == CLASSES.index(cls)][:, 6]

    def tracks(self, cls: str) -> np.ndarray:
        return _of_class(self._tracks, cls)


def _rows(frame: int, ids: np.ndarray, xyxy: np.ndarray, scores: np.ndarray,
          classes: np.ndarray) -> np.ndarray:
    wh = xyxy[:, 2:] - xyxy[:, :2]
    return np.column_stack([np.full(len(ids), frame), ids, xyxy[:, :2], wh, scores, classes])


def _of_class(chunks: list[np.ndarray], cls: str) -> np.ndarray:
    rows = np.concatenate(chunks) if chunks else np.zeros((0, 8))
    return rows[rows[:, 7] == CLASSES.index(cls)][:, :6]


@dataclass
class Run:
    """One matrix item's outcome."""

    tool: str                  # "edge" or a peer's name
    model: str
    setting: str
    clip: str
    truth: Truth
    fps_video: float           # the clip's frame rate
    lines: dict[str, dict[str, dict[str, int]]]   # {line: {direction: {class: n}}}
    cost: dict                 # fps, ms per stage, CPU, memory (what the tool could measure)
    intervals: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    interval_s: int = 60
    capture: Capture | None = None
    model_path: Path | None = None
    probe: object | None = None   # benchmarks.physics.Probe: this CPU's measured throughput
    parking: dict | None = None   # benchmarks.parking's figures (run_parking, run_parking_stream)
    dumping: dict | None = None   # benchmarks.dumping.evaluate.run_clip's, for generated clips


class Suite(Protocol):
    name: str

    def applies(self, run: Run) -> bool: ...

    def score(self, run: Run) -> dict: ...
