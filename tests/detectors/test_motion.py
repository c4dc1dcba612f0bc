"""The motion detector: synthetic scenes with exact answers, then the real Intel car clip."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from edge.classes import CAR, CLASS_INDEX
from edge.detectors.motion import MotionDetector, MotionDetectorSettings
from edge.types import Detections

H, W = 480, 640  # shrunk x2 to 320 x 240 for processing: the resize path real cameras take
WARMUP = 5


def _scene(seed: int = 0) -> np.ndarray:
    """A textured static background: smooth blotches plus painted stripes, slightly blurred
    like any lens would."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(70, 150, (12, 16, 3)).astype(np.float32)
    image = cv2.resize(coarse, (W, H), interpolation=cv2.INTER_CUBIC)
    for x in range(40, W, 160):
        cv2.line(image, (x, 0), (x + 60, H), (210, 210, 210), 10)
    return cv2.GaussianBlur(image, (0, 0), 1.5)


class Clip:
    """Renders noisy frames of the scene with solid rectangles pasted on."""

    def __init__(self, seed: int = 0) -> None:
        self.background = _scene(seed)
        self.rng = np.random.default_rng(seed + 1)

    def frame(self, boxes: list[tuple[int, int, int, int]] = (), gain: float = 1.0,
              offset: float = 0.0, shift: int = 0) -> np.ndarray:
        image = np.roll(self.background, shift, axis=1) * gain + offset
        for x1, y1, x2, y2 in boxes:
            image[y1:y2, x1:x2] = (40.0, 40.0, 200.0)  # a red car
        image += self.rng.normal(0.0, 3.0, image.shape)
        return np.clip(image, 0, 255).astype(np.uint8)


def _detector(**kwargs) -> MotionDetector:
    return MotionDetector(MotionDetectorSettings(warmup_frames=WARMUP, **kwargs))


def _warm(det: MotionDetector, clip: Clip) -> None:
    for _ in range(WARMUP):
        assert len(det.detect(clip.frame())) == 0  # nothing is reported while warming up
    for _ in range(5):
        assert len(det.detect(clip.frame())) == 0


def _moving(x: int, y: int, w: int, h: int, step: int) -> tuple[int, int, int, int]:
    return (x + step, y, x + step + w, y + h)


def test_moving_rectangle_gives_one_box_of_its_size():
    clip, det = Clip(), _detector()
    _warm(det, clip)
    for i in range(12):
        box = _moving(60, 150, 100, 160, 24 * i)
        dets = det.detect(clip.frame([box]))
        assert len(dets) == 1, (i, dets.xyxy)
        np.testing.assert_allclose(dets.xyxy[0], box, atol=4)
        assert dets.classes[0] == CAR
        assert 0.9 <= dets.scores[0] <= 1.0  # a solid rectangle fills its box


def test_two_objects_apart_give_two_boxes():
    clip, det = Clip(), _detector()
    _warm(det, clip)
    for i in range(5):
        a, b = _moving(40, 40, 90, 130, 20 * i), _moving(400, 280, 120, 90, -20 * i)
        dets = det.detect(clip.frame([a, b]))
        assert len(dets) == 2
        order = np.argsort(dets.xyxy[:, 0])
        np.testing.assert_allclose(dets.xyxy[order], [a, b], atol=4)


@pytest.mark.parametrize("gain,offset", [(1.6, 30.0), (0.5, -10.0)])
def test_global_exposure_jump_gives_no_box(gain, offset):
    clip, det = Clip(), _detector()
    _warm(det, clip)
    for _ in range(10):  # the jump, then the new exposure held
        assert len(det.detect(clip.frame(gain=gain, offset=offset))) == 0
    box = (200, 100, 320, 260)  # and a car still shows up at the new exposure
    dets = det.detect(clip.frame([box], gain=gain, offset=offset))
    assert len(dets) == 1
    np.testing.assert_allclose(dets.xyxy[0], box, atol=4)


