"""Run the real ``edge`` CLI in a subprocess, as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def edge(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def analyze(tmp_path: Path, video: Path, *args: str) -> dict:
    out = tmp_path / "result.json"
    proc = edge("analyze", str(video), *args, "--json", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out.read_text())


def counts(result: dict, line: str) -> dict[str, dict[str, int]]:
    """{direction: {class: n}} without the zero entries."""
    return {d: {c: n for c, n in per.items() if n} for d, per in result["lines"][line].items()}
