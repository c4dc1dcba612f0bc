"""A cyclist or motorcyclist is one vehicle, not a vehicle plus a pedestrian.

COCO detectors see a rider as a ``person`` on top of a ``bicycle``/``motorcycle``. Counting both
would count a cyclist twice and as a pedestrian, so the person is dropped and the vehicle's box
grows to cover the rider (the track's box and bottom-centre anchor then stay stable whether or
not the rider was detected on a given frame).
"""

from __future__ import annotations

import numpy as np

from edge.classes import PEDESTRIAN, RIDDEN
from edge.detectors.nms import box_area, intersection
from edge.types import Detections


def rider_cover(person: np.ndarray, vehicle: np.ndarray, min_cover: float = 0.3,
                max_drop: float = 0.25) -> np.ndarray:
    """(p, v) matrix: the share of vehicle v that person p covers where p rides v, else 0.

    A rider covers at least ``min_cover`` of the vehicle's area, has the horizontal centre over
    the middle 70 % of the vehicle's width, the head above the vehicle's top quarter, and the
    feet in the lower half of the vehicle or at most ``max_drop`` vehicle-heights below it.
    A pedestrian walking past a parked bike covers too little of it or is off its middle; one
    standing behind it has the feet too high.
    """
    cover = intersection(person, vehicle) / np.maximum(box_area(vehicle), 1e-9)[None, :]
    pcx = (person[:, 0] + person[:, 2])[:, None] * 0.5
    feet, head = person[:, 3][:, None], person[:, 1][:, None]
    vx1, vy1, vx2, vy2 = (vehicle[:, i][None, :] for i in range(4))
    vh, margin = vy2 - vy1, 0.15 * (vx2 - vx1)
    rides = ((cover >= min_cover) & (pcx >= vx1 + margin) & (pcx <= vx2 - margin)
             & (head <= vy1 + 0.25 * vh)
             & (feet >= vy1 + 0.5 * vh) & (feet <= vy2 + max_drop * vh))
    return np.where(rides, cover, 0.0)


def merge_riders(dets: Detections, min_cover: float = 0.3, max_drop: float = 0.25
                 ) -> Detections:
    """Drop each pedestrian riding a bicycle/motorcycle; extend that vehicle over the rider.

    A rider joins the vehicle it covers most; a vehicle may carry several (pillion passenger).

    >>> d = Detections(np.array([[10, 0, 30, 50], [5, 25, 35, 60]], np.float32),
    ...                np.array([0.9, 0.8], np.float32), np.array([0, 1], np.int16))
    >>> out = merge_riders(d)
    >>> out.classes.tolist(), out.xyxy.tolist()
    ([1], [[5.0, 0.0, 35.0, 60.0]])
    """
    is_person = dets.classes == PEDESTRIAN
    is_vehicle = np.isin(dets.classes, RIDDEN)
    if not is_person.any() or not is_vehicle.any():
        return dets
    p_idx, v_idx = np.flatnonzero(is_person), np.flatnonzero(is_vehicle)
    cover = rider_cover(dets.xyxy[p_idx], dets.xyxy[v_idx], min_cover, max_drop)
    riders = cover.max(axis=1) > 0
    if not riders.any():
        return dets
    rider_rows = p_idx[riders]
    carrier_rows = v_idx[cover[riders].argmax(axis=1)]
    xyxy = dets.xyxy.copy()
    np.minimum.at(xyxy[:, 0], carrier_rows, dets.xyxy[rider_rows, 0])
    np.minimum.at(xyxy[:, 1], carrier_rows, dets.xyxy[rider_rows, 1])
    np.maximum.at(xyxy[:, 2], carrier_rows, dets.xyxy[rider_rows, 2])
    np.maximum.at(xyxy[:, 3], carrier_rows, dets.xyxy[rider_rows, 3])
    keep = np.ones(len(dets), bool)
    keep[rider_rows] = False
    return Detections(xyxy[keep], dets.scores[keep], dets.classes[keep])
