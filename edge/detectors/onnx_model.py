"""Shared ONNX machinery: settings, the onnxruntime session, and the detect pipeline.

A family (YOLOX, GFL, Ultralytics) only says how its outputs look (``bind_outputs``) and how to
turn them into candidate boxes (``decode_candidates``); preprocessing, NMS, the mapping back to
frame pixels and the rider merge are done once here.
"""

from __future__ import annotations

import copy
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import onnxruntime as ort
from pydantic import BaseModel, ConfigDict, Field

from edge.classes import COCO_NAMES, COCO_TO_CLASS
from edge.detectors.nms import nms
from edge.detectors.preprocess import InputTransform, Preprocessor
from edge.detectors.riders import merge_riders
from edge.errors import EdgeError
from edge.manifest import ModelSpec
from edge.types import Detections

Family = Literal["yolox", "gfl", "ultralytics"]

# COCO columns the product uses, and the product class of each (person -> pedestrian, ...).
PRODUCT_COCO_IDS: np.ndarray = np.flatnonzero(COCO_TO_CLASS >= 0)
PRODUCT_CLASS_OF_COLUMN: np.ndarray = COCO_TO_CLASS[PRODUCT_COCO_IDS]
_COCO_ID: dict[str, int] = {name: i for i, name in enumerate(COCO_NAMES)}


@dataclass(frozen=True, eq=False)
class ClassColumns:
    """Which COCO score columns a detector reads, and the output class each one becomes.

    ``coco_ids[k]`` is the k-th column read (a COCO class id) and ``class_of_column[k]`` its
    output class index; ``riders`` merges a person riding a bicycle/motorcycle into the vehicle
    (only meaningful for the product classes).
    """

    coco_ids: np.ndarray
    class_of_column: np.ndarray
    riders: bool

    @classmethod
    def of_names(cls, names: Sequence[str]) -> ClassColumns:
        """COCO class names -> columns whose classes index into ``names``; no rider merge.

        >>> c = ClassColumns.of_names(["couch", "person"])
        >>> c.coco_ids.tolist(), c.class_of_column.tolist(), c.riders
        ([57, 0], [0, 1], False)
        """
        if isinstance(names, str) or not names:
            raise ValueError(f"expected a non-empty sequence of COCO class names, got {names!r}")
        unknown = [n for n in names if n not in _COCO_ID]
        if unknown:
            raise ValueError(f"unknown COCO class {unknown[0]!r} (see edge.classes.COCO_NAMES)")
        if len(set(names)) != len(names):
            dup = next(n for n in names if list(names).count(n) > 1)
            raise ValueError(f"COCO class {dup!r} is named twice")
        return cls(np.array([_COCO_ID[n] for n in names], np.intp),
                   np.arange(len(names), dtype=np.int16), riders=False)


PRODUCT_COLUMNS = ClassColumns(PRODUCT_COCO_IDS, PRODUCT_CLASS_OF_COLUMN, riders=True)


