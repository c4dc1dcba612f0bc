"""Detector plug-ins: one registry from family name to (settings model, class).

>>> sorted(DETECTORS)
['gfl', 'motion', 'ultralytics', 'yolox']
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from edge import assets
from edge.assets import is_model_path
from edge.detectors.base import Detector
from edge.detectors.gfl import GflDetector
from edge.detectors.motion import MotionDetector, MotionDetectorSettings
from edge.detectors.onnx_model import Family, OnnxDetector, OnnxDetectorSettings, OnnxModel
from edge.detectors.pool import DetectorPool
from edge.detectors.ultralytics import UltralyticsDetector
from edge.detectors.yolox import YoloxDetector
from edge.errors import EdgeError
from edge.manifest import Manifest, ModelSpec, Preprocess, load_manifest

ResolveModel = Callable[[str], tuple[ModelSpec, Path]]

# ONNX families share one settings model; the family comes from the model's manifest entry.
# Other kinds register under their settings' ``type`` (e.g. "motion") and are built as
# ``cls(settings)``.
DETECTORS: dict[str, tuple[type[BaseModel], type]] = {
    "yolox": (OnnxDetectorSettings, YoloxDetector),
    "gfl": (OnnxDetectorSettings, GflDetector),
    "ultralytics": (OnnxDetectorSettings, UltralyticsDetector),
    "motion": (MotionDetectorSettings, MotionDetector),
}

# How a model file that is not in the manifest is fed, by family (the upstream defaults).
_FAMILY_PREPROCESS = {
    "yolox": Preprocess(color="bgr", resize="letterbox", pad=114, align="topleft"),
    "ultralytics": Preprocess(color="rgb", std=(255.0, 255.0, 255.0), resize="letterbox",
                              pad=114, align="center"),
    "gfl": Preprocess(color="rgb", mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375),
                      resize="stretch", pad=0),
}


def build_detector(settings: BaseModel, resolve_model: ResolveModel | None = None,
                   manifest: Manifest | None = None,
                   registry: dict[str, tuple[type[BaseModel], type]] = DETECTORS
                   ) -> Detector | DetectorPool:
    """Build the detector a validated ``detector:`` section asks for.

    An ONNX detector with ``threads`` > 1 and ``parallel: frames`` is a :class:`DetectorPool`
    of ``threads`` single-threaded replicas on one session.

    ``resolve_model(name) -> (spec, path)`` finds a manifest model by name (default:
    :func:`edge.assets.resolve_model`, which may download). A ``model`` that is a path to an
    ``.onnx`` file is used as is, with the manifest entry of the same file name, else with
    ``settings.family`` and that family's usual preprocessing.
    """
    if isinstance(settings, OnnxDetectorSettings):
        if settings.parallel == "frames" and settings.threads > 1:
            one = settings.model_copy(update={"threads": 1})
            return DetectorPool(_build_onnx(one, resolve_model, manifest, registry),
                                settings.threads)
        return _build_onnx(settings, resolve_model, manifest, registry)
    kind = getattr(settings, "type", None)
    if kind not in registry:
        raise EdgeError(f"detector.type {kind!r} is not one of onnx, {', '.join(registry)}")
    settings_model, cls = registry[kind]
    if not isinstance(settings, settings_model):
        raise TypeError(f"{kind} detector needs {settings_model.__name__}, "
                        f"got {type(settings).__name__}")
    return cls(settings)


def _build_onnx(settings: OnnxDetectorSettings, resolve_model: ResolveModel | None,
                manifest: Manifest | None,
                registry: dict[str, tuple[type[BaseModel], type]]) -> OnnxDetector:
    if is_model_path(settings.model):
        path = Path(settings.model).expanduser()
        listed = (manifest or load_manifest()).models
        spec: ModelSpec | None = next((m for m in listed if m.file == path.name), None)
        if spec is None and settings.family is None:
            raise EdgeError(f"detector.model {path}: file not in models/manifest.yaml; "
                            "set detector.family (yolox, gfl or ultralytics)")
    elif resolve_model is None:
        spec, path = assets.resolve_model(settings.model, manifest)
    else:
        spec, path = resolve_model(settings.model)
    model = OnnxModel(path, settings.threads)
    if spec is None:
        spec = unlisted_spec(path, settings.family or "yolox", model)
    _, cls = registry[spec.family]
    return cls(spec, model, conf=settings.conf, nms_iou=settings.nms_iou)


def unlisted_spec(path: Path, family: Family, model: OnnxModel) -> ModelSpec:
    """A spec for a model file the manifest does not know: sizes from the file itself."""
    size = model.input_size
    if size is None:
        raise EdgeError(f"model file {path} has a dynamic input size; add it to "
                        "models/manifest.yaml with its input_size")
    strides: tuple[int, ...] = (8, 16, 32)
    if family == "gfl":  # one score and one box map per level, strides doubling from 8
        strides = tuple(8 << i for i in range(len(model.session.get_outputs()) // 2))
    return ModelSpec(name=path.stem, family=family, file=path.name, url=path.resolve().as_uri(),
                     sha256=hashlib.sha256(path.read_bytes()).hexdigest(), license="unknown",
                     input_size=size, preprocess=_FAMILY_PREPROCESS[family], strides=strides)


__all__ = [
    "DETECTORS", "Detector", "DetectorPool", "GflDetector", "OnnxDetector",
    "OnnxDetectorSettings", "OnnxModel", "ResolveModel", "UltralyticsDetector", "YoloxDetector",
    "build_detector", "unlisted_spec",
]
