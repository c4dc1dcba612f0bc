"""Procedural bulky-waste objects (box, bag, mattress, sofa, suitcase) as sprites, numpy and cv2
only.

A sprite is drawn once per dumping event from a seeded RNG, so the same seed gives the same
pixels. Solid shapes are cuboids seen by an elevated camera (orthographic: a depth ``d`` on the
ground spans ``d * elev`` rows, a height ``h`` spans ``h * sqrt(1 - elev²)`` rows; ``elev`` = 1
looks straight down), drawn at 4x and shrunk with area averaging so edges are anti-aliased, then
feathered. Colours are the object's look at the clip's median exposure;
:mod:`benchmarks.dumping.compose` scales them to each frame.

>>> s = render("box", 40, np.random.default_rng(1), elev=0.5)
>>> s.bgr.shape[:2] == s.alpha.shape == s.shadow.shape, 0.0 <= float(s.alpha.min()) < 1.0
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

KINDS: tuple[str, ...] = ("box", "bag", "mattress", "sofa", "suitcase")
# Kinds the drop-off logic was never tuned on: only the generated set's check part uses them.
CHECK_ONLY_KINDS: tuple[str, ...] = ("suitcase",)
_SS = 4             # supersampling factor of the drawing canvas
_FEATHER_PX = 0.8   # Gaussian sigma of the alpha edge, in output pixels
_SHADOW = 0.45      # darkening of the ground right under the object's footprint
_SOFTEN_PX = 0.5    # blur of the colours: the sample clips are soft, a crisp object would not be


@dataclass(frozen=True)
class Sprite:
    """An object ready to composite; all arrays share the sprite's (h, w) grid.

    ``bgr`` float32 colours (valid wherever ``alpha`` > 0), ``alpha`` float32 0..1 with
    feathered edges, ``shadow`` float32 0..1: how much the ground darkens (a soft contact shadow
    under and around the footprint). ``anchor`` (x, y): where the centre of the footprint on the
    ground lies in the sprite, in pixels. ``depth_px``: rows the footprint spans on screen.
    """

    kind: str
    bgr: np.ndarray
    alpha: np.ndarray
    shadow: np.ndarray
    anchor: tuple[float, float]
    depth_px: float

    @property
    def area_px(self) -> float:
        """Visible pixels of the object (the alpha sum)."""
        return float(self.alpha.sum())


@dataclass(frozen=True)
class _View:
    """Orthographic projection: world X right, Y away from the camera, Z up (output px)."""

    elev: float
    skew: float     # screen x shift per unit of depth: which side face shows

    @property
    def rise(self) -> float:
        return float(np.sqrt(max(0.0, 1.0 - self.elev**2)))

    def project(self, pts: np.ndarray) -> np.ndarray:
        """(n, 3) world points -> (n, 2) screen offsets from the footprint centre."""
        p = np.asarray(pts, np.float64)
        return np.stack([p[:, 0] + self.skew * p[:, 1],
                         -(p[:, 1] * self.elev + p[:, 2] * self.rise)], axis=1)


class _Canvas:
    """A 4x drawing surface; ``origin`` = screen position of the footprint centre (output px)."""

    def __init__(self, width: int, height: int, origin: tuple[float, float]) -> None:
        self.w, self.h, self.origin = width, height, origin
        self.bgr = np.zeros((height * _SS, width * _SS, 3), np.float32)
        self.cover = np.zeros((height * _SS, width * _SS), np.float32)

    def to_px(self, screen: np.ndarray) -> np.ndarray:
        """Screen offsets (n, 2) -> 4x canvas pixel coordinates (int32, for cv2)."""
        xy = (np.asarray(screen) + np.asarray(self.origin)) * _SS
        return np.round(xy).astype(np.int32)

    def mask(self, screen_poly: np.ndarray) -> np.ndarray:
        m = np.zeros(self.cover.shape, np.uint8)
        cv2.fillPoly(m, [self.to_px(screen_poly)], 1)
        return m.astype(bool)

    def paint(self, mask: np.ndarray, colour: np.ndarray) -> None:
        """Opaque paint: ``colour`` (3,) or a full (H, W, 3) field, where ``mask``."""
        self.bgr[mask] = colour[mask] if colour.ndim == 3 else colour
        self.cover[mask] = 1.0

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """Shrink to output pixels: (bgr, alpha); colours extended past the edge so that
        the feathered rim blends the object's own colour, not black."""
        size = (self.w, self.h)
        cover = cv2.resize(self.cover, size, interpolation=cv2.INTER_AREA)
        premul = cv2.resize(self.bgr * self.cover[..., None], size, interpolation=cv2.INTER_AREA)
        wide = cv2.GaussianBlur(premul, (0, 0), 3.0)
        wide_c = cv2.GaussianBlur(cover, (0, 0), 3.0)[..., None]
        bgr = np.where(cover[..., None] > 1e-3, premul / np.maximum(cover[..., None], 1e-3),
                       wide / np.maximum(wide_c, 1e-3))
        alpha = cv2.GaussianBlur(cover, (0, 0), _FEATHER_PX)
        return bgr.astype(np.float32), np.clip(alpha, 0.0, 1.0).astype(np.float32)


