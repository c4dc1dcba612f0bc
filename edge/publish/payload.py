"""The JSON body of an alert notification: the alert exactly as the API serves it, nothing more.

``alert`` is the API's ``AlertOut`` object (``GET /v1/alerts/{id}``), built by :func:`alert_json`
for both, so receivers and API clients parse one shape. ``ngsi_ld`` is the same alert as a FIWARE
Smart Data Models ``Alert`` entity (keyValues form, NGSI-LD URN ids) for context brokers, without
``location``: a position never leaves the device.

Built once when the alert is recorded and stored in the outbox, so every retry sends the same
bytes (and the same signature).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from pydantic import TypeAdapter

from edge.analytics.base import DumpingAlert
from edge.store import AlertRecord

# Smart Data Models' Alert (dataModel.Alert) has no "illegal dumping". Category `environment`
# (the enum of its Common-Alert: traffic, naturalDisaster, weather, environment, health,
# security, agriculture) is the one a municipal waste or cleansing service watches;
# `hazardOnRoad` is the only subCategory of its schema.json for an object left on the public
# way (the others are traffic, weather, health, crime or agriculture events).
NGSI_CATEGORY = "environment"
NGSI_SUBCATEGORY = "hazardOnRoad"
NGSI_LD_CONTEXT: tuple[str, ...] = (
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Alert/master/context.jsonld",
)

# Pydantic writes the API's datetimes; writing the webhook's with it too keeps them identical.
_DATETIME = TypeAdapter(datetime)


def iso(ts: float | None) -> str | None:
    """A Unix time as the API writes it: ISO 8601 in UTC (``2023-11-14T22:13:20.500000Z``)."""
    if ts is None:
        return None
    return _DATETIME.dump_python(datetime.fromtimestamp(ts, tz=timezone.utc), mode="json")


def record_of(event: DumpingAlert) -> AlertRecord:
    return AlertRecord(event.alert, event.camera, event.zone, event.first_seen, event.raised_at,
                       event.cleared_at, event.size, event.cls)


def alert_json(a: AlertRecord) -> dict[str, Any]:
    """The alert's public fields: the JSON of the API's ``AlertOut``."""
    return {"id": a.id, "camera": a.camera, "zone": a.zone, "status": a.status,
            "first_seen": iso(a.first_seen), "raised_at": iso(a.raised_at),
            "cleared_at": iso(a.cleared_at),
            # Clamped as the store does, so the body and the stored alert agree.
            "size": round(min(max(float(a.size), 0.0), 1.0), 4), "class": a.cls}


def ngsi_ld_alert(a: AlertRecord, site: str) -> dict[str, Any]:
    """The alert as a Smart Data Models ``Alert`` entity (keyValues). No ``location``."""
    public = alert_json(a)
    entity: dict[str, Any] = {
        "id": f"urn:ngsi-ld:Alert:{site}:{a.id}",
        "type": "Alert",
        "category": NGSI_CATEGORY,
        "subCategory": NGSI_SUBCATEGORY,
        "alertSource": f"urn:ngsi-ld:Device:{site}:{a.camera}",
        "dateIssued": public["raised_at"],
        "validFrom": public["first_seen"],  # the waste lay there before the alert was raised
        "description": f"Bulky waste left in drop-off zone {a.zone} of camera {a.camera}: "
                       f"about {public['size']:.0%} of the zone, class guess {a.cls}.",
        "data": {"camera": a.camera, "zone": a.zone, "status": a.status,
                 "size": public["size"], "class": a.cls},
        "@context": list(NGSI_LD_CONTEXT),
    }
    if a.cleared_at is not None:
        entity["validTo"] = public["cleared_at"]
    return entity


def notification_body(event: DumpingAlert, site: str) -> str:
    """``{"event": "alert.raised"|"alert.cleared", "site", "idempotency_key", "alert": {...},
    "ngsi_ld": {...}}`` as compact JSON with sorted keys."""
    record = record_of(event)
    body = {"event": f"alert.{event.status}", "site": site,
            "idempotency_key": idempotency_key(event), "alert": alert_json(record),
            "ngsi_ld": ngsi_ld_alert(record, site)}
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def idempotency_key(event: DumpingAlert) -> str:
    """The same for every delivery of one alert's raise (or clear): receivers drop repeats."""
    return f"{event.alert}:{event.status}"
