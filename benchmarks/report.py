"""The ``edge bench`` report: Markdown for people, JSON for tools, PNG plots.

Aggregates only: counts, errors, rates and timings. No frame, box, track or position.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from benchmarks import machine_line, markdown_table
from benchmarks.dumping.score import combine as combine_dumping

ACCURACY_PNG = "accuracy_vs_speed.png"
CLASS_PNG = "error_by_class.png"


def write_report(report: dict, out: Path, plots: bool = True) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md"]
    paths[0].write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    if plots:
        paths += _plots(report, out)
    paths[1].write_text(to_markdown(report, [p.name for p in paths[2:]]))
    return paths


def accuracy_only(report: dict) -> list[dict]:
    """What must not change between two runs of the same matrix (speed may), in run order."""
    return [{k: r[k] for k in ("tool", "model", "setting", "clip", "lines")}
            | {"suites": {n: _without_timing(v) for n, v in r["suites"].items() if n != "cost"}}
            for r in report["runs"]]


# Timings inside a non-cost suite (parking reports the cost of one analysis beside its accuracy).
_TIMING = ("first_analysis_ms", "ms_per_analysis", "cpu_ms_per_analysis", "cameras_at_1hz",
           "fps", "wall_s", "cpu_s")


def _without_timing(scores: dict) -> dict:
    return {k: v for k, v in scores.items() if k not in _TIMING}


def _line_runs(report: dict) -> list[dict]:
    """The runs on video clips with lines (parking and drop-off runs have their own tables)."""
    return [r for r in report["runs"] if "parking" not in r["suites"]
            and "dumping" not in r["suites"]]


def per_model(report: dict) -> list[dict]:
    """One row per tool x model x setting over all its clips."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in _line_runs(report):
        groups[(r["tool"], r["model"], r["setting"])].append(r)
    rows = []
    for (tool, model, setting), runs in groups.items():
        counted = [r["suites"]["counting"] for r in runs if "counting" in r["suites"]]
        truth = sum(c["truth_total"] for c in counted)
        cost = [r["suites"].get("cost", {}) for r in runs]
        fps = [c["fps"] for c in cost if c.get("fps")]
        first = next((c for c in cost if "model_mib" in c or "fps" in c), {})
        rows.append({
            "tool": tool, "model": model, "setting": setting, "clips": len(runs),
            "weighted_error": sum(c["abs_error"] for c in counted) / truth if truth else None,
            "fps": sum(fps) / len(fps) if fps else None,
            "cpu_s_per_video_s": _mean(c.get("cpu_s_per_video_s") for c in cost),
            "peak_rss_mib": max((c.get("peak_rss_mib") or 0 for c in cost), default=None) or None,
            "model_mib": first.get("model_mib"),
            "gflops": first.get("gflops_per_frame"),
            "infer_ms": _mean((c.get("ms_per_frame") or {}).get("inference") for c in cost),
            "floor_ms": first.get("floor_ms"),
            "floor_multiple": _mean(c.get("floor_multiple") for c in cost),
        })
    return rows


def per_class(report: dict) -> dict[tuple[str, str], dict[str, list[int]]]:
    """(tool, model) -> class -> [count, truth, abs error] summed over clips, lines and
    directions (errors summed as absolute values, so a miss and an extra never cancel)."""
    out: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0, 0]))
    for r in report["runs"]:
        for row in r["suites"].get("counting", {}).get("rows", []):
            cell = out[(r["tool"], r["model"])][row["class"]]
            cell[0] += row["count"]
            cell[1] += row["truth"]
            cell[2] += row["abs_error"]
    return out


def peers(report: dict) -> list[dict]:
    """Each peer run beside the product's run on the same clip and model."""
    edge = {(r["clip"], r["model"], r["setting"]): r for r in report["runs"] if r["tool"] == "edge"}
    rows = []
    for r in report["runs"]:
        twin = edge.get((r["clip"], r["model"], r["setting"]))
        if r["tool"] == "edge" or twin is None:
            continue
        e, p = twin["suites"].get("counting", {}), r["suites"].get("counting", {})
        ef, pf = twin["suites"]["cost"]["fps"], r["suites"].get("cost", {}).get("fps")
        rows.append({"clip": r["clip"], "model": r["model"], "peer": r["tool"],
                     "edge_error": e.get("weighted_error"), "peer_error": p.get("weighted_error"),
                     "edge_fps": ef, "peer_fps": pf,
                     "fps_ratio": round(ef / pf, 3) if ef and pf else None,
                     "runs": min(len(twin["suites"]["cost"].get("fps_runs") or [ef]),
                                 len(r["suites"].get("cost", {}).get("fps_runs") or [pf])),
                     "edge_counts": _compact(twin["lines"]), "peer_counts": _compact(r["lines"])})
    return rows


