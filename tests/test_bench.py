"""edge bench: planning, matrix validation, suite arithmetic, and two runs giving identical
accuracy on real footage."""

from __future__ import annotations

import json
import math

import pytest

from benchmarks.bench import Matrix, Setting, load_matrix, main_args, parser, plan
from benchmarks.report import accuracy_only, per_model, to_markdown
from benchmarks.suites.base import Run
from benchmarks.suites.counting import CountingSuite, geh
from benchmarks.truth import Crossing, Truth, crossings_from_mot
from edge.errors import EdgeError


def _run(lines: dict, crossings: list[Crossing], intervals: dict | None = None) -> Run:
    return Run("edge", "m", "default", "clip", Truth(crossings), 10.0, lines, {"fps": 30.0},
               intervals or {}, 60)


def test_geh_known_values():
    assert geh(0, 0) == 0.0
    assert math.isclose(geh(5, 0), math.sqrt(10))
    assert math.isclose(geh(110, 100), math.sqrt(2 * 100 / 210))


def test_counting_suite_is_class_aware():
    truth = [Crossing("L", 5, "car", "in"), Crossing("L", 9, "car", "in"),
             Crossing("L", 12, "pedestrian", "out")]
    got = {"L": {"in": {"car": 1, "truck": 1}, "out": {"pedestrian": 1}}}
    s = CountingSuite().score(_run(got, truth, {"L": {"in": [2], "out": [1]}}))
    # car 1/2 (1 missing) + truck 1/0 (1 extra): 2 errors over 3 true crossings.
    assert s["abs_error"] == 2 and s["truth_total"] == 3
    assert math.isclose(s["weighted_error"], 2 / 3)
    assert s["total_error"] == 0.0          # class-agnostic totals agree
    assert s["geh_max"] == 0.0              # per interval, all classes: 2/2 and 1/1


def test_a_true_van_counted_as_car_or_truck_is_right():
    truth = [Crossing("L", 5, "van", "in"), Crossing("L", 9, "car", "in")]
    s = CountingSuite().score(_run({"L": {"in": {"car": 2}}}, truth))
    assert s["abs_error"] == 0
    s = CountingSuite().score(_run({"L": {"in": {"car": 1}}}, truth))
    assert s["abs_error"] == 1            # the van was missed


def test_crossings_from_mot_uses_bottom_centre_and_the_segment():
    # id 1 walks right to left across x=50 (feet at y=90); id 2 crosses below the segment's end.
    rows = [[f, 1, 80 - 10 * f, 30, 10, 60] for f in range(1, 7)] + \
           [[f, 2, 80 - 10 * f, 150, 10, 60] for f in range(1, 7)]
    import numpy as np
    got = crossings_from_mot(np.array(rows, float), [("L", (50, 0), (50, 100))])
    assert got == [Crossing("L", 4, "pedestrian", "in")]


def test_plan_runs_motion_only_where_zones_size_it(monkeypatch):
    monkeypatch.setattr("benchmarks.bench._has_motion", lambda clip: clip == "intel")
    m = Matrix(models=["yolox_nano", "motion"], clips=["pets", "intel"])
    items = plan(m, with_peers=False)
    assert [(i.model, i.clip) for i in items] == [
        ("yolox_nano", "pets"), ("yolox_nano", "intel"), ("motion", "intel")]


def test_plan_adds_the_product_twin_of_each_peer_run(monkeypatch):
    monkeypatch.setattr("benchmarks.bench._has_motion", lambda clip: False)
    monkeypatch.setattr("benchmarks.bench.peer_model",
                        lambda tool, model: "yolo11n_int8" if tool == "ultralytics" else model)
    m = Matrix(models=["yolox_nano"], clips=["pets"],
               peers={"tools": ["ultralytics", "supervision"], "clips": ["pets"],
                      "models": ["yolox_nano"]})
    planned = [(i.tool, i.model, i.clip) for i in plan(m, with_peers=True)]
    assert planned == [(i.tool, i.model, i.clip) for i in plan(m, with_peers=True)]  # stable
    items = set(planned)
    assert ("ultralytics", "yolo11n_int8", "pets") in items
    assert ("edge", "yolo11n_int8", "pets") in items       # same model as the peer
    assert ("supervision", "yolox_nano", "pets") in items


def test_matrix_errors_point_at_the_line(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text("models: [yolox_nano]\nclips: [pets]\nsettings:\n  - name: x\n"
                   "    tracker: {colour: red}\n")
    with pytest.raises(EdgeError, match=r"m.yaml:5: settings.0.tracker"):
        load_matrix(bad)
    bad.write_text("models: [yolox_nano]\nclips: [pets]\ninterval_s: 90\n")
    with pytest.raises(EdgeError, match=r"m.yaml:3: interval_s"):
        load_matrix(bad)


def test_setting_rejects_unknown_tracker_knobs():
    with pytest.raises(ValueError):
        Setting(name="x", tracker={"nope": 1})


@pytest.mark.integration
def test_two_runs_give_identical_accuracy(tmp_path, assets):
    reports = []
    for i in range(2):
        args = parser().parse_args(["--models", "yolox_nano", "--clips", "pets2009-s3mf1",
                                    "--no-peers", "--no-plots", "--out", str(tmp_path / str(i))])
        assert main_args(args) == 0
        reports.append(json.loads((tmp_path / str(i) / "report.json").read_text()))
    assert accuracy_only(reports[0]) == accuracy_only(reports[1])
    run = reports[0]["runs"][0]
    assert set(run["suites"]) == {"counting", "tracking", "detection", "cost"}
    assert run["suites"]["counting"]["weighted_error"] == 0.0       # 5 in, exactly
    assert 0.3 < run["suites"]["tracking"]["HOTA"] <= 1.0
    assert run["suites"]["cost"]["gflops_per_frame"] > 0.5
    md = (tmp_path / "0" / "report.md").read_text()
    assert "## Tracking and detection" in md and "yolox_nano" in md
    assert per_model(reports[0])[0]["weighted_error"] == 0.0
    assert to_markdown(reports[0], []).startswith("# edge bench report")


def test_models_and_clips_options_focus_every_section():
    from benchmarks.bench import focus_clips, focus_models
    m = Matrix(models=["a", "b"], clips=["pets"],
               parking={"clips": ["lot1", "lot2"], "models": ["a", "b"]},
               dumping={"clips": ["pets-short", "intel-short"], "models": ["a", "c"]})
    focus_models(m, ["a"])
    assert m.models == ["a"] and m.parking.models == ["a"] and m.dumping.models == ["a"]
    focus_clips(m, ["pets", "lot2", "intel-short"])
    assert m.clips == ["pets"] and m.parking.clips == ["lot2"]
    assert m.dumping.clips == ["intel-short"]
    focus_clips(m, ["pets"])
    assert m.parking.clips == [] and m.dumping.clips == []


def test_dumping_section_takes_all_and_refuses_unknown_scenarios():
    from benchmarks.dumping.scenarios import names
    assert Matrix(models=["a"], clips=["c"], dumping={"clips": ["all"]}).dumping.clips == names()
    with pytest.raises(ValueError, match="unknown drop-off scenario 'nope'"):
        Matrix(models=["a"], clips=["c"], dumping={"clips": ["nope"]})
