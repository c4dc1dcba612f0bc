"""API fixtures: a temporary store, fake cameras, a fixed clock, and a client that privacy-checks
every JSON response it receives (see api_fakes.RecordingClient)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_fakes import NOW, TOKEN, FakeCameras, RecordingClient, sample_statuses
from fastapi import FastAPI

from api.app import create_app
from api.deps import get_clock
from edge.store import Store


@pytest.fixture(scope="session")
def seen_responses() -> list[tuple[str, Any]]:
    """Every JSON response of the session, as (request, payload)."""
    return []


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    with Store(tmp_path / "counts.db") as s:
        yield s


@pytest.fixture
def cameras() -> FakeCameras:
    return FakeCameras(sample_statuses())


@pytest.fixture
def app(store: Store, cameras: FakeCameras) -> FastAPI:
    app = create_app(store, cameras, [TOKEN, "second-token-77"])
    app.dependency_overrides[get_clock] = lambda: (lambda: NOW)
    return app


@pytest.fixture
def client(app: FastAPI, seen_responses: list[tuple[str, Any]]) -> Iterator[RecordingClient]:
    with RecordingClient(app, seen_responses) as c:
        yield c
