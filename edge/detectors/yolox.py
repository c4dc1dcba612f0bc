"""YOLOX decoder: one (1, n, 85) output over the stride grids."""

from __future__ import annotations

import numpy as np

from edge.detectors.onnx_model import OnnxDetector, best_class, cxcywh_to_xyxy, grid_cells


class YoloxDetector(OnnxDetector):
    """Rows: x, y offsets in cells, log w, log h (in strides), objectness, 80 class scores.

    Objectness and class scores are already sigmoids; score = objectness x class score.
    """

    family = "yolox"
    class_offset = 5

    def bind_outputs(self, shapes: list[tuple[int, ...]]) -> str | None:
        self._cells, self._strides = grid_cells(self.spec.input_size, self.spec.strides)
        want = (1, len(self._cells), 85)
        if shapes != [want]:
            return f"outputs {', '.join(map(str, shapes))}, expected one {want}"
        return None

    def decode_candidates(self, outputs: list[np.ndarray]
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out = outputs[0][0]
        scores = out[:, self._class_index] * out[:, 4:5]
        rows, score, cls = best_class(scores, self.conf, self.columns.class_of_column)
        sel, stride = out[rows], self._strides[rows]
        cxcy = (sel[:, :2] + self._cells[rows]) * stride
        wh = np.exp(sel[:, 2:4]) * stride
        return cxcywh_to_xyxy(cxcy, wh), score, cls
