"""benchmarks.peers: the peer runners' plumbing and, above all, the direction mapping.

Runs in the product venv without any peer library. The tests marked ``integration`` start the
peers venv (``make bench-peers``) and skip when it is missing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import peers
from benchmarks.peers import PEERS, peer_command, peer_model, peer_python, run_peer
from benchmarks.peers.convention import (
    add_counts,
    direction,
    empty_counts,
    parse_line,
    product_class,
    side,
    supervision_to_ours,
    ultralytics_in_is_ours,
    ultralytics_to_ours,
)
from edge.classes import CLASSES
from edge.errors import EdgeError

LAMP = ((430.0, 0.0), (430.0, 576.0))  # PETS: right -> left is `in` (sample_videos manifest)
MID = ((0.0, 216.0), (768.0, 216.0))   # Intel car: driving down the image is `in`


def test_peers_importable_without_peer_libraries():
    out = subprocess.run(
        [sys.executable, "-c", "import sys, benchmarks.peers, benchmarks.peers.convention; "
         "print(sorted(m for m in ('torch', 'ultralytics', 'supervision', 'trackers') "
         "if m in sys.modules))"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- finding and running the peers ---------------------------------------------------------


def test_run_peer_returns_none_without_the_peers_venv(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGE_PEERS_PYTHON", str(tmp_path / "no-venv" / "bin" / "python"))
    assert peer_python() is None
    assert run_peer("supervision", tmp_path / "v.mp4", ["L:0,0,1,1"], "yolox_nano") is None


def test_peer_python_follows_the_env_var(tmp_path, monkeypatch):
    fake = tmp_path / "python"
    fake.write_text("")
    monkeypatch.setenv("EDGE_PEERS_PYTHON", str(fake))
    assert peer_python() == fake


def test_run_peer_rejects_an_unknown_peer(tmp_path):
    with pytest.raises(EdgeError, match="unknown peer 'deepstream'"):
        run_peer("deepstream", tmp_path / "v.mp4", [], "yolox_nano")


def test_run_peer_reports_the_runners_last_stderr_line(tmp_path, monkeypatch):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'Traceback noise' >&2\necho 'x: error: bad thing' >&2\n"
                    "exit 2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("EDGE_PEERS_PYTHON", str(fake))
    with pytest.raises(EdgeError, match=r"peer supervision on v.mp4 failed: x: error: bad thing"):
        run_peer("supervision", tmp_path / "v.mp4", ["L:0,0,1,1"], "yolox_nano")


def test_run_peer_reads_the_json_the_runner_writes(tmp_path, monkeypatch):
    # A stand-in runner: writes its own argv as the result, where --json says.
    fake = tmp_path / "python"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\na = sys.argv[1:]\n"
                    "open(a[a.index('--json') + 1], 'w').write(json.dumps({'argv': a}))\n")
    fake.chmod(0o755)
    monkeypatch.setenv("EDGE_PEERS_PYTHON", str(fake))
    got = run_peer("ultralytics", tmp_path / "v.mp4", ["a:1,2,3,4", "b:5,6,7,8"], "yolo11n_int8",
                   extra=["--tracker", "bytetrack.yaml"])
    argv = got["argv"]
    assert argv[:2] == ["-m", "benchmarks.peers.ultralytics_counter"]
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--line"] == ["a:1,2,3,4", "b:5,6,7,8"]
    assert argv[argv.index("--model") + 1] == "yolo11n_int8"
    assert argv[-2:] == ["--tracker", "bytetrack.yaml"]


def test_peer_command_names_each_runner(tmp_path):
    for peer in PEERS:
        cmd = peer_command(tmp_path / "py", peer, tmp_path / "v.mp4", ["L:0,0,1,1"], "m",
                           tmp_path / "o.json")
        assert cmd[2] == peers.RUNNERS[peer]
        assert cmd[cmd.index("--video") + 1] == str(tmp_path / "v.mp4")


def test_peer_model():
    assert peer_model("supervision", "yolox_nano") == "yolox_nano"
    assert peer_model("supervision", "yolo11n_int8") == "yolo11n_int8"
    assert peer_model("ultralytics", "yolox_nano") == "yolo11n_int8"
    assert peer_model("ultralytics", "picodet_s_416") == "yolo11n_int8"
    assert peer_model("ultralytics", "yolo11n_int8") == "yolo11n_int8"
    with pytest.raises(EdgeError):
        peer_model("nope", "yolox_nano")


# --- conventions ---------------------------------------------------------------------------


def test_side_and_direction_follow_the_ground_truth_convention():
    p1, p2 = LAMP
    assert side(p1, p2, np.array([[500, 300], [360, 300]])).tolist() == [-576 * 70, 576 * 70]
    assert direction(p1, p2, (500, 300), (360, 300)) == "in"      # right -> left
    assert direction(p1, p2, (360, 300), (500, 300)) == "out"
    assert direction(p1, p2, (360, 300), (380, 300)) is None       # same side
    assert direction(*MID, (300, 150), (300, 300)) == "in"         # downwards
    assert direction(*MID, (300, 300), (300, 150)) == "out"


def _supervision_rule(p1, p2, start, end) -> str | None:
    """LineZone.trigger as in supervision 0.31: state = cross product < 0; it counts `in` when
    the confirmed state flips to True (its cross product is our s)."""
    def state(q):
        return (p2[0] - p1[0]) * (q[1] - p1[1]) - (p2[1] - p1[1]) * (q[0] - p1[0]) < 0
    a, b = state(start), state(end)
    return None if a == b else ("in" if b else "out")


def _ultralytics_rule(p1, p2, start, end) -> str:
    """ObjectCounter.count_objects as in Ultralytics 8.4 for a 2-point region."""
    if abs(p1[0] - p2[0]) < abs(p1[1] - p2[1]):
        return "IN" if end[0] > start[0] else "OUT"
    return "IN" if end[1] > start[1] else "OUT"


def _crossings(n=200, seed=0):
    """Random lines and moves straight across their middle, both ways."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        p1, p2 = rng.uniform(0, 800, 2), rng.uniform(0, 800, 2)
        d = p2 - p1
        if np.hypot(*d) < 20:
            continue
        normal = np.array([-d[1], d[0]]) / np.hypot(*d)
        mid, k = (p1 + p2) / 2, rng.uniform(5, 60)
        for sign in (1, -1):
            a, b = mid - sign * k * normal, mid + sign * k * normal
            yield tuple(p1), tuple(p2), tuple(a), tuple(b)


