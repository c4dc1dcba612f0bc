"""Alerts and drop-off zones endpoints on a temporary store (see alert_fakes.seed_alerts)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from alert_fakes import NEWEST_FIRST, SITE, ZONES, latest, seed_alerts
from api_fakes import AUTH, HOUR0

from api.schemas import AlertOut
from edge.analytics.base import DumpingAlert
from edge.publish.payload import notification_body, record_of
from edge.store import Batch

PATHS = ["/v1/alerts", "/v1/alerts/a1", "/v1/dropoff-zones"]


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def get_alerts(client, **params):
    return client.get("/v1/alerts", params=params, headers=AUTH)


def ids(r) -> list[str]:
    assert r.status_code == 200, r.text
    return [a["id"] for a in r.json()]


# -- auth --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}])
def test_alerts_need_a_token(client, store, path, headers):
    seed_alerts(store)
    r = client.get(path, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert client.get(path, headers=AUTH).status_code == 200


def test_openapi_marks_alerts_as_secured(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/alerts", "/v1/alerts/{id}", "/v1/dropoff-zones"):
        assert paths[path]["get"]["security"] == [{"HTTPBearer": []}]


# -- the list ----------------------------------------------------------------------------------


def test_alerts_newest_first_with_every_field(client, store):
    seed_alerts(store)
    body = get_alerts(client).json()
    assert [a["id"] for a in body] == NEWEST_FIRST
    assert body[1] == {  # a3: raised, then cleared in a later commit
        "id": "a3", "camera": "cam2", "zone": "yard", "status": "cleared",
        "first_seen": iso(HOUR0 + 3000.25), "raised_at": iso(HOUR0 + 3030.5),
        "cleared_at": iso(HOUR0 + 5000), "size": 0.3, "class": "refrigerator"}
    assert body[2]["status"] == "open" and body[2]["cleared_at"] is None
    assert body[2]["class"] == "unknown_object"


def test_no_alerts_is_an_empty_list(client, store):
    assert get_alerts(client).json() == []


@pytest.mark.parametrize(("params", "expected"), [
    ({"camera": "cam1"}, ["a4", "a2", "a1"]),
    ({"camera": "cam3"}, []),
    ({"zone": "bins-north"}, ["a4", "a1"]),
    ({"camera": "cam2", "zone": "bins-north"}, []),
    ({"status": "open"}, ["a4", "a2"]),
    ({"status": "cleared"}, ["a3", "a1"]),
    ({"camera": "cam1", "status": "cleared"}, ["a1"]),
])
def test_alerts_filters(client, store, params, expected):
    seed_alerts(store)
    assert ids(get_alerts(client, **params)) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    # Open at some time in [from, to): raised before `to`, cleared after `from`.
    (None, HOUR0 + 3030.5, ["a2", "a1"]),  # a3 is raised at `to` exactly
    (None, HOUR0 + 3031, ["a3", "a2", "a1"]),
    (HOUR0 + 1000, None, ["a4", "a3", "a2"]),  # a1 cleared at `from` exactly
    (HOUR0 + 999, None, NEWEST_FIRST),
    (HOUR0 + 1000, HOUR0 + 3030.5, ["a2"]),
    (HOUR0 + 5000, HOUR0 + 6000, ["a2"]),  # open alerts stay in every later range
    (HOUR0, HOUR0 + 100, []),
])
def test_alerts_time_range(client, store, start, end, expected):
    seed_alerts(store)
    params = {k: iso(v) for k, v in (("from", start), ("to", end)) if v is not None}
    assert ids(get_alerts(client, **params)) == expected


def test_alerts_times_as_unix_seconds_naive_or_offset_iso(client, store):
    seed_alerts(store)
    start, end = HOUR0 + 1000, HOUR0 + 3031
    expected = ["a3", "a2"]
    assert ids(get_alerts(client, **{"from": str(start), "to": str(end)})) == expected
    assert ids(get_alerts(client, **{"from": iso(start)[:-1], "to": iso(end)[:-1]})) == expected
    assert ids(get_alerts(client, **{"from": "2023-11-14T23:16:40+01:00",
                                     "to": iso(end)})) == expected


def test_alerts_limit(client, store):
    seed_alerts(store)
    assert ids(get_alerts(client, limit=2)) == NEWEST_FIRST[:2]
    assert ids(get_alerts(client, limit=1, status="cleared")) == ["a3"]
    assert ids(get_alerts(client, limit=1000)) == NEWEST_FIRST


def test_alerts_default_limit_is_100(client, store):
    store.commit(Batch(alerts=[
        record_of(DumpingAlert("cam1", HOUR0 + i, i, f"m{i:03d}", "bins-south", "raised",
                               HOUR0 + i, HOUR0 + i, None, 0.1, "chair")) for i in range(105)]))
    got = ids(get_alerts(client))
    assert got == [f"m{i:03d}" for i in range(104, 4, -1)]


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"status": "closed"}, "status", "'open' or 'cleared'"),
    ({"status": ""}, "status", "'open' or 'cleared'"),
    ({"from": "yesterday"}, "from", "datetime"),
    ({"to": "soon"}, "to", "datetime"),
    ({"from": iso(HOUR0 + 60), "to": iso(HOUR0)}, None, "must be before"),
    ({"limit": 0}, "limit", "greater than or equal to 1"),
    ({"limit": 1001}, "limit", "less than or equal to 1000"),
    ({"limit": "all"}, "limit", "valid integer"),
    ({"colour": "red"}, "colour", "Extra inputs"),
])
def test_alerts_422_with_clear_message(client, store, params, field, message):
    seed_alerts(store)
    r = get_alerts(client, **params)
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert message in error["msg"]
    if field:
        assert error["loc"][-1] == field


# -- one alert ---------------------------------------------------------------------------------


@pytest.mark.parametrize("alert", NEWEST_FIRST)
def test_one_alert_is_the_list_entry(client, store, alert):
    seed_alerts(store)
    listed = {a["id"]: a for a in get_alerts(client).json()}
    r = client.get(f"/v1/alerts/{alert}", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json() == listed[alert]


def test_unknown_alert_is_404(client, store):
    seed_alerts(store)
    r = client.get("/v1/alerts/nope", headers=AUTH)
    assert r.status_code == 404
    assert r.json() == {"detail": "unknown alert 'nope'"}


@pytest.mark.parametrize("alert", NEWEST_FIRST)
def test_webhook_alert_is_the_api_alert(client, store, alert):
    """Receivers and API clients parse one shape: the body's `alert` is the API's JSON."""
    seed_alerts(store)
    body = json.loads(notification_body(latest(alert), SITE))
    assert body["alert"] == client.get(f"/v1/alerts/{alert}", headers=AUTH).json()
    # ... and exactly AlertOut's JSON: no field more or less, the same time format.
    model = AlertOut.model_validate(body["alert"])
    assert model.model_dump(mode="json", by_alias=True) == body["alert"]


# -- drop-off zones ----------------------------------------------------------------------------


def test_dropoff_zones(client, store):
    seed_alerts(store)
    r = client.get("/v1/dropoff-zones", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json() == [{"camera": cam, "zone": zone, "dwell_s": dwell}
                        for cam, zones in sorted(ZONES.items())
                        for zone, dwell in sorted(zones.items())]
    only = client.get("/v1/dropoff-zones", params={"camera": "cam2"}, headers=AUTH).json()
    assert only == [{"camera": "cam2", "zone": "yard", "dwell_s": 30.0}]
    assert client.get("/v1/dropoff-zones", params={"camera": "cam9"},
                      headers=AUTH).json() == []


def test_dropoff_zones_follow_the_configuration(client, store):
    seed_alerts(store)
    store.register_dropoffs("cam1", {"bins-east": 45.0})  # cam1 re-registered: one zone now
    zones = client.get("/v1/dropoff-zones", params={"camera": "cam1"}, headers=AUTH).json()
    assert zones == [{"camera": "cam1", "zone": "bins-east", "dwell_s": 45.0}]
    assert "a1" in ids(get_alerts(client, camera="cam1"))  # the old zones' alerts are kept
