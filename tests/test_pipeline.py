"""CameraPipeline: stage order, and the decode permit handed back even when a frame fails."""

from __future__ import annotations

import numpy as np
import pytest

from edge.pipeline import CameraPipeline
from edge.tracking import ByteTracker, TrackerSettings
from edge.types import Detections, Frame


class _Detector:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def detect(self, image: np.ndarray) -> Detections:
        if self.fail:
            raise RuntimeError("model hiccup")
        return Detections(np.array([[0, 0, 10, 20]], np.float32), np.array([0.9], np.float32),
                          np.array([0], np.int16))


def _frame(i: int) -> Frame:
    return Frame(image=np.zeros((48, 64, 3), np.uint8), index=i, media_ts=i / 10,
                 wall_ts=i / 10)


def test_after_detect_hooks_run_once_per_frame_and_taps_see_tracks() -> None:
    calls, seen = [], []
    pipe = CameraPipeline("c", _Detector(), ByteTracker(TrackerSettings()), [],
                          after_detect=[lambda: calls.append(1)],
                          taps=[lambda f, d, t: seen.append((f.index, len(d), len(t)))])
    for i in range(3):
        pipe.process(_frame(i))
    assert len(calls) == 3 and seen == [(0, 1, 1), (1, 1, 1), (2, 1, 1)]
    assert pipe.clock.frames == 3


def test_a_failing_detect_still_hands_its_permit_back() -> None:
    calls = []
    pipe = CameraPipeline("c", _Detector(fail=True), ByteTracker(TrackerSettings()), [],
                          after_detect=[lambda: calls.append(1)])
    with pytest.raises(RuntimeError):
        pipe.process(_frame(0))
    assert calls == [1]  # else a gated file source would wait forever


def test_a_failing_analytic_does_not_lose_the_others_events() -> None:
    from edge.analytics.base import Event

    class Broken:
        name = "broken"

        def update(self, frame, tracks):  # noqa: ANN001, ANN202
            raise ValueError("bug")

    class Ticker:
        name = "ticker"

        def update(self, frame, tracks):  # noqa: ANN001, ANN202
            return [Event("c", frame.wall_ts, frame.media_ts)]

    pipe = CameraPipeline("c", _Detector(), ByteTracker(TrackerSettings()), [Broken(), Ticker()])
    events = [ev for i in range(3) for ev in pipe.process(_frame(i))]
    assert len(events) == 3 and pipe.failures == {"broken": 3}


def test_a_pool_keeps_frames_in_flight_and_hands_them_back_in_order() -> None:
    from edge.detectors.pool import DetectorPool
    from tests.helpers import Stamp

    seen = []
    pool = DetectorPool(Stamp(fail_on=40), workers=2)  # type: ignore[arg-type]
    pipe = CameraPipeline("c", pool, ByteTracker(TrackerSettings()), [],
                          taps=[lambda f, d, t: seen.append(f.index)])
    assert pipe.depth == 3
    out = []
    for i in range(8):
        frame = Frame(image=np.full((48, 64, 3), 10 * i, np.uint8), index=i, media_ts=i / 10,
                      wall_ts=i / 10)
        out += pipe.push(frame)
        assert len(pipe._pending) < pipe.depth  # never more than 2 in flight after a push
    out += pipe.drain()
    assert [a.frame.index for a in out] == list(range(8))
    errors = {a.frame.index: str(a.error) for a in out if a.error is not None}
    assert errors == {4: "model hiccup on 40"}  # only its own frame, the tracker goes on
    assert seen == [0, 1, 2, 3, 5, 6, 7] and pipe.clock.frames == 7
    assert pipe.drain() == []
    pool.close()


def test_ready_hands_on_finished_frames_without_waiting_for_the_next() -> None:
    """A slow or stalled camera: frames in flight come out once done, with no new push."""
    import time

    from edge.detectors.pool import DetectorPool
    from tests.helpers import Stamp

    pool = DetectorPool(Stamp(), workers=2)  # type: ignore[arg-type]
    pipe = CameraPipeline("c", pool, ByteTracker(TrackerSettings()), [])
    first = [a.frame.index for a in pipe.push(_frame(0)) + pipe.push(_frame(1))]
    deadline = time.monotonic() + 5
    while pipe._pending and time.monotonic() < deadline:
        first += [a.frame.index for a in pipe.ready()]
        time.sleep(0.01)
    assert first == [0, 1] and pipe.drain() == []
    pool.close()
