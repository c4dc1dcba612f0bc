"""Peer: Roboflow ``supervision`` ``LineZone`` counting tracks of Roboflow ``trackers``'
``ByteTrackTracker``, fed with the PRODUCT's detector, so that only tracking + counting differ.

    .venv-peers/bin/python -m benchmarks.peers.supervision_linezone --video V \
        --line lamp:430,0,430,576 --model yolox_nano --json out.json

Both peer parts run with their own defaults except where the product's set-up is the point of the
comparison: the detector (the product's, at its default score floor, all threads on each frame)
and the anchor (bottom-centre, the product's default; ``--anchor center`` for top-down cameras).
The tracker gets the video's frame rate. supervision's in/out is the reverse of ours and is mapped
(see convention.py).
"""

from __future__ import annotations

import sys
from importlib.metadata import version

import numpy as np

from benchmarks.peers import harness
from benchmarks.peers.convention import (
    Line,
    add_counts,
    empty_counts,
    supervision_to_ours,
)
from edge.classes import CLASSES
from edge.detectors import OnnxDetectorSettings, build_detector

PROG = "benchmarks.peers.supervision_linezone"
ANCHORS = ("bottom_center", "center")


def line_zones(lines: list[Line], anchor: str) -> list:
    import supervision as sv

    position = {"bottom_center": sv.Position.BOTTOM_CENTER, "center": sv.Position.CENTER}[anchor]
    return [sv.LineZone(start=sv.Point(*ln.p1), end=sv.Point(*ln.p2),
                        triggering_anchors=[position]) for ln in lines]


def zone_counts(lines: list[Line], zones: list) -> dict:
    """LineZone's per-class counters (keyed by our class index) -> our directions and names."""
    counts = empty_counts([ln.id for ln in lines])
    for ln, zone in zip(lines, zones, strict=True):
        for sv_dir, per in (("in", zone.in_count_per_class), ("out", zone.out_count_per_class)):
            named = {CLASSES[int(c)]: n for c, n in per.items() if c is not None}
            add_counts(counts, ln.id, supervision_to_ours(sv_dir), named)
    return counts


def main(argv: list[str] | None = None) -> int:
    p = harness.parser(PROG, __doc__.splitlines()[0])
    p.add_argument("--anchor", choices=ANCHORS, default="bottom_center",
                   help="box point that crosses (default bottom_center, as the product)")
    p.add_argument("--threads", type=int, default=2, help="onnxruntime threads (default 2)")
    args = p.parse_args(argv)
    lines = harness.parse_lines(args.line)
    with harness.open_video(args.video) as (cap, info):
        import supervision as sv
        from trackers import ByteTrackTracker

        # The product's detector (conf, NMS, rider merge) as fast as a frame-by-frame loop can
        # run it: every thread on each inference. The product's frame-parallel pool needs a
        # pipelined loop (frames in flight), which is the product's design, not this library's.
        settings = OnnxDetectorSettings(model=args.model, threads=args.threads,
                                        parallel="operators")
        detector = build_detector(settings)
        tracker = ByteTrackTracker(frame_rate=info.fps)
        zones = line_zones(lines, args.anchor)

        def step(image: np.ndarray) -> None:
            det = detector.detect(image)
            tracked = tracker.update(sv.Detections(
                xyxy=det.xyxy.astype(np.float32), confidence=det.scores.astype(np.float32),
                class_id=det.classes.astype(int)))
            for zone in zones:
                zone.trigger(tracked)

        timing = harness.timed_loop(cap, step)
    doc = harness.result(
        zone_counts(lines, zones), timing, "supervision",
        {"supervision": version("supervision"), "trackers": version("trackers")},
        model=args.model, anchor=args.anchor, detector_conf=settings.conf,
        tracker="trackers.ByteTrackTracker (defaults)")
    harness.write(doc, args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(harness.run_cli(PROG, main))
