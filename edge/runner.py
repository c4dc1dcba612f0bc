"""Runs one camera end to end: source thread -> pipeline -> recorder -> store.

``edge run`` starts one runner thread per camera; ``edge analyze`` calls :meth:`run` directly on a
file. Both go through this code, so the CLI's figures are the service's figures.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

from edge.analytics.base import DumpingAlert
from edge.analytics.dumping.analytic import DumpingAnalytic
from edge.analytics.dumping.classify import classifier_for
from edge.analytics.dumping.config import DumpingConfig
from edge.analytics.lines import LineCounter
from edge.analytics.parking.analytic import ParkingAnalytic
from edge.analytics.parking.config import ParkingConfig
from edge.assets import resolve_clip
from edge.config import CameraConfig, ZonesConfig, first_outside, parking_points
from edge.detectors import build_detector
from edge.detectors.base import Detector
from edge.detectors.motion import MotionDetector
from edge.detectors.pool import DetectorPool
from edge.errors import EdgeError
from edge.pipeline import Analysed, CameraPipeline
from edge.recorder import Recorder
from edge.sources import (
    SourceSpec,
    StillSource,
    VideoSource,
    parse_source,
    probe_file,
    read_image,
)
from edge.store import AlertRecord, Notification, Store
from edge.tracking import ByteTracker, TrackerSettings
from edge.types import CameraStatus, Frame

log = logging.getLogger(__name__)
_MAX_COVERED_GAP_S = 2.0  # a longer gap between analysed frames is an outage, not coverage


def source_of(cam: CameraConfig) -> SourceSpec:
    """Parse a camera's source; ``sample:NAME`` is a clip of the sample_videos manifest."""
    if cam.source.startswith("sample:"):
        return parse_source(str(resolve_clip(cam.source.removeprefix("sample:"))[1]))
    return parse_source(cam.source)


def zones_of(cam: CameraConfig) -> ZonesConfig:
    if not isinstance(cam.zones, ZonesConfig):
        raise TypeError("zones must be loaded before a runner starts (edge.config.load_site)")
    return cam.zones


def tracker_settings(calibrated: dict[str, float], camera: TrackerSettings) -> TrackerSettings:
    """A model's calibrated score thresholds (manifest), under what the camera sets explicitly.

    >>> tracker_settings({"high_score": 0.3}, TrackerSettings()).high_score
    0.3
    >>> tracker_settings({"high_score": 0.3}, TrackerSettings(high_score=0.6)).high_score
    0.6
    """
    return TrackerSettings(**{**calibrated, **camera.model_dump(exclude_unset=True)})


def reference_kind(cfg: ParkingConfig) -> str:
    """What the lots' empty state is compared with: the configured image (used until the
    spaces have learnt their own), else what each space learns from the stream."""
    return "image" if cfg.reference else "learnt"


def still_fps(cam: CameraConfig) -> float:
    """The rate a still image is played at: the parking analysis rate when there is parking."""
    zones = zones_of(cam)
    return 1.0 / zones.parking.every_s if zones.parking is not None else cam.analysis_fps or 1.0


