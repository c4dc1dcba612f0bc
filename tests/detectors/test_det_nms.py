"""Class-aware NMS and box overlap on synthetic boxes."""

from __future__ import annotations

import numpy as np

from edge.detectors.nms import box_iou, intersection, nms


def greedy_reference(xyxy: np.ndarray, scores: np.ndarray, classes: np.ndarray,
                     iou: float) -> list[int]:
    """Textbook per-class greedy NMS (a loop: fine for a test oracle)."""
    keep: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        same = [k for k in keep if classes[k] == classes[i]]
        if not same or box_iou(xyxy[i:i + 1], xyxy[same]).max() <= iou:
            keep.append(int(i))
    return keep


def test_iou_known_values() -> None:
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 0]], np.float32)
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 10, 10]], np.float32)
    np.testing.assert_allclose(box_iou(a, b), [[50 / 150, 0, 1], [0, 0, 0]], atol=1e-6)
    np.testing.assert_allclose(intersection(a, b)[0], [50, 0, 100])


def test_matches_greedy_reference_on_random_clusters() -> None:
    rng = np.random.default_rng(7)
    centres = rng.uniform(50, 500, (12, 2))
    xy = np.repeat(centres, 8, axis=0) + rng.normal(0, 6, (96, 2))
    wh = rng.uniform(20, 80, (96, 2))
    xyxy = np.concatenate([xy - wh / 2, xy + wh / 2], axis=1).astype(np.float32)
    scores = rng.uniform(0.3, 1.0, 96).astype(np.float32)
    classes = rng.integers(0, 3, 96)
    for iou in (0.3, 0.5, 0.7):
        kept = nms(xyxy, scores, classes, iou)
        assert sorted(kept.tolist()) == sorted(greedy_reference(xyxy, scores, classes, iou))
        assert np.all(np.diff(scores[kept]) <= 0), "best score first"


def test_classes_do_not_suppress_each_other() -> None:
    xyxy = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [1, 1, 11, 11]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)
    assert nms(xyxy, scores, np.array([3, 5, 3]), 0.5).tolist() == [0, 1]
    assert nms(xyxy, scores, np.array([3, 3, 3]), 0.5).tolist() == [0]


def test_empty() -> None:
    empty = np.zeros((0, 4), np.float32)
    assert nms(empty, np.zeros(0, np.float32), np.zeros(0, int), 0.5).shape == (0,)
