"""The product's counting conventions, and how each peer's own in/out and class names map onto them.

Importable without any peer library (the product venv uses it to read peer results and tests it).

Direction: for a line p1=(x1,y1)->p2=(x2,y2), ``s(q) = (x2-x1)(qy-y1) - (y2-y1)(qx-x1)``; an
anchor going from s<0 to s>0 crosses ``in``, from s>0 to s<0 ``out``.

* supervision ``LineZone`` counts ``in`` when the anchor ends on the side where its cross product
  (the same s) is negative: its ``in`` is our ``out`` for every line.
* Ultralytics ``ObjectCounter`` ignores the line's orientation: for a line more vertical than
  horizontal its ``IN`` is "moved right" (+x), else "moved down" (+y). Which of ours that is depends
  on the sign of dy resp. dx of p1->p2.

>>> ultralytics_in_is_ours((430, 0), (430, 576))   # vertical, drawn downwards: +x is `out`
False
>>> ultralytics_in_is_ours((0, 216), (768, 216))   # horizontal, drawn rightwards: +y is `in`
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from edge.classes import CLASSES, COCO_NAMES, COCO_TO_CLASS
from edge.errors import EdgeError

Point = tuple[float, float]
Counts = dict[str, dict[str, dict[str, int]]]  # {line: {"in"|"out": {class: n}}}
DIRECTIONS = ("in", "out")

_NUM = r"\s*(-?\d+(?:\.\d+)?)\s*"
_LINE = re.compile(rf"^([A-Za-z0-9_.:-]+):{_NUM},{_NUM},{_NUM},{_NUM}$")


@dataclass(frozen=True)
class Line:
    id: str
    p1: Point
    p2: Point


def parse_line(text: str) -> Line:
    """``ID:x1,y1,x2,y2`` (the ``edge analyze --line`` syntax) -> a line; EdgeError otherwise."""
    m = _LINE.match(text)
    if not m:
        raise EdgeError(f"malformed --line {text!r}: expected ID:x1,y1,x2,y2 "
                        "(e.g. lamp:430,0,430,576)")
    x1, y1, x2, y2 = (float(g) for g in m.groups()[1:])
    if (x1, y1) == (x2, y2):
        raise EdgeError(f"malformed --line {text!r}: p1 and p2 are the same point")
    return Line(m.group(1), (x1, y1), (x2, y2))


def side(p1: Point, p2: Point, q: np.ndarray) -> np.ndarray:
    """The product's signed side ``s`` of points ``q`` (n, 2) for the line p1->p2."""
    q = np.asarray(q, dtype=np.float64).reshape(-1, 2)
    return (p2[0] - p1[0]) * (q[:, 1] - p1[1]) - (p2[1] - p1[1]) * (q[:, 0] - p1[0])


def direction(p1: Point, p2: Point, start: Point, end: Point) -> str | None:
    """Our direction of a move start->end that changes side (None when it does not)."""
    s0, s1 = side(p1, p2, np.array([start, end]))
    if s0 < 0 < s1:
        return "in"
    if s0 > 0 > s1:
        return "out"
    return None


def supervision_to_ours(sv_direction: str) -> str:
    """supervision ``LineZone``'s "in"/"out" -> ours: its in is the move to s<0, our ``out``."""
    return {"in": "out", "out": "in"}[sv_direction]


def ultralytics_in_is_ours(p1: Point, p2: Point) -> bool:
    """True when Ultralytics' ``IN`` on the line p1->p2 is our ``in``.

    Its test (ultralytics/solutions/object_counter.py, 8.4): ``|x1-x2| < |y1-y2|`` -> a vertical
    line, IN = moved right (+x, our ds = -(y2-y1) dx); else IN = moved down (+y, ds = (x2-x1) dy).
    """
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    return dy < 0 if abs(dx) < abs(dy) else dx > 0


def ultralytics_to_ours(p1: Point, p2: Point, ul_direction: str) -> str:
    """Ultralytics' "IN"/"OUT" on line p1->p2 -> our "in"/"out"."""
    ours_in = ultralytics_in_is_ours(p1, p2)
    is_in = ul_direction.upper() == "IN"
    return "in" if is_in == ours_in else "out"


def product_class(coco: int | str) -> str | None:
    """A COCO class id or name -> the product class name (person -> pedestrian), None if unused."""
    if isinstance(coco, str):
        if coco not in COCO_NAMES:
            return None
        coco = COCO_NAMES.index(coco)
    if not 0 <= int(coco) < len(COCO_TO_CLASS):
        return None
    idx = int(COCO_TO_CLASS[int(coco)])
    return CLASSES[idx] if idx >= 0 else None


PRODUCT_COCO_IDS: tuple[int, ...] = tuple(int(i) for i in np.flatnonzero(COCO_TO_CLASS >= 0))


def empty_counts(line_ids: Sequence[str]) -> Counts:
    """``{line: {"in": {class: 0...}, "out": {...}}}`` with every product class, as the product's
    store reports them."""
    return {ln: {d: dict.fromkeys(CLASSES, 0) for d in DIRECTIONS} for ln in line_ids}


def add_counts(counts: Counts, line_id: str, ours: str, per_class: Mapping[str, int]) -> None:
    """Add peer counts already in our direction and class names; other classes are dropped."""
    for cls, n in per_class.items():
        if cls in counts[line_id][ours]:
            counts[line_id][ours][cls] += int(n)


def total(counts: Counts, line_id: str, ours: str) -> int:
    return sum(counts[line_id][ours].values())
