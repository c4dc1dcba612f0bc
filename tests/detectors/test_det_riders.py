"""Rider merging on synthetic boxes: a cyclist is one bicycle, a passer-by stays a pedestrian."""

from __future__ import annotations

import numpy as np

from edge.classes import CLASS_INDEX, CLASSES
from edge.detectors.riders import merge_riders
from edge.types import Detections


def dets(*rows: tuple[float, float, float, float, str]) -> Detections:
    if not rows:
        return Detections.empty()
    xyxy = np.array([r[:4] for r in rows], np.float32)
    scores = np.linspace(0.9, 0.5, len(rows)).astype(np.float32)
    return Detections(xyxy, scores, np.array([CLASS_INDEX[r[4]] for r in rows], np.int16))


def names(d: Detections) -> list[str]:
    return [CLASSES[c] for c in d.classes]


BIKE = (100, 150, 160, 220, "bicycle")


def test_cyclist_becomes_one_bicycle_covering_the_rider() -> None:
    out = merge_riders(dets(BIKE, (110, 80, 150, 200, "pedestrian")))
    assert names(out) == ["bicycle"]
    np.testing.assert_allclose(out.xyxy, [[100, 80, 160, 220]])
    assert out.scores.tolist() == [np.float32(0.9)]


def test_pedestrian_beside_parked_bike_is_kept() -> None:
    beside = (163, 100, 193, 222, "pedestrian")  # no overlap
    brushing = (140, 100, 175, 222, "pedestrian")  # overlaps a strip, centre outside the bike
    for person in (beside, brushing):
        out = merge_riders(dets(BIKE, person))
        assert names(out) == ["bicycle", "pedestrian"]
        np.testing.assert_array_equal(out.xyxy, dets(BIKE, person).xyxy)


def test_person_standing_behind_a_bike_is_kept() -> None:
    # Centred on the bike and overlapping it, but the feet are in its top half: further away.
    out = merge_riders(dets(BIKE, (115, 60, 145, 180, "pedestrian")))
    assert names(out) == ["bicycle", "pedestrian"]


def test_small_overlap_is_not_a_rider() -> None:
    # A child walking in front of a large parked motorcycle covers < 30 % of it.
    moto = (100, 100, 300, 220, "motorcycle")
    out = merge_riders(dets(moto, (110, 150, 140, 222, "pedestrian")))
    assert names(out) == ["motorcycle", "pedestrian"]


def test_motorcycle_with_pillion_and_two_bikes_with_their_riders() -> None:
    moto = (300, 150, 420, 230, "motorcycle")
    rider, pillion = (330, 80, 380, 210, "pedestrian"), (355, 85, 405, 212, "pedestrian")
    bike2 = (500, 160, 560, 230, "bicycle")
    rider2 = (505, 90, 545, 215, "pedestrian")
    walker = (600, 100, 630, 230, "pedestrian")
    out = merge_riders(dets(BIKE, moto, rider, (110, 80, 150, 200, "pedestrian"), pillion,
                            bike2, rider2, walker))
    assert names(out) == ["bicycle", "motorcycle", "bicycle", "pedestrian"]
    np.testing.assert_allclose(out.xyxy, [[100, 80, 160, 220], [300, 80, 420, 230],
                                          [500, 90, 560, 230], [600, 100, 630, 230]])


def test_cars_and_lone_classes_are_untouched() -> None:
    car_and_person = dets((100, 100, 200, 180, "car"), (120, 60, 160, 175, "pedestrian"))
    assert merge_riders(car_and_person) is car_and_person
    assert len(merge_riders(Detections.empty())) == 0
    only_bikes = dets(BIKE)
    assert merge_riders(only_bikes) is only_bikes
