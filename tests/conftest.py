from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def assets() -> Path:
    """The real models and footage (../shared on the project's machines)."""
    env = os.environ.get("EDGE_ASSETS")
    if not env or not (Path(env.split(os.pathsep)[0]) / "footage").is_dir():
        pytest.skip("EDGE_ASSETS is not set to a folder with footage/ and models/")
    return Path(env.split(os.pathsep)[0])
