"""Write the bulky-waste dumping clips and their exact ground truth into a cache folder.

    python -m benchmarks.dumping.generate [--out DIR] [--only NAME ...] [--subset short|all]
                                          [--force] [--png FRAME ...]

Default folder: ``$EDGE_CACHE/dumping``, else ``<repo>/models/cache/dumping`` (never committed).
The real backgrounds come from ``EDGE_ASSETS``. A clip whose JSON already holds exactly the
ground truth this code computes (same generator version, same scenario) is not rendered again,
so :func:`ensure` is cheap when nothing changed. ``--png`` writes those output frames of each
clip as PNG files instead of the clips (to look at them).

Per clip, ``NAME.mp4`` (MPEG-4 part 2, ``mp4v``, at the background's fps) and ``NAME.json``::

    {"name": "pets-a", "background": "pets2009-s2l1", "fps": 10.0, "frames": 1500,
     "width": 768, "height": 576, "dwell_s": 10.0, "generator": "dumping-synth/1", "seed": 2,
     "start_frame": 0,
     "zones": [{"id": "grass-west", "polygon": [[95, 375], [290, 375], ...]}],
     "events": [{"zone": "grass-west", "kind": "dump", "object": "box", "appear_frame": 97,
                 "remove_frame": 483, "size_share": 0.0601, "at": [170, 425],
                 "width_px": 40, "passer": true}],
     "negatives": [{"zone": "path-lamp", "kind": "brief", "object": "box", "appear_frame": 352,
                    "remove_frame": 392, "size_share": 0.012, "at": [320, 268],
                    "width_px": 30, "passer": true},
                   {"zone": "path-lamp", "kind": "people"}, {"zone": "lane", "kind": "cars"}]}

- ``fps``, ``frames``, ``width``, ``height``: of the generated clip; frames are 0-based decoded
  frame indices, media second = index / fps.
- ``dwell_s``: how long an object must stay before an alert is due.
- ``zones``: drop-off zones, polygons in pixels (``[x, y]``, x right, y down).
- ``events``: objects left for at least ``dwell_s + 15 s`` (an alert is due). The object is in
  the frames ``appear_frame <= i < remove_frame``; ``remove_frame`` null = it stays to the end.
  ``size_share``: the object's visible area over the zone's area. ``at``: the centre of its
  footprint on the ground (middle-frame pixels for a drifting camera). ``passer``: its
  appearance was moved (by at most 5 s) to right after a real walker passed the spot; a dump's
  removal is likewise moved to a moment someone is at it, where one comes by.
- ``negatives``: ``brief`` = an object taken away within half the dwell time (no alert is due;
  same fields as an event); ``people`` / ``cars`` = a zone of this clip where nothing is dumped,
  with people walking and standing, or cars driving through (and the Intel exposure flicker).
- ``start_frame``: where the clip starts in its background's ping-pong (forward, backward...).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from benchmarks import run_cli
from benchmarks.dumping import scenarios as sc
from benchmarks.dumping.compose import (
    Backdrop,
    SceneInfo,
    composite,
    load_backdrop,
    pingpong,
    scene_info,
)
from benchmarks.dumping.objects import Sprite, render
from benchmarks.dumping.owners import (
    RESUME_S,
    Owner,
    erase,
    find_owner,
    frame_gain,
    paste,
    sway,
    track_boxes,
)
from edge.assets import cache_dir
from edge.errors import EdgeError
from edge.geometry import polygon_area

GENERATOR = "dumping-synth/2"   # bump whenever the pixels or the JSON of a clip change
MIN_LEAD_S = 5.0                # clip before the first object: the scene is seen empty first
MIN_INSIDE = 0.8                # share of an object's pixels that must lie in its zone
CARRY_S = 2.0                   # the owner is seen carrying the object this long before the stop
OWNER_WINDOW_S = 12.0           # how far from its hint an owner's stop may be moved
DRIFT_PERIOD_S = 90.0           # one period of a clip's lighting drift


@dataclass(frozen=True)
class Layer:
    """One object of a clip, resolved to frames."""

    index: int
    drop: sc.Drop
    kind: str               # "dump" | "brief"
    appear: int
    remove: int | None
    passer: bool
    sprite: Sprite
    size_share: float
    at: tuple[float, float]  # footprint centre (the drop's, or where its owner set it down)
    owner: Owner | None = None

    def shown(self, t: int) -> bool:
        return self.appear <= t and (self.remove is None or t < self.remove)

    @property
    def unattended(self) -> int:
        """The frame from which nobody is with the object (its owner walked away)."""
        return self.appear if self.owner is None else self.owner.leave

    def record(self) -> dict:
        return {"zone": self.drop.zone, "kind": self.kind, "object": self.drop.object,
                "appear_frame": self.appear, "remove_frame": self.remove,
                "unattended_frame": self.unattended, "carried": self.owner is not None,
                "size_share": round(self.size_share, 4),
                "area_px": round(self.sprite.area_px),
                "at": [round(v, 1) for v in self.at],
                "width_px": self.drop.width_px, "passer": self.passer}


@dataclass(frozen=True)
class Standing:
    """Someone of the footage waiting in a zone, with no object (a negative)."""

    zone: str
    owner: Owner

    def record(self) -> dict:
        return {"zone": self.zone, "kind": "waiting", "stop_frame": self.owner.stop,
                "leave_frame": self.owner.leave}


@dataclass(frozen=True)
class ShadowLayer:
    """A soft shadow that moves into a zone and stays (a negative)."""

    shadow: sc.Shadow
    appear: int
    ramp: int
    roi: tuple[int, int, int, int]   # y0, y1, x0, x1
    mask: np.ndarray                 # float32 over roi, 0..1

    def darkening(self, t: int) -> float:
        if t < self.appear:
            return 0.0
        return self.shadow.depth * min(1.0, (t - self.appear + 1) / max(self.ramp, 1))

    def record(self) -> dict:
        return {"zone": self.shadow.zone, "kind": "shadow", "appear_frame": self.appear}


def out_dir(out: str | Path | None = None) -> Path:
    return Path(out) if out else cache_dir() / "dumping"


# --- resolving a scenario: times to frames, checks -------------------------------------------


def _snap(candidates: np.ndarray, t0: int, window: int) -> int | None:
    """The candidate frame nearest ``t0`` within ``window`` (the earlier one on a tie)."""
    near = np.flatnonzero(candidates)
    near = near[np.abs(near - t0) <= window]
    return int(near[np.argmin(np.abs(near - t0))]) if near.size else None


def _meet_passers(near: np.ndarray, appear: int, remove: int | None, brief: bool,
                  window: int) -> tuple[int, int | None, bool]:
    """Move ``appear`` to just after a walker passed the spot (``near``: per output frame,
    someone's feet are there) and a dump's ``remove`` to a moment someone is there; a brief
    object keeps its duration. Third value: whether a walker was found for the appearance."""
    left = np.zeros(len(near), bool)
    left[1:] = near[:-1] & ~near[1:]            # a walker has just gone past
    t = _snap(left, appear, window)
    found = t is not None
    if t is not None:
        if remove is not None and brief:
            remove += t - appear
        appear = t
    if remove is not None and not brief:
        t = _snap(near, remove, window)
        remove = remove if t is None else t
    return appear, remove, found


def _inside_share(sprite: Sprite, at: sc.Point, polygon: tuple[sc.Point, ...]) -> float:
    """Share of the sprite's alpha that falls inside the zone polygon."""
    h, w = sprite.alpha.shape
    left, top = at[0] - sprite.anchor[0], at[1] - sprite.anchor[1]
    mask = np.zeros((h, w), np.uint8)
    pts = np.round(np.array(polygon, np.float64) - (left, top)).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1)
    return float((sprite.alpha * mask).sum() / max(sprite.alpha.sum(), 1e-6))


