"""Ultralytics YOLOv8/YOLO11 decoder: one (1, 84, n) output, no objectness."""

from __future__ import annotations

import numpy as np

from edge.detectors.onnx_model import OnnxDetector, best_class, cxcywh_to_xyxy, grid_cells


class UltralyticsDetector(OnnxDetector):
    """Columns (one per anchor): cx, cy, w, h in input pixels, then 80 class scores."""

    family = "ultralytics"
    class_offset = 4

    def bind_outputs(self, shapes: list[tuple[int, ...]]) -> str | None:
        want = (1, 84, len(grid_cells(self.spec.input_size, self.spec.strides)[0]))
        if shapes != [want]:
            return f"outputs {', '.join(map(str, shapes))}, expected one {want}"
        return None

    def decode_candidates(self, outputs: list[np.ndarray]
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out = outputs[0][0]
        # Only the wanted class rows are read; .T is a view, so no full transpose is made.
        rows, score, cls = best_class(out[self._class_index].T, self.conf,
                                      self.columns.class_of_column)
        box = out[:4, rows].T
        return cxcywh_to_xyxy(box[:, :2], box[:, 2:]), score, cls
