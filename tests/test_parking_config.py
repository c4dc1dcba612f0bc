"""Parking in the zones and site configs: inline lots and lots imported from a file, checked once
at start-up, every error one ``file:line: field: problem`` line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.analytics.parking.config import ParkingConfig
from edge.config import ZonesConfig, load_site, load_zones
from edge.errors import EdgeError

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def spaces_json(path: Path, *polygons: list, size: tuple[int, int] | None = None) -> Path:
    doc: dict = {"spaces": [{"id": i + 1, "polygon": p} for i, p in enumerate(polygons)]}
    if size:
        doc.update(width=size[0], height=size[1])
    return write(path, json.dumps(doc))


SQ = [[10, 10], [40, 10], [40, 30], [10, 30]]
SQ2 = [[50, 10], [80, 10], [80, 30], [50, 30]]


def error(fn, *args) -> str:  # noqa: ANN001
    with pytest.raises(EdgeError) as err:
        fn(*args)
    message = str(err.value)
    assert "\n" not in message
    return message


# -- zones files ------------------------------------------------------------------------------


def test_inline_lot(tmp_path):
    zones = load_zones(write(tmp_path / "z.yaml", (
        "frame_size: [640, 480]\n"
        "parking:\n"
        "  every_s: 2\n"
        "  lots:\n"
        "    - id: north\n"
        "      spaces:\n"
        f"        - {{id: a, polygon: {SQ}}}\n"
        f"        - {{id: b, polygon: {SQ2}, category: disabled}}\n")))
    assert zones.parking is not None and zones.parking.every_s == 2
    (lot,) = zones.parking.lots
    assert lot.id == "north" and lot.file is None
    assert [(s.id, s.category) for s in lot.spaces] == [("a", "standard"), ("b", "disabled")]


def test_file_lot_is_imported_relative_to_the_zones_file(tmp_path):
    spaces_json(tmp_path / "ann" / "cam1.json", SQ, SQ2, size=(640, 480))
    zones = load_zones(write(tmp_path / "z.yaml", (
        "frame_size: [640, 480]\n"
        "parking:\n"
        "  lots:\n"
        "    - {id: south, file: ann/cam1.json}\n")))
    (lot,) = zones.parking.lots
    assert lot.id == "south"  # the zones file names the lot, not the annotation file
    assert lot.file is None
    assert [s.id for s in lot.spaces] == ["1", "2"]
    assert [s.polygon for s in lot.spaces] == [[tuple(p) for p in SQ], [tuple(p) for p in SQ2]]
    # Still a valid zones config once imported (edge analyze re-validates it with --line).
    assert ZonesConfig.model_validate(zones.model_dump()) == zones


def test_inline_and_file_lots_together(tmp_path):
    spaces_json(tmp_path / "s.json", SQ)
    zones = load_zones(write(tmp_path / "z.yaml", (
        "parking:\n"
        "  lots:\n"
        f"    - {{id: a, spaces: [{{id: x, polygon: {SQ2}}}]}}\n"
        "    - {id: b, file: s.json}\n")))
    assert [(lot.id, len(lot.spaces)) for lot in zones.parking.lots] == [("a", 1), ("b", 1)]


@pytest.mark.parametrize("lot,why", [
    ("{id: a}", "lot 'a': needs spaces (at least one) or a file"),
    (f"{{id: a, file: s.json, spaces: [{{id: x, polygon: {SQ}}}]}}",
     "lot 'a': give spaces or file, not both"),
    ("{id: 'a b', file: s.json}", "String should match pattern"),
])
def test_lot_needs_spaces_or_a_file(tmp_path, lot, why):
    path = write(tmp_path / "z.yaml", f"parking:\n  lots:\n    - {lot}\n")
    message = error(load_zones, path)
    assert message.startswith(f"{path}:3: parking.lots.0"), message
    assert why in message


def test_missing_lot_file_points_at_its_key(tmp_path):
    path = write(tmp_path / "z.yaml", "parking:\n  lots:\n    - id: a\n      file: gone.xml\n")
    message = error(load_zones, path)
    assert message.startswith(f"{path}:4: parking.lots.0.file: "), message
    assert "spaces file not found" in message and str(tmp_path / "gone.xml") in message


def test_bad_lot_file_names_both_files(tmp_path):
    bad = write(tmp_path / "s.json", '{"spaces": [{"id": 1}]}')
    path = write(tmp_path / "z.yaml", "parking:\n  lots:\n    - {id: a, file: s.json}\n")
    message = error(load_zones, path)
    assert message.startswith(f"{path}:3: parking.lots.0.file: {bad}: "), message


def test_duplicate_lot_ids(tmp_path):
    spaces_json(tmp_path / "s.json", SQ)
    path = write(tmp_path / "z.yaml", (
        "parking:\n"
        "  lots:\n"
        f"    - {{id: a, spaces: [{{id: x, polygon: {SQ}}}]}}\n"
        "    - {id: a, file: s.json}\n"))
    message = error(load_zones, path)
    assert f"{path}:" in message and "duplicate lot id 'a'" in message


def test_inline_point_outside_the_declared_frame(tmp_path):
    path = write(tmp_path / "z.yaml", (
        "frame_size: [64, 48]\n"
        "parking:\n"
        "  lots:\n"
        "    - id: p\n"
        "      spaces:\n"
        f"        - {{id: ok, polygon: {SQ}}}\n"
        "        - {id: far, polygon: [[10, 10], [90, 10], [90, 40]]}\n"))
    message = error(load_zones, path)
    assert message.startswith(f"{path}:3: parking: "), message  # where parking's content starts
    assert "parking space p/far point (90, 10) is outside the 64x48 frame" in message


def test_imported_point_outside_the_declared_frame(tmp_path):
    spaces_json(tmp_path / "s.json", SQ, [[10, 10], [70, 10], [70, 40]])
    path = write(tmp_path / "z.yaml", "frame_size: [64, 48]\nparking:\n  lots:\n"
                                      "    - {id: p, file: s.json}\n")
    message = error(load_zones, path)
    assert message.startswith(f"{path}:4: parking.lots.0.file: "), message
    assert "p/2 point (70, 10) is outside the 64x48 frame" in message


def test_annotations_drawn_for_another_frame_size(tmp_path):
    spaces_json(tmp_path / "s.json", SQ, size=(1280, 720))
    path = write(tmp_path / "z.yaml", "frame_size: [640, 480]\nparking:\n  lots:\n"
                                      "    - {id: p, file: s.json}\n")
    message = error(load_zones, path)
    assert message.startswith(f"{path}:4: parking.lots.0.file: "), message
    assert "1280x720" in message and "640x480" in message


def test_outside_checks_parking_points():
    parking = ParkingConfig.model_validate(
        {"lots": [{"id": "p", "spaces": [{"id": "a", "polygon": SQ}]}]})
    zones = ZonesConfig(parking=parking)
    assert zones.outside(40, 30) is None  # on the edge is inside
    assert zones.outside(39, 30) == "parking space p/a point (40, 10) is outside the 39x30 frame"
    assert ZonesConfig().outside(1, 1) is None


def test_example_zones_file_fits_its_frame():
    zones = load_zones(ROOT / "zones" / "pklot-ufpr04.yaml")
    assert zones.parking is not None and zones.frame_size == (1280, 720)
    assert all(lot.spaces for lot in zones.parking.lots)
    assert zones.outside(*zones.frame_size) is None


# -- site configs -----------------------------------------------------------------------------

SITE = """\
site: t
api:
  tokens: ["0123456789abcdef"]
