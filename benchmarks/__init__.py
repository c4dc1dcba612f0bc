"""Benchmarks of ``edge analyze`` on the sample clips: speed (``benchmarks.speed``) and line counts
against ground truth (``benchmarks.counts``).

Both run the service's own code (:func:`edge.analyze.build_camera`, then
:class:`edge.runner.CameraRunner` or :func:`edge.analyze.analyze`); this module only holds what they
share: which clip, which zones, which machine, and a Markdown table.

>>> print(markdown_table(["model", "fps"], [["yolox_nano", 31.2]]))
| model | fps |
|---|---:|
| yolox_nano | 31.20 |
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from edge.analyze import build_camera
from edge.assets import REPO, ClipManifest, load_clip_manifest, resolve_clip
from edge.config import CameraConfig
from edge.errors import EdgeError

ZONES_DIR = REPO / "zones"


@dataclass(frozen=True)
class Clip:
    """A clip to analyse: its file, the zones file or ``--line`` arguments that define its lines,
    and the ground-truth totals per line (``{line: {"in": n, "out": n}}``, empty when none)."""

    name: str
    path: Path
    zones: Path | None = None
    lines: tuple[str, ...] = ()
    truth: dict[str, dict[str, int]] = field(default_factory=dict)
    frames: int | None = None


def line_arg(line_id: str, p1: Sequence[float], p2: Sequence[float]) -> str:
    """The ``--line`` text of a line: ``ID:x1,y1,x2,y2``."""
    return f"{line_id}:" + ",".join(f"{v:g}" for v in (*p1, *p2))


def load_clip(name_or_path: str, manifest: ClipManifest | None = None,
              zones_dir: Path = ZONES_DIR) -> Clip:
    """A manifest clip by name (zones/<name>.yaml when it exists, else the manifest's lines), or
    any video file by path (no lines, no ground truth)."""
    if Path(name_or_path).is_file():
        path = Path(name_or_path)
        return Clip(name=path.stem, path=path)
    spec, path = resolve_clip(name_or_path, manifest or load_clip_manifest())
    zones = zones_dir / f"{spec.name}.yaml"
    truth = {ln: t.model_dump(by_alias=True) for ln, t in spec.line_totals.items()}
    lines = () if zones.is_file() else tuple(line_arg(ln.id, ln.p1, ln.p2) for ln in spec.lines)
    return Clip(name=spec.name, path=path, zones=zones if zones.is_file() else None,
                lines=lines, truth=truth, frames=spec.frames)


def camera_for(clip: Clip, model: str, threads: int | None = None) -> CameraConfig:
    """The camera ``edge analyze CLIP [--zones Z | --line ...] --model M --threads T`` builds."""
    return build_camera(str(clip.path), list(clip.lines), str(clip.zones) if clip.zones else None,
                        model, threads)


def split_names(values: Sequence[str]) -> list[str]:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]``: options take commas, repeats, or both."""
    return [v.strip() for text in values for v in text.split(",") if v.strip()]


def cpu_model() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    """Cores, CPU model, load average and library versions: the context of every figure."""
    import cv2
    import onnxruntime

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "load_avg": [round(v, 2) for v in load],
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "opencv": cv2.__version__,
    }


def machine_line(info: dict) -> str:
    load = "/".join(f"{v:.2f}" for v in info["load_avg"])
    return (f"Machine: {info['cores']} cores, {info['cpu']}; load average {load} (1/5/15 min); "
            f"Python {info['python']}, onnxruntime {info['onnxruntime']}, "
            f"OpenCV {info['opencv']}")


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "\\|")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub Markdown table: numeric columns right-aligned, floats with 2 decimals, None as
    an em dash."""
    if rows and any(len(r) != len(headers) for r in rows):
        raise ValueError(f"every row needs {len(headers)} cells")
    numeric = [any(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in rows)
               for i in range(len(headers))]
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    out += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in rows]
    return "\n".join(out)


def write_text(path: str, text: str) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
    except OSError as exc:
        raise EdgeError(f"cannot write {path}: {exc.strerror}") from None


def emit(text: str, report: dict, json_out: str | None, markdown: str | None) -> None:
    """Print the Markdown; write it and the JSON where asked."""
    import json

    print(text, end="")
    if json_out:
        write_text(json_out, json.dumps(report, indent=2) + "\n")
    if markdown:
        write_text(markdown, text)


def run_cli(prog: str, main: Callable[[list[str] | None], int], argv: list[str] | None) -> int:
    """Run ``main``; an :class:`EdgeError` is one line on stderr and its exit code (2)."""
    try:
        return main(argv)
    except EdgeError as exc:
        if os.environ.get("EDGE_DEBUG"):
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code