def _layer(s: sc.Scenario, i: int, d: sc.Drop, info: SceneInfo, timeline: np.ndarray) -> Layer:
    where = f"scenario {s.name}, object {i} ({d.object} in {d.zone})"
    if d.zone not in s.zones:
        raise EdgeError(f"{where}: zone {d.zone!r} is not one of the clip's zones {s.zones}")
    zone = s.site.zone(d.zone)
    try:
        sprite = render(d.object, d.width_px, np.random.default_rng([s.seed, i]),
                        elev=s.site.elev)
    except ValueError as exc:
        raise EdgeError(f"{where}: {exc}") from None
    fps, n = info.fps, len(timeline)
    appear = round(d.appear_s * fps)
    remove = None if d.remove_s is None else round(d.remove_s * fps)
    at: tuple[float, float] = (float(d.at[0]), float(d.at[1]))
    owner = None
    if d.carried:
        owner = _owner(where, d, info, timeline, appear, sprite, zone.polygon)
        if remove is not None:
            remove += owner.stop - appear
        appear = owner.stop
        at = _set_down(owner.feet, owner.box, owner.side, d.width_px)
    inside = _inside_share(sprite, at, zone.polygon)
    if inside < MIN_INSIDE:
        raise EdgeError(f"{where}: only {inside:.0%} of the object lies in the zone")
    brief = remove is not None and remove - appear <= 0.5 * s.dwell_s * fps
    passer = False
    if d.passer and not d.carried:
        if info.people is None:
            raise EdgeError(f"{where}: passer=True needs person ground truth, "
                            f"{info.name} has none")
        near = info.near(d.at, 1.5 * d.width_px + 20)[timeline]
        appear, remove, passer = _meet_passers(near, appear, remove, brief,
                                               round(sc.SNAP_S * fps))
    unattended = appear if owner is None else owner.leave
    stays = ((n if remove is None else remove) - unattended) / fps
    if brief and owner is None and stays <= 0.5 * s.dwell_s:
        kind = "brief"
    elif stays >= s.dwell_s + sc.AFTER_REMOVAL_S:
        kind = "dump"
    else:
        raise EdgeError(f"{where}: stays {stays:.1f} s unattended; a dump needs >= "
                        f"{s.dwell_s + sc.AFTER_REMOVAL_S:g} s, a brief object <= "
                        f"{0.5 * s.dwell_s:g} s")
    if appear < MIN_LEAD_S * fps:
        raise EdgeError(f"{where}: appears at {appear / fps:.1f} s, before {MIN_LEAD_S:g} s")
    if remove is not None and n - remove < sc.AFTER_REMOVAL_S * fps:
        raise EdgeError(f"{where}: removed {(n - remove) / fps:.1f} s before the end of the "
                        f"clip; leave >= {sc.AFTER_REMOVAL_S:g} s")
    share = sprite.area_px / polygon_area(list(zone.polygon))
    return Layer(i, d, kind, appear, remove, passer, sprite, share, at, owner)


