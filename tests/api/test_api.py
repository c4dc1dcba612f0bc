"""HTTP API on a temporary SQLite store, fake cameras and a fixed clock (see conftest.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from api_fakes import AUTH, HOUR0, NOW, TOKEN

from api.app import create_app
from api.deps import get_store
from edge.classes import CLASSES
from edge.errors import EdgeError
from edge.store import Batch, Store
from edge.types import CameraStatus


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(store: Store) -> None:
    """cam1/north: cars in at HOUR0+5min (2) and +70min (1), a bus out at +16min; cam1/south
    registered but empty; cam2/east: a pedestrian in at +1min. cam1 analysed the first 20 min."""
    store.register_lines("cam1", ["north", "south"])
    store.register_lines("cam2", ["east"])
    store.commit(Batch(
        counts={("cam1", "north", "car", "in", HOUR0 + 300): 2,
                ("cam1", "north", "car", "in", HOUR0 + 4200): 1,
                ("cam1", "north", "bus", "out", HOUR0 + 960): 1,
                ("cam2", "east", "pedestrian", "in", HOUR0 + 60): 1},
        coverage={("cam1", HOUR0 + 60 * m): 60.0 for m in range(20)}))


def get_counts(client, **params):
    return client.get("/v1/counts", params=params, headers=AUTH)


# -- auth --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/cameras", "/v1/counts"])
@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": "Bearer "}, {"Authorization": f"Bearer {TOKEN}x"},
])
def test_refuses_missing_or_wrong_token(client, path, headers):
    r = client.get(path, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("token", [TOKEN, "second-token-77"])
def test_accepts_each_configured_token(client, token):
    r = client.get("/v1/cameras", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


def test_health_needs_no_token_and_counts_states(client):
    r = client.get("/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["version"]
    assert body["cameras"] == {"starting": 0, "running": 2, "reconnecting": 1, "stopped": 1}
    assert body["webhook_backlog"] == 0


def test_health_reports_the_webhook_backlog(client, store):
    from edge.store import Batch, Notification
    store.commit(Batch(notifications=[Notification("ops", "a:raised", "{}"),
                                      Notification("ops", "a:cleared", "{}")]))
    assert client.get("/v1/health").json()["webhook_backlog"] == 2
    store.delivered(store.due_notifications(now=1e12)[0].seq, now=1.0)
    assert client.get("/v1/health").json()["webhook_backlog"] == 1


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_docs_are_public(client, path):
    assert client.get(path).status_code == 200


def test_openapi_marks_data_endpoints_as_secured(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "security" not in paths["/v1/health"]["get"]
    assert paths["/v1/cameras"]["get"]["security"] == [{"HTTPBearer": []}]
    assert paths["/v1/counts"]["get"]["security"] == [{"HTTPBearer": []}]


@pytest.mark.parametrize("tokens", [[], [""], ["ok", ""]])
def test_app_needs_non_empty_tokens(store, cameras, tokens):
    with pytest.raises(EdgeError, match="token"):
        create_app(store, cameras, tokens)


# -- cameras -----------------------------------------------------------------------------------


def test_cameras_lists_health(client):
    r = client.get("/v1/cameras", headers=AUTH)
    assert r.status_code == 200
    by_id = {c["id"]: c for c in r.json()}
    assert set(by_id) == {"cam1", "cam2", "cam3", "cam4"}
    assert by_id["cam1"] == {"id": "cam1", "state": "running", "fps": 12.35,
                             "last_frame_at": iso(HOUR0 + 7000.25).replace("Z", ".250000Z"),
                             "reconnects": 0, "frames": 84_000, "error": None}
    assert by_id["cam2"]["last_frame_at"] is None
    assert by_id["cam2"]["error"] == "connection refused"
    assert by_id["cam3"]["last_frame_at"] == iso(HOUR0 + 10)


def test_camera_errors_never_show_source_credentials(client, cameras):
    cameras._statuses[1] = CameraStatus(
        "cam2", "reconnecting", 0.0, None, 3, 0,
        "cannot open rtsp://admin:hunter2@10.0.0.5:554/stream1\n(timeout)")
    body = client.get("/v1/cameras", headers=AUTH).json()
    assert body[1]["error"] == "cannot open rtsp://***@10.0.0.5:554/stream1 (timeout)"


# -- counts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("interval", "step"), [("1m", 60), ("15m", 900), ("1h", 3600)])
def test_counts_zero_filled_per_interval(client, store, interval, step):
    seed(store)
    r = get_counts(client, camera="cam1", interval=interval,
                   **{"from": iso(HOUR0), "to": iso(HOUR0 + 7200)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["interval"] == interval
    assert (body["from"], body["to"]) == (iso(HOUR0), iso(HOUR0 + 7200))
    assert [(s["camera"], s["line"]) for s in body["series"]] == [("cam1", "north"),
                                                                  ("cam1", "south")]
    for s in body["series"]:
        buckets = s["buckets"]
        assert len(buckets) == 7200 // step
        assert [b["start"] for b in buckets] == [iso(HOUR0 + k * step) for k in range(len(buckets))]
        assert all(b["end"] == iso(HOUR0 + (k + 1) * step) for k, b in enumerate(buckets))
        assert all(set(b["in"]) == set(CLASSES) == set(b["out"]) for b in buckets)
        assert all(b["total"] == sum(b["in"].values()) + sum(b["out"].values()) for b in buckets)
    north, south = body["series"]
    assert sum(b["total"] for b in south["buckets"]) == 0
    cars_in = {b["start"]: b["in"]["car"] for b in north["buckets"] if b["in"]["car"]}
    bus_out = {b["start"]: b["out"]["bus"] for b in north["buckets"] if b["out"]["bus"]}
    floor = lambda ts: HOUR0 + (ts - HOUR0) // step * step  # noqa: E731
    expected: dict[str, int] = {}
    for ts, n in [(HOUR0 + 300, 2), (HOUR0 + 4200, 1)]:
        expected[iso(floor(ts))] = expected.get(iso(floor(ts)), 0) + n
    assert cars_in == expected
    assert bus_out == {iso(floor(HOUR0 + 960)): 1}
    # cam1 analysed 20 full minutes from HOUR0: the coverage of each bucket follows.
    covered = [min(max(20 * 60 - k * step, 0), step) / step for k in range(7200 // step)]
    assert [b["coverage"] for b in north["buckets"]] == pytest.approx(covered, abs=1e-4)


def test_counts_default_range_is_last_hour(client, store):
    seed(store)
    body = get_counts(client, camera="cam1").json()
    end = HOUR0 + 2 * 3600 + 60  # NOW rounded up to the minute
    assert (body["interval"], body["from"], body["to"]) == ("1m", iso(end - 3600), iso(end))
    assert len(body["series"][0]["buckets"]) == 60
    body = get_counts(client, camera="cam1", interval="1h").json()
    assert (body["from"], body["to"]) == (iso(HOUR0 + 7200), iso(HOUR0 + 3 * 3600))
    assert NOW < HOUR0 + 3 * 3600


def test_counts_filters(client, store):
    seed(store)
    window = {"from": iso(HOUR0), "to": iso(HOUR0 + 3600), "interval": "1h"}
    everything = get_counts(client, **window).json()["series"]
    assert [(s["camera"], s["line"]) for s in everything] == [
        ("cam1", "north"), ("cam1", "south"), ("cam2", "east")]
    only = get_counts(client, line="east", **window).json()["series"]
    assert [(s["camera"], s["line"]) for s in only] == [("cam2", "east")]
    assert only[0]["buckets"][0]["in"]["pedestrian"] == 1
    assert get_counts(client, camera="nope", **window).json()["series"] == []


def test_counts_class_filter(client, store):
    seed(store)
    body = get_counts(client, camera="cam1", line="north", classes="bus, car", interval="1h",
                      **{"from": iso(HOUR0), "to": iso(HOUR0 + 3600)}).json()
    (bucket,) = body["series"][0]["buckets"]
    assert bucket["in"] == {"car": 2, "bus": 0}
    assert bucket["out"] == {"car": 0, "bus": 1}
    assert bucket["total"] == 3
    body = get_counts(client, camera="cam1", line="north", classes="pedestrian", interval="1h",
                      **{"from": iso(HOUR0), "to": iso(HOUR0 + 3600)}).json()
    assert body["series"][0]["buckets"][0]["total"] == 0


def test_counts_unaligned_range_is_widened(client, store):
    seed(store)
    body = get_counts(client, camera="cam1", interval="15m",
                      **{"from": iso(HOUR0 + 301), "to": iso(HOUR0 + 901)}).json()
    assert (body["from"], body["to"]) == (iso(HOUR0), iso(HOUR0 + 1800))


def test_counts_naive_and_offset_times_are_utc(client, store):
    seed(store)
    naive = get_counts(client, camera="cam1",
                       **{"from": iso(HOUR0)[:-1], "to": iso(HOUR0 + 60)[:-1]})
    offset = get_counts(client, camera="cam1", **{"from": "2023-11-14T23:00:00+01:00",
                                                  "to": "2023-11-14T23:01:00+01:00"})
    assert naive.json()["from"] == offset.json()["from"] == iso(HOUR0)


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"interval": "2m"}, "interval", "'1m', '15m' or '1h'"),
    ({"interval": ""}, "interval", "'1m', '15m' or '1h'"),
    ({"from": iso(HOUR0 + 600), "to": iso(HOUR0)}, None, "must be before"),
    ({"from": iso(HOUR0), "to": iso(HOUR0)}, None, "must be before"),
    ({"from": iso(NOW + 3600)}, "from", "must be before"),
    ({"from": "yesterday"}, "from", "datetime"),
    ({"classes": "car,dog"}, "classes", "unknown class 'dog'"),
    ({"classes": ","}, "classes", "at least one class"),
    ({"from": iso(HOUR0 - 10_001 * 60), "to": iso(HOUR0)}, "from", "at most 10000"),
    ({"colour": "red"}, "colour", "Extra inputs"),
])
def test_counts_422_with_clear_message(client, params, field, message):
    r = get_counts(client, **params)
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert message in error["msg"]
    if field:
        assert error["loc"][-1] == field


def test_counts_allows_exactly_max_buckets(client):
    r = get_counts(client, **{"from": iso(HOUR0 - 10_000 * 60), "to": iso(HOUR0)})
    assert r.status_code == 200


def test_store_is_a_dependency_that_tests_can_override(app, client, tmp_path):
    other = Store(tmp_path / "other.db")
    other.register_lines("camX", ["gate"])
    app.dependency_overrides[get_store] = lambda: other
    try:
        series = get_counts(client).json()["series"]
    finally:
        other.close()
    assert [(s["camera"], s["line"]) for s in series] == [("camX", "gate")]
