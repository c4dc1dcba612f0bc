"""Compositing a sprite into real frames: placement, exposure, occlusion by what moves in front.

Per frame and object, only the object's neighbourhood is touched:

1. **exposure**: the gain of the frame against the clip's median frame, measured on the ground
   around the object (the median of the per-pixel ratio, then the mean of the pixels near it, so
   people and cars passing by do not count); the object's colours are scaled by it, so Intel's
   flicker darkens and brightens it like the asphalt around it;
2. **occlusion**: a silhouette of what is in front: ``|frame - gain x median|`` above a threshold,
   restricted to the ground-truth person boxes whose feet are nearer the camera than the
   object's footprint (PETS), or, without box ground truth (Intel), to blobs big enough to be a
   car; no object or shadow pixel is painted there;
3. **paint**: contact shadow (the ground darkened), then the object blended by its feathered
   alpha, plus per-frame sensor noise.

>>> pingpong(4, 9).tolist()     # 0 1 2 3 2 1 0 1 2: the background never jumps
[0, 1, 2, 3, 2, 1, 0, 1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from benchmarks.dumping.objects import Sprite
from benchmarks.metrics.ground_truth import load_mot
from edge.assets import clip_ground_truth, load_clip_manifest, resolve_clip
from edge.errors import EdgeError

_MEDIAN_SAMPLES = 100   # frames sampled for the clip's median (background) frame
_PEOPLE_THR = 22.0      # colour difference (max over channels) that reads as a person
_CAR_THR = 35.0         # higher without box ground truth: only a car-sized change counts
_CAR_MIN_PX = 400       # smallest blob taken for a passing vehicle
_PERSON_MIN_PX = 12     # smallest part of a person's silhouette kept (a hand, a foot)
_RING_PX = 12           # extra ground around the sprite used for the exposure gain
_NOISE_SIGMA = 2.0      # sensor noise added to the object's pixels, per channel
_MIN_INLIERS = 24       # ground points a camera-motion fit needs to be believed


def pingpong(n_source: int, n_out: int, start: int = 0) -> np.ndarray:
    """Source frame index of each output frame: forward, backward, forward... from ``start``."""
    if n_source < 2:
        raise ValueError("pingpong needs a clip of at least 2 frames")
    period = 2 * (n_source - 1)
    k = (np.arange(n_out) + start) % period
    return np.where(k < n_source, k, period - k).astype(np.int64)


# --- the real clips --------------------------------------------------------------------------


@dataclass(frozen=True)
class SceneInfo:
    """What the ground truth of a composited clip needs from its background, without decoding:
    size, rate, length, and the person boxes (``people``: MOT rows frame(1-based), id, x, y, w,
    h; None when the clip has no box ground truth)."""

    name: str
    fps: float
    n_frames: int
    width: int
    height: int
    people: np.ndarray | None

    def boxes(self, src: int) -> np.ndarray:
        """(n, 4) x1, y1, x2, y2 of the people in source frame ``src`` (0-based)."""
        if self.people is None:
            return np.zeros((0, 4))
        rows = self.people[self.people[:, 0] == src + 1]
        return np.column_stack([rows[:, 2], rows[:, 3], rows[:, 2] + rows[:, 4],
                                rows[:, 3] + rows[:, 5]])

    def near(self, at: tuple[float, float], radius: float) -> np.ndarray:
        """Per source frame: is someone's feet within ``radius`` (an ellipse half as tall, the
        ground seen at an angle) of the point ``at``?"""
        out = np.zeros(self.n_frames, bool)
        if self.people is None:
            return out
        p = self.people
        fx, fy = p[:, 2] + p[:, 4] / 2, p[:, 3] + p[:, 5]
        inside = ((fx - at[0]) / radius) ** 2 + ((fy - at[1]) / (0.5 * radius)) ** 2 <= 1.0
        frames = p[inside, 0].astype(int) - 1
        out[frames[(frames >= 0) & (frames < self.n_frames)]] = True
        return out


def scene_info(name: str) -> SceneInfo:
    """A manifest video clip's size, rate, length and person boxes (EDGE_ASSETS)."""
    manifest = load_clip_manifest()
    spec, _ = resolve_clip(name, manifest)
    if spec.kind != "video" or spec.fps is None or spec.frames is None:
        raise EdgeError(f"background {name!r}: not a video clip")
    people = None
    if spec.ground_truth is not None and spec.ground_truth.format == "mot":
        people = load_mot(clip_ground_truth(spec))
    return SceneInfo(name, float(spec.fps), int(spec.frames), spec.width, spec.height, people)


