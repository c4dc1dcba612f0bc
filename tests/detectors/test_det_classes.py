"""Class views of the ONNX detectors (``with_classes``): other COCO classes, same session.

The product view must not change (bytes-identical detections before and after a view exists);
a ``("person",)`` view must find the product view's pedestrians on PETS 2009; a view's classes
index into its names and it does not merge riders (intel-person-bicycle-car, the cyclist).
Measured here: on the 16 PETS frames the ``person`` view's boxes equal the product's pedestrian
boxes for all five models.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.classes import PEDESTRIAN
from edge.detectors import OnnxDetectorSettings, build_detector
from edge.detectors.nms import box_iou
from edge.detectors.onnx_model import PRODUCT_COLUMNS, ClassColumns, OnnxDetector
from edge.detectors.riders import merge_riders
from edge.manifest import load_manifest
from edge.types import Detections

MODELS = [m.name for m in load_manifest().models]
CYCLIST = "footage/intel-person-bicycle-car"


@pytest.fixture(scope="module")
def detector(resolve_local):
    """name -> the product detector (conf 0.3), built once per module; skipped when absent."""
    built: dict[str, OnnxDetector] = {}

    def get(name: str) -> OnnxDetector:
        if name not in built:
            _, path = resolve_local(name)
            if not path.is_file():
                pytest.skip(f"{path} is not in EDGE_ASSETS")
            det = build_detector(OnnxDetectorSettings(model=name, conf=0.3, parallel="operators"),
                                 resolve_model=resolve_local)
            assert isinstance(det, OnnxDetector)
            built[name] = det
        return built[name]

    return get


@pytest.fixture(scope="module")
def cyclist_frames(assets: Path) -> dict[int, np.ndarray]:
    """Frames 139 and 380: the woman on the white bicycle crosses x=600 (gt.json, line L1)."""
    cap = cv2.VideoCapture(str(assets / CYCLIST / "video.mp4"))
    frames, index = {}, 0
    while len(frames) < 2 and cap.grab():
        index += 1
        if index in (139, 380):
            frames[index] = cap.retrieve()[1]
    cap.release()
    assert len(frames) == 2, "video shorter than expected"
    return frames


def one_to_one(a: np.ndarray, b: np.ndarray, iou: float) -> int:
    """Greedy one-to-one matches between boxes a and b at ``iou`` or more."""
    if len(a) == 0 or len(b) == 0:
        return 0
    m = box_iou(a, b)
    hits = 0
    while m.size and m.max() >= iou:
        i, j = np.unravel_index(m.argmax(), m.shape)
        m[i, :], m[:, j] = 0, 0
        hits += 1
    return hits


def same(a: Detections, b: Detections) -> bool:
    return all(x.dtype == y.dtype and x.tobytes() == y.tobytes()
               for x, y in ((a.xyxy, b.xyxy), (a.scores, b.scores), (a.classes, b.classes)))


# --- no model needed ---------------------------------------------------------------------------

def test_columns_of_names_index_into_the_names() -> None:
    c = ClassColumns.of_names(("couch", "person", "tv"))
    assert c.coco_ids.tolist() == [57, 0, 62]
    assert c.class_of_column.tolist() == [0, 1, 2] and c.class_of_column.dtype == np.int16
    assert not c.riders and PRODUCT_COLUMNS.riders


@pytest.mark.parametrize(("names", "word"), [
    (("person", "sofa"), "'sofa'"),       # COCO says couch
    (("pedestrian",), "'pedestrian'"),    # a product class, not a COCO one
    (("car", "car"), "twice"),
    ((), "non-empty"),
    ("person", "non-empty"),              # a bare string is not a list of names
])
def test_bad_names_are_a_clear_error(names, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        ClassColumns.of_names(names)


# --- real models -------------------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.parametrize("name", MODELS)
def test_person_view_finds_the_product_pedestrians(name: str, detector, pets_frames) -> None:
    det = detector(name)
    view = det.with_classes(("person",), 0.3)
    both = matched = 0
    for image, _ in pets_frames:
        product = det.detect(image)
        people = product.xyxy[product.classes == PEDESTRIAN]
        found = view.detect(image)
        assert np.all(found.classes == 0) and np.all(found.scores >= 0.3)
        both += len(people) + len(found)
        matched += 2 * one_to_one(people, found.xyxy, 0.9)
    print(f"{name}: {matched // 2} of the product's pedestrians matched by the person view")
    assert both > 50  # the frames hold people
    assert matched >= 0.95 * both


@pytest.mark.integration
@pytest.mark.parametrize("name", MODELS)
def test_product_view_is_unchanged_by_a_view(name: str, detector, pets_frames) -> None:
    det = detector(name)
    image = pets_frames[3][0]
    frames_before = det.clock.frames
    before = det.detect(image)
    view = det.with_classes(("person", "bicycle", "couch", "chair", "suitcase"), 0.05)
    seen = view.detect(image)
    after = det.detect(image)
    assert len(before) > 0 and len(seen) > 0
    assert same(before, after)
    # One session, one warm-up: the view is no second model; its runs are not the product's.
    assert view.model is det.model and view.preprocess is det.preprocess
    assert det.columns is PRODUCT_COLUMNS and det.conf == 0.3 and view.conf == 0.05
    assert det.clock.frames == frames_before + 2 and view.clock.frames == 1


@pytest.mark.integration
@pytest.mark.parametrize("name", MODELS)
def test_view_classes_follow_the_order_of_the_names(name: str, detector, pets_frames,
                                                    cyclist_frames) -> None:
    det = detector(name)
    ab = det.with_classes(("person", "bicycle"), 0.2)
    ba = det.with_classes(("bicycle", "person"), 0.2)
    seen = 0
    for image in [cyclist_frames[139], pets_frames[5][0]]:
        x, y = ab.detect(image), ba.detect(image)
        seen += len(x)
        assert x.xyxy.tobytes() == y.xyxy.tobytes() and x.scores.tobytes() == y.scores.tobytes()
        assert (y.classes == 1 - x.classes).all()
    assert seen > 0


@pytest.mark.integration
def test_unknown_name_on_a_detector(detector) -> None:
    det = detector(MODELS[0])
    with pytest.raises(ValueError, match="'sofa'"):
        det.with_classes(("sofa",), 0.3)
    with pytest.raises(ValueError, match="conf"):
        det.with_classes(("couch",), 1.5)


@pytest.mark.integration
@pytest.mark.parametrize("name", ["picodet_s_416", "nanodet_m"])
def test_view_keeps_the_rider(name: str, detector, cyclist_frames) -> None:
    """These two models see the cyclist as a person over a bicycle: the product view merges the
    person into the bicycle, a ("person", "bicycle") view keeps both. (The other models see only
    one of the two here, so there is no rider to keep.)"""
    det = detector(name)
    view = det.with_classes(("person", "bicycle"), 0.3)
    image = cyclist_frames[139]
    found = view.detect(image)
    assert len(merge_riders(found)) < len(found)  # a rider the product view would merge
    product = det.detect(image)
    assert not (product.classes[upper_right(product)] == PEDESTRIAN).any()
    kept = found.classes[upper_right(found)]
    assert (kept == 0).any() and (kept == 1).any()


def upper_right(dets: Detections) -> np.ndarray:
    """Rows whose box starts in the cyclist's corner of the frame."""
    return (dets.xyxy[:, 0] > 540) & (dets.xyxy[:, 1] < 150)
