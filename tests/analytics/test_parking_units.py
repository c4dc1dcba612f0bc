"""Unit tests of the parking building blocks on synthetic inputs: tiling, hysteresis, appearance,
references (given and learnt), view alignment, the space classifier file."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.analytics.parking.appearance import SpacePatches, gray
from edge.analytics.parking.classifier import SpaceModel
from edge.analytics.parking.occupancy import FREE, NONE, OCCUPIED, UNKNOWN, Occupancy
from edge.analytics.parking.reference import ImageReference, LearntReference, ViewAlignment
from edge.detectors.tiling import TiledDetector, TileGrid
from edge.errors import EdgeError
from edge.types import Detections


def test_tiles_cover_the_region_with_the_overlap_and_stay_in_the_frame() -> None:
    grid = TileGrid.cover((2, 135, 1191, 610), (1280, 720), 320, 0.25)
    x, y = grid.origins[:, 0], grid.origins[:, 1]
    assert x.min() <= 2 and (x + 320).max() >= 1191 and y.min() <= 135 and (y + 320).max() >= 610
    assert x.min() >= 0 and (x + 320).max() <= 1280 and (y + 320).max() <= 720
    xs = np.unique(x)
    assert np.all(np.diff(xs) <= 320 * 0.75 + 1)  # neighbours overlap by >= 25 %
    assert len(TileGrid.cover((0, 0, 100, 100), (1280, 720), 320, 0.25)) == 1
    with pytest.raises(ValueError):
        TileGrid.cover((2000, 0, 2100, 10), (1280, 720), 320, 0.25)


class _OneBoxPerTile:
    """A fake detector seeing one box in the middle of every tile, and the same object twice
    where tiles overlap (to be merged)."""

    def detect(self, image: np.ndarray) -> Detections:
        h, w = image.shape[:2]
        return Detections(np.array([[w / 2 - 5, h / 2 - 5, w / 2 + 5, h / 2 + 5]], np.float32),
                          np.array([0.9], np.float32), np.array([3], np.int16))


def test_tiled_boxes_come_back_in_frame_pixels() -> None:
    grid = TileGrid(np.array([[0, 0], [100, 50]]), 40)
    det = TiledDetector(_OneBoxPerTile(), grid).detect(np.zeros((200, 200, 3), np.uint8))
    assert sorted(det.xyxy[:, 0].tolist()) == [15, 115]
    assert sorted(det.xyxy[:, 1].tolist()) == [15, 65]


def test_hysteresis_ignores_short_evidence_and_flips_after_the_hold() -> None:
    occ = Occupancy(2, occupy_s=10, vacate_s=5, unknown_after_s=60)
    first = occ.update([FREE, OCCUPIED], 0.0)  # start-up commits at once
    assert [(c.old, c.new) for c in first] == [(UNKNOWN, FREE), (UNKNOWN, OCCUPIED)]
    for t in range(1, 9):  # 8 s of a car on space 0: shorter than the hold
        assert occ.update([OCCUPIED, OCCUPIED], float(t)) == []
    assert occ.update([FREE, OCCUPIED], 9.0) == []
    changes = [c for t in range(10, 25) for c in occ.update([OCCUPIED, OCCUPIED], float(t))]
    assert [(c.space, c.new, c.since) for c in changes] == [(0, OCCUPIED, 10.0)]
    # leaves at 30 s: a stay of 20 s is measured (from the evidence starts, not the commits)
    changes = [c for t in range(30, 40) for c in occ.update([FREE, OCCUPIED], float(t))]
    assert [(c.space, c.new, c.stay_s) for c in changes] == [(0, FREE, 20.0)]
    assert occ.counts() == (1, 1, 0)


def test_hidden_space_keeps_its_state_then_becomes_unknown() -> None:
    occ = Occupancy(1, occupy_s=10, vacate_s=10, unknown_after_s=30)
    occ.update([OCCUPIED], 0.0)
    assert occ.update([NONE], 20.0) == []
    changes = occ.update([NONE], 31.0)
    assert [(c.old, c.new) for c in changes] == [(OCCUPIED, UNKNOWN)]
    assert [c.new for c in occ.update([FREE], 32.0)] == [FREE]  # from unknown: at once


def _textured(seed: int, scale: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(60, 120, (400 // scale, 640 // scale), np.uint8)
    return np.repeat(np.kron(base, np.ones((scale, scale), np.uint8))[..., None], 3, axis=2)


_QUADS = [np.array([[40, 200], [40, 40], [200, 40], [200, 200]]),
          np.array([[300, 200], [300, 40], [460, 40], [460, 200]])]


def _landscape(seed: int = 0) -> np.ndarray:
    """Smooth structure (blurred noise): what registration locks on in a real view."""
    rng = np.random.default_rng(seed)
    g = cv2.GaussianBlur(rng.normal(0, 1, (400, 640)).astype(np.float32), (0, 0), 5)
    g = 120 + 60 * g / g.std()
    return np.clip(g, 0, 255).astype(np.uint8)[..., None].repeat(3, 2)


def _asphalt(seed: int = 0) -> np.ndarray:
    """Fine grain (1-px noise) on a flat grey: what a free bay looks like at car scale."""
    rng = np.random.default_rng(seed)
    return np.clip(110 + rng.normal(0, 6, (400, 640, 1)), 0, 255).repeat(3, 2).astype(np.uint8)


def _car(image: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """A crude car from above: dark body, bright windscreen and roof, sharp edges."""
    out = image.copy()
    out[y0:y0 + 120, x0:x0 + 90] = 40
    out[y0 + 15:y0 + 40, x0 + 10:x0 + 80] = 200
    out[y0 + 60:y0 + 100, x0 + 15:x0 + 75] = 150
    return out


def test_texture_is_low_on_fine_grain_and_high_on_a_car_whatever_the_exposure() -> None:
    patches = SpacePatches(_QUADS)
    scene = _car(_asphalt(), 325, 60)  # a car on space 1
    for gain in (1.0, 0.4):            # day, dusk
        t = patches.look(gray(scene) * gain).texture
        assert t[1] > 4 * t[0], t


def test_appearance_survives_light_changes_but_sees_a_new_object() -> None:
    empty = _textured(0)
    ref = ImageReference(empty, SpacePatches(_QUADS))
    patches = SpacePatches(_QUADS)
    darker = (empty.astype(np.float32) * 0.6 + 10).astype(np.uint8)  # dusk: gain and offset
    assert np.all(ref.similarity(patches.look(gray(darker))) > 0.8)
    car = darker.copy()
    car[60:180, 320:440] = _textured(1)[60:180, 320:440]  # something new on space 1 only
    sim = ref.similarity(patches.look(gray(car)))
    assert sim[0] > 0.8 and sim[1] < 0.3, sim


def test_image_reference_is_registered_to_a_moved_camera() -> None:
    empty = _landscape()
    moved = np.roll(empty, (6, -9), axis=(0, 1))  # the camera was bumped: 9 px left, 6 down
    patches = SpacePatches(_QUADS)
    ref = ImageReference(empty, patches)
    before = ref.similarity(patches.look(gray(moved)))
    assert ref.register(moved)
    after = ref.similarity(patches.look(gray(moved)))
    assert np.all(after > 0.9) and np.all(before < 0.7), (before, after)
    with pytest.raises(ValueError, match="reference image is 640x400"):
        ref.register(np.zeros((100, 100, 3), np.uint8))


def test_learnt_reference_needs_its_samples_apart_in_time_then_sees_a_car() -> None:
    patches = SpacePatches(_QUADS)
    ref = LearntReference(2, patches.look(gray(_textured(0))).gx.shape[1],
                          every_s=30, samples=3, relearn_s=600)
    free = np.array([True, False])
    for ts in (0.0, 10.0, 20.0, 30.0):  # 10 s apart: only 0 s and 30 s count
        ref.learn(patches.look(gray(_textured(0))), free, ts)
    assert ref.count.tolist() == [2, 0] and not ref.ready.any()
    assert np.isnan(ref.similarity(patches.look(gray(_textured(0))))).all()
    ref.learn(patches.look(gray(_textured(0))), free, 60.0)
    assert ref.ready.tolist() == [True, False]
    sim = ref.similarity(patches.look(gray(_car(_textured(0), 60, 60))))
    assert sim[0] < 0.5 and np.isnan(sim[1])
    assert ref.similarity(patches.look(gray(_textured(0))))[0] > 0.95


def test_learnt_reference_is_forgotten_after_a_long_disagreement_only() -> None:
    patches = SpacePatches(_QUADS)
    ref = LearntReference(2, patches.look(gray(_textured(0))).gx.shape[1],
                          every_s=1, samples=1, relearn_s=100)
    ref.learn(patches.look(gray(_textured(0))), np.array([True, True]), 0.0)
    assert not ref.doubt(np.array([True, False]), 10.0).any()
    assert not ref.doubt(np.array([False, False]), 50.0).any()  # a break restarts the clock
    assert not ref.doubt(np.array([True, False]), 60.0).any()
    assert ref.doubt(np.array([True, False]), 161.0).tolist() == [True, False]
    assert ref.ready.tolist() == [False, True]
    ref.forget()
    assert not ref.ready.any()


def test_view_alignment_warps_a_shifted_frame_back_to_the_anchor() -> None:
    anchor = gray(_landscape())
    view = ViewAlignment()
    assert view.to_anchor(anchor) is anchor  # the first frame is the anchor
    same = view.to_anchor(anchor + 3.0)      # brightness changes do not move the view
    assert view.warp is None and np.array_equal(same, anchor + 3.0)
    moved = np.roll(anchor, (5, 12), axis=(0, 1))
    back = view.to_anchor(moved)
    assert view.warp is not None
    inner = (slice(40, -40), slice(40, -40))
    assert np.abs(back[inner] - anchor[inner]).mean() < 2.0
    assert np.abs(moved[inner] - anchor[inner]).mean() > 10.0


def test_space_model_answers_with_and_without_a_reference() -> None:
    model = SpaceModel.load()
    assert model.trained_on.get("frames")
    vehicle = np.array([0.0, 0.9, 0.0, 0.0])
    texture = np.array([0.05, 0.05, 0.6, 0.05])
    z = model.logits(vehicle, texture)
    assert z[1] > z[0] and z[2] > z[0]  # a detected car, a textured bay
    zr = model.logits(vehicle, texture, np.array([np.nan, np.nan, np.nan, 0.05]))
    assert np.allclose(zr[:3], z[:3])    # no reference: the model without one answers
    assert zr[3] > z[3]                  # a bay unlike its empty self


def test_space_model_file_errors_name_the_file_and_field(tmp_path) -> None:
    bad = tmp_path / "model.json"
    bad.write_text("{not json")
    with pytest.raises(EdgeError, match="model.json: not a readable JSON file"):
        SpaceModel.load(bad)
    good = SpaceModel.load().model_dump()
    good["with_reference"]["similarity"] = "high"
    bad.write_text(__import__("json").dumps(good))
    with pytest.raises(EdgeError, match="with_reference.similarity"):
        SpaceModel.load(bad)
    with pytest.raises(EdgeError, match="nope.json"):
        SpaceModel.load(tmp_path / "nope.json")
