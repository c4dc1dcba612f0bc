"""``GET /v1/cameras``: each camera's health (state, rate, reconnects), never its source."""

from __future__ import annotations

import math
import re

from fastapi import APIRouter

from api.deps import CamerasDep
from api.schemas import CameraOut, from_epoch

router = APIRouter(tags=["cameras"])

_CREDENTIALS = re.compile(r"(\w+://)[^/\s@]+@")


def _one_line(error: str | None) -> str | None:
    """Errors are one line; a source URL's user:password is masked in case one slipped in."""
    if error is None:
        return None
    return _CREDENTIALS.sub(r"\1***@", " ".join(error.split()))[:300]


@router.get("/cameras", response_model=list[CameraOut], summary="Camera health")
def list_cameras(cameras: CamerasDep) -> list[CameraOut]:
    return [
        CameraOut.model_validate({
            "id": s.camera, "state": s.state,
            "fps": round(s.fps, 2) if math.isfinite(s.fps) and s.fps > 0 else 0.0,
            "last_frame_at": None if s.last_frame_at is None else from_epoch(s.last_frame_at),
            "reconnects": s.reconnects, "frames": s.frames, "error": _one_line(s.error),
        })
        for s in cameras.statuses()
    ]