def _set_down(feet: tuple[float, float], box: tuple, side: int,
              width_px: float) -> tuple[float, float]:
    """Where an owner sets their object down: at their side, a little behind their feet, so
    that they hide part of it while they stand there."""
    return (feet[0] + side * (0.5 * (box[2] - box[0]) + 0.3 * width_px), feet[1] - 3.0)


def _owner(where: str, d: sc.Drop, info: SceneInfo, timeline: np.ndarray, appear: int,
           sprite: Sprite, polygon: tuple[sc.Point, ...]) -> Owner:
    if info.people is None:
        raise EdgeError(f"{where}: carried=True needs person ground truth, {info.name} has none")

    def fits(feet: tuple, box: np.ndarray, side: int) -> bool:
        return _inside_share(sprite, _set_down(feet, box, side, d.width_px),
                             polygon) >= MIN_INSIDE

    fps = info.fps
    owner = find_owner(info.people, timeline, fps, hint_at=d.at, hint_frame=appear,
                       window=round(OWNER_WINDOW_S * fps), linger=round(d.linger_s * fps),
                       carry=round(CARRY_S * fps), fits=fits)
    if owner is None:
        raise EdgeError(f"{where}: no walker of {info.name} stops near {d.at} within "
                        f"{OWNER_WINDOW_S:g} s of {d.appear_s:g} s with the object in the zone")
    return owner


def _standing(s: sc.Scenario, w: sc.Wait, info: SceneInfo, timeline: np.ndarray) -> Standing:
    where = f"scenario {s.name}, waiting in {w.zone}"
    if info.people is None:
        raise EdgeError(f"{where}: needs person ground truth, {info.name} has none")
    poly = np.array(s.site.zone(w.zone).polygon, np.float32)

    def fits(feet: tuple, box: np.ndarray, side: int) -> bool:
        return cv2.pointPolygonTest(poly, (float(feet[0]), float(feet[1])), False) > 0

    fps = info.fps
    owner = find_owner(info.people, timeline, fps, hint_at=w.at, hint_frame=round(w.at_s * fps),
                       window=round(OWNER_WINDOW_S * fps), linger=round(w.linger_s * fps),
                       carry=0, fits=fits)
    if owner is None:
        raise EdgeError(f"{where}: no walker of {info.name} stands in the zone within "
                        f"{OWNER_WINDOW_S:g} s of {w.at_s:g} s")
    return Standing(w.zone, owner)


