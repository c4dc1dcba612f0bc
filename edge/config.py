"""Site and zone configuration: pydantic models validated once at start-up.

A *zones file* (``zones/*.yaml``) describes one camera view: counting lines, masks, and the
frame size it was drawn for. A *site config* lists cameras (source, detector, tracker, zones),
the store and the API. Validators are pure; files are read by the loaders below, and errors come
back as one ``file:line: field: problem`` line.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal, Union
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge.analytics.dumping.config import DumpingConfig
from edge.analytics.lines import LineConfig
from edge.analytics.parking.config import LotConfig, ParkingConfig
from edge.analytics.parking.importers import load_spaces
from edge.detectors import OnnxDetectorSettings
from edge.detectors.motion import MotionDetectorSettings
from edge.errors import EdgeError
from edge.geometry import polygon_area
from edge.tracking import TrackerSettings
from edge.yamlconf import read_yaml, unique_ids, validate, where

DetectorSettings = Annotated[Union[OnnxDetectorSettings, MotionDetectorSettings],
                             Field(discriminator="type")]
_ID = r"^[A-Za-z0-9_.:-]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MaskConfig(_Strict):
    """An area where detections are ignored (a screen, a flag, a road outside the study)."""

    id: str = Field(pattern=_ID)
    polygon: list[tuple[float, float]] = Field(min_length=3)

    @field_validator("polygon")
    @classmethod
    def _valid_polygon(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        polygon_area(v)
        return v


class ZonesConfig(_Strict):
    frame_size: tuple[int, int] | None = Field(
        None, description="width, height the coordinates were drawn for; checked at start-up")
    lines: list[LineConfig] = []
    masks: list[MaskConfig] = []
    motion: MotionDetectorSettings | None = Field(
        None, description="size bounds for `--model motion` on this view (pixels depend on it)")
    parking: ParkingConfig | None = Field(
        None, description="parking spaces watched from this view (needs an ONNX detector)")
    dumping: DumpingConfig | None = Field(
        None, description="drop-off zones watched for bulky waste left there")

    @field_validator("lines", "masks")
    @classmethod
    def _unique_and_inside(cls, v: list, info) -> list:  # noqa: ANN001
        unique_ids([item.id for item in v], info.field_name.rstrip("s"))
        size = info.data.get("frame_size")
        if size is not None:
            probe = ZonesConfig.model_construct(**{info.field_name: v})
            problem = probe.outside(*size)
            if problem:
                raise ValueError(problem)
        return v

    @field_validator("parking")
    @classmethod
    def _parking_inside(cls, v: ParkingConfig | None, info) -> ParkingConfig | None:  # noqa: ANN001
        size = info.data.get("frame_size")
        if v is not None and size is not None:
            problem = first_outside(parking_points(v.lots), *size)
            if problem:
                raise ValueError(problem)
        return v

    @field_validator("dumping")
    @classmethod
    def _dropoffs_inside(cls, v: DumpingConfig | None, info) -> DumpingConfig | None:  # noqa: ANN001
        size = info.data.get("frame_size")
        if v is not None and size is not None:
            problem = first_outside(v.points(), *size)
            if problem:
                raise ValueError(problem)
        return v

    def outside(self, width: int, height: int) -> str | None:
        """A message for the first point outside a width x height frame, else None."""
        return first_outside(itertools.chain(
            ((f"line {ln.id!r} {name}", x, y)
             for ln in self.lines for name, (x, y) in (("p1", ln.p1), ("p2", ln.p2))),
            ((f"mask {m.id!r} point", x, y) for m in self.masks for x, y in m.polygon),
            parking_points(self.lots()),
            self.dumping.points() if self.dumping is not None else ()), width, height)

    def lots(self) -> list[LotConfig]:
        """The parking lots of this view (none without parking)."""
        return self.parking.lots if self.parking is not None else []


def parking_points(lots: list[LotConfig]) -> Iterable[tuple[str, float, float]]:
    return ((f"{what} point", x, y)
            for what, x, y in ParkingConfig.model_construct(lots=lots).points())


def first_outside(points: Iterable[tuple[str, float, float]], width: int,
                  height: int) -> str | None:
    """``"WHAT (x, y) is outside the WxH frame"`` for the first of ``(what, x, y)`` outside."""
    for what, x, y in points:
        if not (0 <= x <= width and 0 <= y <= height):
            return f"{what} ({x:g}, {y:g}) is outside the {width}x{height} frame"
    return None


class CameraConfig(_Strict):
    id: str = Field(pattern=_ID, max_length=64)
    source: str = Field(description="file path, sample:NAME, rtsp://, http(s)://, or usb:N")
    realtime: bool = Field(False, description="pace a file at its own fps, like a live camera")
    analysis_fps: float | None = Field(None, gt=0, description="analyse at most this rate")
    start_time: float | None = Field(
        None, description="Unix time of a file's first frame (default: when first analysed)")
    detector: DetectorSettings = Field(default_factory=OnnxDetectorSettings)
    tracker: TrackerSettings = Field(default_factory=TrackerSettings)
    zones: ZonesConfig | str = Field(default_factory=ZonesConfig,
                                     description="inline zones or a zones file path")


class ApiConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    tokens: list[str] = Field(min_length=1, description="bearer tokens accepted by the API")

    @field_validator("tokens")
    @classmethod
    def _long_enough(cls, v: list[str]) -> list[str]:
        if any(len(t) < 8 for t in v):
            raise ValueError("each token needs at least 8 characters")
        return v


class WebhookConfig(_Strict):
    """A receiver of alert notifications (POST, JSON body signed with HMAC-SHA256)."""

    id: str = Field(pattern=_ID, max_length=64)
    url: str = Field(pattern=r"^https?://", description="http(s) URL the alerts are POSTed to")
    secret_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description=(
        "name of the environment variable holding the signing secret (kept out of the file)"))
    events: list[Literal["raised", "cleared"]] = Field(["raised", "cleared"], min_length=1)
    timeout_s: float = Field(5.0, gt=0, le=60)
    max_backoff_s: float = Field(300.0, ge=1, le=86400, description=(
        "longest wait between two delivery attempts (the wait doubles from 1 s)"))

    @field_validator("url")
    @classmethod
    def _usable_url(cls, v: str) -> str:
        parts = urlsplit(v)
        try:
            parts.port  # noqa: B018 (raises on a malformed port)
        except ValueError:
            raise ValueError(f"malformed port in {parts.netloc!r}") from None
        if not parts.hostname:
            raise ValueError("the URL has no host")
        return v

    def secret(self) -> bytes:
        """The signing secret; EdgeError naming the variable when it is unset or short."""
        value = os.environ.get(self.secret_env, "")
        if len(value) < 16:
            raise EdgeError(f"webhook {self.id!r}: environment variable {self.secret_env} must "
                            f"hold the signing secret (at least 16 characters)")
        return value.encode()


class StoreConfig(_Strict):
    path: str = "var/edge.db"
    bin_seconds: int = Field(60, ge=1, le=3600)
    flush_seconds: float = Field(2.0, gt=0, le=30)


class SiteConfig(_Strict):
    site: str = Field("site", pattern=_ID)
    api: ApiConfig
    store: StoreConfig = Field(default_factory=StoreConfig)
    cameras: list[CameraConfig] = Field(min_length=1)
    webhooks: list[WebhookConfig] = Field(default_factory=list, description=(
        "where drop-off alerts are sent; a zone's `webhooks` picks among them"))

    @field_validator("webhooks")
    @classmethod
    def _unique_webhooks(cls, v: list[WebhookConfig]) -> list[WebhookConfig]:
        unique_ids([w.id for w in v], "webhook")
        return v

    @model_validator(mode="after")
    def _unique_cameras(self) -> SiteConfig:
        unique_ids([c.id for c in self.cameras], "camera")
        return self

    @field_validator("cameras")
    @classmethod
    def _unique_lots(cls, v: list[CameraConfig]) -> list[CameraConfig]:
        clash = duplicate_lot(v)  # zones given inline; load_site checks zones files once read
        if clash:
            raise ValueError(clash[1])
        return v


def duplicate_lot(cameras: list[CameraConfig]) -> tuple[int, str] | None:
    """(camera index, message) for the first lot id that a camera before it already uses: a lot
    id alone names one lot of the site."""
    owner: dict[str, str] = {}
    for i, cam in enumerate(cameras):
        for lot in cam.zones.lots() if isinstance(cam.zones, ZonesConfig) else ():
            if lot.id in owner:
                return i, (f"duplicate lot id {lot.id!r} (cameras {owner[lot.id]!r} and "
                           f"{cam.id!r}): lot ids are unique across the site")
            owner[lot.id] = cam.id
    return None


def load_zones(path: str | Path) -> ZonesConfig:
    """Load a zones file; a parking lot's ``file`` is imported, relative to the zones file."""
    path = Path(path)
    data, lines = read_yaml(path)
    return import_lots(validate(ZonesConfig, data, path, lines), path, lines)


