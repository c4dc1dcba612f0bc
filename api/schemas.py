"""Request and response models of the API.

Every model forbids extra fields, so nothing can ride along by accident. By design no field
holds an image, a box, a track id, a position or a trajectory; tests/api/test_no_leak.py walks
the OpenAPI schema and every response to keep it that way.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge.classes import CLASSES

INTERVALS: dict[str, int] = {"1m": 60, "15m": 900, "1h": 3600}
MAX_BUCKETS = 10_000

Interval = Literal["1m", "15m", "1h"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are read as UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def from_epoch(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


# -- /v1/health --------------------------------------------------------------------------------


class CameraStates(_Model):
    starting: int = Field(0, ge=0, description="Cameras opening their source.")
    running: int = Field(ge=0, description="Cameras delivering frames.")
    reconnecting: int = Field(ge=0, description="Cameras waiting to reopen a lost source.")
    stopped: int = Field(ge=0, description="Cameras that ended (file done or given up).")


class Health(_Model):
    status: Literal["ok"] = "ok"
    version: str
    cameras: CameraStates
    webhook_backlog: int = Field(0, ge=0, description=(
        "alert notifications not yet acknowledged by their receivers (they are retried)"))


# -- /v1/cameras -------------------------------------------------------------------------------


class CameraOut(_Model):
    """A camera's health. Never its source URL (it may hold a password)."""

    id: str = Field(description="Camera id from the site configuration.")
    state: Literal["starting", "running", "reconnecting", "stopped"]
    fps: float = Field(ge=0, description="Frames analysed per second, recent average.")
    last_frame_at: datetime | None = Field(
        description="When the last frame was analysed (UTC); null before the first one.")
    reconnects: int = Field(ge=0)
    frames: int = Field(ge=0, description="Number of frames analysed since start (a count).")
    error: str | None = Field(None, description="Last error, one line, if any.")


# -- time-range queries (counts, parking occupancy, alerts) ------------------------------------


class _TimeSpan(_Model):
    """``from``/``to`` of a query: ISO 8601 (read as UTC without a zone) or Unix seconds."""

    model_config = ConfigDict(extra="forbid")  # only the documented names, so "from_" is refused

    from_: datetime | None = Field(None, alias="from")
    to: datetime | None = None

    @field_validator("from_", "to")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    @model_validator(mode="after")
    def _ordered(self) -> _TimeSpan:
        if self.from_ is not None and self.to is not None and not self.from_ < self.to:
            raise ValueError(f"'from' ({self.from_.isoformat()}) must be before "
                             f"'to' ({self.to.isoformat()})")
        return self


class RangeQuery(_TimeSpan):
    """``from``/``to``/``interval`` of a series query. Times are ISO 8601; without a zone they
    are read as UTC."""

    from_: datetime | None = Field(None, alias="from",
                                   description="Start (rounded down to the interval). "
                                               "Default: one hour before `to`.")
    to: datetime | None = Field(None, description="End, exclusive (rounded up to the interval). "
                                                  "Default: now.")
    interval: Interval = Field("1m", description="Bucket length.")

    @property
    def interval_s(self) -> int:
        return INTERVALS[self.interval]


# -- /v1/counts --------------------------------------------------------------------------------


class CountsQuery(RangeQuery):
    """Query of ``GET /v1/counts``."""

    camera: str | None = Field(None, description="Only this camera.")
    line: str | None = Field(None, description="Only lines with this id.")
    classes: str | None = Field(None, description="Comma-separated classes, e.g. `car,bus`. "
                                                  f"Default: all of {', '.join(CLASSES)}.")

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: str | None) -> str | None:
        if value is None:
            return None
        names = [c.strip() for c in value.split(",") if c.strip()]
        if not names:
            raise ValueError("classes is empty: give at least one class or leave it out")
        unknown = [c for c in names if c not in CLASSES]
        if unknown:
            raise ValueError(f"unknown class {unknown[0]!r}; expected any of {', '.join(CLASSES)}")
        return ",".join(names)

    @property
    def class_list(self) -> list[str] | None:
        return None if self.classes is None else self.classes.split(",")


class Bucket(_Model):
    start: datetime
    end: datetime
    coverage: float = Field(ge=0, le=1, description="Share of the bucket that was analysed; "
                                                    "0 means no data, not no traffic.")
    in_: dict[str, int] = Field(alias="in", description="Crossings in the `in` direction by class.")
    out: dict[str, int] = Field(description="Crossings in the `out` direction by class.")
    total: int = Field(ge=0, description="Sum of `in` and `out` over the requested classes.")


class CountSeries(_Model):
    camera: str
    line: str
    buckets: list[Bucket]


class CountsOut(_Model):
    interval: Interval
    from_: datetime = Field(alias="from")
    to: datetime
    series: list[CountSeries]


# -- /v1/parking -------------------------------------------------------------------------------

SpaceState = Literal["occupied", "free", "unknown"]
ReferenceKind = Literal["image", "learnt"]


class LotReference(_Model):
    """What the lot's spaces are compared with to tell an empty space, as a kind and counts: the
    reference itself (an image, or what each space learnt) never leaves the camera's process."""

    kind: ReferenceKind | None = Field(description=(
        "`image`: an empty-lot image of the camera is configured (a space uses it until it has "
        "learnt its own); `learnt`: each space learns its empty state from the stream. Null when "
        "not known (the lot is not in the zones file of a running camera)."))
    learnt_spaces: int | None = Field(ge=0, description=(
        "Spaces that had learnt their empty state at the last analysis; null before the first "
        "analysis since the camera started (a restart learns again)."))
    spaces: int = Field(ge=0, description="Number of spaces in the lot.")


