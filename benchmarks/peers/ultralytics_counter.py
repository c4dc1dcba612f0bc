"""Peer: Ultralytics solutions ``ObjectCounter`` (its own ONNX runtime, tracker and counting) on an
Ultralytics ONNX export.

    .venv-peers/bin/python -m benchmarks.peers.ultralytics_counter --video V \
        --line lamp:430,0,430,576 --model yolo11n_int8 --json out.json

Run as shipped: its default tracker (``tracktrack.yaml`` in 8.4; ``--tracker bytetrack.yaml`` for
the classic one), its default score floor, the box centre as the crossing point (not settable).
Only the product's classes are asked for. Its IN/OUT follow the image axes, not the line's
orientation, and are mapped to ours per line (see convention.py). One ``ObjectCounter`` counts one
line: further lines get their own counters that reuse the first one's tracks, so the model runs
once per frame.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np

from benchmarks.peers import harness
from benchmarks.peers.convention import (
    PRODUCT_COCO_IDS,
    Line,
    add_counts,
    empty_counts,
    product_class,
    ultralytics_to_ours,
)
from edge.errors import EdgeError

PROG = "benchmarks.peers.ultralytics_counter"
IMGSZ = 320  # the input size of the shared export (yolo11n_int8.onnx is 1x3x320x320)


def model_path(name_or_path: str) -> Path:
    """A manifest name (resolved as the product does) or an .onnx path."""
    if name_or_path.endswith(".onnx") or "/" in name_or_path:
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            raise EdgeError(f"model file {path} does not exist")
        return path
    from edge.assets import resolve_model

    spec, path = resolve_model(name_or_path)
    if spec.family != "ultralytics":
        raise EdgeError(f"model {name_or_path!r} is a {spec.family} model; Ultralytics runs only "
                        "its own exports (e.g. yolo11n_int8)")
    return path


def follow(follower, leader) -> None:
    """Make counter ``follower`` count ``leader``'s tracks of this frame instead of running its
    own model (both are ``ObjectCounter``s)."""
    def extract_tracks(im0: np.ndarray) -> None:
        follower.boxes, follower.clss = leader.boxes, leader.clss
        follower.track_ids, follower.confs = leader.track_ids, leader.confs
        removed = leader.model.predictor.trackers[0].removed_stracks_frame
        follower.forget_tracks([t.track_id for t in removed])
    follower.extract_tracks = extract_tracks


def counter_counts(lines: list[Line], counters: list) -> dict:
    """``classwise_count`` ({name: {"IN": n, "OUT": n}}) of each counter -> ours."""
    counts = empty_counts([ln.id for ln in lines])
    for ln, counter in zip(lines, counters, strict=True):
        for name, io in counter.classwise_count.items():
            cls = product_class(name)
            if cls is None:
                continue
            for ul_dir in ("IN", "OUT"):
                add_counts(counts, ln.id, ultralytics_to_ours(ln.p1, ln.p2, ul_dir),
                           {cls: io[ul_dir]})
    return counts


def main(argv: list[str] | None = None) -> int:
    p = harness.parser(PROG, __doc__.splitlines()[0])
    p.add_argument("--tracker", help="Ultralytics tracker YAML (default: ObjectCounter's own)")
    p.add_argument("--conf", type=float, help="score floor (default: ObjectCounter's own)")
    args = p.parse_args(argv)
    lines = harness.parse_lines(args.line)
    path = model_path(args.model)
    os.environ.setdefault("YOLO_OFFLINE", "1")  # no network here: no update checks, no downloads
    os.environ.setdefault("YOLO_VERBOSE", "False")
    with harness.open_video(args.video) as (cap, _info):
        from ultralytics import solutions

        opts = {k: v for k, v in (("tracker", args.tracker), ("conf", args.conf)) if v}
        counters = [solutions.ObjectCounter(
            region=[ln.p1, ln.p2], model=str(path), imgsz=IMGSZ, show=False,
            classes=list(PRODUCT_COCO_IDS), verbose=False, **opts) for ln in lines]
        for c in counters[1:]:
            follow(c, counters[0])

        def step(image: np.ndarray) -> None:
            for c in counters:
                c(image)

        timing = harness.timed_loop(cap, step)
    cfg = counters[0].CFG
    doc = harness.result(
        counter_counts(lines, counters), timing, "ultralytics",
        {"ultralytics": version("ultralytics"), "torch": version("torch"),
         "onnxruntime": version("onnxruntime")},
        model=args.model, anchor="center", detector_conf=cfg["conf"], tracker=cfg["tracker"])
    harness.write(doc, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(harness.run_cli(PROG, main))