def peers_note(matrix: dict) -> str:
    """How the peers ran, from the matrix (the product's setting is the first of the axis)."""
    first = (matrix.get("settings") or [{}])[0]
    threads = first.get("threads") or matrix.get("threads", 2)
    parallel = first.get("parallel") or ("frames" if threads > 1 else "operators")
    how = {"frames": "frames in flight on single-threaded runs, so the fps ratio includes how "
                     "each schedules the detector, not only the counting logic",
           "operators": "one frame at a time, like supervision, so the fps ratio compares the "
                        "rest of the two pipelines"}[parallel]
    repeats = (matrix.get("peers") or {}).get("repeats", 1)
    median = "the mean of the 2" if repeats == 2 else f"the median of the {repeats}"
    return (f"Ultralytics runs its own pipeline on its own export. supervision's LineZone with "
            f"trackers' ByteTrack is fed the product's detector (same model, same {threads} "
            f"thread(s)) one frame at a time, all threads on each frame (`parallel: "
            f"operators`): that is its frame-by-frame loop. The product runs with `parallel: "
            f"{parallel}` ({how}). fps is {median} speed runs of each, product and peer "
            f"alternating, each first in turn.")


def _mean(values) -> float | None:  # noqa: ANN001
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _pct(v: float | None) -> str | None:
    return None if v is None else f"{100 * v:.1f} %"


def _compact(lines: dict) -> str:
    parts = []
    for line, dirs in lines.items():
        for d in ("in", "out"):
            n = sum(dirs.get(d, {}).values())
            parts.append(f"{line} {d} {n}")
    return ", ".join(parts)


def _truth_compact(counting: dict) -> str:
    agg: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in counting.get("rows", []):
        agg[(row["line"], row["direction"])][0] += row["count"]
        agg[(row["line"], row["direction"])][1] += row["truth"]
    return ", ".join(f"{ln} {d} {c}/{t}" for (ln, d), (c, t) in agg.items())


_PARKING_STILLS = (
    ("still", "One still, no empty image (`edge analyze lot.jpg --spaces`)"),
    ("reference", "One still, the camera's empty frame of another day as `reference` "
                  "(full-lot frames)"))


def _both(tuning: dict, check: dict, key: str, fmt=lambda v: v) -> str:  # noqa: ANN001
    return " / ".join("—" if d.get(key) is None else str(fmt(d[key])) for d in (tuning, check))


def parking_section(report: dict) -> list[str]:
    """Parking per mode: stills without and with an empty image, each scored with the shipped
    model (tuning) and the leave-one-camera-out one (check), then the stream clips."""
    runs = [(r, r["suites"]["parking"]) for r in report["runs"] if "parking" in r["suites"]]
    if not runs:
        return []
    threads = report["matrix"].get("parking", {}).get("threads", 1)
    out = ["", "## Parking (PKLot frames, spaces from their annotation files)", "",
           "Per-space accuracy over the labelled spaces (unknown counts as wrong), scored twice on "
           "the same analysis. **Tuning**: the shipped space model, fitted on all four frames "
           "(YOLOX-Nano scores), so these frames were seen. **Check**: a model fitted "
           "leave-one-camera-out with the row's detector on the other camera's frames only "
           "(`benchmarks/parking_fit.py`): a camera the model never saw. CPU ms per analysis with "
           f"onnxruntime on {threads} thread(s); cameras at 1 Hz = cores x 1000 / CPU ms."]
    for mode, title in _PARKING_STILLS:
        rows = [(r, p) for r, p in runs if p.get("mode", "reference" if p.get("reference")
                                                     else "still") == mode]
        if not rows:
            continue
        out += ["", f"### {title}", ""]
        out.append(markdown_table(
            ["clip", "model", "accuracy, tuning", "accuracy, check", "occupied tuning / check",
             "true occupied", "count error tuning / check", "tiles", "ms / analysis",
             "CPU ms / analysis", "cameras at 1 Hz"],
            [[r["clip"], r["model"], _pct(t.get("accuracy")), _pct(c.get("accuracy")),
              _both(t, c, "occupied"), p["true_occupied"], _both(t, c, "count_error", _pct),
              p["tiles"], p["ms_per_analysis"], p["cpu_ms_per_analysis"], p["cameras_at_1hz"]]
             for r, p in rows for t, c in [(p.get("tuning", p), p.get("check", {}))]]))
    streams = [(r, p) for r, p in runs if p.get("mode") == "stream"]
    if streams:
        out += ["", "### Stream, the empty state learnt (check model only)", "",
                "benchmarks/parking_stream.py: two real frames of one camera, the lot empty for "
                "2 min then full for 1 min (sensor noise, exposure drift), through the whole "
                "camera with no reference image; scored on the full frame's labels at the end. "
                "Learnt: spaces with a learnt empty-state reference when the full frame appears "
                "/ at the end. Cost: the whole camera (decoding, pipeline, parking) per analysis.",
                ""]
        out.append(markdown_table(
            ["clip", "model", "fitted on", "learnt at switch", "learnt at end",
             "accuracy, check", "occupied / true", "analyses", "ms / analysis",
             "CPU ms / analysis", "cameras at 1 Hz"],
            [[r["clip"], r["model"], ", ".join(c.get("fitted_on", [])) or None,
              f"{p['learnt_at_switch']} / {p['spaces']}", f"{p['learnt_at_end']} / {p['spaces']}",
              _pct(c["accuracy"]), f"{c['occupied']} / {p['true_occupied']}", p["analyses"],
              p["ms_per_analysis"], p["cpu_ms_per_analysis"], p["cameras_at_1hz"]]
             for r, p in streams for c in [p["check"]]]))
    return out