def import_lots(zones: ZonesConfig, path: Path, lines: dict[tuple, int],
                prefix: tuple = ()) -> ZonesConfig:
    """``zones`` with each lot given as ``file: PATH`` replaced by the spaces imported from PATH
    (relative to ``path``'s folder); errors point at the ``file`` key of ``path``."""
    if zones.parking is None:
        return zones
    # the empty-lot image and the space model, like a lot's file, are relative to the file
    # that names them
    relative = {key: str(path.parent / value) for key in ("reference", "classifier")
                if (value := getattr(zones.parking, key)) is not None
                and not Path(value).is_absolute()}
    if relative:
        zones = zones.model_copy(update={"parking": zones.parking.model_copy(update=relative)})
    if all(lot.file is None for lot in zones.parking.lots):
        return zones
    lots = []
    for i, lot in enumerate(zones.parking.lots):
        if lot.file is not None:
            loc = (*prefix, "parking", "lots", i, "file")
            field = ".".join(str(p) for p in loc)
            try:
                spaces = load_spaces(path.parent / lot.file, lot_id=lot.id)
            except EdgeError as exc:
                raise EdgeError(f"{where(path, lines, loc)}: {field}: {exc}") from None
            drawn, size = spaces.frame_size, zones.frame_size
            problem = None
            if drawn is not None and size is not None and tuple(drawn) != tuple(size):
                problem = (f"{lot.file} was drawn for {drawn[0]}x{drawn[1]}, frame_size is "
                           f"{size[0]}x{size[1]}")
            elif size is not None:
                problem = first_outside(parking_points([spaces.lot]), *size)
            if problem:
                raise EdgeError(f"{where(path, lines, loc)}: {field}: {problem}")
            lot = spaces.lot
        lots.append(lot)
    parking = zones.parking.model_copy(update={"lots": lots})
    return zones.model_copy(update={"parking": parking})


