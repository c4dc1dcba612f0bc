"""``edge bench``: models x clips x settings (and peer tools) against ground truth.

Every product run goes through the service's own :class:`edge.runner.CameraRunner` (what
``edge run`` and ``edge analyze`` run); the suites in :mod:`benchmarks.suites` score each run; the
report (Markdown, JSON, PNG plots) holds aggregate figures only — no frame, box or track.

    edge bench                                   # the default matrix, benchmarks/matrix.yaml
    edge bench --models yolox_nano --clips pets2009-s3mf1 --out out/quick --no-peers
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from tqdm import tqdm

from benchmarks import camera_for, line_arg, load_clip, machine_info, split_names
from benchmarks.dumping import scenarios
from benchmarks.dumping.evaluate import run_clip
from benchmarks.dumping.generate import ensure
from benchmarks.parking import REFERENCE, STILL, STREAM, run_parking, run_parking_stream
from benchmarks.parking_stream import STREAMS
from benchmarks.peers import PEERS, peer_model, peer_python, run_peer
from benchmarks.physics import Probe, run_probe
from benchmarks.report import write_report
from benchmarks.speed import run_once, summarise
from benchmarks.suites import SUITES
from benchmarks.suites.base import Capture, Run
from benchmarks.truth import Truth, load_truth
from edge.assets import load_clip_manifest, resolve_model
from edge.config import load_zones
from edge.detectors import OnnxDetectorSettings
from edge.errors import EdgeError
from edge.tracking import TrackerSettings
from edge.yamlconf import read_yaml, validate

DEFAULT_MATRIX = Path(__file__).resolve().parent / "matrix.yaml"
log = logging.getLogger(__name__)


class Setting(BaseModel):
    """One point of the settings axis; unset fields keep the product's defaults."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    threads: int | None = Field(None, ge=1, description="onnxruntime threads")
    parallel: Literal["frames", "operators"] | None = Field(None, description=(
        "how the detector uses its threads (see OnnxDetectorSettings.parallel)"))
    analysis_fps: float | None = Field(None, gt=0, description="analyse at most this rate")
    conf: float | None = Field(None, ge=0, le=1, description="detector score floor")
    tracker: dict = Field(default_factory=dict, description="TrackerSettings overrides")

    @field_validator("tracker")
    @classmethod
    def _valid_tracker(cls, v: dict) -> dict:
        TrackerSettings(**v)
        return v


