"""benchmarks.dumping: procedural objects, compositing, the scenario set and the clip writer.

The unit tests build synthetic frames and need no assets. The others composite into the real
PETS clips (EDGE_ASSETS): the set's ground truth is resolved (no decoding), and one tiny clip on
PETS S3MF1 (107 frames) is rendered into tmp_path to check frames, pixels and the cache.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import run_cli
from benchmarks.dumping import compose, generate, objects
from benchmarks.dumping import scenarios as sc
from benchmarks.dumping.objects import CHECK_ONLY_KINDS
from edge.errors import EdgeError

# --- objects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", objects.KINDS)
def test_sprite_is_seeded_and_soft_edged(kind: str) -> None:
    a = objects.render(kind, 60, np.random.default_rng(3), elev=0.5)
    b = objects.render(kind, 60, np.random.default_rng(3), elev=0.5)
    c = objects.render(kind, 60, np.random.default_rng(4), elev=0.5)
    assert np.array_equal(a.bgr, b.bgr) and np.array_equal(a.alpha, b.alpha)
    assert not np.array_equal(a.bgr, c.bgr)
    assert a.bgr.shape[:2] == a.alpha.shape == a.shadow.shape
    assert np.isfinite(a.bgr).all() and a.bgr.min() >= 0 and a.bgr.max() <= 255
    assert (a.alpha > 0.99).sum() > 200                      # an opaque body
    rim = ((a.alpha > 0.05) & (a.alpha < 0.95)).sum()
    assert rim > 0.3 * np.sqrt((a.alpha > 0.5).sum())         # feathered, not cut out
    # about as wide as asked, and the contact shadow reaches past the object's outline
    cols = np.flatnonzero((a.alpha > 0.5).any(axis=0))
    assert 0.85 * 60 <= cols[-1] - cols[0] + 1 <= 1.4 * 60
    assert ((a.shadow > 0.05) & (a.alpha < 0.05)).sum() > 50
    ax, ay = a.anchor                                         # the footprint is under it
    assert a.alpha[int(ay), int(ax)] > 0.5 and a.shadow[int(ay), int(ax)] > 0.2


def test_render_refuses_unknown_kind() -> None:
    with pytest.raises(ValueError, match="fridge"):
        objects.render("fridge", 40, np.random.default_rng(1))


def test_top_down_view_hides_the_sides() -> None:
    # Seen from straight above, a box is about as tall on screen as deep: no front face shows.
    oblique = objects.render("box", 60, np.random.default_rng(5), elev=0.5, skew=0.0)
    above = objects.render("box", 60, np.random.default_rng(5), elev=1.0, skew=0.0)
    rows = [np.flatnonzero((s.alpha > 0.5).any(axis=1)).size for s in (oblique, above)]
    assert rows[1] < rows[0]


# --- compositing -----------------------------------------------------------------------------


def test_pingpong_never_jumps() -> None:
    idx = compose.pingpong(50, 400, start=30)
    assert idx[0] == 30 and idx.min() == 0 and idx.max() == 49
    assert set(np.abs(np.diff(idx)).tolist()) == {1}


def _flat_backdrop(level: float = 100.0, size=(160, 120)) -> compose.Backdrop:
    w, h = size
    median = np.full((h, w, 3), level, np.float32)
    info = compose.SceneInfo("synthetic", 10.0, 1, w, h, None)
    return compose.Backdrop(info, np.zeros((1, h, w, 3), np.uint8), median,
                            cv2.cvtColor(median, cv2.COLOR_BGR2GRAY), None)


def _box_sprite() -> objects.Sprite:
    return objects.render("box", 40, np.random.default_rng(2), elev=0.5)


def test_object_follows_the_frame_exposure() -> None:
    bd = _flat_backdrop()
    sprite = _box_sprite()
    painted = []
    for level in (100, 50):
        source = np.full((120, 160, 3), level, np.uint8)
        out = source.copy()
        p = compose.place(sprite, (80.0, 80.0), (160, 120))
        med, gray = bd.median_patch(p.wide, (0.0, 0.0))
        gain = compose.exposure_gain(source, gray, p)
        assert gain == pytest.approx(level / 100, abs=0.01)
        compose.paint(out, p, gain, np.zeros(p.sprite.alpha[
            p.src[0]:p.src[1], p.src[2]:p.src[3]].shape, np.float32), np.random.default_rng(0))
        y0, y1, x0, x1 = p.roi
        body = p.sprite.alpha[p.src[0]:p.src[1], p.src[2]:p.src[3]] > 0.99
        painted.append(out[y0:y1, x0:x1][body].astype(float).mean())
    assert painted[1] == pytest.approx(painted[0] / 2, rel=0.08)


def test_a_person_in_front_hides_the_object_and_one_behind_does_not() -> None:
    bd = _flat_backdrop()
    sprite = _box_sprite()
    p = compose.place(sprite, (80.0, 80.0), (160, 120))
    source = np.full((120, 160, 3), 100, np.uint8)
    source[40:100, 74:86] = (30, 30, 160)          # a person standing over the object's middle
    med, _ = bd.median_patch(p.wide, (0.0, 0.0))
    front = np.array([[72.0, 38.0, 88.0, 100.0]])   # feet below the footprint: in front
    behind = np.array([[72.0, 10.0, 88.0, 60.0]])   # feet above it: behind the object
    hidden = compose.occluders(source, med, p, 1.0, front)
    out = source.copy()
    compose.paint(out, p, 1.0, hidden, np.random.default_rng(0))
    assert np.array_equal(out[60:78, 77:83], source[60:78, 77:83])   # the person stays
    assert not np.array_equal(out[60:78, 64:70], source[60:78, 64:70])  # the object beside
    assert not compose.occluders(source, med, p, 1.0, behind).any()


def test_without_box_truth_only_car_sized_changes_hide_the_object() -> None:
    bd = _flat_backdrop()
    p = compose.place(_box_sprite(), (80.0, 80.0), (160, 120))
    med, _ = bd.median_patch(p.wide, (0.0, 0.0))
    speck = np.full((120, 160, 3), 100, np.uint8)
    speck[70:73, 70:73] = 250
    assert not compose.occluders(speck, med, p, 1.0, None).any()
    car = np.full((120, 160, 3), 100, np.uint8)
    car[40:110, 50:90] = 230
    assert compose.occluders(car, med, p, 1.0, None).max() > 0.99


def test_subpixel_placement_moves_the_object() -> None:
    sprite = _box_sprite()
    a = compose.place(sprite, (80.0, 80.0), (160, 120))
    b = compose.place(sprite, (80.5, 80.0), (160, 120))
    col = np.arange(a.sprite.alpha.shape[1])
    ca = (a.sprite.alpha.sum(0) * col).sum() / a.sprite.alpha.sum() + a.roi[2]
    cb = (b.sprite.alpha.sum(0) * np.arange(b.sprite.alpha.shape[1])).sum() \
        / b.sprite.alpha.sum() + b.roi[2]
    assert cb - ca == pytest.approx(0.5, abs=0.05)


# --- the scenario set (nominal, without assets) ----------------------------------------------


def _nominal_kind(s: sc.Scenario, d: sc.Drop) -> str:
    stays = (s.duration_s if d.remove_s is None else d.remove_s) - d.appear_s
    return "brief" if stays <= 0.5 * s.dwell_s else "dump"


def test_the_set_has_enough_of_each_and_stays_small() -> None:
    dumps = sum(_nominal_kind(s, d) == "dump" for s in sc.SCENARIOS for d in s.drops)
    briefs = sum(_nominal_kind(s, d) == "brief" for s in sc.SCENARIOS for d in s.drops)
    quiet = sum(1 for s in sc.SCENARIOS for z in s.zones
                if not any(d.zone == z and _nominal_kind(s, d) == "dump" for d in s.drops))
    assert dumps >= 20 and briefs + quiet >= 20
    assert {s.site.background for s in sc.SCENARIOS} >= {"pets2009-s2l1", "intel-car-detection"}
    assert len(sc.SCENARIOS) <= 16
    assert sum(s.duration_s for s in sc.SCENARIOS) <= 25 * 60  # the bench runs them all
    # A check part never tuned on: its own backgrounds, an object kind of its own, and objects
    # carried in by people in both parts.
    tune = [s for s in sc.SCENARIOS if s.part == "tune"]
    check = [s for s in sc.SCENARIOS if s.part == "check"]
    assert {s.site.background for s in tune}.isdisjoint({s.site.background for s in check})
    kinds = {p: {d.object for s in sc.SCENARIOS if s.part == p for d in s.drops}
             for p in ("tune", "check")}
    assert set(CHECK_ONLY_KINDS) <= kinds["check"] and kinds["tune"].isdisjoint(CHECK_ONLY_KINDS)
    for part in (tune, check):
        assert sum(d.carried for s in part for d in s.drops) >= 3
        assert sum(len(s.waits) for s in part) >= 1
    assert sum(_nominal_kind(s, d) == "dump" for s in check for d in s.drops) >= 12
    assert sum(d.remove_s is None for s in sc.SCENARIOS for d in s.drops) >= 3  # stay to the end
    assert len({s.name for s in sc.SCENARIOS}) == len(sc.SCENARIOS)
    for s in sc.SCENARIOS:
        assert {d.zone for d in s.drops} <= set(s.zones)
        for z in s.zones:
            s.site.zone(z)


def test_short_subset_is_one_clip_per_background() -> None:
    short = [sc.get(n) for n in sc.subset("short")]
    assert len({s.site.background for s in short}) == len(short) == 2
    for s in short:
        kinds = [_nominal_kind(s, d) for d in s.drops]
        assert "dump" in kinds and len(s.zones) > kinds.count("dump")
    with pytest.raises(EdgeError, match="unknown dumping subset"):
        sc.subset("long")


def test_cli_unknown_scenario_is_one_line_exit_2(capsys) -> None:
    assert run_cli("gen", generate.main, ["--only", "nope", "--out", "/nonexistent"]) == 2
    err = capsys.readouterr().err.strip()
    assert "nope" in err and "\n" not in err


# --- with the real footage -------------------------------------------------------------------


def test_set_ground_truth_follows_the_rules(assets: Path) -> None:
    dumps = negatives = 0
    for s in sc.SCENARIOS:
        gt = generate.truth(s)
        assert json.dumps(gt) == json.dumps(generate.truth(s))     # deterministic
        fps, n, dwell = gt["fps"], gt["frames"], gt["dwell_s"]
        assert n == round(s.duration_s * fps) and dwell == sc.DWELL_S
        zones = {z["id"]: z["polygon"] for z in gt["zones"]}
        objs = gt["events"] + [x for x in gt["negatives"] if x["kind"] == "brief"]
        for e in gt["events"]:
            end = n if e["remove_frame"] is None else e["remove_frame"]
            assert (end - e["appear_frame"]) / fps >= dwell + 15
        for b in (x for x in gt["negatives"] if x["kind"] == "brief"):
            assert (b["remove_frame"] - b["appear_frame"]) / fps <= dwell / 2
        for o in objs:
            assert o["appear_frame"] / fps >= 5
            assert o["remove_frame"] is None or (n - o["remove_frame"]) / fps >= 15
            assert cv2.pointPolygonTest(np.array(zones[o["zone"]], np.float32),
                                        tuple(map(float, o["at"])), False) > 0
            assert 0 < o["size_share"] < 1
        for z in zones:
            seq = sorted((o for o in objs if o["zone"] == z), key=lambda o: o["appear_frame"])
            for a, b in zip(seq, seq[1:], strict=False):
                assert (b["appear_frame"] - a["remove_frame"]) / fps >= 15
        quiet = {x["zone"] for x in gt["negatives"] if x["kind"] != "brief"}
        assert quiet == set(zones) - {e["zone"] for e in gt["events"]}
        dumps += len(gt["events"])
        negatives += len(gt["negatives"])
    assert dumps >= 20 and negatives >= 20


def test_passer_moves_the_drop_to_just_after_a_walker(assets: Path) -> None:
    info = compose.scene_info("pets2009-s2l1")
    gt = generate.truth(sc.get("pets-a"))
    snapped = [e for e in gt["events"] + gt["negatives"] if e.get("passer")]
    assert snapped
    timeline = compose.pingpong(info.n_frames, gt["frames"], gt["start_frame"])
    for e in snapped:
        near = info.near(tuple(e["at"]), 1.5 * e["width_px"] + 20)[timeline]
        t = e["appear_frame"]
        assert near[t - 1] and not near[t]


TINY_SITE = sc.Site("pets2009-s3mf1", elev=0.5, moving=False, zones=(
    sc.Zone("road", ((500, 260), (640, 260), (640, 340), (500, 340)), "people"),
    sc.Zone("far", ((100, 130), (260, 130), (260, 190), (100, 190)), "people"),
))


def _tiny(seed: int = 1) -> sc.Scenario:
    # 23 s at 7 fps (the clip ping-pongs once): a box on the group's path stays to the end;
    # a bag shows for 1 s where nobody walks. dwell 2 s keeps it short.
    return sc.Scenario("tiny", TINY_SITE, 23.0, ("road", "far"), (
        sc.Drop("road", "box", (570, 300), 40, 5.0),
        sc.Drop("far", "bag", (180, 165), 26, 6.0, 7.0),
    ), seed=seed, dwell_s=2.0)


@pytest.fixture(scope="module")
def tiny_backdrop(assets: Path) -> compose.Backdrop:
    return compose.load_backdrop("pets2009-s3mf1")


def test_tiny_clip_pixels_and_occlusion(tiny_backdrop: compose.Backdrop) -> None:
    s = _tiny()
    gt, layers = generate.plan(s, tiny_backdrop.info)
    assert [e["kind"] for e in gt["events"]] == ["dump"]
    assert [n["kind"] for n in gt["negatives"]] == ["brief", "people"]
    box = layers.layers[0]
    timeline = compose.pingpong(tiny_backdrop.info.n_frames, gt["frames"], 0)
    out = list(generate.frames(s, layers, tiny_backdrop, range(gt["frames"])))
    again = list(generate.frames(s, layers, tiny_backdrop, [box.appear + 3]))
    assert np.array_equal(out[box.appear + 3], again[0])                   # deterministic
    other = generate.plan(_tiny(seed=2), tiny_backdrop.info)[1]
    assert not np.array_equal(
        out[box.appear + 3], next(generate.frames(_tiny(2), other, tiny_backdrop,
                                                  [box.appear + 3])))
    p = compose.place(box.sprite, box.drop.at, (768, 576))
    y0, y1, x0, x1 = p.roi
    body = p.sprite.alpha[p.src[0]:p.src[1], p.src[2]:p.src[3]] > 0.99
    for t in range(box.appear):     # nothing of it before it appears
        src = tiny_backdrop.frames[timeline[t]]
        assert np.array_equal(out[t][y0:y1, x0:x1], src[y0:y1, x0:x1])
    # The object is hidden only where a walker whose feet are nearer the camera stands in
    # front of it (inside their ground-truth box), and that happens as the group goes by.
    shown_person = 0
    for t in range(box.appear, gt["frames"]):
        src = tiny_backdrop.frames[timeline[t]]
        changed = np.abs(out[t][y0:y1, x0:x1].astype(int) - src[y0:y1, x0:x1]).max(axis=2) > 2
        cover = np.zeros(body.shape, bool)
        for bx0, by0, bx1, by1 in tiny_backdrop.info.boxes(int(timeline[t])):
            if by1 >= p.front_y:
                cover[max(0, int(by0) - y0 - 4):max(0, int(by1) - y0 + 4),
                      max(0, int(bx0) - x0 - 4):max(0, int(bx1) - x0 + 4)] = True
        hidden = body & ~changed
        assert not (hidden & ~cover).any()
        shown_person += int(hidden.sum() >= 30)
    assert shown_person >= 3


def test_an_object_carried_in_by_a_walker_who_lingers_then_leaves(
        tiny_backdrop: compose.Backdrop) -> None:
    s = sc.Scenario("tiny-carried", TINY_SITE, 40.0, ("road", "far"), (
        sc.Drop("road", "bag", (560, 330), 40, 6.0, None, carried=True, linger_s=5.0),
    ), seed=3, dwell_s=2.0)
    gt, p = generate.plan(s, tiny_backdrop.info)
    (event,) = gt["events"]
    ly = p.layers[0]
    fps = tiny_backdrop.info.fps
    assert event["carried"] and event["unattended_frame"] - event["appear_frame"] == round(5 * fps)
    o = ly.owner
    x0, y0, x1, y1 = (int(v) for v in o.box)
    poly = np.array(TINY_SITE.zone("road").polygon, np.float32)
    assert cv2.pointPolygonTest(poly, ly.at, False) > 0      # set down in the zone
    timeline = compose.pingpong(tiny_backdrop.info.n_frames, gt["frames"], 0)
    idx = [o.stop - 5, o.stop + 2, o.leave - 2, o.leave + 10]
    carry, stand_a, stand_b, after = generate.frames(s, p, tiny_backdrop, idx)
    src = [tiny_backdrop.frames[timeline[i]] for i in idx]
    # carried: the object is painted beside the real walker before the stop
    assert np.abs(carry.astype(int) - src[0]).max() > 40
    # standing: the owner's stop pose stays put (a pixel of sway) while the source walks on
    a, b = stand_a[y0:y1, x0:x1].astype(int), stand_b[y0:y1, x0:x1].astype(int)
    moved = np.abs(src[1][y0:y1, x0:x1].astype(int) - src[2][y0:y1, x0:x1]).mean()
    assert np.abs(a - b).mean() < 0.5 * moved
    # the real walker is erased where they are now: their box looks like the median frame
    box = compose.scene_info("pets2009-s3mf1").boxes(int(timeline[o.leave + 10]))
    track = [bx for bx in box if np.allclose(bx, generate.track_boxes(
        tiny_backdrop.info.people, o.track).get(int(timeline[o.leave + 10]), -1))]
    if track:
        bx0, by0, bx1, by1 = (int(v) for v in track[0])
        med = tiny_backdrop.median[by0:by1, bx0:bx1]
        assert np.abs(after[by0:by1, bx0:bx1] - med).mean() < \
            np.abs(src[3][by0:by1, bx0:bx1] - med).mean()


def test_tiny_clip_file_and_cache(tiny_backdrop: compose.Backdrop, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    s = _tiny()
    video = generate.render_clip(s, tmp_path, tiny_backdrop)
    gt = generate.load_truth(video)
    assert gt == generate.plan(s, tiny_backdrop.info)[0]
    assert gt["generator"] == generate.GENERATOR
    box = generate.plan(s, tiny_backdrop.info)[1].layers[0]
    p = compose.place(box.sprite, box.drop.at, (gt["width"], gt["height"]))
    y0, y1, x0, x1 = p.roi
    body = p.sprite.alpha[p.src[0]:p.src[1], p.src[2]:p.src[3]] > 0.99
    timeline = compose.pingpong(tiny_backdrop.info.n_frames, gt["frames"], 0)
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    n, size, seen = 0, None, {}
    while True:
        ok, img = cap.read()
        if not ok:
            break
        if n in (box.appear - 1, box.appear):   # decoded frame i is output frame i
            src = tiny_backdrop.frames[timeline[n]]
            seen[n] = np.abs(img[y0:y1, x0:x1].astype(float) - src[y0:y1, x0:x1])[body].mean()
        n, size = n + 1, img.shape
    cap.release()
    assert n == gt["frames"] and size == (gt["height"], gt["width"], 3)
    assert fps == pytest.approx(gt["fps"], rel=1e-3)
    assert seen[box.appear - 1] < 5 < 20 < seen[box.appear]
    # Up to date: ensure() renders nothing (rendering would fail without a backdrop).
    monkeypatch.setattr(generate, "load_backdrop", lambda *a: pytest.fail("re-rendered"))
    assert generate.ensure([s], tmp_path) == [video]
    # A changed generator version (or scenario) makes it stale.
    meta = video.with_suffix(".json")
    meta.write_text(meta.read_text().replace(generate.GENERATOR, "old"))
    assert not generate._current(video, gt)
