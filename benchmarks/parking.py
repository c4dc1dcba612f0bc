"""Parking runs for ``edge bench``: PKLot frames through the service's ParkingAnalytic, per mode.

Modes (``MODES``; the bench's setting name of each run):

* ``parking``: a still with nothing else, no empty image (``edge analyze lot.jpg --spaces``);
* ``parking-reference``: a still with its camera's empty frame of another day as the
  ``reference`` image (the frames whose manifest entry names one: the full-lot frames);
* ``parking-stream``: the stream clip of :mod:`benchmarks.parking_stream` (the lot empty, then
  full) through the whole camera, the empty state learnt from the stream.

Each still is scored twice on the same analysis: with the shipped space model (fitted on every
PKLot frame, these included: a **tuning** figure) and with the model fitted leave-one-camera-out
(:func:`benchmarks.parking_fit.leave_out`: on the other camera's frames only, so a **check**
figure, on a camera the model never saw). The stream runs with the check model only.

The first analysis of a still also registers the reference image, when there is one (a
one-off at start-up, timed apart); the next ``repeats`` analyses give the per-analysis cost of
the tiled detection + appearance cues, in wall ms and CPU ms (all threads). ``cameras_at_1hz``
is how many such cameras the machine's cores can analyse once a second each, from the CPU ms.
"""

from __future__ import annotations

import os
import resource
import time

import cv2

from edge.analytics.parking.analytic import ParkingAnalytic
from edge.analytics.parking.classifier import SpaceModel
from edge.analytics.parking.config import ParkingConfig, TilingConfig
from edge.analytics.parking.evidence import Cues, Evidence
from edge.analytics.parking.importers import load_spaces
from edge.analytics.parking.occupancy import NAMES, Occupancy
from edge.assets import resolve_clip
from edge.detectors import DetectorPool, OnnxDetectorSettings, build_detector
from edge.errors import EdgeError
from edge.types import Frame, Tracks

STILL, REFERENCE, STREAM = "parking", "parking-reference", "parking-stream"
MODES = (STILL, REFERENCE, STREAM)


