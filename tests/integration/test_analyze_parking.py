"""``edge analyze IMAGE --spaces FILE``: a PKLot still through the real CLI and the real detector
(the parking block's shape; the detector's accuracy is scored elsewhere), and bad parking input as
one line on stderr with exit code 2. The error cases need no assets: they fail before a detector
is built."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.integration.cli import analyze
from tests.integration.test_cli_errors import error_line

STILL = "footage/pklot/pklot_ufpr04_2012-12-28_11_20_07"
STATES = {"occupied", "free", "unknown"}


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDGE_DEBUG", raising=False)


def check_lot(lot: dict, spaces: list[str]) -> None:
    assert list(lot["spaces"]) == spaces
    assert set(lot["spaces"].values()) <= STATES
    tally = {s: list(lot["spaces"].values()).count(s) for s in STATES}
    assert {s: lot[s] for s in STATES} == tally


@pytest.mark.integration
def test_still_image_with_pklot_spaces(tmp_path, assets):
    annotation = assets / f"{STILL}.json"
    result = analyze(tmp_path, assets / f"{STILL}.jpg", "--spaces", str(annotation))
    ids = [str(s["id"]) for s in json.loads(annotation.read_text())["spaces"]]
    assert len(ids) == 28
    assert list(result["parking"]) == ["pklot_ufpr04_2012-12-28_11_20_07"]
    lot = result["parking"]["pklot_ufpr04_2012-12-28_11_20_07"]
    check_lot(lot, ids)
    # The lot is empty on that day and no empty image is given: the reference-free cues alone
    # must read it free (accuracy is scored in test_parking_accuracy / test_parking_loco), and
    # three seconds of a still teach no empty-state reference (3 looks 30 s apart are needed).
    assert lot["occupied"] == 0 and lot["learnt"] == 0
    assert result["frames"] == 3  # 3 s (the default) at one analysis a second
    assert result["lines"] == {}


@pytest.mark.integration
def test_spaces_add_to_the_zones_lots_and_lines(tmp_path, assets):
    result = analyze(tmp_path, assets / f"{STILL}.jpg", "--zones", "zones/pklot-ufpr04.yaml",
                     "--spaces", str(assets / f"{STILL}.json"), "--line", "l:0,700,1280,700",
                     "--still-seconds", "1")
    assert list(result["parking"]) == ["ufpr04-west", "pklot_ufpr04_2012-12-28_11_20_07"]
    check_lot(result["parking"]["ufpr04-west"], ["w1", "w2", "w3", "w4"])
    assert len(result["parking"]["pklot_ufpr04_2012-12-28_11_20_07"]["spaces"]) == 28
    assert list(result["lines"]) == ["l"] and result["frames"] == 1


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("still") / "lot.png"
    assert cv2.imwrite(str(path), np.full((48, 64, 3), 90, np.uint8))
    return path


def spaces_xml(path: Path, *polygons: list[tuple[int, int]]) -> Path:
    body = "".join(
        f'<space id="{i + 1}"><contour>' +
        "".join(f'<point x="{x}" y="{y}"/>' for x, y in poly) + "</contour></space>"
        for i, poly in enumerate(polygons))
    path.write_text(f"<parking>{body}</parking>")
    return path


def test_missing_spaces_file(tmp_path, image):
    line = error_line("analyze", str(image), "--spaces", str(tmp_path / "nope.json"))
    assert "spaces file not found" in line and str(tmp_path / "nope.json") in line


def test_corrupt_image(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00garbage" * 64)
    xml = spaces_xml(tmp_path / "s.xml", [(1, 1), (9, 1), (9, 9), (1, 9)])
    line = error_line("analyze", str(bad), "--spaces", str(xml))
    assert str(bad) in line and "cannot decode image file" in line


def test_space_outside_the_image(tmp_path, image):
    xml = spaces_xml(tmp_path / "s.xml", [(1, 1), (9, 1), (9, 9), (1, 9)],
                     [(50, 30), (70, 30), (70, 45), (50, 45)])
    line = error_line("analyze", str(image), "--spaces", str(xml))
    assert "s/2 point (70, 30) is outside the 64x48 frame" in line and str(image) in line


def test_parking_with_the_motion_detector(tmp_path, image):
    xml = spaces_xml(tmp_path / "s.xml", [(1, 1), (9, 1), (9, 9), (1, 9)])
    line = error_line("analyze", str(image), "--spaces", str(xml), "--model", "motion")
    assert "parking needs an ONNX detector" in line


def test_bad_still_seconds(tmp_path, image):
    line = error_line("analyze", str(image), "--still-seconds", "-1", "--line", "a:0,0,10,10")
    assert "--still-seconds" in line and "-1" in line
