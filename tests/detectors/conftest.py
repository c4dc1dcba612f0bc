"""Shared fixtures for detector tests: real assets (skipped without EDGE_ASSETS) and PETS frames."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.manifest import ModelSpec, load_manifest

PETS = "footage/pets2009-s2l1"


@pytest.fixture(scope="session")
def assets() -> Path:
    root = os.environ.get("EDGE_ASSETS")
    if not root or not (Path(root) / "models").is_dir():
        pytest.skip("EDGE_ASSETS is not set to a folder with models/ and footage/")
    return Path(root)


@pytest.fixture(scope="session")
def resolve_local(assets: Path):
    """name -> (spec, $EDGE_ASSETS/models/<file>): no cache, no download."""
    manifest = load_manifest()

    def resolve(name: str) -> tuple[ModelSpec, Path]:
        spec = manifest.get(name)
        assert spec is not None, name
        return spec, assets / "models" / spec.file

    return resolve


@pytest.fixture(scope="session")
def pets_frames(assets: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """Sixteen PETS 2009 S2L1 frames spread over the clip, each with its ground-truth boxes (xyxy).

    gt.txt is MOT (frame, id, x, y, w, h, ...), frame 1 = the first decoded frame.
    """
    gt = np.loadtxt(assets / PETS / "gt.txt", delimiter=",", ndmin=2)
    wanted = set(range(1, 795, 50))
    cap = cv2.VideoCapture(str(assets / PETS / "video.mp4"))
    frames, index = [], 0
    while len(frames) < len(wanted) and cap.grab():
        index += 1
        if index in wanted:
            ok, image = cap.retrieve()
            assert ok, f"cannot decode frame {index}"
            rows = gt[gt[:, 0] == index, 2:6].astype(np.float32)
            rows[:, 2:] += rows[:, :2]
            frames.append((image, rows))
    cap.release()
    assert len(frames) == len(wanted), "video shorter than expected"
    return frames
