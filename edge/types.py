"""The two small values that travel between stages: detections and tracks.

Both are parallel numpy arrays; boolean or index arrays select rows and return a new value.
They never leave the process: only aggregates built from them do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _check_rows(name: str, n: int, **arrays: np.ndarray) -> None:
    for key, arr in arrays.items():
        if arr.shape[0] != n:
            raise ValueError(f"{name}.{key} has {arr.shape[0]} rows, expected {n}")


@dataclass(frozen=True, slots=True)
class Frame:
    """A decoded image with its two clocks.

    ``media_ts`` is seconds since the start of a file (or since the stream was opened);
    ``wall_ts`` is the Unix time the frame stands for (media-derived for files, the clock for
    live streams). Bins in the store use ``wall_ts``.
    """

    image: np.ndarray
    index: int
    media_ts: float
    wall_ts: float


@dataclass(frozen=True, slots=True)
class Detections:
    """Per-frame detections: ``xyxy`` (n,4) float32 pixels, ``scores`` (n,), ``classes`` (n,)
    indices into :data:`edge.classes.CLASSES`.

    >>> d = Detections.empty()
    >>> len(d)
    0
    """

    xyxy: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    def __post_init__(self) -> None:
        if self.xyxy.ndim != 2 or self.xyxy.shape[1] != 4:
            raise ValueError(f"Detections.xyxy must be (n, 4), got {self.xyxy.shape}")
        _check_rows("Detections", self.xyxy.shape[0], scores=self.scores, classes=self.classes)

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int16))

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def __getitem__(self, index: np.ndarray | slice) -> Detections:
        return Detections(self.xyxy[index], self.scores[index], self.classes[index])


@dataclass(frozen=True, slots=True)
class Tracks:
    """Tracks updated on one frame.

    ``ids`` are per-tracker integers (never published); ``classes`` is each track's class by
    vote over its life; ``confirmed`` marks tracks seen long enough to count; ``observed`` marks
    tracks matched to a detection on this frame (the others carry a motion prediction).
    ``removed_ids`` lists tracks that ended on this frame so analytics can drop their state.
    """

    xyxy: np.ndarray
    scores: np.ndarray
    classes: np.ndarray
    ids: np.ndarray
    confirmed: np.ndarray
    observed: np.ndarray
    removed_ids: np.ndarray

    def __post_init__(self) -> None:
        if self.xyxy.ndim != 2 or self.xyxy.shape[1] != 4:
            raise ValueError(f"Tracks.xyxy must be (n, 4), got {self.xyxy.shape}")
        _check_rows("Tracks", self.xyxy.shape[0], scores=self.scores, classes=self.classes,
                    ids=self.ids, confirmed=self.confirmed, observed=self.observed)

    @classmethod
    def empty(cls, removed_ids: np.ndarray | None = None) -> Tracks:
        removed = np.zeros(0, np.int64) if removed_ids is None else removed_ids
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int16),
                   np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, bool), removed)

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def __getitem__(self, index: np.ndarray | slice) -> Tracks:
        return Tracks(self.xyxy[index], self.scores[index], self.classes[index], self.ids[index],
                      self.confirmed[index], self.observed[index], self.removed_ids)

    def anchors(self) -> np.ndarray:
        """Bottom-centre of each box (n, 2): where an object touches the ground."""
        return np.stack([(self.xyxy[:, 0] + self.xyxy[:, 2]) * 0.5, self.xyxy[:, 3]], axis=1)


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """What a camera reports about itself. Never carries the source URL (it may hold a password).

    ``state`` is one of ``starting``, ``running``, ``reconnecting``, ``stopped``.
    """

    camera: str
    state: str
    fps: float
    last_frame_at: float | None
    reconnects: int
    frames: int
    error: str | None = None