def load_site(path: str | Path) -> SiteConfig:
    """Load a site config; zones files and file sources are relative to the config file."""
    path = Path(path)
    data, lines = read_yaml(path)
    site = validate(SiteConfig, data, path, lines)
    base = path.parent
    for i, cam in enumerate(site.cameras):
        if isinstance(cam.zones, str):
            zpath = (base / cam.zones).resolve()
            if not zpath.is_file():
                loc = where(path, lines, ("cameras", i, "zones"))
                raise EdgeError(f"{loc}: cameras.{i}.zones: file not found: {cam.zones}")
            cam.zones = load_zones(zpath)
        else:
            cam.zones = import_lots(cam.zones, path, lines, ("cameras", i, "zones"))
        if not cam.source.startswith(("sample:", "rtsp", "http", "usb:")) and \
                not cam.source.isdigit() and not Path(cam.source).is_absolute():
            cam.source = str((base / cam.source).resolve())
    clash = duplicate_lot(site.cameras)
    if clash:
        i, problem = clash
        raise EdgeError(f"{where(path, lines, ('cameras', i, 'zones'))}: cameras.{i}.zones: "
                        f"{problem}")
    unknown = unknown_webhook(site)
    if unknown:
        i, problem = unknown
        raise EdgeError(f"{where(path, lines, ('cameras', i, 'zones'))}: cameras.{i}.zones: "
                        f"{problem}")
    for i, hook in enumerate(site.webhooks):
        try:
            hook.secret()
        except EdgeError as exc:
            raise EdgeError(f"{where(path, lines, ('webhooks', i))}: webhooks.{i}: {exc}") \
                from None
    return site


def unknown_webhook(site: SiteConfig) -> tuple[int, str] | None:
    """(camera index, message) for the first drop-off zone naming a webhook the site lacks."""
    known = {w.id for w in site.webhooks}
    for i, cam in enumerate(site.cameras):
        dumping = cam.zones.dumping if isinstance(cam.zones, ZonesConfig) else None
        for zone in dumping.zones if dumping is not None else ():
            missing = sorted(set(zone.webhooks or ()) - known)
            if missing:
                return i, (f"drop-off zone {zone.id!r} names webhook {missing[0]!r}, which the "
                           "site's webhooks section does not define")
    return None


def zone_webhooks(site_hooks: list[WebhookConfig], zones: ZonesConfig) -> dict[str, list[str]]:
    """``{zone: [webhook id, ...]}``: who hears of each drop-off zone's alerts."""
    dumping = zones.dumping
    if dumping is None:
        return {}
    every = [w.id for w in site_hooks]
    return {z.id: every if z.webhooks is None else list(z.webhooks) for z in dumping.zones}
