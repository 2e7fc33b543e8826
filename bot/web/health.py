"""GET /healthz, for a load balancer or a monitor: no sign-in, no personal data."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.store import Store, inbox, outbox
from bot.web.pages import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """How long an update may wait to be handled, and a message to be sent, in seconds."""

    inbox: float = 120
    outbox: float = 900


class Health:
    def __init__(self, store: Store, clock: Clock, limits: Limits) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits

    async def healthz(self, request: Request) -> JSONResponse:
        """Whether the database answers, and how long the oldest unhandled update and the
        oldest unsent message have waited; 503 when any is past its limit."""
        try:
            async with self.store.unit() as unit:
                oldest_update = await inbox.oldest_waiting(unit)
                oldest_message = await outbox.oldest_waiting(unit)
        except Exception as error:  # whatever the driver raises, the answer is the same
            log.error("health check: the database does not answer (%s)", type(error).__name__)
            return JSONResponse({"database": "unreachable"}, status_code=503)
        now = self.clock()
        update_age = (now - oldest_update).total_seconds() if oldest_update else 0.0
        message_age = (now - oldest_message).total_seconds() if oldest_message else 0.0
        healthy = update_age <= self.limits.inbox and message_age <= self.limits.outbox
        body = {
            "database": "ok",
            "oldest_update_seconds": round(max(update_age, 0.0), 1),
            "oldest_message_seconds": round(max(message_age, 0.0), 1),
            "status": "ok" if healthy else "late",
        }
        return JSONResponse(body, status_code=200 if healthy else 503)