def dumping_section(report: dict) -> list[str]:
    """Drop-off alerts on the generated clips: per clip, then per model and part (tuning /
    check) with the acceptance checks, and the objects carried in by a person on their own."""
    runs = [r for r in report["runs"] if "dumping" in r["suites"]]
    if not runs:
        return []
    out = ["", "## Drop-off alerts (generated clips: real footage, composited objects)", "",
           "Objects composited into real clips at known frames, some carried in by a real "
           "walker of the footage who lingers beside them, then walks away (benchmarks/dumping). "
           "**tune**: the parameters were chosen on these clips (a tuning figure); **check**: "
           "backgrounds, zones and an object kind never used for tuning. Raise delay in seconds "
           "after the object is unattended (placed, or its owner walked away); clear delay "
           "after it was taken away; false alerts by cause.", ""]
    out.append(markdown_table(
        ["clip", "part", "background", "model", "events", "negatives", "detected", "duplicates",
         "false alerts", "raise delay max", "clear delay max", "fps"],
        [[r["clip"], d.get("part", "tune"), d["background"], r["model"], d["events"],
          d.get("negatives"), d["detected"], d["duplicates"], d["false_alerts"],
          max(d["raise_delay_s"], default=None), max(d["clear_delay_s"], default=None),
          d["fps"]]
         for r in runs for d in [r["suites"]["dumping"]]]))
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in runs:
        d = r["suites"]["dumping"]
        groups[(r["model"], d.get("part", "tune"))].append(d)
    rows, carried = [], []
    for (model, part), results in sorted(groups.items(), key=lambda kv: (kv[0][0],
                                                                          kv[0][1] != "check")):
        s = combine_dumping(results)
        false_by = ", ".join(f"{k} {n}" for k, n in s["false_by"].items()) or "—"
        rows.append([model, part, s["clips"], s["events"],
                     sum(d.get("negatives", 0) for d in results),
                     _pct(s["recall"]), f"{s['false_alerts']} ({false_by})",
                     s["duplicates"], s["raise_delay_max"], s["clear_delay_max"],
                     s["missed_clears"] + s["early_clears"],
                     "pass" if s["pass"]["all"] else "FAIL: " + ", ".join(
                         k for k, ok in s["pass"].items() if not ok and k != "all")])
        c = s["carried"]
        if c["events"]:
            carried.append([model, part, c["events"], _pct(c["recall"]), c["duplicates"],
                            c["raise_delay_max"], c["raise_late"], c["raise_early"]])
    out += ["", "Per model and part (acceptance: recall ≥ 95 %, ≤ 1 false alert, raise ≤ dwell "
            "+ 5 s, clear ≤ 10 s, no duplicate):", ""]
    out.append(markdown_table(
        ["model", "part", "clips", "events", "negatives", "recall", "false alerts (by cause)",
         "duplicates", "raise delay max", "clear delay max", "missed or early clears",
         "acceptance"], rows))
    if carried:
        out += ["", "Objects carried in by a person (included above), on their own line:", ""]
        out.append(markdown_table(
            ["model", "part", "events", "recall", "duplicates", "raise delay max",
             "raised late", "raised before the owner left"], carried))
    return out


