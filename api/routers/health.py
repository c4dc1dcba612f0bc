"""``GET /v1/health``: liveness and camera states, no auth (holds no data)."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter

from api.deps import CamerasDep, StoreDep
from api.schemas import CameraStates, Health
from edge import __version__

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Service liveness and camera states")
def health(cameras: CamerasDep, store: StoreDep) -> Health:
    states = Counter(s.state for s in cameras.statuses())
    return Health(version=__version__, cameras=CameraStates(
        starting=states["starting"], running=states["running"],
        reconnecting=states["reconnecting"], stopped=states["stopped"]),
        webhook_backlog=sum(store.outbox_backlog().values()))
