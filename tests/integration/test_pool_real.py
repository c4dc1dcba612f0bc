"""The frame-parallel detector on the real model and footage gives the same tracks and counts
through the runner as one single-threaded detector (its detections, frame for frame:
tests/detectors/test_pool.py). Its speed is a benchmark figure (benchmarks/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.analyze import build_camera
from edge.detectors import DetectorPool, OnnxDetector, OnnxDetectorSettings, build_detector
from edge.runner import CameraRunner
from edge.store import Store

pytestmark = pytest.mark.integration
S3MF1 = "footage/pets2009-s3mf1/video.mp4"


def test_build_gives_a_pool_on_one_session_unless_told_otherwise(assets: Path) -> None:
    pool = build_detector(OnnxDetectorSettings(model="yolox_nano", threads=3))
    assert isinstance(pool, DetectorPool) and pool.workers == 3
    assert all(r.model is pool.primary.model for r in pool.replicas)  # one model load
    assert pool.primary.model.session.get_session_options().intra_op_num_threads == 1
    single = build_detector(OnnxDetectorSettings(model="yolox_nano", threads=2,
                                                 parallel="operators"))
    assert isinstance(single, OnnxDetector)
    assert single.model.session.get_session_options().intra_op_num_threads == 2
    assert isinstance(build_detector(OnnxDetectorSettings(model="yolox_nano", threads=1)),
                      OnnxDetector)
    pool.close()


def _tracks_and_totals(assets: Path, tmp_path: Path, threads: int) -> tuple[list, dict]:
    cam = build_camera(str(assets / S3MF1), ["lamp:430,0,430,576"], None, "yolox_nano", threads)
    seen: list = []
    with Store(tmp_path / f"{threads}.db") as store:
        runner = CameraRunner(cam, store, resume=False)
        assert isinstance(runner.detector, DetectorPool) == (threads > 1)
        runner.pipeline.taps.append(
            lambda f, d, t: seen.append((f.index, t.ids.tolist(), t.xyxy.round(2).tolist())))
        runner.run()
        return seen, store.totals("analyze")


def test_runner_with_a_pool_tracks_and_counts_as_one_thread_does(assets: Path,
                                                                 tmp_path: Path) -> None:
    pooled, pooled_totals = _tracks_and_totals(assets, tmp_path, threads=2)
    serial, serial_totals = _tracks_and_totals(assets, tmp_path, threads=1)
    assert [i for i, _, _ in pooled] == list(range(107))  # every frame, in order
    assert pooled == serial
    assert pooled_totals == serial_totals
    assert sum(pooled_totals["lamp"]["in"].values()) == 5  # S3MF1's ground truth
