"""Multi-object tracking: Kalman motion model, association, and a ByteTrack-style tracker."""

from edge.tracking.bytetrack import ByteTracker, TrackerSettings

__all__ = ["ByteTracker", "TrackerSettings"]
