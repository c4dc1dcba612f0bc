"""Settings, the registry, and the one-line errors for bad model files."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from edge.detectors import (
    DETECTORS,
    GflDetector,
    OnnxDetectorSettings,
    YoloxDetector,
    build_detector,
)
from edge.detectors.base import Detector
from edge.errors import EdgeError
from edge.types import Detections


def test_settings_defaults_and_limits() -> None:
    s = OnnxDetectorSettings()
    assert (s.type, s.model, s.family, s.conf, s.nms_iou, s.threads) == (
        "onnx", "yolox_nano", None, 0.1, 0.5, 2)
    for bad in ({"conf": 1.5}, {"threads": 0}, {"nms_iou": 0}, {"family": "ssd"},
                {"modle": "x"}):
        with pytest.raises(ValidationError):
            OnnxDetectorSettings(**bad)
    assert "manifest" in OnnxDetectorSettings.model_json_schema()["properties"]["model"][
        "description"]


def test_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "yolox_nano.onnx"
    with pytest.raises(EdgeError, match=f"{path}.*not found"):
        build_detector(OnnxDetectorSettings(model=str(path)))


def test_corrupt_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "yolox_nano.onnx"
    path.write_text("this is a text file, not a model\n")
    with pytest.raises(EdgeError, match=f"model file {path} is not a readable ONNX model") as exc:
        build_detector(OnnxDetectorSettings(model=str(path)))
    assert "\n" not in str(exc.value)


def test_unlisted_file_needs_a_family(tmp_path: Path) -> None:
    path = tmp_path / "my_export.onnx"
    path.write_bytes(b"")
    with pytest.raises(EdgeError, match="my_export.onnx.*detector.family"):
        build_detector(OnnxDetectorSettings(model=str(path)))


class FakeMotionSettings(BaseModel):
    type: Literal["thermal"] = "thermal"


class FakeMotion:
    def __init__(self, settings: FakeMotionSettings) -> None:
        self.settings = settings

    def detect(self, image: np.ndarray) -> Detections:
        return Detections.empty()


def test_registry_takes_other_kinds() -> None:
    registry = {**DETECTORS, "thermal": (FakeMotionSettings, FakeMotion)}
    det = build_detector(FakeMotionSettings(), registry=registry)
    assert isinstance(det, FakeMotion) and isinstance(det, Detector)
    with pytest.raises(EdgeError, match="'thermal'"):
        build_detector(FakeMotionSettings())  # not registered


# --- with the real model files ----------------------------------------------------------------

@pytest.mark.integration
def test_builds_by_name(resolve_local) -> None:
    det = build_detector(OnnxDetectorSettings(model="yolox_nano", threads=1),
                         resolve_model=resolve_local)
    assert isinstance(det, YoloxDetector) and isinstance(det, Detector)
    assert len(det.detect(np.zeros((576, 768, 3), np.uint8))) == 0


@pytest.mark.integration
def test_path_takes_family_from_manifest_file_name(assets: Path, tmp_path: Path) -> None:
    path = tmp_path / "nanodet_m.onnx"
    path.symlink_to(assets / "models" / "nanodet_m.onnx")
    det = build_detector(OnnxDetectorSettings(model=str(path), parallel="operators"))
    assert isinstance(det, GflDetector) and det.spec.name == "nanodet_m"


@pytest.mark.integration
def test_wrong_input_size_names_file_and_sizes(assets: Path, tmp_path: Path) -> None:
    path = tmp_path / "yolox_nano.onnx"  # the manifest says 416x416 for this file name
    path.symlink_to(assets / "models" / "picodet_s_320_coco.onnx")
    with pytest.raises(EdgeError, match=f"model file {path} has input 1x3x320x320, "
                                        "manifest says 416x416"):
        build_detector(OnnxDetectorSettings(model=str(path)))


@pytest.mark.integration
def test_wrong_output_layout_names_file(assets: Path, tmp_path: Path) -> None:
    path = tmp_path / "picodet_s_416_coco.onnx"  # a gfl entry, but YOLOX inside
    path.symlink_to(assets / "models" / "yolox_nano.onnx")
    with pytest.raises(EdgeError, match=f"model file {path} does not look like a gfl model"):
        build_detector(OnnxDetectorSettings(model=str(path)))


@pytest.mark.integration
def test_unlisted_file_with_family(assets: Path, tmp_path: Path, pets_frames) -> None:
    path = tmp_path / "my_yolox.onnx"
    path.symlink_to(assets / "models" / "yolox_nano.onnx")
    det = build_detector(OnnxDetectorSettings(model=str(path), family="yolox",
                                                parallel="operators"))
    assert isinstance(det, YoloxDetector) and det.spec.input_size == (416, 416)
    image, gt = pets_frames[0]
    assert len(det.detect(image)) >= len(gt) // 2
