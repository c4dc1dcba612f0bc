"""Fit the parking space model (:mod:`edge.analytics.parking.classifier`) on labelled frames,
and measure it leave-one-camera-out.

    python -m benchmarks.parking_fit [--model yolox_nano] [--write [PATH]]

The cues come from the service's own analytic (:meth:`ParkingAnalytic.cues`) on each labelled
PKLot frame of ``sample_videos/manifest.yaml``: once as a still without any reference (every
frame), once with its camera's empty frame of another day as the reference image (the frames
whose manifest entry names one). Two logistic regressions (scikit-learn) follow: without a
reference on ``vehicle, log texture``, with one on ``vehicle, log texture, similarity``.

**Leave one camera out**: for each camera, the model is fitted on the *other* cameras' frames
only and scored on this camera's frames, so each figure is measured on a camera the model never
saw (the check figure). The model the product ships is fitted on every frame (its figures on
these frames are tuning figures). ``--write`` writes that one (default: the packaged file).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from benchmarks import run_cli
from edge.analytics.parking.analytic import ParkingAnalytic
from edge.analytics.parking.classifier import DEFAULT_MODEL, FORMAT, Logit, SpaceModel
from edge.analytics.parking.config import ParkingConfig
from edge.analytics.parking.importers import load_spaces
from edge.assets import clip_ground_truth, load_clip_manifest, resolve_clip
from edge.detectors import DetectorPool, OnnxDetectorSettings, build_detector
from edge.errors import EdgeError
from edge.types import Frame

C = 10.0  # inverse L2 strength: mild, the cues are few and on comparable scales


@dataclass(frozen=True)
class LabelledFrame:
    clip: str
    camera: str          # the PKLot camera: the unit left out
    image: Path
    spaces: Path         # its annotation file (spaces and labels)
    reference: str | None  # the clip of its camera's empty frame of another day


def labelled_frames() -> list[LabelledFrame]:
    """Every image clip of the manifest with per-space ground truth (pklot_json)."""
    manifest = load_clip_manifest()
    out = []
    for spec in manifest.clips:
        gt = spec.ground_truth
        if spec.kind != "image" or gt is None or gt.format != "pklot_json":
            continue
        truth = clip_ground_truth(spec)
        camera = json.loads(Path(truth).read_text()).get("camera") or spec.name
        out.append(LabelledFrame(spec.name, str(camera), resolve_clip(spec.name, manifest)[1],
                                 Path(truth), spec.reference))
    return out


def frame_by_clip(clip: str) -> LabelledFrame:
    for f in labelled_frames():
        if f.clip == clip:
            return f
    raise EdgeError(f"clip {clip!r} has no parking ground truth (pklot_json)")


@dataclass(frozen=True)
class Rows:
    """Per labelled space: cues and label (occupied)."""

    vehicle: np.ndarray
    texture: np.ndarray
    similarity: np.ndarray  # NaN without a reference
    occupied: np.ndarray

    def __len__(self) -> int:
        return len(self.occupied)

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        return Rows(*(np.concatenate([getattr(p, k) for p in parts])
                      for k in ("vehicle", "texture", "similarity", "occupied")))


def _detector(model: str, threads: int):  # noqa: ANN202
    return build_detector(OnnxDetectorSettings(model=model, threads=threads))


def analytic_for(frame: LabelledFrame, detector, *, with_reference: bool,  # noqa: ANN001
                 classifier: str | None = None, **cfg: object) -> tuple[ParkingAnalytic, dict,
                                                                          np.ndarray]:
    """The service's analytic on one labelled frame (a still: nothing is learnt), with its
    labels and image."""
    spaces = load_spaces(frame.spaces, lot_id=frame.clip)
    image = cv2.imread(str(frame.image))
    ref = None
    if with_reference:
        if frame.reference is None:
            raise EdgeError(f"clip {frame.clip!r} has no reference frame")
        ref = str(resolve_clip(frame.reference)[1])
    config = ParkingConfig(lots=[spaces.lot], reference=ref, learn_reference=False,
                           classifier=classifier, **cfg)
    return (ParkingAnalytic("bench", config, detector, (image.shape[1], image.shape[0])),
            spaces.labels, image)


@cache
def frame_rows(clip: str, model: str, with_reference: bool, threads: int = 1) -> Rows:
    """The cues of one frame's labelled spaces (cached: each frame is analysed once)."""
    frame = frame_by_clip(clip)
    detector = _detector(model, threads)
    try:
        analytic, labels, image = analytic_for(frame, detector, with_reference=with_reference)
        ((cues, _),) = analytic.cues(Frame(image, 0, 0.0, 0.0))
    finally:
        if isinstance(detector, DetectorPool):
            detector.close()
    ids = [s.id for s in analytic.cfg.lots[0].spaces]
    keep = np.array([labels.get(i) is not None for i in ids])
    occ = np.array([bool(labels.get(i)) for i in ids])
    return Rows(cues.vehicle[keep], cues.texture[keep], cues.similarity[keep], occ[keep])


