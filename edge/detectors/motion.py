"""Class-agnostic motion detector: moving foreground -> boxes, classed by size.

For views where COCO models fail (e.g. a camera looking straight down), a per-camera background
model turns whatever moves into boxes that feed the same tracker and line counting.

Per frame, at a reduced size (an integer fraction of the frame):
1. fit the frame's global exposure against the background (``F ≈ a·B + b`` per channel on a
   pixel subsample that excludes last frame's foreground: a Theil-Sen start, then least squares
   on its inliers), so auto-exposure flicker does not light up the whole image;
2. foreground = luma-weighted difference to the re-exposed background (to the nearest value
   within ``jitter_px``, so camera shake does not light up edges) above ``k`` times the fitted
   noise; open (kill speckle), close (merge a vehicle's fragments);
3. connected components -> boxes in full-resolution pixels, classed by size bounds; the score is
   the share of the box the blob fills;
4. update the background slowly where nothing moves, very slowly under foreground (a car that
   stops is absorbed only after about ``absorb_s`` seconds).

>>> import numpy as np
>>> det = MotionDetector(MotionDetectorSettings(warmup_frames=1))
>>> frame = np.full((120, 160, 3), 100, np.uint8)
>>> len(det.detect(frame)), len(det.detect(frame))
(0, 0)
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge.classes import CLASS_INDEX, CLASSES
from edge.types import Detections

_SAMPLE_STEP = 6  # every 6th pixel in both axes is plenty for a 2-parameter fit per channel
_MIN_SAMPLES = 50
_PAIRS = 1500  # sample pairs for the robust gain estimate
_PAIR_SPREAD = 6.0  # grey levels: pairs closer than this carry no gain information
_GAIN = (0.05, 20.0)  # a degenerate fit must not explode the re-exposed background
_GAIN_PRIOR_VAR = 4.0  # ridge on the gain: as strong as a background spread of 2 grey levels
_LUMA = np.array([0.114, 0.587, 0.299], np.float32)  # BGR weights of cv2's BGR2GRAY
_UNSATURATED = (5, 250)  # clipped pixels carry no exposure information


class SizeBounds(BaseModel):
    """Size window of one class, on the box in full-resolution pixels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_area: float = Field(ge=0, description="smallest box area (width x height), px²")
    max_area: float | None = Field(None, gt=0, description="largest box area, px²; none: no limit")
    min_side: float = Field(0.0, ge=0, description="shortest allowed box side, px")
    max_aspect: float | None = Field(
        None, ge=1, description="largest long-side / short-side ratio; none: no limit")

    @model_validator(mode="after")
    def _ordered(self) -> SizeBounds:
        if self.max_area is not None and self.max_area <= self.min_area:
            raise ValueError(f"max_area {self.max_area} must exceed min_area {self.min_area}")
        return self


