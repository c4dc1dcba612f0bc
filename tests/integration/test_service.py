"""``edge run`` as a real process: a dead RTSP camera, kill -9 and restart on the same store,
and the API as a client sees it (auth, no leak, no password).

PETS 2009 S2L1 (795 frames at 10 fps = 79.5 s) with the line (430,0)->(430,576): ground truth
18 `in`, 14 `out`. Uninterrupted, YOLOX-Nano counts a little under that, so after a crash and a
resume the totals must stay at or under the ground truth (nothing counted twice) and close to it
(only a person mid-crossing at the kill may be missed).
"""

from __future__ import annotations

import math
import os
import signal
import time
from datetime import datetime, timezone

import pytest

from tests.api.leakcheck import schema_leaks
from tests.integration.service_helpers import (
    Service,
    all_counts,
    all_coverage,
    bins_snapshot,
    checkpoint,
    free_port,
    service,
    wait_for,
    write_site,
)

pytestmark = pytest.mark.integration

PETS_FRAMES, PETS_FPS = 795, 10.0
PETS_END = PETS_FRAMES / PETS_FPS
GT = {"in": 18, "out": 14}
MIN_AFTER_RESUME = {"in": 13, "out": 10}  # a crossing in progress at the kill may be lost
BIN_S = 10
STOP_AT_S = 40.0  # media seconds analysed before the first run is stopped


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat()


# -- a camera nobody answers ---------------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_dead_rtsp_camera_keeps_reconnecting_without_leaking(tmp_path, assets, stop):
    url = f"rtsp://user:secret@127.0.0.1:{free_port()}/stream"  # a closed port
    config = write_site(tmp_path / "site.yaml", [{
        "id": "gate", "source": url, "detector": {"type": "onnx", "model": "yolox_nano"},
        "zones": {"lines": [{"id": "door", "p1": [10, 10], "p2": [100, 10]}]},
    }], tmp_path / "store.db")
    with service(config, tmp_path / "svc") as svc:
        health = svc.wait_healthy(timeout=20)
        assert health["status"] == "ok"
        cam = wait_for(lambda: (c := svc.camera("gate"))["reconnects"] >= 1 and c,
                       timeout=20, what="camera gate reconnecting", proc=svc.proc)
        assert cam["state"] == "reconnecting", cam
        assert cam["frames"] == 0 and cam["last_frame_at"] is None
        assert svc.get("/v1/health", token=None).json()["cameras"]["reconnecting"] == 1
        assert svc.proc.poll() is None, "the service must outlive a dead camera"

        check_api(svc)
        t0 = time.monotonic()
        rc = svc.stop(stop, timeout=10)  # a clean stop, as Ctrl-C or `docker stop` asks
        assert rc == 0, svc.output()[-3000:]
        assert time.monotonic() - t0 < 5

    seen = [body for _, _, body in svc.responses]
    assert seen and all("secret" not in body for body in seen)
    out = svc.output()
    assert "secret" not in out, [ln for ln in out.splitlines() if "secret" in ln]
    assert "Traceback" not in out, out[-3000:]


def check_api(svc: Service) -> None:
    """Auth on every data endpoint, public health and OpenAPI, no leak in any of them."""
    for path in ("/v1/cameras", "/v1/counts"):
        assert svc.get(path, token=None).status_code == 401
        assert svc.get(path, token="wrong-token-123").status_code == 401
        assert svc.get(path).status_code == 200
    counts = svc.get("/v1/counts", interval="15m").json()
    assert [(s["camera"], s["line"]) for s in counts["series"]] == [("gate", "door")]
    assert all(b["coverage"] == 0 and b["total"] == 0 for b in counts["series"][0]["buckets"])
    doc = svc.get("/openapi.json", token=None)
    assert doc.status_code == 200
    assert not schema_leaks(doc.json())
    assert svc.get("/v1/health", token=None).status_code == 200


