"""Box overlap and class-aware non-maximum suppression."""

from __future__ import annotations

import cv2
import numpy as np


def box_area(xyxy: np.ndarray) -> np.ndarray:
    return np.clip(xyxy[:, 2] - xyxy[:, 0], 0, None) * np.clip(xyxy[:, 3] - xyxy[:, 1], 0, None)


def intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection areas of boxes a (n,4) and b (m,4) -> (n,m)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    return wh[..., 0] * wh[..., 1]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of boxes a (n,4) and b (m,4) -> (n,m); 0 where both boxes are empty.

    >>> box_iou(np.array([[0, 0, 2, 2]]), np.array([[1, 0, 3, 2]])).round(3).tolist()
    [[0.333]]
    """
    inter = intersection(a, b)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter, dtype=np.float64), where=union > 0)


def nms(xyxy: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou: float,
        max_candidates: int = 1000) -> np.ndarray:
    """Greedy NMS within each class. Returns kept row indices, best score first.

    Boxes of different classes never suppress each other (a car and a person overlap often).
    Only the ``max_candidates`` best-scored boxes enter (bounds the cost on a noisy frame).
    """
    if len(xyxy) == 0:
        return np.zeros(0, np.int64)
    xywh = np.empty((len(xyxy), 4), np.float64)
    xywh[:, :2] = xyxy[:, :2]
    xywh[:, 2:] = xyxy[:, 2:] - xyxy[:, :2]
    conf, cls = scores.astype(np.float32), classes.astype(np.int32)
    # OpenCV runs the greedy loop in C++, offsetting boxes per class. Its stubs ask for lists;
    # arrays are accepted and skip a conversion.
    keep = cv2.dnn.NMSBoxesBatched(xywh, conf, cls, 0.0, float(iou), top_k=max_candidates)  # type: ignore[arg-type]
    return np.asarray(keep, np.int64).reshape(-1)
