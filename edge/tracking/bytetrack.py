"""ByteTrack-style tracker: two-stage association by detection score, Kalman motion model.

Written here rather than taken from a library because the product needs what the libraries
lack: a per-instance id counter (trackers' and ByteTrack's class-level counters collide when two
cameras share a process), a lost-track buffer in seconds rather than frames (analysis rates vary
per camera), a class vote over each track's life, and bounded memory in a 24/7 process (no
``removed_stracks`` history). State is a struct of arrays so a frame is a few numpy calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge.classes import CLASSES
from edge.tracking.kalman import KalmanXYAH, xyah_to_xyxy, xyxy_to_xyah
from edge.tracking.matching import assign, iou_matrix
from edge.types import Detections, Tracks

TENTATIVE, TRACKED, LOST = 0, 1, 2


class TrackerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    high_score: float = Field(0.4, ge=0, le=1, description="first-stage detection score")
    low_score: float = Field(0.1, ge=0, le=1, description="second-stage floor (below: ignored)")
    new_track_score: float = Field(0.5, ge=0, le=1, description="score to start a track")
    match_iou: float = Field(0.1, ge=0, le=1, description="min IoU x score, first stage")
    low_match_iou: float = Field(0.5, ge=0, le=1, description="min IoU, second stage")
    tentative_match_iou: float = Field(0.3, ge=0, le=1, description="min IoU for new tracks")
    confirm_hits: int = Field(2, ge=1, description="matched frames before a track counts")
    lost_buffer_s: float = Field(2.0, gt=0, description="how long a lost track can come back")
    iou_buffer: float = Field(0.6, ge=0, le=1, description=(
        "association on boxes enlarged by this fraction of their size (buffered IoU): small "
        "objects that move more than their own size between analysed frames still match"))


@dataclass
class _State:
    """One row per live track."""

    ids: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    status: np.ndarray
    hits: np.ndarray
    last_seen: np.ndarray
    score: np.ndarray
    votes: np.ndarray
    matched: np.ndarray  # matched to a detection on the latest frame

    @classmethod
    def empty(cls, n_classes: int) -> _State:
        return cls(np.zeros(0, np.int64), np.zeros((0, 8)), np.zeros((0, 8, 8)),
                   np.zeros(0, np.int8), np.zeros(0, np.int32), np.zeros(0),
                   np.zeros(0, np.float32), np.zeros((0, n_classes), np.float32),
                   np.zeros(0, bool))

    def __len__(self) -> int:
        return len(self.ids)

    def select(self, keep: np.ndarray) -> _State:
        return _State(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))

    def extend(self, other: _State) -> _State:
        return _State(*(np.concatenate([getattr(self, f), getattr(other, f)])
                        for f in self.__dataclass_fields__))


class ByteTracker:
    """``update(detections, ts)`` once per analysed frame, ``ts`` in seconds.

    >>> import numpy as np
    >>> from edge.types import Detections
    >>> t = ByteTracker(TrackerSettings())
    >>> d = Detections(np.array([[0, 0, 10, 20]], np.float32), np.array([0.9], np.float32),
    ...                np.array([0], np.int16))
    >>> len(t.update(d, 0.0)), bool(t.update(d, 0.1).confirmed[0])
    (1, True)
    """

    def __init__(self, settings: TrackerSettings, n_classes: int = len(CLASSES)) -> None:
        self.cfg = settings
        self.kf = KalmanXYAH()
        self.n_classes = n_classes
        self._state = _State.empty(n_classes)
        self._next_id = 1

    def reset(self) -> None:
        self._state = _State.empty(self.n_classes)

    def update(self, det: Detections, ts: float) -> Tracks:
        cfg, st = self.cfg, self._state
        if len(st):
            st.mean, st.cov = self.kf.predict(st.mean, st.cov)
        boxes = _buffered(xyah_to_xyxy(st.mean[:, :4]) if len(st) else np.zeros((0, 4)),
                          cfg.iou_buffer)
        det = det[det.scores >= cfg.low_score]
        det_boxes = _buffered(det.xyxy, cfg.iou_buffer)
        high = det.scores >= cfg.high_score
        matched_det = np.full(len(st), -1)
        det_used = np.zeros(len(det), bool)

        # Stage 1: established tracks (tracked or lost) against confident detections.
        pool = np.flatnonzero(st.status != TENTATIVE)
        hi = np.flatnonzero(high)
        iou = iou_matrix(boxes[pool], det_boxes[hi])
        pairs, left_rows, _ = assign(1 - iou * det.scores[hi][None, :], 1 - cfg.match_iou)
        matched_det[pool[pairs[:, 0]]] = hi[pairs[:, 1]]
        det_used[hi[pairs[:, 1]]] = True

        # Stage 2: still-tracked leftovers against low-score detections (occlusion, blur).
        rest = pool[left_rows]
        rest = rest[st.status[rest] == TRACKED]
        lo = np.flatnonzero(~high)
        pairs, _, _ = assign(1 - iou_matrix(boxes[rest], det_boxes[lo]), 1 - cfg.low_match_iou)
        matched_det[rest[pairs[:, 0]]] = lo[pairs[:, 1]]
        det_used[lo[pairs[:, 1]]] = True

        # Stage 3: tentative tracks against the remaining confident detections.
        tent = np.flatnonzero(st.status == TENTATIVE)
        hi = np.flatnonzero(high & ~det_used)
        pairs, _, _ = assign(1 - iou_matrix(boxes[tent], det_boxes[hi]),
                             1 - cfg.tentative_match_iou)
        matched_det[tent[pairs[:, 0]]] = hi[pairs[:, 1]]
        det_used[hi[pairs[:, 1]]] = True

        self._apply_matches(st, det, matched_det, ts)
        removed = self._prune(ts)
        self._spawn(det[high & ~det_used & (det.scores >= cfg.new_track_score)], ts)
        return self._tracks(ts, removed)

    def _apply_matches(self, st: _State, det: Detections, matched: np.ndarray, ts: float) -> None:
        rows = np.flatnonzero(matched >= 0)
        cols = matched[rows]
        if len(rows):
            st.mean[rows], st.cov[rows] = self.kf.update(
                st.mean[rows], st.cov[rows], xyxy_to_xyah(det.xyxy[cols].astype(np.float64)))
            st.hits[rows] += 1
            st.last_seen[rows] = ts
            st.score[rows] = det.scores[cols]
            np.add.at(st.votes, (rows, det.classes[cols].astype(np.intp)), det.scores[cols])
            promote = rows[st.hits[rows] >= self.cfg.confirm_hits]
            st.status[rows] = np.where(st.status[rows] == TENTATIVE, TENTATIVE, TRACKED)
            st.status[promote] = TRACKED
        st.matched = matched >= 0
        # An established track that misses a frame becomes lost (a tentative one dies in _prune).
        st.status[~st.matched & (st.status == TRACKED)] = LOST

    def _prune(self, ts: float) -> np.ndarray:
        st = self._state
        dead = ((st.status == TENTATIVE) & ~st.matched) | (
            (st.status == LOST) & (ts - st.last_seen > self.cfg.lost_buffer_s))
        removed = st.ids[dead]
        self._state = st.select(~dead)
        return removed

    def _spawn(self, det: Detections, ts: float) -> None:
        n = len(det)
        if n == 0:
            return
        mean, cov = self.kf.initiate(xyxy_to_xyah(det.xyxy.astype(np.float64)))
        votes = np.zeros((n, self.n_classes), np.float32)
        votes[np.arange(n), det.classes.astype(np.intp)] = det.scores
        status = np.full(n, TRACKED if self.cfg.confirm_hits <= 1 else TENTATIVE, np.int8)
        new = _State(np.arange(self._next_id, self._next_id + n, dtype=np.int64), mean, cov,
                     status, np.ones(n, np.int32), np.full(n, ts), det.scores.copy(), votes,
                     np.ones(n, bool))
        self._next_id += n
        self._state = self._state.extend(new)

    def _tracks(self, ts: float, removed: np.ndarray) -> Tracks:
        st = self._state
        live = st.status != LOST
        sel = st.select(live)
        return Tracks(
            xyxy=xyah_to_xyxy(sel.mean[:, :4]).astype(np.float32),
            scores=sel.score,
            classes=np.argmax(sel.votes, axis=1).astype(np.int16),
            ids=sel.ids,
            confirmed=sel.status == TRACKED,
            observed=sel.matched,
            removed_ids=removed,
        )


def _buffered(xyxy: np.ndarray, b: float) -> np.ndarray:
    if b == 0:
        return xyxy
    half = (xyxy[:, 2:] - xyxy[:, :2]) * (b / 2)
    return np.concatenate([xyxy[:, :2] - half, xyxy[:, 2:] + half], axis=1)
