"""``edge analyze``: one video file, as fast as it goes, through the service's own runner."""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from pydantic import ValidationError

from edge.analytics.lines import LineConfig
from edge.config import CameraConfig, ZonesConfig, load_zones
from edge.detectors import OnnxDetectorSettings
from edge.detectors.motion import MotionDetectorSettings
from edge.errors import EdgeError
from edge.runner import CameraRunner
from edge.store import Store

_NUM = r"\s*(-?\d+(?:\.\d+)?)\s*"
_LINE = re.compile(rf"^([A-Za-z0-9_.:-]+):{_NUM},{_NUM},{_NUM},{_NUM}$")


def parse_line_arg(text: str) -> LineConfig:
    """``ID:x1,y1,x2,y2`` -> a line. Raises EdgeError with the offending text."""
    m = _LINE.match(text)
    if not m:
        raise EdgeError(f"malformed --line {text!r}: expected ID:x1,y1,x2,y2 "
                        "(e.g. lamp:430,0,430,576)")
    x1, y1, x2, y2 = (float(g) for g in m.groups()[1:])
    try:
        return LineConfig(id=m.group(1), p1=(x1, y1), p2=(x2, y2))
    except ValidationError as exc:
        raise EdgeError(f"malformed --line {text!r}: "
                        f"{exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None


def build_camera(video: str, lines: list[str], zones_path: str | None, model: str | None,
                 threads: int | None = None) -> CameraConfig:
    """The camera ``edge analyze`` runs: zones from the file, then ``--line`` additions."""
    if not Path(video).is_file():
        raise EdgeError(f"video file not found: {video}")
    zones = load_zones(zones_path) if zones_path else ZonesConfig()
    extra = [parse_line_arg(t) for t in lines]
    try:
        zones = ZonesConfig.model_validate(
            {**zones.model_dump(), "lines": [*zones.model_dump()["lines"],
                                              *(ln.model_dump() for ln in extra)]})
    except ValidationError as exc:
        raise EdgeError(f"--line: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    detector: OnnxDetectorSettings | MotionDetectorSettings
    if model == "motion":
        detector = zones.motion or MotionDetectorSettings()
    else:
        detector = OnnxDetectorSettings(**({"model": model} if model else {}),
                                        **({"threads": threads} if threads else {}))
    return CameraConfig(id="analyze", source=video, detector=detector, zones=zones)


def analyze(cam: CameraConfig, store_path: str | None = None) -> dict:
    """Run the camera over its whole file; return the ``edge analyze`` JSON document."""
    with tempfile.TemporaryDirectory() as tmp:
        with Store(store_path or Path(tmp) / "analyze.db") as store:
            runner = CameraRunner(cam, store, resume=False)
            t0 = time.perf_counter()
            runner.run()
            wall = time.perf_counter() - t0
            totals = store.totals(cam.id)
    frames = runner.frames
    return {
        "lines": totals,
        "frames": frames,
        "wall_s": round(wall, 3),
        "fps": round(frames / wall, 2) if wall > 0 else 0.0,
        "ms_per_frame": {k: round(v, 2) for k, v in runner.pipeline.clock.ms_per_frame().items()},
    }
