"""Every manifest model on real PETS 2009 frames: pedestrian recall against gt.txt.

Thresholds sit a little below what was measured here (16 frames, 1 in 50, 91 boxes, conf 0.3,
IoU 0.5): yolox_nano 0.923, picodet_s_320 0.912, picodet_s_416 0.934, nanodet_m 0.912,
yolo11n_int8 0.846. One missed box costs 0.011.
"""

from __future__ import annotations

import numpy as np
import pytest

from edge.classes import CLASSES, PEDESTRIAN
from edge.detectors import GflDetector, OnnxDetectorSettings, OnnxModel, build_detector
from edge.detectors.nms import box_iou

pytestmark = pytest.mark.integration

MIN_RECALL = {
    "yolox_nano": 0.89,
    "picodet_s_320": 0.88,
    "picodet_s_416": 0.90,
    "nanodet_m": 0.88,
    "yolo11n_int8": 0.81,
}


def matched(gt: np.ndarray, found: np.ndarray, iou: float = 0.5) -> int:
    """One-to-one greedy matching by IoU: how many ground-truth boxes are found."""
    if len(gt) == 0 or len(found) == 0:
        return 0
    m = box_iou(gt, found)
    hits = 0
    while m.size and m.max() >= iou:
        g, f = np.unravel_index(m.argmax(), m.shape)
        m[g, :], m[:, f] = 0, 0
        hits += 1
    return hits


@pytest.mark.parametrize("name", sorted(MIN_RECALL))
def test_pedestrian_recall_on_pets(name: str, resolve_local, pets_frames) -> None:
    det = build_detector(OnnxDetectorSettings(model=name, conf=0.3), resolve_model=resolve_local)
    hits = total = 0
    for image, gt in pets_frames:
        dets = det.detect(image)
        assert dets.xyxy.dtype == np.float32 and dets.classes.dtype == np.int16
        assert np.all((dets.classes >= 0) & (dets.classes < len(CLASSES)))
        assert np.all(dets.scores >= 0.3)
        h, w = image.shape[:2]
        assert np.all(dets.xyxy >= 0) and np.all(dets.xyxy[:, [0, 2]] <= w)
        assert np.all(dets.xyxy[:, [1, 3]] <= h)
        hits += matched(gt, dets.xyxy[dets.classes == PEDESTRIAN])
        total += len(gt)
    recall = hits / total
    print(f"{name}: pedestrian recall {recall:.3f} ({hits}/{total})")
    assert recall >= MIN_RECALL[name]


@pytest.mark.parametrize("name", ["picodet_s_320", "nanodet_m"])
def test_gfl_anchor_is_the_cell_centre(name: str, resolve_local, pets_frames) -> None:
    """Both GFL exports put a cell's anchor at (x + 0.5, y + 0.5) * stride, not x * stride."""
    spec, path = resolve_local(name)
    model = OnnxModel(path)
    fit = {}
    for offset in (0.0, 0.5):
        probe = type("Probe", (GflDetector,), {"cell_offset": offset})(spec, model)
        best = []
        for image, gt in pets_frames:
            found = probe.detect(image)
            people = found.xyxy[found.classes == PEDESTRIAN]
            best.extend(box_iou(gt, people).max(axis=1) if len(people) else np.zeros(len(gt)))
        fit[offset] = float(np.mean(best))
    print(f"{name}: mean best IoU per person, offset 0: {fit[0.0]:.3f}, 0.5: {fit[0.5]:.3f}")
    assert fit[0.5] > fit[0.0] + 0.05
    assert GflDetector.cell_offset == 0.5