# -- crash and resume on the same store ----------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "sigint"])
def test_resume_after_stop_mid_clip_keeps_closed_bins(tmp_path, assets, stop):
    db = tmp_path / "store.db"
    config = write_site(tmp_path / "site.yaml", [{
        "id": "pets", "source": str(assets / "footage/pets2009-s2l1/video.mp4"),
        "realtime": False, "detector": {"type": "onnx", "model": "yolox_nano"},
        "zones": {"frame_size": [768, 576],
                  "lines": [{"id": "lamp", "p1": [430, 0], "p2": [430, 576]}]},
    }], db, bin_seconds=BIN_S, flush_seconds=1)

    # Run 1: stop it once ~40 s of media are in the store.
    with service(config, tmp_path / "run1") as svc:
        wait_for(lambda: (cp := checkpoint(db, "pets")) and cp[1] >= STOP_AT_S and cp,
                 timeout=60, what=f"checkpoint past {STOP_AT_S} s", proc=svc.proc, every=0.1)
        # Bins that end a second before the checkpoint can never change again.
        epoch_base, media_pos, closed, closed_cov = bins_snapshot(
            db, "pets", lambda e, m: e + m - 1)
        if stop == signal.SIGKILL:
            os.kill(svc.proc.pid, signal.SIGKILL)
            assert svc.proc.wait(10) == -signal.SIGKILL
        else:
            assert svc.stop(signal.SIGINT, timeout=15) == 0, svc.output()[-3000:]
    assert media_pos < PETS_END - 10, "the clip ended before the stop: nothing was tested"
    assert len(closed_cov) >= 3 and sum(closed.values()) > 0, (closed, closed_cov)
    after_stop = checkpoint(db, "pets")
    assert after_stop[0] == epoch_base and after_stop[1] >= media_pos

    # Run 2: same config and store, until the file is done.
    with service(config, tmp_path / "run2") as svc:
        svc.wait_healthy(timeout=30)
        wait_for(lambda: svc.camera("pets")["state"] == "stopped", timeout=60,
                 what="camera pets stopped (end of file)", proc=svc.proc, every=0.25)
        api = svc.get("/v1/counts", camera="pets", interval="1m",
                      **{"from": iso(epoch_base - 60), "to": iso(epoch_base + PETS_END + 60)})
        assert api.status_code == 200, api.text
        assert svc.get("/v1/counts", token=None).status_code == 401
        assert svc.stop(signal.SIGINT, timeout=15) == 0, svc.output()[-3000:]
        assert "Traceback" not in svc.output(), svc.output()[-3000:]

    final = checkpoint(db, "pets")
    assert final[0] == epoch_base  # same bins as the first run
    assert math.isclose(final[1], PETS_END), f"resumed run ended at {final[1]} s, not {PETS_END}"

    # No closed bin lost or changed, and nothing added to a closed bin.
    counts = all_counts(db, "pets")
    limit = epoch_base + media_pos - 1
    assert {k: n for k, n in counts.items() if k[3] + BIN_S <= limit} == closed
    coverage = all_coverage(db, "pets")
    for b, s in closed_cov.items():
        assert math.isclose(coverage[b], s, abs_tol=1e-6), (b, coverage[b], s)

    # Totals: never above the ground truth, and close to it.
    totals = {d: sum(n for (_, _, dd, _), n in counts.items() if dd == d) for d in GT}
    series = api.json()["series"]
    assert [(s["camera"], s["line"]) for s in series] == [("pets", "lamp")]
    api_totals = {d: sum(sum(b[d].values()) for b in series[0]["buckets"]) for d in GT}
    assert api_totals == totals
    print(f"{signal.Signals(stop).name} at {media_pos:.1f} s: totals {totals} (gt {GT})")
    for d in GT:
        assert MIN_AFTER_RESUME[d] <= totals[d] <= GT[d], (d, totals)

    # Coverage: the bins lying wholly inside the clip were analysed (almost) entirely.
    first = math.ceil(epoch_base / BIN_S) * BIN_S
    full = range(first, int(epoch_base + PETS_END) - BIN_S + 1, BIN_S)
    assert len(full) >= 6
    share = [coverage.get(b, 0.0) / BIN_S for b in full]
    assert sum(share) / len(share) >= 0.9, share
    assert all(s <= BIN_S + 1e-9 for s in coverage.values()), coverage