def _shadow(s: sc.Scenario, sh: sc.Shadow, info: SceneInfo) -> ShadowLayer:
    """A soft ellipse over the middle of the zone, about half its size."""
    pts = np.array(s.site.zone(sh.zone).polygon, np.float32)
    (cx, cy), (x0, y0), (x1, y1) = pts.mean(axis=0), pts.min(axis=0), pts.max(axis=0)
    ax, ay = 0.3 * (x1 - x0), 0.3 * (y1 - y0)
    soft = 0.15 * min(x1 - x0, y1 - y0)
    r = (max(int(cy - ay - 3 * soft), 0), min(int(cy + ay + 3 * soft), info.height),
         max(int(cx - ax - 3 * soft), 0), min(int(cx + ax + 3 * soft), info.width))
    mask = np.zeros((r[1] - r[0], r[3] - r[2]), np.float32)
    cv2.ellipse(mask, (int(cx - r[2]), int(cy - r[0])), (int(ax), int(ay)), 20, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), soft)
    return ShadowLayer(sh, round(sh.appear_s * info.fps), round(sh.ramp_s * info.fps), r,
                       mask / max(float(mask.max()), 1e-6))


def _check_zones(s: sc.Scenario, layers: list[Layer], fps: float) -> None:
    """One object at a time per zone, 15 s apart."""
    for zone in s.zones:
        seq = sorted((ly for ly in layers if ly.drop.zone == zone), key=lambda ly: ly.appear)
        for a, b in zip(seq, seq[1:], strict=False):
            if a.remove is None or b.appear - a.remove < sc.AFTER_REMOVAL_S * fps:
                raise EdgeError(f"scenario {s.name}, zone {zone}: object {b.index} appears "
                                f"less than {sc.AFTER_REMOVAL_S:g} s after object {a.index} "
                                "is removed")


@dataclass(frozen=True)
class Plan:
    """A scenario resolved to frames: its objects, people waiting, shadows."""

    layers: list[Layer]
    standing: list[Standing]
    shadows: list[ShadowLayer]


def plan(s: sc.Scenario, info: SceneInfo | None = None) -> tuple[dict, Plan]:
    """The ground truth of a scenario (the JSON, as a dict) and its resolved layers."""
    info = info or scene_info(s.site.background)
    n = round(s.duration_s * info.fps)
    timeline = pingpong(info.n_frames, n, s.start_frame)
    for z in s.zones:
        s.site.zone(z)
    for z in [w.zone for w in s.waits] + [sh.zone for sh in s.shadows]:
        if z not in s.zones:
            raise EdgeError(f"scenario {s.name}: zone {z!r} is not one of the clip's zones")
    layers = [_layer(s, i, d, info, timeline) for i, d in enumerate(s.drops)]
    _check_zones(s, layers, info.fps)
    standing = [_standing(s, w, info, timeline) for w in s.waits]
    shadows = [_shadow(s, sh, info) for sh in s.shadows]
    dumped = {ly.drop.zone for ly in layers if ly.kind == "dump"}
    busy = dumped | {w.zone for w in standing} | {sh.shadow.zone for sh in shadows}
    truth = {
        "name": s.name, "background": s.site.background, "fps": info.fps, "frames": n,
        "width": info.width, "height": info.height, "dwell_s": s.dwell_s,
        "generator": GENERATOR, "seed": s.seed, "start_frame": s.start_frame,
        "part": s.part, "drift": s.drift,
        "zones": [{"id": z, "polygon": [list(p) for p in s.site.zone(z).polygon]}
                  for z in s.zones],
        "events": [ly.record() for ly in layers if ly.kind == "dump"],
        "negatives": [ly.record() for ly in layers if ly.kind == "brief"]
        + [w.record() for w in standing] + [sh.record() for sh in shadows]
        + [{"zone": z, "kind": s.site.zone(z).scene} for z in s.zones if z not in busy],
    }
    return truth, Plan(layers, standing, shadows)


def truth(s: sc.Scenario) -> dict:
    return plan(s)[0]


# --- rendering -------------------------------------------------------------------------------


def _owners(p: Plan) -> list[Owner]:
    return [ly.owner for ly in p.layers if ly.owner is not None] + \
        [w.owner for w in p.standing]


