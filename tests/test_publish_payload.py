"""Webhook bodies: the alert in the API's shape and as a Smart Data Models ``Alert`` entity.

jsonschema is not installed in .venv (and nothing may be installed), so the entity is checked
by hand against the parts of the real schema that apply: the required fields, the subCategory
enum and the common-schema's id and type rules read from the files under EDGE_ASSETS, and the
category/severity enums of dataModel.Alert's alert-schema.json (not shipped offline, copied
below).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from edge.analytics.base import DumpingAlert
from edge.publish.payload import (
    NGSI_CATEGORY,
    NGSI_SUBCATEGORY,
    idempotency_key,
    ngsi_ld_alert,
    notification_body,
    record_of,
)

T0 = 1_699_999_200.0  # 2023-11-14T22:00:00Z
RAISED = DumpingAlert("cam-1", T0 + 70, 70.0, "cam-1:bins:1699999210", "bins", "raised",
                      T0 + 10.5, T0 + 70.0, None, 0.23456, "couch")
CLEARED = DumpingAlert("cam-1", T0 + 400, 400.0, "cam-1:bins:1699999210", "bins", "cleared",
                       T0 + 10.5, T0 + 70.0, T0 + 400.0, 0.23456, "couch")

COMMON_URL = "https://smart-data-models.github.io/data-models/common-schema.json"
# dataModel.Alert/alert-schema.json#/definitions/Common-Alert (not in the offline copy).
ALERT_CATEGORIES = ("traffic", "naturalDisaster", "weather", "environment", "health", "security",
                    "agriculture")
ALERT_SEVERITIES = ("informational", "low", "medium", "high", "critical")
DATE_FIELDS = ("dateIssued", "validFrom", "validTo", "dateCreated", "dateModified")


@pytest.fixture(scope="module")
def sdm(assets: Path) -> Path:
    folder = assets / "standards" / "smart-data-models"
    if not (folder / "Alert" / "schema.json").is_file():
        pytest.skip(f"no Smart Data Models schemas in {folder}")
    return folder


def _definition(common: dict[str, Any], ref: str) -> dict[str, Any]:
    """A common-schema ``$ref`` (by URL or local ``#/...``), read from the offline copy."""
    url, _, pointer = ref.partition("#")
    assert url in ("", COMMON_URL), f"unexpected $ref {ref}"
    node: Any = common
    for part in pointer.strip("/").split("/"):
        node = node[part]
    return node


def _string_ok(schema: dict[str, Any], value: Any) -> bool:
    """A string against ``type: string`` with an optional pattern, or ``format: uri``."""
    if not isinstance(value, str):
        return False
    if "pattern" in schema:
        return re.search(schema["pattern"], value) is not None
    if schema.get("format") == "uri":
        return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value) is not None
    return True


def schema_problems(entity: dict[str, Any], sdm: Path) -> list[str]:
    """Where ``entity`` breaks Alert/schema.json (as far as it can be checked offline)."""
    schema = json.loads((sdm / "Alert" / "schema.json").read_text())
    common = json.loads((sdm / "common-schema.json").read_text())
    problems = [f"missing {f}" for f in schema["required"] if f not in entity]
    if entity.get("type") != "Alert":
        problems.append(f"type {entity.get('type')!r}")
    for part in schema["allOf"]:
        if part.get("$ref", "").startswith(COMMON_URL):
            problems += _common_problems(entity, common, _definition(common, part["$ref"]))
        for name, prop in part.get("properties", {}).items():  # subCategory and its enum
            if name in entity and entity[name] not in prop["anyOf"][0]["enum"]:
                problems.append(f"{name} {entity[name]!r} not in the schema's enum")
    if entity.get("category") not in ALERT_CATEGORIES:
        problems.append(f"category {entity.get('category')!r}")
    if "severity" in entity and entity["severity"] not in ALERT_SEVERITIES:
        problems.append(f"severity {entity['severity']!r}")
    if not _string_ok({"format": "uri"}, entity.get("alertSource")):
        problems.append(f"alertSource {entity.get('alertSource')!r}")
    if not isinstance(entity.get("data", {}), dict):
        problems.append("data is not an object")
    return problems + [f"{name} {entity[name]!r} is not a date-time with a zone"
                       for name in DATE_FIELDS if name in entity and not _is_date(entity[name])]


