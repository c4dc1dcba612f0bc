from __future__ import annotations

import numpy as np

from edge.tracking import ByteTracker, TrackerSettings
from edge.tracking.kalman import KalmanXYAH, xyah_to_xyxy, xyxy_to_xyah
from edge.tracking.matching import assign, iou_matrix
from tests.helpers import dets, person_at


def test_iou_matrix_known_values():
    a = np.array([[0, 0, 10, 10]], float)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], float)
    np.testing.assert_allclose(iou_matrix(a, b), [[1.0, 50 / 150, 0.0]])


def test_assign_respects_gate():
    cost = np.array([[0.1, 0.9], [0.8, 0.95]])
    matches, rows, cols = assign(cost, 0.5)
    assert matches.tolist() == [[0, 0]] and rows.tolist() == [1] and cols.tolist() == [1]


def test_xyah_round_trip():
    b = np.array([[10, 20, 40, 100.0]])
    np.testing.assert_allclose(xyah_to_xyxy(xyxy_to_xyah(b)), b)


def test_kalman_learns_constant_velocity():
    kf = KalmanXYAH()
    mean, cov = kf.initiate(np.array([[0.0, 50, 0.5, 40]]))
    for t in range(1, 20):
        mean, cov = kf.predict(mean, cov)
        mean, cov = kf.update(mean, cov, np.array([[5.0 * t, 50, 0.5, 40]]))
    assert abs(mean[0, 4] - 5.0) < 0.5


def test_ids_are_stable_and_per_instance():
    a, b = ByteTracker(TrackerSettings()), ByteTracker(TrackerSettings())
    ids = set()
    for i in range(10):
        t = a.update(dets(person_at(50 + 3 * i, 100), person_at(200, 100 + i)), i / 10)
        ids.update(t.ids.tolist())
    assert ids == {1, 2}
    assert b.update(dets(person_at(10, 10)), 0.0).ids.tolist() == [1]


def test_low_score_detection_keeps_a_track_alive():
    t = ByteTracker(TrackerSettings())
    for i in range(5):
        t.update(dets(person_at(50 + 2 * i, 100)), i / 10)
    out = t.update(dets(person_at(60, 100, score=0.2)), 0.5)
    assert out.ids.tolist() == [1] and out.observed.tolist() == [True]


def test_lost_track_recovers_within_buffer_and_is_removed_after():
    t = ByteTracker(TrackerSettings(lost_buffer_s=1.0))
    for i in range(5):
        t.update(dets(person_at(50 + 2 * i, 100)), i / 10)
    for i in range(5, 10):
        assert len(t.update(dets(), i / 10)) == 0
    assert t.update(dets(person_at(70, 100)), 1.0).ids.tolist() == [1]
    removed = [t.update(dets(), 1.0 + k / 10).removed_ids.tolist() for k in range(1, 15)]
    assert [1] in removed


def test_class_vote_is_majority_by_score():
    t = ByteTracker(TrackerSettings())
    for i in range(9):
        cls = "truck" if i % 3 == 0 else "car"
        out = t.update(dets(person_at(50 + 2 * i, 100, cls=cls)), i / 10)
    assert out.classes.tolist() == [3]  # car
