"""The drop-off analytic: bulky waste left in a zone, as alerts raised and cleared.

Same plug-in interface as line counting and parking: ``update(frame, tracks) -> events``. It
reads the zones' pixels itself (a small crop each, every ``every_s``), because a box or a bag
left on the ground is no COCO class a detector is sure to find; the tracks tell it where people
and vehicles are, so that someone standing still or a parked car is never waste. Events carry
the zone, times, a size share and a class guess: no image, box or person data.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from edge.analytics.base import DumpingAlert, Event
from edge.analytics.dumping.attendance import StandingPeople
from edge.analytics.dumping.background import RELEARN_S, ZoneBackground
from edge.analytics.dumping.config import UNKNOWN_OBJECT, DropoffZoneConfig, DumpingConfig
from edge.analytics.dumping.lifecycle import LeftObject, Transition, ZoneObjects
from edge.classes import PEDESTRIAN
from edge.store import AlertRecord
from edge.types import Frame, Tracks

# (frame, (x0, y0, x1, y1) in frame pixels) -> a bulky COCO class seen there, "person" when a
# person is what stays there (someone sitting or lying the tracker lost), or None.
Classifier = Callable[[np.ndarray, tuple[int, int, int, int]], "str | None"]
log = logging.getLogger(__name__)
_ALERT_NS = uuid.UUID("6f1c1d52-4f3e-4d0c-9a55-2f5f3c1b7e10")
_ATTEND_GROW = 0.25  # a person's box grown this much on each side: they are with an object


@dataclass(slots=True)
class _Zone:
    cfg: DropoffZoneConfig
    model: ZoneBackground
    objects: ZoneObjects


class DumpingAnalytic:
    name = "dumping"

    def __init__(self, camera: str, cfg: DumpingConfig, frame_size: tuple[int, int],
                 classifier: Classifier | None = None) -> None:
        self.camera, self.cfg = camera, cfg
        self.classifier = classifier if cfg.classify else None
        self.zones: list[_Zone] = []
        for z in cfg.zones:
            model = ZoneBackground(np.array(z.polygon), frame_size, every_s=cfg.every_s,
                                   threshold=cfg.threshold)
            min_area = max(z.min_share * model.area, z.min_px * model.px_per_frame_px)
            self.zones.append(_Zone(z, model, ZoneObjects(
                dwell_s=z.dwell_s, clear_s=z.clear_s, zone_area=model.area, min_area=min_area)))
        self._standing = StandingPeople()
        self._next_ts: float | None = None
        self._seq = 0  # alerts raised by this analytic: two raised at once get distinct ids
        self.keep_history = False  # edge analyze lists every alert; the service needs none
        self.history: list[dict] = []
        self._restored: dict[str, list[AlertRecord]] = {}
        self._cleared: list[tuple[_Zone, AlertRecord]] = []

    def restore(self, open_alerts: list[AlertRecord]) -> None:
        """Alerts left open by a previous run. Their objects are in the new reference, so their
        departure shows up as a ghost of about their size: that clears them."""
        for a in sorted(open_alerts, key=lambda a: a.raised_at):
            if any(z.cfg.id == a.zone for z in self.zones):
                self._restored.setdefault(a.zone, []).append(a)

    def update(self, frame: Frame, tracks: Tracks) -> list[Event]:
        if self._next_ts is not None and frame.media_ts < self._next_ts:
            return []
        self._next_ts = frame.media_ts + self.cfg.every_s
        events: list[Event] = []
        person = tracks.classes == PEDESTRIAN
        people, vehicles = tracks.xyxy[person], tracks.xyxy[~person]
        standing = self._standing.update(tracks.ids[person], people, frame.media_ts,
                                         tracks.removed_ids)
        for zone in self.zones:
            for tr in self._look(zone, frame, people, standing, vehicles):
                events.append(self._event(zone, tr, frame))
        to_wall = frame.wall_ts - frame.media_ts
        for zone, a in self._cleared:
            events.append(DumpingAlert(self.camera, frame.wall_ts, frame.media_ts, a.id, a.zone,
                                       "cleared", a.first_seen, a.raised_at, frame.wall_ts,
                                       a.size, a.cls))
            if self.keep_history:
                self.history.append({"alert": a.id, "zone": zone.cfg.id,
                                     "first_seen_s": round(a.first_seen - to_wall, 2),
                                     "raised_at_s": round(a.raised_at - to_wall, 2),
                                     "cleared_at_s": round(frame.media_ts, 2), "class": a.cls,
                                     "size": round(a.size, 4)})
        self._cleared.clear()
        return events

    def _departed(self, zone: _Zone, share: float) -> AlertRecord | None:
        """The restored alert of ``zone`` whose object a ghost of ``share`` of the zone may be
        (about the same size), taken off the restored list."""
        for a in self._restored.get(zone.cfg.id, ()):
            if 0.5 * a.size <= share <= 2.0 * a.size:
                self._restored[zone.cfg.id].remove(a)
                return a
        return None

    def _look(self, zone: _Zone, frame: Frame, people: np.ndarray, standing: np.ndarray,
              vehicles: np.ndarray) -> list[Transition]:
        view = zone.model.look(frame.image, vehicles, frame.media_ts)
        if not view.reliable:
            if zone.model.unusable_s >= RELEARN_S:
                self._relearn(zone, frame)
            return []
        t = frame.media_ts
        # A person standing still is static too, but never an object: objects are made of the
        # static pixels outside people's boxes. Those standing attend what their grown box
        # touches (:mod:`.attendance`).
        on_people = zone.model.occluders(people)
        attending = zone.model.occluders(people[standing], _ATTEND_GROW)
        for region in _regions(view.static & ~on_people):
            if zone.objects.join(region):
                continue
            if zone.model.is_relit(region):
                zone.model.absorb(region)  # light, not an object: it becomes the reference
                continue
            if zone.model.is_ghost(region):
                zone.model.absorb(region)
                gone = self._departed(zone, float(region.sum()) / zone.model.area)
                if gone is not None:
                    self._cleared.append((zone, gone))
                continue
            # Found with someone beside it (set down by its owner): its clock starts now.
            attended = bool((region & attending).any())
            zone.objects.add(region, t if attended else zone.model.since(region, t))
        # Behind a person, an object is hidden as behind a car: its look tells nothing.
        return [tr for tr in zone.objects.step(t, view.static, view.visible & ~on_people,
                                               attending, zone.model.step_s)
                if tr.status != "raised" or self._confirm(zone, tr, frame, people)]

    def _relearn(self, zone: _Zone, frame: Frame) -> None:
        """The whole zone has looked different for a minute: learn it again. Its open alerts
        are kept as after a restart (their object's departure will clear them); candidates are
        dropped."""
        log.warning("camera %s: drop-off zone %s no longer looks like its reference (camera "
                    "moved?): learning it again", self.camera, zone.cfg.id)
        zone.model.relearn()
        for obj in zone.objects.objects:
            if obj.alert is not None:
                self._restored.setdefault(zone.cfg.id, []).append(AlertRecord(
                    obj.alert, self.camera, zone.cfg.id, obj.first_seen_wall or 0.0,
                    obj.raised_wall or frame.wall_ts, None, obj.size, obj.cls))
        zone.objects.objects.clear()

    def _confirm(self, zone: _Zone, tr: Transition, frame: Frame, people: np.ndarray) -> bool:
        """Name the object about to be raised. A person there whom the tracker does not follow
        (sitting or lying still) postpones the alert; a tracked one is only passing by (one
        standing with it would be attending it, and the clock would not have run)."""
        box = self._box(zone, tr.obj)
        tr.obj.cls = self._guess(box, frame.image)
        if tr.obj.cls != "person":
            return True
        if _overlaps(people, box):
            tr.obj.cls = UNKNOWN_OBJECT
            return True
        zone.objects.postpone(tr.obj, tr.at)
        return False

    def _event(self, zone: _Zone, tr: Transition, frame: Frame) -> DumpingAlert:
        obj = tr.obj
        to_wall = frame.wall_ts - frame.media_ts
        if tr.status == "raised":
            self._seq += 1
            obj.first_seen_wall, obj.raised_wall = obj.first_seen + to_wall, frame.wall_ts
            obj.alert = str(uuid.uuid5(_ALERT_NS, f"{self.camera}/{zone.cfg.id}/"
                                                  f"{round(obj.first_seen_wall, 3)}/{self._seq}"))
            if self.keep_history:
                self.history.append({"alert": obj.alert, "zone": zone.cfg.id,
                                     "first_seen_s": round(obj.first_seen, 2),
                                     "raised_at_s": round(tr.at, 2), "cleared_at_s": None,
                                     "class": obj.cls, "size": round(obj.size, 4)})
        elif self.keep_history:
            for h in self.history:
                if h["alert"] == obj.alert:
                    h["cleared_at_s"] = round(tr.at, 2)
        return DumpingAlert(
            self.camera, frame.wall_ts, tr.at, obj.alert or "", zone.cfg.id, tr.status,
            obj.first_seen_wall or obj.first_seen + to_wall, obj.raised_wall or frame.wall_ts,
            frame.wall_ts if tr.status == "cleared" else None, round(obj.size, 4), obj.cls)

    @staticmethod
    def _box(zone: _Zone, obj: LeftObject) -> tuple[int, int, int, int]:
        """The object's box in frame pixels (it stays in the process: class guess only)."""
        m = zone.model
        ys, xs = np.nonzero(obj.region)
        return (int(m.x0 + xs.min() / m.scale), int(m.y0 + ys.min() / m.scale),
                int(m.x0 + (xs.max() + 1) / m.scale), int(m.y0 + (ys.max() + 1) / m.scale))

    def _guess(self, box: tuple[int, int, int, int], image: np.ndarray) -> str:
        if self.classifier is None:
            return UNKNOWN_OBJECT
        try:
            return self.classifier(image, box) or UNKNOWN_OBJECT
        except Exception:  # a class guess is a nicety: the alert goes out without one
            log.exception("camera %s: class guess failed", self.camera)
            return UNKNOWN_OBJECT

    def alerts(self) -> list[dict]:
        """Every alert so far (with ``keep_history``): zone, first seen, raised and cleared
        (media s), class, size."""
        return [{k: v for k, v in h.items() if k != "alert"} for h in self.history]


def _overlaps(boxes: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether any of ``boxes`` (n, 4), grown by a quarter of its size, touches ``box``."""
    if not len(boxes):
        return False
    pad = 0.25 * (boxes[:, 2:] - boxes[:, :2])
    lo, hi = boxes[:, :2] - pad, boxes[:, 2:] + pad
    x0, y0, x1, y1 = box
    return bool(((lo[:, 0] < x1) & (hi[:, 0] > x0) & (lo[:, 1] < y1) & (hi[:, 1] > y0)).any())


def _regions(static: np.ndarray) -> list[np.ndarray]:
    """Connected static regions (pieces a few pixels apart are one object)."""
    if not static.any():
        return []
    closed = cv2.morphologyEx(static.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    keep = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] >= 4) + 1
    return [(labels == k) & static for k in keep]
