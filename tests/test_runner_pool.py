"""The runner with a detector pool (several frames in flight): every decoded frame is analysed
once, in order, even when one fails or the camera is stopped mid-file, and the resume checkpoint
only covers analysed frames. Stand-in detector on a synthetic clip; the real model on real
footage is tests/integration/test_pool_real.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.config import CameraConfig, ZonesConfig
from edge.detectors.pool import DetectorPool
from edge.runner import CameraRunner
from edge.store import Store
from edge.types import Detections
from tests.helpers import Stamp
from tests.test_sources import STEP, write_clip

FPS = 10.0


class Indexed(Stamp):
    """Names the frame by its grey level (MJPG keeps it within a few levels)."""

    def detect(self, image: np.ndarray) -> Detections:
        index = round(float(image[..., 0].mean()) / STEP)
        if index == self.fail_on:
            raise RuntimeError(f"model hiccup on frame {index}")
        return super().detect(np.full_like(image, index))

    def replica(self) -> Indexed:
        return Indexed(self.barrier, self.fail_on)


def runner_for(tmp_path: Path, store: Store, fail_on: int = -1) -> CameraRunner:
    clip = write_clip(tmp_path / "clip.avi", frames=20, fps=FPS)
    cam = CameraConfig(id="cam", source=str(clip), start_time=0, zones=ZonesConfig.model_validate(
        {"lines": [{"id": "l", "p1": [0, 40], "p2": [64, 40]}]}))
    pool = DetectorPool(Indexed(fail_on=fail_on), workers=2)  # type: ignore[arg-type]
    return CameraRunner(cam, store, resume=False, detector=pool, flush_seconds=1e-9)


def test_every_frame_once_in_order_and_a_failure_stays_with_its_frame(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        runner = runner_for(tmp_path, store, fail_on=5)
        seen: list[tuple[int, int]] = []
        runner.pipeline.taps.append(
            lambda f, d, t: seen.append((f.index, round(float(d.scores[0]) * 255))))
        runner.run()
        assert seen == [(i, i) for i in range(20) if i != 5]  # frame i got frame i's boxes
        assert (runner.frames, runner.errors) == (19, 1)
        assert store.checkpoint("cam").media_pos == 20 / FPS


def test_stop_finishes_the_frames_in_flight_and_checkpoints_them(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        runner = runner_for(tmp_path, store)
        seen: list[int] = []
        ahead: list[tuple[int, float]] = []  # a checkpoint past a frame not yet analysed

        def tap(frame, det, tracks) -> None:  # noqa: ANN001
            seen.append(frame.index)
            ckpt = store.checkpoint("cam")  # flushed after every frame (flush_seconds ~0)
            if ckpt is not None and ckpt.media_pos > frame.index / FPS:
                ahead.append((frame.index, ckpt.media_pos))
            if frame.index == 6:
                runner._stop.set()  # what stop() does, from inside the loop

        pushed: list[int] = []
        push = runner.pipeline.push
        runner.pipeline.push = lambda f: (pushed.append(f.index), push(f))[1]  # type: ignore
        runner.pipeline.taps.append(tap)
        runner.run()
        # Every frame taken from the source was analysed, those in flight at the stop included.
        assert seen == pushed == list(range(len(seen))) and len(seen) >= 7
        assert runner.frames == len(seen) < 20
        assert ahead == [] and store.checkpoint("cam").media_pos == len(seen) / FPS
