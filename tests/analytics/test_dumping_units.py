"""Drop-off analytic on synthetic frames: the pixel model, the lifecycle and their glue.

Synthetic textures are enough here (each rule in isolation); the acceptance figures come from
real footage with composited objects (tests/integration/test_dumping_generated.py, edge bench).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.analytics.base import DumpingAlert
from edge.analytics.dumping.analytic import DumpingAnalytic
from edge.analytics.dumping.background import ZoneBackground
from edge.analytics.dumping.config import DropoffZoneConfig, DumpingConfig
from edge.analytics.dumping.lifecycle import ZoneObjects
from edge.types import Frame, Tracks

W, H = 320, 240
ZONE = [(40.0, 40.0), (280.0, 40.0), (280.0, 200.0), (40.0, 200.0)]
EVERY = 0.5


def ground(seed: int = 0) -> np.ndarray:
    """A textured grey-green ground, like asphalt or grass."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0, 12, (H // 4, W // 4, 3)).repeat(4, 0).repeat(4, 1)
    return np.clip(base + (90, 110, 100), 0, 255).astype(np.uint8)


def with_box(img: np.ndarray, x: int, y: int, w: int = 40, h: int = 30,
             colour: tuple[int, int, int] = (40, 90, 150)) -> np.ndarray:
    out = img.copy()
    out[y:y + h, x:x + w] = colour
    out[y + h // 2 - 2:y + h // 2 + 2, x:x + w] = (170, 190, 210)  # tape: edges inside too
    return out


def tracks_of(*boxes: tuple[float, float, float, float]) -> Tracks:
    n = len(boxes)
    if not n:
        return Tracks.empty()
    return Tracks(np.array(boxes, np.float32), np.ones(n, np.float32), np.zeros(n, np.int16),
                  np.arange(n), np.ones(n, bool), np.ones(n, bool), np.zeros(0, np.int64))


def run(frames, dwell: float = 5.0, clear: float = 3.0, tracks=None, classifier=None,  # noqa: ANN001
        step: float = EVERY) -> list[DumpingAlert]:
    cfg = DumpingConfig(zones=[DropoffZoneConfig(id="z", polygon=ZONE, dwell_s=dwell,
                                                 clear_s=clear)], every_s=EVERY,
                        classify=classifier is not None)
    analytic = DumpingAnalytic("cam", cfg, (W, H), classifier)
    events: list[DumpingAlert] = []
    for i, img in enumerate(frames):
        t = i * step
        tr = tracks(t) if tracks else Tracks.empty()
        events += analytic.update(Frame(img, i, t, 1_700_000_000.0 + t), tr)
    return events


def clip(seconds: float, paint, step: float = EVERY) -> list[np.ndarray]:  # noqa: ANN001
    bg = ground()
    rng = np.random.default_rng(1)
    frames = []
    for i in range(int(seconds / step)):
        noisy = np.clip(bg + rng.normal(0, 3, bg.shape), 0, 255).astype(np.uint8)
        frames.append(paint(i * step, noisy))
    return frames


def test_left_object_is_raised_after_dwell_and_cleared_after_removal() -> None:
    frames = clip(40, lambda t, img: with_box(img, 120, 90) if 5 <= t < 25 else img)
    events = run(frames, dwell=5, clear=3)
    assert [e.status for e in events] == ["raised", "cleared"]
    raised, cleared = events
    assert 10 <= raised.media_ts <= 10 + 3.0       # appeared at 5 s, dwell 5 s
    assert 5 - 0.01 <= raised.first_seen - 1_700_000_000.0 <= 6.5
    assert 25 + 3 <= cleared.media_ts <= 25 + 6    # removed at 25 s, clear_s 3 s
    assert raised.alert == cleared.alert and cleared.cleared_at is not None
    assert 0.02 < raised.size < 0.05               # 40x30 of a 240x160 zone = 0.031
    assert raised.cls == "unknown_object"


def test_object_taken_away_before_dwell_raises_nothing() -> None:
    frames = clip(30, lambda t, img: with_box(img, 120, 90) if 5 <= t < 8 else img)
    assert run(frames, dwell=5) == []


def test_exposure_changes_are_not_objects() -> None:
    def flicker(t: float, img: np.ndarray) -> np.ndarray:
        gain = 1.0 + 0.35 * np.sin(t * 2.1) + (0.3 if int(t) % 7 == 0 else 0.0)
        return np.clip(img * gain, 0, 255).astype(np.uint8)
    assert run(clip(60, flicker), dwell=5) == []


def test_passers_by_are_not_objects() -> None:
    def walker(t: float, img: np.ndarray) -> np.ndarray:  # untracked, crossing at 20 px/s
        x = int(40 + 20 * (t % 12))
        return with_box(img, x, 100, 20, 50, (30, 30, 30))
    assert run(clip(60, walker), dwell=5) == []


def test_person_standing_still_is_not_an_object() -> None:
    def person(t: float, img: np.ndarray) -> np.ndarray:
        return with_box(img, 150, 80, 20, 50, (30, 30, 30)) if 5 <= t < 40 else img
    box = (150.0, 80.0, 170.0, 130.0)
    events = run(clip(50, person), dwell=5,
                 tracks=lambda t: tracks_of(box) if 5 <= t < 40 else Tracks.empty())
    assert events == []


def test_occlusion_neither_clears_nor_duplicates() -> None:
    # The object stays from 5 s to the end; a tracked person stands in front of it from 15 s
    # to 30 s, hiding all of it.
    def scene(t: float, img: np.ndarray) -> np.ndarray:
        out = with_box(img, 120, 90) if t >= 5 else img
        return with_box(out, 110, 80, 60, 50, (20, 20, 20)) if 15 <= t < 30 else out
    person = (110.0, 80.0, 170.0, 130.0)
    events = run(clip(50, scene), dwell=5, clear=3,
                 tracks=lambda t: tracks_of(person) if 15 <= t < 30 else Tracks.empty())
    assert [e.status for e in events] == ["raised"]


def test_object_there_at_start_then_taken_away_is_a_ghost_not_an_alert() -> None:
    frames = clip(40, lambda t, img: with_box(img, 120, 90) if t < 10 else img)
    assert run(frames, dwell=5) == []


def test_ghost_check_tells_arrival_from_departure() -> None:
    bg = ZoneBackground(np.array(ZONE), (W, H), every_s=EVERY, threshold=28)
    empty, full = ground(), with_box(ground(), 120, 90)
    for i in range(3):
        bg.look(empty, np.zeros((0, 4)), i * EVERY)
    for i in range(3, 11):
        view = bg.look(full, np.zeros((0, 4)), i * EVERY)
    assert view.static.any() and not bg.is_ghost(view.static)  # arrived: an object
    bg2 = ZoneBackground(np.array(ZONE), (W, H), every_s=EVERY, threshold=28)
    for i in range(3):
        bg2.look(full, np.zeros((0, 4)), i * EVERY)
    for i in range(3, 11):
        view = bg2.look(empty, np.zeros((0, 4)), i * EVERY)
    assert view.static.any() and bg2.is_ghost(view.static)  # departed: a ghost


def test_lifecycle_drops_brief_candidates_and_holds_while_hidden() -> None:
    objs = ZoneObjects(dwell_s=10, clear_s=4, zone_area=1000, min_area=10)
    region = np.zeros((20, 50), bool)
    region[5:10, 5:15] = True
    none, everything = np.zeros_like(region), np.ones_like(region)
    assert objs.add(region, since=0.0)
    assert objs.step(3.0, region, everything) == []
    assert [tr.status for tr in objs.step(10.0, region, everything)] == ["raised"]
    for t in np.arange(10.5, 60, 0.5):  # hidden for 50 s: held, whatever the pixels say
        assert objs.step(float(t), none, none) == []
    assert objs.step(60.0, none, everything) == []
    assert [tr.status for tr in objs.step(64.0, none, everything)] == ["cleared"]
    # A candidate gone before its dwell time is dropped without a word.
    assert objs.add(region, since=70.0)
    assert objs.step(73.0, none, everything) == []
    assert objs.step(76.0, none, everything) == [] and objs.objects == []


def test_small_changes_are_not_objects() -> None:
    objs = ZoneObjects(dwell_s=10, clear_s=4, zone_area=1000, min_area=30)
    tiny = np.zeros((20, 50), bool)
    tiny[0:2, 0:5] = True
    assert not objs.add(tiny, since=0.0) and objs.objects == []


@pytest.mark.parametrize("polygon", [[(0, 0), (5, 0), (5, 5)],
                                     [(0, 0), (10, 10), (10, 0), (0, 10)]])
def test_bad_zone_polygons_are_refused(polygon: list[tuple[float, float]]) -> None:
    with pytest.raises(ValueError):
        DropoffZoneConfig(id="z", polygon=polygon)


def test_a_shadow_falling_on_the_zone_is_light_not_an_object() -> None:
    def shade(t: float, img: np.ndarray) -> np.ndarray:  # a cloud shadow over part of the zone
        if t < 5:
            return img
        light = np.ones(img.shape[:2], np.float32)
        light[60:150, 60:200] = 0.55
        light = cv2.GaussianBlur(light, (0, 0), 4)[..., None]  # a shadow's edge is soft
        return (img * light).astype(np.uint8)
    assert run(clip(40, shade), dwell=5) == []


def test_a_dark_object_the_size_of_that_shadow_is_still_an_object() -> None:
    frames = clip(40, lambda t, img: with_box(img, 60, 60, 140, 90, (45, 50, 55)) if t >= 5
                  else img)
    assert [e.status for e in run(frames, dwell=5)] == ["raised"]


def test_an_object_seen_piece_by_piece_is_one_object() -> None:
    objs = ZoneObjects(dwell_s=10, clear_s=4, zone_area=1000, min_area=10)
    left, right = np.zeros((20, 50), bool), np.zeros((20, 50), bool)
    left[5:12, 5:15] = True
    right[5:12, 16:30] = True  # one pixel apart: the other half, once a passer-by has gone
    assert objs.add(left, since=0.0)
    assert objs.join(right)
    assert len(objs.objects) == 1 and objs.objects[0].region.sum() == left.sum() + right.sum()
    far = np.zeros((20, 50), bool)
    far[15:20, 40:50] = True
    assert not objs.join(far)
    # Two candidates that grow into each other become one, with the earlier start.
    assert objs.add(far, since=1.0) and len(objs.objects) == 2
    bridge = np.zeros((20, 50), bool)
    bridge[12:15, 28:42] = True
    assert objs.join(bridge)
    assert len(objs.objects) == 1 and objs.objects[0].first_seen == 0.0


def test_a_camera_analysed_once_a_second_keeps_the_timing() -> None:
    frames = clip(40, lambda t, img: with_box(img, 120, 90) if 5 <= t < 25 else img, step=1.0)
    raised, cleared = run(frames, dwell=5, clear=3, step=1.0)
    assert 10 <= raised.media_ts <= 12 and 28 <= cleared.media_ts <= 31
    assert abs(raised.first_seen - 1_700_000_005.0) <= 1.0


def test_two_objects_raised_at_once_are_two_alerts() -> None:
    def two(t: float, img: np.ndarray) -> np.ndarray:
        return with_box(with_box(img, 60, 60), 200, 140) if t >= 5 else img
    events = run(clip(20, two), dwell=5)
    assert [e.status for e in events] == ["raised", "raised"]
    assert events[0].alert != events[1].alert


def test_class_guess_names_the_object_and_a_failing_guess_does_not_lose_the_alert() -> None:
    frames = clip(20, lambda t, img: with_box(img, 120, 90) if t >= 5 else img)
    boxes = []

    def couch(image: np.ndarray, box: tuple[int, int, int, int]) -> str:
        boxes.append(box)
        return "couch"

    (raised,) = run(frames, dwell=5, classifier=couch)
    assert raised.cls == "couch"
    x0, y0, x1, y1 = boxes[0]  # the object's box, in frame pixels
    assert abs(x0 - 120) <= 3 and abs(y0 - 90) <= 3 and abs(x1 - 160) <= 3 and abs(y1 - 120) <= 3

    def broken(image: np.ndarray, box: tuple[int, int, int, int]) -> str:
        raise RuntimeError("model hiccup")
    (raised,) = run(frames, dwell=5, classifier=broken)
    assert raised.cls == "unknown_object"


def test_a_person_the_tracker_lost_postpones_the_alert() -> None:
    # Someone sits still in the zone, undetected by the tracker, from 5 s to 25 s.
    frames = clip(40, lambda t, img: with_box(img, 120, 90, 20, 40, (30, 30, 30))
                  if 5 <= t < 25 else img)

    def person(image: np.ndarray, box: tuple[int, int, int, int]) -> str:
        return "person"
    assert run(frames, dwell=5, classifier=person) == []


def test_a_passer_by_does_not_delay_the_alert_but_someone_standing_there_does() -> None:
    frames = clip(25, lambda t, img: with_box(img, 120, 90) if t >= 5 else img)

    def walker(t: float) -> Tracks:  # crosses the object from 7 s to 11 s, 25 px/s
        x = 90 + 25 * (t - 7)
        return tracks_of((x, 60.0, x + 25, 125.0)) if 7 <= t < 11 else Tracks.empty()
    (raised,) = run(frames, dwell=5, tracks=walker)
    assert raised.media_ts <= 11  # placed at 5 s: nothing paused the clock

    def stander(t: float) -> Tracks:  # stands over it from 7 s to 13 s
        return tracks_of((110.0, 60.0, 135.0, 125.0)) if 7 <= t < 13 else Tracks.empty()
    (raised,) = run(frames, dwell=5, tracks=stander)
    assert raised.media_ts >= 13  # attended from 9 s (2 s to be seen standing) to 13 s


def _owner_scene(t: float, img: np.ndarray, leave: float, with_object: bool) -> np.ndarray:
    """Someone walks in at 4 s, stands at x 80-110 until ``leave``, then walks off; with
    ``with_object``, they set a box down beside them at 5 s (partly under their grown box)."""
    if with_object and t >= 5:
        img = with_box(img, 112, 120, 44, 36)
    if 4 <= t < leave:
        img = with_box(img, 80, 80, 30, 80, (35, 35, 40))
    return img


def _owner_box(t: float, leave: float) -> Tracks:
    if 4 <= t < leave:
        return tracks_of((80.0, 80.0, 110.0, 160.0))
    if leave <= t < leave + 2:  # walking off to the left
        x = 80.0 - 40 * (t - leave)
        return tracks_of((x, 80.0, x + 30, 160.0))
    return Tracks.empty()


def test_dwell_counts_from_when_the_owner_walks_away() -> None:
    leave = 16.0
    frames = clip(40, lambda t, img: _owner_scene(t, img, leave, True))
    events = run(frames, dwell=5, tracks=lambda t: _owner_box(t, leave))
    assert [e.status for e in events] == ["raised"]
    # placed at 5 s, but attended until 16 s: raised one dwell after the owner left
    assert leave + 5 - 0.01 <= events[0].media_ts <= leave + 5 + 2.0, events[0].media_ts


def test_standing_needs_a_still_box_for_two_seconds() -> None:
    from edge.analytics.dumping.attendance import StandingPeople
    people = StandingPeople()
    ids = np.array([1, 2])
    for t in np.arange(0, 3.01, 0.5):
        boxes = np.array([[100, 100, 130, 180], [50 + 20 * t, 100, 80 + 20 * t, 180]], float)
        standing = people.update(ids, boxes, float(t))
        assert standing.tolist() == [t >= 2.0, False], t
    assert people.update(np.array([1]), np.array([[100, 100, 130, 180.0]]), 3.5,
                         removed=np.array([2])).tolist() == [True]
    assert 2 not in people._seen


def test_someone_standing_still_with_no_object_is_never_an_alert() -> None:
    frames = clip(45, lambda t, img: _owner_scene(t, img, 30.0, False))
    assert run(frames, dwell=5, tracks=lambda t: _owner_box(t, 30.0)) == []


def test_an_object_beside_its_owner_is_not_swallowed_by_the_pixels_under_them() -> None:
    # Entirely inside the owner's grown box while they stand there: found when they go.
    leave = 14.0

    def scene(t: float, img: np.ndarray) -> np.ndarray:
        if t >= 5:
            img = with_box(img, 84, 150, 24, 20)
        if 4 <= t < leave:
            img = with_box(img, 80, 80, 30, 80, (35, 35, 40))
        return img
    frames = clip(35, scene)  # 24x20 px: above the zone's smallest object (1 %, 150 px)
    events = run(frames, dwell=5, tracks=lambda t: _owner_box(t, leave))
    assert [e.status for e in events] == ["raised"]
    assert leave <= events[0].media_ts <= leave + 5 + 2.0


def test_a_camera_knocked_to_a_new_view_learns_it_again_and_keeps_its_open_alert() -> None:
    # The camera now looks at a red-brick wall: nearly every pixel of the zone differs.
    other = np.clip(ground(5).astype(np.int16) + (-40, -30, 80), 0, 255).astype(np.uint8)

    def knocked(t: float, img: np.ndarray) -> np.ndarray:
        if t < 30:
            return with_box(img, 120, 90) if t >= 5 else img
        return other.copy()
    frames = clip(150, knocked)
    events = run(frames, dwell=5, clear=3)
    # The box raised once; the new view raises nothing and does not clear it on its own.
    assert [e.status for e in events] == ["raised"]
    # ...and once learnt again, new objects in the new view are seen.
    frames += [with_box(other, 60, 60) for _ in range(40)]
    assert [e.status for e in run(frames, dwell=5, clear=3)] == ["raised", "raised"]
