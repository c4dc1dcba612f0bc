"""Peer tools run beside the product on the same clip and line: Ultralytics solutions
``ObjectCounter`` and Roboflow ``supervision`` ``LineZone`` (+ ``trackers``' ByteTrack).

They live in their own venv (``make bench-peers`` -> ``.venv-peers``) so that the product never
depends on them; this module only starts their runners there and reads back the JSON they write,
which has the ``edge analyze`` shape and OUR direction convention and class names. Importing it
imports no peer library.

    >>> peer_model("ultralytics", "yolox_nano")   # Ultralytics runs only its own exports
    'yolo11n_int8'
    >>> peer_model("supervision", "yolox_nano")   # the product's detector, same model
    'yolox_nano'
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from edge.errors import EdgeError

REPO = Path(__file__).resolve().parent.parent.parent
PEERS: tuple[str, ...] = ("ultralytics", "supervision")
RUNNERS = {"ultralytics": "benchmarks.peers.ultralytics_counter",
           "supervision": "benchmarks.peers.supervision_linezone"}
PEERS_VENV = REPO / ".venv-peers"
ULTRALYTICS_MODEL = "yolo11n_int8"  # the one Ultralytics export among the manifest's models


def peer_python() -> Path | None:
    """The peers venv's interpreter: ``$EDGE_PEERS_PYTHON`` when set, else
    ``.venv-peers/bin/python``; None when it does not exist."""
    env = os.environ.get("EDGE_PEERS_PYTHON", "").strip()
    path = Path(env).expanduser() if env else PEERS_VENV / "bin" / "python"
    return path if path.is_file() else None


def peer_model(peer: str, product_model: str) -> str:
    """The model a peer runs when the product runs ``product_model``: supervision is fed by the
    product's own detector (same model); Ultralytics runs only Ultralytics exports."""
    _check(peer)
    if peer == "supervision":
        return product_model
    return product_model if _is_ultralytics(product_model) else ULTRALYTICS_MODEL


def _is_ultralytics(model: str) -> bool:
    from edge.manifest import load_manifest

    name = Path(model).name
    return any(m.family == "ultralytics" and name in (m.name, m.file)
               for m in load_manifest().models)


def _check(peer: str) -> None:
    if peer not in PEERS:
        raise EdgeError(f"unknown peer {peer!r} (known: {', '.join(PEERS)})")


def peer_command(python: Path, peer: str, video: Path, lines: Sequence[str], model: str,
                 json_out: Path, extra: Sequence[str] = ()) -> list[str]:
    cmd = [str(python), "-m", RUNNERS[peer], "--video", str(video), "--model", model,
           "--json", str(json_out)]
    for line in lines:
        cmd += ["--line", line]
    return [*cmd, *extra]


def run_peer(peer: str, video: Path, lines: list[str], model: str, timeout: float = 900,
             extra: Sequence[str] = ()) -> dict | None:
    """Run one peer on ``video`` with ``--line`` texts (``ID:x1,y1,x2,y2``) and ``model`` (a
    manifest name or .onnx path; see :func:`peer_model`). ``extra`` goes to the runner as is
    (e.g. ``["--anchor", "center"]`` for supervision, ``["--tracker", "bytetrack.yaml"]`` for
    Ultralytics).

    Returns its JSON (``{"lines": {id: {"in": {cls: n}, "out": {...}}}, "frames", "wall_s",
    "fps", "peer", "versions", ...}``), or None when the peers venv is missing. Raises EdgeError
    with the runner's last stderr line when it fails or times out.
    """
    _check(peer)
    video = Path(video)
    python = peer_python()
    if python is None:
        return None
    env = {**os.environ, "YOLO_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory(prefix="edge-peer-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = peer_command(python, peer, video, lines, model, out, extra)
        try:
            proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EdgeError(f"peer {peer} on {video} ran past {timeout:g} s") from None
        if proc.returncode != 0 or not out.is_file():
            tail = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            why = tail[-1].strip() if tail else f"exit status {proc.returncode}"
            raise EdgeError(f"peer {peer} on {video.name} failed: {why}")
        try:
            return json.loads(out.read_text())
        except json.JSONDecodeError as exc:
            raise EdgeError(f"peer {peer} wrote unreadable JSON: {exc}") from None


__all__ = ["PEERS", "peer_command", "peer_model", "peer_python", "run_peer"]
