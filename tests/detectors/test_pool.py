"""DetectorPool: frames analysed side by side, results in submission order, one frame's failure
kept to that frame (a stand-in detector); with the real model, the same detections as a single
detector, frame for frame.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from edge.detectors import OnnxDetectorSettings, build_detector
from edge.detectors.pool import DetectorPool
from edge.types import Detections
from tests.helpers import Stamp


def image(v: int) -> np.ndarray:
    return np.full((8, 8, 3), v, np.uint8)


def score(d: Detections) -> int:
    return round(float(d.scores[0]) * 255)


def test_results_come_back_in_submission_order() -> None:
    pool = DetectorPool(Stamp(), workers=3)  # type: ignore[arg-type]
    futures = [pool.submit(image(v)) for v in range(12)]
    assert [score(f.result()) for f in futures] == list(range(12))
    assert [score(d) for d in pool.detect_many([image(v) for v in (5, 6, 7)])] == [5, 6, 7]
    assert score(pool.detect(image(9))) == 9
    pool.close()


def test_replicas_really_run_at_the_same_time() -> None:
    barrier = threading.Barrier(2)
    pool = DetectorPool(Stamp(barrier), workers=2)  # type: ignore[arg-type]
    a, b = pool.submit(image(1)), pool.submit(image(3))
    assert (score(a.result(timeout=10)), score(b.result(timeout=10))) == (1, 3)
    assert len(pool.primary.threads) == 2 and not barrier.broken
    pool.close()


def test_a_failing_frame_fails_alone() -> None:
    pool = DetectorPool(Stamp(fail_on=4), workers=2)  # type: ignore[arg-type]
    futures = [pool.submit(image(v)) for v in range(8)]
    with pytest.raises(RuntimeError, match="hiccup on 4"):
        futures[4].result()
    assert [score(f.result()) for i, f in enumerate(futures) if i != 4] == [0, 1, 2, 3, 5, 6, 7]
    pool.close()


def test_clock_sums_the_replicas_and_a_pool_needs_two_workers() -> None:
    pool = DetectorPool(Stamp(), workers=2)  # type: ignore[arg-type]
    for f in [pool.submit(image(v)) for v in range(6)]:
        f.result()
    assert pool.clock.frames == 6 and pool.clock.inference == pytest.approx(0.006)
    assert len(pool.replicas) == pool.workers == 2
    pool.close()
    with pytest.raises(ValueError, match="at least 2 workers"):
        DetectorPool(Stamp(), workers=1)  # type: ignore[arg-type]


@pytest.mark.integration
def test_pool_detections_equal_a_single_detector_frame_for_frame(pets_frames) -> None:
    pool = build_detector(OnnxDetectorSettings(model="yolox_nano", threads=2))
    single = build_detector(OnnxDetectorSettings(model="yolox_nano", threads=1))
    images = [image for image, _ in pets_frames]
    futures = [pool.submit(image) for image in images]  # all in flight at once
    for image, future in zip(images, futures, strict=True):
        got, want = future.result(), single.detect(image)
        assert len(want) > 0
        np.testing.assert_array_equal(got.xyxy, want.xyxy)
        np.testing.assert_array_equal(got.scores, want.scores)
        np.testing.assert_array_equal(got.classes, want.classes)
    pool.close()
