"""Parking runs for ``edge bench``: a PKLot frame through the service's ParkingAnalytic.

The frame is analysed as a still: the first analysis also registers the empty-lot reference (a
one-off at start-up, timed apart); the next ``repeats`` analyses give the per-analysis cost of the
tiled detection + appearance check, in wall ms and CPU ms (all threads). ``cameras_at_1hz`` is how
many such cameras the machine's cores can analyse once a second each, from the CPU ms.
"""

from __future__ import annotations

import os
import resource
import time

import cv2

from edge.analytics.parking.analytic import ParkingAnalytic
from edge.analytics.parking.config import ParkingConfig, TilingConfig
from edge.analytics.parking.importers import load_spaces
from edge.assets import clip_ground_truth, load_clip_manifest, resolve_clip
from edge.detectors import DetectorPool, OnnxDetectorSettings, build_detector
from edge.errors import EdgeError
from edge.types import Frame, Tracks


def _cpu_s() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def run_parking(clip: str, model: str, threads: int, tile_px: int | None = None,
                repeats: int = 3) -> dict:
    """Accuracy and cost of one PKLot frame (an image clip with pklot_json ground truth)."""
    manifest = load_clip_manifest()
    spec, path = resolve_clip(clip, manifest)
    if spec.ground_truth is None or spec.ground_truth.format != "pklot_json":
        raise EdgeError(f"clip {clip!r} has no parking ground truth (pklot_json)")
    spaces = load_spaces(clip_ground_truth(spec), lot_id=clip)
    image = cv2.imread(str(path))
    reference = str(resolve_clip(spec.reference, manifest)[1]) if spec.reference else None
    tiling = TilingConfig() if tile_px is None else TilingConfig(tile_px=tile_px)
    cfg = ParkingConfig(lots=[spaces.lot], reference=reference, tiling=tiling)
    detector = build_detector(OnnxDetectorSettings(model=model, threads=threads))
    try:
        analytic = ParkingAnalytic("bench", cfg, detector, (image.shape[1], image.shape[0]))
        t0 = time.perf_counter()
        analytic.update(Frame(image, 0, 0.0, 0.0), Tracks.empty())
        first_ms = 1e3 * (time.perf_counter() - t0)
        states = analytic.states()[spaces.lot.id]
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
    right = sum(states[k] == ("occupied" if v else "free") for k, v in labelled.items())
    true_occ = sum(labelled.values())
    counted = sum(states[k] == "occupied" for k in labelled)
    cpu_ms = sorted(cpu)[len(cpu) // 2]
    return {
        "spaces": len(states), "labelled": len(labelled),
        "accuracy": round(right / len(labelled), 4), "errors": len(labelled) - right,
        "occupied": counted, "occupied_all": sum(s == "occupied" for s in states.values()),
        "unknown": sum(s == "unknown" for s in states.values()),
        "true_occupied": true_occ,
        "count_error": round((counted - true_occ) / true_occ, 4) if true_occ else None,
        "reference": spec.reference,
        "tiles": analytic.tiles, "tile_px": cfg.tiling.tile_px,
        "frame": f"{image.shape[1]}x{image.shape[0]}",
        "first_analysis_ms": round(first_ms, 1),
        "ms_per_analysis": round(sorted(wall)[len(wall) // 2], 1),
        "cpu_ms_per_analysis": round(cpu_ms, 1),
        "cameras_at_1hz": round((os.cpu_count() or 1) * 1000 / cpu_ms, 1) if cpu_ms else None,
    }
