"""Alerts and the webhook outbox in the store, and the recorder's alert path."""

from __future__ import annotations

from edge.analytics.base import DumpingAlert
from edge.recorder import Recorder
from edge.store import AlertRecord, Batch, Notification, Store

T0 = 1_700_000_000.0


def alert(aid: str, zone: str = "z1", raised: float = T0, cleared: float | None = None,
          camera: str = "cam1") -> AlertRecord:
    return AlertRecord(aid, camera, zone, raised - 60, raised, cleared, 0.12, "unknown_object")


def test_alerts_are_upserted_and_a_clear_is_never_undone(tmp_path):
    with Store(tmp_path / "s.db") as s:
        s.commit(Batch(alerts=[alert("a")]))
        s.commit(Batch(alerts=[alert("a", cleared=T0 + 100)]))
        s.commit(Batch(alerts=[alert("a")]))  # a re-analysed raise after the clear
        (a,) = s.alerts()
        assert a.cleared_at == T0 + 100 and a.status == "cleared"


def test_alert_filters(tmp_path):
    with Store(tmp_path / "s.db") as s:
        s.commit(Batch(alerts=[alert("old", raised=T0, cleared=T0 + 50),
                               alert("open", zone="z2", raised=T0 + 100),
                               alert("other", raised=T0 + 200, camera="cam2")]))
        assert [a.id for a in s.alerts()] == ["other", "open", "old"]  # newest first
        assert [a.id for a in s.alerts(camera="cam1")] == ["open", "old"]
        assert [a.id for a in s.alerts(zone="z2")] == ["open"]
        assert [a.id for a in s.alerts(status="open")] == ["other", "open"]
        assert [a.id for a in s.alerts(status="cleared")] == ["old"]
        # open at some time in [start, end): raised before end, not cleared before start
        assert [a.id for a in s.alerts(start=T0 + 60, end=T0 + 150)] == ["open"]
        assert [a.id for a in s.alerts(start=T0 + 10, end=T0 + 20)] == ["old"]
        assert [a.id for a in s.alerts(limit=1)] == ["other"]
        assert s.alert("open").zone == "z2" and s.alert("nope") is None


def test_outbox_keeps_one_row_per_webhook_and_key_until_delivered(tmp_path):
    with Store(tmp_path / "s.db") as s:
        note = Notification("hook", "a:raised", '{"x":1}')
        s.commit(Batch(alerts=[alert("a")], notifications=[note, Notification("h2", "a:raised",
                                                                               "{}")]))
        s.commit(Batch(notifications=[note]))  # queued again (re-analysis): ignored
        assert s.outbox_backlog() == {"h2": 1, "hook": 1}
        due = s.due_notifications(now=1e12)
        assert [(n.webhook, n.key, n.attempts) for n in due] == [("hook", "a:raised", 0),
                                                                   ("h2", "a:raised", 0)]
        s.retry_later(due[0].seq, next_at=2e12, error="refused")
        assert [n.webhook for n in s.due_notifications(now=1e12)] == ["h2"]
        assert s.next_notification_at() is not None
        s.delivered(due[1].seq, now=T0)
        assert s.outbox_backlog() == {"hook": 1}
        (again,) = s.due_notifications(now=3e12)
        assert again.attempts == 1 and again.body == '{"x":1}'


def test_recorder_commits_an_alert_with_its_notifications_at_once(tmp_path):
    clock = [0.0]
    with Store(tmp_path / "s.db") as s:
        def notify(ev: DumpingAlert) -> list[Notification]:
            return [Notification("hook", f"{ev.alert}:{ev.status}", "{}")]
        rec = Recorder(s, "cam1", "a.mp4", T0, flush_seconds=60, clock=lambda: clock[0],
                       notify=notify)
        assert not rec.maybe_flush(1.0)  # nothing urgent, flush period not reached
        rec.add([DumpingAlert("cam1", T0 + 70, 70.0, "a1", "z1", "raised", T0 + 10, T0 + 70,
                              None, 0.1, "unknown_object")])
        assert rec.maybe_flush(70.0)  # an alert does not wait for the flush period
        assert [a.id for a in s.alerts(status="open")] == ["a1"]
        assert s.outbox_backlog() == {"hook": 1}
        assert s.checkpoint("cam1").media_pos == 70.0
