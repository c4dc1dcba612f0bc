"""Per-space state machine with hysteresis, vectorised over the spaces of a lot.

Each analysis gives every space an observation: occupied, free, or none (nothing usable: the
space is hidden). A committed state flips only when the opposite observation has held for
``occupy_s`` / ``vacate_s``, so a car driving past or a pedestrian crossing a space never flips
it. From ``unknown`` (start-up, long occlusion) the first observation commits at once: there is
no better estimate to keep. No usable observation for ``unknown_after_s`` -> ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OCCUPIED, FREE, UNKNOWN = 0, 1, 2
NONE = -1  # observation: nothing usable this time
NAMES = ("occupied", "free", "unknown")


@dataclass(frozen=True, slots=True)
class Change:
    space: int      # index into the lot's spaces
    old: int
    new: int
    since: float    # when the evidence for ``new`` began (media seconds)
    stay_s: float | None  # for occupied -> free: how long the space was occupied, if known


class Occupancy:
    """``update(observations, ts)`` per analysis; ``state`` holds the committed states."""

    def __init__(self, n: int, occupy_s: float, vacate_s: float, unknown_after_s: float) -> None:
        self.hold = np.array([occupy_s, vacate_s])  # indexed by the target state
        self.unknown_after_s = unknown_after_s
        self.state = np.full(n, UNKNOWN, np.int8)
        self.state_since = np.full(n, np.nan)   # evidence start of the committed state
        self.pending = np.full(n, NONE, np.int8)
        self.pending_since = np.full(n, np.nan)
        self.last_seen = np.full(n, -np.inf)    # last usable observation

    def update(self, obs: np.ndarray, ts: float) -> list[Change]:
        obs = np.asarray(obs, np.int8)
        seen = obs != NONE
        self.last_seen[seen] = ts
        # The pending candidate restarts whenever the observation changes.
        differs = seen & (obs != self.state)
        restart = differs & (obs != self.pending)
        self.pending_since[restart] = ts
        self.pending[restart] = obs[restart]
        agree = seen & (obs == self.state)
        self.pending[agree] = NONE
        hold = self.hold[np.clip(self.pending, 0, 1)]
        commit = differs & ((self.state == UNKNOWN) | (ts - self.pending_since >= hold))
        stale = ~seen & (self.state != UNKNOWN) & (ts - self.last_seen > self.unknown_after_s)
        changes = []
        for i in np.flatnonzero(commit | stale):
            new = UNKNOWN if stale[i] else int(self.pending[i])
            since = self.last_seen[i] if stale[i] else float(self.pending_since[i])
            stay = since - self.state_since[i] if (
                self.state[i] == OCCUPIED and new == FREE and np.isfinite(self.state_since[i])
            ) else None
            changes.append(Change(int(i), int(self.state[i]), new, float(since), stay))
            # A state entered from unknown has no known start: its stay is not measured.
            self.state_since[i] = since if self.state[i] != UNKNOWN else np.nan
            self.state[i] = new
            self.pending[i] = NONE
        return changes

    def counts(self) -> tuple[int, int, int]:
        """(occupied, free, unknown) spaces."""
        c = np.bincount(self.state, minlength=3)
        return int(c[OCCUPIED]), int(c[FREE]), int(c[UNKNOWN])
