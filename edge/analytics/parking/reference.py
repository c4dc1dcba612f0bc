"""The empty state of each space, to compare a frame with: given as an image, or learnt.

* :class:`ImageReference`: a snapshot of the camera with the lot empty, given at set-up. It is
  registered to the current view (ECC affine), since cameras drift: UFPR04 moved by 54 px
  between two annotated days.
* :class:`LearntReference`: built by the product itself, per space, from the moments that space
  was seen free (committed free, observed free, and the reference-free cues sure of it): the
  average of its gradient fields over ``samples`` looks at least ``every_s`` apart, so one moment's
  shadow or noise does not make the reference. It keeps learning while the space is free (light
  and seasons change slowly), and a space whose still cues say "free" for ``relearn_s`` while its
  reference says "changed" forgets it (a car taken for the empty state, a moved camera).

Neither is ever stored or sent: a reference is pixels of the camera, and stays in the process.
After a restart the learnt reference is built again.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from edge.analytics.parking.appearance import (
    Look,
    SpacePatches,
    gray,
    similarity,
    smooth_gradients,
)

log = logging.getLogger(__name__)


class ImageReference:
    """An empty-lot snapshot of the camera, compared space by space with each analysed frame."""

    def __init__(self, reference: np.ndarray, patches: SpacePatches) -> None:
        self.reference = gray(reference)
        self.patches = patches
        self.warp = np.eye(2, 3, dtype=np.float32)  # reference -> current view
        self.grads = smooth_gradients(patches.sample(self.reference))

    def register(self, frame: np.ndarray, scale: float = 1.0) -> bool:
        """Align the reference to ``frame`` (affine, estimated at ``scale``). False when ECC
        does not converge: the previous alignment is kept. Full scale by default: the
        comparison needs sub-pixel alignment (PUCPR: 70 % of spaces right unaligned, 97 %
        aligned), and at half scale ECC diverged on that pair."""
        cur = gray(frame)
        if cur.shape != self.reference.shape:
            raise ValueError(f"reference image is {self.reference.shape[1]}x"
                             f"{self.reference.shape[0]}, frames are {cur.shape[1]}x{cur.shape[0]}")
        small = [cv2.GaussianBlur(cv2.resize(g, None, fx=scale, fy=scale,
                                             interpolation=cv2.INTER_AREA), (5, 5), 0)
                 for g in (cur, self.reference)]
        warp = self.warp.copy()
        warp[:, 2] *= scale
        try:
            _, warp = cv2.findTransformECC(
                small[0], small[1], warp, cv2.MOTION_AFFINE,
                (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5), None, 5)
        except cv2.error as exc:
            log.warning("parking reference: registration failed (%s); keeping the last one",
                        str(exc).splitlines()[-1][:80])
            return False
        warp[:, 2] /= scale
        self.warp = warp
        aligned = cv2.warpAffine(self.reference, warp, self.reference.shape[::-1],
                                 flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_REPLICATE)
        self.grads = smooth_gradients(self.patches.sample(aligned))
        return True

    def similarity(self, look: Look) -> np.ndarray:
        """Per space, 1 = same ground structure as the empty reference, ~0 = something new."""
        return similarity(look.gx, look.gy, *self.grads)


class ViewAlignment:
    """How the camera's view has moved since the learnt references' *anchor* frame.

    A learnt reference is only good in the view it was learnt in, and poles sway, cameras get
    bumped and drift. Each analysis, a phase correlation of small gradient images (a couple of
    ms) says whether the view has moved by more than ``_MOVED_PX`` since the last estimate; only
    then an ECC affine fit at full size (about 0.1 s) measures how, and the frame is warped back
    into the anchor view before it is compared with the learnt references.
    """

    _SCALE = 0.25    # phase correlation on frames shrunk this much
    _MOVED_PX = 1.0  # frame px of shift that calls for a new affine fit
    _MIN_PEAK = 0.05  # phase-correlation peak below which the shift is not believed

    def __init__(self) -> None:
        self.anchor: np.ndarray | None = None
        self._anchor_small: np.ndarray | None = None
        self._window: np.ndarray | None = None
        self.warp: np.ndarray | None = None   # anchor -> current view; None: not moved
        self._shift = np.zeros(2)

    def _small(self, g: np.ndarray) -> np.ndarray:
        s = cv2.resize(g, None, fx=self._SCALE, fy=self._SCALE, interpolation=cv2.INTER_AREA)
        gx, gy = cv2.Sobel(s, cv2.CV_32F, 1, 0), cv2.Sobel(s, cv2.CV_32F, 0, 1)
        return np.sqrt(gx * gx + gy * gy)  # edges, not brightness: day and night alike

    def reset(self, g: np.ndarray) -> None:
        """Take ``g`` (grey frame) as the anchor view."""
        self.anchor, self._anchor_small = g, self._small(g)
        self._window = cv2.createHanningWindow(self._anchor_small.shape[::-1], cv2.CV_32F)
        self.warp, self._shift = None, np.zeros(2)

    def to_anchor(self, g: np.ndarray) -> np.ndarray:
        """``g`` (grey frame) seen from the anchor view; the first frame is the anchor."""
        if self.anchor is None or self.anchor.shape != g.shape:
            self.reset(g)
            return g
        (dx, dy), peak = cv2.phaseCorrelate(self._anchor_small, self._small(g), self._window)
        shift = np.array([dx, dy]) / self._SCALE
        # A weak peak is no measurement (a blank or dark view, a scene change): keep the last.
        if peak >= self._MIN_PEAK and np.abs(shift - self._shift).max() > self._MOVED_PX:
            self._fit(g, shift)
        if self.warp is None:
            return g
        return cv2.warpAffine(g, self.warp, g.shape[::-1],
                              flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)

    def _fit(self, g: np.ndarray, shift: np.ndarray) -> None:
        warp = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
        try:
            _, warp = cv2.findTransformECC(
                cv2.GaussianBlur(self.anchor, (5, 5), 0), cv2.GaussianBlur(g, (5, 5), 0), warp,
                cv2.MOTION_AFFINE, (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5),
                None, 5)
        except cv2.error:
            log.warning("parking: the view moved by about (%.1f, %.1f) px and could not be "
                        "re-aligned; keeping the last alignment", *shift)
            return
        self._shift = shift
        moved = np.abs(warp - np.eye(2, 3)).max() > 1e-3
        self.warp = warp if moved else None
        log.info("parking: the view moved by about (%.1f, %.1f) px; learnt references "
                 "re-aligned", *shift)


class LearntReference:
    """Per space, the gradient field of the space seen free, learnt from the stream."""

    def __init__(self, n: int, inner: int, *, every_s: float, samples: int,
                 relearn_s: float, memory: int = 20) -> None:
        self.every_s, self.samples, self.relearn_s = every_s, samples, relearn_s
        self.memory = max(memory, samples)  # later samples weigh 1/memory: a slow refresh
        self.gx = np.zeros((n, inner, inner), np.float32)
        self.gy = np.zeros((n, inner, inner), np.float32)
        self.count = np.zeros(n, np.int64)
        self.last = np.full(n, -np.inf)
        self.doubt_since = np.full(n, np.nan)  # still cues "free" while the reference says not

    @property
    def ready(self) -> np.ndarray:
        return self.count >= self.samples

    def similarity(self, look: Look) -> np.ndarray:
        """Per space, as :meth:`ImageReference.similarity`; NaN where not learnt yet."""
        sim = similarity(look.gx, look.gy, self.gx, self.gy)
        return np.where(self.ready, sim, np.nan)

    def learn(self, look: Look, free: np.ndarray, ts: float) -> None:
        """Take this look into the reference of the spaces ``free`` says were surely free, at
        most once per ``every_s`` each."""
        due = free & (ts - self.last >= self.every_s)
        if not due.any():
            return
        w = (1.0 / np.minimum(self.count[due] + 1, self.memory))[:, None, None]
        self.gx[due] += w * (look.gx[due] - self.gx[due])
        self.gy[due] += w * (look.gy[due] - self.gy[due])
        self.count[due] += 1
        self.last[due] = ts

    def doubt(self, disagree: np.ndarray, ts: float) -> np.ndarray:
        """Spaces whose still cues say free while their reference says changed (``disagree``):
        after ``relearn_s`` of that without a break, the reference is forgotten. Returns the
        spaces forgotten now."""
        disagree = disagree & self.ready
        start = disagree & np.isnan(self.doubt_since)
        self.doubt_since[start] = ts
        self.doubt_since[~disagree] = np.nan
        stale = disagree & (ts - self.doubt_since >= self.relearn_s)
        if stale.any():
            self.forget(stale)
        return stale

    def forget(self, spaces: np.ndarray | None = None) -> None:
        """Drop the learnt reference of ``spaces`` (bool mask; default: all)."""
        mask = np.ones(len(self.count), bool) if spaces is None else spaces
        self.gx[mask] = 0.0
        self.gy[mask] = 0.0
        self.count[mask] = 0
        self.last[mask] = -np.inf
        self.doubt_since[mask] = np.nan
