"""``python -m benchmarks.counts``: line counts of each detector on the sample clips, against the
ground truth of sample_videos/manifest.yaml.

Each model x clip is one ``edge analyze`` run (:func:`edge.analyze.analyze`, the CLI's own code)
with zones/<clip>.yaml when it exists, else the manifest's lines.

    python -m benchmarks.counts
    python -m benchmarks.counts --models yolox_nano,motion --clips all --json out/counts.json
"""

from __future__ import annotations

import argparse
import logging
import sys

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
from edge.analyze import analyze
from edge.assets import load_clip_manifest
from edge.errors import EdgeError

DEFAULT_MODELS = "yolox_nano,picodet_s_416,nanodet_m,yolo11n_int8,motion"
DEFAULT_CLIPS = "pets2009-s2l1,pets2009-s3mf1,intel-car-detection"
DIRECTIONS = ("in", "out")


def clips_with_truth() -> list[str]:
    """Every video clip of the manifest with lines and line totals (``--clips all``)."""
    return [c.name for c in load_clip_manifest().clips
            if c.kind == "video" and c.lines and c.line_totals]


def score(lines: dict[str, dict[str, dict[str, int]]], truth: dict[str, dict[str, int]],
          clip: str = "") -> list[dict]:
    """Counts (``{line: {direction: {class: n}}}``, as ``edge analyze`` writes them) against the
    ground truth (``{line: {"in": n, "out": n}}``, all classes): one row per line and direction."""
    rows = []
    for line, want in truth.items():
        if line not in lines:
            raise EdgeError(f"clip {clip}: the analysed zones have no line {line!r} of the "
                            f"ground truth (lines: {', '.join(lines) or 'none'})")
        for direction in DIRECTIONS:
            by_class = {c: n for c, n in lines[line].get(direction, {}).items() if n}
            count, gt = sum(by_class.values()), want[direction]
            rows.append({"line": line, "direction": direction, "count": count, "truth": gt,
                         "abs_error": abs(count - gt),
                         "rel_error": round(abs(count - gt) / gt, 4) if gt else None,
                         "by_class": by_class})
    return rows


def count_clip(clip: Clip, model: str, threads: int | None = 2) -> dict:
    """One ``edge analyze`` run of ``model`` on ``clip``, scored per line and direction."""
    result = analyze(camera_for(clip, model, threads))
    return {"model": model, "clip": clip.name, "frames": result["frames"], "fps": result["fps"],
            "rows": score(result["lines"], clip.truth, clip.name)}


def run_counts(clips: list[Clip], models: list[str], threads: int | None = 2,
               log: bool = True) -> dict:
    machine = machine_info()
    results = []
    for model in models:
        for clip in clips:
            res = count_clip(clip, model, threads)
            if log:
                err = sum(r["abs_error"] for r in res["rows"])
                print(f"{model} on {clip.name}: abs error {err} at {res['fps']} fps",
                      file=sys.stderr)
            results.append(res)
    return {"benchmark": "counts", "threads": threads, "machine": machine,
            "clips": [c.name for c in clips], "models": models, "results": results}


def summary(report: dict) -> list[dict]:
    """Per model: summed absolute error over every clip, line and direction."""
    out = []
    for model in report["models"]:
        mine = [r for r in report["results"] if r["model"] == model]
        rows = [row for r in mine for row in r["rows"]]
        err, gt = sum(r["abs_error"] for r in rows), sum(r["truth"] for r in rows)
        exact = sum(r["abs_error"] == 0 for r in rows)
        out.append({"model": model, "abs_error": err, "truth": gt,
                    "rel_error": round(err / gt, 4) if gt else None,
                    "exact": f"{exact}/{len(rows)}",
                    "fps": {r["clip"]: r["fps"] for r in mine}})
    return out


def _by_class(by_class: dict[str, int]) -> str:
    return ", ".join(f"{c} {n}" for c, n in by_class.items()) or "—"


def _pct(rel: float | None) -> str | None:
    return None if rel is None else f"{100 * rel:.0f} %"


def to_markdown(report: dict) -> str:
    headers = ["model", "clip", "line", "dir", "count", "truth", "abs err", "rel err",
               "by class", "fps"]
    rows = [[r["model"], r["clip"], row["line"], row["direction"], row["count"], row["truth"],
             row["abs_error"], _pct(row["rel_error"]), _by_class(row["by_class"]), r["fps"]]
            for r in report["results"] for row in r["rows"]]
    clips = report["clips"]
    sum_rows = [[s["model"], s["abs_error"], s["truth"], _pct(s["rel_error"]), s["exact"],
                 *(s["fps"].get(c) for c in clips)] for s in summary(report)]
    return "\n".join([
        f"## edge analyze line counts vs ground truth, onnxruntime threads {report['threads']}",
        "", machine_line(report["machine"]), "", markdown_table(headers, rows), "",
        "### Per model, all clips", "",
        markdown_table(["model", "Σ abs err", "Σ truth", "rel err", "exact", *(
            f"fps {c}" for c in clips)], sum_rows), ""])


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.counts",
                                description=__doc__.split("\n")[0])
    p.add_argument("--models", action="append", metavar="A,B,...",
                   help=f"manifest models, .onnx paths or 'motion' (default {DEFAULT_MODELS})")
    p.add_argument("--clips", action="append", metavar="A,B,...",
                   help=f"manifest clips with line totals, or 'all' (default {DEFAULT_CLIPS})")
    p.add_argument("--threads", type=int, default=2, help="onnxruntime threads (default 2)")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="write the report as JSON")
    p.add_argument("--markdown", metavar="OUT", help="write the Markdown tables here too")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    names = split_names(args.clips or [DEFAULT_CLIPS])
    if names == ["all"]:
        names = clips_with_truth()
    clips = [load_clip(n) for n in names]
    for clip in clips:
        if not clip.truth:
            raise EdgeError(f"clip {clip.name} has no line_totals in sample_videos/manifest.yaml")
    report = run_counts(clips, split_names(args.models or [DEFAULT_MODELS]), args.threads)
    emit(to_markdown(report), report, args.json_out, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(run_cli("benchmarks.counts", main, sys.argv[1:]))
