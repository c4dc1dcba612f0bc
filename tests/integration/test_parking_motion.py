"""Hysteresis on real imagery: a real car crop from a PKLot frame, moved over the real lot.

The clip is built from the PUCPR full-lot frame: the car of an occupied space is cut out (its
space's bounding box) and pasted, frame after frame, over a run of free spaces of the same row.
Ground truth is exact by construction: which space the car covers, and for how long. Each case
runs with the empty-lot frame of another day as the reference image, and without any (the
reference-free cues alone, what a site without an empty image gets until a reference is learnt).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.analytics.base import SpaceChange
from edge.analytics.parking.analytic import ParkingAnalytic
from edge.analytics.parking.config import ParkingConfig
from edge.analytics.parking.importers import load_spaces
from edge.detectors import OnnxDetectorSettings, build_detector
from edge.types import Frame, Tracks

pytestmark = pytest.mark.integration

FULL, EMPTY = "pklot_pucpr_2012-09-11_15_16_58", "pklot_pucpr_2012-10-12_06_27_31"
HOLD_S = 10.0


@pytest.fixture(scope="module")
def scene(assets: Path):  # noqa: ANN201
    folder = assets / "footage" / "pklot"
    spaces = load_spaces(folder / f"{FULL}.json")
    image = cv2.imread(str(folder / f"{FULL}.jpg"))
    boxes = {s.id: np.array(s.polygon) for s in spaces.lot.spaces}
    # The top row (y < 240), left to right; its longest run of labelled-free spaces.
    row = sorted((k for k, p in boxes.items() if p[:, 1].mean() < 240),
                 key=lambda k: boxes[k][:, 0].mean())
    runs, cur = [], []
    for k in row:
        cur = cur + [k] if spaces.labels[k] is False else []
        runs.append(list(cur))
    run = max(runs, key=len)
    donor = next(k for k in reversed(row[:row.index(run[0])]) if spaces.labels[k])
    x0, y0 = boxes[donor].min(axis=0).astype(int)
    x1, y1 = boxes[donor].max(axis=0).astype(int)
    car = image[y0:y1, x0:x1].copy()
    detector = build_detector(OnnxDetectorSettings(model="yolox_nano", threads=2))
    return spaces, image, boxes, run, car, detector, str(folder / f"{EMPTY}.jpg")


def paste(image: np.ndarray, car: np.ndarray, centre: np.ndarray) -> np.ndarray:
    out = image.copy()
    h, w = car.shape[:2]
    x, y = int(round(centre[0] - w / 2)), int(round(centre[1] - h / 2))
    out[y:y + h, x:x + w] = car
    return out


@pytest.fixture(params=["reference", "no-reference"])
def reference(request, scene) -> str | None:  # noqa: ANN001
    return scene[-1] if request.param == "reference" else None


def play(scene, path: list[np.ndarray | None], reference: str | None) -> list[SpaceChange]:  # noqa: ANN001
    """One frame per second; ``path[t]`` is where the car is at t (None: not in view)."""
    spaces, image, _, _, car, detector, _ = scene
    cfg = ParkingConfig(lots=[spaces.lot], reference=reference, occupy_s=HOLD_S, vacate_s=HOLD_S)
    analytic = ParkingAnalytic("cam", cfg, detector, (image.shape[1], image.shape[0]))
    changes = []
    for t, where in enumerate(path):
        frame = image if where is None else paste(image, car, where)
        events = analytic.update(Frame(frame, t, float(t), 1e9 + t), Tracks.empty())
        # t == 0 commits the start-up states (unknown -> observed): not flips.
        changes += [e for e in events if isinstance(e, SpaceChange) and e.old != "unknown"]
    return changes


def centres(boxes: dict, ids: list[str]) -> list[np.ndarray]:
    return [boxes[k].mean(axis=0) for k in ids]


def test_a_car_driving_over_free_spaces_flips_none(scene, reference) -> None:  # noqa: ANN001
    _, _, boxes, run, _, _, _ = scene
    assert len(run) >= 3
    stops = centres(boxes, run)
    # 2 s over each free space (< the 10 s hold), moving half a space per second.
    path: list[np.ndarray | None] = [None, None]
    for a, b in zip(stops, stops[1:] + [stops[-1] + (stops[-1] - stops[-2])], strict=True):
        path += [a, (a + b) / 2]
    path += [None] * 3
    assert play(scene, path, reference) == []


def test_a_car_that_stays_flips_exactly_its_space_once(scene, reference) -> None:  # noqa: ANN001
    _, _, boxes, run, _, _, _ = scene
    stops = centres(boxes, run)
    target = run[len(run) // 2]
    path: list[np.ndarray | None] = [None, None, stops[0], (stops[0] + stops[1]) / 2]
    path += [boxes[target].mean(axis=0)] * int(2 * HOLD_S)  # parks for twice the hold
    changes = play(scene, path, reference)
    assert [(c.space, c.old, c.new) for c in changes] == [(target, "free", "occupied")]
    assert changes[0].media_ts == pytest.approx(4.0)  # when the car arrived, not when confirmed
