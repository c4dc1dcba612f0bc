"""The product's object classes and their mapping from COCO.

Detections carry indices into ``CLASSES``; only these names ever reach the store and the API.
"""

from __future__ import annotations

import numpy as np

CLASSES: tuple[str, ...] = ("pedestrian", "bicycle", "motorcycle", "car", "bus", "truck")
CLASS_INDEX: dict[str, int] = {name: i for i, name in enumerate(CLASSES)}
PEDESTRIAN, BICYCLE, MOTORCYCLE, CAR, BUS, TRUCK = range(len(CLASSES))
RIDDEN = (BICYCLE, MOTORCYCLE)

COCO_NAMES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)

_COCO_TO_PRODUCT = {"person": PEDESTRIAN, "bicycle": BICYCLE, "car": CAR,
                    "motorcycle": MOTORCYCLE, "bus": BUS, "truck": TRUCK}

# Lookup table: COCO class id -> product class index, -1 where the product has no use for it.
COCO_TO_CLASS: np.ndarray = np.array(
    [_COCO_TO_PRODUCT.get(name, -1) for name in COCO_NAMES], dtype=np.int16
)


def parse_classes(names: list[str] | tuple[str, ...] | None) -> np.ndarray | None:
    """Class names -> sorted index array (None means every class). Raises ValueError on unknowns."""
    if names is None:
        return None
    unknown = [n for n in names if n not in CLASS_INDEX]
    if unknown:
        raise ValueError(f"unknown class {unknown[0]!r} (expected one of {', '.join(CLASSES)})")
    return np.array(sorted({CLASS_INDEX[n] for n in names}), dtype=np.int16)
