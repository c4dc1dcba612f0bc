"""Bad input through the real CLI: one line on stderr naming the culprit, exit code 2, never a
traceback. Most cases need no assets: a tiny video is written with OpenCV; the frame-size check
against a real clip uses PETS 2009 S2L1 (integration)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.integration.cli import edge


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDGE_DEBUG", raising=False)  # it turns errors into tracebacks on purpose


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, decodable 64x48 clip of 5 frames."""
    path = tmp_path_factory.mktemp("video") / "tiny.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    assert out.isOpened()
    for i in range(5):
        out.write(np.full((48, 64, 3), 40 * i, np.uint8))
    out.release()
    return path


def error_line(*args: str) -> str:
    """Run ``edge ARGS``; assert the failure contract and return the one stderr line."""
    proc = edge(*args, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{proc.stderr}"
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert lines[0].startswith("edge: error: "), lines[0]
    assert proc.stdout == "", proc.stdout  # no half-written result
    return lines[0]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# -- edge analyze --------------------------------------------------------------------------------


def test_missing_video_file():
    line = error_line("analyze", "/nope.mp4", "--line", "a:0,0,10,10")
    assert "/nope.mp4" in line and "not found" in line


def test_corrupt_model_file(tmp_path, video):
    model = tmp_path / "yolox_nano.onnx"  # a manifest file name, so only its content is wrong
    model.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, np.uint8).tobytes())
    line = error_line("analyze", str(video), "--line", "a:0,0,10,10", "--model", str(model))
    assert str(model) in line and "not a readable ONNX model" in line


def test_text_file_as_model(tmp_path, video):
    model = write(tmp_path / "yolox_nano.onnx", "this is not a model\n" * 20)
    line = error_line("analyze", str(video), "--line", "a:0,0,10,10", "--model", str(model))
    assert str(model) in line and "not a readable ONNX model" in line


def test_unlisted_model_file_without_family(tmp_path, video):
    model = write(tmp_path / "mine.onnx", "not a model")
    line = error_line("analyze", str(video), "--line", "a:0,0,10,10", "--model", str(model))
    assert str(model) in line and "family" in line


def test_unknown_model_name_lists_known_models(video):
    line = error_line("analyze", str(video), "--line", "a:0,0,10,10", "--model", "nosuchmodel")
    assert "'nosuchmodel'" in line
    for known in ("yolox_nano", "picodet_s_416", "nanodet_m"):
        assert known in line


@pytest.mark.parametrize("arg,why", [
    ("a:1,2,3", "ID:x1,y1,x2,y2"),       # three numbers
    ("a1,2,3,4", "ID:x1,y1,x2,y2"),      # no id
    ("a:x,2,3,4", "ID:x1,y1,x2,y2"),     # not a number
    ("a:1,2,3,4,5", "ID:x1,y1,x2,y2"),   # five numbers
    ("a b:1,2,3,4", "ID:x1,y1,x2,y2"),   # space in the id
    ("a:5,5,5,5", "same point"),          # degenerate: zero length
])
def test_malformed_line(video, arg, why):
    line = error_line("analyze", str(video), "--line", "ok:0,0,10,10", "--line", arg)
    assert repr(arg) in line and why in line


def test_duplicate_line_ids(video):
    line = error_line("analyze", str(video), "--line", "a:0,0,10,10", "--line", "a:0,5,10,5")
    assert "'a'" in line and "duplicate" in line


def test_self_intersecting_mask_points_at_file_and_line(tmp_path, video):
    zones = write(tmp_path / "bowtie.yaml", (
        "frame_size: [64, 48]\n"
        "lines:\n"
        "  - {id: mid, p1: [32, 0], p2: [32, 48]}\n"
        "masks:\n"
        "  - id: bow\n"
        "    polygon: [[0, 0], [20, 20], [20, 0], [0, 20]]\n"))
    line = error_line("analyze", str(video), "--zones", str(zones))
    assert f"{zones}:6:" in line, line  # the polygon's own line
    assert "masks.0.polygon" in line and "elf-intersection" in line


def test_line_outside_declared_frame_size(tmp_path, video):
    zones = write(tmp_path / "outside.yaml", (
        "frame_size: [768, 576]\n"
        "lines:\n"
        "  - id: far\n"
        "    p1: [900, 0]\n"
        "    p2: [900, 576]\n"))
    line = error_line("analyze", str(video), "--zones", str(zones))
    assert str(zones) in line and "'far'" in line and "(900, 0)" in line and "768x576" in line


def test_line_outside_the_video_frame_from_argument(video):
    line = error_line("analyze", str(video), "--line", "far:100,0,100,48")
    assert "'far'" in line and "(100, 0)" in line and "64x48" in line and str(video) in line


def test_yaml_syntax_error_has_line_number(tmp_path, video):
    zones = write(tmp_path / "broken.yaml", (
        "lines:\n"
        "  - id: a\n"
        "    p1: [0, 0\n"
        "    p2: [1, 1]\n"))
    line = error_line("analyze", str(video), "--zones", str(zones))
    assert f"{zones}:4:" in line and "invalid YAML" in line


def test_missing_zones_file(tmp_path, video):
    line = error_line("analyze", str(video), "--zones", str(tmp_path / "nope.yaml"))
    assert str(tmp_path / "nope.yaml") in line


