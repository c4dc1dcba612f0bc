"""A still image as a camera source: parsed as kind "image", played as a short static clip, and an
unreadable image is one EdgeError line (and nothing from the codecs on stderr)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.errors import EdgeError
from edge.sources import SourceSpec, StillSource, parse_source, read_image


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "still.png"
    image = np.zeros((48, 64, 3), np.uint8)
    image[10:20, 30:40] = (0, 0, 255)
    assert cv2.imwrite(str(path), image)
    return path


@pytest.mark.parametrize("name", ["a.jpg", "b.JPEG", "c.png", "d.bmp", "e.webp"])
def test_image_suffixes_parse_as_images(tmp_path, name):
    (tmp_path / name).write_bytes(b"x")
    spec = parse_source(str(tmp_path / name))
    assert spec == SourceSpec("image", str(tmp_path / name))
    assert not spec.live and spec.redacted() == str(tmp_path / name)


def test_missing_image_says_image(tmp_path):
    with pytest.raises(EdgeError, match="image file not found"):
        parse_source(str(tmp_path / "gone.jpg"))


def test_plays_a_static_clip(png):
    src = StillSource("cam", parse_source(str(png)), fps=2.0, seconds=3.0, epoch_base=1000.0)
    assert src.frame_size == (64, 48) and src.source_fps == 2.0
    assert src.read(0.1) is None and not src.finished  # nothing before start
    assert src.status().state == "starting"
    src.start()
    assert src.status().state == "running"
    frames = []
    while (frame := src.read(0.1)) is not None:
        frames.append(frame)
    assert [f.index for f in frames] == list(range(6))
    assert [f.media_ts for f in frames] == [i / 2 for i in range(6)]
    assert [f.wall_ts for f in frames] == [1000.0 + i / 2 for i in range(6)]
    assert all(f.image[15, 35].tolist() == [0, 0, 255] for f in frames)
    assert src.finished and src.status().state == "stopped" and src.status().frames == 6


def test_at_least_one_frame_and_stop(png):
    src = StillSource("cam", parse_source(str(png)), fps=1.0, seconds=0.2)
    src.start()
    assert src.read(0) is not None and src.read(0) is None
    src = StillSource("cam", parse_source(str(png)), fps=1.0, seconds=10)
    src.start()
    src.stop()
    assert src.finished and src.read(0) is None


@pytest.mark.parametrize("fps,seconds", [(0, 3), (1, 0), (1, -1), (1, float("nan"))])
def test_bad_rate_or_duration(png, fps, seconds):
    with pytest.raises(EdgeError, match="cam"):
        StillSource("cam", parse_source(str(png)), fps=fps, seconds=seconds)


def _cut(path: Path, out: Path, keep: float) -> Path:
    data = path.read_bytes()
    out.write_bytes(data[:int(len(data) * keep)])
    return out


def test_unreadable_images_are_one_quiet_error(tmp_path, capfd):
    noise = np.random.default_rng(0).integers(0, 256, (240, 320, 3), np.uint8)
    for ext in ("jpg", "png", "bmp"):
        assert cv2.imwrite(str(tmp_path / f"big.{ext}"), noise)
    bad = [
        (_cut(tmp_path / "big.jpg", tmp_path / "cut.jpg", 0.5), "truncated JPEG"),
        # libpng and OpenCV's BMP reader print their own complaint about these two
        (_cut(tmp_path / "big.png", tmp_path / "cut.png", 0.5), "cannot decode image file"),
        (_cut(tmp_path / "big.bmp", tmp_path / "cut.bmp", 0.5), "cannot decode image file"),
        (tmp_path / "junk.webp", "cannot decode image file"),
        (tmp_path / "empty.bmp", "cannot decode image file"),
        (tmp_path / "gone.png", "image file not found"),
    ]
    (tmp_path / "junk.webp").write_bytes(b"not an image " * 50)
    (tmp_path / "empty.bmp").write_bytes(b"")
    capfd.readouterr()
    for path, why in bad:
        with pytest.raises(EdgeError) as err:
            read_image(path)
        assert str(path) in str(err.value) and why in str(err.value)
    assert capfd.readouterr().err == ""  # libjpeg/libpng said nothing on their own
    assert read_image(tmp_path / "big.jpg").shape == (240, 320, 3)