class LotOut(_Model):
    """A lot's current occupancy. When its camera has not analysed it for the lot's
    `unknown_after_s` (camera down), every space counts as unknown."""

    lot: str = Field(description="Lot id from the zones file.")
    camera: str = Field(description="Camera that watches the lot.")
    spaces: int = Field(ge=0, description="Number of spaces in the lot.")
    occupied: int = Field(ge=0)
    free: int = Field(ge=0)
    unknown: int = Field(ge=0, description="Spaces whose state is not known now.")
    updated_at: datetime | None = Field(
        description="When the lot was last analysed (UTC); null before the first analysis.")
    reference: LotReference = Field(description=(
        "The lot's empty-state reference: its kind and how many spaces have learnt one."))


class SpaceOut(_Model):
    """One space: its id, category and state. Never a vehicle, a box or an image."""

    space: str = Field(description="Space id from the zones file or annotation.")
    category: str = Field(description="standard, disabled, delivery or ev.")
    state: SpaceState
    since: datetime | None = Field(
        description="When the evidence for this state began (UTC); for a lot whose camera is "
                    "down, its last analysis. Null when never known.")


class OccupancyQuery(RangeQuery):
    """Query of ``GET /v1/parking/occupancy``."""

    lot: str = Field(description="Lot id.")
    camera: str | None = Field(None, description="The lot's camera; needed only when several "
                                                 "cameras have a lot with this id.")


class OccupancyBucket(_Model):
    start: datetime
    end: datetime
    samples: int = Field(ge=0, description="Occupancy analyses in the bucket; 0 means no data.")
    mean_occupied: float | None = Field(ge=0, description="Mean occupied spaces.")
    min_occupied: int | None = Field(ge=0, description="Fewest occupied spaces in one analysis.")
    max_occupied: int | None = Field(ge=0, description="Most occupied spaces in one analysis.")
    mean_free: float | None = Field(ge=0, description="Mean free spaces.")
    mean_unknown: float | None = Field(ge=0, description="Mean spaces of unknown state.")
    occupancy: float | None = Field(
        ge=0, le=1, description="Occupied share of the spaces whose state was known "
                                "(mean occupied / (mean occupied + mean free)).")
    spaces: int = Field(ge=0, description="Number of spaces in the lot.")
    coverage_s: float = Field(ge=0, description="Seconds of the bucket the camera analysed.")


class OccupancyOut(_Model):
    lot: str
    camera: str
    interval: Interval
    from_: datetime = Field(alias="from")
    to: datetime
    spaces: int = Field(ge=0, description="Number of spaces in the lot now.")
    buckets: list[OccupancyBucket]
    stays: dict[str, int] = Field(
        description="Stays that ended in the range, per duration band (e.g. `15-60min`).")


# -- /v1/alerts, /v1/dropoff-zones -------------------------------------------------------------

AlertStatus = Literal["open", "cleared"]
MAX_ALERTS = 1000


class AlertsQuery(_TimeSpan):
    """Query of ``GET /v1/alerts``."""

    camera: str | None = Field(None, description="Only this camera.")
    zone: str | None = Field(None, description="Only drop-off zones with this id.")
    status: AlertStatus | None = Field(None, description="`open` (not cleared yet) or `cleared`.")
    from_: datetime | None = Field(None, alias="from", description=(
        "Only alerts still open at or after this time (ISO 8601, UTC without a zone, or Unix "
        "seconds). Default: no lower bound."))
    to: datetime | None = Field(None, description=(
        "Only alerts raised before this time. Default: no upper bound."))
    limit: int = Field(100, ge=1, le=MAX_ALERTS, description="At most this many alerts, "
                                                             "newest first.")


class AlertOut(_Model):
    """A bulky-waste alert of a drop-off zone. Webhook bodies carry the same object under
    `alert`. Never an image, a box or anything about a person."""

    id: str = Field(description="Alert id (names the alert, not an object or a person).")
    camera: str = Field(description="Camera that watches the zone.")
    zone: str = Field(description="Drop-off zone id from the zones file.")
    status: AlertStatus = Field(description="`open` until the zone looks as before again.")
    first_seen: datetime = Field(description="When the object was first seen in the zone (UTC).")
    raised_at: datetime = Field(description="When it had stayed long enough to be an alert "
                                            "(the zone's `dwell_s` later; UTC).")
    cleared_at: datetime | None = Field(description="When the zone was clear again (UTC); null "
                                                    "while the alert is open.")
    size: float = Field(ge=0, le=1, description="Approximate size: the object's share of the "
                                                "zone's area (0..1).")
    class_: str = Field(alias="class", description="Class guess (a COCO class such as `couch` or "
                                                   "`refrigerator`) or `unknown_object`.")


class DropoffZoneOut(_Model):
    """A drop-off zone watched for bulky waste. Its outline stays on the device."""

    camera: str = Field(description="Camera that watches the zone.")
    zone: str = Field(description="Zone id from the zones file.")
    dwell_s: float = Field(gt=0, description="Seconds an object must stay before an alert.")