def _contrast(frame: np.ndarray) -> np.ndarray:
    """Gray frame over its local mean: texture without exposure, for tracking the ground."""
    g = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return np.clip(128.0 * g / (cv2.GaussianBlur(g, (0, 0), 15) + 1.0), 0, 255).astype(np.uint8)


def estimate_motion(frames: np.ndarray) -> np.ndarray:
    """Per frame, the similarity transform (2x3) from the middle frame's pixels to this frame's.

    For hand-held or drone footage (the Intel clips drift by up to 15 px): ground corners of the
    middle frame are tracked into each frame (pyramidal Lucas-Kanade on contrast-normalised
    images, so flicker does not matter, starting from the previous frame's transform), and a
    RANSAC fit drops what moves on its own. A frame with too few inliers keeps its neighbour's.
    """
    n = len(frames)
    mid = n // 2
    ref = _contrast(frames[mid])
    pts = cv2.goodFeaturesToTrack(ref, 600, 0.01, 8, blockSize=7)
    out = np.zeros((n, 2, 3))
    out[mid] = np.eye(2, 3)
    if pts is None or len(pts) < _MIN_INLIERS:
        out[:] = np.eye(2, 3)
        return out
    for order in (range(mid + 1, n), range(mid - 1, -1, -1)):
        prev = np.eye(2, 3)
        for t in order:
            guess = cv2.transform(pts, prev)
            moved, status, _ = cv2.calcOpticalFlowPyrLK(
                ref, _contrast(frames[t]), pts, guess.copy(), winSize=(21, 21), maxLevel=3,
                flags=cv2.OPTFLOW_USE_INITIAL_FLOW)
            ok = status.ravel() == 1
            fit, inliers = (None, None)
            if ok.sum() >= _MIN_INLIERS:
                fit, inliers = cv2.estimateAffinePartial2D(pts[ok], moved[ok], method=cv2.RANSAC,
                                                           ransacReprojThreshold=1.0)
            if fit is not None and int(inliers.sum()) >= _MIN_INLIERS:
                prev = fit
            out[t] = prev
    return out


