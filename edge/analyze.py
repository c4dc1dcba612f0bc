"""``edge analyze``: one video file (or still image), as fast as it goes, through the service's
own runner."""

from __future__ import annotations

import re
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from edge.analytics.lines import LineConfig
from edge.analytics.parking.config import STATES
from edge.analytics.parking.importers import load_spaces
from edge.config import CameraConfig, ZonesConfig, load_zones
from edge.detectors import OnnxDetectorSettings
from edge.detectors.motion import MotionDetectorSettings
from edge.errors import EdgeError
from edge.runner import CameraRunner
from edge.sources import IMAGE_SUFFIXES
from edge.store import Store

_NUM = r"\s*(-?\d+(?:\.\d+)?)\s*"
_LINE = re.compile(rf"^([A-Za-z0-9_.:-]+):{_NUM},{_NUM},{_NUM},{_NUM}$")
_DROPOFF = re.compile(rf"^([A-Za-z0-9_.-]+):({_NUM}(?:,{_NUM})*)$")


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


def parse_dropoff_arg(text: str, dwell_s: float | None) -> dict:
    """``ID:x1,y1,x2,y2,x3,y3[,...]`` -> a drop-off zone (as config data). EdgeError names the
    offending text."""
    m = _DROPOFF.match(text)
    nums = [float(v) for v in m.group(2).split(",")] if m else []
    if not m or len(nums) < 6 or len(nums) % 2:
        raise EdgeError(f"malformed --dropoff {text!r}: expected ID:x1,y1,x2,y2,x3,y3[,...] "
                        "(at least 3 points, e.g. bins:100,400,260,400,260,520)")
    zone: dict = {"id": m.group(1), "polygon": list(zip(nums[::2], nums[1::2], strict=True))}
    if dwell_s is not None:
        zone["dwell_s"] = dwell_s
    return zone


def add_dropoffs(zones: ZonesConfig, args: Sequence[str], dwell_s: float | None) -> ZonesConfig:
    """``zones`` plus the ``--dropoff`` zones; ``--dwell`` applies to every drop-off zone."""
    if not args and dwell_s is None:
        return zones
    dumping = zones.dumping.model_dump() if zones.dumping is not None else {"zones": []}
    if dwell_s is not None:
        dumping["zones"] = [{**z, "dwell_s": dwell_s} for z in dumping["zones"]]
    dumping["zones"] += [parse_dropoff_arg(t, dwell_s) for t in args]
    if not dumping["zones"]:
        raise EdgeError("--dwell needs a drop-off zone (--dropoff, or a zones file with one)")
    try:
        return ZonesConfig.model_validate({**zones.model_dump(), "dumping": dumping})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise EdgeError(f"--dropoff: {field}: {err['msg'].removeprefix('Value error, ')}") \
            from None


def add_spaces(zones: ZonesConfig, paths: Sequence[str]) -> ZonesConfig:
    """``zones`` plus one parking lot per PKLot XML/JSON file, named after the file."""
    if not paths:
        return zones
    lots = [load_spaces(p).lot.model_dump() for p in paths]
    parking = zones.parking.model_dump() if zones.parking is not None else {}
    try:
        return ZonesConfig.model_validate(
            {**zones.model_dump(), "parking": {**parking, "lots": [*parking.get("lots", []),
                                                                    *lots]}})
    except ValidationError as exc:
        raise EdgeError(f"--spaces: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") \
            from None


def build_camera(video: str, lines: list[str], zones_path: str | None, model: str | None,
                 threads: int | None = None, spaces: Sequence[str] = (),
                 dropoffs: Sequence[str] = (), dwell_s: float | None = None,
                 parallel: str | None = None) -> CameraConfig:
    """The camera ``edge analyze`` runs: zones from the file, then ``--line``, ``--spaces`` and
    ``--dropoff`` additions."""
    if not Path(video).is_file():
        kind = "image" if Path(video).suffix.lower() in IMAGE_SUFFIXES else "video"
        raise EdgeError(f"{kind} file not found: {video}")
    zones = load_zones(zones_path) if zones_path else ZonesConfig()
    extra = [parse_line_arg(t) for t in lines]
    try:
        zones = ZonesConfig.model_validate(
            {**zones.model_dump(), "lines": [*zones.model_dump()["lines"],
                                              *(ln.model_dump() for ln in extra)]})
    except ValidationError as exc:
        raise EdgeError(f"--line: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    zones = add_spaces(zones, spaces)
    zones = add_dropoffs(zones, dropoffs, dwell_s)
    detector: OnnxDetectorSettings | MotionDetectorSettings
    if model == "motion":
        detector = zones.motion or MotionDetectorSettings()
    else:
        detector = OnnxDetectorSettings(**({"model": model} if model else {}),
                                        **({"threads": threads} if threads else {}),
                                        **({"parallel": parallel} if parallel else {}))
    return CameraConfig(id="analyze", source=video, detector=detector, zones=zones)


def analyze(cam: CameraConfig, store_path: str | None = None, still_seconds: float = 3.0) -> dict:
    """Run the camera over its whole file (an image: ``still_seconds`` of it); return the
    ``edge analyze`` JSON document."""
    with tempfile.TemporaryDirectory() as tmp:
        with Store(store_path or Path(tmp) / "analyze.db") as store:
            runner = CameraRunner(cam, store, resume=False, still_seconds=still_seconds)
            if runner.dumping is not None:
                runner.dumping.keep_history = True  # the JSON lists every alert
            t0 = time.perf_counter()
            runner.run()
            wall = time.perf_counter() - t0
            totals = store.totals(cam.id)
    frames = runner.frames
    result = {
        "lines": totals,
        "frames": frames,
        "wall_s": round(wall, 3),
        "fps": round(frames / wall, 2) if wall > 0 else 0.0,
        "ms_per_frame": {k: round(v, 2) for k, v in runner.pipeline.clock.ms_per_frame().items()},
    }
    if runner.parking is not None:
        result["parking"] = parking_summary(runner.parking.states(), runner.parking.learnt())
    if runner.dumping is not None:
        result["alerts"] = runner.dumping.alerts()
    return result


def parking_summary(states: dict[str, dict[str, str]],
                    learnt: Mapping[str, int] | None = None) -> dict:
    """``{lot: {"occupied": n, "free": n, "unknown": n, "learnt": n, "spaces": {space: state}}}``;
    ``learnt``: how many spaces have a learnt empty-state reference (a count, as in the API).

    >>> summary = parking_summary({"p": {"1": "free", "2": "occupied", "3": "free"}}, {"p": 1})
    >>> summary["p"]["free"], summary["p"]["learnt"]
    (2, 1)
    """
    learnt = learnt or {}
    out = {}
    for lot, spaces in states.items():
        n = Counter(spaces.values())
        out[lot] = {**{state: n[state] for state in STATES}, "learnt": int(learnt.get(lot, 0)),
                    "spaces": spaces}
    return out