def test_supervision_mapping_matches_our_direction():
    checked = 0
    for p1, p2, a, b in _crossings():
        assert supervision_to_ours(_supervision_rule(p1, p2, a, b)) == direction(p1, p2, a, b)
        checked += 1
    assert checked > 300


def test_ultralytics_mapping_matches_our_direction():
    checked = 0
    for p1, p2, a, b in _crossings(seed=1):
        assert ultralytics_to_ours(p1, p2, _ultralytics_rule(p1, p2, a, b)) == \
            direction(p1, p2, a, b)
        checked += 1
    assert checked > 300


def test_ultralytics_in_on_the_benchmark_lines():
    # PETS lamp drawn downwards: Ultralytics' IN (moving right) is our out; Intel mid drawn
    # rightwards: its IN (moving down) is our in. Reversing a line reverses the mapping.
    assert ultralytics_in_is_ours(*LAMP) is False
    assert ultralytics_in_is_ours(LAMP[1], LAMP[0]) is True
    assert ultralytics_in_is_ours(*MID) is True
    assert ultralytics_in_is_ours(MID[1], MID[0]) is False


def test_class_names_map_to_the_products():
    assert product_class("person") == "pedestrian"
    assert product_class(0) == "pedestrian"
    assert product_class("motorcycle") == "motorcycle"
    assert product_class(7) == "truck"
    assert product_class("dog") is None
    assert product_class(99) is None


def test_counts_have_the_edge_analyze_shape():
    counts = empty_counts(["a", "b"])
    add_counts(counts, "a", "in", {"pedestrian": 2, "dog": 5})
    assert set(counts) == {"a", "b"}
    assert list(counts["a"]) == ["in", "out"]
    assert list(counts["a"]["in"]) == list(CLASSES)
    assert counts["a"]["in"]["pedestrian"] == 2 and sum(counts["b"]["in"].values()) == 0


@pytest.mark.parametrize("text", ["lamp", "lamp:1,2,3", "lamp:1,2,1,2", "a b:1,2,3,4"])
def test_parse_line_rejects(text):
    with pytest.raises(EdgeError, match="malformed --line"):
        parse_line(text)


def test_parse_line():
    ln = parse_line("lamp:430,0,430,576")
    assert (ln.id, ln.p1, ln.p2) == ("lamp", (430.0, 0.0), (430.0, 576.0))


# --- against the real peer libraries (peers venv) -------------------------------------------


@pytest.fixture(scope="module")
def peers_python():
    py = peer_python()
    if py is None:
        pytest.skip("peers venv missing: run `make bench-peers`")
    return py