def test_large_object_appearing_during_an_exposure_jump():
    """The exposure fit must not be dragged by a big new object (a bus close to the camera)."""
    clip, det = Clip(), _detector()
    _warm(det, clip)
    bus = (150, 120, 450, 380)  # a quarter of the frame
    dets = det.detect(clip.frame([bus], gain=1.3, offset=10.0))
    assert len(dets) == 1
    np.testing.assert_allclose(dets.xyxy[0], bus, atol=4)


def test_exposure_jump_without_compensation_would_fire():
    """Guards the test above: the same jump is far above the threshold if left uncompensated."""
    clip = Clip()
    diff = np.abs(clip.frame(gain=1.6, offset=30.0).astype(float) - clip.frame())
    assert np.median(diff) > 3 * MotionDetectorSettings().min_threshold


def test_camera_shake_of_one_processing_pixel_gives_no_box():
    clip = Clip()
    steady, tolerant = _detector(jitter_px=0), _detector()
    _warm(steady, clip)
    _warm(tolerant, clip)
    shaken = clip.frame(shift=2)  # 2 px at full size = 1 px at the processing size
    assert len(tolerant.detect(shaken)) == 0
    assert len(steady.detect(shaken)) > 0  # the stripes' edges light up without the tolerance


def test_blob_below_min_area_is_dropped():
    clip = Clip()
    default, permissive = _detector(), _detector(classes={"car": {"min_area": 500}})
    _warm(default, clip)
    _warm(permissive, clip)
    for i in range(4):
        frame = clip.frame([_moving(100, 100, 30, 30, 30 * i)])  # 900 px²
        assert len(default.detect(frame)) == 0
        assert len(permissive.detect(frame)) == 1


def test_class_by_size_bounds():
    classes = {"pedestrian": {"min_area": 1000, "max_area": 5000, "max_aspect": 4},
               "car": {"min_area": 8000},
               "bus": {"min_area": 40000}}
    clip, det = Clip(), _detector(classes=classes)
    _warm(det, clip)
    # 40x70 -> pedestrian; 120x140 -> car (bus has no max_area but the larger min_area wins);
    # 290x170 -> bus; 12x200 is too thin for a pedestrian (aspect 16.7), too small for a car
    small, car, bus, pole = (40, 40, 80, 110), (220, 40, 340, 180), (40, 250, 330, 420), \
        (500, 100, 512, 300)
    for _ in range(2):  # all four appear at once: a fifth of the frame changes in one step
        dets = det.detect(clip.frame([small, car, bus, pole]))
        centre_x = (dets.xyxy[:, 0] + dets.xyxy[:, 2]).round().astype(int) // 2
        by_x = dict(zip(centre_x.tolist(), dets.classes.tolist(), strict=True))
        assert by_x == {60: CLASS_INDEX["pedestrian"], 280: CAR, 185: CLASS_INDEX["bus"]}, by_x


def test_brief_stop_is_not_absorbed():
    clip, det = Clip(), _detector()
    _warm(det, clip)
    parked = (260, 160, 380, 320)
    for _ in range(int(3 * 12.5)):  # three seconds standing still
        assert len(det.detect(clip.frame([parked]))) == 1


def test_stopped_object_is_absorbed_after_absorb_s():
    clip, det = Clip(), MotionDetector(MotionDetectorSettings(warmup_frames=WARMUP, absorb_s=1.0),
                                       fps=10.0)
    _warm(det, clip)
    parked = (260, 160, 380, 320)
    counts = [len(det.detect(clip.frame([parked]))) for _ in range(60)]
    assert counts[0] == 1 and counts[-1] == 0


def test_instances_do_not_share_state():
    clip = Clip()
    a, b = _detector(), _detector()
    _warm(a, clip)
    box = (200, 100, 320, 260)
    assert len(a.detect(clip.frame([box]))) == 1
    assert len(b.detect(clip.frame([box]))) == 0  # b is still warming up


def test_new_frame_size_restarts_warm_up():
    clip, det = Clip(), _detector()
    _warm(det, clip)
    small = cv2.resize(clip.frame([(200, 100, 320, 260)]), (320, 240))
    assert len(det.detect(small)) == 0