class CameraRunner:
    """One camera. Built (and so validated) at start-up; :meth:`run` never raises.

    A still image (``SourceSpec.kind == "image"``) is analysed as a static clip of
    ``still_seconds`` at :func:`still_fps`.
    """

    def __init__(self, cam: CameraConfig, store: Store, *, flush_seconds: float = 2.0,
                 resume: bool = True, detector: Detector | DetectorPool | None = None,
                 still_seconds: float = 3.0,
                 notify: Callable[[DumpingAlert], list[Notification]] | None = None) -> None:
        self.cam = cam
        zones = zones_of(cam)
        self.spec = source_of(cam)
        fps = None
        size: tuple[int, int] | None = None  # known now for files and images, later for live
        image = None
        if self.spec.kind == "file":
            width, height, fps, _ = probe_file(self.spec.uri)
            size = (width, height)
        elif self.spec.kind == "image":
            image = read_image(self.spec.uri)
            size = (int(image.shape[1]), int(image.shape[0]))
        if size is not None:
            problem = zones.outside(*size)
            if problem:
                raise EdgeError(f"camera {cam.id!r}: {problem} of {self.spec.uri}")
        self._owns_detector = detector is None
        self.detector = detector or build_detector(cam.detector)
        if isinstance(self.detector, MotionDetector) and fps:
            self.detector.set_fps(cam.analysis_fps or fps)
        if zones.parking is not None and isinstance(self.detector, MotionDetector):
            raise EdgeError(f"camera {cam.id!r}: parking needs an ONNX detector (detector.type: "
                            "onnx); the motion detector cannot see a parked car")
        self.pipeline = CameraPipeline(cam.id, self.detector, ByteTracker(self._tracker_settings()),
                                       [LineCounter(cam.id, zones.lines)], zones.masks)
        self.parking: ParkingAnalytic | None = None
        self.dumping: DumpingAnalytic | None = None
        self._open_alerts: list[AlertRecord] = []  # left open by a previous run, restored
        self.problem: str | None = None  # a configuration problem found once running (live)
        self.store = store
        store.register_lines(cam.id, [ln.id for ln in zones.lines])
        self._register_lots(zones)
        self._register_dropoffs(zones)
        if size is not None:
            self._start_frame_analytics(zones, size)
        key = self.spec.redacted()
        ckpt = store.checkpoint(cam.id) if resume and self.spec.kind == "file" else None
        resumed = ckpt is not None and ckpt.source == key
        epoch_base = ckpt.epoch_base if resumed else (
            time.time() if cam.start_time is None else cam.start_time)
        self.start_at = ckpt.media_pos if resumed else 0.0
        self.source: VideoSource | StillSource
        if image is not None:
            self.source = StillSource(cam.id, self.spec, fps=still_fps(cam), seconds=still_seconds,
                                      epoch_base=epoch_base, image=image)
        else:
            self.source = VideoSource(cam.id, self.spec, epoch_base=epoch_base,
                                      start_at=self.start_at, realtime=cam.realtime,
                                      analysis_fps=cam.analysis_fps)
        if self.spec.kind == "file" and not isinstance(self.detector, DetectorPool):
            # A pool's single-threaded runs have no barrier a decoder could stall: no gate.
            self.pipeline.after_detect.append(self.source.gate())
        self.recorder = Recorder(store, cam.id, key, epoch_base, flush_seconds=flush_seconds,
                                 notify=notify)
        self.frames = 0
        self.errors = 0
        self._prev: Frame | None = None
        self._fps = 25.0
        self._media_pos = self.start_at
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _start_parking(self, cfg: ParkingConfig, size: tuple[int, int]) -> None:
        """Add the parking analytic, after line counting; it runs the camera's own detector on
        tiles of the frame, whose size it needs."""
        self.parking = ParkingAnalytic(self.cam.id, cfg, self.detector, size)
        self.pipeline.analytics.append(self.parking)

    def _start_frame_analytics(self, zones: ZonesConfig, size: tuple[int, int]) -> None:
        """The analytics that need the frame size: parking, then drop-off zones."""
        if zones.parking is not None:
            self._start_parking(zones.parking, size)
        if zones.dumping is not None:
            self._start_dumping(zones.dumping, size)

    def _start_dumping(self, cfg: DumpingConfig, size: tuple[int, int]) -> None:
        """Add the drop-off analytic (it crops its zones, so it needs the frame size), with the
        alerts a previous run left open."""
        self.dumping = DumpingAnalytic(self.cam.id, cfg, size, classifier_for(self.detector))
        self.dumping.restore(self._open_alerts)
        self.pipeline.analytics.append(self.dumping)

    def _register_dropoffs(self, zones: ZonesConfig) -> None:
        if zones.dumping is not None:
            self.store.register_dropoffs(self.cam.id,
                                         {z.id: z.dwell_s for z in zones.dumping.zones})
            self._open_alerts = self.store.alerts(camera=self.cam.id, status="open")

    def _start_live_dumping(self, cfg: DumpingConfig, frame: Frame) -> None:
        size = (int(frame.image.shape[1]), int(frame.image.shape[0]))
        problem = first_outside(cfg.points(), *size)
        if not problem:
            self._start_dumping(cfg, size)
            return
        self.problem = f"drop-off alerts disabled: {problem}"
        log.error("camera %s: %s", self.cam.id, self.problem)

    def _start_live_parking(self, cfg: ParkingConfig, frame: Frame) -> None:
        """A live camera's frame size is known from its first frame: check the spaces against
        it, then start parking (or report why not, and keep counting lines)."""
        size = (int(frame.image.shape[1]), int(frame.image.shape[0]))
        problem = first_outside(parking_points(cfg.lots), *size)
        try:
            if not problem:
                self._start_parking(cfg, size)
                return
        except Exception as exc:  # run() never raises: the camera goes on counting lines
            problem = f"{type(exc).__name__}: {exc}"
        self.problem = f"parking disabled: {problem}"
        log.error("camera %s: %s", self.cam.id, self.problem)

    def _register_lots(self, zones: ZonesConfig) -> None:
        """List the lots (spaces unknown) in the store before their first analysis."""
        parking = zones.parking
        if parking is None:
            return
        self.store.register_lots(
            self.cam.id,
            {lot.id: [(s.id, s.category) for s in lot.spaces] for lot in parking.lots},
            unknown_after_s=parking.unknown_after_s, stay_bands=parking.band_labels(),
            reference=reference_kind(parking))

    def _tracker_settings(self) -> TrackerSettings:
        spec = getattr(self.detector, "spec", None)
        return tracker_settings(getattr(spec, "tracker", None) or {}, self.cam.tracker)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"camera-{self.cam.id}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def status(self) -> CameraStatus:
        status = self.source.status()
        if self.problem and not status.error:
            status = dataclasses.replace(status, error=self.problem)
        if status.state == "stopped" and self._thread is not None and self._thread.is_alive() \
                and not self._stop.is_set():
            # The file is decoded, but queued frames are still being analysed and flushed.
            return dataclasses.replace(status, state="running")
        return status

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        """Analyse until the source ends or :meth:`stop`; flush what was counted on the way out."""
        self.source.start()
        self._prev = None
        self._fps = self.source.source_fps or 25.0
        self._media_pos = self.start_at
        # A live camera's parking starts on its first frame (see _start_live_parking).
        live_parking = None if self.parking is not None else zones_of(self.cam).parking
        live_dumping = None if self.dumping is not None else zones_of(self.cam).dumping
        try:
            while not self._stop.is_set():
                frame = self.source.read(timeout=0.5)
                if frame is None:
                    if self.source.finished:
                        break
                    self._record(self.pipeline.ready())  # a slow camera's frames in flight
                    self.recorder.maybe_flush(self._media_pos)
                    continue
                if live_parking is not None:
                    self._start_live_parking(live_parking, frame)
                    live_parking = None
                if live_dumping is not None:
                    self._start_live_dumping(live_dumping, frame)
                    live_dumping = None
                self._record(self.pipeline.push(frame))
            # Frames in flight are decoded and half analysed: finish them, even on stop.
            self._record(self.pipeline.drain())
            if self._prev is not None and self.source.finished:
                self.recorder.covered(self._prev.wall_ts, 1.0 / self._fps)  # the last one's own
        finally:
            self.source.stop()
            if self._owns_detector and isinstance(self.detector, DetectorPool):
                self.detector.close()
            self._final_flush(self._media_pos)

    def _record(self, done: list[Analysed]) -> None:
        """Frames out of the pipeline, in order: their events, coverage and checkpoint position
        (only analysed frames move it, so a restart never skips one still in flight)."""
        for a in done:
            frame = a.frame
            try:
                if a.error is not None:
                    raise a.error
                self.recorder.add(a.events)
                self.frames += 1
            except Exception:  # a bad frame or a model hiccup must not stop the camera
                self.errors += 1
                if self.errors in (1, 10, 100) or self.errors % 1000 == 0:
                    log.exception("camera %s: analysis failed on frame %d (%d failures so far)",
                                  self.cam.id, frame.index, self.errors)
            prev = self._prev
            if prev is not None and 0 < frame.media_ts - prev.media_ts <= _MAX_COVERED_GAP_S:
                self.recorder.covered(prev.wall_ts, frame.media_ts - prev.media_ts)
            self._prev = frame
            self._media_pos = frame.media_ts if self.spec.live else (frame.index + 1) / self._fps
            self.recorder.maybe_flush(self._media_pos)

    def _final_flush(self, media_pos: float) -> None:
        try:
            self.recorder.flush(media_pos)
        except Exception:
            log.exception("camera %s: final flush failed", self.cam.id)
