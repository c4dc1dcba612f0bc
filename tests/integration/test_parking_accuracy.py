"""Parking acceptance on the real PKLot frames, with the real detector and the shipped space model
(../shared).

Spaces come from each frame's own annotation file (importer), unlabelled spaces are ignored.
The shipped space model (edge/analytics/parking/space_model.json) was fitted on these four
frames: every figure here is a *tuning* figure; tests/integration/test_parking_loco.py gives
the check figures (a model fitted without the camera it is scored on).

A full-lot frame is analysed twice: as a still with nothing else (what ``edge analyze lot.jpg
--spaces`` does on a site without an empty image), and with its camera's empty-lot snapshot
from another day as the ``reference`` image (what a site may provide at set-up). An empty-lot
frame is analysed without any reference, so that its result cannot come from comparing the
image with itself.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.analytics.parking.analytic import ParkingAnalytic
from edge.analytics.parking.config import ParkingConfig
from edge.analytics.parking.importers import load_spaces
from edge.detectors import OnnxDetectorSettings, build_detector
from edge.types import Frame, Tracks

pytestmark = pytest.mark.integration

FULL = {"pucpr": "pklot_pucpr_2012-09-11_15_16_58", "ufpr04": "pklot_ufpr04_2012-12-20_20_55_16"}
EMPTY = {"pucpr": "pklot_pucpr_2012-10-12_06_27_31", "ufpr04": "pklot_ufpr04_2012-12-28_11_20_07"}


def analyse(assets: Path, detector, name: str, reference: str | None) -> tuple[dict, dict]:  # noqa: ANN001
    folder = assets / "footage" / "pklot"
    spaces = load_spaces(folder / f"{name}.json")
    image = cv2.imread(str(folder / f"{name}.jpg"))
    ref = str(folder / f"{reference}.jpg") if reference else None
    analytic = ParkingAnalytic("cam", ParkingConfig(lots=[spaces.lot], reference=ref), detector,
                               (image.shape[1], image.shape[0]))
    assert (analytic.lots[0].image_ref is not None) == (ref is not None)
    analytic.update(Frame(image, 0, 0.0, 0.0), Tracks.empty())
    # One still: nothing can have been learnt, the figures are those of the image alone.
    assert analytic.learnt() == {spaces.lot.id: 0}
    return analytic.states()[spaces.lot.id], spaces.labels


def accuracy(states: dict, labels: dict) -> float:
    scored = [k for k, v in labels.items() if v is not None]
    # unknown (a space hidden by a person, say) is an error whatever the truth
    return float(np.mean([states[k] == ("occupied" if labels[k] else "free") for k in scored]))


def check_count(states: dict, labels: dict, camera: str, mode: str) -> None:
    true_occupied = sum(1 for v in labels.values() if v)
    counted = sum(1 for k, s in states.items() if s == "occupied" and labels[k] is not None)
    print(f"{camera} {mode} (tuning): accuracy {accuracy(states, labels):.3f}, "
          f"occupied {counted}/{true_occupied}")
    assert abs(counted - true_occupied) <= 0.03 * true_occupied + 1e-9


@pytest.fixture(scope="module")
def yolox(assets: Path):  # noqa: ANN201
    return build_detector(OnnxDetectorSettings(model="yolox_nano", threads=2))


@pytest.mark.parametrize("camera", ["pucpr", "ufpr04"])
def test_full_lot_without_an_empty_image(assets: Path, yolox, camera: str) -> None:  # noqa: ANN001
    states, labels = analyse(assets, yolox, FULL[camera], None)
    # measured (tuning): PUCPR 0.970 (66/67 occupied), UFPR04 1.000 (17/17)
    assert accuracy(states, labels) >= 0.95
    check_count(states, labels, camera, "still, no reference")


@pytest.mark.parametrize("camera", ["pucpr", "ufpr04"])
def test_full_lot_with_an_empty_frame_of_another_day(assets: Path, yolox, camera: str) -> None:  # noqa: ANN001
    states, labels = analyse(assets, yolox, FULL[camera], EMPTY[camera])
    # measured (tuning): PUCPR 0.990 (68/67 occupied), UFPR04 1.000 (17/17)
    assert accuracy(states, labels) >= 0.97
    check_count(states, labels, camera, "still, reference of another day")


@pytest.mark.parametrize("camera", ["pucpr", "ufpr04"])
def test_empty_lot_reports_no_occupied_space(assets: Path, yolox, camera: str) -> None:  # noqa: ANN001
    states, labels = analyse(assets, yolox, EMPTY[camera], None)
    assert [k for k, s in states.items() if s == "occupied"] == []
    assert accuracy(states, labels) == 1.0
