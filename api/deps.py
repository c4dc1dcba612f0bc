"""Typed dependencies: the only place that knows where the services live (``app.state``).

Handlers ask for ``StoreDep``, ``CamerasDep`` or ``ClockDep``; tests swap them with
``app.dependency_overrides[get_store] = ...``.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence
from typing import Annotated, Protocol

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from edge.store import Store
from edge.types import CameraStatus


class CameraStatusProvider(Protocol):
    """Whatever runs the cameras; the API only reads their status."""

    def statuses(self) -> list[CameraStatus]: ...


def attach_services(app: FastAPI, store: Store, cameras: CameraStatusProvider,
                    tokens: Sequence[str]) -> None:
    """Put the services where the getters below find them (called once by the app factory)."""
    app.state.store = store
    app.state.cameras = cameras
    app.state.tokens = tuple(t.encode() for t in tokens)


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_cameras(request: Request) -> CameraStatusProvider:
    return request.app.state.cameras


def get_tokens(request: Request) -> tuple[bytes, ...]:
    return request.app.state.tokens


def get_clock() -> Callable[[], float]:
    """Wall clock (Unix seconds) used for default time ranges."""
    return time.time


StoreDep = Annotated[Store, Depends(get_store)]
CamerasDep = Annotated[CameraStatusProvider, Depends(get_cameras)]
ClockDep = Annotated[Callable[[], float], Depends(get_clock)]

_bearer = HTTPBearer(auto_error=False, description="Token from the site configuration.")


def require_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    tokens: Annotated[tuple[bytes, ...], Depends(get_tokens)],
) -> None:
    """401 unless the request carries ``Authorization: Bearer <one of the tokens>``."""
    given = b"" if credentials is None else credentials.credentials.encode()
    # Compare with every token, without stopping early: timing must not tell which one is close.
    ok = False
    for token in tokens:
        ok |= hmac.compare_digest(given, token)
    if credentials is None or not ok:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
