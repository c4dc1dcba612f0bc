"""Drop-off zones: where bulky waste is watched for, and how long it must stay to be an alert.

Validated once at start-up with the rest of a zones file (``dumping:`` section).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from edge.geometry import polygon_area
from edge.yamlconf import unique_ids

ID = r"^[A-Za-z0-9_.:-]+$"
UNKNOWN_OBJECT = "unknown_object"
# COCO classes that, left still in a drop-off zone, are bulky waste (the class guess of an alert).
BULKY_CLASSES: tuple[str, ...] = (
    "couch", "chair", "bed", "dining table", "refrigerator", "tv", "oven", "microwave", "toilet",
    "sink", "bench", "suitcase", "potted plant", "backpack", "handbag", "toaster", "clock",
    "vase", "teddy bear", "bicycle",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DropoffZoneConfig(_Strict):
    id: str = Field(pattern=ID, max_length=64)
    polygon: list[tuple[float, float]] = Field(min_length=3)
    dwell_s: float = Field(60.0, ge=1.0, description=(
        "seconds an object must stay in the zone before an alert is raised"))
    clear_s: float = Field(5.0, gt=0, le=600, description=(
        "seconds the zone must look like its reference again before the alert is cleared"))
    min_share: float = Field(0.01, ge=0, lt=1, description=(
        "smallest object, as a share of the zone's area"))
    min_px: int = Field(150, ge=1, description="smallest object, in pixels of the frame")
    webhooks: list[str] | None = Field(None, description=(
        "ids of the site's webhooks told about this zone's alerts (default: all of them)"))

    @field_validator("polygon")
    @classmethod
    def _valid(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        area = polygon_area(v)
        if area < 64:
            raise ValueError(f"polygon area {area:g} px² is too small for a drop-off zone")
        return v


class DumpingConfig(_Strict):
    zones: list[DropoffZoneConfig] = Field(min_length=1)
    every_s: float = Field(0.5, gt=0, le=5, description=(
        "seconds between two looks at the zones (the background models' sampling period)"))
    threshold: float = Field(28.0, gt=0, le=255, description=(
        "colour distance (0-255, after exposure correction) from the zone's reference that "
        "counts as a change"))
    classify: bool = Field(True, description=(
        "guess the class of a left object with the camera's detector (bulky COCO classes)"))

    @field_validator("zones")
    @classmethod
    def _unique(cls, v: list[DropoffZoneConfig]) -> list[DropoffZoneConfig]:
        unique_ids([z.id for z in v], "drop-off zone")
        return v

    def points(self) -> list[tuple[str, float, float]]:
        """Every polygon point as (what, x, y), for the frame-size check."""
        return [(f"drop-off zone {z.id!r} point", x, y) for z in self.zones for x, y in z.polygon]
