"""A real walker of the footage who carries an object in, sets it down and lingers beside it.

Real drops do not appear out of nowhere: someone carries the object in, puts it down while
standing over it, stays a while, then walks away (issue 12: a real bag, its owner beside it for
10 s). This module turns one pedestrian of a clip with box ground truth (PETS, MOT format) into
such an *owner*, with the walker's own pixels:

* before ``stop`` the owner is the real walker; the object is painted at their side, at knee
  height (carried);
* from ``stop`` for ``linger`` frames the walker stands still: their silhouette of the stop
  frame is pasted back each frame (with a pixel or two of sway), while the real walker, who goes
  on walking in the source footage, is erased (filled with the clip's median background);
* after that they walk on: their silhouette ``linger`` frames late (the rest of their own walk,
  time-shifted) for at most ``RESUME_S``, the real one still erased.

The same owner with no object is a *waiting* negative: someone standing in a zone for a while.
A silhouette is the pixels of the walker's box that differ from the median background, which
takes their shadow too and misses the parts that look like the ground: the product's detector
and tracker see a real person, which is what matters here.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_FG_THR = 22.0        # colour difference (max over channels) that reads as the walker
_PAD_PX = 4           # the box grown by this much: annotation boxes are a little tight
RESUME_S = 15.0       # how long the time-shifted walk away is played at most
_SWAY_PX = 1          # a standing person is not a statue


@dataclass(frozen=True)
class Owner:
    """One walker turned owner; frames are output frames of the generated clip."""

    track: int                    # MOT id in the background's ground truth
    stop: int                     # the output frame they stop (and set the object down)
    linger: int                   # frames they stand there
    carry: int                    # frames before ``stop`` they are seen carrying the object
    side: int                     # +1: the object goes down right of their feet, -1 left
    feet: tuple[float, float]     # their feet when they stop (frame pixels)
    box: tuple[float, float, float, float]  # their box when they stop (x0, y0, x1, y1)

    @property
    def leave(self) -> int:
        """The output frame they walk on (the object is unattended from here)."""
        return self.stop + self.linger


def track_boxes(people: np.ndarray, track: int) -> dict[int, np.ndarray]:
    """0-based source frame -> (4,) x0, y0, x1, y1 of one MOT track."""
    rows = people[people[:, 1] == track]
    return {int(r[0]) - 1: np.array([r[2], r[3], r[2] + r[4], r[3] + r[5]]) for r in rows}


def find_owner(people: np.ndarray, timeline: np.ndarray, fps: float, *, hint_at: tuple,
               hint_frame: int, window: int, linger: int, carry: int,
               fits) -> Owner | None:  # noqa: ANN001
    """The walker and moment nearest ``hint_at`` / ``hint_frame`` (within ``window`` frames)
    for which ``fits(feet, box, side)`` accepts the stop (the object would lie in its zone) and
    the walker is in view for the ``carry`` frames before it and a second after it."""
    best: tuple[float, Owner] | None = None
    for track in np.unique(people[:, 1]).astype(int):
        boxes = track_boxes(people, track)
        lo, hi = max(hint_frame - window, carry), min(hint_frame + window, len(timeline) - 1)
        for t in range(lo, hi + 1):
            box = boxes.get(int(timeline[t]))
            if box is None:
                continue
            feet = ((box[0] + box[2]) / 2, box[3])
            cost = (np.hypot(feet[0] - hint_at[0], feet[1] - hint_at[1]) / 20
                    + abs(t - hint_frame) / fps)
            if best is not None and cost >= best[0]:
                continue
            # seen carrying it, and their walk away (the rest of their own walk, played
            # ``linger`` late) lasts a second at least
            need = (t - carry, t - carry // 2, *(min(t + k, len(timeline) - 1)
                                                 for k in (round(fps / 2), round(fps))))
            if not all(int(timeline[k]) in boxes for k in need):
                continue
            for side in (1, -1):
                if fits(feet, box, side):
                    best = (cost, Owner(int(track), t, linger, carry, side,
                                        (float(feet[0]), float(feet[1])),
                                        tuple(float(v) for v in box)))
                    break
    return None if best is None else best[1]


def _grown(box: np.ndarray, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    h, w = shape
    x0, y0, x1, y1 = box
    return (max(int(x0) - _PAD_PX, 0), max(int(y0) - _PAD_PX, 0),
            min(int(np.ceil(x1)) + _PAD_PX, w), min(int(np.ceil(y1)) + _PAD_PX, h))


def frame_gain(frame: np.ndarray, median_gray: np.ndarray) -> float:
    """The frame's exposure over the median frame's (coarse: every 8th pixel)."""
    g = cv2.cvtColor(frame[::8, ::8], cv2.COLOR_BGR2GRAY).astype(np.float32)
    m = median_gray[::8, ::8]
    ok = m > 12
    return float(np.clip(np.median(g[ok] / m[ok]), 0.3, 3.0)) if ok.any() else 1.0


def silhouette(frame: np.ndarray, median: np.ndarray, box: np.ndarray, gain: float
               ) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """The walker's pixels in ``frame``: (x0, y0, x1, y1) of the grown box and a bool mask."""
    x0, y0, x1, y1 = r = _grown(box, frame.shape[:2])
    diff = np.abs(frame[y0:y1, x0:x1].astype(np.float32) - gain * median[y0:y1, x0:x1])
    fg = (diff.max(axis=2) > _FG_THR * max(gain, 0.5)).astype(np.uint8)
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    fg = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                                         (5, 5)))
    return r, fg.astype(bool)


