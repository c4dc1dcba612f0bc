"""Who of the tracked people is standing still: the ones who can be *with* an object.

Someone who sets a bag down and stays beside it attends it: its dwell clock waits for them to
leave. Someone walking past it does not: on a busy pavement passers-by cross an object every few
seconds, and pausing the clock for each of them would delay the alert without end. A person is
standing when their box has moved less than ``_STILL`` of its height over the last ``WINDOW_S``
seconds. Track ids stay here, in the process, and are dropped with their tracks.
"""

from __future__ import annotations

import numpy as np

WINDOW_S = 2.0   # seconds of a track looked back over
_STILL = 0.3     # box heights of travel over the window below which someone is standing


class StandingPeople:
    def __init__(self) -> None:
        self._seen: dict[int, list[tuple[float, float, float]]] = {}  # id -> [(t, cx, cy)]

    def update(self, ids: np.ndarray, xyxy: np.ndarray, t: float,
               removed: np.ndarray | None = None) -> np.ndarray:
        """bool (n,): which of these people (track ids, boxes) have been standing for the
        last ``WINDOW_S``; someone seen for less than that is not (yet)."""
        for i in () if removed is None else removed.tolist():
            self._seen.pop(int(i), None)
        out = np.zeros(len(ids), bool)
        centres = 0.5 * (xyxy[:, :2] + xyxy[:, 2:])
        heights = xyxy[:, 3] - xyxy[:, 1]
        for k, i in enumerate(ids.tolist()):
            past = self._seen.setdefault(int(i), [])
            past.append((t, float(centres[k, 0]), float(centres[k, 1])))
            while len(past) > 1 and t - past[1][0] >= WINDOW_S:
                past.pop(0)  # keep one sample at least WINDOW_S old
            t0, x0, y0 = past[0]
            travel = np.hypot(centres[k, 0] - x0, centres[k, 1] - y0)
            out[k] = t - t0 >= WINDOW_S - 1e-6 and travel < _STILL * max(heights[k], 1.0)
        live = set(int(i) for i in ids.tolist())
        for i in [i for i, p in self._seen.items() if i not in live and t - p[-1][0] > 10.0]:
            del self._seen[i]  # a track gone quiet without a removal notice
        return out