def to_markdown(report: dict, images: list[str]) -> str:
    m = report["matrix"]
    out = ["# edge bench report", "",
           machine_line(report["machine"]),
           f"Started {report['started']}, {report['duration_s']:.0f} s for {len(report['runs'])} "
           f"runs; onnxruntime threads {m['threads']}; sustained CPU "
           f"{report['probe_gflops'] or '—'} GFLOP/s (probe).", "",
           "## Per model (all clips)", "",
           "Weighted count error = Σ |count − truth| over line × direction × class / Σ truth "
           "(a car counted as a truck is two errors).", ""]
    rows = per_model(report)
    out.append(markdown_table(
        ["tool", "model", "setting", "clips", "count error", "fps", "CPU s / video s",
         "peak RSS MiB", "model MiB", "GFLOPs/frame", "infer ms", "floor ms", "× floor"],
        [[r["tool"], r["model"], r["setting"], r["clips"], _pct(r["weighted_error"]), r["fps"],
          r["cpu_s_per_video_s"], r["peak_rss_mib"], r["model_mib"], r["gflops"], r["infer_ms"],
          r["floor_ms"], r["floor_multiple"]] for r in rows]))
    out += ["", "## Counts per clip (count / truth, all classes)", ""]
    out.append(markdown_table(
        ["clip", "tool", "model", "setting", "lines", "count error", "GEH max", "fps"],
        [[r["clip"], r["tool"], r["model"], r["setting"],
          _truth_compact(r["suites"].get("counting", {})) or _compact(r["lines"]),
          _pct(r["suites"].get("counting", {}).get("weighted_error")),
          r["suites"].get("counting", {}).get("geh_max"),
          r["suites"].get("cost", {}).get("fps")] for r in _line_runs(report)]))
    out += ["", "## Count error per class (all clips: count / truth, then the sum of "
            "|count − truth| per line and direction)", ""]
    classes = sorted({c for per in per_class(report).values() for c in per})
    out.append(markdown_table(
        ["tool", "model", *classes],
        [[tool, model, *(f"{per[c][0]}/{per[c][1]} (err {per[c][2]})" if c in per else None
                         for c in classes)]
         for (tool, model), per in per_class(report).items()]))
    tracked = [r for r in report["runs"] if "tracking" in r["suites"]]
    if tracked:
        out += ["", "## Tracking and detection (clips with box ground truth, pedestrians)", "",
                "HOTA, MOTA, IDF1 and ID switches by TrackEval; detection recall and precision at "
                "IoU 0.5 for boxes the tracker's first stage accepts.", ""]
        out.append(markdown_table(
            ["clip", "model", "setting", "HOTA", "DetA", "AssA", "MOTA", "IDF1", "IDSW",
             "det recall", "det precision"],
            [[r["clip"], r["model"], r["setting"], *(r["suites"]["tracking"].get(k) for k in
              ("HOTA", "DetA", "AssA", "MOTA", "IDF1", "IDSW")),
              r["suites"].get("detection", {}).get("recall"),
              r["suites"].get("detection", {}).get("precision")] for r in tracked]))
    out += parking_section(report)
    out += dumping_section(report)
    prs = peers(report)
    if prs:
        out += ["", "## Peers, same clip and same model", "", peers_note(report["matrix"]), ""]
        out.append(markdown_table(
            ["clip", "model", "peer", "edge counts", "peer counts", "edge error", "peer error",
             "runs", "edge fps", "peer fps", "fps ratio"],
            [[p["clip"], p["model"], p["peer"], p["edge_counts"], p["peer_counts"],
              _pct(p["edge_error"]), _pct(p["peer_error"]), p["runs"], p["edge_fps"],
              p["peer_fps"], p["fps_ratio"]] for p in prs]))
    if images:
        out += ["", "## Plots", ""] + [f"![{name}]({name})" for name in images]
    return "\n".join(out) + "\n"


def _plots(report: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in per_model(report) if r["fps"] and r["weighted_error"] is not None]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in rows:
        marker = "o" if r["tool"] == "edge" else "s"
        ax.scatter(r["fps"], 100 * r["weighted_error"], marker=marker)
        ax.annotate(f"{r['tool']}:{r['model']}" + ("" if r["setting"] == "default"
                                                   else f" ({r['setting']})"),
                    (r["fps"], 100 * r["weighted_error"]), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("analysed frames per second (log scale)")
    ax.set_ylabel("weighted count error, % (lower is better)")
    ax.set_title("Accuracy against speed")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / ACCURACY_PNG, dpi=110)
    plt.close(fig)

    per = per_class(report)
    classes = sorted({c for p in per.values() for c in p})
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / max(len(per), 1)
    for i, ((tool, model), cells) in enumerate(per.items()):
        # Absolute, not relative: a class with no true crossing (extra buses) still shows.
        errs = [cells[c][2] if c in cells else 0 for c in classes]
        ax.bar([x + i * width for x in range(len(classes))], errs, width, label=f"{tool}:{model}")
    ax.set_xticks([x + width * (len(per) - 1) / 2 for x in range(len(classes))], classes)
    ax.set_ylabel("|count − truth|, crossings (lower is better)")
    ax.set_title("Count error per class (all clips)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / CLASS_PNG, dpi=110)
    plt.close(fig)
    return [out / ACCURACY_PNG, out / CLASS_PNG]
