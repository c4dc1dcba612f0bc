"""Tracking metrics (HOTA, CLEAR MOT, identity) from TrackEval, and detection recall/precision.

The metrics themselves are TrackEval's classes (``trackeval.metrics.HOTA``, ``CLEAR``,
``Identity``), run on in-memory arrays: this module only builds the per-frame data TrackEval's
datasets would build (ids remapped to 0..k-1, box IoU per frame) and reads the results back.

Inputs are MOT-style ``(n, 6)`` arrays, columns frame (1-based), id, x, y, w, h (what
:func:`benchmarks.metrics.load_mot` returns). The tracker's ids may be any integers.

>>> import numpy as np
>>> gt = np.array([[1, 1, 0, 0, 10, 10], [2, 1, 1, 0, 10, 10]], float)
>>> m = tracking_metrics(gt, gt)
>>> m["HOTA"], m["MOTA"], m["IDF1"], m["IDSW"]
(1.0, 1.0, 1.0, 0)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from trackeval.metrics import CLEAR, HOTA, Identity

from edge.detectors.nms import box_iou

# What tracking_metrics reports, per TrackEval family. HOTA, DetA, AssA and LocA are the mean over
# TrackEval's 19 alphas (0.05..0.95), as TrackEval's own summary prints them.
HOTA_FIELDS = ("HOTA", "DetA", "AssA", "LocA")
CLEAR_FIELDS = ("MOTA", "MOTP", "CLR_Re", "CLR_Pr")
CLEAR_COUNTS = ("IDSW", "Frag", "CLR_TP", "CLR_FN", "CLR_FP")
IDENTITY_FIELDS = ("IDF1", "IDR", "IDP")


def tracking_metrics(gt: np.ndarray, pred: np.ndarray, *, iou: float = 0.5) -> dict[str, float]:
    """HOTA, DetA, AssA, LocA, MOTA, MOTP, CLR_Re, CLR_Pr, IDF1, IDR, IDP (floats, 0..1 except
    MOTA, which can be negative) and IDSW, Frag, CLR_TP, CLR_FN, CLR_FP (ints) of one clip.

    ``iou`` is the match threshold of CLEAR and Identity (TrackEval's ``THRESHOLD``); HOTA
    averages over its own thresholds 0.05..0.95 and does not use it. An empty ``pred`` scores 0.
    """
    return tracking_metrics_many([(gt, pred)], iou=iou)


def tracking_metrics_many(clips: Iterable[tuple[np.ndarray, np.ndarray]], *,
                          iou: float = 0.5) -> dict[str, float]:
    """The metrics of several clips together (``(gt, pred)`` pairs), combined as TrackEval
    combines sequences: counts summed, HOTA's AssA weighted by its true positives."""
    metrics = _metrics(iou)
    per_clip = [{name: m.eval_sequence(data) for name, m in metrics.items()}
                for data in (trackeval_data(gt, pred) for gt, pred in clips)]
    if not per_clip:
        raise ValueError("tracking_metrics_many: no clips")
    if len(per_clip) == 1:
        res = per_clip[0]
    else:
        res = {name: m.combine_sequences({i: r[name] for i, r in enumerate(per_clip)})
               for name, m in metrics.items()}
    out: dict[str, float] = {f: float(np.mean(res["HOTA"][f])) for f in HOTA_FIELDS}
    out |= {f: float(res["CLEAR"][f]) for f in CLEAR_FIELDS}
    out |= {f: int(res["CLEAR"][f]) for f in CLEAR_COUNTS}
    out |= {f: float(res["Identity"][f]) for f in IDENTITY_FIELDS}
    return out


def _metrics(iou: float) -> dict[str, Any]:
    if not 0 < iou <= 1:
        raise ValueError(f"iou must be in (0, 1], got {iou}")
    config = {"THRESHOLD": iou, "PRINT_CONFIG": False}
    return {"HOTA": HOTA(), "CLEAR": CLEAR(config), "Identity": Identity(config)}


def trackeval_data(gt: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """The per-sequence ``data`` dict TrackEval's metrics take: one timestep per frame from 1 to
    the last frame of either array; ids remapped to 0..k-1; ``similarity_scores`` = box IoU
    (gt rows x tracker rows) per timestep."""
    gt, pred = _checked("gt", gt), _checked("pred", pred)
    steps = int(max(gt[:, 0].max(initial=0), pred[:, 0].max(initial=0)))
    gt_ids, gt_boxes, num_gt_ids = _split(gt, steps)
    tr_ids, tr_boxes, num_tr_ids = _split(pred, steps)
    return {
        "num_timesteps": steps,
        "num_gt_ids": num_gt_ids,
        "num_tracker_ids": num_tr_ids,
        "num_gt_dets": len(gt),
        "num_tracker_dets": len(pred),
        "gt_ids": gt_ids,
        "tracker_ids": tr_ids,
        "similarity_scores": [box_iou(g, t) for g, t in zip(gt_boxes, tr_boxes, strict=True)],
    }


def detection_metrics(gt: np.ndarray, dets: np.ndarray, *, iou: float = 0.5) -> dict[str, float]:
    """Recall and precision of detections against box ground truth at IoU ``iou``, with a
    one-to-one matching per frame (Hungarian on IoU, pairs below ``iou`` excluded): the same
    matching as TrackEval's CLEAR without its identity carry-over, so ``recall`` and
    ``precision`` equal CLEAR's CLR_Re / CLR_Pr for detections that each carry their own id.

    ``dets`` has the MOT layout; its id column is ignored. Classes are the caller's business:
    pass the detections of the class(es) the ground truth annotates. Returns ``recall``,
    ``precision`` (0 when undefined, as in TrackEval), ``tp``, ``fp``, ``fn``.
    """
    if not 0 < iou <= 1:
        raise ValueError(f"iou must be in (0, 1], got {iou}")
    gt = _checked("gt", gt)
    dets = _checked("dets", dets, unique_ids=False)
    steps = int(max(gt[:, 0].max(initial=0), dets[:, 0].max(initial=0)))
    tp = sum(_matches(box_iou(g, d), iou)
             for g, d in zip(_split(gt, steps)[1], _split(dets, steps)[1], strict=True))
    fn, fp = len(gt) - tp, len(dets) - tp
    return {"recall": tp / max(1, tp + fn), "precision": tp / max(1, tp + fp),
            "tp": tp, "fp": fp, "fn": fn}


def _matches(similarity: np.ndarray, iou: float) -> int:
    """One-to-one matches with IoU >= iou that maximise the summed IoU (as CLEAR matches)."""
    if similarity.size == 0:
        return 0
    # Same tolerance as TrackEval, so a pair at exactly the threshold matches in both.
    score = np.where(similarity >= iou - np.finfo(float).eps, similarity, 0.0)
    rows, cols = linear_sum_assignment(score, maximize=True)
    return int(np.count_nonzero(score[rows, cols] > np.finfo(float).eps))


def _checked(name: str, a: np.ndarray, unique_ids: bool = True) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0:
        return np.zeros((0, 6), np.float64)
    if a.ndim != 2 or a.shape[1] != 6:
        raise ValueError(f"{name}: expected an (n, 6) array frame,id,x,y,w,h, got {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: contains NaN or infinity")
    frames = a[:, 0]
    if (frames < 1).any() or (frames != np.round(frames)).any():
        raise ValueError(f"{name}: frames must be integers >= 1 (1 = first frame)")
    if unique_ids:
        keys = a[:, :2]
        if len(np.unique(keys, axis=0)) != len(keys):
            raise ValueError(f"{name}: an id appears more than once in one frame")
    return a


def _split(a: np.ndarray, steps: int) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """Per-frame contiguous ids (0..k-1) and xyxy boxes for frames 1..steps; k."""
    uniq, ids = np.unique(a[:, 1].astype(np.int64), return_inverse=True)
    order = np.argsort(a[:, 0], kind="stable")
    ids = ids.reshape(-1)[order]
    xyxy = a[order, 2:6].copy()
    xyxy[:, 2:] += xyxy[:, :2]
    bounds = np.searchsorted(a[order, 0], np.arange(1, steps + 2), side="left")
    per_ids = [ids[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    per_boxes = [xyxy[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    return per_ids, per_boxes, len(uniq)