def _common_problems(entity: dict[str, Any], common: dict[str, Any],
                     definition: dict[str, Any]) -> list[str]:
    """The entity against one common-schema definition (GSMA-Commons, Location-Commons)."""
    problems = []
    for name, prop in definition["properties"].items():
        if name not in entity:
            continue
        if name == "location":
            problems.append("location: a position must never leave the device")
        elif name == "id":
            rule = _definition(common, prop["$ref"])
            if not any(_string_ok(alt, entity["id"]) for alt in rule["anyOf"]):
                problems.append(f"id {entity['id']!r}")
        elif prop.get("type") == "string" and not isinstance(entity[name], str):
            problems.append(f"{name} is not a string")
    return problems


def _is_date(value: Any) -> bool:
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except (TypeError, ValueError):
        return False


@pytest.mark.parametrize("event", [RAISED, CLEARED], ids=["raised", "cleared"])
def test_ngsi_ld_member_is_a_valid_smart_data_models_alert(event, sdm):
    entity = json.loads(notification_body(event, "town-1"))["ngsi_ld"]
    assert schema_problems(entity, sdm) == []
    assert entity["category"] == NGSI_CATEGORY == "environment"
    assert entity["subCategory"] == NGSI_SUBCATEGORY == "hazardOnRoad"
    assert entity["id"] == "urn:ngsi-ld:Alert:town-1:cam-1:bins:1699999210"
    assert entity["alertSource"] == "urn:ngsi-ld:Device:town-1:cam-1"
    assert entity["dateIssued"] == "2023-11-14T22:01:10Z"
    assert entity["validFrom"] == "2023-11-14T22:00:10.500000Z"
    assert entity.get("validTo") == (None if event is RAISED else "2023-11-14T22:06:40Z")
    assert entity["data"] == {"camera": "cam-1", "zone": "bins", "status": record_of(event).status,
                              "size": 0.2346, "class": "couch"}
    assert "location" not in entity


@pytest.mark.parametrize(("change", "problem"), [
    ({"alertSource": None}, "missing alertSource"),
    ({"category": "waste"}, "category 'waste'"),
    ({"subCategory": "illegalDumping"}, "subCategory 'illegalDumping' not in the schema's enum"),
    ({"id": "Alert 1"}, "id 'Alert 1'"),
    ({"type": "Notice"}, "type 'Notice'"),
    ({"dateIssued": "yesterday"}, "dateIssued 'yesterday' is not a date-time with a zone"),
    ({"validTo": "2023-11-14T22:06:40"}, "is not a date-time with a zone"),
    ({"severity": "severe"}, "severity 'severe'"),
    ({"location": {"type": "Point", "coordinates": [4.35, 50.85]}}, "location"),
])
def test_schema_check_can_fail(change, problem, sdm):
    entity = ngsi_ld_alert(record_of(CLEARED), "town-1")
    entity.update(change)
    entity = {k: v for k, v in entity.items() if v is not None}
    problems = schema_problems(entity, sdm)
    assert any(problem in p for p in problems), problems


def test_body_shape_and_bytes_are_stable():
    raw = notification_body(RAISED, "town-1")
    assert raw == notification_body(RAISED, "town-1")  # every retry sends the same bytes
    body = json.loads(raw)
    assert raw == json.dumps(body, sort_keys=True, separators=(",", ":"))  # compact, sorted
    assert body["event"] == "alert.raised" and body["site"] == "town-1"
    assert body["idempotency_key"] == idempotency_key(RAISED) == "cam-1:bins:1699999210:raised"
    assert body["alert"] == {
        "id": "cam-1:bins:1699999210", "camera": "cam-1", "zone": "bins", "status": "open",
        "first_seen": "2023-11-14T22:00:10.500000Z", "raised_at": "2023-11-14T22:01:10Z",
        "cleared_at": None, "size": 0.2346, "class": "couch"}
    cleared = json.loads(notification_body(CLEARED, "town-1"))
    assert cleared["event"] == "alert.cleared" and cleared["alert"]["status"] == "cleared"
    assert cleared["idempotency_key"] != body["idempotency_key"]
    assert cleared["alert"]["cleared_at"] == "2023-11-14T22:06:40Z"


@pytest.mark.parametrize(("size", "share"), [(-0.1, 0.0), (1.7, 1.0), (0.5, 0.5)])
def test_size_is_a_share_as_the_store_keeps_it(size, share):
    event = DumpingAlert("c", T0, 0.0, "a", "z", "raised", T0, T0, None, size, "unknown_object")
    assert json.loads(notification_body(event, "s"))["alert"]["size"] == share