class MotionDetectorSettings(BaseModel):
    """Settings of the motion detector (``type: motion``). Size bounds are in full-resolution
    pixels; morphology sizes are in pixels at ``process_width`` (scaled to the actual size)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["motion"] = "motion"
    classes: dict[str, SizeBounds] = Field(
        default_factory=lambda: {"car": SizeBounds(min_area=3000)},
        description="product class -> box size bounds; a blob takes the class with the largest "
                    "min_area whose bounds contain it, blobs matching no class are dropped")
    process_width: int = Field(
        320, ge=32, le=4096,
        description="frames are shrunk by the integer factor that brings their width nearest to "
                    "this (px); integer factors are OpenCV's fast resize path")
    history_s: float = Field(8.0, gt=0, description="background time constant where nothing "
                                                    "moves, seconds")
    absorb_s: float = Field(60.0, gt=0, description="time constant under foreground: how long a "
                                                    "stopped object takes to become background, s")
    threshold_k: float = Field(6.0, gt=0, description="foreground where the difference to the "
                                                      "background exceeds k x the fitted noise")
    min_threshold: float = Field(20.0, ge=0, description="floor of the difference threshold, "
                                                         "grey levels (0..255)")
    open_px: int = Field(3, ge=1, le=31, description="opening kernel size: removes speckle")
    close_px: int = Field(9, ge=1, le=63, description="closing kernel size: merges fragments of "
                                                      "one object")
    jitter_px: int = Field(1, ge=0, le=5, description="tolerated camera shake, px at the "
                                                    "processing size: a pixel is foreground only "
                                                    "if it differs from every background pixel "
                                                    "this close")
    min_fill: float = Field(0.25, ge=0, le=1, description="drop blobs whose foreground covers "
                                                          "less than this share of their box")
    warmup_frames: int = Field(10, ge=1, description="frames averaged into the first background; "
                                                     "no detections meanwhile")

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: dict[str, SizeBounds]) -> dict[str, SizeBounds]:
        if not value:
            raise ValueError("needs at least one class")
        unknown = [name for name in value if name not in CLASS_INDEX]
        if unknown:
            raise ValueError(f"unknown class {unknown[0]!r} (expected one of {', '.join(CLASSES)})")
        return value


class _SizeTable:
    """Class bounds as arrays, largest ``min_area`` first, for a vectorised class lookup."""

    def __init__(self, classes: dict[str, SizeBounds]) -> None:
        items = sorted(classes.items(), key=lambda kv: -kv[1].min_area)
        self.index = np.array([CLASS_INDEX[name] for name, _ in items], np.int16)
        self.min_area = np.array([b.min_area for _, b in items], np.float64)[:, None]
        self.max_area = np.array([b.max_area or np.inf for _, b in items], np.float64)[:, None]
        self.min_side = np.array([b.min_side for _, b in items], np.float64)[:, None]
        self.max_aspect = np.array([b.max_aspect or np.inf for _, b in items], np.float64)[:, None]

    def classify(self, w: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Box sizes (n,) -> product class index per box, -1 where no class fits."""
        area = w * h
        short, long_ = np.minimum(w, h), np.maximum(w, h)
        aspect = long_ / np.maximum(short, 1e-6)
        fits = ((area >= self.min_area) & (area <= self.max_area) & (short >= self.min_side)
                & (aspect <= self.max_aspect))  # (classes, boxes)
        first = np.argmax(fits, axis=0)
        return np.where(fits.any(axis=0), self.index[first], -1).astype(np.int16)


def _median(values: np.ndarray) -> np.ndarray:
    """Lower median along the last axis: np.partition is ~5x cheaper than np.median here."""
    k = (values.shape[-1] - 1) // 2
    return np.partition(values, k, axis=-1)[..., k]


def _robust_line(x: np.ndarray, y: np.ndarray, usable: np.ndarray,
                 pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Theil-Sen start per channel: gain = median slope over sample pairs, offset = median
    residual. Unlike least squares it holds while up to a quarter of the samples are new
    foreground; pairs too close in background value say nothing about the gain."""
    i, j = pairs
    dx, dy = x[:, j] - x[:, i], y[:, j] - y[:, i]
    valid = (usable[i] & usable[j]) & (np.abs(dx) >= _PAIR_SPREAD)
    slopes = dy / np.where(valid, dx, 1.0)
    count = valid.sum(axis=1)
    # one median per channel: each has its own valid pairs
    a = np.array([_median(slopes[c, valid[c]]) if count[c] >= _MIN_SAMPLES else 1.0
                  for c in range(x.shape[0])])
    a = np.clip(a, _GAIN[0], _GAIN[1])
    b = _median((y - a[:, None] * x)[:, usable])
    return a, b


def _fit_exposure(frame: np.ndarray, background: np.ndarray, usable: np.ndarray,
                  pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-channel ``frame ≈ a·background + b`` on samples (c, n): a robust start, then least
    squares on the samples within 3 robust sigmas of it (objects and noise tails drop out).

    The gain is shrunk towards 1 (ridge) so a flat scene, whose background spread is only noise,
    cannot yield a wild gain. Returns gain (c,), offset (c,) and residual noise (c,).
    """
    x, y = background, frame
    a, b = _robust_line(x, y, usable, pairs)
    resid = np.abs(y - a[:, None] * x - b[:, None]).max(axis=0)
    scale = 1.4826 * float(_median(resid[usable])) + 0.5
    inliers = usable & (resid < 3.0 * scale)
    weight = (inliers if inliers.sum() >= _MIN_SAMPLES else usable).astype(np.float32)
    total = float(weight.sum())
    mx, my = (x @ weight) / total, (y @ weight) / total
    dx, dy = x - mx[:, None], y - my[:, None]
    sxx, sxy, syy = (dx * dx) @ weight, (dx * dy) @ weight, (dy * dy) @ weight
    ridge = _GAIN_PRIOR_VAR * total
    a = np.clip((sxy + ridge) / (sxx + ridge), _GAIN[0], _GAIN[1])
    sigma = np.sqrt(np.maximum(syy - 2 * a * sxy + a * a * sxx, 0.0) / total)
    b = my - a * mx
    return a.astype(np.float32), b.astype(np.float32), np.maximum(sigma, 0.5).astype(np.float32)


def _kernel(size: float) -> np.ndarray:
    """Square structuring element of odd side (square: separable, so cheap at any size)."""
    k = max(1, int(round(size)) | 1)
    return cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))


