"""One camera's per-frame path: detector -> masks -> tracker -> analytics -> events.

The same object serves ``edge run``, ``edge analyze`` and ``edge bench``; it owns no thread (a
detector pool owns its own) and no I/O. ``taps`` let the benchmark observe each frame's
detections and tracks in process (to score them against ground truth); the service never sets
one, so nothing per-object leaves it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

import cv2
import numpy as np

from edge.analytics.base import Analytic, Event
from edge.config import MaskConfig
from edge.detectors.base import Detector
from edge.detectors.pool import DetectorPool
from edge.tracking import ByteTracker
from edge.types import Detections, Frame, Tracks

Tap = Callable[[Frame, Detections, Tracks], None]
log = logging.getLogger(__name__)


@dataclass
class StageClock:
    """Cumulative seconds per stage, for benchmarks and the frames/s a camera reports."""

    detect: float = 0.0
    track: float = 0.0
    analytics: float = 0.0
    frames: int = 0

    def ms_per_frame(self) -> dict[str, float]:
        n = max(self.frames, 1)
        return {"detect": 1e3 * self.detect / n, "track": 1e3 * self.track / n,
                "analytics": 1e3 * self.analytics / n}


@dataclass
class Analysed:
    """One frame out of the pipeline: its events, or why it could not be analysed."""

    frame: Frame
    events: list[Event]
    error: BaseException | None = None


@dataclass
class CameraPipeline:
    """A detector with ``submit`` (a :class:`~edge.detectors.pool.DetectorPool`) keeps up to
    ``workers + 1`` frames in flight: :meth:`push` hands back the frames whose detections are
    done, oldest first, so the tracker and analytics still see every frame in order. Any other
    detector runs on the caller's thread and :meth:`push` returns the frame it was given."""

    camera: str
    detector: Detector | DetectorPool
    tracker: ByteTracker
    analytics: list[Analytic]
    masks: list[MaskConfig] = field(default_factory=list)
    clock: StageClock = field(default_factory=StageClock)
    taps: list[Tap] = field(default_factory=list)
    # Called once per frame right after inference: a file source decodes its next frame then.
    after_detect: list[Callable[[], None]] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)  # per analytic, since start
    _mask: np.ndarray | None = None
    _pending: deque[tuple[Frame, Future[Detections]]] = field(default_factory=deque)

    @property
    def depth(self) -> int:
        """Frames in flight before the oldest is waited for (one queued per busy worker)."""
        return self.detector.workers + 1 if isinstance(self.detector, DetectorPool) else 1

    def push(self, frame: Frame) -> list[Analysed]:
        self._pending.append((frame, self._submit(frame)))
        return self.ready()

    def ready(self) -> list[Analysed]:
        """The frames whose detections are done, oldest first, up to the first one still
        running; when ``depth`` frames are in flight, waits for the oldest. Call it when no new
        frame comes (a slow or stalled camera), so that no finished frame waits for the next."""
        done = []
        while self._pending and (len(self._pending) >= self.depth or self._pending[0][1].done()):
            done.append(self._finish(*self._pending.popleft()))
        return done

    def drain(self) -> list[Analysed]:
        """The frames still in flight (at the end of a stream)."""
        return [self._finish(*self._pending.popleft()) for _ in range(len(self._pending))]

    def process(self, frame: Frame) -> list[Event]:
        """One frame start to finish (tests, callers without a stream); raises its error."""
        events: list[Event] = []
        for a in [*self.push(frame), *self.drain()]:
            if a.error is not None:
                raise a.error
            events += a.events
        return events

    def _submit(self, frame: Frame) -> Future[Detections]:
        if isinstance(self.detector, DetectorPool):
            return self.detector.submit(frame.image)
        result: Future[Detections] = Future()
        t0 = time.perf_counter()
        try:
            result.set_result(self.detector.detect(frame.image))
        except Exception as exc:  # given back with its frame, as a pool's failure would be
            result.set_exception(exc)
        finally:  # even a failed frame must hand its decode permit back
            for hook in self.after_detect:
                hook()
        self.clock.detect += time.perf_counter() - t0
        return result

    def _finish(self, frame: Frame, detections: Future[Detections]) -> Analysed:
        t0 = time.perf_counter()
        try:
            det = detections.result()  # a pool: waits; otherwise already there
        except Exception as exc:
            return Analysed(frame, [], exc)
        finally:
            self.clock.detect += time.perf_counter() - t0
        try:
            return Analysed(frame, self._analyse(frame, det))
        except Exception as exc:
            return Analysed(frame, [], exc)

    def _analyse(self, frame: Frame, det: Detections) -> list[Event]:
        det = self._apply_masks(det, frame.image.shape)
        t1 = time.perf_counter()
        tracks = self.tracker.update(det, frame.media_ts)
        t2 = time.perf_counter()
        events: list[Event] = []
        for a in self.analytics:
            try:
                events += a.update(frame, tracks)
            except Exception:  # one use case failing must not lose the others' events
                self.failures[a.name] = n = self.failures.get(a.name, 0) + 1
                if n in (1, 10, 100) or n % 1000 == 0:
                    log.exception("camera %s: %s failed on frame %d (%d failures so far)",
                                  self.camera, a.name, frame.index, n)
        t3 = time.perf_counter()
        c = self.clock
        c.track += t2 - t1
        c.analytics += t3 - t2
        c.frames += 1
        for tap in self.taps:
            tap(frame, det, tracks)
        return events

    def _apply_masks(self, det: Detections, shape: tuple[int, ...]) -> Detections:
        if not self.masks or len(det) == 0:
            return det
        if self._mask is None or self._mask.shape != shape[:2]:
            # Rasterised once: a per-detection lookup is then one fancy index.
            self._mask = np.zeros(shape[:2], np.uint8)
            for m in self.masks:
                cv2.fillPoly(self._mask, [np.round(m.polygon).astype(np.int32)], 1)
        h, w = self._mask.shape
        x = np.clip(((det.xyxy[:, 0] + det.xyxy[:, 2]) / 2).astype(int), 0, w - 1)
        y = np.clip(det.xyxy[:, 3].astype(int), 0, h - 1)
        return det[self._mask[y, x] == 0]
