"""Drop-off alerts as the recorder stores them: DumpingAlert events turned into AlertRecords
(edge.publish.payload.record_of) and written with Store.commit, a raise first and its clear in a
later commit. Shared by test_alerts_api.py and test_no_leak.py."""

from __future__ import annotations

from api_fakes import HOUR0

from edge.analytics.base import DumpingAlert
from edge.publish.payload import record_of
from edge.store import Batch, Store

SITE = "test-town"
ZONES = {"cam1": {"bins-north": 60.0, "bins-south": 120.0}, "cam2": {"yard": 30.0}}


def _alert(camera: str, alert: str, zone: str, first: float, raised: float,
           cleared: float | None, size: float, cls: str) -> DumpingAlert:
    when = raised if cleared is None else cleared
    return DumpingAlert(camera, HOUR0 + when, when, alert, zone,
                        "raised" if cleared is None else "cleared", HOUR0 + first,
                        HOUR0 + raised, None if cleared is None else HOUR0 + cleared, size, cls)


# (raise, clear or None) per alert; times are seconds after HOUR0. By raise, newest first:
# a4, a3, a2, a1. a1 clears at +1000 exactly; a3 is raised at +3030.5 exactly.
EVENTS: dict[str, tuple[DumpingAlert, DumpingAlert | None]] = {
    "a1": (_alert("cam1", "a1", "bins-north", 100, 160, None, 0.12, "couch"),
           _alert("cam1", "a1", "bins-north", 100, 160, 1000, 0.12, "couch")),
    "a2": (_alert("cam1", "a2", "bins-south", 2000, 2120, None, 0.05, "unknown_object"), None),
    "a3": (_alert("cam2", "a3", "yard", 3000.25, 3030.5, None, 0.3, "refrigerator"),
           _alert("cam2", "a3", "yard", 3000.25, 3030.5, 5000, 0.3, "refrigerator")),
    "a4": (_alert("cam1", "a4", "bins-north", 6000, 6060, None, 0.2, "chair"), None),
}
NEWEST_FIRST = ["a4", "a3", "a2", "a1"]


def seed_alerts(store: Store) -> None:
    """Register the drop-off zones, commit every raise, then every clear."""
    for camera, zones in ZONES.items():
        store.register_dropoffs(camera, zones)
    store.commit(Batch(alerts=[record_of(raised) for raised, _ in EVENTS.values()]))
    store.commit(Batch(alerts=[record_of(c) for _, c in EVENTS.values() if c is not None]))


def latest(alert: str) -> DumpingAlert:
    """The alert's last event (its clear if it has one)."""
    raised, cleared = EVENTS[alert]
    return cleared or raised
