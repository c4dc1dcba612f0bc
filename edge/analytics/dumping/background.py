"""What in a drop-off zone has changed and stayed: a reference (long-term) background against
the recent frames, per pixel of a small crop of the zone.

Every look at the zone (``every_s``):

1. the zone's crop is shrunk to at most ``_MAX_SIDE`` px and blurred (camera noise);
2. its exposure is matched to the reference (one gain, from the medians of the pixels in view),
   so clouds, auto-exposure and flicker do not read as change;
3. a pixel *changed* when its colour is farther than ``threshold`` from the reference;
4. a per-pixel persistence clock (seconds) runs while a pixel stays changed and runs back three
   times as fast when it does not: the *short-term* view. A pixel is *static* once changed for
   ``static_s``, so people and cars passing through never are. It counts media seconds, not
   looks, so a camera analysed more slowly than ``every_s`` keeps the same timing;
5. the reference learns slowly from unchanged pixels only, so a left object is never absorbed
   while it stays; pixels under a tracked vehicle are neither counted nor learnt (a car parked
   over the zone holds everything). Pixels under a tracked *person* keep counting: an object
   set down beside its owner is static by the time they walk away, and one carried off with a
   person over it is seen going (:mod:`.analytic` keeps the person themself out of objects).

A static region is a left object when its outline has more edges now than the reference has
there; otherwise it is a *ghost*: something that was in the reference (a person standing when
the model started, an object taken away) has gone, and the reference takes the new look at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_MAX_SIDE = 160  # px: a zone is analysed at this size at most; objects stay > 10 px across
_LEARN_TAU_S = 60.0  # the reference follows unchanged pixels with this time constant
_MAX_STEP_S = 2.0  # a longer gap between looks (an outage) counts as this much
_GAIN_RANGE = (0.4, 2.5)  # beyond this, the exposure change is not believable: hold
_EDGE_RATIO = 1.15  # reference edges this much stronger than now on the outline: a ghost
_SCENE_CHANGE = 0.9  # share of the zone changed at once: the scene changed, not an object left
RELEARN_S = 60.0  # unusable looks for this long: the view itself changed, learn it again
_RELIT = 0.6  # gradient correlation with the reference above which a change is only light


@dataclass(frozen=True, slots=True)
class ZoneView:
    """One look at a zone, in the model's small pixels."""

    static: np.ndarray    # bool (h, w): changed for at least static_s, inside the zone
    visible: np.ndarray   # bool (h, w): inside the zone and not behind a tracked object
    reliable: bool        # False when the look is unusable (exposure jump, whole zone changed)


