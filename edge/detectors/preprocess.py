"""Frame -> model input tensor, and the transform that maps boxes back to the frame.

Per-frame path: one cv2.resize, one border fill (letterbox), then one pass per channel that
casts, reorders (BGR/RGB) and normalises straight into the NCHW float32 output.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from edge.manifest import Preprocess


@dataclass(frozen=True, slots=True)
class InputTransform:
    """Frame pixel -> input pixel is ``x * scale_x + offset_x`` (same for y).

    ``width``/``height`` are the frame's size, used to clip mapped boxes.

    >>> t = InputTransform(0.5, 0.5, 0.0, 10.0, 100, 80)
    >>> t.to_image(np.array([[0.0, 10.0, 50.0, 50.0]], np.float32)).tolist()
    [[0.0, 0.0, 100.0, 80.0]]
    """

    scale_x: float
    scale_y: float
    offset_x: float
    offset_y: float
    width: int
    height: int

    def to_input(self, xyxy: np.ndarray) -> np.ndarray:
        scale = np.array([self.scale_x, self.scale_y] * 2, np.float32)
        offset = np.array([self.offset_x, self.offset_y] * 2, np.float32)
        return xyxy * scale + offset

    def to_image(self, xyxy: np.ndarray) -> np.ndarray:
        """Input-pixel boxes (n,4) -> frame-pixel boxes, clipped to the frame."""
        scale = np.array([self.scale_x, self.scale_y] * 2, np.float32)
        offset = np.array([self.offset_x, self.offset_y] * 2, np.float32)
        out = (xyxy - offset) / scale
        np.clip(out[:, 0::2], 0, self.width, out=out[:, 0::2])
        np.clip(out[:, 1::2], 0, self.height, out=out[:, 1::2])
        return out


class Preprocessor:
    """Builds the (1,3,H,W) float32 input for one model.

    ``input_size`` is (width, height) as in the manifest. Stateless between calls: every call
    returns a fresh tensor, so a caller may keep it.

    >>> from edge.manifest import Preprocess
    >>> p = Preprocessor(Preprocess(color="bgr", resize="letterbox"), (64, 64))
    >>> x, t = p(np.zeros((48, 128, 3), np.uint8))
    >>> x.shape, t.scale_x, t.offset_y
    ((1, 3, 64, 64), 0.5, 0.0)
    """

    def __init__(self, spec: Preprocess, input_size: tuple[int, int]) -> None:
        self.spec = spec
        self.width, self.height = int(input_size[0]), int(input_size[1])
        # Output channel c reads frame channel _src[c] (frames are BGR).
        self._src = (0, 1, 2) if spec.color == "bgr" else (2, 1, 0)
        self._mean = tuple(np.float32(m) for m in spec.mean)
        self._inv_std = tuple(np.float32(1.0 / s) for s in spec.std)
        self._identity = all(m == 0 for m in spec.mean) and all(s == 1 for s in spec.std)
        self._pad = (int(round(spec.pad)),) * 3

    def __call__(self, image: np.ndarray) -> tuple[np.ndarray, InputTransform]:
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected a BGR image (h, w, 3), got shape {image.shape}")
        if self.spec.resize == "letterbox":
            canvas, transform = self._letterbox(image)
        else:
            canvas, transform = self._stretch(image)
        return self._to_tensor(canvas), transform

    def _stretch(self, image: np.ndarray) -> tuple[np.ndarray, InputTransform]:
        h, w = image.shape[:2]
        canvas = cv2.resize(image, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        return canvas, InputTransform(self.width / w, self.height / h, 0.0, 0.0, w, h)

    def _letterbox(self, image: np.ndarray) -> tuple[np.ndarray, InputTransform]:
        h, w = image.shape[:2]
        ratio = min(self.width / w, self.height / h)
        nw, nh = max(1, round(w * ratio)), max(1, round(h * ratio))
        resized = image if (nw, nh) == (w, h) else cv2.resize(
            image, (nw, nh), interpolation=cv2.INTER_LINEAR)
        free_x, free_y = self.width - nw, self.height - nh
        left, top = (free_x // 2, free_y // 2) if self.spec.align == "center" else (0, 0)
        canvas = cv2.copyMakeBorder(resized, top, free_y - top, left, free_x - left,
                                    cv2.BORDER_CONSTANT, value=self._pad)
        # Per-axis scale from the rounded size: exact for the pixels the model actually sees.
        return canvas, InputTransform(nw / w, nh / h, float(left), float(top), w, h)

    def _to_tensor(self, canvas: np.ndarray) -> np.ndarray:
        out = np.empty((1, 3, self.height, self.width), np.float32)
        channels = cv2.split(canvas)  # contiguous planes: faster than strided HWC reads
        for c, src in enumerate(self._src):
            plane = out[0, c]
            if self._identity:
                plane[...] = channels[src]
            else:
                np.subtract(channels[src], self._mean[c], out=plane, dtype=np.float32)
                plane *= self._inv_std[c]
        return out
