"""The runner wires parking in: after line counting, on the camera's own detector, for a still
image, a file or a live camera (started on its first frame). A stand-in detector sees a car over
one space; the real detector on real images is tests/integration/test_analyze_parking.py."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.analytics.lines import LineCounter
from edge.analytics.parking.analytic import ParkingAnalytic
from edge.config import CameraConfig, ZonesConfig
from edge.detectors.motion import MotionDetectorSettings
from edge.errors import EdgeError
from edge.runner import CameraRunner
from edge.store import Store
from edge.types import CameraStatus, Detections, Frame
from tests.helpers import dets

ZONES = {
    "lines": [{"id": "l", "p1": [0, 40], "p2": [64, 40]}],
    "parking": {
        "tiling": {"tile_px": None},  # the whole frame, once: the stand-in sees frame pixels
        "lots": [{"id": "p", "spaces": [
            {"id": "a", "polygon": [[10, 10], [30, 10], [30, 30], [10, 30]]},
            {"id": "b", "polygon": [[40, 10], [60, 10], [60, 30], [40, 30]],
             "category": "disabled"}]}],
    },
}


class CarOverA:
    """A detector that sees one parked car, over space ``a``."""

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, image: np.ndarray) -> Detections:
        self.calls += 1
        return dets((8, 2, 32, 31, 0.9, "car"))


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "lot.png"
    img = np.full((48, 64, 3), 90, np.uint8)
    img[11:30, 12:29] = 35         # the car the stand-in sees on space a: dark body,
    img[14:19, 14:27] = 200        # windscreen and rear window (the space model wants to see
    img[23:27, 14:27] = 170        # a car-like structure too, not only a detector's box)
    assert cv2.imwrite(str(path), img)
    return path


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "s.db") as s:
        yield s


def camera(source: str, zones: dict = ZONES, **kw) -> CameraConfig:
    return CameraConfig(id="cam", source=source, zones=ZonesConfig.model_validate(zones), **kw)


def test_still_image_with_parking(png, store):
    detector = CarOverA()
    runner = CameraRunner(camera(str(png)), store, resume=False, detector=detector,
                          still_seconds=3)
    assert [type(a) for a in runner.pipeline.analytics] == [LineCounter, ParkingAnalytic]
    assert runner.parking is runner.pipeline.analytics[1]
    runner.run()
    assert runner.frames == 3 and runner.errors == 0  # 3 s at every_s = 1
    assert runner.parking.states() == {"p": {"a": "occupied", "b": "free"}}
    assert detector.calls == 3 + 3  # each frame's own detection, then parking's
    # Through the recorder into the store, as the API will read it.
    now = runner.recorder.epoch_base + 3
    assert [(s.space, s.category, s.state) for s in store.spaces("cam", "p", now=now)] == [
        ("a", "standard", "occupied"), ("b", "disabled", "free")]


def test_lots_are_registered_with_the_store(png, store):
    calls = []
    store.register_lots = lambda *a, **kw: calls.append((a, kw))
    CameraRunner(camera(str(png)), store, resume=False, detector=CarOverA())
    ((args, kw),) = calls
    assert args == ("cam", {"p": [("a", "standard"), ("b", "disabled")]})
    assert kw["unknown_after_s"] == 60.0
    assert kw["stay_bands"] == ["<15min", "15-60min", "60-180min", "180-480min", ">=480min"]
    assert kw["reference"] == "learnt"  # no empty-lot image: each space learns its own


def test_a_lot_with_a_reference_image_is_registered_so(png, store):
    zones = {**ZONES, "parking": {**ZONES["parking"], "reference": str(png)}}
    CameraRunner(camera(str(png), zones), store, resume=False, detector=CarOverA())
    (lot,) = store.lots(now=0.0)
    assert (lot.lot, lot.reference, lot.learnt) == ("p", "image", None)


def test_the_learnt_count_reaches_the_store(png, store):
    runner = CameraRunner(camera(str(png)), store, resume=False, detector=CarOverA(),
                          still_seconds=2)
    runner.run()
    (lot,) = store.lots(now=0.0)
    assert lot.learnt == runner.parking.learnt()["p"] and lot.reference == "learnt"


def test_no_parking_no_parking_analytic(png, store):
    runner = CameraRunner(camera(str(png), {"lines": ZONES["lines"]}), store, resume=False,
                          detector=CarOverA(), still_seconds=2)
    runner.run()
    assert runner.parking is None and runner.frames == 2
    assert [type(a) for a in runner.pipeline.analytics] == [LineCounter]


def test_parking_refuses_the_motion_detector(png, store):
    with pytest.raises(EdgeError, match="parking needs an ONNX detector"):
        CameraRunner(camera(str(png), detector=MotionDetectorSettings()), store)


def test_space_outside_the_image(png, store):
    zones = {"parking": {"lots": [{"id": "p", "spaces": [
        {"id": "far", "polygon": [[10, 10], [90, 10], [90, 30]]}]}]}}
    with pytest.raises(EdgeError) as err:
        CameraRunner(camera(str(png), zones), store, detector=CarOverA())
    assert "p/far point (90, 10) is outside the 64x48 frame" in str(err.value)
    assert str(png) in str(err.value)


class LiveFrames:
    """Stands in for a live source: hands out ``n`` frames of ``size``, one second apart."""

    def __init__(self, n: int, image: np.ndarray) -> None:
        self.frames = [Frame(image.copy(), i, float(i), 1e9 + i) for i in range(n)]
        self.source_fps = None

    def start(self) -> None: ...
    def stop(self) -> None: ...

    def read(self, timeout: float) -> Frame | None:
        return self.frames.pop(0) if self.frames else None

    @property
    def finished(self) -> bool:
        return not self.frames

    def status(self) -> CameraStatus:
        return CameraStatus("cam", "running", 1.0, None, 0, 0)


def test_live_camera_starts_parking_on_its_first_frame(png, store):
    runner = CameraRunner(camera("usb:0"), store, detector=CarOverA())
    assert runner.parking is None  # the frame size is not known yet
    runner.source = LiveFrames(2, cv2.imread(str(png)))
    runner.run()
    assert runner.parking is not None and runner.parking.tiles == 1
    assert runner.parking.states() == {"p": {"a": "occupied", "b": "free"}}
    assert runner.status().error is None


def test_live_frame_smaller_than_the_spaces(store):
    runner = CameraRunner(camera("usb:0"), store, detector=CarOverA())
    runner.source = LiveFrames(2, np.zeros((40, 50, 3), np.uint8))
    runner.run()
    assert runner.parking is None and runner.frames == 2  # lines still counted
    assert "parking disabled" in runner.status().error
    assert "p/b point (60, 10) is outside the 50x40 frame" in runner.status().error
