"""``GET /v1/alerts``, ``/v1/alerts/{id}``, ``/v1/dropoff-zones``: bulky-waste alerts.

An alert is an id, a camera and zone, times, a size share and a class guess: never an image, a
box or a person. Its JSON is the one webhook receivers get (``edge.publish.payload.alert_json``),
so both parse one shape.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from api.deps import StoreDep
from api.schemas import AlertOut, AlertsQuery, DropoffZoneOut
from edge.publish.payload import alert_json

router = APIRouter(tags=["alerts"])

_NOT_FOUND = {status.HTTP_404_NOT_FOUND: {"description": "Unknown alert."}}


@router.get("/alerts", response_model=list[AlertOut], summary="Drop-off alerts, newest first")
def alerts(q: Annotated[AlertsQuery, Query()], store: StoreDep) -> list[AlertOut]:
    """Alerts newest raise first. With `from`/`to`, those open at some time in [from, to)."""
    rows = store.alerts(camera=q.camera, zone=q.zone, status=q.status,
                        start=None if q.from_ is None else q.from_.timestamp(),
                        end=None if q.to is None else q.to.timestamp(), limit=q.limit)
    # Plain dicts, validated once by the response model (as in the counts router).
    return [alert_json(a) for a in rows]  # type: ignore[misc]


@router.get("/alerts/{id}", response_model=AlertOut, responses=_NOT_FOUND, summary="One alert")
def alert(alert_id: Annotated[str, Path(alias="id", description="Alert id.")],
          store: StoreDep) -> AlertOut:
    found = store.alert(alert_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown alert {alert_id!r}")
    return alert_json(found)  # type: ignore[return-value]


@router.get("/dropoff-zones", response_model=list[DropoffZoneOut],
            summary="Drop-off zones watched for bulky waste")
def dropoff_zones(store: StoreDep, camera: Annotated[str | None, Query(
        description="Only this camera.")] = None) -> list[DropoffZoneOut]:
    return [  # type: ignore[misc]
        {"camera": cam, "zone": zone, "dwell_s": dwell}
        for cam, zone, dwell in store.dropoff_zones(camera)
    ]
