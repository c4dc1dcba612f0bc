"""Alert webhooks: POST every notification of the store's outbox until its receiver answers 2xx.

The outbox row is written in the same transaction as the alert (see :mod:`edge.recorder`), so an
alert raised before a crash is still sent after the restart. Delivery is *at least once*: a
receiver that answered but whose answer was not yet recorded gets the notification again, with the
same ``Idempotency-Key``, the same body bytes and so the same signature; it answers 2xx to a key it
has already seen.

Each request carries ``X-Edge-Signature: sha256=<hex HMAC-SHA256(secret, body)>``
(:func:`sign`; receivers check it with :func:`verify`). The secret is read from the environment
at start-up and is never stored, logged or sent.

Retries: after the n-th failure in a row a webhook waits 1, 2, 4 ... s (doubling, at most its
``max_backoff_s``, shortened by up to 10 % of jitter so that edges do not retry in step). Transport
errors, timeouts, 5xx, 408, 409 (the receiver is still working on this key), 425 and 429 are
transient (a numeric ``Retry-After`` is honoured up to the cap). Any other answer (3xx, 4xx: a
wrong URL, a secret the receiver does not accept) will not fix itself: the webhook waits its
``max_backoff_s`` straight away and an error is logged, but nothing is dropped; the notifications
stay in the outbox (``Store.outbox_backlog``) and go out once the receiver accepts them.

Per webhook, notifications go out in the order they were queued; a failure holds back the ones
queued after it (they wait with it), so a receiver does not see an alert cleared before it was
raised. (One queued after a restart, while older ones still wait out their backoff, may overtake
them: the body's ``alert.status`` and times say which state is the latest.) Each webhook is served
by its own short-lived thread: a slow or dead receiver delays only its own notifications.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import logging
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from edge import __version__
from edge.config import WebhookConfig
from edge.store import Notification, Store

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Edge-Signature"
_TRANSIENT_4XX = frozenset({408, 409, 425, 429})  # "not now", unlike "never" (400, 401, 404 ...)
_MAX_REPLY = 64 * 1024  # bytes of a reply read (and dropped) so the connection ends cleanly
_ORPHAN_RECHECK_S = 3600.0  # how long a notification for an unconfigured webhook is set aside


def sign(secret: bytes | str, body: bytes | str) -> str:
    """The ``X-Edge-Signature`` value of ``body``: ``sha256=`` + hex HMAC-SHA256.

    >>> sign("0123456789abcdef", b'{"a":1}')[:15]
    'sha256=1c76fbb9'
    """
    key = secret.encode() if isinstance(secret, str) else secret
    data = body.encode() if isinstance(body, str) else body
    return "sha256=" + hmac.new(key, data, hashlib.sha256).hexdigest()


def verify(secret: bytes | str, body: bytes | str, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` (constant-time comparison)."""
    if not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


def backoff_s(failures: int, cap: float, jitter: float = 0.0, u: float = 0.0) -> float:
    """Wait after the ``failures``-th failure in a row: 1, 2, 4 ... s, at most ``cap``, less up to
    ``jitter`` of itself (``u`` in [0, 1) draws how much).

    >>> [backoff_s(n, 10) for n in range(1, 6)]
    [1.0, 2.0, 4.0, 8.0, 10.0]
    """
    base = min(float(cap), 2.0 ** min(max(failures, 1) - 1, 62))
    return base * (1.0 - jitter * u)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one POST got: an HTTP status (None: no answer) and, unless 2xx, a one-line error."""

    status: int | None
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def permanent(self) -> bool:
        """An answer that will not change by itself (a wrong URL, a rejected signature)."""
        return self.status is not None and 300 <= self.status < 500 \
            and self.status not in _TRANSIENT_4XX


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is no acknowledgement (and urllib would turn the POST into a GET): it surfaces
    as an HTTPError with the 3xx status."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _Target:
    url: str                    # without user:password
    authorization: str | None   # Basic credentials taken out of the URL


def _target(url: str) -> _Target:
    """Credentials in a webhook URL become a Basic header (urllib would put them in the host)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return _Target(url, None)
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return _Target(urllib.parse.urlunsplit(parts._replace(netloc=netloc)), f"Basic {token}")


