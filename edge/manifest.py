"""The model manifest (models/manifest.yaml): what each detector is and how to feed it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from edge.errors import EdgeError

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "models" / "manifest.yaml"


class Preprocess(BaseModel):
    """How a BGR frame becomes the model's input tensor."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    color: Literal["bgr", "rgb"]
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    resize: Literal["letterbox", "stretch"]
    pad: float = Field(114.0, description="letterbox pad value, in 0..255 pixel units")
    align: Literal["topleft", "center"] = "topleft"


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    family: Literal["yolox", "gfl", "ultralytics"]
    file: str
    url: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    license: str
    input_size: tuple[int, int] = Field(description="width, height")
    preprocess: Preprocess
    strides: tuple[int, ...] = (8, 16, 32)
    default: bool = False
    tracker: dict[str, float] = Field(default_factory=dict, description=(
        "tracker score thresholds calibrated for this model's score distribution (e.g. an int8 "
        "model scores lower); a camera's own tracker settings override them"))


    @field_validator("tracker")
    @classmethod
    def _tracker_fields(cls, v: dict[str, float]) -> dict[str, float]:
        from edge.tracking import TrackerSettings  # noqa: PLC0415 (keeps this module light)

        TrackerSettings(**v)
        return v


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[ModelSpec]

    def get(self, name: str) -> ModelSpec | None:
        return next((m for m in self.models if m.name == name), None)

    def default(self) -> ModelSpec:
        return next(m for m in self.models if m.default)


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    try:
        data = yaml.safe_load(path.read_text())
        return Manifest.model_validate(data)
    except OSError as exc:
        raise EdgeError(f"{path}: cannot read model manifest ({exc.strerror})") from None
    except (yaml.YAMLError, ValidationError) as exc:
        first = str(exc).splitlines()[0:3]
        raise EdgeError(f"{path}: invalid model manifest: {' '.join(first)}") from None