def _cpu_s() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def _check_model(camera: str, model: str) -> SpaceModel:
    """The space model fitted without ``camera``'s frames (cached per process)."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise EdgeError("the parking check figures fit a space model with scikit-learn: "
                        "install the bench extra (pip install -e '.[bench]')") from None
    from benchmarks.parking_fit import leave_out

    return leave_out(camera, model)


def states_of(cues: Cues, model: SpaceModel, cfg: ParkingConfig) -> list[str]:
    """What a fresh analytic with ``model`` commits from one analysis's ``cues``: the space
    model's observation, through the same state machine (from unknown the first observation
    commits at once; a hidden space stays unknown)."""
    occupancy = Occupancy(len(cues.vehicle), cfg.occupy_s, cfg.vacate_s, cfg.unknown_after_s)
    occupancy.update(Evidence.observe(cues, model).obs, 0.0)
    return [NAMES[int(s)] for s in occupancy.state]


def _scores(states: dict[str, str], labels: dict, model: SpaceModel) -> dict:
    labelled = {k: v for k, v in labels.items() if v is not None}
    right = sum(states[k] == ("occupied" if v else "free") for k, v in labelled.items())
    true_occ = sum(labelled.values())
    counted = sum(states[k] == "occupied" for k in labelled)
    return {
        "fitted_on": list(model.trained_on.get("frames", [])),
        "fit_detector": model.trained_on.get("detector"),
        "accuracy": round(right / len(labelled), 4), "errors": len(labelled) - right,
        "occupied": counted, "occupied_all": sum(s == "occupied" for s in states.values()),
        "unknown": sum(s == "unknown" for s in states.values()),
        "count_error": round((counted - true_occ) / true_occ, 4) if true_occ else None,
    }


def run_parking(clip: str, model: str, threads: int, tile_px: int | None = None,
                repeats: int = 3, reference: bool = False) -> dict:
    """Accuracy (tuning and check) and cost of one PKLot frame as a still (an image clip with
    pklot_json ground truth); ``reference``: with its empty frame of another day."""
    from benchmarks.parking_fit import frame_by_clip

    frame = frame_by_clip(clip)
    if reference and frame.reference is None:
        raise EdgeError(f"clip {clip!r} names no reference frame in the manifest")
    spaces = load_spaces(frame.spaces, lot_id=clip)
    image = cv2.imread(str(frame.image))
    ref = str(resolve_clip(frame.reference)[1]) if reference else None
    tiling = TilingConfig() if tile_px is None else TilingConfig(tile_px=tile_px)
    cfg = ParkingConfig(lots=[spaces.lot], reference=ref, tiling=tiling)
    check = _check_model(frame.camera, model)
    detector = build_detector(OnnxDetectorSettings(model=model, threads=threads))
    try:
        analytic = ParkingAnalytic("bench", cfg, detector, (image.shape[1], image.shape[0]))
        seen: list[list] = []
        cues_of = analytic.cues  # tap the first analysis's cues, to score the check model too

        def tap(f: Frame) -> list:
            seen.append(cues_of(f))
            return seen[-1]

        analytic.cues = tap  # type: ignore[method-assign]
        t0 = time.perf_counter()
        analytic.update(Frame(image, 0, 0.0, 0.0), Tracks.empty())
        first_ms = 1e3 * (time.perf_counter() - t0)
        del analytic.cues
        states = analytic.states()[spaces.lot.id]
        ((cues, _),) = seen[0]
        ids = [s.id for s in spaces.lot.spaces]
        if states_of(cues, analytic.model, cfg) != [states[i] for i in ids]:
            raise EdgeError("parking bench: scoring the cues again does not give the "
                            "analytic's states (benchmarks/parking.py is out of date)")
        check_states = dict(zip(ids, states_of(cues, check, cfg), strict=True))
        wall, cpu = [], []
        for i in range(1, repeats + 1):
            c0, t0 = _cpu_s(), time.perf_counter()
            analytic.update(Frame(image, i, i * cfg.every_s, i * cfg.every_s), Tracks.empty())
            wall.append(1e3 * (time.perf_counter() - t0))
            cpu.append(1e3 * (_cpu_s() - c0))
    finally:
        if isinstance(detector, DetectorPool):  # threads > 1: its worker threads
            detector.close()
    labelled = {k: v for k, v in spaces.labels.items() if v is not None}
    cpu_ms = sorted(cpu)[len(cpu) // 2]
    return {
        "mode": "reference" if reference else "still",
        "spaces": len(states), "labelled": len(labelled),
        "true_occupied": sum(labelled.values()),
        "reference": frame.reference if reference else None,
        "camera": frame.camera,
        "tuning": _scores(states, spaces.labels, analytic.model),
        "check": _scores(check_states, spaces.labels, check),
        "tiles": analytic.tiles, "tile_px": cfg.tiling.tile_px,
        "frame": f"{image.shape[1]}x{image.shape[0]}",
        "first_analysis_ms": round(first_ms, 1),
        "ms_per_analysis": round(sorted(wall)[len(wall) // 2], 1),
        "cpu_ms_per_analysis": round(cpu_ms, 1),
        "cameras_at_1hz": round((os.cpu_count() or 1) * 1000 / cpu_ms, 1) if cpu_ms else None,
    }


def run_parking_stream(clip: str, model: str, threads: int) -> dict:
    """The stream clip ``clip`` (a name of :data:`benchmarks.parking_stream.STREAMS`) through
    the whole camera, with the check model; cost per analysis from the whole camera's wall and
    CPU time (decoding and pipeline included)."""
    from benchmarks.parking_stream import STREAMS, run_stream

    camera = next((k for k, s in STREAMS.items() if s.name == clip), None)
    if camera is None:
        raise EdgeError(f"unknown parking stream {clip!r} (known: "
                        f"{', '.join(s.name for s in STREAMS.values())})")
    from benchmarks.parking_fit import frame_by_clip

    # what run_stream(loco=True) loads (cached)
    check = _check_model(frame_by_clip(STREAMS[camera].full).camera, model)
    r = run_stream(camera, model, loco=True, threads=threads)
    n, true_occ = r["analyses"] or 1, r["true_occupied"]
    cpu_ms = 1e3 * r["cpu_s"] / n
    return {
        "mode": "stream", **{k: r[k] for k in (
            "spaces", "labelled", "true_occupied", "learnt_at_switch", "learnt_at_end",
            "converged_s", "empty_s", "full_s", "frames", "analyses", "wall_s", "cpu_s")},
        "camera": camera,
        "check": {"fitted_on": list(check.trained_on.get("frames", [])),
                  "fit_detector": check.trained_on.get("detector"),
                  "accuracy": r["accuracy"], "errors": r["errors"], "occupied": r["occupied"],
                  "count_error": round((r["occupied"] - true_occ) / true_occ, 4)
                  if true_occ else None},
        "ms_per_analysis": round(1e3 * r["wall_s"] / n, 1),
        "cpu_ms_per_analysis": round(cpu_ms, 1),
        "cameras_at_1hz": round((os.cpu_count() or 1) * 1000 / cpu_ms, 1) if cpu_ms else None,
    }
