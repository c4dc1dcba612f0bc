"""The app factory.

``create_app(store, cameras, tokens)`` wires the routers to an open :class:`~edge.store.Store`
and whatever runs the cameras; the caller owns both and closes them after the server stops.

Auth: every ``/v1`` endpoint except ``/v1/health`` needs ``Authorization: Bearer <token>``.
``/docs`` and ``/openapi.json`` stay public on purpose: they describe the API and hold no data.

>>> from edge.store import Store
>>> class NoCameras:
...     def statuses(self): return []
>>> app = create_app(Store(":memory:"), NoCameras(), ["s3cret-token"])
>>> for path in sorted(app.openapi()["paths"]): print(path)
/v1/alerts
/v1/alerts/{id}
/v1/cameras
/v1/counts
/v1/dropoff-zones
/v1/health
/v1/parking/lots
/v1/parking/lots/{lot}/spaces
/v1/parking/occupancy
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Depends, FastAPI

from api.deps import CameraStatusProvider, attach_services, require_token
from api.routers import alerts as alerts_router
from api.routers import cameras as cameras_router
from api.routers import counts as counts_router
from api.routers import health as health_router
from api.routers import parking as parking_router
from edge import __version__
from edge.errors import EdgeError
from edge.store import Store

__all__ = ["CameraStatusProvider", "create_app"]


def create_app(store: Store, cameras: CameraStatusProvider, tokens: Sequence[str], *,
               title: str = "edge") -> FastAPI:
    """Build the API. ``tokens`` are the accepted bearer tokens (at least one, none empty)."""
    if not tokens or any(not t for t in tokens):
        raise EdgeError("api tokens: give at least one non-empty bearer token")
    app = FastAPI(
        title=title, version=__version__,
        description="Anonymous aggregates from edge video analytics: counts, coverage, parking "
                    "occupancy, bulky-waste alerts, camera health. No image, box, track or "
                    "position ever leaves the device.",
    )
    attach_services(app, store, cameras, tokens)

    authed = [Depends(require_token)]
    app.include_router(health_router.router, prefix="/v1")
    app.include_router(cameras_router.router, prefix="/v1", dependencies=authed)
    app.include_router(counts_router.router, prefix="/v1", dependencies=authed)
    app.include_router(parking_router.router, prefix="/v1", dependencies=authed)
    app.include_router(alerts_router.router, prefix="/v1", dependencies=authed)
    return app