def post(opener: urllib.request.OpenerDirector, url: str, body: bytes,
         headers: Mapping[str, str], timeout: float) -> Outcome:
    """POST ``body``; never raises. The error text holds neither the body nor a header."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with opener.open(request, timeout=timeout) as reply:
            reply.read(_MAX_REPLY)
            return Outcome(reply.status)
    except urllib.error.HTTPError as exc:
        with exc:
            retry = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            reason = " ".join(str(exc.reason).split())[:100]
            return Outcome(exc.code, f"HTTP {exc.code} {reason}".strip(), retry)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return Outcome(None, f"no answer within {timeout:g} s")
        return Outcome(None, f"cannot connect: {exc.reason}")
    except TimeoutError:
        return Outcome(None, f"no answer within {timeout:g} s")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}".strip())


def _retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` in seconds (the HTTP-date form is ignored: the backoff applies)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class WebhookDeliverer:
    """Sends the outbox. :meth:`start` runs it in a daemon thread that looks every ``poll_s``
    (or at once after :meth:`wake`); :meth:`deliver_due` is one synchronous pass, for tests.

    ``clock`` gives wall time (Unix s, as the outbox's ``next_at``); ``rng`` draws the jitter.
    """

    def __init__(self, store: Store, hooks: Sequence[WebhookConfig],
                 clock: Callable[[], float] = time.time, *, rng: random.Random | None = None,
                 jitter: float = 0.1, poll_s: float = 0.5, batch: int = 100) -> None:
        self.store = store
        self.hooks = {h.id: h for h in hooks}
        self._secrets = {h.id: h.secret() for h in hooks}  # EdgeError now, not at the first alert
        self._targets = {h.id: _target(h.url) for h in hooks}
        self._clock = clock
        self._rng = rng or random.Random()
        self.jitter, self.poll_s, self.batch = jitter, poll_s, batch
        self._opener = urllib.request.build_opener(_NoRedirect)
        self._user_agent = f"edge/{__version__}"
        self._lock = threading.Lock()  # guards the dicts below and the rng
        self._failures: dict[str, int] = {}        # failed attempts in a row, per webhook
        self._paused: dict[str, float] = {}        # webhook -> when its next attempt is due
        self._busy: dict[str, threading.Thread] = {}
        self._orphans_seen: set[str] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._abandon = threading.Event()  # stop's grace is over: send nothing more
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the outbox now (a notification was just queued)."""
        self._wake.set()

    def stop(self, grace_s: float = 2.0) -> None:
        """Stop looking; then, for up to ``grace_s``, send what is due (the cameras' last
        flush). Whatever is not acknowledged by then stays in the outbox for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(max(grace_s, 0.1))
        deadline = time.monotonic() + grace_s
        try:
            if grace_s > 0:
                self._dispatch(self._clock())
        except Exception:
            log.exception("webhooks: last outbox scan failed")
        with self._lock:
            workers = list(self._busy.values())
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        self._abandon.set()  # a worker still waiting on a receiver stops after that request

    # -- one pass ----------------------------------------------------------------------------

    def deliver_due(self, now: float) -> int:
        """Send every notification due at ``now`` (webhooks in parallel), wait for the answers;
        the number acknowledged."""
        results: list[int] = []
        for worker in self._dispatch(now, results):
            worker.join()
        return sum(results)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self._dispatch(self._clock())
            except Exception:  # the store busy or closing: look again later, never die
                log.exception("webhooks: outbox scan failed")
            self._wake.wait(self.poll_s)  # a finished worker wakes us for what queued behind

    def _dispatch(self, now: float, results: list[int] | None = None) -> list[threading.Thread]:
        """Start one worker per webhook with due notifications (unless it already has one or
        waits out a backoff)."""
        started = []
        # One query per webhook: a receiver with a long backlog must not hide the others' rows.
        for hook_id in self.store.waiting_webhooks(now):
            hook = self.hooks.get(hook_id)
            if hook is None:
                self._set_aside(hook_id, self.store.due_notifications(now, self.batch, hook_id),
                                now)
                continue
            with self._lock:
                if hook_id in self._busy or self._paused.get(hook_id, now) > now:
                    continue
            notes = self.store.due_notifications(now, self.batch, hook_id)
            if not notes:
                continue
            with self._lock:
                if hook_id in self._busy:
                    continue
                worker = threading.Thread(target=self._work, args=(hook, notes, results),
                                          name=f"webhook-{hook_id}", daemon=True)
                self._busy[hook_id] = worker
            worker.start()
            started.append(worker)
        return started

    def _work(self, hook: WebhookConfig, notes: list[Notification],
              results: list[int] | None) -> None:
        try:
            n = self._send(hook, notes)
            if results is not None:
                results.append(n)
        except Exception:  # a receiver or a store error never takes the service down
            if not self._abandon.is_set():
                log.exception("webhook %s: delivery failed unexpectedly", hook.id)
        finally:
            with self._lock:
                self._busy.pop(hook.id, None)
            self._wake.set()

    def _send(self, hook: WebhookConfig, notes: list[Notification]) -> int:
        """POST ``notes`` in order until one fails; that one and those after it wait together."""
        delivered = 0
        for i, note in enumerate(notes):
            if self._abandon.is_set():
                break
            outcome = post(self._opener, self._targets[hook.id].url, note.body.encode(),
                           self._headers(hook, note), hook.timeout_s)
            now = self._clock()
            if outcome.ok:
                self.store.delivered(note.seq, now)
                self._recovered(hook)
                delivered += 1
                continue
            next_at = now + self._wait(hook, note, outcome, now)
            self.store.retry_later(note.seq, next_at, outcome.error or "failed")
            for later in notes[i + 1:]:
                self.store.retry_later(later.seq, next_at,
                                       f"waiting behind an earlier notification ({outcome.error})")
            break
        return delivered

    def _headers(self, hook: WebhookConfig, note: Notification) -> dict[str, str]:
        headers = {"Content-Type": "application/json",
                   SIGNATURE_HEADER: sign(self._secrets[hook.id], note.body.encode()),
                   "Idempotency-Key": note.key, "User-Agent": self._user_agent}
        auth = self._targets[hook.id].authorization
        if auth:
            headers["Authorization"] = auth
        return headers

    # -- bookkeeping -------------------------------------------------------------------------

    def _wait(self, hook: WebhookConfig, note: Notification, outcome: Outcome,
              now: float) -> float:
        """Seconds until ``hook`` is tried again after ``outcome``; logs the start of a failure
        streak (warning) and a permanent refusal (error), not every retry."""
        with self._lock:
            before = self._failures.get(hook.id, 0)
            failures = max(before, note.attempts) + 1
            self._failures[hook.id] = failures
            u = self._rng.random()
            if outcome.permanent:  # no use knocking sooner: straight to the longest wait
                wait = backoff_s(62, hook.max_backoff_s, self.jitter, u)
            else:
                wait = backoff_s(failures, hook.max_backoff_s, self.jitter, u)
                if outcome.retry_after is not None:
                    wait = min(float(hook.max_backoff_s), max(wait, outcome.retry_after))
            self._paused[hook.id] = now + wait
        if outcome.permanent and before == 0:
            log.error("webhook %s: the receiver refuses notifications (%s); they stay in the "
                      "outbox and are offered again every %g s", hook.id, outcome.error,
                      hook.max_backoff_s)
        elif before == 0:
            log.warning("webhook %s: delivery failed (%s); retrying with backoff up to %g s",
                        hook.id, outcome.error, hook.max_backoff_s)
        else:
            log.debug("webhook %s: attempt failed again (%s), next in %.1f s", hook.id,
                      outcome.error, wait)
        return wait

    def _recovered(self, hook: WebhookConfig) -> None:
        with self._lock:
            failures = self._failures.pop(hook.id, 0)
            self._paused.pop(hook.id, None)
        if failures:
            log.info("webhook %s: delivering again after %d failed attempt(s)", hook.id, failures)

    def _set_aside(self, hook_id: str, notes: list[Notification], now: float) -> None:
        """Notifications for a webhook the site no longer configures stay in the outbox (they
        go out if it is configured again), looked at again only hourly so they never crowd out
        the others."""
        if hook_id not in self._orphans_seen:
            self._orphans_seen.add(hook_id)
            log.warning("webhook %r is not configured: its undelivered notifications stay in the "
                        "outbox until it is added back", hook_id)
        for note in notes:
            self.store.retry_later(note.seq, now + _ORPHAN_RECHECK_S,
                                   f"webhook {hook_id!r} is not configured")
