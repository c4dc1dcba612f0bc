"""Per-space appearance against the empty state: has the ground structure of the space changed?

COCO nano detectors miss many parked cars seen from high above (the PUCPR view): on 208-px tiles
YOLOX-Nano finds about two thirds of them. A car, however, always replaces the ground texture of
its space (asphalt grain, paint marks, pavers) with its own edges. We compare the *orientation*
of the intensity gradients in each space with those of an empty-lot reference: a normalised
correlation of gradient vectors, which a global light change (gain, offset, day vs. dusk) leaves
near 1 and a car drives near 0.

Every space is rectified to a small square patch by its own homography; all patches come from
one ``cv2.remap`` of the frame (maps built once), so an analysis costs one remap and a few
vectorised numpy reductions whatever the number of spaces. The reference is registered to the
current view (ECC affine), since cameras drift: UFPR04 moved by 54 px between two annotated days.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

log = logging.getLogger(__name__)

PATCH = 48   # rectified patch side, px
MARGIN = 8   # px of each patch's border left out: paint lines and neighbours' overhang
_FLAT = 4.0  # mean gradient magnitude below which a patch is textureless


def patch_maps(polygons: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """remap grids (n*PATCH, PATCH) taking each space's quadrilateral to a PATCH x PATCH square.

    Polygons with more than 4 points use their minimum-area rectangle."""
    u, v = np.meshgrid(np.arange(PATCH, dtype=np.float64) + 0.5,
                       np.arange(PATCH, dtype=np.float64) + 0.5)
    grid = np.stack([u.ravel(), v.ravel(), np.ones(u.size)])       # (3, P*P)
    square = np.array([[0, PATCH], [0, 0], [PATCH, 0], [PATCH, PATCH]], np.float32)
    homs = np.stack([cv2.getPerspectiveTransform(square, _quad(p)) for p in polygons])
    pts = homs @ grid                                                # (n, 3, P*P)
    xy = pts[:, :2] / pts[:, 2:3]
    mx = xy[:, 0].reshape(-1, PATCH).astype(np.float32)
    my = xy[:, 1].reshape(-1, PATCH).astype(np.float32)
    return mx, my


def _quad(poly: np.ndarray) -> np.ndarray:
    poly = np.asarray(poly, np.float32)
    if len(poly) != 4:
        poly = cv2.boxPoints(cv2.minAreaRect(poly)).astype(np.float32)
    return poly


def _gradients(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel gradients of stacked patches (n*PATCH, PATCH), cropped to each patch's interior."""
    gx = cv2.Sobel(patches, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(patches, cv2.CV_32F, 0, 1, ksize=3)
    inner = slice(MARGIN, PATCH - MARGIN)
    n = patches.shape[0] // PATCH
    return (gx.reshape(n, PATCH, PATCH)[:, inner, inner],
            gy.reshape(n, PATCH, PATCH)[:, inner, inner])


def similarity(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Per patch, the normalised correlation of two gradient fields: 1 same structure, ~0 none.
    Two textureless patches are the same (1)."""
    dot = (ax * bx + ay * by).sum(axis=(1, 2))
    na = np.sqrt((ax * ax + ay * ay).sum(axis=(1, 2)))
    nb = np.sqrt((bx * bx + by * by).sum(axis=(1, 2)))
    area = ax.shape[1] * ax.shape[2]
    flat = (na / area < _FLAT / np.sqrt(area)) & (nb / area < _FLAT / np.sqrt(area))
    return np.where(flat, 1.0, dot / np.maximum(na * nb, 1e-6))


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


class EmptyReference:
    """An empty-lot snapshot of the camera, compared space by space with each analysed frame."""

    def __init__(self, reference: np.ndarray, polygons: list[np.ndarray]) -> None:
        self.reference = _gray(reference).astype(np.float32)
        self.maps = patch_maps(polygons)
        self.warp = np.eye(2, 3, dtype=np.float32)  # reference -> current view
        self._ref_grad = self._patch_grad(self.reference)

    def _patch_grad(self, gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        patches = cv2.remap(gray, *self.maps, interpolation=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
        return _gradients(patches)

    def register(self, frame: np.ndarray, scale: float = 1.0) -> bool:
        """Align the reference to ``frame`` (affine, estimated at ``scale``). False when ECC
        does not converge: the previous alignment is kept. Full scale by default: the
        comparison needs sub-pixel alignment (PUCPR: 70 % of spaces right unaligned, 97 %
        aligned), and at half scale ECC diverged on that pair."""
        cur = _gray(frame).astype(np.float32)
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
        self._ref_grad = self._patch_grad(aligned)
        return True

    def similarity(self, frame: np.ndarray) -> np.ndarray:
        """Per space, 1 = same ground structure as the empty reference, ~0 = something new."""
        cur = self._patch_grad(_gray(frame).astype(np.float32))
        return similarity(*cur, *self._ref_grad)
