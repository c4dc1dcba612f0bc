"""Run the real ``edge run`` in a subprocess and look at it from outside: HTTP API and the
SQLite store (opened read-only, as an operator's tool would)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from tests.api.leakcheck import find_leaks, schema_leaks
from tests.integration.cli import ROOT

TOKEN = "it-token-0123456789"
T = TypeVar("T")


def free_port() -> int:
    """A TCP port nothing listens on right now (bound then released)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_site(path: Path, cameras: list[dict], store: Path, *, bin_seconds: int = 60,
               flush_seconds: float = 1.0) -> Path:
    path.write_text(yaml.safe_dump({
        "site": "it", "api": {"host": "127.0.0.1", "port": 8080, "tokens": [TOKEN]},
        "store": {"path": str(store), "bin_seconds": bin_seconds, "flush_seconds": flush_seconds},
        "cameras": cameras,
    }, sort_keys=False))
    return path


def wait_for(check: Callable[[], T | None], timeout: float, what: str,
             proc: subprocess.Popen | None = None, every: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds or as
    soon as ``proc`` dies."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"edge run exited ({proc.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


class Service:
    """``python -m edge run CONFIG`` on a free port; stdout/stderr go to files (a full pipe
    would block the service). Every JSON response is kept and privacy-checked."""

    def __init__(self, config: Path, logs: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = logs
        self._out = open(logs.with_suffix(".out"), "w")  # noqa: SIM115 (closed in stop)
        self._err = open(logs.with_suffix(".err"), "w")  # noqa: SIM115
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge", "run", str(config), "--port", str(self.port)],
            cwd=ROOT, stdout=self._out, stderr=self._err, env=env)
        self.client = httpx.Client(base_url=self.url, timeout=5.0)
        self.responses: list[tuple[str, int, str]] = []  # (request, status, body text)

    # -- HTTP --------------------------------------------------------------------------------

    def get(self, path: str, *, token: str | None = TOKEN, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.client.get(path, headers=headers, params=params)
        self.responses.append((f"GET {path}", resp.status_code, resp.text))
        if resp.headers.get("content-type", "").startswith("application/json"):
            # The OpenAPI document describes fields (checked by name); the rest are payloads.
            leaks = (schema_leaks(resp.json()) if path == "/openapi.json"
                     else find_leaks(resp.json(), where=f"GET {path}"))
            assert not leaks, "privacy leak:\n" + "\n".join(map(str, leaks))
        return resp

    def try_get(self, path: str, **kw: Any) -> httpx.Response | None:
        try:
            return self.get(path, **kw)
        except httpx.TransportError:
            return None

    def wait_healthy(self, timeout: float = 20.0) -> dict:
        def ok() -> dict | None:
            r = self.try_get("/v1/health", token=None)
            return r.json() if r is not None and r.status_code == 200 else None
        return wait_for(ok, timeout, "GET /v1/health = 200", self.proc)

    def camera(self, cam_id: str) -> dict:
        r = self.get("/v1/cameras")
        assert r.status_code == 200, r.text
        return next(c for c in r.json() if c["id"] == cam_id)

    # -- process -----------------------------------------------------------------------------

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int:
        """Send ``sig`` and wait for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:  # a failed test must not leave the service running
            self.proc.kill()
            self.proc.wait(10)
        self.client.close()
        self._out.close()
        self._err.close()

    def output(self) -> str:
        """stdout + stderr so far."""
        return (self.logs.with_suffix(".out").read_text()
                + self.logs.with_suffix(".err").read_text())


@contextmanager
def service(config: Path, logs: Path) -> Iterator[Service]:
    svc = Service(config, logs)
    try:
        yield svc
    finally:
        svc.close()


# -- the store, read-only ----------------------------------------------------------------------


@contextmanager
def read_store(db: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection; one ``BEGIN`` so several queries see the same snapshot."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5.0,
                           isolation_level=None)
    try:
        conn.execute("BEGIN")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def checkpoint(db: Path, camera: str) -> tuple[float, float] | None:
    """``(epoch_base, media_pos)`` of a camera, or None (no store or no checkpoint yet)."""
    if not db.exists():
        return None
    try:
        with read_store(db) as conn:
            row = conn.execute("SELECT epoch_base, media_pos FROM checkpoints WHERE camera = ?",
                               (camera,)).fetchone()
    except sqlite3.OperationalError:  # the service is still creating the schema
        return None
    return None if row is None else (row[0], row[1])


CountRow = tuple[str, str, str, int]  # line, class, direction, bin_start


def bins_snapshot(db: Path, camera: str, closed_before: Callable[[float, float], float]
                  ) -> tuple[float, float, dict[CountRow, int], dict[int, float]]:
    """In one read transaction: the checkpoint ``(epoch_base, media_pos)``, then the counts and
    coverage of every bin that ends at or before ``closed_before(epoch_base, media_pos)``."""
    with read_store(db) as conn:
        epoch_base, media_pos = conn.execute(
            "SELECT epoch_base, media_pos FROM checkpoints WHERE camera = ?", (camera,)).fetchone()
        bin_s = conn.execute("SELECT value FROM meta WHERE key = 'bin_seconds'").fetchone()[0]
        limit = closed_before(epoch_base, media_pos)
        counts = {(ln, cls, d, b): n for ln, cls, d, b, n in conn.execute(
            "SELECT line, class, direction, bin_start, n FROM counts "
            "WHERE camera = ? AND bin_start + ? <= ?", (camera, int(bin_s), limit))}
        coverage = dict(conn.execute(
            "SELECT bin_start, analysed_s FROM coverage WHERE camera = ? AND bin_start + ? <= ?",
            (camera, int(bin_s), limit)).fetchall())
    return epoch_base, media_pos, counts, coverage


def all_counts(db: Path, camera: str) -> dict[CountRow, int]:
    with read_store(db) as conn:
        return {(ln, cls, d, b): n for ln, cls, d, b, n in conn.execute(
            "SELECT line, class, direction, bin_start, n FROM counts WHERE camera = ?",
            (camera,))}


def all_coverage(db: Path, camera: str) -> dict[int, float]:
    with read_store(db) as conn:
        return dict(conn.execute(
            "SELECT bin_start, analysed_s FROM coverage WHERE camera = ?", (camera,)).fetchall())
