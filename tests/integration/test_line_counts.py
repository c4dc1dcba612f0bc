"""Acceptance: real detectors on real footage through `edge analyze`, against ground truth.

PETS 2009 S2L1 with line (430,0)->(430,576): ground truth 18 `in` (right->left), 14 `out`.
PETS 2009 S3MF1, same line: 5 `in`, 0 `out`. Intel car clip with the motion detector: 2/2 cars.
"""

from __future__ import annotations

import pytest

from tests.integration.cli import analyze, counts

pytestmark = pytest.mark.integration
LAMP = "lamp:430,0,430,576"
# The ONNX families: YOLOX (±15 %) and the GFL decoders PicoDet and NanoDet (±25 %).
MODELS = [("yolox_nano", 0.15), ("picodet_s_416", 0.25), ("nanodet_m", 0.25)]


@pytest.mark.parametrize("model,tolerance", MODELS)
def test_pets_s2l1_pedestrian_counts_within_tolerance(tmp_path, assets, model, tolerance):
    result = analyze(tmp_path, assets / "footage/pets2009-s2l1/video.mp4", "--line", LAMP,
                     "--model", model)
    got = counts(result, "lamp")
    n_in, n_out = got.get("in", {}).get("pedestrian", 0), got.get("out", {}).get("pedestrian", 0)
    print(f"{model}: S2L1 in={n_in} (gt 18) out={n_out} (gt 14) at {result['fps']} fps")
    assert abs(n_in - 18) <= tolerance * 18, got
    assert abs(n_out - 14) <= tolerance * 14, got
    assert result["frames"] == 795


@pytest.mark.parametrize("model", [m for m, _ in MODELS])
def test_pets_s3mf1_exact(tmp_path, assets, model):
    result = analyze(tmp_path, assets / "footage/pets2009-s3mf1/video.mp4", "--line", LAMP,
                     "--model", model)
    assert counts(result, "lamp") == {"in": {"pedestrian": 5}, "out": {}}


def test_intel_cars_with_motion_detector_exact(tmp_path, assets):
    result = analyze(tmp_path, assets / "footage/intel-car-detection/video.mp4",
                     "--zones", "zones/intel-car-detection.yaml", "--model", "motion")
    assert counts(result, "mid") == {"in": {"car": 2}, "out": {"car": 2}}