class OnnxDetectorSettings(BaseModel):
    """``detector:`` section for an ONNX COCO model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["onnx"] = Field("onnx", description="detector kind")
    model: str = Field("yolox_nano", min_length=1, description=(
        "a model name from models/manifest.yaml, or a path to an .onnx file; for a path the "
        "family and preprocessing come from the manifest entry with the same file name"))
    family: Family | None = Field(None, description=(
        "output layout of a model file that is not in the manifest (ignored otherwise)"))
    conf: float = Field(0.1, ge=0.0, le=1.0, description=(
        "minimum detection score kept; low, because the tracker's second stage uses "
        "low-score boxes to keep occluded tracks alive (its own thresholds decide)"))
    nms_iou: float = Field(0.5, gt=0.0, le=1.0,
                           description="IoU above which a lower-scored box of the same class "
                                       "is suppressed")
    threads: int = Field(2, ge=1, description="CPU threads the detector uses")
    parallel: Literal["frames", "operators"] = Field("frames", description=(
        "how several threads share the work: 'frames' runs one single-threaded inference per "
        "thread, each on its own frame (1.2-1.7x the analysed frames/s of 'operators' on 2 "
        "cores; up to `threads` frames in flight); 'operators' splits each inference's "
        "operators over the threads (lowest latency per frame)"))


def _dims(shape: tuple) -> str:
    return "x".join(str(d) if isinstance(d, int) else "?" for d in shape)


def session_options(threads: int) -> ort.SessionOptions:
    """The engine configuration of every detector (and of the benchmark's CPU probe)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    # No busy-waiting between runs: the decoder thread and other cameras need those cycles.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # the public exports warn about unused initialisers
    return opts


class OnnxModel:
    """An onnxruntime CPU session on one file, with one float image input.

    Every failure to open it becomes an :class:`EdgeError` naming the file.
    """

    def __init__(self, path: Path | str, threads: int = 2) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise EdgeError(f"model file {self.path} not found")
        try:
            self.session = ort.InferenceSession(str(self.path), session_options(threads),
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped pybind errors
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc)
            raise EdgeError(f"model file {self.path} is not a readable ONNX model ({reason})"
                            ) from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or inputs[0].type != "tensor(float)" or len(inputs[0].shape) != 4:
            found = ", ".join(f"{i.name} {i.type} {_dims(tuple(i.shape))}" for i in inputs)
            raise EdgeError(f"model file {self.path} must take one float NCHW image input, "
                            f"has {found}")
        self.input_name: str = inputs[0].name
        self.input_shape: tuple = tuple(inputs[0].shape)

    @property
    def input_size(self) -> tuple[int, int] | None:
        """(width, height) fixed in the file, or None when dynamic."""
        h, w = self.input_shape[2], self.input_shape[3]
        return (w, h) if isinstance(w, int) and isinstance(h, int) else None

    def check_input(self, size: tuple[int, int]) -> None:
        """Raise unless the input is (1, 3, h, w) for the manifest's (w, h); dynamic dims pass."""
        w, h = size
        for got, want in zip(self.input_shape, (1, 3, h, w), strict=True):
            if isinstance(got, int) and got != want:
                raise EdgeError(f"model file {self.path} has input {_dims(self.input_shape)}, "
                                f"manifest says {w}x{h}")

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        return self.session.run(None, {self.input_name: tensor})


def grid_cells(input_size: tuple[int, int], strides: tuple[int, ...]
               ) -> tuple[np.ndarray, np.ndarray]:
    """Cell indices (n,2 as x,y) and strides (n,1) of all levels, row-major per level.

    A level has ceil(h/s) x ceil(w/s) cells (PicoDet's stride 64 on 416 input has 7x7).
    """
    w, h = input_size
    cells, level_strides = [], []
    for s in strides:
        gy, gx = np.mgrid[0:-(-h // s), 0:-(-w // s)]
        cells.append(np.stack([gx.ravel(), gy.ravel()], axis=1))
        level_strides.append(np.full(gx.size, s))
    return (np.concatenate(cells).astype(np.float32),
            np.concatenate(level_strides).astype(np.float32)[:, None])


def best_class(scores: np.ndarray, conf: float, class_of_column: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, the best class among ``scores`` (n, len(class_of_column)).

    Returns (rows at or above ``conf``, their score, their class). Rows are filtered before the
    argmax so that the common case (few objects) costs one max over the table.
    """
    top = scores.max(axis=1)
    rows = np.flatnonzero(top >= conf)
    best = scores[rows].argmax(axis=1)
    return rows, top[rows].astype(np.float32), class_of_column[best]


def cxcywh_to_xyxy(cxcy: np.ndarray, wh: np.ndarray) -> np.ndarray:
    half = wh * 0.5
    return np.concatenate([cxcy - half, cxcy + half], axis=1).astype(np.float32, copy=False)


@dataclass
class DetectClock:
    """Cumulative seconds of each detect step, for benchmarks (the warm-up run is not counted)."""

    preprocess: float = 0.0
    inference: float = 0.0
    postprocess: float = 0.0
    frames: int = 0


class OnnxDetector(ABC):
    """The detect pipeline shared by all ONNX families.

    The constructor checks the file's input against the manifest, runs the model once (warm-up)
    and lets the family check the real output shapes, so a wrong file fails at start-up.
    It reads the product's classes; :meth:`with_classes` gives a view on other COCO classes.
    """

    family: ClassVar[str]
    # Position of COCO class 0 on the family's class axis (after box and objectness values).
    class_offset: ClassVar[int] = 0

    def __init__(self, spec: ModelSpec, model: OnnxModel, conf: float = 0.3,
                 nms_iou: float = 0.5) -> None:
        model.check_input(spec.input_size)
        self.spec, self.model = spec, model
        self.conf, self.nms_iou = conf, nms_iou
        self._use_columns(PRODUCT_COLUMNS)
        self.preprocess = Preprocessor(spec.preprocess, spec.input_size)
        self.clock = DetectClock()
        w, h = spec.input_size
        try:
            outputs = model.run(np.zeros((1, 3, h, w), np.float32))
        except Exception as exc:  # onnxruntime's own error types
            raise EdgeError(f"model file {model.path} failed its first run "
                            f"({str(exc).strip()[:200]})") from None
        problem = self.bind_outputs([tuple(o.shape) for o in outputs])
        if problem:
            raise EdgeError(f"model file {model.path} does not look like a {self.family} model: "
                            f"{problem}")

    def detect(self, image: np.ndarray) -> Detections:
        t0 = time.perf_counter()
        tensor, transform = self.preprocess(image)
        t1 = time.perf_counter()
        outputs = self.model.run(tensor)
        t2 = time.perf_counter()
        dets = self.postprocess(outputs, transform)
        c = self.clock
        c.preprocess += t1 - t0
        c.inference += t2 - t1
        c.postprocess += time.perf_counter() - t2
        c.frames += 1
        return dets

    def replica(self) -> OnnxDetector:
        """Another detector on the same session (no second model load), with its own clock:
        safe to run on another thread at the same time (see :mod:`edge.detectors.pool`)."""
        twin = copy.copy(self)
        twin.clock = DetectClock()
        return twin

    def with_classes(self, names: Sequence[str], conf: float) -> OnnxDetector:
        """A view of this detector that finds the COCO classes ``names`` instead of the product's.

        The view shares the onnxruntime session and the decoding state (no second model load);
        its detections' ``classes`` index into ``names``, riders are not merged, and it keeps its
        own :class:`DetectClock` so that the product's timings stay the product's. Raises
        ValueError on a name that is not in :data:`edge.classes.COCO_NAMES`.
        """
        if not 0.0 <= conf <= 1.0:
            raise ValueError(f"conf {conf!r} is not between 0 and 1")
        view = self.replica()
        view.conf = conf
        view._use_columns(ClassColumns.of_names(names))
        return view

    def _use_columns(self, columns: ClassColumns) -> None:
        self.columns = columns
        # Indices into the family's class axis, computed once rather than per frame.
        self._class_index = columns.coco_ids + self.class_offset

    def postprocess(self, outputs: list[np.ndarray], transform: InputTransform) -> Detections:
        """Model outputs -> NMS'd detections in frame pixels (product view: riders merged into
        their vehicle)."""
        xyxy, scores, classes = self.decode_candidates(outputs)
        keep = nms(xyxy, scores, classes, self.nms_iou)
        dets = Detections(transform.to_image(xyxy[keep]), scores[keep],
                          classes[keep].astype(np.int16))
        return merge_riders(dets) if self.columns.riders else dets

    @abstractmethod
    def bind_outputs(self, shapes: list[tuple[int, ...]]) -> str | None:
        """Check the output shapes of a real run and remember where each tensor is.

        Returns None when they fit the family, else a short description of the mismatch.
        """

    @abstractmethod
    def decode_candidates(self, outputs: list[np.ndarray]
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Outputs -> (xyxy in input pixels, score, class) of rows scoring >= conf.

        Scores are read from the columns ``self._class_index`` and classed with
        :func:`best_class` and ``self.columns.class_of_column``.
        """
