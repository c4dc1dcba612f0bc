"""Ground-truth files of the sample clips: MOT boxes and line crossings.

**MOT boxes** (``gt.txt``, MOTChallenge layout; also how a tracker's output is written for
:func:`benchmarks.metrics.tracking_metrics`). One box per line, comma- (or space-) separated::

    frame,id,x,y,w,h[,conf[,class[,visibility[,...]]]]
    1,10,499.20,157.69,31.03,75.17,1,1,1

- ``frame``: 1 = the first decoded frame; ``id``: the object's identity, constant over its life;
  ``x, y, w, h``: the box's top-left corner and size in pixels.
- ``conf``: optional; a row with ``conf == 0`` is an ignored annotation (MOTChallenge's
  convention) and is dropped. Any other value (1 in gt, a score or -1 in tracker output) is kept.
  ``class`` and ``visibility`` and further columns are read past, not used.
- Blank lines and lines starting with ``#`` are skipped.

:func:`load_mot` returns an ``(n, 6)`` float64 array: frame, id, x, y, w, h.

**Line crossings** (``gt.json``, ``*.gt.json``): the counting lines of a clip and every crossing
of an object's anchor (the bottom-centre of its box) over them::

    {"lines": [{"id": "L1", "p1": [600, 20], "p2": [600, 230], "note": "..."}],
     "crossings": [{"line": "L1", "frame": 139, "class": "bicycle", "direction": "out",
                    "confidence": "sure", "desc": "...",
                    "anchor_before": [585, 88], "anchor_after": [615, 92]}],
     "totals": {"L1": {"in": {}, "out": {"bicycle": 1}}}}

- ``lines``: segments ``p1 -> p2`` in image pixels. Direction: with
  ``s(q) = (x2-x1)(qy-y1) - (y2-y1)(qx-x1)``, an anchor going from ``s < 0`` to ``s > 0`` crosses
  ``in``, from ``s > 0`` to ``s < 0`` ``out``.
- ``crossings``: ``frame`` 1 = the first decoded frame (about ±3 frames, more for slow walkers);
  ``class`` one of pedestrian, bicycle, motorcycle, car, van, bus, truck (a van may be detected
  as car or truck; a cyclist is one bicycle); ``confidence`` ``sure`` or ``unsure``, optional.
- ``totals`` (optional): per line, per direction, per class, the number of crossings; when
  present it must agree with ``crossings``.
- Other keys (``clip``, ``video``, ``notes``, ``note``, ``desc``, ``anchor_before``, ...) are
  kept as extra fields and not interpreted.

:func:`load_crossings` returns a validated :class:`CrossingTruth`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge.classes import CLASSES
from edge.errors import EdgeError

MOT_COLUMNS = ("frame", "id", "x", "y", "w", "h")
# Annotators may mark a van, which the product counts as car or truck.
TRUTH_CLASSES: tuple[str, ...] = (*CLASSES, "van")
_SEP = re.compile(r"[,\s]+")

Direction = Literal["in", "out"]


def load_mot(path: str | Path) -> np.ndarray:
    """A MOT ``gt.txt`` (or tracker output in the same layout) -> ``(n, 6)`` float64 array of
    frame, id, x, y, w, h, without the rows whose ``conf`` column is 0.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    ...     _ = f.write("1,7,10,20,30,40,1,1,1\\n2,7,12,20,30,40,0,1,1\\n")
    >>> load_mot(f.name).tolist()
    [[1.0, 7.0, 10.0, 20.0, 30.0, 40.0]]
    >>> os.remove(f.name)
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise EdgeError(f"{path}: cannot read the MOT file ({e})") from None
    rows: list[list[float]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        row = _mot_row(line)
        if row is None:
            continue
        if isinstance(row, str):
            raise EdgeError(f"{path}:{number}: {row}: {line.strip()[:80]!r}")
        rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(-1, len(MOT_COLUMNS))


def _mot_row(line: str) -> list[float] | str | None:
    """One parsed row, None for a row to skip, or the reason it is malformed."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    fields = _SEP.split(line)
    if len(fields) < len(MOT_COLUMNS):
        return f"expected at least 6 fields (frame,id,x,y,w,h), got {len(fields)}"
    try:
        values = [float(v) for v in fields[:7]]
    except ValueError:
        return "expected numbers"
    if not all(np.isfinite(values)):
        return "expected finite numbers"
    frame, ident, _, _, w, h = values[:6]
    if frame < 1 or frame != int(frame):
        return f"frame must be an integer >= 1, got {fields[0]}"
    if ident != int(ident):
        return f"id must be an integer, got {fields[1]}"
    if w < 0 or h < 0:
        return "w and h must be >= 0"
    if len(values) > 6 and values[6] == 0:
        return None
    return values[:6]


class _Extra(BaseModel):
    # The shared files carry descriptive keys (note, desc, anchors): keep them, do not interpret.
    model_config = ConfigDict(extra="allow", frozen=True)


class TruthLine(_Extra):
    id: str = Field(min_length=1)
    p1: tuple[float, float]
    p2: tuple[float, float]

    @model_validator(mode="after")
    def _not_a_point(self) -> TruthLine:
        if self.p1 == self.p2:
            raise ValueError(f"line {self.id}: p1 and p2 are the same point")
        return self


class TruthCrossing(_Extra):
    line: str
    frame: int = Field(ge=1, description="1 = first decoded frame")
    class_: Literal[TRUTH_CLASSES] = Field(alias="class")  # type: ignore[valid-type]
    direction: Direction
    confidence: Literal["sure", "unsure"] | None = None


class CrossingTruth(_Extra):
    """A clip's counting lines and the crossings over them (see the module docstring)."""

    lines: tuple[TruthLine, ...] = Field(min_length=1)
    crossings: tuple[TruthCrossing, ...] = ()
    totals: dict[str, dict[Direction, dict[str, int]]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> CrossingTruth:
        ids = [ln.id for ln in self.lines]
        if len(set(ids)) != len(ids):
            raise ValueError(f"lines: duplicate line ids {sorted(ids)}")
        unknown = {c.line for c in self.crossings} | set(self.totals)
        unknown -= set(ids)
        if unknown:
            raise ValueError(f"crossings/totals name unknown lines {sorted(unknown)}")
        if self.totals:
            counted = self.counts()
            given = {(ln, d, c): n for ln, per in self.totals.items() for d, cls in per.items()
                     for c, n in cls.items() if n}
            if counted != given:
                diff = sorted(set(counted.items()) ^ set(given.items()))
                raise ValueError(f"totals disagree with crossings (line, direction, class, n): "
                                 f"{diff[:4]}")
        return self

    def counts(self) -> dict[tuple[str, str, str], int]:
        """Crossings per (line, direction, class), counted from ``crossings``."""
        return dict(Counter((c.line, c.direction, c.class_) for c in self.crossings))


def load_crossings(path: str | Path) -> CrossingTruth:
    """Read and validate a line-crossing ``gt.json``; EdgeError naming the file and field."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise EdgeError(f"{path}: cannot read the crossings file ({e})") from None
    except json.JSONDecodeError as e:
        raise EdgeError(f"{path}:{e.lineno}: not JSON ({e.msg})") from None
    try:
        return CrossingTruth.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "top level"
        raise EdgeError(f"{path}: {where}: {err['msg']}") from None
