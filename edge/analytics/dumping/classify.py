"""The class guess of a drop-off alert: the camera's ONNX detector, looking for bulky COCO classes.

Called once per raised alert (never per frame) with the left object's box. The detector's
product view only knows people and vehicles, so a view on :data:`BULKY_CLASSES` over the same
onnxruntime session runs on a crop around the object: enlarged, so that a small object reaches
the model at a size it was trained on, and with context, since a couch is recognised by its
whole shape. Only a class name comes out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edge.analytics.dumping.analytic import Classifier
from edge.analytics.dumping.config import BULKY_CLASSES
from edge.detectors.base import Detector
from edge.detectors.nms import box_area, intersection
from edge.detectors.onnx_model import OnnxDetector
from edge.detectors.pool import DetectorPool

Box = tuple[int, int, int, int]


def crop_around(box: Box, frame_size: tuple[int, int], margin: float = 0.5,
                min_side: int = 160) -> Box:
    """The crop (x0, y0, x1, y1) around ``box``: ``margin`` of its size added on each side, at
    least ``min_side`` px square around its centre, clipped to the (width, height) frame.

    >>> crop_around((100, 100, 140, 120), (640, 480))
    (40, 30, 200, 190)
    >>> crop_around((0, 0, 400, 100), (300, 200))
    (0, 0, 300, 150)
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    half_w = max(w * (0.5 + margin), min_side / 2)
    half_h = max(h * (0.5 + margin), min_side / 2)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    width, height = frame_size
    return (max(0, int(round(cx - half_w))), max(0, int(round(cy - half_h))),
            min(width, int(round(cx + half_w))), min(height, int(round(cy + half_h))))


class BulkyClassifier:
    """A :data:`~edge.analytics.dumping.analytic.Classifier`: the best-scoring detection of one
    of ``names`` that overlaps the object's box, or None.

    A detection counts when its intersection with the box covers ``min_overlap`` of the smaller
    of the two (a chair found inside a larger left pile, or a pile part of a detected couch).
    ``conf`` 0.3 rather than 0.25: on 30 empty grass patches of PETS 2009, PicoDet-S 320 named
    3 at 0.25 (dining table, bed, scores up to 0.27); no manifest model named any at 0.3.
    """

    def __init__(self, detector: OnnxDetector, names: Sequence[str] = BULKY_CLASSES,
                 conf: float = 0.3, *, margin: float = 0.5, min_side: int = 160,
                 min_overlap: float = 0.3) -> None:
        self.names = tuple(names)
        self.view = detector.with_classes(self.names, conf)
        self.margin, self.min_side, self.min_overlap = margin, min_side, min_overlap

    def __call__(self, image: np.ndarray, box: Box) -> str | None:
        h, w = image.shape[:2]
        cx0, cy0, cx1, cy1 = crop_around(box, (w, h), self.margin, self.min_side)
        if cx1 - cx0 < 2 or cy1 - cy0 < 2 or box[2] <= box[0] or box[3] <= box[1]:
            return None
        found = self.view.detect(image[cy0:cy1, cx0:cx1])
        if len(found) == 0:
            return None
        obj = np.array([[box[0] - cx0, box[1] - cy0, box[2] - cx0, box[3] - cy0]], np.float32)
        smaller = np.minimum(box_area(found.xyxy), box_area(obj)[0])
        inter = intersection(found.xyxy, obj)[:, 0]
        overlap = np.divide(inter, smaller, out=np.zeros_like(inter), where=smaller > 0)
        ok = np.flatnonzero(overlap >= self.min_overlap)
        if len(ok) == 0:
            return None
        return self.names[int(found.classes[ok[found.scores[ok].argmax()]])]


def classifier_for(detector: Detector) -> Classifier | None:
    """The class guesser for a camera's detector: None where it has no COCO classes (motion).
    It also looks for ``person``: someone sitting or lying still where the tracker lost them is
    not waste (the analytic postpones the alert)."""
    if isinstance(detector, DetectorPool):
        detector = detector.primary
    if not isinstance(detector, OnnxDetector):
        return None
    return BulkyClassifier(detector, (*BULKY_CLASSES, "person"))
