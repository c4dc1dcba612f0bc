"""Shared API test helpers: constants, fake cameras, parking data fed through the recorder, and a
client that privacy-checks every JSON response it receives (and keeps them for test_no_leak.py)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from leakcheck import Leak, find_leaks, schema_leaks

from edge.analytics.base import Event, LotOccupancy, SpaceChange, StayEnded
from edge.recorder import Recorder
from edge.store import Store
from edge.types import CameraStatus

TOKEN = "test-token-3f9a1c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HOUR0 = 1_700_000_000 - 1_700_000_000 % 3600  # 2023-11-14T22:00:00Z, an hour boundary
NOW = HOUR0 + 2 * 3600 + 30.0  # the fixed "now" of the API clock


class FakeCameras:
    def __init__(self, statuses: list[CameraStatus]) -> None:
        self._statuses = statuses

    def statuses(self) -> list[CameraStatus]:
        return list(self._statuses)


def sample_statuses() -> list[CameraStatus]:
    return [
        CameraStatus("cam1", "running", 12.345, HOUR0 + 7000.25, 0, 84_000),
        CameraStatus("cam2", "reconnecting", 0.0, None, 3, 0, "connection refused"),
        CameraStatus("cam3", "stopped", 0.0, HOUR0 + 10.0, 0, 250),
        CameraStatus("cam4", "running", 8.0, HOUR0 + 7100.0, 1, 5_000),
    ]


PARKING_BANDS = ["<15min", "15-60min", ">=60min"]
P1_SPACES = [("1", "standard"), ("2", "disabled"), ("10", "ev"), ("3", "standard")]


def p1_analyses() -> list[tuple[float, int, int, int, int]]:
    """(wall ts, occupied, free, unknown, learnt) of lot P1 on cam1: one analysis a minute from
    HOUR0 to NOW, the last one at NOW; one more space has a learnt reference every 40 minutes
    (3 of 4 at NOW)."""
    out = []
    for m in range(121):
        unknown = int(m % 7 == 0)
        out.append((HOUR0 + 60 * m + 30.0, m % 4, 4 - m % 4 - unknown, unknown, m // 40))
    return out


def seed_parking(store: Store) -> None:
    """P1 (cam1, 4 spaces, learnt references) analysed every minute from HOUR0 to NOW through a
    Recorder, flushed every few events; east-lot (cam2, a reference image) registered, never
    analysed. At NOW, P1's space 1 is occupied since HOUR0+5000, 2 free since HOUR0+30, 10 and 3
    never seen, 3 spaces have learnt their reference; two stays ended: 15-60min at HOUR0+1800,
    <15min at HOUR0+4900."""
    store.register_lots("cam1", {"P1": P1_SPACES}, unknown_after_s=60.0,
                        stay_bands=PARKING_BANDS, reference="learnt")
    store.register_lots("cam2", {"east-lot": [("A1", "standard")]}, unknown_after_s=120.0,
                        reference="image")
    events: list[Event] = [LotOccupancy("cam1", ts, ts - HOUR0, "P1", occupied, free, unknown,
                                        learnt=learnt)
                           for ts, occupied, free, unknown, learnt in p1_analyses()]
    events += [
        SpaceChange("cam1", HOUR0 + 30.0, 30.0, "P1", "1", "unknown", "occupied"),
        SpaceChange("cam1", HOUR0 + 30.0, 30.0, "P1", "2", "unknown", "free"),
        SpaceChange("cam1", HOUR0 + 1800.0, 1800.0, "P1", "1", "occupied", "free"),
        StayEnded("cam1", HOUR0 + 1800.0, 1800.0, "P1", "15-60min"),
        SpaceChange("cam1", HOUR0 + 4400.0, 4400.0, "P1", "1", "free", "occupied"),
        SpaceChange("cam1", HOUR0 + 4900.0, 4900.0, "P1", "1", "occupied", "free"),
        StayEnded("cam1", HOUR0 + 4900.0, 4900.0, "P1", "<15min"),
        SpaceChange("cam1", HOUR0 + 5000.0, 5000.0, "P1", "1", "free", "occupied"),
    ]
    events.sort(key=lambda e: e.wall_ts)
    rec = Recorder(store, "cam1", "parking.mp4", HOUR0, flush_seconds=1e9)
    for i, event in enumerate(events):
        rec.add([event])
        if i % 10 == 9:
            rec.flush(media_pos=event.media_ts)
    rec.covered(HOUR0, NOW - HOUR0)
    rec.flush(media_pos=NOW - HOUR0)


class RecordingClient(TestClient):
    """TestClient that privacy-checks each JSON response at once and remembers it."""

    def __init__(self, app: FastAPI, seen: list[tuple[str, Any]]) -> None:
        super().__init__(app)
        self.seen = seen

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        if response.headers.get("content-type", "").startswith("application/json"):
            where = f"{method} {url}"
            payload = response.json()
            self.seen.append((where, payload))
            leaks = payload_leaks(where, payload)
            assert not leaks, "privacy leak:\n" + "\n".join(map(str, leaks))
        return response


def payload_leaks(where: str, payload: Any) -> list[Leak]:
    # The OpenAPI document is a schema, not data: check its names, not its shape.
    if str(where).endswith("/openapi.json"):
        return schema_leaks(payload)
    return find_leaks(payload, where)
