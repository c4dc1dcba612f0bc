"""Association: IoU cost and optimal assignment (SciPy's Hungarian solver)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of boxes a (n,4) and b (m,4) in xyxy."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def assign(cost: np.ndarray, max_cost: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimum-cost matching keeping only pairs with cost <= max_cost.

    Returns (matches (k,2) of row/col indices, unmatched rows, unmatched cols).
    """
    n, m = cost.shape
    if n == 0 or m == 0:
        return np.zeros((0, 2), int), np.arange(n), np.arange(m)
    # Forbidden pairs get a cost above the gate so the solver never prefers them.
    gated = np.where(cost <= max_cost, cost, max_cost + 1e3)
    rows, cols = linear_sum_assignment(gated)
    keep = gated[rows, cols] <= max_cost
    rows, cols = rows[keep], cols[keep]
    free_rows, free_cols = np.ones(n, bool), np.ones(m, bool)
    free_rows[rows], free_cols[cols] = False, False  # masks: setdiff1d sorts, this is O(n)
    return (np.stack([rows, cols], axis=1), np.flatnonzero(free_rows), np.flatnonzero(free_cols))