@pytest.mark.integration
def test_line_outside_the_real_clip(tmp_path, assets):
    clip = assets / "footage/pets2009-s2l1/video.mp4"
    zones = write(tmp_path / "far.yaml", "lines:\n  - {id: far, p1: [2000, 0], p2: [2000, 576]}\n")
    line = error_line("analyze", str(clip), "--zones", str(zones))
    assert "'far'" in line and "(2000, 0)" in line and "768x576" in line and str(clip) in line


# -- edge run --------------------------------------------------------------------------------------

SITE = """\
site: t
api:
  tokens: ["0123456789abcdef"]
store:
  path: {store}
cameras:
  - id: cam
    source: {source}
{extra}"""


def site(tmp_path: Path, source: str | Path, extra: str = "") -> Path:
    return write(tmp_path / "site.yaml",
                 SITE.format(store=tmp_path / "s.db", source=source, extra=extra))


def test_missing_site_config(tmp_path):
    line = error_line("run", str(tmp_path / "nosuch.yaml"))
    assert str(tmp_path / "nosuch.yaml") in line


def test_unknown_key_in_site_config(tmp_path, video):
    path = site(tmp_path, video, "    colour: red\n")
    line = error_line("run", str(path))
    assert f"{path}:9:" in line and "cameras.0.colour" in line


def test_yaml_syntax_error_in_site_config(tmp_path, video):
    path = site(tmp_path, video, "    zones: {lines: [\n")
    line = error_line("run", str(path))
    assert str(path) in line and "invalid YAML" in line


def test_site_config_with_short_token(tmp_path, video):
    path = write(tmp_path / "site.yaml", SITE.format(store=tmp_path / "s.db", source=video,
                                                     extra="").replace("0123456789abcdef", "abc"))
    line = error_line("run", str(path))
    assert f"{path}:3:" in line and "api.tokens" in line and "8 characters" in line


def test_site_config_with_missing_video(tmp_path):
    path = site(tmp_path, tmp_path / "gone.mp4")
    line = error_line("run", str(path))
    assert str(tmp_path / "gone.mp4") in line


def test_site_config_with_unknown_model(tmp_path, video):
    path = site(tmp_path, video, "    detector: {type: onnx, model: nosuchmodel}\n")
    line = error_line("run", str(path))
    assert "'nosuchmodel'" in line and "yolox_nano" in line


def test_site_config_zones_file_with_bad_polygon(tmp_path, video):
    write(tmp_path / "z.yaml",
          "masks:\n  - id: bow\n    polygon: [[0, 0], [9, 9], [9, 0], [0, 9]]\n")
    path = site(tmp_path, video, "    zones: z.yaml\n")
    line = error_line("run", str(path))
    assert f"{tmp_path / 'z.yaml'}:3:" in line and "masks.0.polygon" in line


def test_site_config_missing_zones_file(tmp_path, video):
    path = site(tmp_path, video, "    zones: nope.yaml\n")
    line = error_line("run", str(path))
    assert f"{path}:9:" in line and "nope.yaml" in line


def test_api_port_already_in_use(tmp_path, video):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = error_line("run", str(site(tmp_path, video)), "--port", str(port))
    assert f"127.0.0.1:{port}" in line and "api" in line


# -- drop-off zones and webhooks -----------------------------------------------------------------


@pytest.mark.parametrize("arg,why", [
    ("bins:1,2,3,4", "at least 3 points"),          # two points
    ("bins:1,2,3,4,5", "at least 3 points"),        # odd count
    ("1,2,3,4,5,6", "ID:x1,y1"),                    # no id
    ("bins:a,2,3,4,5,6", "ID:x1,y1"),               # not a number
    ("bins:0,0,40,40,40,0,0,40", "invalid polygon"),  # self-intersecting
    ("bins:0,0,4,0,4,4", "too small"),
])
def test_malformed_dropoff(video, arg, why):
    line = error_line("analyze", str(video), "--dropoff", arg)
    assert why in line and ("--dropoff" in line)


def test_dropoff_outside_the_video_frame(video):
    line = error_line("analyze", str(video), "--dropoff", "bins:0,0,60,0,60,90")
    assert "drop-off zone 'bins'" in line and "outside the 64x48 frame" in line


@pytest.mark.parametrize("dwell", ["0", "-3", "inf"])
def test_bad_dwell(video, dwell):
    line = error_line("analyze", str(video), "--dropoff", "bins:0,0,40,0,40,40", "--dwell", dwell)
    assert "--dwell" in line


def test_dwell_without_a_dropoff_zone(video):
    assert "--dwell needs a drop-off zone" in error_line("analyze", str(video), "--dwell", "5")


def test_webhook_secret_variable_unset(tmp_path, video, monkeypatch):
    monkeypatch.delenv("NO_SUCH_SECRET_VAR", raising=False)
    path = site(tmp_path, video, "webhooks:\n  - id: ops\n    url: https://ops.example/h\n"
                                 "    secret_env: NO_SUCH_SECRET_VAR\n")
    line = error_line("run", str(path))
    assert f"{path}:" in line and "NO_SUCH_SECRET_VAR" in line and "webhook 'ops'" in line


def test_dropoff_zone_naming_an_unknown_webhook(tmp_path, video):
    path = site(tmp_path, video, "    zones:\n      dumping:\n        zones:\n"
                                 "          - {id: bins, polygon: [[0, 0], [40, 0], [40, 40]], "
                                 "webhooks: [nope]}\n")
    line = error_line("run", str(path))
    assert "'bins'" in line and "'nope'" in line
