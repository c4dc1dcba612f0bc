"""Parking configuration: spaces (polygons) grouped into lots, and how a camera watches them.

Validated once at start-up like the rest of a zones file. A lot lists its spaces inline, or names
an annotation file (PKLot XML or the JSON of ../shared/footage/pklot) that :mod:`.importers` reads.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge.classes import CLASSES
from edge.geometry import polygon_area
from edge.yamlconf import unique_ids

ID = r"^[A-Za-z0-9_.:-]+$"
CATEGORIES = ("standard", "disabled", "delivery", "ev")
STATES = ("occupied", "free", "unknown")
VEHICLES = ("car", "truck", "bus", "motorcycle")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SpaceConfig(_Strict):
    id: str = Field(pattern=ID, max_length=64)
    polygon: list[tuple[float, float]] = Field(min_length=3)
    category: Literal["standard", "disabled", "delivery", "ev"] = "standard"

    @field_validator("polygon")
    @classmethod
    def _valid(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        area = polygon_area(v)
        if area < 4:
            raise ValueError(f"polygon area {area:g} px² is too small for a space")
        return v


class LotConfig(_Strict):
    id: str = Field(pattern=ID, max_length=64)
    spaces: list[SpaceConfig] = Field(default_factory=list, description="the spaces, inline")
    file: str | None = Field(None, description=(
        "or: a PKLot XML/JSON file to import the spaces from (relative to the zones file; "
        "edge.config's loaders replace it by the imported spaces)"))

    @field_validator("spaces")
    @classmethod
    def _unique(cls, v: list[SpaceConfig]) -> list[SpaceConfig]:
        unique_ids([s.id for s in v], "space")
        return v

    @model_validator(mode="after")
    def _spaces_or_file(self) -> LotConfig:
        if self.file is not None and self.spaces:
            raise ValueError(f"lot {self.id!r}: give spaces or file, not both")
        if self.file is None and not self.spaces:
            raise ValueError(f"lot {self.id!r}: needs spaces (at least one) or a file to "
                             "import them from")
        return self


class TilingConfig(_Strict):
    """Run the detector on overlapping tiles of the parking area, so that small, distant cars
    reach the model at a size it was trained on (a 40-px car in a 1280-px frame is 13 px at 416)."""

    tile_px: int | None = Field(320, ge=32, description=(
        "tile side in frame pixels (upscaled to the model input); null: the whole frame, once"))
    overlap: float = Field(0.15, ge=0, lt=0.9, description="overlap of neighbouring tiles")
    margin_px: int = Field(24, ge=0, description="added around the spaces' bounding box")


class ParkingConfig(_Strict):
    lots: list[LotConfig] = Field(min_length=1)
    every_s: float = Field(1.0, gt=0, description="seconds between two occupancy analyses")
    tiling: TilingConfig = Field(default_factory=TilingConfig)
    classes: list[str] = Field(list(VEHICLES), min_length=1, description="what occupies a space")
    min_score: float = Field(0.1, ge=0, le=1, description=(
        "detector score from which a vehicle is evidence (the space model weighs the score)"))
    reference: str | None = Field(None, description=(
        "an image of this camera with the lot empty (the 'empty state'), if the site has one: "
        "a space whose ground structure no longer matches it is likely occupied even when the "
        "detector misses the car. Without it, the product learns the empty state of each space "
        "itself (learn_reference)"))
    register_every_s: float = Field(600.0, gt=0, description=(
        "how often the reference image is re-aligned to the view (cameras drift and get bumped)"))
    learn_reference: bool = Field(True, description=(
        "learn each space's empty state from the moments it is seen free (needs a stream: a "
        "still image is one moment)"))
    learn_every_s: float = Field(30.0, gt=0, description=(
        "seconds between two looks that a space's learnt reference takes in"))
    learn_samples: int = Field(3, ge=1, description=(
        "looks of a free space, every learn_every_s, before its learnt reference is used"))
    relearn_s: float = Field(900.0, gt=0, description=(
        "a space whose still cues say free while its learnt reference says changed for this "
        "long forgets that reference and learns it again"))
    classifier: str | None = Field(None, description=(
        "a space-model JSON file (python -m benchmarks.parking_fit); default: the one shipped, "
        "fitted on the PKLot frames with YOLOX-Nano"))
    footprint: float = Field(0.7, gt=0, le=1, description=(
        "lower share of a vehicle's box taken as its ground footprint (an elevated camera sees "
        "the roof above the ground the car stands on)"))
    min_cover: float = Field(0.3, gt=0, le=1, description="share of a space a footprint must cover")
    occupy_s: float = Field(20.0, ge=0, description="evidence of a vehicle must hold this long")
    vacate_s: float = Field(20.0, ge=0, description="evidence of a free space must hold this long")
    unknown_after_s: float = Field(60.0, gt=0, description=(
        "no usable observation for this long (camera down, space hidden) -> unknown"))
    stay_bands_min: list[float] = Field([15, 60, 180, 480], min_length=1, description=(
        "upper bounds (minutes) of the stay-duration bands; the last band is open-ended"))

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, v: list[str]) -> list[str]:
        unknown = [c for c in v if c not in CLASSES]
        if unknown:
            raise ValueError(f"unknown class {unknown[0]!r} (known: {', '.join(CLASSES)})")
        return v

    @field_validator("stay_bands_min")
    @classmethod
    def _increasing(cls, v: list[float]) -> list[float]:
        if any(b <= 0 for b in v) or any(b2 <= b1 for b1, b2 in zip(v, v[1:], strict=False)):
            raise ValueError("stay bands must be positive and increasing")
        return v

    @model_validator(mode="after")
    def _unique_ids(self) -> ParkingConfig:
        lots: set[str] = set()
        for lot in self.lots:
            if lot.id in lots:
                raise ValueError(f"duplicate lot id {lot.id!r}")
            lots.add(lot.id)
        return self

    def band_labels(self) -> list[str]:
        """``["<15min", "15-60min", …, ">=480min"]``, the stay bands' names in the store/API."""
        b = [f"{x:g}" for x in self.stay_bands_min]
        return [f"<{b[0]}min"] + [f"{lo}-{hi}min" for lo, hi in zip(b, b[1:], strict=False)] + \
            [f">={b[-1]}min"]

    def points(self) -> list[tuple[str, float, float]]:
        """Every polygon point as (what, x, y), for the frame-size check."""
        return [(f"parking space {lot.id}/{s.id}", x, y)
                for lot in self.lots for s in lot.spaces for x, y in s.polygon]
