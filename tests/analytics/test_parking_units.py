"""Unit tests of the parking building blocks on synthetic inputs: tiling, hysteresis, appearance."""

from __future__ import annotations

import numpy as np
import pytest

from edge.analytics.parking.appearance import EmptyReference
from edge.analytics.parking.occupancy import FREE, NONE, OCCUPIED, UNKNOWN, Occupancy
from edge.detectors.tiling import TiledDetector, TileGrid
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


def _textured(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(60, 120, (100, 160), np.uint8)
    return np.repeat(np.kron(base, np.ones((4, 4), np.uint8))[..., None], 3, axis=2)


def test_appearance_survives_light_changes_but_sees_a_new_object() -> None:
    empty = _textured(0)
    quad = [np.array([[40, 200], [40, 40], [200, 40], [200, 200]]),
            np.array([[300, 200], [300, 40], [460, 40], [460, 200]])]
    ref = EmptyReference(empty, quad)
    darker = (empty.astype(np.float32) * 0.6 + 10).astype(np.uint8)  # dusk: gain and offset
    assert np.all(ref.similarity(darker) > 0.8)
    car = darker.copy()
    car[60:180, 320:440] = _textured(1)[60:180, 320:440]  # something new on space 1 only
    sim = ref.similarity(car)
    assert sim[0] > 0.8 and sim[1] < 0.15
