"""Camera sources: parse a source string and decode frames on a thread of their own.

A file is played once, every frame in order (``edge analyze`` must see them all); a live
stream (RTSP, HTTP, USB) keeps only the freshest frames and reconnects forever with
exponential backoff; a still image is played as a short static clip (:class:`StillSource`).
A source URL may hold a camera password: only :meth:`SourceSpec.redacted` ever reaches a log
line, an error or a status.

>>> parse_source("rtsp://admin:s3cret@10.0.0.7:554/stream1").redacted()
'rtsp://10.0.0.7:554/stream1'
>>> parse_source("usb:1")
SourceSpec(kind='usb', uri='1')
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import queue
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

import cv2
import numpy as np

from edge.errors import EdgeError
from edge.types import CameraStatus, Frame

log = logging.getLogger(__name__)

KINDS = ("file", "image", "rtsp", "http", "usb")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
_LOCAL = ("file", "image", "usb")  # kinds whose uri holds no credential
_SCHEMES = {"rtsp": "rtsp", "rtsps": "rtsp", "http": "http", "https": "http"}
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
# Greedy up to the last "@" of the authority, so a password holding "@" is removed whole.
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^/?#]*)@")
# Snapshot URLs often carry credentials as query parameters (…?user=admin&pwd=…).
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&;][\w.-]*(?:pass|pwd|token|key|secret|auth)[\w.-]*=)(?P<value>[^&;#]*)", re.I
)
_USB = re.compile(r"(?:usb:)?(?P<n>[0-9]+)", re.I)

_OPEN_TIMEOUT_MS = 5000  # a dead URL must never block the decoder thread for long
_READ_TIMEOUT_MS = 5000
_DEFAULT_FPS = 25.0  # when a container does not say
_FPS_WINDOW_S = 5.0
_LIVE_QUEUE = 2
_FILE_QUEUE = 8
_FILE_LOOKAHEAD = 2  # frames a file decoder may run ahead of the analysis before it waits
_END = object()  # queued after the last frame of a file


def _redact_uri(uri: str) -> str:
    uri = _USERINFO.sub(r"\g<scheme>", uri, count=1)
    return _SECRET_QUERY.sub(r"\g<key>***", uri)


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """Where frames come from: ``kind`` is file, image, rtsp, http or usb; ``uri`` is the path,
    the URL or the USB device index as a string. Print :meth:`redacted`, never ``uri``."""

    kind: str
    uri: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"SourceSpec.kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def live(self) -> bool:
        return self.kind not in ("file", "image")

    def redacted(self) -> str:
        """The URI without ``user:password@`` nor credential query values."""
        return self.uri if self.kind in _LOCAL else _redact_uri(self.uri)

    def scrub(self, text: str) -> str:
        """``text`` (an exception message, say) with the URI and its secrets masked."""
        text = text.replace(self.uri, self.redacted())
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return text

    def _secrets(self) -> list[str]:
        if self.kind in _LOCAL:
            return []
        found: list[str] = []
        info = _USERINFO.match(self.uri)
        if info:
            userinfo = info["info"]
            found += [userinfo, userinfo.partition(":")[2]]
        found += [m["value"] for m in _SECRET_QUERY.finditer(self.uri)]
        found += [unquote(s) for s in found]
        # Longest first, so a secret that contains another is masked whole.
        return sorted({s for s in found if s}, key=len, reverse=True)


def parse_source(spec: str) -> SourceSpec:
    """``usb:N`` or ``N`` -> USB camera N; rtsp(s):// -> rtsp; http(s):// -> http; else a file,
    or an image when its name ends in one of :data:`IMAGE_SUFFIXES`.

    >>> parse_source("https://cam.example/video.mjpg").kind
    'http'
    """
    text = spec.strip()
    if not text:
        raise EdgeError("video source is empty: give a file path, rtsp://, http:// or usb:N")
    if text.lower().startswith("usb:") or text.isdigit():
        usb = _USB.fullmatch(text)
        if usb is None:
            raise EdgeError(f"bad USB camera {text!r}: expected usb:N with N a device index >= 0")
        return SourceSpec("usb", str(int(usb["n"])))
    url = _URL.match(text)
    if url:
        kind = _SCHEMES.get(url["scheme"].lower())
        if kind is None:
            raise EdgeError(
                f"unsupported video source scheme {url['scheme']!r} in {_redact_uri(text)}: "
                "use rtsp://, rtsps://, http://, https://, usb:N or a file path"
            )
        return SourceSpec(kind, text)
    path = Path(text).expanduser()
    image = path.suffix.lower() in IMAGE_SUFFIXES
    if not path.is_file():
        raise EdgeError(f"{'image' if image else 'video'} file not found: {text}")
    return SourceSpec("image" if image else "file", str(path))


class Capture(Protocol):
    """The part of ``cv2.VideoCapture`` a source uses (tests pass fakes)."""

    def isOpened(self) -> bool: ...
    def grab(self) -> bool: ...
    def retrieve(self) -> tuple[bool, np.ndarray | None]: ...
    def read(self) -> tuple[bool, np.ndarray | None]: ...
    def get(self, prop: int) -> float: ...
    def set(self, prop: int, value: float) -> bool: ...
    def release(self) -> None: ...


# Called as factory(path_url_or_index, api_preference, params), like cv2.VideoCapture.
CaptureFactory = Callable[[Any, int, Sequence[int]], Capture]


def _fps_or_default(value: float) -> float:
    return float(value) if math.isfinite(value) and value > 0 else _DEFAULT_FPS


def probe_file(
    path: str | Path, *, capture_factory: CaptureFactory = cv2.VideoCapture
) -> tuple[int, int, float, int]:
    """``(width, height, fps, frame_count)`` of a video file; fps falls back to 25 and
    frame_count to 0 when the container does not say."""
    if not Path(path).is_file():
        raise EdgeError(f"video file not found: {path}")
    cap = capture_factory(str(path), cv2.CAP_FFMPEG, [])
    try:
        ok, image = cap.read() if cap.isOpened() else (False, None)
        if not ok or image is None:
            raise EdgeError(f"cannot decode video file: {path}")
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        frames = int(count) if math.isfinite(count) and count > 0 else 0
        height, width = image.shape[:2]
        return int(width), int(height), _fps_or_default(cap.get(cv2.CAP_PROP_FPS)), frames
    finally:
        cap.release()


def read_image(path: str | Path) -> np.ndarray:
    """A still image's BGR pixels; EdgeError (one line) when it is missing or undecodable."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise EdgeError(f"image file not found: {path}") from None
    except OSError as exc:
        raise EdgeError(f"cannot read image file {path}: {exc.strerror}") from None
    # libjpeg decodes a cut-off JPEG without failing (grey below the cut): refuse it here.
    if data[:2] == b"\xff\xd8" and b"\xff\xd9" not in data[-4096:]:
        raise EdgeError(f"cannot decode image file {path}: truncated JPEG (no end marker)")
    image = None
    if data:
        with _quiet_stderr(), contextlib.suppress(cv2.error):
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise EdgeError(f"cannot decode image file: {path}")
    return image


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 for a moment: libpng, libjpeg and OpenCV's codecs report a bad
    image there themselves, and a bad input must give one error line, ours."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def _keep(k: int, ratio: float) -> bool:
    """Whether the k-th frame since the start survives decimation to ``ratio`` of the rate:
    kept when floor(k * ratio) steps up, which spaces kept frames as evenly as possible."""
    if ratio >= 1.0:
        return True
    return math.floor(k * ratio + 1e-9) > math.floor((k - 1) * ratio + 1e-9)