def frames(s: sc.Scenario, p: Plan, backdrop: Backdrop,
           indices: Iterable[int]) -> Iterator[np.ndarray]:
    """The output frames ``indices`` of a scenario (BGR uint8)."""
    info = backdrop.info
    timeline = pingpong(info.n_frames, round(s.duration_s * info.fps), s.start_frame)
    owners = _owners(p)
    tracks = {o.track: track_boxes(info.people, o.track) for o in owners}
    for t in indices:
        src = int(timeline[t])
        source = backdrop.frames[src]
        out = source.copy()
        gain = frame_gain(source, backdrop.median_gray) if owners else 1.0
        for o in owners:  # the real walker goes on walking: not after they stop
            box = tracks[o.track].get(src)
            if t >= o.stop and box is not None:
                erase(out, source, backdrop.median, box, gain)
        base = out.copy() if owners else source  # what objects are lit and hidden by
        for ly in p.layers:
            _paint_object(out, base, backdrop, s, ly, t, src, tracks)
        for k, o in enumerate(owners):
            _paint_owner(out, backdrop, s, k, o, t, timeline, tracks[o.track], gain)
        for sh in p.shadows:
            _darken(out, sh, t)
        if s.drift:
            out = _relight(out, s.drift, t / info.fps)
        yield out


def _paint_object(out: np.ndarray, base: np.ndarray, backdrop: Backdrop, s: sc.Scenario,
                  ly: Layer, t: int, src: int, tracks: dict) -> None:
    rng = np.random.default_rng([s.seed, ly.index, t])   # sensor noise
    o = ly.owner
    if o is not None and o.stop - o.carry <= t < o.stop:
        box = tracks[o.track].get(src)
        if box is not None:  # carried at their side, at knee height, no shadow on the ground
            hand = (0.5 * (box[0] + box[2]) + o.side * 0.5 * (box[2] - box[0]),
                    box[1] + 0.8 * (box[3] - box[1]))
            composite(out, base, backdrop, src,
                      replace(ly.sprite, shadow=np.zeros_like(ly.sprite.shadow)), hand, rng)
    elif ly.shown(t):
        composite(out, base, backdrop, src, ly.sprite, ly.at, rng)


def _paint_owner(out: np.ndarray, backdrop: Backdrop, s: sc.Scenario, k: int, o: Owner,
                 t: int, timeline: np.ndarray, boxes: dict, gain: float) -> None:
    """The owner standing (their stop frame, swaying) or walking on (``linger`` late)."""
    if o.stop <= t < o.leave:
        donor, shift = int(timeline[o.stop]), sway((s.seed, k), t, backdrop.info.fps)
    elif o.leave <= t < o.leave + round(RESUME_S * backdrop.info.fps):
        donor, shift = int(timeline[t - o.linger]), (0, 0)
    else:
        return
    box = boxes.get(donor)
    if box is not None:
        d = backdrop.frames[donor]
        paste(out, d, backdrop.median, box, frame_gain(d, backdrop.median_gray), gain, shift)


def _darken(out: np.ndarray, sh: ShadowLayer, t: int) -> None:
    k = sh.darkening(t)
    if k > 0:
        y0, y1, x0, x1 = sh.roi
        roi = out[y0:y1, x0:x1].astype(np.float32)
        roi *= (1.0 - k * sh.mask)[..., None]
        out[y0:y1, x0:x1] = np.clip(roi + 0.5, 0, 255).astype(np.uint8)


def _relight(img: np.ndarray, drift: float, t_s: float) -> np.ndarray:
    """Slow lighting drift: a global gain of 1 +- ``drift`` over ``DRIFT_PERIOD_S``, a third of
    it as a left-right gradient (the sun moves, clouds pass)."""
    phase = 2 * np.pi * t_s / DRIFT_PERIOD_S
    w = img.shape[1]
    ramp = np.linspace(-0.5, 0.5, w, dtype=np.float32)
    gain = 1.0 + drift * np.sin(phase) + drift / 3 * np.cos(phase) * ramp
    return np.clip(img.astype(np.float32) * gain[None, :, None] + 0.5, 0, 255).astype(np.uint8)


