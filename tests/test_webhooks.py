"""Webhook delivery from the store's outbox, against real local HTTP receivers."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time

import pytest

from edge import __version__
from edge.analytics.base import DumpingAlert
from edge.config import WebhookConfig
from edge.errors import EdgeError
from edge.publish.notify import Notifier
from edge.publish.webhooks import WebhookDeliverer, backoff_s, sign, verify
from edge.store import Batch, Notification, Store
from tests.integration.service_helpers import free_port
from tests.webhook_receiver import Receiver

SECRET = "s3cret-for-tests-0123456789"
T0 = 1_767_225_600.0


class Clock:
    """A wall clock the test moves; it starts a little ahead of the store's, which dates the
    outbox rows (due at once) with the real time."""

    def __init__(self) -> None:
        self.t = time.time() + 5.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(autouse=True)
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "edge.db", bin_seconds=60) as s:
        yield s


def hook(url: str, hook_id: str = "city", **kw) -> WebhookConfig:
    return WebhookConfig(id=hook_id, url=url, secret_env="HOOK_SECRET", **kw)


def alert(status: str = "raised", alert_id: str = "a1") -> DumpingAlert:
    cleared = T0 + 90 if status == "cleared" else None
    return DumpingAlert("cam", T0 + 60, 60.0, alert_id, "corner", status, T0, T0 + 60, cleared,
                        0.12, "couch")


def queue(store: Store, hooks: list[WebhookConfig], *events: DumpingAlert) -> list[Notification]:
    """Queue ``events`` as the recorder does (same transaction as the alert)."""
    notify = Notifier("town", hooks, {"corner": [h.id for h in hooks]})
    notes = [n for e in events for n in notify(e)]
    store.commit(Batch(notifications=notes))
    return notes


def deliverer(store: Store, hooks: list[WebhookConfig], clock: Clock, **kw) -> WebhookDeliverer:
    return WebhookDeliverer(store, hooks, clock, rng=random.Random(7), jitter=0.0, **kw)


def wait_after_failure(store: Store, clock: Clock) -> float:
    nxt = store.next_notification_at()
    assert nxt is not None
    return nxt - clock.t


# -- signature -------------------------------------------------------------------------------------


def test_signature_is_hmac_sha256_of_the_body():
    # RFC 4231, test case 2
    assert sign(b"Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    body = b'{"event":"alert.raised"}'
    header = sign(SECRET, body)
    assert verify(SECRET, body, header)
    assert verify(SECRET.encode(), body.decode(), header)
    assert not verify(SECRET, body + b" ", header)
    assert not verify("another-secret-0123456", body, header)
    assert not verify(SECRET, body, header.removeprefix("sha256="))
    assert not verify(SECRET, body, None)
    assert not verify(SECRET, body, "")


def test_backoff_doubles_from_one_second_up_to_the_cap():
    assert [backoff_s(n, 30) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff_s(10_000, 300) == 300  # no overflow after a long outage
    rng = random.Random(3)
    draws = [backoff_s(4, 300, 0.1, rng.random()) for _ in range(200)]
    assert all(7.2 <= d <= 8.0 for d in draws)  # at most 10 % shorter, never longer
    assert len(set(draws)) > 100  # jittered, so edges do not retry in step


def test_a_missing_secret_fails_at_construction(store, monkeypatch):
    monkeypatch.delenv("HOOK_SECRET")
    with pytest.raises(EdgeError, match="HOOK_SECRET"):
        WebhookDeliverer(store, [hook("http://127.0.0.1:9/x")])


# -- delivery --------------------------------------------------------------------------------------


def test_delivers_the_stored_bytes_signed_with_the_idempotency_key(store):
    clock = Clock()
    with Receiver() as rx:
        notes = queue(store, [hook(rx.url)], alert("raised"))
        d = deliverer(store, [hook(rx.url)], clock)
        assert d.deliver_due(clock.t) == 1
        assert d.deliver_due(clock.t + 10) == 0  # acknowledged: never sent again
        (got,) = rx.received()
    assert got.path == "/hook"
    assert got.body == notes[0].body.encode()  # exactly the stored bytes
    h = {k.lower(): v for k, v in got.headers.items()}
    assert h["content-type"] == "application/json"
    assert h["idempotency-key"] == notes[0].key == "a1:raised"
    assert h["user-agent"] == f"edge/{__version__}"
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert h["x-edge-signature"] == f"sha256={expected}"
    assert verify(SECRET, got.body, h["x-edge-signature"])
    body = json.loads(got.body)
    assert body["event"] == "alert.raised" and body["alert"]["id"] == "a1"
    assert store.outbox_backlog() == {}
    assert store.next_notification_at() is None


@pytest.mark.parametrize("failure", [500, 503, "drop"], ids=["500", "503", "no-answer"])
def test_failures_are_retried_with_identical_bytes_and_signature(store, failure):
    clock = Clock()
    with Receiver(statuses=[failure, failure]) as rx:
        hooks = [hook(rx.url, max_backoff_s=60)]
        queue(store, hooks, alert("raised"))
        d = deliverer(store, hooks, clock)
        assert d.deliver_due(clock.t) == 0
        assert wait_after_failure(store, clock) == pytest.approx(1.0)
        clock.t += 0.5
        assert d.deliver_due(clock.t) == 0 and len(rx.received()) == 1  # not due yet
        clock.t += 0.5
        assert d.deliver_due(clock.t) == 0
        assert wait_after_failure(store, clock) == pytest.approx(2.0)
        clock.t += 2.0
        assert d.deliver_due(clock.t) == 1
        got = rx.received()
    assert len(got) == 3
    assert len({r.body for r in got}) == 1
    assert len({r.headers["X-Edge-Signature"] for r in got}) == 1
    assert {r.headers["Idempotency-Key"] for r in got} == {"a1:raised"}
    assert store.outbox_backlog() == {}


def test_receiver_down_backoff_grows_to_the_cap_then_delivers_when_up(store):
    clock = Clock()
    port = free_port()  # nothing listens: connection refused
    hooks = [hook(f"http://127.0.0.1:{port}/in", max_backoff_s=5)]
    queue(store, hooks, alert("raised"))
    d = deliverer(store, hooks, clock)
    waits = []
    for _ in range(6):
        assert d.deliver_due(clock.t) == 0
        waits.append(wait_after_failure(store, clock))
        clock.t += waits[-1]
    assert waits == pytest.approx([1, 2, 4, 5, 5, 5])
    assert store.outbox_backlog() == {"city": 1}
    with Receiver(port=port) as rx:
        assert d.deliver_due(clock.t) == 1
        assert len(rx.received()) == 1
    assert store.outbox_backlog() == {}


def test_backoff_resumes_from_the_stored_attempts_after_a_restart(store):
    clock = Clock()
    hooks = [hook(f"http://127.0.0.1:{free_port()}/in", max_backoff_s=100)]
    queue(store, hooks, alert("raised"))
    first = deliverer(store, hooks, clock)
    for _ in range(3):
        first.deliver_due(clock.t)
        clock.t += wait_after_failure(store, clock)
    second = deliverer(store, hooks, clock)  # a new process: nothing in memory
    second.deliver_due(clock.t)
    assert wait_after_failure(store, clock) == pytest.approx(8.0)


def test_a_permanent_refusal_waits_the_longest_and_keeps_the_notification(store, caplog):
    clock = Clock()
    with Receiver(statuses=[404, 401]) as rx:
        hooks = [hook(rx.url, max_backoff_s=120)]
        queue(store, hooks, alert("raised"))
        d = deliverer(store, hooks, clock)
        with caplog.at_level(logging.DEBUG, logger="edge.publish.webhooks"):
            assert d.deliver_due(clock.t) == 0
            assert wait_after_failure(store, clock) == pytest.approx(120.0)
            clock.t += 120
            assert d.deliver_due(clock.t) == 0
        assert store.outbox_backlog() == {"city": 1}  # never dropped
        clock.t += 120
        assert d.deliver_due(clock.t) == 1  # the receiver was fixed
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "HTTP 404" in errors[0].getMessage()  # once per streak
    assert SECRET not in caplog.text and "alert.raised" not in caplog.text


def test_a_redirect_is_not_an_acknowledgement(store):
    clock = Clock()
    with Receiver(statuses=[302], reply_headers={"Location": "/elsewhere"}) as rx:
        hooks = [hook(rx.url, max_backoff_s=30)]
        queue(store, hooks, alert("raised"))
        assert deliverer(store, hooks, clock).deliver_due(clock.t) == 0
        assert [r.path for r in rx.received()] == ["/hook"]  # not followed
    assert store.outbox_backlog() == {"city": 1}
    assert wait_after_failure(store, clock) == pytest.approx(30.0)


def test_retry_after_is_honoured_up_to_the_cap(store):
    clock = Clock()
    with Receiver(statuses=[429], reply_headers={"Retry-After": "7"}) as rx:
        hooks = [hook(rx.url, max_backoff_s=60)]
        queue(store, hooks, alert("raised"))
        deliverer(store, hooks, clock).deliver_due(clock.t)
    assert wait_after_failure(store, clock) == pytest.approx(7.0)


def test_a_failure_holds_back_later_notifications_so_order_is_kept(store):
    clock = Clock()
    with Receiver(statuses=[503]) as rx:
        hooks = [hook(rx.url, max_backoff_s=60)]
        queue(store, hooks, alert("raised"), alert("cleared"))
        d = deliverer(store, hooks, clock)
        assert d.deliver_due(clock.t) == 0
        assert len(rx.received()) == 1  # the cleared one waits behind the raised one
        assert d.deliver_due(clock.t + 0.5) == 0 and len(rx.received()) == 1
        # ... also for a new process, which knows only the store
        assert deliverer(store, hooks, clock).deliver_due(clock.t + 0.5) == 0
        # ... and one queued during the wait waits too
        queue(store, hooks, alert("raised", "a2"))
        assert d.deliver_due(clock.t + 0.5) == 0 and len(rx.received()) == 1
        clock.t += 1.0
        assert d.deliver_due(clock.t) == 3
        keys = [r.headers["Idempotency-Key"] for r in rx.received()]
    assert keys == ["a1:raised", "a1:raised", "a1:cleared", "a2:raised"]


def test_a_notification_for_an_unconfigured_webhook_stays_in_the_outbox(store, caplog):
    clock = Clock()
    with Receiver() as rx:
        queue(store, [hook(rx.url, "gone")], alert("raised"))
        queue(store, [hook(rx.url, "city")], alert("raised", "a2"))
        d = deliverer(store, [hook(rx.url, "city")], clock)
        with caplog.at_level(logging.WARNING, logger="edge.publish.webhooks"):
            assert d.deliver_due(clock.t) == 1
            clock.t += 3600
            assert d.deliver_due(clock.t) == 0
        assert [r.headers["Idempotency-Key"] for r in rx.received()] == ["a2:raised"]
    assert store.outbox_backlog() == {"gone": 1}
    assert sum("'gone'" in r.getMessage() for r in caplog.records) == 1  # logged once
    assert store.next_notification_at() > clock.t  # set aside: it does not crowd the others


def test_a_slow_receiver_does_not_hold_up_another(store):
    clock = Clock()
    with Receiver(delay_s=1.5) as slow, Receiver() as fast:
        hooks = [hook(slow.url, "slow", timeout_s=0.4), hook(fast.url, "fast")]
        queue(store, hooks, alert("raised"))
        d = deliverer(store, hooks, clock)
        t0 = time.monotonic()
        assert d.deliver_due(clock.t) == 1
        took = time.monotonic() - t0
        (fast_got,) = fast.received()
    assert fast_got.at - t0 < 0.4
    assert took < 1.2  # the slow one cost its timeout, not its delay
    assert store.outbox_backlog() == {"slow": 1}


def test_credentials_in_the_url_go_in_an_authorization_header(store):
    clock = Clock()
    with Receiver() as rx:
        url = f"http://edge:p%40ss@127.0.0.1:{rx.port}/hook"
        queue(store, [hook(url)], alert("raised"))
        assert deliverer(store, [hook(url)], clock).deliver_due(clock.t) == 1
        (got,) = rx.received()
    assert got.headers["Authorization"] == "Basic ZWRnZTpwQHNz"  # edge:p@ss


# -- the thread ------------------------------------------------------------------------------------


def test_thread_sends_what_is_queued_and_stops_at_once(store):
    with Receiver() as rx:
        hooks = [hook(rx.url)]
        d = WebhookDeliverer(store, hooks, poll_s=30.0)
        d.start()
        try:
            queue(store, hooks, alert("raised"))
            d.wake()
            deadline = time.monotonic() + 5
            while not rx.received() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(rx.received()) == 1
        finally:
            t0 = time.monotonic()
            d.stop(grace_s=0.5)
            assert time.monotonic() - t0 < 1.0  # woken up, not waiting out poll_s
    assert store.outbox_backlog() == {}


def test_stop_sends_what_the_last_flush_queued(store):
    with Receiver() as rx:
        hooks = [hook(rx.url)]
        d = WebhookDeliverer(store, hooks, poll_s=30.0)
        d.start()
        time.sleep(0.1)  # the thread has looked once and sleeps
        queue(store, hooks, alert("cleared"))  # the cameras' final flush
        d.stop(grace_s=2.0)
        assert [r.headers["Idempotency-Key"] for r in rx.received()] == ["a1:cleared"]


def test_the_thread_survives_a_receiver_that_drops_connections(store):
    with Receiver(statuses=["drop"] * 2) as rx:
        hooks = [hook(rx.url, max_backoff_s=1)]
        d = WebhookDeliverer(store, hooks, poll_s=0.05, rng=random.Random(1))
        d.start()
        try:
            queue(store, hooks, alert("raised"))
            deadline = time.monotonic() + 10
            while store.outbox_backlog() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            d.stop(grace_s=0.5)
        assert len(rx.received()) == 3  # two dropped, then acknowledged
    assert store.outbox_backlog() == {}


def test_a_receiver_with_a_long_backlog_does_not_starve_the_others(store):
    clock = Clock()
    with Receiver(statuses=[401] * 1000) as refusing, Receiver() as good:
        a, b = hook(refusing.url, "refusing"), hook(good.url, "good")
        queue(store, [a], *(alert("raised", f"x{i}") for i in range(250)))
        queue(store, [b], alert("raised", "y"))
        d = deliverer(store, [a, b], clock, batch=100)
        for step in range(3):  # "refusing" is paused after its first refusal
            d.deliver_due(clock.t + step)
        assert len(good.requests) == 1
        assert store.outbox_backlog() == {"refusing": 250}


@pytest.mark.parametrize("url,why", [("https://u:p@host:abc/", "malformed port"),
                                     ("https://", "no host"), ("ftp://host/x", "pattern")])
def test_unusable_webhook_urls_are_refused_at_start_up(url, why):
    with pytest.raises(ValueError, match=why):
        WebhookConfig(id="a", url=url, secret_env="HOOK_SECRET")


def test_an_infinite_dwell_is_refused():
    from edge.analytics.dumping.config import DropoffZoneConfig
    with pytest.raises(ValueError, match="finite"):
        DropoffZoneConfig(id="z", polygon=[(0, 0), (40, 0), (40, 40)], dwell_s=float("inf"))