cameras:
  - id: cam1
    source: a.mp4
    zones: {zones1}
  - id: cam2
    source: b.mp4
    zones: {zones2}
"""


def lot_zones(lot: str) -> str:
    return f"{{parking: {{lots: [{{id: {lot}, spaces: [{{id: x, polygon: {SQ}}}]}}]}}}}"


def test_lot_ids_unique_across_the_site_inline(tmp_path):
    path = write(tmp_path / "site.yaml", SITE.format(zones1=lot_zones("p"), zones2=lot_zones("p")))
    message = error(load_site, path)
    assert str(path) in message
    assert "duplicate lot id 'p'" in message and "'cam1'" in message and "'cam2'" in message


def test_lot_ids_unique_across_the_site_zones_files(tmp_path):
    write(tmp_path / "z1.yaml", lot_zones("p"))
    write(tmp_path / "z2.yaml", lot_zones("p"))
    path = write(tmp_path / "site.yaml", SITE.format(zones1="z1.yaml", zones2="z2.yaml"))
    message = error(load_site, path)
    assert message.startswith(f"{path}:10: cameras.1.zones: duplicate lot id 'p'"), message


def test_site_with_distinct_lots_and_an_inline_file_lot(tmp_path):
    spaces_json(tmp_path / "ann" / "s.json", SQ, SQ2)
    write(tmp_path / "z1.yaml", lot_zones("p"))
    path = write(tmp_path / "site.yaml", SITE.format(
        zones1="z1.yaml", zones2="{parking: {lots: [{id: q, file: ann/s.json}]}}"))
    site = load_site(path)
    lots = [[(lot.id, len(lot.spaces)) for lot in cam.zones.parking.lots] for cam in site.cameras]
    assert lots == [[("p", 1)], [("q", 2)]]
