"""Frame-parallel detection: several frames in flight on one shared onnxruntime session.

A small detector spends a large share of a 2-thread run in the barriers between its operators'
parallel loops; one single-threaded run per core, each on its own frame, has no barrier at all.
Measured on the project's 2-core machine, detection alone (S2L1, 300 frames): YOLOX-Nano 58 -> 75
frames/s, PicoDet-S 28 -> 42, NanoDet-m 40 -> 56, YOLO11n int8 39 -> 59; end to end through
``edge analyze`` 1.2-1.7x (benchmarks/README.md, "Frame-parallel detection").
The price is latency: each frame takes a whole single-threaded inference, and up to ``workers``
frames are in flight (each is handed on as soon as it and the frames before it are done).

The replicas share the session (onnxruntime's ``Run`` is thread-safe, and with one intra-op
thread it runs on the calling thread), so the model is loaded once. Results come back in
submission order through :class:`concurrent.futures.Future`; the tracker still sees one frame
after the other.
"""

from __future__ import annotations

import queue
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from edge.detectors.onnx_model import DetectClock, OnnxDetector
from edge.manifest import ModelSpec
from edge.types import Detections


class DetectorPool:
    """``workers`` replicas of ``detector`` (built with one onnxruntime thread), each analysing
    its own frame on a worker thread. Also a plain :class:`Detector` (``detect`` waits)."""

    def __init__(self, detector: OnnxDetector, workers: int, name: str = "detect") -> None:
        if workers < 2:
            raise ValueError(f"a pool needs at least 2 workers, got {workers}")
        self.primary = detector
        self.replicas = [detector, *(detector.replica() for _ in range(workers - 1))]
        self._idle: queue.SimpleQueue[OnnxDetector] = queue.SimpleQueue()
        for r in self.replicas:
            self._idle.put(r)
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix=name)

    @property
    def workers(self) -> int:
        return len(self.replicas)

    @property
    def spec(self) -> ModelSpec:
        return self.primary.spec

    @property
    def clock(self) -> DetectClock:
        """Each step's seconds summed over the replicas: per frame, one replica's time."""
        c = DetectClock()
        for r in self.replicas:
            c.preprocess += r.clock.preprocess
            c.inference += r.clock.inference
            c.postprocess += r.clock.postprocess
            c.frames += r.clock.frames
        return c

    def submit(self, image: np.ndarray) -> Future[Detections]:
        return self._executor.submit(self._detect, image)

    def _detect(self, image: np.ndarray) -> Detections:
        # As many replicas as worker threads: one is always idle when a task starts.
        replica = self._idle.get()
        try:
            return replica.detect(image)
        finally:
            self._idle.put(replica)

    def detect(self, image: np.ndarray) -> Detections:
        return self.submit(image).result()

    def detect_many(self, images: Sequence[np.ndarray]) -> list[Detections]:
        """Several images (a frame's tiles) at once, results in order."""
        return [f.result() for f in [self.submit(i) for i in images]]

    def with_classes(self, names: Sequence[str], conf: float) -> OnnxDetector:
        """A class view on the shared session, run on the caller's thread (it is occasional)."""
        return self.primary.with_classes(names, conf)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
