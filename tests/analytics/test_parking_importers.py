"""Importing parking spaces from PKLot annotation files: XML (written here, in PKLot's own layout)
and the JSON of ../shared/footage/pklot; every bad file is one EdgeError line naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.analytics.parking.importers import load_spaces, lot_id_of
from edge.errors import EdgeError

UFPR04 = "footage/pklot/pklot_ufpr04_2012-12-28_11_20_07.json"


def space_xml(sid: str, points: list[tuple[float, float]], occupied: str | None = None) -> str:
    occ = "" if occupied is None else f' occupied="{occupied}"'
    pts = "".join(f'<point x="{x:g}" y="{y:g}"/>' for x, y in points)
    # PKLot also gives a rotatedRect, whose <center> must not be read as a contour point.
    return (f'<space id="{sid}"{occ}><rotatedRect><center x="1" y="1"/><size w="5" h="5"/>'
            f'<angle d="-70"/></rotatedRect><contour>{pts}</contour></space>')


def pklot_xml(tmp_path: Path, *spaces: str, name: str = "2012-12-28_11_20_07.xml") -> Path:
    path = tmp_path / name
    path.write_text('<?xml version="1.0"?>\n<parking id="ufpr04">' + "".join(spaces) +
                    "</parking>\n")
    return path


SQ1 = [(10, 10), (40, 10), (40, 30), (10, 30)]
SQ2 = [(50, 12), (80, 10), (82, 31), (51, 33)]
SQ3 = [(100, 10), (130, 10), (130, 30), (100, 30)]


def test_pklot_xml(tmp_path):
    path = pklot_xml(tmp_path, space_xml("1", SQ1, "0"), space_xml("2", SQ2, "1"),
                     space_xml("3", SQ3))
    spaces = load_spaces(path)
    assert spaces.lot.id == "2012-12-28_11_20_07"
    assert [s.id for s in spaces.lot.spaces] == ["1", "2", "3"]
    assert [s.polygon for s in spaces.lot.spaces] == [SQ1, SQ2, SQ3]
    assert spaces.labels == {"1": False, "2": True, "3": None}
    assert spaces.frame_size is None
    assert spaces.lot.file is None


def test_lot_id_given_or_from_the_file_name(tmp_path):
    path = pklot_xml(tmp_path, space_xml("a", SQ1), name="my lot (é).xml")
    assert load_spaces(path, lot_id="north").lot.id == "north"
    assert load_spaces(path).lot.id == "my_lot____"
    assert lot_id_of(Path("x" * 100 + ".json")) == "x" * 64  # a lot id has at most 64


@pytest.mark.integration
def test_pklot_json_of_the_shared_footage(assets):
    path = assets / UFPR04
    raw = json.loads(path.read_text())
    spaces = load_spaces(path)
    assert spaces.lot.id == "pklot_ufpr04_2012-12-28_11_20_07"
    assert spaces.frame_size == (raw["width"], raw["height"]) == (1280, 720)
    assert [s.id for s in spaces.lot.spaces] == [str(s["id"]) for s in raw["spaces"]]
    assert len(spaces.lot.spaces) == 28
    assert [s.polygon for s in spaces.lot.spaces] == [
        [tuple(p) for p in s["polygon"]] for s in raw["spaces"]]
    assert spaces.labels == {str(s["id"]): s["occupied"] for s in raw["spaces"]}


def _json(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "spaces.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def _one(polygon: object, **extra: object) -> dict:
    return {"spaces": [{"id": "a", "polygon": polygon, **extra}]}


BOWTIE = [(0, 0), (20, 20), (20, 0), (0, 20)]
BAD = [
    ("missing", lambda p: p / "nope.xml", "spaces file not found"),
    ("suffix", lambda p: _write(p / "spaces.txt", "1,2,3"), "unknown spaces format '.txt'"),
    ("xml syntax", lambda p: _write(p / "s.xml", "<parking><space"), "not a readable XML"),
    ("xml empty", lambda p: pklot_xml(p), "no parking space found"),
    ("xml no id", lambda p: pklot_xml(p, "<space><contour><point x='1' y='2'/></contour>"
                                         "</space>"), "needs an id"),
    ("xml letters", lambda p: pklot_xml(p, "<space id='1'><contour><point x='a' y='2'/>"
                                           "</contour></space>"), "numeric x/y"),
    ("xml nan", lambda p: pklot_xml(p, space_xml("1", [(float("nan"), 1), (5, 5), (1, 9)])),
     "numeric x/y"),
    ("xml twice", lambda p: pklot_xml(p, space_xml("1", SQ1), space_xml("1", SQ2)),
     "space id '1' appears twice"),
    ("xml bowtie", lambda p: pklot_xml(p, space_xml("7", BOWTIE)), "space '7': invalid polygon"),
    ("json syntax", lambda p: _json(p, '{"spaces": ['), "not a readable JSON"),
    ("json binary", lambda p: _write_bytes(p / "s.json", b"\xff\xfe\x00\x81" * 8),
     "not a readable JSON"),
    ("json list", lambda p: _json(p, [1, 2]), 'expected an object with a "spaces" list'),
    ("json no polygon", lambda p: _json(p, {"spaces": [{"id": 1}]}), 'needs "id" and "polygon"'),
    ("json nan", lambda p: _json(p, '{"spaces": [{"id": 1, "polygon": [[NaN, 1], [2, 2], '
                                    '[3, 1]]}]}'), "list of [x, y] numbers"),
    ("json occupied", lambda p: _json(p, _one(SQ1, occupied="yes")), "occupied must be"),
    ("json two points", lambda p: _json(p, _one([[0, 0], [5, 5]])),
     "space 'a': List should have at least 3 items"),
]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make,why", [(m, w) for _, m, w in BAD], ids=[n for n, _, _ in BAD])
def test_bad_file_is_one_line_naming_it(tmp_path, make, why):
    path = make(tmp_path)
    with pytest.raises(EdgeError) as err:
        load_spaces(path)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message and why in message, message
    assert "Value error" not in message