def value_noise(rng: np.random.Generator, shape: tuple[int, int], cells: float) -> np.ndarray:
    """Smooth noise of unit-ish amplitude with about ``cells`` blobs across the wider side."""
    h, w = shape
    gy = max(2, int(round(cells * h / max(h, w))) + 1)
    gx = max(2, int(round(cells * w / max(h, w))) + 1)
    grid = rng.standard_normal((gy, gx)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def _texture(rng: np.random.Generator, shape: tuple[int, int], blotch: float,
             grain: float) -> np.ndarray:
    """Multiplicative texture ~1: low-frequency blotches plus fine grain."""
    t = 1.0 + blotch * value_noise(rng, shape, 5) + grain * rng.standard_normal(shape)
    return t.astype(np.float32)[..., None]


def _box_faces(x0: float, x1: float, y0: float, y1: float, z1: float,
               view: _View) -> dict[str, np.ndarray]:
    """Screen polygons of the visible faces of an axis-aligned cuboid on the ground (z0 = 0)."""
    def q(*pts: tuple[float, float, float]) -> np.ndarray:
        return view.project(np.array(pts))
    faces = {
        "top": q((x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)),
        "front": q((x0, y0, 0), (x1, y0, 0), (x1, y0, z1), (x0, y0, z1)),
    }
    xs = x1 if view.skew > 0 else x0
    faces["side"] = q((xs, y0, 0), (xs, y1, 0), (xs, y1, z1), (xs, y0, z1))
    return faces


_SHADE = {"top": 1.08, "front": 0.86, "side": 0.68}


def _draw_cuboid(cv: _Canvas, faces: dict[str, np.ndarray], base: np.ndarray,
                 tex: np.ndarray) -> dict[str, np.ndarray]:
    """Paint the faces (side, front, then top) with shading; returns each face's mask."""
    masks = {}
    for name in ("side", "front", "top"):
        m = cv.mask(faces[name])
        cv.paint(m, base * _SHADE[name] * tex)
        masks[name] = m
    edge = np.zeros(cv.cover.shape, np.uint8)
    for poly in faces.values():
        cv2.polylines(edge, [cv.to_px(poly)], True, 1, thickness=max(1, _SS // 2))
    cv.bgr[edge.astype(bool)] *= 0.8   # creases read darker
    return masks


def _bounds(points: np.ndarray, margin: float) -> tuple[int, int, tuple[float, float]]:
    lo = points.min(axis=0) - margin
    hi = points.max(axis=0) + margin
    w, h = int(np.ceil(hi[0] - lo[0])), int(np.ceil(hi[1] - lo[1]))
    return w, h, (float(-lo[0]), float(-lo[1]))


def _pick(rng: np.random.Generator, palette: list[tuple[int, int, int]],
          spread: float = 0.08) -> np.ndarray:
    base = np.array(palette[int(rng.integers(len(palette)))], np.float32)
    return base * rng.uniform(1 - spread, 1 + spread, 3).astype(np.float32)


# --- the objects -----------------------------------------------------------------------------


def _box(rng: np.random.Generator, width: float, view: _View) -> tuple[_Canvas, float]:
    w = width
    d, h = w * rng.uniform(0.6, 0.9), w * rng.uniform(0.5, 0.8)
    x0, x1, y0, y1 = -w / 2, w / 2, -d / 2, d / 2
    faces = _box_faces(x0, x1, y0, y1, h, view)
    cw, ch, origin = _bounds(np.concatenate(list(faces.values())), 0.4 * w + 4)
    cv = _Canvas(cw, ch, origin)
    base = _pick(rng, [(82, 118, 156), (72, 104, 140), (96, 132, 166), (86, 110, 134)])
    tex = _texture(rng, cv.cover.shape, 0.05, 0.03)
    masks = _draw_cuboid(cv, faces, base, tex)
    # Parcel tape along the top seam, folding over the front edge.
    tw = w * rng.uniform(0.1, 0.16) / 2
    tape = np.array([150, 180, 200], np.float32) * rng.uniform(0.9, 1.05)
    strip = cv.mask(view.project(np.array(
        [(-tw, y0, h), (tw, y0, h), (tw, y1, h), (-tw, y1, h)])))
    cv.paint(strip & masks["top"], tape * _SHADE["top"])
    flap = cv.mask(view.project(np.array(
        [(-tw, y0, h), (tw, y0, h), (tw, y0, 0.7 * h), (-tw, y0, 0.7 * h)])))
    cv.paint(flap & masks["front"], tape * _SHADE["front"])
    if rng.random() < 0.6:   # a printed label on the front face
        lx, lw = rng.uniform(-0.35, 0.05) * w, rng.uniform(0.2, 0.3) * w
        label = cv.mask(view.project(np.array(
            [(lx, y0, 0.2 * h), (lx + lw, y0, 0.2 * h), (lx + lw, y0, 0.45 * h),
             (lx, y0, 0.45 * h)])))
        cv.paint(label & masks["front"], base * 0.55)
    return cv, d * view.elev


def _bag(rng: np.random.Generator, width: float, view: _View) -> tuple[_Canvas, float]:
    w = width
    d, h = w * rng.uniform(0.7, 0.9), w * rng.uniform(0.6, 0.85)
    sh = d * view.elev + h * view.rise              # screen height of the blob
    bottom = d * view.elev / 2
    cy, ry, rx = bottom - sh / 2, sh / 2, w / 2
    t = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    r = np.ones_like(t)
    for k in range(2, 6):   # a lumpy outline
        r += rng.uniform(0.05, 0.11) / (k - 1) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    pear = rng.uniform(0.08, 0.2) * view.rise   # slumped: wider at the bottom when seen aside
    outline = np.stack([r * np.cos(t) * (1 + pear * np.sin(t)), r * np.sin(t)], axis=1)
    outline[:, 0] *= w / np.ptp(outline[:, 0])
    outline[:, 1] = cy + ry * outline[:, 1]
    outline[:, 1] = np.minimum(outline[:, 1], bottom)        # sits flat on the ground
    top = float(outline[np.abs(outline[:, 0]) < 0.1 * w, 1].min())
    lean = rng.uniform(-0.04, 0.04) * w
    knot = [np.array([(-0.05 * w, top + 0.08 * sh), (-0.03 * w + lean, top - 0.06 * sh),
                      (0.03 * w + lean, top - 0.06 * sh), (0.05 * w, top + 0.08 * sh)])]
    for side in (-1, 1):    # the tie's two ears
        knot.append(np.array([(lean, top - 0.05 * sh),
                              (lean + side * rng.uniform(0.08, 0.14) * w,
                               top - rng.uniform(0.1, 0.18) * sh),
                              (lean + side * 0.06 * w, top - 0.01 * sh)]))
    cw, ch, origin = _bounds(np.concatenate([outline, *knot]), 0.4 * w + 4)
    cv = _Canvas(cw, ch, origin)
    base = _pick(rng, [(26, 26, 28), (34, 58, 34), (52, 44, 40), (20, 22, 24)], 0.1)
    yy, xx = np.mgrid[0:cv.cover.shape[0], 0:cv.cover.shape[1]].astype(np.float32) / _SS
    ny = (yy - origin[1] - cy) / ry                  # -1 top .. 1 bottom
    nx = (xx - origin[0]) / rx
    shade = 1.25 - 0.45 * ny - 0.25 * np.clip(nx**2 + ny**2, 0, 1.5)  # lit from above
    colour = base * np.clip(shade, 0.5, 1.6)[..., None] * _texture(rng, shade.shape, 0.06, 0.02)
    blob = cv.mask(outline)
    for part in knot:
        blob |= cv.mask(part)
    cv.paint(blob, colour)
    # Wrinkles: dark creases with a lit ridge beside each.
    layer = np.zeros(cv.cover.shape, np.float32)
    for _ in range(int(rng.integers(4, 8))):
        a = rng.uniform(0, np.pi)
        c = np.array([rng.uniform(-0.5, 0.5) * rx, cy + rng.uniform(-0.6, 0.6) * ry])
        s = np.linspace(-0.35, 0.35, 12) * w
        pts = c + np.stack([s * np.cos(a), s * np.sin(a)], 1)
        pts[:, 1] += 0.04 * w * np.sin(s / w * rng.uniform(4, 9))
        p = cv.to_px(pts)
        cv2.polylines(layer, [p], False, -1.0, thickness=_SS)
        cv2.polylines(layer, [p + np.array([0, _SS])], False, 0.6, thickness=_SS)
    layer = cv2.GaussianBlur(layer, (0, 0), _SS * 0.6)
    cv.bgr *= (1.0 + 0.35 * layer)[..., None]
    # Specular highlights of the plastic, upper part.
    spec = np.zeros(cv.cover.shape, np.float32)
    for _ in range(int(rng.integers(1, 4))):   # long glints along the folds
        c = cv.to_px(np.array([[rng.uniform(-0.5, 0.4) * rx,
                                cy + rng.uniform(-0.8, 0.2) * ry]]))[0]
        axes = (int(_SS * rng.uniform(0.12, 0.25) * w), int(_SS * rng.uniform(0.015, 0.03) * w))
        cv2.ellipse(spec, tuple(int(v) for v in c), axes, rng.uniform(-70, 70), 0, 360,
                    rng.uniform(0.25, 0.45), -1)
    spec = cv2.GaussianBlur(spec, (0, 0), _SS * 1.2) * blob
    cv.bgr += spec[..., None] * (np.array([170, 175, 180], np.float32) - cv.bgr)
    return cv, d * view.elev


def _mattress(rng: np.random.Generator, width: float, view: _View) -> tuple[_Canvas, float]:
    L = width
    D, T = L * rng.uniform(0.45, 0.55), L * rng.uniform(0.08, 0.12)
    x0, x1, y0, y1 = -L / 2, L / 2, -D / 2, D / 2
    faces = _box_faces(x0, x1, y0, y1, T, view)
    cw, ch, origin = _bounds(np.concatenate(list(faces.values())), 0.25 * L + 4)
    cv = _Canvas(cw, ch, origin)
    base = _pick(rng, [(205, 212, 218), (220, 200, 178), (182, 196, 208), (200, 200, 190)], 0.05)
    tex = _texture(rng, cv.cover.shape, 0.04, 0.02)
    masks = _draw_cuboid(cv, faces, base, tex)
    # Quilting: a diamond grid of stitched seams with a tuft at each crossing, on the top face.
    step = D / rng.uniform(3.0, 4.5)
    seams = np.zeros(cv.cover.shape, np.uint8)
    for k in np.arange(-(L + D), L + D, step):
        for sign in (1, -1):
            ys = np.array([y0, y1])
            line = np.stack([k + sign * ys, ys, np.full(2, T)], 1)
            cv2.polylines(seams, [cv.to_px(view.project(line))], False, 1, thickness=_SS // 2)
    quilt = seams.astype(bool) & masks["top"]
    cv.bgr[quilt] *= 0.8
    for gx in np.arange(x0 + step / 2, x1, step):
        for gy in np.arange(y0 + step / 2, y1, step):
            c = cv.to_px(view.project(np.array([[gx, gy, T]])))[0]
            cv2.circle(cv.bgr, tuple(int(v) for v in c), _SS, tuple(float(v) for v in base * 0.7),
                       -1)
    if rng.random() < 0.7:   # a stain
        stain = np.clip(value_noise(rng, cv.cover.shape, 3) - 1.2, 0, 0.5) * masks["top"]
        stain = cv2.GaussianBlur(stain.astype(np.float32), (0, 0), _SS)
        cv.bgr *= 1.0 - stain[..., None] * np.array([0.35, 0.2, 0.08], np.float32)
    return cv, D * view.elev


def _sofa(rng: np.random.Generator, width: float, view: _View) -> tuple[_Canvas, float]:
    L = width
    D = L * rng.uniform(0.38, 0.45)
    arm, back = L * 0.1, D * 0.25
    seat_h, arm_h, back_h = L * 0.2, L * 0.27, L * 0.4
    x0, x1, y0, y1 = -L / 2, L / 2, -D / 2, D / 2
    parts = [  # back to front, so nearer blocks paint over farther ones
        _box_faces(x0, x1, y1 - back, y1, back_h, view),
        _box_faces(x0 + arm, x1 - arm, y0, y1 - back, seat_h, view),
        _box_faces(x0, x0 + arm, y0, y1 - back, arm_h, view),
        _box_faces(x1 - arm, x1, y0, y1 - back, arm_h, view),
    ]
    pts = np.concatenate([p for f in parts for p in f.values()])
    cw, ch, origin = _bounds(pts, 0.3 * L + 4)
    cv = _Canvas(cw, ch, origin)
    base = _pick(rng, [(40, 42, 118), (92, 82, 70), (62, 90, 112), (118, 112, 104)])
    tex = _texture(rng, cv.cover.shape, 0.05, 0.04)
    masks = [_draw_cuboid(cv, f, base, tex) for f in parts]
    seam = np.zeros(cv.cover.shape, np.uint8)   # two seat cushions
    line = view.project(np.array([(0.0, y0, seat_h), (0.0, y1 - back, seat_h)]))
    cv2.polylines(seam, [cv.to_px(line)], False, 1, thickness=_SS // 2)
    cv.bgr[seam.astype(bool) & masks[1]["top"]] *= 0.6
    return cv, D * view.elev


def _suitcase(rng: np.random.Generator, width: float, view: _View) -> tuple[_Canvas, float]:
    """An upright hard-shell suitcase: a tall thin cuboid in a saturated colour, ribbed, with
    a handle on top."""
    w = width
    d, h = w * rng.uniform(0.35, 0.45), w * rng.uniform(1.3, 1.6)
    x0, x1, y0, y1 = -w / 2, w / 2, -d / 2, d / 2
    faces = _box_faces(x0, x1, y0, y1, h, view)
    handle = view.project(np.array([(-0.2 * w, 0, h), (0.2 * w, 0, h), (0.2 * w, 0, 1.12 * h),
                                    (-0.2 * w, 0, 1.12 * h)]))
    cw, ch, origin = _bounds(np.concatenate([*faces.values(), handle]), 0.4 * w + 4)
    cv = _Canvas(cw, ch, origin)
    base = _pick(rng, [(40, 40, 150), (130, 70, 30), (90, 90, 92), (40, 110, 40)], 0.1)
    masks = _draw_cuboid(cv, faces, base, _texture(rng, cv.cover.shape, 0.03, 0.02))
    for k in range(1, 4):   # ribs of the shell on the front face
        x = x0 + k * w / 4
        rib = cv.mask(view.project(np.array([(x - 0.02 * w, y0, 0.05 * h),
                                             (x + 0.02 * w, y0, 0.05 * h),
                                             (x + 0.02 * w, y0, 0.95 * h),
                                             (x - 0.02 * w, y0, 0.95 * h)])))
        cv.paint(rib & masks["front"], base * 0.6)
    cv.paint(cv.mask(handle), np.array([25, 25, 28], np.float32))
    return cv, d * view.elev


_DRAW: dict[str, Callable[[np.random.Generator, float, _View], tuple[_Canvas, float]]] = {
    "box": _box, "bag": _bag, "mattress": _mattress, "sofa": _sofa, "suitcase": _suitcase}


def _contact_shadow(cv: _Canvas, width: float, depth_px: float) -> np.ndarray:
    """A blurred ellipse on the ground around the footprint, darkest at the centre."""
    shadow = np.zeros((cv.h, cv.w), np.float32)
    centre = (int(round(cv.origin[0])), int(round(cv.origin[1])))
    axes = (max(2, int(round(0.58 * width))), max(2, int(round(0.5 * depth_px + 0.06 * width))))
    cv2.ellipse(shadow, centre, axes, 0, 0, 360, 1.0, -1)
    shadow = cv2.GaussianBlur(shadow, (0, 0), max(1.0, 0.07 * width))
    return (_SHADOW * shadow / max(float(shadow.max()), 1e-6)).astype(np.float32)


def render(kind: str, width_px: float, rng: np.random.Generator, *, elev: float = 0.5,
           skew: float | None = None) -> Sprite:
    """Draw one object ``width_px`` wide (its longest side across the image).

    ``elev``: sine of the camera's look-down angle at that spot (0.5 for PETS's campus view,
    0.95 for a camera looking nearly straight down). ``skew``: which side face shows and how much
    (screen x per unit of depth); random in ±0.2 when None.
    """
    if kind not in _DRAW:
        raise ValueError(f"unknown object kind {kind!r} (known: {', '.join(KINDS)})")
    if not 0.0 < elev <= 1.0 or width_px < 4:
        raise ValueError(f"object {kind}: need 0 < elev <= 1 and width_px >= 4")
    view = _View(elev=elev, skew=float(rng.uniform(-0.2, 0.2)) if skew is None else skew)
    cv, depth_px = _DRAW[kind](rng, float(width_px), view)
    bgr, alpha = cv.finish()
    bgr = np.clip(cv2.GaussianBlur(bgr, (0, 0), _SOFTEN_PX), 0.0, 255.0)
    return Sprite(kind=kind, bgr=bgr, alpha=alpha, shadow=_contact_shadow(cv, width_px, depth_px),
                  anchor=cv.origin, depth_px=float(depth_px))
