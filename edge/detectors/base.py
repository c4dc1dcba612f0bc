"""What every detector is: a BGR frame in, product-class detections out."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from edge.types import Detections


@runtime_checkable
class Detector(Protocol):
    """A detector plug-in (ONNX model families, motion, ...).

    ``image`` is a BGR uint8 (h, w, 3) frame. The result's boxes are in that frame's pixels and
    its classes are indices into :data:`edge.classes.CLASSES`. Constructors do all the slow work
    (open the model, warm it up) so that the first ``detect`` is as fast as the others.
    """

    def detect(self, image: np.ndarray) -> Detections: ...