class _Workspace:
    """Per-frame buffers at the processing size, allocated once: fresh arrays of this size cost
    more in page faults than the OpenCV calls that fill them."""

    def __init__(self, width: int, height: int, label_dtype: type) -> None:
        colour, grey = (height, width, 3), (height, width)
        self.small = np.empty(colour, np.uint8)
        self.small_f = np.empty(colour, np.float32)
        self.pred_f = np.empty(colour, np.float32)
        self.pred = np.empty(colour, np.uint8)
        self.tmp = np.empty(colour, np.uint8)
        self.over = np.empty(colour, np.uint8)
        self.under = np.empty(colour, np.uint8)
        self.diff = np.empty(grey, np.uint8)
        self.raw = np.empty(grey, np.uint8)
        self.fg = np.empty(grey, np.uint8)
        self.valid = np.empty(grey, np.uint8)
        self.mask = np.empty(grey, np.uint8)
        self.labels = np.empty(grey, label_dtype)
        # last frame's foreground, dilated: excluded from the exposure fit and the slow update
        self.guarded = np.zeros(grey, np.uint8)


class MotionDetector:
    """Background-subtraction detector; one instance per camera (it holds that camera's
    background model). ``detect`` takes BGR uint8 frames of a fixed size."""

    def __init__(self, settings: MotionDetectorSettings, fps: float = 12.5) -> None:
        self.settings = settings
        self._sizes = _SizeTable(settings.classes)
        self.set_fps(fps)
        self.reset()

    def set_fps(self, fps: float) -> None:
        """Convert the time constants to per-frame learning rates for this camera's frame rate."""
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self._rate_bg = float(min(1.0, 1.0 / (self.settings.history_s * fps)))
        self._rate_fg = float(min(1.0, 1.0 / (self.settings.absorb_s * fps)))

    def reset(self) -> None:
        """Forget the background (after a reconnect or a change of view)."""
        self._shape: tuple[int, ...] | None = None
        self._seen = 0

    def detect(self, image: np.ndarray) -> Detections:
        """One BGR uint8 frame -> boxes (full-resolution pixels) of what moves in it."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 BGR image, got {image.shape} {image.dtype}")
        if image.shape != self._shape:
            self._start(image.shape)  # a new resolution means a new view
        ws, (w, h), f = self._ws, self._size, self._factor
        # Whole blocks only (drops < factor px at the right and bottom): the fast resize path.
        cv2.resize(image[:h * f, :w * f], self._size, dst=ws.small, interpolation=cv2.INTER_AREA)
        np.copyto(ws.small_f, ws.small)
        if self._seen < self.settings.warmup_frames:
            self._seen += 1  # running mean of the first frames
            cv2.accumulateWeighted(ws.small_f, self._background, 1.0 / self._seen)
            return Detections.empty()
        exposure = self._foreground()
        dets = self._blobs(float(f))
        self._update(exposure)
        return dets

    # -- stages ----------------------------------------------------------------------------

    def _start(self, shape: tuple[int, ...]) -> None:
        self.reset()
        self._shape = shape
        h, w = shape[:2]
        # Shrink by an integer factor: OpenCV's area resize is ~10x faster on that path.
        self._factor = factor = max(1, min(round(w / self.settings.process_width), h, w))
        self._size = (w // factor, h // factor)
        self._background = np.zeros((self._size[1], self._size[0], 3), np.float32)
        scale = self._size[0] / self.settings.process_width  # kernels are set at process_width
        self._open = _kernel(self.settings.open_px * scale)
        self._close = _kernel(self.settings.close_px * scale)
        # Updates skip a margin round the foreground: the soft edges of an object are object too.
        self._guard = _kernel(5 * scale)
        self._jitter = _kernel(2 * self.settings.jitter_px + 1)
        # 16-bit labels are twice as fast; 8-connected blobs number at most ceil(h/2)·ceil(w/2).
        wide = -(-self._size[0] // 2) * -(-self._size[1] // 2) >= 65535
        self._label_type = cv2.CV_32S if wide else cv2.CV_16U
        self._ws = _Workspace(*self._size, label_dtype=np.int32 if wide else np.uint16)
        samples = -(-self._size[0] // _SAMPLE_STEP) * -(-self._size[1] // _SAMPLE_STEP)
        # Fixed pseudo-random pairs: reproducible runs, and no draw on the per-frame path.
        self._pairs = np.random.default_rng(0).integers(0, samples, (2, _PAIRS))

    def _foreground(self) -> np.ndarray:
        """Fill ``ws.fg`` with this frame's foreground; return the exposure fit (3, 4)."""
        ws, bg, step = self._ws, self._background, _SAMPLE_STEP
        # (3, n) contiguous copies: numpy is several times slower on the strided views
        fs = ws.small_f[::step, ::step].reshape(-1, 3).T.copy()
        bs = bg[::step, ::step].reshape(-1, 3).T.copy()
        usable = ((ws.guarded[::step, ::step].ravel() == 0)
                  & (fs.min(axis=0) >= _UNSATURATED[0]) & (fs.max(axis=0) <= _UNSATURATED[1]))
        if usable.sum() < _MIN_SAMPLES:  # scene almost all foreground: trust every sample
            usable[:] = True
        a, b, sigma = _fit_exposure(fs, bs, usable, self._pairs)
        # rows [diag(a) | b]: cv2.transform re-exposes the background in one pass
        exposure = np.concatenate([np.diag(a), b[:, None]], axis=1)
        cv2.transform(bg, exposure, dst=ws.pred_f)
        cv2.threshold(ws.pred_f, 0.0, 0, cv2.THRESH_TOZERO, dst=ws.pred_f)
        cv2.convertScaleAbs(ws.pred_f, dst=ws.pred)  # uint8 from here on: the fast paths
        # Differ from every background pixel nearby: camera shake moves edges, not objects.
        cv2.dilate(ws.pred, self._jitter, dst=ws.tmp)
        cv2.subtract(ws.small, ws.tmp, dst=ws.over)
        cv2.erode(ws.pred, self._jitter, dst=ws.tmp)
        cv2.subtract(ws.tmp, ws.small, dst=ws.under)
        cv2.max(ws.over, ws.under, dst=ws.over)
        cv2.cvtColor(ws.over, cv2.COLOR_BGR2GRAY, dst=ws.diff)  # luma-weighted channel mean
        thr = max(self.settings.threshold_k * float(sigma @ _LUMA), self.settings.min_threshold)
        cv2.compare(ws.diff, thr, cv2.CMP_GT, dst=ws.raw)
        cv2.morphologyEx(ws.raw, cv2.MORPH_OPEN, self._open, dst=ws.fg)
        cv2.morphologyEx(ws.fg, cv2.MORPH_CLOSE, self._close, dst=ws.fg)
        return exposure

    def _blobs(self, scale: float) -> Detections:
        n, _, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
            self._ws.fg, 8, self._label_type, cv2.CCL_SPAGHETTI, labels=self._ws.labels)
        if n <= 1:
            return Detections.empty()
        x, y, w, h, area = stats[1:].astype(np.float64).T  # row 0 is the background
        fill = area / (w * h)
        xyxy = np.stack([x, y, x + w, y + h], axis=1) * scale
        cls = self._sizes.classify(w * scale, h * scale)
        keep = (cls >= 0) & (fill >= self.settings.min_fill)
        return Detections(xyxy[keep].astype(np.float32), fill[keep].astype(np.float32),
                          cls[keep])

    def _update(self, exposure: np.ndarray) -> None:
        ws, bg = self._ws, self._background
        # Bring the frame to the background's exposure so the model never learns the flicker.
        a, b = np.diag(exposure[:, :3]), exposure[:, 3]
        inverse = np.concatenate([np.diag(1.0 / a), (-b / a)[:, None]], axis=1)
        cv2.transform(ws.small_f, inverse, dst=ws.small_f)
        cv2.dilate(ws.fg, self._guard, dst=ws.guarded)
        # Clipped pixels say nothing about the scene at the background's exposure.
        cv2.inRange(ws.small, (_UNSATURATED[0],) * 3, (_UNSATURATED[1],) * 3, dst=ws.valid)
        cv2.bitwise_and(ws.valid, ws.guarded, dst=ws.mask)
        cv2.accumulateWeighted(ws.small_f, bg, self._rate_fg, ws.mask)
        cv2.bitwise_not(ws.guarded, dst=ws.mask)
        cv2.bitwise_and(ws.valid, ws.mask, dst=ws.mask)
        cv2.accumulateWeighted(ws.small_f, bg, self._rate_bg, ws.mask)
