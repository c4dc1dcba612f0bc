"""Per-model tracker score calibration from the manifest, under the camera's own settings."""

from __future__ import annotations

import pytest

from edge.errors import EdgeError
from edge.manifest import MANIFEST_PATH, load_manifest
from edge.runner import tracker_settings
from edge.tracking import TrackerSettings


def test_calibration_applies_unless_the_camera_sets_the_field():
    cal = {"high_score": 0.3, "new_track_score": 0.4}
    assert tracker_settings(cal, TrackerSettings()).high_score == 0.3
    merged = tracker_settings(cal, TrackerSettings(high_score=0.6))
    assert (merged.high_score, merged.new_track_score) == (0.6, 0.4)
    assert tracker_settings({}, TrackerSettings()) == TrackerSettings()


def test_manifest_calibrations_are_valid_tracker_fields(tmp_path):
    assert load_manifest().get("yolo11n_int8").tracker == {"high_score": 0.3,
                                                           "new_track_score": 0.4}
    bad = tmp_path / "manifest.yaml"
    bad.write_text(MANIFEST_PATH.read_text().replace("new_track_score: 0.4", "new_score: 0.4"))
    with pytest.raises(EdgeError, match="invalid model manifest"):
        load_manifest(bad)