class PeerMatrix(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tools: list[str] = list(PEERS)
    clips: list[str] = ["pets2009-s2l1", "intel-car-detection"]
    models: list[str] = Field(["yolox_nano"], description=(
        "product models; supervision runs each (on the product's detector), Ultralytics its "
        "own export (yolo11n_int8) unless the model is one"))
    repeats: int = Field(2, ge=1, description=(
        "speed runs of each peer and of the product beside it, alternating; fps is their median "
        "(a shared 2-core box drifts by +-10 % from one run to the next)"))

    @field_validator("tools")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = [t for t in v if t not in PEERS]
        if unknown:
            raise ValueError(f"unknown peer {unknown[0]!r} (known: {', '.join(PEERS)})")
        return v


class ParkingMatrix(BaseModel):
    """PKLot frames (image clips with pklot_json ground truth), each model on each: as a still
    without any empty image, and, where the manifest names one, with the empty frame of another
    day as the reference; then the stream clips (benchmarks/parking_stream.py)."""

    model_config = ConfigDict(extra="forbid")

    clips: list[str] = []
    models: list[str] = []
    streams: list[str] = Field(default_factory=list, description=(
        "stream clips of benchmarks/parking_stream.py (a minute of the whole camera each)"))
    stream_models: list[str] = []
    threads: int = Field(1, ge=1, description=(
        "onnxruntime threads per camera: one, as when many cameras share the box"))
    tile_px: int | None = Field(None, ge=32, description="override the tile size")

    @field_validator("streams")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        known = [s.name for s in STREAMS.values()]
        unknown = [c for c in v if c not in known]
        if unknown:
            raise ValueError(f"unknown parking stream {unknown[0]!r} (known: {', '.join(known)})")
        return v


class DumpingMatrix(BaseModel):
    """Generated drop-off clips (benchmarks/dumping: real footage, composited objects)."""

    model_config = ConfigDict(extra="forbid")

    clips: list[str] = Field(default_factory=list, description=(
        "scenario names of benchmarks/dumping/scenarios.py, or `all`"))
    models: list[str] = []
    threads: int = Field(2, ge=1)

    @field_validator("clips")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        known = scenarios.names()
        if v == ["all"]:
            return known
        unknown = [c for c in v if c not in known]
        if unknown:
            raise ValueError(f"unknown drop-off scenario {unknown[0]!r} (known: "
                             f"{', '.join(known)}, or all)")
        return v


class Matrix(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[str] = Field(min_length=1, description="manifest names, .onnx paths, motion")
    clips: list[str] = Field(min_length=1, description="sample_videos names or video paths")
    settings: list[Setting] = Field(default_factory=lambda: [Setting(name="default")])
    threads: int = Field(2, ge=1)
    interval_s: int = Field(60, ge=60, multiple_of=60, description="GEH interval")
    peers: PeerMatrix = Field(default_factory=PeerMatrix)
    parking: ParkingMatrix = Field(default_factory=ParkingMatrix)
    dumping: DumpingMatrix = Field(default_factory=DumpingMatrix)


@dataclass(frozen=True)
class Item:
    tool: str
    model: str
    setting: Setting
    clip: str


def load_matrix(path: Path) -> Matrix:
    data, lines = read_yaml(path)
    return validate(Matrix, data, path, lines)


def plan(m: Matrix, with_peers: bool) -> list[Item]:
    """The runs: product models x settings x clips (``motion`` only where a clip's zones give
    it size bounds), then each peer on its clips with, beside it, the product on the same model."""
    items = [Item("edge", model, s, clip) for model in m.models for s in m.settings
             for clip in m.clips if model != "motion" or _has_motion(clip)]
    items += [Item("edge", model, Setting(name=mode), clip)
              for model in m.parking.models for clip in m.parking.clips
              for mode in ((STILL, REFERENCE) if _has_reference(clip) else (STILL,))]
    items += [Item("edge", model, Setting(name=STREAM), clip)
              for model in m.parking.stream_models for clip in m.parking.streams]
    items += [Item("edge", model, Setting(name="dumping"), clip)
              for model in m.dumping.models for clip in m.dumping.clips]
    if with_peers:
        default = m.settings[0]
        for tool in m.peers.tools:
            for clip in m.peers.clips:
                # dict, not set: a stable order from one process to the next.
                for model in dict.fromkeys(peer_model(tool, pm) for pm in m.peers.models):
                    items.append(Item(tool, model, default, clip))
                    twin = Item("edge", model, default, clip)
                    if twin not in items:
                        items.append(twin)
    return items


def _has_reference(clip: str) -> bool:
    """A parking clip whose manifest entry names an empty frame of another day."""
    spec = load_clip_manifest().get(clip)
    return spec is not None and spec.reference is not None


def _has_motion(clip: str) -> bool:
    zones = load_clip(clip).zones
    return zones is not None and load_zones(zones).motion is not None


def run_item(item: Item, m: Matrix, probe: Probe | None, speed_only: bool = False) -> Run:
    """One run scored by the suites; ``speed_only``: the product runs without the benchmark's
    capture tap and intervals (instrumentation the peers do not carry), for fps alone."""
    if item.setting.name in (STILL, REFERENCE):
        raw = run_parking(item.clip, item.model, m.parking.threads, m.parking.tile_px,
                          reference=item.setting.name == REFERENCE)
        return Run("edge", item.model, item.setting.name, item.clip, Truth(), 1.0, {}, {},
                   parking=raw)
    if item.setting.name == STREAM:
        raw = run_parking_stream(item.clip, item.model, m.parking.threads)
        return Run("edge", item.model, STREAM, item.clip, Truth(), 1.0, {}, {}, parking=raw)
    if item.setting.name == "dumping":
        (video,) = ensure([item.clip])  # generated into the cache on first use
        raw = run_clip(video, item.model, m.dumping.threads)
        return Run("edge", item.model, "dumping", item.clip, Truth(), 1.0, {}, {}, dumping=raw)
    clip = load_clip(item.clip)
    spec = load_clip_manifest().get(clip.name)
    truth = load_truth(spec) if spec else Truth()
    fps_video = spec.fps if spec else 25.0
    if item.tool != "edge":
        return _run_peer(item, clip, truth, fps_video, item.setting.threads or m.threads)
    cam = camera_for(clip, item.model, item.setting.threads or m.threads)
    _apply(cam, item.setting)
    cam.start_time = 0.0  # bins in media time, so intervals line up with the ground truth
    capture = Capture()
    raw = run_once(cam, taps=[] if speed_only else [capture],
                   interval_s=None if speed_only else m.interval_s)
    cost = summarise(raw, item.model)
    model_path = None
    if isinstance(cam.detector, OnnxDetectorSettings):
        model_path = Path(cam.detector.model) if cam.detector.model.endswith(".onnx") \
            else resolve_model(cam.detector.model)[1]
    return Run("edge", item.model, item.setting.name, clip.name, truth, fps_video, raw["lines"],
               cost, raw["intervals"], m.interval_s, capture, model_path, probe)


def _apply(cam, s: Setting) -> None:  # noqa: ANN001
    if s.analysis_fps is not None:
        cam.analysis_fps = s.analysis_fps
    if isinstance(cam.detector, OnnxDetectorSettings):
        update = {k: v for k, v in (("conf", s.conf), ("parallel", s.parallel)) if v is not None}
        cam.detector = cam.detector.model_copy(update=update)
    if s.tracker:
        cam.tracker = TrackerSettings(**{**cam.tracker.model_dump(), **s.tracker})


def _run_peer(item: Item, clip, truth, fps_video: float, threads: int) -> Run:  # noqa: ANN001
    """A peer on the clip's lines, scored on the same terms as the product: the zones' class
    filter applies to its counts, and supervision uses the zones' anchor."""
    zones = load_zones(clip.zones) if clip.zones is not None else None
    lines = [line_arg(ln.id, ln.p1, ln.p2) for ln in zones.lines] if zones else list(clip.lines)
    extra: list[str] = []
    if item.tool == "supervision":  # the product's detector, with the product run's threads
        extra = ["--threads", str(threads)]
        if zones and any(ln.anchor == "center" for ln in zones.lines):
            extra += ["--anchor", "center"]
    out = run_peer(item.tool, clip.path, lines, item.model, extra=extra)
    if out is None:
        raise EdgeError(f"peer {item.tool} is not installed: run `make bench-peers`")
    counts = out["lines"]
    for ln in zones.lines if zones else ():
        if ln.classes is not None and ln.id in counts:
            counts[ln.id] = {d: {c: n for c, n in per.items() if c in ln.classes}
                             for d, per in counts[ln.id].items()}
    cost = {"fps": out["fps"], "wall_s": out.get("wall_s")}
    return Run(item.tool, item.model, item.setting.name, clip.name, truth, fps_video, counts, cost)


def score(run: Run) -> dict:
    return {name: suite.score(run) for name, suite in SUITES.items() if suite.applies(run)}


def speed_rounds(items: list[Item], m: Matrix) -> list[list[int]]:
    """Speed runs for the peer comparison: per round, each peer and the product's run on the same
    clip and model, one after the other, so a drift of the machine hits both alike; their fps is
    the median over the rounds. Returns indices into ``items``, one list per round."""
    rounds = []
    for r in range(m.peers.repeats):
        order: list[int] = []
        for i, item in enumerate(items):
            if item.tool == "edge":
                continue
            twin = items.index(Item("edge", item.model, item.setting, item.clip))
            order += [i, twin] if r % 2 == 0 else [twin, i]  # each first in turn
        rounds.append(order)
    return rounds


def run_matrix(m: Matrix, with_peers: bool, progress: bool = True) -> dict:
    items = plan(m, with_peers)
    rounds = speed_rounds(items, m) if with_peers else []
    probe = _probe(m.threads)
    started = time.time()
    rows = []
    bar = tqdm(total=len(items) + sum(map(len, rounds)), desc="edge bench", unit="run",
               disable=not progress)
    for item in items:
        run = run_item(item, m, probe)
        rows.append({"tool": item.tool, "model": item.model, "setting": item.setting.name,
                     "clip": item.clip, "lines": run.lines, "suites": score(run)})
        bar.update()
    fps: dict[int, list[float]] = {i: [] for order in rounds for i in order}
    for order in rounds:
        for i in order:
            run = run_item(items[i], m, probe, speed_only=True)
            fps[i].append(run.cost["fps"])
            if run.lines != rows[i]["lines"]:  # accuracy must not depend on the run
                rows[i]["suites"]["cost"]["counts_differ_between_runs"] = True
            bar.update()
    bar.close()
    for i, values in fps.items():
        cost = rows[i]["suites"]["cost"]
        cost["fps_runs"] = values
        cost["fps"] = round(statistics.median(values), 2)
    return {
        "machine": machine_info(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "probe_gflops": round(probe.fp32_gflops, 1),
        "probe_int8_gops": round(probe.int8_gops, 1),
        "matrix": m.model_dump(),
        "runs": rows,
    }


def _probe(threads: int) -> Probe:
    """This CPU's sustained throughput with the product's engine and threads (the floor)."""
    return run_probe(threads=threads, seconds=1.0)


def parser(p: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    p = p or argparse.ArgumentParser(prog="edge bench", description=__doc__.splitlines()[0])
    p.add_argument("--matrix", default=str(DEFAULT_MATRIX), help="matrix file (YAML)")
    p.add_argument("--models", action="append", default=[], help="override the matrix models")
    p.add_argument("--clips", action="append", default=[], help="override the matrix clips")
    p.add_argument("--out", default="out/bench", help="report folder")
    p.add_argument("--no-peers", action="store_true", help="skip the peer tools")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    return p


def focus_models(m: Matrix, models: list[str]) -> None:
    """``--models``: these models on the counting clips; the parking and drop-off sections keep
    only those of their models that are named."""
    m.models = models
    m.parking.models = [x for x in m.parking.models if x in models]
    m.parking.stream_models = [x for x in m.parking.stream_models if x in models]
    m.dumping.models = [x for x in m.dumping.models if x in models]


def focus_clips(m: Matrix, clips: list[str]) -> None:
    """``--clips``: a name of the parking or drop-off section selects it there; every other name
    is a counting clip. Sections none of whose clips is named are left out."""
    special = set(m.parking.clips) | {s.name for s in STREAMS.values()} | \
        set(m.dumping.clips) | set(scenarios.names())
    m.clips = [c for c in clips if c not in special]
    m.parking.clips = [c for c in m.parking.clips if c in clips]
    m.parking.streams = [c for c in clips if c in {s.name for s in STREAMS.values()}]
    m.dumping.clips = [c for c in clips if c in scenarios.names()]


def main_args(args: argparse.Namespace) -> int:
    m = load_matrix(Path(args.matrix))
    if args.models:
        focus_models(m, split_names(args.models))
    if args.clips:
        focus_clips(m, split_names(args.clips))
    with_peers = not args.no_peers and peer_python() is not None
    if not args.no_peers and not with_peers:
        log.warning("peer tools not installed (make bench-peers): their rows are left out")
    report = run_matrix(m, with_peers)
    paths = write_report(report, Path(args.out), plots=not args.no_plots)
    print("\n".join(str(p) for p in paths))
    return 0
