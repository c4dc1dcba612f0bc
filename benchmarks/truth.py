"""Line-crossing ground truth per clip, per class and direction, with each crossing's time.

Two sources: a crossings JSON (``lines`` + ``crossings``, as in ../shared/footage/*/gt.json) is
read as is; a MOT box file (PETS) is turned into crossings with the product's own rule: the
bottom-centre of a person's box changes side of the line between two annotated frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.metrics.ground_truth import load_crossings, load_mot
from edge.assets import ClipSpec, clip_ground_truth


@dataclass(frozen=True)
class Crossing:
    line: str
    frame: int          # 1 = first decoded frame
    cls: str
    direction: str      # "in" | "out"


@dataclass
class Truth:
    crossings: list[Crossing] = field(default_factory=list)
    mot: Path | None = None          # box ground truth, when the clip has one

    def totals(self) -> dict[str, dict[str, dict[str, int]]]:
        out: dict[str, dict[str, dict[str, int]]] = {}
        for c in self.crossings:
            per = out.setdefault(c.line, {"in": {}, "out": {}})[c.direction]
            per[c.cls] = per.get(c.cls, 0) + 1
        return out


def load_truth(spec: ClipSpec) -> Truth:
    """The ground truth of a manifest clip (empty when it has none)."""
    path = clip_ground_truth(spec)
    if path is None:
        return Truth()
    fmt = spec.ground_truth.format if spec.ground_truth else None
    if fmt == "crossings_json":
        return Truth(crossings=crossings_from_json(path))
    if fmt == "mot":
        lines = [(ln.id, ln.p1, ln.p2) for ln in spec.lines]
        return Truth(crossings=crossings_from_mot(load_mot(path), lines), mot=path)
    return Truth()


def crossings_from_json(path: Path) -> list[Crossing]:
    return [Crossing(c.line, c.frame, c.class_, c.direction)
            for c in load_crossings(path).crossings]


def crossings_from_mot(boxes: np.ndarray, lines: list[tuple[str, tuple, tuple]],
                       cls: str = "pedestrian") -> list[Crossing]:
    """Each sign change of s(bottom-centre) between consecutive annotations of one id, where
    the move meets the segment."""
    out: list[Crossing] = []
    order = np.lexsort((boxes[:, 0], boxes[:, 1]))
    b = boxes[order]
    same = b[1:, 1] == b[:-1, 1]
    q = np.stack([b[:, 2] + b[:, 4] / 2, b[:, 3] + b[:, 5]], axis=1)
    for line_id, p1, p2 in lines:
        (x1, y1), (x2, y2) = p1, p2
        s = (x2 - x1) * (q[:, 1] - y1) - (y2 - y1) * (q[:, 0] - x1)
        flip = same & (np.sign(s[1:]) != np.sign(s[:-1])) & (s[1:] != 0)
        a, c = q[:-1], q[1:]
        m, d = c - a, np.array([x2 - x1, y2 - y1])
        with np.errstate(divide="ignore", invalid="ignore"):
            t = ((m[:, 0] * (a[:, 1] - y1) - m[:, 1] * (a[:, 0] - x1))
                 / (m[:, 0] * d[1] - m[:, 1] * d[0]))
        flip &= (t >= 0) & (t <= 1)
        for i in np.flatnonzero(flip):
            out.append(Crossing(line_id, int(b[i + 1, 0]), cls, "in" if s[i + 1] > 0 else "out"))
    return sorted(out, key=lambda c: (c.frame, c.line))