def test_rejects_non_bgr_frames():
    det = _detector()
    with pytest.raises(ValueError, match="uint8"):
        det.detect(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        det.detect(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError, match="fps"):
        det.set_fps(0)


def test_default_settings():
    s = MotionDetectorSettings()
    assert s.type == "motion"
    assert s.classes["car"].min_area == 3000 and s.classes["car"].max_area is None


@pytest.mark.parametrize("bad,match", [
    ({"classes": {"lorry": {"min_area": 10}}}, "unknown class 'lorry'"),
    ({"classes": {}}, "at least one class"),
    ({"classes": {"car": {"min_area": 500, "max_area": 100}}}, "must exceed min_area"),
    ({"classes": {"car": {"min_area": 500, "colour": "red"}}}, "colour"),
    ({"thresold_k": 3}, "thresold_k"),
    ({"type": "yolox"}, "type"),
    ({"process_width": 0}, "process_width"),
])
def test_settings_reject_bad_values(bad, match):
    with pytest.raises(ValidationError, match=match):
        MotionDetectorSettings.model_validate(bad)


# -- the real clip ---------------------------------------------------------------------------

INTEL = "footage/intel-car-detection"
# From gt.json's descriptions: car 1 f57-107, car 2 f183-232, car 3 f190-238, car 4 f316-350.
# "Middle" spans keep ~5 frames off each end, where a car is only partly in the picture.
ONE_CAR = [*range(62, 103), *range(321, 346)]
TWO_CARS = range(195, 228)  # cars 2 and 3 side by side in neighbouring lanes
# No car in view while the exposure still swings back after a white car (frame mean 53 -> 109
# over frames 350-377) and before the first car arrives.
NO_CAR = [*range(15, 50), *range(118, 176), *range(355, 378)]


@pytest.fixture(scope="module")
def intel_run(assets: Path) -> tuple[list[Detections], dict]:
    gt = json.loads((assets / INTEL / "gt.json").read_text())
    cap = cv2.VideoCapture(str(assets / INTEL / "video.mp4"))
    det = MotionDetector(MotionDetectorSettings(), fps=gt["video"]["fps"])
    out = [Detections.empty()]  # index = frame number, frame 1 = the first decoded frame
    while True:
        ok, image = cap.read()
        if not ok:
            break
        out.append(det.detect(image))
    cap.release()
    assert len(out) - 1 == gt["video"]["frames"]
    return out, gt


@pytest.mark.integration
def test_intel_no_box_without_a_car_even_while_exposure_swings(intel_run):
    dets, _ = intel_run
    spurious = {f: dets[f].xyxy.round().tolist() for f in NO_CAR if len(dets[f])}
    assert not spurious


@pytest.mark.integration
def test_intel_one_box_per_car(intel_run):
    dets, _ = intel_run
    one = np.mean([len(dets[f]) == 1 for f in ONE_CAR])
    two = np.mean([len(dets[f]) == 2 for f in TWO_CARS])
    print(f"exactly one box on {one:.0%} of one-car frames, two on {two:.0%} of two-car frames")
    assert one >= 0.95  # measured: 100 % (fragments or misses would show here)
    assert two >= 0.9  # measured: 100 %
    assert all((dets[f].classes == CAR).all() for f in [*ONE_CAR, *TWO_CARS])


@pytest.mark.integration
def test_intel_box_centre_crosses_the_line_at_the_annotated_frame(intel_run):
    """A top-down view: ground truth crossing = the car's centre on the line (±5 frames)."""
    dets, gt = intel_run
    line_y = gt["lines"][0]["p1"][1]
    for span in (range(62, 103), range(321, 346)):  # the lone cars 1 and 4
        frames = [f for f in span if len(dets[f]) == 1]
        cy = np.array([(dets[f].xyxy[0, 1] + dets[f].xyxy[0, 3]) / 2 for f in frames])
        side = np.sign(cy - line_y)
        flips = [frames[i + 1] for i in np.flatnonzero(side[1:] != side[:-1])]
        assert len(flips) == 1, flips
        annotated = min((c["frame"] for c in gt["crossings"]), key=lambda f: abs(f - flips[0]))
        assert abs(flips[0] - annotated) <= 5, (flips[0], annotated)