@dataclass(frozen=True)
class Backdrop:
    """A background clip decoded into memory, with its median frame (the scene without the
    people and cars passing) in the coordinates of the middle frame, and, for a moving camera,
    each frame's transform from those coordinates (``motion``, (n, 2, 3); None: static)."""

    info: SceneInfo
    frames: np.ndarray        # (n, h, w, 3) uint8
    median: np.ndarray        # (h, w, 3) float32
    median_gray: np.ndarray   # (h, w) float32
    motion: np.ndarray | None

    def shift(self, src: int, at: tuple[float, float]) -> tuple[float, float]:
        """Where the ground point ``at`` (middle-frame pixels) is in source frame ``src``."""
        if self.motion is None:
            return at
        m = self.motion[src]
        return (float(m[0, 0] * at[0] + m[0, 1] * at[1] + m[0, 2]),
                float(m[1, 0] * at[0] + m[1, 1] * at[1] + m[1, 2]))

    def median_patch(self, box: tuple[int, int, int, int],
                     offset: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
        """The median frame (colour, gray) over ``box`` (y0, y1, x0, x1 in a source frame whose
        ground is displaced by ``offset`` from the middle frame's)."""
        y0, y1, x0, x1 = box
        if offset == (0.0, 0.0):
            return self.median[y0:y1, x0:x1], self.median_gray[y0:y1, x0:x1]
        centre = ((x0 + x1 - 1) / 2 - offset[0], (y0 + y1 - 1) / 2 - offset[1])
        size = (x1 - x0, y1 - y0)
        return (cv2.getRectSubPix(self.median, size, centre),
                cv2.getRectSubPix(self.median_gray, size, centre))


def load_backdrop(name: str, moving: bool = False) -> Backdrop:
    """Decode a manifest clip; ``moving``: the camera drifts, so estimate its motion."""
    info = scene_info(name)
    _, path = resolve_clip(name)
    cap = cv2.VideoCapture(str(path))
    frames = np.empty((info.n_frames, info.height, info.width, 3), np.uint8)
    n = 0
    try:
        while n < info.n_frames:
            ok, img = cap.read()
            if not ok:
                break
            if img.shape != frames.shape[1:]:
                raise EdgeError(f"{path}: frame {n} is {img.shape[1]}x{img.shape[0]}, "
                                f"the manifest says {info.width}x{info.height}")
            frames[n] = img
            n += 1
    finally:
        cap.release()
    if n < info.n_frames:
        raise EdgeError(f"{path}: decoded {n} frames, the manifest says {info.n_frames}")
    motion = estimate_motion(frames) if moving else None
    pick = np.linspace(0, n - 1, min(n, _MEDIAN_SAMPLES)).round().astype(int)
    if motion is None:
        sample = frames[pick]
    else:   # into the middle frame's coordinates first, or the median would blur
        size = (info.width, info.height)
        sample = np.stack([cv2.warpAffine(frames[i], cv2.invertAffineTransform(motion[i]), size,
                                          flags=cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_REPLICATE) for i in pick])
    median = np.median(sample, axis=0).astype(np.float32)
    return Backdrop(info, frames, median, cv2.cvtColor(median, cv2.COLOR_BGR2GRAY), motion)


# --- one object in one frame -----------------------------------------------------------------


def _subpixel(sprite: Sprite, fx: float, fy: float) -> Sprite:
    """The sprite moved right/down by a fraction of a pixel (its arrays grow by one)."""
    if fx == 0.0 and fy == 0.0:
        return sprite
    m = np.float32([[1, 0, fx], [0, 1, fy]])
    h, w = sprite.alpha.shape
    size = (w + 1, h + 1)

    def warp(a: np.ndarray) -> np.ndarray:
        return cv2.warpAffine(a, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
                              if a.ndim == 3 else cv2.BORDER_CONSTANT)
    return replace(sprite, bgr=warp(sprite.bgr), alpha=warp(sprite.alpha),
                   shadow=warp(sprite.shadow),
                   anchor=(sprite.anchor[0] + fx, sprite.anchor[1] + fy))


@dataclass(frozen=True)
class Placement:
    """A sprite at its place in one frame: ``at`` = the footprint centre in frame pixels.

    ``roi`` (y0, y1, x0, x1) is the sprite's rectangle clipped to the frame, ``src`` the same
    rectangle in sprite pixels, ``wide`` the rectangle grown by a margin (clipped) and ``ring``
    a bool mask over ``wide``: the bare ground around the object, where exposure is measured.
    """

    sprite: Sprite
    at: tuple[float, float]
    roi: tuple[int, int, int, int]
    src: tuple[int, int, int, int]
    wide: tuple[int, int, int, int]
    ring: np.ndarray

    @property
    def front_y(self) -> float:
        """Feet below this row are nearer the camera than the object: they hide it."""
        return self.at[1] - 0.5 * self.sprite.depth_px

    def in_wide(self, a: np.ndarray) -> np.ndarray:
        """The ``roi`` part of an array over ``wide``."""
        y0, y1, x0, x1 = self.roi
        return a[y0 - self.wide[0]:y1 - self.wide[0], x0 - self.wide[2]:x1 - self.wide[2]]


def place(sprite: Sprite, at: tuple[float, float], frame_size: tuple[int, int]) -> Placement:
    """Put the sprite's anchor on ``at`` (sub-pixel: the sprite is resampled)."""
    w, h = frame_size
    ox, oy = at[0] - sprite.anchor[0], at[1] - sprite.anchor[1]
    left, top = int(np.floor(ox)), int(np.floor(oy))
    sprite = _subpixel(sprite, round(ox - left, 3), round(oy - top, 3))
    sh, sw = sprite.alpha.shape
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + sw, w), min(top + sh, h)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"object at {at} lies outside the {w}x{h} frame")
    wx0, wy0 = max(x0 - _RING_PX, 0), max(y0 - _RING_PX, 0)
    wx1, wy1 = min(x1 + _RING_PX, w), min(y1 + _RING_PX, h)
    ring = np.ones((wy1 - wy0, wx1 - wx0), bool)
    sy, sx = slice(y0 - top, y1 - top), slice(x0 - left, x1 - left)
    body = (sprite.alpha[sy, sx] > 0.01) | (sprite.shadow[sy, sx] > 0.05)
    ring[y0 - wy0:y1 - wy0, x0 - wx0:x1 - wx0] &= ~body
    return Placement(sprite, (float(at[0]), float(at[1])), (y0, y1, x0, x1),
                     (y0 - top, y1 - top, x0 - left, x1 - left), (wy0, wy1, wx0, wx1), ring)


