"""Camera sources: parsing, redaction, file playback, live reconnects and drop-oldest.

Most tests use a synthetic clip written with cv2.VideoWriter whose frame i is a flat grey of
level 12*i, so the decoded frame itself tells which index it is.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.errors import EdgeError
from edge.sources import SourceSpec, VideoSource, parse_source, probe_file

STEP = 12  # grey level per frame index in the synthetic clip
PASSWORD = "s3cr3t-Pa55"


def write_clip(path: Path, frames: int = 20, fps: float = 10.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((48, 64, 3), STEP * i, np.uint8))
    writer.release()
    return path


def level(frame) -> int:
    return int(round(float(frame.image.mean()) / STEP))


def read_all(src: VideoSource, timeout: float = 10.0) -> list:
    frames, deadline = [], time.monotonic() + timeout
    while not src.finished and time.monotonic() < deadline:
        frame = src.read(0.5)
        if frame is not None:
            frames.append(frame)
    assert src.finished, "source did not finish"
    return frames


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return write_clip(tmp_path / "clip.avi")


# --------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "kind", "uri"),
    [
        ("usb:0", "usb", "0"),
        (" USB:3 ", "usb", "3"),
        ("2", "usb", "2"),
        ("rtsp://10.0.0.5:554/stream1", "rtsp", "rtsp://10.0.0.5:554/stream1"),
        ("RTSPS://cam/live", "rtsp", "RTSPS://cam/live"),
        ("http://cam/video.mjpg", "http", "http://cam/video.mjpg"),
        ("https://cam/video.mjpg", "http", "https://cam/video.mjpg"),
    ],
)
def test_parse_source_kinds(text: str, kind: str, uri: str) -> None:
    assert parse_source(text) == SourceSpec(kind, uri)


def test_parse_source_file(clip: Path) -> None:
    assert parse_source(str(clip)) == SourceSpec("file", str(clip))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/nope/missing.mp4", "video file not found: /nope/missing.mp4"),
        ("usb:cam", "bad USB camera"),
        ("usb:-1", "bad USB camera"),
        ("", "video source is empty"),
        (f"rtmp://admin:{PASSWORD}@cam/live", "unsupported video source scheme 'rtmp'"),
    ],
)
def test_parse_source_errors(text: str, message: str) -> None:
    with pytest.raises(EdgeError, match=message) as info:
        parse_source(text)
    assert PASSWORD not in str(info.value)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (f"rtsp://admin:{PASSWORD}@10.0.0.5:554/s1", "rtsp://10.0.0.5:554/s1"),
        (f"rtsp://admin:{PASSWORD}@x@cam/s1", "rtsp://cam/s1"),  # "@" inside the password
        ("rtsp://admin@cam/s1", "rtsp://cam/s1"),
        ("rtsp://cam/s1?x=a@b", "rtsp://cam/s1?x=a@b"),
        (f"http://cam/snap.jpg?user=admin&pwd={PASSWORD}", "http://cam/snap.jpg?user=admin&pwd=***"),
        ("https://cam/video", "https://cam/video"),
    ],
)
def test_redacted(uri: str, expected: str) -> None:
    spec = parse_source(uri)
    assert spec.redacted() == expected
    assert PASSWORD not in spec.redacted()
    assert PASSWORD not in spec.scrub(f"failed on {uri}")


def test_scrub_masks_the_password_alone() -> None:
    spec = parse_source(f"rtsp://admin:{PASSWORD}@cam/s1")
    assert spec.scrub(f"401 for user admin:{PASSWORD}") == "401 for user ***"
    assert spec.scrub(f"password {PASSWORD} refused") == "password *** refused"


# ---------------------------------------------------------------------------- files
def test_probe_file(clip: Path, tmp_path: Path) -> None:
    assert probe_file(clip) == (64, 48, 10.0, 20)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(EdgeError, match="cannot decode video file: .*junk.mp4"):
        probe_file(junk)
    with pytest.raises(EdgeError, match="video file not found"):
        probe_file(tmp_path / "missing.mp4")


def test_file_delivers_every_frame_in_order(clip: Path) -> None:
    src = VideoSource("cam1", parse_source(str(clip)), epoch_base=1_700_000_000.0, queue_size=2)
    assert src.status().state == "starting"
    src.start()
    assert src.source_fps == 10.0 and src.frame_size == (64, 48)
    frames = read_all(src)
    assert [f.index for f in frames] == list(range(20))
    assert [level(f) for f in frames] == list(range(20))
    for f in frames:
        assert f.media_ts == pytest.approx(f.index / 10.0)
        assert f.wall_ts == pytest.approx(1_700_000_000.0 + f.index / 10.0)
    status = src.status()
    assert (status.state, status.frames, status.error) == ("stopped", 20, None)
    assert status.last_frame_at == pytest.approx(1_700_000_001.9)
    assert src.read(0.01) is None  # end of stream stays visible
    src.stop()
    src.stop()  # idempotent


def test_gated_file_decodes_only_as_far_as_the_analysis_allows(clip: Path) -> None:
    src = VideoSource("cam1", parse_source(str(clip)), analysis_fps=5.0)
    allow = src.gate()
    src.start()
    assert wait_for(lambda: src.status().frames == 2)
    time.sleep(0.2)
    assert src.status().frames == 2  # two ahead, then it waits for the analysis
    got = []
    while (frame := src.read(timeout=2.0)) is not None:
        got.append(frame.index)
        allow()  # as the pipeline does after each inference
    assert got == list(range(0, 20, 2))  # nothing lost or reordered by the gate
    src.stop()


def test_gated_file_stops_while_waiting(clip: Path) -> None:
    src = VideoSource("cam1", parse_source(str(clip)))
    src.gate()
    src.start()
    assert wait_for(lambda: src.status().frames == 2)
    t0 = time.perf_counter()
    src.stop(timeout=2.0)
    assert time.perf_counter() - t0 < 1.0 and src.status().state == "stopped"


def test_file_start_at_resumes_at_the_right_index(clip: Path) -> None:
    src = VideoSource("cam1", parse_source(str(clip)), epoch_base=100.0, start_at=1.2)
    src.start()
    frames = read_all(src)
    assert [f.index for f in frames] == list(range(12, 20))
    assert [level(f) for f in frames] == list(range(12, 20))
    assert frames[0].media_ts == pytest.approx(1.2)
    assert frames[0].wall_ts == pytest.approx(101.2)


def test_file_analysis_fps_halves_the_frames(clip: Path) -> None:
    src = VideoSource("cam1", parse_source(str(clip)), analysis_fps=5.0)
    src.start()
    frames = read_all(src)
    assert [f.index for f in frames] == list(range(0, 20, 2))
    assert [level(f) for f in frames] == list(range(0, 20, 2))
    assert [f.media_ts for f in frames] == pytest.approx([i / 10.0 for i in range(0, 20, 2)])


def test_file_analysis_fps_spacing_is_even(clip: Path) -> None:
    src = VideoSource("cam1", parse_source(str(clip)), analysis_fps=4.0)  # 0.4 of 10 fps
    src.start()
    indices = [f.index for f in read_all(src)]
    assert len(indices) == 8
    assert set(np.diff(indices)) <= {2, 3}


def test_file_realtime_paces_at_native_fps(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "fast.avi", frames=10, fps=20.0)  # 0.45 s from first to last
    src = VideoSource("cam1", parse_source(str(clip)), realtime=True)
    src.start()
    t0 = time.monotonic()
    frames = read_all(src)
    elapsed = time.monotonic() - t0
    assert len(frames) == 10
    assert 0.3 < elapsed < 5.0


def test_file_plain_playback_is_not_paced(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "slow.avi", frames=10, fps=2.0)  # 4.5 s if it were paced
    src = VideoSource("cam1", parse_source(str(clip)))
    src.start()
    t0 = time.monotonic()
    assert len(read_all(src)) == 10
    assert time.monotonic() - t0 < 3.0


def test_undecodable_file_stops_with_an_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00garbage" * 500)
    src = VideoSource("cam1", parse_source(str(junk)))
    src.start()
    assert src.read(0.5) is None
    assert src.finished
    status = src.status()
    assert status.state == "stopped"
    assert status.error is not None and "cannot decode video file" in status.error
    src.stop()


def test_stop_mid_file_returns_promptly(clip: Path) -> None:
    src = VideoSource("cam1", parse_source(str(clip)), queue_size=1)
    src.start()
    assert src.read(2.0) is not None
    t0 = time.monotonic()
    src.stop()
    assert time.monotonic() - t0 < 2.0
    assert src.finished and src.status().state == "stopped"
    assert src.read(0.01) is None


# ----------------------------------------------------------------------------- live
class FakeCapture:
    """Opens or not; then yields ``frames`` frames (None: forever) and fails; ``idle``
    grabs succeed but never decode (a stalled stream)."""

    def __init__(self, opened: bool = True, frames: int | None = None, idle: bool = False,
                 error: str | None = None) -> None:
        self.opened, self.left, self.idle, self.error = opened, frames, idle, error
        self.released = False

    def isOpened(self) -> bool:
        return self.opened

    def grab(self) -> bool:
        time.sleep(0.002)
        if self.error:
            raise RuntimeError(self.error)
        if self.idle:
            return True
        if self.left is not None:
            if self.left <= 0:
                return False
            self.left -= 1
        return True

    def retrieve(self):
        if self.idle:
            return False, None
        return True, np.zeros((4, 6, 3), np.uint8)

    def read(self):
        return self.retrieve() if self.grab() else (False, None)

    def get(self, prop: int) -> float:
        return 0.0

    def set(self, prop: int, value: float) -> bool:
        return False

    def release(self) -> None:
        self.released = True


class ScriptedFactory:
    """Returns the scripted captures in turn, then idle ones; records every call."""

    def __init__(self, *captures: FakeCapture) -> None:
        self.script = list(captures)
        self.calls: list[tuple] = []
        self.made: list[FakeCapture] = []

    def __call__(self, source, backend, params) -> FakeCapture:
        self.calls.append((source, backend, list(params)))
        cap = self.script.pop(0) if self.script else FakeCapture(idle=True)
        self.made.append(cap)
        return cap


class SleepRecorder:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_backoff_doubles_is_capped_and_resets_after_a_good_connection() -> None:
    fails = [FakeCapture(opened=False) for _ in range(5)]
    factory = ScriptedFactory(*fails, FakeCapture(frames=3), FakeCapture(opened=False),
                              FakeCapture(opened=False), FakeCapture(frames=None))
    sleep = SleepRecorder()
    src = VideoSource("cam1", parse_source(f"rtsp://admin:{PASSWORD}@cam/s1"), max_backoff_s=5,
                      capture_factory=factory, sleep=sleep)
    src.start()
    try:
        assert wait_for(lambda: len(factory.calls) >= 9 and src.status().state == "running")
        assert sleep.calls == [1, 2, 4, 5, 5, 1, 2, 4]
        status = src.status()
        assert status.reconnects == 8 and status.frames > 3 and status.error is None
        indices = []
        for _ in range(3):
            frame = src.read(1.0)
            assert frame is not None
            indices.append(frame.index)
        assert indices == sorted(indices) and len(set(indices)) == 3
    finally:
        src.stop()
    assert all(cap.released for cap in factory.made)
    assert src.status().state == "stopped"


def test_live_capture_is_opened_with_ffmpeg_timeouts_and_usb_with_default_backend() -> None:
    for text, source, backend in [("rtsp://cam/s1", "rtsp://cam/s1", cv2.CAP_FFMPEG),
                                  ("http://cam/v.mjpg", "http://cam/v.mjpg", cv2.CAP_FFMPEG),
                                  ("usb:1", 1, cv2.CAP_ANY)]:
        factory = ScriptedFactory(FakeCapture(frames=None))
        src = VideoSource("cam1", parse_source(text), capture_factory=factory)
        src.start()
        assert wait_for(lambda src=src: src.status().state == "running")
        src.stop()
        called_source, called_backend, params = factory.calls[0]
        assert (called_source, called_backend) == (source, backend)
        if backend == cv2.CAP_FFMPEG:
            assert cv2.CAP_PROP_OPEN_TIMEOUT_MSEC in params[::2]
            assert cv2.CAP_PROP_READ_TIMEOUT_MSEC in params[::2]


def test_live_queue_drops_the_oldest_frame() -> None:
    factory = ScriptedFactory(FakeCapture(frames=10))
    src = VideoSource("cam1", parse_source("rtsp://cam/s1"), queue_size=3,
                      capture_factory=factory, sleep=SleepRecorder())
    src.start()
    try:
        assert wait_for(lambda: src.status().frames == 10)
        got = [src.read(0.5) for _ in range(3)]
        assert [f.index for f in got] == [7, 8, 9]
        assert src.dropped == 7
        assert src.read(0.05) is None  # nothing else queued; read times out
        assert not src.finished  # a live source never ends on its own
        assert all(b.wall_ts >= a.wall_ts and b.media_ts >= a.media_ts
                   for a, b in zip(got, got[1:], strict=False))
    finally:
        src.stop()


def test_live_stall_triggers_a_reconnect() -> None:
    factory = ScriptedFactory(FakeCapture(idle=True))
    src = VideoSource("cam1", parse_source("rtsp://cam/s1"), stall_timeout_s=0.1,
                      capture_factory=factory, sleep=lambda s: time.sleep(0.01))
    src.start()
    try:
        assert wait_for(lambda: src.status().reconnects >= 1, timeout=3.0)
        assert "no frame for" in (src.status().error or "")
    finally:
        src.stop()


def test_live_exceptions_become_reconnects_and_never_leak_the_password(caplog) -> None:
    uri = f"rtsp://admin:{PASSWORD}@cam/s1"
    factory = ScriptedFactory(FakeCapture(error=f"boom while reading {uri}"),
                              FakeCapture(error=f"auth {PASSWORD} refused"))
    src = VideoSource("cam1", parse_source(uri), capture_factory=factory, sleep=SleepRecorder())
    with caplog.at_level(logging.INFO, logger="edge.sources"):
        src.start()
        assert wait_for(lambda: src.status().reconnects >= 2)
        status = src.status()
        src.stop()
    assert status.state == "reconnecting" or status.reconnects >= 2
    assert "RuntimeError" in caplog.text
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(status)


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_rtsp_on_a_closed_port_reconnects_and_stops_promptly(caplog) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = parse_source(f"rtsp://admin:{PASSWORD}@127.0.0.1:{port}/stream")
    src = VideoSource("cam1", spec)
    threads = threading.active_count()
    with caplog.at_level(logging.INFO, logger="edge.sources"):
        src.start()
        assert wait_for(lambda: src.status().state == "reconnecting", timeout=5.0)
        assert wait_for(lambda: src.status().reconnects >= 2, timeout=5.0)
        status = src.status()
        t0 = time.monotonic()
        src.stop()
        assert time.monotonic() - t0 < 2.0
    assert src.status().state == "stopped"
    assert threading.active_count() <= threads
    assert status.error is not None and f"127.0.0.1:{port}" in status.error
    assert PASSWORD not in repr(status) and PASSWORD not in caplog.text


# ---------------------------------------------------------------------- real footage
def _assets() -> Path:
    root = os.environ.get("EDGE_ASSETS")
    if not root:
        pytest.skip("EDGE_ASSETS is not set: real footage unavailable")
    return Path(root)


@pytest.mark.integration
def test_real_clip_every_frame_and_exact_seek() -> None:
    path = _assets() / "footage" / "pets2009-s3mf1" / "video.mp4"
    assert probe_file(path) == (768, 576, 7.0, 107)
    src = VideoSource("pets", parse_source(str(path)), epoch_base=0.0)
    src.start()
    frames = read_all(src, timeout=30.0)
    assert [f.index for f in frames] == list(range(107))
    assert frames[-1].media_ts == pytest.approx(106 / 7.0)

    resumed = VideoSource("pets", parse_source(str(path)), epoch_base=0.0, start_at=10.0)
    resumed.start()
    first = resumed.read(5.0)
    resumed.stop()
    assert first is not None and first.index == 70
    # Seeking must land on the very frame sequential decoding gives (H.264 with keyframes).
    assert np.array_equal(first.image, frames[70].image)
