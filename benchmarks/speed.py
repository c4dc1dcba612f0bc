"""``python -m benchmarks.speed``: how fast ``edge analyze`` runs, stage by stage.

Runs the service's own :class:`edge.runner.CameraRunner` (what ``edge analyze`` and ``edge run``
run) over a clip, so the figures are the service's: frames/s end to end with the decoder on its
own thread, ms per frame per stage, CPU seconds per second of video and peak RSS.

    python -m benchmarks.speed                       # S2L1, yolox_nano, 2 threads
    python -m benchmarks.speed --model yolox_nano nanodet_m motion --repeat 3 --json out/speed.json
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import cv2

from benchmarks import (
    Clip,
    camera_for,
    emit,
    load_clip,
    machine_info,
    machine_line,
    markdown_table,
    run_cli,
    split_names,
)
from edge.config import CameraConfig
from edge.detectors.onnx_model import DetectClock
from edge.errors import EdgeError
from edge.pipeline import Tap
from edge.runner import CameraRunner
from edge.store import Store

TARGET_FPS = 25.0  # the target: YOLOX-Nano, 2 cores, analysed frames per second
TARGET_MODEL = "yolox_nano"
TARGET_CORES = 2
# Column order of the per-frame split (ms), as in the JSON's ``ms_per_frame``.
STAGES = ("wall", "decode", "decode_alone", "decode_alone_cpu", "detect", "preprocess",
          "inference", "postprocess", "track", "count", "other")


def verdict(fps: float, target: float = TARGET_FPS) -> str:
    return "PASS" if fps >= target else "FAIL"


def decode_alone(path: Path) -> tuple[int, float, float]:
    """(frames, wall seconds, CPU seconds) to decode the whole file with nothing else running:
    the uncontended cost of what the source thread does (grab + retrieve into BGR). The CPU
    seconds include FFmpeg's own decoding threads."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            raise EdgeError(f"cannot decode video file: {path}")
        frames, cpu0, t0 = 0, _cpu_s(), time.perf_counter()
        while cap.grab():
            ok, _ = cap.retrieve()
            if not ok:
                break
            frames += 1
        return frames, time.perf_counter() - t0, _cpu_s() - cpu0
    finally:
        cap.release()


def _cpu_s(usage: resource.struct_rusage | None = None) -> float:
    """User + system CPU seconds of this process, all threads."""
    usage = usage or resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mib(usage: resource.struct_rusage) -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS
    return usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)


def run_once(cam: CameraConfig, taps: Sequence[Tap] = (), interval_s: int | None = None) -> dict:
    """One pass of the camera's runner over its file; raw seconds, not yet per frame.

    ``taps`` observe each frame in process (``edge bench`` scores tracks with them);
    ``interval_s`` adds the counts per interval of media time (the camera should start at 0).
    """
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        runner = CameraRunner(cam, store, resume=False)  # builds and warms up the detector
        runner.pipeline.taps.extend(taps)
        before = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        runner.run()
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF)
        totals = store.totals(cam.id)
        intervals = _intervals(store, cam, runner, interval_s) if interval_s else {}
    if runner.frames == 0:
        raise EdgeError(f"no frame of {cam.source} was analysed "
                        f"({runner.source.status().error or 'empty file?'})")
    clock = runner.pipeline.clock
    detect = getattr(runner.detector, "clock", None)
    return {
        "frames": runner.frames,
        "errors": runner.errors,
        "decoded": runner.source.status().frames,
        "source_fps": runner.source.source_fps,
        "wall_s": wall,
        "decode_s": runner.source.decode_s,
        "detect_s": clock.detect,
        "track_s": clock.track,
        "count_s": clock.analytics,
        "steps_s": ({"preprocess": detect.preprocess, "inference": detect.inference,
                     "postprocess": detect.postprocess} if isinstance(detect, DetectClock)
                    else None),
        # A frame pool runs this many detect steps at once: each frame costs 1/workers of them.
        "workers": getattr(runner.detector, "workers", 1),
        "cpu_s": _cpu_s(after) - _cpu_s(before),
        "peak_rss_mib": _peak_rss_mib(after),
        "lines": totals,
        "intervals": intervals,
    }


