"""Shared API test helpers: constants, fake cameras, and a client that privacy-checks every
JSON response it receives (and keeps them for test_no_leak.py)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from leakcheck import Leak, find_leaks, schema_leaks

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
