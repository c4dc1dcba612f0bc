"""edge bench's parking section: runs per mode (still, still with an empty image of another day,
stream), tuning and check figures side by side, and the report's tables."""

from __future__ import annotations

import pytest

from benchmarks.bench import Matrix, focus_clips, focus_models, plan
from benchmarks.parking import REFERENCE, STILL, STREAM
from benchmarks.report import accuracy_only, parking_section

FULL, EMPTY, STREAM_CLIP = "pklot-pucpr-2012-09-11", "pklot-pucpr-2012-10-12", "pklot-pucpr-stream"


def _matrix() -> Matrix:
    return Matrix(models=["a"], clips=["pets"],
                  parking={"clips": [FULL, EMPTY], "models": ["a", "b"],
                           "streams": [STREAM_CLIP], "stream_models": ["a"]})


def test_plan_runs_each_still_alone_the_full_frames_with_their_reference_and_the_stream(
        monkeypatch):
    monkeypatch.setattr("benchmarks.bench._has_motion", lambda clip: False)
    monkeypatch.setattr("benchmarks.bench._has_reference", lambda clip: clip == FULL)
    parking = [(i.model, i.setting.name, i.clip) for i in plan(_matrix(), with_peers=False)
               if i.setting.name.startswith("parking")]
    assert parking == [("a", STILL, FULL), ("a", REFERENCE, FULL), ("a", STILL, EMPTY),
                       ("b", STILL, FULL), ("b", REFERENCE, FULL), ("b", STILL, EMPTY),
                       ("a", STREAM, STREAM_CLIP)]


def test_the_full_frames_of_the_manifest_name_their_reference():
    from benchmarks.bench import _has_reference
    assert _has_reference(FULL) and not _has_reference(EMPTY) and not _has_reference("nope")


def test_models_and_clips_focus_the_streams_too():
    m = _matrix()
    focus_models(m, ["b"])
    assert m.parking.models == ["b"] and m.parking.stream_models == []
    m = _matrix()
    focus_clips(m, [FULL])
    assert m.parking.clips == [FULL] and m.parking.streams == [] and m.clips == []
    m = _matrix()
    focus_clips(m, [STREAM_CLIP, "pets"])
    assert m.parking.streams == [STREAM_CLIP] and m.parking.clips == [] and m.clips == ["pets"]


def test_unknown_stream_is_refused():
    with pytest.raises(ValueError, match="unknown parking stream 'nope'"):
        Matrix(models=["a"], clips=["c"], parking={"streams": ["nope"]})


def _fig(acc: float, occupied: int) -> dict:
    return {"fitted_on": ["x"], "fit_detector": "a", "accuracy": acc, "errors": 0,
            "occupied": occupied, "occupied_all": occupied, "unknown": 0, "count_error": 0.0}


def _still(mode: str, tuning: float, check: float, ms: float) -> dict:
    return {"mode": mode, "spaces": 100, "labelled": 99, "true_occupied": 67, "camera": "pucpr",
            "reference": EMPTY if mode == "reference" else None, "tuning": _fig(tuning, 66),
            "check": _fig(check, 65), "tiles": 10, "tile_px": 320, "frame": "1280x720",
            "first_analysis_ms": ms, "ms_per_analysis": ms, "cpu_ms_per_analysis": ms,
            "cameras_at_1hz": 2000 / ms}


def _report(ms: float) -> dict:
    stream = {"mode": "stream", "spaces": 100, "labelled": 99, "true_occupied": 67,
              "learnt_at_switch": 94, "learnt_at_end": 94, "converged_s": None, "empty_s": 120.0,
              "full_s": 60.0, "frames": 360, "analyses": 180, "wall_s": ms, "cpu_s": ms,
              "camera": "pucpr", "check": {"fitted_on": ["u1", "u2"], "fit_detector": "a",
                                           "accuracy": 0.9798, "errors": 2, "occupied": 69,
                                           "count_error": 0.03},
              "ms_per_analysis": ms, "cpu_ms_per_analysis": ms, "cameras_at_1hz": 2000 / ms}
    runs = [("parking", FULL, _still("still", 0.97, 0.96, ms)),
            ("parking-reference", FULL, _still("reference", 0.99, 0.985, ms)),
            ("parking-stream", STREAM_CLIP, stream)]
    return {"matrix": {"parking": {"threads": 1}},
            "runs": [{"tool": "edge", "model": "a", "setting": s, "clip": c, "lines": {},
                      "suites": {"parking": p}} for s, c, p in runs]}


def test_report_has_one_table_per_mode_with_tuning_and_check_labelled():
    md = "\n".join(parking_section(_report(150.0)))
    assert "**Tuning**: the shipped space model" in md and "**Check**: a model fitted" in md
    assert "### One still, no empty image" in md
    assert "### One still, the camera's empty frame of another day as `reference`" in md
    assert "### Stream, the empty state learnt (check model only)" in md
    assert "| accuracy, tuning | accuracy, check |" in md
    assert f"| {FULL} | a | 97.0 % | 96.0 % | 66 / 65 | 67 |" in md
    assert f"| {FULL} | a | 99.0 % | 98.5 % |" in md
    assert f"| {STREAM_CLIP} | a | u1, u2 | 94 / 100 | 94 / 100 | 98.0 % | 69 / 67 | 180 |" in md
    assert parking_section({"matrix": {}, "runs": []}) == []


def test_timings_do_not_count_as_accuracy():
    assert accuracy_only(_report(150.0)) == accuracy_only(_report(420.0))


@pytest.mark.integration
def test_a_still_with_its_reference_scored_with_both_models(assets):  # noqa: ANN001
    """Real detector and frames: the analytic's own states are the tuning figure, the check
    model scores the same cues (the bench checks that re-scoring gives the analytic's states)."""
    pytest.importorskip("sklearn")
    from benchmarks.parking import run_parking

    r = run_parking(FULL, "yolox_nano", 1, repeats=1, reference=True)
    assert r["mode"] == "reference" and r["reference"] == EMPTY and r["camera"] == "pucpr"
    assert r["tuning"]["fitted_on"] == ["pklot-pucpr-2012-09-11", "pklot-pucpr-2012-10-12",
                                        "pklot-ufpr04-2012-12-20", "pklot-ufpr04-2012-12-28"]
    assert "pucpr" not in " ".join(r["check"]["fitted_on"])  # fitted without this camera
    assert r["tuning"]["accuracy"] >= 0.97 and r["check"]["accuracy"] >= 0.97
    assert r["labelled"] == 99 and r["tiles"] == 10 and r["cpu_ms_per_analysis"] > 0
