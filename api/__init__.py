"""HTTP API: anonymous aggregates only (counts, coverage, camera health). See :mod:`api.app`."""

from api.app import CameraStatusProvider, create_app

__all__ = ["CameraStatusProvider", "create_app"]
