"""Parking in stream mode: a clip made of two real frames of one camera, the lot empty (one
day) then full (another day), and what the learnt empty-state reference makes of it.

    python -m benchmarks.parking_stream [--model yolox_nano] [--loco] [--force]

There is no parking video here, only PKLot stills, so the clip is a static sequence: the empty
frame for ``EMPTY_S`` seconds, then the full frame for ``FULL_S`` seconds, at ``FPS``, each frame
with its own sensor noise (Gaussian, sigma ``NOISE``) and a slow exposure drift, encoded as
MPEG-4 into the cache (never committed). Nothing tells the product which part is which: it runs
``edge analyze``'s camera (file source, decoder, tiled detection, hysteresis) with no reference
image, learns each space's empty state while the lot is empty, and is scored on the full frame's
labels at the end. ``learnt_at_switch``: how many spaces had a learnt reference when the full
frame appeared (converged = all of them). ``wall_s`` / ``cpu_s``: the whole camera (decoding,
pipeline, parking analyses), ``analyses`` of them.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks import run_cli
from benchmarks.parking_fit import frame_by_clip, leave_out, model_file
from edge.analytics.base import Event, LotOccupancy
from edge.analytics.parking.importers import load_spaces
from edge.analyze import build_camera
from edge.assets import cache_dir
from edge.config import ZonesConfig
from edge.errors import EdgeError
from edge.runner import CameraRunner
from edge.store import Store
from edge.types import Frame, Tracks

GENERATOR = "parking-stream/1"  # bump whenever the clip's pixels change
FPS = 2.0
EMPTY_S = 120.0
FULL_S = 60.0
NOISE = 3.0         # per-pixel sensor noise, grey levels
DRIFT = 0.04        # exposure drift amplitude (gain 1 +- DRIFT, one period per clip)


@dataclass(frozen=True)
class Stream:
    name: str
    empty: str   # clip names of the manifest (PKLot frames of one camera)
    full: str


STREAMS = {"pucpr": Stream("pklot-pucpr-stream", "pklot-pucpr-2012-10-12",
                           "pklot-pucpr-2012-09-11")}


def out_dir() -> Path:
    return cache_dir() / "parking"


def ensure_clip(stream: Stream, force: bool = False) -> Path:
    """The stream's mp4 in the cache, rendered when missing or made by another generator."""
    folder = out_dir()
    video, meta = folder / f"{stream.name}.mp4", folder / f"{stream.name}.json"
    info = {"generator": GENERATOR, "empty": stream.empty, "full": stream.full, "fps": FPS,
            "empty_s": EMPTY_S, "full_s": FULL_S, "noise": NOISE, "drift": DRIFT}
    if not force and video.is_file() and meta.is_file() and \
            json.loads(meta.read_text()) == info:
        return video
    images = [cv2.imread(str(frame_by_clip(c).image)) for c in (stream.empty, stream.full)]
    h, w = images[0].shape[:2]
    folder.mkdir(parents=True, exist_ok=True)
    part = video.with_suffix(".part.mp4")
    writer = cv2.VideoWriter(str(part), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (w, h))
    if not writer.isOpened():
        raise EdgeError(f"cannot write {part} (OpenCV's mp4v encoder)")
    rng = np.random.default_rng(12)
    n_empty, n = round(EMPTY_S * FPS), round((EMPTY_S + FULL_S) * FPS)
    try:
        for i in range(n):
            base = images[0] if i < n_empty else images[1]
            gain = 1.0 + DRIFT * np.sin(2 * np.pi * i / n)
            noisy = base.astype(np.float32) * gain + rng.normal(0, NOISE, base.shape)
            writer.write(np.clip(noisy + 0.5, 0, 255).astype(np.uint8))
    finally:
        writer.release()
    part.replace(video)
    meta.write_text(json.dumps(info))
    return video


def _cpu_s() -> float:
    """CPU seconds of this process, all threads (decoder, detector, pipeline)."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


class _Recording:
    """Wraps the parking analytic to keep each analysis's learnt count (benchmark only)."""

    def __init__(self, analytic) -> None:  # noqa: ANN001
        self.analytic, self.name = analytic, analytic.name
        self.learnt: list[tuple[float, int]] = []

    def update(self, frame: Frame, tracks: Tracks) -> list[Event]:
        events = self.analytic.update(frame, tracks)
        self.learnt += [(e.media_ts, e.learnt) for e in events if isinstance(e, LotOccupancy)]
        return events


def run_stream(camera: str = "pucpr", model: str = "yolox_nano", loco: bool = False,
               threads: int = 1) -> dict:
    """Analyse the stream clip as ``edge analyze`` does; scored on the full frame's labels.
    ``loco``: with the space model fitted without this camera's frames."""
    stream = STREAMS.get(camera)
    if stream is None:
        raise EdgeError(f"no parking stream for camera {camera!r} (known: {', '.join(STREAMS)})")
    video = ensure_clip(stream)
    full = frame_by_clip(stream.full)
    spaces = load_spaces(full.spaces, lot_id="lot")
    with tempfile.TemporaryDirectory() as tmp:
        parking: dict = {"lots": [spaces.lot.model_dump()]}
        if loco:
            parking["classifier"] = str(model_file(leave_out(full.camera, model), Path(tmp),
                                                   "loco"))
        cam = build_camera(str(video), [], None, model, threads)
        cam = cam.model_copy(update={"zones": ZonesConfig.model_validate(
            {**cam.zones.model_dump(), "parking": parking})})
        with Store(Path(tmp) / "stream.db") as store:
            runner = CameraRunner(cam, store, resume=False)
            recording = _Recording(runner.parking)
            analytics = runner.pipeline.analytics
            analytics[analytics.index(runner.parking)] = recording
            c0, t0 = _cpu_s(), time.perf_counter()
            runner.run()
            wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
    states = runner.parking.states()["lot"]
    labelled = {k: v for k, v in spaces.labels.items() if v is not None}
    right = sum(states[k] == ("occupied" if v else "free") for k, v in labelled.items())
    learnt = recording.learnt
    at_switch = ([n for t, n in learnt if t < EMPTY_S] or [0])[-1]
    converged = next((t for t, n in learnt if n == len(states)), None)
    return {"clip": stream.name, "model": model, "classifier": "loco" if loco else "shipped",
            "spaces": len(states), "labelled": len(labelled),
            "accuracy": round(right / len(labelled), 4), "errors": len(labelled) - right,
            "occupied": sum(states[k] == "occupied" for k in labelled),
            "true_occupied": sum(labelled.values()),
            "learnt_at_switch": at_switch, "learnt_at_end": learnt[-1][1] if learnt else 0,
            "converged_s": converged, "empty_s": EMPTY_S, "full_s": FULL_S,
            "frames": runner.frames, "analyses": len(learnt), "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--camera", default="pucpr", choices=sorted(STREAMS))
    ap.add_argument("--model", default="yolox_nano")
    ap.add_argument("--loco", action="store_true",
                    help="space model fitted without this camera's frames")
    ap.add_argument("--force", action="store_true", help="render the clip again")
    args = ap.parse_args(argv)
    if args.force:
        ensure_clip(STREAMS[args.camera], force=True)
    print(json.dumps(run_stream(args.camera, args.model, args.loco), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli("benchmarks.parking_stream", main, sys.argv[1:]))