def _logit(rows: Rows, with_similarity: bool) -> Logit:
    from sklearn.linear_model import LogisticRegression  # bench extra: the runtime never fits

    cols = [rows.vehicle, np.log(np.maximum(rows.texture, 1e-3))]
    if with_similarity:
        cols.append(rows.similarity)
    if len(set(rows.occupied.tolist())) < 2:
        raise EdgeError("fitting the space model needs occupied and free spaces")
    fit = LogisticRegression(C=C, max_iter=1000).fit(np.stack(cols, axis=1), rows.occupied)
    coef = [float(c) for c in fit.coef_[0]]
    return Logit(intercept=float(fit.intercept_[0]), vehicle=coef[0], log_texture=coef[1],
                 similarity=coef[2] if with_similarity else 0.0)


def fit(frames: list[LabelledFrame], model: str) -> SpaceModel:
    """The space model fitted on ``frames`` (stills; with-reference rows where they exist)."""
    still = Rows.concat([frame_rows(f.clip, model, False) for f in frames])
    with_ref = [f for f in frames if f.reference is not None]
    if not with_ref:
        raise EdgeError("fitting the space model needs a frame with a reference image")
    ref = Rows.concat([frame_rows(f.clip, model, True) for f in with_ref])
    return SpaceModel(format=FORMAT, without_reference=_logit(still, False),
                      with_reference=_logit(ref, True), trained_on={
                          "frames": [f.clip for f in frames],
                          "reference_frames": [f.clip for f in with_ref],
                          "detector": model, "spaces": len(still), "C": C,
                          "fitted": datetime.date.today().isoformat(),
                          "by": "python -m benchmarks.parking_fit"})


@cache
def leave_out(camera: str, model: str) -> SpaceModel:
    """The space model fitted on every camera but ``camera``."""
    train = [f for f in labelled_frames() if f.camera != camera]
    if not train:
        raise EdgeError(f"no labelled frame of another camera than {camera!r} to fit on")
    return fit(train, model)


def model_file(model: SpaceModel, folder: Path, name: str) -> Path:
    """``model`` written as ``folder/name.json`` (for a ParkingConfig's ``classifier``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(model.to_json())
    return path


def _accuracy(model: SpaceModel, rows: Rows) -> float:
    from edge.analytics.parking.classifier import probability

    p = probability(model.logits(rows.vehicle, rows.texture, rows.similarity))
    return float(np.mean((p >= 0.5) == rows.occupied))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="yolox_nano", help="detector whose scores are fitted")
    ap.add_argument("--write", nargs="?", const=str(DEFAULT_MODEL), default=None,
                    metavar="PATH", help="write the model fitted on every frame "
                                         f"(default {DEFAULT_MODEL.name})")
    args = ap.parse_args(argv)
    frames = labelled_frames()
    print("leave one camera out (fitted on the other cameras, scored on this one):")
    for f in frames:
        m = leave_out(f.camera, args.model)
        line = f"  {f.clip}: still {_accuracy(m, frame_rows(f.clip, args.model, False)):.3f}"
        if f.reference:
            line += f", with reference {_accuracy(m, frame_rows(f.clip, args.model, True)):.3f}"
        print(line)
    if args.write:
        model = fit(frames, args.model)
        Path(args.write).write_text(model.to_json())
        print(f"wrote {args.write} (fitted on {len(frames)} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli("benchmarks.parking_fit", main, None))
