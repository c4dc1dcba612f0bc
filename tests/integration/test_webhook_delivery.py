"""Alert webhooks end to end: a real ``edge run``, a real HTTP receiver, a ``kill -9`` between
the raise and its delivery.

The clip is made here: the first frame of PETS 2009 S2L1 held for 25 s (10 fps, a little sensor
noise), with a brown textured box on the grass from second 3 to second 15, inside a drop-off zone
(dwell 3 s, clear 2 s). The receiver is down while the alert is raised; the edge is killed; the
receiver comes up; the edge restarts on the same store. Every notification must then arrive
(the raise and the clear), each idempotency key at least once, every signature valid.
"""

from __future__ import annotations

import json
import os
import signal
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from edge.assets import resolve_clip
from edge.publish.webhooks import verify
from tests.api.leakcheck import find_leaks
from tests.integration.service_helpers import (
    TOKEN,
    Service,
    free_port,
    read_store,
    service,
    wait_for,
)
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.integration

FPS, SECONDS = 10, 25
BOX_FROM_S, BOX_TO_S = 3.0, 15.0
BOX = (160, 390, 60, 40)  # x, y, width, height: on the grass, bottom left
ZONE = [[100, 340], [290, 340], [290, 480], [100, 480]]
SECRET_ENV = "EDGE_IT_WEBHOOK_SECRET"
SECRET = "it-webhook-secret-0123456789"


def make_clip(path: Path) -> Path:
    _, pets = resolve_clip("pets2009-s2l1")
    cap = cv2.VideoCapture(str(pets))
    ok, first = cap.read()
    cap.release()
    assert ok, pets
    rng = np.random.default_rng(5)
    x, y, w, h = BOX
    brown = np.array([40, 75, 120], np.int16)  # BGR
    box = np.clip(brown + rng.integers(-25, 26, (h, w, 3)), 0, 255).astype(np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS,
                             (first.shape[1], first.shape[0]))
    base = first.astype(np.int16)
    for i in range(FPS * SECONDS):
        frame = base + rng.integers(-2, 3, base.shape, dtype=np.int16)
        frame = np.clip(frame, 0, 255).astype(np.uint8)
        if BOX_FROM_S <= i / FPS < BOX_TO_S:
            frame[y:y + h, x:x + w] = box
        writer.write(frame)
    writer.release()
    return path


def write_config(tmp_path: Path, clip: Path, hook_port: int) -> tuple[Path, Path]:
    store = tmp_path / "store.db"
    config = tmp_path / "site.yaml"
    config.write_text(yaml.safe_dump({
        "site": "it", "api": {"host": "127.0.0.1", "port": 8080, "tokens": [TOKEN]},
        "store": {"path": str(store), "bin_seconds": 60, "flush_seconds": 1.0},
        "webhooks": [{"id": "city", "url": f"http://127.0.0.1:{hook_port}/alerts",
                      "secret_env": SECRET_ENV, "timeout_s": 2, "max_backoff_s": 1}],
        "cameras": [{
            "id": "yard", "source": str(clip), "realtime": True,
            "detector": {"type": "onnx", "model": "yolox_nano", "threads": 1},
            "zones": {"dumping": {"zones": [
                {"id": "corner", "polygon": ZONE, "dwell_s": 3, "clear_s": 2}]}},
        }],
    }, sort_keys=False))
    return config, store


def stored_alerts(svc: Service, db: Path) -> list[dict]:
    """The alerts, from the API (or read from the store while the API has no /v1/alerts)."""
    r = svc.try_get("/v1/alerts", camera="yard")
    if r is not None and r.status_code == 200:
        return r.json()
    if r is not None and r.status_code != 404:
        raise AssertionError(f"GET /v1/alerts: {r.status_code} {r.text}")
    if not db.exists():
        return []
    with read_store(db) as conn:
        rows = conn.execute("SELECT id, zone, cleared_at FROM alerts").fetchall()
    return [{"id": i, "zone": z, "status": "open" if c is None else "cleared"}
            for i, z, c in rows]


