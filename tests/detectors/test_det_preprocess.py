"""Letterbox / stretch: the tensor the model sees and the transform back to frame pixels."""

from __future__ import annotations

import numpy as np
import pytest

from edge.detectors.preprocess import InputTransform, Preprocessor
from edge.manifest import Preprocess

BGR = Preprocess(color="bgr", resize="letterbox", pad=114, align="topleft")


def white_box_frame(w: int, h: int, box: tuple[int, int, int, int]) -> np.ndarray:
    image = np.zeros((h, w, 3), np.uint8)
    x1, y1, x2, y2 = box
    image[y1:y2, x1:x2] = 255
    return image


def bright_extent(plane: np.ndarray, level: float) -> np.ndarray:
    """xyxy (pixel edges) of the pixels brighter than ``level`` in a (h, w) plane."""
    ys, xs = np.nonzero(plane > level)
    return np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)


@pytest.mark.parametrize("spec", [
    BGR,
    Preprocess(color="bgr", resize="letterbox", pad=0, align="center"),
    Preprocess(color="rgb", resize="stretch"),
])
@pytest.mark.parametrize("size", [(768, 576), (352, 288), (400, 900)])
def test_box_in_tensor_maps_back_to_frame(spec: Preprocess, size: tuple[int, int]) -> None:
    box = (size[0] // 4, size[1] // 3, size[0] // 2, size[1] // 2 + 20)
    tensor, transform = Preprocessor(spec, (416, 320))(white_box_frame(*size, box))
    assert tensor.shape == (1, 3, 320, 416) and tensor.dtype == np.float32
    seen = bright_extent(tensor[0, 1], 128)
    back = transform.to_image(seen)
    # Bilinear resize blurs the edges by about one input pixel.
    tolerance = 1.5 / min(transform.scale_x, transform.scale_y)
    np.testing.assert_allclose(back[0], box, atol=tolerance)


def test_letterbox_pads_right_bottom_or_centre() -> None:
    frame = np.full((100, 200, 3), 50, np.uint8)  # wide: 200x100 -> 64x32 inside 64x64
    top, t_top = Preprocessor(BGR, (64, 64))(frame)
    assert (t_top.scale_x, t_top.scale_y, t_top.offset_x, t_top.offset_y) == (0.32, 0.32, 0, 0)
    assert np.all(top[0, :, :32] == 50) and np.all(top[0, :, 32:] == 114)
    centred = Preprocess(color="bgr", resize="letterbox", pad=0, align="center")
    mid, t_mid = Preprocessor(centred, (64, 64))(frame)
    assert t_mid.offset_y == 16 and t_mid.offset_x == 0
    assert np.all(mid[0, :, 16:48] == 50)
    assert np.all(mid[0, :, :16] == 0) and np.all(mid[0, :, 48:] == 0)


def test_colour_order_and_normalisation() -> None:
    frame = np.empty((10, 10, 3), np.uint8)
    frame[...] = (10, 20, 30)  # B, G, R
    spec = Preprocess(color="rgb", mean=(1, 2, 3), std=(2, 4, 8), resize="stretch")
    tensor, _ = Preprocessor(spec, (8, 8))(frame)
    np.testing.assert_allclose(tensor[0, :, 0, 0], [(30 - 1) / 2, (20 - 2) / 4, (10 - 3) / 8],
                               rtol=1e-6)
    bgr, _ = Preprocessor(BGR, (8, 8))(frame)
    np.testing.assert_array_equal(bgr[0, :, 0, 0], [10, 20, 30])


def test_stretch_scales_each_axis() -> None:
    spec = Preprocess(color="bgr", resize="stretch")
    _, t = Preprocessor(spec, (416, 416))(np.zeros((576, 768, 3), np.uint8))
    assert (t.scale_x, t.scale_y, t.offset_x, t.offset_y) == (416 / 768, 416 / 576, 0, 0)


def test_transform_round_trip_and_clip() -> None:
    t = InputTransform(0.5, 0.25, 3.0, 7.0, 200, 100)
    boxes = np.array([[10, 20, 50, 90], [0, 0, 200, 100]], np.float32)
    np.testing.assert_allclose(t.to_image(t.to_input(boxes)), boxes, atol=1e-4)
    outside = t.to_input(np.array([[-10, -5, 250, 130]], np.float32))
    np.testing.assert_allclose(t.to_image(outside), [[0, 0, 200, 100]])


def test_rejects_non_bgr_image() -> None:
    with pytest.raises(ValueError, match="BGR"):
        Preprocessor(BGR, (64, 64))(np.zeros((10, 10), np.uint8))
