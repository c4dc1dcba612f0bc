"""Spaces from existing annotation files, so a site can be set up from what it already has.

* PKLot XML: ``<parking><space id occupied><contour><point x y/>…</contour></space>…</parking>``
  (the ``rotatedRect`` is ignored: the contour is the space);
* the PKLot JSON of ../shared/footage/pklot:
  ``{"image", "camera", "width", "height", "spaces": [{"id", "polygon", "occupied"}]}``.

Both give a :class:`Spaces`: one lot, named after the file unless told otherwise, and the
``occupied`` labels when the file has them (``None``: unlabelled), which benchmarks score against.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from edge.analytics.parking.config import LotConfig
from edge.errors import EdgeError


@dataclass(frozen=True)
class Spaces:
    lot: LotConfig
    labels: dict[str, bool | None] = field(default_factory=dict)
    frame_size: tuple[int, int] | None = None


def lot_id_of(path: Path) -> str:
    """A lot id from a file name: ``pklot_pucpr_2012-09-11.json`` -> ``pklot_pucpr_2012-09-11``
    (other characters become ``_``; at most 64 of them, like any lot id)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_.:-") else "_"
                   for c in path.stem)[:64] or "lot"


def load_spaces(path: str | Path, lot_id: str | None = None) -> Spaces:
    """Import a PKLot XML or JSON annotation file (by extension)."""
    path = Path(path)
    if not path.is_file():
        raise EdgeError(f"spaces file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".xml":
        raw, size = _read_xml(path)
    elif suffix == ".json":
        raw, size = _read_json(path)
    else:
        raise EdgeError(f"{path}: unknown spaces format {suffix or '(none)'!r}: "
                        "give a PKLot .xml or .json file")
    if not raw:
        raise EdgeError(f"{path}: no parking space found")
    labels = {sid: occ for sid, _, occ in raw}
    if len(labels) != len(raw):
        dup = next(s for s, _, _ in raw if [r[0] for r in raw].count(s) > 1)
        raise EdgeError(f"{path}: space id {dup!r} appears twice")
    try:
        lot = LotConfig(id=lot_id or lot_id_of(path),
                        spaces=[{"id": sid, "polygon": poly} for sid, poly, _ in raw])
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        if err["loc"][:1] == ("spaces",) and len(err["loc"]) > 1:
            loc = f"space {raw[int(err['loc'][1])][0]!r}"
        raise EdgeError(f"{path}: {loc}: {err['msg'].removeprefix('Value error, ')}") from None
    return Spaces(lot, labels, size)


def _read_json(path: Path) -> tuple[list[tuple[str, list, bool | None]], tuple[int, int] | None]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EdgeError(f"{path}: not a readable JSON file ({exc})") from None
    spaces = doc.get("spaces") if isinstance(doc, dict) else None
    if not isinstance(spaces, list):
        raise EdgeError(f"{path}: expected an object with a \"spaces\" list")
    out = []
    for i, s in enumerate(spaces):
        if not isinstance(s, dict) or "id" not in s or "polygon" not in s:
            raise EdgeError(f"{path}: spaces[{i}] needs \"id\" and \"polygon\"")
        poly = s["polygon"]
        if not (isinstance(poly, list) and all(isinstance(p, list | tuple) and len(p) == 2
                                               and all(_is_num(c) for c in p) for p in poly)):
            raise EdgeError(f"{path}: spaces[{i}].polygon must be a list of [x, y] numbers")
        occ = s.get("occupied")
        if occ is not None and not isinstance(occ, bool):
            raise EdgeError(f"{path}: spaces[{i}].occupied must be true, false or null")
        out.append((str(s["id"]), [(float(x), float(y)) for x, y in poly], occ))
    w, h = doc.get("width"), doc.get("height")
    return out, (int(w), int(h)) if _is_num(w) and _is_num(h) else None


def _read_xml(path: Path) -> tuple[list[tuple[str, list, bool | None]], None]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise EdgeError(f"{path}: not a readable XML file ({exc})") from None
    out = []
    for i, space in enumerate(root.iter("space")):
        sid = space.get("id")
        points = space.findall("./contour/point") or space.findall(".//point")
        if sid is None or not points:
            raise EdgeError(f"{path}: <space> #{i + 1} needs an id and <contour> points")
        try:
            poly = [(float(p.get("x", "")), float(p.get("y", ""))) for p in points]
        except ValueError:
            poly = []
        if not poly or not all(_is_num(c) for xy in poly for c in xy):
            raise EdgeError(f"{path}: space {sid!r}: a <point> lacks numeric x/y")
        occ = space.get("occupied")
        label = None if occ in (None, "") else occ.strip().lower() in ("1", "true")
        out.append((sid, poly, label))
    return out, None


def _is_num(v: object) -> bool:
    # Python's json reads NaN and Infinity, which no pixel coordinate or frame size can be.
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