def outbox(db: Path) -> list[tuple[str, str, float | None]]:
    with read_store(db) as conn:
        return conn.execute("SELECT webhook, key, delivered_at FROM outbox ORDER BY seq").fetchall()


def failed_tries(db: Path, key: str) -> tuple[int, str] | None:
    """``(attempts, last error)`` of an undelivered notification that has failed at least once."""
    with read_store(db) as conn:
        row = conn.execute("SELECT attempts, last_error FROM outbox WHERE key = ? AND "
                           "delivered_at IS NULL AND attempts > 0", (key,)).fetchone()
    return None if row is None else (row[0], row[1])


def test_alert_webhooks_survive_a_dead_receiver_and_a_kill_9(tmp_path, assets, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    clip = make_clip(tmp_path / "yard.mp4")
    hook_port = free_port()  # the receiver is down: nothing listens there yet
    config, db = write_config(tmp_path, clip, hook_port)

    # 1. The alert is raised while the receiver is down; the edge dies before delivering it.
    with service(config, tmp_path / "run1") as svc:
        svc.wait_healthy(timeout=30)
        raised = wait_for(lambda: stored_alerts(svc, db), timeout=30,
                          what="an alert raised", proc=svc.proc)
        key = f"{raised[0]['id']}:raised"
        attempts, error = wait_for(lambda: failed_tries(db, key), timeout=10,
                                   what="a failed delivery attempt", proc=svc.proc)
        os.kill(svc.proc.pid, signal.SIGKILL)
        assert svc.proc.wait(10) == -signal.SIGKILL
    assert [a["zone"] for a in raised] == ["corner"], raised
    alert_id = raised[0]["id"]
    rows = outbox(db)
    assert ("city", f"{alert_id}:raised", None) in rows, rows  # queued, not delivered
    assert attempts >= 1 and "refused" in error, error  # it was tried while the receiver was down
    out1 = svc.output()

    # 2. The receiver comes up; the edge restarts on the same store and delivers everything.
    wanted = {f"{alert_id}:raised", f"{alert_id}:cleared"}
    with Receiver(port=hook_port) as rx, service(config, tmp_path / "run2") as svc:
        def keys() -> set[str]:
            return {r.headers.get("Idempotency-Key", "") for r in rx.received()}
        wait_for(lambda: wanted <= keys(), timeout=45, what="raised and cleared delivered",
                 proc=svc.proc)
        wait_for(lambda: all(d is not None for _, _, d in outbox(db)), timeout=10,
                 what="the outbox acknowledged", proc=svc.proc)
        final = stored_alerts(svc, db)
        assert svc.stop(signal.SIGINT, timeout=20) == 0, svc.output()[-3000:]
        got = rx.received()

    # One box, one alert: the restart neither lost it nor raised it again.
    assert [(a["id"], a["status"]) for a in final] == [(alert_id, "cleared")], final
    by_key: dict[str, set[bytes]] = defaultdict(set)
    for r in got:
        assert r.path == "/alerts"
        assert verify(SECRET, r.body, r.headers.get("X-Edge-Signature")), r.headers
        body = json.loads(r.body)
        assert body["idempotency_key"] == r.headers["Idempotency-Key"]
        assert body["alert"]["id"] == alert_id and body["alert"]["zone"] == "corner"
        assert not find_leaks(body, where="webhook body")
        by_key[r.headers["Idempotency-Key"]].add(r.body)
    assert set(by_key) == wanted  # every event, and no other
    assert all(len(bodies) == 1 for bodies in by_key.values())  # a repeat is the same bytes
    events = {json.loads(next(iter(b)))["event"] for b in by_key.values()}
    assert events == {"alert.raised", "alert.cleared"}

    for out in (out1, svc.output()):
        assert "Traceback" not in out, out[-3000:]
        assert SECRET not in out