class ZoneBackground:
    """The pixel model of one drop-off zone; ``polygon`` in frame pixels."""

    def __init__(self, polygon: np.ndarray, frame_size: tuple[int, int], *, every_s: float,
                 threshold: float, static_s: float = 3.0) -> None:
        w, h = frame_size
        pts = np.asarray(polygon, np.float32)
        x0, y0 = np.floor(pts.min(axis=0)).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
        self.x0, self.y0 = max(int(x0), 0), max(int(y0), 0)
        self.x1, self.y1 = min(int(x1), w), min(int(y1), h)
        self.scale = min(1.0, _MAX_SIDE / max(self.x1 - self.x0, self.y1 - self.y0))
        self.size = (max(2, round((self.x1 - self.x0) * self.scale)),
                     max(2, round((self.y1 - self.y0) * self.scale)))
        self.inside = np.zeros(self.size[::-1], np.uint8)
        cv2.fillPoly(self.inside, [np.round((pts - (self.x0, self.y0)) * self.scale)
                                   .astype(np.int32)], 1)
        self.inside = self.inside.astype(bool)
        self.area = int(self.inside.sum())
        self.threshold = float(threshold)
        self.every_s = float(every_s)
        self.static_s = max(float(static_s), 2 * self.every_s)
        self.ref: np.ndarray | None = None           # float32 (h, w, 3)
        self.known = np.zeros(self.inside.shape, bool)  # reference pixels seen unoccluded
        self.count = np.zeros(self.inside.shape, np.float32)  # seconds changed (see 4.)
        self.step_s = self.every_s  # media seconds the last look stood for
        self.unusable_s = 0.0  # media seconds of unusable looks in a row
        self._last_t: float | None = None
        self._cur: np.ndarray | None = None
        self._raw: np.ndarray | None = None  # the last look before exposure matching
        self._grads: tuple[np.ndarray, np.ndarray] | None = None  # (now, reference), per look

    @property
    def px_per_frame_px(self) -> float:
        """Model pixels per frame pixel (area)."""
        return self.scale * self.scale

    def crop(self, image: np.ndarray) -> np.ndarray:
        patch = image[self.y0:self.y1, self.x0:self.x1]
        small = cv2.resize(patch, self.size, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(small, (3, 3), 0).astype(np.float32)

    def occluders(self, boxes: np.ndarray, grow: float = 0.1) -> np.ndarray:
        """bool (h, w): pixels under any of ``boxes`` (n, 4 frame pixels), grown by ``grow``
        of their size on each side."""
        mask = np.zeros(self.inside.shape, np.uint8)
        if len(boxes):
            pad = grow * (boxes[:, 2:] - boxes[:, :2])
            b = (np.concatenate([boxes[:, :2] - pad, boxes[:, 2:] + pad], axis=1)
                 - (self.x0, self.y0, self.x0, self.y0)) * self.scale
            b = np.round(b).astype(np.int32)
            for x0, y0, x1, y1 in b:  # a handful of tracks: rectangles, not pixels
                cv2.rectangle(mask, (int(x0), int(y0)), (int(x1), int(y1)), 1, -1)
        return mask.astype(bool)

    def look(self, image: np.ndarray, boxes: np.ndarray, t: float) -> ZoneView:
        """Update the model with the frame of media time ``t`` and the boxes of the tracked
        vehicles (they hold the pixels under them)."""
        if self._last_t is not None:
            self.step_s = min(max(t - self._last_t, 0.0), _MAX_STEP_S)
        self._last_t = t
        self._grads = None
        cur = self.crop(image)
        occluded = self.occluders(boxes)
        visible = self.inside & ~occluded
        if self.ref is None:
            self.ref = cur.copy()
        fresh = visible & ~self.known  # first sight of these pixels: they are the reference
        self.ref[fresh] = cur[fresh]
        self.known |= fresh
        both = visible & self.known
        # Exposure from the pixels that were background at the last look: a big object or a
        # crowd in the zone must not pull the gain.
        stable = both & (self.count == 0)
        gain = self._gain(cur, stable if stable.sum() >= 0.25 * self.area else both)
        self._raw = cur.copy()
        if gain is None:
            return self._unusable(visible)
        cur *= gain
        dist = np.abs(cur - self.ref).max(axis=2)
        changed = (dist > self.threshold) & both
        changed = cv2.morphologyEx(changed.astype(np.uint8), cv2.MORPH_OPEN,
                                   np.ones((2, 2), np.uint8)).astype(bool)
        if changed.sum() > _SCENE_CHANGE * self.area:
            # Nearly all of the zone at once is a scene change (lights, the camera knocked), not
            # an object left: hold the counters, learn nothing.
            return self._unusable(visible)
        self.unusable_s = 0.0
        # Occluded pixels hold; changed ones count up; the others fall fast (a passer-by).
        dt = self.step_s
        up = np.minimum(self.count + dt, 2 * self.static_s)
        down = np.maximum(self.count - 3 * dt, 0.0)
        self.count = np.where(both, np.where(changed, up, down), self.count)
        learn = both & ~changed & (self.count == 0)
        self.ref[learn] += min(1.0, dt / _LEARN_TAU_S) * (cur[learn] - self.ref[learn])
        self._cur = cur
        return ZoneView(self.static(), visible, True)

    def _unusable(self, visible: np.ndarray) -> ZoneView:
        self.unusable_s += self.step_s
        return ZoneView(self.static(), visible, False)

    def relearn(self) -> None:
        """Take the last look, as it is, for the reference of the whole zone (the camera was
        moved, or the scene changed for good)."""
        self.ref = self._raw.copy()
        self.known = self.inside.copy()
        self.count[:] = 0
        self.unusable_s = 0.0
        self._grads = None

    def static(self) -> np.ndarray:
        return self.count >= self.static_s - 1e-6

    def since(self, region: np.ndarray, t: float) -> float:
        """When ``region``'s pixels started to change (media seconds): the first changed look."""
        return t - float(np.median(self.count[region])) + self.step_s

    def _gain(self, cur: np.ndarray, pixels: np.ndarray) -> float | None:
        if pixels.sum() < 16:
            return 1.0
        # The mode of the per-pixel ratios: the bare ground agrees on one exposure change, while
        # an object just set down (its pixels not counted yet) spreads over many. A median, or
        # a ratio of medians, follows a sofa over half of the zone.
        now = cur[pixels].mean(axis=1)
        ref = self.ref[pixels].mean(axis=1)
        logs = np.log(np.maximum(ref, 1.0) / np.maximum(now, 1.0))
        lo, hi = np.log(_GAIN_RANGE[0]) - 0.1, np.log(_GAIN_RANGE[1]) + 0.1
        hist, edges = np.histogram(logs, bins=int((hi - lo) / 0.02), range=(lo, hi))
        hist = np.convolve(hist, np.ones(3), mode="same")
        peak = int(hist.argmax())
        near = np.abs(logs - 0.5 * (edges[peak] + edges[peak + 1])) < 0.05
        gain = float(np.exp(np.median(logs[near]))) if near.any() else float(np.exp(
            np.median(logs)))
        return gain if _GAIN_RANGE[0] <= gain <= _GAIN_RANGE[1] else None

    def is_ghost(self, region: np.ndarray) -> bool:
        """True when the reference has more edges on ``region``'s outline than the frame now:
        something left the reference rather than arrived in the frame."""
        ring = cv2.morphologyEx(region.astype(np.uint8), cv2.MORPH_GRADIENT,
                                np.ones((3, 3), np.uint8)).astype(bool)
        if ring.sum() < 4:
            return False
        now, ref = self._gradients()
        return bool(np.abs(ref).sum(axis=0)[ring].mean() >
                    _EDGE_RATIO * np.abs(now).sum(axis=0)[ring].mean())

    def is_relit(self, region: np.ndarray) -> bool:
        """True when the inside of ``region`` keeps the reference's texture, only lighter or
        darker: a shadow, a light, a reflection, not an object (which hides the ground's
        texture under its own). The outline is left out: a shadow's edge is an edge too."""
        inner = cv2.erode(region.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        if inner.sum() < 16:
            return False
        now, ref = self._gradients()
        a, b = now[:, inner], ref[:, inner]
        a, b = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
        energy = float(np.sqrt((a * a).sum() * (b * b).sum()))
        if energy <= 1e-6 or np.abs(b).mean() < 2.0:
            return False  # a flat patch: no texture to tell light from an object
        return float((a * b).sum()) / energy > _RELIT

    def absorb(self, region: np.ndarray) -> None:
        """Take the frame's current look as the reference over ``region`` (a ghost, or a change
        that will never be an alert)."""
        self.ref[region] = self._cur[region]
        self.count[region] = 0
        self._grads = None

    def _gradients(self) -> tuple[np.ndarray, np.ndarray]:
        """Gradients of the current look and of the reference, computed once per look."""
        if self._grads is None:
            self._grads = (_gradients(self._cur), _gradients(self.ref))
        return self._grads


def _gradients(img: np.ndarray) -> np.ndarray:
    """(2, h, w): horizontal and vertical Sobel gradients of the grey image."""
    gray = img.mean(axis=2)
    return np.stack([cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3),
                     cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)])

