"""Which webhooks hear of an alert event, and what they are sent (queued in the outbox)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from edge.analytics.base import DumpingAlert
from edge.config import WebhookConfig
from edge.publish.payload import idempotency_key, notification_body
from edge.store import Notification


class Notifier:
    """``notifier(event) -> [Notification]`` for one camera's drop-off zones.

    ``routes`` is ``{zone: [webhook id, ...]}`` (see :func:`edge.config.zone_webhooks`).
    """

    def __init__(self, site: str, hooks: Sequence[WebhookConfig],
                 routes: Mapping[str, Sequence[str]]) -> None:
        self.site = site
        self._events = {h.id: set(h.events) for h in hooks}
        self._routes = {zone: [h for h in ids if h in self._events] for zone, ids in routes.items()}

    def __call__(self, event: DumpingAlert) -> list[Notification]:
        hooks = [h for h in self._routes.get(event.zone, ()) if event.status in self._events[h]]
        if not hooks:
            return []
        body, key = notification_body(event, self.site), idempotency_key(event)
        return [Notification(h, key, body) for h in hooks]
