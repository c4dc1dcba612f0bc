"""Parking endpoints on a temporary store fed through the recorder (see api_fakes.seed_parking)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from api_fakes import AUTH, HOUR0, NOW, P1_SPACES, PARKING_BANDS, p1_analyses, seed_parking

from api.deps import get_clock
from edge.analytics.base import LotOccupancy
from edge.recorder import Recorder
from edge.store import Batch, OccupancyBin

PATHS = ["/v1/parking/lots", "/v1/parking/lots/P1/spaces", "/v1/parking/occupancy?lot=P1"]


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(app, now: float) -> None:
    app.dependency_overrides[get_clock] = lambda: (lambda: now)


def occupancy(client, **params):
    return client.get("/v1/parking/occupancy", params=params, headers=AUTH)


# -- auth --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}])
def test_parking_needs_a_token(client, store, path, headers):
    seed_parking(store)
    r = client.get(path, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert client.get(path, headers=AUTH).status_code == 200


def test_openapi_marks_parking_as_secured(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/parking/lots", "/v1/parking/lots/{lot}/spaces", "/v1/parking/occupancy"):
        assert paths[path]["get"]["security"] == [{"HTTPBearer": []}]


# -- lots --------------------------------------------------------------------------------------


def test_lots_list_current_occupancy(client, store):
    seed_parking(store)
    r = client.get("/v1/parking/lots", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json() == [
        {"lot": "east-lot", "camera": "cam2", "spaces": 1, "occupied": 0, "free": 0,
         "unknown": 1, "updated_at": None,
         "reference": {"kind": "image", "learnt_spaces": None, "spaces": 1}},
        {"lot": "P1", "camera": "cam1", "spaces": 4, "occupied": 1, "free": 1, "unknown": 2,
         "updated_at": iso(NOW),
         "reference": {"kind": "learnt", "learnt_spaces": 3, "spaces": 4}},
    ]
    only = client.get("/v1/parking/lots", params={"camera": "cam2"}, headers=AUTH).json()
    assert [lot["lot"] for lot in only] == ["east-lot"]


def test_lots_are_listed_before_the_first_analysis(client, store):
    store.register_lots("cam1", {"P1": P1_SPACES})
    (lot,) = client.get("/v1/parking/lots", headers=AUTH).json()
    assert (lot["spaces"], lot["unknown"], lot["occupied"], lot["updated_at"]) == (4, 4, 0, None)
    assert lot["reference"] == {"kind": None, "learnt_spaces": None, "spaces": 4}
    spaces = client.get("/v1/parking/lots/P1/spaces", headers=AUTH).json()
    assert [(s["space"], s["state"], s["since"]) for s in spaces] == [
        ("1", "unknown", None), ("2", "unknown", None), ("3", "unknown", None),
        ("10", "unknown", None)]


@pytest.mark.parametrize(("late_s", "down"), [(0.0, False), (60.0, False), (60.5, True),
                                              (86_400.0, True)])
def test_camera_down_reads_as_unknown(app, client, store, late_s, down):
    seed_parking(store)  # P1: unknown_after_s = 60, last analysis at NOW
    at(app, NOW + late_s)
    p1 = {lot["lot"]: lot for lot in client.get("/v1/parking/lots", headers=AUTH).json()}["P1"]
    assert p1["updated_at"] == iso(NOW)  # when it was last seen, either way
    assert (p1["occupied"], p1["free"], p1["unknown"]) == ((0, 0, 4) if down else (1, 1, 2))
    assert p1["reference"]["learnt_spaces"] == 3  # as of the last analysis, either way
    spaces = client.get("/v1/parking/lots/P1/spaces", headers=AUTH).json()
    if down:
        assert {s["state"] for s in spaces} == {"unknown"}
        assert {s["since"] for s in spaces} == {iso(NOW)}
    else:
        assert {s["space"]: s["state"] for s in spaces}["1"] == "occupied"


def test_lots_report_the_learnt_count_as_the_camera_learns(client, store):
    store.register_lots("cam1", {"P1": P1_SPACES}, reference="image")
    rec = Recorder(store, "cam1", "parking.mp4", HOUR0, flush_seconds=1e9)
    for m, learnt in enumerate([0, 1, 4, 2]):  # 2: a view change made two spaces learn again
        rec.add([LotOccupancy("cam1", NOW - 60 + m, 0.0, "P1", 0, 4, 0, learnt=learnt)])
        rec.flush(media_pos=float(m))
        (lot,) = client.get("/v1/parking/lots", headers=AUTH).json()
        assert lot["reference"] == {"kind": "image", "learnt_spaces": learnt, "spaces": 4}


def test_openapi_documents_the_reference(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["LotOut"]["properties"]["reference"]["$ref"].endswith("/LotReference")
    props = schemas["LotReference"]["properties"]
    assert set(props) == {"kind", "learnt_spaces", "spaces"}
    assert all(p.get("description") for p in props.values())
    kinds = {v for alt in props["kind"]["anyOf"] for v in alt.get("enum", [])}
    assert kinds == {"image", "learnt"}


# -- spaces ------------------------------------------------------------------------------------


def test_spaces_of_a_lot(client, store):
    seed_parking(store)
    r = client.get("/v1/parking/lots/P1/spaces", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json() == [
        {"space": "1", "category": "standard", "state": "occupied", "since": iso(HOUR0 + 5000)},
        {"space": "2", "category": "disabled", "state": "free", "since": iso(HOUR0 + 30)},
        {"space": "3", "category": "standard", "state": "unknown", "since": None},
        {"space": "10", "category": "ev", "state": "unknown", "since": None},
    ]


@pytest.mark.parametrize(("path", "words"), [
    ("/v1/parking/lots/P9/spaces", ["unknown lot 'P9'", "east-lot, P1"]),
    ("/v1/parking/lots/P1/spaces?camera=cam2", ["unknown lot 'P1' on camera 'cam2'"]),
    ("/v1/parking/occupancy?lot=P9", ["unknown lot 'P9'"]),
])
def test_unknown_lot_is_404_with_a_clear_message(client, store, path, words):
    seed_parking(store)
    r = client.get(path, headers=AUTH)
    assert r.status_code == 404
    for word in words:
        assert word in r.json()["detail"]


def test_a_lot_id_on_two_cameras_needs_the_camera(client, store):
    seed_parking(store)
    store.register_lots("cam4", {"P1": [("x", "delivery")]})
    r = client.get("/v1/parking/lots/P1/spaces", headers=AUTH)
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["loc"][-1] == "camera" and "cam1, cam4" in error["msg"]
    r = client.get("/v1/parking/lots/P1/spaces", params={"camera": "cam4"}, headers=AUTH)
    assert [s["space"] for s in r.json()] == ["x"]
    assert occupancy(client, lot="P1", camera="cam1").json()["camera"] == "cam1"
    assert occupancy(client, lot="P1").status_code == 422


# -- occupancy ---------------------------------------------------------------------------------


def expected_buckets(step: int, n: int) -> list[dict]:
    """Mean/min/max occupied etc. per bucket, computed from the seeded analyses."""
    a = np.array(p1_analyses())
    k = ((a[:, 0] - HOUR0) // step).astype(int)
    out = []
    for i in range(n):
        rows = a[k == i]
        if not len(rows):
            out.append(None)
            continue
        occ, free, unk = rows[:, 1], rows[:, 2], rows[:, 3]
        out.append({"samples": len(rows), "mean_occupied": round(occ.mean(), 3),
                    "min_occupied": int(occ.min()), "max_occupied": int(occ.max()),
                    "mean_free": round(free.mean(), 3), "mean_unknown": round(unk.mean(), 3),
                    "occupancy": round(occ.sum() / (occ.sum() + free.sum()), 4)})
    return out


@pytest.mark.parametrize(("interval", "step"), [("1m", 60), ("15m", 900), ("1h", 3600)])
def test_occupancy_zero_filled_per_interval(client, store, interval, step):
    seed_parking(store)
    lo, hi = HOUR0 - 3600, HOUR0 + 4 * 3600  # an hour before the data, two after
    r = occupancy(client, lot="P1", interval=interval, **{"from": iso(lo), "to": iso(hi)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["lot"], body["camera"], body["interval"]) == ("P1", "cam1", interval)
    assert (body["from"], body["to"], body["spaces"]) == (iso(lo), iso(hi), 4)
    buckets = body["buckets"]
    assert [b["start"] for b in buckets] == [iso(t) for t in range(lo, hi, step)]
    assert [b["end"] for b in buckets] == [iso(t + step) for t in range(lo, hi, step)]
    assert all(b["spaces"] == 4 for b in buckets)
    before = 3600 // step
    want = [None] * before + expected_buckets(step, len(buckets) - before)
    for b, w in zip(buckets, want, strict=True):
        got = {key: b[key] for key in ("samples", "mean_occupied", "min_occupied",
                                       "max_occupied", "mean_free", "mean_unknown", "occupancy")}
        if w is None:  # no analysis: no data, not an empty lot
            assert got == {"samples": 0, **dict.fromkeys(list(got)[1:])}
        else:
            assert got == pytest.approx(w)
    # cam1 analysed [HOUR0, NOW) without a gap.
    covered = [min(max(NOW - t, 0), step) if t >= HOUR0 else 0 for t in range(lo, hi, step)]
    assert [b["coverage_s"] for b in buckets] == pytest.approx(covered, abs=1e-3)
    assert body["stays"] == {"<15min": 1, "15-60min": 1, ">=60min": 0}
    assert list(body["stays"]) == PARKING_BANDS


def test_occupancy_stays_follow_the_range(client, store):
    seed_parking(store)
    first = occupancy(client, lot="P1", interval="1h", **{"from": iso(HOUR0),
                                                          "to": iso(HOUR0 + 3600)}).json()
    assert first["stays"] == {"<15min": 0, "15-60min": 1, ">=60min": 0}
    second = occupancy(client, lot="P1", interval="1h", **{"from": iso(HOUR0 + 3600),
                                                           "to": iso(HOUR0 + 7200)}).json()
    assert second["stays"] == {"<15min": 1, "15-60min": 0, ">=60min": 0}


def test_occupancy_default_range_is_last_hour(client, store):
    seed_parking(store)
    body = occupancy(client, lot="P1").json()
    end = HOUR0 + 2 * 3600 + 60  # NOW rounded up to the minute
    assert (body["interval"], body["from"], body["to"]) == ("1m", iso(end - 3600), iso(end))
    assert len(body["buckets"]) == 60 and body["buckets"][-1]["samples"] == 1


def test_occupancy_of_a_registered_lot_never_analysed(client, store):
    seed_parking(store)
    body = occupancy(client, lot="east-lot", interval="15m").json()
    assert body["spaces"] == 1 and len(body["buckets"]) == 4
    assert all(b["samples"] == 0 and b["mean_occupied"] is None and b["coverage_s"] == 0
               for b in body["buckets"])
    assert body["stays"] == {}


def test_occupancy_ratio_counts_known_spaces_only(client, store):
    store.register_lots("cam1", {"P1": P1_SPACES})
    bins = OccupancyBin.one(1, 1, 2).merge(OccupancyBin.one(3, 1, 0))  # 4 of 6 known: occupied
    store.commit(Batch(occupancy={("cam1", "P1", HOUR0): bins}))
    body = occupancy(client, lot="P1", **{"from": iso(HOUR0), "to": iso(HOUR0 + 60)}).json()
    (b,) = body["buckets"]
    assert (b["samples"], b["mean_occupied"], b["mean_unknown"]) == (2, 2.0, 1.0)
    assert (b["min_occupied"], b["max_occupied"], b["occupancy"]) == (1, 3, pytest.approx(4 / 6,
                                                                                          abs=1e-4))


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"interval": "2m"}, "interval", "'1m', '15m' or '1h'"),
    ({"from": iso(HOUR0 + 600), "to": iso(HOUR0)}, None, "must be before"),
    ({"from": iso(NOW + 3600)}, "from", "must be before"),
    ({"from": "yesterday"}, "from", "datetime"),
    ({"from": iso(HOUR0 - 10_001 * 60), "to": iso(HOUR0)}, "from", "at most 10000"),
    ({"colour": "red"}, "colour", "Extra inputs"),
    ({"lot": None}, "lot", "Field required"),
])
def test_occupancy_422_with_clear_message(client, store, params, field, message):
    seed_parking(store)
    query = {"lot": "P1", **params}
    r = occupancy(client, **{k: v for k, v in query.items() if v is not None})
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert message in error["msg"]
    if field:
        assert error["loc"][-1] == field
