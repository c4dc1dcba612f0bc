"""What both peer runners share: their command line, the timed frame loop, and the JSON they write
(the ``edge analyze`` shape plus ``peer`` and ``versions``).

Runs in the peers venv; imports no peer library itself.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.peers.convention import Counts, Line, parse_line
from edge.errors import EdgeError


def parser(prog: str, doc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=doc)
    p.add_argument("--video", required=True, help="video file")
    p.add_argument("--line", action="append", default=[], metavar="ID:x1,y1,x2,y2",
                   help="counting line (repeatable), the edge analyze syntax and convention")
    p.add_argument("--model", required=True, help="manifest model name or path to an .onnx file")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="write the result here")
    return p


def parse_lines(texts: list[str]) -> list[Line]:
    if not texts:
        raise EdgeError("give at least one --line ID:x1,y1,x2,y2")
    lines = [parse_line(t) for t in texts]
    ids = [ln.id for ln in lines]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup is not None:
        raise EdgeError(f"--line id {dup!r} is given twice")
    return lines


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    fps: float
    width: int
    height: int


@contextmanager
def open_video(path: str) -> Iterator[tuple[cv2.VideoCapture, VideoInfo]]:
    """cv2.VideoCapture on a file; EdgeError when it is missing or unreadable."""
    if not Path(path).is_file():
        raise EdgeError(f"video file not found: {path}")
    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            raise EdgeError(f"video file {path} cannot be decoded by OpenCV")
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        info = VideoInfo(Path(path), float(fps), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                         int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        yield cap, info
    finally:
        cap.release()


@dataclass(frozen=True)
class LoopTiming:
    frames: int
    wall_s: float      # the whole loop: decode + detect + track + count
    first_s: float     # the first frame alone (a peer may set up its model lazily there)
    cpu_s: float       # CPU time of the process (all threads) over the loop: robust to load

    def fps(self) -> float:
        """Frames per second after the first frame (its lazy set-up is not throughput)."""
        rest = self.wall_s - self.first_s
        return round((self.frames - 1) / rest, 2) if self.frames > 1 and rest > 0 else 0.0


def timed_loop(cap: cv2.VideoCapture, step: Callable[[np.ndarray], None]) -> LoopTiming:
    """Decode every frame and feed it to ``step``; wall-clock the lot."""
    frames, first = 0, 0.0
    c0, t0 = time.process_time(), time.perf_counter()
    while True:
        ok, image = cap.read()
        if not ok:
            break
        step(image)
        frames += 1
        if frames == 1:
            first = time.perf_counter() - t0
    return LoopTiming(frames, time.perf_counter() - t0, first, time.process_time() - c0)


def result(counts: Counts, timing: LoopTiming, peer: str, versions: dict, **extra: object) -> dict:
    return {"lines": counts, "frames": timing.frames, "wall_s": round(timing.wall_s, 3),
            "fps": timing.fps(), "first_frame_s": round(timing.first_s, 3),
            "cpu_s": round(timing.cpu_s, 3), "load_avg": list(os.getloadavg()), "peer": peer,
            "versions": versions, **extra}


def write(doc: dict, json_out: str | None) -> None:
    text = json.dumps(doc, indent=2)
    if json_out:
        try:
            Path(json_out).parent.mkdir(parents=True, exist_ok=True)
            Path(json_out).write_text(text + "\n")
        except OSError as exc:
            raise EdgeError(f"cannot write {json_out}: {exc.strerror}") from None
    print(text)


def run_cli(prog: str, main: Callable[[], int]) -> int:
    """One line on stderr instead of a traceback: exit 2 for bad input (EdgeError), 1 for a peer
    library's own failure. EDGE_DEBUG=1 shows the traceback."""
    try:
        return main()
    except EdgeError as exc:
        if os.environ.get("EDGE_DEBUG"):
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a peer library's failure, reported as its one line
        if os.environ.get("EDGE_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        print(f"{prog}: error: {type(exc).__name__}: {first}", file=sys.stderr)
        return 1
