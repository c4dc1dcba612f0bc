"""Constant-velocity Kalman filter on (cx, cy, aspect, height), batched over tracks.

Same model as ByteTrack/SORT (noise scaled by box height), but every operation takes stacked
arrays — means (n, 8), covariances (n, 8, 8) — so a frame costs a handful of numpy calls however
many tracks there are.
"""

from __future__ import annotations

import numpy as np

_NDIM = 4
_F = np.eye(2 * _NDIM)
_F[:_NDIM, _NDIM:] = np.eye(_NDIM)
_H = np.eye(_NDIM, 2 * _NDIM)


def xyxy_to_xyah(xyxy: np.ndarray) -> np.ndarray:
    w = xyxy[:, 2] - xyxy[:, 0]
    h = np.maximum(xyxy[:, 3] - xyxy[:, 1], 1e-3)
    return np.stack([xyxy[:, 0] + w / 2, xyxy[:, 1] + h / 2, w / h, h], axis=1)


def xyah_to_xyxy(xyah: np.ndarray) -> np.ndarray:
    h = xyah[:, 3]
    w = xyah[:, 2] * h
    return np.stack([xyah[:, 0] - w / 2, xyah[:, 1] - h / 2,
                     xyah[:, 0] + w / 2, xyah[:, 1] + h / 2], axis=1)


class KalmanXYAH:
    """Pure batched predict/update; holds only its noise parameters."""

    def __init__(self, std_position: float = 1 / 20, std_velocity: float = 1 / 160) -> None:
        self.std_pos = std_position
        self.std_vel = std_velocity

    def _std(self, h: np.ndarray, pos: float, vel: float) -> np.ndarray:
        """Per-track standard deviations (n, 8), scaled by height except for the aspect."""
        ones = np.ones_like(h)
        return np.stack([pos * h, pos * h, 1e-2 * ones, pos * h,
                         vel * h, vel * h, 1e-5 * ones, vel * h], axis=1)

    def initiate(self, xyah: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = np.concatenate([xyah, np.zeros_like(xyah)], axis=1)
        std = self._std(xyah[:, 3], 2 * self.std_pos, 10 * self.std_vel)
        std[:, 2], std[:, 6] = 1e-2, 1e-5
        return mean, _diag(std**2)

    def predict(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q = _diag(self._std(mean[:, 3], self.std_pos, self.std_vel) ** 2)
        return mean @ _F.T, _F @ cov @ _F.T + q

    def update(self, mean: np.ndarray, cov: np.ndarray, z: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        r = _diag(self._std(mean[:, 3], self.std_pos, 0.0)[:, :_NDIM] ** 2)
        r[:, 2, 2] = 1e-1**2
        s = _H @ cov @ _H.T + r
        ph = cov @ _H.T                                         # (n, 8, 4)
        gain = np.linalg.solve(s, ph.transpose(0, 2, 1)).transpose(0, 2, 1)
        innovation = z - mean[:, :_NDIM]
        new_mean = mean + np.einsum("nij,nj->ni", gain, innovation)
        new_cov = cov - gain @ s @ gain.transpose(0, 2, 1)
        return new_mean, new_cov


def _diag(values: np.ndarray) -> np.ndarray:
    n, d = values.shape
    out = np.zeros((n, d, d))
    idx = np.arange(d)
    out[:, idx, idx] = values
    return out
