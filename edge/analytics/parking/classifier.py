"""How sure one analysis is that a space is occupied, from the cues of :mod:`.evidence`.

A logistic model over three cues, with and without an empty-state reference:

    p = sigmoid(intercept + a * vehicle + b * log(texture) [+ c * similarity])

``vehicle`` is the best detector score of a vehicle whose footprint covers the space (0: none),
``texture`` the reference-free car-scale texture of the space (:mod:`.appearance`), and
``similarity`` its gradient correlation with the space's empty reference, where there is one
(given image or learnt). The coefficients are data, fitted by ``python -m
benchmarks.parking_fit`` on labelled frames (PKLot); the file says which frames and which
detector. A site can fit its own on its own labelled frames and point ``parking.classifier`` at
the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.errors import EdgeError

DEFAULT_MODEL = Path(__file__).with_name("space_model.json")
FORMAT = "edge-parking-space-model/1"
_TEXTURE_FLOOR = 1e-3  # log(0) guard: a perfectly flat patch


class Logit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    intercept: float
    vehicle: float
    log_texture: float
    similarity: float = 0.0


class SpaceModel(BaseModel):
    """The coefficients of both logistic models and where they come from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str = Field(pattern=f"^{FORMAT}$")
    without_reference: Logit
    with_reference: Logit
    trained_on: dict = Field(default_factory=dict, description="frames, detector, fit settings")

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL) -> SpaceModel:
        path = Path(path)
        try:
            return cls.model_validate(json.loads(path.read_text()))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EdgeError(f"parking classifier {path}: not a readable JSON file ({exc})"
                            ) from None
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(file)"
            raise EdgeError(f"parking classifier {path}: {where}: {err['msg']}") from None

    def logits(self, vehicle: np.ndarray, texture: np.ndarray,
               similarity: np.ndarray | None = None) -> np.ndarray:
        """Per space, the log-odds of occupied; ``similarity`` NaN (or None) where the space has
        no reference: the model without one answers there."""
        lt = np.log(np.maximum(texture, _TEXTURE_FLOOR))
        a = self.without_reference
        z = a.intercept + a.vehicle * vehicle + a.log_texture * lt
        if similarity is None:
            return z
        b = self.with_reference
        has = ~np.isnan(similarity)
        zr = b.intercept + b.vehicle * vehicle + b.log_texture * lt + \
            b.similarity * np.where(has, similarity, 0.0)
        return np.where(has, zr, z)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(), indent=2) + "\n"


def probability(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))