_SV_CHECK = """
import numpy as np, supervision as sv
from benchmarks.peers.convention import direction, supervision_to_ours
out = []
for p1, p2, xs, ys in [((430, 0), (430, 576), [500, 470, 440, 410, 380], [300] * 5),
                       ((430, 0), (430, 576), [380, 410, 440, 470, 500], [300] * 5),
                       ((0, 216), (768, 216), [300] * 5, [120, 170, 220, 270, 320])]:
    lz = sv.LineZone(start=sv.Point(*p1), end=sv.Point(*p2),
                     triggering_anchors=[sv.Position.BOTTOM_CENTER])
    for x, y in zip(xs, ys):
        lz.trigger(sv.Detections(xyxy=np.array([[x - 10, y - 50, x + 10, y]], float),
                                 class_id=np.array([0]), tracker_id=np.array([1])))
    got = supervision_to_ours("in" if lz.in_count else "out")
    out.append([got, direction(p1, p2, (xs[0], ys[0]), (xs[-1], ys[-1])),
                lz.in_count + lz.out_count])
import json
print(json.dumps(out))
"""


@pytest.mark.integration
def test_supervision_linezone_is_reversed_for_real(peers_python):
    out = subprocess.run([str(peers_python), "-c", _SV_CHECK], cwd=peers.REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-500:]
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    assert rows == [["in", "in", 1], ["out", "out", 1], ["in", "in", 1]]


@pytest.mark.integration
def test_peer_runner_bad_input_is_one_line(peers_python, tmp_path):
    missing = tmp_path / "missing.mp4"
    proc = subprocess.run([str(peers_python), "-m", peers.RUNNERS["supervision"], "--video",
                           str(missing), "--line", "lamp:430,0,430,576", "--model", "yolox_nano"],
                          cwd=peers.REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"benchmarks.peers.supervision_linezone: error: video file not found: {missing}"]
    with pytest.raises(EdgeError, match="video file not found"):
        run_peer("supervision", missing, ["lamp:430,0,430,576"], "yolox_nano")


@pytest.mark.integration
def test_supervision_peer_on_s3mf1(peers_python, assets):
    # PETS S3.MF1: a group of 5 walks right -> left across the lamp line, i.e. our `in`.
    out = run_peer("supervision", assets / "footage/pets2009-s3mf1/video.mp4",
                   ["lamp:430,0,430,576"], "yolox_nano", timeout=300)
    assert out["peer"] == "supervision" and set(out["versions"]) == {"supervision", "trackers"}
    assert out["frames"] == 107 and out["fps"] > 0 and out["wall_s"] > 0
    lamp = out["lines"]["lamp"]
    assert set(lamp) == {"in", "out"} and all(list(lamp[d]) == list(CLASSES) for d in lamp)
    # The direction mapping is what this checks: a reversed one would put them all in `out`.
    assert 4 <= lamp["in"]["pedestrian"] <= 5, lamp
    assert sum(lamp["out"].values()) == 0, lamp
    json.dumps(out)  # plain JSON all through


_UL_CHECK = """
import json, os, sys
os.environ["YOLO_OFFLINE"] = "1"; os.environ["YOLO_VERBOSE"] = "False"
from ultralytics import solutions
from benchmarks.peers.convention import direction, ultralytics_to_ours
out = []
for p1, p2, a, b in [((430, 0), (430, 576), (500, 300), (360, 300)),
                     ((430, 576), (430, 0), (500, 300), (360, 300)),
                     ((0, 216), (768, 216), (300, 150), (300, 300)),
                     ((768, 216), (0, 216), (300, 150), (300, 300))]:
    c = solutions.ObjectCounter(region=[p1, p2], model=sys.argv[1], imgsz=320, show=False,
                                verbose=False)
    c.initialize_region()
    c.count_objects(b, 1, a, 0)
    out.append([ultralytics_to_ours(p1, p2, "IN" if c.in_count else "OUT"),
                direction(p1, p2, a, b), c.in_count + c.out_count])
print(json.dumps(out))
"""


@pytest.mark.integration
def test_ultralytics_counter_mapping_for_real(peers_python, assets):
    # The installed ObjectCounter's own count_objects on known moves, mapped to ours.
    out = subprocess.run([str(peers_python), "-c", _UL_CHECK,
                          str(assets / "models/yolo11n_int8.onnx")], cwd=peers.REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-500:]
    rows = json.loads(out.stdout.strip().splitlines()[-1])
    assert rows == [["in", "in", 1], ["out", "out", 1], ["in", "in", 1], ["out", "out", 1]]
