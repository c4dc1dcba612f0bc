"""Run the product on the generated drop-off clips and score its alerts.

Each clip goes through ``edge analyze``'s own code path (the service's runner): its zones and
dwell time come from the clip's ground truth, as ``--dropoff``/``--dwell`` would give them.

    python -m benchmarks.dumping.evaluate [--model yolox_nano] [--only NAME ...]
                                          [--subset short|tune|check|all]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.dumping import scenarios
from benchmarks.dumping.generate import ensure, load_truth
from benchmarks.dumping.score import combine, score
from edge.analyze import analyze, build_camera


def dropoff_args(truth: dict) -> list[str]:
    """The clip's zones as ``--dropoff`` arguments."""
    return [f"{z['id']}:" + ",".join(f"{v:g}" for p in z["polygon"] for v in p)
            for z in truth["zones"]]


def run_clip(video: Path, model: str, threads: int | None = None) -> dict:
    """One generated clip: the product's alerts, their score and the run's cost."""
    truth = load_truth(video.with_suffix(".json"))
    cam = build_camera(str(video), [], None, model, threads,
                       dropoffs=dropoff_args(truth), dwell_s=float(truth["dwell_s"]))
    t0 = time.perf_counter()
    out = analyze(cam)
    wall = time.perf_counter() - t0
    result = score(out["alerts"], truth)
    result.update({"clip": truth["name"], "background": truth["background"],
                   "part": truth.get("part", "tune"),
                   "negatives": len(truth["negatives"]),
                   "alerts": out["alerts"], "fps": out["fps"], "wall_s": round(wall, 1),
                   "video_s": round(truth["frames"] / float(truth["fps"]), 1)})
    return result


def evaluate(names: Sequence[str] | None, model: str, threads: int | None = None) -> dict:
    """Every named clip (default: the whole set), then the combined figures of each part
    (``tune``: parameters were chosen on it; ``check``: never) and of the set."""
    runs = [run_clip(v, model, threads) for v in ensure(list(names) if names else None)]
    parts = {p: [r for r in runs if r["part"] == p] for p in ("tune", "check")}
    return {"model": model, "clips": runs,
            "parts": {p: {**combine(rs), "negatives": sum(r["negatives"] for r in rs)}
                      for p, rs in parts.items() if rs},
            "set": {**combine(runs), "negatives": sum(r["negatives"] for r in runs)}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="yolox_nano")
    p.add_argument("--threads", type=int)
    p.add_argument("--only", nargs="*")
    p.add_argument("--subset")
    p.add_argument("--json", dest="json_out")
    args = p.parse_args(argv)
    names = scenarios.subset(args.subset) if args.subset else args.only
    report = evaluate(names, args.model, args.threads)
    text = json.dumps(report, indent=1)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n")
    for r in report["clips"]:
        print(r["clip"], {k: r[k] for k in ("events", "detected", "false_alerts", "duplicates",
                                            "raise_delay_s", "clear_delay_s", "false_by")},
              file=sys.stderr)
    for part, r in report["parts"].items():
        print(f"{part}: recall {r['recall']}, false {r['false_alerts']} {r['false_by']}, "
              f"duplicates {r['duplicates']}, raise max {r['raise_delay_max']}, late "
              f"{r['raise_late']}, clear max {r['clear_delay_max']}, pass {r['pass']['all']}; "
              f"carried {r['carried']}", file=sys.stderr)
    print(json.dumps(report["set"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