def erase(out: np.ndarray, source: np.ndarray, median: np.ndarray, box: np.ndarray,
          gain: float) -> None:
    """Fill the walker of ``source`` in ``out`` (in place) with the median background, brought
    to this moment's light on the bare ground around them. (A nearby frame without anyone
    there would bring real texture, but one from another moment of light shows as a patch.)"""
    (x0, y0, x1, y1), fg = silhouette(source, median, box, gain)
    fg = cv2.dilate(fg.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if not fg.any():
        return
    fill = gain * median[y0:y1, x0:x1]
    ground = ~fg
    if ground.sum() >= 20:
        here = source[y0:y1, x0:x1][ground].astype(np.float32)
        fill = fill * (np.median(here, axis=0) / np.maximum(np.median(fill[ground], axis=0), 1.0))
    out[y0:y1, x0:x1][fg] = np.clip(fill[fg] + 0.5, 0, 255).astype(np.uint8)


def paste(out: np.ndarray, donor: np.ndarray, median: np.ndarray, box: np.ndarray,
          donor_gain: float, gain: float, shift: tuple[int, int] = (0, 0)) -> None:
    """The walker of ``donor`` (a source frame) into ``out`` (in place), moved by ``shift``
    px and brought to this frame's exposure."""
    (x0, y0, x1, y1), fg = silhouette(donor, median, box, donor_gain)
    if not fg.any():
        return
    h, w = out.shape[:2]
    dx, dy = shift
    ys, xs = np.nonzero(fg)
    ty, tx = ys + y0 + dy, xs + x0 + dx
    ok = (ty >= 0) & (ty < h) & (tx >= 0) & (tx < w)
    px = donor[ys[ok] + y0, xs[ok] + x0].astype(np.float32) * (gain / max(donor_gain, 1e-3))
    out[ty[ok], tx[ok]] = np.clip(px + 0.5, 0, 255).astype(np.uint8)


def sway(seed: tuple, t: int, fps: float) -> tuple[int, int]:
    """A slow, small random shift of a standing person (changes about once a second)."""
    rng = np.random.default_rng([*seed, int(t // max(round(fps), 1))])
    return tuple(int(v) for v in rng.integers(-_SWAY_PX, _SWAY_PX + 1, 2))
