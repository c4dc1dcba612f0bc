"""Decoder maths on tiny synthetic output tensors (no model file: a fake session)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.classes import CAR, PEDESTRIAN, TRUCK
from edge.detectors import GflDetector, UltralyticsDetector, YoloxDetector
from edge.detectors.gfl import distribution_to_distance
from edge.detectors.preprocess import InputTransform
from edge.errors import EdgeError
from edge.manifest import ModelSpec, Preprocess

PERSON, CAR_COCO, BENCH, TRUCK_COCO = 0, 2, 13, 7
IDENTITY = InputTransform(1.0, 1.0, 0.0, 0.0, 64, 64)


class FakeModel:
    """Stands in for OnnxModel: returns fixed outputs."""

    path = Path("/models/fake.onnx")

    def __init__(self, outputs: list[np.ndarray]) -> None:
        self.outputs = outputs

    def check_input(self, size: tuple[int, int]) -> None:
        pass

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        return self.outputs


def spec(family: str, strides: tuple[int, ...] = (8, 16, 32)) -> ModelSpec:
    return ModelSpec(name="fake", family=family, file="fake.onnx", url="file:///fake.onnx",
                     sha256="0" * 64, license="test", input_size=(64, 64), strides=strides,
                     preprocess=Preprocess(color="bgr", resize="stretch"))


# --- YOLOX: 64x64 input -> 8x8 + 4x4 + 2x2 = 84 rows ------------------------------------------

def yolox_outputs() -> np.ndarray:
    out = np.zeros((1, 84, 85), np.float32)
    row = 64 + 1 * 4 + 2  # stride 16, cell x=2, y=1
    out[0, row, :5] = [0.5, 0.25, np.log(2), np.log(3), 0.9]
    out[0, row, 5 + PERSON] = 0.8
    out[0, row, 5 + BENCH] = 0.95  # not a product class: must not win
    out[0, 3, :5] = [0.0, 0.0, 0.0, 0.0, 0.9]  # stride 8, cell (3, 0): a 8x8 car
    out[0, 3, 5 + CAR_COCO] = 0.5
    out[0, 10, 4], out[0, 10, 5 + BENCH] = 0.99, 0.99  # a bench only: dropped
    return out


def test_yolox_row_decodes_to_box_score_class() -> None:
    outputs = [yolox_outputs()]
    det = YoloxDetector(spec("yolox"), FakeModel(outputs), conf=0.3)
    xyxy, score, cls = det.decode_candidates(outputs)
    order = np.argsort(-score)
    np.testing.assert_allclose(xyxy[order], [[24, -4, 56, 44], [20, -4, 28, 4]], atol=1e-5)
    np.testing.assert_allclose(score[order], [0.72, 0.45], rtol=1e-6)
    assert cls[order].tolist() == [PEDESTRIAN, CAR]
    dets = det.postprocess(outputs, IDENTITY)
    np.testing.assert_allclose(dets.xyxy[0], [24, 0, 56, 44], atol=1e-5)  # clipped to frame
    assert dets.classes.dtype == np.int16


def test_yolox_conf_threshold() -> None:
    outputs = [yolox_outputs()]
    det = YoloxDetector(spec("yolox"), FakeModel(outputs), conf=0.5)
    assert det.decode_candidates(outputs)[2].tolist() == [PEDESTRIAN]


def test_yolox_rejects_other_layouts() -> None:
    with pytest.raises(EdgeError, match=r"fake\.onnx.*yolox.*\(1, 84, 85\)"):
        YoloxDetector(spec("yolox"), FakeModel([np.zeros((1, 84, 80), np.float32)]))


# --- GFL: 64x64 input, strides 8/16/32 -> 64, 16, 4 cells, reg_max 7 (8 bins) ------------------

def gfl_outputs() -> list[np.ndarray]:
    scores = {n: np.zeros((1, n, 80), np.float32) for n in (64, 16, 4)}
    boxes = {n: np.full((1, n, 32), -20.0, np.float32) for n in (64, 16, 4)}
    cell = 2 * 8 + 3  # stride 8, cell x=3, y=2 -> anchor (28, 20)
    scores[64][0, cell, TRUCK_COCO] = 0.7
    for side, bin_ in enumerate((2, 3, 1, 0)):  # left, top, right, bottom in strides
        boxes[64][0, cell, side * 8 + bin_] = 20.0
    scores[4][0, 3, PERSON] = 0.4  # stride 32, cell (1, 1) -> anchor (48, 48)
    boxes[4][0, 3] = 0.0  # uniform over 8 bins: 3.5 strides each side
    # Shuffled on purpose: tensors must be picked by shape, not by position or name.
    return [boxes[64], scores[16], scores[64], boxes[4], scores[4], boxes[16]]


def test_gfl_cells_decode_from_distributions() -> None:
    outputs = gfl_outputs()
    det = GflDetector(spec("gfl"), FakeModel(outputs), conf=0.3)
    xyxy, score, cls = det.decode_candidates(outputs)
    order = np.argsort(-score)
    np.testing.assert_allclose(xyxy[order], [[12, -4, 36, 20], [-64, -64, 160, 160]], atol=1e-3)
    np.testing.assert_allclose(score[order], [0.7, 0.4], rtol=1e-6)
    assert cls[order].tolist() == [TRUCK, PEDESTRIAN]


def test_distribution_expected_value() -> None:
    logits = np.full((1, 32), -np.inf, np.float32)
    logits[0, 1], logits[0, 2] = np.log(0.25), np.log(0.75)  # left: 1*0.25 + 2*0.75
    logits[0, 8:16] = 0.0  # top: uniform -> 3.5
    logits[0, 16 + 7] = 0.0  # right: all on the last bin
    logits[0, 24] = 0.0  # bottom: all on bin 0
    np.testing.assert_allclose(distribution_to_distance(logits, 8), [[1.75, 3.5, 7, 0]],
                               atol=1e-6)


def test_gfl_picks_level_count_from_strides() -> None:
    with pytest.raises(EdgeError, match=r"fake\.onnx.*gfl"):
        GflDetector(spec("gfl", (8, 16, 32, 64)), FakeModel(gfl_outputs()))


# --- Ultralytics: (1, 84, n) ----------------------------------------------------------------

def test_ultralytics_column_decodes() -> None:
    out = np.zeros((1, 84, 84), np.float32)
    out[0, :4, 5] = [30, 40, 10, 20]
    out[0, 4 + PERSON, 5] = 0.6
    out[0, :4, 9] = [10, 10, 4, 4]
    out[0, 4 + BENCH, 9] = 0.9
    det = UltralyticsDetector(spec("ultralytics"), FakeModel([out]), conf=0.3)
    xyxy, score, cls = det.decode_candidates([out])
    np.testing.assert_allclose(xyxy, [[25, 30, 35, 50]])
    np.testing.assert_allclose(score, [0.6], rtol=1e-6)
    assert cls.tolist() == [PEDESTRIAN]


def test_ultralytics_rejects_yolox_layout() -> None:
    with pytest.raises(EdgeError, match=r"fake\.onnx.*ultralytics"):
        UltralyticsDetector(spec("ultralytics"), FakeModel([yolox_outputs()]))


def test_nms_runs_inside_postprocess() -> None:
    out = np.zeros((1, 84, 84), np.float32)
    out[0, :4, 0:3] = np.array([[30, 40, 10, 20], [31, 40, 10, 20], [31, 40, 10, 20]]).T
    out[0, 4 + CAR_COCO, 0:2] = [0.9, 0.8]
    out[0, 4 + TRUCK_COCO, 2] = 0.7  # same place, another class: kept
    det = UltralyticsDetector(spec("ultralytics"), FakeModel([out]), conf=0.3, nms_iou=0.5)
    dets = det.postprocess([out], IDENTITY)
    assert dets.classes.tolist() == [CAR, TRUCK]
    np.testing.assert_allclose(dets.scores, [0.9, 0.7], rtol=1e-6)
