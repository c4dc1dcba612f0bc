"""``make demo``: run ``edge run`` on a sample clip and watch counts arrive through the API.

Starts the real service in a subprocess on a free port with a fresh store, polls
``/v1/counts`` while the clip plays in real time, and ends with a summary against the clip's
ground truth when the camera stops (about 90 s for PETS 2009 S2L1).
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from edge.assets import load_clip_manifest
from edge.config import load_site
from edge.errors import EdgeError

TIMEOUT_S = 150


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str) -> dict | list:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)


def _totals(counts: dict) -> dict[str, dict[str, dict[str, int]]]:
    out: dict[str, dict[str, dict[str, int]]] = {}
    for series in counts["series"]:
        line = out.setdefault(series["line"], {"in": {}, "out": {}})
        for b in series["buckets"]:
            for d in ("in", "out"):
                for cls, n in b[d].items():
                    if n:
                        line[d][cls] = line[d].get(cls, 0) + n
    return out


def _fmt(totals: dict) -> str:
    parts = []
    for line, dirs in totals.items():
        show = {d: ", ".join(f"{c} {n}" for c, n in v.items()) or "0" for d, v in dirs.items()}
        parts.append(f"{line}: in {show['in']} | out {show['out']}")
    return "; ".join(parts) or "no line"


def main(config: str) -> int:
    site = load_site(config)
    cam = site.cameras[0]
    token, port = site.api.tokens[0], _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "edge", "run", config, "--port", str(port),
               "--store", str(Path(tmp) / "demo.db")]
        print(f"$ edge run {config}   (API on {base}, token from the config)")
        proc = subprocess.Popen(cmd)
        try:
            return _watch(proc, base, token, cam.id, cam.source)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _watch(proc: subprocess.Popen, base: str, token: str, camera: str, source: str) -> int:
    start = time.monotonic()
    window = f"from={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - 3600))}"
    totals: dict = {}
    while time.monotonic() - start < TIMEOUT_S:
        if proc.poll() is not None:
            print(f"edge run exited with code {proc.returncode}")
            return 1
        time.sleep(5)
        try:
            to = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 120))
            counts = _get(f"{base}/v1/counts?camera={camera}&interval=1m&{window}&to={to}", token)
            cams = _get(f"{base}/v1/cameras", token)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            print("  waiting for the API...")
            continue
        totals = _totals(counts)
        state = next((c for c in cams if c["id"] == camera), {})
        print(f"  t={time.monotonic() - start:5.1f}s  camera {state.get('state')} "
              f"at {state.get('fps', 0):.1f} fps   {_fmt(totals)}")
        if state.get("state") == "stopped":
            break
    _summary(totals, source, time.monotonic() - start)
    return 0


def _summary(totals: dict, source: str, elapsed: float) -> None:
    print(f"\nSummary after {elapsed:.0f} s (counts read back through GET /v1/counts):")
    print(f"  {_fmt(totals)}")
    if source.startswith("sample:"):
        clip = load_clip_manifest().get(source.removeprefix("sample:"))
        if clip is not None and clip.line_totals:
            truth = "; ".join(f"{k}: in {v.in_} | out {v.out}" for k, v in clip.line_totals.items())
            print(f"  ground truth, all classes: {truth}")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "zones/demo-site.yaml"))
    except EdgeError as exc:
        print(f"edge demo: error: {exc}", file=sys.stderr)
        sys.exit(2)