def _intervals(store: Store, cam: CameraConfig, runner: CameraRunner, interval_s: int
               ) -> dict[str, dict[str, list[int]]]:
    """All-class counts per line and direction in each interval of media time."""
    base = cam.start_time or 0.0
    end = base + runner.frames / (runner.source.source_fps or 25.0)
    stop = int(-(-end // interval_s) * interval_s)
    series = store.count_series(camera=cam.id, line=None, start=int(base), end=max(stop, 1),
                                interval_s=interval_s, classes=None)
    return {s.line: {"in": [sum(b.in_.values()) for b in s.buckets],
                     "out": [sum(b.out.values()) for b in s.buckets]} for s in series}


def summarise(run: dict, model: str, decode_alone_ms: tuple[float, float] | None = None,
              fps_runs: list[float] | None = None) -> dict:
    """One raw run -> the report row: ms per frame per stage, fps, CPU per video second."""
    n = run["frames"]
    ms = {"wall": run["wall_s"], "detect": run["detect_s"], "track": run["track_s"],
          "count": run["count_s"]}
    ms = {k: 1e3 * v / n for k, v in ms.items()}
    ms["decode"] = 1e3 * run["decode_s"] / max(run["decoded"], 1)
    ms["decode_alone"], ms["decode_alone_cpu"] = decode_alone_ms or (None, None)
    share = n * run.get("workers", 1)
    for step in ("preprocess", "inference", "postprocess"):
        ms[step] = 1e3 * run["steps_s"][step] / share if run["steps_s"] else None
    # What the analysis thread spent outside the stages: waiting for a frame, recording, looping.
    ms["other"] = ms["wall"] - ms["detect"] - ms["track"] - ms["count"]
    video_s = n / (run["source_fps"] or 25.0)
    fps = n / run["wall_s"]
    return {
        "model": model,
        "workers": run.get("workers", 1),
        "frames": n,
        "errors": run["errors"],
        "wall_s": round(run["wall_s"], 3),
        "fps": round(fps, 2),
        "fps_runs": [round(f, 2) for f in (fps_runs or [fps])],
        "target": verdict(fps),
        "ms_per_frame": {k: None if ms[k] is None else round(ms[k], 4) for k in STAGES},
        "video_s": round(video_s, 3),
        "cpu_s": round(run["cpu_s"], 3),
        "cpu_s_per_video_s": round(run["cpu_s"] / video_s, 3),
        "cores_busy": round(run["cpu_s"] / run["wall_s"], 2),
        "peak_rss_mib": round(run["peak_rss_mib"], 1),
        "lines": run["lines"],
    }


def measure(clip: Clip, model: str, threads: int | None = 2, repeat: int = 1,
            decode_alone_ms: tuple[float, float] | None = None) -> dict:
    """Run ``model`` over ``clip`` ``repeat`` times (a fresh runner and detector each time) and
    report the run with the median fps."""
    if repeat < 1:
        raise EdgeError(f"--repeat must be >= 1, got {repeat}")
    runs = [run_once(camera_for(clip, model, threads)) for _ in range(repeat)]
    fps = [r["frames"] / r["wall_s"] for r in runs]
    median = sorted(range(repeat), key=fps.__getitem__)[(repeat - 1) // 2]
    return summarise(runs[median], model, decode_alone_ms, fps)


def run_speed(clip: Clip, models: list[str], threads: int | None = 2, repeat: int = 1,
              log: bool = True) -> dict:
    """The whole report: machine, clip, one row per model."""
    machine = machine_info()  # load average before we add to it
    frames, wall, cpu = decode_alone(clip.path)
    alone = (1e3 * wall / frames, 1e3 * cpu / frames) if frames else None
    results = []
    for model in models:
        row = measure(clip, model, threads, repeat, alone)
        if log:
            print(f"{model}: {row['fps']} fps over {row['frames']} frames", file=sys.stderr)
        results.append(row)
    return {"benchmark": "speed", "clip": clip.name, "path": str(clip.path), "threads": threads,
            "repeat": repeat, "target_fps": TARGET_FPS, "machine": machine, "results": results}


def _fmt(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def to_markdown(report: dict) -> str:
    headers = ["model", "frames", "fps", "fps of each run", f"≥ {TARGET_FPS:g} fps",
               "wall ms/frame", "decode (thread)", "decode alone", "decode alone CPU", "detect",
               "pre", "infer", "post", "track", "count", "other", "CPU s / video s",
               "cores used", "peak RSS MiB"]
    rows = []
    for r in report["results"]:
        ms = r["ms_per_frame"]
        runs = " / ".join(f"{f:.1f}" for f in r["fps_runs"])
        rows.append([r["model"], r["frames"], r["fps"], runs, r["target"],
                     *(_fmt(ms[k]) for k in STAGES), r["cpu_s_per_video_s"], r["cores_busy"],
                     r["peak_rss_mib"]])
    first = report["results"][0] if report["results"] else {}
    seconds = f", {first['video_s']:g} s of video" if first else ""
    runs = f"median of {report['repeat']} runs" if report["repeat"] > 1 else "1 run"
    out = [f"## edge analyze speed: {report['clip']} ({first.get('frames', 0)} frames{seconds}), "
           f"onnxruntime threads {report['threads']}, {runs}", "",
           machine_line(report["machine"]), "", markdown_table(headers, rows), ""]
    out += [_target_line(r, report["machine"]) for r in report["results"]
            if r["model"] == TARGET_MODEL]
    return "\n".join(out).rstrip() + "\n"


def _target_line(row: dict, machine: dict) -> str:
    cores = machine["cores"]
    note = "" if cores == TARGET_CORES else f" (this machine has {cores} cores, not {TARGET_CORES})"
    return (f"Target (issue): ≥ {TARGET_FPS:g} analysed fps with {TARGET_MODEL} on "
            f"{TARGET_CORES} cores: **{row['target']}** at {row['fps']} fps{note}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.split(
        "\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clip", default="pets2009-s2l1",
                   help="a clip of sample_videos/manifest.yaml, or a video file")
    p.add_argument("--model", action="extend", nargs="+", metavar="NAME",
                   help="manifest model, .onnx path or 'motion'; several allowed "
                        "(default yolox_nano)")
    p.add_argument("--line", action="append", default=[], metavar="ID:x1,y1,x2,y2",
                   help="an extra counting line (repeatable)")
    p.add_argument("--threads", type=int, default=2, help="onnxruntime threads (default 2)")
    p.add_argument("--repeat", type=int, default=1, help="runs per model; the median is shown")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="write the report as JSON")
    p.add_argument("--markdown", metavar="OUT", help="write the Markdown table here too")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    clip = load_clip(args.clip)
    if args.line:
        clip = dataclasses.replace(clip, lines=(*clip.lines, *args.line))
    report = run_speed(clip, split_names(args.model or ["yolox_nano"]), args.threads, args.repeat)
    emit(to_markdown(report), report, args.json_out, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(run_cli("benchmarks.speed", main, sys.argv[1:]))
