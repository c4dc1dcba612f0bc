"""benchmarks.speed and benchmarks.counts: report formatting, scoring, and smoke runs of the real
runner on a synthetic clip with the motion detector (no assets needed).

The synthetic clip (written with cv2.VideoWriter) is a textured grey background on which, after
the motion detector's warm-up, a bright 70x50 box drives down across the line y=120: one `in`
crossing of a car-sized blob. It checks the plumbing, never an accuracy claim.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import Clip, line_arg, load_clip, markdown_table, run_cli, split_names
from benchmarks import counts as bench_counts
from benchmarks import speed as bench_speed
from edge.analyze import parse_line_arg
from edge.assets import ClipManifest
from edge.detectors import YoloxDetector
from edge.detectors.onnx_model import DetectClock
from edge.errors import EdgeError
from edge.manifest import load_manifest

W, H, FRAMES, FPS = 320, 240, 40, 10.0
MID = "mid:0,120,320,120"  # horizontal: moving down is `in`


def write_clip(path: Path, frames: int = FRAMES) -> Path:
    rng = np.random.default_rng(0)
    bg = cv2.GaussianBlur(rng.integers(60, 140, (H, W, 3), dtype=np.uint8), (7, 7), 0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    assert writer.isOpened()
    for i in range(frames):
        img = bg.copy()
        if i >= 12:  # after the motion detector's 10 warm-up frames
            y = 20 + 8 * (i - 12)
            cv2.rectangle(img, (120, y), (190, y + 50), (230, 230, 230), -1)
        noise = rng.integers(-3, 4, img.shape)
        writer.write(np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8))
    writer.release()
    return path


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("bench") / "synth.avi")


# -- shared helpers ------------------------------------------------------------------------------


def test_markdown_table_aligns_numbers_and_formats_cells() -> None:
    text = markdown_table(["model", "fps", "note"], [["a|b", 31.234, None], ["c", 7, "x"]])
    assert text.splitlines() == [
        "| model | fps | note |",
        "|---|---:|---|",
        "| a\\|b | 31.23 | — |",
        "| c | 7 | x |",
    ]
    with pytest.raises(ValueError, match="3 cells"):
        markdown_table(["a", "b", "c"], [[1, 2]])


def test_line_arg_round_trips_through_the_cli_parser() -> None:
    text = line_arg("lamp", (430, 0), (430.5, 576))
    assert text == "lamp:430,0,430.5,576"
    line = parse_line_arg(text)
    assert (line.id, line.p1, line.p2) == ("lamp", (430, 0), (430.5, 576))


def test_split_names_takes_commas_and_repeats() -> None:
    assert split_names(["a,b", " c ", "d,,"]) == ["a", "b", "c", "d"]


def test_load_clip_prefers_zones_file_else_manifest_lines(tmp_path: Path, monkeypatch,
                                                         clip_path: Path) -> None:
    assets = tmp_path / "assets"
    (assets / "footage").mkdir(parents=True)
    video = assets / "footage" / "synth.avi"
    video.write_bytes(clip_path.read_bytes())
    monkeypatch.setenv("EDGE_ASSETS", str(assets))
    manifest = ClipManifest.model_validate({"clips": [{
        "name": "synth", "path": "footage/synth.avi", "width": W, "height": H, "fps": FPS,
        "frames": FRAMES, "license": "test", "credit": "test",
        "sha256": hashlib.sha256(video.read_bytes()).hexdigest(),
        "lines": [{"id": "mid", "p1": [0, 120], "p2": [320, 120]}],
        "line_totals": {"mid": {"in": 1, "out": 0}}}]})
    zones = tmp_path / "zones"
    zones.mkdir()
    clip = load_clip("synth", manifest, zones_dir=zones)
    assert (clip.path, clip.zones, clip.lines) == (video, None, (MID,))
    assert clip.truth == {"mid": {"in": 1, "out": 0}} and clip.frames == FRAMES
    (zones / "synth.yaml").write_text("lines:\n  - {id: mid, p1: [0, 120], p2: [320, 120]}\n")
    clip = load_clip("synth", manifest, zones_dir=zones)
    assert (clip.zones, clip.lines) == (zones / "synth.yaml", ())


def test_unknown_clip_is_one_line_exit_2(capsys) -> None:
    assert run_cli("benchmarks.speed", bench_speed.main, ["--clip", "no-such-clip"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("benchmarks.speed: error: unknown clip 'no-such-clip'")
    assert "\n" not in err


# -- detector hook -------------------------------------------------------------------------------


class _FakeYoloxModel:
    """Stands in for the onnxruntime session: YOLOX-shaped zeros, so nothing is detected."""

    path = Path("fake.onnx")

    def check_input(self, size: tuple[int, int]) -> None:
        pass

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        return [np.zeros((1, 3549, 85), np.float32)]


def test_onnx_detector_clock_counts_each_step_but_not_the_warm_up() -> None:
    det = YoloxDetector(load_manifest().get("yolox_nano"), _FakeYoloxModel())
    assert det.clock == DetectClock()
    for _ in range(3):
        det.detect(np.zeros((H, W, 3), np.uint8))
    c = det.clock
    assert c.frames == 3
    assert c.preprocess > 0 and c.inference > 0 and c.postprocess > 0


# -- speed ---------------------------------------------------------------------------------------


def _raw_run(frames: int = 10, wall: float = 1.0, steps: bool = True) -> dict:
    return {"frames": frames, "errors": 0, "decoded": frames, "source_fps": 10.0, "wall_s": wall,
            "decode_s": 0.1, "detect_s": 0.5, "track_s": 0.05, "count_s": 0.01,
            "steps_s": {"preprocess": 0.1, "inference": 0.3, "postprocess": 0.05} if steps
            else None, "cpu_s": 0.8, "peak_rss_mib": 200.0, "lines": {}}


def test_summarise_converts_seconds_to_ms_per_frame() -> None:
    row = bench_speed.summarise(_raw_run(), "yolox_nano", (4.0, 3.5))
    ms = row["ms_per_frame"]
    assert (row["fps"], row["target"]) == (10.0, "FAIL")
    assert ms["wall"] == pytest.approx(100) and ms["detect"] == pytest.approx(50)
    assert ms["decode"] == pytest.approx(10) and ms["inference"] == pytest.approx(30)
    assert (ms["decode_alone"], ms["decode_alone_cpu"]) == (4.0, 3.5)
    assert ms["other"] == pytest.approx(100 - 50 - 5 - 1)
    assert row["cpu_s_per_video_s"] == pytest.approx(0.8)  # 10 frames at 10 fps = 1 s of video
    assert row["cores_busy"] == pytest.approx(0.8)
    fast = bench_speed.summarise(_raw_run(frames=50, steps=False), "motion")
    assert (fast["fps"], fast["target"]) == (50.0, "PASS")
    assert fast["ms_per_frame"]["preprocess"] is None


def test_speed_markdown_has_machine_table_and_target_line() -> None:
    machine = {"cores": 2, "cpu": "Test CPU", "load_avg": [0.5, 0.4, 0.3], "python": "3",
               "onnxruntime": "1", "opencv": "4"}
    report = {"clip": "pets2009-s2l1", "threads": 2, "repeat": 3, "machine": machine,
              "results": [bench_speed.summarise(_raw_run(frames=300), "yolox_nano"),
                          bench_speed.summarise(_raw_run(frames=5), "nanodet_m")]}
    text = bench_speed.to_markdown(report)
    assert "2 cores, Test CPU; load average 0.50/0.40/0.30" in text
    assert "median of 3 runs" in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| yolox_nano") or
            ln.startswith("| nanodet_m")]
    assert len(rows) == 2 and "| 300.00 | 300.0 | PASS |" in rows[0] and "| FAIL |" in rows[1]
    targets = [ln for ln in text.splitlines() if ln.startswith("Target")]
    assert targets == ["Target (issue): ≥ 25 analysed fps with yolox_nano on 2 cores: "
                       "**PASS** at 300.0 fps"]


def test_speed_smoke_on_synthetic_clip(clip_path: Path) -> None:
    clip = dataclasses.replace(load_clip(str(clip_path)), lines=(MID,))
    report = bench_speed.run_speed(clip, ["motion"], repeat=2, log=False)
    json.dumps(report)  # serialisable as is
    assert report["machine"]["cores"] >= 1 and report["clip"] == "synth"
    (row,) = report["results"]
    assert row["frames"] == FRAMES and row["errors"] == 0 and len(row["fps_runs"]) == 2
    assert row["fps"] == pytest.approx(FRAMES / row["wall_s"], rel=0.01)
    ms = row["ms_per_frame"]
    assert set(ms) == set(bench_speed.STAGES)
    for stage in ("wall", "decode", "decode_alone", "detect", "track", "count"):
        assert ms[stage] > 0, stage
    assert ms["preprocess"] is None  # the motion detector has no ONNX steps
    # Detect, track and count run one after the other inside the wall time; the decoder runs
    # in parallel on its own thread, also within it.
    margin = 0.05 * ms["wall"] + 0.01
    assert ms["detect"] + ms["track"] + ms["count"] <= ms["wall"] + margin
    assert ms["decode"] <= ms["wall"] + margin
    assert row["cpu_s"] > 0 and row["cpu_s_per_video_s"] > 0 and row["peak_rss_mib"] > 10
    assert row["lines"]["mid"]["in"]["car"] == 1
    assert "| motion | 40 |" in bench_speed.to_markdown(report)


def test_speed_cli_writes_json_and_markdown(tmp_path: Path, clip_path: Path, capsys) -> None:
    out, md = tmp_path / "o" / "speed.json", tmp_path / "speed.md"
    argv = ["--clip", str(clip_path), "--model", "motion", "--line", MID, "--json", str(out),
            "--markdown", str(md)]
    assert bench_speed.main(argv) == 0
    report = json.loads(out.read_text())
    assert [r["model"] for r in report["results"]] == ["motion"]
    assert md.read_text() == capsys.readouterr().out


# -- counts --------------------------------------------------------------------------------------


def test_score_sums_classes_and_compares_with_truth() -> None:
    lines = {"lamp": {"in": {"pedestrian": 16, "bicycle": 1, "car": 0},
                      "out": {"pedestrian": 14}}}
    rows = bench_counts.score(lines, {"lamp": {"in": 18, "out": 14}})
    assert [(r["direction"], r["count"], r["truth"], r["abs_error"]) for r in rows] == [
        ("in", 17, 18, 1), ("out", 14, 14, 0)]
    assert rows[0]["rel_error"] == pytest.approx(1 / 18, abs=1e-4)
    assert rows[0]["by_class"] == {"pedestrian": 16, "bicycle": 1}
    zero = bench_counts.score({"l": {"in": {"car": 2}, "out": {}}}, {"l": {"in": 0, "out": 0}})
    assert [(r["abs_error"], r["rel_error"]) for r in zero] == [(2, None), (0, None)]
    with pytest.raises(EdgeError, match="no line 'lamp'"):
        bench_counts.score({"other": {}}, {"lamp": {"in": 1, "out": 0}}, "c")


def test_counts_summary_and_markdown() -> None:
    machine = {"cores": 2, "cpu": "T", "load_avg": [0, 0, 0], "python": "3", "onnxruntime": "1",
               "opencv": "4"}
    row = {"line": "l", "direction": "in", "count": 3, "truth": 4, "abs_error": 1,
           "rel_error": 0.25, "by_class": {"car": 2, "bus": 1}}
    report = {"threads": 2, "machine": machine, "clips": ["a", "b"], "models": ["m"],
              "results": [{"model": "m", "clip": c, "frames": 9, "fps": f, "rows": [row]}
                          for c, f in (("a", 20.0), ("b", 30.0))]}
    (s,) = bench_counts.summary(report)
    assert (s["abs_error"], s["truth"], s["rel_error"], s["exact"]) == (2, 8, 0.25, "0/2")
    text = bench_counts.to_markdown(report)
    assert "| m | a | l | in | 3 | 4 | 1 | 25 % | car 2, bus 1 | 20.00 |" in text
    assert "| m | 2 | 8 | 25 % | 0/2 | 20.00 | 30.00 |" in text


def test_counts_smoke_on_synthetic_clip(clip_path: Path) -> None:
    clip = Clip(name="synth", path=clip_path, lines=(MID,), truth={"mid": {"in": 1, "out": 0}})
    report = bench_counts.run_counts([clip], ["motion"], log=False)
    json.dumps(report)
    (res,) = report["results"]
    assert res["frames"] == FRAMES and res["fps"] > 0
    assert [(r["direction"], r["count"], r["abs_error"]) for r in res["rows"]] == [
        ("in", 1, 0), ("out", 0, 0)]
    assert res["rows"][0]["by_class"] == {"car": 1}


# -- real assets ---------------------------------------------------------------------------------


@pytest.mark.integration
def test_speed_and_counts_on_real_clip_with_yolox(assets: Path) -> None:
    clip = load_clip("pets2009-s3mf1")
    assert clip.zones is not None and clip.truth == {"lamp": {"in": 5, "out": 0}}
    report = bench_speed.run_speed(clip, ["yolox_nano"], log=False)
    (row,) = report["results"]
    ms = row["ms_per_frame"]
    assert row["frames"] == 107
    # The default detector is a pool of 2 single-threaded runs: each frame's steps cost the
    # machine half their time, and all of them fit in the run's wall time.
    assert row["workers"] == 2
    assert 0 < ms["preprocess"] + ms["inference"] + ms["postprocess"] <= ms["wall"]
    got = bench_counts.score(row["lines"], clip.truth)
    assert sum(r["truth"] for r in got) == 5