def render_clip(s: sc.Scenario, out: Path, backdrop: Backdrop | None = None) -> Path:
    """Write ``NAME.mp4`` then ``NAME.json`` into ``out``; returns the mp4 path."""
    backdrop = backdrop or load_backdrop(s.site.background, s.site.moving)
    gt, p = plan(s, backdrop.info)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EdgeError(f"cannot create {out}: {exc.strerror}") from None
    video, meta = out / f"{s.name}.mp4", out / f"{s.name}.json"
    tmp = out / f".{s.name}.{os.getpid()}.mp4"
    size = (gt["width"], gt["height"])
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), gt["fps"], size)
    if not writer.isOpened():
        raise EdgeError(f"cannot write {tmp}: OpenCV has no mp4v encoder here")
    try:
        for img in frames(s, p, backdrop, range(gt["frames"])):
            writer.write(img)
        writer.release()
        os.replace(tmp, video)
        meta.with_suffix(".json.tmp").write_text(json.dumps(gt, indent=1) + "\n")
        os.replace(meta.with_suffix(".json.tmp"), meta)
    except OSError as exc:
        raise EdgeError(f"cannot write {video}: {exc.strerror}") from None
    finally:
        writer.release()
        tmp.unlink(missing_ok=True)
    return video


def load_truth(path: str | Path) -> dict:
    """The JSON of a generated clip (``NAME.json``, or give the ``NAME.mp4`` beside it)."""
    path = Path(path).with_suffix(".json")
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise EdgeError(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise EdgeError(f"{path}: invalid JSON ({exc.msg}, line {exc.lineno})") from None


def _current(video: Path, gt: dict) -> bool:
    if not video.is_file() or not video.with_suffix(".json").is_file():
        return False
    try:
        return load_truth(video) == gt
    except EdgeError:
        return False


def ensure(names: Sequence[str | sc.Scenario] | None = None, out: str | Path | None = None,
           force: bool = False, log: bool = False) -> list[Path]:
    """The clips ``names`` (default: all; a Scenario is taken as is) in ``out``, rendered only
    where missing or stale; returns their mp4 paths (the ground truth is beside each, .json)."""
    chosen = [n if isinstance(n, sc.Scenario) else sc.get(n) for n in (names or sc.names())]
    folder = out_dir(out)
    paths: dict[str, Path] = {}
    todo: list[sc.Scenario] = []
    for s in chosen:
        video = folder / f"{s.name}.mp4"
        paths[s.name] = video
        if force or not _current(video, truth(s)):
            todo.append(s)
        elif log:
            print(f"{s.name}: up to date ({video})")
    backdrop: Backdrop | None = None
    for s in sorted(todo, key=lambda s: s.site.background):    # decode each background once
        if backdrop is None or backdrop.info.name != s.site.background:
            backdrop = None     # free the previous clip's frames first
            backdrop = load_backdrop(s.site.background, s.site.moving)
        t0 = time.perf_counter()
        render_clip(s, folder, backdrop)
        if log:
            print(f"{s.name}: {round(s.duration_s * backdrop.info.fps)} frames in "
                  f"{time.perf_counter() - t0:.1f} s ({paths[s.name]})")
    return [paths[s.name] for s in chosen]


def write_pngs(names: Sequence[str], indices: Sequence[int], out: str | Path | None) -> None:
    folder = out_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        s = sc.get(name)
        n = truth(s)["frames"]
        bad = [i for i in indices if not 0 <= i < n]
        if bad:
            raise EdgeError(f"--png {bad[0]}: clip {name} has frames 0..{n - 1}")
        backdrop = load_backdrop(s.site.background, s.site.moving)
        p = plan(s, backdrop.info)[1]
        for i, img in zip(indices, frames(s, p, backdrop, indices), strict=True):
            path = folder / f"{name}-{i:05d}.png"
            cv2.imwrite(str(path), img)
            print(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.dumping.generate",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="folder (default: $EDGE_CACHE/dumping or models/cache/dumping)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="these scenarios only")
    ap.add_argument("--subset", choices=sorted(sc.SUBSETS), help="a named subset")
    ap.add_argument("--force", action="store_true", help="render even when up to date")
    ap.add_argument("--png", nargs="+", type=int, metavar="FRAME",
                    help="write these frames as PNG instead of the clips")
    args = ap.parse_args(argv)
    chosen = args.only or (sc.subset(args.subset) if args.subset else sc.names())
    for n in chosen:
        sc.get(n)
    if args.png:
        write_pngs(chosen, args.png, args.out)
    else:
        ensure(chosen, args.out, force=args.force, log=True)
    return 0


if __name__ == "__main__":
    sys.exit(run_cli("benchmarks.dumping.generate", main, None))
