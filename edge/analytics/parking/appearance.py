"""What each space looks like in one frame: its rectified patch, texture and gradient field.

Every space is rectified to a small square patch by its own homography; all patches of a lot
come from one ``cv2.remap`` of the frame (maps built once), so an analysis costs one remap and a
few vectorised numpy/OpenCV passes over the stacked patches, whatever the number of spaces.

Two cues come out of a :class:`Look`:

* **texture**, with no reference at all: the mean gradient magnitude of the patch blurred at a
  car's scale (``TEXTURE_SIGMA`` of a ``PATCH``-px patch: windscreens, roof edges, the dark gap
  under a car), over the patch's median brightness so that exposure and day/dusk do not matter.
  Bare asphalt, pavers and painted lines are fine-grained and fall below that scale; a car does
  not. Measured per space, it needs no picture of the lot empty;
* the **gradient field** (orientation of the intensity gradients), compared with a reference of
  the same space seen free (:mod:`.reference`): a normalised correlation that a global light
  change leaves near 1 and a car drives near 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PATCH = 48   # rectified patch side, px
MARGIN = 8   # px of each patch's border left out: paint lines and neighbours' overhang
TEXTURE_SIGMA = 2.0  # px of blur before the texture cue: car-scale structure only
_FLAT = 4.0  # mean gradient magnitude below which a patch is textureless
_INNER = slice(MARGIN, PATCH - MARGIN)


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


def gray(image: np.ndarray) -> np.ndarray:
    """float32 grey image (a grey image passes through)."""
    g = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return g.astype(np.float32)


def _interior(stack: np.ndarray) -> np.ndarray:
    """(n*PATCH, PATCH) stacked patches -> (n, I, I), each patch's interior."""
    return stack.reshape(-1, PATCH, PATCH)[:, _INNER, _INNER]


def gradients(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sobel gradients of stacked patches (n*PATCH, PATCH), cropped to each patch's interior
    (the margin also keeps the kernels from reaching into the neighbouring patch)."""
    gx = cv2.Sobel(patches, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(patches, cv2.CV_32F, 0, 1, ksize=3)
    return _interior(gx), _interior(gy)


def smooth_gradients(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gradients` of the patches blurred to a car's scale (``TEXTURE_SIGMA``)."""
    return gradients(cv2.GaussianBlur(patches, (0, 0), TEXTURE_SIGMA))


def texture(patches: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Per patch, car-scale gradient magnitude (of :func:`smooth_gradients` ``gx, gy``) over
    brightness (see the module doc)."""
    magnitude = np.sqrt(gx * gx + gy * gy).mean(axis=(1, 2))
    level = np.median(_interior(patches).reshape(len(magnitude), -1), axis=1)
    return magnitude / (level + 10.0)


def similarity(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Per patch, the normalised correlation of two gradient fields: 1 same structure, ~0 none.
    Two textureless patches are the same (1)."""
    dot = (ax * bx + ay * by).sum(axis=(1, 2))
    na = np.sqrt((ax * ax + ay * ay).sum(axis=(1, 2)))
    nb = np.sqrt((bx * bx + by * by).sum(axis=(1, 2)))
    area = ax.shape[1] * ax.shape[2]
    flat = (na / area < _FLAT / np.sqrt(area)) & (nb / area < _FLAT / np.sqrt(area))
    return np.where(flat, 1.0, dot / np.maximum(na * nb, 1e-6))


@dataclass(frozen=True, slots=True)
class Look:
    """One frame's view of every space of a lot: gradient fields (n, I, I) and texture (n,)."""

    gx: np.ndarray
    gy: np.ndarray
    texture: np.ndarray


class SpacePatches:
    """A lot's spaces as rectified patches of any frame of the camera."""

    def __init__(self, polygons: list[np.ndarray]) -> None:
        self.maps = patch_maps(polygons)
        self.n = len(polygons)

    def sample(self, gray_image: np.ndarray) -> np.ndarray:
        """(n*PATCH, PATCH) float32 patches of a grey frame."""
        return cv2.remap(gray_image, *self.maps, interpolation=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)

    def look(self, gray_image: np.ndarray) -> Look:
        patches = self.sample(gray_image)
        gx, gy = smooth_gradients(patches)
        return Look(gx, gy, texture(patches, gx, gy))
