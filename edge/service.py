"""``edge run``: cameras + analytics + store + API in one process.

Start-up validates everything (config, models, files) and fails with one line; once running, a
camera that fails only changes its own state.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading

import uvicorn

from api.app import create_app
from edge.config import SiteConfig, zone_webhooks
from edge.errors import EdgeError
from edge.publish.notify import Notifier
from edge.publish.webhooks import WebhookDeliverer
from edge.runner import CameraRunner, zones_of
from edge.store import Store
from edge.types import CameraStatus

log = logging.getLogger(__name__)
_WEBHOOK_GRACE_S = 2.0  # what is not sent by then waits in the outbox for the next start


class Cameras:
    """The runners, seen by the API as a status provider."""

    def __init__(self, runners: list[CameraRunner]) -> None:
        self.runners = runners

    def statuses(self) -> list[CameraStatus]:
        return [r.status() for r in self.runners]


def _check_port(host: str, port: int) -> None:
    """Fail at start-up, before any camera runs, if the API address cannot be bound."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        raise EdgeError(f"api: cannot listen on {host}:{port} ({exc.strerror})") from None


def serve(site: SiteConfig, host: str | None = None, port: int | None = None) -> int:
    host = host or site.api.host
    port = site.api.port if port is None else port
    _check_port(host, port)
    store = Store(site.store.path, bin_seconds=site.store.bin_seconds)
    runners: list[CameraRunner] = []
    deliverer: WebhookDeliverer | None = None
    try:
        for cam in site.cameras:
            notify = Notifier(site.site, site.webhooks, zone_webhooks(site.webhooks, zones_of(cam)))
            runners.append(CameraRunner(cam, store, flush_seconds=site.store.flush_seconds,
                                        notify=notify))
        if site.webhooks:  # also sends what a previous run left in the outbox
            deliverer = WebhookDeliverer(store, site.webhooks)
        app = create_app(store, Cameras(runners), site.api.tokens, title=f"edge · {site.site}")
        server = uvicorn.Server(uvicorn.Config(
            app, host=host, port=port,
            log_level="warning", access_log=False))
        for r in runners:
            r.start()
        if deliverer is not None:
            deliverer.start()
        log.info("site %s: %d camera(s), API on http://%s:%d", site.site, len(runners),
                 server.config.host, server.config.port)
        try:
            server.run()
        except KeyboardInterrupt:  # uvicorn re-raises the SIGINT/SIGTERM it has just handled
            log.info("site %s: stopping", site.site)
    finally:
        for r in reversed(runners):  # stopped in reverse order, each flushing what it counted
            r.stop()
        if deliverer is not None:  # after the cameras' last flush: a short grace to send it
            deliverer.stop(grace_s=_WEBHOOK_GRACE_S)
        store.close()
    return 0


def install_term_handler() -> None:
    """SIGTERM behaves like Ctrl-C so containers stop cleanly (counts flushed)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)