class _SourceFailed(Exception):
    """An expected failure (cannot open, read failed): its message is already redacted."""


class VideoSource:
    """Decodes one camera on a daemon thread into a bounded queue of :class:`Frame`.

    Files: every frame, blocking when the consumer is slow; ``media_ts = index / fps`` and
    ``wall_ts = epoch_base + media_ts``. Live: the queue drops its oldest frame when full;
    ``wall_ts`` is the clock at grab; failures reconnect with backoff 1, 2, 4 … max_backoff_s.
    ``sleep`` (default: an interruptible wait), ``clock`` (monotonic) and ``wall_clock`` are
    injectable so tests run fast.
    """

    def __init__(
        self,
        camera_id: str,
        spec: SourceSpec,
        *,
        epoch_base: float | None = None,
        start_at: float = 0.0,
        realtime: bool = False,
        analysis_fps: float | None = None,
        queue_size: int | None = None,
        max_backoff_s: float = 30.0,
        stall_timeout_s: float = 10.0,
        capture_factory: CaptureFactory = cv2.VideoCapture,
        sleep: Callable[[float], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if analysis_fps is not None and not analysis_fps > 0:
            raise EdgeError(f"camera {camera_id}: analysis_fps must be > 0, got {analysis_fps}")
        if not start_at >= 0:
            raise EdgeError(f"camera {camera_id}: start_at must be >= 0 s, got {start_at}")
        if queue_size is not None and queue_size < 1:
            raise EdgeError(f"camera {camera_id}: queue_size must be >= 1, got {queue_size}")
        self.camera_id = camera_id
        self.spec = spec
        self._epoch_base = epoch_base
        self._start_at = float(start_at)
        self._realtime = realtime
        self._analysis_fps = analysis_fps
        self._max_backoff = max(float(max_backoff_s), 1.0)
        self._stall_timeout = float(stall_timeout_s)
        self._factory = capture_factory
        self._stop = threading.Event()
        self._sleep = sleep if sleep is not None else self._stop.wait  # stop() interrupts it
        self._clock = clock
        self._wall = wall_clock
        size = queue_size or (_LIVE_QUEUE if spec.live else _FILE_QUEUE)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=size)
        self._lock = threading.Lock()  # guards the status fields below
        self._state = "starting"
        self._error: str | None = None
        self._reconnects = 0
        self._frames = 0
        self._dropped = 0
        self._last_frame_at: float | None = None
        self._stamps: deque[float] = deque(maxlen=256)  # clock() of recent frames, for fps
        self._frame_size: tuple[int, int] | None = None
        self._source_fps: float | None = None
        self._next_index = 0
        # Seconds a file spent in grab()/retrieve() on the decoder thread (benchmarks read it;
        # live streams are not timed: their grab() mostly waits for the network).
        self.decode_s = 0.0
        self._opened_at: float | None = None
        self._thread: threading.Thread | None = None
        # A file decodes one frame per permit; the analysis hands one back once its inference is
        # done (:meth:`allow`), so decoding fills the single-threaded gap between two inferences
        # instead of preempting onnxruntime's parallel loops (one stalled worker stalls the op).
        self._permits = threading.Semaphore(_FILE_LOOKAHEAD)
        self._gated = False

    # ----------------------------------------------------------------- public API
    def start(self) -> None:
        """Open (files: here, so ``source_fps`` is known on return) and start decoding."""
        if self._thread is not None or self._stop.is_set():
            return
        if self.spec.live:
            target: Callable[[], None] = self._run_live
        else:
            cap = self._open_file()
            if cap is None:
                return
            target = functools.partial(self._run_file, cap)
        self._thread = threading.Thread(
            target=self._guard, args=(target,), name=f"source-{self.camera_id}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop decoding and release the capture; safe to call more than once."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("camera %s: decoder for %s did not stop within %.1f s",
                            self.camera_id, self.spec.redacted(), timeout)
        self._set_state("stopped")
        self._drain()
        self._put_latest(_END)

    def gate(self) -> Callable[[], None]:
        """Pace a file's decoder on the analysis: from now on it decodes a frame only when the
        returned callable has been called (once per analysed frame, after its inference)."""
        self._gated = True
        return self.allow

    def allow(self) -> None:
        """One more frame may be decoded (see :meth:`gate`)."""
        self._permits.release()

    def read(self, timeout: float) -> Frame | None:
        """The next frame, or None after ``timeout`` seconds or at the end of the stream."""
        try:
            item = self._queue.get(timeout=max(float(timeout), 0.0))
        except queue.Empty:
            return None
        if item is _END:
            self._put_latest(_END)  # later reads must see the end too
            return None
        assert isinstance(item, Frame)
        return item

    @property
    def finished(self) -> bool:
        """True once stopped, or when a file has ended and its frames have all been read."""
        if self._stop.is_set():
            return True
        if self._thread is None and self._state != "stopped":
            return False
        if self._thread is not None and self._thread.is_alive():
            return False
        with self._queue.mutex:
            return all(item is _END for item in self._queue.queue)

    def status(self) -> CameraStatus:
        now = self._clock()
        with self._lock:
            recent = [t for t in self._stamps if now - t <= _FPS_WINDOW_S]
            span = recent[-1] - recent[0] if len(recent) >= 2 else 0.0
            fps = (len(recent) - 1) / span if span > 0 else 0.0
            return CameraStatus(
                camera=self.camera_id, state=self._state, fps=round(fps, 2),
                last_frame_at=self._last_frame_at, reconnects=self._reconnects,
                frames=self._frames, error=self._error,
            )

    @property
    def frame_size(self) -> tuple[int, int] | None:
        """``(width, height)`` once known."""
        return self._frame_size

    @property
    def source_fps(self) -> float | None:
        """The container's fps for a file (25 if it does not say); a stream's advertised fps."""
        return self._source_fps

    @property
    def dropped(self) -> int:
        """Live frames dropped because the consumer was slower than the camera."""
        return self._dropped

    # ------------------------------------------------------------ shared helpers
    def _guard(self, target: Callable[[], None]) -> None:
        # A bad source must never take the process down: nothing escapes this thread.
        try:
            target()
        except Exception as exc:  # logged and reported in status
            self._fail(f"{type(exc).__name__}: {exc}")
        finally:
            self._set_state("stopped")
            self._put_blocking(_END)

    def _fail(self, message: str) -> None:
        message = self.spec.scrub(message)
        log.warning("camera %s (%s): %s", self.camera_id, self.spec.redacted(), message)
        with self._lock:
            self._error = message

    def _set_state(self, state: str) -> None:
        with self._lock:
            self._state = state

    def _record(self, frame: Frame) -> None:
        with self._lock:
            self._frames += 1
            self._last_frame_at = frame.wall_ts
            self._stamps.append(self._clock())
            if self._frame_size is None:
                self._frame_size = (int(frame.image.shape[1]), int(frame.image.shape[0]))

    def _put_blocking(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _put_latest(self, item: object) -> None:
        # Fresh frames matter more than old ones: make room by dropping the oldest.
        while True:
            try:
                self._queue.put_nowait(item)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self._dropped += 1
                except queue.Empty:
                    pass

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    # ----------------------------------------------------------------------- files
    def _open_file(self) -> Capture | None:
        try:
            # One decoding thread: the decoder already runs beside the analysis, and FFmpeg's own
            # thread pool would fight onnxruntime for the cores (measured: more fps, less CPU).
            cap = self._factory(self.spec.uri, cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
            if not cap.isOpened():
                cap.release()
                raise _SourceFailed(f"cannot decode video file: {self.spec.uri}")
            self._source_fps = _fps_or_default(cap.get(cv2.CAP_PROP_FPS))
            width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(
                cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            if width > 0 and height > 0:
                self._frame_size = (width, height)
        except Exception as exc:  # reported as a stopped source
            self._fail(str(exc) if isinstance(exc, _SourceFailed)
                       else f"{type(exc).__name__}: {exc}")
            self._set_state("stopped")
            self._put_latest(_END)
            return None
        if self._epoch_base is None:
            self._epoch_base = self._wall()
        return cap

    def _seek(self, cap: Capture, fps: float) -> int:
        first = round(self._start_at * fps)
        if first <= 0:
            return 0
        if cap.set(cv2.CAP_PROP_POS_FRAMES, first):
            return first
        # The backend cannot seek: decode forward instead (slow, but the index stays exact).
        for skipped in range(first):
            if not cap.grab():
                return skipped
        return first

    def _run_file(self, cap: Capture) -> None:
        try:
            fps = self._source_fps or _DEFAULT_FPS
            ratio = self._analysis_fps / fps if self._analysis_fps else 1.0
            first = index = self._seek(cap, fps)
            epoch = self._epoch_base or 0.0
            t0 = self._clock()
            self._set_state("running")
            wait = True  # for a permit before grabbing the frames up to the next kept one
            while not self._stop.is_set():
                if wait and not self._permit():
                    break
                if not self._timed(cap.grab):
                    break
                wait = _keep(index - first, ratio)
                if wait:  # skipped frames are grabbed, never decoded
                    ok, image = self._timed(cap.retrieve)
                    if not ok or image is None:
                        raise _SourceFailed(f"decode failed at frame {index}")
                    if self._realtime:
                        self._pace(t0 + (index - first) / fps)
                    media = index / fps
                    frame = Frame(image=image, index=index, media_ts=media, wall_ts=epoch + media)
                    if not self._put_blocking(frame):
                        break
                    self._record(frame)
                index += 1
        except _SourceFailed as exc:
            self._fail(str(exc))
        finally:
            cap.release()
        log.info("camera %s: end of %s", self.camera_id, self.spec.redacted())

    def _permit(self) -> bool:
        """Wait for the analysis to allow one more decode; False once stopped."""
        if not self._gated:
            return True
        while not self._stop.is_set():
            if self._permits.acquire(timeout=0.1):
                return True
        return False

    def _timed(self, call: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return call()
        finally:
            self.decode_s += time.perf_counter() - t0

    def _pace(self, due: float) -> None:
        delay = due - self._clock()
        if delay > 0:
            self._sleep(delay)

    # ------------------------------------------------------------------------ live
    def _run_live(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            delivered, reason = self._session()
            if self._stop.is_set():
                break
            if delivered:
                backoff = 1.0  # a good connection resets the backoff
            self._fail(f"{reason}; reconnecting in {backoff:g} s")
            with self._lock:
                self._state = "reconnecting"
                self._reconnects += 1
            self._sleep(backoff)
            backoff = min(backoff * 2.0, self._max_backoff)

    def _open_live(self) -> Capture:
        if self.spec.kind == "usb":
            return self._factory(int(self.spec.uri), cv2.CAP_ANY, [])
        read_ms = int(min(_READ_TIMEOUT_MS, self._stall_timeout * 1000))
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, _OPEN_TIMEOUT_MS,
                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, max(read_ms, 1)]
        return self._factory(self.spec.uri, cv2.CAP_FFMPEG, params)

    def _session(self) -> tuple[int, str]:
        """One connection: open, pump frames until it fails. Returns (frames, why it ended)."""
        cap: Capture | None = None
        delivered = [0]
        try:
            cap = self._open_live()
            if not cap.isOpened():
                return 0, f"cannot open {self.spec.redacted()}"
            advertised = cap.get(cv2.CAP_PROP_FPS)
            if math.isfinite(advertised) and advertised > 0:
                self._source_fps = float(advertised)
            log.info("camera %s: connected to %s", self.camera_id, self.spec.redacted())
            reason = self._pump(cap, delivered)
            return delivered[0], reason
        except Exception as exc:  # any failure becomes a reconnect
            return delivered[0], f"{type(exc).__name__}: {exc}"
        finally:
            if cap is not None:
                try:
                    cap.release()
                except Exception:  # nothing left to do with a broken capture
                    pass

    def _pump(self, cap: Capture, delivered: list[int]) -> str:
        period = 1.0 / self._analysis_fps if self._analysis_fps else 0.0
        next_due = last_good = self._clock()
        if self._opened_at is None:
            self._opened_at = last_good  # media_ts stays monotonic across reconnects
        while not self._stop.is_set():
            if not cap.grab():
                return "read failed"
            now, wall = self._clock(), self._wall()
            if now - last_good > self._stall_timeout:
                return f"no frame for {self._stall_timeout:g} s"
            if period and now < next_due:
                last_good = now  # the stream is alive; this frame is just not wanted
                continue  # decimated: grabbed, never decoded
            ok, image = cap.retrieve()
            if not ok or image is None:
                continue  # counts towards the stall timeout
            last_good = now
            next_due = next_due + period if now - next_due < period else now + period
            frame = Frame(image=image, index=self._next_index,
                          media_ts=now - self._opened_at, wall_ts=wall)
            self._next_index += 1
            self._put_latest(frame)
            self._record(frame)
            delivered[0] += 1
            if delivered[0] == 1:
                with self._lock:
                    self._state, self._error = "running", None
        return "stopped"


class StillSource:
    """A still image played as a static clip: ``seconds * fps`` frames (at least one), ``1 / fps``
    seconds apart, so that analyses which need time to pass (parking's) run on a photo.

    The runner sees the same interface as :class:`VideoSource`; there is no thread, the image is
    decoded once, here (an unreadable image fails at start-up like any bad file).
    """

    def __init__(self, camera_id: str, spec: SourceSpec, *, fps: float, seconds: float,
                 epoch_base: float | None = None, image: np.ndarray | None = None,
                 wall_clock: Callable[[], float] = time.time) -> None:
        if not (math.isfinite(fps) and fps > 0):
            raise EdgeError(f"camera {camera_id}: a still image's fps must be > 0, got {fps}")
        if not (math.isfinite(seconds) and seconds > 0):
            raise EdgeError(f"camera {camera_id}: a still image is analysed for > 0 s, "
                            f"got {seconds}")
        self.camera_id = camera_id
        self.spec = spec
        t0 = time.perf_counter()
        self.image = read_image(spec.uri) if image is None else image
        self.decode_s = time.perf_counter() - t0
        self.count = max(1, math.ceil(seconds * fps - 1e-9))
        self._fps = float(fps)
        self._epoch_base = epoch_base
        self._wall = wall_clock
        self._next = 0
        self._started = False
        self._stopped = False
        self._last_frame_at: float | None = None

    def start(self) -> None:
        if self._epoch_base is None:
            self._epoch_base = self._wall()
        self._started = True

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped = True

    def gate(self) -> Callable[[], None]:
        return self.allow

    def allow(self) -> None:
        """Nothing to pace: every frame is already decoded."""

    def read(self, timeout: float) -> Frame | None:
        if not self._started or self.finished:
            return None
        i = self._next
        self._next += 1
        media = i / self._fps
        frame = Frame(image=self.image, index=i, media_ts=media,
                      wall_ts=(self._epoch_base or 0.0) + media)
        self._last_frame_at = frame.wall_ts
        return frame

    @property
    def finished(self) -> bool:
        return self._stopped or self._next >= self.count

    def status(self) -> CameraStatus:
        state = "stopped" if self.finished else "running" if self._started else "starting"
        return CameraStatus(camera=self.camera_id, state=state,
                            fps=self._fps if state == "running" else 0.0,
                            last_frame_at=self._last_frame_at, reconnects=0, frames=self._next,
                            error=None)

    @property
    def frame_size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])

    @property
    def source_fps(self) -> float:
        return self._fps

    @property
    def dropped(self) -> int:
        return 0