def exposure_gain(frame: np.ndarray, median_gray: np.ndarray, p: Placement) -> float:
    """This frame's brightness over the median frame's, on the ground around the object.

    ``median_gray``: the median frame over ``p.wide``.
    """
    y0, y1, x0, x1 = p.wide
    f = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float32)[p.ring]
    m = median_gray[p.ring]
    ok = m > 12.0
    if ok.sum() < 16:
        return 1.0
    ratio = f[ok] / m[ok]
    g0 = float(np.median(ratio))
    steady = np.abs(ratio - g0) < 0.12 * g0     # drop what moves: people, cars, their shadows
    return float(np.clip(ratio[steady].mean() if steady.any() else g0, 0.2, 3.0))


def occluders(frame: np.ndarray, median: np.ndarray, p: Placement, gain: float,
              boxes: np.ndarray | None) -> np.ndarray:
    """Soft mask (roi-sized float32, 1 = hidden) of what stands in front of the object.

    ``median``: the median frame over ``p.wide``. ``boxes``: (n, 4) person boxes of this frame
    (x1, y1, x2, y2), or None for a clip without box ground truth, where any car-sized change
    hides the object.
    """
    y0, y1, x0, x1 = p.roi
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    diff = np.abs(roi - gain * p.in_wide(median)).max(axis=2)
    if boxes is None:
        fg = _blobs(diff > _CAR_THR * max(gain, 0.5), _CAR_MIN_PX, open_first=True)
    else:
        allowed = np.zeros(diff.shape, np.uint8)
        for bx0, by0, bx1, by1 in boxes:
            if by1 < p.front_y:       # behind the object: the object hides them
                continue
            pad = 3 + 0.08 * (bx1 - bx0)
            cv2.rectangle(allowed, (int(bx0 - pad - x0), int(by0 - pad - y0)),
                          (int(bx1 + pad - x0), int(by1 + pad - y0)), 1, -1)
        if not allowed.any():
            return np.zeros(diff.shape, np.float32)
        fg = _blobs((diff > _PEOPLE_THR * max(gain, 0.5)) & allowed.astype(bool),
                    _PERSON_MIN_PX)
        fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))) & allowed
        # Its rim pixels are half background in the real frame: let the object take them.
        fg = cv2.erode(fg, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)))
    if not fg.any():
        return np.zeros(diff.shape, np.float32)
    return cv2.GaussianBlur(fg.astype(np.float32), (0, 0), 0.7)


def _blobs(mask: np.ndarray, min_px: int, open_first: bool = False) -> np.ndarray:
    """The connected parts of ``mask`` of at least ``min_px`` pixels (uint8 0/1): specks of
    noise and compression are not someone in front."""
    fg = mask.astype(np.uint8)
    if open_first:
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    big = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= min_px)
    return np.isin(labels, big[big > 0]).astype(np.uint8)


def paint(frame: np.ndarray, p: Placement, gain: float, hidden: np.ndarray,
          rng: np.random.Generator) -> None:
    """Composite the sprite into ``frame`` (uint8, in place) where ``hidden`` lets it show."""
    y0, y1, x0, x1 = p.roi
    sy0, sy1, sx0, sx1 = p.src
    s = p.sprite
    show = 1.0 - hidden
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    roi *= (1.0 - s.shadow[sy0:sy1, sx0:sx1] * show)[..., None]
    alpha = (s.alpha[sy0:sy1, sx0:sx1] * show)[..., None]
    obj = s.bgr[sy0:sy1, sx0:sx1] * gain
    obj += rng.normal(0.0, _NOISE_SIGMA, obj.shape).astype(np.float32)
    roi += alpha * (obj - roi)
    frame[y0:y1, x0:x1] = np.clip(roi + 0.5, 0, 255).astype(np.uint8)


def composite(out: np.ndarray, source: np.ndarray, backdrop: Backdrop, src: int,
              sprite: Sprite, at: tuple[float, float], rng: np.random.Generator) -> None:
    """One object into one output frame: ``source`` is the untouched source frame ``src`` (what
    exposure and occlusion are measured on), ``out`` its copy being painted; ``at`` is the
    footprint centre in middle-frame pixels (the same as frame pixels for a static camera)."""
    where = backdrop.shift(src, at)
    p = place(sprite, where, (backdrop.info.width, backdrop.info.height))
    offset = (where[0] - at[0], where[1] - at[1])
    med, med_gray = backdrop.median_patch(p.wide, offset)
    gain = exposure_gain(source, med_gray, p)
    boxes = backdrop.info.boxes(src) if backdrop.info.people is not None else None
    paint(out, p, gain, occluders(source, med, p, gain, boxes), rng)
